"""test_federation.py — four nodes linked as DESIGN.md "Routing between levels" says.

山西省 140000 → 晋中市 140700 → 平遥县 140728 and 介休市 140781, each its own
database, real sl-intake and sl-dispatch, CURVE links with exchanged keys,
SL_NOW pinned to an ordinary week.

1. A case registered at the province about 平遥县 is transferred to 晋中市 (a
   child that runs a node), registered there (channel UPPER_TRANSFER, with the
   province's case and notice numbers; the receipt goes up by itself), handed
   down to 平遥县 and handled there by its emergency bureau. Progress travels
   up both levels. Each level answers for itself: 平遥县 verifies its bureau's
   feedback and sends its own, signed by its county head; 晋中市 verifies that
   and sends its own, signed by its mayor; the province first fails it (false
   completion: 晋中市's case is reopened and transferred down again, as a new
   case at 平遥县), then, after the second round, verifies it and closes it.
   The decisions reach the lower levels.
2. A clue submitted at 平遥县 about a place in 介休市 is forwarded to 晋中市,
   registered there, and transferred down to 介休市; the reporter travels
   sealed for each receiving node (opened at 介休市 with 介休市's key only;
   "reporter_resealed" on 晋中市's case). `slctl link list` shows the links.
"""
import os
import sys
import types

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import check, wait_for  # noqa: E402

T0 = "2021-11-15T09:00:00+08:00"  # a Monday
ENV = dict(os.environ, SL_NOW=T0)

FEEDBACK = ["--nature", "非法违法生产经营", "--suspended", "--penalized", "--penalty-fen",
            "3000000", "--result", "已停产整顿并处罚款3万元", "--rectified"]


def sl(node, *args, check_rc=True):
    r = node.slctl(*args, env=ENV, check=False)
    if check_rc and r.returncode != 0:
        raise AssertionError("slctl %s at %s failed (%d): %s%s" % (
            " ".join(args), node.code, r.returncode, r.stdout, r.stderr))
    return r


def cases(node, where="true"):
    out = node.sql("SELECT case_no, status, channel, coalesce(upper_case_no, ''),"
                   " coalesce(upper_notice_no, ''), coalesce(unit_code, '') FROM cases"
                   " WHERE %s ORDER BY id" % where)
    return [l.split("|") for l in out.splitlines() if l]


def transfer_of(node, case_no, state=None, n=1):
    """The newest handling transfer of CASE_NO as (notice, unit, state), waiting
    for the N-th one (and for STATE, if given)."""
    def get():
        rows = [l.split("|") for l in node.sql(
            "SELECT t.notice_no, t.unit_code, t.state FROM transfer t JOIN cases c"
            " ON c.id = t.case_id WHERE c.case_no = '%s' AND t.kind = 'handling'"
            " ORDER BY t.id" % case_no).splitlines()
            if l]
        if len(rows) >= n and (state is None or rows[-1][2] == state):
            return rows[-1]
        return None
    return wait_for("transfer %d of %s at %s%s" % (n, case_no, node.code,
                                                   " in state " + state if state else ""),
                    get, timeout=60)


def upper_case(node, upper_notice, n=1):
    def get():
        rows = cases(node, "upper_notice_no = '%s'" % upper_notice)
        return rows[-1] if len(rows) >= n else None
    return wait_for("the case of %s at %s" % (upper_notice, node.code), get, timeout=60)


def events(node, case_no):
    out = node.sql("SELECT e.kind FROM case_event e JOIN cases c ON c.id = e.case_id"
                   " WHERE c.case_no = '%s' ORDER BY e.seq" % case_no)
    return out.splitlines()


def handle_at_county(county, upper_notice, round_no):
    """平遥县: the case from 晋中市, handled by its emergency bureau (an operator
    answers for it), verified, then its own feedback signed by the county head."""
    case = upper_case(county, upper_notice)
    check("county case registered from the city's transfer (round %d)" % round_no,
          case[2] == "UPPER_TRANSFER" and case[4] == upper_notice and
          case[5] == "140728:emergency", str(case))
    notice, unit, _ = transfer_of(county, case[0])
    check("county transfers it to its own emergency bureau", unit == "140728:emergency", unit)
    sl(county, "transfer", "receipt", notice, "--operator", "值班员")
    sl(county, "transfer", "progress", notice, "--text", "已现场检查", "--operator", "值班员")
    sl(county, "transfer", "feedback", notice, *FEEDBACK, "--leader", "张局长",
       "--leader-title", "局长", "--operator", "值班员")
    r = sl(county, "case", "feedback-up", case[0], *FEEDBACK, "--leader", "李县长",
           "--leader-title", "县长", "--operator", "值班员", check_rc=False)
    check("feedback up refused before the county verified its own handling",
          r.returncode == 3 and "wrong_state:fed_back" in r.stderr, r.stdout + r.stderr)
    sl(county, "transfer", "decide", notice, "--verify-pass", "--operator", "县核查员")
    sl(county, "case", "feedback-up", case[0], *FEEDBACK, "--leader", "李县长",
       "--leader-title", "县长", "--operator", "值班员")
    return case[0]


@pytest.fixture(scope="module")
def fed(federation):
    """The four nodes with sl-intake and sl-dispatch running, as a namespace:
    nodes (code -> Node), prov, city, county, jx."""
    for n in federation.values():
        n.start("intake", env={"SL_NOW": T0})
        n.start("dispatch", env={"SL_NOW": T0})
    prov, city, county, jx = (federation[c] for c in ("140000", "140700", "140728", "140781"))
    return types.SimpleNamespace(nodes=federation, prov=prov, city=city, county=county, jx=jx)


def test_children_marked_as_running_a_node(fed):
    prov, city = fed.prov, fed.city
    check("children marked as running a node", prov.sql(
        "SELECT has_node FROM unit WHERE code = '140700'") == "t" and city.sql(
        "SELECT string_agg(code, ',' ORDER BY code) FROM unit WHERE has_node") ==
        "140728,140781")


# --- 1. province → city → county, and back up -----------------------------------
def test_province_transfers_down_through_the_city(fed, state):
    prov, city = fed.prov, fed.city
    r = sl(prov, "submit", "--subject", "平遥县某某煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "超层越界开采", "--reporter-name", "王五",
           "--reporter-phone", "13900000001")
    pcase = r.stdout.split("\t")[1]
    pnotice, punit, _ = transfer_of(prov, pcase)
    check("province transfers to 晋中市 (a child with a node)", punit == "140700", punit)
    check("delivered through the outbox", prov.sql(
        "SELECT delivery FROM transfer WHERE notice_no = '%s'" % pnotice) == "outbox")
    ccase = upper_case(city, pnotice)
    check("city registers it: channel, upper numbers, routed down to 平遥县",
          ccase[2] == "UPPER_TRANSFER" and ccase[3] == pcase and ccase[4] == pnotice and
          ccase[5] == "140728", str(ccase))
    transfer_of(prov, pcase, state="received")
    check("the city's receipt reached the province", prov.sql(
        "SELECT receiver_name IS NULL AND receipt_date = '2021-11-15' FROM transfer"
        " WHERE notice_no = '%s'" % pnotice) == "t")
    cnotice, cunit, _ = transfer_of(city, ccase[0])
    check("city transfers down to 平遥县", cunit == "140728", cunit)
    state.pcase, state.pnotice, state.ccase, state.cnotice = pcase, pnotice, ccase, cnotice


def test_county_handles_and_answers_up(fed, state):
    prov, city, county = fed.prov, fed.city, fed.county
    pcase, pnotice, ccase, cnotice = state.pcase, state.pnotice, state.ccase, state.cnotice
    county_case = handle_at_county(county, cnotice, 1)
    transfer_of(city, ccase[0], state="fed_back")
    fb = city.sql("SELECT feedback FROM transfer WHERE notice_no = '%s'" % cnotice)
    check("county feedback at the city, signed by the county head",
          "李县长" in fb and "县长" in fb, fb)
    wait_for("progress up two levels", lambda: city.sql(
        "SELECT progress_count FROM transfer WHERE notice_no = '%s'" % cnotice) == "1" and
        prov.sql("SELECT progress_count FROM transfer WHERE notice_no = '%s'" % pnotice) == "1")
    check("the province heard nothing yet but receipt and progress",
          transfer_of(prov, pcase)[2] == "in_progress")
    state.county_case = county_case


def test_city_verifies_and_answers_with_its_own_feedback(fed, state):
    prov, city, county = fed.prov, fed.city, fed.county
    pcase, pnotice, ccase, cnotice = state.pcase, state.pnotice, state.ccase, state.cnotice
    county_case = state.county_case
    sl(city, "transfer", "decide", cnotice, "--verify-pass", "--operator", "市核查员")
    wait_for("the city's verification at the county", lambda: "upper_verified" in
             events(county, county_case))
    sl(city, "case", "feedback-up", ccase[0], *FEEDBACK, "--leader", "赵市长",
       "--leader-title", "市长", "--operator", "值班员")
    transfer_of(prov, pcase, state="fed_back")
    fb = prov.sql("SELECT feedback FROM transfer WHERE notice_no = '%s'" % pnotice)
    check("the province holds the city's own feedback, signed by the mayor",
          "赵市长" in fb and "李县长" not in fb, fb)


def test_false_completion_handled_again_below(fed, state):
    prov, city, county = fed.prov, fed.city, fed.county
    pcase, pnotice, ccase, cnotice = state.pcase, state.pnotice, state.ccase, state.cnotice
    county_case = state.county_case
    sl(prov, "transfer", "decide", pnotice, "--verify-fail", "--reason",
       "现场复核仍在生产", "--operator", "省核查员")
    wait_for("false completion at the city", lambda: "false_completion" in
             events(city, ccase[0]))
    cnotice2, cunit2, _ = transfer_of(city, ccase[0], n=2)
    check("the city's case is transferred down again under a new notice",
          cnotice2 != cnotice and cunit2 == "140728", cnotice2)
    county_case2 = handle_at_county(county, cnotice2, 2)
    check("a new case at the county", county_case2 != county_case)
    transfer_of(city, ccase[0], state="fed_back", n=2)
    sl(city, "transfer", "decide", cnotice2, "--verify-pass", "--operator", "市核查员")
    sl(city, "case", "feedback-up", ccase[0], *FEEDBACK, "--leader", "赵市长",
       "--leader-title", "市长", "--operator", "值班员")
    transfer_of(prov, pcase, state="fed_back")


def test_province_verification_closes_the_loop(fed, state):
    prov, city = fed.prov, fed.city
    pcase, pnotice, ccase = state.pcase, state.pnotice, state.ccase
    sl(prov, "transfer", "decide", pnotice, "--verify-pass", "--operator", "省核查员")
    check("the province's verification closes its case", prov.sql(
        "SELECT status FROM cases WHERE case_no = '%s'" % pcase) == "closed" and
        transfer_of(prov, pcase)[2] == "closed")
    wait_for("the province's verification at the city", lambda: "upper_verified" in
             events(city, ccase[0]))
    ev = events(city, ccase[0])
    check("the city's chain: registered, transferred, answered up, verified from above",
          ev[0] == "registered" and "transferred" in ev and ev.count("answered_up") == 2 and
          ev[-1] == "upper_verified", str(ev))


def test_audit_chains_intact_after_the_loop(fed):
    sltest.check_audit(*fed.nodes.values())


# --- 2. a clue at 平遥县 about 介休市 ------------------------------------------------
def test_clue_about_another_county_forwarded_and_resealed(fed):
    city, county, jx, nodes = fed.city, fed.county, fed.jx, fed.nodes
    r = sl(county, "submit", "--subject", "介休市某焦化有限公司", "--division", "140781",
           "--sector", "危化", "--reporter-name", "赵六", "--reporter-phone", "13900000002")
    check("forwarded to the parent", r.stdout.split("\t")[2] == "forwarded:140700", r.stdout)
    got = wait_for("the clue at the city", lambda: cases(
        city, "subject_name = '介休市某焦化有限公司'"), timeout=60)[0]
    check("the city registers it from the lower node, routed to 介休市",
          got[2] == "LOWER_NODE" and got[5] == "140781", str(got))
    jnotice, junit, _ = transfer_of(city, got[0])
    check("transferred down to 介休市", junit == "140781", junit)
    jcase = upper_case(jx, jnotice)
    check("介休市 registers it", jcase[2] == "UPPER_TRANSFER" and jcase[3] == got[0], str(jcase))
    r = sl(jx, "case", "show", jcase[0], "--reveal", "--key",
           os.path.join(jx.dir, "keys/seal.key"))
    check("the reporter opens at 介休市 with 介休市's key", "赵六" in r.stdout and
          "13900000002" in r.stdout, r.stdout)
    r = sl(jx, "case", "show", jcase[0], "--reveal", "--key",
           os.path.join(city.dir, "keys/seal.key"), check_rc=False)
    check("and not with the city's", r.returncode != 0 and "赵六" not in r.stdout)
    r = sl(city, "case", "show", got[0], "--reveal", "--key",
           os.path.join(city.dir, "keys/seal.key"))
    check("the city opens its own copy", "赵六" in r.stdout, r.stdout)
    check("re-sealing on the city's chain", "reporter_resealed" in events(city, got[0]))
    check("no clear reporter in any outbox or inbox", all(n.sql(
        "SELECT (SELECT count(*) FROM outbox WHERE position(convert_to('赵六', 'UTF8')"
        " IN payload) > 0) + (SELECT count(*) FROM inbox WHERE"
        " position(convert_to('13900000002', 'UTF8') IN raw) > 0)") == "0"
        for n in nodes.values()))


# --- 3. objections accepted above: withdrawn down the levels ---------------------
def test_county_objection_accepted_by_the_city_withdraws(fed):
    """The county objects, the city accepts: withdrawn down the levels."""
    city, county = fed.city, fed.county
    r = sl(city, "submit", "--subject", "平遥县某异议煤业有限公司", "--division", "140728",
           "--sector", "煤", "--description", "疑似越界开采")
    wcase = r.stdout.split("\t")[1]
    wnotice, wunit, _ = transfer_of(city, wcase)
    check("the city transfers it down to 平遥县", wunit == "140728", wunit)
    kcase = upper_case(county, wnotice)
    knotice, kunit, _ = transfer_of(county, kcase[0])
    check("平遥县 transfers it on to its emergency bureau", kunit == "140728:emergency", kunit)
    sl(county, "transfer", "receipt", knotice, "--operator", "值班员")
    sl(county, "case", "objection-up", kcase[0], "--reason", "该矿属市级监管企业",
       "--operator", "值班员")
    transfer_of(city, wcase, state="objected")
    sl(city, "transfer", "decide", wnotice, "--accept", "--to", "140700:emergency",
       "--reason", "异议成立，由市应急管理局直接办理", "--operator", "市调度员")
    wait_for("the county's case withdrawn", lambda: cases(
        county, "case_no = '%s' AND status = 'closed'" % kcase[0]), timeout=60)
    own = county.sql("SELECT state || '|' || decision || '|' || coalesce(decision_reason, '')"
                     " FROM transfer WHERE notice_no = '%s'" % knotice)
    check("the county's own transfer is withdrawn with it (its clocks stop)",
          own.startswith("closed|withdrawn|上级异议成立"), own)
    check("and reads 已撤回", "状态\t已撤回" in sl(county, "transfer", "show", knotice).stdout)
    ev = events(county, kcase[0])
    check("the county's chain: objection accepted above, then its transfer withdrawn",
          ev[-2:] == ["upper_objection_accepted", "transfer_withdrawn"], str(ev))
    r = sl(county, "transfer", "feedback", knotice, *FEEDBACK, "--leader", "张局长",
           "--leader-title", "局长", "--operator", "值班员", check_rc=False)
    check("a late answer on the withdrawn transfer is refused",
          r.returncode == 3 and "wrong_state:closed" in r.stderr, r.stdout + r.stderr)
    _, runit, _ = transfer_of(city, wcase, n=2)
    check("the city re-transfers the case to its own bureau", runit == "140700:emergency",
          runit)


def test_city_objection_accepted_by_the_province_withdraws_two_levels(fed):
    """The city objects, the province accepts: the withdrawal goes down through
    the city to the county's own transfer."""
    prov, city, county = fed.prov, fed.city, fed.county
    r = sl(prov, "submit", "--subject", "平遥县某省管煤业有限公司", "--division", "140728",
           "--sector", "煤")
    pcase2 = r.stdout.split("\t")[1]
    pnotice2, _, _ = transfer_of(prov, pcase2)
    ccase2 = upper_case(city, pnotice2)
    cnotice2, _, _ = transfer_of(city, ccase2[0])
    kcase2 = upper_case(county, cnotice2)
    knotice2, _, _ = transfer_of(county, kcase2[0])
    sl(city, "case", "objection-up", ccase2[0], "--reason", "该矿属省级监管企业",
       "--operator", "市调度员")
    transfer_of(prov, pcase2, state="objected")
    sl(prov, "transfer", "decide", pnotice2, "--accept", "--to", "140000:emergency",
       "--reason", "异议成立，由省应急管理厅办理", "--operator", "省调度员")
    wait_for("the withdrawal at the county", lambda: county.sql(
        "SELECT state FROM transfer WHERE notice_no = '%s'" % knotice2) == "closed",
        timeout=60)
    check("the city's transfer down is withdrawn", city.sql(
        "SELECT state || '|' || decision FROM transfer WHERE notice_no = '%s'" % cnotice2)
        == "closed|withdrawn")
    check("the county's case and its own transfer are withdrawn", county.sql(
        "SELECT c.status || '|' || t.decision FROM cases c JOIN transfer t ON t.case_id = c.id"
        " WHERE t.notice_no = '%s'" % knotice2) == "closed|withdrawn")


def test_audit_chains_intact_after_the_withdrawals(fed):
    sltest.check_audit(fed.city, fed.county)


# --- links as operators see them ----------------------------------------------------
def test_link_list(fed):
    city, nodes = fed.city, fed.nodes
    delivered = dict(l.split("|") for l in city.sql(
        "SELECT peer, count(*) FROM outbox WHERE delivered_at IS NOT NULL GROUP BY peer"
    ).splitlines())
    check("the city sent to every peer", set(delivered) == {"140000", "140728", "140781"},
          str(delivered))

    def listed():
        out = sl(city, "link", "list").stdout.splitlines()
        rows = {l.split("\t")[0]: l.split("\t") for l in out[1:]}
        return rows if set(rows) == {"140000", "140728", "140781"} and all(
            r[2] == "0" and r[8] == "yes" and r[5] == delivered[p]
            for p, r in rows.items()) else None
    rows = wait_for("link list: every peer drained, connected, its acks counted", listed,
                    timeout=30)
    check("link list names the children", rows["140781"][1] == "介休市", str(rows))
    check("nothing parked anywhere", all(
        n.sql("SELECT count(*) FROM outbox WHERE parked_reason IS NOT NULL") == "0"
        for n in nodes.values()))


def test_stopped_sender_shows_stale(fed):
    prov = fed.prov
    r = prov.slctl("link", "list", env=dict(os.environ, SL_NOW="2021-11-15T09:00:05+08:00"))
    check("the province's sender is live", r.stdout.splitlines()[1].endswith("\tyes"),
          r.stdout)
    check("the province's sl-dispatch stops cleanly", prov.stop("dispatch") == 0)
    # ten minutes on (the daemons' clocks started at T0 too): no write since
    r = prov.slctl("link", "list", env=dict(os.environ, SL_NOW="2021-11-15T09:10:00+08:00"))
    check("a stopped sender shows stale", r.stdout.splitlines()[1].endswith("\tstale"),
          r.stdout)


def test_daemons_exit_0_on_sigterm(fed):
    for n in fed.nodes.values():
        for d in ("dispatch", "intake"):
            if (d, 1) in n.procs:
                rc = n.stop(d)
                check("%s sl-%s exits 0 on SIGTERM (links closed, nothing leaked)" % (
                    n.code, d), rc == 0, str(rc))
