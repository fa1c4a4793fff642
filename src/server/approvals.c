/*
** server/approvals.c — approvers act over HTTP, under the same rules as
** the CLI (audit/approval.h):
**
**   GET  /v1/approvals[?state=S]          requests in state S (pending by
**                                         default; approved, denied,
**                                         consumed, expired or all)
**   POST /v1/approvals/{id}/approve       {"reason": "..."} (required)
**   POST /v1/approvals/{id}/deny          {"reason": "..."} (required)
**
** Who acts is never taken from the body: it is the caller's verified
** identity (caller.h, a bearer token from a trusted issuer). Without one
** the answer is 401, for listing too, since pending requests say who wants
** to do what. Whether that identity may decide is a Cedar decision of the
** serving policy set (pc_approval_cedar_hook: principal = the approver,
** Action::"approve", Approval::"<id>"), so the rule lives with the
** policies it guards and reloads with them.
**
** The library refuses a verdict with one status for every reason; an
** approver needs to know whether trying again can help, so we tell them
** apart: the policy or the self-approval rule says no (403: not you), the
** request is no longer pending or has expired (409: not any more), no such
** request (404). Each verdict that reached the library, refused or not, is
** a decision and goes into the decision log like any other.
*/
#include <string.h>

#include <microhttpd.h>

#include "audit/approval.h"
#include "caller.h"

#define PREFIX "/v1/approvals/"
#define APPROVE_ACTION "approve"
#define RESOURCE_TYPE "Approval"
#define STATE_ALL "all"
#define STATE_EXPIRED "expired"
#define ARENA_BLOCK 1024

/* ---- who is asking ------------------------------------------------------- */

/*
** The verified approver as canonical uid text (in a), or NULL after
** answering 401 with why.
*/
static const char *approver_of(pc_srv_exchange *x, pc_srv_caller *c, pc_arena *a)
{
    pc_srv_who who = pc_srv_caller_identify(x, NULL, c);
    x->challenge = who != PC_SRV_VERIFIED;
    if (who == PC_SRV_REJECTED) {
        pc_srv_fail(x, MHD_HTTP_UNAUTHORIZED, "%s", c->why.data ? c->why.data : "identity: rejected");
        return NULL;
    }
    if (who == PC_SRV_ANONYMOUS) {
        pc_srv_fail(x, MHD_HTTP_UNAUTHORIZED, "approvals: no verified identity: send "
                    "Authorization: Bearer TOKEN from a trusted issuer (identity.issuer.NAME)");
        return NULL;
    }
    pc_uid u = pc_srv_caller_principal(c);
    const char *text = pc_uid_text(a, &u);
    if (!text)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory reading the approver");
    return text;
}

/* The approvals store, or NULL after answering 404 (this daemon keeps none). */
static pc_store *store_of(pc_srv_exchange *x)
{
    if (!x->srv->approvals)
        pc_srv_fail(x, MHD_HTTP_NOT_FOUND,
                    "approvals: this daemon keeps no approval requests (approvals.db is not set)");
    return x->srv->approvals;
}

/* ---- GET /v1/approvals --------------------------------------------------- */

typedef struct lister {
    pc_buf *out;
    const char *state; /* a pc_approval_status name; NULL: all */
    int64_t now_us;
    size_t n;
} lister;

static bool list_one(void *ctx, const pc_approval *a)
{
    lister *l = ctx;
    /* a malformed row is shown whatever the filter: it must not hide */
    if (l->state && !a->malformed && strcmp(pc_approval_status(a, l->now_us), l->state) != 0)
        return true;
    if (l->n++ > 0)
        pc_buf_putc(l->out, ',');
    return pc_approval_json(l->out, a, l->now_us);
}

static bool known_state(const char *s)
{
    pc_approval_state st;
    return !strcmp(s, STATE_ALL) || !strcmp(s, STATE_EXPIRED) || pc_approval_state_parse(s, &st);
}

/* Write the list of requests in state (a known_state name) into x->out. */
static void list_into(pc_srv_exchange *x, pc_store *s, const char *state)
{
    lister l = {&x->out, strcmp(state, STATE_ALL) ? state : NULL, pc_time_now_us(), 0};
    pc_diag d;
    pc_diag_init(&d);
    pc_buf_puts(&x->out, "{\"approvals\":[");
    if (s->ops->approval_list(s, -1, list_one, &l, &d) != PC_OK)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "approvals: %s",
                    d.msg ? d.msg : "the store failed");
    else if (!pc_buf_puts(&x->out, "]}") || x->out.oom)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory listing approvals");
    else
        pc_srv_reply(x, MHD_HTTP_OK);
    pc_diag_clear(&d);
}

void pc_srv_approvals_list(pc_srv_exchange *x)
{
    pc_store *s = store_of(x);
    if (!s)
        return;
    pc_arena a;
    pc_arena_init(&a, ARENA_BLOCK, 0);
    pc_srv_caller c;
    pc_srv_caller_init(&c);
    const char *state = pc_srv_query(x, "state");
    state = state ? state : "pending";
    if (!approver_of(x, &c, &a))
        ;   /* answered 401 */
    else if (!known_state(state))
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "approvals: unknown state '%s' (pending, approved, "
                    "denied, consumed, expired or all)", state);
    else
        list_into(x, s, state);
    pc_srv_caller_clear(&c);
    pc_arena_free(&a);
}

/* ---- POST /v1/approvals/{id}/approve|deny -------------------------------- */

/* One verdict being made: what was asked, and what became of it. */
typedef struct verdict {
    pc_srv_exchange *x;
    pc_approval_verdict v;
    pc_approval_cedar cedar;
    bool asked, allowed;      /* the policy was consulted; it said yes */
    pc_approval req;          /* the request as it was before deciding */
    pc_uid approver;          /* the verified caller (v.approver is its text) */
    const char *issuer;
    int64_t now_us;
} verdict;

/* The Cedar hook, remembering what it said (to tell 403 from 409 afterwards). */
static pc_status hook(void *ctx, pc_str approver, const pc_approval *req, bool approve,
                      bool *allowed, pc_diag *d)
{
    verdict *vd = ctx;
    vd->asked = true;
    pc_status st = pc_approval_cedar_hook(&vd->cedar, approver, req, approve, allowed, d);
    vd->allowed = st == PC_OK && *allowed;
    return st;
}

/* "/v1/approvals/ID/VERB" into id and verb (in a); false when it has another shape. */
static bool parse_path(pc_arena *a, const char *url, const char **id, bool *approve)
{
    const char *rest = url + strlen(PREFIX);
    const char *slash = strchr(rest, '/');
    if (!slash || slash == rest || strchr(slash + 1, '/'))
        return false;
    *approve = !strcmp(slash + 1, APPROVE_ACTION);
    if (!*approve && strcmp(slash + 1, "deny"))
        return false;
    *id = pc_arena_str(a, rest, (size_t)(slash - rest)).ptr;
    return *id != NULL;
}

/* The HTTP status for a refused verdict (d says why). */
static unsigned refusal_status(const verdict *vd, pc_status st)
{
    if (st == PC_ERR_INVALID || st == PC_ERR_LIMIT)
        return MHD_HTTP_BAD_REQUEST;
    if (st != PC_ERR_STATE)
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (vd->asked)   /* the policy said no; or yes, and the request changed meanwhile */
        return vd->allowed ? MHD_HTTP_CONFLICT : MHD_HTTP_FORBIDDEN;
    /* refused before the policy: not pending, expired, or the approver's own request */
    bool open = !strcmp(pc_approval_status(&vd->req, vd->now_us), "pending");
    return open && pc_str_eq(vd->req.principal, pc_str_from_cstr(vd->v.approver))
               ? MHD_HTTP_FORBIDDEN
               : MHD_HTTP_CONFLICT;
}

/*
** Record the verdict in the decision log as the Cedar question it was:
** may the approver Action::"approve" Approval::"ID", context {verdict,
** reason}; an allow when it was made. False with why when the log failed.
*/
static bool journal(verdict *vd, const char *error, pc_buf *why)
{
    if (!vd->x->srv->audit)
        return true;
    pc_uid action = {PC_STR_LIT("Action"), PC_STR_LIT(APPROVE_ACTION)};
    pc_uid resource = {PC_STR_LIT(RESOURCE_TYPE), pc_str_from_cstr(vd->v.id)};
    json_t *ctx = json_pack("{s:s,s:s}", "verdict", vd->v.approve ? APPROVE_ACTION : "deny",
                            "reason", vd->v.reason);
    if (!ctx) {
        pc_buf_puts(why, "audit: out of memory recording an approval");
        return false;
    }
    pc_srv_entry e = {.principal = &vd->approver, .action = &action, .resource = &resource,
                      .error = error, .issuer = vd->issuer, .context = ctx,
                      .started_ns = vd->x->started_ns, .approval_id = vd->v.id,
                      .allow = !error};
    pc_status st = pc_srv_journal(vd->x, &e, why);
    json_decref(ctx);
    return st == PC_OK;
}

/* Decide vd (its request already read) and answer. */
static void decide(verdict *vd, pc_store *s)
{
    pc_srv_exchange *x = vd->x;
    pc_diag d;
    pc_diag_init(&d);
    pc_buf why;
    pc_buf_init(&why);
    pc_status st = pc_approval_decide(s, &vd->v, hook, vd, vd->now_us, &d);
    const char *error = st == PC_OK ? NULL : d.msg ? d.msg : pc_status_name(st);
    bool logged = journal(vd, error, &why);
    if (error)
        pc_srv_fail(x, refusal_status(vd, st), "%s%s%s", error, logged ? "" : "; and ",
                    logged ? "" : why.data ? why.data : "audit failed");
    else if (!logged)   /* the store has the verdict: say so, and that its trace is missing */
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "approval %s was %s, but %s", vd->v.id,
                    vd->v.approve ? "approved" : "denied", why.data ? why.data : "audit failed");
    else {
        pc_buf_puts(&x->out, "{\"approval_id\":");
        pc_buf_json_string(&x->out, vd->v.id, strlen(vd->v.id));
        pc_buf_printf(&x->out, ",\"status\":\"%s\",\"approver\":",
                      vd->v.approve ? "approved" : "denied");
        pc_buf_json_string(&x->out, vd->v.approver, strlen(vd->v.approver));
        pc_buf_putc(&x->out, '}');
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    pc_buf_free(&why);
    pc_diag_clear(&d);
}

/* The body's reason, or NULL after answering 400. */
static const char *reason_of(pc_srv_exchange *x, json_t *body)
{
    json_t *r = json_object_get(body, "reason");
    if (!json_is_string(r) || json_string_length(r) == 0) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST,
                    "approvals: \"reason\" is required: a non-empty string saying why");
        return NULL;
    }
    if (strlen(json_string_value(r)) != json_string_length(r)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "approvals: \"reason\" may not contain NUL");
        return NULL;
    }
    return json_string_value(r);
}

/* Read the request to decide: false after answering 404 or 500. */
static bool read_request(verdict *vd, pc_store *s, pc_arena *a)
{
    pc_diag d;
    pc_diag_init(&d);
    bool found = false;
    pc_status st = s->ops->approval_get(s, pc_str_from_cstr(vd->v.id), a, &vd->req, &found, &d);
    if (st != PC_OK)
        pc_srv_fail(vd->x, MHD_HTTP_INTERNAL_SERVER_ERROR, "approvals: %s",
                    d.msg ? d.msg : "the store failed");
    else if (!found)
        pc_srv_fail(vd->x, MHD_HTTP_NOT_FOUND, "approvals: no approval request %s", vd->v.id);
    pc_diag_clear(&d);
    return st == PC_OK && found;
}

void pc_srv_approvals_post(pc_srv_exchange *x)
{
    pc_store *s = store_of(x);
    if (!s)
        return;
    pc_arena a;
    pc_arena_init(&a, ARENA_BLOCK, 0);
    pc_srv_caller c;
    pc_srv_caller_init(&c);
    verdict vd = {.x = x, .now_us = pc_time_now_us()};
    vd.cedar.engine = pc_srv_snapshot_get(x)->engine;
    json_t *body = NULL;
    if (!parse_path(&a, x->url, &vd.v.id, &vd.v.approve))
        pc_srv_fail(x, MHD_HTTP_NOT_FOUND, "no such endpoint: %s (POST %sID/approve or "
                    "%sID/deny)", x->url, PREFIX, PREFIX);
    else if ((vd.v.approver = approver_of(x, &c, &a)) && (body = pc_srv_json_body(x)) &&
             (vd.v.reason = reason_of(x, body)) && read_request(&vd, s, &a)) {
        vd.approver = pc_srv_caller_principal(&c);
        vd.issuer = c.r.issuer;
        decide(&vd, s);
    }
    json_decref(body);
    pc_srv_caller_clear(&c);
    pc_arena_free(&a);
}
