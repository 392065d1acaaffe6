-- 018 — least privilege: one database role per node and daemon (issue 22).
--
-- slctl migrate calls sl_role_grant once for each of the node's roles
-- (sl_<code>_intake, _dispatch, _deadline, _publish, _appraise and _ctl, the
-- role of slctl's read-only commands) with the text of schema/data/owners.csv,
-- the one list of which module writes each table and which daemons run that
-- module. The grants are derived from it on every run (revoked, then granted
-- again), so a table added to the list is granted by the next migrate.

-- The group the roles belong to: pg_hba.conf names it (+sl_daemons) to require
-- a password of them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sl_daemons') THEN
        CREATE ROLE sl_daemons NOLOGIN;
    END IF;
END $$;

-- Makes ROLE (a login role in the group sl_daemons) if it does not exist and
-- grants it, for DAEMON (intake, dispatch, deadline, publish, appraise or
-- ctl), what OWNERS (the CSV text of schema/data/owners.csv: table, module,
-- writers, hidden, hidden_readers) says:
--   - a table whose writers name DAEMON: SELECT, INSERT, UPDATE, DELETE and
--     its sequences;
--   - every table and view of the list: SELECT, except for publish (it reads
--     the pub_* views only: sl_publish_grant) and except the hidden columns
--     (a list, or * for the whole table) unless hidden_readers name DAEMON.
-- Everything granted before is revoked first. Raises an error for a table or
-- view of the schema without a line in the list (add the line).
CREATE FUNCTION sl_role_grant(role text, daemon text, owners text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    f text[];
    t text;
    writes bool;
    seeall bool;
    cols text;
    seq text;
    listed text[] := '{}';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
        BEGIN   -- roles are the cluster's: another node's migrate may make it meanwhile
            EXECUTE format('CREATE ROLE %I LOGIN', role);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF NOT pg_has_role(role, 'sl_daemons', 'MEMBER') THEN
        EXECUTE format('GRANT sl_daemons TO %I', role);
    END IF;
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', role);
    FOR line IN SELECT l FROM regexp_split_to_table(owners, E'\n') AS l OFFSET 1 LOOP
        CONTINUE WHEN btrim(line) = '';
        f := string_to_array(line, ',');
        IF array_length(f, 1) <> 5 THEN
            RAISE EXCEPTION 'owners.csv: a line needs 5 fields: %', line;
        END IF;
        t := f[1];
        listed := listed || t;
        IF to_regclass(format('public.%I', t)) IS NULL THEN
            RAISE EXCEPTION 'owners.csv names %, which the schema does not have', t;
        END IF;
        writes := daemon = ANY (string_to_array(f[3], ' '));
        seeall := f[4] = '' OR daemon = ANY (string_to_array(f[5], ' '));
        IF writes THEN
            EXECUTE format('GRANT INSERT, UPDATE, DELETE ON %I TO %I', t, role);
            FOR seq IN SELECT s.relname FROM pg_depend d
                       JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                       WHERE d.refobjid = format('public.%I', t)::regclass
                         AND d.deptype IN ('a', 'i') LOOP
                EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %I TO %I', seq, role);
            END LOOP;
        END IF;
        CONTINUE WHEN daemon = 'publish' AND NOT writes;
        IF seeall THEN
            EXECUTE format('GRANT SELECT ON %I TO %I', t, role);
        ELSIF f[4] <> '*' THEN
            SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
              FROM pg_attribute
             WHERE attrelid = format('public.%I', t)::regclass AND attnum > 0
               AND NOT attisdropped AND attname <> ALL (string_to_array(f[4], ' '));
            EXECUTE format('GRANT SELECT (%s) ON %I TO %I', cols, t, role);
        END IF;
    END LOOP;
    SELECT c.relname INTO t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p')
       AND c.relname <> ALL (listed)
     ORDER BY 1 LIMIT 1;
    IF t IS NOT NULL THEN
        RAISE EXCEPTION 'table % has no line in schema/data/owners.csv (its writer module and daemons)', t;
    END IF;
END $$;
