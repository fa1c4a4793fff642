/*
** schema/schema_resolve.c — the one resolution pass behind both formats.
**
** sb_finish turns the raw declarations of an sb_builder into a pc_schema,
** following the reference (cedar-policy-core validator/schema.rs and
** raw_name.rs) step by step:
**   1. collect every declaration under its fully qualified name, rejecting
**      duplicates (an entity type and a common type may share a name);
**   2. RFC 70: nothing declared in a namespace may reuse the basename of an
**      entity or common type (or the id of an action) of the empty namespace;
**   3. add the built-ins: `__cedar::Bool|Long|String|ipaddr|decimal|datetime|
**      duration` always, and the same unqualified names as aliases in the
**      empty namespace unless the user declared that name there; every
**      namespace with actions gets its `NS::Action` entity type;
**   4. resolve names: a name written with `::` means exactly itself; an
**      unqualified name N written in namespace NS tries NS::N, then N. At
**      each candidate a common type wins over an entity type (RFC 24);
**   5. inline common types, detecting cycles; shapes and contexts must come
**      out as records;
**   6. resolve action groups (an unqualified group is looked up in the
**      action's namespace, then the empty one) and reject cycles.
** Names are interned, so the maps below hash and compare interned pointers.
** Resolution recursion is bounded by PC_SCHEMA_MAX_RESOLVE_DEPTH; the action
** hierarchy is walked with an explicit stack, so long chains cannot exhaust
** the C stack.
*/
#include "schema_build.h"

#include <stdlib.h>
#include <string.h>

#define SCHEMA_BLOCK 16384

/* ---- a pointer-keyed hash map ------------------------------------------ */

/* Keys are interned pointers: a name, or an action's (type, id) pair. */
typedef struct mslot {
    const char *k1, *k2;   /* k1 == NULL: empty */
    void *val;
} mslot;

typedef struct pmap {
    mslot *slots;
    size_t cap;            /* power of two, at least twice the entries */
} pmap;

static bool pmap_init(pmap *m, size_t entries)
{
    m->cap = 16;
    while (m->cap < entries * 2 + 1)
        m->cap *= 2;
    m->slots = calloc(m->cap, sizeof *m->slots);
    return m->slots != NULL;
}

static size_t pmap_find(const pmap *m, const char *k1, const char *k2)
{
    uint64_t h = (uint64_t)(uintptr_t)k1 * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)k2;
    h ^= h >> 29;
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slots[i].k1 && (m->slots[i].k1 != k1 || m->slots[i].k2 != k2))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void *pmap_get(const pmap *m, pc_str k1, pc_str k2)
{
    if (!k1.ptr)
        return NULL;   /* never interned, so never declared */
    return m->slots[pmap_find(m, k1.ptr, k2.ptr)].val;
}

/* Insert; returns the value already there (and inserts nothing) if any. */
static void *pmap_put(pmap *m, pc_str k1, pc_str k2, void *val)
{
    mslot *s = &m->slots[pmap_find(m, k1.ptr, k2.ptr)];
    if (s->k1)
        return s->val;
    s->k1 = k1.ptr;
    s->k2 = k2.ptr;
    s->val = val;
    return NULL;
}

/* ---- resolver state ----------------------------------------------------- */

enum { CT_TODO = 0, CT_ACTIVE, CT_DONE };

typedef struct rcommon {
    const sb_common *decl;   /* NULL for a built-in */
    pc_str name;
    uint8_t state;
    const pc_type *type;
} rcommon;

typedef struct rentity {
    pc_str name;
    bool is_action_type;     /* NS::Action: usable in types, not in memberOf */
    const pc_type *as_type;  /* the ENTITY type naming it, made once */
} rentity;

typedef struct raction {
    const sb_action *decl;
    pc_uid uid;
    uint32_t index;
    uint32_t n_parents;
    struct raction **parents;
} raction;

typedef struct rs {
    sb_builder *b;
    pc_schema *s;
    pmap commons, entities, actions;
    rcommon *builtins;
    raction *acts;           /* one per declared action, in order */
    const pc_type *bool_t, *long_t, *string_t, *empty_record;
} rs;

static pc_status nomem(rs *r)
{
    return sb_nomem(r->b);
}

static void *salloc(rs *r, size_t n)
{
    return pc_arena_zalloc(&r->s->arena, n);
}

/* "ns::name" (or name in the empty namespace), interned. */
static pc_str qualify(rs *r, pc_str ns, pc_str name, bool insert)
{
    pc_buf q;
    pc_buf_init(&q);
    if (ns.len) {
        pc_buf_append(&q, ns.ptr, ns.len);
        pc_buf_puts(&q, "::");
    }
    pc_buf_append(&q, name.ptr, name.len);
    pc_str out = PC_STR_NULL;
    if (!q.oom) {
        const char *p = q.data ? q.data : "";
        out = insert ? pc_intern_str(r->b->in, p, q.len) : pc_intern_find(r->b->in, p, q.len);
    }
    pc_buf_free(&q);
    return out;
}

static pc_str intern(rs *r, pc_str s)
{
    return pc_intern_str(r->b->in, s.ptr ? s.ptr : "", s.len);
}

static bool is_qualified(pc_str name)
{
    for (size_t i = 0; i + 1 < name.len; i++)
        if (name.ptr[i] == ':' && name.ptr[i + 1] == ':')
            return true;
    return false;
}

/* Type::"id" with the id escaped, for messages. */
static void uid_text(pc_buf *m, pc_str type, pc_str id)
{
    pc_buf_append(m, type.ptr, type.len);
    pc_buf_puts(m, "::\"");
    pc_buf_cedar_escape(m, id.ptr, id.len);
    pc_buf_putc(m, '"');
}

/* Report an error naming an action (fmt has one %s for it); returns PC_ERR_SCHEMA. */
static pc_status action_error(rs *r, sb_loc loc, pc_str type, pc_str id, const char *fmt)
{
    pc_buf m;
    pc_buf_init(&m);
    uid_text(&m, type, id);
    pc_status st = sb_error(r->b, loc, fmt, m.data ? m.data : "?");
    pc_buf_free(&m);
    return st;
}

/* Sort n elements and drop repeats in place; returns how many remain. */
static uint32_t sort_unique(void *base, uint32_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return n;
    qsort(base, n, size, cmp);
    char *v = base;
    uint32_t m = 1;
    for (uint32_t i = 1; i < n; i++) {
        if (cmp(v + (size_t)i * size, v + (size_t)(m - 1) * size) == 0)
            continue;
        if (m != i)
            memcpy(v + (size_t)m * size, v + (size_t)i * size, size);
        m++;
    }
    return m;
}

static int cmp_str(const void *x, const void *y)
{
    return pc_str_cmp(*(const pc_str *)x, *(const pc_str *)y);
}

static int cmp_uid(const void *x, const void *y)
{
    const pc_uid *a = x, *b = y;
    int c = pc_str_cmp(a->type, b->type);
    return c ? c : pc_str_cmp(a->id, b->id);
}

/* ---- step 1: collect declarations --------------------------------------- */

static const char *kind_word(sb_refkind k)
{
    return k == SB_REF_COMMON ? "a common type" : k == SB_REF_ENTITY ? "an entity type"
                                                                     : "a common or entity type";
}

static pc_status collect_commons(rs *r)
{
    sb_vec *v = &r->b->commons;
    rcommon *cs = pc_arena_zalloc(&r->b->tmp, (size_t)v->n * sizeof *cs + 1);
    if (!cs)
        return nomem(r);
    for (uint32_t i = 0; i < v->n; i++) {
        const sb_common *c = v->items[i];
        cs[i].decl = c;
        cs[i].name = qualify(r, c->ns, c->name, true);
        if (!cs[i].name.ptr)
            return nomem(r);
        if (pmap_put(&r->commons, cs[i].name, PC_STR_NULL, &cs[i]))
            return sb_error(r->b, c->loc, "common type `%.*s` is declared twice",
                            (int)cs[i].name.len, cs[i].name.ptr);
    }
    return PC_OK;
}

static pc_status collect_entities(rs *r)
{
    sb_vec *v = &r->b->entities;
    rentity *es = pc_arena_zalloc(&r->b->tmp, (size_t)v->n * sizeof *es + 1);
    if (!es)
        return nomem(r);
    for (uint32_t i = 0; i < v->n; i++) {
        const sb_entity *e = v->items[i];
        es[i].name = qualify(r, e->ns, e->name, true);
        if (!es[i].name.ptr)
            return nomem(r);
        if (pmap_put(&r->entities, es[i].name, PC_STR_NULL, &es[i]))
            return sb_error(r->b, e->loc, "entity type `%.*s` is declared twice",
                            (int)es[i].name.len, es[i].name.ptr);
    }
    return PC_OK;
}

static pc_status collect_actions(rs *r)
{
    sb_vec *v = &r->b->actions;
    r->acts = pc_arena_zalloc(&r->b->tmp, (size_t)v->n * sizeof *r->acts + 1);
    if (!r->acts)
        return nomem(r);
    for (uint32_t i = 0; i < v->n; i++) {
        const sb_action *a = v->items[i];
        raction *ra = &r->acts[i];
        ra->decl = a;
        ra->index = i;
        ra->uid.type = qualify(r, a->ns, PC_STR_LIT("Action"), true);
        ra->uid.id = intern(r, a->id);
        if (!ra->uid.type.ptr || !ra->uid.id.ptr)
            return nomem(r);
        if (pmap_put(&r->actions, ra->uid.type, ra->uid.id, ra))
            return action_error(r, a->loc, ra->uid.type, ra->uid.id,
                                "action %s is declared twice");
    }
    return PC_OK;
}

/* Namespaces are few, but sort anyway: no quadratic cost on hostile input. */
static int cmp_names(const void *x, const void *y)
{
    const sb_name *a = *(const sb_name *const *)x, *b = *(const sb_name *const *)y;
    int c = pc_str_cmp(a->name, b->name);
    return c ? c : (a < b ? -1 : a > b);
}

static pc_status check_namespaces(rs *r)
{
    sb_vec *v = &r->b->namespaces;
    if (v->n < 2)
        return PC_OK;
    sb_name **sorted = pc_arena_alloc(&r->b->tmp, (size_t)v->n * sizeof *sorted);
    if (!sorted)
        return nomem(r);
    memcpy(sorted, v->items, (size_t)v->n * sizeof *sorted);
    qsort(sorted, v->n, sizeof *sorted, cmp_names);
    for (uint32_t i = 1; i < v->n; i++)
        if (pc_str_eq(sorted[i]->name, sorted[i - 1]->name)) {
            /* Report the later declaration (they were allocated in order). */
            const sb_name *later = sorted[i] > sorted[i - 1] ? sorted[i] : sorted[i - 1];
            return sb_error(r->b, later->loc, "namespace `%.*s` is declared twice",
                            (int)later->name.len, later->name.ptr);
        }
    return PC_OK;
}

/* ---- step 2: RFC 70 shadowing ------------------------------------------- */

/* Is basename declared as an entity or common type of the empty namespace? */
static bool empty_ns_type(rs *r, pc_str basename)
{
    pc_str key = pc_intern_find(r->b->in, basename.ptr, basename.len);
    return pmap_get(&r->entities, key, PC_STR_NULL) || pmap_get(&r->commons, key, PC_STR_NULL);
}

static pc_status shadow_error(rs *r, sb_loc loc, pc_str ns, pc_str name, const char *what)
{
    return sb_error(r->b, loc,
                    "%s `%.*s::%.*s` shadows `%.*s`, declared in the empty namespace", what,
                    (int)ns.len, ns.ptr, (int)name.len, name.ptr, (int)name.len, name.ptr);
}

static pc_status check_shadowing(rs *r)
{
    sb_builder *b = r->b;
    for (uint32_t i = 0; i < b->entities.n; i++) {
        const sb_entity *e = b->entities.items[i];
        if (e->ns.len && empty_ns_type(r, e->name))
            return shadow_error(r, e->loc, e->ns, e->name, "entity type");
    }
    for (uint32_t i = 0; i < b->commons.n; i++) {
        const sb_common *c = b->commons.items[i];
        if (c->ns.len && empty_ns_type(r, c->name))
            return shadow_error(r, c->loc, c->ns, c->name, "common type");
    }
    pc_str plain = pc_intern_find(b->in, "Action", 6);
    for (uint32_t i = 0; i < b->actions.n; i++) {
        const raction *a = &r->acts[i];
        if (a->decl->ns.len && pmap_get(&r->actions, plain, a->uid.id))
            return action_error(r, a->decl->loc, a->uid.type, a->uid.id,
                                "action %s shadows the action of the same id in the empty "
                                "namespace");
    }
    return PC_OK;
}

/* ---- step 3: built-ins ---------------------------------------------------- */

static const pc_type *prim_type(rs *r, pc_tkind kind)
{
    pc_type *t = salloc(r, sizeof *t);
    if (t)
        t->kind = (uint8_t)kind;
    return t;
}

typedef struct builtin {
    const char *name;
    pc_tkind kind;
} builtin;

static const builtin builtins[] = {
    {"Bool", PC_T_BOOL},       {"Long", PC_T_LONG},         {"String", PC_T_STRING},
    {"ipaddr", PC_T_IPADDR},   {"decimal", PC_T_DECIMAL},   {"datetime", PC_T_DATETIME},
    {"duration", PC_T_DURATION},
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

static pc_status add_builtin(rs *r, rcommon *c, pc_str name, const pc_type *t)
{
    if (!name.ptr)
        return nomem(r);
    c->name = name;
    c->state = CT_DONE;
    c->type = t;
    pmap_put(&r->commons, name, PC_STR_NULL, c);
    return PC_OK;
}

static pc_status add_builtins(rs *r)
{
    r->builtins = pc_arena_zalloc(&r->b->tmp, 2 * N_BUILTINS * sizeof *r->builtins);
    if (!r->builtins)
        return nomem(r);
    for (size_t i = 0; i < N_BUILTINS; i++) {
        const pc_type *t = prim_type(r, builtins[i].kind);
        if (!t)
            return nomem(r);
        pc_str base = pc_str_from_cstr(builtins[i].name);
        pc_status st = add_builtin(r, &r->builtins[2 * i], qualify(r, PC_STR_LIT("__cedar"),
                                                                    base, true), t);
        /* The unqualified alias yields to a user declaration of that name. */
        if (st == PC_OK && !empty_ns_type(r, base))
            st = add_builtin(r, &r->builtins[2 * i + 1], intern(r, base), t);
        if (st != PC_OK)
            return st;
        if (builtins[i].kind == PC_T_BOOL)
            r->bool_t = t;
        else if (builtins[i].kind == PC_T_LONG)
            r->long_t = t;
        else if (builtins[i].kind == PC_T_STRING)
            r->string_t = t;
    }
    pc_type *rec = salloc(r, sizeof *rec);
    if (!rec)
        return nomem(r);
    rec->kind = PC_T_RECORD;
    r->empty_record = rec;
    return PC_OK;
}

/* Every namespace that declares actions gets the entity type NS::Action. */
static pc_status add_action_types(rs *r)
{
    uint32_t n = r->b->actions.n;
    rentity *types = pc_arena_zalloc(&r->b->tmp, (size_t)n * sizeof *types + 1);
    if (!types)
        return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        types[i].name = r->acts[i].uid.type;
        types[i].is_action_type = true;
        pmap_put(&r->entities, types[i].name, PC_STR_NULL, &types[i]);
    }
    return PC_OK;
}

/* ---- step 4: names ------------------------------------------------------ */

typedef struct target {
    rcommon *common;
    rentity *entity;
} target;

/*
** Resolve a written name in namespace ns. action_types: may an entity
** reference land on an NS::Action type (yes in attribute types; no in
** memberOf and appliesTo, where the reference reports an undeclared type).
*/
static pc_status lookup(rs *r, pc_str ns, pc_str raw, sb_refkind kind, bool action_types,
                        sb_loc loc, target *out)
{
    bool two = ns.len && !is_qualified(raw);
    pc_str cands[2] = {qualify(r, two ? ns : PC_STR_NULL, raw, false),
                       pc_intern_find(r->b->in, raw.ptr, raw.len)};
    for (int i = 0; i < (two ? 2 : 1); i++) {
        rcommon *c = kind != SB_REF_ENTITY ? pmap_get(&r->commons, cands[i], PC_STR_NULL) : NULL;
        rentity *e = kind != SB_REF_COMMON ? pmap_get(&r->entities, cands[i], PC_STR_NULL) : NULL;
        if (c || (e && (action_types || !e->is_action_type))) {
            out->common = c;
            out->entity = c ? NULL : e;
            return PC_OK;
        }
    }
    if (two)
        return sb_error(r->b, loc,
                        "unknown type `%.*s`: neither `%.*s::%.*s` nor `%.*s` is declared as %s",
                        (int)raw.len, raw.ptr, (int)ns.len, ns.ptr, (int)raw.len, raw.ptr,
                        (int)raw.len, raw.ptr, kind_word(kind));
    return sb_error(r->b, loc, "unknown type `%.*s`: it is not declared as %s", (int)raw.len,
                    raw.ptr, kind_word(kind));
}

/* Resolve an entity-type reference of memberOf or appliesTo. */
static pc_status entity_name(rs *r, pc_str ns, const sb_name *n, pc_str *out)
{
    target t;
    pc_status st = lookup(r, ns, n->name, SB_REF_ENTITY, false, n->loc, &t);
    if (st == PC_OK)
        *out = t.entity->name;
    return st;
}

/* ---- step 5: types ------------------------------------------------------ */

static const pc_type *resolve_type(rs *r, const sb_type *t, pc_str ns, uint32_t depth);

static const pc_type *resolve_common(rs *r, rcommon *c, uint32_t depth)
{
    if (c->state == CT_DONE)
        return c->type;
    if (c->state == CT_ACTIVE) {
        sb_error(r->b, c->decl->loc, "common type `%.*s` is defined in terms of itself",
                 (int)c->name.len, c->name.ptr);
        return NULL;
    }
    c->state = CT_ACTIVE;
    c->type = resolve_type(r, c->decl->def, c->decl->ns, depth + 1);
    c->state = CT_DONE;
    return c->type;
}

static const pc_type *entity_type(rs *r, rentity *e)
{
    if (!e->as_type) {
        pc_type *t = salloc(r, sizeof *t);
        if (!t)
            return NULL;
        t->kind = PC_T_ENTITY;
        t->entity = e->name;
        e->as_type = t;
    }
    return e->as_type;
}

static const pc_type *resolve_ref(rs *r, const sb_type *t, pc_str ns, uint32_t depth)
{
    target tg;
    if (lookup(r, ns, t->name, (sb_refkind)t->ref, true, t->loc, &tg) != PC_OK)
        return NULL;
    const pc_type *out = tg.common ? resolve_common(r, tg.common, depth) : entity_type(r, tg.entity);
    if (!out && r->b->status == PC_OK)
        nomem(r);
    return out;
}

static const pc_type *resolve_ext(rs *r, const sb_type *t)
{
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (builtins[i].kind >= PC_T_DECIMAL && pc_str_eq_cstr(t->name, builtins[i].name))
            return r->builtins[2 * i].type;
    sb_error(r->b, t->loc, "unknown extension type `%.*s`", (int)t->name.len, t->name.ptr);
    return NULL;
}

/* Attributes ordered by name, then by position, so the last duplicate wins. */
static int cmp_attr(const void *x, const void *y)
{
    const sb_attr *a = *(const sb_attr *const *)x, *b = *(const sb_attr *const *)y;
    int c = pc_str_cmp(a->name, b->name);
    return c ? c : (a < b ? -1 : a > b);
}

static const pc_type *resolve_record(rs *r, const sb_type *t, pc_str ns, uint32_t depth)
{
    uint32_t n = t->attrs.n;
    sb_attr **sorted = pc_arena_alloc(&r->b->tmp, (size_t)n * sizeof *sorted + 1);
    pc_attr_type *attrs = salloc(r, (size_t)n * sizeof *attrs + 1);
    pc_type *rec = salloc(r, sizeof *rec);
    if (!sorted || !attrs || !rec) {
        nomem(r);
        return NULL;
    }
    if (n)
        memcpy(sorted, t->attrs.items, (size_t)n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_attr);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i + 1 < n && pc_str_eq(sorted[i]->name, sorted[i + 1]->name))
            continue;   /* a later declaration of this name follows */
        attrs[m].name = intern(r, sorted[i]->name);
        if (!attrs[m].name.ptr) {
            nomem(r);
            return NULL;
        }
        attrs[m].required = sorted[i]->required;
        attrs[m].type = resolve_type(r, sorted[i]->type, ns, depth + 1);
        if (!attrs[m].type)
            return NULL;
        m++;
    }
    rec->kind = PC_T_RECORD;
    rec->open = t->open;
    rec->n_attrs = m;
    rec->attrs = attrs;
    return rec;
}

static const pc_type *resolve_set(rs *r, const sb_type *t, pc_str ns, uint32_t depth)
{
    const pc_type *elem = resolve_type(r, t->elem, ns, depth + 1);
    if (!elem)
        return NULL;
    pc_type *set = salloc(r, sizeof *set);
    if (!set) {
        nomem(r);
        return NULL;
    }
    set->kind = PC_T_SET;
    set->elem = elem;
    return set;
}

static const pc_type *resolve_type(rs *r, const sb_type *t, pc_str ns, uint32_t depth)
{
    if (depth > PC_SCHEMA_MAX_RESOLVE_DEPTH) {
        sb_fail(r->b, PC_ERR_LIMIT, "types nest more than %d deep (counting common types)",
                PC_SCHEMA_MAX_RESOLVE_DEPTH);
        return NULL;
    }
    switch ((sb_kind)t->kind) {
    case SB_BOOL: return r->bool_t;
    case SB_LONG: return r->long_t;
    case SB_STRING: return r->string_t;
    case SB_EXT: return resolve_ext(r, t);
    case SB_SET: return resolve_set(r, t, ns, depth);
    case SB_RECORD: return resolve_record(r, t, ns, depth);
    case SB_REF: return resolve_ref(r, t, ns, depth);
    }
    return NULL;   /* unreachable: every kind is handled above */
}

/* A shape or context: absent means {}; the caller checks it is a record. */
static const pc_type *resolve_shape(rs *r, const sb_type *t, pc_str ns)
{
    return t ? resolve_type(r, t, ns, 0) : r->empty_record;
}

/* "<owner> must be a record type, not <got>"; owner names the declaration. */
static pc_status not_record(rs *r, const sb_type *t, const pc_type *got, const char *owner)
{
    pc_buf p;
    pc_buf_init(&p);
    pc_type_print(&p, got);
    pc_status st = sb_error(r->b, t->loc, "%s must be a record type, not %s", owner,
                            p.data ? p.data : "?");
    pc_buf_free(&p);
    return st;
}

static pc_status resolve_all_commons(rs *r)
{
    for (uint32_t i = 0; i < r->b->commons.n; i++) {
        const sb_common *c = r->b->commons.items[i];
        rcommon *rc = pmap_get(&r->commons, qualify(r, c->ns, c->name, false), PC_STR_NULL);
        if (!rc)
            return nomem(r);   /* declared, so only a failed allocation loses it */
        if (!resolve_common(r, rc, 0))
            return r->b->status;
    }
    return PC_OK;
}

/* ---- output arrays ------------------------------------------------------ */

/* Resolve a list of entity-type references into a sorted, distinct array. */
static pc_status entity_list(rs *r, pc_str ns, const sb_vec *names, const pc_str **out,
                             uint32_t *n_out)
{
    pc_str *v = salloc(r, (size_t)names->n * sizeof *v + 1);
    if (!v)
        return nomem(r);
    for (uint32_t i = 0; i < names->n; i++) {
        pc_status st = entity_name(r, ns, names->items[i], &v[i]);
        if (st != PC_OK)
            return st;
    }
    *n_out = sort_unique(v, names->n, sizeof *v, cmp_str);
    *out = v;
    return PC_OK;
}

static pc_status build_enum(rs *r, const sb_entity *e, pc_entity_decl *out)
{
    pc_str *ids = salloc(r, (size_t)e->choices.n * sizeof *ids + 1);
    if (!ids)
        return nomem(r);
    for (uint32_t i = 0; i < e->choices.n; i++) {
        ids[i] = intern(r, *(const pc_str *)e->choices.items[i]);
        if (!ids[i].ptr)
            return nomem(r);
    }
    out->is_enum = true;
    out->n_enum = sort_unique(ids, e->choices.n, sizeof *ids, cmp_str);
    out->enum_ids = ids;
    return PC_OK;
}

static pc_status build_entity(rs *r, const sb_entity *e, pc_entity_decl *out)
{
    out->name = qualify(r, e->ns, e->name, false);
    out->offset = e->loc.offset;
    out->attrs = r->empty_record;
    if (e->is_enum)
        return build_enum(r, e, out);
    pc_status st = entity_list(r, e->ns, &e->parents, &out->member_of, &out->n_member_of);
    if (st != PC_OK)
        return st;
    out->attrs = resolve_shape(r, e->shape, e->ns);
    if (!out->attrs)
        return r->b->status;
    if (out->attrs->kind != PC_T_RECORD) {
        const char *owner = pc_arena_printf(&r->b->tmp, "the shape of entity type %s",
                                            out->name.ptr);   /* interned names end in NUL */
        return owner ? not_record(r, e->shape, out->attrs, owner) : nomem(r);
    }
    if (e->tags && !(out->tags = resolve_type(r, e->tags, e->ns, 0)))
        return r->b->status;
    return PC_OK;
}

/* ---- step 6: actions ---------------------------------------------------- */

/* Find the action a memberOf entry names (the reference's possibilities). */
static pc_status action_parent(rs *r, const sb_action *a, const sb_action_ref *ref,
                               raction **out)
{
    pc_str type = ref->type.len ? ref->type : PC_STR_LIT("Action");
    bool two = a->ns.len && !is_qualified(type);
    pc_str id = pc_intern_find(r->b->in, ref->id.ptr ? ref->id.ptr : "", ref->id.len);
    pc_str cands[2] = {qualify(r, two ? a->ns : PC_STR_NULL, type, false),
                       pc_intern_find(r->b->in, type.ptr, type.len)};
    for (int i = 0; id.ptr && i < (two ? 2 : 1); i++) {
        raction *p = pmap_get(&r->actions, cands[i], id);
        if (p) {
            *out = p;
            return PC_OK;
        }
    }
    return action_error(r, ref->loc, type, ref->id, "action group %s is not declared");
}

static pc_status build_action_parents(rs *r, raction *ra, pc_action_decl *out)
{
    const sb_vec *refs = &ra->decl->parents;
    ra->parents = pc_arena_alloc(&r->b->tmp, (size_t)refs->n * sizeof *ra->parents + 1);
    pc_uid *uids = salloc(r, (size_t)refs->n * sizeof *uids + 1);
    if (!ra->parents || !uids)
        return nomem(r);
    for (uint32_t i = 0; i < refs->n; i++) {
        pc_status st = action_parent(r, ra->decl, refs->items[i], &ra->parents[i]);
        if (st != PC_OK)
            return st;
        uids[i] = ra->parents[i]->uid;
    }
    ra->n_parents = refs->n;
    out->member_of = uids;
    out->n_member_of = sort_unique(uids, refs->n, sizeof *uids, cmp_uid);
    return PC_OK;
}

static pc_status context_not_record(rs *r, const raction *ra, const pc_type *got)
{
    pc_buf owner;
    pc_buf_init(&owner);
    pc_buf_puts(&owner, "the context of action ");
    uid_text(&owner, ra->uid.type, ra->uid.id);
    pc_status st = owner.oom ? nomem(r) : not_record(r, ra->decl->context, got, owner.data);
    pc_buf_free(&owner);
    return st;
}

static pc_status build_action(rs *r, raction *ra, pc_action_decl *out)
{
    const sb_action *a = ra->decl;
    out->uid = ra->uid;
    out->offset = a->loc.offset;
    pc_status st = build_action_parents(r, ra, out);
    if (st == PC_OK)
        st = entity_list(r, a->ns, &a->principals, &out->principals, &out->n_principals);
    if (st == PC_OK)
        st = entity_list(r, a->ns, &a->resources, &out->resources, &out->n_resources);
    if (st != PC_OK)
        return st;
    out->applies = out->n_principals > 0 && out->n_resources > 0;
    out->context = resolve_shape(r, a->context, a->ns);
    if (!out->context)
        return r->b->status;
    return out->context->kind == PC_T_RECORD ? PC_OK : context_not_record(r, ra, out->context);
}

static pc_status action_cycle(rs *r, const raction *a)
{
    return action_error(r, a->decl->loc, a->uid.type, a->uid.id,
                        "action %s is a member of itself (a cycle in the action hierarchy)");
}

/* Depth-first search with an explicit stack: white, grey (on the path), black. */
static pc_status check_action_cycles(rs *r)
{
    uint32_t n = r->b->actions.n;
    uint8_t *color = pc_arena_zalloc(&r->b->tmp, (size_t)n + 1);
    uint32_t *stack = pc_arena_alloc(&r->b->tmp, (size_t)n * sizeof *stack + 1);
    uint32_t *next = pc_arena_zalloc(&r->b->tmp, (size_t)n * sizeof *next + 1);
    if (!color || !stack || !next)
        return nomem(r);
    for (uint32_t root = 0; root < n; root++) {
        if (color[root])
            continue;
        uint32_t sp = 0;
        stack[sp++] = root;
        color[root] = 1;
        while (sp) {
            raction *a = &r->acts[stack[sp - 1]];
            if (next[a->index] == a->n_parents) {
                color[a->index] = 2;
                sp--;
                continue;
            }
            raction *p = a->parents[next[a->index]++];
            if (color[p->index] == 1)
                return action_cycle(r, p);
            if (color[p->index] == 0) {
                color[p->index] = 1;
                stack[sp++] = p->index;
            }
        }
    }
    return PC_OK;
}

/* ---- assembling ----------------------------------------------------------- */

static int cmp_entity(const void *x, const void *y)
{
    return pc_str_cmp(((const pc_entity_decl *)x)->name, ((const pc_entity_decl *)y)->name);
}

static int cmp_action(const void *x, const void *y)
{
    return cmp_uid(&((const pc_action_decl *)x)->uid, &((const pc_action_decl *)y)->uid);
}

static pc_status build_outputs(rs *r)
{
    pc_schema *s = r->s;
    s->n_entities = r->b->entities.n;
    s->n_actions = r->b->actions.n;
    s->entities = salloc(r, (size_t)s->n_entities * sizeof *s->entities + 1);
    s->actions = salloc(r, (size_t)s->n_actions * sizeof *s->actions + 1);
    s->action_types = salloc(r, (size_t)s->n_actions * sizeof *s->action_types + 1);
    if (!s->entities || !s->actions || !s->action_types)
        return nomem(r);
    for (uint32_t i = 0; i < s->n_entities; i++) {
        pc_status st = build_entity(r, r->b->entities.items[i], &s->entities[i]);
        if (st != PC_OK)
            return st;
    }
    for (uint32_t i = 0; i < s->n_actions; i++) {
        pc_status st = build_action(r, &r->acts[i], &s->actions[i]);
        if (st != PC_OK)
            return st;
        s->action_types[i] = r->acts[i].uid.type;
    }
    pc_status st = check_action_cycles(r);
    if (st != PC_OK)
        return st;
    qsort(s->entities, s->n_entities, sizeof *s->entities, cmp_entity);
    qsort(s->actions, s->n_actions, sizeof *s->actions, cmp_action);
    s->n_action_types = sort_unique(s->action_types, s->n_actions, sizeof *s->action_types,
                                    cmp_str);
    return PC_OK;
}

static pc_status run(rs *r)
{
    pc_status st = check_namespaces(r);
    if (st == PC_OK)
        st = collect_commons(r);
    if (st == PC_OK)
        st = collect_entities(r);
    if (st == PC_OK)
        st = collect_actions(r);
    if (st == PC_OK)
        st = check_shadowing(r);
    if (st == PC_OK)
        st = add_builtins(r);
    if (st == PC_OK)
        st = add_action_types(r);
    if (st == PC_OK)
        st = resolve_all_commons(r);
    if (st == PC_OK)
        st = build_outputs(r);
    return st;
}

pc_status sb_finish(sb_builder *b, pc_schema **out)
{
    *out = NULL;
    rs r;
    memset(&r, 0, sizeof r);
    r.b = b;
    size_t decls = (size_t)b->commons.n + b->entities.n + b->actions.n + 2 * N_BUILTINS;
    r.s = calloc(1, sizeof *r.s);
    if (!r.s)
        return sb_nomem(b);
    pc_arena_init(&r.s->arena, SCHEMA_BLOCK, 0);
    pc_status st = PC_ERR_NOMEM;
    if (pmap_init(&r.commons, decls) && pmap_init(&r.entities, decls) &&
        pmap_init(&r.actions, b->actions.n))
        st = run(&r);
    else
        sb_nomem(b);
    free(r.commons.slots);
    free(r.entities.slots);
    free(r.actions.slots);
    if (st != PC_OK) {
        pc_schema_free(r.s);
        return st;
    }
    *out = r.s;
    return PC_OK;
}
