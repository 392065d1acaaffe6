#!/usr/bin/python3
"""make_seeds.py — writes the seed corpora of tests/fuzz/corpus/ (small).

Run once after changing the wire contract or the file formats; the seeds are
committed. Envelopes are built with the Python classes protoc generates
(SL_GEN_PY, default build/gen-py), like an outside producer would."""
import json
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.environ.get("SL_GEN_PY", os.path.join(top, "build/gen-py")))
from safeloop.v1 import clue_pb2, envelope_pb2, handling_pb2  # noqa: E402

corpus = os.path.join(top, "tests/fuzz/corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def env(name, field, body):
    e = envelope_pb2.Envelope(msg_id="seed-" + name, producer="app", sent_at=1764748800000)
    getattr(e, field).CopyFrom(body)
    put("fuzz_envelope", name, e.SerializeToString())


c = clue_pb2.ClueReport(channel=clue_pb2.ClueReport.HOTLINE, received_at=1764748800000,
                        sector=clue_pb2.COAL_MINE)
c.subject.name = "平遥县某某煤业有限公司"
c.place.division = "140728"
c.reporter.name, c.reporter.phone = "张三", "13800000000"
env("clue", "clue", c)
env("receipt", "receipt", handling_pb2.Receipt(notice_no="（煤）移〔2026〕1号", from_unit="140728-yj",
                                               at=1764748800000))
env("objection", "objection", handling_pb2.Objection(notice_no="（煤）移〔2026〕1号",
                                                     from_unit="140728-yj", reason="不属本单位"))
env("progress", "progress", handling_pb2.Progress(notice_no="（煤）移〔2026〕1号",
                                                  from_unit="140728-yj", text="正在核查"))
fb = handling_pb2.Feedback(notice_no="（煤）移〔2026〕1号", from_unit="140728-yj",
                           violation_nature="非法违法生产经营", penalized=True, penalty_fen=100000,
                           rectify_by="2026-12-31")
fb.sign_off.leader_name, fb.sign_off.leader_title, fb.sign_off.signed_at = "李四", "局长", 1764748800000
env("feedback", "feedback", fb)
env("decision", "decision", handling_pb2.Decision(notice_no="（煤）移〔2026〕1号", from_unit="140700",
                                                  kind=handling_pb2.Decision.VERIFY_PASS))
t = handling_pb2.Transfer(notice_no="（煤）移〔2026〕1号", from_unit="140000", case_no="140000-2026-000001",
                          to_unit="140700", transfer_date="2026-12-01")
t.clue.CopyFrom(c)
t.clue.place.division = "140700"
env("transfer", "transfer", t)
env("escalation", "escalation", handling_pb2.Escalation(
    notice_no="（煤）移〔2026〕1号", origin_node="140728", case_no="140728-2026-000001",
    cause=handling_pb2.Escalation.OVERDUE))

for ini in ("example-node.ini", "county-node.ini"):
    with open(os.path.join(top, "deploy", ini), "rb") as f:
        put("fuzz_config", ini, f.read())
put("fuzz_config", "minimal.ini", "[node]\ncode = 140728\n[database]\nconninfo = dbname=x\n"
    "[intake.2]\nendpoint = tcp://127.0.0.1:7001\n[producer.app]\npublic_key = k.pub\n"
    "may_send = clue, feedback\nunit = 140728-yj\n[child.140781]\nendpoint = tcp://h:1\n"
    "public_key = c.pub\n")

put("fuzz_csv", "notice-2027.csv", "date,kind,name\r\n2027-01-01,holiday,元旦\r\n"
    "2027-02-06,workday,春节\r\n2027-02-07,holiday,春节\r\n\r\n")
put("fuzz_csv", "quoted.csv", 'code,name,parent\n140728,"平遥县,古城",140700\n"a""b",,\n')
with open(os.path.join(top, "schema/data/cn_calendar.csv"), "rb") as f:
    put("fuzz_csv", "cn_calendar-head.csv", b"".join(f.readlines()[:12]))

status = {"node": "140728", "name": "平遥县", "at": "2026-12-03T10:00:00+08:00", "level": 2,
          "problems": ["sl-dispatch 未运行 </script><script>alert(1)</script>"],
          "warnings": ["2027 年节假日安排未导入"],
          "database": {"up": True, "rtt_ms": 0.4},
          "daemons": [{"name": "sl-intake", "up": True, "version": "0.1.0", "beat_age_s": 1.2,
                       "healthy": True, "http": "127.0.0.1:8080"},
                      {"name": "sl-dispatch", "up": False, "version": "0.1.0", "beat_age_s": 99.0,
                       "healthy": None, "http": ""}],
          "links": [{"peer": "140700", "depth": 12, "oldest_s": 30.5, "connected": False,
                     "parked": 1}],
          "dead_letters_last_hour": 3,
          "overdue": {"count": 1, "items": [{"case_no": "140728-2026-000001", "notice_no": "1",
                                             "unit": "应急局", "days": 2}]},
          "due_soon": 4, "calendar": {"next_year_missing": True}}
put("fuzz_status", "status.json", json.dumps(status, ensure_ascii=False))
put("fuzz_status", "db-down.json", json.dumps({"node": "140728", "level": 2,
                                               "database": {"up": False}, "problems": ["数据库不可达"]},
                                              ensure_ascii=False))

# fuzz_site: a publication body for each page template, built from the names
# the template uses (a section is a list of two objects, the second without
# the names an inverted section tests, so both branches render; a section
# that only guards its own name is a plain value), every value carrying "<x-"
# (a tag no template has: finding it on the page means escaping failed).
# The first byte picks the kind (its value mod 5) and draft or issued (0x80).
LEAF = "<x-a>晋中市“百日攻坚”办&amp;"
TAG = re.compile(r"\{\{(\{?)([#^/>&]?)\s*([^}]+?)\s*\}?\}\}")


def tmpl_tree(name):
    with open(os.path.join(top, "templates", name), encoding="utf-8") as f:
        text = f.read()
    root, stack = [], []
    cur = root
    for m in TAG.finditer(text):
        kind, tag = m.group(2), m.group(3)
        if kind in ("#", "^"):
            node = ("sec", tag, kind == "^", [])
            cur.append(node)
            stack.append(cur)
            cur = node[3]
        elif kind == "/":
            cur = stack.pop()
        elif kind == ">":
            if tag.endswith(".html"):
                cur.extend(tmpl_tree(tag))
        else:
            cur.append(("var", tag))
    return root


def tmpl_fields(nodes, fields=None, inverted=None):
    fields = {} if fields is None else fields
    inverted = set() if inverted is None else inverted
    for node in nodes:
        if node[0] == "var":
            fields.setdefault(node[1], LEAF)
            continue
        _, tag, inv, children = node
        if tag.partition(".")[2].isdigit() or inv:  # rates.0 guards rates; ^x: x's absence
            tmpl_fields(children, fields, inverted)
            if inv:
                inverted.add(tag)
            continue
        inner, inner_inv = tmpl_fields(children)
        if set(inner) <= {tag}:
            fields.setdefault(tag, LEAF)
        else:
            other = {k: v for k, v in inner.items() if k not in inner_inv}
            fields[tag] = [inner, other]
    return fields, inverted


bodies = {page: json.dumps(tmpl_fields(tmpl_tree(page))[0], ensure_ascii=False).encode()
          for page in ("publication.html", "ranking.html")}
for first, kind in enumerate(("list", "progress", "results", "exposure", "ranking")):  # s_kinds
    body = bodies["ranking.html" if kind == "ranking" else "publication.html"]
    put("fuzz_site", "seed-%s-draft.json" % kind, bytes([first]) + body)
    put("fuzz_site", "seed-%s-issued.json" % kind, bytes([0x80 | first]) + body)
