/*
** server/http.c — libmicrohttpd glue: collecting bodies, routing, answering.
**
** libmicrohttpd calls the access handler several times per request: once
** with the headers (we allocate the exchange), once per body chunk (we copy
** it, up to max_body_bytes; past that we only remember it was too big), and
** once more when the body is complete (we route and answer). The completion
** callback records metrics and frees the exchange, including the snapshot
** reference it took, so a request holds exactly one snapshot from its first
** decision to its last byte.
**
** Every answer carries X-Decision-ID (128 random bits in hex) and echoes
** X-Request-ID. Errors are JSON: {"error": "what is wrong"}.
*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "http.h"
#include "jsonmem.h"

/* ---- routes ---------------------------------------------------------- */

/*
** A route. Decision routes run with their JSON in the thread's arena
** (jsonmem.c): they keep no JSON value past their return. They come first,
** as dispatch looks routes up in this order.
*/
typedef struct route {
    const char *method;
    const char *path;
    pc_srv_handler handler;
    bool decides;
    bool prefix;        /* path is a prefix: the handler reads the rest (an id) */
} route;

static const route routes[] = {
    {"POST", "/access/v1/evaluation", pc_srv_az_evaluation, true, false},
    {"POST", "/access/v1/evaluations", pc_srv_az_evaluations, true, false},
    {"POST", "/v1/authorize", pc_srv_native_authorize, true, false},
    {"POST", "/v1/authorize/batch", pc_srv_native_batch, true, false},
    {"POST", "/access/v1/search/subject", pc_srv_az_search_subject, true, false},
    {"POST", "/access/v1/search/resource", pc_srv_az_search_resource, true, false},
    {"POST", "/access/v1/search/action", pc_srv_az_search_action, true, false},
    {"POST", "/v1/grants/verify", pc_srv_grants_verify, true, false},
    {"GET", "/.well-known/jwks.json", pc_srv_grants_jwks, false, false},
    {"GET", "/healthz", pc_srv_healthz, false, false},
    {"GET", "/readyz", pc_srv_readyz, false, false},
    {"GET", "/metrics", pc_srv_metrics_get, false, false},
    {"GET", "/.well-known/authzen-configuration", pc_srv_az_discovery, false, false},
    {"GET", "/v1/admin/policies", pc_srv_admin_get, false, false},
    {"PUT", "/v1/admin/policies", pc_srv_admin_put, false, false},
    {"GET", "/v1/approvals", pc_srv_approvals_list, false, false},
    {"POST", "/v1/approvals/", pc_srv_approvals_post, false, true},
};

static void run_route(const route *r, pc_srv_exchange *x);

#define N_ROUTES (sizeof routes / sizeof routes[0])

static void dispatch(pc_srv_exchange *x)
{
    bool path_known = false;
    for (size_t i = 0; i < N_ROUTES; i++) {
        const char *p = routes[i].path;
        if (routes[i].prefix ? strncmp(p, x->url, strlen(p)) : strcmp(p, x->url))
            continue;
        path_known = true;
        if (!strcmp(routes[i].method, x->method)) {
            run_route(&routes[i], x);
            return;
        }
    }
    if (path_known)
        pc_srv_fail(x, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s is not allowed on %s", x->method,
                    x->url);
    else
        pc_srv_fail(x, MHD_HTTP_NOT_FOUND, "no such endpoint: %s", x->url);
}

/* ---- helpers for handlers -------------------------------------------- */

uint64_t pc_srv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *pc_srv_header(pc_srv_exchange *x, const char *name)
{
    return MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, name);
}

const char *pc_srv_query(pc_srv_exchange *x, const char *name)
{
    return MHD_lookup_connection_value(x->conn, MHD_GET_ARGUMENT_KIND, name);
}

pc_srv_snapshot *pc_srv_snapshot_get(pc_srv_exchange *x)
{
    if (!x->snap)
        x->snap = pc_srv_slot_acquire(&x->srv->slot);
    return x->snap;
}

void pc_srv_reply(pc_srv_exchange *x, unsigned status)
{
    x->status = status;
}

void pc_srv_fail(pc_srv_exchange *x, unsigned status, const char *fmt, ...)
{
    pc_buf msg;
    pc_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    pc_buf_clear(&x->out);
    x->content_type = NULL;
    pc_buf_puts(&x->out, "{\"error\":");
    if (msg.oom)
        pc_buf_puts(&x->out, "\"out of memory describing the error\"");
    else
        pc_buf_json_string(&x->out, msg.data, msg.len);
    pc_buf_putc(&x->out, '}');
    pc_buf_free(&msg);
    x->status = status;
}

/* Is the media type application/json (parameters such as charset allowed)? */
static bool is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct || strncasecmp(ct, want, sizeof want - 1))
        return false;
    char next = ct[sizeof want - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

json_t *pc_srv_json_body(pc_srv_exchange *x)
{
    const size_t max = x->srv->cfg->max_body_bytes;
    if (!is_json_type(pc_srv_header(x, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "Content-Type must be application/json");
        return NULL;
    }
    if (x->body_too_big) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "request body exceeds the limit of %zu bytes", max);
        return NULL;
    }
    if (x->body_len == 0) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "request body is empty; expected a JSON object");
        return NULL;
    }
    pc_diag d;
    pc_diag_init(&d);
    json_t *root = pc_json_parse(x->body, x->body_len, "request body", &d);
    if (!root) {   /* the same reader as entity files: NUL keys kept, duplicate keys refused */
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "%s%s", d.status == PC_ERR_PARSE ? "malformed JSON: " : "",
                    d.msg ? d.msg : "out of memory");
        pc_diag_clear(&d);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "request body must be a JSON object");
        return NULL;
    }
    return root;
}

/* ---- per-thread decision state --------------------------------------- */

/*
** Random bytes a thread draws at once for decision ids: one call to the RNG
** per this many / 16 requests, since the call costs far more than the bytes.
*/
#define RANDOM_BATCH 1024

/* What each worker thread keeps from request to request, so deciding reuses memory. */
typedef struct worker {
    pc_decision *decision;
    pc_overlay *overlay;
    unsigned char random[RANDOM_BATCH];
    size_t random_used;          /* RANDOM_BATCH: none left */
} worker;

static pthread_key_t worker_key;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;

static void free_worker(void *p)
{
    worker *w = p;
    if (!w)
        return;
    pc_decision_free(w->decision);
    pc_overlay_free(w->overlay);
    pc_srv_jsonmem_thread_exit();   /* destructors run on the exiting thread: it is its arena */
    free(w);
}

static void make_key(void)
{
    pthread_key_create(&worker_key, free_worker);
}

/* This thread's state, made on first use; NULL (and retried next time) when out of memory. */
static worker *this_worker(void)
{
    pthread_once(&worker_once, make_key);
    worker *w = pthread_getspecific(worker_key);
    if (w)
        return w;
    if ((w = calloc(1, sizeof *w)))
        w->random_used = RANDOM_BATCH;
    if (!w || !(w->decision = pc_decision_new()) ||
        !(w->overlay = pc_overlay_new()) || pthread_setspecific(worker_key, w) != 0) {
        free_worker(w);
        return NULL;
    }
    return w;
}

pc_decision *pc_srv_thread_decision(void)
{
    worker *w = this_worker();
    return w ? w->decision : NULL;
}

pc_overlay *pc_srv_thread_overlay(void)
{
    worker *w = this_worker();
    return w ? w->overlay : NULL;
}

/* A decision route runs with the thread's JSON arena, which its worker state frees at exit. */
static void run_route(const route *r, pc_srv_exchange *x)
{
    bool arena = r->decides && this_worker();
    if (arena)
        pc_srv_jsonmem_begin();
    r->handler(x);
    if (arena)
        pc_srv_jsonmem_end();
}

/* ---- the libmicrohttpd callbacks ------------------------------------- */

/* n random bytes from the thread's supply (refilled from the RNG); false if it fails. */
static bool random_bytes(unsigned char *out, size_t n)
{
    worker *w = this_worker();
    if (!w)
        return RAND_bytes(out, (int)n) == 1;
    if (RANDOM_BATCH - w->random_used < n) {
        if (RAND_bytes(w->random, RANDOM_BATCH) != 1)
            return false;
        w->random_used = 0;
    }
    memcpy(out, w->random + w->random_used, n);
    w->random_used += n;   /* each byte serves one id only */
    return true;
}

static void new_decision_id(char out[PC_SRV_DECISION_ID_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[PC_SRV_DECISION_ID_HEX / 2];
    if (!random_bytes(raw, sizeof raw))
        memset(raw, 0, sizeof raw);   /* an all-zero id marks a failed RNG; the answer stands */
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[PC_SRV_DECISION_ID_HEX] = '\0';
}

static pc_srv_exchange *exchange_new(pc_srv *s, struct MHD_Connection *conn, const char *method,
                                     const char *url)
{
    pc_srv_exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->srv = s;
    x->conn = conn;
    x->method = method;
    x->url = url;
    x->started_ns = pc_srv_now_ns();
    pc_buf_init(&x->out);
    new_decision_id(x->decision_id);
    return x;
}

static void exchange_free(pc_srv_exchange *x)
{
    pc_srv_snapshot_unref(x->snap);
    free(x->body);
    pc_buf_free(&x->out);
    free(x);
}

/* The Content-Length the client declared; 0 when it declared none (or nonsense). */
static unsigned long long declared_length(pc_srv_exchange *x)
{
    const char *cl = pc_srv_header(x, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end = NULL;
    unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
    return cl && end != cl ? n : 0;
}

/*
** Room for need body bytes (need is within max_body_bytes): the declared
** length at once when there is one, so a body arriving in many chunks is
** copied once; doubling otherwise.
*/
static bool body_room(pc_srv_exchange *x, size_t need)
{
    if (need <= x->body_cap)
        return true;
    size_t max = x->srv->cfg->max_body_bytes, cap = x->body_cap ? x->body_cap * 2 : 4096;
    unsigned long long declared = declared_length(x);
    if (declared >= need && declared <= max)
        cap = (size_t)declared;
    cap = cap < need ? need : cap > max ? max : cap;
    char *p = realloc(x->body, cap);
    if (!p)
        return false;
    x->body = p;
    x->body_cap = cap;
    return true;
}

/* Copy a body chunk, remembering (not storing) anything past the bound. */
static void take_chunk(pc_srv_exchange *x, const char *data, size_t n)
{
    if (x->body_too_big || n > x->srv->cfg->max_body_bytes - x->body_len) {
        x->body_too_big = true;
        return;
    }
    if (!body_room(x, x->body_len + n)) {
        x->body_too_big = true;   /* no memory to hold it: refuse it like an oversized one */
        return;
    }
    memcpy(x->body + x->body_len, data, n);
    x->body_len += n;
}

static enum MHD_Result send_answer(pc_srv_exchange *x)
{
    if (x->out.oom)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory building the answer");
    else if (x->status == 0)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error: %s %s gave no answer",
                    x->method, x->url);
    size_t len = x->out.len;
    char *body = pc_buf_take(&x->out);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body ? body : (char *)"",
                                                             body ? MHD_RESPMEM_MUST_FREE
                                                                  : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    const char *rid = pc_srv_header(x, "X-Request-ID");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            x->content_type ? x->content_type : "application/json");
    MHD_add_response_header(r, "X-Decision-ID", x->decision_id);
    if (rid)
        MHD_add_response_header(r, "X-Request-ID", rid);
    if (x->challenge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(x->conn, x->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A declared body larger than the bound is refused before it is read. */
static bool declared_too_big(pc_srv_exchange *x)
{
    return declared_length(x) > x->srv->cfg->max_body_bytes;
}

enum MHD_Result pc_srv_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    pc_srv_exchange *x = *state;
    if (!x) {
        if (!(x = exchange_new(cls, conn, method, url)))
            return MHD_NO;
        *state = x;
        if (!declared_too_big(x))
            return MHD_YES;
        x->body_too_big = true;
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "request body exceeds the limit of %zu bytes",
                    x->srv->cfg->max_body_bytes);
        return send_answer(x);
    }
    if (*upload_size) {
        take_chunk(x, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (x->status)   /* answered early (oversized); libmicrohttpd drains or closes */
        return MHD_YES;
    dispatch(x);
    return send_answer(x);
}

void pc_srv_on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)conn;
    (void)why;
    pc_srv_exchange *x = *state;
    if (!x)
        return;
    pc_srv_metrics_request(&x->srv->metrics, x->status, pc_srv_now_ns() - x->started_ns);
    pc_srv_metrics_decisions(&x->srv->metrics, x->outcomes);
    exchange_free(x);
    *state = NULL;
}
