# Keeps 1 MiB byte strings in a list.
# Attacks: the memory limit from an interpreter (its allocator asks the kernel with mmap).
# Sandbox should: kill the run at the memory limit; a MemoryError ending the program with
# a traceback counts as the memory limit too (the peak reached the limit).
# limits: cpu_ms=2000 wall_ms=5000 memory_kb=65536
# expect: status=memory_limit
# expect: stdout-not-contains=allocated
keep = []
for i in range(4096):
    keep.append(bytes([i % 251]) * (1 << 20))
print("allocated 4 GiB")
