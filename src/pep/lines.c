/*
** pep/lines.c — newline framing with a bound, and output queues.
**
** MCP's stdio transport is one JSON-RPC message per line. The framer hands
** each complete line to a sink, newline included, so a forwarded message is
** the very bytes that arrived. A line that ends inside one read is handed
** over straight from the read buffer; only lines split across reads are
** assembled, and never past the bound: a line that outgrows it is reported
** once and its bytes are skipped up to its newline, so one oversize message
** cannot take the session's memory or its framing with it.
**
** A queue holds bytes owed to a non-blocking descriptor. The relay writes
** what the descriptor takes and keeps the rest; reading stops on the other
** side while a queue is long (PC_PEP_QUEUE_HIGH), which is how backpressure
** passes through the proxy.
*/
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pep.h"

/* Buffers that grew past this for one big message are given back afterwards. */
#define KEEP_BYTES (4 * PC_PEP_READ_CHUNK)

static void reset_buf(pc_buf *b)
{
    if (b->cap > KEEP_BYTES)
        pc_buf_free(b);
    else
        pc_buf_clear(b);
}

void pc_pep_lines_init(pc_pep_lines *l, size_t max)
{
    pc_buf_init(&l->part);
    l->max = max;
    l->skipping = false;
}

void pc_pep_lines_free(pc_pep_lines *l)
{
    pc_buf_free(&l->part);
}

/* One piece of input: a whole line's tail (ends) or a fragment of one. */
static bool piece(pc_pep_lines *l, const char *p, size_t n, bool ends, const pc_pep_line_sink *s)
{
    if (l->skipping) {
        l->skipping = !ends;
        return true;
    }
    if (l->part.len + n > l->max) {
        reset_buf(&l->part);
        l->skipping = !ends;
        return s->oversize(s->ctx, l->max);
    }
    if (!ends)
        return pc_buf_append(&l->part, p, n);
    if (l->part.len == 0)
        return s->line(s->ctx, p, n);
    if (!pc_buf_append(&l->part, p, n))
        return false;
    bool ok = s->line(s->ctx, l->part.data, l->part.len);
    reset_buf(&l->part);
    return ok;
}

bool pc_pep_lines_feed(pc_pep_lines *l, const char *p, size_t n, const pc_pep_line_sink *s)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) + 1 : n;
        if (!piece(l, p, take, nl != NULL, s))
            return false;
        p += take;
        n -= take;
    }
    return true;
}

bool pc_pep_lines_finish(pc_pep_lines *l, const pc_pep_line_sink *s)
{
    bool ok = true;
    if (!l->skipping && l->part.len > 0)
        ok = s->line(s->ctx, l->part.data, l->part.len);
    reset_buf(&l->part);
    l->skipping = false;
    return ok;
}

/* ---- queues ---------------------------------------------------------- */

void pc_pep_queue_init(pc_pep_queue *q)
{
    pc_buf_init(&q->buf);
    q->off = 0;
}

void pc_pep_queue_free(pc_pep_queue *q)
{
    pc_buf_free(&q->buf);
    q->off = 0;
}

bool pc_pep_queue_put(pc_pep_queue *q, const char *p, size_t n)
{
    return pc_buf_append(&q->buf, p, n);
}

size_t pc_pep_queue_pending(const pc_pep_queue *q)
{
    return q->buf.len - q->off;
}

/* Drop the written prefix once it is most of the buffer, so the queue does not creep. */
static void compact(pc_pep_queue *q)
{
    if (q->off == q->buf.len) {
        reset_buf(&q->buf);
        q->off = 0;
    } else if (q->off > q->buf.len / 2) {
        memmove(q->buf.data, q->buf.data + q->off, q->buf.len - q->off);
        q->buf.len -= q->off;
        q->buf.data[q->buf.len] = '\0';
        q->off = 0;
    }
}

pc_status pc_pep_queue_flush(pc_pep_queue *q, int fd, pc_diag *d)
{
    while (q->off < q->buf.len) {
        ssize_t w = write(fd, q->buf.data + q->off, q->buf.len - q->off);
        if (w > 0)
            q->off += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else
            return pc_diag_set(d, PC_ERR_IO, "write to fd %d: %s", fd,
                               w < 0 ? strerror(errno) : "wrote nothing");
    }
    compact(q);
    return PC_OK;
}
