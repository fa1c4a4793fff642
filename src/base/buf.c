/*
** base/buf.c — a growable, always NUL-terminated byte buffer for building
** text. Failure is sticky (b->oom) so a caller can append many pieces and
** check once at the end; every append also returns false on failure.
*/
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_buf_init(pc_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void pc_buf_free(pc_buf *b)
{
    free(b->data);
    pc_buf_init(b);
}

void pc_buf_clear(pc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(pc_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    if (need < b->len) { /* overflow */
        b->oom = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

bool pc_buf_append(pc_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool pc_buf_puts(pc_buf *b, const char *s) { return pc_buf_append(b, s, strlen(s)); }
bool pc_buf_putc(pc_buf *b, char c) { return pc_buf_append(b, &c, 1); }

bool pc_buf_vprintf(pc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !reserve(b, (size_t)n))
        return false;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool pc_buf_printf(pc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = pc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

bool pc_buf_json_string(pc_buf *b, const char *s, size_t n)
{
    pc_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': pc_buf_puts(b, "\\\""); break;
        case '\\': pc_buf_puts(b, "\\\\"); break;
        case '\n': pc_buf_puts(b, "\\n"); break;
        case '\r': pc_buf_puts(b, "\\r"); break;
        case '\t': pc_buf_puts(b, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                pc_buf_printf(b, "\\u%04x", c);
            else
                pc_buf_putc(b, (char)c);
        }
    }
    return pc_buf_putc(b, '"');
}

bool pc_buf_cedar_escape(pc_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': pc_buf_puts(b, "\\\""); i++; continue;
        case '\\': pc_buf_puts(b, "\\\\"); i++; continue;
        case '\n': pc_buf_puts(b, "\\n"); i++; continue;
        case '\r': pc_buf_puts(b, "\\r"); i++; continue;
        case '\t': pc_buf_puts(b, "\\t"); i++; continue;
        case '\0': pc_buf_puts(b, "\\0"); i++; continue;
        default: break;
        }
        uint32_t cp;
        size_t used = pc_utf8_decode(s + i, n - i, &cp);
        if (used == 0) { /* not UTF-8: show the byte, never drop it */
            pc_buf_printf(b, "\\u{%x}", c);
            i++;
        } else if (cp < 0x20 || cp == 0x7f) {
            pc_buf_printf(b, "\\u{%x}", cp);
            i += used;
        } else {
            pc_buf_append(b, s + i, used);
            i += used;
        }
    }
    return !b->oom;
}

char *pc_buf_take(pc_buf *b)
{
    if (b->oom) {
        pc_buf_free(b);
        return NULL;
    }
    if (!b->data && !reserve(b, 0))
        return NULL;
    b->data[b->len] = '\0';
    char *d = b->data;
    pc_buf_init(b);
    return d;
}
