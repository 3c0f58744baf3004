#!/usr/bin/env bash
# Installs what codecanvas needs on Debian 12 (idempotent) and builds it into build/ and
# the web page into web/dist/. Run as root. Used by run.sh and test.sh (which passes
# --tests: Chromium for the web page's browser test); safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "codecanvas-setup: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "please run as root (apt-get, and later namespaces, mounts and cgroups need it)"
  exit 2
fi

# Build and test dependencies, all from Debian's archive.
packages=(
  meson ninja-build pkg-config g++ libc6-dev
  libseccomp-dev libcap-dev libboost-dev libcpp-httplib-dev nlohmann-json3-dev libgtest-dev
  # The libFuzzer target over request parsing (scripts/fuzz.sh): clang only recommends
  # the package with libFuzzer and the sanitizer runtimes.
  clang libclang-rt-14-dev
  # The pure cgroup v2 test guest (scripts/cgroup2-vm.sh).
  qemu-system-x86 cpio
  # The toolchains of the language profiles in profiles/languages.
  bash gcc g++ python3 nodejs default-jdk-headless golang-go
)
# npm bundles the web page (CodeMirror from the npm registry). Debian ships it apart from
# nodejs; a nodejs from elsewhere (NodeSource) brings its own and conflicts with it.
command -v npm >/dev/null 2>&1 || packages+=(npm)
# The web page's end-to-end test drives Debian's Chromium headless.
[ "${1:-}" = --tests ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The web page: dependencies as pinned by web/package-lock.json (again only when the lock
# file changed), then the bundle (again only when a source is newer than it).
if [ ! -f web/node_modules/.package-lock.json ] ||
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  say "installing the web page's npm packages (web/package-lock.json)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ ! -f web/dist/index.html ] ||
   [ -n "$(find web/src web/index.html web/build.mjs web/package-lock.json -newer web/dist/index.html -print -quit)" ]; then
  say "bundling the web page into web/dist"
  (cd web && node build.mjs >/dev/null)
fi

# The real clients of the APIs codecanvas is compatible with (tests/compat/package-lock.json),
# for the compat tests.
if [ "${1:-}" = --tests ] && { [ ! -f tests/compat/node_modules/.package-lock.json ] ||
   [ tests/compat/package-lock.json -nt tests/compat/node_modules/.package-lock.json ]; }; then
  say "installing the compat tests' npm clients (tests/compat/package-lock.json)"
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ ! -f build/build.ninja ]; then
  say "configuring build/"
  meson setup build -Dtests=enabled >/dev/null
fi
say "building"
ninja -C build >/dev/null
say "built: build/src/http/codecanvas-server, build/src/cli/codecanvas, build/src/cli/codecanvas-run, build/src/processor/codecanvas-processor, web/dist"
