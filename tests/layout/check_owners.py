#!/usr/bin/python3
"""check_owners.py — every table has one writer: one module writes it, others call it.

Scans the C sources under services/ (not schema/, not tests/) for the SQL they
send: each string literal, with the literals next to it joined (C's adjacent
string concatenation), is searched for INSERT INTO t, UPDATE t (also inside
WITH ... AS (UPDATE t ...)), DELETE FROM t and COPY t FROM. A module is a file
pair (sl_case.c) or a named family (sl_transfer*.c: sl_transfer.c,
sl_transfer_list.c, sl_transfer_clock.c ...). The test fails when a table is
written by a module other than its owner below, or when a written table has no
owner here. With SL_BUILD (ctest sets it) it also checks owners.csv's writers
column against the build's object files: a daemon named a writer of a table
must link the table's module (nm). Exit status 1 on a violation, with one line
for each.
"""
import os
import re
import sys

# table -> the one module that writes it: schema/data/owners.csv, the list that
# also grants each daemon's database role its tables (slctl migrate, migration
# 018). Its other columns: which daemons run the writer module (their roles may
# write the table), and the columns only some roles may read. Module "schema":
# written by the migrations only.
DAEMONS = {"intake", "dispatch", "deadline", "publish", "appraise"}


def load_owners(root):
    import csv
    with open(os.path.join(root, "schema", "data", "owners.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:  # the roles' grants are derived from these names: no typo may pass
        bad = (set(row["writers"].split()) - DAEMONS) | (
            set(row["hidden_readers"].split()) - DAEMONS - {"ctl"})
        if bad:
            sys.exit("check_owners: owners.csv, table %s: unknown daemon %s"
                     % (row["table"], ", ".join(sorted(bad))))
    return {row["table"]: row["module"] for row in rows}


OWNERS = load_owners(os.environ.get("SL_SOURCE") or os.path.join(os.path.dirname(__file__), "..", ".."))

# Families: a file sl_<family>_<job>.c belongs to module sl_<family>.
FAMILIES = ("sl_transfer",)

WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|DELETE\s+FROM|COPY)\s+([A-Za-z_][A-Za-z0-9_]*)"
    r"|(?<![A-Za-z_])UPDATE\s+(?!SET\b|OF\b|SKIP\b|NOWAIT\b)([A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE)
LITERALS = re.compile(r'"((?:[^"\\\n]|\\.)*)"((?:\s|//[^\n]*\n|/\*.*?\*/)*(?="))?', re.DOTALL)


def module_of(path):
    name = os.path.splitext(os.path.basename(path))[0]
    for fam in FAMILIES:
        if name == fam or name.startswith(fam + "_"):
            return fam
    return name


def strings(text):
    """The SQL-bearing strings of a C file: adjacent literals joined, comments skipped."""
    text = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)), text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"'(?:[^'\\\n]|\\.)'", "' '", text)  # character constants such as '"'
    out, cur = [], []
    for m in LITERALS.finditer(text):
        cur.append(m.group(1))
        if m.group(2) is None:  # no literal follows: the string ends here
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def writes(text):
    """The table of each write in a C file's strings."""
    for s in strings(text):
        for m in WRITE.finditer(s):
            prefix = s[max(0, m.start() - 24):m.start()].upper()
            # ON CONFLICT ... DO UPDATE SET and SELECT ... FOR UPDATE write no other table
            if re.search(r"\b(DO|FOR(\s+NO\s+KEY)?)\s*$", prefix):
                continue
            if m.group(0).upper().startswith("COPY") and not re.match(
                    r"COPY\s+\w+\s*(\([^)]*\))?\s*FROM", s[m.start():], re.IGNORECASE):
                continue
            yield (m.group(1) or m.group(2)).lower()


def linked_modules(build):
    """{daemon: the modules its objects reach through the libraries' symbols}
    from the object files of the build tree BUILD (nm), or None without them."""
    import glob
    import subprocess
    objs = glob.glob(os.path.join(build, "CMakeFiles", "*.dir", "services", "**", "*.o"),
                     recursive=True)
    if not objs:
        return None
    defined, needs, where = {}, {}, {}
    for o in objs:
        out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
        defined[o] = {l.split()[2] for l in out.splitlines() if len(l.split()) == 3
                      and l.split()[1] in "TDBR"}
        needs[o] = {l.split()[1] for l in out.splitlines() if len(l.split()) == 2
                    and l.split()[0] == "U"}
        if "/safeloop.dir/" in o or "/sl_core.dir/" in o:
            for sym in defined[o]:
                where[sym] = o
    linked = {}
    for d in DAEMONS:
        todo = [o for o in objs if "/services/%s/" % d in o and "/safeloop.dir/" not in o]
        seen = set(todo)
        while todo:
            for sym in needs[todo.pop()]:
                t = where.get(sym)
                if t and t not in seen:
                    seen.add(t)
                    todo.append(t)
        linked[d] = {module_of(o[:-len(".c.o")] + ".c") for o in seen}
    return linked


def check_writers(root, build):
    """A daemon owners.csv names as a writer of a table must link the table's
    module (the reverse may not hold: a daemon may link a module it never
    writes through, and the list narrows it). Lines of complaint."""
    import csv
    linked = linked_modules(build) if build else None
    if linked is None:
        return []
    bad = []
    with open(os.path.join(root, "schema", "data", "owners.csv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for d in row["writers"].split():
                if row["module"] not in linked.get(d, ()):
                    bad.append("owners.csv: %s names sl-%s a writer, but sl-%s does not link %s"
                               % (row["table"], d, d, row["module"]))
    return bad


def main():
    root = os.environ.get("SL_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..")
    services = os.path.join(root, "services")
    bad = []
    seen = {}
    for dirpath, _, files in sorted(os.walk(services)):
        for f in sorted(files):
            if not f.endswith(".c"):
                continue
            path = os.path.join(dirpath, f)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            mod = module_of(path)
            rel = os.path.relpath(path, root)
            for table in writes(text):
                seen.setdefault(table, set()).add(mod)
                owner = OWNERS.get(table)
                if owner is None:
                    bad.append(f"{rel}: writes table {table}, which has no owner in check_owners.py")
                elif owner == mod:
                    continue
                else:
                    bad.append(f"{rel}: writes table {table}, owned by {owner} "
                               f"(call {owner}'s function instead)")
    bad += check_writers(root, os.environ.get("SL_BUILD"))
    for line in sorted(set(bad)):
        print("check_owners:", line, file=sys.stderr)
    if not seen:
        print("check_owners: found no SQL writes under services/ (wrong SL_SOURCE?)", file=sys.stderr)
        return 1
    if not bad:
        for table in sorted(seen):
            print(f"{table}: {', '.join(sorted(seen[table]))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
