/*
** tests/unit/test_audit.c — the decision log and approvals: the canonical
** encoding against bytes computed from the written spec, context digests
** and redaction, the writer in SYNC (group commit) and ASYNC modes, signed
** checkpoints, every kind of tampering named by verification, write
** failures surfacing to appenders, a kill -9 under load in SYNC mode, and
** approval step-up with expiry, reuse, self-approval, changed arguments and
** the Cedar hook.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "audit/approval.h"
#include "audit/audit.h"
#include "engine/engine.h"
#include "store_test_util.h"

/* ---- helpers -------------------------------------------------------------- */

static pc_store *open_store(const char *path, bool read_only, bool durable)
{
    pc_store_options o = {read_only, durable, 0};
    pc_store *s = NULL;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_store_open(path, &o, &s, &d) != PC_OK)
        fprintf(stderr, "open %s: %s\n", path, d.msg ? d.msg : "?");
    assert_non_null(s);
    pc_diag_clear(&d);
    return s;
}

/* Write a fresh Ed25519 key pair as PEM: DIR/NAME.pem and DIR/NAME.pub. */
static void make_key(const scratch *sc, const char *name, char *priv, char *pub, size_t n)
{
    snprintf(priv, n, "%s/%s.pem", sc->dir, name);
    snprintf(pub, n, "%s/%s.pub", sc->dir, name);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    FILE *f = fopen(priv, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    f = fopen(pub, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PUBKEY(f, k), 1);
    fclose(f);
    EVP_PKEY_free(k);
}

static pc_audit_key *load_key(const char *path, bool private_key)
{
    pc_audit_key *k = NULL;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_audit_key_load(path, private_key, &k, &d) != PC_OK)
        fprintf(stderr, "%s\n", d.msg);
    assert_non_null(k);
    pc_diag_clear(&d);
    return k;
}

static pc_audit_log *open_log(pc_store *s, pc_audit_mode mode, const pc_audit_key *key,
                              uint32_t every)
{
    pc_audit_options o = {.mode = mode, .key = key, .checkpoint_every = every, .flush_ms = 5};
    pc_audit_log *log = NULL;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_audit_open(s, &o, &log, &d), PC_OK);
    return log;
}

static pc_status append_sample(pc_audit_log *log, int k, int64_t *seq, pc_diag *d)
{
    pc_log_record r;
    char buf[6][64];
    pc_str reasons[2];
    sample_record(&r, k, buf, reasons);
    json_t *ctx = json_pack("{s:i,s:s}", "n", k, "password", "hunter2");
    pc_status st = pc_audit_append(log, &r, ctx, seq, d);
    json_decref(ctx);
    return st;
}

static void append_ok(pc_audit_log *log, int k)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = append_sample(log, k, NULL, &d);
    if (st != PC_OK)
        fprintf(stderr, "append: %s\n", d.msg);
    assert_int_equal(st, PC_OK);
}

static void close_log(pc_audit_log *log)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_audit_close(log, &d);
    if (st != PC_OK)
        fprintf(stderr, "close: %s\n", d.msg);
    assert_int_equal(st, PC_OK);
}

/* A signed log of records 1..n with a checkpoint every `every` (and at close). */
static void build_log(const char *db, int n, const pc_audit_key *key, uint32_t every)
{
    pc_store *s = open_store(db, false, true);
    pc_audit_log *log = open_log(s, PC_AUDIT_SYNC, key, every);
    for (int i = 1; i <= n; i++)
        append_ok(log, i);
    close_log(log);
    pc_store_close(s);
}

static pc_audit_report verify(const char *db, const pc_audit_key *key)
{
    pc_store *s = open_store(db, true, false);
    pc_audit_report r;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_audit_verify(s, key, &r, &d), PC_OK);
    pc_store_close(s);
    return r;
}

static void expect(const char *db, const pc_audit_key *key, pc_tamper kind, int64_t seq,
                   const char *words)
{
    pc_audit_report r = verify(db, key);
    if (r.finding != kind || r.seq != seq || (words && !strstr(r.message, words)))
        fprintf(stderr, "got %s at %lld: %s\n", pc_tamper_name(r.finding), (long long)r.seq,
                r.message ? r.message : "(intact)");
    assert_int_equal(r.finding, kind);
    assert_int_equal(r.seq, seq);
    if (words)
        assert_non_null(strstr(r.message, words));
    pc_audit_report_clear(&r);
}

/* ---- rewriting hashes as a careful attacker would ---------------------------- */

typedef struct fix {
    int64_t seq;
    uint8_t prev[PC_HASH_LEN], hash[PC_HASH_LEN];
} fix;

typedef struct rechain {
    int64_t from, to; /* rows to rewrite */
    bool relink;      /* also set prev_hash from the rewritten predecessor */
    uint8_t running[PC_HASH_LEN];
    fix fixes[64];
    int n;
    pc_buf canon;
} rechain;

static bool rechain_row(void *ctx, const pc_log_record *rec)
{
    rechain *rc = ctx;
    assert_null(rec->malformed);
    if (rec->seq < rc->from || rec->seq > rc->to) {
        memcpy(rc->running, rec->hash, PC_HASH_LEN);
        return true;
    }
    pc_log_record r = *rec;
    if (rc->relink)
        memcpy(r.prev_hash, rc->running, PC_HASH_LEN);
    fix *f = &rc->fixes[rc->n++];
    f->seq = r.seq;
    memcpy(f->prev, r.prev_hash, PC_HASH_LEN);
    assert_int_equal(pc_audit_hash(&r, &rc->canon, f->hash, NULL), PC_OK);
    memcpy(rc->running, f->hash, PC_HASH_LEN);
    return rc->n < 64;
}

/* Recompute the stored hash (and with relink, the links) of rows from..to. */
static void rewrite_hashes(const char *db, int64_t from, int64_t to, bool relink)
{
    rechain rc = {.from = from, .to = to, .relink = relink};
    pc_buf_init(&rc.canon);
    pc_store *s = open_store(db, true, false);
    assert_int_equal(s->ops->records(s, NULL, rechain_row, &rc, NULL), PC_OK);
    pc_store_close(s);
    pc_buf_free(&rc.canon);
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h, "UPDATE decisions SET prev_hash = ?1, hash = ?2 WHERE seq = ?3", -1,
                           &st, NULL),
        SQLITE_OK);
    for (int i = 0; i < rc.n; i++) {
        sqlite3_bind_blob(st, 1, rc.fixes[i].prev, PC_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, rc.fixes[i].hash, PC_HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, rc.fixes[i].seq);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* ---- the canonical encoding ----------------------------------------------- */

/* Bytes computed from README.md's spec by an independent script. */
static const char golden_hex[] = "50434155444954310006176339db124000000003642d3100000003722d310000"
                                 "00066461656d6f6e0000000d557365723a3a22616c696365220000000e416374"
                                 "696f6e3a3a2276696577220000000e50686f746f3a3a22612e6a706722000000"
                                 "05616c6c6f770000000200000007706f6c696379300000000270310000000000"
                                 "0000000000000276370000000b68747470733a2f2f69647000000000ffffffff"
                                 "ffffffd6000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
                                 "1c1d1e1f01000000117b226970223a2231302e302e302e31227dffffffffffff"
                                 "ffffffffffffffffffffffffffffffffffffffffffffffffffff";
static const char golden_sha[] = "2057df69012bd09f8d4fc85f3c68d3150d3e6c070897b968d9d3a49a4183bb18";

static void encoding_matches_the_spec(void **state)
{
    (void)state;
    pc_str reasons[2] = {PC_STR_LIT("policy0"), PC_STR_LIT("p1")};
    pc_log_record r;
    memset(&r, 0, sizeof r);
    r.seq = 99; /* not part of the bytes */
    r.time_us = 1714564800123456LL;
    r.decision_id = PC_STR_LIT("d-1");
    r.request_id = PC_STR_LIT("r-1");
    r.source = PC_STR_LIT("daemon");
    r.principal = PC_STR_LIT("User::\"alice\"");
    r.action = PC_STR_LIT("Action::\"view\"");
    r.resource = PC_STR_LIT("Photo::\"a.jpg\"");
    r.decision = PC_STR_LIT("allow");
    r.reasons = (pc_strlist){2, reasons};
    r.error = r.approval_id = PC_STR_LIT("");
    r.policy_version = PC_STR_LIT("v7");
    r.issuer = PC_STR_LIT("https://idp");
    r.latency_us = -42;
    for (int i = 0; i < PC_HASH_LEN; i++)
        r.context_digest[i] = (uint8_t)i;
    r.context = PC_STR_LIT("{\"ip\":\"10.0.0.1\"}");
    memset(r.prev_hash, 0xff, PC_HASH_LEN);
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_audit_encode(&b, &r));
    char hex[sizeof golden_hex];
    assert_int_equal(b.len * 2, strlen(golden_hex));
    pc_hex((const uint8_t *)b.data, b.len, hex);
    assert_string_equal(hex, golden_hex);
    uint8_t h[PC_HASH_LEN];
    char hhex[2 * PC_HASH_LEN + 1];
    assert_int_equal(pc_audit_hash(&r, &b, h, NULL), PC_OK);
    pc_hex(h, PC_HASH_LEN, hhex);
    assert_string_equal(hhex, golden_sha);
    /* absent and empty contexts encode differently */
    r.context = PC_STR_NULL;
    uint8_t h2[PC_HASH_LEN];
    assert_int_equal(pc_audit_hash(&r, &b, h2, NULL), PC_OK);
    r.context = PC_STR_LIT("");
    assert_int_equal(pc_audit_hash(&r, &b, h, NULL), PC_OK);
    assert_memory_not_equal(h, h2, PC_HASH_LEN);
    /* the checkpoint's signed bytes */
    pc_checkpoint c = {.seq = 5, .time_us = 1714564800000000LL};
    memset(c.hash, 0x11, PC_HASH_LEN);
    memset(c.key_id, 0x22, PC_HASH_LEN);
    pc_buf_clear(&b);
    assert_true(pc_checkpoint_encode(&b, &c));
    char chex[2 * 88 + 1];
    assert_int_equal(b.len, 88);
    pc_hex((const uint8_t *)b.data, b.len, chex);
    assert_string_equal(chex, "504343484b50543100000000000000050006176339d93000"
                              "1111111111111111111111111111111111111111111111111111111111111111"
                              "2222222222222222222222222222222222222222222222222222222222222222");
    pc_buf_free(&b);
}

static void context_digest_and_redaction(void **state)
{
    (void)state;
    uint8_t a[PC_HASH_LEN], b[PC_HASH_LEN];
    char hex[2 * PC_HASH_LEN + 1];
    json_t *v = json_loads("{\"b\":1,\"a\":[true,\"x\"]}", 0, NULL);
    assert_int_equal(pc_json_digest(v, a, NULL), PC_OK);
    pc_hex(a, PC_HASH_LEN, hex); /* sha256 of {"a":[true,"x"],"b":1} */
    assert_string_equal(hex, "f15ef113d6e0c876b9ea9e90ebc36ad3f8b350d44634ba2fc407e978fb8cebeb");
    json_decref(v);
    v = json_loads("{ \"a\" : [ true , \"x\" ] , \"b\" : 1 }", 0, NULL);
    assert_int_equal(pc_json_digest(v, b, NULL), PC_OK);
    assert_memory_equal(a, b, PC_HASH_LEN);
    json_decref(v);
    assert_int_equal(pc_json_digest(NULL, a, NULL), PC_OK); /* no context is {} */
    pc_hex(a, PC_HASH_LEN, hex);
    assert_string_equal(hex, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");

    v = json_loads("{\"user\":{\"password\":\"x\",\"name\":\"n\"},\"list\":[{\"password\":[1]}],"
                   "\"token\":\"t\",\"passwords\":2}",
                   0, NULL);
    const char *names[] = {"password", "token"};
    char *out = NULL;
    assert_int_equal(pc_audit_redact(v, names, 2, &out, NULL), PC_OK);
    assert_string_equal(
        out, "{\"list\":[{\"password\":\"[redacted]\"}],\"passwords\":2,"
             "\"token\":\"[redacted]\",\"user\":{\"name\":\"n\",\"password\":\"[redacted]\"}}");
    free(out);
    assert_non_null(json_object_get(json_object_get(v, "user"), "password")); /* input untouched */
    json_decref(v);

    json_t *deep = json_object(), *cur = deep;
    for (int i = 0; i < PC_MAX_JSON_DEPTH + 5; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, "k", next);
        cur = next;
    }
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_audit_redact(deep, names, 2, &out, &d), PC_ERR_LIMIT);
    assert_null(out);
    pc_diag_clear(&d);
    json_decref(deep);
}

static void keys_load_and_sign(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    char priv[256], pub[256], priv2[256], pub2[256];
    make_key(&sc, "k1", priv, pub, sizeof priv);
    make_key(&sc, "k2", priv2, pub2, sizeof priv2);
    pc_audit_key *signer = load_key(priv, true), *checker = load_key(pub, false);
    pc_audit_key *as_public = load_key(priv, false), *other = load_key(pub2, false);
    assert_memory_equal(pc_audit_key_id(signer), pc_audit_key_id(checker), PC_HASH_LEN);
    pc_checkpoint c = {.seq = 3, .time_us = 77};
    memset(c.hash, 5, PC_HASH_LEN);
    assert_int_equal(pc_checkpoint_sign(signer, &c, NULL), PC_OK);
    assert_true(pc_checkpoint_verify(checker, &c));
    assert_true(pc_checkpoint_verify(as_public, &c));
    assert_false(pc_checkpoint_verify(other, &c));
    c.seq = 4;
    assert_false(pc_checkpoint_verify(checker, &c));
    pc_audit_key *none = NULL;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_audit_key_load(pub, true, &none, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "not an unencrypted PEM private key"));
    pc_diag_clear(&d);
    assert_int_equal(pc_audit_key_load("/nonexistent/key.pem", true, &none, &d), PC_ERR_IO);
    pc_diag_clear(&d);
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    FILE *f = fopen(priv2, "w");
    PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    EVP_PKEY_free(rsa);
    assert_int_equal(pc_audit_key_load(priv2, true, &none, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "Ed25519"));
    pc_diag_clear(&d);
    pc_audit_key_free(signer);
    pc_audit_key_free(checker);
    pc_audit_key_free(as_public);
    pc_audit_key_free(other);
    scratch_remove(&sc);
}

/* ---- the writer ------------------------------------------------------------ */

typedef struct worker {
    pc_audit_log *log;
    int first, count;
    int64_t seqs[100];
    int failures;
} worker;

static void *append_worker(void *arg)
{
    worker *w = arg;
    pc_diag d;
    for (int i = 0; i < w->count; i++) {
        pc_diag_init(&d);
        if (append_sample(w->log, w->first + i, &w->seqs[i], &d) != PC_OK)
            w->failures++;
        pc_diag_clear(&d);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void sync_appends_group_commit(void **state)
{
    (void)state;
    enum { THREADS = 8, EACH = 50 };
    scratch sc;
    scratch_make(&sc);
    char priv[256], pub[256];
    make_key(&sc, "k", priv, pub, sizeof priv);
    pc_audit_key *key = load_key(priv, true);
    pc_store *s = open_store(sc.db, false, true);
    pc_audit_log *log = open_log(s, PC_AUDIT_SYNC, key, 100);
    worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){log, i * EACH, EACH, {0}, 0};
        assert_int_equal(pthread_create(&t[i], NULL, append_worker, &w[i]), 0);
    }
    int64_t all[THREADS * EACH];
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
        memcpy(all + i * EACH, w[i].seqs, sizeof w[i].seqs[0] * EACH);
    }
    qsort(all, THREADS * EACH, sizeof all[0], cmp_i64);
    for (int i = 0; i < THREADS * EACH; i++)
        assert_int_equal(all[i], i + 1); /* every append got its own durable seq */
    pc_audit_stats st;
    pc_audit_get_stats(log, &st);
    assert_int_equal(st.appended, THREADS * EACH);
    assert_true(st.batches < st.appended); /* concurrent appenders shared commits */
    assert_true(st.checkpoints >= 3);      /* at the first batch end past each 100 records */
    close_log(log);
    pc_store_close(s);
    pc_audit_report r = verify(sc.db, key);
    assert_int_equal(r.finding, PC_TAMPER_NONE);
    assert_int_equal(r.records, THREADS * EACH);
    assert_int_equal(r.last_seq, THREADS * EACH);
    assert_int_equal(r.covered_seq, THREADS * EACH); /* the final checkpoint at close */
    assert_true(r.checkpoints >= 4);
    assert_int_equal(r.signatures_checked, r.checkpoints);
    pc_audit_report_clear(&r);
    pc_audit_key_free(key);
    scratch_remove(&sc);
}

typedef struct ctx_seen {
    int n;
    char context[128];
} ctx_seen;

static bool grab_context(void *c, const pc_log_record *r)
{
    ctx_seen *s = c;
    s->n++;
    if (r->context.ptr)
        snprintf(s->context, sizeof s->context, "%.*s", (int)r->context.len, r->context.ptr);
    return true;
}

static void async_flushes_within_the_interval(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false, false);
    const char *redact[] = {"password"};
    pc_audit_options o = {.mode = PC_AUDIT_ASYNC,
                          .flush_ms = 20,
                          .keep_context = true,
                          .redact = redact,
                          .n_redact = 1};
    pc_audit_log *log = NULL;
    assert_int_equal(pc_audit_open(s, &o, &log, NULL), PC_OK);
    int64_t seq = -1;
    assert_int_equal(append_sample(log, 1, &seq, NULL), PC_OK);
    assert_int_equal(seq, 0); /* async: not yet assigned */
    /* no close: the writer must commit on its own within the flush interval */
    pc_store *reader = open_store(sc.db, true, false);
    ctx_seen seen = {0};
    for (int tries = 0; tries < 200 && seen.n == 0; tries++) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        assert_int_equal(reader->ops->records(reader, NULL, grab_context, &seen, NULL), PC_OK);
    }
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.context, "{\"n\":1,\"password\":\"[redacted]\"}");
    for (int i = 2; i <= 300; i++)
        append_ok(log, i);
    close_log(log);
    seen.n = 0;
    assert_int_equal(reader->ops->records(reader, NULL, grab_context, &seen, NULL), PC_OK);
    assert_int_equal(seen.n, 300);
    pc_store_close(reader);
    pc_store_close(s);
    pc_audit_report r = verify(sc.db, NULL);
    assert_int_equal(r.finding, PC_TAMPER_NONE);
    assert_int_equal(r.checkpoints, 0); /* no key: no checkpoints */
    pc_audit_report_clear(&r);
    scratch_remove(&sc);
}

static void appends_are_checked(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false, true);
    pc_audit_log *log = open_log(s, PC_AUDIT_SYNC, NULL, 0);
    pc_log_record r;
    char buf[6][64];
    pc_str reasons[2];
    pc_diag d;
    pc_diag_init(&d);
    sample_record(&r, 1, buf, reasons);
    r.decision = PC_STR_LIT("maybe");
    assert_int_equal(pc_audit_append(log, &r, NULL, NULL, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    sample_record(&r, 1, buf, reasons);
    r.decision_id = PC_STR_LIT("");
    assert_int_equal(pc_audit_append(log, &r, NULL, NULL, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    sample_record(&r, 1, buf, reasons);
    reasons[1] = PC_STR_LIT("bad \xff utf8");
    assert_int_equal(pc_audit_append(log, &r, NULL, NULL, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "reasons is not valid UTF-8"));
    pc_diag_clear(&d);
    sample_record(&r, 1, buf, reasons);
    char *big = malloc(PC_AUDIT_RECORD_MAX + 1);
    memset(big, 'x', PC_AUDIT_RECORD_MAX);
    r.error = (pc_str){big, PC_AUDIT_RECORD_MAX};
    assert_int_equal(pc_audit_append(log, &r, NULL, NULL, &d), PC_ERR_LIMIT);
    pc_diag_clear(&d);
    free(big);
    sample_record(&r, 1, buf, reasons);
    r.time_us = 0; /* 0 means now */
    int64_t seq = 0;
    assert_int_equal(pc_audit_append(log, &r, NULL, &seq, &d), PC_OK);
    assert_int_equal(seq, 1); /* the refused ones took no place in the chain */
    close_log(log);
    pc_store_close(s);
    assert_true(raw_int(sc.db, "SELECT time_us FROM decisions") > 1700000000000000LL);
    scratch_remove(&sc);
}

/* ---- failures reach the appender -------------------------------------------- */

static void sync_write_failure_fails_the_append(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false, true);
    pc_audit_log *log = open_log(s, PC_AUDIT_SYNC, NULL, 0);
    append_ok(log, 1);
    raw_sql(sc.db, "CREATE TRIGGER fault BEFORE INSERT ON decisions "
                   "BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END");
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(append_sample(log, 2, NULL, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "injected: disk full")); /* the caller can deny with this */
    pc_diag_clear(&d);
    raw_sql(sc.db, "DROP TRIGGER fault");
    int64_t seq = 0;
    assert_int_equal(append_sample(log, 3, &seq, &d), PC_OK);
    assert_int_equal(seq, 2);
    pc_audit_stats st;
    pc_audit_get_stats(log, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.appended, 2);
    close_log(log);
    pc_store_close(s);
    expect(sc.db, NULL, PC_TAMPER_NONE, 0, NULL);
    /* sync on a store that does not fsync would be a false promise */
    s = open_store(sc.db, false, false);
    pc_audit_options o = {.mode = PC_AUDIT_SYNC};
    assert_int_equal(pc_audit_open(s, &o, &log, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "not opened durable"));
    pc_diag_clear(&d);
    pc_store_close(s);
    scratch_remove(&sc);
}

/* Append until the writer's failure comes back; it must mention words. */
static void expect_sticky_failure(pc_audit_log *log, const char *words)
{
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(append_sample(log, 1, NULL, &d), PC_OK); /* queued: not known yet */
    pc_status st = PC_OK;
    for (int tries = 0; tries < 500 && st == PC_OK; tries++) {
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        st = append_sample(log, 2, NULL, &d);
    }
    assert_int_equal(st, PC_ERR_IO);
    assert_non_null(strstr(d.msg, "lost"));
    assert_non_null(strstr(d.msg, words));
    pc_diag_clear(&d);
    pc_audit_stats stats;
    pc_audit_get_stats(log, &stats);
    assert_true(stats.lost >= 1);
    assert_int_equal(pc_audit_close(log, &d), PC_ERR_IO); /* close reports it too */
    pc_diag_clear(&d);
}

static void async_write_failure_is_sticky(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false, false);
    raw_sql(sc.db, "CREATE TRIGGER fault BEFORE INSERT ON decisions "
                   "BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END");
    expect_sticky_failure(open_log(s, PC_AUDIT_ASYNC, NULL, 0), "injected: disk full");
    pc_store_close(s);
    /* a store that cannot be written at all */
    s = open_store(sc.db, true, false);
    expect_sticky_failure(open_log(s, PC_AUDIT_ASYNC, NULL, 0), "readonly");
    pc_store_close(s);
    scratch_remove(&sc);
}

/* ---- tampering, each kind ------------------------------------------------------ */

typedef struct tamper_case {
    scratch sc;
    pc_audit_key *signer, *checker;
} tamper_case;

/* 20 records, checkpoints at 5, 10, 15, 20. */
static int tamper_setup(void **state)
{
    tamper_case *t = calloc(1, sizeof *t);
    scratch_make(&t->sc);
    char priv[256], pub[256];
    make_key(&t->sc, "k", priv, pub, sizeof priv);
    t->signer = load_key(priv, true);
    t->checker = load_key(pub, false);
    build_log(t->sc.db, 20, t->signer, 5);
    *state = t;
    return 0;
}

static int tamper_teardown(void **state)
{
    tamper_case *t = *state;
    pc_audit_key_free(t->signer);
    pc_audit_key_free(t->checker);
    scratch_remove(&t->sc);
    free(t);
    return 0;
}

static void intact_log_verifies(void **state)
{
    tamper_case *t = *state;
    pc_audit_report r = verify(t->sc.db, t->checker);
    assert_int_equal(r.finding, PC_TAMPER_NONE);
    assert_null(r.message);
    assert_int_equal(r.records, 20);
    assert_int_equal(r.checkpoints, 4);
    assert_int_equal(r.signatures_checked, 4);
    assert_int_equal(r.covered_seq, 20);
    pc_audit_report_clear(&r);
}

static void modified_record_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "UPDATE decisions SET decision = 'allow' WHERE seq = 9");
    expect(t->sc.db, t->checker, PC_TAMPER_MODIFIED, 9, "decision-0009");
}

static void modified_link_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "UPDATE decisions SET prev_hash = zeroblob(32) WHERE seq = 7");
    expect(t->sc.db, t->checker, PC_TAMPER_MODIFIED, 7, "link to the previous record");
}

static void modified_unreadable_record_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "UPDATE decisions SET reasons = 'policy0' WHERE seq = 12");
    expect(t->sc.db, t->checker, PC_TAMPER_MODIFIED, 12, "reasons");
}

static void modified_with_stored_hash_is_bracketed(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "UPDATE decisions SET principal = 'User::\"mallory\"' WHERE seq = 7");
    rewrite_hashes(t->sc.db, 7, 7, false);
    /* the stored hash matches again; the break shows at the next link */
    expect(t->sc.db, t->checker, PC_TAMPER_DELETED, 8,
           "record 7 was modified along with its stored hash");
}

static void deleted_record_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq = 7");
    expect(t->sc.db, t->checker, PC_TAMPER_DELETED, 7, "record(s) 7..7 are missing");
}

static void deleted_first_record_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq = 1");
    expect(t->sc.db, t->checker, PC_TAMPER_DELETED, 1, NULL);
}

static void deleted_and_renumbered_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq = 7;"
                      "UPDATE decisions SET seq = seq - 1 WHERE seq > 7");
    expect(t->sc.db, t->checker, PC_TAMPER_DELETED, 7,
           "the chain breaks between record 6 and record 7");
}

/* Make room at seq 7 by moving 7.. up by one. */
static void open_gap_at_7(const char *db)
{
    raw_sql(db, "UPDATE decisions SET seq = -seq WHERE seq >= 7;"
                "UPDATE decisions SET seq = 1 - seq WHERE seq < 0");
}

static void inserted_copy_is_named(void **state)
{
    tamper_case *t = *state;
    open_gap_at_7(t->sc.db);
    /* replay record 3, hashes and all, as record 7 */
    raw_sql(t->sc.db,
            "INSERT INTO decisions SELECT 7, time_us, decision_id, request_id, source, "
            "principal, action, resource, decision, reasons, errors, error, policy_version, "
            "issuer, approval_id, latency_us, context_digest, context, prev_hash, hash "
            "FROM decisions WHERE seq = 3");
    expect(t->sc.db, t->checker, PC_TAMPER_INSERTED, 7, "decision-0003");
}

static void inserted_forgery_is_named(void **state)
{
    tamper_case *t = *state;
    open_gap_at_7(t->sc.db);
    /* a new record, linked properly to record 6 and with a correct hash */
    raw_sql(t->sc.db,
            "INSERT INTO decisions SELECT 7, time_us, 'forged', request_id, source, "
            "principal, action, resource, 'allow', reasons, errors, error, policy_version, "
            "issuer, approval_id, latency_us, context_digest, context, "
            "(SELECT hash FROM decisions WHERE seq = 6), hash FROM decisions WHERE seq = 3");
    rewrite_hashes(t->sc.db, 7, 7, false);
    expect(t->sc.db, t->checker, PC_TAMPER_INSERTED, 7, "record(s) 7..7 were inserted");
}

static void swap_rows(const char *db, int x, int y)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE decisions SET seq = -1 WHERE seq = %d;"
             "UPDATE decisions SET seq = %d WHERE seq = %d;"
             "UPDATE decisions SET seq = %d WHERE seq = -1",
             x, x, y, y);
    raw_sql(db, sql);
}

static void reordered_records_are_named(void **state)
{
    tamper_case *t = *state;
    swap_rows(t->sc.db, 7, 12);
    expect(t->sc.db, t->checker, PC_TAMPER_REORDERED, 7,
           "its predecessor in the chain is record 11");
}

static void reordered_neighbours_are_named(void **state)
{
    tamper_case *t = *state;
    swap_rows(t->sc.db, 7, 8);
    expect(t->sc.db, t->checker, PC_TAMPER_REORDERED, 7, "decision-0008");
}

static void truncated_tail_under_checkpoint_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq > 12");
    expect(t->sc.db, t->checker, PC_TAMPER_TRUNCATED, 13, "checkpoint");
    raw_sql(t->sc.db, "DELETE FROM decisions");
    expect(t->sc.db, t->checker, PC_TAMPER_TRUNCATED, 1, NULL);
}

static void truncated_tail_past_checkpoint_is_invisible(void **state)
{
    tamper_case *t = *state;
    /* three more records, written without a key: nothing signs them */
    pc_store *s = open_store(t->sc.db, false, true);
    pc_audit_log *log = open_log(s, PC_AUDIT_SYNC, NULL, 0);
    for (int i = 21; i <= 23; i++)
        append_ok(log, i);
    close_log(log);
    pc_store_close(s);
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq > 21");
    pc_audit_report r = verify(t->sc.db, t->checker);
    assert_int_equal(r.finding, PC_TAMPER_NONE); /* the documented limit of a hash chain */
    assert_int_equal(r.last_seq, 21);
    assert_int_equal(r.covered_seq, 20); /* ... which the report makes visible */
    pc_audit_report_clear(&r);
    raw_sql(t->sc.db, "DELETE FROM decisions WHERE seq > 19");
    expect(t->sc.db, t->checker, PC_TAMPER_TRUNCATED, 20, NULL);
}

static void rewritten_chain_is_caught_by_checkpoint(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "UPDATE decisions SET decision = 'deny' WHERE seq = 7");
    rewrite_hashes(t->sc.db, 7, 20, true); /* every hash and link recomputed */
    expect(t->sc.db, t->checker, PC_TAMPER_REWRITTEN, 6, "records 6..10 were rewritten");
}

static void forged_checkpoints_are_named(void **state)
{
    tamper_case *t = *state;
    /* rewrite the chain and "fix" the checkpoints' hashes too, without the key */
    raw_sql(t->sc.db, "UPDATE decisions SET decision = 'deny' WHERE seq = 7");
    rewrite_hashes(t->sc.db, 7, 20, true);
    raw_sql(t->sc.db, "UPDATE checkpoints SET hash = (SELECT hash FROM decisions d "
                      "WHERE d.seq = checkpoints.seq)");
    expect(t->sc.db, NULL, PC_TAMPER_NONE, 0, NULL); /* without the public key it passes */
    expect(t->sc.db, t->checker, PC_TAMPER_CHECKPOINT, 2, "signature does not verify");
}

static void checkpoint_signed_by_another_key_is_named(void **state)
{
    tamper_case *t = *state;
    char priv[256], pub[256];
    make_key(&t->sc, "other", priv, pub, sizeof priv);
    pc_audit_key *other = load_key(priv, true);
    build_log(t->sc.db, 3, other, 5); /* records 21..23 and checkpoint #5 by another key */
    expect(t->sc.db, t->checker, PC_TAMPER_CHECKPOINT, 5, "another key");
    raw_sql(t->sc.db, "UPDATE checkpoints SET signature = x'00' WHERE id = 5");
    expect(t->sc.db, NULL, PC_TAMPER_CHECKPOINT, 5, "malformed");
    pc_audit_key_free(other);
}

static void deleted_checkpoint_is_named(void **state)
{
    tamper_case *t = *state;
    raw_sql(t->sc.db, "DELETE FROM checkpoints WHERE id = 2");
    expect(t->sc.db, NULL, PC_TAMPER_CHECKPOINT, 2, "#2..#2 are missing");
}

/* ---- kill -9 in SYNC mode --------------------------------------------------- */

enum { CRASH_THREADS = 4, CRASH_REPORTS = 300 };

typedef struct crash_worker {
    pc_audit_log *log;
    int first;
} crash_worker;

/* In the child: append forever, printing "SEQ ID" once each append returned. */
static void *crash_append(void *arg)
{
    crash_worker *w = arg;
    char line[128];
    for (int k = w->first;; k += CRASH_THREADS) {
        int64_t seq = 0;
        pc_diag d;
        pc_diag_init(&d);
        if (append_sample(w->log, k, &seq, &d) != PC_OK)
            _exit(3);
        int n = snprintf(line, sizeof line, "%lld decision-%04d\n", (long long)seq, k);
        if (write(STDOUT_FILENO, line, (size_t)n) != n) /* one write: lines never interleave */
            _exit(4);
    }
    return NULL;
}

static void crash_child(const char *db, const char *key_path)
{
    pc_store_options o = {false, true, 0};
    pc_store *s = NULL;
    pc_audit_key *key = NULL;
    pc_audit_log *log = NULL;
    pc_audit_options lo = {.mode = PC_AUDIT_SYNC, .checkpoint_every = 50};
    if (pc_audit_key_load(key_path, true, &key, NULL) != PC_OK ||
        pc_store_open(db, &o, &s, NULL) != PC_OK)
        _exit(2);
    lo.key = key;
    if (pc_audit_open(s, &lo, &log, NULL) != PC_OK)
        _exit(2);
    pthread_t t[CRASH_THREADS];
    crash_worker w[CRASH_THREADS];
    for (int i = 0; i < CRASH_THREADS; i++) {
        w[i] = (crash_worker){log, i};
        if (pthread_create(&t[i], NULL, crash_append, &w[i]) != 0)
            _exit(2);
    }
    pthread_join(t[0], NULL);
    _exit(0);
}

typedef struct reported {
    int n;
    int64_t seq[8192];
    char id[8192][24];
} reported;

/* Parse whole lines out of the pipe's bytes; keep a partial line for later. */
static void take_lines(reported *rep, char *buf, size_t *len)
{
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) != NULL && rep->n < 8192) {
        *nl = '\0';
        long long seq;
        char id[24];
        if (sscanf(start, "%lld %23s", &seq, id) == 2) {
            rep->seq[rep->n] = seq;
            snprintf(rep->id[rep->n], sizeof rep->id[0], "%s", id);
            rep->n++;
        }
        start = nl + 1;
    }
    *len -= (size_t)(start - buf);
    memmove(buf, start, *len);
}

static void read_reports(int fd, reported *rep, int until)
{
    char buf[4096];
    size_t len = 0;
    time_t deadline = time(NULL) + 60;
    while ((until == 0 || rep->n < until) && time(NULL) < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t got = read(fd, buf + len, sizeof buf - len - 1);
        if (got <= 0)
            break; /* EOF: the child is gone */
        len += (size_t)got;
        take_lines(rep, buf, &len);
    }
}

typedef struct stored_ids {
    int64_t n;
    char (*id)[24]; /* index: seq */
} stored_ids;

static bool note_id(void *ctx, const pc_log_record *r)
{
    stored_ids *s = ctx;
    if (r->seq > 0 && r->seq < s->n)
        snprintf(s->id[r->seq], sizeof s->id[0], "%.*s", (int)r->decision_id.len,
                 r->decision_id.ptr);
    return true;
}

static void sync_mode_survives_kill_9(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    char priv[256], pub[256];
    make_key(&sc, "k", priv, pub, sizeof priv);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        crash_child(sc.db, priv);
    }
    close(fds[1]);
    static reported rep;
    rep.n = 0;
    read_reports(fds[0], &rep, CRASH_REPORTS); /* under load ... */
    assert_int_equal(kill(pid, SIGKILL), 0);   /* ... kill -9 */
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    read_reports(fds[0], &rep, 0); /* lines written before it died */
    close(fds[0]);
    assert_true(rep.n >= CRASH_REPORTS);

    pc_audit_key *key = load_key(pub, false);
    pc_audit_report r = verify(sc.db, key);
    assert_int_equal(r.finding, PC_TAMPER_NONE);
    assert_true(r.last_seq >= rep.n);
    stored_ids ids = {r.last_seq + 1, calloc((size_t)r.last_seq + 1, sizeof *ids.id)};
    pc_store *s = open_store(sc.db, true, false);
    assert_int_equal(s->ops->records(s, NULL, note_id, &ids, NULL), PC_OK);
    pc_store_close(s);
    for (int i = 0; i < rep.n; i++) { /* every decision reported durable is there */
        assert_true(rep.seq[i] >= 1 && rep.seq[i] <= r.last_seq);
        assert_string_equal(ids.id[rep.seq[i]], rep.id[i]);
    }
    free(ids.id);
    pc_audit_report_clear(&r);

    /* the restarted daemon continues the same chain */
    pc_audit_key *signer = load_key(priv, true);
    build_log(sc.db, 5, signer, 100);
    r = verify(sc.db, key);
    assert_int_equal(r.finding, PC_TAMPER_NONE);
    assert_int_equal(r.covered_seq, r.last_seq);
    pc_audit_report_clear(&r);
    pc_audit_key_free(signer);
    pc_audit_key_free(key);
    scratch_remove(&sc);
}

/* ---- output ------------------------------------------------------------------ */

static bool first_json(void *ctx, const pc_log_record *r)
{
    pc_buf *b = ctx;
    assert_true(pc_log_record_json(b, r));
    return false;
}

static void records_print_as_json(void **state)
{
    (void)state;
    scratch sc;
    scratch_make(&sc);
    pc_store *s = open_store(sc.db, false, true);
    pc_audit_options o = {.mode = PC_AUDIT_SYNC, .keep_context = true};
    pc_audit_log *log = NULL;
    assert_int_equal(pc_audit_open(s, &o, &log, NULL), PC_OK);
    append_ok(log, 7);
    close_log(log);
    pc_buf b;
    pc_buf_init(&b);
    assert_int_equal(s->ops->records(s, NULL, first_json, &b, NULL), PC_OK);
    json_t *v = json_loads(b.data, 0, NULL);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "seq")), 1);
    assert_string_equal(json_string_value(json_object_get(v, "decision_id")), "decision-0007");
    assert_string_equal(json_string_value(json_object_get(v, "time")),
                        "2023-11-14T22:13:27.000000Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(v, "reasons"), 0)),
                        "policy3");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v, "context"), "password")),
        "hunter2"); /* kept, no redaction asked for */
    assert_int_equal(strlen(json_string_value(json_object_get(v, "hash"))), 64);
    json_decref(v);
    pc_buf_clear(&b);
    raw_sql(sc.db, "UPDATE decisions SET context = 'not json'");
    assert_int_equal(s->ops->records(s, NULL, first_json, &b, NULL), PC_OK);
    v = json_loads(b.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "context")), "not json");
    json_decref(v);
    pc_buf_free(&b);
    pc_store_close(s);
    scratch_remove(&sc);
}

/* ---- approvals ---------------------------------------------------------------- */

static const char approval_policies[] =
    "@approval(\"payments-approvers\")\n"
    "permit (principal == User::\"svc\", action == Action::\"pay\", resource)\n"
    "  when { context.amount > 1000 };\n"
    "permit (principal == User::\"svc\", action == Action::\"pay\", resource)\n"
    "  when { context.amount <= 1000 };\n"
    "@approval(\"risk\") @owner(\"ops\")\n"
    "permit (principal == User::\"svc\", action == Action::\"pay\", resource)\n"
    "  when { context.amount > 100000 };\n"
    "permit (principal in Group::\"payments-approvers\", action == Action::\"approve\", resource "
    "is Approval)\n"
    "  when { context.groups.contains(\"payments-approvers\") };\n"
    "permit (principal == User::\"eve\", action == Action::\"approve\", resource is Approval)\n"
    "  when { context.verdict == \"deny\" && context.requester == User::\"svc\" };\n";

/* svc is itself in the approvers' group: only the library stops self-approval. */
static const char approval_entities[] =
    "[{\"uid\":{\"type\":\"Group\",\"id\":\"payments-approvers\"},\"attrs\":{},\"parents\":[]},"
    " {\"uid\":{\"type\":\"User\",\"id\":\"bob\"},\"attrs\":{},"
    "  \"parents\":[{\"type\":\"Group\",\"id\":\"payments-approvers\"}]},"
    " {\"uid\":{\"type\":\"User\",\"id\":\"svc\"},\"attrs\":{},"
    "  \"parents\":[{\"type\":\"Group\",\"id\":\"payments-approvers\"}]},"
    " {\"uid\":{\"type\":\"User\",\"id\":\"eve\"},\"attrs\":{},\"parents\":[]}]";

typedef struct approvals_env {
    scratch sc;
    pc_store *store;
    pc_engine *engine;
    pc_approval_cedar cedar;
    pc_arena arena;
} approvals_env;

static int approvals_setup(void **state)
{
    approvals_env *e = calloc(1, sizeof *e);
    scratch_make(&e->sc);
    e->store = open_store(e->sc.db, false, false);
    e->engine = pc_engine_new();
    assert_int_equal(pc_engine_load_policies(e->engine, approval_policies,
                                             strlen(approval_policies), "approvals.cedar", NULL),
                     PC_OK);
    assert_int_equal(pc_engine_load_entities(e->engine, approval_entities,
                                             strlen(approval_entities), "e.json", NULL),
                     PC_OK);
    e->cedar = (pc_approval_cedar){e->engine, NULL, NULL};
    pc_arena_init(&e->arena, 4096, 0);
    *state = e;
    return 0;
}

static int approvals_teardown(void **state)
{
    approvals_env *e = *state;
    pc_arena_free(&e->arena);
    pc_engine_free(e->engine);
    pc_store_close(e->store);
    scratch_remove(&e->sc);
    free(e);
    return 0;
}

/* Decide svc's payment and read what its determining policies say. */
static pc_approval_need need_for(approvals_env *e, int amount)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "{\"amount\": %d}", amount);
    pc_request req = {"User::\"svc\"", "Action::\"pay\"", "Account::\"ops\"", ctx, false};
    pc_decision *d = pc_decision_new();
    assert_int_equal(pc_authorize(e->engine, &req, d, NULL), PC_OK);
    assert_true(pc_decision_allowed(d));
    pc_approval_need need;
    assert_int_equal(
        pc_approval_required(d->answer.reasons, d->answer.n_reasons, &e->arena, &need, NULL),
        PC_OK);
    pc_decision_free(d);
    return need;
}

static void approval_required_reads_annotations(void **state)
{
    approvals_env *e = *state;
    pc_approval_need need = need_for(e, 500);
    assert_false(need.required);
    need = need_for(e, 5000);
    assert_true(need.required);
    assert_int_equal(need.n_groups, 1);
    assert_string_equal(need.groups[0].ptr, "payments-approvers");
    assert_string_equal(need.policies[0].ptr, "policy0");
    need = need_for(e, 500000); /* two annotated permits: both groups, once each */
    assert_int_equal(need.n_groups, 2);
    assert_int_equal(need.n_policies, 2);
    /* an unannotated permit matching too does not lift the requirement */
    const pc_engine *en = e->engine;
    const pc_policy *reasons[2] = {en->policies.items[1], en->policies.items[0]};
    assert_int_equal(pc_approval_required(reasons, 2, &e->arena, &need, NULL), PC_OK);
    assert_true(need.required);
    assert_int_equal(need.n_policies, 1);
}

static void records_take_the_engine_answer(void **state)
{
    approvals_env *e = *state;
    pc_request req = {"User::\"svc\"", "Action::\"pay\"", "Account::\"ops\"", "{\"amount\": 5}",
                      false};
    pc_decision *d = pc_decision_new();
    pc_log_record r;
    memset(&r, 0, sizeof r);
    assert_int_equal(pc_authorize(e->engine, &req, d, NULL), PC_OK);
    assert_int_equal(pc_log_record_set_answer(&r, &d->answer, &e->arena, NULL), PC_OK);
    assert_true(pc_str_eq_cstr(r.decision, "allow"));
    assert_int_equal(r.reasons.n, 1);
    assert_true(pc_str_eq_cstr(r.reasons.items[0], "policy1"));
    assert_int_equal(r.errors.n, 0);
    req.context_json = "{}";   /* every amount condition errors: a deny listing them */
    assert_int_equal(pc_authorize(e->engine, &req, d, NULL), PC_OK);
    assert_int_equal(pc_log_record_set_answer(&r, &d->answer, &e->arena, NULL), PC_OK);
    assert_true(pc_str_eq_cstr(r.decision, "deny"));
    assert_int_equal(r.reasons.n, 0);
    assert_int_equal(r.errors.n, 3);
    assert_true(pc_str_eq_cstr(r.errors.items[2], "policy2"));
    pc_decision_free(d);
}

static pc_approval_binding binding(int amount, uint8_t *digest_out)
{
    pc_approval_binding b = {PC_STR_LIT("User::\"svc\""),
                             PC_STR_LIT("Action::\"pay\""),
                             PC_STR_LIT("Account :: \"ops\""),
                             {0},
                             PC_STR_NULL};
    json_t *args = json_pack("{s:i}", "amount", amount);
    assert_int_equal(pc_json_digest(args, b.args_digest, NULL), PC_OK);
    json_decref(args);
    if (digest_out)
        memcpy(digest_out, b.args_digest, PC_HASH_LEN);
    return b;
}

static pc_stepup step_up(approvals_env *e, const pc_approval_binding *b, int64_t ttl, int64_t now)
{
    pc_approval_need need = need_for(e, 5000);
    pc_stepup out;
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_approval_step_up(e->store, b, &need, ttl, now, &e->arena, &out, &d);
    if (st != PC_OK)
        fprintf(stderr, "step-up: %s\n", d.msg);
    assert_int_equal(st, PC_OK);
    return out;
}

static pc_status decide(approvals_env *e, const char *id, const char *who, bool approve,
                        const char *reason, int64_t now, pc_diag *d)
{
    pc_approval_verdict v = {id, who, approve, reason};
    return pc_approval_decide(e->store, &v, pc_approval_cedar_hook, &e->cedar, now, d);
}

static void expect_refusal(approvals_env *e, const char *id, const char *who, bool approve,
                           const char *reason, int64_t now, pc_status want, const char *words)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = decide(e, id, who, approve, reason, now, &d);
    if (st != want || !d.msg || !strstr(d.msg, words))
        fprintf(stderr, "decide: %s\n", d.msg ? d.msg : "(ok)");
    assert_int_equal(st, want);
    assert_non_null(strstr(d.msg, words));
    pc_diag_clear(&d);
}

static void step_up_then_approve_once(void **state)
{
    approvals_env *e = *state;
    const int64_t t0 = 1700000000000000LL, sec = 1000000;
    pc_approval_binding b = binding(5000, NULL);
    pc_stepup s1 = step_up(e, &b, 600 * sec, t0);
    assert_false(s1.granted);
    assert_true(s1.created);
    assert_int_equal(strlen(s1.id.ptr), 32);
    char id[40];
    snprintf(id, sizeof id, "%s", s1.id.ptr);
    pc_stepup s2 = step_up(e, &b, 600 * sec, t0 + sec); /* a retry finds the same request */
    assert_false(s2.granted || s2.created);
    assert_string_equal(s2.id.ptr, id);

    expect_refusal(e, id, "User::\"svc\"", true, "mine", t0 + 2 * sec, PC_ERR_STATE,
                   "nobody approves their own request");
    expect_refusal(e, id, "User::\"eve\"", true, "ok", t0 + 2 * sec, PC_ERR_STATE,
                   "the policy does not allow it");
    expect_refusal(e, id, "User::\"bob\"", true, "", t0 + 2 * sec, PC_ERR_INVALID,
                   "reason is required");
    expect_refusal(e, id, "bob", true, "ok", t0 + 2 * sec, PC_ERR_INVALID, "entity uid");
    expect_refusal(e, "0000", "User::\"bob\"", true, "ok", t0 + 2 * sec, PC_ERR_INVALID,
                   "no approval request 0000");
    assert_int_equal(decide(e, id, "User::\"bob\"", true, "within budget", t0 + 3 * sec, NULL),
                     PC_OK);
    expect_refusal(e, id, "User::\"bob\"", false, "changed my mind", t0 + 4 * sec, PC_ERR_STATE,
                   "is already approved (by User::\"bob\"");

    /* changed arguments: the approval does not apply, a new request is made */
    pc_approval_binding other = binding(9000, NULL);
    pc_stepup s3 = step_up(e, &other, 600 * sec, t0 + 5 * sec);
    assert_false(s3.granted);
    assert_true(s3.created);
    assert_string_not_equal(s3.id.ptr, id);
    /* the same arguments: granted, once */
    pc_stepup s4 = step_up(e, &b, 600 * sec, t0 + 6 * sec);
    assert_true(s4.granted);
    assert_string_equal(s4.id.ptr, id);
    pc_stepup s5 = step_up(e, &b, 600 * sec, t0 + 7 * sec);
    assert_false(s5.granted);
    assert_true(s5.created);
    /* presenting the used id says why it no longer works */
    b.id = pc_str_from_cstr(id);
    pc_stepup s6 = step_up(e, &b, 600 * sec, t0 + 8 * sec);
    assert_false(s6.granted);
    assert_non_null(strstr(s6.note, "is consumed"));
    /* a denied request cannot be used either (eve may deny, not approve) */
    assert_int_equal(decide(e, s5.id.ptr, "User::\"eve\"", false, "too large", t0 + 9 * sec, NULL),
                     PC_OK);
    b.id = s5.id;
    pc_stepup s7 = step_up(e, &b, 600 * sec, t0 + 10 * sec);
    assert_false(s7.granted);
    assert_non_null(strstr(s7.note, "is denied"));
    /* an id for other arguments is named as such */
    b.id = s3.id;
    pc_stepup s8 = step_up(e, &b, 600 * sec, t0 + 11 * sec);
    assert_false(s8.granted);
    assert_non_null(strstr(s8.note, "different request"));
}

static void approvals_expire(void **state)
{
    approvals_env *e = *state;
    const int64_t t0 = 1700000000000000LL, sec = 1000000;
    pc_approval_binding b = binding(5000, NULL);
    pc_stepup s1 = step_up(e, &b, 10 * sec, t0);
    expect_refusal(e, s1.id.ptr, "User::\"bob\"", true, "late", t0 + 10 * sec, PC_ERR_STATE,
                   "expired");
    /* approved in time but used too late */
    pc_stepup s2 = step_up(e, &b, 10 * sec, t0 + 11 * sec);
    assert_true(s2.created);
    assert_int_equal(decide(e, s2.id.ptr, "User::\"bob\"", true, "ok", t0 + 12 * sec, NULL), PC_OK);
    b.id = s2.id;
    pc_stepup s3 = step_up(e, &b, 10 * sec, t0 + 30 * sec);
    assert_false(s3.granted);
    assert_non_null(strstr(s3.note, "is expired"));
    /* and the listing shows it so */
    pc_approval got;
    bool found;
    assert_int_equal(e->store->ops->approval_get(e->store, s2.id, &e->arena, &got, &found, NULL),
                     PC_OK);
    assert_string_equal(pc_approval_status(&got, t0 + 30 * sec), "expired");
    assert_string_equal(pc_approval_status(&got, t0 + 13 * sec), "approved");
    pc_buf out;
    pc_buf_init(&out);
    assert_true(pc_approval_json(&out, &got, t0 + 30 * sec));
    json_t *v = json_loads(out.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "status")), "expired");
    assert_string_equal(json_string_value(json_object_get(v, "resource")), "Account::\"ops\"");
    assert_string_equal(json_string_value(json_object_get(v, "approver")), "User::\"bob\"");
    json_decref(v);
    pc_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encoding_matches_the_spec),
        cmocka_unit_test(context_digest_and_redaction),
        cmocka_unit_test(keys_load_and_sign),
        cmocka_unit_test(sync_appends_group_commit),
        cmocka_unit_test(async_flushes_within_the_interval),
        cmocka_unit_test(appends_are_checked),
        cmocka_unit_test(sync_write_failure_fails_the_append),
        cmocka_unit_test(async_write_failure_is_sticky),
        cmocka_unit_test_setup_teardown(intact_log_verifies, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(modified_record_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(modified_link_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(modified_unreadable_record_is_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(modified_with_stored_hash_is_bracketed, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(deleted_record_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(deleted_first_record_is_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(deleted_and_renumbered_is_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(inserted_copy_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(inserted_forgery_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(reordered_records_are_named, tamper_setup, tamper_teardown),
        cmocka_unit_test_setup_teardown(reordered_neighbours_are_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(truncated_tail_under_checkpoint_is_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(truncated_tail_past_checkpoint_is_invisible, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(rewritten_chain_is_caught_by_checkpoint, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(forged_checkpoints_are_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(checkpoint_signed_by_another_key_is_named, tamper_setup,
                                        tamper_teardown),
        cmocka_unit_test_setup_teardown(deleted_checkpoint_is_named, tamper_setup, tamper_teardown),
        cmocka_unit_test(sync_mode_survives_kill_9),
        cmocka_unit_test(records_print_as_json),
        cmocka_unit_test_setup_teardown(records_take_the_engine_answer, approvals_setup,
                                        approvals_teardown),
        cmocka_unit_test_setup_teardown(approval_required_reads_annotations, approvals_setup,
                                        approvals_teardown),
        cmocka_unit_test_setup_teardown(step_up_then_approve_once, approvals_setup,
                                        approvals_teardown),
        cmocka_unit_test_setup_teardown(approvals_expire, approvals_setup, approvals_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
