/*
** identity/jws.c — compact JWS (RFC 7515): parsing, signature checks and
** signing, all on OpenSSL 3 EVP.
**
** Parsing refuses early and says why, in the order an attacker would try:
** an oversized token is not read at all; anything but three base64url
** segments is malformed (a five-part JWE included); alg "none" in any case
** and the HMAC algorithms are refused by name before any key is looked at,
** which is what defeats algorithm confusion (a public key used as an HMAC
** secret); a "crit" header is refused since we implement no JWS extension.
** Headers that would let a token choose its own key (jwk, jku, x5u, x5c)
** are ignored: keys come only from the issuer's configured JWKS.
**
** ECDSA signatures travel in JOSE form (r || s, each the field size) and
** EVP speaks DER, so they are converted both ways with ECDSA_SIG. RSASSA-PSS
** uses the digest as MGF1 hash and a salt as long as the digest (RFC 7518
** §3.5). Ed25519 signs the message itself (no pre-hash).
*/
#include <string.h>
#include <strings.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "id_internal.h"

typedef const EVP_MD *(*md_fn)(void);

/* How each JOSE algorithm maps onto EVP. */
static const struct alg_info {
    const char *name;
    md_fn md;          /* NULL for EdDSA */
    bool pss;
    size_t ec_half;    /* ES*: bytes of r (and of s); 0 otherwise */
} algs[PC_ALG_COUNT] = {
    [PC_ALG_RS256] = {"RS256", EVP_sha256, false, 0},
    [PC_ALG_RS384] = {"RS384", EVP_sha384, false, 0},
    [PC_ALG_RS512] = {"RS512", EVP_sha512, false, 0},
    [PC_ALG_PS256] = {"PS256", EVP_sha256, true, 0},
    [PC_ALG_PS384] = {"PS384", EVP_sha384, true, 0},
    [PC_ALG_PS512] = {"PS512", EVP_sha512, true, 0},
    [PC_ALG_ES256] = {"ES256", EVP_sha256, false, 32},
    [PC_ALG_ES384] = {"ES384", EVP_sha384, false, 48},
    [PC_ALG_EDDSA] = {"EdDSA", NULL, false, 0},
};

const char *pc_id_alg_name(pc_id_alg a)
{
    return (unsigned)a < PC_ALG_COUNT ? algs[a].name : "?";
}

bool pc_id_alg_parse(const char *name, pc_id_alg *out)
{
    for (int i = 0; i < PC_ALG_COUNT; i++)
        if (!strcmp(algs[i].name, name)) {
            *out = (pc_id_alg)i;
            return true;
        }
    return false;
}

/* ---- parsing ------------------------------------------------------------ */

/* Decode one base64url segment and parse it as a JSON object. */
static json_t *segment_object(pc_arena *a, const char *p, size_t n, const char *what,
                              pc_id_verdict *v)
{
    unsigned char *raw;
    size_t len;
    if (!pc_b64url_decode(a, p, n, &raw, &len)) {
        pc_id_fail(a, v, PC_ID_MALFORMED, "%s is not base64url", what);
        return NULL;
    }
    json_t *j = pc_id_json_object(raw, len);
    if (!j)
        pc_id_fail(a, v, PC_ID_MALFORMED, "%s is not a JSON object (or has duplicate keys, "
                   "NULs or invalid UTF-8)", what);
    return j;
}

/* alg: refuse none and HMAC by name, then anything we do not implement. */
static pc_id_reason read_alg(pc_arena *a, const json_t *header, pc_id_alg *alg, pc_id_verdict *v)
{
    const json_t *j = json_object_get(header, "alg");
    if (!json_is_string(j))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "header has no alg string");
    const char *name = json_string_value(j);
    if (!strcasecmp(name, "none"))
        return pc_id_fail(a, v, PC_ID_ALG_NONE, "alg \"%s\": unsigned tokens are never accepted", name);
    if (!strncasecmp(name, "HS", 2))
        return pc_id_fail(a, v, PC_ID_ALG_HMAC, "alg \"%s\" is an HMAC; issuers are trusted by "
                          "public key, which must never serve as an HMAC secret", name);
    if (!pc_id_alg_parse(name, alg))
        return pc_id_fail(a, v, PC_ID_ALG_UNSUPPORTED, "alg \"%.64s\" is not supported", name);
    return PC_ID_OK;
}

static pc_id_reason read_header(pc_arena *a, pc_jws *out, pc_id_verdict *v)
{
    const json_t *crit = json_object_get(out->header, "crit");
    const json_t *kid = json_object_get(out->header, "kid");
    if (read_alg(a, out->header, &out->alg, v) != PC_ID_OK)
        return v->reason;
    if (crit) {
        const json_t *first = json_array_get(crit, 0);
        return pc_id_fail(a, v, PC_ID_CRIT, "header marks %s as critical; no JWS extension is "
                          "understood here", json_is_string(first) ? json_string_value(first)
                                                                   : "a parameter");
    }
    if (kid && (!json_is_string(kid) || json_string_length(kid) > PC_ID_MAX_KID_BYTES ||
                strlen(json_string_value(kid)) != json_string_length(kid)))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "kid must be a string of at most %d bytes",
                          PC_ID_MAX_KID_BYTES);
    out->kid = kid ? json_string_value(kid) : NULL;
    return PC_ID_OK;
}

static pc_id_reason read_segments(pc_arena *a, const char *token, size_t len, pc_jws *out,
                                  pc_id_verdict *v)
{
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    size_t dots = 0;
    for (size_t i = 0; i < len; i++)
        dots += token[i] == '.';
    if (dots != 2)
        return pc_id_fail(a, v, PC_ID_MALFORMED, "%zu segments; a signed token has 3 (encrypted "
                          "tokens are not accepted)", dots + 1);
    const char *end = token + len;
    if (!(out->header = segment_object(a, token, (size_t)(dot1 - token), "header", v)) ||
        read_header(a, out, v) != PC_ID_OK ||
        !(out->claims = segment_object(a, dot1 + 1, (size_t)(dot2 - dot1 - 1), "payload", v)))
        return v->reason;
    if (!pc_json_depth_ok(out->claims, PC_ID_MAX_CLAIM_DEPTH))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "claims nest deeper than %d levels",
                          PC_ID_MAX_CLAIM_DEPTH);
    if (!pc_b64url_decode(a, dot2 + 1, (size_t)(end - dot2 - 1), &out->sig, &out->sig_len))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "signature is not base64url");
    out->input = token;
    out->input_len = (size_t)(dot2 - token);
    return PC_ID_OK;
}

pc_id_reason pc_jws_parse(pc_arena *a, const char *token, size_t len, pc_jws *out,
                          pc_id_verdict *v)
{
    memset(out, 0, sizeof *out);
    v->reason = PC_ID_OK;
    v->message = NULL;
    if (len > PC_ID_MAX_TOKEN_BYTES)
        return pc_id_fail(a, v, PC_ID_OVERSIZED, "token of %zu bytes; at most %d are read", len,
                          PC_ID_MAX_TOKEN_BYTES);
    if (!token || len == 0)
        return pc_id_fail(a, v, PC_ID_MALFORMED, "empty token");
    return read_segments(a, token, len, out, v);
}

void pc_jws_release(pc_jws *j)
{
    json_decref(j->header);
    json_decref(j->claims);
    j->header = j->claims = NULL;
}

/* ---- EVP -------------------------------------------------------------- */

/* Set up ctx for alg with k, for signing or verifying. */
static bool digest_init(EVP_MD_CTX *ctx, EVP_PKEY *k, pc_id_alg alg, bool sign)
{
    const struct alg_info *ai = &algs[alg];
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = ai->md ? ai->md() : NULL;
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, k)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k);
    if (ok != 1)
        return false;
    if (!ai->pss)
        return true;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

/* JOSE r || s -> DER (arena); NULL on a wrong length. */
static unsigned char *ecdsa_to_der(pc_arena *a, const unsigned char *sig, size_t n, size_t half,
                                   size_t *der_len)
{
    if (n != 2 * half)
        return NULL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL;   /* owned by es now */
        int len = i2d_ECDSA_SIG(es, NULL);
        unsigned char *p = len > 0 ? pc_arena_alloc(a, (size_t)len) : NULL;
        der = p;
        if (p && i2d_ECDSA_SIG(es, &p) == len)
            *der_len = (size_t)len;
        else
            der = NULL;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

/* DER -> JOSE r || s, in place into out (2 * half bytes). */
static bool ecdsa_from_der(const unsigned char *der, size_t n, size_t half, unsigned char *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    const BIGNUM *r, *s;
    bool ok = es != NULL;
    if (ok) {
        ECDSA_SIG_get0(es, &r, &s);
        ok = BN_bn2binpad(r, out, (int)half) == (int)half &&
             BN_bn2binpad(s, out + half, (int)half) == (int)half;
    }
    ECDSA_SIG_free(es);
    return ok;
}

bool pc_jws_check(EVP_PKEY *k, pc_id_alg alg, const pc_jws *j)
{
    pc_arena a;
    pc_arena_init(&a, 512, 0);
    const unsigned char *sig = j->sig;
    size_t sig_len = j->sig_len;
    if (algs[alg].ec_half)
        sig = ecdsa_to_der(&a, j->sig, j->sig_len, algs[alg].ec_half, &sig_len);
    EVP_MD_CTX *ctx = sig ? EVP_MD_CTX_new() : NULL;
    bool ok = ctx && digest_init(ctx, k, alg, false) &&
              EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)j->input, j->input_len) == 1;
    EVP_MD_CTX_free(ctx);
    pc_arena_free(&a);
    ERR_clear_error();   /* a failed check leaves entries we have already answered for */
    return ok;
}

/* ---- signing --------------------------------------------------------------- */

static unsigned char *sign_bytes(pc_arena *a, EVP_PKEY *k, pc_id_alg alg, const char *input,
                                 size_t n, size_t *sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = 0;
    unsigned char *sig = NULL;
    if (ctx && digest_init(ctx, k, alg, true) &&
        EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)input, n) == 1 &&
        (sig = pc_arena_alloc(a, len)) &&
        EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input, n) != 1)
        sig = NULL;
    EVP_MD_CTX_free(ctx);
    size_t half = algs[alg].ec_half;
    if (sig && half) {
        unsigned char *raw = pc_arena_alloc(a, 2 * half);
        sig = raw && ecdsa_from_der(sig, len, half, raw) ? raw : NULL;
        len = 2 * half;
    }
    *sig_len = len;
    return sig;
}

/* base64url of a JSON value's compact text, in a. */
static char *encode_json(pc_arena *a, const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    char *out = text ? pc_b64url_encode(a, (const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return out;
}

pc_status pc_jws_sign(pc_arena *a, EVP_PKEY *k, pc_id_alg alg, const json_t *header,
                      const json_t *claims, char **out, pc_diag *d)
{
    char *h = encode_json(a, header), *c = encode_json(a, claims);
    char *input = h && c ? pc_arena_printf(a, "%s.%s", h, c) : NULL;
    if (!input)
        return pc_diag_set(d, PC_ERR_NOMEM, "signing a token: out of memory");
    size_t sig_len = 0;
    unsigned char *sig = sign_bytes(a, k, alg, input, strlen(input), &sig_len);
    char *s = sig ? pc_b64url_encode(a, sig, sig_len) : NULL;
    ERR_clear_error();
    if (!s)
        return pc_diag_set(d, PC_ERR_INVALID, "signing a token with %s failed (wrong key type?)",
                           algs[alg].name);
    if (!(*out = pc_arena_printf(a, "%s.%s", input, s)))
        return pc_diag_set(d, PC_ERR_NOMEM, "signing a token: out of memory");
    return PC_OK;
}
