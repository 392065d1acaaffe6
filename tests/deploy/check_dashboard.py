#!/usr/bin/python3
"""check_dashboard.py DASHBOARD.json — the Grafana dashboard is valid JSON, its
panels do not overlap, and each query is PromQL that promtool parses (written
as recording rules into a temporary file for `promtool check rules`)."""
import json
import os
import subprocess
import sys
import tempfile

path = sys.argv[1]
with open(path) as f:
    dash = json.load(f)
cells, exprs, bad = {}, [], []
for p in dash["panels"]:
    g = p["gridPos"]
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                bad.append("panels %r and %r overlap" % (cells[(x, y)], p["title"]))
            cells[(x, y)] = p["title"]
    if not p.get("targets"):
        bad.append("panel %r has no query" % p["title"])
    exprs += [t["expr"] for t in p.get("targets", [])]
rules = {"groups": [{"name": "dashboard", "rules": [
    {"record": "dashboard:q%d" % i, "expr": e.replace("$instance", ".*").replace("$peer", ".*")}
    for i, e in enumerate(exprs)]}]}
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
    json.dump(rules, f)  # JSON is YAML
r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
os.unlink(f.name)
if r.returncode != 0:
    bad.append("promtool: " + r.stdout + r.stderr)
for b in sorted(set(bad)):
    print("check_dashboard: " + b, file=sys.stderr)
print("%s: %d panels, %d queries, %s" % (os.path.basename(path), len(dash["panels"]), len(exprs),
                                        "ok" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
