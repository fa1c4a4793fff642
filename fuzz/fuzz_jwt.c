/*
** fuzz/fuzz_jwt.c — libFuzzer target for the identity room's token parser.
**
** Each input is presented as an identity token to a trust with one issuer
** (every algorithm allowed, one Ed25519 key with kid "ed") and as a grant
** to a keyring holding that key, then decoded as base64url. The key is
** generated at start-up, so a signature never verifies for fuzzed bytes:
** the target exercises what runs before and around the signature check
** (splitting, base64url, JSON, header rules, issuer and key selection),
** which is everything an attacker controls without the private key. Invariants checked: a rejection always has a message,
** an accepted token always has a principal. A crash, a sanitizer report or
** a failed check is a bug; refusing the input is not.
**
** Build (not part of the meson build):
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
**     fuzz/fuzz_jwt.c build/libportcullis.a -ljansson -lcrypto -lm -lpthread
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/id_internal.h"

#define NOW 1800000000

static pc_id_trust *trust;
static pc_grant_keyring *grants;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A JWKS with one Ed25519 key (kid "ed"): enough for kid lookups to succeed. */
static char *ed_jwks(EVP_PKEY *k)
{
    json_t *jwk = pc_jwk_ed25519(k, "ed");
    json_t *doc = jwk ? json_pack("{s:[o]}", "keys", jwk) : NULL;
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char *const settings[][2] = {
        {"identity.issuer.f.issuer", "https://fuzz.test"},
        {"identity.issuer.f.jwks_file", "mem"},
        {"identity.issuer.f.algorithms", "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA"},
        {"identity.issuer.f.audiences", "portcullis"},
        {"identity.issuer.f.max_age", "600"},
        {"identity.issuer.f.principal_type", "Fuzz::Caller"},
        {"identity.issuer.f.attributes", "email groups ref"},
    };
    pc_id_config cfg;
    pc_id_config_init(&cfg);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (pc_id_config_set(&cfg, settings[i][0], settings[i][1], NULL, NULL) != PC_OK)
            abort();
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *jwks = k ? ed_jwks(k) : NULL;
    trust = pc_id_trust_new();
    grants = pc_grant_keyring_new();
    if (!jwks || !trust || !grants || pc_id_config_finish(&cfg, NULL) != PC_OK ||
        pc_id_trust_add(trust, &cfg.issuers[0], jwks, strlen(jwks), NULL) != PC_OK ||
        pc_grant_keyring_add_jwks(grants, jwks, strlen(jwks), NULL) != PC_OK)
        abort();
    free(jwks);
    EVP_PKEY_free(k);
    pc_id_config_free(&cfg);
    return 0;
}

static void as_identity(const char *token, size_t len)
{
    pc_id_result r;
    pc_id_result_init(&r);
    pc_id_reason why = pc_id_verify(trust, token, len, NOW, &r);
    if (why != PC_ID_OK && !r.verdict.message)
        abort();
    if (why == PC_ID_OK && (!r.subject.type || !r.subject.id))
        abort();
    json_decref(pc_id_context_json(&r));
    pc_id_result_clear(&r);
}

static void as_grant(const char *token, size_t len)
{
    pc_grant_result r;
    pc_grant_result_init(&r);
    pc_grant_check c = {NULL, {"A", "a"}, {"R", "r"}, NULL, NULL, NOW, 30, NULL};
    if (pc_grant_verify(grants, token, len, &c, &r) != PC_ID_OK && !r.verdict.message)
        abort();
    pc_grant_result_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *token = (const char *)data;
    as_identity(token, size);
    as_grant(token, size);
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    unsigned char *out;
    size_t n;
    if (pc_b64url_decode(&a, token, size, &out, &n)) {   /* a decoded value re-encodes to the input */
        char *again = pc_b64url_encode(&a, out, n);
        if (!again || strlen(again) != size || memcmp(again, token, size))
            abort();
    }
    pc_arena_free(&a);
    return 0;
}
