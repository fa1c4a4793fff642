/*
** eval/index.c — which policies can apply to a request, without testing all.
**
** A scope constraint that names an entity (== E, in E, is T in E, action in
** [E, ...]) can only match a request whose uid on that side is E or has E
** among its ancestors. So each policy is filed under one such entity, on the
** most selective side it constrains (resource, then principal, then action);
** a policy that names no entity at all goes on the `always` list.
**
** For a request, the candidates are `always` plus, for each side, the
** buckets of the request's uid and of each of its ancestors (from the
** store's precomputed closure). That is a superset of the policies whose
** scope matches; each candidate still gets its full scope test and
** conditions. Candidates are sorted by policy position, so answers list
** policies in text order exactly as a full scan would. Cost: one probe per
** uid and ancestor, instead of a scope test per policy — which is what keeps
** hundreds of template links cheap.
*/
#include <stdlib.h>
#include <string.h>

#include "eval.h"

enum { SIDE_PRINCIPAL, SIDE_ACTION, SIDE_RESOURCE, SIDES };

typedef struct bucket {
    const pc_uid *key;   /* NULL: empty slot */
    uint8_t side;
    uint64_t hash;
    uint32_t n, cap;
    uint32_t *items;     /* positions in the policy array, ascending */
} bucket;

struct pc_policy_index {
    const pc_policy *const *policies;   /* borrowed: the engine's active array */
    uint32_t n;
    uint32_t *always;
    uint32_t n_always, always_cap;
    bucket *slots;
    uint32_t cap;                       /* power of two */
    uint32_t used;
    uint32_t keyed[SIDES];              /* how many policies are filed per side */
};

static uint64_t key_hash(const pc_uid *u, int side)
{
    return pc_uid_hash(u) ^ ((uint64_t)side * 0x9E3779B97F4A7C15ull);
}

static bucket *probe(bucket *slots, uint32_t cap, const pc_uid *u, int side, uint64_t h)
{
    for (uint32_t i = (uint32_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        bucket *b = &slots[i];
        if (!b->key || (b->hash == h && b->side == side && pc_uid_eq(b->key, u)))
            return b;
    }
}

static bool grow(pc_policy_index *ix)
{
    uint32_t cap = ix->cap ? ix->cap * 2 : 64;
    bucket *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].key)
            *probe(slots, cap, ix->slots[i].key, ix->slots[i].side, ix->slots[i].hash) =
                ix->slots[i];
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return true;
}

static bool push(uint32_t **items, uint32_t *n, uint32_t *cap, uint32_t v)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 4;
        uint32_t *grown = realloc(*items, c * sizeof *grown);
        if (!grown)
            return false;
        *items = grown;
        *cap = c;
    }
    (*items)[(*n)++] = v;
    return true;
}

static bool file_under(pc_policy_index *ix, const pc_uid *u, int side, uint32_t pos)
{
    if ((ix->used + 1) * 4 > ix->cap * 3 && !grow(ix))
        return false;
    uint64_t h = key_hash(u, side);
    bucket *b = probe(ix->slots, ix->cap, u, side, h);
    if (!b->key) {
        b->key = u;
        b->side = (uint8_t)side;
        b->hash = h;
        ix->used++;
    }
    if (b->n && b->items[b->n - 1] == pos)   /* action in [A, A] */
        return true;
    return push(&b->items, &b->n, &b->cap, pos);
}

/* Does this constraint name an entity we can file the policy under? */
static bool names_entity(const pc_scope *s)
{
    switch ((pc_scope_op)s->op) {
    case PC_SCOPE_EQ:
    case PC_SCOPE_IN:
    case PC_SCOPE_IS_IN:
        return s->uid != NULL;
    case PC_SCOPE_IN_SET:
        return s->n > 0;
    default:
        return false;
    }
}

static bool file_policy(pc_policy_index *ix, const pc_policy *p, uint32_t pos)
{
    const pc_scope *sides[SIDES] = {&p->principal, &p->action, &p->resource};
    static const int preference[SIDES] = {SIDE_RESOURCE, SIDE_PRINCIPAL, SIDE_ACTION};
    for (int k = 0; k < SIDES; k++) {
        int side = preference[k];
        const pc_scope *s = sides[side];
        if (!names_entity(s))
            continue;
        ix->keyed[side]++;
        if (s->op != PC_SCOPE_IN_SET)
            return file_under(ix, s->uid, side, pos);
        for (uint32_t i = 0; i < s->n; i++)
            if (!file_under(ix, s->uids[i], side, pos))
                return false;
        return true;
    }
    return push(&ix->always, &ix->n_always, &ix->always_cap, pos);
}

void pc_index_free(pc_policy_index *ix)
{
    if (!ix)
        return;
    for (uint32_t i = 0; i < ix->cap; i++)
        free(ix->slots[i].items);
    free(ix->slots);
    free(ix->always);
    free(ix);
}

pc_status pc_index_build(const pc_policy *const *policies, uint32_t n, pc_policy_index **out,
                         pc_diag *d)
{
    pc_policy_index *ix = calloc(1, sizeof *ix);
    *out = NULL;
    if (!ix)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory indexing policies");
    ix->policies = policies;
    ix->n = n;
    for (uint32_t i = 0; i < n; i++)
        if (!file_policy(ix, policies[i], i)) {
            pc_index_free(ix);
            return pc_diag_set(d, PC_ERR_NOMEM, "out of memory indexing policies");
        }
    *out = ix;
    return PC_OK;
}

/* ---- candidates for one request ---------------------------------------- */

typedef struct gather {
    const pc_policy_index *ix;
    pc_arena *arena;
    uint32_t *items;
    uint32_t n, cap;
} gather;

static bool add_bucket(gather *g, const pc_uid *u, int side)
{
    const pc_policy_index *ix = g->ix;
    const bucket *b = probe(ix->slots, ix->cap, u, side, key_hash(u, side));
    if (!b->key || b->n == 0)
        return true;
    if (g->n + b->n > g->cap) {
        uint32_t cap = g->cap ? g->cap : 32;
        while (cap < g->n + b->n)
            cap *= 2;
        uint32_t *grown = pc_arena_alloc(g->arena, cap * sizeof *grown);
        if (!grown)
            return false;
        if (g->n)
            memcpy(grown, g->items, g->n * sizeof *grown);
        g->items = grown;
        g->cap = cap;
    }
    memcpy(g->items + g->n, b->items, b->n * sizeof *b->items);
    g->n += b->n;
    return true;
}

/* The buckets of a request uid and of every ancestor it has in the store. */
static bool add_side(gather *g, const pc_entities *es, const pc_uid *u, int side)
{
    if (!g->ix->keyed[side])
        return true;
    if (!add_bucket(g, u, side))
        return false;
    const pc_entity *e = pc_entities_get(es, u);
    for (uint32_t i = 0; e && i < e->n_ancestors; i++)
        if (!add_bucket(g, e->ancestors[i], side))
            return false;
    return true;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorted, duplicate-free positions of the policies that may apply. */
static bool candidates(gather *g, const pc_eval_request *req, const pc_entities *es)
{
    const pc_policy_index *ix = g->ix;
    g->cap = ix->n_always + 32;
    g->items = pc_arena_alloc(g->arena, g->cap * sizeof *g->items);
    if (!g->items)
        return false;
    if (ix->n_always)
        memcpy(g->items, ix->always, ix->n_always * sizeof *g->items);
    g->n = ix->n_always;
    uint32_t before = g->n;
    if (!add_side(g, es, req->resource, SIDE_RESOURCE) ||
        !add_side(g, es, req->principal, SIDE_PRINCIPAL) ||
        !add_side(g, es, req->action, SIDE_ACTION))
        return false;
    if (g->n == before)
        return true;   /* only `always`, which is already in order */
    qsort(g->items, g->n, sizeof *g->items, cmp_u32);
    uint32_t k = 0;
    for (uint32_t i = 0; i < g->n; i++)
        if (k == 0 || g->items[k - 1] != g->items[i])
            g->items[k++] = g->items[i];
    g->n = k;
    return true;
}

pc_status pc_authorize_indexed(const pc_policy_index *ix, const pc_eval_request *req,
                               const pc_entities *entities, pc_arena *arena, pc_answer *out)
{
    gather g = {ix, arena, NULL, 0, 0};
    if (!candidates(&g, req, entities)) {
        memset(out, 0, sizeof *out);
        return PC_ERR_NOMEM;
    }
    return pc_authorize_subset(ix->policies, g.items, g.n, req, entities, arena, out);
}
