#!/usr/bin/env bash
# Builds the libFuzzer target over the API's request parsing and validation
# (tests/fuzz/request_fuzz.cc) with clang, AddressSanitizer and UndefinedBehaviorSanitizer,
# and runs it for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]           build (incrementally) and fuzz; 60 s by default
#   scripts/fuzz.sh --merge [SECONDS]   the same, then add to tests/fuzz/corpus the inputs
#                                       found that reach code it does not (developers: CI
#                                       never changes the checked-in corpus); 0 s merges
#                                       what earlier runs found without fuzzing again
#   scripts/fuzz.sh --coverage          line coverage of the API's sources by the corpus
#                                       (its own build; HTML in OUT/cov/html)
#   scripts/fuzz.sh --build-only        only build
#   --out DIR    build and scratch directory (default build/fuzz, or $CODECANVAS_FUZZ_DIR);
#                meson does not manage it, and nothing else in build/ is touched
#   --jobs N     parallel compiles (default 2)
#
# The checked-in corpus (tests/fuzz/corpus) is only read; what the fuzzer finds goes to
# OUT/corpus. A crash, a sanitizer report or a broken invariant leaves its input in
# OUT/artifacts; the script prints how to reproduce it and exits 1.
#
# The compiler is $CODECANVAS_FUZZ_CXX (default clang++). Without one that can build a
# fuzz target the script exits 1 when CI=true, and otherwise says so and exits 0.
# The last line is always one of
#   codecanvas fuzz: passed (...)
#   codecanvas fuzz: FAILED (...)
#   codecanvas fuzz: SKIPPED (...)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=60
mode=fuzz
merge=0
out=${CODECANVAS_FUZZ_DIR:-build/fuzz}
jobs=2
while [ $# -gt 0 ]; do
  case $1 in
    --merge) merge=1 ;;
    --coverage) mode=coverage ;;
    --build-only) mode=build ;;
    --out) out=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*|'') echo "fuzz.sh: unknown argument '$1' (see scripts/fuzz.sh --help)" >&2; exit 2 ;;
    *) seconds=$1 ;;
  esac
  shift
done
# libFuzzer reads -max_total_time=0 as "no limit".
if [ "$seconds" = 0 ] && [ $merge = 0 ]; then
  echo "fuzz.sh: 0 seconds only makes sense with --merge" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
cxx=${CODECANVAS_FUZZ_CXX:-clang++}

skip() {
  if [ "${CI:-}" = true ]; then
    echo "codecanvas fuzz: FAILED (CI=true and $1)"
    exit 1
  fi
  echo "codecanvas fuzz: SKIPPED ($1)"
  exit 0
}

# Does the compiler build and link a fuzz target at all? Debian's clang leaves libFuzzer
# and the sanitizer runtimes to libclang-rt-14-dev, a package it only recommends.
command -v "$cxx" >/dev/null ||
  skip "no $cxx; apt-get install clang libclang-rt-14-dev, or set CODECANVAS_FUZZ_CXX"
command -v ninja >/dev/null || skip "no ninja; apt-get install ninja-build"
printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
  >"$out/probe.cc"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$out/probe.cc" -o "$out/probe" 2>"$out/probe.log"; then
  skip "$cxx cannot link -fsanitize=fuzzer,address,undefined (Debian: apt-get install libclang-rt-14-dev): $(head -c 300 "$out/probe.log" | tr '\n' ' ')"
fi

command -v meson >/dev/null || skip "no meson; apt-get install meson"
cc=${CODECANVAS_FUZZ_CC:-${cxx/clang++/clang}}

# Configures (once) a meson build directory DIR with clang and -Dfuzz=MODE and builds the
# fuzz target there (tests/fuzz/meson.build); ninja recompiles only what changed.
build() {
  local dir=$1 fuzz_mode=$2
  if [ ! -f "$dir/build.ninja" ]; then
    echo "== fuzz: configuring $dir (-Dfuzz=$fuzz_mode)" >&2
    if ! CC=$cc CXX=$cxx meson setup "$dir" -Dfuzz="$fuzz_mode" -Dtests=disabled \
        -Dwerror=false -Doptimization=1 -Db_lundef=false >"$out/setup.log" 2>&1; then
      cat "$out/setup.log" >&2
      echo "codecanvas fuzz: FAILED (meson setup of $dir; see above)"
      exit 1
    fi
  fi
  echo "== fuzz: building $dir/tests/fuzz/request_fuzz" >&2
  if ! ninja -C "$dir" -j "$jobs" tests/fuzz/request_fuzz >"$out/build.log" 2>&1; then
    cat "$out/build.log" >&2
    echo "codecanvas fuzz: FAILED (the fuzz target did not build; see above)"
    exit 1
  fi
}

if [ $mode = coverage ]; then
  # No sanitizers: clang's source-based coverage, the corpus run once, a report per file.
  command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null ||
    { echo "fuzz.sh: --coverage needs llvm-profdata and llvm-cov (apt-get install llvm)" >&2; exit 2; }
  cov=$out/cov
  build "$cov/build" coverage
  rm -f "$cov"/*.profraw
  mkdir -p "$out/corpus"
  LLVM_PROFILE_FILE="$cov/run-%p.profraw" "$cov/build/tests/fuzz/request_fuzz" -runs=0 \
    "$out/corpus" tests/fuzz/corpus >"$cov/run.log" 2>&1 ||
    echo "== fuzz: an input stopped the coverage run early; see $cov/run.log" >&2
  llvm-profdata merge -sparse "$cov"/*.profraw -o "$cov/fuzz.profdata"
  files=("$root/src/http/request_parser.cc" "$root/src/http/api.cc" "$root/src/controller/judge/checker.cc" "$root/src/controller/judge/verdicts.cc"
    "$root/src/controller/jobs/result_json.cc")
  llvm-cov report "$cov/build/tests/fuzz/request_fuzz" -instr-profile="$cov/fuzz.profdata" "${files[@]}"
  llvm-cov show "$cov/build/tests/fuzz/request_fuzz" -instr-profile="$cov/fuzz.profdata" -format=html \
    -output-dir="$cov/html" "${files[@]}"
  echo "codecanvas fuzz: coverage report in $cov/html/index.html"
  exit 0
fi

# Coverage instrumentation and both sanitizers on every file (meson.build, -Dfuzz).
build "$out/build" sanitize
fuzzer=$out/build/tests/fuzz/request_fuzz
[ $mode = build ] && { echo "codecanvas fuzz: built $fuzzer"; exit 0; }

# -max_len: the target's body limit is 4000 bytes, so 4608 reaches its 413 answer.
# -timeout and -rss_limit_mb turn an input that blows up time or memory into a failure.
options=(-max_len=4608 -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/request.dict)
mkdir -p "$out/corpus" "$out/artifacts"
summary="no fuzzing"
# libFuzzer only adds to the scratch corpus, so across runs it grows: past 4000 files it is
# minimised first (the smallest set of inputs that reaches the same features).
if [ "$(find "$out/corpus" -type f | wc -l)" -gt 4000 ]; then
  rm -rf "$out/corpus.min"
  mkdir "$out/corpus.min"
  echo "== fuzz: minimising $out/corpus" >&2
  "$fuzzer" "${options[@]}" -merge=1 "$out/corpus.min" "$out/corpus" \
    >"$out/minimise.log" 2>&1 && rm -rf "$out/corpus" && mv "$out/corpus.min" "$out/corpus"
fi
if [ "$seconds" != 0 ]; then
  stamp="$out/.run-started"
  touch "$stamp"
  echo "== fuzz: running for ${seconds}s (log: $out/fuzz.log)" >&2
  fuzz_status=0
  "$fuzzer" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" "$out/corpus" tests/fuzz/corpus \
    >"$out/fuzz.log" 2>&1 || fuzz_status=$?

  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/SIZE exec/s: E rss: R"
  last=$(grep -E '^#[0-9]+' "$out/fuzz.log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz.log")
  edges=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  summary="${seconds}s, ${runs:-?} runs, ${eps:-?} exec/s, ${edges:-?} edges, corpus ${corp:-?}"

  if [ $fuzz_status != 0 ]; then
    tail -n 60 "$out/fuzz.log" >&2
    artifact=$(find "$out/artifacts" -type f -newer "$stamp" | head -1)
    if [ -n "$artifact" ]; then
      echo "== fuzz: reproduce with: $fuzzer $artifact" >&2
      echo "codecanvas fuzz: FAILED (reproducer: $artifact; after ${runs:-?} runs)"
    else
      echo "codecanvas fuzz: FAILED (the fuzzer exited with $fuzz_status; see $out/fuzz.log)"
    fi
    exit 1
  fi
fi

if [ $merge = 1 ]; then
  # Only the inputs that reach edges the checked-in corpus does not, the smallest for each
  # (-use_counters=0: a new hit count is not worth a file in git).
  before=$(find tests/fuzz/corpus -type f | wc -l)
  if ! "$fuzzer" "${options[@]}" -merge=1 -use_counters=0 tests/fuzz/corpus "$out/corpus" \
      >"$out/merge.log" 2>&1; then
    tail -n 40 "$out/merge.log" >&2
    echo "codecanvas fuzz: FAILED (the merge into tests/fuzz/corpus; see $out/merge.log)"
    exit 1
  fi
  after=$(find tests/fuzz/corpus -type f | wc -l)
  summary="$summary; $((after - before)) inputs merged into tests/fuzz/corpus"
fi
echo "codecanvas fuzz: passed ($summary)"
