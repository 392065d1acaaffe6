"""test_status_link.py — queue health across a link: stopping the city's
sl-intake makes `slctl status` at the county show the link down and the
backlog growing, exit 2; starting it again shows the backlog draining, and
exit 0 once drained (the clock pinned inside a year whose calendar is loaded).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import sltest  # noqa: E402
from sltest import check, clue, envelope, wait_for  # noqa: E402

NOW = "2026-06-15T10:00:00+08:00"
ENV = dict(os.environ, SL_NOW=NOW)


def status(node):
    r = node.slctl("status", "--json", check=False, env=ENV)
    return r.returncode, json.loads(r.stdout)


def link(st, peer):
    return [l for l in st["links"] if l["peer"] == peer]


def main():
    nodes = sltest.federation("stlink", codes=("140700", "140728"))
    city, county = nodes["140700"], nodes["140728"]
    try:
        city.start("intake", env=ENV)
        county.start("intake", env=ENV)
        county.start("dispatch", env=ENV)
        wait_for("the county's link to the city", lambda: (
            lambda s: link(s, "140700") and link(s, "140700")[0]["connected"] is True)(
                status(county)[1]), timeout=60)
        rc, st = status(county)
        check("all well: exit 0", rc == 0, json.dumps(st, ensure_ascii=False))

        # The city's intake stops; clues about the city's territory queue at the county.
        check("city intake stops", city.stop("intake") == 0)
        c = sltest.Client(county.intake, node=county)
        for i in range(5):
            a = c.send(envelope(clue(subject="链路测试企业%d" % i, division="140781")))
            check("forwarded %d" % i, a.ref == "forwarded:140700", str(a))
        depth1 = wait_for("the link seen down with a backlog", lambda: (
            lambda s: s[0] == 2 and link(s[1], "140700")[0]["connected"] is False
            and link(s[1], "140700")[0]["depth"] >= 5 and s)(status(county)), timeout=60)
        rc, st = depth1
        check("link down with a backlog: exit 2", rc == 2 and any(
            "140700" in p for p in st["problems"]), json.dumps(st, ensure_ascii=False))
        for i in range(5, 8):
            c.send(envelope(clue(subject="链路测试企业%d" % i, division="140781")))
        rc, st = status(county)
        check("the backlog grows", link(st, "140700")[0]["depth"] >= 8 and rc == 2,
              json.dumps(st["links"], ensure_ascii=False))
        out = county.slctl("status", check=False, env=ENV).stdout
        check("the text names the link", "140700" in out and "未连接" in out, out)
        c.close()

        # The city comes back: the backlog drains; exit 0 once drained.
        city.start("intake", env=ENV)
        rc, st = wait_for("the backlog drained, exit 0", lambda: (
            lambda s: s[0] == 0 and link(s[1], "140700")[0]["depth"] == 0 and s)(status(county)),
            timeout=90)
        ln = link(st, "140700")[0]
        check("drained: exit 0, nothing queued or parked, every forward delivered, no problem",
              rc == 0 and ln["depth"] == 0 and ln["parked"] == 0 and ln["delivered"] == 8
              and not st["problems"], json.dumps(st, ensure_ascii=False))
        check("every clue arrived once at the city", city.sql(
            "SELECT count(*) FROM cases WHERE subject_name LIKE '链路测试企业%'") == "8")
    except Exception:
        sltest.dump_logs(nodes)
        raise
    finally:
        for n in nodes.values():
            n.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
