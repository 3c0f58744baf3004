#!/usr/bin/env bash
# Sets up codecanvas and runs its benchmarks; prints their figures (as root).
#   scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/bench/codecanvas-slot-bench "${1:-500}"
