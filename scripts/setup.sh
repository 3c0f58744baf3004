#!/usr/bin/env bash
# Installs what codecanvas needs on Debian 12 (idempotent) and builds it into build/ and
# the web page into web/dist/. Run as root. Used by run.sh and test.sh; safe to run again
# at any time.
#
#   scripts/setup.sh [--tests] [--languages LIST]
#   --tests            also what the tests need (Chromium, the compat tests' npm clients)
#   --languages LIST   the toolchains of these language profiles only, e.g. c,c++,python3
#                      (names of profiles/languages/*.json; default: every profile, or
#                      $CODECANVAS_LANGUAGES). The server offers what is installed and says
#                      at start-up which languages it left out and why.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "codecanvas-setup: $*" >&2; }

tests=0
languages=${CODECANVAS_LANGUAGES:-all}
while [ $# -gt 0 ]; do
  case $1 in
    --tests) tests=1 ;;
    --languages)
      [ $# -ge 2 ] || { say "--languages needs a list, e.g. c,c++,python3"; exit 2; }
      languages=$2
      shift ;;
    *) say "unknown option $1 (see the top of scripts/setup.sh)"; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" != 0 ]; then
  say "please run as root (apt-get, and later namespaces, mounts and cgroups need it)"
  exit 2
fi

# Build and test dependencies, all from Debian's archive.
packages=(
  meson ninja-build pkg-config g++ libc6-dev
  libseccomp-dev libcap-dev libboost-dev libcpp-httplib-dev nlohmann-json3-dev libgtest-dev
  libssl-dev librabbitmq-dev
  # The libFuzzer target over request parsing (scripts/fuzz.sh): clang only recommends
  # the package with libFuzzer and the sanitizer runtimes.
  clang libclang-rt-14-dev
  # The pure cgroup v2 test guest (scripts/cgroup2-vm.sh).
  qemu-system-x86 cpio
  # Reads the language profiles below; runs the web page's bundler.
  python3 nodejs
)
# npm bundles the web page (CodeMirror from the npm registry). Debian ships it apart from
# nodejs; a nodejs from elsewhere (NodeSource) brings its own and conflicts with it.
command -v npm >/dev/null 2>&1 || packages+=(npm)
# The web page's end-to-end test drives Debian's Chromium headless.
[ $tests = 1 ] && packages+=(chromium)
export DEBIAN_FRONTEND=noninteractive
updated=0
install_missing() {  # install_missing WHAT PACKAGE...
  local what=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing $what: ${missing[*]}"
  if [ $updated = 0 ]; then
    apt-get update -qq
    updated=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
install_missing "build and test dependencies" "${packages[@]}"

# The worker mode's tests start brokers of their own (tests/integration/rabbitmq_server.h);
# the package's default instance must not start, on install or ever: policy-rc.d refuses
# the start for the install, and the service is masked where systemd runs.
if [ $tests = 1 ] && ! dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null |
                      grep -q 'install ok installed'; then
  say "installing the test broker: rabbitmq-server (its default instance stays stopped)"
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e $policy ] && had_policy=1
  [ $had_policy = 1 ] || { printf '#!/bin/sh\nexit 101\n' > $policy; chmod 755 $policy; }
  [ $updated = 1 ] || { apt-get update -qq; updated=1; }
  apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null ||
    { [ $had_policy = 1 ] || rm -f $policy; say "apt-get install rabbitmq-server failed"; exit 1; }
  [ $had_policy = 1 ] || rm -f $policy
  if [ -d /run/systemd/system ]; then
    systemctl stop rabbitmq-server >/dev/null 2>&1 || true
    systemctl mask rabbitmq-server >/dev/null 2>&1 || true
  fi
fi

# The toolchains: each profile's "packages" (python3 reads the JSON).
toolchains=$(python3 - "$languages" <<'PY'
import json, pathlib, sys
wanted = sys.argv[1]
profiles = {}
for f in sorted(pathlib.Path("profiles/languages").glob("*.json")):
    p = json.loads(f.read_text())
    profiles[p["name"]] = p
    for a in p.get("aliases", []):
        profiles.setdefault(a, p)
names = list(profiles) if wanted == "all" else [n.strip().lower() for n in wanted.split(",") if n.strip()]
unknown = [n for n in names if n not in profiles]
if unknown:
    sys.exit("unknown language(s): " + ", ".join(unknown) + "; profiles/languages has " +
             ", ".join(sorted({p["name"] for p in profiles.values()})))
for n in names:
    for pkg in profiles[n].get("packages", []):
        print(pkg)
PY
) || { say "--languages: see the message above"; exit 2; }
mapfile -t toolchains < <(printf '%s\n' "$toolchains" | sort -u)
started=$(date +%s)
disk_before=$(df -k --output=used / | tail -1)
install_missing "language toolchains ($languages)" "${toolchains[@]}"
took=$(($(date +%s) - started))
if [ $took -gt 1 ]; then
  say "language toolchains installed in ${took} s, $(( ($(df -k --output=used / | tail -1) - disk_before) / 1024 )) MiB of disk"
fi

# C++'s precompiled header: bits/stdc++.h (which includes every standard header) compiled
# once with the c++ profile's code-generation flags (-O2 -std=gnu++17). The profile adds
# -I PCH_DIR; g++ takes PCH_DIR/bits/stdc++.h.gch for an #include <bits/stdc++.h> when the
# flags match and the real header otherwise, so a stale or missing file only costs time.
# Slots see it read-only under /usr. Rebuilt when g++ or the header is newer.
pch_dir=/usr/local/lib/codecanvas/pch
if command -v g++ >/dev/null 2>&1; then
  header=$(echo '#include <bits/stdc++.h>' | g++ -std=gnu++17 -x c++ -M - 2>/dev/null |
           tr ' \\' '\n\n' | grep 'bits/stdc++\.h$' | head -1 || true)
  gch=$pch_dir/bits/stdc++.h.gch
  if [ -n "$header" ] && { [ ! -f "$gch" ] || [ "$header" -nt "$gch" ] ||
                           [ "$(readlink -f "$(command -v g++)")" -nt "$gch" ]; }; then
    say "precompiling $header for the c++ profile into $gch"
    mkdir -p "$pch_dir/bits"
    g++ -O2 -std=gnu++17 -x c++-header "$header" -o "$gch.tmp"
    chmod 644 "$gch.tmp"
    mv "$gch.tmp" "$gch"
  fi
fi

# Java's class-data-sharing archive: the JDK classes a typical submission loads at start-up
# (scripts/java/Warmup.java), dumped on top of the JDK's own archive by a run with the java
# profile's flags. The profile names it with -XX:SharedArchiveFile; a JVM that cannot map
# it (missing, or made by another JDK build) starts without it, silently, so the output
# is the same either way. Slots see it read-only under /usr. Rebuilt when java or the
# warm-up program is newer.
cds_dir=/usr/local/lib/codecanvas/cds
if command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
  jsa=$cds_dir/java.jsa
  if [ ! -f "$jsa" ] || [ scripts/java/Warmup.java -nt "$jsa" ] ||
     [ "$(readlink -f "$(command -v java)")" -nt "$jsa" ]; then
    say "dumping the java profile's class-data-sharing archive into $jsa"
    mkdir -p "$cds_dir"
    warm=$(mktemp -d)
    cp scripts/java/Warmup.java "$warm/"
    (cd "$warm" && javac -encoding UTF-8 Warmup.java &&
       echo "codecanvas 1 2" | java -XX:+UseSerialGC -XX:-UsePerfData -Xss64m \
         -XX:ArchiveClassesAtExit="$jsa.tmp" -cp . Warmup >/dev/null 2>&1) ||
      say "the java archive could not be dumped; java starts without it"
    rm -rf "$warm"
    if [ -f "$jsa.tmp" ]; then chmod 644 "$jsa.tmp" && mv "$jsa.tmp" "$jsa"; fi
  fi
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
if [ $tests = 1 ] && { [ ! -f tests/compat/node_modules/.package-lock.json ] ||
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
