/*
** base/str.c — length-carrying strings and the one hash function we use.
** The hash is 64-bit FNV-1a folded with a final avalanche: short keys
** (type names, ids, attribute names) dominate, and FNV is fast on them.
*/
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pc_str pc_str_from_cstr(const char *s) { return (pc_str){s, s ? strlen(s) : 0}; }

bool pc_str_eq(pc_str a, pc_str b)
{
    if (a.len != b.len)
        return false;
    return a.ptr == b.ptr || a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

bool pc_str_eq_cstr(pc_str a, const char *s) { return pc_str_eq(a, pc_str_from_cstr(s)); }

int pc_str_cmp(pc_str a, pc_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

uint64_t pc_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

pc_status pc_read_file(const char *path, size_t max_bytes, char **out, size_t *len, pc_diag *d)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pc_diag_set(d, PC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    pc_buf b;
    pc_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > max_bytes) {
            fclose(f);
            pc_buf_free(&b);
            return pc_diag_set(d, PC_ERR_LIMIT, "%s: larger than the limit of %zu bytes", path,
                               max_bytes);
        }
        pc_buf_append(&b, chunk, n);
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        pc_buf_free(&b);
        return pc_diag_set(d, PC_ERR_IO, "%s: read error", path);
    }
    *len = b.len;
    *out = pc_buf_take(&b);
    if (!*out)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory reading file", path);
    return PC_OK;
}
