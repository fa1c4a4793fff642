/*
** store/sqlite_approval.c — approval requests and grant ids in SQLite.
**
** Every rule that must hold under concurrency is one SQL statement (or one
** BEGIN IMMEDIATE transaction), never a read followed by a write from C:
**   open     find-pending-or-insert runs under the write lock, so retries
**            of one call never create two requests
**   decide   UPDATE ... WHERE state = 'pending' AND not expired AND the
**            approver is not the requester: a request is decided once
**   consume  UPDATE ... WHERE state = 'approved' AND bound to exactly this
**            principal, action, resource and argument digest: used once
**   use      INSERT ... ON CONFLICT DO NOTHING: a grant id is spent once
** Reads that follow a refused write only explain the refusal.
*/
#include <string.h>

#include "sqlite_int.h"

/* ---- reading an approval row ----------------------------------------- */

static bool read_state(sq_store *s, sqlite3_stmt *st, int col, pc_approval_state *out,
                       const char **why)
{
    pc_str text;
    if (!pc_sq_col_str(s, st, col, &text, why))
        return false;
    char name[16];
    if (text.len < sizeof name) {
        memcpy(name, text.ptr, text.len);
        name[text.len] = '\0';
        if (pc_approval_state_parse(name, out))
            return true;
    }
    *why = "column state holds an unknown state";
    return false;
}

/* Decode the current row (strings borrow the statement, lists s->row). */
static void read_approval(sq_store *s, sqlite3_stmt *st, pc_approval *a)
{
    memset(a, 0, sizeof *a);
    const char *why = NULL;
    bool ok =
        pc_sq_col_str(s, st, 0, &a->id, &why) && pc_sq_col_str(s, st, 1, &a->principal, &why) &&
        pc_sq_col_str(s, st, 2, &a->action, &why) && pc_sq_col_str(s, st, 3, &a->resource, &why) &&
        pc_sq_col_blob(s, st, 4, a->args_digest, PC_HASH_LEN, &why) &&
        pc_sq_col_list(s, st, 5, &a->groups, &why) &&
        pc_sq_col_list(s, st, 6, &a->policies, &why) && read_state(s, st, 7, &a->state, &why) &&
        pc_sq_col_i64(s, st, 8, &a->created_us, &why) &&
        pc_sq_col_i64(s, st, 9, &a->expires_us, &why) &&
        pc_sq_col_str(s, st, 10, &a->approver, &why) &&
        pc_sq_col_str(s, st, 11, &a->reason, &why) &&
        pc_sq_col_i64(s, st, 12, &a->decided_us, &why) &&
        pc_sq_col_i64(s, st, 13, &a->consumed_us, &why);
    a->malformed = ok ? NULL : why;
}

static bool copy_str(pc_arena *a, pc_str *s)
{
    *s = pc_arena_str(a, s->ptr ? s->ptr : "", s->len);
    return s->ptr != NULL;
}

static bool copy_list(pc_arena *a, pc_strlist *l)
{
    pc_str *items = l->n ? pc_arena_alloc(a, l->n * sizeof *items) : NULL;
    if (l->n && !items)
        return false;
    for (uint32_t i = 0; i < l->n; i++) {
        items[i] = l->items[i];
        if (!copy_str(a, &items[i]))
            return false;
    }
    l->items = items;
    return true;
}

/* Make *x independent of the statement and s->row: copy it into a. */
static bool copy_approval(pc_arena *a, pc_approval *x)
{
    if (x->malformed && !(x->malformed = pc_arena_strdup(a, x->malformed)))
        return false;
    return copy_str(a, &x->id) && copy_str(a, &x->principal) && copy_str(a, &x->action) &&
           copy_str(a, &x->resource) && copy_str(a, &x->approver) && copy_str(a, &x->reason) &&
           copy_list(a, &x->groups) && copy_list(a, &x->policies);
}

/* Step a fixed statement for at most one approval row; *found says if one came. */
static pc_status one_approval(sq_store *s, sq_stmt_id id, pc_arena *a, pc_approval *out,
                              bool *found, pc_diag *d)
{
    sqlite3_stmt *st = s->stmt[id];
    int rc = sqlite3_step(st);
    pc_status status = PC_OK;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        read_approval(s, st, out);
        if (!copy_approval(a, out))
            status = pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory reading an approval", s->path);
    } else if (rc != SQLITE_DONE) {
        status = pc_sq_fail(s, d, "reading an approval");
    }
    pc_sq_done(st);
    pc_arena_reset(&s->row);
    return status;
}

static pc_status bind_failed(sq_store *s, sq_bind *b, const char *what, pc_diag *d)
{
    pc_status st = pc_sq_fail(s, d, what);
    pc_sq_done(b->st);
    return st;
}

/* ---- open ------------------------------------------------------------- */

static pc_status insert_approval(sq_store *s, const pc_approval *r, pc_diag *d)
{
    pc_buf_clear(&s->scratch);
    pc_strlist_to_json(&s->scratch, r->groups);
    size_t groups_len = s->scratch.len;
    if (!pc_strlist_to_json(&s->scratch, r->policies))
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory encoding an approval", s->path);
    sq_bind b = {s->stmt[SQ_APPROVAL_INSERT], SQLITE_OK};
    pc_sq_bind_str(&b, 1, r->id);
    pc_sq_bind_str(&b, 2, r->principal);
    pc_sq_bind_str(&b, 3, r->action);
    pc_sq_bind_str(&b, 4, r->resource);
    pc_sq_bind_blob(&b, 5, r->args_digest, PC_HASH_LEN);
    pc_sq_bind_str(&b, 6, (pc_str){s->scratch.data, groups_len});
    pc_sq_bind_str(&b, 7, (pc_str){s->scratch.data + groups_len, s->scratch.len - groups_len});
    pc_sq_bind_str(&b, 8, pc_str_from_cstr(pc_approval_state_name(PC_APPROVAL_PENDING)));
    pc_sq_bind_i64(&b, 9, r->created_us);
    pc_sq_bind_i64(&b, 10, r->expires_us);
    pc_sq_bind_str(&b, 11, PC_STR_LIT(""));
    pc_sq_bind_str(&b, 12, PC_STR_LIT(""));
    pc_sq_bind_i64(&b, 13, 0);
    pc_sq_bind_i64(&b, 14, 0);
    if (b.rc != SQLITE_OK)
        return bind_failed(s, &b, "binding an approval", d);
    return pc_sq_exec(s, SQ_APPROVAL_INSERT, "inserting an approval", d);
}

static pc_status open_locked(sq_store *s, const pc_approval *req, int64_t now_us, pc_arena *a,
                             pc_approval *out, bool *created, pc_diag *d)
{
    bool found = false;
    pc_status st = pc_sq_begin(s, d);
    sq_bind b = {s->stmt[SQ_APPROVAL_PENDING], SQLITE_OK};
    pc_sq_bind_str(&b, 1, req->principal);
    pc_sq_bind_str(&b, 2, req->action);
    pc_sq_bind_str(&b, 3, req->resource);
    pc_sq_bind_blob(&b, 4, req->args_digest, PC_HASH_LEN);
    pc_sq_bind_i64(&b, 5, now_us);
    if (st == PC_OK && b.rc != SQLITE_OK)
        st = bind_failed(s, &b, "binding an approval lookup", d);
    if (st == PC_OK)
        st = one_approval(s, SQ_APPROVAL_PENDING, a, out, &found, d);
    if (st == PC_OK && !found && (st = insert_approval(s, req, d)) == PC_OK) {
        *out = *req;
        out->state = PC_APPROVAL_PENDING;
        if (!copy_approval(a, out))
            st = pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", s->path);
    }
    if (st == PC_OK)
        st = pc_sq_commit(s, d);
    if (st != PC_OK)
        pc_sq_rollback(s, d);
    pc_sq_done(b.st);
    *created = st == PC_OK && !found;
    return st;
}

pc_status pc_sq_approval_open(pc_store *base, const pc_approval *req, int64_t now_us, pc_arena *a,
                              pc_approval *out, bool *created, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = open_locked(s, req, now_us, a, out, created, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- get and list ----------------------------------------------------- */

pc_status pc_sq_approval_get(pc_store *base, pc_str id, pc_arena *a, pc_approval *out, bool *found,
                             pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    sq_bind b = {s->stmt[SQ_APPROVAL_GET], SQLITE_OK};
    pc_sq_bind_str(&b, 1, id);
    pc_status st = b.rc == SQLITE_OK ? one_approval(s, SQ_APPROVAL_GET, a, out, found, d)
                                     : bind_failed(s, &b, "binding an approval id", d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

static pc_status list_locked(sq_store *s, int only, pc_approval_fn fn, void *ctx, pc_diag *d)
{
    sqlite3_stmt *st = s->stmt[SQ_APPROVAL_LIST];
    sq_bind b = {st, SQLITE_OK};
    if (only >= 0)
        pc_sq_bind_str(&b, 1, pc_str_from_cstr(pc_approval_state_name((pc_approval_state)only)));
    if (b.rc != SQLITE_OK)
        return bind_failed(s, &b, "binding an approval listing", d);
    pc_approval a;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pc_arena_reset(&s->row);
        read_approval(s, st, &a);
        if (!fn(ctx, &a)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    pc_status status = rc == SQLITE_DONE ? PC_OK : pc_sq_fail(s, d, "listing approvals");
    pc_sq_done(st);
    pc_arena_reset(&s->row);
    return status;
}

pc_status pc_sq_approval_list(pc_store *base, int only, pc_approval_fn fn, void *ctx, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = list_locked(s, only, fn, ctx, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- decide and consume ----------------------------------------------- */

pc_status pc_sq_approval_decide(pc_store *base, pc_str id, pc_approval_state to, pc_str approver,
                                pc_str reason, int64_t now_us, bool *changed, pc_diag *d)
{
    *changed = false;
    if (to != PC_APPROVAL_APPROVED && to != PC_APPROVAL_DENIED)
        return pc_diag_set(d, PC_ERR_INVALID, "an approval can only be approved or denied");
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    sq_bind b = {s->stmt[SQ_APPROVAL_DECIDE], SQLITE_OK};
    pc_sq_bind_str(&b, 1, id);
    pc_sq_bind_str(&b, 2, pc_str_from_cstr(pc_approval_state_name(to)));
    pc_sq_bind_str(&b, 3, approver);
    pc_sq_bind_str(&b, 4, reason);
    pc_sq_bind_i64(&b, 5, now_us);
    pc_status st = b.rc == SQLITE_OK ? pc_sq_exec(s, SQ_APPROVAL_DECIDE, "deciding an approval", d)
                                     : bind_failed(s, &b, "binding an approval decision", d);
    if (st == PC_OK)
        *changed = sqlite3_changes(s->db) == 1;
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Step the consuming UPDATE to its end; RETURNING hands back the id used. */
static pc_status consume_step(sq_store *s, pc_arena *a, pc_str *id_out, pc_diag *d)
{
    sqlite3_stmt *st = s->stmt[SQ_APPROVAL_CONSUME];
    const char *why = NULL;
    pc_str id;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!pc_sq_col_str(s, st, 0, &id, &why) || !copy_str(a, &id))
            break;
        *id_out = id;
    }
    pc_status status = PC_OK;
    if (rc == SQLITE_ROW)
        status = pc_diag_set(d, why ? PC_ERR_STATE : PC_ERR_NOMEM, "%s: consuming an approval: %s",
                             s->path, why ? why : "out of memory");
    else if (rc != SQLITE_DONE)
        status = pc_sq_fail(s, d, "consuming an approval");
    pc_sq_done(st);
    pc_arena_reset(&s->row);
    return status;
}

pc_status pc_sq_approval_consume(pc_store *base, const pc_approval *bnd, int64_t now_us,
                                 pc_arena *a, pc_str *id_out, pc_diag *d)
{
    *id_out = PC_STR_NULL;
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    sq_bind b = {s->stmt[SQ_APPROVAL_CONSUME], SQLITE_OK};
    pc_sq_bind_i64(&b, 1, now_us);
    pc_sq_bind_str(&b, 2, bnd->principal);
    pc_sq_bind_str(&b, 3, bnd->action);
    pc_sq_bind_str(&b, 4, bnd->resource);
    pc_sq_bind_blob(&b, 5, bnd->args_digest, PC_HASH_LEN);
    pc_sq_bind_str(&b, 6, bnd->id);
    pc_status st = b.rc == SQLITE_OK ? consume_step(s, a, id_out, d)
                                     : bind_failed(s, &b, "binding an approval use", d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- grants ------------------------------------------------------------- */

/* Read a grant's row: state, since when, and the revocation reason (in a). */
static pc_status read_grant(sq_store *s, pc_str id, pc_arena *a, pc_grant_state *state,
                            int64_t *at_us, pc_str *reason, pc_diag *d)
{
    sqlite3_stmt *st = s->stmt[SQ_GRANT_GET];
    sq_bind b = {st, SQLITE_OK};
    pc_sq_bind_str(&b, 1, id);
    if (b.rc != SQLITE_OK)
        return bind_failed(s, &b, "binding a grant id", d);
    *state = PC_GRANT_UNSEEN;
    *at_us = 0;
    *reason = PC_STR_LIT("");
    int rc = sqlite3_step(st);
    pc_status status = PC_OK;
    pc_str name;
    const char *why = NULL;
    if (rc == SQLITE_ROW) {
        if (!pc_sq_col_str(s, st, 0, &name, &why) || !pc_sq_col_i64(s, st, 1, at_us, &why) ||
            !pc_sq_col_str(s, st, 2, reason, &why))
            status = pc_diag_set(d, PC_ERR_STATE, "%s: grant row is malformed: %s", s->path, why);
        else if (!copy_str(a, reason))
            status = pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory reading a grant", s->path);
        else
            *state = pc_str_eq_cstr(name, "revoked") ? PC_GRANT_REVOKED : PC_GRANT_SPENT;
    } else if (rc != SQLITE_DONE) {
        status = pc_sq_fail(s, d, "reading a grant");
    }
    pc_sq_done(st);
    return status;
}

/* Try to record the spend; *recorded says whether this call did. */
static pc_status record_spend(sq_store *s, pc_str id, int64_t until_us, int64_t now_us,
                              bool *recorded, pc_diag *d)
{
    sq_bind b = {s->stmt[SQ_GRANT_SPEND], SQLITE_OK};
    pc_sq_bind_str(&b, 1, id);
    pc_sq_bind_i64(&b, 2, now_us);
    pc_sq_bind_i64(&b, 3, until_us);
    if (b.rc != SQLITE_OK)
        return bind_failed(s, &b, "binding a grant", d);
    pc_status st = pc_sq_exec(s, SQ_GRANT_SPEND, "spending a grant", d);
    *recorded = st == PC_OK && sqlite3_changes(s->db) == 1;
    return st;
}

static pc_status use_locked(sq_store *s, pc_str id, bool spend, int64_t until_us, int64_t now_us,
                            pc_grant_state *found, pc_diag *d)
{
    bool recorded = false;
    int64_t at;
    pc_str reason;
    pc_status st = spend ? record_spend(s, id, until_us, now_us, &recorded, d) : PC_OK;
    *found = PC_GRANT_UNSEEN;
    if (st == PC_OK && !recorded) /* refused by an existing row: say which kind */
        st = read_grant(s, id, &s->row, found, &at, &reason, d);
    return st;
}

pc_status pc_sq_grant_use(pc_store *base, pc_str id, bool spend, int64_t until_us, int64_t now_us,
                          pc_grant_state *found, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = use_locked(s, id, spend, until_us, now_us, found, d);
    pc_arena_reset(&s->row);
    pthread_mutex_unlock(&s->mu);
    return st;
}

pc_status pc_sq_grant_revoke(pc_store *base, pc_str id, pc_str reason, int64_t until_us,
                             int64_t now_us, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    sq_bind b = {s->stmt[SQ_GRANT_REVOKE], SQLITE_OK};
    pc_sq_bind_str(&b, 1, id);
    pc_sq_bind_i64(&b, 2, now_us);
    pc_sq_bind_i64(&b, 3, until_us);
    pc_sq_bind_str(&b, 4, reason);
    pc_status st = b.rc == SQLITE_OK ? pc_sq_exec(s, SQ_GRANT_REVOKE, "revoking a grant", d)
                                     : bind_failed(s, &b, "binding a grant revocation", d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

pc_status pc_sq_grant_state(pc_store *base, pc_str id, pc_arena *a, pc_grant_state *state,
                            int64_t *at_us, pc_str *reason, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    pc_status st = read_grant(s, id, a, state, at_us, reason, d);
    pthread_mutex_unlock(&s->mu);
    return st;
}

pc_status pc_sq_grant_purge(pc_store *base, int64_t now_us, uint64_t *removed, pc_diag *d)
{
    sq_store *s = sq_of(base);
    pthread_mutex_lock(&s->mu);
    sq_bind b = {s->stmt[SQ_GRANT_PURGE], SQLITE_OK};
    pc_sq_bind_i64(&b, 1, now_us);
    pc_status st = b.rc == SQLITE_OK ? pc_sq_exec(s, SQ_GRANT_PURGE, "forgetting old grants", d)
                                     : bind_failed(s, &b, "binding a grant purge", d);
    *removed = st == PC_OK ? (uint64_t)sqlite3_changes64(s->db) : 0;
    pthread_mutex_unlock(&s->mu);
    return st;
}
