/*
** entity/store.c — the entity store: built once from the entities JSON (and
** the schema's actions), then only read, by any number of threads.
**
** Layout. Every entity is a node in one array, found through an
** open-addressing table keyed by uid hash. A parent that is named but not
** listed also gets a node ("named only"): it counts as an ancestor, but its
** own ancestors are unknown and pc_entities_get does not return it. Each
** listed node keeps its whole ancestry (the transitive closure of parents)
** sorted by (uid hash, type, id) with the hashes alongside, so `in` is one
** table probe and a binary search over integers, never a walk.
**
** Loading follows the reference (Entities::from_entities with TC computed
** now), step by step:
**   1. read every entity; with a schema each non-action is checked against
**      its type (declared, enumerated id, attributes, tags, parent types,
**      where any type reachable through memberOfTypes is allowed, as the
**      reference closes that relation), and each action must be declared
**      and carry no attributes or tags. A uid listed twice is an error
**      unless both copies are the same entity (reference 4.4+).
**   2. compute each listed entity's closure by a breadth-first walk that
**      goes on only through listed entities. Reaching the start again means
**      a cycle, which the reference refuses too.
**   3. with a schema, add the schema's actions: an action also listed in
**      the JSON must have the same ancestors as the schema gives it (its
**      closure from step 2 against the schema's), the others take the
**      schema's memberOf hierarchy.
** All the readers' data lives in the store's arena; index arrays that only
** the build needs live in a scratch arena dropped at the end.
**
** A view (pc_entities_view) is a store with nothing of its own: it hands
** every lookup to an overlay (overlay.c), which lays a request's entities
** over a stored set. The evaluator reads a view like any store.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity_internal.h"

/* ---- bounds ------------------------------------------------------------- */

/* Entities, named-only parents and actions together (indices are 32-bit). */
#define PC_ENTITIES_MAX_NODES (1u << 26)
/* Ancestor entries over all entities: a chain of n entities stores n*(n-1)/2. */
#define PC_ENTITIES_MAX_LINKS (1u << 26)
/* Parent edges followed while computing every closure (work, not memory). */
#define PC_ENTITIES_MAX_STEPS (UINT64_C(1) << 32)
#define PC_ENTITIES_ARENA_BLOCK (64u << 10)

#define NONE PC_UID_NONE

typedef struct node {
    pc_entity pub;             /* what readers see */
    uint64_t hash;             /* pc_uid_hash(pub.uid) */
    const uint64_t *anc_hash;  /* hashes of pub.ancestors, in the same sorted order */
    uint32_t *pidx;            /* build only: parents as node indices */
    uint32_t n_pidx;
    uint32_t *aidx;            /* build only: the closure as node indices */
    uint32_t n_aidx;
    bool listed;               /* an entity of the store, not only named as a parent */
    bool from_schema;          /* an action the schema added */
    bool expand;               /* the closure walk goes on through its parents */
} node;

struct pc_entities {
    pc_arena arena;            /* uids, values and arrays that readers see */
    node *nodes;
    uint32_t n_nodes, cap_nodes;
    uint32_t *slots;           /* node index + 1; 0 is empty */
    uint32_t n_slots;          /* a power of two, more than twice n_nodes */
    uint32_t *vis;             /* listed nodes in load order, for pc_entities_at */
    uint32_t n_vis;
    const pc_overlay *overlay; /* a view: every lookup goes to the overlay */
};

/* One load: the store being built and what only the build needs. */
typedef struct build {
    pc_entities *s;
    pc_intern *intern;
    const pc_schema *schema;
    const char *name;
    pc_arena scratch;          /* index arrays and sort buffers */
    uint32_t *stamp;           /* per node: equal to gen once the current walk reached it */
    uint32_t *queue;           /* the current walk's nodes, each at most once */
    uint32_t gen;
    uint64_t links, steps;
    const pc_record *empty;    /* the attributes and tags of nodes that have none */
    pc_diag *d;
} build;

/* A uid with its hash: the order ancestors are kept in (hash, then type, then id). */
typedef struct keyed {
    uint64_t hash;
    const pc_uid *uid;
} keyed;

/* ---- errors ------------------------------------------------------------- */

static pc_status nomem(build *b)
{
    return pc_diag_set(b->d, PC_ERR_NOMEM, "%s: out of memory while loading entities", b->name);
}

/* "NAME: entity UID: what" */
static PC_PRINTF(4, 5) pc_status entity_error(build *b, pc_status st, const pc_uid *u,
                                              const char *fmt, ...)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "%s: entity ", b->name);
    pc_uid_print(&m, u);
    pc_buf_puts(&m, ": ");
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    pc_status r = m.oom ? nomem(b) : pc_diag_set(b->d, st, "%s", m.data);
    pc_buf_free(&m);
    return r;
}

/* Put "NAME: entity UID" in front of an error a reader reported about one entity. */
static pc_status about(build *b, pc_status st, const pc_uid *u)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_uid_print(&m, u);
    pc_diag_prefix(b->d, "%s: entity %s", b->name, m.oom ? "?" : m.data);
    pc_buf_free(&m);
    return st;
}

static pc_status limit(build *b, const char *what, uint64_t bound)
{
    return pc_diag_set(b->d, PC_ERR_LIMIT, "%s: too many %s (at most %llu)", b->name, what,
                       (unsigned long long)bound);
}

/* ---- the uid table ---------------------------------------------------------- */

_Static_assert(offsetof(node, pub) == offsetof(pc_uid_item, pub) &&
                   offsetof(node, hash) == offsetof(pc_uid_item, hash),
               "a node begins with a pc_uid_item");

static uint32_t find(const pc_entities *s, const pc_uid *u, uint64_t h)
{
    return pc_uid_table_find(s->slots, s->n_slots, s->nodes, sizeof *s->nodes, u, h);
}

#define place pc_uid_table_place

static bool grow_slots(pc_entities *s)
{
    uint32_t n = s->n_slots ? s->n_slots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < s->n_nodes; i++)
        place(slots, n, s->nodes[i].hash, i);
    free(s->slots);
    s->slots = slots;
    s->n_slots = n;
    return true;
}

static bool grow_nodes(pc_entities *s)
{
    uint32_t cap = s->cap_nodes ? s->cap_nodes * 2 : 64;
    node *nodes = realloc(s->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes)
        return false;
    s->nodes = nodes;
    s->cap_nodes = cap;
    return true;
}

/* A new node for uid u (the caller fills in the rest). Node pointers move. */
static pc_status add_node(build *b, const pc_uid *u, uint64_t h, bool listed, uint32_t *idx)
{
    pc_entities *s = b->s;
    if (s->n_nodes >= PC_ENTITIES_MAX_NODES)
        return limit(b, "entities and parents", PC_ENTITIES_MAX_NODES);
    if ((s->n_nodes == s->cap_nodes && !grow_nodes(s)) ||
        ((s->n_nodes + 1) * 2 > s->n_slots && !grow_slots(s)))
        return nomem(b);
    node *n = &s->nodes[s->n_nodes];
    memset(n, 0, sizeof *n);
    n->pub.uid = u;
    n->pub.attrs = n->pub.tags = b->empty;
    n->hash = h;
    n->listed = n->expand = listed;
    place(s->slots, s->n_slots, h, s->n_nodes);
    *idx = s->n_nodes++;
    return PC_OK;
}

/* ---- sorting uids -------------------------------------------------------- */

static int keyed_cmp(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    int c = pc_str_cmp(a->uid->type, b->uid->type);
    return c ? c : pc_str_cmp(a->uid->id, b->uid->id);
}

static keyed *key_uids(build *b, const pc_uid *const *u, uint32_t n)
{
    keyed *k = pc_arena_alloc(&b->scratch, (n ? n : 1) * sizeof *k);
    for (uint32_t i = 0; k && i < n; i++)
        k[i] = (keyed){pc_uid_hash(u[i]), u[i]};
    return k;
}

/* Sort and drop repeats; returns how many are left. */
static uint32_t sort_unique(keyed *k, uint32_t n)
{
    if (n < 2)
        return n;
    qsort(k, n, sizeof *k, keyed_cmp);
    uint32_t m = 1;
    for (uint32_t i = 1; i < n; i++)
        if (keyed_cmp(&k[i], &k[m - 1]) != 0)
            k[m++] = k[i];
    return m;
}

/* ---- reading one entity ------------------------------------------------- */

static pc_status parent_error(build *b, const char *path, const pc_uid *p, const char *why)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "%s: ", path);
    pc_uid_print(&m, p);
    pc_buf_printf(&m, " %s", why);
    pc_status r = m.oom ? nomem(b) : pc_diag_set(b->d, PC_ERR_ENTITY, "%s", m.data);
    pc_buf_free(&m);
    return r;
}

/*
** Is type reachable from decl through memberOfTypes? The reference allows an
** entity any ancestor type its type may reach, not only the listed ones.
*/
static pc_status reaches_type(build *b, const pc_entity_decl *decl, pc_str type, bool *ok)
{
    uint32_t cap = pc_schema_entity_count(b->schema) + 1, n = 0;
    const pc_entity_decl **seen = malloc(cap * sizeof *seen);
    if (!seen)
        return nomem(b);
    seen[n++] = decl;
    *ok = false;
    for (uint32_t i = 0; i < n && !*ok; i++) {
        for (uint32_t k = 0; k < seen[i]->n_member_of && !*ok; k++) {
            pc_str m = seen[i]->member_of[k];
            const pc_entity_decl *next = pc_schema_entity(b->schema, m);
            uint32_t j = 0;
            while (j < n && seen[j] != next)
                j++;
            *ok = pc_str_eq(m, type);
            if (next && j == n && n < cap)
                seen[n++] = next;
        }
    }
    free(seen);
    return PC_OK;
}

static pc_status check_parent(build *b, const pc_uid *child, const pc_entity_decl *decl,
                              const pc_uid *p, const char *path)
{
    if (pc_is_action_type(child->type) && !pc_is_action_type(p->type))
        return parent_error(b, path, p, "is not an action, and an action's parents must be actions");
    if (!decl)
        return PC_OK;
    if (!pc_uid_in_enum(b->schema, p))
        return parent_error(b, path, p, "is not one of the ids of its enumerated entity type");
    bool ok = false;
    pc_status st = reaches_type(b, decl, p->type, &ok);
    if (st != PC_OK || ok)
        return st;
    return parent_error(b, path, p, "has a type that the schema's memberOfTypes do not allow "
                                    "for this entity's type");
}

static pc_status read_parents(build *b, const pc_json_in *in, json_t *arr,
                              const pc_entity_decl *decl, pc_entity *e)
{
    if (!json_is_array(arr))
        return pc_diag_set(b->d, PC_ERR_ENTITY, "\"parents\" must be a JSON array");
    size_t n = json_array_size(arr);
    if (n > PC_ENTITIES_MAX_NODES)
        return limit(b, "parents of one entity", PC_ENTITIES_MAX_NODES);
    const pc_uid **p = pc_arena_alloc(&b->s->arena, (n ? n : 1) * sizeof *p);
    if (!p)
        return nomem(b);
    for (size_t i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "parents[%zu]", i);
        pc_status st = pc_uid_from_json(in, json_array_get(arr, i), path, &p[i], b->d);
        if (st == PC_OK)
            st = check_parent(b, e->uid, decl, p[i], path);
        if (st != PC_OK)
            return st;
    }
    e->parents = p;
    e->n_parents = (uint32_t)n;
    return PC_OK;
}

static pc_status read_tags(build *b, const pc_json_in *in, json_t *tags,
                           const pc_entity_decl *decl, pc_entity *e)
{
    if (!tags)
        return PC_OK;   /* optional; e->tags stays empty */
    if (decl && !decl->tags && json_object_size(tags) > 0)
        return pc_diag_set(b->d, PC_ERR_ENTITY, "tags: the schema declares no tags for %.*s",
                           (int)decl->name.len, decl->name.ptr);
    return pc_record_from_json(in, tags, NULL, decl ? decl->tags : NULL, "tags", &e->tags, b->d);
}

/*
** With a schema: the declaration a non-action is read against. An action
** must be declared, and since the schema gives actions no attributes or
** tags, one listed with any cannot match its declaration.
*/
static pc_status schema_decl(build *b, const pc_uid *u, json_t *attrs, json_t *tags,
                             const pc_entity_decl **decl)
{
    *decl = NULL;
    if (!b->schema)
        return PC_OK;
    if (pc_is_action_type(u->type)) {
        if (!pc_schema_action(b->schema, u))
            return pc_diag_set(b->d, PC_ERR_ENTITY, "the schema declares no such action");
        if (json_object_size(attrs) > 0 || json_object_size(tags) > 0)
            return pc_diag_set(b->d, PC_ERR_ENTITY,
                               "does not match the schema's declaration of this action: "
                               "actions have no attributes or tags");
        return PC_OK;
    }
    *decl = pc_schema_entity(b->schema, u->type);
    if (!*decl)
        return pc_diag_set(b->d, PC_ERR_ENTITY, "its type %.*s is not declared in the schema",
                           (int)u->type.len, u->type.ptr);
    if (!pc_uid_in_enum(b->schema, u))
        return pc_diag_set(b->d, PC_ERR_ENTITY,
                           "%.*s is an enumerated entity type and this id is not one of its ids",
                           (int)u->type.len, u->type.ptr);
    return PC_OK;
}

static pc_status read_body(build *b, const pc_json_in *in, json_t *j, pc_entity *e)
{
    json_t *attrs = json_object_get(j, "attrs"), *parents = json_object_get(j, "parents");
    json_t *tags = json_object_get(j, "tags");
    if (!attrs || !parents)
        return pc_diag_set(b->d, PC_ERR_ENTITY,
                           "missing \"%s\" (an entity has \"uid\", \"attrs\" and \"parents\")",
                           attrs ? "parents" : "attrs");
    const pc_entity_decl *decl;
    pc_status st = schema_decl(b, e->uid, attrs, tags, &decl);
    if (st == PC_OK)
        st = pc_record_from_json(in, attrs, decl ? decl->attrs : NULL, NULL, "attrs", &e->attrs,
                                 b->d);
    if (st == PC_OK)
        st = read_tags(b, in, tags, decl, e);
    if (st == PC_OK)
        st = read_parents(b, in, parents, decl, e);
    return st;
}

static pc_status read_entity(build *b, json_t *j, size_t i, pc_entity *e)
{
    pc_json_in in = {&b->s->arena, b->intern, b->schema, NULL};
    json_t *uid = json_object_get(j, "uid");
    if (!json_is_object(j) || !uid)
        return pc_diag_set(b->d, PC_ERR_ENTITY, "%s: entity #%zu: %s", b->name, i,
                           json_is_object(j) ? "missing \"uid\"" : "expected a JSON object");
    pc_status st = pc_uid_from_json(&in, uid, "uid", &e->uid, b->d);
    if (st != PC_OK) {
        pc_diag_prefix(b->d, "%s: entity #%zu", b->name, i);
        return st;
    }
    e->attrs = e->tags = b->empty;
    st = read_body(b, &in, j, e);
    return st == PC_OK ? PC_OK : about(b, st, e->uid);
}

/* ---- adding entities -------------------------------------------------- */

static pc_status same_parents(build *b, const pc_entity *x, const pc_entity *y, bool *same)
{
    keyed *kx = key_uids(b, x->parents, x->n_parents), *ky = key_uids(b, y->parents, y->n_parents);
    if (!kx || !ky)
        return nomem(b);
    uint32_t nx = sort_unique(kx, x->n_parents), ny = sort_unique(ky, y->n_parents);
    *same = nx == ny;
    for (uint32_t i = 0; *same && i < nx; i++)
        *same = keyed_cmp(&kx[i], &ky[i]) == 0;
    return PC_OK;
}

/* The reference (4.4+) keeps one copy of an entity listed twice alike, and refuses others. */
static pc_status insert_entity(build *b, const pc_entity *e)
{
    uint64_t h = pc_uid_hash(e->uid);
    uint32_t idx = find(b->s, e->uid, h);
    if (idx == NONE) {
        pc_status st = add_node(b, e->uid, h, true, &idx);
        if (st == PC_OK)
            b->s->nodes[idx].pub = *e;
        return st;
    }
    const pc_entity *old = &b->s->nodes[idx].pub;
    pc_value oa = pc_v_record(old->attrs), ea = pc_v_record(e->attrs);
    pc_value ot = pc_v_record(old->tags), et = pc_v_record(e->tags);
    bool same = pc_value_eq(&oa, &ea) && pc_value_eq(&ot, &et);
    pc_status st = same ? same_parents(b, old, e, &same) : PC_OK;
    if (st != PC_OK || same)
        return st;
    return entity_error(b, PC_ERR_ENTITY, e->uid,
                        "listed twice, with different attributes, tags or parents");
}

/* The node of uid u, made (named only) when u is not listed. */
static pc_status node_of(build *b, const pc_uid *u, uint32_t *idx)
{
    uint64_t h = pc_uid_hash(u);
    *idx = find(b->s, u, h);
    return *idx != NONE ? PC_OK : add_node(b, u, h, false, idx);
}

static pc_status resolve_parents(build *b, uint32_t i)
{
    uint32_t n = b->s->nodes[i].pub.n_parents;
    uint32_t *p = pc_arena_alloc(&b->scratch, (n ? n : 1) * sizeof *p);
    if (!p)
        return nomem(b);
    for (uint32_t k = 0; k < n; k++) {
        pc_status st = node_of(b, b->s->nodes[i].pub.parents[k], &p[k]);
        if (st != PC_OK)
            return st;
    }
    b->s->nodes[i].pidx = p;
    b->s->nodes[i].n_pidx = n;
    return PC_OK;
}

/* ---- closures ------------------------------------------------------------- */

/* Room for one walk over every node there is now (stamps start over). */
static pc_status walk_room(build *b)
{
    free(b->stamp);
    free(b->queue);
    b->stamp = calloc(b->s->n_nodes + 1, sizeof *b->stamp);
    b->queue = malloc((b->s->n_nodes + 1) * sizeof *b->queue);
    b->gen = 0;
    return b->stamp && b->queue ? PC_OK : nomem(b);
}

static void visit(build *b, uint32_t p, uint32_t *n)
{
    if (b->stamp[p] != b->gen) {
        b->stamp[p] = b->gen;
        b->queue[(*n)++] = p;
    }
}

/*
** Breadth-first from e's parents, going on only through nodes that expand.
** Leaves the ancestors in b->queue[0..*count), each stamped with b->gen.
*/
static pc_status walk(build *b, uint32_t e, uint32_t *count)
{
    const node *nodes = b->s->nodes;
    uint32_t n = 0;
    if (++b->gen == 0) {   /* wrapped: old stamps could look current */
        memset(b->stamp, 0, (b->s->n_nodes + 1) * sizeof *b->stamp);
        b->gen = 1;
    }
    for (uint32_t k = 0; k < nodes[e].n_pidx; k++)
        visit(b, nodes[e].pidx[k], &n);
    for (uint32_t q = 0; q < n; q++) {
        const node *a = &nodes[b->queue[q]];
        if (b->queue[q] == e)
            return entity_error(b, PC_ERR_ENTITY, nodes[e].pub.uid,
                                "is its own ancestor: the entity hierarchy has a cycle");
        if (!a->expand)
            continue;
        b->steps += a->n_pidx;
        if (b->steps > PC_ENTITIES_MAX_STEPS)
            return limit(b, "parent links to follow computing ancestors", PC_ENTITIES_MAX_STEPS);
        for (uint32_t k = 0; k < a->n_pidx; k++)
            visit(b, a->pidx[k], &n);
    }
    *count = n;
    return PC_OK;
}

static pc_status keep_closure(build *b, uint32_t e, uint32_t n)
{
    b->links += n;
    if (b->links > PC_ENTITIES_MAX_LINKS)
        return limit(b, "ancestor links in the entity hierarchy", PC_ENTITIES_MAX_LINKS);
    uint32_t *a = pc_arena_alloc(&b->scratch, (n ? n : 1) * sizeof *a);
    if (!a)
        return nomem(b);
    memcpy(a, b->queue, n * sizeof *a);
    b->s->nodes[e].aidx = a;
    b->s->nodes[e].n_aidx = n;
    return PC_OK;
}

static pc_status close_listed(build *b)
{
    pc_status st = walk_room(b);
    for (uint32_t i = 0; st == PC_OK && i < b->s->n_nodes; i++) {
        uint32_t n;
        if (b->s->nodes[i].listed && (st = walk(b, i, &n)) == PC_OK)
            st = keep_closure(b, i, n);
    }
    return st;
}

/* ---- the schema's actions ------------------------------------------------ */

static pc_status action_index(build *b, const pc_uid *u, uint32_t *idx)
{
    *idx = find(b->s, u, pc_uid_hash(u));
    if (*idx != NONE)
        return PC_OK;
    pc_buf m;
    pc_buf_init(&m);
    pc_uid_print(&m, u);
    pc_status st = pc_diag_set(b->d, PC_ERR_SCHEMA, "%s: the schema names action %s in a memberOf "
                               "list but does not declare it", b->name, m.oom ? "?" : m.data);
    pc_buf_free(&m);
    return st;
}

/* A listed node for the action: made, or promoted from named-only; JSON ones stay. */
static pc_status action_node(build *b, const pc_action_decl *a)
{
    pc_entities *s = b->s;
    uint32_t idx = find(s, &a->uid, pc_uid_hash(&a->uid));
    if (idx != NONE && s->nodes[idx].listed)
        return PC_OK;
    if (idx == NONE) {
        pc_str type = pc_keep_str(&s->arena, b->intern, a->uid.type.ptr, a->uid.type.len);
        pc_str id = pc_keep_str(&s->arena, b->intern, a->uid.id.ptr, a->uid.id.len);
        pc_uid *u = type.ptr && id.ptr ? pc_uid_make(&s->arena, type, id) : NULL;
        pc_status st = u ? add_node(b, u, pc_uid_hash(u), true, &idx) : nomem(b);
        if (st != PC_OK)
            return st;
    }
    s->nodes[idx].listed = true;
    s->nodes[idx].from_schema = true;
    return PC_OK;
}

/* From now on the action's parents are the schema's memberOf. */
static pc_status link_action(build *b, const pc_action_decl *a)
{
    uint32_t idx, n = a->n_member_of;
    pc_status st = action_index(b, &a->uid, &idx);
    uint32_t *p = pc_arena_alloc(&b->scratch, (n ? n : 1) * sizeof *p);
    const pc_uid **pu = pc_arena_alloc(&b->s->arena, (n ? n : 1) * sizeof *pu);
    if (st == PC_OK && (!p || !pu))
        st = nomem(b);
    for (uint32_t k = 0; st == PC_OK && k < n; k++)
        if ((st = action_index(b, &a->member_of[k], &p[k])) == PC_OK)
            pu[k] = b->s->nodes[p[k]].pub.uid;
    if (st != PC_OK)
        return st;
    node *nd = &b->s->nodes[idx];
    nd->pidx = p;
    nd->n_pidx = n;
    nd->expand = true;
    if (nd->from_schema) {
        nd->pub.parents = pu;
        nd->pub.n_parents = n;
    }
    return PC_OK;
}

/* The schema's ancestors of the action: kept, or compared with the JSON's. */
static pc_status close_action(build *b, const pc_action_decl *a)
{
    uint32_t idx, n;
    pc_status st = action_index(b, &a->uid, &idx);
    if (st == PC_OK)
        st = walk(b, idx, &n);
    if (st != PC_OK)
        return st;
    const node *nd = &b->s->nodes[idx];
    if (nd->from_schema)
        return keep_closure(b, idx, n);
    bool same = nd->n_aidx == n;
    for (uint32_t k = 0; same && k < n; k++)
        same = b->stamp[nd->aidx[k]] == b->gen;
    if (same)
        return PC_OK;
    return entity_error(b, PC_ERR_ENTITY, nd->pub.uid,
                        "does not match the schema's declaration of this action: its ancestors "
                        "differ (leave it out of the entity data to use the schema's)");
}

static pc_status add_schema_actions(build *b)
{
    uint32_t n = pc_schema_action_count(b->schema);
    pc_status st = PC_OK;
    for (uint32_t i = 0; st == PC_OK && i < n; i++)
        st = action_node(b, pc_schema_action_at(b->schema, i));
    if (st == PC_OK)
        st = walk_room(b);
    for (uint32_t i = 0; st == PC_OK && i < n; i++)
        st = link_action(b, pc_schema_action_at(b->schema, i));
    for (uint32_t i = 0; st == PC_OK && i < n; i++)
        st = close_action(b, pc_schema_action_at(b->schema, i));
    return st;
}

/* ---- finishing ------------------------------------------------------------- */

/* Turn the closure's indices into the sorted uid and hash arrays readers search. */
static pc_status publish(build *b, uint32_t i)
{
    node *nd = &b->s->nodes[i];
    uint32_t n = nd->n_aidx;
    keyed *k = pc_arena_alloc(&b->scratch, (n ? n : 1) * sizeof *k);
    const pc_uid **anc = pc_arena_alloc(&b->s->arena, (n ? n : 1) * sizeof *anc);
    uint64_t *hash = pc_arena_alloc(&b->s->arena, (n ? n : 1) * sizeof *hash);
    if (!k || !anc || !hash)
        return nomem(b);
    for (uint32_t j = 0; j < n; j++) {
        const node *a = &b->s->nodes[nd->aidx[j]];
        k[j] = (keyed){a->hash, a->pub.uid};
    }
    if (n > 1)
        qsort(k, n, sizeof *k, keyed_cmp);
    for (uint32_t j = 0; j < n; j++) {
        anc[j] = k[j].uid;
        hash[j] = k[j].hash;
    }
    nd->pub.ancestors = anc;
    nd->pub.n_ancestors = n;
    nd->anc_hash = hash;
    return PC_OK;
}

static pc_status finish(build *b)
{
    pc_entities *s = b->s;
    s->vis = malloc(((size_t)s->n_nodes + 1) * sizeof *s->vis);
    if (!s->vis)
        return nomem(b);
    for (uint32_t i = 0; i < s->n_nodes; i++) {
        if (!s->nodes[i].listed)
            continue;
        pc_status st = publish(b, i);
        if (st != PC_OK)
            return st;
        s->vis[s->n_vis++] = i;
    }
    return PC_OK;
}

static pc_status load(build *b, json_t *arr)
{
    size_t n = arr ? json_array_size(arr) : 0;
    if (n > PC_ENTITIES_MAX_NODES)
        return limit(b, "entities", PC_ENTITIES_MAX_NODES);
    pc_status st = PC_OK;
    for (size_t i = 0; st == PC_OK && i < n; i++) {
        pc_entity e;
        memset(&e, 0, sizeof e);
        st = read_entity(b, json_array_get(arr, i), i, &e);
        if (st == PC_OK)
            st = insert_entity(b, &e);
    }
    uint32_t listed = b->s->n_nodes;   /* named-only parents are added after these */
    for (uint32_t i = 0; st == PC_OK && i < listed; i++)
        st = resolve_parents(b, i);
    if (st == PC_OK)
        st = close_listed(b);
    if (st == PC_OK && b->schema)
        st = add_schema_actions(b);
    return st == PC_OK ? finish(b) : st;
}

static pc_status build_store(pc_intern *in, const pc_schema *schema, json_t *arr,
                             const char *name, pc_entities **out, pc_diag *d)
{
    *out = NULL;
    pc_entities *s = calloc(1, sizeof *s);
    if (!s)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory while loading entities", name);
    pc_arena_init(&s->arena, PC_ENTITIES_ARENA_BLOCK, 0);
    build b;
    memset(&b, 0, sizeof b);
    b.s = s;
    b.intern = in;
    b.schema = schema;
    b.name = name;
    b.d = d;
    pc_arena_init(&b.scratch, PC_ENTITIES_ARENA_BLOCK, 0);
    pc_field none;
    b.empty = pc_record_make(&s->arena, &none, 0, NULL);
    pc_status st = b.empty ? load(&b, arr) : nomem(&b);
    pc_arena_free(&b.scratch);
    free(b.stamp);
    free(b.queue);
    if (st != PC_OK) {
        pc_entities_free(s);
        return st;
    }
    *out = s;
    return PC_OK;
}

/* ---- public ------------------------------------------------------------------ */

pc_status pc_entities_parse(pc_intern *in, const pc_schema *schema, const char *json, size_t len,
                            const char *name, pc_entities **out, pc_diag *d)
{
    name = name ? name : "<entities>";
    *out = NULL;
    json_t *j = pc_json_parse(json, len, name, d);
    if (!j) {
        /* bad JSON is bad entity data here; a depth limit stays a limit */
        if (d && d->status == PC_ERR_PARSE)
            d->status = PC_ERR_ENTITY;
        return d ? d->status : PC_ERR_ENTITY;
    }
    pc_status st = json_is_array(j)
                       ? build_store(in, schema, j, name, out, d)
                       : pc_diag_set(d, PC_ERR_ENTITY, "%s: expected a JSON array of entities",
                                     name);
    json_decref(j);
    return st;
}

pc_status pc_entities_empty(pc_intern *in, const pc_schema *schema, pc_entities **out,
                            pc_diag *d)
{
    return build_store(in, schema, NULL, "<entities>", out, d);
}

void pc_entities_free(pc_entities *s)
{
    if (!s)
        return;
    pc_arena_free(&s->arena);
    free(s->nodes);
    free(s->slots);
    free(s->vis);
    free(s);
}

pc_entities *pc_entities_view(const pc_overlay *o)
{
    pc_entities *s = calloc(1, sizeof *s);   /* an empty arena and tables: free as any store */
    if (s)
        s->overlay = o;
    return s;
}

bool pc_entities_mentions(const pc_entities *s, const pc_uid *uid)
{
    return find(s, uid, pc_uid_hash(uid)) != NONE;
}

size_t pc_entities_count(const pc_entities *s)
{
    return s->overlay ? pc_overlay_count(s->overlay) : s->n_vis;
}

const pc_entity *pc_entities_at(const pc_entities *s, size_t i)
{
    if (s->overlay)
        return pc_overlay_at(s->overlay, i);
    return i < s->n_vis ? &s->nodes[s->vis[i]].pub : NULL;
}

const pc_entity *pc_entities_get(const pc_entities *s, const pc_uid *uid)
{
    if (s->overlay)
        return pc_overlay_get(s->overlay, uid);
    uint32_t i = find(s, uid, pc_uid_hash(uid));
    return i != NONE && s->nodes[i].listed ? &s->nodes[i].pub : NULL;
}

bool pc_entities_in(const pc_entities *s, const pc_uid *a, const pc_uid *b)
{
    if (s->overlay)
        return pc_overlay_in(s->overlay, a, b);
    if (pc_uid_eq(a, b))
        return true;
    uint32_t i = find(s, a, pc_uid_hash(a));
    if (i == NONE)
        return false;
    const node *nd = &s->nodes[i];
    uint64_t h = pc_uid_hash(b);
    uint32_t lo = 0, hi = nd->pub.n_ancestors;
    while (lo < hi) {   /* the first ancestor whose hash is not below h */
        uint32_t mid = lo + (hi - lo) / 2;
        if (nd->anc_hash[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < nd->pub.n_ancestors && nd->anc_hash[lo] == h; lo++)
        if (pc_uid_eq(nd->pub.ancestors[lo], b))
            return true;
    return false;
}
