// Reads host files from Node: the password hashes, the host's SSH keys and machine
// identity, the host's environment through /proc/1 (in the slot, the keeper's), and
// lists / to show what the slot's root holds.
// Attacks: file system isolation from another runtime.
// Sandbox should: show none of the host files (ENOENT: not in the rootfs manifest),
// deny /proc/1/environ (EACCES), and list only the slot's own root: /box, /dev, /etc,
// /proc, /tmp, /usr and the manifest's optional paths that exist on this host.
// limits: cpu_ms=2000 wall_ms=4000
// expect: status=ok
// expect: stdout-contains=/etc/shadow: ENOENT\n/etc/ssh: ENOENT\n/etc/machine-id: ENOENT\n/var/log: ENOENT\n/home: ENOENT\n/proc/1/environ: EACCES\n
// expect: stdout-line=/: (bin,)?box,dev,etc,(lib,)?(lib32,)?(lib64,)?(libx32,)?(opt,)?proc,(sbin,)?tmp,usr(,var)?
const fs = require("fs");

for (const path of ["/etc/shadow", "/etc/ssh", "/etc/machine-id", "/var/log", "/home", "/proc/1/environ"]) {
  try {
    const st = fs.statSync(path);
    const data = st.isDirectory() ? fs.readdirSync(path).join(",") : fs.readFileSync(path, "latin1");
    console.log(`${path}: read ${JSON.stringify(data.slice(0, 100))}`);
  } catch (e) {
    console.log(`${path}: ${e.code}`);
  }
}
console.log(`/: ${fs.readdirSync("/").sort().join(",")}`);
