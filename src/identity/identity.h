/*
** identity/identity.h — verified non-human identity and short-lived grants.
**
** Two jobs, one room, because both are JWS tokens checked with the same
** code (one base64url, one JWK reader, one signature check on OpenSSL 3 EVP):
**
**   1. Identity. A caller presents a JWT from an issuer we trust (a CI
**      system, a SPIFFE server, a Kubernetes API server, an agent platform).
**      pc_id_verify checks it against the trusted issuers and maps the
**      verified claims to a Cedar principal (type + id + attributes), an
**      optional RFC 8693 actor, and the claims the policies may read.
**   2. Grants. After an allow, pc_grant_issue signs a short-lived Ed25519
**      token bound to principal, action, resource and a digest of the
**      context; pc_grant_verify checks one, with revocation and single use
**      through a small ledger interface.
**
** How the daemon uses it (one request):
**
**   pc_id_config cfg;             filled once: pc_id_config_set for each
**                                 identity.* / grants.* line of its config
**   pc_id_trust *t;               pc_id_trust_load(&cfg, &t, d) at start-up
**                                 and on every policy reload (a new one is
**                                 built and swapped in; JWKS files re-read)
**   pc_id_result r;               per worker thread, pc_id_result_init once
**   pc_id_verify(t, token, len, time(NULL), &r)   (resets r first)
**       r.verdict.reason != PC_ID_OK  -> deny, reason r.verdict.message
**       else principal = r.subject (type, id), entity pc_id_entity_json,
**            context  += pc_id_context_json(&r)  ({"token": .., "actor": ..})
**   grants: pc_grant_issue after an allow; pc_grant_verify with a ledger
**   (pc_grant_ledger_memory(PC_GRANT_LEDGER_DEFAULT_CAP)) for revocation
**   and single use
**
** A pc_id_trust and a pc_grant_keyring are immutable once built, so any
** number of threads read them without locks. A ledger locks internally.
**
** Shapes produced for policies (documented in examples/identity/README.md):
**   principal            TYPE::"ID" from the issuer's mapping profile
**   context.token        the verified claims, made Cedar-safe (see below)
**   context.actor        only for delegated tokens (RFC 8693 `act`):
**                        { "principal": <actor entity ref>,
**                          "attrs": { ... }, "claims": <the act object> }
** Cedar-safe claims: JSON null and non-integral numbers (Cedar has neither)
** are dropped, integral reals become integers, and object keys starting
** with "__" are dropped so a claim can never pose as a Cedar __entity or
** __extn escape. The raw claims stay in pc_id_party.claims.
*/
#ifndef PC_IDENTITY_H
#define PC_IDENTITY_H

#include <jansson.h>
#include <openssl/evp.h>

#include "base/base.h"

/* ---- bounds, named once ---------------------------------------------- */

#define PC_ID_MAX_TOKEN_BYTES 16384      /* a longer token is refused unread */
#define PC_ID_MAX_ISSUERS 32
#define PC_ID_MAX_AUDIENCES 16           /* per issuer */
#define PC_ID_MAX_ATTR_CLAIMS 32         /* identity.issuer.X.attributes */
#define PC_ID_MAX_KEYS 64                /* usable keys in one JWKS */
#define PC_ID_MAX_JWKS_BYTES (1u << 20)
#define PC_ID_MAX_KID_BYTES 256
#define PC_ID_MAX_CLAIM_DEPTH (PC_MAX_JSON_DEPTH - 4)  /* room for context.token.* */
#define PC_ID_MAX_ACT_DEPTH 8            /* nested RFC 8693 act claims */
#define PC_ID_MAX_SKEW 3600              /* clock_skew may not exceed an hour */
#define PC_ID_DEFAULT_SKEW 60
#define PC_ID_MAX_TIME INT64_C(253402300799)   /* 9999-12-31T23:59:59Z */
#define PC_ID_MIN_RSA_BITS 2048

#define PC_GRANT_DEFAULT_TTL 300         /* grants.max_ttl default, seconds */
#define PC_GRANT_MAX_TTL 86400           /* grants.max_ttl may not exceed a day */
#define PC_GRANT_MAX_KEYS 16             /* signing + verification keys */
#define PC_GRANT_JTI_BYTES 16            /* 128 random bits */
#define PC_GRANT_JTI_LEN 22              /* their base64url length */
#define PC_GRANT_DEFAULT_ISSUER "portcullis"
#define PC_GRANT_TYP "portcullis-grant+jwt"
#define PC_GRANT_DEFAULT_SKEW 30         /* verification leeway for grant times */
#define PC_GRANT_LEDGER_DEFAULT_CAP (1u << 20)   /* live grant ids a daemon remembers */

/* ---- algorithms -------------------------------------------------------- */

typedef enum pc_id_alg {
    PC_ALG_RS256, PC_ALG_RS384, PC_ALG_RS512,
    PC_ALG_PS256, PC_ALG_PS384, PC_ALG_PS512,
    PC_ALG_ES256, PC_ALG_ES384,
    PC_ALG_EDDSA,
    PC_ALG_COUNT
} pc_id_alg;

#define PC_ALG_BIT(a) (1u << (a))
#define PC_ALG_ALL ((1u << PC_ALG_COUNT) - 1)

const char *pc_id_alg_name(pc_id_alg a);   /* "RS256", ... */
/* The algorithm named exactly so (JOSE names are case-sensitive); false if none. */
bool pc_id_alg_parse(const char *name, pc_id_alg *out);

/* ---- rejection reasons (identity tokens and grants) ------------------- */

typedef enum pc_id_reason {
    PC_ID_OK = 0,
    PC_ID_OVERSIZED,          /* longer than PC_ID_MAX_TOKEN_BYTES */
    PC_ID_MALFORMED,          /* segments, base64url, JSON, claim types */
    PC_ID_ALG_NONE,           /* alg "none" in any spelling */
    PC_ID_ALG_HMAC,           /* HS*: a shared-secret MAC against public keys */
    PC_ID_ALG_UNSUPPORTED,    /* an algorithm we do not implement */
    PC_ID_ALG_NOT_ALLOWED,    /* supported, but not allowed for this issuer */
    PC_ID_CRIT,               /* crit names extensions we do not understand */
    PC_ID_UNTRUSTED_ISSUER,   /* iss missing or not a trusted issuer */
    PC_ID_UNKNOWN_KID,        /* no key with that kid (or no kid, several keys) */
    PC_ID_KEY_MISMATCH,       /* the kid's key cannot do the header's alg */
    PC_ID_BAD_SIGNATURE,
    PC_ID_MISSING_EXP,
    PC_ID_EXPIRED,
    PC_ID_NOT_YET_VALID,      /* nbf, or iat in the future beyond the skew */
    PC_ID_TOO_OLD,            /* iat older than max_age (or no iat when it is bounded) */
    PC_ID_WRONG_AUD,
    PC_ID_MAPPING,            /* verified, but the claims do not fit the profile */
    PC_ID_WRONG_TYPE,         /* grants: typ is not PC_GRANT_TYP */
    PC_ID_WRONG_PRINCIPAL,    /* grants: bound to another principal */
    PC_ID_WRONG_ACTION,
    PC_ID_WRONG_RESOURCE,
    PC_ID_WRONG_CONTEXT,      /* grants: context digest differs */
    PC_ID_REVOKED,
    PC_ID_SPENT,              /* a single-use grant already used */
    PC_ID_LEDGER,             /* the ledger could not record (full, no memory) */
    PC_ID_INTERNAL,           /* out of memory or an OpenSSL failure */
    PC_ID_REASON_COUNT
} pc_id_reason;

/* A stable snake_case name for logs and API answers: "expired", "alg_none". */
const char *pc_id_reason_name(pc_id_reason r);

/* The outcome of one check: a reason and a message saying what and why. */
typedef struct pc_id_verdict {
    pc_id_reason reason;
    const char *message;      /* NULL when OK; lives in the result's arena */
} pc_id_verdict;

/* ---- configuration ------------------------------------------------------ */

typedef enum pc_id_profile {
    PC_ID_PROFILE_CUSTOM,     /* principal_type required; id from id_claim (sub) */
    PC_ID_PROFILE_SPIFFE,     /* JWT-SVID: sub = spiffe://TD/PATH */
    PC_ID_PROFILE_GITHUB,     /* GitHub Actions OIDC */
    PC_ID_PROFILE_KUBERNETES  /* service-account token (kubernetes.io claims) */
} pc_id_profile;

/* One trusted issuer. Strings are malloc'ed and owned by the config. */
typedef struct pc_id_issuer_config {
    char *name;                          /* the label in identity.issuer.NAME.* */
    char *issuer;                        /* exact iss value */
    char *jwks_file;                     /* path, already joined to the config's dir */
    uint32_t algs;                       /* PC_ALG_BIT set; 0 until set (then required) */
    char *audiences[PC_ID_MAX_AUDIENCES];
    uint32_t n_audiences;                /* at least one is required */
    int64_t max_age;                     /* seconds since iat; 0 = not bounded */
    int64_t skew;                        /* seconds of clock leeway */
    pc_id_profile profile;
    char *principal_type;                /* NULL = the profile's default */
    char *id_claim;                      /* NULL = the profile's default */
    char *attr_claims[PC_ID_MAX_ATTR_CLAIMS];   /* claims copied as attributes */
    uint32_t n_attr_claims;
    char *actor_type;                    /* NULL = "Agent" */
    uint32_t set_mask;                   /* keys already given (each may be set once) */
} pc_id_issuer_config;

/* Where grants come from. */
typedef struct pc_grant_config {
    char *signing_key;                   /* Ed25519 private key PEM; NULL = no grants */
    char *verify_keys[PC_GRANT_MAX_KEYS];   /* earlier or next keys, published too */
    uint32_t n_verify_keys;
    char *issuer;                        /* iss of our grants */
    int64_t max_ttl;                     /* seconds */
    uint32_t set_mask;                   /* keys already given (each may be set once) */
} pc_grant_config;

typedef struct pc_id_config {
    pc_id_issuer_config issuers[PC_ID_MAX_ISSUERS];
    uint32_t n_issuers;
    pc_grant_config grants;
} pc_id_config;

/*
** The config keys (the same lines inside portcullis.conf):
**
**   identity.issuer.NAME.issuer          exact iss (required)
**   identity.issuer.NAME.jwks_file       JWKS file, relative to the config (required)
**   identity.issuer.NAME.algorithms      e.g. "RS256 ES256" (required; no HS*, no none)
**   identity.issuer.NAME.audiences       accepted aud values (required)
**   identity.issuer.NAME.max_age         seconds since iat (default: unbounded)
**   identity.issuer.NAME.clock_skew      seconds (default 60, at most 3600)
**   identity.issuer.NAME.profile         spiffe | github | kubernetes | custom
**   identity.issuer.NAME.principal_type  Cedar entity type (default per profile:
**                                        Workload, Workload, ServiceAccount; custom: required)
**   identity.issuer.NAME.id_claim        claim holding the principal id (default per
**                                        profile: sub, repository, sub; custom: sub)
**   identity.issuer.NAME.attributes      further claims copied as principal attributes
**   identity.issuer.NAME.actor_type      Cedar entity type of an RFC 8693 actor (Agent)
**   grants.signing_key                   Ed25519 private key PEM (enables grants)
**   grants.verify_keys                   more PEM keys (public or private) still accepted
**   grants.issuer                        iss of grants (default "portcullis")
**   grants.max_ttl                       seconds (default 300, at most 86400)
**
** Lists are separated by spaces or commas. Every key may be set once.
*/
void pc_id_config_init(pc_id_config *cfg);
/* Is this key one of ours (identity.* or grants.)? */
bool pc_id_config_owns(const char *key);
/*
** Apply one key = value. base_dir (may be NULL) anchors relative paths. On
** error returns PC_ERR_INVALID (or PC_ERR_NOMEM) with a message naming the
** key; the caller prefixes FILE:LINE.
*/
pc_status pc_id_config_set(pc_id_config *cfg, const char *key, const char *value,
                           const char *base_dir, pc_diag *d);
/* Check that every issuer is complete; fills profile defaults. */
pc_status pc_id_config_finish(pc_id_config *cfg, pc_diag *d);
/*
** Read the identity section of a key = value file (portcullis.conf): the
** identity.* and grants.* lines; other keys belong to the daemon and are
** skipped. Calls pc_id_config_finish. Errors name FILE:LINE.
*/
pc_status pc_id_config_load(const char *path, pc_id_config *cfg, pc_diag *d);
void pc_id_config_free(pc_id_config *cfg);

/* ---- trusted issuers, loaded -------------------------------------------- */

typedef struct pc_id_trust pc_id_trust;

pc_id_trust *pc_id_trust_new(void);
/* Add one issuer with its JWKS text (copied config; keys parsed now). */
pc_status pc_id_trust_add(pc_id_trust *t, const pc_id_issuer_config *ic, const char *jwks,
                          size_t len, pc_diag *d);
/* Build the trust of a finished config, reading every JWKS file. */
pc_status pc_id_trust_load(const pc_id_config *cfg, pc_id_trust **out, pc_diag *d);
size_t pc_id_trust_issuer_count(const pc_id_trust *t);
void pc_id_trust_free(pc_id_trust *t);

/* ---- verification ------------------------------------------------------- */

/* A principal or actor made from verified claims. */
typedef struct pc_id_party {
    const char *type;         /* Cedar entity type, e.g. "Gate::Workload" */
    const char *id;
    json_t *attrs;            /* object: attributes from the profile */
    json_t *claims;           /* raw verified claims (for an actor: the act object) */
} pc_id_party;

typedef struct pc_id_result {
    pc_id_verdict verdict;
    const char *issuer;       /* the trusted issuer's config name (in the arena) */
    const char *kid;          /* the key that verified the token (NULL when none named) */
    pc_id_alg alg;
    pc_id_party subject;
    bool has_actor;
    pc_id_party actor;
    pc_arena arena;           /* strings of this result */
} pc_id_result;

void pc_id_result_init(pc_id_result *r);
void pc_id_result_reset(pc_id_result *r);   /* forget one result, keep the memory */
void pc_id_result_clear(pc_id_result *r);   /* free everything */

/*
** Verify a compact JWS token at time now (Unix seconds). Returns the reason
** (also in r->verdict). On PC_ID_OK the subject (and actor) are filled. The
** order of checks: size, shape, header (alg none/HMAC/unsupported, crit),
** payload, issuer, alg allowed, key, signature, then the time claims and
** audience, then the mapping, so no claim is trusted before the signature.
*/
pc_id_reason pc_id_verify(const pc_id_trust *t, const char *token, size_t len, int64_t now,
                          pc_id_result *r);

/* {"uid":{"type":T,"id":I},"attrs":{..},"parents":[]}: a Cedar entity (new reference). */
json_t *pc_id_entity_json(const pc_id_party *p);
/* {"token":{..},"actor":{..}}: to merge into the request context (new reference). */
json_t *pc_id_context_json(const pc_id_result *r);
/* A Cedar-safe deep copy of a claims object (rules above); NULL when out of
   memory or not an object. */
json_t *pc_id_cedar_safe(const json_t *claims);

/* ---- grants -------------------------------------------------------------- */

/* An entity uid by parts; the strings are borrowed. */
typedef struct pc_grant_uid {
    const char *type;
    const char *id;
} pc_grant_uid;

/*
** Read a uid in Cedar syntax (Gate::Action::"open") or JSON
** ({"type":..,"id":..}) into a (strings in a). PC_ERR_INVALID when it is neither.
*/
pc_status pc_grant_uid_parse(pc_arena *a, const char *text, pc_grant_uid *out, pc_diag *d);

/*
** Signing and verification keys. Exactly one key signs (the newest private
** key set as signing); every key verifies. Rotation with overlap: publish
** the next key as a verify key first, then make it the signing key and keep
** the old one as a verify key for at least max_ttl, then drop it. kid is the
** RFC 7638 thumbprint of the public key, so it needs no configuration.
*/
typedef struct pc_grant_keyring pc_grant_keyring;

pc_grant_keyring *pc_grant_keyring_new(void);
/* Add an Ed25519 key from PEM text (private or public); sign needs private. */
pc_status pc_grant_keyring_add_pem(pc_grant_keyring *kr, const char *pem, size_t len, bool sign,
                                   pc_diag *d);
/* Add every Ed25519 key of a JWKS (offline verification with published keys). */
pc_status pc_grant_keyring_add_jwks(pc_grant_keyring *kr, const char *json, size_t len,
                                    pc_diag *d);
/* The keyring of a grants config (signing_key, verify_keys); NULL out when disabled. */
pc_status pc_grant_keyring_load(const pc_grant_config *gc, pc_grant_keyring **out, pc_diag *d);
bool pc_grant_keyring_can_sign(const pc_grant_keyring *kr);
/* The public keys as a JWKS document (malloc'ed JSON text), NULL when out of memory. */
char *pc_grant_keyring_jwks(const pc_grant_keyring *kr);
void pc_grant_keyring_free(pc_grant_keyring *kr);

/* Make a new Ed25519 key; write it as PEM to a new file (mode 0600, never overwrites). */
pc_status pc_grant_keygen(const char *path, pc_diag *d);

typedef struct pc_grant_request {
    pc_grant_uid principal, action, resource;
    const json_t *context;    /* the context that mattered; NULL = {} */
    const char *issuer;       /* iss; NULL = PC_GRANT_DEFAULT_ISSUER */
    int64_t ttl;              /* seconds, 1..max_ttl; 0 = max_ttl */
    int64_t max_ttl;          /* the configured bound; 0 = PC_GRANT_DEFAULT_TTL */
    bool single_use;
} pc_grant_request;

typedef struct pc_grant {
    char *token;              /* JWS compact, malloc'ed */
    char jti[PC_GRANT_JTI_LEN + 1];
    int64_t iat, exp;
} pc_grant;

pc_status pc_grant_issue(const pc_grant_keyring *kr, const pc_grant_request *req, int64_t now,
                         pc_grant *out, pc_diag *d);
void pc_grant_clear(pc_grant *g);

/*
** The ledger of revoked and spent grant ids, behind a small interface so a
** shared state store can replace the in-memory one. Every entry carries the
** time after which it can be forgotten (the grant can no longer verify).
*/
typedef enum pc_ledger_state {
    PC_LEDGER_FRESH,          /* neither revoked nor (when spending) spent; now recorded */
    PC_LEDGER_REVOKED,
    PC_LEDGER_SPENT,
    PC_LEDGER_FULL            /* could not record; the caller must deny */
} pc_ledger_state;

typedef struct pc_grant_ledger_ops {
    /* Mark jti revoked until `until`. PC_ERR_LIMIT when full. */
    pc_status (*revoke)(void *self, const char *jti, int64_t until, int64_t now);
    /* One atomic step: revoked? else if spend: spent? else mark spent until `until`. */
    pc_ledger_state (*use)(void *self, const char *jti, bool spend, int64_t until, int64_t now);
    void (*destroy)(void *self);
} pc_grant_ledger_ops;

typedef struct pc_grant_ledger {
    const pc_grant_ledger_ops *ops;
    void *self;
} pc_grant_ledger;

/* The in-memory ledger (thread-safe), holding at most capacity live ids. */
pc_grant_ledger *pc_grant_ledger_memory(size_t capacity);
void pc_grant_ledger_free(pc_grant_ledger *l);
/*
** Revoke grant id jti. Any grant with that id expires by now + max_ttl, so
** that is how long the ledger remembers it.
*/
pc_status pc_grant_revoke(pc_grant_ledger *l, const char *jti, int64_t max_ttl, int64_t now,
                          pc_diag *d);

/* What a presented grant must match. NULL principal / context: not checked. */
typedef struct pc_grant_check {
    const pc_grant_uid *principal;
    pc_grant_uid action, resource;
    const json_t *context;
    const char *issuer;       /* NULL = PC_GRANT_DEFAULT_ISSUER */
    int64_t now;
    int64_t skew;             /* seconds of leeway on exp / iat, 0..PC_ID_MAX_SKEW */
    pc_grant_ledger *ledger;  /* NULL = offline: no revocation, single use unchecked */
} pc_grant_check;

typedef struct pc_grant_result {
    pc_id_verdict verdict;
    const char *jti;
    const char *kid;
    int64_t iat, exp;
    bool single_use;
    bool single_use_unchecked;   /* single-use grant verified without a ledger */
    pc_grant_uid principal, action, resource;   /* as bound in the grant */
    pc_arena arena;
} pc_grant_result;

void pc_grant_result_init(pc_grant_result *r);
void pc_grant_result_reset(pc_grant_result *r);
void pc_grant_result_clear(pc_grant_result *r);

/*
** Verify a grant: size, shape, alg EdDSA, typ, kid in the keyring, signature,
** issuer, times, then the binding (principal, action, resource, context),
** and last the ledger (revoked; single use is spent only on success).
*/
pc_id_reason pc_grant_verify(const pc_grant_keyring *kr, const char *token, size_t len,
                             const pc_grant_check *c, pc_grant_result *r);

/* base64url(SHA-256(compact, key-sorted JSON of context)) — the bound digest. */
pc_status pc_grant_context_digest(const json_t *context, char out[44], pc_diag *d);

#endif
