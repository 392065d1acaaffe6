"""test_ports.py — sltest.free_port() hands out ports no other test process holds.

Two processes reserve ports at the same time, as two ctest jobs (or two
worktrees' suites) do: no port is handed to both, none lies in the kernel's
ephemeral range (where the tests' own connections take their local ports),
and a port is given again only after the process holding it has exited.
"""
import fcntl
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402

N = 300
HOLD = """
import sys
sys.path.insert(0, %r)
import sltest
print(" ".join(str(sltest.free_port()) for _ in range(%d)), flush=True)
sys.stdin.read()  # hold the reservations until the test closes stdin
""" % (os.path.dirname(os.path.abspath(__file__)), N)


def holders(n):
    procs = [subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]
    ports = [set(int(p) for p in proc.stdout.readline().split()) for proc in procs]
    return procs, ports


def release(procs):
    for p in procs:
        p.stdin.close()
        p.wait(30)


def test_parallel_processes_never_share_a_port():
    procs, ports = holders(2)
    try:
        mine = {sltest.free_port() for _ in range(N)}
        assert [len(p) for p in ports] == [N, N]
        assert not ports[0] & ports[1]
        assert not mine & (ports[0] | ports[1])
    finally:
        release(procs)


def test_ports_lie_outside_the_ephemeral_range():
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    procs, ports = holders(1)
    release(procs)
    inside = [p for p in ports[0] if lo <= p <= hi]
    assert not inside, "ports in the ephemeral range %d-%d: %s" % (lo, hi, inside[:5])


def test_a_port_is_free_again_once_its_holder_exits():
    procs, ports = holders(1)
    held = sorted(ports[0])
    release(procs)
    for port in held[:20]:
        with open(os.path.join(sltest.PORT_DIR, str(port)), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
