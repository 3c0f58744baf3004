# Creates empty files in /box until that fails, then reports how many and why.
# Attacks: the inode count of /box (empty files cost no blocks, only inodes).
# Sandbox should: stop at the tmpfs inode limit (4096 per slot) with ENOSPC.
# limits: cpu_ms=4000 wall_ms=8000
# expect: status=ok
# expect: stdout-equals=created 4094 files, then ENOSPC\n
import errno
import os

n = 0
while True:
    try:
        os.close(os.open(f"/box/f{n}", os.O_CREAT | os.O_WRONLY, 0o644))
    except OSError as e:
        print(f"created {n} files, then {errno.errorcode[e.errno]}")
        break
    n += 1
