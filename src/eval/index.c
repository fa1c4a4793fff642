/*
** eval/index.c — which policies can apply to a request, without testing all.
**
** A scope constraint that names an entity (== E, in E, is T in E, action in
** [E, ...]) can only match a request whose uid on that side is E or has E
** among its ancestors. So each policy is filed under one such entity, on the
** most selective side it constrains (resource, then principal, then action);
** a policy that names no entity at all goes on the `always` list.
**
** A bucket keeps two lists: policies whose constraint is `== E`, which only
** E itself can satisfy, and those whose constraint is `in` E (or `is T in
** E`, or a set holding E), which E and everything below it satisfy. For a
** request, the candidates are `always`, both lists of the buckets of the
** request's uids, and the `in` lists of the buckets of their ancestors (from
** the store's precomputed closure). So the constraint a candidate was filed
** by is known to hold (up to the type test of `is T in E`), and deciding
** skips it; the other two sides still get their scope test, and every
** candidate its conditions. The answer is exactly that of a full scan.
**
** Candidates are sorted by policy position, so answers list policies in
** text order as a full scan would. Every list is kept sorted, so a request
** that reaches one list uses it in place, and several are joined through a
** bitmap of the policies or, when the candidates are few next to the
** policies, by sorting just them. Cost: one probe per uid and ancestor,
** instead of a scope test per policy — which is what keeps hundreds of
** template links cheap.
*/
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

/* Positions in the policy array, ascending. */
typedef struct plist {
    uint32_t *items;
    uint32_t n, cap;
} plist;

typedef struct bucket {
    const pc_uid *key;   /* NULL: empty slot */
    uint8_t side;
    uint64_t hash;
    plist eq;            /* side == key: only the key's own requests */
    plist in;            /* side in key: the key's and its descendants' */
} bucket;

struct pc_policy_index {
    const pc_policy *const *policies;   /* borrowed: the engine's active array */
    uint32_t n;
    plist always;
    uint8_t *filed;                     /* per policy: the side it is filed by, or PC_SIDES */
    bucket *slots;
    uint32_t cap;                       /* power of two */
    uint32_t used;
    uint32_t keyed[PC_SIDES];           /* how many policies are filed per side */
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

/* Append pos unless it is already last (action in [A, A] files a policy twice). */
static bool push(plist *l, uint32_t pos)
{
    if (l->n && l->items[l->n - 1] == pos)
        return true;
    if (l->n == l->cap) {
        uint32_t c = l->cap ? l->cap * 2 : 4;
        uint32_t *grown = realloc(l->items, c * sizeof *grown);
        if (!grown)
            return false;
        l->items = grown;
        l->cap = c;
    }
    l->items[l->n++] = pos;
    return true;
}

static bool file_under(pc_policy_index *ix, const pc_uid *u, int side, bool eq, uint32_t pos)
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
    return push(eq ? &b->eq : &b->in, pos);
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
    static const int preference[PC_SIDES] = {PC_SIDE_RESOURCE, PC_SIDE_PRINCIPAL, PC_SIDE_ACTION};
    for (int k = 0; k < PC_SIDES; k++) {
        int side = preference[k];
        const pc_scope *s = pc_scope_of(p, side);
        if (!names_entity(s))
            continue;
        ix->keyed[side]++;
        ix->filed[pos] = (uint8_t)side;
        if (s->op != PC_SCOPE_IN_SET)
            return file_under(ix, s->uid, side, s->op == PC_SCOPE_EQ, pos);
        for (uint32_t i = 0; i < s->n; i++)
            if (!file_under(ix, s->uids[i], side, false, pos))
                return false;
        return true;
    }
    ix->filed[pos] = PC_SIDES;
    return push(&ix->always, pos);
}

void pc_index_free(pc_policy_index *ix)
{
    if (!ix)
        return;
    for (uint32_t i = 0; i < ix->cap; i++) {
        free(ix->slots[i].eq.items);
        free(ix->slots[i].in.items);
    }
    free(ix->slots);
    free(ix->always.items);
    free(ix->filed);
    free(ix);
}

pc_status pc_index_build(const pc_policy *const *policies, uint32_t n, pc_policy_index **out,
                         pc_diag *d)
{
    pc_policy_index *ix = calloc(1, sizeof *ix);
    *out = NULL;
    if (!ix || !(ix->filed = malloc(n ? n : 1))) {
        free(ix);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory indexing policies");
    }
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

/* The sorted lists a request draws its candidates from. */
typedef struct gather {
    const pc_policy_index *ix;
    pc_arena *arena;
    const plist **lists;    /* `always` and the non-empty lists the request's uids reach */
    uint32_t n_lists, cap_lists;
    size_t total;           /* positions in all the lists, repeats counted */
} gather;

static bool add_list(gather *g, const plist *l)
{
    if (l->n == 0)
        return true;
    if (g->n_lists == g->cap_lists) {
        /* at most 2 x 3 x (1 + ancestors) lists, far below where doubling could wrap */
        uint32_t cap = g->cap_lists ? g->cap_lists * 2 : 16;
        const plist **grown = pc_arena_alloc(g->arena, cap * sizeof *grown);
        if (!grown)
            return false;
        if (g->n_lists)
            memcpy(grown, g->lists, g->n_lists * sizeof *grown);
        g->lists = grown;
        g->cap_lists = cap;
    }
    g->lists[g->n_lists++] = l;
    g->total += l->n;
    return true;
}

/* The lists of u's bucket on side: both for the request's own uid, `in` for an ancestor. */
static bool add_bucket(gather *g, const pc_uid *u, int side, bool own)
{
    const pc_policy_index *ix = g->ix;
    const bucket *b = probe(ix->slots, ix->cap, u, side, key_hash(u, side));
    if (!b->key)
        return true;
    return (!own || add_list(g, &b->eq)) && add_list(g, &b->in);
}

/* The buckets of a request uid and of every ancestor it has in the store. */
static bool add_side(gather *g, const pc_eval_env *env, const pc_uid *u, int side)
{
    if (!g->ix->keyed[side])
        return true;
    if (!add_bucket(g, u, side, true))
        return false;
    const pc_entity *e = pc_eval_entity(env, u);
    for (uint32_t i = 0; e && i < e->n_ancestors; i++)
        if (!add_bucket(g, e->ancestors[i], side, false))
            return false;
    return true;
}

static void mark(uint64_t *bits, const plist *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        bits[l->items[i] / 64] |= UINT64_C(1) << (l->items[i] % 64);
}

/* The union through a bitmap of the policies: cost follows the policy count. */
static uint32_t union_bitmap(const gather *g, uint64_t *bits, uint32_t *out)
{
    for (uint32_t l = 0; l < g->n_lists; l++)
        mark(bits, g->lists[l]);
    uint32_t n = 0;
    for (uint32_t w = 0; w < (g->ix->n + 63) / 64; w++)
        for (uint64_t x = bits[w]; x; x &= x - 1)
            out[n++] = w * 64 + (uint32_t)__builtin_ctzll(x);
    return n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The union by sorting the lists joined end to end: cost follows the candidate count. */
static uint32_t union_sorted(const gather *g, uint32_t *out)
{
    size_t n = 0;
    for (uint32_t l = 0; l < g->n_lists; l++) {
        memcpy(out + n, g->lists[l]->items, g->lists[l]->n * sizeof *out);
        n += g->lists[l]->n;
    }
    pc_sort(out, n, sizeof *out, cmp_u32);
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[k - 1] != out[i])
            out[k++] = out[i];
    return k;
}

/*
** Sorted, duplicate-free positions of the policies that may apply. A single
** list is already that and is used in place; several are joined through a
** bitmap when it is no longer than the candidates, else by sorting them.
*/
static bool candidates(gather *g, const pc_eval_env *env, const uint32_t **which, uint32_t *n)
{
    const pc_eval_request *req = env->req;
    if (!add_list(g, &g->ix->always) || !add_side(g, env, req->resource, PC_SIDE_RESOURCE) ||
        !add_side(g, env, req->principal, PC_SIDE_PRINCIPAL) ||
        !add_side(g, env, req->action, PC_SIDE_ACTION))
        return false;
    if (g->n_lists <= 1) {
        *which = g->n_lists ? g->lists[0]->items : NULL;
        *n = g->n_lists ? g->lists[0]->n : 0;
        return true;
    }
    size_t words = ((size_t)g->ix->n + 63) / 64;
    bool dense = words <= g->total;
    uint32_t *out = pc_arena_alloc(g->arena, g->total * sizeof *out);
    uint64_t *bits = dense ? pc_arena_zalloc(g->arena, words * sizeof *bits) : NULL;
    if (!out || (dense && !bits))
        return false;
    *which = out;
    *n = dense ? union_bitmap(g, bits, out) : union_sorted(g, out);
    return true;
}

pc_status pc_authorize_indexed(const pc_policy_index *ix, const pc_eval_request *req,
                               const pc_entities *entities, pc_arena *arena, pc_answer *out)
{
    /* one start for both: the entities looked up for the candidates serve the evaluation */
    pc_eval_memo memo;
    pc_eval_request local;
    pc_eval_env env;
    pc_eval_start(&env, &memo, &local, req, entities, arena);
    gather g = {ix, arena, NULL, 0, 0, 0};
    const uint32_t *which = NULL;
    uint32_t n = 0;
    if (!candidates(&g, &env, &which, &n)) {
        memset(out, 0, sizeof *out);
        return PC_ERR_NOMEM;
    }
    return pc_decide(&env, ix->policies, which, n, ix->filed, out);
}
