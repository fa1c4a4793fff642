/*
** server/caller.c — verifying the caller's token and binding the decision
** to it (the rules are in caller.h).
**
** The trust lives in the snapshot, so a request is decided with the issuers
** and keys of the policy set it started on, and a reload that re-reads the
** JWKS files swaps both at once. Everything a rejected token would have
** said is dropped: the deny carries only the reason, and a verified token is
** the only way claims reach context.token.
*/
#include <strings.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "caller.h"
#include "lang/ast.h"

#define BEARER "Bearer "
#define TOKEN_KEY "token"
#define ACTOR_KEY "actor"

void pc_srv_caller_init(pc_srv_caller *c)
{
    c->who = PC_SRV_ANONYMOUS;
    pc_id_result_init(&c->r);
    pc_buf_init(&c->why);
}

void pc_srv_caller_clear(pc_srv_caller *c)
{
    pc_id_result_clear(&c->r);
    pc_buf_free(&c->why);
}

/* The token of `Authorization: Bearer TOKEN`, or NULL (no header, another scheme). */
static const char *bearer(pc_srv_exchange *x, size_t *len)
{
    const char *h = pc_srv_header(x, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, BEARER, strlen(BEARER)))
        return NULL;
    h += strlen(BEARER);
    h += strspn(h, " ");
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == ' ')
        n--;
    *len = n;
    return n ? h : NULL;
}

static pc_srv_who reject(pc_srv_caller *c, const char *reason, const char *msg)
{
    pc_buf_printf(&c->why, "identity: %s: %s", reason, msg);
    return c->who = PC_SRV_REJECTED;
}

pc_srv_who pc_srv_caller_identify(pc_srv_exchange *x, json_t *body_token, pc_srv_caller *c)
{
    const pc_id_trust *trust = pc_srv_snapshot_get(x)->trust;
    pc_id_result_reset(&c->r);
    pc_buf_clear(&c->why);
    c->who = PC_SRV_ANONYMOUS;
    if (!trust)
        return c->who;
    if (body_token && !json_is_string(body_token))
        return reject(c, "malformed", "token must be a string (a compact JWT)");
    size_t len = json_string_length(body_token);
    const char *token = body_token ? json_string_value(body_token) : bearer(x, &len);
    if (!token)
        return x->srv->cfg->identity_required
                   ? reject(c, "missing_token", "this daemon requires a bearer token "
                                                     "(identity.required = true)")
                   : c->who;
    pc_id_reason r = pc_id_verify(trust, token, len, (int64_t)time(NULL), &c->r);
    if (r != PC_ID_OK)
        return reject(c, pc_id_reason_name(r),
                      c->r.verdict.message ? c->r.verdict.message : "token rejected");
    return c->who = PC_SRV_VERIFIED;
}

bool pc_srv_caller_uid(pc_srv_caller *c, json_t *j, pc_uid *out)
{
    json_t *inner = json_object_get(j, "__entity");
    if (inner)
        j = inner;
    if (json_is_string(j)) {
        pc_diag d;
        pc_diag_init(&d);
        pc_uid *u = NULL;
        pc_status st = pc_parse_uid(&c->r.arena, NULL, json_string_value(j), json_string_length(j),
                                    &u, &d);
        pc_diag_clear(&d);
        if (st == PC_OK)
            *out = *u;
        return st == PC_OK;
    }
    json_t *type = json_object_get(j, "type"), *id = json_object_get(j, "id");
    if (!json_is_string(type) || !json_is_string(id))
        return false;
    out->type = (pc_str){json_string_value(type), json_string_length(type)};
    out->id = (pc_str){json_string_value(id), json_string_length(id)};
    return true;
}

pc_uid pc_srv_caller_principal(const pc_srv_caller *c)
{
    pc_uid u = {pc_str_from_cstr(c->r.subject.type), pc_str_from_cstr(c->r.subject.id)};
    return u;
}

bool pc_srv_caller_needs_entity(const pc_srv_caller *c, const pc_entities *base)
{
    if (c->who != PC_SRV_VERIFIED)
        return false;
    pc_uid u = pc_srv_caller_principal(c);
    return !base || !pc_entities_get(base, &u);
}

pc_status pc_srv_caller_lay(const pc_srv_caller *c, pc_overlay *o, pc_diag *d)
{
    pc_uid u = pc_srv_caller_principal(c);
    json_t *none = c->r.subject.attrs ? NULL : json_object();
    pc_status st = pc_overlay_set_attrs(o, &u, c->r.subject.attrs ? c->r.subject.attrs : none, d);
    json_decref(none);
    if (st != PC_OK)
        pc_diag_prefix(d, "identity: the token's principal");
    return st;
}

bool pc_srv_caller_subject_ok(const pc_srv_config *cfg, const pc_srv_caller *c,
                              const pc_uid *claimed, pc_buf *why)
{
    if (!cfg->subject_must_match || c->who != PC_SRV_VERIFIED)
        return true;
    if (!claimed) {
        pc_buf_puts(why, "identity: subject_mismatch: the request's principal cannot be read "
                         "(identity.subject = must_match)");
        return false;
    }
    pc_uid mine = pc_srv_caller_principal(c);
    if (!pc_str_cmp(mine.type, claimed->type) && !pc_str_cmp(mine.id, claimed->id))
        return true;
    pc_buf_printf(why, "identity: subject_mismatch: the request names %.*s::\"%.*s\" but the "
                  "token is %s::\"%s\" (identity.subject = must_match)",
                  (int)claimed->type.len, claimed->type.ptr, (int)claimed->id.len,
                  claimed->id.ptr, c->r.subject.type, c->r.subject.id);
    return false;
}

/* Does the schema (none: yes) declare attribute name in action's context? */
static bool declared(const pc_schema *schema, const pc_uid *action, const char *name)
{
    if (!schema)
        return true;
    const pc_action_decl *a = pc_schema_action(schema, action);
    return a && a->context && pc_type_attr(a->context, pc_str_from_cstr(name));
}

/* ctx's members but the two only a verified token may set; NULL when out of memory. */
static json_t *without_identity(json_t *ctx)
{
    json_t *out = ctx ? json_copy(ctx) : json_object();
    if (out) {
        json_object_del(out, TOKEN_KEY);
        json_object_del(out, ACTOR_KEY);
    }
    return out;
}

/* Add the verified token (and actor) the schema declares; false when out of memory. */
static bool add_verified(const pc_schema *schema, const pc_srv_caller *c, const pc_uid *action,
                         json_t *ctx)
{
    json_t *id = pc_id_context_json(&c->r);
    if (!id)
        return false;
    static const char *const keys[] = {TOKEN_KEY, ACTOR_KEY};
    bool ok = true;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && ok; i++) {
        json_t *v = json_object_get(id, keys[i]);
        if (v && declared(schema, action, keys[i]))
            ok = json_object_set(ctx, keys[i], v) == 0;
    }
    json_decref(id);
    return ok;
}

bool pc_srv_caller_context(const pc_srv_snapshot *snap, const pc_srv_caller *c,
                           const pc_uid *action, json_t *ctx, json_t **out)
{
    bool touched = json_object_get(ctx, TOKEN_KEY) || json_object_get(ctx, ACTOR_KEY);
    *out = NULL;
    if (!snap->trust || (c->who != PC_SRV_VERIFIED && !touched)) {
        *out = json_incref(ctx);
        return true;
    }
    json_t *mine = without_identity(ctx);
    if (!mine)
        return false;
    if (c->who == PC_SRV_VERIFIED &&
        !add_verified(pc_engine_schema(snap->engine), c, action, mine)) {
        json_decref(mine);
        return false;
    }
    *out = mine;
    return true;
}
