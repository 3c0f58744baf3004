#!/usr/bin/env bash
# Sets up codecanvas (scripts/setup.sh) and starts the HTTP service on port 10100 with the
# default configuration (loopback only, one slot per CPU core). Extra arguments go to
# codecanvas-server (see build/src/http/codecanvas-server --help), e.g.
#   scripts/run.sh --bind 0.0.0.0      # open it to the network
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/src/http/codecanvas-server "$@"
