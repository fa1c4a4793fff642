/*
** tests/unit/test_identity.c — verified identity tokens and grants.
**
** Every key is generated when the tests start (EVP_PKEY_Q_keygen) and every
** token is minted here, so nothing secret is committed. The published RFC
** vectors at the top (RFC 7515 A.3, RFC 8037 A.4 and its RFC 7638
** thumbprint) check the signature code against someone else's signer,
** since tokens minted by our own signer alone could hide a shared mistake.
**
** The attack table lists one token per rejection reason, each built from a
** header, claims and a signing key (or literally), with the reason and a
** piece of the message it must produce. All times are relative to NOW.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "identity/id_internal.h"

#define NOW 1800000000   /* the tests' clock: 2027-01-15T08:00:00Z */

/* ---- keys and token minting ------------------------------------------------ */

enum { K_RSA, K_EC256, K_EC384, K_ED, K_EVIL_RSA, K_EVIL_ED, K_COUNT };

static EVP_PKEY *keys[K_COUNT];

static int make_keys(void **state)
{
    (void)state;
    keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[K_EVIL_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[K_EC256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[K_EC384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys[K_ED] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    keys[K_EVIL_ED] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    for (int i = 0; i < K_COUNT; i++)
        if (!keys[i])
            return -1;
    return 0;
}

static int free_keys(void **state)
{
    (void)state;
    for (int i = 0; i < K_COUNT; i++)
        EVP_PKEY_free(keys[i]);
    return 0;
}

static pc_arena scratch;   /* per test: strings built by the helpers */

static int open_scratch(void **state)
{
    (void)state;
    pc_arena_init(&scratch, 0, 0);
    return 0;
}

static int close_scratch(void **state)
{
    (void)state;
    pc_arena_free(&scratch);
    return 0;
}

static char *b64(const void *p, size_t n)
{
    char *s = pc_b64url_encode(&scratch, p, n);
    assert_non_null(s);
    return s;
}

static char *b64s(const char *s)
{
    return b64(s, strlen(s));
}

/* A BIGNUM parameter of k as base64url. */
static char *bn_param(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    unsigned char buf[1024];
    int n = BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64(buf, (size_t)n);
}

/* The public JWK of a test key, with kid and optional alg restriction. */
static char *jwk(EVP_PKEY *k, const char *kid, const char *alg)
{
    char extra[128] = "";
    if (alg)
        snprintf(extra, sizeof extra, ",\"alg\":\"%s\"", alg);
    if (EVP_PKEY_is_a(k, "RSA"))
        return pc_arena_printf(&scratch, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}",
                               kid, bn_param(k, "n"), bn_param(k, "e"), extra);
    unsigned char pub[200];
    size_t n = 0;
    if (EVP_PKEY_is_a(k, "ED25519")) {
        n = sizeof pub;
        assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
        return pc_arena_printf(&scratch, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"%s\",\"x\":\"%s\"%s}",
                               kid, b64(pub, n), extra);
    }
    assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &n), 1);
    size_t half = (n - 1) / 2;   /* 04 || x || y */
    return pc_arena_printf(&scratch, "{\"kty\":\"EC\",\"crv\":\"%s\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}",
                           half == 32 ? "P-256" : "P-384", kid, b64(pub + 1, half),
                           b64(pub + 1 + half, half), extra);
}

static json_t *parse_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", e.text, text);
    return j;
}

/* A token: header and claims JSON as given, signed by key with alg. */
static char *mint(int key, pc_id_alg alg, const char *header, const char *claims)
{
    json_t *h = parse_json(header), *c = parse_json(claims);
    char *tok = NULL;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_jws_sign(&scratch, keys[key], alg, h, c, &tok, &d), PC_OK);
    json_decref(h);
    json_decref(c);
    return tok;
}

/* A token from three texts: header and claims are base64url-encoded, sig taken as is. */
static char *raw(const char *header, const char *claims, const char *sig)
{
    return pc_arena_printf(&scratch, "%s.%s.%s", b64s(header), b64s(claims), sig);
}

/* ---- trust ------------------------------------------------------------------- */

typedef struct setting {
    const char *key, *value;
} setting;

/* Apply settings to cfg, each expected to succeed. */
static void apply(pc_id_config *cfg, const setting *s, size_t n)
{
    pc_diag d;
    pc_diag_init(&d);
    for (size_t i = 0; i < n; i++)
        if (pc_id_config_set(cfg, s[i].key, s[i].value, NULL, &d) != PC_OK)
            fail_msg("%s = %s: %s", s[i].key, s[i].value, d.msg);
}

#define ISS_TEST "https://issuer.test"
#define CLAIMS_OK "{\"iss\":\"" ISS_TEST "\",\"sub\":\"caller-1\",\"aud\":\"portcullis\"," \
                  "\"iat\":1799999900,\"exp\":1800000300}"

static const setting test_settings[] = {
    {"identity.issuer.test.issuer", ISS_TEST},
    {"identity.issuer.test.jwks_file", "test.jwks"},
    {"identity.issuer.test.algorithms", "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"},
    {"identity.issuer.test.audiences", "other-service, portcullis"},
    {"identity.issuer.test.max_age", "600"},
    {"identity.issuer.test.profile", "custom"},
    {"identity.issuer.test.principal_type", "Test :: Caller"},
    {"identity.issuer.test.attributes", "email groups"},
    {"identity.issuer.restricted.issuer", "https://restricted.test"},
    {"identity.issuer.restricted.jwks_file", "restricted.jwks"},
    {"identity.issuer.restricted.algorithms", "ES256"},
    {"identity.issuer.restricted.audiences", "portcullis"},
    {"identity.issuer.restricted.principal_type", "Test::Caller"},
    {"identity.issuer.svid.issuer", "https://spire.test"},
    {"identity.issuer.svid.jwks_file", "svid.jwks"},
    {"identity.issuer.svid.algorithms", "EdDSA"},
    {"identity.issuer.svid.audiences", "portcullis"},
    {"identity.issuer.svid.profile", "spiffe"},
    {"identity.issuer.gha.issuer", "https://token.actions.githubusercontent.com"},
    {"identity.issuer.gha.jwks_file", "gha.jwks"},
    {"identity.issuer.gha.algorithms", "RS256"},
    {"identity.issuer.gha.audiences", "portcullis"},
    {"identity.issuer.gha.profile", "github"},
    {"identity.issuer.gha.principal_type", "CI::Repository"},
    {"identity.issuer.k8s.issuer", "https://kubernetes.default.svc"},
    {"identity.issuer.k8s.jwks_file", "k8s.jwks"},
    {"identity.issuer.k8s.algorithms", "ES256"},
    {"identity.issuer.k8s.audiences", "portcullis"},
    {"identity.issuer.k8s.profile", "kubernetes"},
    {"identity.issuer.deleg.issuer", "https://sts.test"},
    {"identity.issuer.deleg.jwks_file", "sts.jwks"},
    {"identity.issuer.deleg.algorithms", "EdDSA"},
    {"identity.issuer.deleg.audiences", "portcullis"},
    {"identity.issuer.deleg.principal_type", "Human"},
    {"identity.issuer.deleg.actor_type", "Gate::Agent"},
};

static pc_id_trust *trust;

/* Keys a JWKS may hold that are not for checking signatures: skipped, not refused. */
#define SKIPPED_KEYS "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQ\",\"e\":\"AQ\"}," \
    "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AQ\"},{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AQ\",\"y\":\"AQ\"}," \
    "{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"AQ\",\"e\":\"AQ\"},{\"kty\":\"RSA\",\"key_ops\":[\"encrypt\"],\"n\":\"AQ\",\"e\":\"AQ\"}"

/* The JWKS text for each test issuer, in config order. */
static char *jwks_for(const char *name)
{
    if (!strcmp(name, "test"))
        return pc_arena_printf(&scratch, "{\"keys\":[%s,%s,%s,%s,%s,%s]}", SKIPPED_KEYS,
                               jwk(keys[K_RSA], "rsa", NULL), jwk(keys[K_EC256], "ec256", NULL),
                               jwk(keys[K_EC384], "ec384", NULL), jwk(keys[K_ED], "ed", NULL),
                               jwk(keys[K_EC256], "ec256-es256", "ES256"));
    if (!strcmp(name, "restricted"))
        return pc_arena_printf(&scratch, "{\"keys\":[%s,%s]}", jwk(keys[K_EC256], "r-ec", NULL),
                               jwk(keys[K_RSA], "r-rsa", NULL));
    if (!strcmp(name, "gha"))
        return pc_arena_printf(&scratch, "{\"keys\":[%s]}", jwk(keys[K_RSA], "gh", "RS256"));
    if (!strcmp(name, "k8s"))
        return pc_arena_printf(&scratch, "{\"keys\":[%s]}", jwk(keys[K_EC256], "k8s", NULL));
    return pc_arena_printf(&scratch, "{\"keys\":[%s]}", jwk(keys[K_ED], name, NULL));
}

static int make_trust(void **state)
{
    if (make_keys(state) || open_scratch(state))
        return -1;
    pc_id_config cfg;
    pc_id_config_init(&cfg);
    apply(&cfg, test_settings, sizeof test_settings / sizeof test_settings[0]);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_id_config_finish(&cfg, &d), PC_OK);
    trust = pc_id_trust_new();
    for (uint32_t i = 0; i < cfg.n_issuers; i++) {
        const char *text = jwks_for(cfg.issuers[i].name);
        if (pc_id_trust_add(trust, &cfg.issuers[i], text, strlen(text), &d) != PC_OK)
            fail_msg("%s", d.msg);
    }
    pc_id_config_free(&cfg);
    return close_scratch(state);
}

static int free_trust(void **state)
{
    pc_id_trust_free(trust);
    return free_keys(state);
}

/* Verify token at NOW; check the reason and that the message says what it should. */
static void expect(const char *token, pc_id_reason want, const char *says, pc_id_result *r)
{
    pc_id_reason got = pc_id_verify(trust, token, strlen(token), NOW, r);
    if (got != want || (says && (!r->verdict.message || !strstr(r->verdict.message, says))))
        fail_msg("want %s (\"%s\"), got %s: %s", pc_id_reason_name(want), says ? says : "",
                 pc_id_reason_name(got), r->verdict.message ? r->verdict.message : "(no message)");
}

/* ---- published vectors -------------------------------------------------------- */

static void rfc7515_es256_vector(void **state)
{
    (void)state;
    const char *jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";
    const char *tok = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6"
                      "Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4Gawxa"
                      "epmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    pc_jwks s;
    pc_jws j;
    pc_id_verdict v;
    assert_int_equal(pc_jwks_parse(jwks, strlen(jwks), "rfc", &s, NULL), PC_OK);
    assert_int_equal(pc_jws_parse(&scratch, tok, strlen(tok), &j, &v), PC_ID_OK);
    assert_int_equal(j.alg, PC_ALG_ES256);
    assert_true(pc_jws_check(s.keys[0].pkey, PC_ALG_ES256, &j));
    j.sig[10] ^= 1;
    assert_false(pc_jws_check(s.keys[0].pkey, PC_ALG_ES256, &j));
    pc_jws_release(&j);
    pc_jwks_free(&s);
}

static void rfc8037_ed25519_vector_and_thumbprint(void **state)
{
    (void)state;
    const char *jwks = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                       "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
    const char *input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const char *sig = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    pc_jwks s;
    assert_int_equal(pc_jwks_parse(jwks, strlen(jwks), "rfc", &s, NULL), PC_OK);
    pc_jws j = {input, strlen(input), NULL, NULL, NULL, 0, PC_ALG_EDDSA, NULL};
    assert_true(pc_b64url_decode(&scratch, sig, strlen(sig), &j.sig, &j.sig_len));
    assert_true(pc_jws_check(s.keys[0].pkey, PC_ALG_EDDSA, &j));
    char kid[PC_ID_DIGEST_B64 + 1];
    assert_int_equal(pc_jwk_thumbprint(s.keys[0].pkey, kid, NULL), PC_OK);
    assert_string_equal(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    pc_jwks_free(&s);
}

static void base64url_is_strict(void **state)
{
    (void)state;
    unsigned char *out;
    size_t n;
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)(255 - i);
    for (size_t len = 0; len < 40; len++) {   /* every tail length round-trips */
        char *enc = b64(bytes, len);
        assert_null(strpbrk(enc, "=+/"));
        assert_true(pc_b64url_decode(&scratch, enc, strlen(enc), &out, &n));
        assert_int_equal(n, len);
        assert_memory_equal(out, bytes, len);
    }
    const char *bad[] = {"e30=", "ab+c", "ab/c", "abcde", "e31", "e3 0", "e3\n0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(pc_b64url_decode(&scratch, bad[i], strlen(bad[i]), &out, &n));
    assert_true(pc_b64url_decode(&scratch, "e30", 3, &out, &n));
    assert_memory_equal(out, "{}", 2);
}

/* ---- every algorithm ----------------------------------------------------------- */

static void every_algorithm_verifies(void **state)
{
    (void)state;
    static const struct {
        pc_id_alg alg;
        int key;
        const char *kid;
    } cases[] = {
        {PC_ALG_RS256, K_RSA, "rsa"},   {PC_ALG_RS384, K_RSA, "rsa"},     {PC_ALG_RS512, K_RSA, "rsa"},
        {PC_ALG_PS256, K_RSA, "rsa"},   {PC_ALG_PS384, K_RSA, "rsa"},     {PC_ALG_PS512, K_RSA, "rsa"},
        {PC_ALG_ES256, K_EC256, "ec256"}, {PC_ALG_ES384, K_EC384, "ec384"}, {PC_ALG_EDDSA, K_ED, "ed"},
        {PC_ALG_ES256, K_EC256, "ec256-es256"},
    };
    pc_id_result r;
    pc_id_result_init(&r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *h = pc_arena_printf(&scratch, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
                                  pc_id_alg_name(cases[i].alg), cases[i].kid);
        expect(mint(cases[i].key, cases[i].alg, h, CLAIMS_OK), PC_ID_OK, NULL, &r);
        assert_int_equal(r.alg, cases[i].alg);
        assert_string_equal(r.kid, cases[i].kid);
        assert_string_equal(r.issuer, "test");
        assert_string_equal(r.subject.type, "Test::Caller");
        assert_string_equal(r.subject.id, "caller-1");
        assert_false(r.has_actor);
    }
    /* ES signatures are raw r || s of the field size, never DER. */
    char *tok = mint(K_EC384, PC_ALG_ES384, "{\"alg\":\"ES384\",\"kid\":\"ec384\"}", CLAIMS_OK);
    unsigned char *sig;
    size_t n;
    const char *last = strrchr(tok, '.') + 1;
    assert_true(pc_b64url_decode(&scratch, last, strlen(last), &sig, &n));
    assert_int_equal(n, 96);
    pc_id_result_clear(&r);
}

static void time_edges_use_the_skew(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    const char *h = "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}";
    /* exp 30 s ago, nbf and iat 30 s ahead: inside the 60 s skew. */
    expect(mint(K_ED, PC_ALG_EDDSA, h, "{\"iss\":\"" ISS_TEST "\",\"sub\":\"c\",\"aud\":[\"x\",\"portcullis\"],"
                "\"iat\":1800000030,\"nbf\":1800000030,\"exp\":1799999970}"), PC_ID_OK, NULL, &r);
    /* a fractional NumericDate is allowed (RFC 7519 §2) */
    expect(mint(K_ED, PC_ALG_EDDSA, h, "{\"iss\":\"" ISS_TEST "\",\"sub\":\"c\",\"aud\":\"portcullis\","
                "\"iat\":1799999999.5,\"exp\":1800000100.25}"), PC_ID_OK, NULL, &r);
    /* exactly at exp + skew the token is expired */
    expect(mint(K_ED, PC_ALG_EDDSA, h, "{\"iss\":\"" ISS_TEST "\",\"sub\":\"c\",\"aud\":\"portcullis\","
                "\"iat\":1799999900,\"exp\":1799999940}"), PC_ID_EXPIRED, "expired at 2027", &r);
    pc_id_result_clear(&r);
}

/* ---- the attack table ------------------------------------------------------------ */

typedef struct attack {
    const char *name;
    int key;                /* signer; -1 for a literal token in header */
    pc_id_alg alg;          /* algorithm the signer uses */
    const char *header;     /* header JSON (or the whole token when key < 0) */
    const char *claims;     /* claims JSON; NULL = CLAIMS_OK */
    pc_id_reason want;
    const char *says;
} attack;

#define H(alg, kid) "{\"alg\":\"" alg "\",\"kid\":\"" kid "\"}"
#define C(body) "{\"iss\":\"" ISS_TEST "\",\"sub\":\"caller-1\",\"aud\":\"portcullis\"," body "}"
#define TIMES "\"iat\":1799999900,\"exp\":1800000300"

static const attack attacks[] = {
    {"alg none", K_ED, PC_ALG_EDDSA, "{\"alg\":\"none\"}", NULL, PC_ID_ALG_NONE, "unsigned"},
    {"alg NoNe", K_ED, PC_ALG_EDDSA, "{\"alg\":\"NoNe\",\"kid\":\"ed\"}", NULL, PC_ID_ALG_NONE, "NoNe"},
    {"HS512 by name", K_ED, PC_ALG_EDDSA, H("HS512", "rsa"), NULL, PC_ID_ALG_HMAC, "HMAC"},
    {"alg unsupported", K_EC384, PC_ALG_ES384, H("ES512", "ec384"), NULL, PC_ID_ALG_UNSUPPORTED, "ES512"},
    {"alg lower case", K_RSA, PC_ALG_RS256, H("rs256", "rsa"), NULL, PC_ID_ALG_UNSUPPORTED, "rs256"},
    {"alg missing", K_RSA, PC_ALG_RS256, "{\"kid\":\"rsa\"}", NULL, PC_ID_MALFORMED, "no alg"},
    {"alg not a string", K_RSA, PC_ALG_RS256, "{\"alg\":256}", NULL, PC_ID_MALFORMED, "no alg"},
    {"crit", K_RSA, PC_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"rsa\",\"crit\":[\"b64\"],\"b64\":false}",
     NULL, PC_ID_CRIT, "b64"},
    {"alg not allowed for issuer", K_RSA, PC_ALG_RS256, H("RS256", "r-rsa"),
     "{\"iss\":\"https://restricted.test\",\"sub\":\"s\",\"aud\":\"portcullis\"," TIMES "}",
     PC_ID_ALG_NOT_ALLOWED, "issuer restricted"},
    {"unknown kid", K_RSA, PC_ALG_RS256, H("RS256", "nope"), NULL, PC_ID_UNKNOWN_KID, "\"nope\""},
    {"no kid, several keys", K_RSA, PC_ALG_RS256, "{\"alg\":\"RS256\"}", NULL, PC_ID_UNKNOWN_KID, "no kid"},
    {"kid not a string", K_RSA, PC_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":7}", NULL, PC_ID_MALFORMED, "kid"},
    {"EC alg, RSA kid", K_EC256, PC_ALG_ES256, H("ES256", "rsa"), NULL, PC_ID_KEY_MISMATCH, "RSA"},
    {"ES384 with a P-256 kid", K_EC384, PC_ALG_ES384, H("ES384", "ec256"), NULL, PC_ID_KEY_MISMATCH, "P-256"},
    {"EdDSA with an RSA kid", K_ED, PC_ALG_EDDSA, H("EdDSA", "rsa"), NULL, PC_ID_KEY_MISMATCH, "EdDSA"},
    {"JWK alg restriction", K_EC256, PC_ALG_ES256, H("ES384", "ec256-es256"), NULL, PC_ID_KEY_MISMATCH,
     "restricted to ES256"},
    {"signed by another key", K_EVIL_RSA, PC_ALG_RS256, H("RS256", "rsa"), NULL, PC_ID_BAD_SIGNATURE,
     "does not verify"},
    {"embedded jwk header is ignored", K_EVIL_ED, PC_ALG_EDDSA,
     "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"},"
     "\"jku\":\"https://evil.test/jwks\"}", NULL, PC_ID_BAD_SIGNATURE, "does not verify"},
    {"RS256 signature presented as PS256", K_RSA, PC_ALG_RS256, H("PS256", "rsa"), NULL,
     PC_ID_BAD_SIGNATURE, "PS256"},
    {"missing exp", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1799999900"), PC_ID_MISSING_EXP, "no exp"},
    {"exp not a number", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1799999900,\"exp\":\"soon\""),
     PC_ID_MALFORMED, "exp is not a number"},
    {"negative exp", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1799999900,\"exp\":-5"),
     PC_ID_MALFORMED, "exp is not a time"},
    {"expired", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1799999000,\"exp\":1799999939"),
     PC_ID_EXPIRED, "61 s ago"},
    {"nbf in the future", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C(TIMES ",\"nbf\":1800000120"),
     PC_ID_NOT_YET_VALID, "nbf"},
    {"iat in the future", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1800000090,\"exp\":1800000300"),
     PC_ID_NOT_YET_VALID, "iat"},
    {"older than max_age", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"iat\":1799999339,\"exp\":1800000300"),
     PC_ID_TOO_OLD, "661 s ago"},
    {"no iat with max_age", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), C("\"exp\":1800000300"), PC_ID_TOO_OLD,
     "no iat"},
    {"wrong iss", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"https://evil.test\",\"sub\":\"x\",\"aud\":\"portcullis\"," TIMES "}",
     PC_ID_UNTRUSTED_ISSUER, "'https://evil.test' is not trusted"},
    {"iss with a control byte", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"evil\\nline\",\"aud\":\"portcullis\"," TIMES "}", PC_ID_UNTRUSTED_ISSUER, "evil?line"},
    {"no iss", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), "{\"sub\":\"x\",\"aud\":\"portcullis\"," TIMES "}",
     PC_ID_UNTRUSTED_ISSUER, "no iss"},
    {"wrong aud", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"" ISS_TEST "\",\"sub\":\"x\",\"aud\":\"billing\"," TIMES "}", PC_ID_WRONG_AUD, "'billing'"},
    {"aud list without us", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"" ISS_TEST "\",\"sub\":\"x\",\"aud\":[\"a\",\"b\"]," TIMES "}", PC_ID_WRONG_AUD, "2 aud"},
    {"no aud", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), "{\"iss\":\"" ISS_TEST "\",\"sub\":\"x\"," TIMES "}",
     PC_ID_WRONG_AUD, "no aud"},
    {"aud of numbers", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"" ISS_TEST "\",\"sub\":\"x\",\"aud\":[\"portcullis\",1]," TIMES "}", PC_ID_MALFORMED, "aud[1]"},
    {"no principal id", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"" ISS_TEST "\",\"aud\":\"portcullis\"," TIMES "}", PC_ID_MAPPING, "sub"},
    {"principal id not a string", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
     "{\"iss\":\"" ISS_TEST "\",\"sub\":42,\"aud\":\"portcullis\"," TIMES "}", PC_ID_MAPPING, "sub"},
    {"a grant is not an identity", K_ED, PC_ALG_EDDSA,
     "{\"alg\":\"EdDSA\",\"kid\":\"ed\",\"typ\":\"" PC_GRANT_TYP "\"}", NULL, PC_ID_WRONG_TYPE, "grant"},
    {"NUL inside a claim", K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), NULL, PC_ID_MALFORMED, "payload"},
    {"duplicate header key", K_ED, PC_ALG_EDDSA, NULL, NULL, PC_ID_MALFORMED, "header is not a JSON"},
    {"two segments", -1, 0, "eyJhbGciOiJFZERTQSJ9.e30", NULL, PC_ID_MALFORMED, "2 segments"},
    {"five segments (JWE)", -1, 0, "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", NULL, PC_ID_MALFORMED, "5 segments"},
    {"empty", -1, 0, "", NULL, PC_ID_MALFORMED, "empty"},
    {"header not base64url", -1, 0, "ey!hbGc.e30.AA", NULL, PC_ID_MALFORMED, "header is not base64url"},
    {"padded header", -1, 0, "e30=.e30.AA", NULL, PC_ID_MALFORMED, "header is not base64url"},
    {"non-canonical base64url", -1, 0, "e31.e30.AA", NULL, PC_ID_MALFORMED, "header is not base64url"},
    {"header not an object", -1, 0, "WzFd.e30.AA", NULL, PC_ID_MALFORMED, "header is not a JSON"},
    {"payload not JSON", -1, 0, "eyJhbGciOiJFZERTQSJ9.bm9wZQ.AA", NULL, PC_ID_MALFORMED, "payload"},
    {"signature not base64url", -1, 0, "eyJhbGciOiJFZERTQSJ9.e30.A+A", NULL, PC_ID_MALFORMED, "signature"},
};

/* Tokens the table cannot say in one line of text. */
static char *special_token(const attack *a)
{
    if (!strcmp(a->name, "NUL inside a claim"))
        return raw(H("EdDSA", "ed"), C(TIMES ",\"note\":\"a\\u0000b\""), "AA");
    if (!strcmp(a->name, "duplicate header key"))
        return raw("{\"alg\":\"EdDSA\",\"alg\":\"none\"}", CLAIMS_OK, "AA");
    return NULL;
}

static void attack_table(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        const attack *a = &attacks[i];
        char *tok = special_token(a);
        if (!tok)
            tok = a->key < 0 ? (char *)a->header
                             : mint(a->key, a->alg, a->header, a->claims ? a->claims : CLAIMS_OK);
        print_message("attack: %s\n", a->name);
        expect(tok, a->want, a->says, &r);
        assert_null(r.subject.claims);   /* nothing of a rejected token is kept */
    }
    pc_id_result_clear(&r);
}

/* Attacks that need more than the table: a real HMAC with the public key, tampering, size. */
static void forged_tokens(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    /* Algorithm confusion done properly: HS256 keyed with the issuer's public key PEM. */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(bio, keys[K_RSA]), 1);
    char *pem;
    long pem_len = BIO_get_mem_data(bio, &pem);
    char *input = pc_arena_printf(&scratch, "%s.%s", b64s(H("HS256", "rsa")), b64s(CLAIMS_OK));
    unsigned char mac[32];
    size_t mac_len = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, (size_t)pem_len,
                              (unsigned char *)input, strlen(input), mac, sizeof mac, &mac_len));
    BIO_free(bio);
    expect(pc_arena_printf(&scratch, "%s.%s", input, b64(mac, mac_len)), PC_ID_ALG_HMAC, "HMAC", &r);
    /* alg none with an empty signature */
    expect(pc_arena_printf(&scratch, "%s.%s.", b64s("{\"alg\":\"none\"}"), b64s(CLAIMS_OK)), PC_ID_ALG_NONE,
           NULL, &r);
    /* A valid token whose claims are swapped after signing. */
    char *tok = mint(K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), CLAIMS_OK);
    char *sig = strrchr(tok, '.');
    char *other = b64s("{\"iss\":\"" ISS_TEST "\",\"sub\":\"admin\",\"aud\":\"portcullis\"," TIMES "}");
    expect(pc_arena_printf(&scratch, "%s.%s%s", b64s(H("EdDSA", "ed")), other, sig), PC_ID_BAD_SIGNATURE,
           NULL, &r);
    /* An ES256 signature one byte short (or DER-shaped) is a bad signature, not a crash. */
    tok = mint(K_EC256, PC_ALG_ES256, H("ES256", "ec256"), CLAIMS_OK);
    tok[strlen(tok) - 2] = '\0';
    expect(tok, PC_ID_BAD_SIGNATURE, NULL, &r);
    /* Oversized: refused before reading. */
    char *big = pc_arena_alloc(&scratch, PC_ID_MAX_TOKEN_BYTES + 2);
    memset(big, 'a', PC_ID_MAX_TOKEN_BYTES + 1);
    big[PC_ID_MAX_TOKEN_BYTES + 1] = '\0';
    expect(big, PC_ID_OVERSIZED, "16385 bytes", &r);
    /* Claims nested deeper than the bound. */
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "{\"iss\":\"" ISS_TEST "\",\"sub\":\"c\",\"aud\":\"portcullis\"," TIMES ",\"deep\":");
    for (int i = 0; i < PC_ID_MAX_CLAIM_DEPTH + 2; i++)
        pc_buf_putc(&b, '[');
    for (int i = 0; i < PC_ID_MAX_CLAIM_DEPTH + 2; i++)
        pc_buf_putc(&b, ']');
    pc_buf_putc(&b, '}');
    expect(mint(K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), b.data), PC_ID_MALFORMED, "nest deeper", &r);
    pc_buf_free(&b);
    pc_id_result_clear(&r);
}

/* ---- JWKS and config ------------------------------------------------------------- */

static void jwks_loading_is_strict(void **state)
{
    (void)state;
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(weak);
    const struct {
        const char *jwks;
        const char *says;
    } bad[] = {
        {pc_arena_printf(&scratch, "{\"keys\":[%s]}", jwk(weak, "weak", NULL)), "1024 bits"},
        {"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
         "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}]}", "private key material"},
        {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQ\",\"y\":\"AQ\"}]}", "has 1 bytes"},
        {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
         "\"y\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}]}", "not a point"},
        {"{\"keys\":[" SKIPPED_KEYS "]}", "no key usable"},
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "private key material (\"k\")"},
        {"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
         "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
         "used twice"},
        {"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
         "does not fit"},
        {"[]", "not a JSON object"},
        {"{\"keys\":{}}", "\"keys\" array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pc_jwks s;
        pc_diag d;
        pc_diag_init(&d);
        assert_int_not_equal(pc_jwks_parse(bad[i].jwks, strlen(bad[i].jwks), "f.jwks", &s, &d), PC_OK);
        if (!strstr(d.msg, bad[i].says))
            fail_msg("case %zu: want \"%s\", got %s", i, bad[i].says, d.msg);
        pc_diag_clear(&d);
    }
    EVP_PKEY_free(weak);
}

static void config_errors(void **state)
{
    (void)state;
    static const struct {
        setting s;
        const char *says;
    } bad[] = {
        {{"identity.issuer.a.algorithms", "HS256"}, "not one of"},
        {{"identity.issuer.a.algorithms", "none"}, "not one of"},
        {{"identity.issuer.a.profile", "saml"}, "spiffe, github"},
        {{"identity.issuer.a.clock_skew", "7200"}, "0 to 3600"},
        {{"identity.issuer.a.max_age", "-1"}, "whole number"},
        {{"identity.issuer.a.principal_type", "not a type!"}, "Cedar entity type"},
        {{"identity.issuer.a.colour", "blue"}, "unknown key"},
        {{"identity.issuer.a b.issuer", "x"}, "NAME"},
        {{"identity.issuers", "x"}, "unknown key"},
        {{"grants.max_ttl", "0"}, "1 to 86400"},
        {{"grants.bogus", "1"}, "unknown key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pc_id_config cfg;
        pc_id_config_init(&cfg);
        pc_diag d;
        pc_diag_init(&d);
        assert_int_equal(pc_id_config_set(&cfg, bad[i].s.key, bad[i].s.value, NULL, &d), PC_ERR_INVALID);
        if (!strstr(d.msg, bad[i].says))
            fail_msg("%s: want \"%s\", got %s", bad[i].s.key, bad[i].says, d.msg);
        pc_diag_clear(&d);
        pc_id_config_free(&cfg);
    }
    /* an issuer missing a required setting cannot be finished */
    const struct {
        setting s[3];
        size_t n;
        const char *says;
    } finishing[] = {
        {{{"identity.issuer.a.issuer", "x"}}, 1, "jwks_file is required"},
        {{{"identity.issuer.a.issuer", "x"}, {"identity.issuer.a.jwks_file", "f"},
          {"identity.issuer.a.algorithms", "ES256"}}, 3, "audiences is required"},
    };
    for (size_t i = 0; i < sizeof finishing / sizeof finishing[0]; i++) {
        pc_id_config cfg;
        pc_id_config_init(&cfg);
        apply(&cfg, finishing[i].s, finishing[i].n);
        pc_diag d;
        pc_diag_init(&d);
        assert_int_equal(pc_id_config_finish(&cfg, &d), PC_ERR_INVALID);
        assert_non_null(strstr(d.msg, finishing[i].says));
        pc_diag_clear(&d);
        pc_id_config_free(&cfg);
    }
}

/* Write text to a fresh temporary file; returns its path (in scratch). */
static char *temp_file(const char *text)
{
    char *path = pc_arena_strdup(&scratch, "/tmp/pc_identity_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void config_file_and_finish_rules(void **state)
{
    (void)state;
    const char *base = "policy_dir = .\nlisten = 127.0.0.1:1\n# comment\n"
                       "identity.issuer.ci.issuer = https://ci.test\n"
                       "identity.issuer.ci.jwks_file = ci.jwks\n"
                       "identity.issuer.ci.algorithms = RS256, ES256\n"
                       "identity.issuer.ci.audiences = portcullis\n"
                       "identity.issuer.ci.profile = github\n"
                       "grants.signing_key = /keys/grant.pem\n"
                       "grants.max_ttl = 120\n";
    char *path = temp_file(base);
    pc_id_config cfg;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_id_config_load(path, &cfg, &d), PC_OK);
    assert_int_equal(cfg.n_issuers, 1);
    assert_string_equal(cfg.issuers[0].jwks_file, "/tmp/ci.jwks");   /* relative to the file */
    assert_int_equal(cfg.issuers[0].algs, PC_ALG_BIT(PC_ALG_RS256) | PC_ALG_BIT(PC_ALG_ES256));
    assert_string_equal(cfg.issuers[0].principal_type, "Workload");
    assert_string_equal(cfg.issuers[0].id_claim, "repository");
    assert_string_equal(cfg.issuers[0].actor_type, "Agent");
    assert_int_equal(cfg.issuers[0].skew, PC_ID_DEFAULT_SKEW);
    assert_string_equal(cfg.grants.issuer, PC_GRANT_DEFAULT_ISSUER);
    assert_int_equal(cfg.grants.max_ttl, 120);
    pc_id_config_free(&cfg);
    unlink(path);

    const char *errors[][2] = {
        {"identity.issuer.ci.max_age = 5\nidentity.issuer.ci.max_age = 6\n", ":12: identity.issuer.ci.max_age is set twice"},
        {"identity.issuer.ci.attributes = ref\n", "ref is set by the github profile"},
        {"identity.issuer.ci2.issuer = https://ci.test\nidentity.issuer.ci2.jwks_file = f\n"
         "identity.issuer.ci2.algorithms = ES256\nidentity.issuer.ci2.audiences = a\n"
         "identity.issuer.ci2.principal_type = X\n", "trust the same iss"},
        {"identity.issuer.x.issuer = https://x.test\nidentity.issuer.x.jwks_file = f\n"
         "identity.issuer.x.algorithms = ES256\nidentity.issuer.x.audiences = a\n",
         "principal_type is required"},
        {"just words\n", ":11: cannot read"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        char *p = temp_file(pc_arena_printf(&scratch, "%s%s", base, errors[i][0]));
        assert_int_equal(pc_id_config_load(p, &cfg, &d), PC_ERR_INVALID);
        if (!strstr(d.msg, errors[i][1]))
            fail_msg("want \"%s\", got %s", errors[i][1], d.msg);
        pc_diag_clear(&d);
        unlink(p);
    }
}

/* ---- mapping profiles -------------------------------------------------------------- */

static const char *attr(const pc_id_party *p, const char *name)
{
    return json_string_value(json_object_get(p->attrs, name));
}

static void spiffe_profile(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    const char *h = H("EdDSA", "svid");
    expect(mint(K_ED, PC_ALG_EDDSA, h, "{\"iss\":\"https://spire.test\",\"sub\":\"spiffe://prod.example/ns/"
                "payments/sa/deploy\",\"aud\":[\"portcullis\"]," TIMES "}"), PC_ID_OK, NULL, &r);
    assert_string_equal(r.subject.type, "Workload");
    assert_string_equal(r.subject.id, "spiffe://prod.example/ns/payments/sa/deploy");
    assert_string_equal(attr(&r.subject, "trust_domain"), "prod.example");
    assert_string_equal(attr(&r.subject, "path"), "/ns/payments/sa/deploy");
    static const char *const not_workloads[] = {
        "spiffe://Prod.example/x", "spiffe://prod.example", "spiffe://prod.example/", "spiffe:///x",
        "spiffe://td/a//b", "spiffe://td/a/../b", "spiffe://td/./b", "https://td/x", "spiffe://td/a?b=1",
        "spiffe://td/a%20b", "spiffe://user@td/x",
    };
    for (size_t i = 0; i < sizeof not_workloads / sizeof not_workloads[0]; i++) {
        char *c = pc_arena_printf(&scratch, "{\"iss\":\"https://spire.test\",\"sub\":\"%s\",\"aud\":"
                                  "\"portcullis\"," TIMES "}", not_workloads[i]);
        print_message("spiffe: %s\n", not_workloads[i]);
        expect(mint(K_ED, PC_ALG_EDDSA, h, c), PC_ID_MAPPING, "not a SPIFFE workload ID", &r);
    }
    pc_id_result_clear(&r);
}

#define GHA_CLAIMS(ref_type) "{\"iss\":\"https://token.actions.githubusercontent.com\",\"aud\":\"portcullis\"," \
    "\"sub\":\"repo:octo/deploy:environment:production\",\"repository\":\"octo/deploy\"," \
    "\"repository_owner\":\"octo\",\"ref\":\"refs/heads/main\",\"ref_type\":" ref_type "," \
    "\"environment\":\"production\",\"workflow_ref\":\"octo/deploy/.github/workflows/release.yml@refs/heads/main\"," \
    "\"job_workflow_ref\":\"octo/shared/.github/workflows/deploy.yml@refs/tags/v2\"," \
    "\"runner_environment\":\"github-hosted\",\"event_name\":\"push\",\"sha\":\"0123abcd\"," \
    "\"actor\":\"dana\",\"run_id\":\"42\"," TIMES "}"

static void github_profile(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    expect(mint(K_RSA, PC_ALG_RS256, H("RS256", "gh"), GHA_CLAIMS("\"branch\"")), PC_ID_OK, NULL, &r);
    assert_string_equal(r.subject.type, "CI::Repository");
    assert_string_equal(r.subject.id, "octo/deploy");
    assert_string_equal(attr(&r.subject, "ref"), "refs/heads/main");
    assert_string_equal(attr(&r.subject, "environment"), "production");
    assert_string_equal(attr(&r.subject, "job_workflow_ref"), "octo/shared/.github/workflows/deploy.yml@refs/tags/v2");
    assert_string_equal(attr(&r.subject, "runner_environment"), "github-hosted");
    assert_string_equal(attr(&r.subject, "event_name"), "push");
    assert_string_equal(attr(&r.subject, "sha"), "0123abcd");
    assert_string_equal(attr(&r.subject, "actor"), "dana");
    assert_null(json_object_get(r.subject.attrs, "run_id"));   /* not a profile attribute */
    json_t *ctx = pc_id_context_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(ctx, "token"), "ref")),
                        "refs/heads/main");   /* what context.token.ref reads */
    assert_string_equal(json_string_value(json_object_get(json_object_get(ctx, "token"), "run_id")), "42");
    assert_null(json_object_get(ctx, "actor"));
    json_decref(ctx);
    /* the JWK is restricted to RS256; a number where a string belongs is a mapping error */
    expect(mint(K_RSA, PC_ALG_RS512, H("RS512", "gh"), GHA_CLAIMS("\"branch\"")), PC_ID_ALG_NOT_ALLOWED, NULL, &r);
    expect(mint(K_RSA, PC_ALG_RS256, H("RS256", "gh"), GHA_CLAIMS("7")), PC_ID_MAPPING, "ref_type", &r);
    char *no_repo = pc_arena_printf(&scratch, "{\"iss\":\"https://token.actions.githubusercontent.com\","
                                    "\"aud\":\"portcullis\",\"sub\":\"repo:x\",\"repository\":17," TIMES "}");
    expect(mint(K_RSA, PC_ALG_RS256, H("RS256", "gh"), no_repo), PC_ID_MAPPING, "repository", &r);
    pc_id_result_clear(&r);
}

#define K8S(sub, sa) "{\"iss\":\"https://kubernetes.default.svc\",\"aud\":\"portcullis\",\"sub\":\"" sub "\"," \
    "\"kubernetes.io\":{\"namespace\":\"payments\",\"serviceaccount\":" sa "," \
    "\"pod\":{\"name\":\"deploy-7f9\",\"uid\":\"p-1\"},\"node\":{\"name\":\"n1\",\"uid\":\"n-1\"}}," TIMES "}"

static void kubernetes_profile(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    const char *h = H("ES256", "k8s");
    expect(mint(K_EC256, PC_ALG_ES256, h, K8S("system:serviceaccount:payments:deployer",
                                              "{\"name\":\"deployer\",\"uid\":\"sa-1\"}")), PC_ID_OK, NULL, &r);
    assert_string_equal(r.subject.type, "ServiceAccount");
    assert_string_equal(r.subject.id, "system:serviceaccount:payments:deployer");
    assert_string_equal(attr(&r.subject, "namespace"), "payments");
    assert_string_equal(attr(&r.subject, "service_account"), "deployer");
    assert_string_equal(attr(&r.subject, "service_account_uid"), "sa-1");
    assert_string_equal(attr(&r.subject, "pod"), "deploy-7f9");
    assert_string_equal(attr(&r.subject, "pod_uid"), "p-1");
    assert_string_equal(attr(&r.subject, "node"), "n1");
    expect(mint(K_EC256, PC_ALG_ES256, h, K8S("system:serviceaccount:payments:admin",
                                              "{\"name\":\"deployer\"}")), PC_ID_MAPPING, "sub does not name", &r);
    expect(mint(K_EC256, PC_ALG_ES256, h, K8S("system:serviceaccount:payments:deployer", "\"deployer\"")),
           PC_ID_MAPPING, "serviceaccount is not an object", &r);
    expect(mint(K_EC256, PC_ALG_ES256, h, "{\"iss\":\"https://kubernetes.default.svc\",\"aud\":\"portcullis\","
                "\"sub\":\"system:serviceaccount:a:b\"," TIMES "}"), PC_ID_MAPPING, "kubernetes.io", &r);
    pc_id_result_clear(&r);
}

static void custom_profile_and_cedar_safe_claims(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    expect(mint(K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"),
                C(TIMES ",\"email\":\"c@example.com\",\"groups\":[\"ops\",null,2.0],\"score\":0.5,\"gone\":null,"
                  "\"__entity\":{\"type\":\"Admin\",\"id\":\"root\"},\"nested\":{\"__extn\":{\"fn\":\"ip\"},\"ok\":1}")),
           PC_ID_OK, NULL, &r);
    assert_string_equal(attr(&r.subject, "email"), "c@example.com");
    json_t *groups = json_object_get(r.subject.attrs, "groups");
    assert_int_equal(json_array_size(groups), 2);   /* null dropped, 2.0 became 2 */
    assert_int_equal(json_integer_value(json_array_get(groups, 1)), 2);
    json_t *ctx = pc_id_context_json(&r), *tok = json_object_get(ctx, "token");
    assert_null(json_object_get(tok, "score"));
    assert_null(json_object_get(tok, "gone"));
    assert_null(json_object_get(tok, "__entity"));
    assert_null(json_object_get(json_object_get(tok, "nested"), "__extn"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(tok, "nested"), "ok")), 1);
    assert_non_null(json_object_get(r.subject.claims, "score"));   /* raw claims keep everything */
    json_t *ent = pc_id_entity_json(&r.subject);
    assert_string_equal(json_string_value(json_object_get(json_object_get(ent, "uid"), "type")), "Test::Caller");
    assert_int_equal(json_array_size(json_object_get(ent, "parents")), 0);
    json_decref(ent);
    json_decref(ctx);
    pc_id_result_clear(&r);
}

static void delegation_act_claim(void **state)
{
    (void)state;
    pc_id_result r;
    pc_id_result_init(&r);
    const char *h = H("EdDSA", "deleg");
#define STS(act) "{\"iss\":\"https://sts.test\",\"aud\":\"portcullis\",\"sub\":\"dana\"," TIMES act "}"
    expect(mint(K_ED, PC_ALG_EDDSA, h, STS(",\"act\":{\"sub\":\"spiffe://agents.example/agent/db\","
                                           "\"iss\":\"https://agents.example\",\"act\":{\"sub\":\"orchestrator\"}}")),
           PC_ID_OK, NULL, &r);
    assert_string_equal(r.subject.type, "Human");
    assert_string_equal(r.subject.id, "dana");
    assert_true(r.has_actor);
    assert_string_equal(r.actor.type, "Gate::Agent");
    assert_string_equal(r.actor.id, "spiffe://agents.example/agent/db");
    assert_string_equal(attr(&r.actor, "iss"), "https://agents.example");
    assert_string_equal(attr(&r.actor, "trust_domain"), "agents.example");
    assert_string_equal(attr(&r.actor, "path"), "/agent/db");
    json_t *ctx = pc_id_context_json(&r), *actor = json_object_get(ctx, "actor");
    json_t *ref = json_object_get(json_object_get(actor, "principal"), "__entity");
    assert_string_equal(json_string_value(json_object_get(ref, "type")), "Gate::Agent");
    assert_string_equal(json_string_value(json_object_get(ref, "id")), "spiffe://agents.example/agent/db");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(actor, "claims"),
                                                                          "act"), "sub")), "orchestrator");
    assert_string_equal(json_string_value(json_object_get(json_object_get(actor, "attrs"), "path")), "/agent/db");
    json_decref(ctx);
    expect(mint(K_ED, PC_ALG_EDDSA, h, STS(",\"act\":\"agent\"")), PC_ID_MAPPING, "act is not an object", &r);
    expect(mint(K_ED, PC_ALG_EDDSA, h, STS(",\"act\":{\"iss\":\"x\"}")), PC_ID_MAPPING, "sub", &r);
    expect(mint(K_ED, PC_ALG_EDDSA, h, STS(",\"act\":{\"sub\":\"spiffe://Bad/x\"}")), PC_ID_MAPPING, "act.sub", &r);
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "{\"iss\":\"https://sts.test\",\"aud\":\"portcullis\",\"sub\":\"dana\"," TIMES);
    for (int i = 0; i <= PC_ID_MAX_ACT_DEPTH; i++)
        pc_buf_printf(&b, ",\"act\":{\"sub\":\"a%d\"", i);
    for (int i = 0; i <= PC_ID_MAX_ACT_DEPTH + 1; i++)
        pc_buf_putc(&b, '}');
    expect(mint(K_ED, PC_ALG_EDDSA, h, b.data), PC_ID_MAPPING, "deeper than 8 actors", &r);
    pc_buf_free(&b);
#undef STS
    pc_id_result_clear(&r);
}

/* ---- grants --------------------------------------------------------------------------- */

static char *pem_of(EVP_PKEY *k, bool private_key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(private_key ? PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)
                                 : PEM_write_bio_PUBKEY(bio, k), 1);
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    char *out = pc_arena_alloc(&scratch, (size_t)n + 1);
    assert_non_null(out);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

static pc_grant_keyring *ring(int signer, int verifier)
{
    pc_grant_keyring *kr = pc_grant_keyring_new();
    pc_diag d;
    pc_diag_init(&d);
    char *pem = pem_of(keys[signer], true);
    assert_int_equal(pc_grant_keyring_add_pem(kr, pem, strlen(pem), true, &d), PC_OK);
    if (verifier >= 0) {
        pem = pem_of(keys[verifier], false);
        assert_int_equal(pc_grant_keyring_add_pem(kr, pem, strlen(pem), false, &d), PC_OK);
    }
    return kr;
}

#define AGENT {"Gate::Workload", "spiffe://agents.example/agent/db"}
#define OPEN {"Gate::Action", "open_session"}
#define PROD_DB {"Gate::Database", "orders-prod"}

static pc_grant issue(const pc_grant_keyring *kr, json_t *ctx, int64_t ttl, bool single_use)
{
    pc_grant_request req = {AGENT, OPEN, PROD_DB, ctx, NULL, ttl, 300, single_use};
    pc_grant g;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_grant_issue(kr, &req, NOW, &g, &d) != PC_OK)
        fail_msg("issue: %s", d.msg);
    return g;
}

static void expect_grant(const pc_grant_keyring *kr, const pc_grant *g, const pc_grant_check *c,
                         pc_id_reason want, const char *says)
{
    pc_grant_result r;
    pc_grant_result_init(&r);
    pc_id_reason got = pc_grant_verify(kr, g->token, strlen(g->token), c, &r);
    if (got != want || (says && !strstr(r.verdict.message, says)))
        fail_msg("want %s (\"%s\"), got %s: %s", pc_id_reason_name(want), says ? says : "",
                 pc_id_reason_name(got), r.verdict.message ? r.verdict.message : "");
    pc_grant_result_clear(&r);
}

static void grant_issue_and_verify(void **state)
{
    (void)state;
    pc_grant_keyring *kr = ring(K_ED, -1);
    json_t *ctx = parse_json("{\"token\":{\"environment\":\"production\"},\"ticket\":\"CHG-1\"}");
    pc_grant g = issue(kr, ctx, 0, false);
    assert_int_equal(g.exp - g.iat, 300);   /* ttl 0 = the maximum */
    assert_int_equal(strlen(g.jti), PC_GRANT_JTI_LEN);
    pc_grant_uid agent = AGENT;
    pc_grant_check c = {&agent, OPEN, PROD_DB, ctx, NULL, NOW + 10, 30, NULL};
    pc_grant_result r;
    pc_grant_result_init(&r);
    assert_int_equal(pc_grant_verify(kr, g.token, strlen(g.token), &c, &r), PC_ID_OK);
    assert_string_equal(r.jti, g.jti);
    assert_string_equal(r.resource.id, "orders-prod");
    assert_false(r.single_use);
    pc_grant_result_clear(&r);
    /* key order of the context does not matter; its content does */
    json_t *same = parse_json("{\"ticket\":\"CHG-1\",\"token\":{\"environment\":\"production\"}}");
    json_t *other = parse_json("{\"ticket\":\"CHG-2\",\"token\":{\"environment\":\"production\"}}");
    c.context = same;
    expect_grant(kr, &g, &c, PC_ID_OK, NULL);
    c.context = other;
    expect_grant(kr, &g, &c, PC_ID_WRONG_CONTEXT, "context differs");
    c.context = NULL;
    /* binding */
    pc_grant_uid someone = {"Gate::Workload", "spiffe://agents.example/agent/other"};
    pc_grant_check wrong = c;
    wrong.principal = &someone;
    expect_grant(kr, &g, &wrong, PC_ID_WRONG_PRINCIPAL, "agent/other");
    wrong = c;
    wrong.action = (pc_grant_uid){"Gate::Action", "drop_table"};
    expect_grant(kr, &g, &wrong, PC_ID_WRONG_ACTION, "drop_table");
    wrong = c;
    wrong.resource = (pc_grant_uid){"Gate::Database", "orders-staging"};
    expect_grant(kr, &g, &wrong, PC_ID_WRONG_RESOURCE, "not Gate::Database::\"orders-staging\"");
    /* time */
    wrong = c;
    wrong.now = NOW + 300 + 30;
    expect_grant(kr, &g, &wrong, PC_ID_EXPIRED, NULL);
    wrong.now = NOW - 31;
    expect_grant(kr, &g, &wrong, PC_ID_NOT_YET_VALID, "iat");
    wrong = c;
    wrong.issuer = "someone-else";
    expect_grant(kr, &g, &wrong, PC_ID_UNTRUSTED_ISSUER, NULL);
    pc_grant_clear(&g);
    json_decref(ctx);
    json_decref(same);
    json_decref(other);
    pc_grant_keyring_free(kr);
}

static void grant_limits_and_forgeries(void **state)
{
    (void)state;
    pc_grant_keyring *kr = ring(K_ED, -1);
    pc_grant_request req = {AGENT, OPEN, PROD_DB, NULL, NULL, 301, 300, false};
    pc_grant g;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_grant_issue(kr, &req, NOW, &g, &d), PC_ERR_INVALID);   /* longer than allowed */
    assert_non_null(strstr(d.msg, "outside 1..300"));
    pc_diag_clear(&d);
    pc_grant_keyring *verify_only = pc_grant_keyring_new();
    char *pub = pem_of(keys[K_ED], false);
    assert_int_equal(pc_grant_keyring_add_pem(verify_only, pub, strlen(pub), false, &d), PC_OK);
    req.ttl = 60;
    assert_int_equal(pc_grant_issue(verify_only, &req, NOW, &g, &d), PC_ERR_STATE);
    pc_diag_clear(&d);
    assert_int_equal(pc_grant_keyring_add_pem(verify_only, pub, strlen(pub), true, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    char *rsa = pem_of(keys[K_RSA], true);
    assert_int_equal(pc_grant_keyring_add_pem(kr, rsa, strlen(rsa), false, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "Ed25519"));
    pc_diag_clear(&d);

    pc_grant_check c = {NULL, OPEN, PROD_DB, NULL, NULL, NOW, 30, NULL};
    /* an identity token is not a grant; an unknown signer; a tampered grant */
    pc_grant fake = {mint(K_ED, PC_ALG_EDDSA, H("EdDSA", "ed"), CLAIMS_OK), "", 0, 0};
    expect_grant(kr, &fake, &c, PC_ID_WRONG_TYPE, NULL);
    pc_grant_keyring *evil = ring(K_EVIL_ED, -1);
    pc_grant forged = issue(evil, NULL, 60, false);
    expect_grant(kr, &forged, &c, PC_ID_UNKNOWN_KID, NULL);
    pc_grant ok = issue(kr, NULL, 60, false);
    char *dot = strrchr(ok.token, '.');
    char *sig_of_forged = strrchr(forged.token, '.');
    char *spliced = pc_arena_printf(&scratch, "%.*s%s", (int)(dot - ok.token), ok.token, sig_of_forged);
    pc_grant tampered = {spliced, "", 0, 0};
    expect_grant(kr, &tampered, &c, PC_ID_BAD_SIGNATURE, NULL);
    pc_grant rs = {mint(K_RSA, PC_ALG_RS256, "{\"alg\":\"RS256\",\"typ\":\"" PC_GRANT_TYP "\"}", "{}"), "", 0, 0};
    expect_grant(kr, &rs, &c, PC_ID_ALG_NOT_ALLOWED, "EdDSA");
    pc_grant_clear(&forged);
    pc_grant_clear(&ok);
    pc_grant_keyring_free(evil);
    pc_grant_keyring_free(verify_only);
    pc_grant_keyring_free(kr);
}

static void grant_revocation_and_single_use(void **state)
{
    (void)state;
    pc_grant_keyring *kr = ring(K_ED, -1);
    pc_grant_ledger *ledger = pc_grant_ledger_memory(16);
    assert_non_null(ledger);
    pc_grant once = issue(kr, NULL, 60, true), plain = issue(kr, NULL, 60, false);
    pc_grant_check c = {NULL, OPEN, PROD_DB, NULL, NULL, NOW, 30, ledger};
    /* a failed check does not spend a single-use grant */
    pc_grant_check wrong = c;
    wrong.resource = (pc_grant_uid){"Gate::Database", "orders-staging"};
    expect_grant(kr, &once, &wrong, PC_ID_WRONG_RESOURCE, NULL);
    expect_grant(kr, &once, &c, PC_ID_OK, NULL);
    expect_grant(kr, &once, &c, PC_ID_SPENT, "already used");
    /* plain grants verify again and again, until revoked */
    expect_grant(kr, &plain, &c, PC_ID_OK, NULL);
    expect_grant(kr, &plain, &c, PC_ID_OK, NULL);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_grant_revoke(ledger, plain.jti, 300, NOW, &d), PC_OK);
    expect_grant(kr, &plain, &c, PC_ID_REVOKED, plain.jti);
    assert_int_equal(pc_grant_revoke(ledger, "not-an-id", 300, NOW, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    /* offline, single use cannot be enforced and the result says so */
    pc_grant_result r;
    pc_grant_result_init(&r);
    c.ledger = NULL;
    assert_int_equal(pc_grant_verify(kr, once.token, strlen(once.token), &c, &r), PC_ID_OK);
    assert_true(r.single_use && r.single_use_unchecked);
    pc_grant_result_clear(&r);
    pc_grant_clear(&once);
    pc_grant_clear(&plain);
    pc_grant_ledger_free(ledger);
    pc_grant_keyring_free(kr);
}

static void ledger_fills_and_prunes(void **state)
{
    (void)state;
    pc_grant_ledger *l = pc_grant_ledger_memory(100);
    char jti[PC_GRANT_JTI_LEN + 1];
    for (int i = 0; i < 100; i++) {   /* 100 spent ids, valid until NOW + 10 */
        snprintf(jti, sizeof jti, "%022d", i);
        assert_int_equal(l->ops->use(l->self, jti, true, NOW + 10, NOW), PC_LEDGER_FRESH);
    }
    snprintf(jti, sizeof jti, "%022d", 100);
    assert_int_equal(l->ops->use(l->self, jti, true, NOW + 10, NOW), PC_LEDGER_FULL);
    assert_int_equal(l->ops->revoke(l->self, jti, NOW + 10, NOW), PC_ERR_LIMIT);
    snprintf(jti, sizeof jti, "%022d", 7);
    assert_int_equal(l->ops->use(l->self, jti, true, NOW + 10, NOW), PC_LEDGER_SPENT);
    assert_int_equal(l->ops->use(l->self, jti, false, NOW + 10, NOW), PC_LEDGER_FRESH);
    assert_int_equal(l->ops->revoke(l->self, jti, NOW + 10, NOW), PC_OK);   /* existing id: no room needed */
    assert_int_equal(l->ops->use(l->self, jti, false, NOW + 10, NOW), PC_LEDGER_REVOKED);
    /* once they have expired, the old ids make room */
    snprintf(jti, sizeof jti, "%022d", 100);
    assert_int_equal(l->ops->use(l->self, jti, true, NOW + 100, NOW + 11), PC_LEDGER_FRESH);
    snprintf(jti, sizeof jti, "%022d", 7);
    assert_int_equal(l->ops->use(l->self, jti, true, NOW + 100, NOW + 11), PC_LEDGER_FRESH);
    pc_grant_ledger_free(l);
}

static void grant_key_rotation(void **state)
{
    (void)state;
    pc_grant_keyring *old = ring(K_ED, -1);
    pc_grant_keyring *next = ring(K_EVIL_ED, K_ED);   /* new signer, old key still verifies */
    pc_grant before = issue(old, NULL, 60, false), after = issue(next, NULL, 60, false);
    pc_grant_check c = {NULL, OPEN, PROD_DB, NULL, NULL, NOW, 30, NULL};
    expect_grant(next, &before, &c, PC_ID_OK, NULL);
    expect_grant(next, &after, &c, PC_ID_OK, NULL);
    expect_grant(old, &after, &c, PC_ID_UNKNOWN_KID, NULL);
    /* the published JWKS has both keys and verifies both grants offline */
    char *jwks = pc_grant_keyring_jwks(next);
    json_t *doc = parse_json(jwks);
    assert_int_equal(json_array_size(json_object_get(doc, "keys")), 2);
    assert_null(strstr(jwks, "\"d\""));   /* public keys only */
    pc_grant_keyring *published = pc_grant_keyring_new();
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_grant_keyring_add_jwks(published, jwks, strlen(jwks), &d), PC_OK);
    assert_false(pc_grant_keyring_can_sign(published));
    expect_grant(published, &before, &c, PC_ID_OK, NULL);
    expect_grant(published, &after, &c, PC_ID_OK, NULL);
    /* a second signing key or the same key twice are configuration errors */
    char *pem = pem_of(keys[K_ED], true);
    assert_int_equal(pc_grant_keyring_add_pem(next, pem, strlen(pem), true, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "only one"));
    pc_diag_clear(&d);
    assert_int_equal(pc_grant_keyring_add_pem(next, pem, strlen(pem), false, &d), PC_ERR_INVALID);
    assert_non_null(strstr(d.msg, "twice"));
    pc_diag_clear(&d);
    json_decref(doc);
    free(jwks);
    pc_grant_clear(&before);
    pc_grant_clear(&after);
    pc_grant_keyring_free(published);
    pc_grant_keyring_free(next);
    pc_grant_keyring_free(old);
}

static void grant_keygen_and_uids(void **state)
{
    (void)state;
    char *path = pc_arena_printf(&scratch, "/tmp/pc_identity_key_%d.pem", (int)getpid());
    unlink(path);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_grant_keygen(path, &d), PC_OK);
    assert_int_equal(pc_grant_keygen(path, &d), PC_ERR_IO);   /* never overwrites */
    pc_diag_clear(&d);
    pc_grant_config gc = {path, {NULL}, 0, NULL, 300, 0};
    pc_grant_keyring *kr = NULL;
    assert_int_equal(pc_grant_keyring_load(&gc, &kr, &d), PC_OK);
    assert_true(pc_grant_keyring_can_sign(kr));
    pc_grant_keyring_free(kr);
    unlink(path);

    pc_grant_uid u;
    assert_int_equal(pc_grant_uid_parse(&scratch, "Gate :: Action::\"open\\u{1F600}\"", &u, &d), PC_OK);
    assert_string_equal(u.type, "Gate::Action");
    assert_string_equal(u.id, "open\xF0\x9F\x98\x80");
    assert_int_equal(pc_grant_uid_parse(&scratch, "{\"__entity\":{\"type\":\"A\",\"id\":\"b\"}}", &u, &d), PC_OK);
    assert_string_equal(u.type, "A");
    assert_int_equal(pc_grant_uid_parse(&scratch, "A::\"x\\0y\"", &u, &d), PC_ERR_INVALID);
    pc_diag_clear(&d);
    assert_int_not_equal(pc_grant_uid_parse(&scratch, "not a uid", &u, &d), PC_OK);
    pc_diag_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rfc7515_es256_vector, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(rfc8037_ed25519_vector_and_thumbprint, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(base64url_is_strict, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(every_algorithm_verifies, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(time_edges_use_the_skew, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(attack_table, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(forged_tokens, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(jwks_loading_is_strict, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(config_errors, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(config_file_and_finish_rules, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(spiffe_profile, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(github_profile, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(kubernetes_profile, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(custom_profile_and_cedar_safe_claims, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(delegation_act_claim, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(grant_issue_and_verify, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(grant_limits_and_forgeries, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(grant_revocation_and_single_use, open_scratch, close_scratch),
        cmocka_unit_test(ledger_fills_and_prunes),
        cmocka_unit_test_setup_teardown(grant_key_rotation, open_scratch, close_scratch),
        cmocka_unit_test_setup_teardown(grant_keygen_and_uids, open_scratch, close_scratch),
    };
    return cmocka_run_group_tests(tests, make_trust, free_trust);
}
