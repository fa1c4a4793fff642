/*
** validate/vtype.c — the validator's types and their lattice.
**
** Validation needs more types than the schema has: the singleton booleans
** True and False (so `false && e` and `if true ...` can skip what cannot
** run), Never (the LUB of nothing) and "any entity" (an unbound slot). They
** also nest: `{a: true}` has type {a: True}, and `.a` of it is True again,
** which matters for short-circuiting, so singletons are not flattened.
**
** The lattice is the reference's strict one: entity types are nominal and
** never join, records join only with exactly the same attributes and the
** same optionality, sets join element-wise. Subtyping has a permissive
** variant because the reference checks operand expectations ("a record",
** "some entity") with width subtyping even in strict mode.
**
** Types are immutable; constants are static, the rest live in an arena.
*/
#include <stdlib.h>
#include <string.h>

#include "validate_internal.h"

/* ---- constructors ---------------------------------------------------- */

static const vtype simple[] = {
    [VK_NEVER] = {.kind = VK_NEVER},
    [VK_TRUE] = {.kind = VK_TRUE},
    [VK_FALSE] = {.kind = VK_FALSE},
    [VK_BOOL] = {.kind = VK_BOOL},
    [VK_LONG] = {.kind = VK_LONG},
    [VK_STRING] = {.kind = VK_STRING},
    [VK_SET] = {.kind = VK_SET},                      /* any set */
    [VK_RECORD] = {.kind = VK_RECORD, .open = true},  /* any record */
    [VK_ENTITY] = {.kind = VK_ANY_ENTITY},            /* an entity: of no particular type */
    [VK_ANY_ENTITY] = {.kind = VK_ANY_ENTITY},
    [VK_DECIMAL] = {.kind = VK_DECIMAL},
    [VK_IPADDR] = {.kind = VK_IPADDR},
    [VK_DATETIME] = {.kind = VK_DATETIME},
    [VK_DURATION] = {.kind = VK_DURATION},
};

const vtype *vt_simple(vkind k)
{
    return &simple[k];
}

const vtype *vt_singleton(bool b)
{
    return &simple[b ? VK_TRUE : VK_FALSE];
}

static vtype *new_type(pc_arena *a, vkind k)
{
    vtype *t = pc_arena_zalloc(a, sizeof *t);
    if (t)
        t->kind = (uint8_t)k;
    return t;
}

const vtype *vt_entity(pc_arena *a, pc_str name)
{
    vtype *t = new_type(a, VK_ENTITY);
    if (t)
        t->entity = name;
    return t;
}

const vtype *vt_set(pc_arena *a, const vtype *elem)
{
    vtype *t = new_type(a, VK_SET);
    if (t)
        t->elem = elem;
    return t;
}

static int attr_cmp(const void *x, const void *y)
{
    return pc_str_cmp(((const vattr *)x)->name, ((const vattr *)y)->name);
}

const vtype *vt_record(pc_arena *a, const pc_str *names, const vtype *const *types, uint32_t n)
{
    vtype *t = new_type(a, VK_RECORD);
    vattr *attrs = n ? pc_arena_alloc(a, n * sizeof *attrs) : NULL;
    if (!t || (n && !attrs))
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        attrs[i] = (vattr){names[i], types[i], true};
    if (n > 1)
        qsort(attrs, n, sizeof *attrs, attr_cmp);
    t->n = n;
    t->attrs = attrs;
    return t;
}

/* Schema records keep their attributes sorted and unique already. */
static const vtype *record_from_schema(pc_arena *a, const pc_type *st)
{
    vtype *t = new_type(a, VK_RECORD);
    vattr *attrs = st->n_attrs ? pc_arena_alloc(a, st->n_attrs * sizeof *attrs) : NULL;
    if (!t || (st->n_attrs && !attrs))
        return NULL;
    for (uint32_t i = 0; i < st->n_attrs; i++) {
        const vtype *at = vt_from_schema(a, st->attrs[i].type);
        if (!at)
            return NULL;
        attrs[i] = (vattr){st->attrs[i].name, at, st->attrs[i].required};
    }
    t->open = st->open;
    t->n = st->n_attrs;
    t->attrs = attrs;
    return t;
}

const vtype *vt_from_schema(pc_arena *a, const pc_type *st)
{
    switch ((pc_tkind)st->kind) {
    case PC_T_BOOL: return vt_simple(VK_BOOL);
    case PC_T_LONG: return vt_simple(VK_LONG);
    case PC_T_STRING: return vt_simple(VK_STRING);
    case PC_T_DECIMAL: return vt_simple(VK_DECIMAL);
    case PC_T_IPADDR: return vt_simple(VK_IPADDR);
    case PC_T_DATETIME: return vt_simple(VK_DATETIME);
    case PC_T_DURATION: return vt_simple(VK_DURATION);
    case PC_T_ENTITY: return vt_entity(a, st->entity);
    case PC_T_SET: {
        const vtype *elem = vt_from_schema(a, st->elem);
        return elem ? vt_set(a, elem) : NULL;
    }
    case PC_T_RECORD: return record_from_schema(a, st);
    }
    return NULL;
}

/* ---- predicates ------------------------------------------------------ */

bool vt_is_bool(const vtype *t)
{
    return t->kind == VK_TRUE || t->kind == VK_FALSE || t->kind == VK_BOOL;
}

const vattr *vt_attr(const vtype *record, pc_str name)
{
    uint32_t lo = 0, hi = record->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = pc_str_cmp(name, record->attrs[mid].name);
        if (c == 0)
            return &record->attrs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static bool same_keys(const vtype *a, const vtype *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!pc_str_eq(a->attrs[i].name, b->attrs[i].name))
            return false;
    return true;
}

bool vt_equal(const vtype *a, const vtype *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return false;
    switch ((vkind)a->kind) {
    case VK_ENTITY:
        return pc_str_eq(a->entity, b->entity);
    case VK_SET:
        return vt_equal(a->elem, b->elem);
    case VK_RECORD:
        if (a->open != b->open || !same_keys(a, b))
            return false;
        for (uint32_t i = 0; i < a->n; i++)
            if (a->attrs[i].required != b->attrs[i].required ||
                !vt_equal(a->attrs[i].type, b->attrs[i].type))
                return false;
        return true;
    default:
        return true;
    }
}

/* ---- subtyping ------------------------------------------------------- */

static bool attr_subtype(const vattr *a, const vattr *b, bool strict)
{
    bool qualifier = strict ? a->required == b->required : a->required || !b->required;
    return qualifier && vt_is_subtype(a->type, b->type, strict);
}

/* Every attribute of b is in a, with a subtype (width subtyping when a has more). */
static bool attrs_subtype(const vtype *a, const vtype *b, bool strict)
{
    for (uint32_t i = 0; i < b->n; i++) {
        const vattr *x = vt_attr(a, b->attrs[i].name);
        if (!x || !attr_subtype(x, &b->attrs[i], strict))
            return false;
    }
    return true;
}

/*
** An open record never subtypes a closed one. A closed target allows depth
** subtyping only; an open target also allows width subtyping, but only in
** permissive mode (strict mode never lets a record lose attributes).
*/
static bool record_subtype(const vtype *a, const vtype *b, bool strict)
{
    if (a->open && !b->open)
        return false;
    bool depth_only = same_keys(a, b) && attrs_subtype(a, b, strict);
    return depth_only || (b->open && !strict && attrs_subtype(a, b, strict));
}

bool vt_is_subtype(const vtype *a, const vtype *b, bool strict)
{
    if (a->kind == VK_NEVER)
        return true;
    switch ((vkind)b->kind) {
    case VK_BOOL:
        return vt_is_bool(a);
    case VK_SET:
        if (a->kind != VK_SET)
            return false;
        if (!b->elem)
            return true;
        return a->elem && vt_is_subtype(a->elem, b->elem, strict);
    case VK_RECORD:
        return a->kind == VK_RECORD && record_subtype(a, b, strict);
    case VK_ANY_ENTITY:
        return a->kind == VK_ANY_ENTITY || (a->kind == VK_ENTITY && !strict);
    case VK_ENTITY:
        return a->kind == VK_ENTITY && pc_str_eq(a->entity, b->entity);
    default:
        return a->kind == b->kind;
    }
}

/* ---- least upper bounds ---------------------------------------------- */

const char *vt_lub_hint(vlub_why why)
{
    switch (why) {
    case VLUB_WIDTH: return "compatible record types must have exactly the same attributes";
    case VLUB_QUALIFIER:
        return "corresponding attributes of compatible record types must have the same "
               "optionality, either both being required or both being optional";
    case VLUB_ENTITY_TYPE:
        return "different entity types are never compatible even when their attributes "
               "would be compatible";
    case VLUB_ENTITY_RECORD:
        return "entity and record types are never compatible even when their attributes "
               "would be compatible";
    case VLUB_NOMEM: return "out of memory";
    case VLUB_OK:
    case VLUB_DIFFERENT: break;
    }
    return "types must be exactly equal to be compatible";
}

static bool is_entityish(const vtype *t)
{
    return t->kind == VK_ENTITY || t->kind == VK_ANY_ENTITY;
}

/* Strict records join attribute by attribute: same names, same optionality. */
static const vtype *record_lub(pc_arena *a, const vtype *x, const vtype *y, vlub_why *why)
{
    if (!same_keys(x, y)) {
        *why = VLUB_WIDTH;
        return NULL;
    }
    vtype *t = new_type(a, VK_RECORD);
    vattr *attrs = x->n ? pc_arena_alloc(a, x->n * sizeof *attrs) : NULL;
    if (!t || (x->n && !attrs)) {
        *why = VLUB_NOMEM;
        return NULL;
    }
    for (uint32_t i = 0; i < x->n; i++) {
        const vtype *at = vt_lub(a, x->attrs[i].type, y->attrs[i].type, why);
        if (!at)
            return NULL;
        if (x->attrs[i].required != y->attrs[i].required) {
            *why = VLUB_QUALIFIER;
            return NULL;
        }
        attrs[i] = (vattr){x->attrs[i].name, at, x->attrs[i].required};
    }
    t->open = x->open || y->open;
    t->n = x->n;
    t->attrs = attrs;
    return t;
}

const vtype *vt_lub(pc_arena *a, const vtype *x, const vtype *y, vlub_why *why)
{
    *why = VLUB_OK;
    if (vt_is_subtype(x, y, true))
        return y;
    if (vt_is_subtype(y, x, true))
        return x;
    if (vt_is_bool(x) && vt_is_bool(y))
        return vt_simple(VK_BOOL);
    if (x->kind == VK_SET && y->kind == VK_SET && x->elem && y->elem) {
        const vtype *elem = vt_lub(a, x->elem, y->elem, why);
        const vtype *t = elem ? vt_set(a, elem) : NULL;
        if (elem && !t)
            *why = VLUB_NOMEM;
        return t;
    }
    if (x->kind == VK_RECORD && y->kind == VK_RECORD)
        return record_lub(a, x, y, why);
    if (is_entityish(x) && is_entityish(y))
        *why = VLUB_ENTITY_TYPE;
    else if ((is_entityish(x) && y->kind == VK_RECORD) || (x->kind == VK_RECORD && is_entityish(y)))
        *why = VLUB_ENTITY_RECORD;
    else
        *why = VLUB_DIFFERENT;
    return NULL;
}

/* ---- printing -------------------------------------------------------- */

static const char *const names[] = {
    [VK_NEVER] = "Never",     [VK_TRUE] = "Bool (always true)",
    [VK_FALSE] = "Bool (always false)", [VK_BOOL] = "Bool",
    [VK_LONG] = "Long",       [VK_STRING] = "String",
    [VK_ANY_ENTITY] = "an entity", [VK_DECIMAL] = "decimal",
    [VK_IPADDR] = "ipaddr",   [VK_DATETIME] = "datetime",
    [VK_DURATION] = "duration",
};

static bool print_record(pc_buf *b, const vtype *t)
{
    if (t->open && t->n == 0)
        return pc_buf_puts(b, "a record");
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < t->n; i++) {
        pc_buf_printf(b, "%s%.*s%s: ", i ? ", " : "", (int)t->attrs[i].name.len,
                      t->attrs[i].name.ptr, t->attrs[i].required ? "" : "?");
        vt_print(b, t->attrs[i].type);
    }
    return pc_buf_puts(b, t->open ? ", ...}" : "}");
}

bool vt_print(pc_buf *b, const vtype *t)
{
    switch ((vkind)t->kind) {
    case VK_ENTITY:
        return pc_buf_append(b, t->entity.ptr, t->entity.len);
    case VK_SET:
        if (!t->elem)
            return pc_buf_puts(b, "a set");
        pc_buf_puts(b, "Set<");
        vt_print(b, t->elem);
        return pc_buf_putc(b, '>');
    case VK_RECORD:
        return print_record(b, t);
    default:
        return pc_buf_puts(b, names[t->kind]);
    }
}
