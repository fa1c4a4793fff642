/*
** store/sqlite_log.c — the decision log in SQLite: the tip, batch appends,
** record queries and checkpoints.
**
** Records are bound and read by walking pc_log_fields, so the columns
** follow the field table (seq first, then the fields, hash last) and no
** field is spelled twice. An append is one BEGIN IMMEDIATE ... COMMIT: the
** tip is read under the write lock, so even two processes appending to one
** file each extend the true end of the chain. Queries that take a filter are
** built per call (values are always bound, never spliced into the SQL);
** the fixed ones are prepared once at open.
*/
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define FIELD_AT(rec, f, type) ((type *)((char *)(rec) + (f)->offset))
#define CFIELD_AT(rec, f, type) ((const type *)((const char *)(rec) + (f)->offset))

char *pc_sq_record_columns(void)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "seq");
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++)
        pc_buf_printf(&b, ",%s", pc_log_fields[i].name);
    pc_buf_puts(&b, ",hash");
    return b.oom ? (pc_buf_free(&b), NULL) : pc_buf_take(&b);
}

/* ---- the tip ---------------------------------------------------------- */

/* Run a fixed one-row query; *found says whether a row came. The caller
** reads the row and then resets the statement with pc_sq_done. */
static pc_status step_row(sq_store *s, sq_stmt_id id, bool *found, const char *what, pc_diag *d)
{
    int rc = sqlite3_step(s->stmt[id]);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return PC_OK;
    pc_status st = pc_sq_fail(s, d, what);
    pc_sq_done(s->stmt[id]);
    return st;
}

static pc_status read_tip(sq_store *s, pc_store_tip *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    const char *why = NULL;
    bool found;
    sqlite3_stmt *st = s->stmt[SQ_TIP_RECORD];
    pc_status status = step_row(s, SQ_TIP_RECORD, &found, "reading the last record", d);
    if (status != PC_OK)
        return status;
    if (found && (!pc_sq_col_i64(s, st, 0, &out->seq, &why) ||
                  !pc_sq_col_blob(s, st, 1, out->hash, PC_HASH_LEN, &why)))
        status = pc_diag_set(d, PC_ERR_STATE, "%s: the last record is malformed: %s", s->path, why);
    pc_sq_done(st);
    if (status != PC_OK)
        return status;
    st = s->stmt[SQ_TIP_CHECKPOINT];
    if ((status = step_row(s, SQ_TIP_CHECKPOINT, &found, "reading the last checkpoint", d)) !=
        PC_OK)
        return status;
    if (found && (!pc_sq_col_i64(s, st, 0, &out->checkpoint_seq, &why) ||
                  !pc_sq_col_i64(s, st, 1, &out->checkpoint_us, &why)))
        status =
            pc_diag_set(d, PC_ERR_STATE, "%s: the last checkpoint is malformed: %s", s->path, why);
    pc_sq_done(st);
    pc_arena_reset(&s->row);
    return status;
}

pc_status pc_sq_tip(pc_store *base, pc_store_tip *out, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = read_tip(s, out, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- appending -------------------------------------------------------- */

/* Encode the record's lists into s->scratch, one after another, noting
** where each field's text starts; other fields add no text, so field i's
** text runs from starts[i] to starts[i + 1] (empty for non-lists). */
static bool encode_lists(sq_store *s, const pc_log_record *r, size_t *starts)
{
    pc_buf_clear(&s->scratch);
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++) {
        const pc_field_desc *f = &pc_log_fields[i];
        starts[i] = s->scratch.len;
        if (f->kind == PC_FIELD_LIST &&
            !pc_strlist_to_json(&s->scratch, *CFIELD_AT(r, f, pc_strlist)))
            return false;
    }
    return true;
}

static void bind_field(sq_bind *b, int col, const pc_field_desc *f, const pc_log_record *r,
                       pc_str list_json)
{
    switch ((pc_field_kind)f->kind) {
    case PC_FIELD_I64: pc_sq_bind_i64(b, col, *CFIELD_AT(r, f, int64_t)); break;
    case PC_FIELD_STR: pc_sq_bind_str(b, col, *CFIELD_AT(r, f, pc_str)); break;
    case PC_FIELD_OPT: pc_sq_bind_opt(b, col, *CFIELD_AT(r, f, pc_str)); break;
    case PC_FIELD_LIST: pc_sq_bind_str(b, col, list_json); break;
    case PC_FIELD_HASH: pc_sq_bind_blob(b, col, CFIELD_AT(r, f, uint8_t), PC_HASH_LEN); break;
    }
}

static pc_status insert_record(sq_store *s, const pc_log_record *r, pc_diag *d)
{
    size_t starts[PC_LOG_N_FIELDS];
    if (!encode_lists(s, r, starts))
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory encoding record %lld", s->path,
                           (long long)r->seq);
    sq_bind b = {s->stmt[SQ_INSERT_RECORD], SQLITE_OK};
    pc_sq_bind_i64(&b, 1, r->seq);
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++) {
        size_t end = i + 1 < PC_LOG_N_FIELDS ? starts[i + 1] : s->scratch.len;
        pc_str list = {s->scratch.data + starts[i], end - starts[i]};
        bind_field(&b, (int)i + 2, &pc_log_fields[i], r, list);
    }
    pc_sq_bind_blob(&b, (int)PC_LOG_N_FIELDS + 2, r->hash, PC_HASH_LEN);
    if (b.rc != SQLITE_OK) {
        pc_status st = pc_sq_fail(s, d, "binding a record");
        pc_sq_done(b.st);
        return st;
    }
    return pc_sq_exec(s, SQ_INSERT_RECORD, "inserting a record", d);
}

static pc_status insert_checkpoint(sq_store *s, const pc_checkpoint *c, pc_diag *d)
{
    sq_bind b = {s->stmt[SQ_INSERT_CHECKPOINT], SQLITE_OK};
    pc_sq_bind_i64(&b, 1, c->seq);
    pc_sq_bind_i64(&b, 2, c->time_us);
    pc_sq_bind_blob(&b, 3, c->hash, PC_HASH_LEN);
    pc_sq_bind_blob(&b, 4, c->key_id, PC_HASH_LEN);
    pc_sq_bind_blob(&b, 5, c->signature, PC_SIG_LEN);
    if (b.rc != SQLITE_OK) {
        pc_status st = pc_sq_fail(s, d, "binding a checkpoint");
        pc_sq_done(b.st);
        return st;
    }
    return pc_sq_exec(s, SQ_INSERT_CHECKPOINT, "inserting a checkpoint", d);
}

static pc_status append_locked(sq_store *s, pc_log_record *recs, size_t n, pc_store_link_fn link,
                               void *link_ctx, pc_diag *d)
{
    pc_store_tip tip;
    pc_checkpoint cp;
    bool want_cp = false;
    memset(&cp, 0, sizeof cp);
    pc_status st = pc_sq_begin(s, d);
    if (st == PC_OK)
        st = read_tip(s, &tip, d);
    if (st == PC_OK)
        st = link(link_ctx, &tip, recs, n, &cp, &want_cp, d);
    for (size_t i = 0; st == PC_OK && i < n; i++)
        st = insert_record(s, &recs[i], d);
    if (st == PC_OK && want_cp)
        st = insert_checkpoint(s, &cp, d);
    if (st == PC_OK)
        st = pc_sq_commit(s, d);
    if (st != PC_OK)
        pc_sq_rollback(s, d);
    return st;
}

pc_status pc_sq_append(pc_store *base, pc_log_record *recs, size_t n, pc_store_link_fn link,
                       void *link_ctx, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = append_locked(s, recs, n, link, link_ctx, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- reading records -------------------------------------------------- */

static bool read_field(sq_store *s, sqlite3_stmt *st, int col, const pc_field_desc *f,
                       pc_log_record *r, const char **why)
{
    switch ((pc_field_kind)f->kind) {
    case PC_FIELD_I64: return pc_sq_col_i64(s, st, col, FIELD_AT(r, f, int64_t), why);
    case PC_FIELD_STR: return pc_sq_col_str(s, st, col, FIELD_AT(r, f, pc_str), why);
    case PC_FIELD_OPT: return pc_sq_col_opt(s, st, col, FIELD_AT(r, f, pc_str), why);
    case PC_FIELD_LIST: return pc_sq_col_list(s, st, col, FIELD_AT(r, f, pc_strlist), why);
    case PC_FIELD_HASH:
        return pc_sq_col_blob(s, st, col, FIELD_AT(r, f, uint8_t), PC_HASH_LEN, why);
    }
    return false;
}

/* Decode the current row; a bad column leaves r->malformed saying why and
** the fields after it zero. seq is always read first, to name the row. */
static void read_record(sq_store *s, sqlite3_stmt *st, pc_log_record *r)
{
    memset(r, 0, sizeof *r);
    const char *why = NULL;
    bool ok = pc_sq_col_i64(s, st, 0, &r->seq, &why);
    for (size_t i = 0; ok && i < PC_LOG_N_FIELDS; i++)
        ok = read_field(s, st, (int)i + 1, &pc_log_fields[i], r, &why);
    if (ok)
        ok = pc_sq_col_blob(s, st, (int)PC_LOG_N_FIELDS + 1, r->hash, PC_HASH_LEN, &why);
    r->malformed = ok ? NULL : why;
}

/* SELECT ... WHERE <the filter's conditions>, with ?N for each value. */
static char *filter_sql(const sq_store *s, const pc_record_filter *f)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "SELECT %s FROM decisions WHERE seq > ?1", s->record_cols);
    if (f->principal)
        pc_buf_puts(&b, " AND principal = ?2");
    if (f->action)
        pc_buf_puts(&b, " AND action = ?3");
    if (f->decision)
        pc_buf_puts(&b, " AND decision = ?4");
    if (f->has_since)
        pc_buf_puts(&b, " AND time_us >= ?5");
    if (f->has_until)
        pc_buf_puts(&b, " AND time_us < ?6");
    pc_buf_puts(&b, f->last && f->limit ? " ORDER BY seq DESC" : " ORDER BY seq");
    if (f->limit)
        pc_buf_puts(&b, " LIMIT ?7");
    if (f->last && f->limit) {
        /* the newest `limit`, handed back oldest first like every query */
        char *inner = pc_buf_take(&b);
        pc_buf_printf(&b, "SELECT * FROM (%s) ORDER BY seq", inner ? inner : "");
        if (!inner)
            b.oom = true;
        free(inner);
    }
    return b.oom ? (pc_buf_free(&b), NULL) : pc_buf_take(&b);
}

static void bind_filter(sq_bind *b, const pc_record_filter *f)
{
    pc_sq_bind_i64(b, 1, f->after_seq);
    if (f->principal)
        pc_sq_bind_str(b, 2, pc_str_from_cstr(f->principal));
    if (f->action)
        pc_sq_bind_str(b, 3, pc_str_from_cstr(f->action));
    if (f->decision)
        pc_sq_bind_str(b, 4, pc_str_from_cstr(f->decision));
    if (f->has_since)
        pc_sq_bind_i64(b, 5, f->since_us);
    if (f->has_until)
        pc_sq_bind_i64(b, 6, f->until_us);
    if (f->limit)
        pc_sq_bind_i64(b, 7, f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit);
}

/* Step through a prepared query, decoding each row for fn. */
static pc_status each_record(sq_store *s, sqlite3_stmt *st, pc_record_fn fn, void *ctx, pc_diag *d)
{
    pc_log_record r;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pc_arena_reset(&s->row);
        read_record(s, st, &r);
        if (!fn(ctx, &r))
            return PC_OK;
    }
    return rc == SQLITE_DONE ? PC_OK : pc_sq_fail(s, d, "reading records");
}

static pc_status records_locked(sq_store *s, const pc_record_filter *f, pc_record_fn fn, void *ctx,
                                pc_diag *d)
{
    static const pc_record_filter all = {0};
    f = f ? f : &all;
    char *sql = filter_sql(s, f);
    if (!sql)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory building a query", s->path);
    sqlite3_stmt *st = NULL;
    pc_status status;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        status = pc_sq_fail(s, d, "preparing a record query");
    } else {
        sq_bind b = {st, SQLITE_OK};
        bind_filter(&b, f);
        status = b.rc == SQLITE_OK ? each_record(s, st, fn, ctx, d)
                                   : pc_sq_fail(s, d, "binding a record query");
    }
    sqlite3_finalize(st); /* repeats the last step's code, already handled */
    free(sql);
    pc_arena_reset(&s->row);
    return status;
}

pc_status pc_sq_records(pc_store *base, const pc_record_filter *f, pc_record_fn fn, void *ctx,
                        pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = records_locked(s, f, fn, ctx, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- reading checkpoints ---------------------------------------------- */

static void read_checkpoint(sq_store *s, sqlite3_stmt *st, pc_checkpoint *c)
{
    memset(c, 0, sizeof *c);
    const char *why = NULL;
    bool ok = pc_sq_col_i64(s, st, 0, &c->id, &why) && pc_sq_col_i64(s, st, 1, &c->seq, &why) &&
              pc_sq_col_i64(s, st, 2, &c->time_us, &why) &&
              pc_sq_col_blob(s, st, 3, c->hash, PC_HASH_LEN, &why) &&
              pc_sq_col_blob(s, st, 4, c->key_id, PC_HASH_LEN, &why) &&
              pc_sq_col_blob(s, st, 5, c->signature, PC_SIG_LEN, &why);
    c->malformed = ok ? NULL : why;
}

static pc_status checkpoints_locked(sq_store *s, pc_checkpoint_fn fn, void *ctx, pc_diag *d)
{
    sqlite3_stmt *st = s->stmt[SQ_CHECKPOINTS];
    pc_checkpoint c;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pc_arena_reset(&s->row);
        read_checkpoint(s, st, &c);
        if (!fn(ctx, &c)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    pc_status status = rc == SQLITE_DONE ? PC_OK : pc_sq_fail(s, d, "reading checkpoints");
    pc_sq_done(st);
    pc_arena_reset(&s->row);
    return status;
}

pc_status pc_sq_checkpoints(pc_store *base, pc_checkpoint_fn fn, void *ctx, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = checkpoints_locked(s, fn, ctx, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}
