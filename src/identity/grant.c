/*
** identity/grant.c — short-lived grants: Ed25519 JWS tokens bound to one
** decision.
**
** A grant says "principal P may do action A on resource R, in a context
** whose digest is D, until exp" and is signed with our Ed25519 key. Its
** claims: iss, jti (128 random bits), iat, exp, principal / action /
** resource as {"type","id"}, ctx_sha256 (base64url SHA-256 of the compact,
** key-sorted JSON of the context), and single_use when it may be used once.
** Its header carries typ PC_GRANT_TYP, so an identity token can never pass
** as a grant nor a grant as an identity token of some issuer.
**
** Keys: the kid is the RFC 7638 thumbprint, so rotation needs no naming
** scheme and a verifier with the published JWKS finds the right key.
** Verification runs the same JWS parser as identity tokens, then the grant
** rules; the ledger (revoked / spent ids) is consulted last so a grant that
** fails any other check is never marked spent.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "id_internal.h"
#include "lang/ast.h"

#define MAX_KEY_FILE_BYTES (64u << 10)

typedef struct gkey {
    EVP_PKEY *pkey;
    char kid[PC_ID_DIGEST_B64 + 1];
    bool private_key;
} gkey;

struct pc_grant_keyring {
    gkey keys[PC_GRANT_MAX_KEYS];
    uint32_t n;
    int signer;   /* index of the signing key, -1 when none */
};

/* ---- keyring ------------------------------------------------------------ */

pc_grant_keyring *pc_grant_keyring_new(void)
{
    pc_grant_keyring *kr = calloc(1, sizeof *kr);
    if (kr)
        kr->signer = -1;
    return kr;
}

void pc_grant_keyring_free(pc_grant_keyring *kr)
{
    if (!kr)
        return;
    for (uint32_t i = 0; i < kr->n; i++)
        EVP_PKEY_free(kr->keys[i].pkey);
    free(kr);
}

bool pc_grant_keyring_can_sign(const pc_grant_keyring *kr)
{
    return kr && kr->signer >= 0;
}

static const gkey *find_kid(const pc_grant_keyring *kr, const char *kid)
{
    for (uint32_t i = 0; kid && i < kr->n; i++)
        if (!strcmp(kr->keys[i].kid, kid))
            return &kr->keys[i];
    return NULL;
}

/* Add k (taken over in every case). */
static pc_status add_key(pc_grant_keyring *kr, EVP_PKEY *k, bool private_key, bool sign, pc_diag *d)
{
    gkey g = {k, "", private_key};
    pc_status st = PC_OK;
    if (!EVP_PKEY_is_a(k, "ED25519"))
        st = pc_diag_set(d, PC_ERR_INVALID, "grant keys are Ed25519; this is %s",
                         EVP_PKEY_get0_type_name(k));
    else if (sign && !private_key)
        st = pc_diag_set(d, PC_ERR_INVALID, "the grant signing key must be a private key");
    else if (sign && kr->signer >= 0)
        st = pc_diag_set(d, PC_ERR_INVALID, "only one grant key signs; the others verify");
    else if (kr->n == PC_GRANT_MAX_KEYS)
        st = pc_diag_set(d, PC_ERR_LIMIT, "more than %d grant keys", PC_GRANT_MAX_KEYS);
    else if ((st = pc_jwk_thumbprint(k, g.kid, d)) == PC_OK && find_kid(kr, g.kid))
        st = pc_diag_set(d, PC_ERR_INVALID, "grant key %s is given twice", g.kid);
    if (st != PC_OK) {
        EVP_PKEY_free(k);
        return st;
    }
    if (sign)
        kr->signer = (int)kr->n;
    kr->keys[kr->n++] = g;
    return PC_OK;
}

/* Never prompt for a passphrase: an encrypted key file is refused instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

pc_status pc_grant_keyring_add_pem(pc_grant_keyring *kr, const char *pem, size_t len, bool sign,
                                   pc_diag *d)
{
    if (len > MAX_KEY_FILE_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "PEM key larger than %u bytes", MAX_KEY_FILE_BYTES);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    bool private_key = k != NULL;
    if (bio && !k && BIO_reset(bio) == 1)
        k = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!k)
        return pc_diag_set(d, PC_ERR_INVALID, "not a PEM private or public key (encrypted keys "
                           "are not supported)");
    return add_key(kr, k, private_key, sign, d);
}

pc_status pc_grant_keyring_add_jwks(pc_grant_keyring *kr, const char *json, size_t len, pc_diag *d)
{
    pc_jwks s;
    pc_status st = pc_jwks_parse(json, len, "grant JWKS", &s, d);
    for (uint32_t i = 0; st == PC_OK && i < s.n; i++) {
        if (s.keys[i].kind != PC_KEY_ED25519)
            st = pc_diag_set(d, PC_ERR_INVALID, "grant JWKS holds a %s key; grants are Ed25519",
                             pc_key_kind_name(s.keys[i].kind));
        else if (EVP_PKEY_up_ref(s.keys[i].pkey) == 1)
            st = add_key(kr, s.keys[i].pkey, false, false, d);
        else
            st = pc_diag_set(d, PC_ERR_NOMEM, "grant JWKS: out of memory");
    }
    if (s.n)
        pc_jwks_free(&s);
    return st;
}

static pc_status add_file(pc_grant_keyring *kr, const char *path, bool sign, pc_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    pc_status st = pc_read_file(path, MAX_KEY_FILE_BYTES, &text, &len, d);
    if (st == PC_OK && (st = pc_grant_keyring_add_pem(kr, text, len, sign, d)) != PC_OK)
        pc_diag_prefix(d, "%s", path);
    if (text)
        OPENSSL_cleanse(text, len);   /* the buffer may have held a private key */
    free(text);
    return st;
}

pc_status pc_grant_keyring_load(const pc_grant_config *gc, pc_grant_keyring **out, pc_diag *d)
{
    *out = NULL;
    if (!gc->signing_key && gc->n_verify_keys == 0)
        return PC_OK;
    pc_grant_keyring *kr = pc_grant_keyring_new();
    if (!kr)
        return pc_diag_set(d, PC_ERR_NOMEM, "grant keys: out of memory");
    pc_status st = gc->signing_key ? add_file(kr, gc->signing_key, true, d) : PC_OK;
    for (uint32_t i = 0; i < gc->n_verify_keys && st == PC_OK; i++)
        st = add_file(kr, gc->verify_keys[i], false, d);
    if (st != PC_OK) {
        pc_grant_keyring_free(kr);
        return st;
    }
    *out = kr;
    return PC_OK;
}

char *pc_grant_keyring_jwks(const pc_grant_keyring *kr)
{
    json_t *keys = json_array(), *doc = keys ? json_pack("{s:o}", "keys", keys) : NULL;
    bool ok = doc != NULL;
    for (uint32_t i = 0; ok && i < kr->n; i++)
        ok = json_array_append_new(keys, pc_jwk_ed25519(kr->keys[i].pkey, kr->keys[i].kid)) == 0;
    char *text = ok ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    return text;
}

pc_status pc_grant_keygen(const char *path, pc_diag *d)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!k)
        return pc_diag_set(d, PC_ERR_INVALID, "cannot make an Ed25519 key");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    pc_status st = PC_OK;
    if (!f) {
        st = pc_diag_set(d, PC_ERR_IO, "%s: cannot create (it must not exist yet): %s", path,
                         strerror(errno));
        if (fd >= 0)
            close(fd);
    } else {
        bool written = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
        if (fclose(f) != 0 || !written)
            st = pc_diag_set(d, PC_ERR_IO, "%s: cannot write the key", path);
    }
    EVP_PKEY_free(k);
    ERR_clear_error();
    return st;
}

/* ---- uids and digests ------------------------------------------------------ */

static pc_status uid_from_json(pc_arena *a, const char *text, pc_grant_uid *out, pc_diag *d)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    const json_t *o = json_object_get(j, "__entity") ? json_object_get(j, "__entity") : j;
    const json_t *type = json_object_get(o, "type"), *id = json_object_get(o, "id");
    if (json_is_string(type) && json_is_string(id) && json_string_length(type) > 0) {
        out->type = pc_arena_strdup(a, json_string_value(type));
        out->id = pc_arena_strdup(a, json_string_value(id));
    }
    json_decref(j);
    if (!out->type)
        return pc_diag_set(d, PC_ERR_INVALID, "'%s' is not a JSON entity uid {\"type\":..,\"id\":..} "
                           "(without NULs)", text);
    return out->id ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading a uid");
}

pc_status pc_grant_uid_parse(pc_arena *a, const char *text, pc_grant_uid *out, pc_diag *d)
{
    out->type = out->id = NULL;
    if (text[strspn(text, " \t\r\n")] == '{')
        return uid_from_json(a, text, out, d);
    pc_uid *u = NULL;
    pc_status st = pc_parse_uid(a, NULL, text, strlen(text), &u, d);
    if (st != PC_OK)
        return st;
    if (memchr(u->id.ptr, '\0', u->id.len))
        return pc_diag_set(d, PC_ERR_INVALID, "entity ids holding NUL cannot be bound in grants");
    out->type = pc_arena_str(a, u->type.ptr, u->type.len).ptr;
    out->id = pc_arena_str(a, u->id.ptr, u->id.len).ptr;
    return out->type && out->id ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading a uid");
}

pc_status pc_grant_context_digest(const json_t *context, char out[PC_ID_DIGEST_B64 + 1], pc_diag *d)
{
    json_t *empty = context ? NULL : json_object();
    char *text = json_dumps(context ? context : empty, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(empty);
    unsigned char md[32];
    unsigned int n = 0;
    pc_arena a;
    pc_arena_init(&a, 256, 0);
    char *b64 = text && EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1
                    ? pc_b64url_encode(&a, md, n)
                    : NULL;
    if (b64)
        memcpy(out, b64, PC_ID_DIGEST_B64 + 1);
    free(text);
    pc_arena_free(&a);
    return b64 ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "context digest: out of memory");
}

/* ---- issuing ----------------------------------------------------------------- */

static json_t *uid_json(const pc_grant_uid *u)
{
    return json_pack("{s:s, s:s}", "type", u->type, "id", u->id);
}

static bool uid_given(const pc_grant_uid *u)
{
    return u->type && u->id && *u->type;
}

/* The signed claims of a new grant, jti and times already in out. */
static json_t *grant_claims(const pc_grant_request *req, const pc_grant *g, const char *digest)
{
    json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:s}", "iss",
                          req->issuer ? req->issuer : PC_GRANT_DEFAULT_ISSUER, "jti", g->jti,
                          "iat", (json_int_t)g->iat, "exp", (json_int_t)g->exp,
                          "principal", uid_json(&req->principal), "action", uid_json(&req->action),
                          "resource", uid_json(&req->resource), "ctx_sha256", digest);
    if (c && req->single_use && json_object_set_new(c, "single_use", json_true()) != 0) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static pc_status check_request(const pc_grant_keyring *kr, const pc_grant_request *req,
                               int64_t *ttl, pc_diag *d)
{
    int64_t max = req->max_ttl ? req->max_ttl : PC_GRANT_DEFAULT_TTL;
    *ttl = req->ttl ? req->ttl : max;
    if (!pc_grant_keyring_can_sign(kr))
        return pc_diag_set(d, PC_ERR_STATE, "no grant signing key is configured");
    if (max < 1 || max > PC_GRANT_MAX_TTL || *ttl < 1 || *ttl > max)
        return pc_diag_set(d, PC_ERR_INVALID, "grant lifetime of %lld s is outside 1..%lld s",
                           (long long)*ttl, (long long)(max < PC_GRANT_MAX_TTL ? max : PC_GRANT_MAX_TTL));
    if (!uid_given(&req->principal) || !uid_given(&req->action) || !uid_given(&req->resource))
        return pc_diag_set(d, PC_ERR_INVALID, "a grant needs principal, action and resource");
    return PC_OK;
}

static pc_status new_jti(pc_grant *g, pc_arena *a, pc_diag *d)
{
    unsigned char raw[PC_GRANT_JTI_BYTES];
    char *b64 = RAND_bytes(raw, sizeof raw) == 1 ? pc_b64url_encode(a, raw, sizeof raw) : NULL;
    if (!b64 || strlen(b64) != PC_GRANT_JTI_LEN)
        return pc_diag_set(d, PC_ERR_INVALID, "no random bytes for a grant id");
    memcpy(g->jti, b64, PC_GRANT_JTI_LEN + 1);
    return PC_OK;
}

pc_status pc_grant_issue(const pc_grant_keyring *kr, const pc_grant_request *req, int64_t now,
                         pc_grant *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    int64_t ttl;
    char digest[PC_ID_DIGEST_B64 + 1];
    pc_status st = check_request(kr, req, &ttl, d);
    if (st != PC_OK || (st = pc_grant_context_digest(req->context, digest, d)) != PC_OK)
        return st;
    pc_arena a;
    pc_arena_init(&a, 2048, 0);
    const gkey *k = &kr->keys[kr->signer];
    out->iat = now;
    out->exp = now + ttl;
    json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "EdDSA", "typ", PC_GRANT_TYP, "kid", k->kid);
    json_t *claims = (st = new_jti(out, &a, d)) == PC_OK ? grant_claims(req, out, digest) : NULL;
    char *token = NULL;
    if (st == PC_OK && (!header || !claims))
        st = pc_diag_set(d, PC_ERR_NOMEM, "issuing a grant: out of memory");
    if (st == PC_OK && (st = pc_jws_sign(&a, k->pkey, PC_ALG_EDDSA, header, claims, &token, d)) == PC_OK &&
        !(out->token = strdup(token)))
        st = pc_diag_set(d, PC_ERR_NOMEM, "issuing a grant: out of memory");
    json_decref(header);
    json_decref(claims);
    pc_arena_free(&a);
    return st;
}

void pc_grant_clear(pc_grant *g)
{
    free(g->token);
    memset(g, 0, sizeof *g);
}

/* ---- verifying ----------------------------------------------------------------- */

void pc_grant_result_init(pc_grant_result *r)
{
    memset(r, 0, sizeof *r);
    pc_arena_init(&r->arena, 2048, 0);
}

void pc_grant_result_reset(pc_grant_result *r)
{
    pc_arena arena = r->arena;
    memset(r, 0, sizeof *r);
    r->arena = arena;
    pc_arena_reset(&r->arena);
}

void pc_grant_result_clear(pc_grant_result *r)
{
    pc_grant_result_reset(r);
    pc_arena_free(&r->arena);
}

/* A bound uid claim {"type","id"} into out (arena strings). */
static bool read_uid(pc_arena *a, const json_t *claims, const char *name, pc_grant_uid *out)
{
    const json_t *o = json_object_get(claims, name);
    const json_t *type = json_object_get(o, "type"), *id = json_object_get(o, "id");
    if (!json_is_string(type) || !json_is_string(id))
        return false;
    out->type = pc_arena_strdup(a, json_string_value(type));
    out->id = pc_arena_strdup(a, json_string_value(id));
    return out->type && out->id;
}

static pc_id_reason read_grant(const pc_jws *j, pc_grant_result *r)
{
    pc_arena *a = &r->arena;
    const json_t *jti = json_object_get(j->claims, "jti");
    const json_t *once = json_object_get(j->claims, "single_use");
    bool has_iat;
    if (!json_is_string(jti) || json_string_length(jti) != PC_GRANT_JTI_LEN ||
        !read_uid(a, j->claims, "principal", &r->principal) ||
        !read_uid(a, j->claims, "action", &r->action) ||
        !read_uid(a, j->claims, "resource", &r->resource) ||
        !json_is_string(json_object_get(j->claims, "ctx_sha256")) || (once && !json_is_boolean(once)))
        return pc_id_fail(a, &r->verdict, PC_ID_MALFORMED, "grant claims jti, principal, action, "
                          "resource, ctx_sha256 (and single_use) are missing or mistyped");
    r->jti = pc_arena_strdup(a, json_string_value(jti));
    r->single_use = json_is_true(once);
    if (pc_claim_time(a, &r->verdict, j->claims, "iat", &has_iat, &r->iat) != PC_ID_OK)
        return r->verdict.reason;
    if (!has_iat)
        return pc_id_fail(a, &r->verdict, PC_ID_MALFORMED, "grant has no iat");
    bool has_exp;
    return pc_claim_time(a, &r->verdict, j->claims, "exp", &has_exp, &r->exp);
}

static const char *uid_text(pc_arena *a, const pc_grant_uid *u)
{
    const char *s = pc_arena_printf(a, "%s::\"%s\"", u->type, u->id);
    return s ? pc_id_printable(a, s, 256) : "?";
}

/* One binding: the grant's uid must be the presented one. */
static pc_id_reason check_bound(pc_grant_result *r, const char *what, const pc_grant_uid *got,
                                const pc_grant_uid *want, pc_id_reason why)
{
    if (!uid_given(want))
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_INTERNAL, "no %s given to check the "
                          "grant against", what);
    if (!strcmp(got->type, want->type) && !strcmp(got->id, want->id))
        return PC_ID_OK;
    return pc_id_fail(&r->arena, &r->verdict, why, "grant is for %s %s, not %s", what,
                      uid_text(&r->arena, got), uid_text(&r->arena, want));
}

static pc_id_reason check_binding(const pc_jws *j, const pc_grant_check *c, pc_grant_result *r)
{
    if ((c->principal && check_bound(r, "principal", &r->principal, c->principal,
                                     PC_ID_WRONG_PRINCIPAL) != PC_ID_OK) ||
        check_bound(r, "action", &r->action, &c->action, PC_ID_WRONG_ACTION) != PC_ID_OK ||
        check_bound(r, "resource", &r->resource, &c->resource, PC_ID_WRONG_RESOURCE) != PC_ID_OK)
        return r->verdict.reason;
    if (!c->context)
        return PC_ID_OK;
    char digest[PC_ID_DIGEST_B64 + 1];
    if (pc_grant_context_digest(c->context, digest, NULL) != PC_OK)
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_INTERNAL, "context digest: out of memory");
    if (strcmp(digest, json_string_value(json_object_get(j->claims, "ctx_sha256"))))
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_WRONG_CONTEXT, "the context differs "
                          "from the one the grant was issued for");
    return PC_ID_OK;
}

static pc_id_reason check_ledger(const pc_grant_check *c, pc_grant_result *r)
{
    if (!c->ledger) {
        r->single_use_unchecked = r->single_use;
        return PC_ID_OK;
    }
    switch (c->ledger->ops->use(c->ledger->self, r->jti, r->single_use, r->exp + PC_ID_MAX_SKEW, c->now)) {
    case PC_LEDGER_FRESH:
        return PC_ID_OK;
    case PC_LEDGER_REVOKED:
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_REVOKED, "grant %s is revoked", r->jti);
    case PC_LEDGER_SPENT:
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_SPENT, "grant %s was single-use and is "
                          "already used", r->jti);
    default:
        return pc_id_fail(&r->arena, &r->verdict, PC_ID_LEDGER, "the grant ledger is full; "
                          "refusing rather than forgetting revocations");
    }
}

/* Header and key: EdDSA, our typ, a kid we hold, a signature that verifies. */
static pc_id_reason check_signed(const pc_grant_keyring *kr, const pc_jws *j, pc_grant_result *r)
{
    pc_arena *a = &r->arena;
    const json_t *typ = json_object_get(j->header, "typ");
    if (j->alg != PC_ALG_EDDSA)
        return pc_id_fail(a, &r->verdict, PC_ID_ALG_NOT_ALLOWED, "grants are EdDSA, not %s",
                          pc_id_alg_name(j->alg));
    if (!json_is_string(typ) || strcmp(json_string_value(typ), PC_GRANT_TYP))
        return pc_id_fail(a, &r->verdict, PC_ID_WRONG_TYPE, "typ is not %s: not a grant", PC_GRANT_TYP);
    const gkey *k = kr ? find_kid(kr, j->kid) : NULL;
    if (!k)
        return pc_id_fail(a, &r->verdict, PC_ID_UNKNOWN_KID, "no grant key with kid '%s'",
                          j->kid ? pc_id_printable(a, j->kid, 64) : "(none)");
    r->kid = pc_arena_strdup(a, k->kid);
    if (!pc_jws_check(k->pkey, PC_ALG_EDDSA, j))
        return pc_id_fail(a, &r->verdict, PC_ID_BAD_SIGNATURE, "grant signature does not verify "
                          "with key %s", k->kid);
    return PC_ID_OK;
}

static pc_id_reason verify_grant(const pc_grant_keyring *kr, const pc_jws *j,
                                 const pc_grant_check *c, pc_grant_result *r)
{
    pc_arena *a = &r->arena;
    const char *want_iss = c->issuer ? c->issuer : PC_GRANT_DEFAULT_ISSUER;
    const json_t *iss = json_object_get(j->claims, "iss");
    if (c->skew < 0 || c->skew > PC_ID_MAX_SKEW)
        return pc_id_fail(a, &r->verdict, PC_ID_INTERNAL, "clock skew %lld s is outside 0..%d s",
                          (long long)c->skew, PC_ID_MAX_SKEW);
    if (check_signed(kr, j, r) != PC_ID_OK)
        return r->verdict.reason;
    if (!json_is_string(iss) || strcmp(json_string_value(iss), want_iss))
        return pc_id_fail(a, &r->verdict, PC_ID_UNTRUSTED_ISSUER, "grant is not from %s", want_iss);
    if (read_grant(j, r) != PC_ID_OK ||
        pc_check_times(a, &r->verdict, j->claims, c->now, c->skew, 0) != PC_ID_OK ||
        check_binding(j, c, r) != PC_ID_OK)
        return r->verdict.reason;
    return check_ledger(c, r);
}

pc_id_reason pc_grant_verify(const pc_grant_keyring *kr, const char *token, size_t len,
                             const pc_grant_check *c, pc_grant_result *r)
{
    pc_grant_result_reset(r);
    pc_jws j;
    if (pc_jws_parse(&r->arena, token, len, &j, &r->verdict) == PC_ID_OK)
        verify_grant(kr, &j, c, r);
    pc_jws_release(&j);
    return r->verdict.reason;
}
