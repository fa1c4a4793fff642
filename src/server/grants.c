/*
** server/grants.c — short-lived grants through the daemon (identity.h):
**
**   POST /v1/grants/verify     {"token", "action", "resource", "principal"?,
**                               "context"?}: signature, expiry, binding, then
**                               revocation and single use through the
**                               daemon's ledger. 200 with {"valid": true, ...}
**                               or {"valid": false, "reason", "message"}.
**   GET /.well-known/jwks.json the grant public keys, for offline checks.
**   issuing                    after a native allow that asks for one
**                              ("grant": true) or whose determining policies
**                              carry @grant (@grant("single_use") makes it
**                              single use): see native.c.
**
** The keys live in the snapshot (re-read on reload, so a rotation needs no
** restart); the ledger lives in the server, so a spent or revoked grant
** stays so across reloads. Without grants.* keys the endpoints answer 404.
** The grant code frees json_dumps text with free(), so its calls run with
** the route's JSON arena paused (jsonmem.h).
*/
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "jsonmem.h"
#include "srv.h"

#define GRANT_ANNOTATION "grant"
#define SINGLE_USE "single_use"
#define UID_ARENA_BLOCK 512

static const char *const uid_names[] = {"principal", "action", "resource"};

void pc_srv_grants_jwks(pc_srv_exchange *x)
{
    const pc_grant_keyring *kr = pc_srv_snapshot_get(x)->grants;
    char *jwks = kr ? pc_grant_keyring_jwks(kr) : NULL;
    if (!kr)
        pc_srv_fail(x, MHD_HTTP_NOT_FOUND, "grants are not configured (grants.signing_key)");
    else if (!jwks)
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory writing the JWKS");
    else {
        pc_buf_puts(&x->out, jwks);
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    free(jwks);
}

/* A uid member ({"type", "id"} or Cedar text) as C strings in a; false when neither. */
static bool read_uid(pc_arena *a, json_t *j, pc_grant_uid *out)
{
    json_t *type = json_object_get(j, "type"), *id = json_object_get(j, "id");
    if (json_is_string(type) && json_is_string(id)) {
        out->type = json_string_value(type);
        out->id = json_string_value(id);
        return !memchr(out->id, '\0', json_string_length(id));
    }
    pc_diag d;
    pc_diag_init(&d);
    bool ok = json_is_string(j) && pc_grant_uid_parse(a, json_string_value(j), out, &d) == PC_OK;
    pc_diag_clear(&d);
    return ok;
}

/* The check a body asks for; false (after answering 400) when it is malformed. */
static bool read_check(pc_srv_exchange *x, json_t *root, pc_arena *a, pc_grant_uid uids[3],
                       pc_grant_check *c)
{
    json_t *ctx = json_object_get(root, "context");
    for (int i = 0; i < 3; i++) {
        json_t *j = json_object_get(root, uid_names[i]);
        if ((j || i > 0) && !read_uid(a, j, &uids[i])) {
            pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "%s must be an entity uid: {\"type\": ..., "
                        "\"id\": ...} or a string such as User::\"alice\"%s", uid_names[i],
                        i == 0 ? " (or absent: not checked)" : "");
            return false;
        }
    }
    if (ctx && !json_is_object(ctx)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "context must be an object (or absent: not checked)");
        return false;
    }
    const pc_grant_config *gc = &x->srv->cfg->identity.grants;
    *c = (pc_grant_check){json_object_get(root, uid_names[0]) ? &uids[0] : NULL, uids[1], uids[2],
                          ctx, gc->issuer, (int64_t)time(NULL), PC_GRANT_DEFAULT_SKEW,
                          x->srv->ledger};
    return true;
}

static void put_result(pc_buf *out, pc_id_reason reason, const pc_grant_result *r)
{
    if (reason == PC_ID_OK) {
        pc_buf_puts(out, "{\"valid\":true,\"jti\":");
        pc_buf_json_string(out, r->jti, strlen(r->jti));
        pc_buf_printf(out, ",\"issued_at\":%lld,\"expires_at\":%lld,\"single_use\":%s}",
                      (long long)r->iat, (long long)r->exp, r->single_use ? "true" : "false");
        return;
    }
    const char *name = pc_id_reason_name(reason);
    const char *msg = r->verdict.message ? r->verdict.message : name;
    pc_buf_puts(out, "{\"valid\":false,\"reason\":");
    pc_buf_json_string(out, name, strlen(name));
    pc_buf_puts(out, ",\"message\":");
    pc_buf_json_string(out, msg, strlen(msg));
    pc_buf_putc(out, '}');
}

static void verify_body(pc_srv_exchange *x, json_t *root, const pc_grant_keyring *kr)
{
    json_t *token = json_object_get(root, "token");
    pc_arena a;
    pc_arena_init(&a, UID_ARENA_BLOCK, 0);
    pc_grant_uid uids[3] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
    pc_grant_check c;
    if (!json_is_string(token)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "token must be a string (a grant)");
    } else if (read_check(x, root, &a, uids, &c)) {
        pc_grant_result r;
        pc_grant_result_init(&r);
        bool arena = pc_srv_jsonmem_pause();
        pc_id_reason reason = pc_grant_verify(kr, json_string_value(token),
                                              json_string_length(token), &c, &r);
        pc_srv_jsonmem_resume(arena);
        put_result(&x->out, reason, &r);
        pc_grant_result_clear(&r);
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    pc_arena_free(&a);
}

void pc_srv_grants_verify(pc_srv_exchange *x)
{
    const pc_grant_keyring *kr = pc_srv_snapshot_get(x)->grants;
    if (!kr) {
        pc_srv_fail(x, MHD_HTTP_NOT_FOUND, "grants are not configured (grants.signing_key)");
        return;
    }
    json_t *root = pc_srv_json_body(x);
    if (!root)
        return;
    verify_body(x, root, kr);
    json_decref(root);
}

/* ---- issuing --------------------------------------------------------- */

pc_srv_grant_ask pc_srv_grant_wanted(json_t *req, const pc_decision *dec)
{
    pc_srv_grant_ask ask = {json_is_true(json_object_get(req, "grant")), false};
    const pc_answer *ans = &dec->answer;
    for (uint32_t i = 0; ans->allow && i < ans->n_reasons; i++) {
        const pc_policy *p = ans->reasons[i];
        for (uint32_t k = 0; k < p->n_annos; k++) {
            if (!pc_str_eq_cstr(p->annos[k].key, GRANT_ANNOTATION))
                continue;
            ask.wanted = true;
            ask.single_use |= pc_str_eq_cstr(p->annos[k].value, SINGLE_USE);
        }
    }
    ask.wanted &= ans->allow;
    return ask;
}

/* uid as C strings in a (a pc_uid's strings need not end in NUL). */
static pc_grant_uid grant_uid(pc_arena *a, const pc_uid *u)
{
    pc_grant_uid g = {pc_arena_str(a, u->type.ptr, u->type.len).ptr,
                      pc_arena_str(a, u->id.ptr, u->id.len).ptr};
    return g;
}

void pc_srv_grant_issue(pc_srv_exchange *x, const pc_uid *const uids[3], json_t *context,
                        pc_srv_grant_ask ask, pc_buf *out)
{
    const pc_grant_keyring *kr = pc_srv_snapshot_get(x)->grants;
    const pc_grant_config *gc = &x->srv->cfg->identity.grants;
    if (!kr || !pc_grant_keyring_can_sign(kr)) {
        pc_buf_puts(out, ",\"grant_error\":\"grants are not configured (grants.signing_key)\"");
        return;
    }
    pc_arena a;
    pc_arena_init(&a, UID_ARENA_BLOCK, 0);
    pc_grant_request req = {grant_uid(&a, uids[0]), grant_uid(&a, uids[1]), grant_uid(&a, uids[2]),
                            context, gc->issuer, 0, gc->max_ttl, ask.single_use};
    pc_grant g;
    memset(&g, 0, sizeof g);
    pc_diag d;
    pc_diag_init(&d);
    bool arena = pc_srv_jsonmem_pause();
    pc_status st = pc_grant_issue(kr, &req, (int64_t)time(NULL), &g, &d);
    pc_srv_jsonmem_resume(arena);
    if (st == PC_OK) {
        pc_buf_puts(out, ",\"grant\":{\"token\":");
        pc_buf_json_string(out, g.token, strlen(g.token));
        pc_buf_printf(out, ",\"jti\":\"%s\",\"expires_at\":%lld,\"single_use\":%s}", g.jti,
                      (long long)g.exp, ask.single_use ? "true" : "false");
    } else {
        const char *why = d.msg ? d.msg : "out of memory";
        pc_buf_puts(out, ",\"grant_error\":");
        pc_buf_json_string(out, why, strlen(why));
    }
    pc_grant_clear(&g);
    pc_diag_clear(&d);
    pc_arena_free(&a);
}
