#!/usr/bin/env bash
# Sets up codecanvas (scripts/setup.sh) and starts it with the default configuration.
# Until the HTTP service lands, "starting" means the sandbox self-check: a slot is built
# and a program is run in it, the result printed as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "codecanvas: sandbox self-check (the HTTP service on port 10100 is not built yet)" >&2
exec build/src/cli/codecanvas-run -- /bin/sh -c 'echo "hello from $(id -u) in $(pwd)"'
