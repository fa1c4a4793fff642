/*
** store/sqlite_int.h — the SQLite backend's insides, shared by its three
** files: sqlite.c (opening, migrations, transactions, binding and column
** helpers), sqlite_log.c (records and checkpoints) and sqlite_approval.c
** (approvals and grants).
**
** One handle is one connection with every fixed statement prepared once at
** open (the hot paths never parse SQL) and a mutex that makes each
** operation run alone on the connection, as prepared statements and
** sqlite3_errmsg are per connection. Callbacks run under that mutex, so they
** must not call back into the same handle.
*/
#ifndef PC_STORE_SQLITE_INT_H
#define PC_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store.h"

/* Every fixed statement, prepared at open; the SQL is in sqlite.c. */
typedef enum sq_stmt_id {
    SQ_BEGIN = 0,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_TIP_RECORD,
    SQ_TIP_CHECKPOINT,
    SQ_INSERT_RECORD,
    SQ_INSERT_CHECKPOINT,
    SQ_CHECKPOINTS,
    SQ_APPROVAL_PENDING,
    SQ_APPROVAL_INSERT,
    SQ_APPROVAL_GET,
    SQ_APPROVAL_LIST,
    SQ_APPROVAL_DECIDE,
    SQ_APPROVAL_CONSUME,
    SQ_GRANT_SPEND,
    SQ_GRANT_REVOKE,
    SQ_GRANT_GET,
    SQ_GRANT_PURGE,
    SQ_N_STMTS
} sq_stmt_id;

typedef struct sq_store {
    pc_store base;
    sqlite3 *db;
    char *path; /* for messages */
    pthread_mutex_t mu;
    sqlite3_stmt *stmt[SQ_N_STMTS];
    char *record_cols; /* "seq,time_us,...,hash", from pc_log_fields */
    pc_buf scratch;    /* list JSON while binding a record; guarded by mu */
    pc_arena row;      /* decoded lists of the current row; reset per row */
} sq_store;

/* The column list of decisions, seq first, hash last (malloc'ed; NULL on OOM). */
char *pc_sq_record_columns(void);
/* The column list of approvals, in the order sqlite_approval.c reads them. */
extern const char pc_sq_approval_columns[];
#define SQ_APPROVAL_N_COLS 14

/* Record the connection's error as the failure of `what`: PC_ERR_IO. */
pc_status pc_sq_fail(sq_store *s, pc_diag *d, const char *what);
/* sqlite3_reset and clear bindings; a statement is always reset after use. */
void pc_sq_done(sqlite3_stmt *st);
/* Step a statement that returns no rows, then reset it. */
pc_status pc_sq_exec(sq_store *s, sq_stmt_id id, const char *what, pc_diag *d);

/* Transactions: BEGIN IMMEDIATE takes the write lock up front (waiting up to
** the busy timeout), so a transaction never fails half-way for a lock. */
pc_status pc_sq_begin(sq_store *s, pc_diag *d);
pc_status pc_sq_commit(sq_store *s, pc_diag *d);
/* Roll back after a failure already in d (adds to its message if that fails too). */
void pc_sq_rollback(sq_store *s, pc_diag *d);

/* Binding with a sticky result: check rc once after the last bind. */
typedef struct sq_bind {
    sqlite3_stmt *st;
    int rc;
} sq_bind;

void pc_sq_bind_str(sq_bind *b, int i, pc_str v); /* NULL ptr binds "" */
void pc_sq_bind_opt(sq_bind *b, int i, pc_str v); /* NULL ptr binds NULL */
void pc_sq_bind_i64(sq_bind *b, int i, int64_t v);
void pc_sq_bind_blob(sq_bind *b, int i, const void *p, size_t n);

/* Column readers: false with *why (from s->row) when the stored value has
** the wrong type or size. */
bool pc_sq_col_str(sq_store *s, sqlite3_stmt *st, int i, pc_str *out, const char **why);
bool pc_sq_col_opt(sq_store *s, sqlite3_stmt *st, int i, pc_str *out, const char **why);
bool pc_sq_col_i64(sq_store *s, sqlite3_stmt *st, int i, int64_t *out, const char **why);
bool pc_sq_col_blob(sq_store *s, sqlite3_stmt *st, int i, uint8_t *out, size_t n, const char **why);
bool pc_sq_col_list(sq_store *s, sqlite3_stmt *st, int i, pc_strlist *out, const char **why);

/* The operations, by file. */
pc_status pc_sq_tip(pc_store *base, pc_store_tip *out, pc_diag *d);
pc_status pc_sq_append(pc_store *base, pc_log_record *recs, size_t n, pc_store_link_fn link,
                       void *link_ctx, pc_diag *d);
pc_status pc_sq_records(pc_store *base, const pc_record_filter *f, pc_record_fn fn, void *ctx,
                        pc_diag *d);
pc_status pc_sq_checkpoints(pc_store *base, pc_checkpoint_fn fn, void *ctx, pc_diag *d);

pc_status pc_sq_approval_open(pc_store *base, const pc_approval *req, int64_t now_us, pc_arena *a,
                              pc_approval *out, bool *created, pc_diag *d);
pc_status pc_sq_approval_get(pc_store *base, pc_str id, pc_arena *a, pc_approval *out, bool *found,
                             pc_diag *d);
pc_status pc_sq_approval_list(pc_store *base, int only, pc_approval_fn fn, void *ctx, pc_diag *d);
pc_status pc_sq_approval_decide(pc_store *base, pc_str id, pc_approval_state to, pc_str approver,
                                pc_str reason, int64_t now_us, bool *changed, pc_diag *d);
pc_status pc_sq_approval_consume(pc_store *base, const pc_approval *b, int64_t now_us, pc_arena *a,
                                 pc_str *id_out, pc_diag *d);
pc_status pc_sq_grant_use(pc_store *base, pc_str id, bool spend, int64_t until_us, int64_t now_us,
                          pc_grant_state *found, pc_diag *d);
pc_status pc_sq_grant_revoke(pc_store *base, pc_str id, pc_str reason, int64_t until_us,
                             int64_t now_us, pc_diag *d);
pc_status pc_sq_grant_state(pc_store *base, pc_str id, pc_arena *a, pc_grant_state *st,
                            int64_t *at_us, pc_str *reason, pc_diag *d);
pc_status pc_sq_grant_purge(pc_store *base, int64_t now_us, uint64_t *removed, pc_diag *d);

static inline sq_store *sq_of(pc_store *base)
{
    return (sq_store *)base;
}

#endif
