#!/usr/bin/env bash
# cgroup2-vm.sh - run a program (typically a whole test suite) as root inside a
# throwaway qemu guest whose /sys/fs/cgroup is a PURE cgroup v2 hierarchy with every
# controller enabled in the root's cgroup.subtree_control, and exit with its status.
#
# Why: build machines are often hybrid (cpu, memory, pids on cgroup v1) while
# production hosts are pure v2. This boots Debian bookworm's cloud kernel (6.1) with
# busybox under software emulation (tcg), so the v2 back end can be tested anywhere
# qemu runs, without KVM and without touching the host's cgroups.
#
# usage: scripts/cgroup2-vm.sh [OPTIONS] -- PROGRAM [ARGS...]
#
#   --files "F1 F2 DIR..."  host files and directories copied into the guest at the
#                        SAME absolute paths (repeatable; space-separated). Every
#                        dynamically linked ELF among them (also inside directories)
#                        and PROGRAM itself get their ldd libraries packed along.
#   --env K=V            environment variable for PROGRAM (repeatable), e.g. CI=true
#   --timeout S          kill the guest after S seconds, boot included (default 600)
#   --mem MiB            guest RAM (default 1024)
#   --smp N              guest CPUs (default 2)
#   --cgroup NAME        run PROGRAM in /sys/fs/cgroup/NAME (created) instead of the
#                        root cgroup, like a service under systemd
#   --initramfs-root     keep the initramfs (rootfs) as "/" instead of switching to
#                        a tmpfs root; there pivot_root(2) fails with EINVAL, so this
#                        tests a sandbox's chroot fallback
#   --loglevel N         guest kernel console loglevel (default 3; 4 adds OOM reports)
#   --kernel BZIMAGE     boot this kernel instead of Debian's linux-image-cloud-amd64
#   --accel tcg|kvm      default tcg; KVM does not work on every build machine
#   --append "ARGS"      extra guest kernel command line arguments
#   --quiet              no timing lines from this script on stderr
#   -h, --help           this text
#
# PROGRAM (an executable; a relative path is taken from the current directory) is
# placed at its absolute host path too, and runs as root in the guest's root
# cgroup with cwd = this shell's cwd (created in the guest), stdin </dev/null,
# stdout and stderr on the guest's serial console, which is streamed to this
# script's stdout with "\r" stripped (the guest's init adds a few lines of its
# own, each starting with "codecanvas-vm:", and kernel messages may appear).
# Environment: PATH, HOME=/root, TMPDIR=/tmp, plus --env. So a test binary that
# knows build-tree paths works unchanged.
#
# The guest: /proc, /sys, devtmpfs /dev (null zero full random urandom, /dev/pts,
# /dev/shm), tmpfs /tmp and /run, cgroup2 at /sys/fs/cgroup (nsdelegate; cgroup v1
# disabled on the kernel command line), lo up, hostname codecanvas-vm, minimal
# /etc/passwd, /etc/group, /etc/hosts unless --files brings its own, busybox
# applets in /.codecanvas-vm/bin (last in PATH) and /bin/sh if none was given.
#
# Root filesystem (default): the guest's init first moves the initramfs contents
# into a tmpfs and switch_roots into it, so "/" is an ordinary mount and a
# sandbox's pivot_root(2) works as on a real host. --initramfs-root skips this.
#
# Exit status: PROGRAM's own (128+N if killed by signal N); 124 if --timeout ran
# out; 125 if the guest reported nothing (kernel panic, qemu failure, bad usage).
#
# Needs: qemu-system-x86 and cpio (installed with apt-get when missing, as root),
# apt-get download for the kernel and busybox-static (unpacked with dpkg-deb -x,
# never installed) into the cache: $CODECANVAS_VM_CACHE or
# ${XDG_CACHE_HOME:-$HOME/.cache}/codecanvas-vm. First run: a few seconds more.
# Boot takes a few seconds; CPU-bound work is ~15x slower than on the host.
set -euo pipefail

die() { echo "cgroup2-vm: $*" >&2; exit 125; }
say() { [ "$QUIET" = 1 ] || echo "cgroup2-vm: $*" >&2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Single-quote a string for a POSIX shell (busybox sh reads it in the guest).
shquote() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

FILES=() ENVS=() TIMEOUT=600 MEM=1024 SMP=2 CGROUP="" TMPFS_ROOT=1 LOGLEVEL=3
KERNEL="" ACCEL=tcg QUIET=0 APPEND=""
while [ $# -gt 0 ]; do
  case $1 in
    --files) [ $# -ge 2 ] || die "--files needs a value"
             read -r -a more <<<"$2"; FILES+=("${more[@]}"); shift 2 ;;
    --env) [ $# -ge 2 ] || die "--env needs K=V"; ENVS+=("$2"); shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --mem) MEM=${2:?}; shift 2 ;;
    --smp) SMP=${2:?}; shift 2 ;;
    --cgroup) CGROUP=${2:?}; shift 2 ;;
    --initramfs-root) TMPFS_ROOT=0; shift ;;
    --loglevel) LOGLEVEL=${2:?}; shift 2 ;;
    --kernel) KERNEL=${2:?}; shift 2 ;;
    --accel) ACCEL=${2:?}; shift 2 ;;
    --append) APPEND=${2?}; shift 2 ;;
    --quiet) QUIET=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "usage: $0 [OPTIONS] -- PROGRAM [ARGS...] (see --help)"
for n in "$TIMEOUT" "$MEM" "$SMP" "$LOGLEVEL"; do
  [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
for kv in "${ENVS[@]}"; do
  [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=value, got: $kv"
done
[[ -z $CGROUP || $CGROUP =~ ^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$ ]] || die "bad --cgroup: $CGROUP"
PROGRAM=$(realpath -s -- "$1"); shift
if [ ! -f "$PROGRAM" ] || [ ! -x "$PROGRAM" ]; then die "not an executable file: $PROGRAM"; fi
for f in "${FILES[@]}"; do [ -e "$f" ] || die "--files: no such file or directory: $f"; done
CACHE=${CODECANVAS_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codecanvas-vm}
T0=$(now_ms)

# ---- host tools -----------------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "please install: ${missing[*]} (apt-get install ${missing[*]})"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
fi

# ---- kernel and static busybox: .debs unpacked into the cache, never installed ----
mkdir -p "$CACHE"
fetch_deb() {  # fetch_deb PACKAGE DEST
  local pkg=$1 dest=$2 dl
  dl=$(mktemp -d "$CACHE/download.XXXXXX")
  chmod 755 "$dl"   # so apt's unprivileged _apt user may write there
  if ! (cd "$dl" && apt-get download -qq "$pkg" >/dev/null 2>&1); then
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$dl" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
      { rm -rf "$dl"; die "apt-get download $pkg failed (is $pkg in your apt sources?)"; }
  fi
  dpkg-deb -x "$dl"/*.deb "$dl/root" || { rm -rf "$dl"; die "dpkg-deb -x $pkg failed"; }
  rm -rf "$dest" && mv "$dl/root" "$dest" && rm -rf "$dl"
}
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
if [ -z "$KERNEL" ]; then
  KERNEL=$(ls "$CACHE"/kernel/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
  if [ -z "$KERNEL" ]; then
    kpkg=$(kernel_package)
    [ -n "$kpkg" ] || { apt-get update -qq >/dev/null 2>&1 || true; kpkg=$(kernel_package); }
    [ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64 (apt-get update? Debian sources?)"
    say "fetching $kpkg into $CACHE"
    fetch_deb "$kpkg" "$CACHE/kernel"
    rm -rf "$CACHE/kernel/lib" "$CACHE/kernel/usr"  # modules: all we need is built in
    KERNEL=$(ls "$CACHE"/kernel/boot/vmlinuz-* | head -n1)
  fi
fi
[ -r "$KERNEL" ] || die "kernel not readable: $KERNEL"
BUSYBOX=$CACHE/busybox/bin/busybox
if [ ! -x "$BUSYBOX" ]; then
  say "fetching busybox-static into $CACHE"
  fetch_deb busybox-static "$CACHE/busybox"
fi

# ---- the guest's root, packed as one uncompressed initramfs ----------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codecanvas-vm.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
R=$WORK/root
V=$R/.codecanvas-vm
mkdir -p "$R"/{dev,proc,sys,tmp,run,root,etc} "$V/bin"
chmod 1777 "$R/tmp"
cp "$BUSYBOX" "$V/bin/busybox"
# Mirror the host's merged-/usr links (/bin -> usr/bin, ...) so copied paths resolve
# the same way in the guest as on the host.
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"; mkdir -p "$R/$(readlink -f "/$d")"; fi
done
if [ "$(id -u)" = 0 ]; then  # a console before devtmpfs is mounted; else init does it
  mknod -m 600 "$R/dev/console" c 5 1
  mknod -m 666 "$R/dev/null" c 1 3
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$R/etc/hosts"

# copy_in PATH: a host file or directory to the same absolute path under $R.
copy_in() {
  local src
  src=$(realpath -s -- "$1")
  # From / with a relative source: cp --parents (coreutils 9.1) otherwise resolves
  # the parents against the cwd when preserving their attributes.
  if [ -L "$src" ] && [ -d "$src" ]; then   # the link itself, then what it points to
    (cd / && cp -a --parents -- "${src#/}" "$R")
    copy_in "$(realpath -- "$src")"
  elif [ -d "$src" ]; then
    (cd / && cp -a --parents -- "${src#/}" "$R")
  else   # a single file: its content, even when given through a symlink
    (cd / && cp -L --preserve=mode,timestamps --parents -- "${src#/}" "$R")
  fi
}
# Every dynamically linked ELF file among the payload gets its libraries along.
declare -A LIBS=()
add_libs() {  # add_libs FILE
  local magic lib deps
  magic=$(LC_ALL=C head -c 4 -- "$1" 2>/dev/null | tr -d '\0') || return 0
  [ "$magic" = $'\x7fELF' ] || return 0
  deps=$(ldd -- "$1" 2>&1 || true)
  [[ $deps != *"not a dynamic executable"* ]] || return 0   # static
  while read -r lib; do LIBS[$lib]=1; done < <(grep -o '/[^ ]*' <<<"$deps" || true)
  if grep -q 'not found' <<<"$deps"; then
    echo "cgroup2-vm: warning: ldd cannot find libraries of $1:" >&2
    grep 'not found' <<<"$deps" >&2 || true
  fi
}
copy_in "$PROGRAM"
add_libs "$PROGRAM"
for f in "${FILES[@]}"; do
  copy_in "$f"
  while IFS= read -r -d '' g; do add_libs "$g"; done < <(find -H "$f" -type f -print0)
done
for lib in "${!LIBS[@]}"; do (cd / && cp -L --parents -- "${lib#/}" "$R"); done
[ -e "$R/bin/sh" ] || { mkdir -p "$R/bin"; ln -s /.codecanvas-vm/bin/busybox "$R/bin/sh"; }

# What init needs to know, as shell assignments (all values single-quoted).
{
  echo "PROGRAM=$(shquote "$PROGRAM")"
  echo "GUEST_CWD=$(shquote "$(pwd)")"
  echo "CGROUP=$(shquote "$CGROUP")"
  echo "TMPFS_ROOT=$TMPFS_ROOT"
  printf 'set --'; for a in "$@"; do printf ' %s' "$(shquote "$a")"; done; echo
} >"$V/run.conf"
for kv in "${ENVS[@]}"; do
  echo "export ${kv%%=*}=$(shquote "${kv#*=}")"
done >"$V/run.env"

cat >"$R/init" <<'INIT'
#!/.codecanvas-vm/bin/busybox sh
# PID 1 of the codecanvas-vm guest (written by scripts/cgroup2-vm.sh).
# Stage 1 (initramfs root): unless disabled, move everything into a tmpfs and
# switch_root there, because pivot_root(2) refuses the initramfs root (EINVAL).
# Stage 2: mount the API filesystems and a pure cgroup2 hierarchy, enable every
# controller, run the program, report its status on ttyS1 and power off.
BB=/.codecanvas-vm/bin/busybox
export PATH=/.codecanvas-vm/bin
[ -e /.codecanvas-vm/bin/mount ] || $BB --install -s /.codecanvas-vm/bin
stage=${1:-}
. /.codecanvas-vm/run.conf   # sets PROGRAM GUEST_CWD CGROUP TMPFS_ROOT and "$@"
# In stage 2 /dev is already the devtmpfs that stage 1 moved over.
[ "$(stat -c %d /dev)" != "$(stat -c %d /)" ] || mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1

if [ "$stage" != stage2 ] && [ "$TMPFS_ROOT" = 1 ]; then
  mkdir /newroot
  mount -t tmpfs -o mode=0755,size=90% tmpfs /newroot
  for e in /* /.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    case $e in
      /newroot|/dev|/proc|/sys) mkdir -p "/newroot$e" ;;
      /init|/.codecanvas-vm) cp -a "$e" /newroot/ ;;   # still in use: copy, not move
      *) mv "$e" /newroot/ ;;                          # one copy at a time, less RAM
    esac
  done
  mount --move /dev /newroot/dev
  exec switch_root -c /dev/console /newroot /init stage2
  echo "codecanvas-vm: switch_root failed"
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# /tmp and /run become tmpfs; files the payload put there move over.
for d in /tmp /run; do
  mkdir -p "$d" /.codecanvas-vm/mnt
  mount -t tmpfs -o mode=$([ $d = /tmp ] && echo 1777 || echo 0755) tmpfs /.codecanvas-vm/mnt
  for e in "$d"/* "$d"/.[!.]*; do [ -e "$e" ] || [ -L "$e" ] && mv "$e" /.codecanvas-vm/mnt/; done
  mount --move /.codecanvas-vm/mnt "$d"
done
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control ||
    echo "codecanvas-vm: cannot enable cgroup controller $c"
done
ip link set lo up
hostname codecanvas-vm

echo "codecanvas-vm: guest up $(cut -d' ' -f1 /proc/uptime)s, kernel $(uname -r)," \
  "root: $([ "$TMPFS_ROOT" = 1 ] && echo 'tmpfs (switch_root)' || echo 'initramfs (no pivot_root)')," \
  "cgroup2 subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
mkdir -p "$GUEST_CWD"
cd "$GUEST_CWD"
cg_procs=/dev/null
if [ -n "$CGROUP" ]; then
  mkdir -p "/sys/fs/cgroup/$CGROUP" && cg_procs=/sys/fs/cgroup/$CGROUP/cgroup.procs
fi
env_cmd() {  # run the program in a child whose own pid joins the cgroup first
  export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/.codecanvas-vm/bin
  export HOME=/root TMPDIR=/tmp
  . /.codecanvas-vm/run.env
  exec $BB sh -c 'echo $$ >"$0" && exec "$@"' "$cg_procs" "$PROGRAM" "$@"
}
(env_cmd "$@")
rc=$?
echo "codecanvas-vm: program exited $rc at guest uptime $(cut -d' ' -f1 /proc/uptime)s"
echo "CODECANVAS_VM_EXIT=$rc" >/dev/ttyS1
sync
poweroff -f
INIT
chmod 755 "$R/init"
(cd "$R" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) >"$WORK/initrd.cpio"

# ---- boot -----------------------------------------------------------------------
case $ACCEL in
  kvm) ACC=(-accel kvm -cpu host) ;;
  tcg) ACC=(-accel tcg -cpu max) ;;
  *) die "--accel must be tcg or kvm" ;;
esac
say "booting $(basename "$KERNEL") under $ACCEL, initramfs $(( $(stat -c %s "$WORK/initrd.cpio") / 1048576 )) MiB (prep $(( $(now_ms) - T0 )) ms)"
T1=$(now_ms)
set +e
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${ACC[@]}" -M pc -m "$MEM" -smp "$SMP" \
  -nodefaults -no-user-config -display none -monitor none -no-reboot \
  -kernel "$KERNEL" -initrd "$WORK/initrd.cpio" \
  -append "console=ttyS0 panic=-1 oops=panic quiet loglevel=$LOGLEVEL cgroup_no_v1=all rdinit=/init $APPEND" \
  -serial stdio -serial "file:$WORK/status" </dev/null | sed -u 's/\r//g'
qrc=${PIPESTATUS[0]}
set -e
say "qemu exited $qrc after $(( $(now_ms) - T1 )) ms (total $(( $(now_ms) - T0 )) ms)"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "cgroup2-vm: TIMEOUT after ${TIMEOUT}s" >&2
  exit 124
fi
st=$(grep -ao 'CODECANVAS_VM_EXIT=[0-9]*' "$WORK/status" 2>/dev/null | tail -n1 | cut -d= -f2 || true)
[ -n "$st" ] || die "guest reported no exit status (qemu exit $qrc: kernel panic or qemu error?)"
exit "$st"
