/*
** identity/verify.c — trusted issuers and the verification of one token.
**
** A trust is a frozen list of issuers, each with its settings (copied from
** the config) and its keys (parsed from its JWKS). It is built once per
** (re)load and then only read, so requests on any thread share it without
** locks; a reload builds a new one rather than changing this one.
**
** The verification order is fixed so that nothing in a token is believed
** before its signature is checked: the issuer named by iss only selects
** which keys and rules apply, and an unknown iss stops everything. Time and
** audience rules come after the signature, the claim mapping last.
*/
#include <stdlib.h>
#include <string.h>

#include "id_internal.h"

typedef struct trusted {
    pc_id_issuer_config cfg;
    pc_jwks keys;
} trusted;

struct pc_id_trust {
    trusted issuers[PC_ID_MAX_ISSUERS];
    uint32_t n;
};

pc_id_trust *pc_id_trust_new(void)
{
    return calloc(1, sizeof(pc_id_trust));
}

size_t pc_id_trust_issuer_count(const pc_id_trust *t)
{
    return t->n;
}

void pc_id_trust_free(pc_id_trust *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n; i++) {
        pc_id_issuer_free(&t->issuers[i].cfg);
        pc_jwks_free(&t->issuers[i].keys);
    }
    free(t);
}

/* The settings pc_id_config_finish guarantees; checked again for direct callers. */
static const char *incomplete(const pc_id_issuer_config *ic)
{
    return !ic->name ? "name" : !ic->issuer ? "issuer" : !ic->algs ? "algorithms"
           : !ic->n_audiences ? "audiences" : !ic->principal_type ? "principal_type"
           : !ic->id_claim ? "id_claim" : !ic->actor_type ? "actor_type" : NULL;
}

pc_status pc_id_trust_add(pc_id_trust *t, const pc_id_issuer_config *ic, const char *jwks,
                          size_t len, pc_diag *d)
{
    const char *missing = incomplete(ic);
    if (missing)
        return pc_diag_set(d, PC_ERR_INVALID, "issuer %s: %s is not set (finish the config first)",
                           ic->name ? ic->name : "(unnamed)", missing);
    if (t->n == PC_ID_MAX_ISSUERS)
        return pc_diag_set(d, PC_ERR_LIMIT, "more than %d trusted issuers", PC_ID_MAX_ISSUERS);
    for (uint32_t i = 0; i < t->n; i++)
        if (!strcmp(t->issuers[i].cfg.issuer, ic->issuer))
            return pc_diag_set(d, PC_ERR_INVALID, "issuer %s: iss '%s' is already trusted as %s",
                               ic->name, ic->issuer, t->issuers[i].cfg.name);
    trusted *ti = &t->issuers[t->n];
    pc_status st = pc_jwks_parse(jwks, len, ic->jwks_file ? ic->jwks_file : ic->name, &ti->keys, d);
    if (st != PC_OK)
        return st;
    if (!pc_id_issuer_copy(&ti->cfg, ic)) {
        pc_jwks_free(&ti->keys);
        return pc_diag_set(d, PC_ERR_NOMEM, "issuer %s: out of memory", ic->name);
    }
    t->n++;
    return PC_OK;
}

pc_status pc_id_trust_load(const pc_id_config *cfg, pc_id_trust **out, pc_diag *d)
{
    pc_id_trust *t = pc_id_trust_new();
    if (!t)
        return pc_diag_set(d, PC_ERR_NOMEM, "trusted issuers: out of memory");
    pc_status st = PC_OK;
    for (uint32_t i = 0; i < cfg->n_issuers && st == PC_OK; i++) {
        const pc_id_issuer_config *ic = &cfg->issuers[i];
        char *text = NULL;
        size_t len = 0;
        st = !ic->jwks_file ? pc_diag_set(d, PC_ERR_INVALID, "issuer %s: jwks_file is not set", ic->name)
                            : pc_read_file(ic->jwks_file, PC_ID_MAX_JWKS_BYTES, &text, &len, d);
        if (st == PC_OK)
            st = pc_id_trust_add(t, ic, text, len, d);
        free(text);
    }
    if (st != PC_OK) {
        pc_id_trust_free(t);
        return st;
    }
    *out = t;
    return PC_OK;
}

/* ---- results ---------------------------------------------------------------- */

void pc_id_result_init(pc_id_result *r)
{
    memset(r, 0, sizeof *r);
    pc_arena_init(&r->arena, 4096, 0);
}

static void party_release(pc_id_party *p)
{
    json_decref(p->attrs);
    json_decref(p->claims);
    memset(p, 0, sizeof *p);
}

void pc_id_result_reset(pc_id_result *r)
{
    party_release(&r->subject);
    party_release(&r->actor);
    pc_arena arena = r->arena;
    memset(r, 0, sizeof *r);
    r->arena = arena;
    pc_arena_reset(&r->arena);
}

void pc_id_result_clear(pc_id_result *r)
{
    pc_id_result_reset(r);
    pc_arena_free(&r->arena);
}

/* ---- one token ------------------------------------------------------------ */

static const trusted *find_issuer(const pc_id_trust *t, const json_t *claims, pc_id_result *r)
{
    const json_t *iss = json_object_get(claims, "iss");
    if (!json_is_string(iss)) {
        pc_id_fail(&r->arena, &r->verdict, PC_ID_UNTRUSTED_ISSUER, "token has no iss string");
        return NULL;
    }
    for (uint32_t i = 0; i < t->n; i++)
        if (!strcmp(t->issuers[i].cfg.issuer, json_string_value(iss)) &&
            strlen(json_string_value(iss)) == json_string_length(iss))
            return &t->issuers[i];
    pc_id_fail(&r->arena, &r->verdict, PC_ID_UNTRUSTED_ISSUER, "issuer '%s' is not trusted",
               pc_id_printable(&r->arena, json_string_value(iss), 128));
    return NULL;
}

static bool audience_ok(const pc_id_issuer_config *ic, const json_t *aud)
{
    for (uint32_t i = 0; i < ic->n_audiences; i++)
        if (!strcmp(ic->audiences[i], json_string_value(aud)))
            return true;
    return false;
}

/* aud: a string or an array of strings, one of which we accept (RFC 7519 §4.1.3). */
static pc_id_reason check_audience(pc_arena *a, pc_id_verdict *v, const pc_id_issuer_config *ic,
                                   const json_t *claims)
{
    const json_t *aud = json_object_get(claims, "aud"), *one;
    size_t i;
    if (!aud)
        return pc_id_fail(a, v, PC_ID_WRONG_AUD, "token has no aud; %s tokens must be meant for "
                          "us (%s)", ic->name, ic->audiences[0]);
    if (json_is_string(aud))
        return audience_ok(ic, aud) ? PC_ID_OK
               : pc_id_fail(a, v, PC_ID_WRONG_AUD, "aud '%s' is not an accepted audience",
                            pc_id_printable(a, json_string_value(aud), 128));
    if (!json_is_array(aud))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "aud is neither a string nor an array");
    json_array_foreach(aud, i, one)
        if (!json_is_string(one))
            return pc_id_fail(a, v, PC_ID_MALFORMED, "aud[%zu] is not a string", i);
    json_array_foreach(aud, i, one)
        if (audience_ok(ic, one))
            return PC_ID_OK;
    return pc_id_fail(a, v, PC_ID_WRONG_AUD, "none of the %zu aud values is an accepted audience",
                      json_array_size(aud));
}

/* Select the key: named by kid, able to do the token's alg. */
static const pc_jwk *pick_key(const trusted *ti, const pc_jws *j, pc_id_result *r)
{
    pc_arena *a = &r->arena;
    const pc_jwk *k = pc_jwks_pick(&ti->keys, j->kid, a, &r->verdict);
    if (k && !pc_key_fits(k->kind, k->alg, j->alg)) {
        pc_id_fail(a, &r->verdict, PC_ID_KEY_MISMATCH, "key '%s' is %s%s%s and cannot verify %s",
                   k->kid ? pc_id_printable(a, k->kid, 64) : "(no kid)", pc_key_kind_name(k->kind),
                   k->alg >= 0 ? " restricted to " : "",
                   k->alg >= 0 ? pc_id_alg_name((pc_id_alg)k->alg) : "", pc_id_alg_name(j->alg));
        return NULL;
    }
    return k;
}

static pc_id_reason verify_parsed(const pc_id_trust *t, const pc_jws *j, int64_t now,
                                  pc_id_result *r)
{
    pc_arena *a = &r->arena;
    const json_t *typ = json_object_get(j->header, "typ");
    if (json_is_string(typ) && !strcmp(json_string_value(typ), PC_GRANT_TYP))
        return pc_id_fail(a, &r->verdict, PC_ID_WRONG_TYPE, "a grant is not an identity token");
    const trusted *ti = find_issuer(t, j->claims, r);
    if (!ti)
        return r->verdict.reason;
    r->issuer = pc_arena_strdup(a, ti->cfg.name);
    r->alg = j->alg;
    if (!(ti->cfg.algs & PC_ALG_BIT(j->alg)))
        return pc_id_fail(a, &r->verdict, PC_ID_ALG_NOT_ALLOWED, "alg %s is not allowed for "
                          "issuer %s", pc_id_alg_name(j->alg), ti->cfg.name);
    const pc_jwk *k = pick_key(ti, j, r);
    if (!k)
        return r->verdict.reason;
    r->kid = k->kid ? pc_arena_strdup(a, k->kid) : NULL;
    if (!pc_jws_check(k->pkey, j->alg, j))
        return pc_id_fail(a, &r->verdict, PC_ID_BAD_SIGNATURE, "%s signature does not verify "
                          "with key '%s' of issuer %s", pc_id_alg_name(j->alg),
                          k->kid ? pc_id_printable(a, k->kid, 64) : "(no kid)", ti->cfg.name);
    if (pc_check_times(a, &r->verdict, j->claims, now, ti->cfg.skew, ti->cfg.max_age) != PC_ID_OK ||
        check_audience(a, &r->verdict, &ti->cfg, j->claims) != PC_ID_OK)
        return r->verdict.reason;
    return pc_id_map(&ti->cfg, j->claims, r);
}

pc_id_reason pc_id_verify(const pc_id_trust *t, const char *token, size_t len, int64_t now,
                          pc_id_result *r)
{
    pc_id_result_reset(r);
    pc_jws j;
    if (pc_jws_parse(&r->arena, token, len, &j, &r->verdict) == PC_ID_OK)
        verify_parsed(t, &j, now, r);
    pc_jws_release(&j);
    if (r->verdict.reason != PC_ID_OK) {   /* a rejected token leaves no identity behind */
        party_release(&r->subject);
        party_release(&r->actor);
        r->has_actor = false;
    }
    return r->verdict.reason;
}
