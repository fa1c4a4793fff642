/*
** entity/overlay.c — request-scoped entities laid over a stored entity set.
**
** A request may bring entities of its own (the native API's `entities`) or
** attributes for a stored one (AuthZEN `properties`). It must then be decided
** as if the store had been rebuilt with those entities replacing the stored
** ones of the same uid, but rebuilding a store of thousands for every such
** request is what this file avoids. An overlay holds only what the request
** changes, plus a view (a pc_entities that store.c answers through
** pc_overlay_get / pc_overlay_in), so the evaluator reads it like any store.
**
** What a lookup sees. An entity the request brought answers from the
** overlay; any other from the base store. `in` is where care is needed: the
** base keeps each entity's whole ancestry, and a brought entity whose parents
** differ from the stored ones ("changed") can make that ancestry wrong for
** itself and for every stored entity below it. So at finish:
**   - H = the changed entities the base mentions (lists, or names as a
**     parent). Only those can sit in a stored entity's ancestry.
**   - An entity is "walked" when it is changed, or some member of H is among
**     its stored ancestors. With H empty (always so for properties, which
**     keep the stored parents) only changed brought entities are walked.
**   - With H non-empty, the stored entities below H are found by one pass
**     over the base (N entities times |H| ancestry probes) and get entries of
**     their own ("shadows": stored data, ancestry recomputed).
**   - A walked entity's ancestry is computed by a breadth-first walk of the
**     combined hierarchy: a walked node is expanded through its parents (the
**     brought ones, or the stored ones); any other node adds itself and its
**     stored ancestry, which H cannot touch. Reaching the start again is a
**     cycle, refused as the entity store refuses one.
** Every other entity keeps its stored ancestry, so `in` asks the base. The
** answers are exactly those of a rebuilt store; only the rare request that
** re-parents stored entities pays a pass over the base.
**
** Validation matches a rebuilt store's. Whole entities are parsed (with the
** schema) by the entity store itself, as one small store of their own.
** Attributes for an entity are read one by one against their declared types
** and merged over the stored attributes (which were checked when stored); a
** new entity must also be of a declared type, have a declared id if its type
** is enumerated, and carry every required attribute.
**
** Memory. Everything of one use lives in the overlay's arena (and the small
** store parsed from whole entities); pc_overlay_reset drops it but keeps the
** arena's first block and the tables, so a thread that keeps one overlay
** decides request after request without going back to malloc.
*/
#include <stdlib.h>
#include <string.h>

#include "entity_internal.h"

/* Entities one overlay may hold: brought ones plus the shadows of stored ones. */
#define PC_OVERLAY_MAX_ENTRIES (1u << 26)
/* Ancestor entries the walks of one use may produce, over all walked entities. */
#define PC_OVERLAY_MAX_LINKS (1u << 26)
#define PC_OVERLAY_ARENA_BLOCK (8u << 10)
/*
** Up to this many entries a lookup compares uids one by one: cheaper than
** hashing a long id, and an AuthZEN request brings one or two.
*/
#define PC_OVERLAY_SCAN 8
#define NONE PC_UID_NONE

typedef enum kind {
    BROUGHT_ATTRS,     /* a stored or new entity with the request's attributes */
    BROUGHT_WHOLE,     /* a whole entity from the request (pub filled at finish) */
    SHADOW             /* a stored entity whose ancestry H changed */
} kind;

typedef struct entry {
    pc_entity pub;             /* what readers see */
    uint64_t hash;             /* pc_uid_hash(pub.uid) */
    const uint64_t *anc_hash;  /* walked: hashes of pub.ancestors, ascending */
    const pc_entity *stored;   /* the base's entity of this uid, or NULL */
    json_t *json;              /* BROUGHT_WHOLE: the entity as given (borrowed until finish) */
    uint8_t kind;
    bool walked;               /* ancestry computed here, not the stored one */
} entry;

/* A set of uids (open addressing on the uid hash), in the overlay's arena. */
typedef struct uset {
    const pc_uid **uids;
    uint64_t *hashes;
    uint32_t n, cap;           /* cap a power of two, more than twice n */
} uset;

struct pc_overlay {
    const pc_entities *base;
    const pc_schema *schema;
    const char *name;
    pc_entities *view;         /* answers through this file; made once */
    pc_arena arena;
    entry *items;
    uint32_t n, cap;
    uint32_t *slots;           /* item index + 1; 0 is empty */
    uint32_t n_slots;
    uint32_t *fresh;           /* items the base does not list, for pc_overlay_at */
    uint32_t n_fresh;
    pc_entities *parsed;       /* the store the whole entities were read into */
    const pc_record *empty;
    uint64_t links;
    bool finished;
};

/* ---- the entry table ----------------------------------------------------- */

_Static_assert(offsetof(entry, pub) == offsetof(pc_uid_item, pub) &&
                   offsetof(entry, hash) == offsetof(pc_uid_item, hash),
               "an entry begins with a pc_uid_item");

static uint32_t find(const pc_overlay *o, const pc_uid *u, uint64_t h)
{
    if (o->n == 0)
        return NONE;
    return pc_uid_table_find(o->slots, o->n_slots, o->items, sizeof *o->items, u, h);
}

#define place pc_uid_table_place

static bool grow(pc_overlay *o)
{
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 16;
        entry *items = realloc(o->items, (size_t)cap * sizeof *items);
        if (!items)
            return false;
        o->items = items;
        o->cap = cap;
    }
    if ((o->n + 1) * 2 > o->n_slots) {
        uint32_t n = o->n_slots ? o->n_slots * 2 : 32;
        uint32_t *slots = calloc(n, sizeof *slots);
        if (!slots)
            return false;
        for (uint32_t i = 0; i < o->n; i++)
            place(slots, n, o->items[i].hash, i);
        free(o->slots);
        o->slots = slots;
        o->n_slots = n;
    }
    return true;
}

static pc_status nomem(const pc_overlay *o, pc_diag *d)
{
    return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory holding request entities", o->name);
}

/* A new entry for uid u; the caller fills in the rest. Entry pointers move. */
static pc_status add_entry(pc_overlay *o, const pc_uid *u, kind k, pc_diag *d, entry **out)
{
    if (o->n >= PC_OVERLAY_MAX_ENTRIES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: more than %u request-scoped entities", o->name,
                           PC_OVERLAY_MAX_ENTRIES);
    if (!grow(o))
        return nomem(o, d);
    entry *e = &o->items[o->n];
    memset(e, 0, sizeof *e);
    e->pub.uid = u;
    e->pub.attrs = e->pub.tags = o->empty;
    e->hash = pc_uid_hash(u);
    e->kind = (uint8_t)k;
    e->stored = pc_entities_get(o->base, u);
    place(o->slots, o->n_slots, e->hash, o->n);
    *out = &o->items[o->n++];
    return PC_OK;
}

/* "NAME: entity UID: what"; the message of d when what is NULL. */
static pc_status about(const pc_overlay *o, pc_diag *d, pc_status st, const pc_uid *u,
                       const char *what)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_uid_print(&m, u);
    const char *who = m.oom ? "(out of memory printing its uid)" : m.data;
    if (what)
        pc_diag_set(d, st, "%s: entity %s: %s", o->name, who, what);
    else
        pc_diag_prefix(d, "%s: entity %s", o->name, who);
    pc_buf_free(&m);
    return st;
}

/* Claim uid u (kept in the arena) for an entry: each uid may be brought once. */
static pc_status claim(pc_overlay *o, const pc_uid *u, kind k, pc_diag *d, entry **out)
{
    if (!o->empty)
        return nomem(o, d);
    if (o->finished)
        return pc_diag_set(d, PC_ERR_STATE, "%s: entities added after the overlay was finished",
                           o->name);
    if (find(o, u, pc_uid_hash(u)) != NONE)
        return about(o, d, PC_ERR_REQUEST, u, "is given twice in the request");
    return add_entry(o, u, k, d, out);
}

/* ---- lifetime -------------------------------------------------------------- */

pc_overlay *pc_overlay_new(void)
{
    pc_overlay *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    pc_arena_init(&o->arena, PC_OVERLAY_ARENA_BLOCK, 0);
    o->view = pc_entities_view(o);
    if (!o->view) {
        free(o);
        return NULL;
    }
    o->name = "request entities";
    return o;
}

void pc_overlay_free(pc_overlay *o)
{
    if (!o)
        return;
    pc_entities_free(o->parsed);
    pc_entities_free(o->view);
    pc_arena_free(&o->arena);
    free(o->items);
    free(o->slots);
    free(o);
}

void pc_overlay_reset(pc_overlay *o, const pc_entities *base, const pc_schema *schema,
                      const char *name)
{
    if (o->n)
        memset(o->slots, 0, o->n_slots * sizeof *o->slots);
    pc_entities_free(o->parsed);
    pc_arena_reset(&o->arena);
    o->base = base;
    o->schema = schema;
    o->name = name ? name : "request entities";
    o->n = o->n_fresh = 0;
    o->fresh = NULL;
    o->parsed = NULL;
    o->links = 0;
    o->finished = false;
    pc_field none;
    o->empty = pc_record_make(&o->arena, &none, 0, NULL);   /* checked in add/set_attrs */
}

uint32_t pc_overlay_size(const pc_overlay *o)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->n; i++)
        n += o->items[i].kind != SHADOW;
    return n;
}

/* ---- whole entities ---------------------------------------------------------- */

pc_status pc_overlay_add(pc_overlay *o, json_t *entity, pc_diag *d)
{
    json_t *uid = json_object_get(entity, "uid");
    if (!json_is_object(entity) || !uid)
        return pc_diag_set(d, PC_ERR_REQUEST, "%s: each entity needs \"uid\": {\"type\": ..., "
                           "\"id\": ...}", o->name);
    pc_json_in in = {&o->arena, NULL, o->schema, o->name};
    const pc_uid *u;
    entry *e;
    pc_status st = pc_uid_from_json(&in, uid, "uid", &u, d);
    if (st == PC_OK && (st = claim(o, u, BROUGHT_WHOLE, d, &e)) == PC_OK)
        e->json = entity;
    return st;
}

/*
** Parse the whole entities as one store of their own (with the schema, so
** they are checked exactly as stored entities are) and take each one's data.
*/
static pc_status read_whole(pc_overlay *o, pc_diag *d)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->n; i++)
        n += o->items[i].kind == BROUGHT_WHOLE;
    if (n == 0)
        return PC_OK;
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (uint32_t i = 0; ok && i < o->n; i++)
        if (o->items[i].kind == BROUGHT_WHOLE)
            ok = json_array_append(arr, o->items[i].json) == 0;
    char *text = ok ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!text)
        return nomem(o, d);
    pc_status st = pc_entities_parse(NULL, o->schema, text, strlen(text), o->name, &o->parsed, d);
    json_free_t release;
    json_get_alloc_funcs(NULL, &release);
    release(text);   /* jansson's own free: whoever set its allocator owns the string */
    for (uint32_t i = 0; st == PC_OK && i < o->n; i++) {
        entry *e = &o->items[i];
        if (e->kind != BROUGHT_WHOLE)
            continue;
        const pc_entity *p = pc_entities_get(o->parsed, e->pub.uid);
        if (!p)   /* every entity of the array is listed in the store read from it */
            return pc_diag_set(d, PC_ERR_STATE, "%s: a request entity went missing", o->name);
        e->pub = *p;
        e->json = NULL;
    }
    return st;
}

/* ---- attributes over a stored (or new) entity ---------------------------------- */

/* With a schema, the declaration of a new entity, checked as the store checks one. */
static pc_status new_entity_decl(pc_overlay *o, const pc_uid *u, pc_diag *d,
                                 const pc_entity_decl **decl)
{
    *decl = NULL;
    if (!o->schema)
        return PC_OK;
    if (pc_is_action_type(u->type))
        return about(o, d, PC_ERR_ENTITY, u,
                     pc_schema_action(o->schema, u)
                         ? "does not match the schema's declaration of this action: "
                           "actions have no attributes or tags"
                         : "the schema declares no such action");
    *decl = pc_schema_entity(o->schema, u->type);
    if (!*decl)
        return about(o, d, PC_ERR_ENTITY, u, "its type is not declared in the schema");
    if (!pc_uid_in_enum(o->schema, u))
        return about(o, d, PC_ERR_ENTITY, u,
                     "its type is an enumerated entity type and this id is not one of its ids");
    return PC_OK;
}

/* One attribute, read against its declared type (none: read without a schema). */
static pc_status read_attr(pc_overlay *o, const pc_type *rtype, pc_str key, json_t *j,
                           pc_field *out, pc_diag *d)
{
    pc_buf path;
    pc_buf_init(&path);
    const pc_attr_type *a = rtype ? pc_type_attr(rtype, key) : NULL;
    pc_status st = PC_OK;
    if (!pc_buf_puts(&path, "attrs") || !pc_path_key(&path, key))
        st = PC_ERR_NOMEM;
    else if (rtype && !a && !rtype->open)
        st = pc_diag_set(d, PC_ERR_ENTITY, "%s: unexpected attribute (the type declares no such "
                         "attribute)", path.data);
    if (st == PC_OK) {
        pc_json_in in = {&o->arena, NULL, o->schema, NULL};
        st = pc_value_from_json(&in, j, a ? a->type : NULL, path.data, &out->val, d);
        out->key = pc_arena_str(&o->arena, key.ptr, key.len);
        if (st == PC_OK && !out->key.ptr)
            st = PC_ERR_NOMEM;
    }
    pc_buf_free(&path);
    return st == PC_ERR_NOMEM ? nomem(o, d) : st;
}

/* A new entity must have every attribute its type requires. */
static pc_status required_present(pc_overlay *o, const pc_type *rtype, const pc_record *r,
                                  const pc_uid *u, pc_diag *d)
{
    for (uint32_t i = 0; rtype && i < rtype->n_attrs; i++) {
        const pc_attr_type *a = &rtype->attrs[i];
        if (a->required && !pc_record_get(r, a->name)) {
            pc_buf m;
            pc_buf_init(&m);
            pc_buf_puts(&m, "attrs: missing required attribute ");
            pc_buf_json_string(&m, a->name.ptr, a->name.len);
            pc_status st = m.oom ? nomem(o, d) : about(o, d, PC_ERR_ENTITY, u, m.data);
            pc_buf_free(&m);
            return st;
        }
    }
    return PC_OK;
}

/* The stored attributes the request does not replace, then the request's. */
static pc_status merge(pc_overlay *o, const pc_record *stored, pc_field *given, uint32_t n,
                       const pc_record **out, pc_diag *d)
{
    uint32_t kept = 0, total = stored->n + n;
    pc_field *all = pc_arena_alloc(&o->arena, (total ? total : 1) * sizeof *all);
    if (!all)
        return nomem(o, d);
    for (uint32_t i = 0; i < stored->n; i++) {
        bool replaced = false;
        for (uint32_t k = 0; k < n && !replaced; k++)
            replaced = pc_str_eq(stored->fields[i].key, given[k].key);
        if (!replaced)
            all[kept++] = stored->fields[i];
    }
    memcpy(all + kept, given, n * sizeof *given);
    *out = pc_record_make(&o->arena, all, kept + n, NULL);
    return *out ? PC_OK : nomem(o, d);
}

static pc_status read_attrs(pc_overlay *o, entry *e, const pc_type *rtype, json_t *attrs,
                            pc_diag *d)
{
    size_t n = json_object_size(attrs), i = 0, klen;
    pc_field *given = pc_arena_alloc(&o->arena, (n ? n : 1) * sizeof *given);
    if (!given)
        return nomem(o, d);
    const char *key;
    json_t *v;
    pc_status st = PC_OK;
    json_object_keylen_foreach(attrs, key, klen, v) {
        pc_str k = {key, klen};
        if ((st = read_attr(o, rtype, k, v, &given[i++], d)) != PC_OK)
            return st == PC_ERR_NOMEM ? st : about(o, d, st, e->pub.uid, NULL);
    }
    const pc_record *base = e->stored ? e->stored->attrs : o->empty;
    st = merge(o, base, given, (uint32_t)n, &e->pub.attrs, d);
    if (st == PC_OK && !e->stored)
        st = required_present(o, rtype, e->pub.attrs, e->pub.uid, d);
    return st;
}

/* A copy of u in the arena, its type checked as a uid read from JSON would be. */
static pc_status keep_uid(pc_overlay *o, const pc_uid *u, const pc_uid **out, pc_diag *d)
{
    if (!pc_entity_type_ok(u->type))
        return pc_diag_set(d, PC_ERR_REQUEST, "%s: invalid entity type name \"%.*s\"", o->name,
                           (int)u->type.len, u->type.ptr);
    pc_str type = pc_arena_str(&o->arena, u->type.ptr, u->type.len);
    pc_str id = pc_arena_str(&o->arena, u->id.ptr, u->id.len);
    *out = type.ptr && id.ptr ? pc_uid_make(&o->arena, type, id) : NULL;
    return *out ? PC_OK : nomem(o, d);
}

pc_status pc_overlay_set_attrs(pc_overlay *o, const pc_uid *uid, json_t *attrs, pc_diag *d)
{
    if (!json_is_object(attrs))
        return pc_diag_set(d, PC_ERR_REQUEST, "%s: attributes must be a JSON object", o->name);
    const pc_uid *u;
    entry *e;
    pc_status st = keep_uid(o, uid, &u, d);
    if (st == PC_OK)
        st = claim(o, u, BROUGHT_ATTRS, d, &e);
    if (st != PC_OK)
        return st;
    const pc_entity_decl *decl = NULL;
    if (e->stored) {   /* parents and tags stay; the stored entity passed every check */
        e->pub = *e->stored;
        if (o->schema && pc_is_action_type(e->pub.uid->type) && json_object_size(attrs) > 0)
            return about(o, d, PC_ERR_ENTITY, e->pub.uid, "does not match the schema's "
                         "declaration of this action: actions have no attributes or tags");
        decl = o->schema ? pc_schema_entity(o->schema, e->pub.uid->type) : NULL;
    } else if ((st = new_entity_decl(o, e->pub.uid, d, &decl)) != PC_OK) {
        return st;
    }
    return read_attrs(o, e, decl ? decl->attrs : NULL, attrs, d);
}

/* ---- uid sets -------------------------------------------------------------------- */

static bool uset_init(pc_arena *a, uset *s, uint32_t expect)
{
    uint32_t cap = 16;
    while (cap < expect * 2 + 2)
        cap *= 2;
    s->uids = pc_arena_zalloc(a, cap * sizeof *s->uids);
    s->hashes = pc_arena_alloc(a, cap * sizeof *s->hashes);
    s->n = 0;
    s->cap = cap;
    return s->uids && s->hashes;
}

static bool uset_has(const uset *s, const pc_uid *u, uint64_t h)
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = (uint32_t)h & mask; s->uids[i]; i = (i + 1) & mask)
        if (s->hashes[i] == h && pc_uid_eq(s->uids[i], u))
            return true;
    return false;
}

/* Add u; *added tells whether it was new. False when out of memory. */
static bool uset_add(pc_arena *a, uset *s, const pc_uid *u, bool *added)
{
    uint64_t h = pc_uid_hash(u);
    *added = !uset_has(s, u, h);
    if (!*added)
        return true;
    if ((s->n + 1) * 2 > s->cap) {
        uset bigger;
        if (!uset_init(a, &bigger, s->cap))
            return false;
        for (uint32_t i = 0; i < s->cap; i++)
            if (s->uids[i])
                uset_add(a, &bigger, s->uids[i], &(bool){false});
        *s = bigger;
    }
    uint32_t mask = s->cap - 1, i = (uint32_t)h & mask;
    while (s->uids[i])
        i = (i + 1) & mask;
    s->uids[i] = u;
    s->hashes[i] = h;
    s->n++;
    return true;
}

/* Is every uid of a among those of b? */
static pc_status all_in(pc_overlay *o, const pc_uid *const *a, uint32_t na,
                        const pc_uid *const *b, uint32_t nb, bool *yes, pc_diag *d)
{
    uset s;
    bool added;
    if (!uset_init(&o->arena, &s, nb))
        return nomem(o, d);
    for (uint32_t i = 0; i < nb; i++)
        if (!uset_add(&o->arena, &s, b[i], &added))
            return nomem(o, d);
    *yes = true;
    for (uint32_t i = 0; i < na && *yes; i++)
        *yes = uset_has(&s, a[i], pc_uid_hash(a[i]));
    return PC_OK;
}

/* Does the brought entity have other parents than the stored one (none if not stored)? */
static pc_status parents_changed(pc_overlay *o, const entry *e, bool *changed, pc_diag *d)
{
    const pc_entity *s = e->stored;
    uint32_t ns = s ? s->n_parents : 0;
    const pc_uid *const *sp = s ? s->parents : NULL;
    bool sub = true, super = true;
    pc_status st = all_in(o, e->pub.parents, e->pub.n_parents, sp, ns, &sub, d);
    if (st == PC_OK && sub)
        st = all_in(o, sp, ns, e->pub.parents, e->pub.n_parents, &super, d);
    *changed = !(sub && super);
    return st;
}

/* ---- the hierarchy ----------------------------------------------------------------- */

/* The changed brought entities that the base mentions: they alone reach stored ancestries. */
static pc_status find_reach(pc_overlay *o, const pc_uid ***h, uint32_t *nh, pc_diag *d)
{
    *nh = 0;
    *h = pc_arena_alloc(&o->arena, (o->n ? o->n : 1) * sizeof **h);
    if (!*h)
        return nomem(o, d);
    for (uint32_t i = 0; i < o->n; i++) {
        entry *e = &o->items[i];
        bool changed = false;
        pc_status st = e->kind == BROUGHT_WHOLE ? parents_changed(o, e, &changed, d) : PC_OK;
        if (st != PC_OK)
            return st;
        e->walked = changed;
        if (changed && pc_entities_mentions(o->base, e->pub.uid))
            (*h)[(*nh)++] = e->pub.uid;
    }
    return PC_OK;
}

/* Is one of h among u's stored ancestors? */
static bool below(const pc_overlay *o, const pc_uid *u, const pc_uid *const *h, uint32_t nh)
{
    for (uint32_t k = 0; k < nh; k++)
        if (!pc_uid_eq(u, h[k]) && pc_entities_in(o->base, u, h[k]))
            return true;
    return false;
}

/* Mark the brought entities below H walked, and give the stored ones below it shadows. */
static pc_status mark_below(pc_overlay *o, const pc_uid *const *h, uint32_t nh, pc_diag *d)
{
    for (uint32_t i = 0; i < o->n; i++)
        o->items[i].walked = o->items[i].walked || below(o, o->items[i].pub.uid, h, nh);
    size_t n = pc_entities_count(o->base);
    for (size_t i = 0; i < n; i++) {
        const pc_entity *s = pc_entities_at(o->base, i);
        entry *e;
        if (find(o, s->uid, pc_uid_hash(s->uid)) != NONE || !below(o, s->uid, h, nh))
            continue;
        pc_status st = add_entry(o, s->uid, SHADOW, d, &e);
        if (st != PC_OK)
            return st;
        e->pub = *s;
        e->walked = true;
    }
    return PC_OK;
}

/* The entity whose parents a walk follows from u; NULL when u is not walked. */
static const pc_entity *walk_through(const pc_overlay *o, const pc_uid *u)
{
    uint32_t i = find(o, u, pc_uid_hash(u));
    return i != NONE && o->items[i].walked ? &o->items[i].pub : NULL;
}

typedef struct walk {
    pc_overlay *o;
    const pc_uid *start;
    uset seen;
    const pc_uid **queue;      /* walked nodes still to expand */
    uint32_t n_queue, cap_queue;
    pc_diag *d;
} walk;

/* Add u to the ancestry; queue it when its own parents must be followed. */
static pc_status reach(walk *w, const pc_uid *u)
{
    bool added;
    if (pc_uid_eq(u, w->start))
        return about(w->o, w->d, PC_ERR_ENTITY, u,
                     "is its own ancestor: the entity hierarchy has a cycle");
    if (!uset_add(&w->o->arena, &w->seen, u, &added))
        return nomem(w->o, w->d);
    if (!added)
        return PC_OK;
    if (walk_through(w->o, u)) {
        if (w->n_queue == w->cap_queue) {
            uint32_t cap = w->cap_queue * 2;
            const pc_uid **q = pc_arena_alloc(&w->o->arena, cap * sizeof *q);
            if (!q)
                return nomem(w->o, w->d);
            memcpy(q, w->queue, w->n_queue * sizeof *q);
            w->queue = q;
            w->cap_queue = cap;
        }
        w->queue[w->n_queue++] = u;
        return PC_OK;
    }
    /* not walked: its stored ancestry stands (H is not in it), and holds no walked node */
    const pc_entity *k = pc_entities_get(w->o->base, u);
    for (uint32_t i = 0; k && i < k->n_ancestors; i++) {
        if (!uset_add(&w->o->arena, &w->seen, k->ancestors[i], &added))
            return nomem(w->o, w->d);
    }
    return PC_OK;
}

/* Sort the walk's result by hash into e's ancestors, for pc_overlay_in's binary search. */
static int by_hash(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

typedef struct hashed {
    uint64_t hash;             /* first: by_hash compares it */
    const pc_uid *uid;
} hashed;

static pc_status keep_ancestry(pc_overlay *o, entry *e, const uset *s, pc_diag *d)
{
    o->links += s->n;
    if (o->links > PC_OVERLAY_MAX_LINKS)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: too many ancestor links to compute (at most %u)",
                           o->name, PC_OVERLAY_MAX_LINKS);
    uint32_t n = 0;
    hashed *k = pc_arena_alloc(&o->arena, (s->n ? s->n : 1) * sizeof *k);
    const pc_uid **anc = pc_arena_alloc(&o->arena, (s->n ? s->n : 1) * sizeof *anc);
    uint64_t *hash = pc_arena_alloc(&o->arena, (s->n ? s->n : 1) * sizeof *hash);
    if (!k || !anc || !hash)
        return nomem(o, d);
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->uids[i])
            k[n++] = (hashed){s->hashes[i], s->uids[i]};
    qsort(k, n, sizeof *k, by_hash);
    for (uint32_t i = 0; i < n; i++) {
        anc[i] = k[i].uid;
        hash[i] = k[i].hash;
    }
    e->pub.ancestors = anc;
    e->pub.n_ancestors = n;
    e->anc_hash = hash;
    return PC_OK;
}

/* Breadth-first from e's parents through the combined hierarchy. */
static pc_status walk_from(pc_overlay *o, uint32_t idx, pc_diag *d)
{
    walk w = {o, o->items[idx].pub.uid, {0}, NULL, 0, 16, d};
    w.queue = pc_arena_alloc(&o->arena, w.cap_queue * sizeof *w.queue);
    if (!w.queue || !uset_init(&o->arena, &w.seen, o->items[idx].pub.n_parents))
        return nomem(o, d);
    pc_status st = PC_OK;
    const pc_entity *from = &o->items[idx].pub;
    for (uint32_t i = 0; st == PC_OK && i < from->n_parents; i++)
        st = reach(&w, from->parents[i]);
    for (uint32_t q = 0; st == PC_OK && q < w.n_queue; q++) {
        const pc_entity *p = walk_through(o, w.queue[q]);
        for (uint32_t i = 0; st == PC_OK && i < p->n_parents; i++)
            st = reach(&w, p->parents[i]);
    }
    return st == PC_OK ? keep_ancestry(o, &o->items[idx], &w.seen, d) : st;
}

/* Unwalked brought entities keep the stored ancestry (none for a new entity). */
static void keep_stored(entry *e)
{
    e->pub.ancestors = e->stored ? e->stored->ancestors : NULL;
    e->pub.n_ancestors = e->stored ? e->stored->n_ancestors : 0;
}

static pc_status list_fresh(pc_overlay *o, pc_diag *d)
{
    o->fresh = pc_arena_alloc(&o->arena, (o->n ? o->n : 1) * sizeof *o->fresh);
    if (!o->fresh)
        return nomem(o, d);
    for (uint32_t i = 0; i < o->n; i++)
        if (!o->items[i].stored)
            o->fresh[o->n_fresh++] = i;
    return PC_OK;
}

pc_status pc_overlay_finish(pc_overlay *o, pc_diag *d)
{
    if (!o->empty)
        return nomem(o, d);
    const pc_uid **h;
    uint32_t nh;
    pc_status st = read_whole(o, d);
    if (st == PC_OK)
        st = find_reach(o, &h, &nh, d);
    if (st == PC_OK && nh > 0)
        st = mark_below(o, h, nh, d);
    for (uint32_t i = 0; st == PC_OK && i < o->n; i++) {
        if (o->items[i].walked)
            st = walk_from(o, i, d);
        else
            keep_stored(&o->items[i]);
    }
    if (st == PC_OK)
        st = list_fresh(o, d);
    o->finished = st == PC_OK;
    return st;
}

/* ---- reading through the overlay ------------------------------------------------ */

const pc_entities *pc_overlay_store(const pc_overlay *o)
{
    return o->finished ? o->view : NULL;
}

static const entry *lookup(const pc_overlay *o, const pc_uid *u)
{
    if (o->n <= PC_OVERLAY_SCAN) {
        for (uint32_t i = 0; i < o->n; i++)
            if (pc_uid_eq(o->items[i].pub.uid, u))
                return &o->items[i];
        return NULL;
    }
    uint32_t i = find(o, u, pc_uid_hash(u));
    return i == NONE ? NULL : &o->items[i];
}

size_t pc_overlay_count(const pc_overlay *o)
{
    return pc_entities_count(o->base) + o->n_fresh;
}

const pc_entity *pc_overlay_at(const pc_overlay *o, size_t i)
{
    size_t stored = pc_entities_count(o->base);
    if (i >= stored)
        return i - stored < o->n_fresh ? &o->items[o->fresh[i - stored]].pub : NULL;
    const pc_entity *s = pc_entities_at(o->base, i);
    const entry *e = lookup(o, s->uid);
    return e ? &e->pub : s;
}

const pc_entity *pc_overlay_get(const pc_overlay *o, const pc_uid *uid)
{
    const entry *e = lookup(o, uid);
    return e ? &e->pub : pc_entities_get(o->base, uid);
}

bool pc_overlay_in(const pc_overlay *o, const pc_uid *a, const pc_uid *b)
{
    if (pc_uid_eq(a, b))
        return true;
    const entry *e = lookup(o, a);
    if (!e || !e->walked)
        return pc_entities_in(o->base, a, b);
    uint64_t h = pc_uid_hash(b);
    uint32_t lo = 0, hi = e->pub.n_ancestors;
    while (lo < hi) {   /* the first ancestor whose hash is not below h */
        uint32_t mid = lo + (hi - lo) / 2;
        if (e->anc_hash[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < e->pub.n_ancestors && e->anc_hash[lo] == h; lo++)
        if (pc_uid_eq(e->pub.ancestors[lo], b))
            return true;
    return false;
}
