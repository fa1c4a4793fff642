/*
** audit/writer.c — the log writer: one thread that owns the chain's end and
** commits queued records in batches (group commit).
**
** Appenders do the per-record work in their own threads (validation, the
** context's digest and redaction, one packed copy of the record) and then
** only link an entry into the queue under the mutex. The writer takes up to
** batch_max entries, and outside the mutex hands them to the store's
** append, whose link callback chains them onto the tip it read under the
** store's write lock (so hashes are computed in chain order, by one
** thread). While one batch is being committed and fsynced the next one
** accumulates, which is what makes SYNC throughput grow with concurrency.
**
** SYNC appenders sleep on `done` until their entry's waiter is filled in;
** the writer broadcasts after each batch. ASYNC appenders return at once;
** a failed ASYNC batch is counted as lost and makes the log fail every later
** append (see audit.h for why). A checkpoint is written inside a batch when
** one is due (every checkpoint_every records or checkpoint_ms), on its own
** when the log is idle at the deadline, and at close.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

#define US_PER_MS 1000
#define NS_PER_US 1000

/* A SYNC appender's slot for the outcome, on its own stack. */
typedef struct waiter {
    bool done;
    pc_status status;
    int64_t seq;
    char *msg; /* malloc'ed failure message; the appender frees it */
} waiter;

/* A queued record: the record's strings point into this same allocation. */
typedef struct entry {
    struct entry *next;
    waiter *w; /* NULL in ASYNC mode */
    int64_t queued_us;
    pc_log_record rec;
} entry;

struct pc_audit_log {
    pc_store *store;
    pc_audit_options opt; /* defaults filled in; redact points at own copies */
    char **redact;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work; /* writer: something to do */
    pthread_cond_t room; /* appenders: the queue has room */
    pthread_cond_t done; /* SYNC appenders: a batch finished */
    entry *head, *tail;
    uint32_t queued;
    uint32_t inside; /* appenders inside pc_audit_append's locked part */
    bool stopping;
    pc_status failed; /* ASYNC: sticky failure, with fail_msg */
    char *fail_msg;
    pc_audit_stats stats;
    /* the writer thread's own state (no lock needed) */
    pc_log_record *recs; /* batch_max slots */
    entry **batch;
    pc_buf canon;
    int64_t opened_us;  /* when the writer started */
    int64_t cp_us;      /* time of the last checkpoint (or of opening), as last seen */
    int64_t uncovered;  /* records after the last checkpoint, as last seen */
    pc_diag close_diag; /* first failure of the final flush */
};

/* ---- copying a record into an entry ------------------------------------ */

#define AT(rec, f, type) ((type *)((char *)(rec) + (f)->offset))

/* Where copies go: list item arrays first (aligned after the entry), then bytes. */
typedef struct space {
    pc_str *items;
    char *bytes;
} space;

/* Count the list items and string bytes (with NULs) of r. */
static void measure(const pc_log_record *r, size_t *items, size_t *bytes)
{
    *items = *bytes = 0;
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++) {
        const pc_field_desc *f = &pc_log_fields[i];
        if (f->kind == PC_FIELD_STR || f->kind == PC_FIELD_OPT) {
            *bytes += AT(r, f, const pc_str)->len + 1;
        } else if (f->kind == PC_FIELD_LIST) {
            const pc_strlist *l = AT(r, f, const pc_strlist);
            *items += l->n;
            for (uint32_t k = 0; k < l->n; k++)
                *bytes += l->items[k].len + 1;
        }
    }
}

static pc_str copy_str(space *sp, pc_str s)
{
    if (!s.ptr)
        return PC_STR_NULL;
    char *p = sp->bytes;
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    sp->bytes += s.len + 1;
    return (pc_str){p, s.len};
}

/* Point a field of dst (a copy of the caller's record) at copies in sp. */
static void copy_field(const pc_field_desc *f, pc_log_record *dst, space *sp)
{
    if (f->kind == PC_FIELD_STR || f->kind == PC_FIELD_OPT) {
        *AT(dst, f, pc_str) = copy_str(sp, *AT(dst, f, pc_str));
    } else if (f->kind == PC_FIELD_LIST) {
        pc_strlist *l = AT(dst, f, pc_strlist);
        pc_str *items = sp->items;
        sp->items += l->n;
        for (uint32_t k = 0; k < l->n; k++)
            items[k] = copy_str(sp, l->items[k]);
        l->items = l->n ? items : NULL;
    }
}

/* One allocation holding the entry and every string of r. */
static entry *entry_new(const pc_log_record *r)
{
    size_t items, bytes;
    measure(r, &items, &bytes);
    entry *e = malloc(sizeof *e + items * sizeof(pc_str) + bytes);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->rec = *r;
    space sp = {(pc_str *)(e + 1), (char *)(e + 1) + items * sizeof(pc_str)};
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++)
        copy_field(&pc_log_fields[i], &e->rec, &sp);
    return e;
}

/* ---- checking what appenders hand in ----------------------------------- */

static bool valid_decision(pc_str s)
{
    return pc_str_eq_cstr(s, PC_DECISION_ALLOW) || pc_str_eq_cstr(s, PC_DECISION_DENY) ||
           pc_str_eq_cstr(s, PC_DECISION_APPROVAL);
}

/* The first string field (or list item) that is not valid UTF-8, or NULL. */
static const char *bad_utf8_field(const pc_log_record *r)
{
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++) {
        const pc_field_desc *f = &pc_log_fields[i];
        if (f->kind == PC_FIELD_STR || f->kind == PC_FIELD_OPT) {
            const pc_str *s = AT(r, f, const pc_str);
            if (s->ptr && !pc_utf8_valid(s->ptr, s->len))
                return f->name;
        } else if (f->kind == PC_FIELD_LIST) {
            const pc_strlist *l = AT(r, f, const pc_strlist);
            for (uint32_t k = 0; k < l->n; k++)
                if (!pc_utf8_valid(l->items[k].ptr, l->items[k].len))
                    return f->name;
        }
    }
    return NULL;
}

static pc_status validate(const pc_log_record *r, pc_diag *d)
{
    size_t items, bytes;
    const char *bad;
    if (!valid_decision(r->decision))
        return pc_diag_set(d, PC_ERR_INVALID, "audit record: decision must be %s, %s or %s",
                           PC_DECISION_ALLOW, PC_DECISION_DENY, PC_DECISION_APPROVAL);
    if (r->decision_id.len == 0)
        return pc_diag_set(d, PC_ERR_INVALID, "audit record: decision_id is empty");
    if ((bad = bad_utf8_field(r)) != NULL)
        return pc_diag_set(d, PC_ERR_INVALID, "audit record %.*s: %s is not valid UTF-8",
                           (int)r->decision_id.len, r->decision_id.ptr, bad);
    measure(r, &items, &bytes);
    if (bytes + items * sizeof(uint32_t) > PC_AUDIT_RECORD_MAX)
        return pc_diag_set(d, PC_ERR_LIMIT, "audit record %.*s: larger than %u bytes",
                           (int)r->decision_id.len, r->decision_id.ptr, PC_AUDIT_RECORD_MAX);
    return PC_OK;
}

/* ---- linking a batch onto the chain (inside the store's transaction) ---- */

typedef struct link_ctx {
    pc_audit_log *log;
    bool force_cp; /* sign even if not due (close) */
    int64_t now_us;
    bool wrote_cp;     /* out: a checkpoint goes with this batch */
    int64_t cp_us;     /* out: the last checkpoint's time after this batch */
    int64_t uncovered; /* out: records after it */
} link_ctx;

static bool checkpoint_due(const pc_audit_options *o, const link_ctx *lc)
{
    return o->key && lc->uncovered > 0 &&
           (lc->force_cp || lc->uncovered >= (int64_t)o->checkpoint_every ||
            lc->now_us - lc->cp_us >= (int64_t)o->checkpoint_ms * US_PER_MS);
}

static pc_status link_batch(void *arg, const pc_store_tip *tip, pc_log_record *recs, size_t n,
                            pc_checkpoint *cp, bool *want_cp, pc_diag *d)
{
    link_ctx *lc = arg;
    pc_audit_log *log = lc->log;
    const uint8_t *prev = tip->hash;
    for (size_t i = 0; i < n; i++) {
        recs[i].seq = tip->seq + 1 + (int64_t)i;
        memcpy(recs[i].prev_hash, prev, PC_HASH_LEN);
        pc_status st = pc_audit_hash(&recs[i], &log->canon, recs[i].hash, d);
        if (st != PC_OK)
            return st;
        prev = recs[i].hash;
    }
    lc->uncovered = tip->seq + (int64_t)n - tip->checkpoint_seq;
    /* with no checkpoint yet, the interval runs from opening, not from 1970 */
    lc->cp_us = tip->checkpoint_seq ? tip->checkpoint_us : log->opened_us;
    if (!checkpoint_due(&log->opt, lc))
        return PC_OK;
    cp->seq = tip->seq + (int64_t)n;
    cp->time_us = lc->now_us;
    memcpy(cp->hash, prev, PC_HASH_LEN);
    pc_status st = pc_checkpoint_sign(log->opt.key, cp, d);
    if (st != PC_OK)
        return st;
    *want_cp = lc->wrote_cp = true;
    lc->uncovered = 0;
    lc->cp_us = lc->now_us;
    return PC_OK;
}

/* Commit log->batch[0..n) (n may be 0: a checkpoint alone). Writer thread. */
static pc_status write_batch(pc_audit_log *log, uint32_t n, bool force_cp, bool *wrote_cp,
                             pc_diag *d)
{
    for (uint32_t i = 0; i < n; i++)
        log->recs[i] = log->batch[i]->rec;
    link_ctx lc = {log, force_cp, pc_time_now_us(), false, 0, 0};
    pc_status st = log->store->ops->append(log->store, log->recs, n, link_batch, &lc, d);
    *wrote_cp = st == PC_OK && lc.wrote_cp;
    if (st == PC_OK) {
        log->cp_us = lc.cp_us;
        log->uncovered = lc.uncovered;
    } else {
        log->cp_us =
            lc.now_us; /* a timed checkpoint is retried one interval later, not in a loop */
    }
    return st;
}

/* ---- the writer thread --------------------------------------------------- */

/* When the writer must act even without more records: INT64_MAX for never. */
static int64_t next_deadline(const pc_audit_log *log)
{
    int64_t at = INT64_MAX;
    if (log->head && log->opt.mode == PC_AUDIT_ASYNC)
        at = log->head->queued_us + (int64_t)log->opt.flush_ms * US_PER_MS;
    if (log->opt.key && log->uncovered > 0) {
        int64_t cp = log->cp_us + (int64_t)log->opt.checkpoint_ms * US_PER_MS;
        at = cp < at ? cp : at;
    }
    return at;
}

static void wait_until(pc_audit_log *log, int64_t at_us)
{
    if (at_us == INT64_MAX) {
        pthread_cond_wait(&log->work, &log->mu);
        return;
    }
    struct timespec ts = {(time_t)(at_us / 1000000), (long)(at_us % 1000000) * NS_PER_US};
    int rc = pthread_cond_timedwait(&log->work, &log->mu, &ts);
    (void)rc; /* ETIMEDOUT or a wakeup: either way the caller re-checks its condition */
}

/* Sleep until there is a batch or a due checkpoint; false: stop (queue drained). */
static bool wait_for_work(pc_audit_log *log)
{
    for (;;) {
        if (log->head && (log->stopping || log->opt.mode == PC_AUDIT_SYNC ||
                          log->queued >= log->opt.queue_max / 2))
            return true;
        if (log->stopping)
            return false;
        int64_t at = next_deadline(log);
        if (at != INT64_MAX && at <= pc_time_now_us())
            return true;
        wait_until(log, at);
    }
}

static uint32_t take_batch(pc_audit_log *log)
{
    uint32_t n = 0;
    while (log->head && n < log->opt.batch_max) {
        log->batch[n++] = log->head;
        log->head = log->head->next;
    }
    if (!log->head)
        log->tail = NULL;
    log->queued -= n;
    pthread_cond_broadcast(&log->room);
    return n;
}

static void record_failure(pc_audit_log *log, uint32_t n, pc_status st, const pc_diag *d)
{
    if (log->opt.mode == PC_AUDIT_SYNC) {
        log->stats.failed += n;
        return;
    }
    log->stats.lost += n;
    if (log->failed == PC_OK) {
        log->failed = st;
        log->fail_msg = d->msg ? strdup(d->msg) : NULL;
    }
    pthread_cond_broadcast(&log->room); /* blocked appenders must learn it too */
}

/* Hand each SYNC appender its outcome, free the batch, count. Under mu. */
static void finish_batch(pc_audit_log *log, uint32_t n, pc_status st, const pc_diag *d,
                         bool wrote_cp)
{
    for (uint32_t i = 0; i < n; i++) {
        waiter *w = log->batch[i]->w;
        if (w) {
            w->status = st;
            w->seq = st == PC_OK ? log->recs[i].seq : 0;
            w->msg = st != PC_OK && d->msg ? strdup(d->msg) : NULL;
            w->done = true;
        }
        free(log->batch[i]);
    }
    if (st == PC_OK) {
        log->stats.appended += n;
        log->stats.batches += n > 0;
        log->stats.checkpoints += wrote_cp;
    } else {
        record_failure(log, n, st, d);
    }
    pthread_cond_broadcast(&log->done);
}

/* One round: take a batch (or nothing, for a due checkpoint), commit it. */
static void run_round(pc_audit_log *log, bool force_cp)
{
    uint32_t n = take_batch(log);
    pthread_mutex_unlock(&log->mu);
    pc_diag d;
    pc_diag_init(&d);
    bool wrote_cp = false;
    pc_status st = write_batch(log, n, force_cp, &wrote_cp, &d);
    pthread_mutex_lock(&log->mu);
    finish_batch(log, n, st, &d, wrote_cp);
    if (st != PC_OK && log->stopping && log->close_diag.status == PC_OK)
        pc_diag_set(&log->close_diag, st, "%s", d.msg ? d.msg : "audit log: write failed");
    pc_diag_clear(&d);
}

static void *writer_main(void *arg)
{
    pc_audit_log *log = arg;
    pthread_mutex_lock(&log->mu);
    while (wait_for_work(log))
        run_round(log, false);
    if (log->opt.key && log->uncovered > 0)
        run_round(log, true); /* the final checkpoint: cover the tail at close */
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

/* ---- opening and closing ------------------------------------------------- */

static void fill_defaults(pc_audit_options *o)
{
    o->queue_max = o->queue_max ? o->queue_max : PC_AUDIT_QUEUE_DEFAULT;
    o->batch_max = o->batch_max ? o->batch_max : PC_AUDIT_BATCH_DEFAULT;
    o->batch_max = o->batch_max < o->queue_max ? o->batch_max : o->queue_max;
    o->flush_ms = o->flush_ms ? o->flush_ms : PC_AUDIT_FLUSH_MS_DEFAULT;
    o->checkpoint_every =
        o->checkpoint_every ? o->checkpoint_every : PC_AUDIT_CHECKPOINT_EVERY_DEFAULT;
    o->checkpoint_ms = o->checkpoint_ms ? o->checkpoint_ms : PC_AUDIT_CHECKPOINT_MS_DEFAULT;
}

static bool copy_redact(pc_audit_log *log, const pc_audit_options *o)
{
    if (!o->n_redact)
        return true;
    log->redact = calloc(o->n_redact, sizeof *log->redact);
    if (!log->redact)
        return false;
    for (size_t i = 0; i < o->n_redact; i++)
        if (!(log->redact[i] = strdup(o->redact[i])))
            return false;
    log->opt.redact = (const char *const *)log->redact;
    return true;
}

/* Free what open allocated; the thread and sync objects are not running. */
static void log_free(pc_audit_log *log)
{
    for (size_t i = 0; log->redact && i < log->opt.n_redact; i++)
        free(log->redact[i]);
    free(log->redact);
    free(log->recs);
    free(log->batch);
    free(log->fail_msg);
    pc_buf_free(&log->canon);
    pc_diag_clear(&log->close_diag);
    free(log);
}

static bool init_sync(pc_audit_log *log)
{
    bool ok = pthread_mutex_init(&log->mu, NULL) == 0;
    int conds = 0;
    pthread_cond_t *cv[] = {&log->work, &log->room, &log->done};
    while (ok && conds < 3 && pthread_cond_init(cv[conds], NULL) == 0)
        conds++;
    if (conds == 3)
        return true;
    while (conds > 0)
        pthread_cond_destroy(cv[--conds]);
    if (ok)
        pthread_mutex_destroy(&log->mu);
    return false;
}

static void destroy_sync(pc_audit_log *log)
{
    pthread_cond_destroy(&log->work);
    pthread_cond_destroy(&log->room);
    pthread_cond_destroy(&log->done);
    pthread_mutex_destroy(&log->mu);
}

static pc_status log_new(pc_store *store, const pc_audit_options *o, pc_audit_log **out, pc_diag *d)
{
    pc_audit_log *log = calloc(1, sizeof *log);
    if (!log)
        return pc_diag_set(d, PC_ERR_NOMEM, "audit log: out of memory");
    log->store = store;
    log->opt = *o;
    log->opt.redact = NULL;
    fill_defaults(&log->opt);
    pc_buf_init(&log->canon);
    pc_diag_init(&log->close_diag);
    log->recs = calloc(log->opt.batch_max, sizeof *log->recs);
    log->batch = calloc(log->opt.batch_max, sizeof *log->batch);
    if (!log->recs || !log->batch || !copy_redact(log, o)) {
        log_free(log);
        return pc_diag_set(d, PC_ERR_NOMEM, "audit log: out of memory");
    }
    *out = log;
    return PC_OK;
}

pc_status pc_audit_open(pc_store *store, const pc_audit_options *o, pc_audit_log **out, pc_diag *d)
{
    *out = NULL;
    if (o->mode != PC_AUDIT_SYNC && o->mode != PC_AUDIT_ASYNC)
        return pc_diag_set(d, PC_ERR_INVALID, "audit log: unknown durability mode %d",
                           (int)o->mode);
    if (o->mode == PC_AUDIT_SYNC && !store->durable)
        return pc_diag_set(d, PC_ERR_INVALID,
                           "audit log: sync mode promises durable records, "
                           "but the store was not opened durable");
    pc_audit_log *log = NULL;
    pc_store_tip tip;
    pc_status st = log_new(store, o, &log, d);
    if (st != PC_OK)
        return st;
    if ((st = store->ops->tip(store, &tip, d)) != PC_OK) {
        log_free(log);
        return st;
    }
    log->opened_us = pc_time_now_us();
    log->cp_us = tip.checkpoint_seq ? tip.checkpoint_us : log->opened_us;
    log->uncovered = tip.seq - tip.checkpoint_seq;
    if (!init_sync(log)) {
        log_free(log);
        return pc_diag_set(d, PC_ERR_NOMEM, "audit log: cannot create its locks");
    }
    int rc = pthread_create(&log->thread, NULL, writer_main, log);
    if (rc != 0) {
        destroy_sync(log);
        log_free(log);
        return pc_diag_set(d, PC_ERR_NOMEM, "audit log: cannot start the writer thread: %s",
                           strerror(rc));
    }
    *out = log;
    return PC_OK;
}

/* The sticky ASYNC failure as this call's error. Under mu. */
static pc_status failed_error(pc_audit_log *log, pc_diag *d)
{
    return pc_diag_set(d, log->failed, "audit log: writing failed, %llu record(s) lost: %s",
                       (unsigned long long)log->stats.lost,
                       log->fail_msg ? log->fail_msg : "no message (out of memory)");
}

pc_status pc_audit_close(pc_audit_log *log, pc_diag *d)
{
    if (!log)
        return PC_OK;
    pthread_mutex_lock(&log->mu);
    log->stopping = true;
    pthread_cond_signal(&log->work);
    pthread_cond_broadcast(&log->room);
    pthread_mutex_unlock(&log->mu);
    int rc = pthread_join(log->thread, NULL);
    pthread_mutex_lock(&log->mu);
    while (rc == 0 && log->inside > 0) /* appenders woken by the last batch are still leaving */
        pthread_cond_wait(&log->done, &log->mu);
    pthread_mutex_unlock(&log->mu);
    pc_status st = PC_OK;
    if (rc != 0)
        st = pc_diag_set(d, PC_ERR_STATE, "audit log: cannot join the writer: %s", strerror(rc));
    else if (log->failed != PC_OK)
        st = failed_error(log, d);
    else if (log->close_diag.status != PC_OK)
        st = pc_diag_set(d, log->close_diag.status, "audit log: at close: %s",
                         log->close_diag.msg ? log->close_diag.msg : "write failed");
    if (rc == 0) { /* a writer we could not join may still use the log: leak it instead */
        destroy_sync(log);
        log_free(log);
    }
    return st;
}

void pc_audit_get_stats(pc_audit_log *log, pc_audit_stats *out)
{
    pthread_mutex_lock(&log->mu);
    *out = log->stats;
    pthread_mutex_unlock(&log->mu);
}

/* ---- appending ---------------------------------------------------------- */

/* Unlock on the way out of an append; the last one out lets close finish. */
static void leave(pc_audit_log *log)
{
    if (--log->inside == 0 && log->stopping)
        pthread_cond_broadcast(&log->done);
    pthread_mutex_unlock(&log->mu);
}

/* Queue e; in SYNC mode wait for its batch. Takes ownership of e. */
static pc_status enqueue(pc_audit_log *log, entry *e, int64_t *seq, pc_diag *d)
{
    waiter w = {false, PC_OK, 0, NULL};
    pc_status st = PC_OK;
    pthread_mutex_lock(&log->mu);
    log->inside++;
    while (!log->stopping && log->failed == PC_OK && log->queued >= log->opt.queue_max)
        pthread_cond_wait(&log->room, &log->mu);
    if (log->stopping)
        st = pc_diag_set(d, PC_ERR_STATE, "audit log: closing, record not accepted");
    else if (log->failed != PC_OK)
        st = failed_error(log, d);
    if (st != PC_OK) {
        leave(log);
        free(e);
        return st;
    }
    e->w = log->opt.mode == PC_AUDIT_SYNC ? &w : NULL;
    e->queued_us = pc_time_now_us();
    *(log->tail ? &log->tail->next : &log->head) = e;
    log->tail = e;
    log->queued++;
    /* wake the writer only when it has something to do: in ASYNC mode that is
    ** the first entry (to start the flush clock) or a half-full queue */
    if (log->opt.mode == PC_AUDIT_SYNC || log->queued == 1 || log->queued >= log->opt.queue_max / 2)
        pthread_cond_signal(&log->work);
    while (log->opt.mode == PC_AUDIT_SYNC && !w.done) /* e belongs to the writer now */
        pthread_cond_wait(&log->done, &log->mu);
    leave(log);
    if (w.status != PC_OK) {
        st = pc_diag_set(d, w.status, "audit log: %s", w.msg ? w.msg : "write failed");
        free(w.msg);
        return st;
    }
    if (seq)
        *seq = w.seq;
    return PC_OK;
}

/* The record as it will be queued: writer-owned fields cleared, context set. */
static pc_status prepare(pc_audit_log *log, const pc_log_record *r, const json_t *context,
                         pc_log_record *out, char **ctx_text, pc_diag *d)
{
    *out = *r;
    out->seq = 0;
    out->malformed = NULL;
    memset(out->prev_hash, 0, PC_HASH_LEN);
    memset(out->hash, 0, PC_HASH_LEN);
    out->time_us = r->time_us ? r->time_us : pc_time_now_us();
    out->context = PC_STR_NULL;
    *ctx_text = NULL;
    pc_status st = pc_json_digest(context, out->context_digest, d);
    if (st == PC_OK && log->opt.keep_context &&
        (st = pc_audit_redact(context, log->opt.redact, log->opt.n_redact, ctx_text, d)) == PC_OK)
        out->context = pc_str_from_cstr(*ctx_text);
    return st == PC_OK ? validate(out, d) : st;
}

pc_status pc_audit_append(pc_audit_log *log, const pc_log_record *r, const json_t *context,
                          int64_t *seq, pc_diag *d)
{
    if (seq)
        *seq = 0;
    pc_log_record rec;
    char *ctx_text = NULL;
    pc_status st = prepare(log, r, context, &rec, &ctx_text, d);
    entry *e = st == PC_OK ? entry_new(&rec) : NULL;
    free(ctx_text);
    if (st != PC_OK)
        return st;
    if (!e)
        return pc_diag_set(d, PC_ERR_NOMEM, "audit log: out of memory queueing a record");
    return enqueue(log, e, seq, d);
}
