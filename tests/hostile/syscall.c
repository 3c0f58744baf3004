/* syscall NAME: make ONE dangerous system call and report if we are still alive.
 *
 * Each NAME is a system call (or ABI) a sandboxed program has no business using;
 * they are the classic ways out of a container or into the kernel's attack surface:
 *   ptrace process_vm_readv           reading or steering another process
 *   mount umount pivot_root chroot    rearranging the filesystem view
 *   unshare unshare_user setns        new or foreign namespaces (user namespaces
 *   clone_newuser clone_newns         give "root" and expose much kernel code)
 *   keyctl add_key request_key        the kernel keyring, shared across containers
 *   bpf perf_event_open io_uring_setup userfaultfd
 *                                     rich kernel interfaces, a history of exploits
 *   kexec_load init_module finit_module reboot swapon acct clock_settime
 *   settimeofday                      whole-machine state
 *   personality                       ADDR_NO_RANDOMIZE, disabling ASLR
 *   open_by_handle_at                 opening host files by handle ("shocker")
 *   quotactl_fd cachestat             host quota administration; the page-cache
 *                                     state of shared files (a side channel)
 *   x32 int80                         the x32 and i386 entry points, which a
 *                                     filter that only knows x86_64 numbers misses
 * Arguments are plausible; where a call changes global state the mildest variant
 * is used (reboot: disable Ctrl-Alt-Del; kexec_load: unload; clock: set the time it
 * already is), since the point is whether the call is reached at all.
 * Output: nothing if the call kills us; otherwise "<NAME> returned <ret> <ERRNONAME>"
 * (the errno name is "ok" when ret >= 0) and exit 3. Unknown NAME: "unknown", exit 2.
 * Sandbox should: kill the program with SIGSYS (seccomp), except for calls the
 * policy deliberately answers with an errno.
 * NEVER run it as root outside a sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/unistd.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>

static pid_t someOtherProcess(void)
{
    pid_t p = getppid();
    return p > 0 ? p : 1; /* a parent outside our pid namespace shows as 0 */
}

static long doPtrace(void) { return ptrace(PTRACE_ATTACH, someOtherProcess(), NULL, NULL); }
static long doMount(void) { return mount("none", "/tmp", "tmpfs", 0, NULL); }
static long doUmount(void) { return umount2("/tmp", MNT_DETACH); }
static long doPivotRoot(void) { return syscall(SYS_pivot_root, ".", "."); }
static long doChroot(void) { return chroot("/tmp"); }
static long doUnshare(void) { return unshare(CLONE_NEWNS); }
static long doUnshareUser(void) { return unshare(CLONE_NEWUSER); }

static long doSetns(void)
{
    int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    return setns(fd >= 0 ? fd : 0, CLONE_NEWNS);
}

static long doKeyctl(void)
{
    return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

static long doAddKey(void)
{
    return syscall(SYS_add_key, "user", "codecanvas", "x", 1, KEY_SPEC_PROCESS_KEYRING);
}

static long doRequestKey(void)
{
    return syscall(SYS_request_key, "user", "codecanvas", NULL, KEY_SPEC_PROCESS_KEYRING);
}

static long doBpf(void)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}

static long doPerfEventOpen(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static long doIoUringSetup(void)
{
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    return syscall(SYS_io_uring_setup, 4, &params);
}

/* No segments and no flags: unload the loaded kexec kernel, if any. */
static long doKexecLoad(void) { return syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL); }

static long doInitModule(void)
{
    static const char image[64] = "\177ELF";
    return syscall(SYS_init_module, image, sizeof image, "");
}

static long doFinitModule(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return syscall(SYS_finit_module, fd >= 0 ? fd : 0, "", 0);
}

static long doReboot(void)
{
    return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF,
                   NULL);
}

static long doSwapon(void) { return swapon("/box/swapfile", 0); }
static long doAcct(void) { return acct("/tmp/acct"); }
static long doUserfaultfd(void) { return syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK); }

static long doClockSettime(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return clock_settime(CLOCK_REALTIME, &now);
}

static long doSettimeofday(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return settimeofday(&now, NULL);
}

/* Raw clone without a new stack: the child continues like after fork(). */
static long cloneWith(unsigned long flags)
{
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0UL, NULL, NULL, 0UL);
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    return pid;
}

static long doCloneNewuser(void) { return cloneWith(CLONE_NEWUSER); }
static long doCloneNewns(void) { return cloneWith(CLONE_NEWNS); }

/* The kernel returns -errno from the raw entry points; make it look like libc. */
static long fromRaw(long ret)
{
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

static long doX32(void) { return syscall(__X32_SYSCALL_BIT | __NR_getpid); }

static long doInt80(void)
{
    long ret;
    /* i386 getpid is 20. The compat entry clobbers r8-r11. */
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
    return fromRaw(ret);
}

static long doPersonality(void) { return personality(ADDR_NO_RANDOMIZE); }

/* Numbers rather than SYS_ names: older C libraries do not name them. */
static long doQuotactlFd(void) { return syscall(443, 0, 0, 0, 0); }
static long doCachestat(void) { return syscall(451, 0, 0, 0, 0); }

static long doProcessVmReadv(void)
{
    char buf[64];
    struct iovec local = {buf, sizeof buf};
    struct iovec remote = {buf, sizeof buf}; /* same address in the other process */
    return process_vm_readv(someOtherProcess(), &local, 1, &remote, 1, 0);
}

static long doOpenByHandleAt(void)
{
    /* Inode 2 (the root directory of ext2/3/4), generation 0: the "shocker" probe. */
    struct file_handle *h = calloc(1, sizeof *h + 8);
    if (h == NULL)
        return -1;
    h->handle_bytes = 8;
    h->handle_type = 1; /* FILEID_INO32_GEN */
    h->f_handle[0] = 2;
    int mountFd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return syscall(SYS_open_by_handle_at, mountFd >= 0 ? mountFd : 0, h, O_RDONLY);
}

struct Probe {
    const char *name;
    long (*call)(void);
};

static const struct Probe kProbes[] = {
    {"ptrace", doPtrace},
    {"mount", doMount},
    {"umount", doUmount},
    {"pivot_root", doPivotRoot},
    {"chroot", doChroot},
    {"unshare", doUnshare},
    {"unshare_user", doUnshareUser},
    {"setns", doSetns},
    {"keyctl", doKeyctl},
    {"add_key", doAddKey},
    {"request_key", doRequestKey},
    {"bpf", doBpf},
    {"perf_event_open", doPerfEventOpen},
    {"io_uring_setup", doIoUringSetup},
    {"kexec_load", doKexecLoad},
    {"init_module", doInitModule},
    {"finit_module", doFinitModule},
    {"reboot", doReboot},
    {"swapon", doSwapon},
    {"acct", doAcct},
    {"userfaultfd", doUserfaultfd},
    {"clock_settime", doClockSettime},
    {"settimeofday", doSettimeofday},
    {"clone_newuser", doCloneNewuser},
    {"clone_newns", doCloneNewns},
    {"x32", doX32},
    {"int80", doInt80},
    {"personality", doPersonality},
    {"quotactl_fd", doQuotactlFd},
    {"cachestat", doCachestat},
    {"process_vm_readv", doProcessVmReadv},
    {"open_by_handle_at", doOpenByHandleAt},
};

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "";
    for (size_t i = 0; i < sizeof kProbes / sizeof kProbes[0]; i++) {
        if (strcmp(name, kProbes[i].name) != 0)
            continue;
        errno = 0;
        long ret = kProbes[i].call();
        const char *err = "ok";
        if (ret < 0) {
            err = strerrorname_np(errno);
            if (err == NULL)
                err = "E?";
        }
        printf("%s returned %ld %s\n", name, ret, err);
        return 3;
    }
    puts("unknown");
    return 2;
}
