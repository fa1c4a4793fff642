/*
** store/sqlite.c — the SQLite backend: opening a connection the way the
** store needs it, schema migrations, transactions, and the small helpers
** that make "every SQLite call checked" cheap to write.
**
** Settings, and why:
**   journal_mode=WAL   readers (audit tail, verify) never block the writer
**                      and the writer never blocks them
**   synchronous        FULL when durable: the WAL is fsynced at each commit,
**                      so a committed batch survives power loss; otherwise
**                      NORMAL, which survives a crash of the process but may
**                      lose the last commits on power loss
**   busy_timeout       another process holding the write lock is waited for
**                      instead of failing at once
**   user_version       the schema version; migrations[k] turns version k
**                      into k+1, each in its own transaction, and a database
**                      newer than this build is refused rather than misread
** A read-only handle skips migrations and sets query_only, so inspecting
** evidence can never change it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define ROW_ARENA_BLOCK 4096

/* migrations[k] moves the schema from version k to k+1. Never edit a
** released entry: add a new one. */
static const char *const migrations[] = {
    /* 1: the decision log, its checkpoints, approvals, grants */
    "CREATE TABLE decisions ("
    " seq INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
    " decision_id TEXT NOT NULL, request_id TEXT NOT NULL, source TEXT NOT NULL,"
    " principal TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL,"
    " decision TEXT NOT NULL, reasons TEXT NOT NULL, errors TEXT NOT NULL,"
    " error TEXT NOT NULL, policy_version TEXT NOT NULL, issuer TEXT NOT NULL,"
    " approval_id TEXT NOT NULL, latency_us INTEGER NOT NULL,"
    " context_digest BLOB NOT NULL, context TEXT,"
    " prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE INDEX decisions_time ON decisions(time_us);"
    "CREATE INDEX decisions_principal ON decisions(principal, time_us);"
    "CREATE INDEX decisions_action ON decisions(action, time_us);"
    "CREATE TABLE checkpoints ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, time_us INTEGER NOT NULL,"
    " hash BLOB NOT NULL, key_id BLOB NOT NULL, signature BLOB NOT NULL);"
    "CREATE TABLE approvals ("
    " id TEXT PRIMARY KEY, principal TEXT NOT NULL, action TEXT NOT NULL,"
    " resource TEXT NOT NULL, args_digest BLOB NOT NULL,"
    " groups TEXT NOT NULL, policies TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending','approved','denied','consumed')),"
    " created_us INTEGER NOT NULL, expires_us INTEGER NOT NULL,"
    " approver TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
    " decided_us INTEGER NOT NULL DEFAULT 0, consumed_us INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX approvals_binding ON approvals(principal, action, resource, state);"
    "CREATE TABLE grants ("
    " id TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('spent','revoked')),"
    " at_us INTEGER NOT NULL, until_us INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX grants_until ON grants(until_us);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(N_MIGRATIONS == PC_STORE_SCHEMA_VERSION, "one migration per schema version");

const char pc_sq_approval_columns[] =
    "id,principal,action,resource,args_digest,groups,policies,state,"
    "created_us,expires_us,approver,reason,decided_us,consumed_us";

/* SQL of the fixed statements; NULL entries are generated from pc_log_fields. */
static const char *const fixed_sql[SQ_N_STMTS] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_TIP_RECORD] = "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1",
    [SQ_TIP_CHECKPOINT] = "SELECT seq, time_us FROM checkpoints ORDER BY id DESC LIMIT 1",
    [SQ_INSERT_RECORD] = NULL,
    [SQ_INSERT_CHECKPOINT] = "INSERT INTO checkpoints (seq, time_us, hash, key_id, signature) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQ_CHECKPOINTS] = "SELECT id, seq, time_us, hash, key_id, signature FROM checkpoints "
                       "ORDER BY id",
    [SQ_APPROVAL_PENDING] = NULL,
    [SQ_APPROVAL_INSERT] = NULL,
    [SQ_APPROVAL_GET] = NULL,
    [SQ_APPROVAL_LIST] = NULL,
    [SQ_APPROVAL_DECIDE] =
        "UPDATE approvals SET state = ?2, approver = ?3, reason = ?4, decided_us = ?5 "
        "WHERE id = ?1 AND state = 'pending' AND expires_us > ?5 AND principal <> ?3",
    [SQ_APPROVAL_CONSUME] =
        "UPDATE approvals SET state = 'consumed', consumed_us = ?1 WHERE id = ("
        " SELECT id FROM approvals WHERE principal = ?2 AND action = ?3 AND resource = ?4"
        " AND args_digest = ?5 AND state = 'approved' AND expires_us > ?1"
        " AND (?6 = '' OR id = ?6) ORDER BY created_us, id LIMIT 1)"
        " AND state = 'approved' RETURNING id",
    [SQ_GRANT_SPEND] = "INSERT INTO grants (id, state, at_us, until_us) "
                       "VALUES (?1, 'spent', ?2, ?3) ON CONFLICT (id) DO NOTHING",
    [SQ_GRANT_REVOKE] = "INSERT INTO grants (id, state, at_us, until_us, reason) "
                        "VALUES (?1, 'revoked', ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET"
                        " state = 'revoked', at_us = excluded.at_us, reason = excluded.reason,"
                        " until_us = max(grants.until_us, excluded.until_us)"
                        " WHERE grants.state <> 'revoked'",
    [SQ_GRANT_GET] = "SELECT state, at_us, reason FROM grants WHERE id = ?1",
    [SQ_GRANT_PURGE] = "DELETE FROM grants WHERE until_us < ?1",
};

/* ---- error and statement helpers -------------------------------------- */

pc_status pc_sq_fail(sq_store *s, pc_diag *d, const char *what)
{
    return pc_diag_set(d, PC_ERR_IO, "%s: %s: %s (sqlite error %d)", s->path, what,
                       sqlite3_errmsg(s->db), sqlite3_extended_errcode(s->db));
}

void pc_sq_done(sqlite3_stmt *st)
{
    /* sqlite3_reset repeats the last step's error code, which the caller has
    ** already examined; clearing bindings cannot fail. */
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
}

pc_status pc_sq_exec(sq_store *s, sq_stmt_id id, const char *what, pc_diag *d)
{
    int rc = sqlite3_step(s->stmt[id]);
    pc_status st = rc == SQLITE_DONE ? PC_OK : pc_sq_fail(s, d, what);
    pc_sq_done(s->stmt[id]);
    return st;
}

pc_status pc_sq_begin(sq_store *s, pc_diag *d)
{
    return pc_sq_exec(s, SQ_BEGIN, "starting a write transaction", d);
}

pc_status pc_sq_commit(sq_store *s, pc_diag *d)
{
    return pc_sq_exec(s, SQ_COMMIT, "committing", d);
}

void pc_sq_rollback(sq_store *s, pc_diag *d)
{
    if (sqlite3_get_autocommit(s->db))
        return; /* no transaction open: the failure came before or SQLite ended it */
    if (sqlite3_step(s->stmt[SQ_ROLLBACK]) != SQLITE_DONE)
        pc_diag_prefix(d, "%s: rolling back failed too (%s), after", s->path,
                       sqlite3_errmsg(s->db));
    pc_sq_done(s->stmt[SQ_ROLLBACK]);
}

/* ---- binding ---------------------------------------------------------- */

void pc_sq_bind_str(sq_bind *b, int i, pc_str v)
{
    if (b->rc == SQLITE_OK)
        b->rc =
            sqlite3_bind_text64(b->st, i, v.ptr ? v.ptr : "", v.len, SQLITE_STATIC, SQLITE_UTF8);
}

void pc_sq_bind_opt(sq_bind *b, int i, pc_str v)
{
    if (!v.ptr) {
        if (b->rc == SQLITE_OK)
            b->rc = sqlite3_bind_null(b->st, i);
        return;
    }
    pc_sq_bind_str(b, i, v);
}

void pc_sq_bind_i64(sq_bind *b, int i, int64_t v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->st, i, v);
}

void pc_sq_bind_blob(sq_bind *b, int i, const void *p, size_t n)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_blob64(b->st, i, p, n, SQLITE_STATIC);
}

/* ---- column readers --------------------------------------------------- */

static bool col_type(sq_store *s, sqlite3_stmt *st, int i, int want, const char **why)
{
    int t = sqlite3_column_type(st, i);
    if (t == want)
        return true;
    static const char *const names[] = {"", "an integer", "a real", "text", "a blob", "NULL"};
    *why = pc_arena_printf(&s->row, "column %s holds %s, not %s", sqlite3_column_name(st, i),
                           t >= 1 && t <= 5 ? names[t] : "?", names[want]);
    if (!*why)
        *why = "a column has the wrong type";
    return false;
}

bool pc_sq_col_str(sq_store *s, sqlite3_stmt *st, int i, pc_str *out, const char **why)
{
    if (!col_type(s, st, i, SQLITE_TEXT, why))
        return false;
    const unsigned char *p = sqlite3_column_text(st, i);
    if (!p) {
        *why = "out of memory reading a text column";
        return false;
    }
    out->ptr = (const char *)p;
    out->len = (size_t)sqlite3_column_bytes(st, i);
    return true;
}

bool pc_sq_col_opt(sq_store *s, sqlite3_stmt *st, int i, pc_str *out, const char **why)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        *out = PC_STR_NULL;
        return true;
    }
    return pc_sq_col_str(s, st, i, out, why);
}

bool pc_sq_col_i64(sq_store *s, sqlite3_stmt *st, int i, int64_t *out, const char **why)
{
    if (!col_type(s, st, i, SQLITE_INTEGER, why))
        return false;
    *out = sqlite3_column_int64(st, i);
    return true;
}

bool pc_sq_col_blob(sq_store *s, sqlite3_stmt *st, int i, uint8_t *out, size_t n, const char **why)
{
    if (!col_type(s, st, i, SQLITE_BLOB, why))
        return false;
    const void *p = sqlite3_column_blob(st, i);
    size_t got = (size_t)sqlite3_column_bytes(st, i);
    if (got != n || !p) {
        *why = pc_arena_printf(&s->row, "column %s holds %zu bytes, not %zu",
                               sqlite3_column_name(st, i), got, n);
        if (!*why)
            *why = "a blob column has the wrong size";
        return false;
    }
    memcpy(out, p, n);
    return true;
}

bool pc_sq_col_list(sq_store *s, sqlite3_stmt *st, int i, pc_strlist *out, const char **why)
{
    pc_str text;
    const char *bad = NULL;
    if (!pc_sq_col_str(s, st, i, &text, why))
        return false;
    if (pc_strlist_from_json(&s->row, text.ptr, text.len, out, &bad))
        return true;
    *why = pc_arena_printf(&s->row, "column %s: %s", sqlite3_column_name(st, i), bad);
    if (!*why)
        *why = bad;
    return false;
}

/* ---- opening ---------------------------------------------------------- */

/* Run one PRAGMA (or any statement) whose rows we do not need, all of them. */
static pc_status exec_sql(sq_store *s, const char *sql, const char *what, pc_diag *d)
{
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) == SQLITE_OK)
        return PC_OK;
    pc_status st =
        pc_diag_set(d, PC_ERR_IO, "%s: %s: %s", s->path, what, err ? err : sqlite3_errmsg(s->db));
    sqlite3_free(err);
    return st;
}

/* The single integer a PRAGMA answers. */
static pc_status pragma_int(sq_store *s, const char *sql, int64_t *out, pc_diag *d)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return pc_sq_fail(s, d, sql);
    int rc = sqlite3_step(st);
    pc_status status = PC_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        status = pc_sq_fail(s, d, sql);
    sqlite3_finalize(st); /* returns the step's code again, already handled */
    return status;
}

static pc_status set_wal(sq_store *s, pc_diag *d)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        return pc_sq_fail(s, d, "setting WAL mode");
    pc_status status = PC_OK;
    if (sqlite3_step(st) != SQLITE_ROW)
        status = pc_sq_fail(s, d, "setting WAL mode");
    else if (sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
        status = pc_diag_set(d, PC_ERR_IO, "%s: cannot use WAL mode (journal mode stays %s)",
                             s->path, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return status;
}

/* Apply migration k inside a transaction that first re-reads the version,
** since another process may have migrated meanwhile. */
static pc_status migrate_one(sq_store *s, pc_diag *d)
{
    int64_t v = 0;
    pc_status st = exec_sql(s, "BEGIN IMMEDIATE", "starting a migration", d);
    if (st == PC_OK)
        st = pragma_int(s, "PRAGMA user_version", &v, d);
    if (st == PC_OK && v < N_MIGRATIONS) {
        char set[64];
        snprintf(set, sizeof set, "PRAGMA user_version = %d", (int)v + 1);
        st = exec_sql(s, migrations[v], "migrating the schema", d);
        if (st == PC_OK)
            st = exec_sql(s, set, "recording the schema version", d);
    }
    if (st == PC_OK)
        return exec_sql(s, "COMMIT", "committing a migration", d);
    if (!sqlite3_get_autocommit(s->db))
        exec_sql(s, "ROLLBACK", "rolling back a failed migration", NULL);
    return st;
}

static pc_status check_version(sq_store *s, bool read_only, pc_diag *d)
{
    int64_t v = 0;
    for (;;) {
        pc_status st = pragma_int(s, "PRAGMA user_version", &v, d);
        if (st != PC_OK)
            return st;
        if (v > N_MIGRATIONS)
            return pc_diag_set(d, PC_ERR_STATE,
                               "%s: schema version %lld is newer than this build knows (%d)",
                               s->path, (long long)v, N_MIGRATIONS);
        if (v == N_MIGRATIONS)
            return PC_OK;
        if (read_only)
            return pc_diag_set(d, PC_ERR_STATE,
                               "%s: not a Portcullis store, or not yet migrated "
                               "(schema version %lld, this build uses %d)",
                               s->path, (long long)v, N_MIGRATIONS);
        if ((st = migrate_one(s, d)) != PC_OK)
            return st;
    }
}

static pc_status configure(sq_store *s, const pc_store_options *o, pc_diag *d)
{
    uint32_t wait = o->busy_timeout_ms ? o->busy_timeout_ms : PC_STORE_BUSY_TIMEOUT_MS;
    if (sqlite3_busy_timeout(s->db, (int)(wait > INT32_MAX ? INT32_MAX : wait)) != SQLITE_OK)
        return pc_sq_fail(s, d, "setting the busy timeout");
    if (o->read_only)
        return exec_sql(s, "PRAGMA query_only = 1", "making the connection read-only", d);
    pc_status st = set_wal(s, d);
    if (st == PC_OK)
        st = exec_sql(s, o->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                      "setting the sync level", d);
    return st;
}

/* The SQL of the statements built from the field table. */
static char *generated_sql(const sq_store *s, sq_stmt_id id)
{
    pc_buf b;
    pc_buf_init(&b);
    switch (id) {
    case SQ_INSERT_RECORD:
        pc_buf_printf(&b, "INSERT INTO decisions (%s) VALUES (?1", s->record_cols);
        for (size_t i = 0; i < PC_LOG_N_FIELDS + 1; i++)
            pc_buf_printf(&b, ", ?%zu", i + 2);
        pc_buf_putc(&b, ')');
        break;
    case SQ_APPROVAL_PENDING:
        pc_buf_printf(&b,
                      "SELECT %s FROM approvals WHERE principal = ?1 AND action = ?2 AND "
                      "resource = ?3 AND args_digest = ?4 AND state = 'pending' AND "
                      "expires_us > ?5 ORDER BY created_us, id LIMIT 1",
                      pc_sq_approval_columns);
        break;
    case SQ_APPROVAL_INSERT:
        pc_buf_printf(&b, "INSERT INTO approvals (%s) VALUES (?1", pc_sq_approval_columns);
        for (int i = 2; i <= SQ_APPROVAL_N_COLS; i++)
            pc_buf_printf(&b, ", ?%d", i);
        pc_buf_putc(&b, ')');
        break;
    case SQ_APPROVAL_GET:
        pc_buf_printf(&b, "SELECT %s FROM approvals WHERE id = ?1", pc_sq_approval_columns);
        break;
    case SQ_APPROVAL_LIST:
        pc_buf_printf(&b,
                      "SELECT %s FROM approvals WHERE ?1 IS NULL OR state = ?1 "
                      "ORDER BY created_us DESC, id",
                      pc_sq_approval_columns);
        break;
    default: break;
    }
    return pc_buf_take(&b);
}

static pc_status prepare_all(sq_store *s, pc_diag *d)
{
    s->record_cols = pc_sq_record_columns();
    if (!s->record_cols)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", s->path);
    for (int i = 0; i < SQ_N_STMTS; i++) {
        char *made = fixed_sql[i] ? NULL : generated_sql(s, (sq_stmt_id)i);
        const char *sql = fixed_sql[i] ? fixed_sql[i] : made;
        if (!sql)
            return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", s->path);
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
        pc_status st = rc == SQLITE_OK ? PC_OK : pc_sq_fail(s, d, "preparing a statement");
        if (st != PC_OK)
            pc_diag_prefix(d, "[%s]", sql);
        free(made);
        if (st != PC_OK)
            return st;
    }
    return PC_OK;
}

static void sq_close(pc_store *base)
{
    sq_store *s = sq_of(base);
    for (int i = 0; i < SQ_N_STMTS; i++)
        sqlite3_finalize(s->stmt[i]); /* returns the last step's code: not a close error */
    /* close_v2 never refuses: anything still open is closed when it ends. */
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->mu);
    pc_buf_free(&s->scratch);
    pc_arena_free(&s->row);
    free(s->record_cols);
    free(s->path);
    free(s);
}

static const pc_store_ops sqlite_ops = {
    .backend = "sqlite",
    .close = sq_close,
    .tip = pc_sq_tip,
    .append = pc_sq_append,
    .records = pc_sq_records,
    .checkpoints = pc_sq_checkpoints,
    .approval_open = pc_sq_approval_open,
    .approval_get = pc_sq_approval_get,
    .approval_list = pc_sq_approval_list,
    .approval_decide = pc_sq_approval_decide,
    .approval_consume = pc_sq_approval_consume,
    .grant_use = pc_sq_grant_use,
    .grant_revoke = pc_sq_grant_revoke,
    .grant_state = pc_sq_grant_state,
    .grant_purge = pc_sq_grant_purge,
};

static sq_store *sq_new(const char *path)
{
    sq_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->path = strdup(path);
    if (!s->path || pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s->path);
        free(s);
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    pc_buf_init(&s->scratch);
    pc_arena_init(&s->row, ROW_ARENA_BLOCK, 0);
    return s;
}

pc_status pc_store_open_sqlite(const char *path, const pc_store_options *o, pc_store **out,
                               pc_diag *d)
{
    static const pc_store_options defaults = {0};
    o = o ? o : &defaults;
    *out = NULL;
    sq_store *s = sq_new(path);
    if (!s)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory opening the store", path);
    int flags = (o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    pc_status st;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
        st = s->db ? pc_sq_fail(s, d, "opening")
                   : pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory opening", path);
    else if ((st = configure(s, o, d)) == PC_OK &&
             (st = check_version(s, o->read_only, d)) == PC_OK)
        st = prepare_all(s, d);
    if (st != PC_OK) {
        sq_close(&s->base);
        return st;
    }
    s->base.durable = o->durable && !o->read_only;
    *out = &s->base;
    return PC_OK;
}
