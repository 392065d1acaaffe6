"""table.py — the one benchmark table, from the BENCH lines the benchmarks print.

Reads benchmark output (files or stdin), keeps each "BENCH <name> k=v ..." line
and prints one table: intake at 1, 8 and 32 producers beside PostgreSQL's own
limit for intake's transaction measured in the same run, the ack latency at a
steady 1,000/s, the link, the deadline tick, list issuing, publishing, reports,
the appraisal and each daemon's resident memory. A figure a run did not
produce is "—". Used by tests/bench/run.sh; not a test.

    python3 tests/bench/table.py LOG... [--out FILE]
"""
import argparse
import sys


def parse(lines):
    runs = []
    for ln in lines:
        i = ln.find("BENCH ")
        if i < 0:
            continue
        f = ln[i + 6:].split()
        if not f:
            continue
        kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
        runs.append((f[0], kv))
    return runs


def pick(runs, name, **match):
    for n, kv in runs:
        if n == name and all(kv.get(k) == v for k, v in match.items()):
            return kv
    return {}


def num(kv, key, fmt="%.0f"):
    v = kv.get(key)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "—"
    return "—" if x != x else fmt % x


def table(runs):
    rows = []
    for p in ("1", "8", "32"):
        kv = pick(runs, "intake", producers=p, rate="0")
        rows.append(("intake, %s producer%s" % (p, "" if p == "1" else "s"),
                     "%s envelopes/s" % num(kv, "envelopes_s"),
                     "replay limit %s/s (ratio %s); %s rows/s beside %s bare rows/s"
                     % (num(kv, "replay_s"), num(kv, "ratio", "%.2f"), num(kv, "rows_s"),
                        num(kv, "bare_rows_s"))))
    kv = pick(runs, "intake", rate="1000")
    rows.append(("ack latency at a steady 1,000/s", "p50 %s ms, p99 %s ms"
                 % (num(kv, "p50_ms", "%.1f"), num(kv, "p99_ms", "%.1f")),
                 "1 producer, %s envelopes/s achieved" % num(kv, "envelopes_s")))
    kv = pick(runs, "link")
    rows.append(("link, steady", "%s items/s" % num(kv, "items_s"),
                 "%s items, county to city" % kv.get("items", "—")))
    rows.append(("link, backlog drain", "%s s" % num(kv, "drain_s", "%.1f"),
                 "%s items queued while the city was down (%s items/s)"
                 % (kv.get("backlog", "—"), num(kv, "drain_items_s"))))
    warm = [kv for n, kv in runs if n == "deadline" and kv.get("warm", "0") != "0"]
    for kv, what in ((warm[0] if warm else {}, ""),
                     (warm[1] if len(warm) > 1 else {}, ", 4 KiB pages")):
        rows.append(("deadline tick, %s due of %s open%s"
                     % (kv.get("due", "—"), kv.get("open", "—"), what),
                     "%s ms" % num(kv, "tick_ms", "%.1f"),
                     "median of %s ticks (the first %s, %s-%s) over %s connection(s);"
                     " idle tick %s ms; %s"
                     % (kv.get("repeat", "1"), num(kv, "first_ms", "%.1f"),
                        num(kv, "min_ms", "%.1f"), num(kv, "max_ms", "%.1f"),
                        kv.get("connections", "1"), num(kv, "idle_ms", "%.2f"),
                        "huge pages" if kv.get("huge_pages") == "1" else "no huge pages")))
    kv = pick(runs, "deadline", warm="0")
    rows.append(("deadline tick, the connections' first", "%s ms" % num(kv, "tick_ms", "%.1f"),
                 "the same, with no tick with work before it (catalog caches, plans cold)"))
    kv = pick(runs, "dispatch")
    rows.append(("list issuing, 10,000 transfers", "%s s" % num(kv, "list10k_s", "%.2f"),
                 "median of %s lists from a backlog of %s; SIGTERM %s s; heartbeat age max %s s"
                 % (kv.get("lists", "—"), kv.get("cases", "—"), num(kv, "sigterm_s", "%.1f"),
                    num(kv, "heartbeat_max_s", "%.1f"))))
    kv = pick(runs, "publish")
    rows.append(("publish regeneration, %s cases" % kv.get("cases", "—"),
                 "%s s" % num(kv, "site_s", "%.2f"), "%s files" % kv.get("files", "—")))
    kv = pick(runs, "reports")
    rows.append(("report build (weekly), %s cases" % kv.get("cases", "—"),
                 "%s s" % num(kv, "build_s", "%.2f"), "slctl report build --weekly, wall"))
    for node, what in (("140000", "province"), ("140700", "city")):
        kv = pick(runs, "appraise", node=node)
        rows.append(("appraisal month (%s), %s cases" % (what, kv.get("cases", "—")),
                     "%s s" % num(kv, "run_s", "%.2f"),
                     "slctl appraise run; again %s s" % num(kv, "again_s", "%.2f")))
    rss = [("sl-intake", pick(runs, "intake", producers="8", rate="0"), "after 8 producers"),
           ("sl-dispatch", pick(runs, "dispatch"), "at start / after the backlog's lists"),
           ("sl-deadline", pick(runs, "deadline"), "on the empty node / after the big ticks"),
           ("sl-publish", pick(runs, "publish"), "idle after / right after regenerating"),
           ("sl-appraise", pick(runs, "appraise", node="140700"),
            "at start / peak after scoring the city's month")]
    for name, kv, note in rss:
        rows.append(("RSS %s" % name, "idle %s MiB, loaded %s MiB"
                     % (num(kv, "rss_idle_mib", "%.1f"), num(kv, "rss_load_mib", "%.1f")), note))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    out = ["%-*s  %-*s  %s" % (w0, "measure", w1, "figure", "beside it"),
           "%s  %s  %s" % ("-" * w0, "-" * w1, "-" * 40)]
    out += ["%-*s  %-*s  %s" % (w0, a, w1, b, c) for a, b, c in rows]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("logs", nargs="*")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = []
    for p in a.logs or ["-"]:
        lines += (sys.stdin if p == "-" else open(p, errors="replace")).read().splitlines()
    text = table(parse(lines))
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
