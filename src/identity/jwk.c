/*
** identity/jwk.c — JSON Web Keys (RFC 7517/7518/8037) to OpenSSL keys.
**
** A JWKS file is the trust anchor of an issuer, so reading it is strict:
** RSA keys (n, e) of PC_ID_MIN_RSA_BITS..PC_ID_MAX_RSA_BITS, EC keys on
** P-256 / P-384 (x, y of exactly the field size, point checked on the
** curve), and Ed25519 keys (x of 32 bytes). Every key is built from its
** parameters with OSSL_PARAM_BLD + EVP_PKEY_fromdata, so no deprecated
** low-level key structs are touched. A key carrying secret parameters
** (d, p, q, ..., or k of a symmetric key) refuses the whole file: it is a
** sign that a secret was published. Keys meant for something else (use !=
** "sig", key_ops without "verify", an encryption alg) and key types we do
** not verify with (X25519, P-521) are skipped, as RFC 7517 §5 allows, so a
** provider's full JWKS can be used as is; a file with no usable key is an
** error.
*/
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "id_internal.h"

static const char *const kind_names[] = {"RSA", "EC P-256", "EC P-384", "OKP Ed25519"};

const char *pc_key_kind_name(pc_key_kind k)
{
    return kind_names[k];
}

bool pc_key_fits(pc_key_kind kind, int jwk_alg, pc_id_alg alg)
{
    if (jwk_alg >= 0 && jwk_alg != (int)alg)
        return false;
    switch (alg) {
    case PC_ALG_ES256:
        return kind == PC_KEY_EC256;
    case PC_ALG_ES384:
        return kind == PC_KEY_EC384;
    case PC_ALG_EDDSA:
        return kind == PC_KEY_ED25519;
    default:
        return kind == PC_KEY_RSA;
    }
}

/* ---- building keys from parameters ------------------------------------ */

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    EVP_PKEY *k = NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

/* Context for reading one JWK: where it is (for messages) and scratch memory. */
typedef struct jwk_reader {
    const char *name;     /* the file */
    size_t index;         /* the key's position in "keys" */
    pc_arena *a;
    pc_diag *d;
} jwk_reader;

static pc_status bad_key(jwk_reader *r, const char *why)
{
    return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: %s", r->name, r->index, why);
}

/* A base64url member of the JWK, decoded; want = 0 accepts any non-empty length. */
static pc_status member_bytes(jwk_reader *r, const json_t *jwk, const char *name, size_t want,
                              unsigned char **out, size_t *len)
{
    const json_t *j = json_object_get(jwk, name);
    if (!json_is_string(j))
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: \"%s\" is missing or not a string",
                           r->name, r->index, name);
    if (!pc_b64url_decode(r->a, json_string_value(j), json_string_length(j), out, len) || !*len)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: \"%s\" is not base64url",
                           r->name, r->index, name);
    if (want && *len != want)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: \"%s\" has %zu bytes, not %zu",
                           r->name, r->index, name, *len, want);
    return PC_OK;
}

static pc_status rsa_key(jwk_reader *r, const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *n, *e;
    size_t nl, el;
    if (member_bytes(r, jwk, "n", 0, &n, &nl) != PC_OK || member_bytes(r, jwk, "e", 0, &e, &el) != PC_OK)
        return r->d->status;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        *out = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    if (!*out)
        return bad_key(r, "not a usable RSA public key");
    int bits = EVP_PKEY_get_bits(*out);
    if (bits < PC_ID_MIN_RSA_BITS || bits > PC_ID_MAX_RSA_BITS)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: RSA key of %d bits (accepted: %d to %d)",
                           r->name, r->index, bits, PC_ID_MIN_RSA_BITS, PC_ID_MAX_RSA_BITS);
    return PC_OK;
}

static bool point_on_curve(EVP_PKEY *k)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    bool ok = ctx && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static pc_status ec_key(jwk_reader *r, const json_t *jwk, pc_key_kind kind, EVP_PKEY **out)
{
    size_t field = kind == PC_KEY_EC256 ? 32 : 48;
    unsigned char *x, *y;
    size_t xl, yl;
    if (member_bytes(r, jwk, "x", field, &x, &xl) != PC_OK ||
        member_bytes(r, jwk, "y", field, &y, &yl) != PC_OK)
        return r->d->status;
    unsigned char point[1 + 2 * 48];
    point[0] = 0x04;   /* uncompressed: 04 || x || y */
    memcpy(point + 1, x, field);
    memcpy(point + 1 + field, y, field);
    const char *group = kind == PC_KEY_EC256 ? "prime256v1" : "secp384r1";
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field))
        *out = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!*out || !point_on_curve(*out))
        return bad_key(r, "x, y is not a point on the curve");
    return PC_OK;
}

static pc_status ed_key(jwk_reader *r, const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *x;
    size_t xl;
    if (member_bytes(r, jwk, "x", 32, &x, &xl) != PC_OK)
        return r->d->status;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, x, xl))
        *out = from_params("ED25519", bld);
    OSSL_PARAM_BLD_free(bld);
    return *out ? PC_OK : bad_key(r, "not a usable Ed25519 public key");
}

/* ---- what a JWK is for ---------------------------------------------------- */

static bool has_string(const json_t *jwk, const char *name, const char *value)
{
    const json_t *j = json_object_get(jwk, name);
    return json_is_string(j) && strcmp(json_string_value(j), value) == 0;
}

/* The kind of a JWK we verify with; false when it is of no use to us. */
static bool key_kind(const json_t *jwk, pc_key_kind *kind)
{
    if (has_string(jwk, "kty", "RSA"))
        *kind = PC_KEY_RSA;
    else if (has_string(jwk, "kty", "EC") && has_string(jwk, "crv", "P-256"))
        *kind = PC_KEY_EC256;
    else if (has_string(jwk, "kty", "EC") && has_string(jwk, "crv", "P-384"))
        *kind = PC_KEY_EC384;
    else if (has_string(jwk, "kty", "OKP") && has_string(jwk, "crv", "Ed25519"))
        *kind = PC_KEY_ED25519;
    else
        return false;
    return true;
}

/* Is the key meant for verifying signatures? (use, key_ops, alg) */
static bool for_signatures(const json_t *jwk, int *alg)
{
    const json_t *use = json_object_get(jwk, "use"), *ops = json_object_get(jwk, "key_ops");
    const json_t *a = json_object_get(jwk, "alg"), *op;
    if (use && !has_string(jwk, "use", "sig"))
        return false;
    if (ops) {
        bool verify = false;
        size_t i;
        json_array_foreach(ops, i, op)
            verify = verify || (json_is_string(op) && !strcmp(json_string_value(op), "verify"));
        if (!verify)
            return false;
    }
    *alg = -1;
    if (!a)
        return true;
    pc_id_alg parsed;
    if (!json_is_string(a) || !pc_id_alg_parse(json_string_value(a), &parsed))
        return false;
    *alg = (int)parsed;
    return true;
}

static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static pc_status read_key(jwk_reader *r, const json_t *jwk, pc_jwks *out, bool *used)
{
    *used = false;
    if (!json_is_object(jwk))
        return bad_key(r, "a key must be a JSON object");
    for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
        if (json_object_get(jwk, private_members[i]))
            return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: holds private key material "
                               "(\"%s\"); publish public keys only", r->name, r->index,
                               private_members[i]);
    pc_jwk k = {NULL, PC_KEY_RSA, -1, NULL};
    const json_t *kid = json_object_get(jwk, "kid");
    if (!key_kind(jwk, &k.kind) || !for_signatures(jwk, &k.alg))
        return PC_OK;
    if (kid && (!json_is_string(kid) || json_string_length(kid) > PC_ID_MAX_KID_BYTES))
        return bad_key(r, "\"kid\" must be a string of at most 256 bytes");
    if (k.alg >= 0 && !pc_key_fits(k.kind, k.alg, (pc_id_alg)k.alg))
        return bad_key(r, "\"alg\" does not fit the key type");
    if (out->n == PC_ID_MAX_KEYS)
        return pc_diag_set(r->d, PC_ERR_LIMIT, "%s: more than %d usable keys", r->name, PC_ID_MAX_KEYS);
    pc_status st = k.kind == PC_KEY_RSA       ? rsa_key(r, jwk, &k.pkey)
                   : k.kind == PC_KEY_ED25519 ? ed_key(r, jwk, &k.pkey)
                                              : ec_key(r, jwk, k.kind, &k.pkey);
    if (st == PC_OK && kid && !(k.kid = strdup(json_string_value(kid))))
        st = pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->name);
    if (st != PC_OK) {
        EVP_PKEY_free(k.pkey);
        return st;
    }
    out->keys[out->n++] = k;
    *used = true;
    return PC_OK;
}

static pc_status check_unique_kid(jwk_reader *r, const pc_jwks *s)
{
    const char *kid = s->keys[s->n - 1].kid;
    for (uint32_t i = 0; kid && i + 1 < s->n; i++)
        if (s->keys[i].kid && !strcmp(s->keys[i].kid, kid))
            return pc_diag_set(r->d, PC_ERR_INVALID, "%s: keys[%zu]: kid \"%s\" is used twice",
                               r->name, r->index, kid);
    return PC_OK;
}

static pc_status read_keys(jwk_reader *r, const json_t *doc, pc_jwks *out)
{
    const json_t *keys = json_object_get(doc, "keys"), *jwk;
    if (!json_is_array(keys))
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: a JWKS is an object with a \"keys\" array",
                           r->name);
    json_array_foreach(keys, r->index, jwk) {
        bool used;
        if (read_key(r, jwk, out, &used) != PC_OK || (used && check_unique_kid(r, out) != PC_OK))
            return r->d->status;
    }
    if (out->n == 0)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: no key usable for signatures (RSA, EC "
                           "P-256/P-384, Ed25519)", r->name);
    return PC_OK;
}

pc_status pc_jwks_parse(const char *json, size_t len, const char *name, pc_jwks *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    if (len > PC_ID_MAX_JWKS_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: JWKS larger than %u bytes", name,
                           PC_ID_MAX_JWKS_BYTES);
    json_t *doc = pc_id_json_object((const unsigned char *)json, len);
    if (!doc)
        return pc_diag_set(d, PC_ERR_INVALID, "%s: not a JSON object (or duplicate keys, NULs)",
                           name);
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    pc_diag local;   /* the reader reports through a diag even when the caller gave none */
    pc_diag_init(&local);
    jwk_reader r = {name, 0, &a, d ? d : &local};
    pc_status st = read_keys(&r, doc, out);
    pc_diag_clear(&local);
    pc_arena_free(&a);
    json_decref(doc);
    if (st != PC_OK)
        pc_jwks_free(out);
    return st;
}

void pc_jwks_free(pc_jwks *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        free(s->keys[i].kid);
        EVP_PKEY_free(s->keys[i].pkey);
    }
    s->n = 0;
}

const pc_jwk *pc_jwks_pick(const pc_jwks *s, const char *kid, pc_arena *a, pc_id_verdict *v)
{
    if (!kid) {
        if (s->n == 1)
            return &s->keys[0];
        pc_id_fail(a, v, PC_ID_UNKNOWN_KID, "token names no kid and the issuer has %u keys",
                   (unsigned)s->n);
        return NULL;
    }
    for (uint32_t i = 0; i < s->n; i++)
        if (s->keys[i].kid && !strcmp(s->keys[i].kid, kid))
            return &s->keys[i];
    pc_id_fail(a, v, PC_ID_UNKNOWN_KID, "no key with kid \"%s\"", kid);
    return NULL;
}

/* ---- publishing Ed25519 keys ---------------------------------------------- */

/* The base64url of an Ed25519 public key (x), in a. */
static char *ed_x(pc_arena *a, EVP_PKEY *k)
{
    unsigned char raw[32];
    size_t n = sizeof raw;
    if (!EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != 32)
        return NULL;
    return pc_b64url_encode(a, raw, n);
}

json_t *pc_jwk_ed25519(EVP_PKEY *k, const char *kid)
{
    pc_arena a;
    pc_arena_init(&a, 256, 0);
    char *x = ed_x(&a, k);
    json_t *j = x ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519",
                              "x", x, "kid", kid, "use", "sig", "alg", "EdDSA")
                  : NULL;
    pc_arena_free(&a);
    return j;
}

pc_status pc_jwk_thumbprint(EVP_PKEY *k, char out[PC_ID_DIGEST_B64 + 1], pc_diag *d)
{
    pc_arena a;
    pc_arena_init(&a, 256, 0);
    char *x = ed_x(&a, k);
    /* RFC 7638 §3.2: the required members only, sorted, no whitespace. */
    char *canon = x ? pc_arena_printf(&a, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x) : NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    char *b64 = canon && EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) == 1
                    ? pc_b64url_encode(&a, md, mdlen)
                    : NULL;
    if (b64)
        memcpy(out, b64, PC_ID_DIGEST_B64 + 1);
    pc_arena_free(&a);
    return b64 ? PC_OK : pc_diag_set(d, PC_ERR_INVALID, "not an Ed25519 key (or out of memory)");
}
