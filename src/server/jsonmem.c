/*
** server/jsonmem.c — the JSON of a decision request lives in a per-thread
** arena.
**
** A request body becomes a tree of jansson values: one allocation per value,
** per object table, per key; a batch of a hundred items is well over a
** thousand mallocs, and as many frees when the tree is released. Measured on
** the batch endpoint, malloc and free were a quarter of the daemon's time.
** So while a worker thread serves a decision route, jansson allocates from
** that thread's arena by bumping a pointer, and freeing such memory does
** nothing; the whole arena is dropped at once when the route is done.
**
** jansson takes one pair of allocation functions for the whole process, so
** ours stand in for every caller: outside a decision route (and on any thread
** that never served one) they are plain malloc and free. Freeing tells the
** two kinds apart by address: memory inside the calling thread's arena is
** left alone, anything else goes to free(). That makes it safe to install
** them at any time, even with values from plain malloc still alive. The rule
** for a route is that no JSON value made during it outlives it, which the
** decision routes keep (their trees are released before they return), and
** that a string from json_dumps is released with jansson's free function.
**
** Under AddressSanitizer the block is poisoned except where values live,
** so a value used after its route ended is still caught.
**
** The arena is one block per thread. A request that needs more than the
** block holds takes the rest from malloc (still correct, only slower), and
** the thread's next request starts with a block big enough for that one,
** up to a bound; beyond the bound, large requests simply keep using malloc.
*/
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "jsonmem.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FIRST_BLOCK (64u << 10)
#define MAX_BLOCK (64u << 20)
#define ALIGN 16

typedef struct jsonmem {
    char *base;
    size_t size, used;
    size_t wanted;         /* what the last use would have needed */
    bool active;
} jsonmem;

static _Thread_local jsonmem mem;

static void *arena_malloc(size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (mem.active && need >= n) {
        mem.wanted += need;
        if (mem.size - mem.used >= need) {
            void *p = mem.base + mem.used;
            mem.used += need;
            UNPOISON(p, n);
            return p;
        }
    }
    return malloc(n);
}

static void arena_free(void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)mem.base;
    if (mem.base && a >= lo && a < lo + mem.size)
        return;   /* dropped with the arena */
    free(p);
}

void pc_srv_jsonmem_install(void)
{
    json_set_alloc_funcs(arena_malloc, arena_free);
}

/* A block for the next use: as big as the last use wanted, within bounds. */
static void fit_block(void)
{
    size_t want = mem.wanted < FIRST_BLOCK ? FIRST_BLOCK : mem.wanted;
    if (want > MAX_BLOCK)
        want = MAX_BLOCK;
    if (mem.base && mem.size >= want)
        return;
    char *p = malloc(want);
    if (!p)
        return;   /* keep the old block (or none): allocations fall back to malloc */
    if (mem.base)
        UNPOISON(mem.base, mem.size);
    free(mem.base);
    POISON(p, want);
    mem.base = p;
    mem.size = want;
}

void pc_srv_jsonmem_begin(void)
{
    fit_block();
    mem.used = 0;
    mem.wanted = 0;
    mem.active = true;
}

void pc_srv_jsonmem_end(void)
{
    if (mem.base)
        POISON(mem.base, mem.used);
    mem.active = false;
    mem.used = 0;
}

bool pc_srv_jsonmem_pause(void)
{
    bool was = mem.active;
    mem.active = false;   /* values already in the arena stay; frees still tell them apart */
    return was;
}

void pc_srv_jsonmem_resume(bool was_active)
{
    mem.active = was_active;
}

void pc_srv_jsonmem_thread_exit(void)
{
    if (mem.base)
        UNPOISON(mem.base, mem.size);
    free(mem.base);
    mem.base = NULL;
    mem.size = mem.used = mem.wanted = 0;
    mem.active = false;
}
