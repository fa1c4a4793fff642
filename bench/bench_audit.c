/*
** audit/bench_audit.c — what the decision log costs: decisions per second
** with every decision appended to the log in SYNC mode (durable before the
** answer, group commit), in ASYNC mode (queued), and with no log at all,
** printed side by side with their ratio to the no-log rate.
**
**   portcullis-bench-audit [--threads N] [--seconds S] [--dir DIR]
**
** Each of N threads decides requests against a small payments policy set
** through the public API and appends a full record (context digest, the
** determining policies) for each, for S seconds per mode. The store is a
** fresh SQLite file in DIR per mode (removed afterwards); SYNC fsyncs
** every commit, so its rate depends on the disk under DIR and on N: more
** concurrent deciders share each fsync. Not a timed test: a measurement
** for `make bench`.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "portcullis.h"

#define THREADS_DEFAULT 8
#define THREADS_MAX 256
#define SECONDS_DEFAULT 2.0
#define REASONS_MAX 64 /* the policy set below has 3 permits: far fewer */

static const char policies[] =
    "permit (principal in Role::\"payments\", action == Action::\"pay\", resource)\n"
    "  when { context.amount <= 1000 };\n"
    "@approval(\"payments-approvers\")\n"
    "permit (principal in Role::\"payments\", action == Action::\"pay\", resource)\n"
    "  when { context.amount > 1000 };\n"
    "permit (principal, action == Action::\"read\", resource);\n"
    "forbid (principal, action, resource) when { context.amount > 1000000 };\n";
static const char entities[] =
    "[{\"uid\":{\"type\":\"Role\",\"id\":\"payments\"},\"attrs\":{},\"parents\":[]},"
    " {\"uid\":{\"type\":\"ServiceAccount\",\"id\":\"svc\"},\"attrs\":{},"
    "  \"parents\":[{\"type\":\"Role\",\"id\":\"payments\"}]}]";

typedef enum mode { MODE_NONE, MODE_ASYNC, MODE_SYNC } mode;
static const char *const mode_names[] = {"none", "async", "sync"};

typedef struct shared {
    const pc_engine *engine;
    pc_audit_log *log; /* NULL: no log */
    atomic_bool stop;
    atomic_bool failed;
} shared;

typedef struct worker {
    shared *sh;
    int index;
    uint64_t decisions;
} worker;

/* Record one decision the way the daemon will. */
static pc_status log_decision(worker *w, const pc_decision *dec, uint64_t n, json_t *ctx,
                              int64_t latency_us)
{
    pc_str reasons[REASONS_MAX];
    size_t nr = pc_decision_reason_count(dec);
    if (nr > REASONS_MAX)
        return PC_ERR_LIMIT;
    for (size_t i = 0; i < nr; i++)
        reasons[i] = pc_str_from_cstr(pc_decision_reason(dec, i));
    char id[48];
    snprintf(id, sizeof id, "bench-%d-%llu", w->index, (unsigned long long)n);
    pc_log_record r;
    memset(&r, 0, sizeof r);
    r.decision_id = pc_str_from_cstr(id);
    r.request_id = r.error = r.issuer = r.approval_id = PC_STR_LIT("");
    r.source = PC_STR_LIT("bench");
    r.principal = PC_STR_LIT("ServiceAccount::\"svc\"");
    r.action = PC_STR_LIT("Action::\"pay\"");
    r.resource = PC_STR_LIT("Api::\"transfer\"");
    r.decision =
        pc_decision_allowed(dec) ? PC_STR_LIT(PC_DECISION_ALLOW) : PC_STR_LIT(PC_DECISION_DENY);
    r.reasons = (pc_strlist){(uint32_t)nr, reasons};
    r.policy_version = PC_STR_LIT("bench-1");
    r.latency_us = latency_us;
    return pc_audit_append(w->sh->log, &r, ctx, NULL, NULL);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *work(void *arg)
{
    worker *w = arg;
    pc_decision *dec = pc_decision_new();
    char ctx_text[64];
    for (uint64_t n = 0; dec && !atomic_load(&w->sh->stop); n++) {
        snprintf(ctx_text, sizeof ctx_text, "{\"amount\": %llu}", (unsigned long long)(n % 2000));
        pc_request req = {"ServiceAccount::\"svc\"", "Action::\"pay\"", "Api::\"transfer\"",
                          ctx_text, false};
        int64_t t0 = mono_us();
        bool ok = pc_authorize(w->sh->engine, &req, dec, NULL) == PC_OK;
        json_t *ctx = ok && w->sh->log ? json_loads(ctx_text, 0, NULL) : NULL;
        if (ok && w->sh->log)
            ok = ctx && log_decision(w, dec, n, ctx, mono_us() - t0) == PC_OK;
        json_decref(ctx);
        if (!ok) {
            atomic_store(&w->sh->failed, true);
            break;
        }
        w->decisions++;
    }
    pc_decision_free(dec);
    return NULL;
}

typedef struct result {
    double rate;       /* decisions per second */
    double per_commit; /* records per transaction; 0 without a log */
} result;

static bool open_log(mode m, const char *path, pc_store **store, pc_audit_log **log)
{
    pc_store_options so = {false, m == MODE_SYNC, 0};
    pc_audit_options lo = {.mode = m == MODE_SYNC ? PC_AUDIT_SYNC : PC_AUDIT_ASYNC};
    pc_diag d;
    pc_diag_init(&d);
    bool ok = pc_store_open(path, &so, store, &d) == PC_OK &&
              pc_audit_open(*store, &lo, log, &d) == PC_OK;
    if (!ok)
        fprintf(stderr, "bench-audit: %s: %s\n", path, d.msg ? d.msg : "cannot open");
    pc_diag_clear(&d);
    return ok;
}

/* Run the threads for the given time; false if anything failed. */
static bool run_threads(shared *sh, int threads, double seconds, uint64_t *decisions)
{
    pthread_t t[THREADS_MAX];
    worker w[THREADS_MAX];
    int started = 0;
    for (; started < threads; started++) {
        w[started] = (worker){sh, started, 0};
        if (pthread_create(&t[started], NULL, work, &w[started]) != 0)
            break;
    }
    struct timespec nap = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&nap, NULL);
    atomic_store(&sh->stop, true);
    *decisions = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        *decisions += w[i].decisions;
    }
    return started == threads && !atomic_load(&sh->failed);
}

static bool measure(const pc_engine *e, mode m, int threads, double seconds, const char *dir,
                    result *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/portcullis-bench-audit-%d-%s.db", dir, (int)getpid(),
             mode_names[m]);
    pc_store *store = NULL;
    shared sh = {e, NULL, false, false};
    if (m != MODE_NONE && !open_log(m, path, &store, &sh.log))
        return false;
    uint64_t decisions = 0;
    int64_t t0 = mono_us();
    bool ok = run_threads(&sh, threads, seconds, &decisions);
    pc_audit_stats st = {0};
    if (sh.log) {
        pc_diag d;
        pc_diag_init(&d);
        pc_audit_get_stats(sh.log, &st);
        ok = pc_audit_close(sh.log, &d) == PC_OK && ok; /* async: everything queued is written */
        if (d.msg)
            fprintf(stderr, "bench-audit: %s\n", d.msg);
        pc_diag_clear(&d);
        pc_store_close(store);
        static const char *const files[] = {"", "-wal", "-shm"}; /* the store and its WAL */
        char side[4200];
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(side, sizeof side, "%s%s", path, files[i]);
            unlink(side);
        }
    }
    double elapsed = (double)(mono_us() - t0) / 1e6;
    out->rate = (double)decisions / elapsed;
    out->per_commit = st.batches ? (double)st.appended / (double)st.batches : 0;
    return ok;
}

static pc_engine *load_engine(void)
{
    pc_engine *e = pc_engine_new();
    pc_error err = {0};
    if (!e ||
        pc_engine_load_policies(e, policies, strlen(policies), "bench.cedar", &err) != PC_OK ||
        pc_engine_load_entities(e, entities, strlen(entities), "bench.json", &err) != PC_OK) {
        fprintf(stderr, "bench-audit: %s\n", err.message ? err.message : "out of memory");
        pc_error_clear(&err);
        pc_engine_free(e);
        return NULL;
    }
    return e;
}

static bool parse(int argc, char **argv, int *threads, double *seconds, const char **dir)
{
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(argv[i], "--threads") && v)
            *threads = (int)strtol(v, &end, 10);
        else if (!strcmp(argv[i], "--seconds") && v)
            *seconds = strtod(v, &end);
        else if (!strcmp(argv[i], "--dir") && v)
            *dir = v;
        else
            return false;
        if (end && *end)
            return false;
        i++;
    }
    return *threads >= 1 && *threads <= THREADS_MAX && *seconds > 0 && *seconds <= 3600;
}

int main(int argc, char **argv)
{
    int threads = THREADS_DEFAULT;
    double seconds = SECONDS_DEFAULT;
    const char *dir = ".";
    if (!parse(argc, argv, &threads, &seconds, &dir)) {
        fprintf(stderr,
                "usage: portcullis-bench-audit [--threads 1..%d] [--seconds S] [--dir DIR]\n",
                THREADS_MAX);
        return 2;
    }
    pc_engine *e = load_engine();
    if (!e)
        return 2;
    printf("decision log cost: %d threads, %.1f s per mode, store in %s\n", threads, seconds, dir);
    printf("%-6s %14s %9s %14s\n", "log", "decisions/s", "vs none", "records/commit");
    result r[3];
    bool ok = true;
    for (int m = MODE_NONE; m <= MODE_SYNC && ok; m++) {
        ok = measure(e, (mode)m, threads, seconds, dir, &r[m]);
        if (!ok)
            break;
        printf("%-6s %14.0f %8.3fx", mode_names[m], r[m].rate, r[m].rate / r[MODE_NONE].rate);
        if (r[m].per_commit)
            printf(" %14.1f", r[m].per_commit);
        putchar('\n');
    }
    pc_engine_free(e);
    return ok ? 0 : 1;
}
