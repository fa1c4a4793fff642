/*
** identity/b64url.c — base64url without padding (RFC 4648 §5, as JOSE uses it).
**
** OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock do the arithmetic; this file
** only translates between the two alphabets and is strict about input, so
** a token has exactly one spelling: characters outside the url-safe
** alphabet (including '=', '+', '/', whitespace and NUL) are refused, a
** length of 4k+1 is refused, and so are non-zero trailing bits (checked by
** encoding the result again and comparing). Strictness matters because the
** signature covers the encoded text; accepting many spellings of one token
** would make replay and cache checks on the text unreliable.
*/
#include <limits.h>
#include <string.h>

#include "id_internal.h"

static bool is_url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

bool pc_b64url_decode(pc_arena *a, const char *in, size_t n, unsigned char **out, size_t *outlen)
{
    if (n % 4 == 1 || n > (size_t)INT_MAX / 2)
        return false;
    size_t padded = (n + 3) / 4 * 4;
    char *std = pc_arena_alloc(a, padded + 1);
    unsigned char *buf = pc_arena_alloc(a, padded / 4 * 3 + 1);
    if (!std || !buf)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!is_url_char(c))
            return false;
        std[i] = c == '-' ? '+' : c == '_' ? '/' : (char)c;
    }
    memset(std + n, '=', padded - n);
    std[padded] = '\0';
    int got = EVP_DecodeBlock(buf, (const unsigned char *)std, (int)padded);
    if (got < 0 || (size_t)got < padded - n)
        return false;
    size_t len = (size_t)got - (padded - n);   /* DecodeBlock counts padding as zero bytes */
    char *again = pc_b64url_encode(a, buf, len);
    if (!again || strlen(again) != n || memcmp(again, in, n) != 0)
        return false;
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return true;
}

char *pc_b64url_encode(pc_arena *a, const unsigned char *p, size_t n)
{
    if (n > (size_t)INT_MAX / 2)
        return NULL;
    char *out = pc_arena_alloc(a, (n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (int i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return out;
}
