/*
** base/intern.c — a set of unique strings (after Lua's lstring.c).
**
** Open addressing with linear probing over a power-of-two table of slots
** {hash, str}; the bytes live in an arena owned by the table, so interned
** strings stay valid until the table is freed. Growth doubles the table at
** 70% load. Lookups (pc_intern_find) never write, so a frozen table can be
** read by many threads at once; pc_intern_str is for load time only.
*/
#include "base.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t hash;
    pc_str str;   /* str.ptr == NULL: empty slot */
} slot;

struct pc_intern {
    slot *slots;
    size_t cap;     /* power of two */
    size_t count;
    pc_arena bytes;
};

pc_intern *pc_intern_new(void)
{
    pc_intern *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cap = 256;
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    pc_arena_init(&t->bytes, 32768, 0);
    return t;
}

void pc_intern_free(pc_intern *t)
{
    if (!t)
        return;
    pc_arena_free(&t->bytes);
    free(t->slots);
    free(t);
}

static slot *probe(slot *slots, size_t cap, uint64_t h, const char *p, size_t n)
{
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        slot *s = &slots[i];
        if (!s->str.ptr)
            return s;
        if (s->hash == h && s->str.len == n && (n == 0 || memcmp(s->str.ptr, p, n) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

static bool grow(pc_intern *t)
{
    size_t cap = t->cap * 2;
    slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        slot *s = &t->slots[i];
        if (s->str.ptr)
            *probe(slots, cap, s->hash, s->str.ptr, s->str.len) = *s;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

pc_str pc_intern_str(pc_intern *t, const char *p, size_t n)
{
    uint64_t h = pc_hash_bytes(p, n);
    slot *s = probe(t->slots, t->cap, h, p, n);
    if (s->str.ptr)
        return s->str;
    if ((t->count + 1) * 10 > t->cap * 7) {
        if (!grow(t))
            return PC_STR_NULL;
        s = probe(t->slots, t->cap, h, p, n);
    }
    pc_str copy = pc_arena_str(&t->bytes, p, n);
    if (!copy.ptr)
        return PC_STR_NULL;
    s->hash = h;
    s->str = copy;
    t->count++;
    return copy;
}

pc_str pc_intern_find(const pc_intern *t, const char *p, size_t n)
{
    slot *s = probe(t->slots, t->cap, pc_hash_bytes(p, n), p, n);
    return s->str;
}
