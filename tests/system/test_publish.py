"""test_publish.py — sl-publish (三公开) through the real sl-intake, sl-dispatch,
sl-publish and slctl (SL_NOW pinned).

A county node handles thirty clues: the office writes public summaries for all
but two (held as "summary missing" and counted), holds one back (刑事侦查),
closes five (four major hazards rectified), fails one verification (提级核查);
the rest run past their deadline (逾期) by the day sl-publish runs. Drafts are
made (the day's list with 今日无新增交办, the weekly progress, the results) and
nothing is public until the office approves them; then the site holds HTML,
JSON, CSV (BOM), Atom and WeChat text. A correction shows beside the original
and is evented (publication.issued); a kind in auto_approve needs no approval.
The pages open in headless Chromium at phone width without console errors
(screenshots kept in the build tree). No reporter's name or phone, and no
natural person's full name (as the clue or the check says), is in any file
written or served, nor in any view or table the publishing role can read;
that role cannot read the cases.
"""
import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, chromium, wait_for, PG  # noqa: E402
from safeloop.v1 import envelope_pb2  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday: the transfers
T1 = "2026-11-22T10:00:00+08:00"  # twelve days on: sl-publish runs
ENV = dict(os.environ, SL_NOW=T0)
ENV1 = dict(os.environ, SL_NOW=T1)
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = "sl_140728_publish"
N = 30
REPORTERS = [("举报人%s" % "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10],
              "1390000%04d" % (1000 + i)) for i in range(N)]
PERSONS = {3: "王大锤", 7: "李小明", 11: "张三丰"}  # natural person subjects (自然人)
FOUND = {4: "赵铁柱"}  # reported as a unit, found a natural person by the check


def run(node, *args, env=ENV, rc=0):
    r = node.slctl(*args, env=env, check=False)
    if rc is not None and r.returncode != rc:
        raise AssertionError("slctl %s: exit %d, wanted %d: %s%s" % (
            " ".join(args), r.returncode, rc, r.stdout, r.stderr))
    return r


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def node(nodes):
    port = sltest.free_port()
    events = "tcp://127.0.0.1:%d" % sltest.free_port()
    n = nodes.node("publish", extra_ini="""[publish]
http = 127.0.0.1:%d
events = %s
site_dir = site
templates = %s/templates
tick_seconds = 1
time_of_day = 00:00
""" % (port, events, SRC))
    n.publish_port = port
    n.publish_events = events
    n.site = os.path.join(n.dir, "site")
    n.start("intake", env=ENV)
    n.start("dispatch", env=ENV)
    return n


def test_clues_handled(node, state):
    cases = []
    for i in range(N):
        name, phone = REPORTERS[i]
        subject = PERSONS.get(i, FOUND.get(i, "平遥县第%d煤业有限公司" % (i + 1)))
        flags = ["--subject-kind", "自然人"] if i in PERSONS else []
        if i < 6:
            flags.append("--major-hazard")
        r = run(node, "submit", "--subject", subject, "--division", "140728", "--sector", "煤",
                "--township", "古陶镇", "--description", "举报人%s称该处夜间偷采" % name,
                "--reporter-name", name, "--reporter-phone", phone, *flags)
        cases.append(r.stdout.split("\t")[1])
    wait_for("30 transfers", lambda: node.sql("SELECT count(*) FROM transfer") == str(N),
             timeout=60)
    notices = {c: node.sql("SELECT t.notice_no FROM transfer t JOIN cases c ON c.id = t.case_id"
                           " WHERE c.case_no = '%s'" % c) for c in cases}
    # the office's public summaries: all but two (summary missing)
    for i, c in enumerate(cases[:-2]):
        run(node, "case", "public-summary", c, "--text", "反映该单位存在%s问题，已交办核查。"
            % ("超层越界开采" if i % 2 else "未按规定设置安全出口"), "--operator", "公开专员")
    r = run(node, "publish", "hold", cases[20], "--reason", "涉嫌犯罪，公安机关正在侦查")
    check("hold accepted through intake", r.stdout.startswith("accepted\t" + cases[20]), r.stdout)
    r = run(node, "case", "public-summary", "140728-2026-煤-999999", "--text", "x", rc=3)
    check("a summary for an unknown case is refused", "unknown_case" in r.stderr, r.stderr)
    # five closed (four major hazards rectified), one false completion
    for i in range(6):
        n = notices[cases[i]]
        run(node, "transfer", "receipt", n)
        run(node, "transfer", "progress", n, "--text", "已派员现场核查")
        extra = ["--hazard-rectified", "--suspended"] if i < 4 else ["--penalized"]
        if i in FOUND:
            extra += ["--subject-kind", "自然人"]
        run(node, "transfer", "feedback", n, "--nature", "非法违法生产经营", "--rectified",
            *extra, *SIGNOFF)
        if i < 5:
            run(node, "case", "verify", cases[i], "--pass", "--operator", "核查员甲")
        else:
            run(node, "case", "verify", cases[i], "--fail", "--reason", "整改不到位",
                "--operator", "核查员甲")
    check("five closed", node.sql("SELECT count(*) FROM transfer WHERE state = 'closed'") == "5")
    check("the audit chain holds the summary",
          "public_summary" in node.sql("SELECT string_agg(kind, ',') FROM case_event e"
                                       " JOIN cases c ON c.id = e.case_id WHERE c.case_no = '%s'"
                                       % cases[8]))
    check("natural person stored as such",
          node.sql("SELECT subject_kind FROM cases WHERE case_no = '%s'" % cases[3]) == "自然人")
    state.cases, state.notices = cases, notices


def test_drafts_not_public(node, state):
    r = run(node, "publish", "now", "list")
    check("the day's list drafted by slctl", r.stdout.startswith("drafted\t"), r.stdout)
    state.first_list = int(r.stdout.split("\t")[1])
    drafts = start_for_drafts(node, 4)
    kinds = sorted(d[1] for d in drafts)
    check("list ×2, progress, results drafted", kinds == ["list", "list", "progress", "results"],
          str(drafts))
    lst = [d for d in drafts if d[1] == "list" and d[2] == "2026-11-22"][0]
    check("items held and missing counted", lst[5:8] == ["27", "1", "2"], str(lst))
    check("missing summaries on /metrics",
          node.metric(node.publish_port, "sl_publish_summary_missing") == 2)
    check("oldest draft age on /metrics",
          node.metric(node.publish_port, "sl_publish_oldest_draft_seconds") >= 0)
    wait_for("the empty site", lambda: os.path.exists(os.path.join(node.site, "index.html")))
    check("nothing public before approval: no publication written",
          os.listdir(os.path.join(node.site, "p")) == [])
    code, body = get(node.publish_port, "/site/index.html")
    check("nothing served before approval", code == 200 and "暂无公开信息" in body.decode(), code)
    code, _ = get(node.publish_port, "/site/p/%s.html" % lst[0])
    check("a draft's page is not served", code == 404, code)
    code, body = get(node.publish_port, "/preview/%s" % lst[0])
    check("the preview is served and marked", code == 200 and "尚未审核发布" in body.decode(),
          code)
    st = json.loads(run(node, "status", "--json", "--no-probe", rc=None).stdout)
    check("the status shows the drafts waiting", st.get("drafts_waiting") == 4, str(st)[:300])
    show = run(node, "publish", "show", lst[0]).stdout
    check("publish show: record and text", "待审核" in show and "今日无新增交办" in show, show)
    state.drafts = {(d[1], d[2]): int(d[0]) for d in drafts}


def test_approved_site(node, state):
    for key, pid in sorted(state.drafts.items(), key=lambda kv: kv[1]):
        r = run(node, "publish", "approve", str(pid), "--by", "县“百日攻坚”办张主任")
        check("approved %d" % pid, r.stdout.startswith("approved\t%d" % pid), r.stdout)
    run(node, "publish", "approve", str(state.first_list), "--by", "x", rc=1)
    wait_for("the site written", lambda: os.path.exists(os.path.join(node.site, "p", "%d.html"
             % max(state.drafts.values()))), timeout=30)
    check("the site is a link swapped in", os.path.islink(node.site))
    idx = open(os.path.join(node.site, "index.html"), encoding="utf-8").read()
    check("the index lists the four", idx.count("<li>") == 4, idx)
    for ch in ("举报电话：12350",):
        check("reporting channels on every page", ch in idx)
    lst = state.drafts[("list", "2026-11-22")]
    page = open(os.path.join(node.site, "p", "%d.html" % lst), encoding="utf-8").read()
    check("empty day", "今日无新增交办" in page)
    check("a natural person as surname + 某", "王某" in page and "李某" in page, page[:2000])
    check("status words", "逾期" in page and "已销号" in page and "提级核查" in page)
    check("held back counted", "另有3项依法暂缓公开" in page)
    check("print layout, no external assets",
          "@media print" in page and "http://" not in page.replace(
              'xmlns="http://www.w3.org/2005/Atom"', "") and "https://" not in page)
    res = open(os.path.join(node.site, "p", "%d.html" % state.drafts[[k for k in state.drafts
                                                                       if k[0] == "results"][0]]),
               encoding="utf-8").read()
    check("results: the rate rectified ÷ found", "66.7%" in res and "重大事故隐患已整改" in res,
          res[:3000])
    check("results: a subject the check found a natural person", "赵某" in res)
    # Atom, CSV, JSON, text
    feed = ET.parse(os.path.join(node.site, "feed.atom")).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    check("atom: four entries", len(feed.findall("a:entry", ns)) == 4)
    raw = open(os.path.join(node.site, "p", "%d.csv" % lst), "rb").read()
    check("csv starts with a BOM", raw.startswith(b"\xef\xbb\xbf"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    check("csv: header and 27 rows, Chinese intact",
          rows[0][:2] == ["序号", "交办文号"] and len(rows) == 28 and "王某" in raw.decode(),
          str(rows[:2]))
    j = json.load(open(os.path.join(node.site, "p", "%d.json" % lst), encoding="utf-8"))
    check("json: the record", j["no"] == lst and len(j["hash"]) == 64 and
          len(j["publication"]["items"]) == 27)
    txt = open(os.path.join(node.site, "p", "%d.txt" % lst), encoding="utf-8").read()
    check("wechat text", txt.startswith("【") and "<" not in txt and "今日无新增交办" in txt)
    code, body = get(node.publish_port, "/site/p/%d.html" % lst)
    check("served by the daemon", code == 200 and body.decode() == page)
    code, _ = get(node.publish_port, "/site/../%s.ini" % node.code)
    check("no path out of the site", code == 404)
    check("publications on /metrics",
          wait_for("issued gauge", lambda: node.metric(node.publish_port,
                                                       "sl_publish_publications") == 4))
    state.lst = lst


def test_correction_beside_original(node, state):
    """A correction is published beside the original, whose pages now link to
    it; the other publications are not rendered again (their files are
    linked from the previous generation: same inodes)."""
    others = [pid for pid in state.drafts.values() if pid != state.lst]
    ino = {pid: os.stat(os.path.join(node.site, "p", "%d.html" % pid)).st_ino for pid in others}
    orig_ino = os.stat(os.path.join(node.site, "p", "%d.html" % state.lst)).st_ino
    gen = os.readlink(node.site)
    sub = sltest.subscriber(node.publish_events, "publication.issued", timeout_ms=15000)
    r = run(node, "publish", "correct", str(state.lst), "--reason", "更正一处问题摘要")
    new = int(r.stdout.split("\t")[1])
    run(node, "publish", "approve", str(new), "--by", "县“百日攻坚”办张主任")
    frames = sub.recv_multipart()
    ev = envelope_pb2.Event()
    ev.ParseFromString(frames[1])
    o = json.loads(ev.json)
    check("publication.issued for the correction", o["id"] == new and
          o["corrects"] == state.lst and o["kind"] == "list", ev.json)
    sub.close()
    wait_for("the correction published",
             lambda: os.path.exists(os.path.join(node.site, "p", "%d.html" % new)), timeout=30)
    wait_for("the original marked corrected", lambda: "已更正" in open(
        os.path.join(node.site, "p", "%d.html" % state.lst), encoding="utf-8").read(), timeout=30)
    orig = open(os.path.join(node.site, "p", "%d.html" % state.lst), encoding="utf-8").read()
    corr = open(os.path.join(node.site, "p", "%d.html" % new), encoding="utf-8").read()
    check("the original names its correction", 'href="%d.html"' % new in orig)
    check("the correction names the original and why",
          'href="%d.html"' % state.lst in corr and "更正一处问题摘要" in corr)
    idx = open(os.path.join(node.site, "index.html"), encoding="utf-8").read()
    check("both in the index", idx.count("<li>") == 5 and "（已更正）" in idx)
    check("a new generation swapped in", os.readlink(node.site) != gen)
    check("the others linked, not rendered again", all(
        os.stat(os.path.join(node.site, "p", "%d.html" % pid)).st_ino == ino[pid] for pid in others)
        and os.stat(os.path.join(node.site, "p", "%d.html" % state.lst)).st_ino != orig_ino)
    last = _write_logged(node, ", 2 publications rendered")
    check("only the correction and the original rendered", ", 2 publications rendered" in last,
          last)
    r = node.sql("UPDATE publication SET title = 'x' WHERE id = %d" % state.lst, check=False)
    check("a publication is never edited",
          node.sql("SELECT title FROM publication WHERE id = %d" % state.lst) != "x")


TYPICAL = {"title": "平遥县应急管理局查处平遥县第1煤业有限公司超层越界开采案",
           "keywords": "超层越界、停产整顿、重大事故隐患", "summary": "超层越界开采必须依法停产整顿。",
           "facts": "2026年11月，群众举报该公司夜间超层越界开采。\n经现场核查属实。",
           "outcome": "责令停产整顿，处罚款。", "analysis": "企业主体责任不落实。",
           "advice": "举一反三，开展越界开采专项排查。", "negative": True}
OFFICIAL = "钱多多"  # named only in a measure's free text: never published


def test_exposure_and_earlier_findings(node, state):
    """Exposure (曝光): a negative typical case (附件5), a unit held accountable
    (exposed, measure ⑤ with persons), a positive example marked through
    intake; an earlier finding (大督查) in the weekly progress. Drafted,
    public only once approved."""
    node.stop("publish")
    path = os.path.join(node.dir, "typical.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(TYPICAL, f, ensure_ascii=False)
    run(node, "case", "typical", state.cases[0], "--file", path, "--operator", "公开专员")
    r = run(node, "case", "typical", state.cases[1], "--positive", "--text",
            "该单位举一反三，主动排查整改隐患12处，经验做法在全县推广。", "--operator", "公开专员")
    check("positive example through intake", r.stdout.startswith("accepted\t" + state.cases[1]),
          r.stdout)
    n = state.notices[state.cases[8]]
    run(node, "transfer", "receipt", n)
    run(node, "transfer", "feedback", n, "--nature", "非法违法生产经营", "--rectified",
        "--exposed", "晋中日报 2026-11-20", "--accountability",
        "对古陶镇安监站站长%s诫勉谈话" % OFFICIAL, "--accountability-persons", "2", *SIGNOFF)
    run(node, "case", "verify", state.cases[8], "--pass", "--operator", "核查员甲")
    fpath = os.path.join(node.dir, "find.csv")
    with open(fpath, "w", encoding="utf-8") as f:
        f.write("来源清单,原编号,被举报单位,统一社会信用代码,行业领域,县级行政区划代码,乡镇（街道）,"
                "问题描述,重大事故隐患\n大督查,DDC-101,平遥县第99煤业有限公司,,煤,140728,古陶镇,"
                "越界开采,否\n")
    check("an earlier finding registered",
          run(node, "finding", "import", fpath).stdout.count("accepted\t") == 1)
    found = run(node, "finding", "list").stdout.split("\t")[2]
    run(node, "case", "public-summary", found, "--text", "大督查发现该单位越界开采，已交办核查。")
    wait_for("the finding transferred", lambda: node.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s'" % found) == "1", timeout=30)
    node.start("publish", env=ENV1, wait=False)
    wait_for("sl-publish healthy", lambda: node._healthy(("publish", 1), node.publish_port),
             timeout=30)
    wait_for("the exposure drafted", lambda: node.sql(
        "SELECT count(*) FROM publication WHERE kind = 'exposure'") == "1", timeout=30)
    wait_for("the results drafted", lambda: node.sql(
        "SELECT count(*) FROM publication WHERE kind = 'results' AND state = 'draft'") == "1",
        timeout=30)
    pid = int(node.sql("SELECT id FROM publication WHERE kind = 'exposure'"))
    res = int(node.sql("SELECT id FROM publication WHERE kind = 'results' AND state = 'draft'"))
    check("the exposure is not public before approval",
          not os.path.exists(os.path.join(node.site, "p", "%d.html" % pid)))
    code, body = get(node.publish_port, "/preview/%d" % pid)
    check("the exposure's preview", code == 200 and "尚未审核发布" in body.decode(), code)
    prog = state.drafts[[k for k in state.drafts if k[0] == "progress"][0]]
    r = run(node, "publish", "correct", str(prog), "--reason", "补列大督查发现的问题", env=ENV1)
    prog2 = int(r.stdout.split("\t")[1])
    for p in (pid, res, prog2):
        run(node, "publish", "approve", str(p), "--by", "县“百日攻坚”办张主任")
    wait_for("the exposure published",
             lambda: os.path.exists(os.path.join(node.site, "p", "%d.html" % pid)), timeout=30)
    page = open(os.path.join(node.site, "p", "%d.html" % pid), encoding="utf-8").read()
    check("exposure: the negative typical case in the annex 5 form",
          "反面典型案例" in page and TYPICAL["title"] in page and "举一反三工作建议" in page
          and "要旨" in page, page[:3000])
    check("exposure: the unit held accountable", "问责曝光" in page and "追责问责2人" in page
          and "晋中日报 2026-11-20" in page and "平遥县第9煤业有限公司" in page, page[-3000:])
    check("exposure: the positive example", "选树提升" in page and "经验做法在全县推广" in page)
    check("exposure: no measure's free text", OFFICIAL not in page)
    rows = list(csv.reader(io.StringIO(open(os.path.join(node.site, "p", "%d.csv" % pid),
                                            encoding="utf-8-sig").read())))
    check("exposure csv: header and three rows", rows[0][1] == "类别" and len(rows) == 4 and
          [r[1] for r in rows[1:]] == ["反面典型案例", "问责曝光", "选树提升"], str(rows))
    wait_for("the corrected progress published",
             lambda: os.path.exists(os.path.join(node.site, "p", "%d.html" % prog2)), timeout=30)
    page = open(os.path.join(node.site, "p", "%d.html" % prog2), encoding="utf-8").read()
    check("progress: the earlier finding, its list named",
          "平遥县第99煤业有限公司" in page and "大督查" in page, page[-3000:])
    state.drafts[("exposure", "W")] = pid
    state.drafts[("progress2", "W")] = prog2


def start_for_drafts(node, n):
    """Starts sl-publish at T1 and waits for N drafts; returns `publish drafts`' rows."""
    node.start("publish", env=ENV1, wait=False)
    wait_for("sl-publish healthy", lambda: node._healthy(("publish", 1), node.publish_port),
             timeout=30)
    wait_for("%d drafts" % n, lambda: node.metric(node.publish_port,
                                                  "sl_publish_drafts_waiting") == n, timeout=30)
    return [l.split("\t") for l in run(node, "publish", "drafts").stdout.splitlines()]


def _role_dump(node):
    """Every row of every table and view the publishing role can read."""
    rels = node.sql("SELECT string_agg(c.relname, ' ') FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN"
                    " ('r', 'v', 'm', 'p') AND has_table_privilege('%s', c.oid, 'SELECT')"
                    % ROLE).split()
    out = []
    for rel in rels:
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                            PG["SL_PG_HOST"], "-p", PG["SL_PG_PORT"], "-U", ROLE, "-d",
                            node.dbname, "-c", "SELECT * FROM %s" % rel],
                           capture_output=True, text=True)
        check("the role reads %s" % rel, r.returncode == 0, r.stderr)
        out.append(r.stdout)
    return rels, "\n".join(out)


def test_privacy(node, state):
    rels, dump = _role_dump(node)
    check("the role reads only views of what may be published and its own records",
          set(rels) <= {"pub_transfer", "pub_list", "pub_node", "pub_typical", "pub_accountable",
                      "pub_earlier", "publication", "daemon_state", "schema_migrations"},
          str(rels))
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-h", PG["SL_PG_HOST"], "-p",
                        PG["SL_PG_PORT"], "-U", ROLE, "-d", node.dbname, "-c",
                        "SELECT reporter_sealed FROM cases LIMIT 1"], capture_output=True,
                       text=True)
    check("the role cannot read the cases", r.returncode != 0 and "permission denied" in r.stderr,
          r.stderr)
    texts = [("role dump", dump)]
    for root, _, files in os.walk(os.path.realpath(node.site)):
        for f in files:
            p = os.path.join(root, f)
            texts.append((p, open(p, encoding="utf-8").read()))
            code, body = get(node.publish_port, "/site/" + os.path.relpath(p, os.path.realpath(
                node.site)))
            texts.append(("served " + f, body.decode()))
    for pid in state.drafts.values():
        texts.append(("preview", get(node.publish_port, "/preview/%d" % pid)[1].decode()))
    secrets = [s for pair in REPORTERS for s in pair] + list(PERSONS.values()) + list(
        FOUND.values()) + [OFFICIAL]
    leaks = ["%s in %s" % (s, where) for where, t in texts for s in secrets if s in t]
    check("no reporter, phone or natural person's name anywhere (%d texts)" % len(texts),
          not leaks, "\n".join(leaks[:20]))
    check("the scan saw the items", any("平遥县第9煤业有限公司" in t for _, t in texts))


def test_pages_on_a_phone(node, state):
    art = os.path.join(os.environ.get("SL_BUILD", node.dir), "test-artifacts")
    os.makedirs(art, exist_ok=True)
    pages = {"list": state.lst}
    pages.update({k[0]: v for k, v in state.drafts.items() if k[0] not in ("list", "progress2")})
    for kind, pid in sorted(pages.items()):
        shot = os.path.join(art, "publish-%s.png" % kind)
        dom, console = chromium("http://127.0.0.1:%d/site/p/%d.html" % (node.publish_port, pid),
                                shot, size="390,1600")
        check("%s page renders" % kind, "举报电话" in dom, dom[:500])
        check("%s page: no console errors" % kind, console == [], "\n".join(console))
        check("%s screenshot kept" % kind, os.path.getsize(shot) > 10000, shot)
        print("screenshot:", shot)


def test_results_auto_approved(node, state):
    """A kind in [publish] auto_approve is released without the office: a case
    销号 now is on the public site at the next tick."""
    node.stop("publish")
    with open(node.ini, "a") as f:  # [publish] is the file's last section
        f.write("auto_approve = results\n")
    node.start("publish", env=ENV1, wait=False)
    wait_for("sl-publish healthy", lambda: node._healthy(("publish", 1), node.publish_port),
             timeout=30)
    c = state.cases[6]
    n = state.notices[c]
    run(node, "transfer", "receipt", n)
    run(node, "transfer", "feedback", n, "--nature", "非法违法生产经营", "--rectified", *SIGNOFF)
    run(node, "case", "verify", c, "--pass", "--operator", "核查员甲")
    wait_for("the new results issued", lambda: node.sql(
        "SELECT count(*) FROM publication WHERE kind = 'results' AND state = 'issued'"
        " AND approved_by = '自动发布'") == "1", timeout=30)
    pid = int(node.sql("SELECT max(id) FROM publication WHERE kind = 'results'"))
    wait_for("its page", lambda: os.path.exists(os.path.join(node.site, "p", "%d.html" % pid)),
             timeout=30)
    page = open(os.path.join(node.site, "p", "%d.html" % pid), encoding="utf-8").read()
    check("only the case closed since the last results",
          page.count('class="item"') == 1 and "平遥县第7煤业有限公司" in page, page[-2000:])


def _site(node, name):
    return open(os.path.join(node.site, name), encoding="utf-8").read()


def _last_write(node):
    return [l for l in node.log("publish").splitlines() if "site written" in l][-1]


def _write_logged(node, what, timeout=10):
    """The last "site written" line once it says WHAT, or after TIMEOUT seconds
    whatever it says: the site is in place a moment before sl-publish logs
    the write that put it there."""
    try:
        wait_for("the write logged", lambda: what in _last_write(node), timeout=timeout)
    except AssertionError:
        pass
    return _last_write(node)


def test_archive_and_feed(node, state):
    """The index lists the newest 100 and links archive pages of 100 each
    (往期公开); the feed carries the newest 50. A draft issued after newer ones
    is found and rendered alone; a full archive page whose publications did
    not change is linked, not rendered again."""
    issued = int(node.sql("SELECT count(*) FROM publication WHERE state = 'issued'"))
    late = int(node.sql(
        "INSERT INTO publication (kind, period, title, body, hash, drafted_at, drafted_by, state)"
        " SELECT 'exposure', 'T-late', '测试公开（后签发）', body, hash, now(), '测试', 'draft'"
        " FROM publication WHERE id = %d RETURNING id" % state.lst).splitlines()[0])
    node.sql("INSERT INTO publication (kind, period, title, body, hash, drafted_at, drafted_by,"
             " state) SELECT 'exposure', 'T-' || g, '测试公开第' || g || '期', body, hash, now(),"
             " '测试', 'draft' FROM publication, generate_series(1, 150) g WHERE id = %d" % state.lst)
    node.sql("UPDATE publication SET state = 'issued', approved_by = '测试', approved_at = now()"
             " WHERE period LIKE 'T-%%' AND state = 'draft' AND id <> %d" % late)
    total = issued + 150
    wait_for("the archive written", lambda: node.metric(
        node.publish_port, "sl_publish_publications") == total and os.path.exists(
        os.path.join(node.site, "archive-2.html")), timeout=60)
    pages = (total + 99) // 100
    idx = _site(node, "index.html")
    check("the index: the newest 100", idx.count('<li><a href="p/') == 100 and
          "测试公开第150期" in idx and "测试公开第50期" not in idx)
    check("the index links every archive page", all(
        'href="archive-%d.html"' % k in idx for k in range(1, pages + 1)) and
        not os.path.exists(os.path.join(node.site, "archive-%d.html" % (pages + 1))))
    listed = sum(_site(node, "archive-%d.html" % k).count('<li><a href="p/')
                 for k in range(1, pages + 1))
    check("the archive pages list every publication once", listed == total, listed)
    check("an archive page says which", "往期公开" in _site(node, "archive-1.html"))
    feed = ET.parse(os.path.join(node.site, "feed.atom")).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    check("atom: the newest 50", len(feed.findall("a:entry", ns)) == 50)
    node.sql("UPDATE publication SET state = 'issued', approved_by = '测试', approved_at = now()"
             " WHERE id = %d" % late)
    wait_for("the late one published",
             lambda: os.path.exists(os.path.join(node.site, "p", "%d.html" % late)), timeout=30)
    last = _write_logged(node, ", 1 publications rendered")
    check("the late one rendered alone", ", 1 publications rendered" in last, last)
    check("the late one in its place", "测试公开（后签发）" in _site(node, "archive-%d.html" % (
        1 + int(node.sql("SELECT count(*) FROM publication WHERE state = 'issued' AND id < %d"
                         % late)) // 100)))
    first_ino = os.stat(os.path.join(node.site, "archive-1.html")).st_ino
    node.sql("INSERT INTO publication (kind, period, title, body, hash, drafted_at, drafted_by,"
             " state, approved_by, approved_at) SELECT 'exposure', 'T-next', '测试公开（最新）',"
             " body, hash, now(), '测试', 'draft', NULL, NULL FROM publication WHERE id = %d"
             % state.lst)
    node.sql("UPDATE publication SET state = 'issued', approved_by = '测试', approved_at = now()"
             " WHERE period = 'T-next'")
    wait_for("the newest published", lambda: "测试公开（最新）" in _site(node, "index.html"),
             timeout=30)
    check("a full archive page unchanged is linked, not rendered again",
          os.stat(os.path.join(node.site, "archive-1.html")).st_ino == first_ino)


def test_clean_stop(node):
    """SIGTERM: sl-publish finishes its tick and exits 0 (in a sanitizer build:
    nothing leaked or overrun)."""
    log = node.logs[("publish", 1)]
    rc = node.stop("publish")
    text = open(log, errors="replace").read()
    check("sl-publish exits 0 on SIGTERM", rc == 0, "exit %s\n%s" % (rc, text[-3000:]))
    check("no sanitizer report", "Sanitizer" not in text, text[-3000:])
