/* sl_roles.c — the node's database roles and their passwords. See sl_roles.h. */
#include "sl_roles.h"

#include "sl_csv.h"
#include "sl_publish_db.h"
#include "sl_service.h"
#include "sl_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sl_roles_daemons[] = {"intake", "dispatch", "deadline", "publish",
                                        "appraise", "ctl", NULL};

#define S_NROLES 6

char *
sl_roles_name(const sl_config_t *cfg, const char *daemon)
{
    char *user = sl_service_db_user(cfg, daemon);
    return user ? user : sl_asprintf("sl_%s_%s", sl_config_node(cfg), daemon);
}

/* The password file's text (NULL: none yet) and the password it has for
 * ROLE, into PW (SIZE bytes; "" if none). */
static void
s_passfile_find(const char *text, const char *role, char *pw, size_t size)
{
    pw[0] = '\0';
    if (!text)
        return;
    size_t rl = strlen(role);
    for (const char *l = text; *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        /* *:*:*:ROLE:PASSWORD, as this module writes it */
        if (len > 6 + rl + 1 && strncmp(l, "*:*:*:", 6) == 0 && strncmp(l + 6, role, rl) == 0 &&
            l[6 + rl] == ':') {
            size_t pl = len - (6 + rl + 1);
            if (pl < size) {
                memcpy(pw, l + 6 + rl + 1, pl);
                pw[pl] = '\0';
            }
        }
        l += len + (end ? 1 : 0);
    }
}

/* Writes PATH: the lines of OLD for other roles, then ROLES' lines; mode
 * 0600, owned as the file it replaces was (migrate may run as root for
 * daemons that run as another user). */
static int
s_passfile_write(const char *path, const char *old, char roles[][64], char pws[][65], int n)
{
    sl_buf_t b;
    sl_buf_init(&b);
    for (const char *l = old ? old : ""; *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        bool ours = false;
        for (int i = 0; i < n; i++) {
            size_t rl = strlen(roles[i]);
            if (len > 6 + rl && strncmp(l, "*:*:*:", 6) == 0 &&
                strncmp(l + 6, roles[i], rl) == 0 && l[6 + rl] == ':')
                ours = true;
        }
        if (!ours && len > 0) {
            sl_buf_append(&b, l, len);
            sl_buf_puts(&b, "\n");
        }
        l += len + (end ? 1 : 0);
    }
    for (int i = 0; i < n; i++)
        sl_buf_printf(&b, "*:*:*:%s:%s\n", roles[i], pws[i]);
    char *tmp = sl_asprintf("%s.tmp", path);
    int rc = -1;
    struct stat st;
    bool had = stat(path, &st) == 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && fchmod(fd, 0600) == 0 &&
        (!had || (st.st_uid == geteuid() && st.st_gid == getegid()) ||
         fchown(fd, st.st_uid, st.st_gid) == 0) &&
        write(fd, b.data, b.len) == (ssize_t)b.len &&
        fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        rc = rename(tmp, path);
    }
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    sl_buf_free(&b);
    return rc;
}

static int
s_set_password(sl_db_t *db, const char *role, const char *pw)
{
    PGconn *conn = sl_db_conn(db);
    char *verifier = conn ? PQencryptPasswordConn(conn, pw, role, "scram-sha-256") : NULL;
    if (!verifier)
        return -1;
    PGresult *r;
    const char *p[] = {role, verifier};
    int rc = sl_db_exec(db, &r, "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", 2,
                        p);
    PQfreemem(verifier);
    if (rc != 0)
        return rc;
    char *sql = sl_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    rc = sl_db_exec(db, NULL, sql, 0, NULL);
    free(sql);
    return rc;
}

int
sl_roles_sync(sl_db_t *db, const sl_config_t *cfg, bool rotate, char *err, size_t size)
{
    size_t len;
    const char *owners = sl_csv_file("data/owners.csv", &len);
    if (!owners) {
        snprintf(err, size, "this build has no schema/data/owners.csv");
        return -1;
    }
    const char *passfile = sl_config_str(cfg, "database", "passfile");
    if (passfile && !*passfile)
        passfile = NULL;
    int lock = -1;
    char *old = NULL;
    if (passfile) {
        char *lockpath = sl_asprintf("%s.lock", passfile);
        lock = open(lockpath, O_RDWR | O_CREAT, 0600);
        free(lockpath);
        if (lock < 0 || flock(lock, LOCK_EX) != 0) {
            snprintf(err, size, "could not lock %s.lock: %s", passfile, strerror(errno));
            if (lock >= 0)
                close(lock);
            return -1;
        }
        size_t n;
        old = sl_read_file(passfile, &n);
    }
    char roles[S_NROLES][64], pws[S_NROLES][65];
    int n = 0, rc = sl_db_begin(db);
    for (int i = 0; rc == 0 && sl_roles_daemons[i]; i++, n++) {
        char *role = sl_roles_name(cfg, sl_roles_daemons[i]);
        snprintf(roles[n], sizeof roles[n], "%s", role);
        free(role);
        const char *p[] = {roles[n], sl_roles_daemons[i], owners};
        rc = sl_db_exec(db, NULL, "SELECT sl_role_grant($1, $2, $3)", 3, p);
        if (rc == 0 && strcmp(sl_roles_daemons[i], "publish") == 0)
            rc = sl_pub_grant(db, roles[n]);
        if (rc == 0 && passfile) {
            s_passfile_find(rotate ? NULL : old, roles[n], pws[n], sizeof pws[n]);
            if (!pws[n][0]) {
                unsigned char raw[24];
                randombytes_buf(raw, sizeof raw);
                sodium_bin2hex(pws[n], sizeof pws[n], raw, sizeof raw);
            }
            rc = s_set_password(db, roles[n], pws[n]);
        }
    }
    if (rc == 0)
        rc = sl_db_commit(db);
    if (rc != 0) {
        snprintf(err, size, "could not make the role %s: %s", n > 0 ? roles[n - 1] : "",
                 sl_db_error(db));
        sl_db_rollback(db);
    } else if (passfile && s_passfile_write(passfile, old, roles, pws, n) != 0) {
        snprintf(err, size, "could not write %s: %s", passfile, strerror(errno));
        rc = -1;
    }
    free(old);
    if (lock >= 0)
        close(lock); /* releases the lock */
    return rc == 0 ? 0 : -1;
}
