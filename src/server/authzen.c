/*
** server/authzen.c — AuthZEN Authorization API 1.0: evaluation, batch
** evaluations and discovery.
**
** A batch applies the top-level subject, action, resource and context as
** defaults; an item's key replaces the default whole (no merging inside an
** entity). An item that is malformed or cannot be evaluated answers
** {"decision": false, "context": {"error": "..."}} and the batch goes on; only
** a malformed envelope (evaluations not an array, unknown semantic, too many
** items) is a 400. `evaluations_semantic` may stop the batch early: the
** answer then holds the items decided so far, the stopping one included.
** A batch without items is an evaluation of the defaults.
**
** The caller's bearer token (caller.h) is verified once per HTTP request
** and binds every evaluation in it: the subject becomes the token's, and a
** rejected token makes each one false with the reason in context.error.
** Every evaluation is logged (journal.c). An allow determined by an
** @approval policy (stepup.c) is false with context.access_request naming
** the pending approval; the client retries with its id in X-Approval-Id.
*/
#include <string.h>

#include <microhttpd.h>

#include "authzen.h"

#define STEPUP_ARENA_BLOCK 512
#define APPROVAL_HEADER "X-Approval-Id"   /* the context is bound, so the id cannot ride in it */

typedef enum semantic { EXECUTE_ALL, DENY_ON_FIRST_DENY, PERMIT_ON_FIRST_PERMIT } semantic;

/*
** What the evaluations of one HTTP request share, reused from item to item:
** the caller (identified once), the query, and the current item's
** step-up (its strings in a) and explanation.
*/
typedef struct session {
    pc_srv_caller c;
    pc_srv_az_query q;
    pc_arena a;
    pc_srv_approval ap;
    pc_buf why;
} session;

static void session_open(pc_srv_exchange *x, session *s)
{
    pc_srv_caller_init(&s->c);
    pc_srv_caller_identify(x, NULL, &s->c);
    pc_srv_az_query_init(&s->q);
    pc_arena_init(&s->a, STEPUP_ARENA_BLOCK, 0);
    memset(&s->ap, 0, sizeof s->ap);
    pc_buf_init(&s->why);
}

static void session_close(session *s)
{
    pc_srv_caller_clear(&s->c);
    pc_srv_az_query_free(&s->q);
    pc_arena_free(&s->a);
    pc_buf_free(&s->why);
}

/* Step-up after an allow (stepup.c), the approval id presented in a header. */
static pc_srv_az_verdict step_up(pc_srv_exchange *x, session *s, const pc_decision *dec)
{
    const pc_uid *uids[3] = {&s->q.principal, &s->q.action, &s->q.resource};
    pc_diag d;
    pc_diag_init(&d);
    pc_srv_az_verdict v = PC_SRV_AZ_ALLOW;
    if (pc_srv_step_up(x, dec, uids, s->q.context, pc_srv_header(x, APPROVAL_HEADER), &s->a,
                       &s->ap, &d) != PC_OK) {
        pc_buf_puts(&s->why, d.msg ? d.msg : "approval: out of memory");
        v = PC_SRV_AZ_FAILED;
    }
    pc_diag_clear(&d);
    return v;
}

/*
** Decide one AuthZEN input; s->why explains anything but a clean allow or
** deny. An allow held back for approval is a deny with s->ap pending.
*/
static pc_srv_az_verdict evaluate(pc_srv_exchange *x, session *s, const pc_srv_az_input *in,
                                  size_t item, bool in_batch)
{
    const pc_srv_mapping *m = &x->srv->cfg->map;
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    pc_srv_entry where = {.item = item, .in_batch = in_batch, .started_ns = pc_srv_now_ns()};
    pc_decision *dec = pc_srv_thread_decision();
    pc_buf_clear(&s->why);
    pc_arena_reset(&s->a);
    memset(&s->ap, 0, sizeof s->ap);
    pc_srv_az_verdict v = pc_srv_az_prepare(x->srv->cfg, snap, &s->c, in, PC_SRV_AZ_NONE,
                                            pc_srv_thread_overlay(), &s->q, &s->why);
    if (v == PC_SRV_AZ_ALLOW)
        v = pc_srv_az_decide(snap, m, &s->q, dec, &s->why);
    if (v == PC_SRV_AZ_ALLOW)
        v = step_up(x, s, dec);
    bool pending = v == PC_SRV_AZ_ALLOW && s->ap.required && !s->ap.granted;
    where.approval_id = s->ap.id;
    where.approval_pending = pending;
    if (v != PC_SRV_AZ_INVALID)
        v = pc_srv_az_journal(x, &s->c, &s->q, v, dec, &where, &s->why);
    if (v == PC_SRV_AZ_ALLOW && pending)
        v = PC_SRV_AZ_DENY;
    else
        memset(&s->ap, 0, sizeof s->ap);   /* only a pending request is shown */
    pc_srv_az_count(x, v);
    return v;
}

/*
** {"decision": b}; for a failure {"decision": false, "context": {"error":
** why}}; held for approval {"decision": false, "context":
** {"access_request": {"approval_id": ..., "expires_at": ...}}}.
*/
static void put_decision(pc_buf *out, pc_srv_az_verdict v, const session *s)
{
    if (v == PC_SRV_AZ_DENY && s->ap.id) {
        pc_buf_puts(out, "{\"decision\":false,\"context\":{\"access_request\":{");
        pc_srv_approval_json(out, &s->ap);
        pc_buf_puts(out, "}}}");
    } else if (v == PC_SRV_AZ_ALLOW || v == PC_SRV_AZ_DENY) {
        pc_buf_puts(out, v == PC_SRV_AZ_ALLOW ? "{\"decision\":true}" : "{\"decision\":false}");
    } else {
        pc_buf_puts(out, "{\"decision\":false,\"context\":{\"error\":");
        pc_buf_json_string(out, s->why.data ? s->why.data : "", s->why.len);
        pc_buf_puts(out, "}}");
    }
}

static pc_srv_az_input input_of(json_t *obj)
{
    pc_srv_az_input in = {json_object_get(obj, "subject"), json_object_get(obj, "action"),
                          json_object_get(obj, "resource"), json_object_get(obj, "context")};
    return in;
}

/* A single evaluation: a malformed input is a 400, anything else a decision. */
static void answer_single(pc_srv_exchange *x, json_t *root)
{
    session s;
    session_open(x, &s);
    pc_srv_az_input in = input_of(root);
    pc_srv_az_verdict v = evaluate(x, &s, &in, 0, false);
    if (v == PC_SRV_AZ_INVALID) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "%s", s.why.data ? s.why.data : "invalid request");
    } else {
        put_decision(&x->out, v, &s);
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    session_close(&s);
}

void pc_srv_az_evaluation(pc_srv_exchange *x)
{
    json_t *root = pc_srv_json_body(x);
    if (!root)
        return;
    answer_single(x, root);
    json_decref(root);
}

/* options.evaluations_semantic; false (after answering 400) when unusable. */
static bool read_semantic(pc_srv_exchange *x, json_t *root, semantic *out)
{
    static const char *const names[] = {"execute_all", "deny_on_first_deny",
                                        "permit_on_first_permit"};
    json_t *options = json_object_get(root, "options");
    json_t *sem = json_object_get(options, "evaluations_semantic");
    *out = EXECUTE_ALL;
    if (options && !json_is_object(options)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "options must be an object");
        return false;
    }
    if (!sem)
        return true;
    for (int i = 0; i < 3; i++)
        if (json_is_string(sem) && !strcmp(json_string_value(sem), names[i])) {
            *out = (semantic)i;
            return true;
        }
    pc_srv_fail(x, MHD_HTTP_BAD_REQUEST,
                "options.evaluations_semantic must be execute_all, deny_on_first_deny or "
                "permit_on_first_permit");
    return false;
}

/* An item's input: its own keys, else the top-level defaults. */
static pc_srv_az_input merge_item(const pc_srv_az_input *defaults, json_t *item)
{
    pc_srv_az_input in = *defaults;
    json_t *v;
    if ((v = json_object_get(item, "subject")))
        in.subject = v;
    if ((v = json_object_get(item, "action")))
        in.action = v;
    if ((v = json_object_get(item, "resource")))
        in.resource = v;
    if ((v = json_object_get(item, "context")))
        in.context = v;
    return in;
}

static bool stops(semantic sem, pc_srv_az_verdict v)
{
    return (sem == DENY_ON_FIRST_DENY && v != PC_SRV_AZ_ALLOW) ||
           (sem == PERMIT_ON_FIRST_PERMIT && v == PC_SRV_AZ_ALLOW);
}

static void answer_batch(pc_srv_exchange *x, json_t *root, json_t *items, semantic sem)
{
    pc_srv_az_input defaults = input_of(root);
    session s;
    session_open(x, &s);
    pc_buf_puts(&x->out, "{\"evaluations\":[");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *item = json_array_get(items, i);
        pc_srv_az_input in = merge_item(&defaults, item);
        pc_srv_az_verdict v;
        if (json_is_object(item)) {
            v = evaluate(x, &s, &in, i, true);
        } else {
            pc_buf_clear(&s.why);
            memset(&s.ap, 0, sizeof s.ap);
            pc_buf_printf(&s.why, "evaluations[%zu] must be an object", i);
            v = PC_SRV_AZ_INVALID;
            pc_srv_az_count(x, v);
        }
        if (i > 0)
            pc_buf_putc(&x->out, ',');
        put_decision(&x->out, v, &s);
        if (stops(sem, v))
            break;
    }
    pc_buf_puts(&x->out, "]}");
    session_close(&s);
    pc_srv_reply(x, MHD_HTTP_OK);
}

void pc_srv_az_evaluations(pc_srv_exchange *x)
{
    json_t *root = pc_srv_json_body(x);
    if (!root)
        return;
    json_t *items = json_object_get(root, "evaluations");
    semantic sem;
    size_t limit = x->srv->cfg->max_batch_items;
    if (items && !json_is_array(items))
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "evaluations must be an array");
    else if (json_array_size(items) > limit)
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "evaluations has %zu items; the limit is %zu",
                    json_array_size(items), limit);
    else if (read_semantic(x, root, &sem)) {
        if (json_array_size(items) == 0)
            answer_single(x, root);
        else
            answer_batch(x, root, items, sem);
    }
    json_decref(root);
}

/* ---- discovery ------------------------------------------------------- */

/* The base URL: configured, or http://<Host> as the client reached us. */
static bool base_url(pc_srv_exchange *x, pc_buf *out)
{
    const char *configured = x->srv->cfg->map.base_url;
    if (configured)
        return pc_buf_puts(out, configured);
    const char *host = pc_srv_header(x, MHD_HTTP_HEADER_HOST);
    return pc_buf_printf(out, "http://%s", host ? host : "localhost");
}

void pc_srv_az_discovery(pc_srv_exchange *x)
{
    static const struct {
        const char *key, *path;
    } endpoints[] = {
        {"access_evaluation_endpoint", "/access/v1/evaluation"},
        {"access_evaluations_endpoint", "/access/v1/evaluations"},
        {"search_subject_endpoint", "/access/v1/search/subject"},
        {"search_resource_endpoint", "/access/v1/search/resource"},
        {"search_action_endpoint", "/access/v1/search/action"},
    };
    pc_buf url;
    pc_buf_init(&url);
    pc_buf *out = &x->out;
    size_t base_len = base_url(x, &url) ? url.len : 0;
    pc_buf_puts(out, "{\"policy_decision_point\":");
    pc_buf_json_string(out, url.data ? url.data : "", base_len);
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        url.len = base_len;   /* keep the base, replace the path */
        pc_buf_puts(&url, endpoints[i].path);
        pc_buf_printf(out, ",\"%s\":", endpoints[i].key);
        pc_buf_json_string(out, url.data ? url.data : "", url.len);
    }
    pc_buf_putc(out, '}');
    pc_buf_free(&url);
    pc_srv_reply(x, MHD_HTTP_OK);
}
