#!/usr/bin/env bash
# install.sh - install codecanvas on this machine, to run under systemd (docs/deploy.md).
#
#   scripts/install.sh               build (scripts/setup.sh), then install
#   scripts/install.sh --skip-setup  the same without scripts/setup.sh (it ran already)
#   scripts/install.sh --uninstall   remove what it installed; keeps /etc/codecanvas
#   scripts/install.sh --uninstall --purge   also remove /etc/codecanvas
#
# Installs, under PREFIX (default /usr/local): bin/codecanvas-server, codecanvas-worker,
# codecanvas-processor, codecanvas-run and codecanvas; share/codecanvas/ (profiles, rootfs
# manifest, web page); share/doc/codecanvas/deploy.md. Then codecanvas-server.service and
# codecanvas-worker.service in /etc/systemd/system and, where they do not exist yet,
# /etc/codecanvas/server.json and worker.json (an operator's file is never overwritten).
# Idempotent: run it again after a `git pull` to update. It enables nothing: `systemctl
# enable --now codecanvas-server` (and, on a worker machine, codecanvas-worker) is the
# operator's step.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local}
build=build-install
uninstall=0
purge=0
setup=1
for a in "$@"; do
  case $a in
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    --skip-setup) setup=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "codecanvas-install: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (it writes to $prefix and /etc)"; exit 1; }
systemd_running() { [ -d /run/systemd/system ]; }

if [ $uninstall = 1 ]; then
  for unit in codecanvas-server codecanvas-worker; do
    if systemd_running && systemctl list-unit-files $unit.service >/dev/null 2>&1; then
      systemctl disable --now $unit.service >/dev/null 2>&1 || true
    fi
  done
  if [ -f "$build/meson-logs/install-log.txt" ]; then
    say "removing the files listed in $build/meson-logs/install-log.txt"
    grep -v '^#' "$build/meson-logs/install-log.txt" | while read -r f; do rm -f -- "$f"; done
  fi
  rm -rf -- "$prefix/share/codecanvas" "$prefix/share/doc/codecanvas"
  rm -f -- /etc/systemd/system/codecanvas-server.service /etc/systemd/system/codecanvas-worker.service
  if [ $purge = 1 ]; then
    rm -rf -- /etc/codecanvas
    say "removed /etc/codecanvas"
  else
    [ -d /etc/codecanvas ] && say "kept /etc/codecanvas (--purge removes it)"
  fi
  systemd_running && systemctl daemon-reload || true
  say "uninstalled"
  exit 0
fi

# The packages, the web page's bundle and a checked build tree (scripts/setup.sh is
# idempotent); then a release build of its own, which looks for its data under PREFIX.
[ $setup = 1 ] && scripts/setup.sh
start=$(date +%s)
options=(--prefix "$prefix" --buildtype release -Dtests=disabled
         "-Ddata_dir=$prefix/share/codecanvas")
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" "${options[@]}" >/dev/null
else
  say "configuring $build/"
  meson setup "$build" "${options[@]}" >/dev/null
fi
say "building $build/"
meson compile -C "$build" >/dev/null
say "installing to $prefix and /etc/systemd/system"
meson install -C "$build" --no-rebuild --quiet
for conf in server worker; do
  if [ ! -f /etc/codecanvas/$conf.json ]; then
    install -D -m 0644 deploy/$conf.json /etc/codecanvas/$conf.json
    say "wrote /etc/codecanvas/$conf.json (edit it, then restart codecanvas-$conf)"
  else
    say "kept /etc/codecanvas/$conf.json"
  fi
done
if systemd_running; then
  systemctl daemon-reload
  say "installed; start it with: systemctl enable --now codecanvas-server"
  say "on a worker machine (set \"broker\" in /etc/codecanvas/worker.json first):"
  say "  systemctl enable --now codecanvas-worker"
else
  say "installed; systemd is not running here: start $prefix/bin/codecanvas-server by hand"
fi
say "done in $(( $(date +%s) - start )) s"
