"""test_status.py — queue health: slctl status and its exit codes, the daemons'
/metrics checked by promtool with the named series moving, and the status page
rendered in headless Chromium (every daemon listed, no console errors, a
screenshot kept in the build tree).
"""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, chromium, clue, envelope, wait_for  # noqa: E402

NOW = "2026-06-15T10:00:00+08:00"  # inside a year whose calendar is loaded
ENV = dict(os.environ, SL_NOW=NOW)


def status(node, *args):
    r = node.slctl("status", *args, check=False, env=ENV)
    return r.returncode, r.stdout, r.stderr


def metrics(port):
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read()


def promtool(text, what):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True)
    check("promtool check metrics: " + what, r.returncode == 0,
          (r.stdout + r.stderr).decode(errors="replace"))


def series(text, name):
    for line in text.decode().split("\n"):
        if line.startswith(name + " ") or line.startswith(name + "{") and "} " in line:
            if line.split(" ")[0] == name or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def main():
    deadline_port = sltest.free_port()
    node = sltest.Node("status", extra_ini="[deadline]\nhttp = 127.0.0.1:%d\nevents = "
                       "tcp://127.0.0.1:%d\n" % (deadline_port, sltest.free_port()))
    node.deadline_http_port = deadline_port
    try:
        node.start("intake", env=ENV)
        node.start("dispatch", env=ENV)
        node.start("deadline", env=ENV)
        wait_for("three heartbeats", lambda: node.sql(
            "SELECT count(*) FROM daemon_state WHERE stopped_at IS NULL") == "3")
        rc, out, err = status(node)
        check("all well: exit 0", rc == 0, out + err)
        check("status lists every daemon", "sl-intake#1" in out and "sl-dispatch#1" in out
              and "sl-deadline#1" in out, out)
        rc, out, _ = status(node, "--json")
        st = json.loads(out)
        check("--json: level 0, daemons up and healthy", st["level"] == 0 and all(
            d["up"] and d.get("healthy") for d in st["daemons"]) and len(st["daemons"]) == 3, out)

        # The named series move: accepted envelopes grow by the clues submitted.
        before = series(metrics(node.http_port), 'sl_intake_envelopes_total{status="accepted"}')
        c = sltest.Client(node.intake, node=node)
        for i in range(7):
            c.send(envelope(clue(subject="状态测试企业%d" % i)))
        after = series(metrics(node.http_port), 'sl_intake_envelopes_total{status="accepted"}')
        check("accepted counter grew by 7", after - before == 7, "%s -> %s" % (before, after))
        promtool(metrics(node.http_port), "sl-intake")
        promtool(metrics(node.dispatch_http_port), "sl-dispatch")
        promtool(metrics(node.deadline_http_port), "sl-deadline")

        # A rejection in the last hour is a warning: exit 1.
        c.send(envelope(clue(division="999999")))
        c.close()
        rc, out, _ = status(node)
        check("dead letter: exit 1", rc == 1 and "死信" in out, out)

        # The status page, in a browser.
        art = os.path.join(os.environ.get("SL_BUILD", node.dir), "test-artifacts")
        os.makedirs(art, exist_ok=True)
        shot = os.path.join(art, "status-page.png")
        url = "http://127.0.0.1:%d/status" % node.http_port
        dom, console = chromium(url, shot)
        check("page rendered by its script", "sl-intake#1" in dom and "sl-dispatch#1" in dom
              and "sl-deadline#1" in dom and "节点 140728" in dom, dom[:2000])
        check("no console errors", console == [], "\n".join(console))
        check("screenshot kept", os.path.getsize(shot) > 10000, shot)
        print("screenshot:", shot)
        j = json.loads(urllib.request.urlopen(
            "http://127.0.0.1:%d/status.json" % node.http_port, timeout=10).read())
        check("status.json: the same figures", j["node"] == "140728" and len(j["daemons"]) == 3)

        # A daemon down: exit 2, named.
        check("dispatch stops cleanly", node.stop("dispatch") == 0)
        rc, out, _ = status(node)
        check("daemon down: exit 2", rc == 2 and "sl-dispatch#1" in out and "未运行" in out, out)
        # The database unreachable: exit 2.
        bad = node.ini + ".bad"
        with open(node.ini) as f, open(bad, "w") as g:
            g.write(f.read().replace("dbname=" + node.dbname, "dbname=no_such_db"))
        r = subprocess.run([os.path.join(sltest.SL_BIN, "slctl"), "-c", bad, "status"],
                           capture_output=True, text=True, env=ENV)
        check("database unreachable: exit 2", r.returncode == 2 and "数据库" in r.stdout,
              r.stdout + r.stderr)
    except Exception:
        sltest.dump_logs(node)
        raise
    finally:
        node.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
