/*
** tests/unit/test_pep.c — the enforcement points: framing and queues, flag
** reading, the PDP client, the MCP gate, and the relay as a whole.
**
** Two stand-ins make this possible without the real daemon or npm:
**
**   a fake PDP   libmicrohttpd on 127.0.0.1 (port 0) or a Unix socket, in
**                this process. Its rule: a request whose JSON mentions
**                "secret" is denied, anything else allowed. Modes make it
**                misbehave (garbage, wrong shape, hang, 500, 401, a batch
**                answer one short) to check that every fault is a refusal.
**   a fake MCP   this very binary, run as `test_pep --fake-mcp-server`:
**   server       it answers every request with the exact line it received
**                (so a test can check byte-for-byte delivery), sends a
**                notification first, serves a fixed tools/list, and can
**                send a big answer or a request of its own.
**
** The relay tests run pc_pep_proxy_run in a thread with pipes on the agent's
** side; every test closes what it opened and joins what it started.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include "pep/pep.h"

#define TIMEOUT_MS 500      /* the client's PDP timeout: ample for a healthy fake on a busy box */
#define HANG_MS 10000       /* how long FAKE_HANG stalls, unless the fake is being stopped */
#define HANG_STEP_MS 10
#define READ_WAIT_MS 5000    /* longest a test waits for a line from the relay */
#define BIG_BYTES (3u << 20) /* a large message that must pass whole */

/* ---- the fake PDP ------------------------------------------------------ */

typedef enum fake_mode {
    FAKE_RULES,        /* deny what mentions "secret", allow the rest */
    FAKE_GARBAGE,      /* 200 with a body that is not JSON */
    FAKE_NOT_DECISION, /* 200 with {"decision": "maybe"} */
    FAKE_NO_ID,        /* 200 with a decision but no decision_id */
    FAKE_HANG,         /* answers correctly, HANG_MS too late (cut short by fake_stop) */
    FAKE_500,
    FAKE_401,
    FAKE_SHORT_BATCH,  /* a batch answer with one result missing */
    FAKE_PENDING_NO_ID /* 200 with "approval_required" but no approval_id */
} fake_mode;

typedef struct fake_pdp {
    struct MHD_Daemon *mhd;
    char url[128];
    char sock_path[64];
    _Atomic fake_mode mode;
    _Atomic bool stopping;   /* fake_stop is waiting: a hanging handler gives up */
    pthread_mutex_t lock;
    char *last_body, *last_auth;
    int requests;
    int approvals_issued;    /* approval requests made so far: ids "ap-1", "ap-2", ... */
    char approved[32];       /* the one approved, unused request id; "" for none */
} fake_pdp;

static fake_pdp pdp_srv;

#define FAKE_APPROVAL_TOOL "crm/pay"   /* the fake's @approval tool */

/*
** The daemon's step-up in small: a call of the approval tool is
** "approval_required" unless it presents the approved id, which it uses up;
** a pending id presented again stays pending; no id makes a new request.
*/
static json_t *fake_step_up(fake_pdp *f, json_t *req)
{
    const char *presented = json_string_value(json_object_get(req, "approval_id"));
    if (presented && !strcmp(presented, f->approved)) {
        f->approved[0] = '\0';
        return json_pack("{s:s, s:[s], s:[], s:s}", "decision", "allow", "reasons",
                         "permit-pay", "errors", "approval_id", presented);
    }
    char id[32];
    if (presented)
        snprintf(id, sizeof id, "%s", presented);
    else
        snprintf(id, sizeof id, "ap-%d", ++f->approvals_issued);
    return json_pack("{s:s, s:[s], s:[], s:s}", "decision", "approval_required", "reasons",
                     "permit-pay", "errors", "approval_id", id);
}

/* The rules: anything that mentions "secret" is denied; the approval tool needs a human. */
static json_t *fake_decide(fake_pdp *f, json_t *req)
{
    json_t *res = json_object_get(req, "resource");
    const char *resource = json_string_value(json_object_get(res, "id"));
    if (resource && !strcmp(resource, FAKE_APPROVAL_TOOL))
        return fake_step_up(f, req);
    char *text = json_dumps(req, JSON_COMPACT);
    bool deny = text && strstr(text, "secret");
    free(text);
    return json_pack("{s:s, s:[s], s:[]}", "decision", deny ? "deny" : "allow", "reasons",
                     deny ? "forbid-secret" : "permit-rest", "errors");
}

static json_t *fake_answer(fake_pdp *f, const char *url, json_t *body)
{
    if (f->mode == FAKE_NOT_DECISION)
        return json_pack("{s:s, s:s}", "decision", "maybe", "decision_id", "x");
    if (f->mode == FAKE_PENDING_NO_ID)
        return json_pack("{s:s, s:s}", "decision", "approval_required", "decision_id", "x");
    if (!strstr(url, "/batch")) {
        json_t *a = fake_decide(f, body);
        if (f->mode != FAKE_NO_ID)
            json_object_set_new(a, "decision_id", json_string("fake-one"));
        return a;
    }
    json_t *results = json_array(), *r;
    size_t i;
    json_array_foreach(json_object_get(body, "requests"), i, r) json_array_append_new(
        results, fake_decide(f, r));
    if (f->mode == FAKE_SHORT_BATCH)
        json_array_remove(results, 0);
    return json_pack("{s:o, s:s}", "results", results, "decision_id", "fake-batch");
}

static enum MHD_Result fake_reply(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static void fake_record(fake_pdp *f, const pc_buf *body, const char *auth)
{
    pthread_mutex_lock(&f->lock);
    free(f->last_body);
    free(f->last_auth);
    f->last_body = strdup(body->data ? body->data : "");
    f->last_auth = auth ? strdup(auth) : NULL;
    f->requests++;
    pthread_mutex_unlock(&f->lock);
}

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **con_cls)
{
    fake_pdp *f = cls;
    (void)method;
    (void)version;
    if (!*con_cls) {
        pc_buf *b = calloc(1, sizeof *b);
        pc_buf_init(b);
        *con_cls = b;
        return MHD_YES;
    }
    pc_buf *body = *con_cls;
    if (*size) {
        pc_buf_append(body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    fake_record(f, body, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
    fake_mode mode = f->mode;
    for (int ms = 0; mode == FAKE_HANG && ms < HANG_MS && !f->stopping; ms += HANG_STEP_MS)
        usleep(HANG_STEP_MS * 1000);
    if (mode == FAKE_GARBAGE)
        return fake_reply(c, 200, "this is not json");
    if (mode == FAKE_500 || mode == FAKE_401)
        return fake_reply(c, mode == FAKE_500 ? 500 : 401, "{\"error\":\"fake trouble\"}");
    json_t *req = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
    json_t *ans = fake_answer(f, url, req);
    char *text = json_dumps(ans, JSON_COMPACT);
    enum MHD_Result ok = fake_reply(c, 200, text);
    free(text);
    json_decref(ans);
    json_decref(req);
    return ok;
}

static void fake_done(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    if (*con_cls) {
        pc_buf_free(*con_cls);
        free(*con_cls);
    }
    *con_cls = NULL;
}

#define FAKE_FLAGS (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION)

/* Start the fake PDP on TCP (unix_sock false) or a Unix socket. */
static void fake_start(bool unix_sock)
{
    fake_pdp *f = &pdp_srv;
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    if (unix_sock) {
        snprintf(f->sock_path, sizeof f->sock_path, "/tmp/pc-pep-test-%d.sock", (int)getpid());
        unlink(f->sock_path);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, f->sock_path);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(fd, 16), 0);
        f->mhd = MHD_start_daemon(FAKE_FLAGS, 0, NULL, NULL, fake_handler, f,
                                  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
                                  fake_done, f, MHD_OPTION_END);
        snprintf(f->url, sizeof f->url, "unix:%.63s", f->sock_path);
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->mhd = MHD_start_daemon(FAKE_FLAGS, 0, NULL, NULL, fake_handler, f, MHD_OPTION_SOCK_ADDR,
                                  &sa, MHD_OPTION_NOTIFY_COMPLETED, fake_done, f, MHD_OPTION_END);
        assert_non_null(f->mhd);
        int port = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
        snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", port);
    }
    assert_non_null(f->mhd);
}

static void fake_stop(void)
{
    pdp_srv.stopping = true;
    if (pdp_srv.mhd)
        MHD_stop_daemon(pdp_srv.mhd);
    if (pdp_srv.sock_path[0])
        unlink(pdp_srv.sock_path);
    free(pdp_srv.last_body);
    free(pdp_srv.last_auth);
    pthread_mutex_destroy(&pdp_srv.lock);
    memset(&pdp_srv, 0, sizeof pdp_srv);
}

static int fake_setup(void **state)
{
    (void)state;
    fake_start(false);
    return 0;
}

static int fake_teardown(void **state)
{
    (void)state;
    fake_stop();
    return 0;
}

/* The last request body the fake PDP saw, parsed (caller decrefs). */
static json_t *fake_last_request(void)
{
    pthread_mutex_lock(&pdp_srv.lock);
    json_t *j = pdp_srv.last_body ? json_loads(pdp_srv.last_body, 0, NULL) : NULL;
    pthread_mutex_unlock(&pdp_srv.lock);
    return j;
}

static int fake_requests(void)
{
    pthread_mutex_lock(&pdp_srv.lock);
    int n = pdp_srv.requests;
    pthread_mutex_unlock(&pdp_srv.lock);
    return n;
}

static pc_pep_pdp *client_for(const char *url, const char *token, uint32_t timeout_ms)
{
    pc_pep_pdp_config cfg = {.url = url, .token = token, .timeout_ms = timeout_ms};
    pc_pep_pdp *p = NULL;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_pep_pdp_new(&cfg, &p, &d), PC_OK);
    pc_diag_clear(&d);
    return p;
}

/* ---- framing ----------------------------------------------------------- */

typedef struct collected {
    pc_buf lines;     /* every line handed over, each followed by '|' */
    int count, oversize;
} collected;

static bool collect_line(void *ctx, const char *p, size_t n)
{
    collected *c = ctx;
    c->count++;
    return pc_buf_append(&c->lines, p, n) && pc_buf_putc(&c->lines, '|');
}

static bool collect_oversize(void *ctx, size_t max)
{
    collected *c = ctx;
    (void)max;
    c->oversize++;
    return true;
}

static bool feed(pc_pep_lines *l, const char *text, const pc_pep_line_sink *sink)
{
    return pc_pep_lines_feed(l, text, strlen(text), sink);
}

static void test_lines_split_across_reads(void **state)
{
    (void)state;
    collected c = {.count = 0};
    pc_buf_init(&c.lines);
    pc_pep_line_sink sink = {collect_line, collect_oversize, &c};
    pc_pep_lines l;
    pc_pep_lines_init(&l, 64);
    assert_true(feed(&l, "{\"a\":1}\n{\"b\"", &sink));
    assert_true(feed(&l, ":2}\r\n\n{\"c\":3}", &sink));
    assert_string_equal(c.lines.data, "{\"a\":1}\n|{\"b\":2}\r\n|\n|");
    assert_true(pc_pep_lines_finish(&l, &sink));   /* the unterminated tail is a line too */
    assert_string_equal(c.lines.data, "{\"a\":1}\n|{\"b\":2}\r\n|\n|{\"c\":3}|");
    assert_int_equal(c.oversize, 0);
    pc_pep_lines_free(&l);
    pc_buf_free(&c.lines);
}

static void test_lines_oversize_skipped_once(void **state)
{
    (void)state;
    collected c = {.count = 0};
    pc_buf_init(&c.lines);
    pc_pep_line_sink sink = {collect_line, collect_oversize, &c};
    pc_pep_lines l;
    pc_pep_lines_init(&l, 8);
    assert_true(feed(&l, "12345", &sink));
    assert_true(feed(&l, "67890", &sink));   /* passes 8: reported now */
    assert_int_equal(c.oversize, 1);
    assert_true(feed(&l, "abcdefghij", &sink)); /* still the same line */
    assert_true(feed(&l, "xyz\nok\n", &sink));
    assert_int_equal(c.oversize, 1);
    assert_string_equal(c.lines.data, "ok\n|");
    assert_true(feed(&l, "123456789\n", &sink)); /* whole line over the bound */
    assert_int_equal(c.oversize, 2);
    assert_true(feed(&l, "1234567\n", &sink));    /* exactly the bound */
    assert_string_equal(c.lines.data, "ok\n|1234567\n|");
    pc_pep_lines_free(&l);
    pc_buf_free(&c.lines);
}

static void test_queue_partial_writes(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
    size_t cap = (size_t)fcntl(fds[1], F_GETPIPE_SZ);
    size_t total = cap * 3;
    char *big = malloc(total);
    for (size_t i = 0; i < total; i++)
        big[i] = (char)('a' + i % 26);
    pc_pep_queue q;
    pc_pep_queue_init(&q);
    assert_true(pc_pep_queue_put(&q, big, total));
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_pep_queue_flush(&q, fds[1], &d), PC_OK);   /* the pipe takes cap */
    assert_int_equal(pc_pep_queue_pending(&q), total - cap);
    char *got = malloc(total);
    size_t have = 0;
    while (have < total) {
        ssize_t n = read(fds[0], got + have, total - have);
        if (n > 0)
            have += (size_t)n;
        assert_int_equal(pc_pep_queue_flush(&q, fds[1], &d), PC_OK);
    }
    assert_memory_equal(got, big, total);
    assert_int_equal(pc_pep_queue_pending(&q), 0);
    close(fds[0]);
    assert_int_equal(pc_pep_queue_put(&q, "x", 1), true);
    assert_int_equal(pc_pep_queue_flush(&q, fds[1], &d), PC_ERR_IO);  /* reader gone: EPIPE */
    assert_non_null(strstr(d.msg, "Broken pipe"));
    pc_diag_clear(&d);
    pc_pep_queue_free(&q);
    close(fds[1]);
    free(big);
    free(got);
}

/* ---- flags --------------------------------------------------------------- */

static void test_config_values(void **state)
{
    (void)state;
    pc_diag d;
    pc_diag_init(&d);
    uint64_t v = 0;
    assert_int_equal(pc_pep_parse_uint("--n", "250", 1, 1000, &v, &d), PC_OK);
    assert_int_equal(v, 250);
    assert_int_equal(pc_pep_parse_uint("--n", "0", 1, 1000, &v, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_parse_uint("--n", "-5", 1, 1000, &v, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_parse_uint("--n", "12ms", 1, 1000, &v, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "--n must be a whole number from 1 to 1000"));
    pc_diag_clear(&d);

    json_t *risks = json_object();
    assert_int_equal(pc_pep_risk_add(risks, "export_records=high", &d), PC_OK);
    assert_string_equal(json_string_value(json_object_get(risks, "export_records")), "high");
    assert_int_equal(pc_pep_risk_add(risks, "export_records=low", &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_risk_add(risks, "x=extreme", &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_risk_add(risks, "=low", &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_true(pc_pep_risk_level_ok(PC_PEP_DEFAULT_RISK));
    assert_false(pc_pep_risk_level_ok("Low"));
    json_decref(risks);

    assert_int_equal(pc_pep_check_name("--server-name", "crm-v2.prod", false, &d), PC_OK);
    assert_int_equal(pc_pep_check_name("--server-name", "a/b", false, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_check_name("--namespace", "Acme::Mcp", true, &d), PC_OK);
    assert_int_equal(pc_pep_check_name("--namespace", "", true, &d), PC_OK);
    assert_int_equal(pc_pep_check_name("--namespace", "Acme::", true, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_equal(pc_pep_check_name("--namespace", "1Acme", true, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);

    json_t *o = pc_pep_object_from_text("--session", "{\"ticket\": \"T-1\"}", &d);
    assert_non_null(o);
    json_decref(o);
    assert_null(pc_pep_object_from_text("--session", "[1]", &d));
    pc_diag_clear(&d);
    assert_null(pc_pep_object_from_text("--session", "{\"a\":1,\"a\":2}", &d));
    pc_diag_clear(&d);
}

static void test_config_pdp_flags(void **state)
{
    (void)state;
    pc_diag d;
    pc_diag_init(&d);
    pc_pep_pdp_config cfg;
    pc_pep_pdp_flags f = {.token = "a", .token_env = "B"};
    assert_int_equal(pc_pep_pdp_flags_resolve(&f, &cfg, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    unsetenv("PC_PEP_TEST_TOKEN");
    f = (pc_pep_pdp_flags){.token_env = "PC_PEP_TEST_TOKEN"};
    assert_int_equal(pc_pep_pdp_flags_resolve(&f, &cfg, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "not set"));
    pc_diag_clear(&d);
    setenv("PC_PEP_TEST_TOKEN", "tok-123", 1);
    assert_int_equal(pc_pep_pdp_flags_resolve(&f, &cfg, &d), PC_OK);
    assert_string_equal(cfg.token, "tok-123");
    assert_string_equal(cfg.url, PC_PEP_DEFAULT_PDP);
    assert_int_equal(cfg.timeout_ms, PC_PEP_DEFAULT_TIMEOUT_MS);
    f = (pc_pep_pdp_flags){.url = "unix:/x.sock", .timeout_ms = "900000"};
    assert_int_equal(pc_pep_pdp_flags_resolve(&f, &cfg, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);

    pc_pep_pdp *p = NULL;
    const char *bad_urls[] = {"ftp://x", "127.0.0.1:8181", "unix:", ""};
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        pc_pep_pdp_config c = {.url = bad_urls[i]};
        assert_int_equal(pc_pep_pdp_new(&c, &p, &d), PC_ERR_INVALID);
        assert_null(p);
        pc_diag_clear(&d);
    }
    pc_pep_pdp_config c = {.url = "http://127.0.0.1:1", .token = "bad token\r\nX-Evil: 1"};
    assert_int_equal(pc_pep_pdp_new(&c, &p, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
}

/* ---- the PDP client --------------------------------------------------- */

static json_t *simple_request(const char *resource)
{
    pc_diag d;
    pc_diag_init(&d);
    json_t *r = pc_pep_request("User::\"alice\"", "Action::\"deploy\"", resource,
                               json_pack("{s:s}", "branch", "main"), &d);
    assert_non_null(r);
    return r;
}

/* Ask the fake PDP (its current mode) about resource; return the outcome, why in *why. */
static pc_pep_outcome ask_fake(pc_pep_pdp *p, const char *resource, char **why)
{
    json_t *r = simple_request(resource);
    pc_pep_verdict v = {0};
    pc_pep_authorize(p, r, &v);
    json_decref(r);
    pc_pep_outcome o = v.outcome;
    assert_non_null(v.why);
    if (why)
        *why = strdup(v.why);
    if (o != PC_PEP_FAULT && pdp_srv.mode == FAKE_RULES)
        assert_string_equal(v.decision_id, "fake-one");
    if (o == PC_PEP_FAULT)
        assert_null(v.decision_id);
    pc_pep_verdict_clear(&v);
    return o;
}

static void test_pdp_allow_deny(void **state)
{
    (void)state;
    pc_pep_pdp *p = client_for(pdp_srv.url, "agent-token", 0);
    char *why = NULL;
    assert_int_equal(ask_fake(p, "Repo::\"web\"", &why), PC_PEP_ALLOW);
    assert_string_equal(why, "permitted by permit-rest");
    free(why);
    assert_int_equal(ask_fake(p, "Repo::\"secret\"", &why), PC_PEP_DENY);
    assert_string_equal(why, "forbidden by forbid-secret");
    free(why);
    assert_string_equal(pdp_srv.last_auth, "Bearer agent-token");
    json_t *sent = fake_last_request();
    assert_string_equal(json_string_value(json_object_get(sent, "principal")), "User::\"alice\"");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "context"),
                                                          "branch")),
                        "main");
    json_decref(sent);
    pc_pep_pdp_free(p);
}

static void test_pdp_unix_socket(void **state)
{
    (void)state;
    fake_start(true);
    pc_pep_pdp *p = client_for(pdp_srv.url, NULL, 0);
    assert_int_equal(ask_fake(p, "Repo::\"web\"", NULL), PC_PEP_ALLOW);
    assert_int_equal(ask_fake(p, "Repo::\"secret\"", NULL), PC_PEP_DENY);
    assert_null(pdp_srv.last_auth);
    pc_pep_pdp_free(p);
    fake_stop();
}

/* Every misbehaviour is a fault, never an allow; and the client recovers after it. */
static void test_pdp_faults(void **state)
{
    (void)state;
    static const struct {
        fake_mode mode;
        const char *says;
    } cases[] = {
        {FAKE_GARBAGE, "not a JSON object"},
        {FAKE_NOT_DECISION, "not a decision"},
        {FAKE_NO_ID, "not a decision"},
        {FAKE_PENDING_NO_ID, "not a decision"},
        {FAKE_500, "HTTP 500: fake trouble"},
        {FAKE_HANG, "imeout"},
    };
    pc_pep_pdp *p = client_for(pdp_srv.url, NULL, TIMEOUT_MS);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pdp_srv.mode = cases[i].mode;
        char *why = NULL;
        assert_int_equal(ask_fake(p, "Repo::\"web\"", &why), PC_PEP_FAULT);
        if (!strstr(why, cases[i].says))
            fail_msg("mode %d: '%s' does not say '%s'", (int)cases[i].mode, why, cases[i].says);
        free(why);
        pdp_srv.mode = FAKE_RULES;
        assert_int_equal(ask_fake(p, "Repo::\"web\"", NULL), PC_PEP_ALLOW);
    }
    pc_pep_pdp_free(p);
}

static void test_pdp_refused_credentials_deny(void **state)
{
    (void)state;
    pc_pep_pdp *p = client_for(pdp_srv.url, "stale", 0);
    pdp_srv.mode = FAKE_401;
    char *why = NULL;
    assert_int_equal(ask_fake(p, "Repo::\"web\"", &why), PC_PEP_DENY);
    assert_non_null(strstr(why, "refused the agent's credentials (HTTP 401): fake trouble"));
    free(why);
    pc_pep_pdp_free(p);
}

static void test_pdp_down(void **state)
{
    (void)state;
    /* Take a port, then give it up: nothing listens there. */
    char url[sizeof pdp_srv.url];
    snprintf(url, sizeof url, "%s", pdp_srv.url);
    fake_stop();
    pc_pep_pdp *p = client_for(url, NULL, 0);
    char *why = NULL;
    assert_int_equal(ask_fake(p, "Repo::\"web\"", &why), PC_PEP_FAULT);
    assert_non_null(strstr(why, url));
    free(why);
    pc_pep_pdp_free(p);
    p = client_for("unix:/nonexistent/pdp.sock", NULL, 0);
    assert_int_equal(ask_fake(p, "Repo::\"web\"", NULL), PC_PEP_FAULT);
    pc_pep_pdp_free(p);
    fake_start(false);   /* for the teardown */
}

static void test_pdp_batch(void **state)
{
    (void)state;
    pc_pep_pdp *p = client_for(pdp_srv.url, NULL, 0);
    json_t *reqs = json_pack("[o, o, o]", simple_request("Repo::\"a\""),
                             simple_request("Repo::\"secret\""), simple_request("Repo::\"b\""));
    pc_pep_verdict v[3] = {{0}};
    pc_pep_authorize_batch(p, reqs, v);
    assert_int_equal(v[0].outcome, PC_PEP_ALLOW);
    assert_int_equal(v[1].outcome, PC_PEP_DENY);
    assert_int_equal(v[2].outcome, PC_PEP_ALLOW);
    assert_string_equal(v[1].decision_id, "fake-batch");
    for (int i = 0; i < 3; i++)
        pc_pep_verdict_clear(&v[i]);
    pdp_srv.mode = FAKE_SHORT_BATCH;
    pc_pep_authorize_batch(p, reqs, v);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(v[i].outcome, PC_PEP_FAULT);
        pc_pep_verdict_clear(&v[i]);
    }
    json_decref(reqs);
    pc_pep_pdp_free(p);
}

/* ---- the gate -------------------------------------------------------------- */

typedef struct gate_fixture {
    pc_pep_gate_config cfg;
    pc_pep_pdp *pdp;
    pc_pep_gate gate;
    pc_pep_queue to_server, to_client;
} gate_fixture;

static gate_fixture gf;

static int gate_setup(void **state)
{
    fake_setup(state);
    memset(&gf, 0, sizeof gf);
    gf.cfg = (pc_pep_gate_config){.principal = "Agent::\"bot\"",
                                  .server = "crm",
                                  .ns = "Mcp",
                                  .risks = json_pack("{s:s}", "export_records", "high"),
                                  .default_risk = PC_PEP_DEFAULT_RISK,
                                  .session = json_pack("{s:s}", "ticket", "T-1")};
    gf.pdp = client_for(pdp_srv.url, NULL, TIMEOUT_MS);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_pep_gate_init(&gf.gate, &gf.cfg, gf.pdp, &d), PC_OK);
    pc_pep_queue_init(&gf.to_server);
    pc_pep_queue_init(&gf.to_client);
    return 0;
}

static int gate_teardown(void **state)
{
    pc_pep_gate_free(&gf.gate);
    pc_pep_pdp_free(gf.pdp);
    json_decref(gf.cfg.risks);
    json_decref(gf.cfg.session);
    pc_pep_queue_free(&gf.to_server);
    pc_pep_queue_free(&gf.to_client);
    return fake_teardown(state);
}

static const char *queued(const pc_pep_queue *q)
{
    return q->buf.data ? q->buf.data + q->off : "";
}

static void drain(void)
{
    pc_pep_queue_free(&gf.to_server);
    pc_pep_queue_free(&gf.to_client);
}

static void from_client(const char *line)
{
    assert_true(pc_pep_gate_client(&gf.gate, line, strlen(line), &gf.to_server, &gf.to_client));
}

static void from_server(const char *line)
{
    assert_true(pc_pep_gate_server(&gf.gate, line, strlen(line), &gf.to_client));
}

/* The one message on to_client, parsed (caller decrefs); fails if there is not exactly one. */
static json_t *client_got(void)
{
    const char *text = queued(&gf.to_client);
    const char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
    json_t *j = json_loadb(text, (size_t)(nl - text), 0, NULL);
    assert_non_null(j);
    return j;
}

#define ECHO_CALL \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}\n"

static const char *tool_name(json_t *tools, size_t i)
{
    return json_string_value(json_object_get(json_array_get(tools, i), "name"));
}

static int error_code(json_t *msg)
{
    return (int)json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
}

static const char *error_text(json_t *msg)
{
    return json_string_value(json_object_get(json_object_get(msg, "error"), "message"));
}

static void test_gate_call_allowed_forwarded_exactly(void **state)
{
    (void)state;
    /* Odd spacing and key order: the server must get these very bytes. */
    const char *line = "{ \"jsonrpc\":\"2.0\",\"params\":{\"arguments\":{\"ids\":[1, 2]},"
                       "\"name\":\"export_records\"},\"method\":\"tools/call\",\"id\":7 }\r\n";
    from_client(line);
    assert_string_equal(queued(&gf.to_server), line);
    assert_string_equal(queued(&gf.to_client), "");
    json_t *sent = fake_last_request();
    json_t *ctx = json_object_get(sent, "context");
    assert_string_equal(json_string_value(json_object_get(sent, "principal")), "Agent::\"bot\"");
    json_t *want_action = json_pack("{s:s, s:s}", "type", "Mcp::Action", "id", "call_tool");
    json_t *want_resource = json_pack("{s:s, s:s}", "type", "Mcp::Tool", "id",
                                      "crm/export_records");
    assert_true(json_equal(json_object_get(sent, "action"), want_action));
    assert_true(json_equal(json_object_get(sent, "resource"), want_resource));
    assert_string_equal(json_string_value(json_object_get(ctx, "phase")), "call");
    assert_string_equal(json_string_value(json_object_get(ctx, "server")), "crm");
    json_t *tool = json_object_get(ctx, "tool");
    assert_string_equal(json_string_value(json_object_get(tool, "risk")), "high");
    assert_true(json_is_false(json_object_get(json_object_get(tool, "hints"), "trusted")));
    assert_int_equal(json_array_size(json_object_get(json_object_get(ctx, "arguments"), "ids")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(ctx, "session"),
                                                          "ticket")),
                        "T-1");
    json_decref(want_action);
    json_decref(want_resource);
    json_decref(sent);
}

static void test_gate_call_denied_never_forwarded(void **state)
{
    (void)state;
    from_client("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"tools/call\","
                "\"params\":{\"name\":\"secret_dump\",\"arguments\":{}}}\n");
    assert_string_equal(queued(&gf.to_server), "");
    json_t *err = client_got();
    assert_string_equal(json_string_value(json_object_get(err, "id")), "abc");
    assert_int_equal(error_code(err), PC_PEP_RPC_DENIED);
    assert_non_null(strstr(error_text(err), "forbidden by forbid-secret"));
    assert_non_null(strstr(error_text(err), "decision fake-one"));
    json_t *data = json_object_get(json_object_get(err, "error"), "data");
    assert_string_equal(json_string_value(json_object_get(data, "decision_id")), "fake-one");
    assert_string_equal(json_string_value(json_array_get(json_object_get(data, "reasons"), 0)),
                        "forbid-secret");
    json_decref(err);
    drain();
    /* The same call as a notification: dropped, and there is nobody to answer. */
    from_client("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\","
                "\"params\":{\"name\":\"secret\"}}\n");
    assert_string_equal(queued(&gf.to_server), "");
    assert_string_equal(queued(&gf.to_client), "");
}

#define PAY_CALL(args) \
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","     \
    "\"params\":{\"name\":\"pay\",\"arguments\":" args "}}\n"

/* The approval id the last PDP request presented, or NULL (caller frees). */
static char *presented_approval(void)
{
    json_t *sent = fake_last_request();
    const char *id = json_string_value(json_object_get(sent, "approval_id"));
    char *copy = id ? strdup(id) : NULL;
    json_decref(sent);
    return copy;
}

/* A call that must wait for approval id want; nothing reaches the server. */
static void expect_approval(const char *line, const char *presented, const char *want)
{
    drain();
    from_client(line);
    char *sent = presented_approval();
    if (presented)
        assert_string_equal(sent, presented);
    else
        assert_null(sent);
    free(sent);
    assert_string_equal(queued(&gf.to_server), "");
    json_t *err = client_got();
    assert_int_equal(error_code(err), PC_PEP_RPC_APPROVAL);
    assert_non_null(strstr(error_text(err), "needs approval"));
    assert_non_null(strstr(error_text(err), want));
    json_t *data = json_object_get(json_object_get(err, "error"), "data");
    assert_string_equal(json_string_value(json_object_get(data, "approval_id")), want);
    assert_string_equal(json_string_value(json_object_get(data, "decision_id")), "fake-one");
    assert_string_equal(json_string_value(json_array_get(json_object_get(data, "reasons"), 0)),
                        "permit-pay");
    json_decref(err);
}

static void test_gate_approval_retry_once(void **state)
{
    (void)state;
    expect_approval(PAY_CALL("{\"amount\":500,\"to\":\"acme\"}"), NULL, "ap-1");
    /* Not approved yet: the retry presents the id and still waits. */
    expect_approval(PAY_CALL("{\"amount\":500,\"to\":\"acme\"}"), "ap-1", "ap-1");
    /* Approved: the same arguments (in another key order) go through, once. */
    snprintf(pdp_srv.approved, sizeof pdp_srv.approved, "ap-1");
    drain();
    const char *line = PAY_CALL("{\"to\":\"acme\",\"amount\":500}");
    from_client(line);
    assert_string_equal(queued(&gf.to_server), line);
    assert_string_equal(queued(&gf.to_client), "");
    char *sent = presented_approval();
    assert_string_equal(sent, "ap-1");
    free(sent);
    /* Used up: the next retry presents nothing and makes a new request. */
    expect_approval(PAY_CALL("{\"amount\":500,\"to\":\"acme\"}"), NULL, "ap-2");
}

static void test_gate_approval_bound_to_arguments(void **state)
{
    (void)state;
    expect_approval(PAY_CALL("{\"amount\":500}"), NULL, "ap-1");
    snprintf(pdp_srv.approved, sizeof pdp_srv.approved, "ap-1");
    /* Another amount is another call: ap-1 is not presented for it. */
    expect_approval(PAY_CALL("{\"amount\":501}"), NULL, "ap-2");
    /* A notification waiting for approval has nobody to tell, and is not forwarded. */
    drain();
    from_client("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\","
                "\"params\":{\"name\":\"pay\",\"arguments\":{\"amount\":7}}}\n");
    assert_string_equal(queued(&gf.to_server), "");
    assert_string_equal(queued(&gf.to_client), "");
}

static void test_gate_fault_is_32603(void **state)
{
    (void)state;
    static const fake_mode modes[] = {FAKE_GARBAGE, FAKE_HANG, FAKE_500, FAKE_NOT_DECISION};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        pdp_srv.mode = modes[i];
        from_client("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
                    "\"params\":{\"name\":\"echo\"}}\n");
        assert_string_equal(queued(&gf.to_server), "");
        json_t *err = client_got();
        assert_int_equal(error_code(err), PC_PEP_RPC_INTERNAL);
        assert_non_null(strstr(error_text(err), "authorization unavailable"));
        json_decref(err);
        drain();
    }
    pdp_srv.mode = FAKE_RULES;   /* back: the next call goes through */
    from_client(ECHO_CALL);
    assert_string_not_equal(queued(&gf.to_server), "");
}

/* An escaped method name is still the method: decoded before it is compared. */
static void test_gate_escaped_method_is_gated(void **state)
{
    (void)state;
    from_client("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools\\/c\\u0061ll\","
                "\"params\":{\"name\":\"secret\"}}\n");
    assert_string_equal(queued(&gf.to_server), "");
    json_t *err = client_got();
    assert_int_equal(error_code(err), PC_PEP_RPC_DENIED);
    json_decref(err);
}

static void test_gate_resources_and_prompts(void **state)
{
    (void)state;
    const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\","
                     "\"params\":{\"uri\":\"file:///srv/data/a.csv\"}}\n";
    from_client(ok);
    assert_string_equal(queued(&gf.to_server), ok);
    json_t *sent = fake_last_request();
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "resource"), "id")),
                        "crm/file:///srv/data/a.csv");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "context"), "uri")),
                        "file:///srv/data/a.csv");
    json_decref(sent);
    drain();
    from_client("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/get\","
                "\"params\":{\"name\":\"leak\",\"arguments\":{\"what\":\"secret\"}}}\n");
    assert_string_equal(queued(&gf.to_server), "");
    json_t *err = client_got();
    assert_int_equal(error_code(err), PC_PEP_RPC_DENIED);
    json_decref(err);
    sent = fake_last_request();
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "action"), "id")),
                        "get_prompt");
    json_decref(sent);
}

static void test_gate_refuses_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int code;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}\n",
         PC_PEP_RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"e\","
         "\"arguments\":[1]}}\n",
         PC_PEP_RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{}}\n",
         PC_PEP_RPC_INVALID_PARAMS},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\n", PC_PEP_RPC_PARSE},
        /* Two "method" keys: a parser that keeps the first would run tools/call. */
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"method\":\"ping\","
         "\"params\":{\"name\":\"e\"}}\n",
         PC_PEP_RPC_PARSE},
        /* The same, spelled differently: keys are compared as decoded. */
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"m\\u0065thod\":\"tools/call\","
         "\"params\":{\"name\":\"e\"}}\n",
         PC_PEP_RPC_PARSE},
        {"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":2,"
         "\"method\":\"tools/call\",\"params\":{\"name\":\"e\"}}]\n",
         PC_PEP_RPC_INVALID_REQUEST},
    };
    int asked = fake_requests();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        from_client(cases[i].line);
        assert_string_equal(queued(&gf.to_server), "");
        const char *text = queued(&gf.to_client);
        json_t *j = json_loads(text, 0, NULL);
        json_t *err = json_is_array(j) ? json_array_get(j, 0) : j;
        if (error_code(err) != cases[i].code)
            fail_msg("case %zu: got %s", i, text);
        json_decref(j);
        drain();
    }
    assert_int_equal(fake_requests(), asked);   /* none of these was worth asking about */
}

static void test_gate_passes_everything_else(void **state)
{
    (void)state;
    const char *lines[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"result\":{\"content\":\"\\u00e9\\u0000x\"}}\n",
        "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}]\n",
        "\r\n",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/calls\"}",   /* unterminated */
    };
    pdp_srv.mode = FAKE_GARBAGE;   /* if anything asked, it would be refused */
    int asked = fake_requests();
    pc_buf want;
    pc_buf_init(&want);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        from_client(lines[i]);
        pc_buf_puts(&want, lines[i]);
    }
    assert_string_equal(queued(&gf.to_server), want.data);
    assert_string_equal(queued(&gf.to_client), "");
    assert_int_equal(fake_requests(), asked);
    pc_buf_clear(&want);
    /* Server to client: requests, notifications, answers with no tools/list pending. */
    const char *from_srv[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"sampling/createMessage\",\"params\":{}}\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"secret\"}]}}\n",
        "not even json\n",
    };
    for (size_t i = 0; i < sizeof from_srv / sizeof from_srv[0]; i++) {
        from_server(from_srv[i]);
        pc_buf_puts(&want, from_srv[i]);
    }
    assert_string_equal(queued(&gf.to_client), want.data);
    pc_buf_free(&want);
}

static const char *const TOOLS_ANSWER =
    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"tools\":["
    "{\"name\":\"echo\",\"annotations\":{\"readOnlyHint\":true,\"title\":\"x\"}},"
    "{\"name\":\"secret_export\",\"annotations\":{\"destructiveHint\":true}},"
    "{\"description\":\"no name\"},"
    "{\"name\":\"wipe\",\"annotations\":{\"destructiveHint\":true,\"idempotentHint\":\"yes\"}}"
    "],\"nextCursor\":\"c2\"}}\n";

static void answer_tools(const char *id)
{
    char line[1024];
    snprintf(line, sizeof line, TOOLS_ANSWER, id);
    from_server(line);
}

static void test_gate_filters_tools_list(void **state)
{
    (void)state;
    const char *req = "{\"jsonrpc\":\"2.0\",\"id\":\"L1\",\"method\":\"tools/list\"}\n";
    from_client(req);
    assert_string_equal(queued(&gf.to_server), req);
    from_server("{\"jsonrpc\":\"2.0\",\"id\":\"L0\",\"result\":{\"tools\":[]}}\n"); /* not ours */
    assert_string_equal(queued(&gf.to_client),
                        "{\"jsonrpc\":\"2.0\",\"id\":\"L0\",\"result\":{\"tools\":[]}}\n");
    drain();
    answer_tools("\"L1\"");
    json_t *ans = client_got();
    json_t *tools = json_object_get(json_object_get(ans, "result"), "tools");
    assert_int_equal(json_array_size(tools), 2);
    assert_string_equal(tool_name(tools, 0), "echo");
    assert_string_equal(tool_name(tools, 1), "wipe");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ans, "result"),
                                                          "nextCursor")),
                        "c2");
    json_decref(ans);
    /* The batch asked with phase "list", no arguments, and the announced hints. */
    json_t *sent = fake_last_request();
    json_t *reqs = json_object_get(sent, "requests");
    assert_int_equal(json_array_size(reqs), 3);
    json_t *ctx = json_object_get(json_array_get(reqs, 2), "context");
    assert_string_equal(json_string_value(json_object_get(ctx, "phase")), "list");
    assert_null(json_object_get(ctx, "arguments"));
    json_t *hints = json_object_get(json_object_get(ctx, "tool"), "hints");
    json_t *want = json_pack("{s:b, s:b}", "trusted", 0, "destructiveHint", 1);
    assert_true(json_equal(hints, want));   /* "yes" is not a boolean: left out */
    json_decref(want);
    json_decref(sent);
    drain();
    /* A later call carries the remembered hints. */
    from_client(ECHO_CALL);
    sent = fake_last_request();
    hints = json_object_get(json_object_get(json_object_get(sent, "context"), "tool"), "hints");
    assert_true(json_is_true(json_object_get(hints, "readOnlyHint")));
    assert_null(json_object_get(hints, "title"));
    json_decref(sent);
    drain();
    /* Answered once: the same id again is not filtered. */
    answer_tools("\"L1\"");
    assert_non_null(strstr(queued(&gf.to_client), "secret_export"));
}

static void test_gate_tools_list_fault(void **state)
{
    (void)state;
    from_client("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}\n");
    drain();
    pdp_srv.mode = FAKE_HANG;
    answer_tools("4");
    json_t *ans = client_got();
    assert_null(json_object_get(ans, "result"));
    assert_int_equal(error_code(ans), PC_PEP_RPC_INTERNAL);
    assert_int_equal(json_integer_value(json_object_get(ans, "id")), 4);
    json_decref(ans);
    drain();
    /* An error answer to a tracked list passes as it is. */
    pdp_srv.mode = FAKE_RULES;
    from_client("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}\n");
    drain();
    const char *err = "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-1,\"message\":\"no\"}}\n";
    from_server(err);
    assert_string_equal(queued(&gf.to_client), err);
}

static void test_gate_oversize_message(void **state)
{
    (void)state;
    assert_true(pc_pep_gate_oversize(&gf.gate, "client", 1024, &gf.to_client));
    json_t *err = client_got();
    assert_true(json_is_null(json_object_get(err, "id")));
    assert_int_equal(error_code(err), PC_PEP_RPC_INVALID_REQUEST);
    assert_non_null(strstr(error_text(err), "longer than 1024 bytes"));
    json_decref(err);
}

/* ---- the relay, with this binary as the MCP server ---------------------- */

/* The fake server: see the file comment. Exits 0 at end of input, or as asked. */
static void srv_send(json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(text);
    json_decref(msg);
}

static void srv_answer(json_t *msg, const char *line, size_t n)
{
    json_t *id = json_object_get(msg, "id");
    const char *method = json_string_value(json_object_get(msg, "method"));
    json_t *params = json_object_get(msg, "params");
    if (!strcmp(method, "exit"))
        exit((int)json_integer_value(json_object_get(params, "code")));
    if (!strcmp(method, "tools/list")) {
        srv_send(json_pack("{s:s, s:O, s:{s:[{s:s}, {s:s}]}}", "jsonrpc", "2.0", "id", id, "result",
                           "tools", "name", "echo", "name", "secret_tool"));
        return;
    }
    if (!strcmp(method, "big")) {
        size_t size = (size_t)json_integer_value(json_object_get(params, "size"));
        char *fill = malloc(size + 1);
        memset(fill, 'x', size);
        fill[size] = '\0';
        srv_send(json_pack("{s:s, s:O, s:{s:s}}", "jsonrpc", "2.0", "id", id, "result", "fill",
                           fill));
        free(fill);
        return;
    }
    if (!strcmp(method, "ask-client"))
        srv_send(json_pack("{s:s, s:s, s:s}", "jsonrpc", "2.0", "id", "srv-1", "method",
                           "sampling/createMessage"));
    srv_send(json_pack("{s:s, s:s, s:{s:s}}", "jsonrpc", "2.0", "method", "notifications/progress",
                       "params", "before", method));
    srv_send(json_pack("{s:s, s:O, s:{s:s%}}", "jsonrpc", "2.0", "id", id, "result", "got", line,
                       n));
}

static int fake_server_main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool linger = false;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        json_t *msg = json_loadb(line, (size_t)n, 0, NULL);
        const char *method = json_string_value(json_object_get(msg, "method"));
        linger = linger || (method && !strcmp(method, "linger"));
        if (method && json_object_get(msg, "id"))
            srv_answer(msg, line, (size_t)n);
        else   /* notifications and the agent's answers: say what arrived */
            srv_send(json_pack("{s:s, s:s, s:{s:s%}}", "jsonrpc", "2.0", "method",
                               "notifications/message", "params", "got", line, (size_t)n));
        json_decref(msg);
    }
    free(line);
    if (linger)   /* a server that does not take end of input as its cue to go */
        sleep(60);
    return 0;
}

typedef struct relay {
    pc_pep_proxy_config cfg;
    int to_proxy, from_proxy;   /* the test's ends, as the agent */
    int stop_w;
    pthread_t thread;
    bool running;               /* the thread is started and not yet joined */
    pc_status status;
    int exit_code;
    pc_buf inbox;               /* bytes read from the proxy, not yet taken as lines */
} relay;

static char self_exe[4096];
static char *const fake_server_argv[] = {self_exe, "--fake-mcp-server", NULL};

static void *relay_thread(void *arg)
{
    relay *r = arg;
    pc_diag d;
    pc_diag_init(&d);
    r->status = pc_pep_proxy_run(&r->cfg, &r->exit_code, &d);
    if (d.msg)
        fprintf(stderr, "relay: %s\n", d.msg);
    pc_diag_clear(&d);
    return NULL;
}

/* Pipes and settings for one session with the fake server; not started. */
static void relay_prepare(relay *r, size_t max_line)
{
    int in[2], out[2], stop[2];
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
    memset(r, 0, sizeof *r);
    r->cfg.gate = (pc_pep_gate_config){.principal = "Agent::\"bot\"",
                                       .server = "fake",
                                       .ns = "",
                                       .risks = json_object(),
                                       .default_risk = PC_PEP_DEFAULT_RISK,
                                       .session = json_object()};
    r->cfg.pdp = (pc_pep_pdp_config){.url = pdp_srv.url, .timeout_ms = TIMEOUT_MS};
    r->cfg.server_argv = fake_server_argv;
    r->cfg.max_line = max_line;
    r->cfg.client_in = in[0];
    r->cfg.client_out = out[1];
    r->cfg.stop_fd = stop[0];
    r->to_proxy = in[1];
    r->from_proxy = out[0];
    r->stop_w = stop[1];
    pc_buf_init(&r->inbox);
}

static void relay_start(relay *r, size_t max_line)
{
    relay_prepare(r, max_line);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_thread, r), 0);
    r->running = true;
}

/* Wait for the session to end by itself (the agent's side stays open). */
static void relay_wait(relay *r)
{
    if (r->running)
        pthread_join(r->thread, NULL);
    r->running = false;
}

/* Close the agent's side, wait for the session to end, release everything. */
static void relay_close(relay *r)
{
    close(r->to_proxy);
    relay_wait(r);
    int fds[] = {r->cfg.client_in, r->cfg.client_out, r->cfg.stop_fd, r->from_proxy, r->stop_w};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    json_decref(r->cfg.gate.risks);
    json_decref(r->cfg.gate.session);
    pc_buf_free(&r->inbox);
}

static void relay_send(relay *r, const char *text)
{
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = write(r->to_proxy, text + done, n - done);
        assert_true(w > 0);
        done += (size_t)w;
    }
}

/* The next line from the proxy (malloc'ed, newline kept), or a failure after READ_WAIT_MS. */
static char *relay_line(relay *r)
{
    static char chunk[65536];
    for (;;) {
        char *nl = r->inbox.data ? memchr(r->inbox.data, '\n', r->inbox.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - r->inbox.data) + 1;
            char *line = strndup(r->inbox.data, n);
            memmove(r->inbox.data, r->inbox.data + n, r->inbox.len - n);
            r->inbox.len -= n;
            return line;
        }
        struct pollfd p = {.fd = r->from_proxy, .events = POLLIN};
        if (poll(&p, 1, READ_WAIT_MS) != 1)
            fail_msg("no line from the proxy within %d ms", READ_WAIT_MS);
        ssize_t n = read(r->from_proxy, chunk, sizeof chunk);
        if (n <= 0)
            fail_msg("the proxy closed its output");
        pc_buf_append(&r->inbox, chunk, (size_t)n);
    }
}

static json_t *relay_json(relay *r)
{
    char *line = relay_line(r);
    json_t *j = json_loads(line, 0, NULL);
    if (!j)
        fail_msg("not JSON from the proxy: %.200s", line);
    free(line);
    return j;
}

/* What the fake server says it received, in an answer ("result") or a note ("params"). */
static const char *got_of(json_t *m)
{
    json_t *where = json_object_get(m, "result") ? json_object_get(m, "result")
                                                 : json_object_get(m, "params");
    return json_string_value(json_object_get(where, "got"));
}

static bool is_progress(json_t *m)
{
    const char *method = json_string_value(json_object_get(m, "method"));
    return method && !strcmp(method, "notifications/progress");
}

/* Read lines until one that is not a progress note. */
static json_t *relay_skip_progress(relay *r)
{
    json_t *m;
    while (is_progress(m = relay_json(r)))
        json_decref(m);
    return m;
}

static void test_relay_order_and_bytes(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    const char *call = "{\"jsonrpc\":\"2.0\", \"id\":1,\"method\":\"tools/call\","
                       "\"params\":{\"name\":\"echo\","
                       "\"arguments\":{\"s\":\"\\u2603 \\\"q\\\"\"}}}\n";
    const char *note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}\n";
    const char *denied = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
                         "\"params\":{\"name\":\"secret_tool\"}}\n";
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n";
    pc_buf all;
    pc_buf_init(&all);
    pc_buf_printf(&all, "%s%s%s%s", call, note, denied, ping);
    relay_send(&r, all.data);   /* one write: the proxy must split and keep the order */
    pc_buf_free(&all);
    /* Six lines come back: the refusal of id 2 (whenever), and the server's five in order. */
    const char *server_saw[] = {NULL, call, note, NULL, ping};   /* NULL: a progress note */
    int next = 0, refusals = 0;
    for (int i = 0; i < 6; i++) {
        json_t *m = relay_json(&r);
        if (json_integer_value(json_object_get(m, "id")) == 2) {
            assert_int_equal(error_code(m), PC_PEP_RPC_DENIED);
            refusals++;
        } else if (server_saw[next]) {
            assert_string_equal(got_of(m), server_saw[next++]);   /* the exact bytes */
        } else {
            assert_true(is_progress(m));
            next++;
        }
        json_decref(m);
    }
    assert_int_equal(refusals, 1);
    relay_close(&r);
    assert_int_equal(r.status, PC_OK);
    assert_int_equal(r.exit_code, 0);
}

static void test_relay_server_requests_and_big_messages(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    relay_send(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ask-client\"}\n");
    json_t *m = relay_json(&r);
    assert_string_equal(json_string_value(json_object_get(m, "method")), "sampling/createMessage");
    json_decref(m);
    json_decref(relay_skip_progress(&r));   /* the answer to ask-client */
    const char *reply = "{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"result\":{\"ok\":true}}\n";
    relay_send(&r, reply);
    m = relay_json(&r);
    assert_string_equal(got_of(m), reply);
    json_decref(m);
    char big_req[128];
    snprintf(big_req, sizeof big_req,
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"big\",\"params\":{\"size\":%u}}\n",
             BIG_BYTES);
    relay_send(&r, big_req);
    m = relay_json(&r);
    assert_int_equal(strlen(json_string_value(json_object_get(json_object_get(m, "result"),
                                                              "fill"))),
                     BIG_BYTES);
    json_decref(m);
    relay_close(&r);
    assert_int_equal(r.status, PC_OK);
}

static void test_relay_tools_list_and_oversize(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 4096);
    relay_send(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}\n");
    json_t *m = relay_json(&r);
    json_t *tools = json_object_get(json_object_get(m, "result"), "tools");
    assert_int_equal(json_array_size(tools), 1);
    assert_string_equal(tool_name(tools, 0), "echo");
    json_decref(m);
    /* Too long for the 4096-byte bound: refused with a clear error, the session goes on. */
    pc_buf big;
    pc_buf_init(&big);
    pc_buf_puts(&big, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"pad\":\"");
    for (int i = 0; i < 8192; i++)
        pc_buf_putc(&big, 'p');
    pc_buf_puts(&big, "\"}}\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n");
    relay_send(&r, big.data);
    pc_buf_free(&big);
    m = relay_json(&r);
    assert_true(json_is_null(json_object_get(m, "id")));
    assert_non_null(strstr(error_text(m), "longer than 4096 bytes"));
    json_decref(m);
    m = relay_skip_progress(&r);
    assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
    json_decref(m);
    relay_close(&r);
    assert_int_equal(r.status, PC_OK);
}

static void test_relay_ends_with_the_server(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    relay_send(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"exit\",\"params\":{\"code\":7}}\n");
    relay_wait(&r);   /* the server exits: the session ends with its code */
    assert_int_equal(r.status, PC_OK);
    assert_int_equal(r.exit_code, 7);
    relay_close(&r);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A signal to the proxy (its stop descriptor) is passed on to the server at once. */
static void test_relay_stop_descriptor(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    relay_send(&r, "{\"jsonrpc\":\"2.0\",\"method\":\"linger\"}\n");
    json_decref(relay_json(&r));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(write(r.stop_w, "x", 1), 1);   /* as a signal handler would */
    relay_wait(&r);
    assert_int_equal(r.status, PC_OK);
    assert_int_equal(r.exit_code, 128 + SIGTERM);   /* no grace: it would have lingered */
    assert_true(elapsed_ms(&t0) < PC_PEP_CHILD_GRACE_MS / 2);
    relay_close(&r);
}

/* A server that ignores the end of its input is stopped with SIGTERM after the grace. */
static void test_relay_terminates_a_lingering_server(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    relay_send(&r, "{\"jsonrpc\":\"2.0\",\"method\":\"linger\"}\n");
    json_decref(relay_json(&r));
    close(r.to_proxy);
    r.to_proxy = -1;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    relay_wait(&r);
    assert_int_equal(r.exit_code, 128 + SIGTERM);
    long ms = elapsed_ms(&t0);
    assert_true(ms >= PC_PEP_CHILD_GRACE_MS - 100 && ms < 3 * PC_PEP_CHILD_GRACE_MS);
    relay_close(&r);
}

static void test_relay_pdp_killed_mid_session(void **state)
{
    (void)state;
    relay r;
    relay_start(&r, 0);
    const char *call = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
                       "\"params\":{\"name\":\"echo\"}}\n";
    char line[256];
    snprintf(line, sizeof line, call, 1);
    relay_send(&r, line);
    json_t *m = relay_skip_progress(&r);
    assert_non_null(json_object_get(m, "result"));
    json_decref(m);
    int port = atoi(strrchr(pdp_srv.url, ':') + 1);
    MHD_stop_daemon(pdp_srv.mhd);   /* the PDP dies; the proxy keeps its address */
    pdp_srv.mhd = NULL;
    snprintf(line, sizeof line, call, 2);
    relay_send(&r, line);
    m = relay_json(&r);
    assert_int_equal(error_code(m), PC_PEP_RPC_INTERNAL);
    json_decref(m);
    /* It comes back on the same port: calls go through again. */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pdp_srv.mhd = MHD_start_daemon(FAKE_FLAGS, 0, NULL, NULL, fake_handler, &pdp_srv,
                                   MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                                   fake_done, &pdp_srv, MHD_OPTION_END);
    assert_non_null(pdp_srv.mhd);
    snprintf(line, sizeof line, call, 3);
    relay_send(&r, line);
    m = relay_skip_progress(&r);
    assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
    assert_non_null(json_object_get(m, "result"));
    json_decref(m);
    relay_close(&r);
}

static void test_relay_cannot_start(void **state)
{
    (void)state;
    static char *const missing[] = {"/nonexistent/mcp-server", NULL};
    relay r;
    relay_prepare(&r, 0);
    r.cfg.server_argv = missing;
    pc_diag d;
    pc_diag_init(&d);
    int code = -1;
    assert_int_equal(pc_pep_proxy_run(&r.cfg, &code, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "cannot start the MCP server '/nonexistent/mcp-server'"));
    pc_diag_clear(&d);
    relay_close(&r);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--fake-mcp-server"))
        return fake_server_main();
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_split_across_reads),
        cmocka_unit_test(test_lines_oversize_skipped_once),
        cmocka_unit_test(test_queue_partial_writes),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_pdp_flags),
        cmocka_unit_test_setup_teardown(test_pdp_allow_deny, fake_setup, fake_teardown),
        cmocka_unit_test(test_pdp_unix_socket),
        cmocka_unit_test_setup_teardown(test_pdp_faults, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_pdp_refused_credentials_deny, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_pdp_down, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_pdp_batch, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_gate_call_allowed_forwarded_exactly, gate_setup,
                                        gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_call_denied_never_forwarded, gate_setup,
                                        gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_fault_is_32603, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_approval_retry_once, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_approval_bound_to_arguments, gate_setup,
                                        gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_escaped_method_is_gated, gate_setup,
                                        gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_resources_and_prompts, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_refuses_malformed, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_passes_everything_else, gate_setup,
                                        gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_filters_tools_list, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_tools_list_fault, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_gate_oversize_message, gate_setup, gate_teardown),
        cmocka_unit_test_setup_teardown(test_relay_order_and_bytes, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_server_requests_and_big_messages, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_tools_list_and_oversize, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_ends_with_the_server, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_stop_descriptor, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_terminates_a_lingering_server, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_pdp_killed_mid_session, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_relay_cannot_start, fake_setup, fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
