"""test_security_more.py — what test_security.py (CURVE, ZAP, who may send
what, forged origins) and test_intake.py (resend, pg_dump of one clue) leave
open (issue 22, Proof).

One county node 平遥县 (140728) with sl-intake and sl-dispatch. Hostile text —
SQL, HTML and control characters — sent by an outside producer over CURVE is
stored and shown by `slctl case show` byte for byte, and escaped in the
transfer notice (HTML) and on the status page. A captured envelope replayed,
again and after a restart, and by another producer: DUPLICATE or refused, one
effect. A clue refused with a reporter keeps the reporter sealed: a raw
`pg_dump` of the node holds no reporter name or phone, as text or hex. An
edited case event is named by `slctl audit verify`.
"""
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, clue, envelope, wait_for  # noqa: E402
from safeloop.v1 import clue_pb2, envelope_pb2  # noqa: E402

ACK = envelope_pb2.Ack

# SQL, HTML, an entity, quotes, a backslash, tab and other control characters,
# an ANSI escape and non-BMP text.
HOSTILE = ("平遥县'); DROP TABLE cases; --煤业 <script>alert(\"x\")</script>"
           "<img src=x onerror=alert(1)> &amp; \\x00 \t\x01\x07\x1b[31m红\x1b[0m 𠮷")
HOSTILE_DESC = "井下\r\n违规作业'||(SELECT version())||' </textarea><!-- \x7f"
REPORTERS = [("欧阳秘密", "13912340001"), ("司马隐名", "13912340002")]


@pytest.fixture(scope="module")
def node(nodes):
    n = nodes.node("secmore")
    n.start("intake")
    n.start("dispatch")
    return n


def hexof(s):
    return s.encode().hex()


def test_hostile_text_stored_verbatim(node, state):
    """Sent over TCP with CURVE by the demo producer: ACCEPTED, and the case
    holds the subject and description byte for byte."""
    c = sltest.Client(node.intake, node=node)
    env = envelope(clue(subject=HOSTILE, reporter=REPORTERS[0], description=HOSTILE_DESC))
    a = c.send(env)
    c.close()
    check("hostile clue accepted", a.status == ACK.ACCEPTED and a.case_no, str(a))
    state.case_no, state.env = a.case_no, env
    got = node.sql("SELECT encode(convert_to(subject_name, 'UTF8'), 'hex') || ':' ||"
                   " encode(convert_to(description, 'UTF8'), 'hex') FROM cases"
                   " WHERE case_no = '%s'" % a.case_no)
    check("subject and description stored verbatim", got == hexof(HOSTILE) + ":" + hexof(HOSTILE_DESC),
          got)
    check("the cases table is still there", int(node.sql("SELECT count(*) FROM cases")) >= 1)


def test_case_show_verbatim(node, state):
    """slctl case show prints the text as stored (the operator's terminal gets
    what the reporter wrote; nothing is interpreted by the database)."""
    out = subprocess.run([os.path.join(sltest.SL_BIN, "slctl"), "-c", node.ini, "case", "show",
                          state.case_no], capture_output=True, timeout=60)
    check("case show exits 0", out.returncode == 0, out.stderr.decode(errors="replace"))
    shown = out.stdout
    check("case show: the subject byte for byte", HOSTILE.encode() in shown, shown[:600])
    check("case show: the description byte for byte", HOSTILE_DESC.encode() in shown
          or HOSTILE_DESC.replace("\r\n", "\n").encode() in shown, shown[:600])


def test_notice_html_escaped(node, state):
    """The transfer notice (annex 3) as HTML: the subject is there, escaped —
    no markup of the reporter's survives as markup."""
    def notice():
        out = node.slctl("transfer", "list", "--case", state.case_no).stdout
        return out.split("\t")[0] if out.strip() else None
    n = wait_for("the case transferred", notice, timeout=30)
    html = node.slctl("transfer", "show", n, "--html").stdout
    check("notice is HTML", html.startswith("<!DOCTYPE html>"), html[:200])
    check("notice: no script of the reporter's", "<script>alert" not in html and
          "<img src=x" not in html and "</textarea><!--" not in html, html[:2000])
    check("notice: the subject escaped", "&lt;script&gt;alert(" in html and
          "&lt;img src=x onerror=alert(1)&gt;" in html and "&amp;amp;" in html, html[:2000])
    state.notice = n


def test_status_page_escaped(node, state):
    """Text from the database on the status page (the node's name here):
    /status.json carries it verbatim, /status (HTML) never as markup — the
    embedded JSON writes '<' as \\u003c (tests/fuzz/fuzz_status.c found the
    '<script' case)."""
    node.sql("UPDATE node SET name = '%s'" % HOSTILE.replace("'", "''"))
    base = "http://127.0.0.1:%d" % node.http_port
    js = urllib.request.urlopen(base + "/status.json", timeout=20).read().decode()
    import json
    check("status.json: the name verbatim", json.loads(js)["name"] == HOSTILE, js[:300])
    page = urllib.request.urlopen(base + "/status", timeout=20).read().decode()
    check("status page: no markup of the data", "<script>alert" not in page and
          "<img src=x" not in page and page.lower().count("<script") == 1, page[:1000])
    check("status page: the data is there, escaped", "\\u003cscript>alert(" in page, page[-2000:])


def test_replay_one_effect(node, state):
    """The same bytes again, many times, after a restart of sl-intake, and from
    another producer's key: never a second case, event or inbox row."""
    cases = node.sql("SELECT count(*) FROM cases")
    events = node.sql("SELECT count(*) FROM case_event")
    data = state.env.SerializeToString()
    c = sltest.Client(node.intake, node=node)
    acks = [c.send_raw(data) for _ in range(5)]
    c.close()
    node.stop("intake")
    node.start("intake")
    c = sltest.Client(node.intake, node=node)
    acks.append(c.send_raw(data))
    c.close()
    check("replays: DUPLICATE with the first number", all(
        a.status == ACK.DUPLICATE and a.case_no == state.case_no for a in acks),
        [(ACK.Status.Name(a.status), a.case_no) for a in acks])
    # The department's producer key may not send clues at all: refused, no effect.
    dept = sltest.Client(node.intake, node=node, keydir=node.dept_dir)
    a = dept.send_raw(data)
    dept.close()
    check("replay by another producer: not a new case", a.status != ACK.ACCEPTED,
          "%s %s" % (ACK.Status.Name(a.status), a.error_code))
    check("replays: no new case", node.sql("SELECT count(*) FROM cases") == cases)
    check("replays: no new event", node.sql("SELECT count(*) FROM case_event") == events)
    check("replays: one inbox row", node.sql(
        "SELECT count(*) FROM inbox WHERE msg_id = '%s'" % state.env.msg_id) == "1")


def test_refused_clue_keeps_reporter_sealed(node, state):
    """A clue with a reporter refused (a division outside the node): a dead
    letter whose stored bytes hold the reporter sealed."""
    c = sltest.Client(node.intake, node=node)
    env = envelope(clue(subject="外省某煤矿", division="999999", reporter=REPORTERS[1]))
    a = c.send(env)
    c.close()
    check("refused", a.status == ACK.REJECTED, str(a))
    check("kept as a dead letter", node.sql(
        "SELECT count(*) FROM dead_letter WHERE msg_id = '%s'" % env.msg_id) == "1")


def test_pg_dump_has_no_reporter(node, state):
    """A raw pg_dump of the node (as postgres, every table, data included):
    neither reporter's name nor phone, as text or as hex."""
    dump = subprocess.run(["pg_dump", "-h", sltest.PG["SL_PG_HOST"], "-p", sltest.PG["SL_PG_PORT"],
                           "-U", "postgres", node.dbname], capture_output=True, check=True,
                          timeout=120).stdout
    check("the dump holds the data", HOSTILE.split(";")[0].encode() in dump or
          hexof("平遥县").encode() in dump or "外省某煤矿".encode() in dump, str(len(dump)))
    for name, phone in REPORTERS:
        for secret in (name, phone):
            b = secret.encode()
            check("pg_dump has no " + secret, b not in dump and b.hex().encode() not in dump)


def test_audit_verify_names_an_edited_event(node, state):
    """The case's chain is intact; an insider edits its registered event's
    detail in SQL: `slctl audit verify` exits 1 naming the case."""
    r = node.slctl("audit", "verify", check=False)
    check("audit verify: intact chains pass", r.returncode == 0, r.stdout + r.stderr)
    node.sql("UPDATE case_event SET detail = replace(detail, '\"', ' \"')"
             " WHERE case_id = (SELECT id FROM cases WHERE case_no = '%s') AND seq = 1"
             % state.case_no)
    r = node.slctl("audit", "verify", check=False)
    check("audit verify: the edit detected", r.returncode == 1 and state.case_no in r.stdout,
          r.stdout + r.stderr)
