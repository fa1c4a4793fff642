/*
** base/arena.c — bump allocation in chained blocks (after nginx's pools).
**
** An arena hands out memory by advancing a pointer inside its current block;
** when the block is full a new one is chained in front. Requests larger than
** a block get a block of their own. Nothing is freed individually: reset
** keeps the newest ordinary block for reuse (so a warmed-up request arena
** never calls malloc again) and frees the rest. An optional limit bounds the
** total, turning runaway inputs into allocation failures, not OOM kills.
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

void *pc_arena_alloc(pc_arena *a, size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need < n || (a->limit && a->used_total + need > a->limit))
        return NULL;
    pc_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > a->block_size ? need : a->block_size;
        pc_arena_block *nb = new_block(size);
        if (!nb)
            return NULL;
        if (b && need > a->block_size) {
            /* an oversized block goes behind the current one, which still has room */
            nb->next = b->next;
            b->next = nb;
            b = nb;
        } else {
            nb->next = b;
            a->head = b = nb;
        }
    }
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
    pc_arena_block *b = keep->next;
    while (b) {
        pc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
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
