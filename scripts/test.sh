#!/usr/bin/env bash
# Sets up codecanvas (scripts/setup.sh) and runs the whole test suite:
#   1. unit and integration tests on this host (meson test),
#   1b. the request parser under libFuzzer (scripts/fuzz.sh, CODECANVAS_FUZZ_SECONDS, default 60),
#   2. the integration tests again inside a throwaway qemu guest whose cgroups are pure
#      v2 (scripts/cgroup2-vm.sh), so both cgroup back ends are tested for real. The
#      CgroupsTest.V1* tests (a v1 slot's shared directories) are left out there by name.
# With CI=true a test that cannot run (missing kernel feature, no qemu) fails instead of
# skipping. Set CODECANVAS_SKIP_VM=1 to leave out step 2 (it says so when it does).
# The last line sums up every GoogleTest case of both stages: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

status=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== host tests ($(grep -c ' - cgroup' /proc/self/mountinfo || true) cgroup mounts)" >&2
# The tests of the v2-only keeper path need memory on cgroup v2. Where this host serves it
# through v1 they are left out here by name, not skipped: stage 2 runs them on pure v2.
own_v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
v2_mount=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
if ! grep -qw memory "$v2_mount$own_v2/cgroup.controllers" 2>/dev/null; then
  echo "== host: memory is not on cgroup v2 here; the CgroupsTest.V2* tests run in stage 2" >&2
  export GTEST_FILTER='-CgroupsTest.V2*'
elif grep -qw pids "$v2_mount$own_v2/cgroup.controllers" 2>/dev/null; then
  # And the other way round: without a v1 pids hierarchy no slot has a shared directory.
  echo "== host: pids on cgroup v2; the CgroupsTest.V1* tests do not apply" >&2
  export GTEST_FILTER='-CgroupsTest.V1*'
fi
meson test -C build --print-errorlogs --num-processes 1 || status=1
unset GTEST_FILTER
cp build/meson-logs/testlog.txt "$logs/host.txt"

# The request parser under libFuzzer for a bounded time (scripts/fuzz.sh); one test in the summary.
fuzz_seconds=${CODECANVAS_FUZZ_SECONDS:-60}
echo "== fuzz: request parsing and validation for ${fuzz_seconds}s" >&2
if fuzz_line=$(scripts/fuzz.sh "$fuzz_seconds"); then
  case $fuzz_line in
    *SKIPPED*) echo "[  SKIPPED ] 1 test, $fuzz_line" >"$logs/fuzz.txt" ;;
    *) echo "[  PASSED  ] 1 test. $fuzz_line" >"$logs/fuzz.txt" ;;
  esac
else
  echo "[  FAILED  ] 1 test, $fuzz_line" >"$logs/fuzz.txt"
  status=1
fi
echo "== $fuzz_line" >&2

if [ "${CODECANVAS_SKIP_VM:-0}" = 1 ]; then
  echo "== cgroup v2 guest: NOT RUN (CODECANVAS_SKIP_VM=1)" >&2
  [ "${CI:-}" = true ] && status=1
else
  echo "== cgroup v2 guest: integration tests under a pure cgroup v2 hierarchy" >&2
  build_dir=$(pwd)/build
  if scripts/cgroup2-vm.sh --timeout 1200 --mem 2048 \
      --files "$build_dir/src/processor/codecanvas-processor $build_dir/src/cli/codecanvas-run $build_dir/tests/hostile $(pwd)/rootfs $(pwd)/profiles" \
      --env "CI=${CI:-}" --env "CODECANVAS_TIME_SLACK=20" --env "CODECANVAS_DATA_DIR=$(pwd)" \
      -- "$build_dir/tests/integration/codecanvas-integration-tests" --gtest_filter='-CgroupsTest.V1*' \
      2>&1 | tee "$logs/guest.txt"; then
    echo "== cgroup v2 guest: passed" >&2
  else
    echo "== cgroup v2 guest: FAILED" >&2
    status=1
  fi
fi

# GoogleTest's own summary lines of every binary in both stages, added up.
count() { cat "$logs"/*.txt 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' |
  sed -n "s/^\[  $1 *\] \([0-9][0-9]*\) tests\?[,.].*/\1/p" | awk '{s+=$1} END {print s+0}'; }
passed=$(count PASSED); failed=$(count FAILED); skipped=$(count SKIPPED)
[ $status = 0 ] || [ "$failed" -gt 0 ] || failed=1  # a stage failed without a test failing
echo "codecanvas tests: $passed passed, $failed failed, $skipped skipped"
exit $status
