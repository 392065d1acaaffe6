"""unitrun.py — run systemd service units' command lines the way systemd would,
without systemd (a build machine or container has no systemd as PID 1).

    unitrun.py INSTANCE UNITFILE... [-- CMD...]

For each unit, as its [Service] section says: RuntimeDirectory= and
StateDirectory= are created under /run and /var/lib with their modes and
owned by User=/Group=; ExecStart= (with %i = INSTANCE) runs as User=/Group=
with its supplementary groups, no new privileges, in /, with a clean
environment, a NOTIFY_SOCKET of its own and WATCHDOG_USEC. Then:
  - READY=1 must arrive (within TimeoutStartSec=) while the process lives,
  - WATCHDOG=1 must arrive (the test asks for a 1 s watchdog: one ping within 3 s),
  - CMD, if given, runs while every unit is up (its exit status counts),
  - SIGTERM must bring STOPPING=1 and exit 0 (within TimeoutStopSec=).
Prints "ok - ..." per check and "unitrun: N units ran" at the end; exits 1
with the reason (and the daemon's output) on the first failure. What this
cannot show is the sandbox itself (ProtectSystem=, SystemCallFilter=, ...),
which only systemd applies; systemd-analyze verify checks those directives.
"""
import os
import pwd
import grp
import signal
import socket
import subprocess
import sys
import tempfile
import time

WATCHDOG_USEC = 1000000


def fail(msg, unit=None):
    print("FAIL: " + msg, file=sys.stderr)
    if unit is not None and unit.get("log"):
        unit["log"].flush()
        with open(unit["log"].name, errors="replace") as f:
            print("--- output of %s ---\n%s" % (unit["name"], f.read()[-3000:]), file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg, flush=True)


def parse_unit(path):
    """The [Service] keys of PATH: key -> list of values, in order."""
    section, out = None, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section == "Service" and "=" in line:
                k, _, v = line.partition("=")
                out.setdefault(k.strip(), []).append(v.strip())
    return out


def seconds(text, default):
    if not text:
        return default
    t = text[-1].strip()
    for suffix, mul in (("min", 60), ("ms", 0.001), ("s", 1)):
        if t.endswith(suffix):
            return float(t[: -len(suffix)]) * mul
    return float(t)


def make_dir(base, rel, mode, uid, gid, created):
    """Creates BASE/REL as systemd does: parents root 0755, the leaf UID:GID MODE."""
    path = base
    parts = rel.split("/")
    for i, part in enumerate(parts):
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path, 0o755)
            created.append(path)
        if i == len(parts) - 1:
            os.chown(path, uid, gid)
            os.chmod(path, mode)
    return path


def recv_notify(sock, timeout):
    sock.settimeout(timeout)
    try:
        return sock.recv(4096).decode(errors="replace")
    except socket.timeout:
        return None


def wait_notify(unit, want, timeout):
    """Reads notify messages until one holds the line WANT; fails after TIMEOUT."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if unit["proc"].poll() is not None:
            fail("%s exited %s before it sent %s" % (unit["name"], unit["proc"].returncode, want),
                 unit)
        msg = recv_notify(unit["sock"], min(0.5, max(0.01, deadline - time.time())))
        if msg is None:
            continue
        unit["seen"].append(msg)
        if want in msg.split("\n"):
            return msg
    fail("%s sent no %s within %.0f s (got: %s)" % (unit["name"], want, timeout,
                                                   unit["seen"][-5:]), unit)


def main():
    args = sys.argv[1:]
    cmd = []
    if "--" in args:
        i = args.index("--")
        args, cmd = args[:i], args[i + 1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    instance, files = args[0], args[1:]
    tmp = tempfile.mkdtemp(prefix="sl-unitrun-")
    os.chmod(tmp, 0o755)
    created = []
    units = []
    try:
        for path in files:
            name = os.path.basename(path).replace("@.", "@%s." % instance)
            svc = parse_unit(path)
            user = svc.get("User", ["root"])[-1]
            group = svc.get("Group", [user])[-1]
            pw = pwd.getpwnam(user)
            gid = grp.getgrnam(group).gr_gid
            for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
                for rel in svc.get(key, []):
                    mode = int(svc.get(key + "Mode", ["0755"])[-1], 8)
                    d = make_dir(base, rel.replace("%i", instance), mode, pw.pw_uid, gid, created)
                    ok("%s: %s %s, %s:%s %o" % (name, key, d, user, group, mode))
            argv = svc["ExecStart"][-1].replace("%i", instance).split()
            nsock_path = os.path.join(tmp, "notify-%d" % len(units))
            nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            nsock.bind(nsock_path)
            os.chmod(nsock_path, 0o777)
            env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "LANG": "C.UTF-8", "NOTIFY_SOCKET": nsock_path,
                   "WATCHDOG_USEC": str(WATCHDOG_USEC), "INVOCATION_ID": "unitrun"}
            if "SL_NOW" in os.environ:
                env["SL_NOW"] = os.environ["SL_NOW"]
            setpriv = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % gid,
                       "--init-groups"]
            if svc.get("NoNewPrivileges", ["no"])[-1] == "yes":
                setpriv.append("--no-new-privs")
            log = open(os.path.join(tmp, "%s.log" % name), "w+b")
            proc = subprocess.Popen(setpriv + ["--"] + argv, cwd="/", env=env, stdout=log,
                                    stderr=log)
            u = {"name": name, "proc": proc, "sock": nsock, "log": log, "seen": [],
                 "start": seconds(svc.get("TimeoutStartSec"), 90),
                 "stop": seconds(svc.get("TimeoutStopSec"), 90), "type": svc["Type"][-1]}
            units.append(u)
            ok("%s: started %s as %s" % (name, " ".join(argv), user))
        for u in units:
            if u["type"] != "notify":
                fail("%s: Type=%s, expected notify" % (u["name"], u["type"]))
            wait_notify(u, "READY=1", u["start"])
            ok("%s: READY=1" % u["name"])
        for u in units:
            wait_notify(u, "WATCHDOG=1", 3 * WATCHDOG_USEC / 1e6)
            ok("%s: WATCHDOG=1 at the interval systemd asks for" % u["name"])
        rc = 0
        if cmd:
            rc = subprocess.run(cmd).returncode
            if rc != 0:
                for u in units:
                    u["log"].flush()
                    with open(u["log"].name, errors="replace") as f:
                        print("--- output of %s ---\n%s" % (u["name"], f.read()[-3000:]),
                              file=sys.stderr)
                fail("the checks while the units ran failed (exit %d)" % rc)
            ok("the checks while the units ran passed")
        for u in units:
            u["proc"].send_signal(signal.SIGTERM)
        for u in units:
            try:
                code = u["proc"].wait(u["stop"])
            except subprocess.TimeoutExpired:
                fail("%s did not stop within TimeoutStopSec=%.0fs" % (u["name"], u["stop"]), u)
            if code != 0:
                fail("%s exited %d on SIGTERM, expected 0" % (u["name"], code), u)
            msgs = list(u["seen"])
            while True:
                m = recv_notify(u["sock"], 0.01)
                if m is None:
                    break
                msgs.append(m)
            if not any("STOPPING=1" in m.split("\n") for m in msgs):
                fail("%s sent no STOPPING=1" % u["name"], u)
            ok("%s: STOPPING=1, exit 0 on SIGTERM" % u["name"])
        print("unitrun: %d units ran" % len(units))
    finally:
        for u in units:
            if u["proc"].poll() is None:
                u["proc"].kill()
                u["proc"].wait()
            u["sock"].close()
            u["log"].close()
        subprocess.run(["rm", "-rf", tmp])
        # Runtime directories go as systemd removes them; state directories stay.
        for d in reversed(created):
            if d.startswith("/run/"):
                subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
