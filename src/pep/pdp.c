/*
** pep/pdp.c — asking the decision daemon, and reading its answer strictly.
**
** One libcurl easy handle per client, reused so the connection is kept
** alive between questions (the per-call cost we care about is a few
** hundred microseconds). Every exchange is bounded twice: in time
** (CURLOPT_TIMEOUT_MS covers connect, send and receive) and in size (the
** write callback refuses an answer past PC_PEP_MAX_ANSWER_BYTES).
**
** The answer is trusted only when it is exactly what the daemon's native API
** promises (src/server/native.c): HTTP 200, a JSON object whose "decision" is
** "allow", "deny" or "approval_required" (the last with a string
** "approval_id" naming the approval request), "reasons" and "errors" arrays
** when present, and a string "decision_id". Anything else is a fault. 401 and 403 are the one
** exception: the PDP looked at the agent's credentials and turned them down,
** which is a decision (deny), not an outage.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "pep.h"

#define ROUTE_ONE "/v1/authorize"
#define ROUTE_BATCH "/v1/authorize/batch"
#define UNIX_PREFIX "unix:"
#define UNIX_HOST "http://localhost"   /* curl needs a URL; the socket decides where */
#define BEARER "Authorization: Bearer "

struct pc_pep_pdp {
    CURL *curl;
    struct curl_slist *headers;
    char *url_one, *url_batch;
    char *where;
    char *unix_path;
    uint32_t timeout_ms;
    pc_buf answer;
    bool answer_too_big;
};

/* ---- configuration ----------------------------------------------------- */

/* RFC 6750 token68 characters: nothing that could end or split a header. */
static bool token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > PC_PEP_MAX_TOKEN_BYTES)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=",
                    t[i]))
            return false;
    return true;
}

/* Split the --pdp value into the base URL and, for unix:, the socket path. */
static pc_status parse_url(pc_pep_pdp *p, const char *url, pc_buf *base, pc_diag *d)
{
    size_t n = strlen(url);
    if (n == 0 || n > PC_PEP_MAX_URL_BYTES)
        return pc_diag_set(d, PC_ERR_INVALID, "PDP address must be 1 to %u bytes long",
                           PC_PEP_MAX_URL_BYTES);
    if (!strncmp(url, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
        const char *path = url + strlen(UNIX_PREFIX);
        if (!*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return pc_diag_set(d, PC_ERR_INVALID, "PDP socket path '%s' is empty or longer "
                               "than a Unix socket address allows", path);
        p->unix_path = strdup(path);
        pc_buf_puts(base, UNIX_HOST);
        return p->unix_path ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return pc_diag_set(d, PC_ERR_INVALID, "PDP address '%s' is neither http(s)://HOST:PORT "
                           "nor unix:/PATH", url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    pc_buf_append(base, url, n);
    return PC_OK;
}

static pc_status set_urls(pc_pep_pdp *p, const pc_pep_pdp_config *cfg, pc_diag *d)
{
    pc_buf base;
    pc_buf_init(&base);
    if (parse_url(p, cfg->url, &base, d) == PC_OK) {
        pc_buf one, batch;
        pc_buf_init(&one);
        pc_buf_init(&batch);
        pc_buf_printf(&one, "%s" ROUTE_ONE, base.data);
        pc_buf_printf(&batch, "%s" ROUTE_BATCH, base.data);
        p->url_one = pc_buf_take(&one);
        p->url_batch = pc_buf_take(&batch);
        p->where = strdup(cfg->url);
        if (base.oom || !p->url_one || !p->url_batch || !p->where)
            pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
    }
    pc_buf_free(&base);
    return d->status;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    pc_pep_pdp *p = ud;
    size_t n = size * nmemb;
    if (p->answer.len + n > PC_PEP_MAX_ANSWER_BYTES) {
        p->answer_too_big = true;
        return 0;   /* curl ends the transfer with CURLE_WRITE_ERROR */
    }
    return pc_buf_append(&p->answer, ptr, n) ? n : 0;
}

static bool add_header(pc_pep_pdp *p, const char *h)
{
    struct curl_slist *l = curl_slist_append(p->headers, h);
    if (l)
        p->headers = l;
    return l != NULL;
}

static pc_status set_headers(pc_pep_pdp *p, const char *token, pc_diag *d)
{
    /* "Expect:" turns off 100-continue, which would cost a round trip. */
    bool ok = add_header(p, "Content-Type: application/json") &&
              add_header(p, "Accept: application/json") && add_header(p, "Expect:");
    if (ok && token) {
        pc_buf h;
        pc_buf_init(&h);
        pc_buf_printf(&h, BEARER "%s", token);
        ok = !h.oom && add_header(p, h.data);
        pc_buf_free(&h);
    }
    return ok ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
}

static pc_status set_curl(pc_pep_pdp *p, pc_diag *d)
{
    CURL *c = p->curl;
    long ms = (long)p->timeout_ms;
    bool ok = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEDATA, p) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              (!p->unix_path ||
               curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, p->unix_path) == CURLE_OK);
    return ok ? PC_OK : pc_diag_set(d, PC_ERR_INVALID, "libcurl refused the PDP client's options");
}

pc_status pc_pep_pdp_new(const pc_pep_pdp_config *cfg, pc_pep_pdp **out, pc_diag *d)
{
    *out = NULL;
    uint32_t ms = cfg->timeout_ms ? cfg->timeout_ms : PC_PEP_DEFAULT_TIMEOUT_MS;
    if (ms > PC_PEP_MAX_TIMEOUT_MS)
        return pc_diag_set(d, PC_ERR_INVALID, "PDP timeout %u ms is over the limit of %u ms", ms,
                           PC_PEP_MAX_TIMEOUT_MS);
    if (cfg->token && !token_ok(cfg->token))
        return pc_diag_set(d, PC_ERR_INVALID, "the agent token must be 1 to %u characters from "
                           "A-Z a-z 0-9 - . _ ~ + / =", PC_PEP_MAX_TOKEN_BYTES);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return pc_diag_set(d, PC_ERR_NOMEM, "libcurl could not initialize");
    pc_pep_pdp *p = calloc(1, sizeof *p);
    if (!p) {
        curl_global_cleanup();
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
    }
    pc_buf_init(&p->answer);
    p->timeout_ms = ms;
    p->curl = curl_easy_init();
    if (!p->curl)
        pc_diag_set(d, PC_ERR_NOMEM, "libcurl could not make a handle");
    else if (set_urls(p, cfg, d) == PC_OK && set_headers(p, cfg->token, d) == PC_OK)
        set_curl(p, d);
    if (d->status != PC_OK) {
        pc_pep_pdp_free(p);
        return d->status;
    }
    *out = p;
    return PC_OK;
}

void pc_pep_pdp_free(pc_pep_pdp *p)
{
    if (!p)
        return;
    if (p->curl)
        curl_easy_cleanup(p->curl);
    curl_slist_free_all(p->headers);
    free(p->url_one);
    free(p->url_batch);
    free(p->where);
    free(p->unix_path);
    pc_buf_free(&p->answer);
    free(p);
    curl_global_cleanup();
}

const char *pc_pep_pdp_where(const pc_pep_pdp *p)
{
    return p->where;
}

/* ---- reading answers --------------------------------------------------- */

void pc_pep_verdict_clear(pc_pep_verdict *v)
{
    free(v->why);
    free(v->decision_id);
    json_decref(v->reasons);
    json_decref(v->errors);
    free(v->approval_id);
    memset(v, 0, sizeof *v);
}

static void set_fault(pc_pep_verdict *v, const pc_pep_pdp *p, const char *what)
{
    pc_pep_verdict_clear(v);
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "PDP at %s: %s", p->where, what);
    v->outcome = PC_PEP_FAULT;
    v->why = pc_buf_take(&b);   /* NULL only when out of memory; callers print a fallback */
}

static bool all_strings(json_t *a)
{
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s) if (!json_is_string(s)) return false;
    return true;
}

/* The people's line: who decided, and what went wrong on the way. */
static char *explain(bool allow, json_t *reasons, json_t *errors, const char *error)
{
    pc_buf b;
    pc_buf_init(&b);
    if (error)
        pc_buf_printf(&b, "the PDP could not evaluate the request: %s", error);
    else if (json_array_size(reasons) == 0)
        pc_buf_puts(&b, allow ? "allowed" : "no policy permits it");
    else
        pc_buf_puts(&b, allow ? "permitted by " : "forbidden by ");
    for (size_t i = 0; !error && i < json_array_size(reasons); i++)
        pc_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(json_array_get(reasons, i)));
    if (json_array_size(errors) > 0)
        pc_buf_printf(&b, " (%zu policies failed to evaluate and were skipped)",
                      json_array_size(errors));
    return pc_buf_take(&b);
}

/*
** The outcome a "decision" word stands for, or PC_PEP_FAULT when it is none.
** "approval_required" counts only with an approval id of sensible length:
** without one the agent could never have the call approved.
*/
static pc_pep_outcome outcome_of(const char *dec, const char *approval_id)
{
    size_t n = approval_id ? strlen(approval_id) : 0;
    if (!dec)
        return PC_PEP_FAULT;
    if (!strcmp(dec, "allow"))
        return PC_PEP_ALLOW;
    if (!strcmp(dec, "deny"))
        return PC_PEP_DENY;
    bool pending = !strcmp(dec, "approval_required") && n > 0 && n <= PC_PEP_MAX_APPROVAL_ID_BYTES;
    return pending ? PC_PEP_APPROVAL : PC_PEP_FAULT;
}

/* One decision object into v; false (v untouched) when it is not well-typed. */
static bool read_decision(json_t *a, const char *decision_id, pc_pep_verdict *v)
{
    const char *approval = json_string_value(json_object_get(a, "approval_id"));
    pc_pep_outcome o = outcome_of(json_string_value(json_object_get(a, "decision")), approval);
    json_t *reasons = json_object_get(a, "reasons"), *errors = json_object_get(a, "errors");
    json_t *error = json_object_get(a, "error");
    bool typed = json_is_object(a) && o != PC_PEP_FAULT &&
                 (!reasons || (json_is_array(reasons) && all_strings(reasons))) &&
                 (!errors || json_is_array(errors)) && (!error || json_is_string(error));
    if (!typed)
        return false;
    /* an allow held back for approval was still permitted by its policies */
    bool allow = o != PC_PEP_DENY;
    pc_pep_verdict_clear(v);
    v->outcome = o;
    v->reasons = reasons ? json_incref(reasons) : json_array();
    v->errors = errors ? json_incref(errors) : json_array();
    v->decision_id = strdup(decision_id);
    v->approval_id = o == PC_PEP_APPROVAL ? strdup(approval) : NULL;
    v->why = explain(allow, reasons, errors, json_string_value(error));
    return true;
}

/* 401/403: the PDP turned the agent's credentials down. */
static void set_refused(pc_pep_verdict *v, long status, json_t *body)
{
    const char *msg = json_string_value(json_object_get(body, "error"));
    pc_pep_verdict_clear(v);
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "the PDP refused the agent's credentials (HTTP %ld)%s%s", status,
                  msg ? ": " : "", msg ? msg : "");
    v->outcome = PC_PEP_DENY;
    v->why = pc_buf_take(&b);
    v->reasons = json_array();
    v->errors = json_array();
}

/*
** POST body to url. PC_OK with *answer parsed when the exchange worked and
** the body is a JSON object; otherwise a fault message in d.
*/
static pc_status exchange(pc_pep_pdp *p, const char *url, json_t *body, long *status,
                          json_t **answer, pc_diag *d)
{
    *answer = NULL;
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory encoding the request");
    pc_buf_clear(&p->answer);
    p->answer_too_big = false;
    CURLcode rc = CURLE_OK;
    if (curl_easy_setopt(p->curl, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text)) != CURLE_OK ||
        curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, text) != CURLE_OK)
        pc_diag_set(d, PC_ERR_NOMEM, "libcurl refused the request");
    else if ((rc = curl_easy_perform(p->curl)) != CURLE_OK)
        pc_diag_set(d, PC_ERR_IO, "%s", p->answer_too_big ? "answer larger than the bound"
                                        : curl_easy_strerror(rc));
    free(text);
    if (d->status != PC_OK)
        return d->status;
    curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, status);
    json_error_t je;
    *answer = json_loadb(p->answer.data ? p->answer.data : "", p->answer.len, 0, &je);
    if (!json_is_object(*answer) && *status == 200)
        pc_diag_set(d, PC_ERR_PARSE, "answer is not a JSON object (%s)",
                    *answer ? "wrong type" : je.text);
    return d->status;
}

/* The status-level reading shared by single and batch answers. */
static bool status_ok(pc_pep_pdp *p, long status, json_t *answer, pc_pep_verdict *v, size_t n)
{
    if (status == 200)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (status == 401 || status == 403) {
            set_refused(&v[i], status, answer);
            continue;
        }
        const char *msg = json_string_value(json_object_get(answer, "error"));
        pc_buf b;
        pc_buf_init(&b);
        pc_buf_printf(&b, "HTTP %ld%s%s", status, msg ? ": " : "", msg ? msg : "");
        set_fault(&v[i], p, b.data ? b.data : "unexpected HTTP status");
        pc_buf_free(&b);
    }
    return false;
}

/* Ask; PC_OK with a 200 answer object, else every verdict set (fault or refusal). */
static bool ask(pc_pep_pdp *p, const char *url, json_t *body, pc_pep_verdict *v, size_t n,
                json_t **answer)
{
    long status = 0;
    pc_diag d;
    pc_diag_init(&d);
    bool ok = exchange(p, url, body, &status, answer, &d) == PC_OK &&
              status_ok(p, status, *answer, v, n);
    for (size_t i = 0; d.status != PC_OK && i < n; i++)
        set_fault(&v[i], p, d.msg ? d.msg : "out of memory");
    pc_diag_clear(&d);
    return ok;
}

static const char *decision_id(json_t *answer)
{
    return json_string_value(json_object_get(answer, "decision_id"));
}

void pc_pep_authorize(pc_pep_pdp *p, json_t *request, pc_pep_verdict *out)
{
    json_t *answer = NULL;
    if (ask(p, p->url_one, request, out, 1, &answer) &&
        !(decision_id(answer) && read_decision(answer, decision_id(answer), out)))
        set_fault(out, p, "answer is not a decision (needs \"decision\": \"allow\"|\"deny\", "
                          "\"decision_id\", and arrays for \"reasons\" and \"errors\")");
    json_decref(answer);
}

void pc_pep_authorize_batch(pc_pep_pdp *p, json_t *requests, pc_pep_verdict *out)
{
    size_t n = json_array_size(requests);
    json_t *body = json_pack("{sO}", "requests", requests), *answer = NULL;
    if (!body) {
        for (size_t i = 0; i < n; i++)
            set_fault(&out[i], p, "out of memory");
        return;
    }
    if (ask(p, p->url_batch, body, out, n, &answer)) {
        json_t *results = json_object_get(answer, "results");
        const char *id = decision_id(answer);
        bool ok = id && json_array_size(results) == n;
        for (size_t i = 0; ok && i < n; i++)
            ok = read_decision(json_array_get(results, i), id, &out[i]);
        for (size_t i = 0; !ok && i < n; i++)
            set_fault(&out[i], p, "answer is not one decision per request, with a decision_id");
    }
    json_decref(answer);
    json_decref(body);
}

json_t *pc_pep_request(const char *principal, const char *action, const char *resource,
                       json_t *context, pc_diag *d)
{
    json_t *r = json_pack("{s:s, s:s, s:s, s:o}", "principal", principal, "action", action,
                          "resource", resource, "context", context ? context : json_object());
    if (!r)
        pc_diag_set(d, PC_ERR_INVALID, "principal, action and resource must be UTF-8 text");
    return r;
}
