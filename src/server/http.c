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

/* ---- routes ---------------------------------------------------------- */

typedef struct route {
    const char *method;
    const char *path;
    pc_srv_handler handler;
} route;

static const route routes[] = {
    {"GET", "/healthz", pc_srv_healthz},
    {"GET", "/readyz", pc_srv_readyz},
    {"GET", "/metrics", pc_srv_metrics_get},
    {"GET", "/.well-known/authzen-configuration", pc_srv_az_discovery},
    {"POST", "/access/v1/evaluation", pc_srv_az_evaluation},
    {"POST", "/access/v1/evaluations", pc_srv_az_evaluations},
    {"POST", "/access/v1/search/subject", pc_srv_az_search_subject},
    {"POST", "/access/v1/search/resource", pc_srv_az_search_resource},
    {"POST", "/access/v1/search/action", pc_srv_az_search_action},
    {"POST", "/v1/authorize", pc_srv_native_authorize},
    {"POST", "/v1/authorize/batch", pc_srv_native_batch},
    {"GET", "/v1/admin/policies", pc_srv_admin_get},
    {"PUT", "/v1/admin/policies", pc_srv_admin_put},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static void dispatch(pc_srv_exchange *x)
{
    bool path_known = false;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (strcmp(routes[i].path, x->url))
            continue;
        path_known = true;
        if (!strcmp(routes[i].method, x->method)) {
            routes[i].handler(x);
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
    if (x->body.len == 0) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "request body is empty; expected a JSON object");
        return NULL;
    }
    pc_diag d;
    pc_diag_init(&d);
    json_t *root = pc_json_parse(x->body.data, x->body.len, "request body", &d);
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

/* ---- thread-local decisions ------------------------------------------ */

static pthread_key_t decision_key;
static pthread_once_t decision_once = PTHREAD_ONCE_INIT;

static void free_decision(void *d)
{
    pc_decision_free(d);
}

static void make_key(void)
{
    pthread_key_create(&decision_key, free_decision);
}

pc_decision *pc_srv_thread_decision(void)
{
    pthread_once(&decision_once, make_key);
    pc_decision *d = pthread_getspecific(decision_key);
    if (!d && (d = pc_decision_new()) && pthread_setspecific(decision_key, d) != 0) {
        pc_decision_free(d);
        d = NULL;
    }
    return d;
}

/* ---- the libmicrohttpd callbacks ------------------------------------- */

static void new_decision_id(char out[PC_SRV_DECISION_ID_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[PC_SRV_DECISION_ID_HEX / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
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
    pc_buf_init(&x->body);
    pc_buf_init(&x->out);
    new_decision_id(x->decision_id);
    return x;
}

static void exchange_free(pc_srv_exchange *x)
{
    pc_srv_snapshot_unref(x->snap);
    pc_buf_free(&x->body);
    pc_buf_free(&x->out);
    free(x);
}

/* Copy a body chunk, remembering (not storing) anything past the bound. */
static void take_chunk(pc_srv_exchange *x, const char *data, size_t n)
{
    if (x->body_too_big || x->body.len + n > x->srv->cfg->max_body_bytes) {
        x->body_too_big = true;
        return;
    }
    if (!pc_buf_append(&x->body, data, n))
        x->body_too_big = true;   /* no memory to hold it: refuse it like an oversized one */
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
    const char *cl = pc_srv_header(x, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return false;
    char *end = NULL;
    unsigned long long n = strtoull(cl, &end, 10);
    return end != cl && n > x->srv->cfg->max_body_bytes;
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
