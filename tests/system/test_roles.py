"""test_roles.py — least privilege in the database (issue 22): each daemon, and
slctl's read-only commands, connect as a role of their own that may write only
the tables its modules own (schema/data/owners.csv, the one list
tests/layout/check_owners.py reads too) and read what it needs.

For every role of a migrated node and every table of the list, one INSERT and
one UPDATE (rolled back) are tried as that role: permission denied unless the
list names the role's daemon as a writer of the table, allowed when it does.
The sealed reporter (cases.reporter_sealed, the raw envelopes) and the
registers' personal tables are readable only by the roles the list names;
sl-publish's role reads only the pub_* views and the tables it writes. The
roles sign in with the passwords slctl migrate wrote to [database] passfile
(scram-sha-256 in the cluster's pg_hba.conf), not without; the running daemons
are connected as their roles; the whole suite runs so (sltest.roles_ini).
"""
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pytest  # noqa: E402
import sltest  # noqa: E402
from sltest import PG, check, wait_for  # noqa: E402

DAEMONS = ("intake", "dispatch", "deadline", "publish", "appraise", "ctl")
OWNERS = os.path.join(os.environ["SL_SOURCE"], "schema", "data", "owners.csv")


def owners():
    with open(OWNERS, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def node(nodes):
    # a code no other test uses: roles are the cluster's, and this module
    # rotates its passwords
    return nodes.node("roles", code="140725")


def role(node, daemon):
    return "sl_%s_%s" % (node.code, daemon)


def attempts(node, daemon, stmts):
    """Runs each of STMTS [(label, sql)] as DAEMON's role (SET ROLE in one
    transaction, rolled back), each in a subtransaction; {label: "denied" or
    "ok" or the SQLSTATE of another error}."""
    body = ["BEGIN;", "SET ROLE %s;" % role(node, daemon)]
    for label, sql in stmts:
        q = sql.replace("'", "''")
        body.append(
            "DO $$ BEGIN EXECUTE '%s'; RAISE NOTICE 'try|%s|ok'; "
            "EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'try|%s|denied'; "
            "WHEN others THEN RAISE NOTICE 'try|%s|%%', SQLSTATE; END $$;" % (q, label, label, label))
    body.append("ROLLBACK;")
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG["SL_PG_HOST"],
                        "-p", PG["SL_PG_PORT"], "-U", "postgres", "-d", node.dbname],
                       input="\n".join(body), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stderr.splitlines():
        if "NOTICE:  try|" in line:
            _, label, res = line.split("NOTICE:  ", 1)[1].split("|")
            out[label] = res
    assert len(out) == len(stmts), r.stderr
    return out


_rels = {}


def rels(node):
    """{name: (relkind, first column)} of the schema's tables and views."""
    if not _rels:
        out = node.sql("SELECT c.relname, c.relkind, (SELECT attname FROM pg_attribute"
                       " WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped"
                       " ORDER BY attnum LIMIT 1) FROM pg_class c JOIN pg_namespace n"
                       " ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                       " AND c.relkind IN ('r', 'v', 'p', 'm')")
        for line in out.splitlines():
            name, kind, col = line.split("|")
            _rels[name] = (kind, col)
    return _rels


def first_column(node, table):
    return rels(node)[table][1]


def is_view(node, table):
    return rels(node)[table][0] == "v"


def test_every_table_is_in_the_list(node):
    listed = {row["table"] for row in owners()}
    have = set(rels(node))
    check("every table and view of the schema has a line in owners.csv", have <= listed,
          sorted(have - listed))


@pytest.mark.parametrize("daemon", DAEMONS)
def test_writes_only_its_own_tables(node, daemon):
    rows = [r for r in owners() if not is_view(node, r["table"])]
    stmts = []
    for r in rows:
        t = r["table"]
        stmts.append(("insert %s" % t, "INSERT INTO %s DEFAULT VALUES" % t))
        stmts.append(("update %s" % t, "UPDATE %s SET %s = DEFAULT WHERE false"
                      % (t, first_column(node, t))))
    got = attempts(node, daemon, stmts)
    wrong = []
    for r in rows:
        writer = daemon in r["writers"].split()
        for op in ("insert", "update"):
            res = got["%s %s" % (op, r["table"])]
            if writer and res == "denied":
                wrong.append("%s %s denied, but %s writes it" % (op, r["table"], daemon))
            if not writer and res != "denied":
                wrong.append("%s %s allowed (%s), owned by %s (%s)"
                             % (op, r["table"], res, r["module"], r["writers"] or "migrations"))
    check("%s writes exactly the tables owners.csv gives it" % role(node, daemon), not wrong,
          "\n".join(wrong))


@pytest.mark.parametrize("daemon", DAEMONS)
def test_reads_what_it_needs_and_no_sealed_reporter(node, daemon):
    stmts = []
    for r in owners():
        t = r["table"]
        stmts.append(("all %s" % t, "SELECT * FROM %s LIMIT 0" % t))
        if r["hidden"] not in ("", "*"):
            stmts.append(("hidden %s" % t, "SELECT %s FROM %s LIMIT 0"
                          % (r["hidden"].replace(" ", ", "), t)))
            stmts.append(("first %s" % t, "SELECT %s FROM %s LIMIT 0" % (first_column(node, t), t)))
    got = attempts(node, daemon, stmts)
    wrong = []
    for r in owners():
        t = r["table"]
        writer = daemon in r["writers"].split()
        sees = daemon != "publish" or writer or t.startswith("pub_") or t == "schema_migrations"
        full = sees and (r["hidden"] == "" or daemon in r["hidden_readers"].split())
        if (got["all %s" % t] != "denied") != full:
            wrong.append("SELECT * FROM %s: %s" % (t, got["all %s" % t]))
        if "hidden %s" % t in got:
            if (got["hidden %s" % t] != "denied") != full:
                wrong.append("SELECT %s FROM %s: %s" % (r["hidden"], t, got["hidden %s" % t]))
            if (got["first %s" % t] != "denied") != sees:
                wrong.append("SELECT the other columns of %s: %s" % (t, got["first %s" % t]))
    check("%s reads what owners.csv gives it" % role(node, daemon), not wrong, "\n".join(wrong))


def test_sealed_reporter_and_personal_tables_denied_to_publish_and_appraise(node):
    stmts = [("reporter", "SELECT reporter_sealed FROM cases LIMIT 0"),
             ("raw", "SELECT raw FROM inbox LIMIT 0"),
             ("owner", "SELECT * FROM accident_owner LIMIT 0"),
             ("phone", "SELECT * FROM official_phone LIMIT 0"),
             ("liaison", "SELECT * FROM liaison_phone LIMIT 0")]
    for daemon in ("publish", "appraise"):
        got = attempts(node, daemon, stmts)
        check("%s may not read the sealed reporter or personal fields" % daemon,
              set(got.values()) == {"denied"}, got)
    got = attempts(node, "publish", [("cases", "SELECT case_no FROM cases LIMIT 0"),
                                     ("transfer", "SELECT * FROM transfer LIMIT 0"),
                                     ("pub", "SELECT * FROM pub_transfer LIMIT 0")])
    check("publish reads the pub_* views, not the tables under them",
          got == {"cases": "denied", "transfer": "denied", "pub": "ok"}, got)


def _psql_as(node, daemon, env):
    return subprocess.run(["psql", "-X", "-A", "-t", "-h", PG["SL_PG_HOST"], "-p", PG["SL_PG_PORT"],
                           "-U", role(node, daemon), "-d", node.dbname, "-c", "SELECT current_user"],
                          capture_output=True, text=True, env=env, timeout=30)


def test_roles_sign_in_with_their_password_only(node):
    passfile = PG["SL_PG_PASSFILE"]
    check("the password file is the owner's only", os.stat(passfile).st_mode & 0o077 == 0,
          oct(os.stat(passfile).st_mode))
    env = dict(os.environ, PGPASSFILE=passfile)
    env.pop("PGPASSWORD", None)
    for daemon in DAEMONS:
        r = _psql_as(node, daemon, env)
        check("%s signs in with the password file" % daemon,
              r.returncode == 0 and r.stdout.strip() == role(node, daemon), r.stderr)
    env = dict(os.environ, PGPASSFILE="/nonexistent", PGPASSWORD="wrong")
    r = _psql_as(node, "intake", env)
    check("and not with a wrong password", r.returncode != 0 and "password" in r.stderr, r.stderr)


def _lines(node):
    with open(PG["SL_PG_PASSFILE"]) as f:
        return {l for l in f.read().splitlines() if (":sl_%s_" % node.code) in l}


def test_migrate_again_keeps_the_passwords_and_rotation_changes_them(node):
    before = _lines(node)
    check("the password file has the node's six roles", len(before) == 6, before)
    node.slctl("migrate")
    check("a second migrate keeps every password", _lines(node) == before)
    node.slctl("migrate", "--rotate-passwords")
    after = _lines(node)
    check("--rotate-passwords gives each role a new one",
          len(after) == 6 and not (after & before), after)
    env = dict(os.environ, PGPASSFILE=PG["SL_PG_PASSFILE"])
    for daemon in DAEMONS:
        r = _psql_as(node, daemon, env)
        check("%s signs in with its new password" % daemon, r.returncode == 0, r.stderr)


def test_daemons_connect_as_their_roles(node):
    node.start("intake")
    node.start("dispatch")
    node.start("deadline", wait=False)
    want = {role(node, d) for d in ("intake", "dispatch", "deadline")}

    def users():
        return set(node.sql("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '%s'"
                            % node.dbname).split())
    wait_for("the daemons to connect as their roles", lambda: want <= users(), timeout=60)
    daemons = set(node.sql("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '%s'"
                           " AND application_name = 'safeloop'" % node.dbname).split())
    check("every connection of the daemons is on a role of theirs", daemons <= want, daemons)
    # a clue goes through: the grants are enough for the daemons' work
    r = node.slctl("submit", "--subject", "角色测试煤矿", "--division", node.code, "--sector", "煤")
    case_no = r.stdout.split("\t")[1]
    wait_for("sl-dispatch to issue the case's transfer", lambda: node.sql(
        "SELECT count(*) FROM transfer t JOIN cases c ON c.id = t.case_id"
        " WHERE c.case_no = '%s'" % case_no).strip() != "0", timeout=60)
    r = node.slctl("case", "show", case_no)
    check("slctl reads the case as its read-only role", case_no in r.stdout, r.stderr)
    daemons = set(node.sql("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '%s'"
                           " AND application_name = 'safeloop'" % node.dbname).split())
    check("and still no daemon connection but on their roles", daemons <= want, daemons)
