/*
** server/native.c — the native Cedar API: POST /v1/authorize and
** POST /v1/authorize/batch.
**
** A request names Cedar uids directly ({"type", "id"} or the string form
** User::"alice"), a context object, and optionally `entities`: request-scoped
** entities in the Cedar entities format that replace stored ones with the
** same uid for this request (laid over the store in the thread's overlay,
** entity/overlay.c). `validate` (default true) checks the
** request against the schema. The answer gives the decision, the determining
** policies, the policies that errored, the policy-set version and the
** decision id. A request that cannot be evaluated is a deny with `error`;
** only a malformed envelope is a 400. In a batch each item stands alone.
**
** With identity configured (caller.h), a request's own `token` or the
** Authorization bearer token is verified first: the principal becomes the
** token's subject and its claims context.token; a rejected token is a deny
** whose `error` names the reason ("identity: expired: ...").
**
** Every decision goes into the decision log (journal.c) before it is
** answered. An allow determined by an @approval policy stands only with an
** approval (stepup.c): the answer is "approval_required" with the pending
** request's "approval_id" until the client retries with an approved one. An
** allow that asks for a grant ("grant": true, or @grant on a determining
** policy) carries one (grants.c).
*/
#include <string.h>

#include <microhttpd.h>

#include "caller.h"

#define STEPUP_ARENA_BLOCK 512

typedef enum verdict { NATIVE_OK, NATIVE_INVALID, NATIVE_FAILED } verdict;

static bool is_uid(json_t *j)
{
    return json_is_object(j) || json_is_string(j);
}

/* Shape checks; NATIVE_INVALID with why when the request is malformed. */
static verdict check(json_t *req, pc_buf *why)
{
    static const char *const uids[] = {"principal", "action", "resource"};
    if (!json_is_object(req)) {
        pc_buf_puts(why, "a request must be an object");
        return NATIVE_INVALID;
    }
    for (int i = 0; i < 3; i++)
        if (!is_uid(json_object_get(req, uids[i]))) {
            pc_buf_printf(why, "%s must be an entity uid: {\"type\": ..., \"id\": ...} or a "
                               "string such as User::\"alice\"", uids[i]);
            return NATIVE_INVALID;
        }
    json_t *ctx = json_object_get(req, "context"), *ents = json_object_get(req, "entities");
    json_t *validate = json_object_get(req, "validate");
    const char *bad = ctx && !json_is_object(ctx)             ? "context must be an object"
                      : ents && !json_is_array(ents)          ? "entities must be an array"
                      : validate && !json_is_boolean(validate) ? "validate must be true or false"
                                                              : NULL;
    if (bad)
        pc_buf_puts(why, bad);
    return bad ? NATIVE_INVALID : NATIVE_OK;
}

/* Does the request bring an entity with uid u (in either uid form)? */
static bool brings(json_t *ents, pc_uid u)
{
    for (size_t i = 0; i < json_array_size(ents); i++) {
        json_t *uid = json_object_get(json_array_get(ents, i), "uid");
        json_t *inner = json_object_get(uid, "__entity");
        uid = inner ? inner : uid;
        json_t *type = json_object_get(uid, "type"), *id = json_object_get(uid, "id");
        if (json_is_string(type) && json_is_string(id) &&
            !pc_str_cmp(u.type, (pc_str){json_string_value(type), json_string_length(type)}) &&
            !pc_str_cmp(u.id, (pc_str){json_string_value(id), json_string_length(id)}))
            return true;
    }
    return false;
}

/*
** The store with the request's own entities (and a verified principal the
** store lacks, caller.h) laid over the snapshot's, or NULL (*store stays
** NULL) when there are none. It reads through the thread's overlay, so it
** lasts until that is next reset.
*/
static pc_status scoped_store(const pc_srv_snapshot *snap, json_t *ents, const pc_srv_caller *c,
                              const pc_entities **store, pc_diag *d)
{
    size_t n = json_array_size(ents);
    bool lay = pc_srv_caller_needs_entity(c, pc_engine_entities(snap->engine)) &&
               !brings(ents, pc_srv_caller_principal(c));
    pc_overlay *o = n || lay ? pc_srv_thread_overlay() : NULL;
    if (n == 0 && !lay)
        return PC_OK;
    if (n > PC_SRV_MAX_REQUEST_ENTITIES)
        return pc_diag_set(d, PC_ERR_LIMIT, "a request may bring at most %d entities",
                           PC_SRV_MAX_REQUEST_ENTITIES);
    if (!o)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory: no request-entity state for this thread");
    pc_overlay_reset(o, pc_engine_entities(snap->engine), pc_engine_schema(snap->engine), NULL);
    for (size_t i = 0; i < n; i++)
        if (pc_overlay_add(o, json_array_get(ents, i), d) != PC_OK)
            return d->status;
    if (lay && pc_srv_caller_lay(c, o, d) != PC_OK)
        return d->status;
    if (pc_overlay_finish(o, d) == PC_OK)
        *store = pc_overlay_store(o);
    return d->status;
}

/*
** Bind the request to its caller: *principal (NULL: the body's) and *ctx
** become what to decide with (new references). NATIVE_FAILED with why when
** the token is rejected or the body names another principal (must_match).
*/
static verdict bind_caller(pc_srv_exchange *x, json_t *req, pc_srv_caller *c,
                           json_t **principal, json_t **ctx, pc_buf *why)
{
    *principal = *ctx = NULL;
    if (pc_srv_caller_identify(x, json_object_get(req, "token"), c) == PC_SRV_REJECTED) {
        pc_buf_puts(why, c->why.data ? c->why.data : "identity: token rejected");
        return NATIVE_FAILED;
    }
    pc_uid claimed, action = {PC_STR_NULL, PC_STR_NULL};
    bool verified = c->who == PC_SRV_VERIFIED;
    if (verified) {
        bool readable = pc_srv_caller_uid(c, json_object_get(req, "principal"), &claimed);
        if (!pc_srv_caller_subject_ok(x->srv->cfg, c, readable ? &claimed : NULL, why))
            return NATIVE_FAILED;
        /* an unreadable action matches no schema action: the claims stay out */
        pc_srv_caller_uid(c, json_object_get(req, "action"), &action);
        *principal = json_pack("{s:s,s:s}", "type", c->r.subject.type, "id", c->r.subject.id);
    }
    if ((verified && !*principal) ||
        !pc_srv_caller_context(pc_srv_snapshot_get(x), c, &action, json_object_get(req, "context"),
                               ctx)) {
        pc_buf_puts(why, "out of memory binding the request to its caller");
        return NATIVE_FAILED;
    }
    return NATIVE_OK;
}

/* Where a request stands in its HTTP request: alone, or a batch's item N. */
typedef struct place {
    size_t item;
    bool in_batch;
} place;

/* The request's uids as read (NULL where unreadable); the principal is a verified caller's. */
static void request_uids(json_t *req, pc_srv_caller *c, pc_uid u[3], const pc_uid *p[3])
{
    static const char *const parts[] = {"principal", "action", "resource"};
    for (int i = 0; i < 3; i++)
        p[i] = pc_srv_caller_uid(c, json_object_get(req, parts[i]), &u[i]) ? &u[i] : NULL;
    if (c->who == PC_SRV_VERIFIED) {
        u[0] = pc_srv_caller_principal(c);
        p[0] = &u[0];
    }
}

/* What decide leaves for the answer besides the decision. */
typedef struct outcome {
    pc_buf extra;                 /* members to add: approval, grant */
    bool pending;                 /* the answer is approval_required */
} outcome;

/*
** Log the decision (journal.c). A record that cannot be written turns an
** answer into NATIVE_FAILED with the log's reason: it must not stand.
*/
static verdict journal(pc_srv_exchange *x, const pc_srv_caller *c, const pc_uid *const p[3],
                       verdict v, const pc_decision *dec, json_t *ctx, uint64_t started,
                       place at, const pc_srv_approval *ap, pc_buf *why)
{
    pc_srv_entry e = {p[0], p[1], p[2], v == NATIVE_OK ? dec : NULL,
                      v == NATIVE_OK ? NULL : why->data ? why->data : "",
                      c->who == PC_SRV_VERIFIED ? c->r.issuer : NULL, ctx, at.item, at.in_batch,
                      started, ap->id, ap->required && !ap->granted, false};
    pc_buf failed;
    pc_buf_init(&failed);
    if (pc_srv_journal(x, &e, &failed) != PC_OK && v == NATIVE_OK) {
        pc_buf_puts(why, failed.data ? failed.data : "audit: the decision could not be logged");
        v = NATIVE_FAILED;
    }
    pc_buf_free(&failed);
    return v;
}

/* Step-up after an allow (stepup.c); NATIVE_FAILED with why when approval cannot be had. */
static verdict step_up(pc_srv_exchange *x, json_t *req, const pc_decision *dec,
                       const pc_uid *const p[3], json_t *ctx, pc_arena *a, pc_srv_approval *ap,
                       pc_buf *why)
{
    pc_diag d;
    pc_diag_init(&d);
    const char *presented = json_string_value(json_object_get(req, "approval_id"));
    verdict v = NATIVE_OK;
    if (pc_srv_step_up(x, dec, p, ctx, presented, a, ap, &d) != PC_OK) {
        pc_buf_puts(why, d.msg ? d.msg : "approval: out of memory");
        v = NATIVE_FAILED;
    }
    pc_diag_clear(&d);
    return v;
}

/* After an allow: approval (which may hold it back), the log, then a grant if asked. */
static verdict conclude(pc_srv_exchange *x, json_t *req, const pc_srv_caller *c,
                        const pc_uid *const p[3], verdict v, const pc_decision *dec, json_t *ctx,
                        uint64_t started, place at, outcome *out, pc_buf *why)
{
    pc_arena a;
    pc_arena_init(&a, STEPUP_ARENA_BLOCK, 0);
    pc_srv_approval ap = {false, false, NULL, 0, NULL};
    if (v == NATIVE_OK && pc_decision_allowed(dec))
        v = step_up(x, req, dec, p, ctx, &a, &ap, why);
    v = journal(x, c, p, v, dec, ctx, started, at, &ap, why);
    out->pending = v == NATIVE_OK && ap.required && !ap.granted;
    if (v == NATIVE_OK && ap.id) {
        pc_buf_putc(&out->extra, ',');
        pc_srv_approval_json(&out->extra, &ap);
    }
    pc_srv_grant_ask ask = v == NATIVE_OK && !out->pending ? pc_srv_grant_wanted(req, dec)
                                                           : (pc_srv_grant_ask){false, false};
    if (ask.wanted)
        pc_srv_grant_issue(x, p, ctx, ask, &out->extra);
    pc_arena_free(&a);
    return v;
}

/* Decide one checked request into dec; NATIVE_FAILED with why on an error. */
static verdict decide(pc_srv_exchange *x, json_t *req, place at, pc_decision *dec, pc_buf *why,
                      outcome *out)
{
    uint64_t started = pc_srv_now_ns();
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    const pc_entities *store = NULL;
    pc_srv_caller c;
    pc_srv_caller_init(&c);
    json_t *principal = NULL, *ctx = NULL;
    verdict v = bind_caller(x, req, &c, &principal, &ctx, why);
    pc_diag d;
    pc_diag_init(&d);
    json_t *validate = json_object_get(req, "validate"), *ents = json_object_get(req, "entities");
    if (v == NATIVE_OK && !dec)
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory: no decision state for this thread");
    else if (v == NATIVE_OK && scoped_store(snap, ents, &c, &store, &d) == PC_OK)
        pc_authorize_json_in(snap->engine, store,
                             principal ? principal : json_object_get(req, "principal"),
                             json_object_get(req, "action"), json_object_get(req, "resource"),
                             ctx, !json_is_false(validate), dec, &d);
    if (v == NATIVE_OK && d.status != PC_OK) {
        v = NATIVE_FAILED;
        pc_buf_puts(why, d.msg ? d.msg : pc_status_name(d.status));
    }
    pc_diag_clear(&d);
    pc_uid u[3];
    const pc_uid *p[3];
    request_uids(req, &c, u, p);
    v = conclude(x, req, &c, p, v, dec, ctx, started, at, out, why);
    json_decref(principal);
    json_decref(ctx);
    pc_srv_caller_clear(&c);
    x->outcomes[v != NATIVE_OK                             ? PC_SRV_ERROR
                : pc_decision_allowed(dec) && !out->pending ? PC_SRV_ALLOW
                                                            : PC_SRV_DENY]++;
    return v;
}

/*
** "decision", "reasons", "errors" (and "error" when it could not be
** evaluated); an allow held back for approval is "approval_required".
*/
static void put_answer(pc_buf *out, verdict v, const pc_decision *dec, bool pending,
                       const pc_buf *why)
{
    bool ok = v == NATIVE_OK;
    pc_buf_printf(out, "\"decision\":\"%s\",\"reasons\":[",
                  !ok || !pc_decision_allowed(dec) ? "deny"
                  : pending                       ? "approval_required"
                                                  : "allow");
    for (size_t i = 0; ok && i < pc_decision_reason_count(dec); i++) {
        const char *r = pc_decision_reason(dec, i);
        if (i > 0)
            pc_buf_putc(out, ',');
        pc_buf_json_string(out, r, strlen(r));
    }
    pc_buf_puts(out, "],\"errors\":[");
    for (size_t i = 0; ok && i < pc_decision_error_count(dec); i++) {
        const char *p = pc_decision_error_policy(dec, i), *m = pc_decision_error_message(dec, i);
        pc_buf_puts(out, i > 0 ? ",{\"policy\":" : "{\"policy\":");
        pc_buf_json_string(out, p, strlen(p));
        pc_buf_puts(out, ",\"message\":");
        pc_buf_json_string(out, m, strlen(m));
        pc_buf_putc(out, '}');
    }
    pc_buf_putc(out, ']');
    if (!ok) {
        pc_buf_puts(out, ",\"error\":");
        pc_buf_json_string(out, why->data ? why->data : "", why->len);
    }
}

/* Check and decide one request, then write its answer object's members. */
static verdict answer_one(pc_srv_exchange *x, json_t *req, place at, pc_buf *why)
{
    pc_decision *dec = pc_srv_thread_decision();
    outcome out = {{0}, false};
    pc_buf_init(&out.extra);
    verdict v = check(req, why);
    if (v == NATIVE_OK)
        v = decide(x, req, at, dec, why, &out);
    else
        x->outcomes[PC_SRV_ERROR]++;
    if (v != NATIVE_INVALID) {
        put_answer(&x->out, v, dec, out.pending, why);
        if (out.extra.data)
            pc_buf_append(&x->out, out.extra.data, out.extra.len);
    }
    pc_buf_free(&out.extra);
    return v;
}

static void put_trailer(pc_srv_exchange *x)
{
    pc_buf_printf(&x->out, ",\"policy_set_version\":\"%s\",\"decision_id\":\"%s\"}",
                  pc_srv_snapshot_get(x)->version, x->decision_id);
}

void pc_srv_native_authorize(pc_srv_exchange *x)
{
    json_t *root = pc_srv_json_body(x);
    if (!root)
        return;
    pc_buf why;
    pc_buf_init(&why);
    pc_buf_putc(&x->out, '{');
    if (answer_one(x, root, (place){0, false}, &why) == NATIVE_INVALID) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "%s", why.data ? why.data : "invalid request");
    } else {
        put_trailer(x);
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    pc_buf_free(&why);
    json_decref(root);
}

static void answer_items(pc_srv_exchange *x, json_t *items)
{
    pc_buf why;
    pc_buf_init(&why);
    pc_buf_puts(&x->out, "{\"results\":[");
    for (size_t i = 0; i < json_array_size(items); i++) {
        pc_buf_clear(&why);
        pc_buf_puts(&x->out, i > 0 ? ",{" : "{");
        if (answer_one(x, json_array_get(items, i), (place){i, true}, &why) == NATIVE_INVALID) {
            pc_buf_puts(&x->out, "\"decision\":\"deny\",\"error\":");
            pc_buf_json_string(&x->out, why.data ? why.data : "", why.len);
        }
        pc_buf_putc(&x->out, '}');
    }
    pc_buf_putc(&x->out, ']');
    put_trailer(x);
    pc_buf_free(&why);
    pc_srv_reply(x, MHD_HTTP_OK);
}

void pc_srv_native_batch(pc_srv_exchange *x)
{
    json_t *root = pc_srv_json_body(x);
    if (!root)
        return;
    json_t *items = json_object_get(root, "requests");
    size_t limit = x->srv->cfg->max_batch_items;
    if (!json_is_array(items))
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "requests must be an array of requests");
    else if (json_array_size(items) > limit)
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "requests has %zu items; the limit is %zu",
                    json_array_size(items), limit);
    else
        answer_items(x, items);
    json_decref(root);
}
