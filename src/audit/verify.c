/*
** audit/verify.c — checking a decision log and naming the first record
** that was modified, deleted, inserted or reordered.
**
** Three passes over the store, streaming (memory does not grow with the log):
**   1. checkpoints: numbered without gaps, each well formed and, with a
**      key, signed by it;
**   2. the chain, oldest first, with one row of lookahead: record B is judged
**      when the row C after it has been read, against its predecessor A:
**        - a jump in seq (A+1 < B)               DELETED, the first missing seq
**        - B's prev_hash is not A's hash         a broken link, classified below
**        - B's stored hash is not its hash       MODIFIED B (or INSERTED B when
**                                                C links straight back to A)
**        - a checkpoint at B signs another hash  REWRITTEN: the chain was
**                                                recomputed after signing
**   3. only on a broken link: find the record J whose hash B's prev_hash is.
**        - J stored after B                      REORDERED B: it is stored
**                                                before its chain predecessor
**        - C links straight back to A            INSERTED B (a replayed copy
**                                                of an old record lands here)
**        - J stored before A                     INSERTED: the records after J
**                                                up to A are not in the chain
**        - no J, B's stored hash is stale        MODIFIED B (its prev_hash)
**        - no J otherwise                        DELETED: a record after A is
**                                                gone and the rest renumbered
**                                                (or A was modified together
**                                                with its stored hash; the
**                                                message says both)
** Finally, a checkpoint covering a seq past the last record means records
** were cut from the end (TRUNCATED). Records past the last checkpoint can be
** cut without trace; the report gives covered_seq so callers can say so.
*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

#define ID_SHOWN_MAX 64 /* decision id characters quoted in messages */

static const char *const tamper_names[] = {
    "intact",    "modified",  "deleted",   "inserted",
    "reordered", "truncated", "rewritten", "bad checkpoint",
};

const char *pc_tamper_name(pc_tamper t)
{
    return (unsigned)t < sizeof tamper_names / sizeof tamper_names[0] ? tamper_names[t] : "unknown";
}

/* What the chain walk keeps of one row. */
typedef struct row {
    bool present;
    int64_t seq;
    uint8_t h[PC_HASH_LEN];      /* recomputed from the content */
    uint8_t stored[PC_HASH_LEN]; /* the hash column */
    uint8_t prev[PC_HASH_LEN];   /* the prev_hash column */
    pc_buf id;                   /* decision id, for messages */
} row;

typedef struct walk {
    pc_audit_report *out;
    pc_diag *d;
    pc_status err; /* a failure of our own (OOM), not a finding */
    pc_buf canon;
    row rows[3]; /* a (judged), b (being judged), c (lookahead) */
    row *a, *b, *c;
    pc_checkpoint *cps; /* sorted by seq */
    size_t n_cps, cap_cps, next_cp;
    int64_t good_cp_seq; /* the last checkpoint the chain matched */
    bool broken_link;    /* stopped at B's link: pass 3 decides */
} walk;

static const uint8_t zero_hash[PC_HASH_LEN];

/* ---- findings ----------------------------------------------------------- */

static void finding(walk *w, pc_tamper kind, int64_t seq, const char *fmt, ...) PC_PRINTF(4, 5);

static void finding(walk *w, pc_tamper kind, int64_t seq, const char *fmt, ...)
{
    if (w->out->finding != PC_TAMPER_NONE)
        return;
    pc_buf b;
    pc_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    w->out->finding = kind;
    w->out->seq = seq;
    w->out->message = pc_buf_take(&b);
    if (!w->out->message)
        w->err = pc_diag_set(w->d, PC_ERR_NOMEM, "out of memory describing a finding");
}

/* "record 12 (decision 4f2a...)" */
static const char *name_row(const row *r, pc_buf *scratch)
{
    pc_buf_clear(scratch);
    pc_buf_printf(scratch, "record %lld", (long long)r->seq);
    if (r->id.len)
        pc_buf_printf(scratch, " (decision %.*s%s)",
                      (int)(r->id.len < ID_SHOWN_MAX ? r->id.len : ID_SHOWN_MAX), r->id.data,
                      r->id.len > ID_SHOWN_MAX ? "..." : "");
    return scratch->data ? scratch->data : "a record";
}

/* ---- pass 1: checkpoints ------------------------------------------------ */

static bool collect_checkpoint(void *ctx, const pc_checkpoint *c)
{
    walk *w = ctx;
    if (w->n_cps == w->cap_cps) {
        size_t cap = w->cap_cps ? 2 * w->cap_cps : 64;
        pc_checkpoint *grown = realloc(w->cps, cap * sizeof *grown);
        if (!grown) {
            w->err = pc_diag_set(w->d, PC_ERR_NOMEM, "out of memory reading checkpoints");
            return false;
        }
        w->cps = grown;
        w->cap_cps = cap;
    }
    w->cps[w->n_cps] = *c;
    w->cps[w->n_cps].malformed = NULL; /* judged now; the store's text dies after this call */
    if (c->malformed)
        finding(w, PC_TAMPER_CHECKPOINT, c->id, "checkpoint #%lld is malformed: %s",
                (long long)c->id, c->malformed);
    w->n_cps++;
    return true;
}

/* Checkpoints come by id; ids are 1, 2, 3, ... so a gap is a deleted one. */
static void check_signatures(walk *w, const pc_audit_key *key)
{
    for (size_t i = 0; i < w->n_cps && w->out->finding == PC_TAMPER_NONE; i++) {
        const pc_checkpoint *c = &w->cps[i];
        int64_t expected = i ? w->cps[i - 1].id + 1 : 1;
        if (c->id != expected)
            finding(w, PC_TAMPER_CHECKPOINT, expected,
                    "checkpoint(s) #%lld..#%lld are missing: "
                    "they were deleted",
                    (long long)expected, (long long)c->id - 1);
        else if (c->seq < 1)
            finding(w, PC_TAMPER_CHECKPOINT, c->id,
                    "checkpoint #%lld covers record %lld, which cannot exist", (long long)c->id,
                    (long long)c->seq);
        else if (key && memcmp(c->key_id, pc_audit_key_id(key), PC_HASH_LEN) != 0)
            finding(w, PC_TAMPER_CHECKPOINT, c->id,
                    "checkpoint #%lld (record %lld) is signed by another key than the one given",
                    (long long)c->id, (long long)c->seq);
        else if (key && !pc_checkpoint_verify(key, c))
            finding(w, PC_TAMPER_CHECKPOINT, c->id,
                    "checkpoint #%lld (record %lld): the signature does not verify: the checkpoint "
                    "was forged or altered",
                    (long long)c->id, (long long)c->seq);
        else if (key)
            w->out->signatures_checked++;
        if (c->seq > w->out->covered_seq)
            w->out->covered_seq = c->seq;
    }
}

static int by_seq(const void *x, const void *y)
{
    const pc_checkpoint *a = x, *b = y;
    return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : (a->id > b->id) - (a->id < b->id);
}

/* ---- pass 2: the chain -------------------------------------------------- */

static void check_checkpoints_at(walk *w, const row *b)
{
    pc_buf name;
    pc_buf_init(&name);
    for (; w->next_cp < w->n_cps && w->cps[w->next_cp].seq <= b->seq; w->next_cp++) {
        const pc_checkpoint *c = &w->cps[w->next_cp];
        if (c->seq == b->seq && memcmp(c->hash, b->h, PC_HASH_LEN) != 0)
            finding(
                w, PC_TAMPER_REWRITTEN, w->good_cp_seq + 1,
                "records %lld..%lld were rewritten: the chain is consistent, but %s does not have "
                "the hash checkpoint #%lld signed",
                (long long)w->good_cp_seq + 1, (long long)b->seq, name_row(b, &name),
                (long long)c->id);
        else if (c->seq == b->seq)
            w->good_cp_seq = b->seq;
    }
    pc_buf_free(&name);
}

/* Judge b against a (its predecessor) with c as lookahead (c->present may be false). */
static void judge(walk *w, const row *a, const row *b, const row *c)
{
    pc_buf name;
    pc_buf_init(&name);
    int64_t expected = a->present ? a->seq + 1 : 1;
    const uint8_t *want = a->present ? a->h : zero_hash;
    bool c_skips_b = c->present && memcmp(c->prev, want, PC_HASH_LEN) == 0;
    if (b->seq > expected)
        finding(w, PC_TAMPER_DELETED, expected,
                "record(s) %lld..%lld are missing: the log goes from "
                "record %lld to record %lld",
                (long long)expected, (long long)b->seq - 1, (long long)expected - 1,
                (long long)b->seq);
    else if (b->seq < expected)
        finding(w, PC_TAMPER_INSERTED, b->seq, "%s is out of sequence (expected %lld)",
                name_row(b, &name), (long long)expected);
    else if (memcmp(b->prev, want, PC_HASH_LEN) != 0)
        w->broken_link = true;
    else if (memcmp(b->stored, b->h, PC_HASH_LEN) != 0 && c_skips_b)
        finding(w, PC_TAMPER_INSERTED, b->seq, "%s was inserted: the next record links past it",
                name_row(b, &name));
    else if (memcmp(b->stored, b->h, PC_HASH_LEN) != 0)
        finding(w, PC_TAMPER_MODIFIED, b->seq,
                "%s was modified: its content no longer has its hash", name_row(b, &name));
    else
        check_checkpoints_at(w, b);
    pc_buf_free(&name);
}

static void fill_row(walk *w, row *r, const pc_log_record *rec)
{
    r->present = true;
    r->seq = rec->seq;
    memcpy(r->stored, rec->hash, PC_HASH_LEN);
    memcpy(r->prev, rec->prev_hash, PC_HASH_LEN);
    pc_buf_clear(&r->id);
    pc_buf_append(&r->id, rec->decision_id.ptr, rec->decision_id.len);
    pc_status st = pc_audit_hash(rec, &w->canon, r->h, w->d);
    if (st != PC_OK)
        w->err = st;
}

/* Rotate a <- b <- c <- (a's old slot, emptied). */
static void shift(walk *w)
{
    row *old = w->a;
    w->a = w->b;
    w->b = w->c;
    w->c = old;
    w->c->present = false;
}

static bool on_record(void *ctx, const pc_log_record *rec)
{
    walk *w = ctx;
    w->out->records++;
    if (rec->malformed) {
        if (w->b->present)
            judge(w, w->a, w->b, w->c); /* c is the emptied slot: no usable lookahead */
        if (w->out->finding == PC_TAMPER_NONE && !w->broken_link)
            finding(w, PC_TAMPER_MODIFIED, rec->seq, "record %lld was modified: %s",
                    (long long)rec->seq, rec->malformed);
        return false;
    }
    fill_row(w, w->c, rec);
    if (w->err == PC_OK && w->b->present)
        judge(w, w->a, w->b, w->c);
    if (w->err != PC_OK || w->out->finding != PC_TAMPER_NONE || w->broken_link)
        return false;
    shift(w);
    return true;
}

/* ---- pass 3: where does a broken link point? ----------------------------- */

typedef struct lookup {
    walk *w;
    const uint8_t *target;
    bool found;
    int64_t seq;   /* the record whose hash is target */
    int64_t after; /* the record stored after it */
    bool want_after;
} lookup;

static bool on_lookup(void *ctx, const pc_log_record *rec)
{
    lookup *l = ctx;
    uint8_t h[PC_HASH_LEN];
    if (l->want_after) {
        l->after = rec->seq;
        return false;
    }
    if (rec->malformed)
        return true;
    if (pc_audit_hash(rec, &l->w->canon, h, l->w->d) != PC_OK) {
        l->w->err = PC_ERR_NOMEM;
        return false;
    }
    if (memcmp(h, l->target, PC_HASH_LEN) == 0) {
        l->found = true;
        l->seq = rec->seq;
        l->want_after = true;
    }
    return true;
}

static void classify_broken_link(walk *w, const lookup *l)
{
    const row *a = w->a, *b = w->b, *c = w->c;
    pc_buf name;
    pc_buf_init(&name);
    const uint8_t *want = a->present ? a->h : zero_hash;
    if (l->found && l->seq > b->seq)
        finding(w, PC_TAMPER_REORDERED, b->seq,
                "%s is out of order: its predecessor in the chain "
                "is record %lld, stored after it",
                name_row(b, &name), (long long)l->seq);
    else if (c->present && memcmp(c->prev, want, PC_HASH_LEN) == 0)
        finding(w, PC_TAMPER_INSERTED, b->seq, "%s was inserted: the next record links past it",
                name_row(b, &name));
    else if (l->found && l->seq < b->seq)
        finding(w, PC_TAMPER_INSERTED, l->after,
                "record(s) %lld..%lld were inserted: %s links back "
                "to record %lld, past them",
                (long long)l->after, (long long)a->seq, name_row(b, &name), (long long)l->seq);
    else if (l->found)
        finding(w, PC_TAMPER_MODIFIED, b->seq, "%s was modified: it links to itself",
                name_row(b, &name));
    else if (memcmp(b->stored, b->h, PC_HASH_LEN) != 0)
        finding(w, PC_TAMPER_MODIFIED, b->seq,
                "%s was modified: its link to the previous record "
                "was changed",
                name_row(b, &name));
    else if (a->present)
        finding(
            w, PC_TAMPER_DELETED, b->seq,
            "the chain breaks between record %lld and %s: a record "
            "after %lld was deleted and later ones renumbered, or record %lld was modified along "
            "with its stored hash",
            (long long)a->seq, name_row(b, &name), (long long)a->seq, (long long)a->seq);
    else
        finding(w, PC_TAMPER_DELETED, b->seq,
                "%s does not start the chain: earlier records were "
                "deleted and the rest renumbered",
                name_row(b, &name));
    pc_buf_free(&name);
}

/* ---- the whole check ---------------------------------------------------- */

static void check_tail(walk *w)
{
    for (size_t i = 0; i < w->n_cps; i++)
        if (w->cps[i].seq > w->out->last_seq) {
            finding(
                w, PC_TAMPER_TRUNCATED, w->out->last_seq + 1,
                "record(s) %lld..%lld are missing from the end: the log ends at record %lld but "
                "checkpoint #%lld covers record %lld",
                (long long)w->out->last_seq + 1, (long long)w->cps[i].seq,
                (long long)w->out->last_seq, (long long)w->cps[i].id, (long long)w->cps[i].seq);
            return;
        }
}

/* Pass 3, for a link found broken at b: look for b's predecessor anywhere. */
static pc_status find_predecessor(pc_store *store, walk *w)
{
    lookup l = {w, w->b->prev, false, 0, 0, false};
    pc_status st = store->ops->records(store, NULL, on_lookup, &l, w->d);
    if (st == PC_OK && w->err == PC_OK)
        classify_broken_link(w, &l);
    return st != PC_OK ? st : w->err;
}

static pc_status walk_chain(pc_store *store, walk *w)
{
    pc_status st = store->ops->records(store, NULL, on_record, w, w->d);
    if (st != PC_OK || w->err != PC_OK)
        return st != PC_OK ? st : w->err;
    if (w->out->finding == PC_TAMPER_NONE && !w->broken_link && w->b->present) {
        judge(w, w->a, w->b, w->c); /* the last record; c is the emptied slot: nothing after */
        w->out->last_seq = w->b->seq;
        memcpy(w->out->last_hash, w->b->h, PC_HASH_LEN);
    }
    if (w->broken_link && (st = find_predecessor(store, w)) != PC_OK)
        return st;
    if (w->out->finding == PC_TAMPER_NONE)
        check_tail(w);
    return w->err;
}

static void walk_init(walk *w, pc_audit_report *out, pc_diag *d)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->d = d;
    pc_buf_init(&w->canon);
    for (int i = 0; i < 3; i++)
        pc_buf_init(&w->rows[i].id);
    w->a = &w->rows[0];
    w->b = &w->rows[1];
    w->c = &w->rows[2];
}

static void walk_free(walk *w)
{
    pc_buf_free(&w->canon);
    for (int i = 0; i < 3; i++)
        pc_buf_free(&w->rows[i].id);
    free(w->cps);
}

pc_status pc_audit_verify(pc_store *store, const pc_audit_key *key, pc_audit_report *out,
                          pc_diag *d)
{
    memset(out, 0, sizeof *out);
    walk w;
    walk_init(&w, out, d);
    pc_status st = store->ops->checkpoints(store, collect_checkpoint, &w, d);
    if (st == PC_OK)
        st = w.err;
    out->checkpoints = w.n_cps;
    if (st == PC_OK && out->finding == PC_TAMPER_NONE) {
        check_signatures(&w, key);
        if (w.n_cps)
            qsort(w.cps, w.n_cps, sizeof *w.cps, by_seq);
    }
    if (st == PC_OK && out->finding == PC_TAMPER_NONE)
        st = walk_chain(store, &w);
    walk_free(&w);
    return st;
}

void pc_audit_report_clear(pc_audit_report *r)
{
    free(r->message);
    memset(r, 0, sizeof *r);
}
