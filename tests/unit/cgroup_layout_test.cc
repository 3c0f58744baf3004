// Unit tests of cgroup detection: real /proc/self/mountinfo and /proc/self/cgroup texts
// from the host shapes codecanvas meets (hybrid, pure v2, pure v1, none), and malformed
// input. No privileges needed.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cgroup/layout.h"
#include "cgroup/tree.h"

namespace codecanvas::cgroup {
namespace {

// Our build machines (kernel 6.18, Firecracker VM): every v1 controller in its own
// hierarchy, cgroup2 at /sys/fs/cgroup/unified with only hugetlb, memory cgroup nested.
constexpr const char* kHybridMountinfo =
    R"(22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334524k,nr_inodes=3083631,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684096k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684096k
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";
constexpr const char* kHybridCgroup = R"(9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/a53a5ce803391d74c50e562091f33f1d
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
)";

// Debian 12 with systemd: cgroup2 only, the server running as a service.
constexpr const char* kPureV2Mountinfo =
    R"(21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 26 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=4003880k,nr_inodes=1000970,mode=755,inode64
26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard,errors=remount-ro
28 21 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
29 21 0:26 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw
30 21 0:27 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:6 - bpf bpf rw,mode=700
)";
constexpr const char* kPureV2Cgroup = "0::/system.slice/codecanvas.service\n";
constexpr const char* kPureV2Controllers = "cpuset cpu io memory hugetlb pids rdma misc\n";

// CentOS 7 / Ubuntu 16.04 style v1: cpu and cpuacct mounted together, no cgroup2.
constexpr const char* kV1CombinedMountinfo =
    R"(18 61 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw,seclabel
24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,seclabel,mode=755
25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,seclabel,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,seclabel,cpu,cpuacct
29 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,seclabel,memory
30 24 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,seclabel,pids
31 24 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,seclabel,cpuset
61 0 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/centos-root rw,seclabel,attr2,inode64,noquota
)";
constexpr const char* kV1CombinedCgroup = R"(11:cpuset:/
10:pids:/user.slice
9:memory:/user.slice
4:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/user-0.slice/session-1.scope
)";

// A minimal container without any cgroup file system and a kernel without cgroups.
constexpr const char* kNoCgroupMountinfo =
    R"(100 99 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
101 100 0:52 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
102 100 0:53 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
)";

struct FakeControllers {
  std::string text;
  std::vector<std::string> asked = {};
  std::string operator()(const std::string& dir) {
    asked.push_back(dir);
    return text;
  }
};

CgroupLayout parseWith(const char* mountinfo, const char* cgroup, FakeControllers& fake) {
  return parseCgroupLayout(mountinfo, cgroup,
                           [&fake](const std::string& dir) { return fake(dir); });
}

const Placement kNone{};

TEST(CgroupLayout, HybridBuildMachine) {
  FakeControllers fake{"hugetlb\n"};
  CgroupLayout l = parseWith(kHybridMountinfo, kHybridCgroup, fake);
  EXPECT_EQ(l.memory, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/memory",
                                 "/process_api/a53a5ce803391d74c50e562091f33f1d"}));
  EXPECT_EQ(l.pids, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/pids", "/"}));
  // cpu accounting is cpuacct, not the separately mounted cpu hierarchy.
  EXPECT_EQ(l.cpu, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/cpuacct", "/"}));
  EXPECT_EQ(l.describe(), "memory=v1 pids=v1 cpu=v1");
  EXPECT_EQ(l.memory.ownDir(),
            "/sys/fs/cgroup/memory/process_api/a53a5ce803391d74c50e562091f33f1d");
  EXPECT_EQ(l.pids.ownDir(), "/sys/fs/cgroup/pids");
  ASSERT_EQ(fake.asked.size(), 1u);
  EXPECT_EQ(fake.asked[0], "/sys/fs/cgroup/unified");
}

TEST(CgroupLayout, HybridWithoutCpuacctFallsBackToUnifiedCpuStat) {
  std::string mountinfo = kHybridMountinfo;
  mountinfo.erase(mountinfo.find("33 31 0:30"), mountinfo.find("34 31") - mountinfo.find("33 31"));
  FakeControllers fake{"hugetlb\n"};
  CgroupLayout l = parseWith(mountinfo.c_str(), kHybridCgroup, fake);
  EXPECT_EQ(l.cpu, (Placement{CgroupVersion::kV2, "/sys/fs/cgroup/unified", "/"}));
  EXPECT_EQ(l.describe(), "memory=v1 pids=v1 cpu=v2");
}

TEST(CgroupLayout, PureV2SystemdService) {
  FakeControllers fake{kPureV2Controllers};
  CgroupLayout l = parseWith(kPureV2Mountinfo, kPureV2Cgroup, fake);
  const Placement v2{CgroupVersion::kV2, "/sys/fs/cgroup", "/system.slice/codecanvas.service"};
  EXPECT_EQ(l.memory, v2);
  EXPECT_EQ(l.pids, v2);
  EXPECT_EQ(l.cpu, v2);
  EXPECT_EQ(l.describe(), "memory=v2 pids=v2 cpu=v2");
  ASSERT_EQ(fake.asked.size(), 1u);
  EXPECT_EQ(fake.asked[0], "/sys/fs/cgroup/system.slice/codecanvas.service");
}

TEST(CgroupLayout, PureV2WithoutDelegatedControllers) {
  // A service without Delegate=yes typically sees no memory/pids in its cgroup.controllers,
  // but cpu.stat is a core file: cpu accounting still works.
  FakeControllers fake{"cpu io\n"};
  CgroupLayout l = parseWith(kPureV2Mountinfo, kPureV2Cgroup, fake);
  EXPECT_EQ(l.memory, kNone);
  EXPECT_EQ(l.pids, kNone);
  EXPECT_EQ(l.cpu.version, CgroupVersion::kV2);
  EXPECT_EQ(l.describe(), "memory=none pids=none cpu=v2");
}

TEST(CgroupLayout, PureV2EmptyControllersFile) {
  FakeControllers fake{""};
  CgroupLayout l = parseWith(kPureV2Mountinfo, "0::/\n", fake);
  EXPECT_EQ(l.describe(), "memory=none pids=none cpu=v2");
  EXPECT_EQ(l.cpu.ownDir(), "/sys/fs/cgroup");
}

TEST(CgroupLayout, ControllerNamesMustMatchWholeWords) {
  FakeControllers fake{"memoryx xpids\n"};
  CgroupLayout l = parseWith(kPureV2Mountinfo, kPureV2Cgroup, fake);
  EXPECT_EQ(l.memory, kNone);
  EXPECT_EQ(l.pids, kNone);
}

TEST(CgroupLayout, V1CombinedCpuCpuacct) {
  FakeControllers fake{"should not be asked"};
  CgroupLayout l = parseWith(kV1CombinedMountinfo, kV1CombinedCgroup, fake);
  EXPECT_EQ(l.memory, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/memory", "/user.slice"}));
  EXPECT_EQ(l.pids, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/pids", "/user.slice"}));
  EXPECT_EQ(l.cpu, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/cpu,cpuacct", "/user.slice"}));
  EXPECT_EQ(l.describe(), "memory=v1 pids=v1 cpu=v1");
  EXPECT_TRUE(fake.asked.empty());  // no cgroup2 mounted
}

TEST(CgroupLayout, NoCgroupsAtAll) {
  FakeControllers fake{kPureV2Controllers};
  CgroupLayout l = parseWith(kNoCgroupMountinfo, "", fake);
  EXPECT_EQ(l.memory, kNone);
  EXPECT_EQ(l.pids, kNone);
  EXPECT_EQ(l.cpu, kNone);
  EXPECT_EQ(l.describe(), "memory=none pids=none cpu=none");
  EXPECT_TRUE(fake.asked.empty());
  EXPECT_EQ(parseCgroupLayout("", "", nullptr).describe(), "memory=none pids=none cpu=none");
}

TEST(CgroupLayout, MountedButNotInProcSelfCgroup) {
  // A v1 mount whose hierarchy /proc/self/cgroup does not mention is not usable.
  FakeControllers fake{""};
  CgroupLayout l = parseWith(kV1CombinedMountinfo, "1:name=systemd:/\n", fake);
  EXPECT_EQ(l.describe(), "memory=none pids=none cpu=none");
}

TEST(CgroupLayout, BindMountedSubtreeStripsMountRoot) {
  // Docker without a cgroup namespace: the container sees its own sub-tree mounted, and
  // /proc/self/cgroup shows the full path.
  const char* mountinfo =
      "40 30 0:33 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
      "41 30 0:34 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids\n";
  const char* cgroup = "5:memory:/docker/abc/sub\n4:pids:/docker/abc\n";
  FakeControllers fake;
  CgroupLayout l = parseWith(mountinfo, cgroup, fake);
  EXPECT_EQ(l.memory, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/memory", "/sub"}));
  EXPECT_EQ(l.pids, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/pids", "/"}));
  // A mount root that is not a path prefix ("/docker/abcd" vs "/docker/abc") does not match.
  EXPECT_EQ(parseWith(mountinfo, "5:memory:/docker/abcd\n", fake).memory, kNone);
}

TEST(CgroupLayout, CgroupOutsideNamespaceRootIsUnusable) {
  FakeControllers fake{kPureV2Controllers};
  CgroupLayout l = parseWith(kPureV2Mountinfo, "0::/../../system.slice/x.service\n", fake);
  EXPECT_EQ(l.describe(), "memory=none pids=none cpu=none");
}

TEST(CgroupLayout, EscapedMountPointAndColonInPath) {
  const char* mountinfo =
      "41 31 0:38 / /srv/cg\\040v2 rw,relatime shared:1 master:2 - cgroup2 cgroup2 rw\n";
  FakeControllers fake{"memory pids"};
  CgroupLayout l = parseWith(mountinfo, "0::/a:b/c\n", fake);
  EXPECT_EQ(l.memory, (Placement{CgroupVersion::kV2, "/srv/cg v2", "/a:b/c"}));
  EXPECT_EQ(fake.asked.at(0), "/srv/cg v2/a:b/c");
}

TEST(CgroupLayout, MalformedLinesAreSkipped) {
  std::string mountinfo =
      "\n"
      "garbage\n"
      "1 2 3\n"
      "35 31 0:32 / /x rw - cgroup\n"                 // super options missing
      "35 31 0:32 / /y rw cgroup cgroup rw,memory\n"  // no separator
      "35 31 0:32 relative /z rw - cgroup cgroup rw,memory\n"
      "- - - - - - - - - -\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory";  // no final newline
  std::string cgroup =
      ":memory:/\n"
      "x:memory:/\n"
      "4memory/\n"
      "4:memory\n"
      "4:memory:relative\n"
      "4:memory:/ok";
  FakeControllers fake;
  CgroupLayout l = parseWith(mountinfo.c_str(), cgroup.c_str(), fake);
  EXPECT_EQ(l.memory, (Placement{CgroupVersion::kV1, "/sys/fs/cgroup/memory", "/ok"}));
  EXPECT_EQ(l.pids, kNone);

  // Binary noise and a lone backslash escape at the end must not crash either.
  std::string noise(512, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>(i * 37 % 256);
  parseCgroupLayout(noise, noise, [](const std::string&) { return std::string("\xff"); });
  parseCgroupLayout("1 2 0:1 / /a\\04 rw - cgroup2 cgroup2 rw\n", "0::/\n",
                    [](const std::string&) { return std::string(); });
}

TEST(CgroupLayout, DetectOnThisMachineSucceeds) {
  Result<CgroupLayout> l = detectCgroupLayout();
  ASSERT_TRUE(l.ok()) << l.error().message;
  std::printf("this machine: %s\n", l->describe().c_str());
}

TEST(CgroupFiles, ParseUint) {
  EXPECT_EQ(parseCgroupUint("123\n"), 123u);
  EXPECT_EQ(parseCgroupUint("0"), 0u);
  EXPECT_EQ(parseCgroupUint("max\n"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(parseCgroupUint("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(parseCgroupUint(""), std::nullopt);
  EXPECT_EQ(parseCgroupUint("-1"), std::nullopt);
  EXPECT_EQ(parseCgroupUint("12x"), std::nullopt);
  EXPECT_EQ(parseCgroupUint("99999999999999999999999"), std::nullopt);
}

TEST(CgroupFiles, ParseKeyedValue) {
  const char* oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
  EXPECT_EQ(parseKeyedValue(oom_control, "oom_kill"), 3u);
  EXPECT_EQ(parseKeyedValue(oom_control, "under_oom"), 0u);
  EXPECT_EQ(parseKeyedValue("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"), std::nullopt);
  const char* events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
  EXPECT_EQ(parseKeyedValue(events, "oom_kill"), 1u);
  EXPECT_EQ(parseKeyedValue("usage_usec 52086\nuser_usec 40000\n", "usage_usec"), 52086u);
  EXPECT_EQ(parseKeyedValue("usage_usec\n", "usage_usec"), std::nullopt);
}

TEST(CgroupHierarchies, GroupsResourcesByMount) {
  FakeControllers hybrid_fake{"hugetlb"};
  auto hybrid = hierarchiesOf(parseWith(kHybridMountinfo, kHybridCgroup, hybrid_fake));
  ASSERT_EQ(hybrid.size(), 3u);
  EXPECT_TRUE(hybrid[0].memory && !hybrid[0].pids && !hybrid[0].cpu);
  EXPECT_EQ(hybrid[0].own, "/process_api/a53a5ce803391d74c50e562091f33f1d");
  EXPECT_TRUE(hybrid[1].pids);
  EXPECT_TRUE(hybrid[2].cpu);
  EXPECT_EQ(hybrid[2].mount, "/sys/fs/cgroup/cpuacct");

  FakeControllers v2_fake{kPureV2Controllers};
  auto v2 = hierarchiesOf(parseWith(kPureV2Mountinfo, kPureV2Cgroup, v2_fake));
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_TRUE(v2[0].memory && v2[0].pids && v2[0].cpu);
  EXPECT_EQ(v2[0].version, CgroupVersion::kV2);

  EXPECT_TRUE(hierarchiesOf(CgroupLayout{}).empty());
}

}  // namespace
}  // namespace codecanvas::cgroup
