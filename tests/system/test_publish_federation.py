"""test_publish_federation.py — issue 19's acceptance on the demo federation
(山西省 → 晋中市 → 平遥县, each its own database, sl-intake and sl-dispatch
running; sl-publish at the county, SL_NOW pinned).

Twenty-four clues are reported at the county and three at the province, which
come down through the city. The county's office writes public summaries for
all but one, holds one back (刑事侦查), closes six (one exposed with measure ⑤
taken), fails one verification (提级核查) and makes one negative typical case
(附件5); the rest run past their deadline (逾期) by the day sl-publish runs.
Nothing is public before the office approves it; then the county's daily
list, the weekly progress, the results and the exposure open in headless
Chromium at phone width without console errors (screenshots kept), the Atom
feed parses, the CSV reads back, a correction shows beside the original, and
no reporter's name or phone, nor a liaison's or an official's phone, is in
any file the portal writes or serves or in anything the publishing role can
read.
"""
import csv
import io
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, chromium, wait_for  # noqa: E402
from test_publish import _role_dump, get, start_for_drafts  # noqa: E402

T0 = "2026-11-10T09:00:00+08:00"  # a Tuesday: the clues and transfers
T1 = "2026-11-22T10:00:00+08:00"  # twelve days on: sl-publish runs
ENV = dict(os.environ, SL_NOW=T0)
ENV1 = dict(os.environ, SL_NOW=T1)
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIGNOFF = ["--leader", "王县长", "--leader-title", "县长"]
N_COUNTY, N_PROV = 24, 3
REPORTERS = [("举报人%s" % "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10],
              "1370000%04d" % (2000 + i)) for i in range(N_COUNTY + N_PROV)]
LIAISON_PHONES = ["0354-5611111", "13811110001"]
OFFICIAL_PHONE = "13922220001"


def run(node, *args, env=ENV, rc=0):
    r = node.slctl(*args, env=env, check=False)
    if rc is not None and r.returncode != rc:
        raise AssertionError("slctl %s at %s: exit %d, wanted %d: %s%s" % (
            " ".join(args), node.code, r.returncode, rc, r.stdout, r.stderr))
    return r


def write(node, name, text):
    path = os.path.join(node.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


@pytest.fixture(scope="module")
def fed(nodes):
    chain = nodes.federation("pubfed", codes=("140000", "140700", "140728"))
    county = chain["140728"]
    county.publish_port = sltest.free_port()
    with open(county.ini, "a") as f:
        f.write("[publish]\nhttp = 127.0.0.1:%d\nsite_dir = site\ntemplates = %s/templates\n"
                "tick_seconds = 1\ntime_of_day = 00:00\n" % (county.publish_port, SRC))
    county.site = os.path.join(county.dir, "site")
    for n in chain.values():
        n.start("intake", env=ENV)
        n.start("dispatch", env=ENV)
    return chain


def test_clues_through_the_federation(fed, state):
    prov, county = fed["140000"], fed["140728"]
    # the registers' phones, which must never reach the portal
    run(county, "liaison", "import", write(county, "lia.csv", "单位,姓名,职务,办公电话,手机\n"
        "140728:emergency,赵六,安全生产基础科科长,%s,%s\n" % tuple(LIAISON_PHONES)))
    run(county, "official", "import", write(county, "off.csv",
        "人员编号,姓名,单位,职务,任职起始,任职终止,联系电话\n"
        "P001,王建国,140728:emergency,局长,2026-01-01,,%s\n" % OFFICIAL_PHONE))
    for i in range(N_COUNTY + N_PROV):
        name, phone = REPORTERS[i]
        at = prov if i >= N_COUNTY else county
        flags = ["--major-hazard"] if i < 5 else []
        run(at, "submit", "--subject", "平遥县第%d煤业有限公司" % (i + 1), "--division", "140728",
            "--sector", "煤", "--township", "古陶镇", "--description",
            "举报人%s（电话%s）称该处夜间偷采" % (name, phone), "--reporter-name", name,
            "--reporter-phone", phone, *flags)
    wait_for("every clue transferred at the county", lambda: county.sql(
        "SELECT count(*) FROM transfer WHERE kind = 'handling'") == str(N_COUNTY + N_PROV),
        timeout=90)
    rows = county.sql("SELECT c.case_no, t.notice_no, c.subject_name FROM transfer t"
                      " JOIN cases c ON c.id = t.case_id WHERE t.kind = 'handling'"
                      " ORDER BY c.subject_name").splitlines()
    by_subject = {r.split("|")[2]: r.split("|")[:2] for r in rows}
    cases = [by_subject["平遥县第%d煤业有限公司" % (i + 1)] for i in range(N_COUNTY + N_PROV)]
    check("the province's clues came down through the city", county.sql(
        "SELECT count(*) FROM cases WHERE channel = 'UPPER_TRANSFER'") == str(N_PROV))
    for i, (c, _) in enumerate(cases[:-1]):  # the last one: summary missing
        run(county, "case", "public-summary", c, "--text",
            "反映该单位存在%s问题，已交办核查。" % ("超层越界开采" if i % 2 else "无证开采"))
    run(county, "publish", "hold", cases[20][0], "--reason", "涉嫌犯罪，公安机关正在侦查")
    for i in range(7):  # six closed, one false completion (提级核查)
        c, n = cases[i]
        run(county, "transfer", "receipt", n)
        extra = ["--hazard-rectified"] if i < 4 else ["--penalized"]
        if i == 5:
            extra += ["--exposed", "晋中日报 2026-11-20", "--accountability",
                      "对古陶镇安监站负责人诫勉谈话", "--accountability-persons", "1"]
        run(county, "transfer", "feedback", n, "--nature", "非法违法生产经营", "--rectified",
            *extra, *SIGNOFF)
        verdict = ["--pass"] if i < 6 else ["--fail", "--reason", "整改不到位"]
        run(county, "case", "verify", c, *verdict, "--operator", "核查员甲")
    run(county, "case", "typical", cases[0][0], "--file", write(county, "typical.json", (
        '{"title": "平遥县应急管理局查处平遥县第1煤业有限公司无证开采案",'
        ' "keywords": "无证开采、停产整顿、重大事故隐患", "facts": "经现场核查，举报属实。",'
        ' "outcome": "责令停产整顿。", "advice": "开展无证开采专项排查。"}')))
    check("six closed, one escalated", county.sql(
        "SELECT count(*) FILTER (WHERE state = 'closed'),"
        " (SELECT count(*) FROM transfer_escalation) FROM transfer") == "6|1")
    state.cases = cases


def test_nothing_public_before_approval(fed, state):
    county = fed["140728"]
    drafts = start_for_drafts(county, 4)
    state.drafts = {d[1]: int(d[0]) for d in drafts}
    check("list, progress, results, exposure drafted",
          sorted(state.drafts) == ["exposure", "list", "progress", "results"], str(drafts))
    wait_for("the empty site", lambda: os.path.exists(os.path.join(county.site, "index.html")))
    check("nothing written before approval", os.listdir(os.path.join(county.site, "p")) == [])
    for pid in state.drafts.values():
        check("draft %d not served" % pid,
              get(county.publish_port, "/site/p/%d.html" % pid)[0] == 404)
    lst = [d for d in drafts if d[1] == "list"][0]
    check("list: 25 items, one held, one summary missing", lst[5:8] == ["25", "1", "1"], str(lst))
    for pid in sorted(state.drafts.values()):
        run(county, "publish", "approve", str(pid), "--by", "县“百日攻坚”办张主任")
    wait_for("the site written", lambda: all(os.path.exists(os.path.join(
        county.site, "p", "%d.html" % p)) for p in state.drafts.values()), timeout=30)


def test_pages_feed_csv_and_correction(fed, state):
    county = fed["140728"]
    site = county.site
    page = lambda pid: open(os.path.join(site, "p", "%d.html" % pid), encoding="utf-8").read()
    lst = page(state.drafts["list"])
    check("list: statuses in the plan's words",
          all(w in lst for w in ("逾期", "已销号", "提级核查")), lst[-3000:])
    check("list: held back counted", "另有2项依法暂缓公开" in lst)
    check("results: the rate", "重大事故隐患整改率" in page(state.drafts["results"]))
    exp = page(state.drafts["exposure"])
    check("exposure: typical case and the unit held accountable",
          "反面典型案例" in exp and "问责曝光" in exp and "追责问责1人" in exp, exp[-3000:])
    feed = ET.parse(os.path.join(site, "feed.atom")).getroot()
    check("atom parses: four entries",
          len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 4)
    raw = open(os.path.join(site, "p", "%d.csv" % state.drafts["list"]), "rb").read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    check("csv: BOM, header, 25 rows, Chinese intact", raw.startswith(b"\xef\xbb\xbf") and
          rows[0][0] == "序号" and len(rows) == 26 and rows[1][9] in ("逾期", "已销号", "提级核查",
                                                                      "整改中", "核查中"),
          str(rows[:2]))
    r = run(county, "publish", "correct", str(state.drafts["list"]), "--reason", "更正问题摘要",
            env=ENV1)
    new = int(r.stdout.split("\t")[1])
    run(county, "publish", "approve", str(new), "--by", "县“百日攻坚”办张主任")
    wait_for("the original marked corrected", lambda: os.path.exists(os.path.join(
        site, "p", "%d.html" % new)) and "已更正" in page(state.drafts["list"]), timeout=30)
    check("the correction beside the original",
          'href="%d.html"' % new in page(state.drafts["list"]) and
          'href="%d.html"' % state.drafts["list"] in page(new) and "更正问题摘要" in page(new))
    state.correction = new


def test_pages_on_a_phone(fed, state):
    county = fed["140728"]
    art = os.path.join(os.environ.get("SL_BUILD", county.dir), "test-artifacts")
    os.makedirs(art, exist_ok=True)
    for kind in ("list", "progress", "results", "exposure"):
        shot = os.path.join(art, "publish-federation-%s.png" % kind)
        dom, console = chromium("http://127.0.0.1:%d/site/p/%d.html" % (
            county.publish_port, state.drafts[kind]), shot, size="390,1600")
        check("%s page renders" % kind, "举报电话" in dom, dom[:500])
        check("%s page: no console errors" % kind, console == [], "\n".join(console))
        check("%s screenshot kept" % kind, os.path.getsize(shot) > 10000, shot)


def test_privacy(fed, state):
    county = fed["140728"]
    _, dump = _role_dump(county)
    texts = [("role dump", dump)]
    root = os.path.realpath(county.site)
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            texts.append((p, open(p, encoding="utf-8").read()))
            texts.append(("served " + f, get(county.publish_port, "/site/" + os.path.relpath(
                p, root))[1].decode()))
    secrets = [s for pair in REPORTERS for s in pair] + LIAISON_PHONES + [OFFICIAL_PHONE]
    leaks = ["%s in %s" % (s, w) for w, t in texts for s in secrets if s in t]
    check("no reporter, liaison's or official's phone anywhere (%d texts)" % len(texts),
          not leaks, "\n".join(leaks[:20]))
    check("the scan saw the items", any("平遥县第26煤业有限公司" in t for _, t in texts))
    check("sl-publish stops cleanly", county.stop("publish") == 0)
