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
*/
#include <string.h>

#include <microhttpd.h>

#include "srv.h"

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

/*
** The store with the request's own entities laid over the snapshot's, or
** NULL (*store stays NULL) when it brings none. It reads through the
** thread's overlay, so it lasts until that is next reset.
*/
static pc_status scoped_store(const pc_srv_snapshot *snap, json_t *ents,
                              const pc_entities **store, pc_diag *d)
{
    size_t n = json_array_size(ents);
    pc_overlay *o = n ? pc_srv_thread_overlay() : NULL;
    if (n == 0)
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
    if (pc_overlay_finish(o, d) == PC_OK)
        *store = pc_overlay_store(o);
    return d->status;
}

/* Decide one checked request into dec; NATIVE_FAILED with why on an error. */
static verdict decide(pc_srv_exchange *x, json_t *req, pc_decision *dec, pc_buf *why)
{
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    const pc_entities *store = NULL;
    pc_diag d;
    pc_diag_init(&d);
    json_t *validate = json_object_get(req, "validate");
    if (!dec)
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory: no decision state for this thread");
    else if (scoped_store(snap, json_object_get(req, "entities"), &store, &d) == PC_OK)
        pc_authorize_json_in(snap->engine, store, json_object_get(req, "principal"),
                             json_object_get(req, "action"), json_object_get(req, "resource"),
                             json_object_get(req, "context"), !json_is_false(validate), dec, &d);
    verdict v = d.status == PC_OK ? NATIVE_OK : NATIVE_FAILED;
    if (v != NATIVE_OK)
        pc_buf_puts(why, d.msg ? d.msg : pc_status_name(d.status));
    pc_diag_clear(&d);
    x->outcomes[v != NATIVE_OK              ? PC_SRV_ERROR
                : pc_decision_allowed(dec) ? PC_SRV_ALLOW
                                           : PC_SRV_DENY]++;
    return v;
}

/* "decision", "reasons", "errors" (and "error" when it could not be evaluated). */
static void put_answer(pc_buf *out, verdict v, const pc_decision *dec, const pc_buf *why)
{
    bool ok = v == NATIVE_OK;
    pc_buf_printf(out, "\"decision\":\"%s\",\"reasons\":[",
                  ok && pc_decision_allowed(dec) ? "allow" : "deny");
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
static verdict answer_one(pc_srv_exchange *x, json_t *req, pc_buf *why)
{
    pc_decision *dec = pc_srv_thread_decision();
    verdict v = check(req, why);
    if (v == NATIVE_OK)
        v = decide(x, req, dec, why);
    else
        x->outcomes[PC_SRV_ERROR]++;
    if (v != NATIVE_INVALID)
        put_answer(&x->out, v, dec, why);
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
    if (answer_one(x, root, &why) == NATIVE_INVALID) {
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
        if (answer_one(x, json_array_get(items, i), &why) == NATIVE_INVALID) {
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
