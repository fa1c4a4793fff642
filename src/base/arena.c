/*
** base/arena.c — bump allocation in chained blocks (after nginx's pools).
**
** An arena hands out memory by advancing a pointer inside its current block;
** when the block is full a new one is chained in front. Requests larger than
** a block get a block of their own. Nothing is freed individually: reset
** empties the blocks and keeps up to KEEP_BYTES of them (the current one
** always) for reuse, freeing the rest, so a warmed-up request arena whose
** work needs several blocks never calls malloc again, while one huge request
** does not pin its memory for ever. An optional limit bounds the total,
** turning runaway inputs into allocation failures, not OOM kills.
**
** The chain is ordered: the current block, then the kept empty blocks (the
** spares, used == 0), then the full ones. A full block therefore goes in
** behind the spares, and a new current block is taken from the spares first.
*/
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pc_arena_block {
    pc_arena_block *next;
    size_t size;   /* usable bytes in data */
    size_t used;
    _Alignas(16) char data[];
};

#define ALIGN 16u

/* Bytes of emptied blocks that reset keeps for reuse, beyond the current block. */
#define KEEP_BYTES ((size_t)1 << 20)

void pc_arena_init(pc_arena *a, size_t block_size, size_t limit)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 16384;
    a->used_total = 0;
    a->limit = limit;
}

static pc_arena_block *new_block(size_t size)
{
    pc_arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

/* Link a full block b in behind the current block and its spares. */
static void stow(pc_arena *a, pc_arena_block *b)
{
    pc_arena_block *at = a->head;
    while (at->next && at->next->used == 0)
        at = at->next;
    b->next = at->next;
    at->next = b;
}

/*
** The spare that best fits need bytes, unlinked, or NULL when none holds them.
** The smallest that fits, so that ordinary requests leave the big spares to
** the oversized requests they were made for; an exact fit ends the search.
*/
static pc_arena_block *take_spare(pc_arena *a, size_t need)
{
    size_t want = need > a->block_size ? need : a->block_size;
    pc_arena_block *before = NULL;   /* the block ahead of the best spare */
    for (pc_arena_block *at = a->head; at && at->next && at->next->used == 0; at = at->next) {
        size_t size = at->next->size;
        if (size >= need && (!before || size < before->next->size))
            before = at;
        if (size == want)
            break;
    }
    if (!before)
        return NULL;
    pc_arena_block *s = before->next;
    before->next = s->next;
    return s;
}

/* A block for need bytes, made current unless it is an oversized one behind it. */
static pc_arena_block *grow(pc_arena *a, size_t need)
{
    pc_arena_block *cur = a->head, *nb = take_spare(a, need);
    if (!nb && !(nb = new_block(need > a->block_size ? need : a->block_size)))
        return NULL;
    if (cur && need > a->block_size && nb->size - need < cur->size - cur->used) {
        stow(a, nb);   /* the current block keeps more room than this one would */
        return nb;
    }
    nb->next = cur ? cur->next : NULL;
    a->head = nb;
    if (cur)   /* the old current block is full: behind the spares */
        stow(a, cur);
    return nb;
}

void *pc_arena_alloc(pc_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n || (a->limit && a->used_total + need > a->limit))
        return NULL;
    pc_arena_block *b = a->head;
    if ((!b || b->size - b->used < need) && !(b = grow(a, need)))
        return NULL;
    void *p = b->data + b->used;
    b->used += need;
    a->used_total += need;
    return p;
}

void *pc_arena_zalloc(pc_arena *a, size_t n)
{
    void *p = pc_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

pc_str pc_arena_str(pc_arena *a, const char *p, size_t n)
{
    char *s = pc_arena_alloc(a, n + 1);
    if (!s)
        return PC_STR_NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return (pc_str){s, n};
}

char *pc_arena_strdup(pc_arena *a, const char *s)
{
    return (char *)pc_arena_str(a, s, strlen(s)).ptr;
}

char *pc_arena_vprintf(pc_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = pc_arena_alloc(a, (size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *pc_arena_printf(pc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = pc_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

void pc_arena_reset(pc_arena *a)
{
    pc_arena_block *keep = a->head;
    if (!keep)
        return;
    size_t kept = 0;
    pc_arena_block *b = keep->next, *last = keep;
    while (b) {
        pc_arena_block *next = b->next;
        if (kept + b->size <= KEEP_BYTES) {
            kept += b->size;
            b->used = 0;
            last->next = b;
            last = b;
        } else {
            free(b);
        }
        b = next;
    }
    last->next = NULL;
    keep->used = 0;
    a->used_total = 0;
}

void pc_arena_free(pc_arena *a)
{
    pc_arena_block *b = a->head;
    while (b) {
        pc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}
