/*
** identity/id_internal.h — what the identity room's files share: base64url,
** JWK reading, JWS parsing, signing and checking, time-claim checks.
**
** Identity tokens and grants are both compact JWS, so the parts that touch
** untrusted bytes (splitting, base64url, JSON, signature) exist once and are
** used by both verify.c and grant.c. Temporary memory comes from the
** caller's arena; JSON values from jansson are reference-counted and
** released by whoever holds the pc_jws.
*/
#ifndef PC_ID_INTERNAL_H
#define PC_ID_INTERNAL_H

#include "identity.h"

#define PC_ID_MAX_RSA_BITS 16384     /* bigger moduli only slow verification down */
#define PC_ID_DIGEST_B64 43          /* base64url length of 32 bytes */

/* ---- verdicts ----------------------------------------------------------- */

/* Record a rejection in v (message formatted into a) and return the reason. */
pc_id_reason pc_id_fail(pc_arena *a, pc_id_verdict *v, pc_id_reason r, const char *fmt, ...)
    PC_PRINTF(4, 5);

/* s made safe to quote in a message: at most max bytes, control bytes as '?'. */
const char *pc_id_printable(pc_arena *a, const char *s, size_t max);

/* ---- base64url (RFC 4648 §5, no padding, canonical) ------------------- */

/* Decode n chars into arena memory; false on any non-alphabet char, bad length
   or non-zero trailing bits (so every byte string has one encoding). */
bool pc_b64url_decode(pc_arena *a, const char *in, size_t n, unsigned char **out, size_t *outlen);
/* Encode into arena memory, NUL-terminated; NULL when out of memory. */
char *pc_b64url_encode(pc_arena *a, const unsigned char *p, size_t n);

/* ---- keys (JWK) ----------------------------------------------------------- */

/* What a key can verify; each alg needs exactly one kind. */
typedef enum pc_key_kind { PC_KEY_RSA, PC_KEY_EC256, PC_KEY_EC384, PC_KEY_ED25519 } pc_key_kind;

typedef struct pc_jwk {
    char *kid;          /* malloc'ed; NULL when the JWK has none */
    pc_key_kind kind;
    int alg;            /* pc_id_alg the JWK is restricted to, or -1 */
    EVP_PKEY *pkey;
} pc_jwk;

typedef struct pc_jwks {
    pc_jwk keys[PC_ID_MAX_KEYS];
    uint32_t n;
} pc_jwks;

/* Parse a JWKS document ({"keys":[..]}); keys not for signature checks are skipped. */
pc_status pc_jwks_parse(const char *json, size_t len, const char *name, pc_jwks *out,
                        pc_diag *d);
void pc_jwks_free(pc_jwks *s);
/* The key a token names: by kid, or the only key when the token names none. */
const pc_jwk *pc_jwks_pick(const pc_jwks *s, const char *kid, pc_arena *a, pc_id_verdict *v);
/* Can a key of this kind (and JWK alg restriction) verify alg? */
bool pc_key_fits(pc_key_kind kind, int jwk_alg, pc_id_alg alg);
const char *pc_key_kind_name(pc_key_kind k);
/* The public JWK of an Ed25519 key with its kid (new reference), NULL on failure. */
json_t *pc_jwk_ed25519(EVP_PKEY *k, const char *kid);
/* The RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key. */
pc_status pc_jwk_thumbprint(EVP_PKEY *k, char out[PC_ID_DIGEST_B64 + 1], pc_diag *d);

/* ---- JWS compact --------------------------------------------------------- */

typedef struct pc_jws {
    const char *input;      /* header.payload: what the signature covers */
    size_t input_len;
    json_t *header;         /* owned */
    json_t *claims;         /* owned */
    unsigned char *sig;     /* arena */
    size_t sig_len;
    pc_id_alg alg;
    const char *kid;        /* borrowed from header; NULL when absent */
} pc_jws;

/*
** Split and decode a compact JWS and parse its header and claims. Rejects
** (with the reason in v): oversized, malformed, alg none, HMAC algs,
** unsupported algs, crit. The signature is not checked here.
*/
pc_id_reason pc_jws_parse(pc_arena *a, const char *token, size_t len, pc_jws *out,
                          pc_id_verdict *v);
void pc_jws_release(pc_jws *j);
/* Does sig verify input under key k with alg? (EVP; JOSE raw r||s for ES*.) */
bool pc_jws_check(EVP_PKEY *k, pc_id_alg alg, const pc_jws *j);
/*
** Sign: base64url(header JSON) . base64url(claims JSON) . base64url(sig),
** into arena memory. The header is taken as given (its alg is not read).
*/
pc_status pc_jws_sign(pc_arena *a, EVP_PKEY *k, pc_id_alg alg, const json_t *header,
                      const json_t *claims, char **out, pc_diag *d);

/* ---- claims --------------------------------------------------------------- */

/*
** A NumericDate claim: *present false when absent; a non-number, a negative
** or a time past PC_ID_MAX_TIME is malformed. Reals are floored.
*/
pc_id_reason pc_claim_time(pc_arena *a, pc_id_verdict *v, const json_t *claims,
                           const char *name, bool *present, int64_t *out);
/* exp required and not passed; nbf and iat not in the future; iat within max_age. */
pc_id_reason pc_check_times(pc_arena *a, pc_id_verdict *v, const json_t *claims, int64_t now,
                            int64_t skew, int64_t max_age);
/* Does a JSON value nest at most max levels (a scalar is one level)? */
bool pc_json_depth_ok(const json_t *j, size_t max);
/* The Cedar-safe copy of any value: false when out of memory or too deep;
   true with *out NULL when the value has no Cedar form (null, a fraction). */
bool pc_id_cedar_value(const json_t *v, json_t **out);
/* Parse JSON the way tokens need it: an object, no duplicate keys, no NULs. */
json_t *pc_id_json_object(const unsigned char *text, size_t len);

/* ---- config helpers shared with the trust ------------------------------ */

/* Deep copy of an issuer's settings; false when out of memory (dst then freed). */
bool pc_id_issuer_copy(pc_id_issuer_config *dst, const pc_id_issuer_config *src);
void pc_id_issuer_free(pc_id_issuer_config *ic);

/* ---- mapping -------------------------------------------------------------- */

/* Is name an attribute the profile derives itself (so no listed claim may take it)? */
bool pc_id_profile_attr(pc_id_profile p, const char *name);
/* Map verified claims to r->subject (and r->actor) by the issuer's profile. */
pc_id_reason pc_id_map(const pc_id_issuer_config *ic, json_t *claims, pc_id_result *r);

#endif
