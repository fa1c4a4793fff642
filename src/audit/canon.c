/*
** audit/canon.c — the bytes that get hashed or signed: the canonical
** encoding of a decision record and of a checkpoint, SHA-256, and the
** digests and redaction of JSON contexts.
**
** The encoding is deliberately not JSON: a length-prefixed binary form has
** exactly one encoding per record, needs no escaping or number formatting
** rules, and is a few lines in any language (README.md gives the spec and
** tests/unit/test_audit.c checks a record against bytes computed from that
** spec independently). It walks pc_log_fields, so its field order is the
** table's order.
*/
#include <openssl/evp.h>
#include <string.h>

#include "audit.h"

static const char record_magic[8] = {'P', 'C', 'A', 'U', 'D', 'I', 'T', '1'};
static const char checkpoint_magic[8] = {'P', 'C', 'C', 'H', 'K', 'P', 'T', '1'};

static void put_u32(pc_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    pc_buf_append(b, x, sizeof x);
}

static void put_i64(pc_buf *b, int64_t v)
{
    uint64_t u = (uint64_t)v; /* two's complement, big-endian */
    unsigned char x[8];
    for (int i = 7; i >= 0; i--, u >>= 8)
        x[i] = (unsigned char)u;
    pc_buf_append(b, x, sizeof x);
}

/* A string: u32 byte length, then the bytes. Longer than u32 cannot be
** encoded; appenders refuse such records long before (PC_AUDIT_RECORD_MAX). */
static bool put_str(pc_buf *b, pc_str s)
{
    if (s.len > UINT32_MAX)
        return false;
    put_u32(b, (uint32_t)s.len);
    pc_buf_append(b, s.ptr, s.len);
    return true;
}

static bool put_field(pc_buf *b, const pc_field_desc *f, const pc_log_record *r)
{
    const char *at = (const char *)r + f->offset;
    switch ((pc_field_kind)f->kind) {
    case PC_FIELD_I64: put_i64(b, *(const int64_t *)at); return true;
    case PC_FIELD_STR: return put_str(b, *(const pc_str *)at);
    case PC_FIELD_OPT: {
        pc_str s = *(const pc_str *)at;
        pc_buf_putc(b, s.ptr ? 1 : 0);
        return !s.ptr || put_str(b, s);
    }
    case PC_FIELD_LIST: {
        const pc_strlist *l = (const pc_strlist *)at;
        put_u32(b, l->n);
        for (uint32_t i = 0; i < l->n; i++)
            if (!put_str(b, l->items[i]))
                return false;
        return true;
    }
    case PC_FIELD_HASH: pc_buf_append(b, at, PC_HASH_LEN); return true;
    }
    return false;
}

bool pc_audit_encode(pc_buf *b, const pc_log_record *r)
{
    pc_buf_append(b, record_magic, sizeof record_magic);
    for (size_t i = 0; i < PC_LOG_N_FIELDS; i++)
        if (!put_field(b, &pc_log_fields[i], r))
            return false;
    return !b->oom;
}

/* What a checkpoint signature covers: magic, seq, time_us, hash, key_id. */
bool pc_checkpoint_encode(pc_buf *b, const pc_checkpoint *c)
{
    pc_buf_append(b, checkpoint_magic, sizeof checkpoint_magic);
    put_i64(b, c->seq);
    put_i64(b, c->time_us);
    pc_buf_append(b, c->hash, PC_HASH_LEN);
    pc_buf_append(b, c->key_id, PC_HASH_LEN);
    return !b->oom;
}

pc_status pc_sha256(const void *p, size_t n, uint8_t out[PC_HASH_LEN], pc_diag *d)
{
    unsigned int len = 0;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != PC_HASH_LEN)
        return pc_diag_set(d, PC_ERR_NOMEM, "SHA-256 failed (OpenSSL EVP_Digest)");
    return PC_OK;
}

pc_status pc_audit_hash(const pc_log_record *r, pc_buf *scratch, uint8_t out[PC_HASH_LEN],
                        pc_diag *d)
{
    pc_buf_clear(scratch);
    if (!pc_audit_encode(scratch, r))
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory encoding record %lld",
                           (long long)r->seq);
    return pc_sha256(scratch->data, scratch->len, out, d);
}

void pc_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- JSON digests and redaction --------------------------------------- */

#define CANON_JSON (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

/* jansson's dump callback: append to a pc_buf. */
static int dump_to_buf(const char *p, size_t n, void *data)
{
    return pc_buf_append(data, p, n) ? 0 : -1;
}

static pc_status canonical_json(const json_t *v, pc_buf *out, pc_diag *d)
{
    json_t *empty = v ? NULL : json_object();
    int rc = json_dump_callback(v ? v : empty, dump_to_buf, out, CANON_JSON);
    json_decref(empty);
    if (rc != 0 || out->oom)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory writing JSON as canonical text");
    return PC_OK;
}

pc_status pc_json_digest(const json_t *v, uint8_t out[PC_HASH_LEN], pc_diag *d)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_status st = canonical_json(v, &b, d);
    if (st == PC_OK)
        st = pc_sha256(b.data ? b.data : "", b.len, out, d);
    pc_buf_free(&b);
    return st;
}

/* Keys are compared with their length: a key "password\0x" is not "password". */
static bool is_redacted(const char *key, size_t len, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(key, names[i], len) == 0)
            return true;
    return false;
}

/* Replace, in place in a private copy, the values under redacted keys. */
static pc_status redact_walk(json_t *v, const char *const *names, size_t n, int depth, pc_diag *d)
{
    if (depth > PC_MAX_JSON_DEPTH)
        return pc_diag_set(d, PC_ERR_LIMIT, "context nests deeper than %d levels",
                           PC_MAX_JSON_DEPTH);
    pc_status st = PC_OK;
    if (json_is_object(v)) {
        const char *key;
        size_t key_len;
        json_t *child;
        void *tmp;
        json_object_keylen_foreach_safe(v, tmp, key, key_len, child)
        {
            if (is_redacted(key, key_len, names, n)) {
                if (json_object_setn_new(v, key, key_len, json_string(PC_AUDIT_REDACTED)) != 0)
                    return pc_diag_set(d, PC_ERR_NOMEM, "out of memory redacting the context");
            } else if ((st = redact_walk(child, names, n, depth + 1, d)) != PC_OK) {
                return st;
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; st == PC_OK && i < json_array_size(v); i++)
            st = redact_walk(json_array_get(v, i), names, n, depth + 1, d);
    }
    return st;
}

pc_status pc_audit_redact(const json_t *context, const char *const *names, size_t n_names,
                          char **out, pc_diag *d)
{
    *out = NULL;
    json_t *copy = context ? json_deep_copy(context) : json_object();
    if (!copy)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory copying the context");
    pc_buf b;
    pc_buf_init(&b);
    pc_status st = redact_walk(copy, names, n_names, 1, d);
    if (st == PC_OK)
        st = canonical_json(copy, &b, d);
    json_decref(copy);
    if (st == PC_OK && !(*out = pc_buf_take(&b)))
        st = pc_diag_set(d, PC_ERR_NOMEM, "out of memory redacting the context");
    pc_buf_free(&b);
    return st;
}
