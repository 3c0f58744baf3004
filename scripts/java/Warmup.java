// Run once by scripts/setup.sh with -XX:ArchiveClassesAtExit: the JDK classes that typical
// submissions of the java profile load at start-up (console input and output, formatting,
// collections, lambdas and string concatenation, which spin up java.lang.invoke) go into
// the class-data-sharing archive the profile starts from. Its own output is discarded.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Scanner;
import java.util.StringTokenizer;
import java.util.TreeMap;
import java.util.stream.Collectors;

public class Warmup {
  public static void main(String[] args) throws Exception {
    Scanner in = new Scanner(System.in);
    String name = in.hasNext() ? in.next() : "world";
    System.out.println("Hello, " + name + "!");
    BufferedReader reader = new BufferedReader(new InputStreamReader(System.in));
    StringTokenizer tokens = new StringTokenizer("3 1 2");
    List<Integer> list = new ArrayList<>();
    while (tokens.hasMoreTokens()) list.add(Integer.parseInt(tokens.nextToken()));
    Collections.sort(list);
    int[] array = {5, 4, 3};
    Arrays.sort(array);
    Map<String, Integer> counts = new HashMap<>();
    Map<Long, Double> ordered = new TreeMap<>();
    for (int x : list) counts.merge("k" + x, 1, Integer::sum);
    ordered.put(1L, Math.sqrt(2.0));
    String joined = list.stream().map(x -> x * 2).map(String::valueOf)
        .collect(Collectors.joining(","));
    StringBuilder sb = new StringBuilder();
    sb.append(joined).append(' ').append(counts.size()).append(String.format(" %.3f", 1.5));
    PrintWriter out = new PrintWriter(System.out);
    out.println(sb + " " + reader.ready() + " " + ordered + Arrays.toString(array));
    out.printf("%d %s%n", 42L, Long.valueOf(7));
    out.flush();
  }
}
