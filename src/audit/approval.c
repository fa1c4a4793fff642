/*
** audit/approval.c — the approval rules on top of the store's atomic
** operations: which allows need approval, step-up (consume or request),
** deciding a request, and the Cedar hook that says who may decide.
**
** The store enforces what must hold under concurrency (single use, one
** decision, expiry, approver != requester) inside single SQL statements;
** this file checks the same conditions first only to say precisely why a
** call is refused, and adds what SQL cannot know: canonical uids, the
** reason, and the Cedar decision.
*/
#include <openssl/rand.h>
#include <string.h>

#include "../base/json.h"
#include "approval.h"

/* ---- which allows need approval ----------------------------------------- */

static bool has_str(const pc_str *xs, uint32_t n, pc_str s)
{
    for (uint32_t i = 0; i < n; i++)
        if (pc_str_eq(xs[i], s))
            return true;
    return false;
}

/* The policy's @approval annotation, or NULL. */
static const pc_annotation *approval_annotation(const pc_policy *p)
{
    for (uint32_t i = 0; i < p->n_annos; i++)
        if (pc_str_eq_cstr(p->annos[i].key, PC_APPROVAL_ANNOTATION))
            return &p->annos[i];
    return NULL;
}

pc_status pc_approval_required(const pc_policy *const *reasons, uint32_t n, pc_arena *a,
                               pc_approval_need *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return PC_OK;
    out->groups = pc_arena_alloc(a, n * sizeof *out->groups);
    out->policies = pc_arena_alloc(a, n * sizeof *out->policies);
    if (!out->groups || !out->policies)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading approval annotations");
    for (uint32_t i = 0; i < n; i++) {
        const pc_annotation *an = reasons[i]->forbid ? NULL : approval_annotation(reasons[i]);
        if (!an)
            continue;
        out->required = true;
        out->policies[out->n_policies++] = reasons[i]->id;
        if (an->value.len && !has_str(out->groups, out->n_groups, an->value))
            out->groups[out->n_groups++] = an->value;
    }
    return PC_OK;
}

/* ---- small helpers ------------------------------------------------------ */

pc_status pc_uid_canonical(pc_arena *a, pc_str text, const char *what, pc_str *out, pc_diag *d)
{
    pc_uid *uid = NULL;
    pc_diag inner;
    pc_diag_init(&inner);
    if (text.len > PC_APPROVAL_FIELD_MAX)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s is longer than %d bytes", what,
                           PC_APPROVAL_FIELD_MAX);
    pc_status st = pc_parse_uid(a, NULL, text.ptr ? text.ptr : "", text.len, &uid, &inner);
    if (st != PC_OK) {
        st = pc_diag_set(d, PC_ERR_INVALID, "%s must be an entity uid such as User::\"alice\": %s",
                         what, inner.msg ? inner.msg : "it does not parse");
        pc_diag_clear(&inner);
        return st;
    }
    pc_buf b;
    pc_buf_init(&b);
    pc_uid_print(&b, uid);
    *out = b.oom ? PC_STR_NULL : pc_arena_str(a, b.data, b.len);
    pc_buf_free(&b);
    return out->ptr ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
}

static pc_status new_id(pc_arena *a, pc_str *out, pc_diag *d)
{
    uint8_t raw[PC_APPROVAL_ID_BYTES];
    char hex[2 * PC_APPROVAL_ID_BYTES + 1];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return pc_diag_set(d, PC_ERR_STATE,
                           "no randomness for an approval id (OpenSSL RAND_bytes)");
    pc_hex(raw, sizeof raw, hex);
    *out = pc_arena_str(a, hex, 2 * PC_APPROVAL_ID_BYTES);
    return out->ptr ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
}

const char *pc_approval_status(const pc_approval *a, int64_t now_us)
{
    bool live = a->state == PC_APPROVAL_PENDING || a->state == PC_APPROVAL_APPROVED;
    return live && a->expires_us <= now_us ? "expired" : pc_approval_state_name(a->state);
}

/* ---- step-up ------------------------------------------------------------- */

/* The binding with canonical uids, as the store keeps it. */
static pc_status canonical_binding(pc_arena *a, const pc_approval_binding *b, pc_approval *out,
                                   pc_diag *d)
{
    memset(out, 0, sizeof *out);
    memcpy(out->args_digest, b->args_digest, PC_HASH_LEN);
    out->id = b->id.ptr ? b->id : PC_STR_LIT("");
    if (out->id.len > PC_APPROVAL_FIELD_MAX)
        return pc_diag_set(d, PC_ERR_LIMIT, "the approval id is longer than %d bytes",
                           PC_APPROVAL_FIELD_MAX);
    pc_status st = pc_uid_canonical(a, b->principal, "the principal", &out->principal, d);
    if (st == PC_OK)
        st = pc_uid_canonical(a, b->action, "the action", &out->action, d);
    if (st == PC_OK)
        st = pc_uid_canonical(a, b->resource, "the resource", &out->resource, d);
    return st;
}

/* Why the id the client presented was not consumed (*note, from a). */
static pc_status explain_unusable(pc_store *s, const pc_approval *want, int64_t now_us, pc_arena *a,
                                  const char **note, pc_diag *d)
{
    pc_approval got;
    bool found = false;
    pc_status st = s->ops->approval_get(s, want->id, a, &got, &found, d);
    if (st != PC_OK)
        return st;
    const char *id = pc_arena_str(a, want->id.ptr, want->id.len).ptr;
    if (!id)
        *note = NULL;
    else if (!found)
        *note = pc_arena_printf(a, "approval %s does not exist", id);
    else if (!pc_str_eq(got.principal, want->principal) || !pc_str_eq(got.action, want->action) ||
             !pc_str_eq(got.resource, want->resource) ||
             memcmp(got.args_digest, want->args_digest, PC_HASH_LEN) != 0)
        *note = pc_arena_printf(a,
                                "approval %s was granted for a different request "
                                "(principal, action, resource or arguments differ)",
                                id);
    else
        *note = pc_arena_printf(a, "approval %s is %s", id, pc_approval_status(&got, now_us));
    return *note ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
}

static pc_status open_request(pc_store *s, const pc_approval *bnd, const pc_approval_need *need,
                              int64_t ttl_us, int64_t now_us, pc_arena *a, pc_stepup *out,
                              pc_diag *d)
{
    pc_approval req = *bnd, got;
    req.groups = (pc_strlist){need->n_groups, need->groups};
    req.policies = (pc_strlist){need->n_policies, need->policies};
    req.state = PC_APPROVAL_PENDING;
    req.created_us = now_us;
    req.expires_us = now_us + (ttl_us > 0 ? ttl_us : PC_APPROVAL_TTL_DEFAULT_US);
    pc_status st = new_id(a, &req.id, d);
    if (st == PC_OK)
        st = s->ops->approval_open(s, &req, now_us, a, &got, &out->created, d);
    if (st == PC_OK) {
        out->id = got.id;
        out->expires_us = got.expires_us;
    }
    return st;
}

pc_status pc_approval_step_up(pc_store *s, const pc_approval_binding *b,
                              const pc_approval_need *need, int64_t ttl_us, int64_t now_us,
                              pc_arena *a, pc_stepup *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    pc_approval bnd;
    pc_str used;
    pc_status st = canonical_binding(a, b, &bnd, d);
    if (st == PC_OK)
        st = s->ops->approval_consume(s, &bnd, now_us, a, &used, d);
    if (st != PC_OK)
        return st;
    if (used.ptr) {
        out->granted = true;
        out->id = used;
        return PC_OK;
    }
    if (bnd.id.len && (st = explain_unusable(s, &bnd, now_us, a, &out->note, d)) != PC_OK)
        return st;
    bnd.id = PC_STR_LIT("");
    return open_request(s, &bnd, need, ttl_us, now_us, a, out, d);
}

/* ---- deciding ------------------------------------------------------------ */

/* Say why the request cannot be decided now, or PC_OK. */
static pc_status check_decidable(const pc_approval *r, pc_str approver, int64_t now_us, pc_diag *d)
{
    char when[PC_TIME_TEXT_MAX];
    int idl = (int)r->id.len;
    if (r->malformed)
        return pc_diag_set(d, PC_ERR_STATE, "approval %.*s is malformed in the store: %s", idl,
                           r->id.ptr, r->malformed);
    if (r->state != PC_APPROVAL_PENDING)
        return pc_diag_set(d, PC_ERR_STATE, "approval %.*s is already %s (by %.*s at %s: %.*s)",
                           idl, r->id.ptr, pc_approval_state_name(r->state), (int)r->approver.len,
                           r->approver.ptr, pc_time_text(r->decided_us, when), (int)r->reason.len,
                           r->reason.ptr);
    if (r->expires_us <= now_us)
        return pc_diag_set(d, PC_ERR_STATE, "approval %.*s expired at %s", idl, r->id.ptr,
                           pc_time_text(r->expires_us, when));
    if (pc_str_eq(r->principal, approver))
        return pc_diag_set(d, PC_ERR_STATE,
                           "approval %.*s: %.*s requested it and cannot decide it; "
                           "nobody approves their own request",
                           idl, r->id.ptr, (int)approver.len, approver.ptr);
    return PC_OK;
}

static pc_status check_verdict(const pc_approval_verdict *v, pc_approval_hook hook, pc_diag *d)
{
    if (!v->id || !*v->id)
        return pc_diag_set(d, PC_ERR_INVALID, "no approval id given");
    if (strlen(v->id) > PC_APPROVAL_FIELD_MAX)
        return pc_diag_set(d, PC_ERR_LIMIT, "the approval id is longer than %d bytes",
                           PC_APPROVAL_FIELD_MAX);
    if (!v->reason || !*v->reason)
        return pc_diag_set(d, PC_ERR_INVALID, "a reason is required to %s an approval",
                           v->approve ? "approve" : "deny");
    if (strlen(v->reason) > PC_APPROVAL_FIELD_MAX || !pc_utf8_valid(v->reason, strlen(v->reason)))
        return pc_diag_set(d, PC_ERR_INVALID, "the reason must be valid UTF-8 of at most %d bytes",
                           PC_APPROVAL_FIELD_MAX);
    if (!hook)
        return pc_diag_set(d, PC_ERR_INVALID, "no approval hook: who may approve is not decided");
    return PC_OK;
}

static pc_status decide_in(pc_store *s, pc_arena *a, const pc_approval_verdict *v,
                           pc_approval_hook hook, void *hook_ctx, int64_t now_us, pc_diag *d)
{
    pc_str approver, id = pc_str_from_cstr(v->id);
    pc_approval req;
    bool found = false, allowed = false, changed = false;
    pc_status st = pc_uid_canonical(a, pc_str_from_cstr(v->approver ? v->approver : ""),
                                    "the approver", &approver, d);
    if (st == PC_OK)
        st = s->ops->approval_get(s, id, a, &req, &found, d);
    if (st == PC_OK && !found)
        return pc_diag_set(d, PC_ERR_INVALID, "no approval request %s", v->id);
    if (st == PC_OK)
        st = check_decidable(&req, approver, now_us, d);
    if (st == PC_OK)
        st = hook(hook_ctx, approver, &req, v->approve, &allowed, d);
    if (st == PC_OK && !allowed)
        return pc_diag_set(d, PC_ERR_STATE,
                           "%s may not %s approval %s: the policy does not allow it", approver.ptr,
                           v->approve ? "approve" : "deny", v->id);
    if (st == PC_OK)
        st = s->ops->approval_decide(s, id, v->approve ? PC_APPROVAL_APPROVED : PC_APPROVAL_DENIED,
                                     approver, pc_str_from_cstr(v->reason), now_us, &changed, d);
    if (st == PC_OK && !changed)
        return pc_diag_set(d, PC_ERR_STATE,
                           "approval %s changed while it was being decided; "
                           "look at it again",
                           v->id);
    return st;
}

pc_status pc_approval_decide(pc_store *s, const pc_approval_verdict *v, pc_approval_hook hook,
                             void *hook_ctx, int64_t now_us, pc_diag *d)
{
    pc_status st = check_verdict(v, hook, d);
    if (st != PC_OK)
        return st;
    pc_arena a;
    pc_arena_init(&a, 4096, 0);
    st = decide_in(s, &a, v, hook, hook_ctx, now_us, d);
    pc_arena_free(&a);
    return st;
}

/* ---- the Cedar hook ------------------------------------------------------ */

/* A uid's text as a JSON entity reference {"__entity": {"type", "id"}}. */
static json_t *entity_ref(pc_arena *a, pc_str text)
{
    pc_uid *u = NULL;
    if (pc_parse_uid(a, NULL, text.ptr, text.len, &u, NULL) != PC_OK)
        return NULL;   /* stored uids are canonical: only memory can fail here */
    return json_pack("{s:{s:s%,s:s%}}", "__entity", "type", u->type.ptr, u->type.len, "id",
                     u->id.ptr, u->id.len);
}

static json_t *string_set(pc_strlist l)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < l.n; i++)
        if (json_array_append_new(arr, json_stringn(l.items[i].ptr, l.items[i].len)) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* The approve request's context; NULL when any part could not be built. */
static json_t *hook_context(pc_arena *a, const pc_approval *req, bool approve)
{
    enum { N_PARTS = 5 };
    json_t *part[N_PARTS] = {entity_ref(a, req->principal), entity_ref(a, req->action),
                             entity_ref(a, req->resource), string_set(req->groups),
                             string_set(req->policies)};
    for (int i = 0; i < N_PARTS; i++)
        if (!part[i]) {
            for (int k = 0; k < N_PARTS; k++)
                json_decref(part[k]);
            return NULL;
        }
    /* "o" hands each part's reference to the new object (or drops it on failure) */
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:s}", "requester", part[0], "action", part[1],
                     "resource", part[2], "groups", part[3], "policies", part[4], "verdict",
                     approve ? "approve" : "deny");
}

/* Ask the engine; json texts are malloc'ed by jansson. */
static pc_status ask_engine(const pc_approval_cedar *c, pc_str approver, const char *resource,
                            const char *context, bool *allowed, pc_diag *d)
{
    pc_decision *dec = pc_decision_new();
    if (!dec)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
    pc_request r = {approver.ptr, c->action ? c->action : "Action::\"approve\"", resource, context,
                    false};
    pc_error err = {0};
    pc_status st = pc_authorize(c->engine, &r, dec, &err);
    if (st == PC_OK)
        *allowed = pc_decision_allowed(dec);
    else
        pc_diag_set(d, st, "deciding who may approve: %s", err.message ? err.message : "failed");
    pc_error_clear(&err);
    pc_decision_free(dec);
    return st;
}

pc_status pc_approval_cedar_hook(void *ctx, pc_str approver, const pc_approval *req, bool approve,
                                 bool *allowed, pc_diag *d)
{
    const pc_approval_cedar *c = ctx;
    *allowed = false;
    pc_arena a;
    pc_arena_init(&a, 1024, 0);
    json_t *res = json_pack("{s:s,s:s%}", "type", c->resource_type ? c->resource_type : "Approval",
                            "id", req->id.ptr, req->id.len);
    json_t *context = hook_context(&a, req, approve);
    char *res_text = res ? json_dumps(res, JSON_COMPACT) : NULL;
    char *ctx_text = context ? json_dumps(context, JSON_COMPACT) : NULL;
    pc_status st = res_text && ctx_text ? ask_engine(c, approver, res_text, ctx_text, allowed, d)
                                        : pc_diag_set(d, PC_ERR_NOMEM,
                                                      "out of memory building "
                                                      "the approve request");
    free(res_text);
    free(ctx_text);
    json_decref(res);
    json_decref(context);
    pc_arena_free(&a);
    return st;
}

/* ---- output -------------------------------------------------------------- */

static void json_member(pc_buf *b, const char *name, pc_str v)
{
    pc_buf_printf(b, ",\"%s\":", name);
    pc_buf_json_string(b, v.ptr ? v.ptr : "", v.len);
}

static void json_time(pc_buf *b, const char *name, int64_t us)
{
    char when[PC_TIME_TEXT_MAX];
    if (us)
        pc_buf_printf(b, ",\"%s\":\"%s\"", name, pc_time_text(us, when));
    else
        pc_buf_printf(b, ",\"%s\":null", name);
}

bool pc_approval_json(pc_buf *b, const pc_approval *a, int64_t now_us)
{
    char hex[2 * PC_HASH_LEN + 1];
    pc_buf_puts(b, "{\"id\":");
    pc_buf_json_string(b, a->id.ptr ? a->id.ptr : "", a->id.len);
    if (a->malformed) {
        pc_buf_puts(b, ",\"malformed\":");
        pc_buf_json_string(b, a->malformed, strlen(a->malformed));
        return pc_buf_putc(b, '}') && !b->oom;
    }
    pc_buf_printf(b, ",\"status\":\"%s\"", pc_approval_status(a, now_us));
    json_member(b, "principal", a->principal);
    json_member(b, "action", a->action);
    json_member(b, "resource", a->resource);
    pc_hex(a->args_digest, PC_HASH_LEN, hex);
    pc_buf_printf(b, ",\"args_digest\":\"%s\",\"groups\":", hex);
    pc_strlist_to_json(b, a->groups);
    pc_buf_puts(b, ",\"policies\":");
    pc_strlist_to_json(b, a->policies);
    json_time(b, "created", a->created_us);
    json_time(b, "expires", a->expires_us);
    json_member(b, "approver", a->approver);
    json_member(b, "reason", a->reason);
    json_time(b, "decided", a->decided_us);
    json_time(b, "consumed", a->consumed_us);
    return pc_buf_putc(b, '}') && !b->oom;
}

bool pc_approval_text(pc_buf *b, const pc_approval *a, int64_t now_us)
{
    char when[PC_TIME_TEXT_MAX];
    if (a->malformed)
        return pc_buf_printf(b, "%.*s MALFORMED: %s", (int)a->id.len, a->id.ptr, a->malformed) &&
               !b->oom;
    pc_buf_printf(b, "%.*s %s %.*s %.*s %.*s groups=", (int)a->id.len, a->id.ptr,
                  pc_approval_status(a, now_us), (int)a->principal.len, a->principal.ptr,
                  (int)a->action.len, a->action.ptr, (int)a->resource.len, a->resource.ptr);
    pc_strlist_to_json(b, a->groups);
    pc_buf_printf(b, " expires=%s", pc_time_text(a->expires_us, when));
    if (a->approver.len) {
        pc_buf_printf(b, " by=%.*s reason=", (int)a->approver.len, a->approver.ptr);
        pc_buf_json_string(b, a->reason.ptr, a->reason.len);
    }
    return !b->oom;
}
