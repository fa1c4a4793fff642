/*
** tests/unit/test_store.c — the state store's SQLite backend through its
** interface: opening and migrations, batch appends and their rollback,
** queries and filters, undecodable rows, checkpoints, SQLite failures
** surfacing as messages, approvals' atomic rules, single-use grants, and
** the time format. The chain's hashing is audit's and is tested there: the
** link callback here just numbers records.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "store_test_util.h"

/* ---- helpers -------------------------------------------------------------- */

static pc_store *open_store(const char *path, bool read_only)
{
    pc_store_options o = {read_only, false, 0};
    pc_store *s = NULL;
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_store_open(path, &o, &s, &d);
    if (st != PC_OK)
        fprintf(stderr, "open %s: %s\n", path, d.msg ? d.msg : "?");
    assert_int_equal(st, PC_OK);
    pc_diag_clear(&d);
    return s;
}

/* A link callback that numbers records and marks each hash with its seq. */
static pc_status number_link(void *ctx, const pc_store_tip *tip, pc_log_record *recs, size_t n,
                             pc_checkpoint *cp, bool *want_cp, pc_diag *d)
{
    const uint8_t *prev = tip->hash;
    for (size_t i = 0; i < n; i++) {
        recs[i].seq = tip->seq + 1 + (int64_t)i;
        memcpy(recs[i].prev_hash, prev, PC_HASH_LEN);
        memset(recs[i].hash, (int)(recs[i].seq & 0xff), PC_HASH_LEN);
        prev = recs[i].hash;
    }
    if (ctx && *(bool *)ctx) { /* ask for a checkpoint over the new tip */
        cp->seq = tip->seq + (int64_t)n;
        cp->time_us = 42;
        memcpy(cp->hash, prev, PC_HASH_LEN);
        memset(cp->signature, 7, PC_SIG_LEN);
        *want_cp = true;
    }
    return PC_OK;
}

static pc_status failing_link(void *ctx, const pc_store_tip *tip, pc_log_record *recs, size_t n,
                              pc_checkpoint *cp, bool *want_cp, pc_diag *d)
{
    number_link(ctx, tip, recs, n, cp, want_cp, d);
    return pc_diag_set(d, PC_ERR_NOMEM, "link refused on purpose");
}

static void append_samples(pc_store *s, int first, int count)
{
    pc_log_record recs[16];
    char bufs[16][6][64];
    pc_str reasons[16][2];
    assert_true(count <= 16);
    for (int i = 0; i < count; i++)
        sample_record(&recs[i], first + i, bufs[i], reasons[i]);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->append(s, recs, (size_t)count, number_link, NULL, &d), PC_OK);
    pc_diag_clear(&d);
}

/* Collects what a query hands back. */
typedef struct seen {
    int n;
    int64_t seqs[64];
    char ids[64][32];
    const char *malformed[64];
    char why[256];
} seen;

static bool collect(void *ctx, const pc_log_record *r)
{
    seen *g = ctx;
    if (g->n >= 64)
        return false;
    g->seqs[g->n] = r->seq;
    snprintf(g->ids[g->n], sizeof g->ids[0], "%.*s", (int)r->decision_id.len,
             r->decision_id.ptr ? r->decision_id.ptr : "");
    g->malformed[g->n] = r->malformed ? "yes" : NULL;
    if (r->malformed)
        snprintf(g->why, sizeof g->why, "%s", r->malformed);
    g->n++;
    return true;
}

static seen query(pc_store *s, const pc_record_filter *f)
{
    seen g;
    memset(&g, 0, sizeof g);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->records(s, f, collect, &g, &d), PC_OK);
    pc_diag_clear(&d);
    return g;
}

/* ---- opening ---------------------------------------------------------------- */

static void opens_creates_and_migrates(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    assert_string_equal(s->ops->backend, "sqlite");
    pc_store_close(s);
    assert_int_equal(raw_int(sc.db, "PRAGMA user_version"), PC_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(sc.db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%'"),
                     4);
    /* reopening does not migrate twice; the sqlite: prefix names the same file */
    char spec[160];
    snprintf(spec, sizeof spec, "sqlite:%s", sc.db);
    s = open_store(spec, false);
    append_samples(s, 1, 2);
    pc_store_close(s);
    assert_int_equal(raw_int(sc.db, "PRAGMA user_version"), PC_STORE_SCHEMA_VERSION);
    assert_int_equal(raw_int(sc.db, "SELECT count(*) FROM decisions"), 2);
    scratch_remove(&sc);
}

static pc_status try_open(const char *spec, bool read_only, pc_diag *d)
{
    pc_store_options o = {read_only, false, 0};
    pc_store *s = NULL;
    pc_status st = pc_store_open(spec, &o, &s, d);
    assert_true(st == PC_OK ? s != NULL : s == NULL);
    pc_store_close(s);
    return st;
}

static void refuses_what_it_cannot_open(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(try_open("postgres://db.example/portcullis", false, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "PostgreSQL backend is not part of this build"));
    pc_diag_clear(&d);
    assert_int_equal(try_open("", false, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(try_open("/nonexistent-dir/x/state.db", false, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent-dir/x/state.db"));
    pc_diag_clear(&d);
    /* read-only never creates or migrates */
    raw_sql(sc.db, "CREATE TABLE unrelated (x)");
    assert_int_equal(try_open(sc.db, true, &d), PC_ERR_STATE);
    assert_non_null(strstr(d.msg, "not a Portcullis store"));
    pc_diag_clear(&d);
    /* a schema from the future is refused, not misread */
    raw_sql(sc.db, "PRAGMA user_version = 99");
    assert_int_equal(try_open(sc.db, false, &d), PC_ERR_STATE);
    assert_non_null(strstr(d.msg, "newer than this build"));
    pc_diag_clear(&d);
    scratch_remove(&sc);
}

static void uses_wal_and_reads_only_when_asked(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store_close(open_store(sc.db, false));
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(sc.db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
    pc_store *ro = open_store(sc.db, true);
    pc_diag d;
    pc_diag_init(&d);
    pc_log_record r;
    char buf[6][64];
    pc_str reasons[2];
    sample_record(&r, 1, buf, reasons);
    assert_int_equal(ro->ops->append(ro, &r, 1, number_link, NULL, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "readonly"));
    pc_diag_clear(&d);
    pc_grant_state found;
    assert_int_equal(ro->ops->grant_use(ro, PC_STR_LIT("g1"), true, 0, 1, &found, &d), PC_ERR_IO);
    pc_diag_clear(&d);
    pc_store_close(ro);
    scratch_remove(&sc);
}

/* ---- records -------------------------------------------------------------- */

static bool same_str(pc_str a, pc_str b)
{
    return (a.ptr == NULL) == (b.ptr == NULL) && a.len == b.len &&
           (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Compare every hashed field, by walking the field table. */
static bool same_record(const pc_log_record *a, const pc_log_record *b)
{
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++) {
        const pc_field_desc *f = &pc_log_fields[i];
        const char *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;
        bool same = true;
        if (f->kind == PC_FIELD_I64)
            same = *(const int64_t *)x == *(const int64_t *)y;
        else if (f->kind == PC_FIELD_STR || f->kind == PC_FIELD_OPT)
            same = same_str(*(const pc_str *)x, *(const pc_str *)y);
        else if (f->kind == PC_FIELD_HASH)
            same = memcmp(x, y, PC_HASH_LEN) == 0;
        else {
            const pc_strlist *l = (const pc_strlist *)x, *m = (const pc_strlist *)y;
            same = l->n == m->n;
            for (uint32_t k = 0; same && k < l->n; k++)
                same = same_str(l->items[k], m->items[k]);
        }
        if (!same) {
            fprintf(stderr, "field %s differs\n", f->name);
            return false;
        }
    }
    return memcmp(a->hash, b->hash, PC_HASH_LEN) == 0 && a->seq == b->seq;
}

typedef struct roundtrip {
    const pc_log_record *want;
    int seen;
    bool same;
} roundtrip;

static bool compare_one(void *ctx, const pc_log_record *r)
{
    roundtrip *rt = ctx;
    rt->seen++;
    rt->same = !r->malformed && same_record(rt->want, r);
    return true;
}

static void stores_every_field_exactly(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    static const char odd[] = "quote\" back\\slash \xc3\xa9 nul\0end";
    pc_str items[3] = {{odd, sizeof odd - 1}, PC_STR_LIT(""), PC_STR_LIT("policy\n7")};
    pc_log_record r;
    char buf[6][64];
    pc_str reasons[2];
    sample_record(&r, 3, buf, reasons);
    r.resource = (pc_str){odd, sizeof odd - 1};
    r.reasons = (pc_strlist){3, items};
    r.errors = (pc_strlist){1, items};
    r.error = PC_STR_LIT("");
    r.approval_id = PC_STR_LIT("ap-1");
    r.context = PC_STR_LIT(""); /* kept but empty: not the same as absent */
    memset(r.context_digest, 0xab, PC_HASH_LEN);
    r.time_us = -5; /* before 1970 is still a time */
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->append(s, &r, 1, number_link, NULL, &d), PC_OK);
    roundtrip rt = {&r, 0, false};
    assert_int_equal(s->ops->records(s, NULL, compare_one, &rt, &d), PC_OK);
    assert_int_equal(rt.seen, 1);
    assert_true(rt.same);
    r.context = PC_STR_NULL; /* absent context comes back absent */
    assert_int_equal(s->ops->append(s, &r, 1, number_link, NULL, &d), PC_OK);
    pc_record_filter f = {.after_seq = 1};
    rt = (roundtrip){&r, 0, false};
    assert_int_equal(s->ops->records(s, &f, compare_one, &rt, &d), PC_OK);
    assert_true(rt.seen == 1 && rt.same);
    pc_store_close(s);
    scratch_remove(&sc);
}

static void filters_select_records(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    append_samples(s, 0, 10); /* records 1..10 from samples 0..9 */
    seen g = query(s, NULL);
    assert_int_equal(g.n, 10);
    assert_int_equal(g.seqs[0], 1);
    assert_int_equal(g.seqs[9], 10);
    pc_record_filter f = {.principal = "User::\"user1\""};
    g = query(s, &f); /* samples 1, 4, 7 */
    assert_int_equal(g.n, 3);
    assert_string_equal(g.ids[2], "decision-0007");
    f = (pc_record_filter){.action = "Action::\"read\"", .decision = PC_DECISION_ALLOW};
    g = query(s, &f); /* odd samples, none a deny (4 and 9 are denies; 9 is odd) */
    assert_int_equal(g.n, 4);
    f = (pc_record_filter){.decision = PC_DECISION_DENY};
    assert_int_equal(query(s, &f).n, 2);
    f = (pc_record_filter){.has_since = true,
                           .since_us = 1700000000000000LL + 3000000,
                           .has_until = true,
                           .until_us = 1700000000000000LL + 6000000};
    g = query(s, &f); /* samples 3, 4, 5: the end is exclusive */
    assert_int_equal(g.n, 3);
    assert_string_equal(g.ids[0], "decision-0003");
    f = (pc_record_filter){.limit = 3};
    g = query(s, &f);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.seqs[0], 1);
    f = (pc_record_filter){.limit = 3, .last = true};
    g = query(s, &f); /* the newest three, still oldest first */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.seqs[0], 8);
    assert_int_equal(g.seqs[2], 10);
    f = (pc_record_filter){.principal = "nobody"};
    assert_int_equal(query(s, &f).n, 0);
    pc_store_close(s);
    scratch_remove(&sc);
}

static void failed_link_rolls_back(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    append_samples(s, 1, 2);
    pc_log_record r[2];
    char buf[2][6][64];
    pc_str reasons[2][2];
    sample_record(&r[0], 5, buf[0], reasons[0]);
    sample_record(&r[1], 6, buf[1], reasons[1]);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->append(s, r, 2, failing_link, NULL, &d), PC_ERR_NOMEM);
    assert_string_equal(d.msg, "link refused on purpose");
    pc_diag_clear(&d);
    pc_store_tip tip;
    assert_int_equal(s->ops->tip(s, &tip, &d), PC_OK);
    assert_int_equal(tip.seq, 2);
    assert_int_equal(query(s, NULL).n, 2);
    pc_store_close(s);
    scratch_remove(&sc);
}

static void sqlite_failure_is_reported_and_rolled_back(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    append_samples(s, 1, 1);
    /* the second insert of a batch fails: the first must not stay */
    raw_sql(sc.db, "CREATE TRIGGER fault BEFORE INSERT ON decisions WHEN NEW.seq = 3 "
                   "BEGIN SELECT RAISE(ABORT, 'injected: disk on fire'); END");
    pc_log_record r[2];
    char buf[2][6][64];
    pc_str reasons[2][2];
    sample_record(&r[0], 2, buf[0], reasons[0]);
    sample_record(&r[1], 3, buf[1], reasons[1]);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->append(s, r, 2, number_link, NULL, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "injected: disk on fire"));
    assert_non_null(strstr(d.msg, sc.db));
    pc_diag_clear(&d);
    assert_int_equal(query(s, NULL).n, 1);
    raw_sql(sc.db, "DROP TRIGGER fault");
    sample_record(&r[0], 2, buf[0], reasons[0]);
    sample_record(&r[1], 3, buf[1], reasons[1]);
    assert_int_equal(s->ops->append(s, r, 2, number_link, NULL, &d), PC_OK);
    assert_int_equal(query(s, NULL).n, 3);
    pc_store_close(s);
    scratch_remove(&sc);
}

static void undecodable_rows_are_passed_marked(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    append_samples(s, 1, 4);
    raw_sql(sc.db, "UPDATE decisions SET reasons = 'not json' WHERE seq = 1;"
                   "UPDATE decisions SET hash = x'00' WHERE seq = 2;"
                   "UPDATE decisions SET time_us = 'noon' WHERE seq = 3;");
    seen g = query(s, NULL);
    assert_int_equal(g.n, 4);
    assert_non_null(g.malformed[0]);
    assert_non_null(g.malformed[1]);
    assert_non_null(g.malformed[2]);
    assert_null(g.malformed[3]);
    assert_non_null(strstr(g.why, "time_us")); /* the last malformed row's reason */
    pc_record_filter f = {.limit = 1};
    g = query(s, &f);
    assert_int_equal(g.seqs[0], 1);
    pc_store_close(s);
    scratch_remove(&sc);
}

static bool count_checkpoint(void *ctx, const pc_checkpoint *c)
{
    int *n = ctx;
    assert_null(c->malformed);
    assert_int_equal(c->time_us, 42);
    (*n)++;
    return true;
}

static void checkpoints_and_tip(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    pc_diag d;
    pc_diag_init(&d);
    pc_store_tip tip;
    assert_int_equal(s->ops->tip(s, &tip, &d), PC_OK);
    assert_int_equal(tip.seq, 0);
    assert_int_equal(tip.checkpoint_seq, 0);
    append_samples(s, 1, 3);
    bool want = true;
    assert_int_equal(s->ops->append(s, NULL, 0, number_link, &want, &d), PC_OK);
    assert_int_equal(s->ops->tip(s, &tip, &d), PC_OK);
    assert_int_equal(tip.seq, 3);
    assert_int_equal(tip.hash[0], 3);
    assert_int_equal(tip.checkpoint_seq, 3);
    assert_int_equal(tip.checkpoint_us, 42);
    int n = 0;
    assert_int_equal(s->ops->checkpoints(s, count_checkpoint, &n, &d), PC_OK);
    assert_int_equal(n, 1);
    pc_store_close(s);
    scratch_remove(&sc);
}

/* Two handles (as two processes would have) appending at once: the tip is
** read under the write lock, so seqs stay contiguous and nothing fails. */
typedef struct appender {
    const char *db;
    int first;
} appender;

static void *append_many(void *arg)
{
    appender *ap = arg;
    pc_store *s = open_store(ap->db, false);
    for (int i = 0; i < 20; i++)
        append_samples(s, ap->first + i * 2, 2);
    pc_store_close(s);
    return NULL;
}

static void two_handles_share_one_chain(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store_close(open_store(sc.db, false));
    pthread_t t[2];
    appender ap[2] = {{sc.db, 0}, {sc.db, 1000}};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, append_many, &ap[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(raw_int(sc.db, "SELECT count(*) FROM decisions"), 80);
    assert_int_equal(raw_int(sc.db, "SELECT max(seq) - min(seq) FROM decisions"), 79);
    /* each record's prev_hash is its predecessor's hash */
    assert_int_equal(raw_int(sc.db, "SELECT count(*) FROM decisions a JOIN decisions b "
                                    "ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash"),
                     0);
    scratch_remove(&sc);
}

/* ---- approvals ------------------------------------------------------------ */

static pc_approval request(const char *id, const char *principal, uint8_t digest, int64_t expires)
{
    static const pc_str groups[1] = {{"payments-approvers", sizeof "payments-approvers" - 1}};
    static const pc_str policies[1] = {{"policy3", sizeof "policy3" - 1}};
    pc_approval a;
    memset(&a, 0, sizeof a);
    a.id = pc_str_from_cstr(id);
    a.principal = pc_str_from_cstr(principal);
    a.action = PC_STR_LIT("Action::\"pay\"");
    a.resource = PC_STR_LIT("Account::\"ops\"");
    memset(a.args_digest, digest, PC_HASH_LEN);
    a.groups = (pc_strlist){1, groups};
    a.policies = (pc_strlist){1, policies};
    a.created_us = 100;
    a.expires_us = expires;
    return a;
}

static bool open_req(pc_store *s, pc_arena *a, const pc_approval *req, int64_t now,
                     pc_approval *out)
{
    bool created = false;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_open(s, req, now, a, out, &created, &d), PC_OK);
    return created;
}

static bool decide(pc_store *s, const char *id, pc_approval_state to, const char *who, int64_t now)
{
    bool changed = true;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_decide(s, pc_str_from_cstr(id), to, pc_str_from_cstr(who),
                                             PC_STR_LIT("looks fine"), now, &changed, &d),
                     PC_OK);
    return changed;
}

static const char *consume(pc_store *s, pc_arena *a, const pc_approval *b, int64_t now)
{
    pc_str id;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_consume(s, b, now, a, &id, &d), PC_OK);
    return id.ptr;
}

static void approvals_open_once_per_binding(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    pc_arena a;
    pc_arena_init(&a, 4096, 0);
    pc_approval r1 = request("a1", "User::\"alice\"", 1, 1000),
                r2 = request("a2", "User::\"alice\"", 1, 1000);
    pc_approval got;
    assert_true(open_req(s, &a, &r1, 200, &got));
    assert_string_equal(got.id.ptr, "a1");
    assert_false(open_req(s, &a, &r2, 300, &got)); /* same binding, still pending */
    assert_string_equal(got.id.ptr, "a1");
    assert_int_equal(got.groups.n, 1);
    assert_string_equal(got.groups.items[0].ptr, "payments-approvers");
    pc_approval r3 = request("a3", "User::\"alice\"", 2, 1000); /* other arguments */
    assert_true(open_req(s, &a, &r3, 300, &got));
    assert_true(open_req(s, &a, &r2, 1000, &got)); /* a1 expired: a new request */
    assert_string_equal(got.id.ptr, "a2");
    bool found = false;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_get(s, PC_STR_LIT("a3"), &a, &got, &found, &d), PC_OK);
    assert_true(found);
    assert_int_equal(got.args_digest[0], 2);
    assert_int_equal(s->ops->approval_get(s, PC_STR_LIT("zz"), &a, &got, &found, &d), PC_OK);
    assert_false(found);
    pc_arena_free(&a);
    pc_store_close(s);
    scratch_remove(&sc);
}

static void approvals_decide_and_consume_once(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    pc_arena a;
    pc_arena_init(&a, 4096, 0);
    pc_approval r = request("a1", "User::\"alice\"", 1, 1000), got;
    open_req(s, &a, &r, 100, &got);
    assert_false(decide(s, "a1", PC_APPROVAL_APPROVED, "User::\"alice\"", 200)); /* self */
    assert_false(decide(s, "a1", PC_APPROVAL_APPROVED, "User::\"bob\"", 1000));  /* expired */
    assert_false(decide(s, "zz", PC_APPROVAL_APPROVED, "User::\"bob\"", 200));   /* unknown */
    pc_approval b = request("", "User::\"alice\"", 1, 0);
    assert_null(consume(s, &a, &b, 300)); /* pending */
    assert_true(decide(s, "a1", PC_APPROVAL_APPROVED, "User::\"bob\"", 200));
    assert_false(decide(s, "a1", PC_APPROVAL_DENIED, "User::\"carol\"", 210)); /* decided */
    pc_approval other = request("", "User::\"alice\"", 9, 0);                  /* digest */
    assert_null(consume(s, &a, &other, 300));
    other = request("", "User::\"mallory\"", 1, 0); /* principal */
    assert_null(consume(s, &a, &other, 300));
    assert_null(consume(s, &a, &b, 1000)); /* expired */
    assert_string_equal(consume(s, &a, &b, 300), "a1");
    assert_null(consume(s, &a, &b, 301)); /* single use */
    bool found;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_get(s, PC_STR_LIT("a1"), &a, &got, &found, &d), PC_OK);
    assert_int_equal(got.state, PC_APPROVAL_CONSUMED);
    assert_string_equal(got.approver.ptr, "User::\"bob\"");
    assert_int_equal(got.decided_us, 200);
    assert_int_equal(got.consumed_us, 300);
    /* by id: only that one, and only with the same binding */
    pc_approval r2 = request("a2", "User::\"alice\"", 1, 1000);
    pc_approval r3 = request("a3", "User::\"alice\"", 1, 1000);
    open_req(s, &a, &r2, 400, &got);
    assert_true(decide(s, "a2", PC_APPROVAL_APPROVED, "User::\"bob\"", 410));
    open_req(s, &a, &r3, 420, &got);
    assert_true(decide(s, "a3", PC_APPROVAL_APPROVED, "User::\"bob\"", 430));
    b.id = PC_STR_LIT("a3");
    assert_string_equal(consume(s, &a, &b, 440), "a3");
    b.id = PC_STR_LIT("a3");
    assert_null(consume(s, &a, &b, 441));
    pc_arena_free(&a);
    pc_store_close(s);
    scratch_remove(&sc);
}

typedef struct listing {
    int n;
    char ids[8][8];
} listing;

static bool list_one(void *ctx, const pc_approval *a)
{
    listing *l = ctx;
    assert_null(a->malformed);
    snprintf(l->ids[l->n++], sizeof l->ids[0], "%.*s", (int)a->id.len, a->id.ptr);
    return l->n < 8;
}

static void approvals_list_by_state(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    pc_arena a;
    pc_arena_init(&a, 4096, 0);
    pc_approval got;
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "a%d", i);
        pc_approval r = request(id, "User::\"alice\"", (uint8_t)i, 1000);
        r.created_us = 100 + i;
        open_req(s, &a, &r, 100, &got);
    }
    decide(s, "a1", PC_APPROVAL_DENIED, "User::\"bob\"", 200);
    listing l = {0};
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->approval_list(s, -1, list_one, &l, &d), PC_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[0], "a2"); /* newest first */
    l = (listing){0};
    assert_int_equal(s->ops->approval_list(s, PC_APPROVAL_PENDING, list_one, &l, &d), PC_OK);
    assert_int_equal(l.n, 2);
    l = (listing){0};
    assert_int_equal(s->ops->approval_list(s, PC_APPROVAL_DENIED, list_one, &l, &d), PC_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.ids[0], "a1");
    /* a row made unreadable is handed over marked, not skipped */
    raw_sql(sc.db, "UPDATE approvals SET groups = '{' WHERE id = 'a0'");
    pc_approval bad;
    bool found = false;
    assert_int_equal(s->ops->approval_get(s, PC_STR_LIT("a0"), &a, &bad, &found, &d), PC_OK);
    assert_true(found);
    assert_non_null(bad.malformed);
    assert_non_null(strstr(bad.malformed, "groups"));
    pc_arena_free(&a);
    pc_store_close(s);
    scratch_remove(&sc);
}

/* ---- grants --------------------------------------------------------------- */

static pc_grant_state use_grant(pc_store *s, const char *id, bool spend, int64_t now)
{
    pc_grant_state found = PC_GRANT_UNSEEN;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(s->ops->grant_use(s, pc_str_from_cstr(id), spend, 9000, now, &found, &d),
                     PC_OK);
    return found;
}

static void grants_are_spent_once_and_revocable(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false);
    pc_arena a;
    pc_arena_init(&a, 1024, 0);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(use_grant(s, "g1", false, 500), PC_GRANT_UNSEEN); /* a look records nothing */
    assert_int_equal(use_grant(s, "g1", true, 1000), PC_GRANT_UNSEEN); /* spent now */
    assert_int_equal(use_grant(s, "g1", true, 2000), PC_GRANT_SPENT);
    assert_int_equal(use_grant(s, "g1", false, 2000), PC_GRANT_SPENT);
    pc_grant_state st;
    int64_t at;
    pc_str reason;
    assert_int_equal(s->ops->grant_state(s, PC_STR_LIT("g1"), &a, &st, &at, &reason, &d), PC_OK);
    assert_int_equal(st, PC_GRANT_SPENT);
    assert_int_equal(at, 1000);
    assert_int_equal(
        s->ops->grant_revoke(s, PC_STR_LIT("g2"), PC_STR_LIT("leaked"), 8000, 3000, &d), PC_OK);
    assert_int_equal(s->ops->grant_revoke(s, PC_STR_LIT("g2"), PC_STR_LIT("again"), 8000, 4000, &d),
                     PC_OK);
    assert_int_equal(use_grant(s, "g2", false, 5000), PC_GRANT_REVOKED);
    assert_int_equal(use_grant(s, "g2", true, 5000), PC_GRANT_REVOKED);
    assert_int_equal(s->ops->grant_state(s, PC_STR_LIT("g2"), &a, &st, &at, &reason, &d), PC_OK);
    assert_string_equal(reason.ptr, "leaked"); /* the first revocation is kept */
    assert_int_equal(at, 3000);
    /* a spent id can still be revoked */
    assert_int_equal(s->ops->grant_revoke(s, PC_STR_LIT("g1"), PC_STR_LIT("late"), 8000, 6000, &d),
                     PC_OK);
    assert_int_equal(use_grant(s, "g1", true, 6000), PC_GRANT_REVOKED);
    assert_string_equal(pc_grant_state_name(PC_GRANT_REVOKED), "revoked");
    /* ids are forgotten once their grants can no longer verify */
    uint64_t removed = 0;
    assert_int_equal(s->ops->grant_purge(s, 8000, &removed, &d), PC_OK);
    assert_int_equal(removed, 0); /* g2 is kept until 8000, g1 until 9000 (spent, then revoked) */
    assert_int_equal(s->ops->grant_purge(s, 8001, &removed, &d), PC_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(use_grant(s, "g2", false, 8002), PC_GRANT_UNSEEN);
    assert_int_equal(use_grant(s, "g1", false, 8002), PC_GRANT_REVOKED);
    assert_int_equal(s->ops->grant_purge(s, 9001, &removed, &d), PC_OK);
    assert_int_equal(removed, 1);
    pc_arena_free(&a);
    pc_store_close(s);
    scratch_remove(&sc);
}

/* ---- helpers: time and lists ---------------------------------------------- */

static void times_print_and_parse(void **state)
{
    (void)state;
    char out[PC_TIME_TEXT_MAX];
    assert_string_equal(pc_time_text(0, out), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(pc_time_text(1714564800123456LL, out), "2024-05-01T12:00:00.123456Z");
    assert_string_equal(pc_time_text(-1, out), "1969-12-31T23:59:59.999999Z");
    assert_string_equal(pc_time_text(INT64_MAX, out), "@9223372036854775807");
    int64_t us;
    assert_true(pc_time_parse("2024-05-01T12:00:00.123456Z", &us));
    assert_int_equal(us, 1714564800123456LL);
    assert_true(pc_time_parse("2024-05-01T14:00:00+02:00", &us));
    assert_int_equal(us, 1714564800000000LL);
    assert_true(pc_time_parse("2024-05-01", &us));
    assert_int_equal(us, 1714521600000000LL);
    assert_true(pc_time_parse("2024-02-29T00:00:00.5Z", &us));
    assert_true(pc_time_parse("1714564800", &us));
    assert_int_equal(us, 1714564800000000LL);
    assert_true(pc_time_parse("-1", &us));
    assert_int_equal(us, -1000000);
    const char *bad[] = {"",
                         "2023-02-29",
                         "2024-13-01",
                         "2024-05-01T25:00:00Z",
                         "2024-05-01T12:00:00",
                         "2024-05-01T12:00:00.Z",
                         "2024-05-01T12:00:00Z trailing",
                         "99999999999999999",
                         "-",
                         "12:00",
                         "2024-05-01T12:00:00+2:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(pc_time_parse(bad[i], &us));
}

static void lists_roundtrip_as_json(void **state)
{
    (void)state;
    pc_str items[3] = {PC_STR_LIT("a\"b"), {"n\0l", 3}, PC_STR_LIT("\xe2\x82\xac")};
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_strlist_to_json(&b, (pc_strlist){3, items}));
    pc_arena a;
    pc_arena_init(&a, 1024, 0);
    pc_strlist l;
    const char *why = NULL;
    assert_true(pc_strlist_from_json(&a, b.data, b.len, &l, &why));
    assert_int_equal(l.n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(same_str(l.items[i], items[i]));
    assert_false(pc_strlist_from_json(&a, "[1]", 3, &l, &why));
    assert_string_equal(why, "an item is not a string");
    assert_false(pc_strlist_from_json(&a, "{}", 2, &l, &why));
    assert_false(pc_strlist_from_json(&a, "[", 1, &l, &why));
    pc_approval_state st;
    assert_true(pc_approval_state_parse("consumed", &st));
    assert_int_equal(st, PC_APPROVAL_CONSUMED);
    assert_false(pc_approval_state_parse("expired", &st));
    pc_arena_free(&a);
    pc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opens_creates_and_migrates),
        cmocka_unit_test(refuses_what_it_cannot_open),
        cmocka_unit_test(uses_wal_and_reads_only_when_asked),
        cmocka_unit_test(stores_every_field_exactly),
        cmocka_unit_test(filters_select_records),
        cmocka_unit_test(failed_link_rolls_back),
        cmocka_unit_test(sqlite_failure_is_reported_and_rolled_back),
        cmocka_unit_test(undecodable_rows_are_passed_marked),
        cmocka_unit_test(checkpoints_and_tip),
        cmocka_unit_test(two_handles_share_one_chain),
        cmocka_unit_test(approvals_open_once_per_binding),
        cmocka_unit_test(approvals_decide_and_consume_once),
        cmocka_unit_test(approvals_list_by_state),
        cmocka_unit_test(grants_are_spent_once_and_revocable),
        cmocka_unit_test(times_print_and_parse),
        cmocka_unit_test(lists_roundtrip_as_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
