"""pgtrace.py — a daemon's transactions read back from the cluster's log.

For the benchmarks' SL_BENCH_TRACE=1 (bench_intake.py, bench_deadline.py).

start(node) makes the cluster log every statement of the node's database with
its duration (log_min_duration_statement = 0; without the parameters' text,
which would be counted as time before the statement) and returns where the
log stood; stop(node) ends it for the connections made after.
transactions(logpath, offset, opens) cuts what was logged since into
transactions, per server process: from a statement for which OPENS(text) is
true to its COMMIT. steps(tx) gives each statement of one transaction as
(text, bind ms, execute ms, other ms): the database's time as logged (parse
and bind, then execute) and the time before it that was not the database's
(the daemon working, the round trip, a pipeline's statement waiting behind the
one before it).
"""
import os
import re

import sltest

_LINE = re.compile(r"^\S+ (\d+):(\d+):([\d.]+) \S+ \[(\d+)\] LOG:  duration: ([\d.]+) ms\s+"
                   r"(parse|bind|execute|statement)[^:]*: (.{0,70})")


def start(node):
    """Logs every statement of NODE's database from now; returns (log path, offset)."""
    for setting in ("log_min_duration_statement = 0", "log_min_messages = log",
                    "log_parameter_max_length = 0"):
        node.sql('ALTER DATABASE "%s" SET %s' % (node.dbname, setting))
    logpath = os.path.join(sltest.PG["SL_PG_DIR"], "server.log")
    return logpath, os.path.getsize(logpath)


def stop(node):
    """Stops logging NODE's statements (for connections made from now)."""
    for setting in ("log_min_duration_statement", "log_min_messages", "log_parameter_max_length"):
        node.sql('ALTER DATABASE "%s" RESET %s' % (node.dbname, setting))


def transactions(logpath, offset, opens):
    """The transactions logged since OFFSET, each a list of (end ms, ms, phase, text),
    opened by a statement for which OPENS(text) holds and closed by COMMIT."""
    open_by_pid, txs = {}, []
    with open(logpath, errors="replace") as f:
        f.seek(offset)
        for ln in f:
            m = _LINE.search(ln)
            if not m:
                continue
            end = ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + float(m.group(3))) * 1000
            pid, ms, phase, text = m.group(4), float(m.group(5)), m.group(6), m.group(7)
            rows = open_by_pid.get(pid)
            if rows is None and opens(text):
                rows = open_by_pid[pid] = []
            if rows is None:
                continue
            rows.append((end, ms, phase, text))
            if phase in ("execute", "statement") and text.startswith("COMMIT"):
                txs.append(rows)
                del open_by_pid[pid]
    return txs


def steps(tx):
    """The statements of TX: [(text, bind ms, execute ms, other ms)], bind
    counting parse and bind, other the time before the statement that was not
    the database's."""
    out, prev, cur = [], tx[0][0] - tx[0][1], None
    for end, ms, phase, text in tx:
        gap = max(0.0, end - ms - prev)
        prev = end
        if cur is None or phase in ("parse", "statement"):
            cur = [text, 0.0, 0.0, 0.0]
        cur[3] += gap
        if phase in ("execute", "statement"):
            cur[2] += ms
            out.append(tuple(cur))
            cur = None
        else:
            cur[1] += ms
    return out


def span(tx):
    """TX's length, from its first statement's start to COMMIT's end, in ms."""
    return tx[-1][0] - (tx[0][0] - tx[0][1])
