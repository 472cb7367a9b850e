#!/usr/bin/env python3
"""Runs a command as a child subreaper and prints the CPU seconds (user+sys) of it and every
descendant, detached daemons included (orphans are reparented here and reaped). Measures a test
file load-independently: python3 scripts/cpu-time.py npx vitest run <file> (Linux only)."""
import ctypes, os, resource, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("prctl failed")
started = time.time()
child = subprocess.Popen(sys.argv[1:])
rc = child.wait()
# reap orphans until none remain (poll: they may still be running briefly after the command)
deadline = time.time() + 30
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            if time.time() > deadline:
                print("cpu: descendants still running after 30 s, not counted", file=sys.stderr)
                break
            time.sleep(0.2); continue
    except ChildProcessError:
        break
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu: user {r.ru_utime:.1f} s, sys {r.ru_stime:.1f} s, total {r.ru_utime + r.ru_stime:.1f} s, wall {time.time() - started:.1f} s, rc {rc}", file=sys.stderr)
sys.exit(rc)
