// Writes NUL bytes and bytes that are not UTF-8 (a lone continuation byte, 0xff, an
// overlong encoding, a truncated sequence) among ASCII, on stdout and stderr.
// Attacks: the JSON answer: raw bytes must neither break it nor be lost silently.
// Sandbox should: answer valid JSON with each invalid byte replaced by U+FFFD (EF BF BD)
// and the NUL bytes kept (JSON "\u0000").
// limits: cpu_ms=1000 wall_ms=3000
// expect: status=ok
// expect: stdout-equals=A\0B\xef\xbf\xbdC\xef\xbf\xbd\xef\xbf\xbdD\xef\xbf\xbd\xef\xbf\xbdE\xc3\xa9\xef\xbf\xbd\n
// expect: stderr-equals=\0\0\xef\xbf\xbd
#include <unistd.h>

int main(void) {
  static const char out[] =
      "A\0B\x80"
      "C\xff\xfe"
      "D\xc0\xaf"
      "E\xc3\xa9\xe2\x82\n";
  static const char err[] = "\0\0\xff";
  (void)write(1, out, sizeof out - 1);
  (void)write(2, err, sizeof err - 1);
  return 0;
}
