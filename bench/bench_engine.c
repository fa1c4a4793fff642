/*
** bench/bench_engine.c — portcullis-bench-engine: time Portcullis decisions
** on the OOPSLA 2024 benchmark stores (gen.h), the way the paper's harness
** timed Cedar.
**
**   portcullis-bench-engine [--json OUT] [--no-text] STORE_DIR...
**   portcullis-bench-engine --app APP --n N [--stores K] [--seed S] [--requests R]
**                           [--p P] [--no-view-quirk] [--data DIR] [--json OUT] [--no-text]
**   portcullis-bench-engine --samples OOPSLA_DIR
**
** Per store, untimed (as in the paper): the schema, policies and entities
** are loaded, the template links added, and every request pre-built, both as
** jansson values and as text. A first, untimed pass decides each request with
** request validation on; it warms the caches and fixes the expected decision.
** Then each request is timed once per path with CLOCK_MONOTONIC around only
** the call:
**   json  pc_authorize_json(request already parsed into JSON values)
**   text  pc_authorize(uids as Cedar text, context as the text "{}")
** so the difference between the two is the cost of parsing the request. The
** two alternate which goes first, request by request, so that neither always
** runs on caches the other warmed.
** Every timed decision must equal the untimed one, or the run fails.
**
** Stores read from directories get their decisions written to
** DIR/decisions.portcullis ("allow"/"deny" per line), which the cedar-wasm
** side (peer/bench.js) checks its own decisions against.
**
** --samples decides the hand-written sample requests shipped with four of the
** apps and compares each with its folder name (allow_requests/deny_requests),
** which cedar-wasm 4.13.0 was checked to give.
**
** Wall time on a shared machine is noisy; instructions are not. To count
** them per decision, run under callgrind collecting only inside time_one
** (kept out of line for this), with --no-text so that only the json path is
** timed, and divide the total by the number of requests:
**   valgrind --tool=callgrind --toggle-collect=time_one \
**     portcullis-bench-engine --app gdrive --n 50 --stores 2 --no-text
** (--toggle-collect=pc_authorize_indexed counts the decision without
** reading the request; it runs twice per request, untimed pass included.)
*/
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "args.h"
#include "engine/engine.h"
#include "gen.h"

#define MAX_GROUPS 256            /* distinct (app, N) pairs in one run */
#define MAX_STORES 100000         /* --stores */
#define MAX_SAMPLE_FILES 4096     /* request files in one sample folder */
#define ARENA_BLOCK 65536

/* ---- latency series and their summary ----------------------------------- */

typedef struct series {
    uint64_t *ns;
    size_t n, cap;
} series;

static bool series_add(series *s, uint64_t ns)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *p = realloc(s->ns, cap * sizeof *p);
        if (!p)
            return false;
        s->ns = p;
        s->cap = cap;
    }
    s->ns[s->n++] = ns;
    return true;
}

typedef struct summary {
    double mean_ns;
    uint64_t p50, p90, p99;
    double per_sec;        /* decisions per second of timed time, one thread */
} summary;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted series (the same rule as peer/bench.js). */
static uint64_t percentile(const series *s, double q)
{
    size_t k = (size_t)ceil(q * (double)s->n);
    return s->ns[k ? k - 1 : 0];
}

/* Sorts s in place. */
static summary summarize(series *s)
{
    summary r = {0};
    if (s->n == 0)
        return r;
    qsort(s->ns, s->n, sizeof *s->ns, cmp_u64);
    double total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += (double)s->ns[i];
    r.mean_ns = total / (double)s->n;
    r.p50 = percentile(s, 0.50);
    r.p90 = percentile(s, 0.90);
    r.p99 = percentile(s, 0.99);
    r.per_sec = total > 0 ? (double)s->n * 1e9 / total : 0;
    return r;
}

/* ---- groups: one line of the report per (app, N) ------------------------- */

typedef struct group {
    char app[32];
    uint32_t n;
    uint32_t stores;
    series json_path, text_path;
    uint64_t allow, deny, with_errors;
} group;

typedef struct groups {
    group items[MAX_GROUPS];
    size_t n;
} groups;

static group *group_for(groups *gs, const char *app, uint32_t n, pc_diag *d)
{
    for (size_t i = 0; i < gs->n; i++)
        if (gs->items[i].n == n && strcmp(gs->items[i].app, app) == 0)
            return &gs->items[i];
    if (gs->n == MAX_GROUPS) {
        pc_diag_set(d, PC_ERR_LIMIT, "more than %d (app, N) groups in one run", MAX_GROUPS);
        return NULL;
    }
    group *g = &gs->items[gs->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->app, sizeof g->app, "%s", app);   /* app names are checked to fit */
    g->n = n;
    return g;
}

static void groups_free(groups *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        free(gs->items[i].json_path.ns);
        free(gs->items[i].text_path.ns);
    }
}

/* ---- loading an engine ------------------------------------------------- */

/* Move a public pc_error into d, prefixed with what was being done. */
static pc_status take_error(pc_status st, pc_error *err, const char *what, pc_diag *d)
{
    if (st != PC_OK)
        pc_diag_set(d, st, "%s: %s", what, err->message ? err->message : pc_status_name(st));
    pc_error_clear(err);
    return st;
}

typedef struct sources {
    const char *schema, *policies, *entities;
    size_t schema_len, policies_len, entities_len;
} sources;

static pc_engine *load_engine(const sources *src, pc_diag *d)
{
    pc_error err = {0};
    pc_engine *e = pc_engine_new();
    if (!e) {
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory creating an engine");
        return NULL;
    }
    if (take_error(pc_engine_load_schema(e, src->schema, src->schema_len, PC_SCHEMA_JSON,
                                         "schema", &err), &err, "loading the schema", d) ||
        take_error(pc_engine_load_policies(e, src->policies, src->policies_len, "policies", &err),
                   &err, "loading the policies", d) ||
        take_error(pc_engine_load_entities(e, src->entities, src->entities_len, "entities", &err),
                   &err, "loading the entities", d)) {
        pc_engine_free(e);
        return NULL;
    }
    return e;
}

/* Portcullis numbers policies policy0, policy1...; the benchmark names
   templates by their @id annotation, as the Cedar CLI does. */
static const char *template_by_annotation(const pc_engine *e, const char *id)
{
    for (uint32_t i = 0; i < e->policies.n; i++) {
        const pc_policy *p = e->policies.items[i];
        for (uint32_t k = 0; p->is_template && k < p->n_annos; k++)
            if (pc_str_eq_cstr(p->annos[k].key, "id") && pc_str_eq_cstr(p->annos[k].value, id))
                return p->id.ptr;
    }
    return NULL;
}

/* Link one template (named by @id); principal/resource are Cedar text or NULL. */
static pc_status link_one(pc_engine *e, const char *tmpl, const char *new_id,
                          const char *principal, const char *resource, pc_diag *d)
{
    const char *pid = tmpl ? template_by_annotation(e, tmpl) : NULL;
    if (!pid)
        return pc_diag_set(d, PC_ERR_INVALID, "link \"%s\": no template has @id(\"%s\")",
                           new_id ? new_id : "", tmpl ? tmpl : "");
    pc_error err = {0};
    return take_error(pc_engine_link(e, pid, new_id, principal, resource, &err), &err,
                      "linking a template", d);
}

/* A {"type","id"} slot value as Cedar text in the arena; NULL when absent. */
static const char *slot_text(pc_arena *a, json_t *u, bool *ok)
{
    if (!u)
        return NULL;
    pc_buf b;
    pc_buf_init(&b);
    const char *t = pc_bench_uid_text(&b, u) ? pc_arena_strdup(a, b.data) : NULL;
    pc_buf_free(&b);
    *ok = *ok && t;
    return t;
}

/* The generator's links: [{templateId, newId, values:{?principal, ?resource}}]. */
static pc_status link_generated(pc_engine *e, json_t *links, pc_arena *a, pc_diag *d)
{
    json_t *l;
    size_t i;
    json_array_foreach(links, i, l) {
        json_t *values = json_object_get(l, "values");
        bool ok = true;
        const char *p = slot_text(a, json_object_get(values, "?principal"), &ok);
        const char *r = slot_text(a, json_object_get(values, "?resource"), &ok);
        if (!ok)
            return pc_diag_set(d, PC_ERR_INVALID, "link %zu: a slot value is not a "
                               "{\"type\",\"id\"} uid (or memory ran out)", i);
        if (link_one(e, json_string_value(json_object_get(l, "templateId")),
                     json_string_value(json_object_get(l, "newId")), p, r, d) != PC_OK)
            return d->status;
    }
    return PC_OK;
}

/* ---- requests, prepared before any timing ---------------------------------- */

typedef struct prepared {
    json_t *principal, *action, *resource, *context;   /* borrowed from the store */
    pc_request text;                                    /* the same, as text */
    bool expect;                                        /* the untimed pass's answer */
} prepared;

/* A uid as text: Cedar syntax for {"type","id"}, the string itself for a string. */
static const char *uid_or_string(pc_arena *a, json_t *v, bool *ok)
{
    if (json_is_string(v))
        return pc_arena_strdup(a, json_string_value(v));
    return slot_text(a, v, ok);
}

static pc_status prepare_one(pc_arena *a, json_t *req, size_t i, prepared *out, pc_diag *d)
{
    bool ok = true;
    out->principal = json_object_get(req, "principal");
    out->action = json_object_get(req, "action");
    out->resource = json_object_get(req, "resource");
    out->context = json_object_get(req, "context");
    out->text.principal = uid_or_string(a, out->principal, &ok);
    out->text.action = uid_or_string(a, out->action, &ok);
    out->text.resource = uid_or_string(a, out->resource, &ok);
    char *ctx = out->context ? json_dumps(out->context, JSON_COMPACT) : NULL;
    out->text.context_json = pc_arena_strdup(a, ctx ? ctx : "{}");   /* absent means {} */
    out->text.validate = false;
    if (out->context && !ctx)
        ok = false;
    free(ctx);
    if (!ok || !out->text.principal || !out->text.action || !out->text.resource ||
        !out->text.context_json)
        return pc_diag_set(d, PC_ERR_REQUEST, "request %zu: principal, action or resource is "
                           "missing or not a uid (or memory ran out)", i);
    return PC_OK;
}

static prepared *prepare_all(pc_arena *a, json_t *reqs, pc_diag *d)
{
    size_t n = json_array_size(reqs);
    prepared *out = pc_arena_zalloc(a, (n ? n : 1) * sizeof *out);
    if (!out) {
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory preparing %zu requests", n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (prepare_one(a, json_array_get(reqs, i), i, &out[i], d) != PC_OK)
            return NULL;
    return out;
}

/* ---- deciding and timing ------------------------------------------------- */

typedef enum req_path { PATH_JSON, PATH_TEXT } req_path;

static inline uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One decision through the chosen path; errors land in d. */
static inline pc_status decide(const pc_engine *e, const prepared *r, req_path which, bool validate,
                               pc_decision *dec, pc_diag *d)
{
    if (which == PATH_JSON)
        return pc_authorize_json(e, r->principal, r->action, r->resource, r->context, validate,
                                 dec, d);
    pc_error err = {0};
    pc_request text = r->text;
    text.validate = validate;
    return take_error(pc_authorize(e, &text, dec, &err), &err, "pc_authorize", d);
}

static const char *answer(bool allow) { return allow ? "allow" : "deny"; }

/* The untimed pass: validate each request, fix its expected decision. */
static pc_status reference_pass(const pc_engine *e, prepared *reqs, size_t n, pc_decision *dec,
                                group *g, pc_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        if (decide(e, &reqs[i], PATH_JSON, true, dec, d) != PC_OK) {
            pc_diag_prefix(d, "request %zu (%s)", i, reqs[i].text.action);
            return d->status;
        }
        reqs[i].expect = pc_decision_allowed(dec);
        *(reqs[i].expect ? &g->allow : &g->deny) += 1;
        g->with_errors += pc_decision_error_count(dec) > 0;
    }
    return PC_OK;
}

/* Time one decision: only the call is inside the clock readings. Out of
   line so that callgrind can count it alone (see the top of the file). */
__attribute__((noinline)) static pc_status time_one(const pc_engine *e, const prepared *r, size_t i, req_path which,
                          pc_decision *dec, series *out, pc_diag *d)
{
    const char *name = which == PATH_JSON ? "json" : "text";
    uint64_t t0 = now_ns();
    pc_status st = decide(e, r, which, false, dec, d);
    uint64_t t1 = now_ns();
    if (st != PC_OK) {
        pc_diag_prefix(d, "%s path, request %zu", name, i);
        return st;
    }
    if (pc_decision_allowed(dec) != r->expect)
        return pc_diag_set(d, PC_ERR_STATE, "%s path, request %zu: decided %s, but the "
                           "untimed pass decided %s", name, i,
                           answer(pc_decision_allowed(dec)), answer(r->expect));
    if (!series_add(out, t1 - t0))
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory recording timings");
    return PC_OK;
}

/* Each request through the json path and, if asked, the text path; the
   order alternates so neither path always runs on caches the other warmed. */
static pc_status timed_pass(const pc_engine *e, const prepared *reqs, size_t n, bool text,
                            pc_decision *dec, group *g, pc_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        bool text_first = text && i % 2 == 1;
        if ((text_first &&
             time_one(e, &reqs[i], i, PATH_TEXT, dec, &g->text_path, d) != PC_OK) ||
            time_one(e, &reqs[i], i, PATH_JSON, dec, &g->json_path, d) != PC_OK ||
            (text && !text_first &&
             time_one(e, &reqs[i], i, PATH_TEXT, dec, &g->text_path, d) != PC_OK))
            return d->status;
    }
    return PC_OK;
}

static pc_status write_decisions(const char *dir, const prepared *reqs, size_t n, pc_diag *d)
{
    pc_buf path;
    pc_buf_init(&path);
    pc_buf_printf(&path, "%s/decisions.portcullis", dir);
    FILE *f = path.oom ? NULL : fopen(path.data, "w");
    bool ok = f != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = fprintf(f, "%s\n", answer(reqs[i].expect)) > 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        pc_diag_set(d, PC_ERR_IO, "%s: cannot write the decisions",
                    path.data ? path.data : dir);
    pc_buf_free(&path);
    return d->status;
}

typedef struct options {
    bool text;              /* also time the text path */
    const char *json_out;   /* machine-readable report, or NULL */
} options;

/* Everything for one store: load, link, prepare, decide untimed, time. */
static pc_status run_store(const pc_bench_store *s, const char *dir, const options *o, group *g,
                           pc_diag *d)
{
    char *ents = json_dumps(s->entities, JSON_COMPACT);
    sources src = {s->schema, s->policies, ents, s->schema_len, s->policies_len,
                   ents ? strlen(ents) : 0};
    size_t n = json_array_size(s->requests);
    pc_arena a;
    pc_arena_init(&a, ARENA_BLOCK, 0);
    pc_decision *dec = pc_decision_new();
    pc_engine *e = NULL;
    prepared *reqs = NULL;
    if (!ents || !dec)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory setting up the store");
    else if ((e = load_engine(&src, d)) && link_generated(e, s->links, &a, d) == PC_OK &&
             (reqs = prepare_all(&a, s->requests, d)) &&
             reference_pass(e, reqs, n, dec, g, d) == PC_OK &&
             timed_pass(e, reqs, n, o->text, dec, g, d) == PC_OK &&
             (!dir || write_decisions(dir, reqs, n, d) == PC_OK))
        g->stores++;
    pc_engine_free(e);
    pc_decision_free(dec);
    pc_arena_free(&a);
    free(ents);
    if (d->status != PC_OK)
        pc_diag_prefix(d, "%s N=%u seed %llu%s%s", s->params.app, s->params.n,
                       (unsigned long long)s->params.seed, dir ? " in " : "", dir ? dir : "");
    return d->status;
}

/* ---- the two ways to get stores ------------------------------------------- */

static pc_status run_dirs(char **dirs, int n, const options *o, groups *gs, pc_diag *d)
{
    for (int i = 0; i < n && d->status == PC_OK; i++) {
        pc_bench_store s;
        if (pc_bench_store_read(dirs[i], &s, d) != PC_OK)
            break;
        group *g = group_for(gs, s.params.app, s.params.n, d);
        if (g)
            run_store(&s, dirs[i], o, g, d);
        pc_bench_store_free(&s);
    }
    return d->status;
}

static pc_status run_generated(const pc_bench_params *p, uint64_t stores, const char *data,
                               const options *o, groups *gs, pc_diag *d)
{
    group *g = group_for(gs, p->app, p->n, d);
    for (uint64_t k = 0; g && k < stores && d->status == PC_OK; k++) {
        pc_bench_params one = *p;
        one.seed = p->seed + k;
        pc_bench_store s;
        if (pc_bench_generate(&one, data, &s, d) == PC_OK)
            run_store(&s, NULL, o, g, d);
        pc_bench_store_free(&s);
    }
    return d->status;
}

/* ---- the report ---------------------------------------------------------- */

static void print_report(groups *gs, const options *o)
{
    printf("Portcullis %s, one thread. Timed: json = pc_authorize_json (request already "
           "parsed to JSON values);\n  text = pc_authorize (uids as Cedar text, context "
           "\"{}\"). Latencies in microseconds.\n", PORTCULLIS_VERSION);
    printf("%-17s %4s %6s %7s %6s | %8s %8s %8s %8s %11s | %8s %8s %8s\n", "app", "N", "stores",
           "reqs", "allow%", "mean", "p50", "p90", "p99", "decisions/s", "text p50", "text p99",
           "parse");
    for (size_t i = 0; i < gs->n; i++) {
        group *g = &gs->items[i];
        summary j = summarize(&g->json_path), t = summarize(&g->text_path);
        uint64_t total = g->allow + g->deny;
        printf("%-17s %4u %6u %7llu %6.1f | %8.2f %8.2f %8.2f %8.2f %11.0f", g->app, g->n,
               g->stores, (unsigned long long)total,
               total ? 100.0 * (double)g->allow / (double)total : 0.0, j.mean_ns / 1e3,
               (double)j.p50 / 1e3, (double)j.p90 / 1e3, (double)j.p99 / 1e3, j.per_sec);
        if (o->text)
            printf(" | %8.2f %8.2f %8.2f\n", (double)t.p50 / 1e3, (double)t.p99 / 1e3,
                   ((double)t.p50 - (double)j.p50) / 1e3);
        else
            printf(" | %8s %8s %8s\n", "-", "-", "-");
        if (g->with_errors)
            printf("  (%llu decisions had policy evaluation errors)\n",
                   (unsigned long long)g->with_errors);
    }
}

static json_t *summary_json(series *s)
{
    summary r = summarize(s);
    return json_pack("{s:I,s:f,s:I,s:I,s:I,s:f}", "count", (json_int_t)s->n, "mean_ns",
                     r.mean_ns, "p50_ns", (json_int_t)r.p50, "p90_ns", (json_int_t)r.p90,
                     "p99_ns", (json_int_t)r.p99, "per_sec", r.per_sec);
}

static json_t *group_json(group *g, const options *o)
{
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o*}", "app", g->app, "n", (json_int_t)g->n,
                     "stores", (json_int_t)g->stores, "allow", (json_int_t)g->allow, "deny",
                     (json_int_t)g->deny, "withErrors", (json_int_t)g->with_errors, "json",
                     summary_json(&g->json_path), "text",
                     o->text ? summary_json(&g->text_path) : NULL);
}

static pc_status write_report_json(groups *gs, const options *o, pc_diag *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < gs->n; i++)
        if (json_array_append_new(arr, group_json(&gs->items[i], o)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    json_t *doc = arr ? json_pack("{s:s,s:s,s:s,s:s,s:o}", "engine", "portcullis", "version",
                                  PORTCULLIS_VERSION, "timedJson", "pc_authorize_json",
                                  "timedText", "pc_authorize", "groups", arr)
                      : NULL;
    if (!doc)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory building the JSON report");
    if (json_dump_file(doc, o->json_out, JSON_INDENT(2)) != 0)
        pc_diag_set(d, PC_ERR_IO, "%s: cannot write the JSON report", o->json_out);
    json_decref(doc);
    return d->status;
}

/* ---- the shipped samples ---------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json file names in dir, sorted, in the arena; *n = 0 if dir is missing. */
static char **list_json(pc_arena *a, const char *dir, size_t *n, pc_diag *d)
{
    char **names = pc_arena_alloc(a, MAX_SAMPLE_FILES * sizeof *names);
    DIR *dh = opendir(dir);
    struct dirent *ent;
    *n = 0;
    while (names && dh && (ent = readdir(dh)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len < 5 || strcmp(ent->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == MAX_SAMPLE_FILES) {
            pc_diag_set(d, PC_ERR_LIMIT, "%s: more than %d request files", dir, MAX_SAMPLE_FILES);
            break;
        }
        names[(*n)++] = pc_arena_printf(a, "%s/%s", dir, ent->d_name);
    }
    if (dh)
        closedir(dh);
    if (!names)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory listing %s", dir);
    else
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static json_t *load_json_file(const char *path, pc_diag *d)
{
    json_error_t je;
    json_t *j = json_load_file(path, JSON_ALLOW_NUL, &je);
    if (!j)
        pc_diag_set(d, PC_ERR_INVALID, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return j;
}

/* Decide every request file in dir; each must come out as `allow`. */
static pc_status check_sample_dir(const pc_engine *e, const char *dir, bool allow, pc_arena *a,
                                  size_t *agree, size_t *total, pc_diag *d)
{
    size_t n;
    char **files = list_json(a, dir, &n, d);
    pc_decision *dec = pc_decision_new();
    for (size_t i = 0; files && dec && i < n && d->status == PC_OK; i++) {
        json_t *req = load_json_file(files[i], d);
        prepared r = {0};
        if (req && prepare_one(a, req, i, &r, d) == PC_OK &&
            decide(e, &r, PATH_TEXT, true, dec, d) == PC_OK) {
            bool got = pc_decision_allowed(dec);
            *agree += got == allow;
            *total += 1;
            if (got != allow)
                fprintf(stderr, "MISMATCH %s: Portcullis says %s\n", files[i], answer(got));
        }
        json_decref(req);
    }
    if (!dec)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory for a decision");
    pc_decision_free(dec);
    return d->status;
}

/* The sample's `linked` file: [{template_id, link_id, args:{?principal, ?resource}}]. */
static pc_status link_sample(pc_engine *e, const char *path, pc_diag *d)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return PC_OK;   /* apps without templates have no linked file */
    json_t *links = load_json_file(path, d), *l;
    size_t i;
    json_array_foreach(links, i, l) {
        json_t *args = json_object_get(l, "args");
        if (link_one(e, json_string_value(json_object_get(l, "template_id")),
                     json_string_value(json_object_get(l, "link_id")),
                     json_string_value(json_object_get(args, "?principal")),
                     json_string_value(json_object_get(args, "?resource")), d) != PC_OK)
            break;
    }
    json_decref(links);
    return d->status;
}

static pc_status read_into(pc_arena *a, const char *path, const char **out, size_t *len,
                           pc_diag *d)
{
    char *text = NULL;
    if (pc_read_file(path, PC_MAX_FILE_BYTES, &text, len, d) == PC_OK) {
        pc_str s = pc_arena_str(a, text, *len);
        *out = s.ptr;
        if (!s.ptr)
            pc_diag_set(d, PC_ERR_NOMEM, "out of memory keeping %s", path);
    }
    free(text);
    return d->status;
}

/* One app's sample: returns PC_OK with *total = 0 when the app has none. */
static pc_status check_sample(const char *data, const char *app, size_t *agree, size_t *total,
                              pc_diag *d)
{
    const char *pf, *sf;
    pc_bench_app_files(app, &pf, &sf);
    pc_arena a;
    pc_arena_init(&a, ARENA_BLOCK, 0);
    const char *base = pc_arena_printf(&a, "%s/%s", data, app);
    const char *sample = pc_arena_printf(&a, "%s/sample", base);
    struct stat st;
    sources src = {0};
    pc_engine *e = NULL;
    if (base && sample && stat(sample, &st) == 0 &&
        read_into(&a, pc_arena_printf(&a, "%s/%s", base, sf), &src.schema, &src.schema_len,
                  d) == PC_OK &&
        read_into(&a, pc_arena_printf(&a, "%s/%s", base, pf), &src.policies, &src.policies_len,
                  d) == PC_OK &&
        read_into(&a, pc_arena_printf(&a, "%s/entities.json", sample), &src.entities,
                  &src.entities_len, d) == PC_OK &&
        (e = load_engine(&src, d)) &&
        link_sample(e, pc_arena_printf(&a, "%s/linked", sample), d) == PC_OK &&
        check_sample_dir(e, pc_arena_printf(&a, "%s/allow_requests", sample), true, &a, agree,
                         total, d) == PC_OK)
        check_sample_dir(e, pc_arena_printf(&a, "%s/deny_requests", sample), false, &a, agree,
                         total, d);
    pc_engine_free(e);
    pc_arena_free(&a);
    if (d->status != PC_OK)
        pc_diag_prefix(d, "sample of %s", app);
    return d->status;
}

static int run_samples(const char *data, pc_diag *d)
{
    size_t all = 0, bad = 0;
    for (size_t i = 0; pc_bench_apps[i] && d->status == PC_OK; i++) {
        size_t agree = 0, total = 0;
        if (check_sample(data, pc_bench_apps[i], &agree, &total, d) != PC_OK || total == 0)
            continue;
        printf("sample %-17s %zu/%zu decisions as expected\n", pc_bench_apps[i], agree, total);
        all += total;
        bad += total - agree;
    }
    if (d->status != PC_OK)
        return 1;
    if (all == 0)
        pc_diag_set(d, PC_ERR_IO, "%s: no app has a sample/ folder", data);
    else if (bad)
        pc_diag_set(d, PC_ERR_STATE, "%zu of %zu sample decisions differ from the expected "
                    "(cedar-wasm) ones", bad, all);
    return d->status != PC_OK;
}

/* ---- main --------------------------------------------------------------------- */

static const char USAGE[] =
    "usage: portcullis-bench-engine [--json OUT] [--no-text] STORE_DIR...\n"
    "       portcullis-bench-engine --app APP --n N [--stores K] [--seed S] [--requests R]\n"
    "                               [--p P] [--no-view-quirk] [--data DIR] [--json OUT] "
    "[--no-text]\n"
    "       portcullis-bench-engine --samples OOPSLA_DIR\n";

typedef struct cli {
    options opt;
    pc_bench_params params;
    uint64_t stores;
    const char *data, *samples;
    char **dirs;
    int n_dirs;
} cli;

static pc_status parse_cli(int argc, char **argv, cli *c, pc_diag *d)
{
    for (int i = 1; i < argc && d->status == PC_OK; i++) {
        pc_bench_arg a = {argc, argv, &i, d};
        if (pc_bench_arg_params(&a, &c->params))
            continue;
        if (strcmp(argv[i], "--json") == 0)
            c->opt.json_out = pc_bench_arg_value(&a);
        else if (strcmp(argv[i], "--no-text") == 0)
            c->opt.text = false;
        else if (strcmp(argv[i], "--stores") == 0)
            pc_bench_arg_u64(&a, MAX_STORES, &c->stores);
        else if (strcmp(argv[i], "--data") == 0)
            c->data = pc_bench_arg_value(&a);
        else if (strcmp(argv[i], "--samples") == 0)
            c->samples = pc_bench_arg_value(&a);
        else if (argv[i][0] == '-')
            pc_diag_set(d, PC_ERR_INVALID, "unknown option \"%s\"", argv[i]);
        else
            argv[c->n_dirs++ + 1] = argv[i];   /* compact positionals in place */
    }
    c->dirs = argv + 1;
    if (d->status == PC_OK && !c->samples && !c->params.app && c->n_dirs == 0)
        pc_diag_set(d, PC_ERR_INVALID, "give store directories, --app with --n, or --samples");
    else if (d->status == PC_OK && c->stores == 0)
        pc_diag_set(d, PC_ERR_INVALID, "--stores must be at least 1");
    return d->status;
}

static pc_status run_benchmark(cli *c, groups *gs, pc_diag *d)
{
    if (c->params.app)
        run_generated(&c->params, c->stores, c->data, &c->opt, gs, d);
    else
        run_dirs(c->dirs, c->n_dirs, &c->opt, gs, d);
    if (d->status == PC_OK)
        print_report(gs, &c->opt);
    if (d->status == PC_OK && c->opt.json_out)
        write_report_json(gs, &c->opt, d);
    return d->status;
}

int main(int argc, char **argv)
{
    cli c = {{true, NULL}, {0}, 1, pc_bench_default_data_dir(), NULL, NULL, 0};
    pc_bench_params_init(&c.params, NULL, 0);
    pc_diag d;
    pc_diag_init(&d);
    if (parse_cli(argc, argv, &c, &d) != PC_OK) {
        fprintf(stderr, "portcullis-bench-engine: %s\n%s", d.msg, USAGE);
        pc_diag_clear(&d);
        return 2;
    }
    static groups gs;   /* large; kept off the stack */
    if (c.samples)
        run_samples(c.samples, &d);
    else
        run_benchmark(&c, &gs, &d);
    groups_free(&gs);
    if (d.status != PC_OK) {
        fprintf(stderr, "portcullis-bench-engine: FAILED: %s\n", d.msg);
        pc_diag_clear(&d);
        return 1;
    }
    return 0;
}
