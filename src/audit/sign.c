/*
** audit/sign.c — Ed25519 keys and checkpoint signatures (OpenSSL EVP).
**
** A checkpoint signature covers the bytes of pc_checkpoint_encode (canon.c):
** seq, time, the record's hash and the key id, so a signature cannot be
** moved to another record, another time, or be claimed by another key. Keys come
** from PEM files; an encrypted private key is refused rather than prompting
** for a passphrase on a terminal the daemon does not have.
*/
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

#define KEY_FILE_MAX (64u << 10) /* a PEM key is a few hundred bytes */

struct pc_audit_key {
    EVP_PKEY *pkey;
    uint8_t id[PC_HASH_LEN];
};

/* Fail with OpenSSL's reason for the last error appended; clears its queue. */
static pc_status ssl_fail(pc_diag *d, pc_status st, const char *what, const char *path)
{
    char why[256] = "no reason given";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    return pc_diag_set(d, st, "%s: %s (%s)", path, what, why);
}

/* The PEM passphrase callback: there is never one to give. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static EVP_PKEY *read_pem(const char *text, size_t len, bool private_key)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    if (!bio)
        return NULL;
    EVP_PKEY *k = private_key ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                              : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    return k;
}

static pc_status key_id(pc_audit_key *k, const char *path, pc_diag *d)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k->pkey, &der);
    if (n <= 0)
        return ssl_fail(d, PC_ERR_INVALID, "cannot encode the public key", path);
    pc_status st = pc_sha256(der, (size_t)n, k->id, d);
    OPENSSL_free(der);
    return st;
}

static pc_status check_ed25519(EVP_PKEY *pkey, const char *path, pc_diag *d)
{
    if (EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519)
        return PC_OK;
    const char *type = OBJ_nid2sn(EVP_PKEY_get_id(pkey));
    return pc_diag_set(d, PC_ERR_INVALID, "%s: checkpoints are signed with Ed25519, this key is %s",
                       path, type ? type : "of another type");
}

pc_status pc_audit_key_load(const char *path, bool private_key, pc_audit_key **out, pc_diag *d)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    pc_status st = pc_read_file(path, KEY_FILE_MAX, &text, &len, d);
    if (st != PC_OK)
        return st;
    /* for verifying, a public key file is usual but a private one will do */
    EVP_PKEY *pkey = read_pem(text, len, private_key);
    if (!pkey && !private_key)
        pkey = read_pem(text, len, true);
    free(text);
    if (!pkey)
        return ssl_fail(d, PC_ERR_INVALID,
                        private_key ? "not an unencrypted PEM private key" : "not a PEM public key",
                        path);
    pc_audit_key *k = calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pkey);
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", path);
    }
    k->pkey = pkey;
    if ((st = check_ed25519(pkey, path, d)) == PC_OK)
        st = key_id(k, path, d);
    if (st != PC_OK) {
        pc_audit_key_free(k);
        return st;
    }
    *out = k;
    return PC_OK;
}

void pc_audit_key_free(pc_audit_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

const uint8_t *pc_audit_key_id(const pc_audit_key *k)
{
    return k->id;
}

pc_status pc_checkpoint_sign(const pc_audit_key *k, pc_checkpoint *c, pc_diag *d)
{
    memcpy(c->key_id, k->id, PC_HASH_LEN);
    pc_buf msg;
    pc_buf_init(&msg);
    if (!pc_checkpoint_encode(&msg, c)) {
        pc_buf_free(&msg);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory signing a checkpoint");
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sig_len = PC_SIG_LEN;
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
              EVP_DigestSign(ctx, c->signature, &sig_len, (const unsigned char *)msg.data,
                             msg.len) == 1 &&
              sig_len == PC_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    pc_buf_free(&msg);
    return ok ? PC_OK : ssl_fail(d, PC_ERR_INVALID, "signing a checkpoint failed", "audit key");
}

bool pc_checkpoint_verify(const pc_audit_key *k, const pc_checkpoint *c)
{
    if (memcmp(c->key_id, k->id, PC_HASH_LEN) != 0)
        return false;
    pc_buf msg;
    pc_buf_init(&msg);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = pc_checkpoint_encode(&msg, c) && ctx &&
              EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
              EVP_DigestVerify(ctx, c->signature, PC_SIG_LEN, (const unsigned char *)msg.data,
                               msg.len) == 1;
    EVP_MD_CTX_free(ctx);
    pc_buf_free(&msg);
    ERR_clear_error(); /* a bad signature leaves an error queued; it is our answer, not news */
    return ok;
}
