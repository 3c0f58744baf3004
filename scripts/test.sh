#!/usr/bin/env bash
# Sets up codecanvas (scripts/setup.sh) and runs the whole test suite:
#   1. unit and integration tests on this host (meson test),
#   2. the integration tests again inside a throwaway qemu guest whose cgroups are pure
#      v2 (scripts/cgroup2-vm.sh), so both cgroup back ends are tested for real.
# With CI=true a test that cannot run (missing kernel feature, no qemu) fails instead of
# skipping. Set CODECANVAS_SKIP_VM=1 to leave out step 2 (it says so when it does).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

status=0
echo "== host tests (cgroup layout: $(grep -c cgroup /proc/self/mountinfo) cgroup mounts)" >&2
meson test -C build --print-errorlogs --num-processes 1 || status=1

if [ "${CODECANVAS_SKIP_VM:-0}" = 1 ]; then
  echo "== cgroup v2 guest: NOT RUN (CODECANVAS_SKIP_VM=1)" >&2
  [ "${CI:-}" = true ] && status=1
else
  echo "== cgroup v2 guest: integration tests under a pure cgroup v2 hierarchy" >&2
  build_dir=$(pwd)/build
  if scripts/cgroup2-vm.sh --timeout 1200 --mem 2048 \
      --files "$build_dir/src/processor/codecanvas-processor $build_dir/src/cli/codecanvas-run $build_dir/tests/hostile $(pwd)/rootfs $(pwd)/profiles" \
      --env "CI=${CI:-}" --env "CODECANVAS_TIME_SLACK=20" --env "CODECANVAS_DATA_DIR=$(pwd)" \
      -- "$build_dir/tests/integration/codecanvas-integration-tests"; then
    echo "== cgroup v2 guest: passed" >&2
  else
    echo "== cgroup v2 guest: FAILED" >&2
    status=1
  fi
fi
if [ $status = 0 ]; then echo "codecanvas: all test stages passed"; else echo "codecanvas: some test stage FAILED"; fi
exit $status
