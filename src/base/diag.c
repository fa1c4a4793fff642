/*
** base/diag.c — errors as values. A pc_diag holds the first error of an
** operation (later ones are usually consequences); messages are built on
** the heap so they are never truncated. pc_diag_at renders the classic
** compiler form: name:line:col, the offending source line and a caret.
*/
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_diag_init(pc_diag *d)
{
    d->status = PC_OK;
    d->msg = NULL;
}

void pc_diag_clear(pc_diag *d)
{
    free(d->msg);
    pc_diag_init(d);
}

pc_status pc_diag_vset(pc_diag *d, pc_status st, const char *fmt, va_list ap)
{
    if (!d || d->status != PC_OK)
        return st;
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_vprintf(&b, fmt, ap);
    d->status = st;
    d->msg = pc_buf_take(&b);   /* NULL only on OOM; status still says what failed */
    return st;
}

pc_status pc_diag_set(pc_diag *d, pc_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_diag_vset(d, st, fmt, ap);
    va_end(ap);
    return st;
}

void pc_line_col(const char *src, size_t srclen, size_t offset, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    if (offset > srclen)
        offset = srclen;
    for (size_t i = 0; i < offset; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)src[i] & 0xC0) != 0x80) {
            c++;   /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

/* Append the source line holding offset and a caret under the column. */
static void caret_snippet(pc_buf *b, const char *src, size_t srclen, size_t offset, uint32_t col)
{
    if (offset > srclen)
        offset = srclen;
    size_t start = offset, end = offset;
    while (start > 0 && src[start - 1] != '\n')
        start--;
    while (end < srclen && src[end] != '\n')
        end++;
    pc_buf_puts(b, "\n  ");
    for (size_t i = start; i < end; i++) {
        char c = src[i];
        pc_buf_putc(b, (c == '\t' || (unsigned char)c >= 0x20) ? c : ' ');
    }
    pc_buf_puts(b, "\n  ");
    for (uint32_t i = 1; i < col; i++)
        pc_buf_putc(b, ' ');
    pc_buf_putc(b, '^');
}

pc_status pc_diag_at(pc_diag *d, pc_status st, const char *name, const char *src, size_t srclen,
                     size_t offset, const char *fmt, ...)
{
    if (!d || d->status != PC_OK)
        return st;
    uint32_t line, col;
    pc_line_col(src, srclen, offset, &line, &col);
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "%s:%u:%u: ", name ? name : "<input>", line, col);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    caret_snippet(&b, src, srclen, offset, col);
    d->status = st;
    d->msg = pc_buf_take(&b);
    return st;
}

void pc_diag_prefix(pc_diag *d, const char *fmt, ...)
{
    if (!d || d->status == PC_OK)
        return;
    pc_buf b;
    pc_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    pc_buf_puts(&b, ": ");
    pc_buf_puts(&b, d->msg ? d->msg : "(no message: out of memory)");
    char *m = pc_buf_take(&b);
    if (m) {
        free(d->msg);
        d->msg = m;
    }
}

void pc_diag_to_error(pc_diag *d, pc_error *err)
{
    if (err) {
        err->status = d->status;
        err->message = d->msg;
        if (d->status != PC_OK && !err->message)
            err->message = strdup(pc_status_name(d->status));
    } else {
        free(d->msg);
    }
    pc_diag_init(d);
}

void pc_error_clear(pc_error *err)
{
    if (!err)
        return;
    free(err->message);
    err->message = NULL;
    err->status = PC_OK;
}

const char *pc_status_name(pc_status st)
{
    switch (st) {
    case PC_OK: return "ok";
    case PC_ERR_PARSE: return "parse error";
    case PC_ERR_SCHEMA: return "schema error";
    case PC_ERR_ENTITY: return "entity error";
    case PC_ERR_REQUEST: return "request error";
    case PC_ERR_VALIDATE: return "validation error";
    case PC_ERR_NOMEM: return "out of memory";
    case PC_ERR_LIMIT: return "limit exceeded";
    case PC_ERR_IO: return "i/o error";
    case PC_ERR_STATE: return "invalid state";
    case PC_ERR_INVALID: return "invalid argument";
    }
    return "unknown status";
}
