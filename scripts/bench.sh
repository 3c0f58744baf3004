#!/usr/bin/env bash
# Sets up codecanvas and runs its benchmarks; prints their figures (as root).
#   scripts/bench.sh [SLOT_RUNS [HTTP_RUNS [WORKER_JOBS]]]   (slot, HTTP, then worker benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bench/codecanvas-slot-bench "${1:-500}"
build/bench/codecanvas-http-bench "${2:-100}"
build/bench/codecanvas-worker-bench "${3:-40}"
