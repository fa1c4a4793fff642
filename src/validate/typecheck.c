/*
** validate/typecheck.c — the strict typechecker for one request environment.
**
** check() returns, for an expression, a result the way the reference's
** typechecker does:
**   ty    the expression's type, or NULL when none could be given (an
**         operand already reported an error, or a name is unknown);
**   caps  the capabilities the expression grants when it evaluates to true:
**         (e, attr) for `e has attr`, (e, t) for `e.hasTag(t)`. An optional
**         attribute may be read only under a capability for it, matched by
**         the shape of the expression (source positions ignored);
**   ok    false once any error happened inside (a failed result carries no
**         capabilities, but its type still drives the parent, as in the
**         reference, so errors are found past the first one).
** The singleton types True and False make `&&`, `||` and `if` skip operands
** that cannot be evaluated, and those operands are not checked at all: the
** reference accepts `false && 1 + "a"`, and so must we.
**
** Operand expectations ("a Long", "an entity or a record") use permissive
** subtyping as the reference does; every join of two types (sets, `if`
** branches, `==`, contains) uses the strict least upper bound.
*/
#include <string.h>

#include "validate_internal.h"

typedef struct cap {
    const pc_expr *on;    /* the expression known to have the attribute or tag */
    pc_str attr;          /* attribute capabilities: the attribute name */
    const pc_expr *tag;   /* tag capabilities: the tag expression (NULL for attributes) */
} cap;

typedef struct caps {
    uint32_t n;
    const cap *items;
} caps;

typedef struct tres {
    const vtype *ty;
    caps c;
    bool ok;
} tres;

typedef struct tc {
    vctx *c;
    const pc_policy *p;
    const venv *env;
    pc_arena *a;                          /* the scratch arena of this environment */
    const vtype *principal, *resource, *action;
} tc;

/*
** Where an operand's type was unexpected; with the actual type this picks
** the hint the reference attaches ("try using `like` ...").
*/
typedef enum site {
    S_PLAIN = 0,
    S_HAS,         /* the object of `has` */
    S_RECEIVER,    /* the set of contains / containsAll / containsAny */
    S_SET_ARG,     /* the argument of containsAll / containsAny */
    S_LIKE,        /* the string of `like` */
    S_IS,          /* the object of `is` */
    S_IN_LHS,      /* the left of `in` */
    S_IN_RHS,      /* the right of `in` */
    S_ADD,         /* an operand of `+` */
    S_ARITH,       /* an operand of `-` or `*` */
    S_IS_EMPTY     /* the receiver of isEmpty */
} site;

static const char *hint(site s, const vtype *actual)
{
    static const char like[] = "; try using `like` to examine the contents of a string",
        contains[] = "; try using `contains`, `containsAny`, or `containsAll` to examine the "
                     "contents of a set",
        set_ops[] = "; Cedar does not support computing the union, intersection, or "
                    "difference of sets";
    vkind k = (vkind)actual->kind;
    bool entity = k == VK_ENTITY || k == VK_ANY_ENTITY;
    switch (s) {
    case S_HAS:
    case S_IN_RHS: return k == VK_SET ? contains : k == VK_STRING ? like : "";
    case S_RECEIVER:
        return entity ? "; try using `in` for entity hierarchy membership"
               : k == VK_RECORD ? "; try using `has` to test for an attribute"
               : k == VK_STRING ? like : "";
    case S_SET_ARG: return "; try using `contains` to test if a single element is in a set";
    case S_LIKE: return entity ? "; try using `is` to test for an entity type" : "";
    case S_IS: return "; Cedar only supports run time type tests for entities";
    case S_IN_LHS: return contains;
    case S_ADD:
        if (k == VK_STRING)
            return "; Cedar does not support string concatenation";
        return k == VK_SET ? set_ops : "";
    case S_ARITH: return k == VK_SET ? set_ops : "";
    case S_IS_EMPTY: return k == VK_STRING ? "; try using `== \"\"` to test if a string is empty" : "";
    case S_PLAIN: break;
    }
    return "";
}

/* Expectations that are not plain kinds: "some entity" and "a set of entities". */
static const vtype any_entity = {.kind = VK_ANY_ENTITY};
static const vtype any_entity_set = {.kind = VK_SET, .elem = &any_entity};

static tres check(tc *t, const pc_expr *e, caps prior);

/* ---- results ----------------------------------------------------------- */

static tres good(const vtype *ty)
{
    return (tres){ty, {0, NULL}, true};
}

static tres good_caps(const vtype *ty, caps c)
{
    return (tres){ty, c, true};
}

static tres bad(const vtype *ty)
{
    return (tres){ty, {0, NULL}, false};
}

/* A result built from operands: it fails (and loses its capabilities) if they did. */
static tres finish(tres r, bool operands_ok)
{
    if (!operands_ok || !r.ok)
        return bad(r.ty);
    return r;
}

static bool is_kind(const vtype *ty, vkind k)
{
    return ty && ty->kind == k;
}

/* ---- expression shapes -------------------------------------------------- */

static bool expr_same(const pc_expr *x, const pc_expr *y);

static bool pattern_same(const pc_pattern *x, const pc_pattern *y)
{
    if (x->n != y->n || x->star_first != y->star_first || (x->n && x->star_last != y->star_last))
        return false;
    for (uint32_t i = 0; i < x->n; i++)
        if (!pc_str_eq(x->parts[i], y->parts[i]))
            return false;
    return true;
}

static bool list_same(uint32_t n, pc_expr *const *x, pc_expr *const *y)
{
    for (uint32_t i = 0; i < n; i++)
        if (!expr_same(x[i], y[i]))
            return false;
    return true;
}

/* Records compare as maps: the same keys with the same values, in any order. */
static bool record_same(const pc_expr *x, const pc_expr *y)
{
    if (x->u.rec.n != y->u.rec.n)
        return false;
    for (uint32_t i = 0; i < x->u.rec.n; i++) {
        uint32_t j = 0;
        while (j < y->u.rec.n && !pc_str_eq(x->u.rec.keys[i], y->u.rec.keys[j]))
            j++;
        if (j == y->u.rec.n || !expr_same(x->u.rec.vals[i], y->u.rec.vals[j]))
            return false;
    }
    return true;
}

/* Structural equality ignoring source positions: how capabilities are matched. */
static bool expr_same(const pc_expr *x, const pc_expr *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->kind != y->kind)
        return false;
    switch ((pc_ekind)x->kind) {
    case PC_E_LIT: return pc_value_eq(&x->u.lit, &y->u.lit);
    case PC_E_VAR: return x->u.var == y->u.var;
    case PC_E_SLOT: return x->u.slot == y->u.slot;
    case PC_E_HAS:
    case PC_E_GETATTR:
        return pc_str_eq(x->u.attr.name, y->u.attr.name) && expr_same(x->u.attr.obj, y->u.attr.obj);
    case PC_E_LIKE:
        return pattern_same(x->u.like.pat, y->u.like.pat) && expr_same(x->u.like.obj, y->u.like.obj);
    case PC_E_IS:
        return pc_str_eq(x->u.is.type, y->u.is.type) && expr_same(x->u.is.obj, y->u.is.obj) &&
               expr_same(x->u.is.in, y->u.is.in);
    case PC_E_SET:
        return x->u.list.n == y->u.list.n && list_same(x->u.list.n, x->u.list.items, y->u.list.items);
    case PC_E_RECORD: return record_same(x, y);
    case PC_E_CALL:
        return x->u.call.fn == y->u.call.fn && x->u.call.n == y->u.call.n &&
               list_same(x->u.call.n, x->u.call.args, y->u.call.args);
    default:
        return expr_same(x->u.op.a, y->u.op.a) && expr_same(x->u.op.b, y->u.op.b) &&
               expr_same(x->u.op.c, y->u.op.c);
    }
}

/* ---- capability sets ---------------------------------------------------- */

static bool cap_same(const cap *x, const cap *y)
{
    if ((x->tag == NULL) != (y->tag == NULL) || !expr_same(x->on, y->on))
        return false;
    return x->tag ? expr_same(x->tag, y->tag) : pc_str_eq(x->attr, y->attr);
}

static bool caps_has(caps s, const cap *k)
{
    for (uint32_t i = 0; i < s.n; i++)
        if (cap_same(&s.items[i], k))
            return true;
    return false;
}

static cap *cap_array(tc *t, uint32_t n)
{
    cap *items = pc_arena_alloc(t->a, (size_t)n * sizeof *items);
    if (!items)
        t->c->oom = true;
    return items;
}

static caps caps_one(tc *t, cap k)
{
    cap *items = cap_array(t, 1);
    if (!items)
        return (caps){0, NULL};
    items[0] = k;
    return (caps){1, items};
}

static caps caps_union(tc *t, caps x, caps y)
{
    if (y.n == 0)
        return x;
    if (x.n == 0)
        return y;
    cap *items = cap_array(t, x.n + y.n);
    if (!items)
        return (caps){0, NULL};
    memcpy(items, x.items, x.n * sizeof *items);
    uint32_t n = x.n;
    for (uint32_t i = 0; i < y.n; i++)
        if (!caps_has(x, &y.items[i]))
            items[n++] = y.items[i];
    return (caps){n, items};
}

static caps caps_inter(tc *t, caps x, caps y)
{
    if (x.n == 0 || y.n == 0)
        return (caps){0, NULL};
    cap *items = cap_array(t, x.n);
    if (!items)
        return (caps){0, NULL};
    uint32_t n = 0;
    for (uint32_t i = 0; i < x.n; i++)
        if (caps_has(y, &x.items[i]))
            items[n++] = x.items[i];
    return (caps){n, items};
}

static bool has_attr_cap(caps s, const pc_expr *on, pc_str attr)
{
    cap k = {on, attr, NULL};
    return caps_has(s, &k);
}

static bool has_tag_cap(caps s, const pc_expr *on, const pc_expr *tag)
{
    cap k = {on, PC_STR_NULL, tag};
    return caps_has(s, &k);
}

/* ---- reporting ---------------------------------------------------------- */

static void unexpected(tc *t, const pc_expr *e, const vtype *const *expected, uint32_t n,
                       const vtype *actual, site s)
{
    pc_buf b;
    pc_buf_init(&b);
    for (uint32_t i = 0; i < n; i++) {
        pc_buf_puts(&b, i == 0 ? "" : ", or ");
        vt_print(&b, expected[i]);
    }
    if (b.oom)
        t->c->oom = true;
    vc_report(t->c, t->p, e->offset, false, PC_VK_UNEXPECTED_TYPE,
              "unexpected type: expected %s but saw %s%s", b.data ? b.data : "",
              vc_type_str(t->c, actual), hint(s, actual));
    pc_buf_free(&b);
}

/* The least upper bound of two types, reporting when there is none. */
static const vtype *join(tc *t, const pc_expr *e, const vtype *x, const vtype *y,
                         const char *where)
{
    vlub_why why;
    const vtype *lub = vt_lub(t->a, x, y, &why);
    if (why == VLUB_NOMEM)
        t->c->oom = true;
    else if (!lub)
        vc_report(t->c, t->p, e->offset, false, PC_VK_INCOMPATIBLE_TYPES,
                  "the types %s and %s are not compatible: %s must have compatible types "
                  "(%s)", vc_type_str(t->c, x), vc_type_str(t->c, y), where, vt_lub_hint(why));
    return lub;
}

/* ---- expectations ------------------------------------------------------- */

/*
** Check e and require its type to be (permissively) one of the expected
** types. On a mismatch the result has no type, so the parent reports nothing
** more about this operand.
*/
static tres expect_one(tc *t, const pc_expr *e, caps prior, const vtype *const *expected,
                       uint32_t n, site s)
{
    tres r = check(t, e, prior);
    if (!r.ty)
        return bad(NULL);
    for (uint32_t i = 0; i < n; i++)
        if (vt_is_subtype(r.ty, expected[i], false))
            return r;
    unexpected(t, e, expected, n, r.ty, s);
    return bad(NULL);
}

static tres expect(tc *t, const pc_expr *e, caps prior, const vtype *want, site s)
{
    return expect_one(t, e, prior, &want, 1, s);
}

static tres expect_bool(tc *t, const pc_expr *e, caps prior)
{
    return expect(t, e, prior, vt_simple(VK_BOOL), S_PLAIN);
}

/* An entity or a record: what `.` and `has` apply to. */
static tres expect_object(tc *t, const pc_expr *e, caps prior, site s)
{
    const vtype *const want[] = {&any_entity, vt_simple(VK_RECORD)};
    return expect_one(t, e, prior, want, 2, s);
}

/* ---- leaves ------------------------------------------------------------- */

/* The literal value of e, treating `action` as the environment's action uid. */
static bool literal_of(tc *t, const pc_expr *e, pc_value *out)
{
    if (e->kind == PC_E_LIT) {
        *out = e->u.lit;
        return true;
    }
    if (e->kind == PC_E_VAR && e->u.var == PC_VAR_ACTION) {
        *out = pc_v_entity(&t->env->action->decl->uid);
        return true;
    }
    return false;
}

static const pc_uid *uid_of(tc *t, const pc_expr *e)
{
    pc_value v;
    return literal_of(t, e, &v) && v.type == PC_V_ENTITY ? v.u.uid : NULL;
}

static tres entity_type(tc *t, pc_str name)
{
    const vtype *ty = vt_entity(t->a, name);
    if (!ty)
        t->c->oom = true;
    return ty ? good(ty) : bad(NULL);
}

/* An undeclared type or action has no type; names.c reports it. */
static tres literal(tc *t, const pc_value *v)
{
    switch ((pc_vtype)v->type) {
    case PC_V_BOOL: return good(vt_singleton(v->u.b));
    case PC_V_LONG: return good(vt_simple(VK_LONG));
    case PC_V_STRING: return good(vt_simple(VK_STRING));
    case PC_V_ENTITY: {
        const pc_uid *u = v->u.uid;
        bool known = vs_is_action_type(u->type) ? vs_action(t->c, u) != NULL
                                                : vs_entity(t->c, u->type) != NULL;
        return known ? entity_type(t, u->type) : bad(NULL);
    }
    default: return bad(NULL);   /* the parser makes no other literals */
    }
}

static tres variable(tc *t, pc_var v)
{
    switch (v) {
    case PC_VAR_PRINCIPAL: return good(t->principal);
    case PC_VAR_ACTION: return good(t->action);
    case PC_VAR_RESOURCE: return good(t->resource);
    case PC_VAR_CONTEXT: return good(t->env->action->context);
    }
    return bad(NULL);
}

static tres slot(tc *t, pc_slot s)
{
    pc_str bound = s == PC_SLOT_PRINCIPAL ? t->env->principal_slot : t->env->resource_slot;
    return bound.ptr ? entity_type(t, bound) : good(vt_simple(VK_ANY_ENTITY));
}

/* ---- boolean connectives ------------------------------------------------ */

static tres and_rule(tc *t, const pc_expr *a, const pc_expr *b, caps prior)
{
    tres l = expect_bool(t, a, prior);
    if (is_kind(l.ty, VK_FALSE))
        return finish(good(l.ty), l.ok);
    tres r = expect_bool(t, b, caps_union(t, prior, l.c));
    tres res;
    if (!l.ty || !r.ty)
        res = bad(vt_simple(VK_BOOL));
    else if (r.ty->kind == VK_FALSE)
        res = good(r.ty);
    else if (r.ty->kind == VK_TRUE)
        res = good_caps(l.ty, caps_union(t, l.c, r.c));
    else if (l.ty->kind == VK_TRUE)
        res = good_caps(r.ty, r.c);   /* the reference keeps only the right's here */
    else
        res = good_caps(vt_simple(VK_BOOL), caps_union(t, l.c, r.c));
    return finish(res, l.ok && r.ok);
}

static tres or_rule(tc *t, const pc_expr *a, const pc_expr *b, caps prior)
{
    tres l = expect_bool(t, a, prior);
    if (is_kind(l.ty, VK_TRUE))
        return finish(good_caps(l.ty, l.c), l.ok);
    tres r = expect_bool(t, b, prior);
    tres res;
    if (!l.ty || !r.ty)
        res = bad(vt_simple(VK_BOOL));
    else if (r.ty->kind == VK_TRUE)
        res = good_caps(r.ty, r.c);
    else if (r.ty->kind == VK_FALSE)
        res = good_caps(l.ty, l.c);
    else if (l.ty->kind == VK_FALSE)
        res = good_caps(r.ty, r.c);
    else
        res = good_caps(vt_simple(VK_BOOL), caps_inter(t, l.c, r.c));
    return finish(res, l.ok && r.ok);
}

/* if a then b else c: a known test checks only the branch that can run. */
static tres if_rule(tc *t, const pc_expr *e, caps prior)
{
    tres test = expect_bool(t, e->u.op.a, prior);
    if (is_kind(test.ty, VK_TRUE)) {
        tres th = check(t, e->u.op.b, caps_union(t, prior, test.c));
        return finish(good_caps(th.ty, caps_union(t, th.c, test.c)), test.ok && th.ok);
    }
    if (is_kind(test.ty, VK_FALSE)) {
        tres el = check(t, e->u.op.c, prior);
        return finish(good_caps(el.ty, el.c), test.ok && el.ok);
    }
    tres th = check(t, e->u.op.b, caps_union(t, prior, test.c));
    if (th.ok)
        th.c = caps_union(t, th.c, test.c);
    tres el = check(t, e->u.op.c, prior);
    const vtype *lub = th.ty && el.ty ? join(t, e, th.ty, el.ty, "both branches of a conditional")
                                      : NULL;
    tres res = lub ? good_caps(lub, caps_inter(t, el.c, th.c)) : bad(NULL);
    return finish(res, test.ok && th.ok && el.ok);
}

static tres negate(tres r)
{
    if (is_kind(r.ty, VK_TRUE))
        r.ty = vt_singleton(false);
    else if (is_kind(r.ty, VK_FALSE))
        r.ty = vt_singleton(true);
    else
        r.ty = vt_simple(VK_BOOL);
    r.c = (caps){0, NULL};
    return r;
}

/* ---- comparisons -------------------------------------------------------- */

/* Entity types are nominal: two different ones can never hold equal values. */
static bool disjoint(const vtype *x, const vtype *y)
{
    return x->kind == VK_ENTITY && y->kind == VK_ENTITY && !pc_str_eq(x->entity, y->entity);
}

static tres eq_rule(tc *t, const pc_expr *e, const pc_expr *a, const pc_expr *b, caps prior)
{
    tres l = check(t, a, prior), r = check(t, b, prior);
    pc_value la, lb;
    tres res;
    if (l.ty && r.ty && disjoint(l.ty, r.ty))
        res = good(vt_singleton(false));
    else if (literal_of(t, a, &la) && literal_of(t, b, &lb))
        res = good(vt_singleton(pc_value_eq(&la, &lb)));
    else if (l.ty && r.ty && !join(t, e, l.ty, r.ty, "both operands to a `==` expression"))
        res = bad(vt_simple(VK_BOOL));
    else
        res = good(vt_simple(VK_BOOL));
    return finish(res, l.ok && r.ok);
}

static bool orderable(const vtype *ty)
{
    return ty->kind == VK_LONG || ty->kind == VK_DATETIME || ty->kind == VK_DURATION;
}

/* a < b and a <= b (`>` and `>=` arrive with their operands swapped). */
static tres cmp_rule(tc *t, const pc_expr *a, const pc_expr *b, caps prior)
{
    const vtype *const orderables[] = {vt_simple(VK_LONG), vt_simple(VK_DATETIME),
                                       vt_simple(VK_DURATION)};
    tres l = check(t, a, prior), r = check(t, b, prior);
    if (!l.ty || !r.ty)
        return bad(vt_simple(VK_BOOL));
    bool fine = vt_equal(l.ty, r.ty) && orderable(l.ty);
    if (fine)
        return finish(good(vt_simple(VK_BOOL)), l.ok && r.ok);
    /* as the reference: blame the side that differs from a valid one, a Long first */
    if (orderable(l.ty) && (l.ty->kind == VK_LONG || r.ty->kind != VK_LONG)) {
        unexpected(t, b, &l.ty, 1, r.ty, S_PLAIN);
    } else if (orderable(r.ty)) {
        unexpected(t, a, &r.ty, 1, l.ty, S_PLAIN);
    } else {
        unexpected(t, a, orderables, 3, l.ty, S_PLAIN);
        unexpected(t, b, orderables, 3, r.ty, S_PLAIN);
    }
    return bad(vt_simple(VK_BOOL));
}

static tres arith_rule(tc *t, const pc_expr *e, caps prior)
{
    const vtype *lng = vt_simple(VK_LONG);
    site s = e->kind == PC_E_ADD ? S_ADD : S_ARITH;
    tres l = expect(t, e->u.op.a, prior, lng, s);
    tres r = expect(t, e->u.op.b, prior, lng, s);
    return finish(good(lng), l.ok && r.ok);
}

/* ---- hierarchy ------------------------------------------------------------ */

/*
** `uid in [uids]` with an action on the left and literals on the right is
** decided exactly from the action hierarchy; an action is never in a
** non-action entity. An unknown action on the right leaves the answer open
** (names.c reports it).
*/
static tres action_in_literals(tc *t, const pc_uid *lhs, const pc_expr *rhs)
{
    const pc_expr *const *items = rhs->kind == PC_E_SET ? (const pc_expr *const *)rhs->u.list.items
                                                        : &rhs;
    uint32_t n = rhs->kind == PC_E_SET ? rhs->u.list.n : 1;
    const vact *member = vs_action(t->c, lhs);
    bool any_action = false, all_known = true, found = false;
    for (uint32_t i = 0; i < n; i++) {
        const pc_uid *u = uid_of(t, items[i]);
        if (!vs_is_action_type(u->type))
            continue;
        any_action = true;
        const vact *group = vs_action(t->c, u);
        all_known = all_known && group;
        found = found || (member && group && vs_action_in(t->c, member, group));
    }
    if (!any_action)
        return good(vt_singleton(false));
    return all_known ? good(vt_singleton(found)) : bad(vt_simple(VK_BOOL));
}

/* Is e a literal uid (or `action`), or a set literal of nothing else? */
static bool all_uids(tc *t, const pc_expr *e)
{
    if (uid_of(t, e))
        return true;
    if (e->kind != PC_E_SET)
        return false;
    for (uint32_t i = 0; i < e->u.list.n; i++)
        if (!uid_of(t, e->u.list.items[i]))
            return false;
    return true;
}

static pc_str entity_name(const vtype *ty, bool through_set)
{
    if (through_set && ty->kind == VK_SET && ty->elem)
        ty = ty->elem;
    return ty->kind == VK_ENTITY ? ty->entity : PC_STR_NULL;
}

/* a in b: False when no entity of a's type can be in one of b's. */
static tres in_rule(tc *t, const pc_expr *a, const pc_expr *b, caps prior)
{
    static const vtype *const rhs_want[] = {&any_entity_set, &any_entity};
    tres l = expect(t, a, prior, &any_entity, S_IN_LHS);
    tres r = expect_one(t, b, prior, rhs_want, 2, S_IN_RHS);
    if (!l.ok || !r.ok)
        return bad(vt_simple(VK_BOOL));
    const pc_uid *lhs = uid_of(t, a);
    if (lhs && vs_is_action_type(lhs->type) && all_uids(t, b))
        return action_in_literals(t, lhs, b);
    pc_str lt = entity_name(l.ty, false), rt = entity_name(r.ty, true);
    if (lt.ptr && rt.ptr && !vs_type_in(t->c, lt, rt) && !vs_action_type_in(t->c, lt, rt))
        return good(vt_singleton(false));
    return good(vt_simple(VK_BOOL));
}

/* ---- attributes ------------------------------------------------------------ */

/* The declared attribute of an entity or record type, if any. */
static const vattr *attr_of(tc *t, const vtype *ty, pc_str name)
{
    if (ty->kind == VK_RECORD)
        return vt_attr(ty, name);
    if (ty->kind == VK_ENTITY)
        return vt_attr(vs_entity_attrs(t->c, ty->entity), name);
    return NULL;
}

/* Might a value of this type have an undeclared attribute of that name? */
static bool may_have(tc *t, const vtype *ty, pc_str name)
{
    switch ((vkind)ty->kind) {
    case VK_RECORD: return ty->open || vt_attr(ty, name);
    case VK_ENTITY: return vs_entity_open(t->c, ty->entity) || attr_of(t, ty, name);
    case VK_ANY_ENTITY:
    case VK_NEVER: return true;
    default: return false;
    }
}

/*
** e has a: a required attribute of a record is always there; one of an
** entity is there only if the entity exists, so it is True only when an
** earlier `has` proved it. Either way, true grants the capability (e, a).
*/
static tres has_rule(tc *t, const pc_expr *e, caps prior)
{
    const pc_expr *obj = e->u.attr.obj;
    pc_str name = e->u.attr.name;
    tres r = expect_object(t, obj, prior, S_HAS);
    if (!r.ty)
        return bad(vt_simple(VK_BOOL));
    const vattr *va = attr_of(t, r.ty, name);
    if (!va)
        return finish(good(may_have(t, r.ty, name) ? vt_simple(VK_BOOL) : vt_singleton(false)),
                      r.ok);
    bool known = has_attr_cap(prior, obj, name) ||
                 (va->required && r.ty->kind == VK_RECORD);
    caps granted = caps_one(t, (cap){obj, name, NULL});
    return finish(good_caps(known ? vt_singleton(true) : vt_simple(VK_BOOL), granted), r.ok);
}

/*
** How a message names `obj.name`: "`a.b` in context for Action::"view"",
** "`a` on entity type `User`" or just "`a.b`".
*/
static const char *access_str(tc *t, const pc_expr *obj, const vtype *obj_ty, pc_str name)
{
    pc_str path[PC_MAX_EXPR_DEPTH + 1];   /* obj's attribute names, nearest the access first */
    uint32_t n = 0;
    const pc_expr *base = obj;
    if (obj_ty->kind != VK_ENTITY)
        for (; base->kind == PC_E_GETATTR && n < PC_MAX_EXPR_DEPTH; base = base->u.attr.obj)
            path[n++] = base->u.attr.name;
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_putc(&b, '`');
    while (n > 0) {
        n--;
        pc_buf_printf(&b, "%.*s.", (int)path[n].len, path[n].ptr);
    }
    pc_buf_printf(&b, "%.*s`", (int)name.len, name.ptr);
    if (obj_ty->kind == VK_ENTITY)
        pc_buf_printf(&b, " on entity type `%.*s`", (int)obj_ty->entity.len, obj_ty->entity.ptr);
    else if (base->kind == PC_E_VAR && base->u.var == PC_VAR_CONTEXT)
        pc_buf_printf(&b, " in context for %s", vc_uid_str(t->c, &t->env->action->decl->uid));
    char *s = b.oom ? NULL : pc_arena_strdup(t->a, b.data);
    pc_buf_free(&b);
    if (!s)
        t->c->oom = true;
    return s ? s : "";
}

/* e.a: the attribute must be declared, and required or guarded by `has`. */
static tres getattr_rule(tc *t, const pc_expr *e, caps prior)
{
    const pc_expr *obj = e->u.attr.obj;
    pc_str name = e->u.attr.name;
    tres r = expect_object(t, obj, prior, S_PLAIN);
    if (!r.ty)
        return bad(NULL);
    const vattr *va = attr_of(t, r.ty, name);
    if (!va) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_ATTR_NOT_FOUND, "attribute %s not found%s",
                  access_str(t, obj, r.ty, name),
                  may_have(t, r.ty, name) ? " (it may exist, but the validator cannot "
                                            "guarantee that it does)"
                                          : "");
        return bad(NULL);
    }
    if (va->required || has_attr_cap(prior, obj, name))
        return finish(good(va->type), r.ok);
    vc_report(t->c, t->p, e->offset, false, PC_VK_UNSAFE_OPTIONAL,
              "unable to guarantee safety of access to optional attribute %s; test for it "
              "first with `has`", access_str(t, obj, r.ty, name));
    return bad(va->type);
}

/* ---- tags ------------------------------------------------------------------ */

/* Can an entity of this type carry tags at all? */
static bool may_have_tags(tc *t, const vtype *ty)
{
    if (ty->kind == VK_ENTITY) {
        const vent *ent = vs_entity(t->c, ty->entity);
        return ent && ent->tags;
    }
    for (uint32_t i = 0; i < t->c->n_ents; i++)
        if (t->c->ents[i].tags)
            return true;
    return false;
}

/*
** The type of a tag of an entity of this type (the caller checked that it
** may have tags): the declared one; for "any entity" (an unlinked slot) the
** join of all declared tag types, NULL (reported) when they do not join.
*/
static const vtype *tag_type(tc *t, const pc_expr *at, const vtype *ty)
{
    if (ty->kind == VK_ENTITY)
        return vs_entity(t->c, ty->entity)->tags;
    const vtype *all = NULL;
    for (uint32_t i = 0; i < t->c->n_ents; i++) {
        const vtype *tg = t->c->ents[i].tags;
        if (tg && all && !(all = join(t, at, all, tg, "tag types for a `.getTag()` operation")))
            return NULL;
        if (tg && !all)
            all = tg;
    }
    return all;
}

static tres has_tag_rule(tc *t, const pc_expr *e, caps prior)
{
    const pc_expr *obj = e->u.call.args[0], *tag = e->u.call.args[1];
    tres x = expect(t, obj, prior, &any_entity, S_PLAIN);
    tres k = expect(t, tag, prior, vt_simple(VK_STRING), S_PLAIN);
    if (!x.ty)
        return bad(NULL);
    const vtype *ty;
    if (!may_have_tags(t, x.ty))
        ty = vt_singleton(false);
    else
        ty = has_tag_cap(prior, obj, tag) ? vt_singleton(true) : vt_simple(VK_BOOL);
    return finish(good_caps(ty, caps_one(t, (cap){obj, PC_STR_NULL, tag})), x.ok && k.ok);
}

static tres get_tag_rule(tc *t, const pc_expr *e, caps prior)
{
    const pc_expr *obj = e->u.call.args[0], *tag = e->u.call.args[1];
    tres x = expect(t, obj, prior, &any_entity, S_PLAIN);
    tres k = expect(t, tag, prior, vt_simple(VK_STRING), S_PLAIN);
    if (!x.ty)
        return bad(NULL);
    const char *on = x.ty->kind == VK_ENTITY ? vc_type_str(t->c, x.ty) : "this entity";
    if (!has_tag_cap(prior, obj, tag)) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_UNSAFE_TAG,
                  "unable to guarantee safety of access to a tag of %s; test for it first with "
                  "`.hasTag(...)`", on);
        return bad(NULL);
    }
    if (!may_have_tags(t, x.ty)) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_NO_TAGS,
                  "`.getTag()` is not allowed on entities of type %s because no `tags` were "
                  "declared on the entity type in the schema", on);
        return bad(NULL);
    }
    const vtype *ty = tag_type(t, e, x.ty);
    return ty ? finish(good(ty), x.ok && k.ok) : bad(NULL);
}

/* ---- sets, records, strings, types ------------------------------------------ */

/* Set literals are homogeneous (one strict LUB) and, in strict mode, never empty. */
static tres set_rule(tc *t, const pc_expr *e, caps prior)
{
    uint32_t n = e->u.list.n;
    bool ok = true, typed = true;
    const vtype *lub = vt_simple(VK_NEVER);
    for (uint32_t i = 0; i < n; i++) {
        tres r = check(t, e->u.list.items[i], prior);
        ok = ok && r.ok;
        if (!r.ty)
            typed = false;
        else if (typed && lub)
            lub = join(t, e, lub, r.ty, "elements of a set");
    }
    if (n == 0) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_EMPTY_SET,
                  "empty set literals are forbidden in policies (their element type is unknown)");
        return bad(NULL);
    }
    if (!typed || !lub)
        return bad(NULL);
    const vtype *ty = vt_set(t->a, lub);
    if (!ty)
        t->c->oom = true;
    return ty ? finish(good(ty), ok) : bad(NULL);
}

static tres record_rule(tc *t, const pc_expr *e, caps prior)
{
    uint32_t n = e->u.rec.n;
    const vtype **types = n ? pc_arena_alloc(t->a, n * sizeof *types) : NULL;
    if (n && !types) {
        t->c->oom = true;
        return bad(NULL);
    }
    bool ok = true, typed = true;
    for (uint32_t i = 0; i < n; i++) {
        tres r = check(t, e->u.rec.vals[i], prior);
        ok = ok && r.ok;
        typed = typed && r.ty;
        types[i] = r.ty;
    }
    if (!typed)
        return bad(NULL);
    const vtype *ty = vt_record(t->a, e->u.rec.keys, types, n);
    if (!ty)
        t->c->oom = true;
    return ty ? finish(good(ty), ok) : bad(NULL);
}

static tres like_rule(tc *t, const pc_expr *e, caps prior)
{
    tres r = expect(t, e->u.like.obj, prior, vt_simple(VK_STRING), S_LIKE);
    return finish(good(vt_simple(VK_BOOL)), r.ok);
}

/* e is T: decided by e's entity type; `e is T in x` is `e is T && e in x`. */
static tres is_rule(tc *t, const pc_expr *e, caps prior)
{
    if (e->u.is.in) {
        pc_expr is = *e, in = *e;
        is.u.is.in = NULL;
        in.kind = PC_E_IN;
        in.u.op.a = e->u.is.obj;
        in.u.op.b = e->u.is.in;
        in.u.op.c = NULL;
        return and_rule(t, &is, &in, prior);
    }
    tres r = expect(t, e->u.is.obj, prior, &any_entity, S_IS);
    if (is_kind(r.ty, VK_ENTITY))
        return finish(good(vt_singleton(pc_str_eq(r.ty->entity, e->u.is.type))), r.ok);
    if (is_kind(r.ty, VK_ANY_ENTITY))
        return finish(good(vt_simple(VK_BOOL)), r.ok);
    return bad(vt_simple(VK_BOOL));
}

/* ---- calls ----------------------------------------------------------------- */

static tres contains_rule(tc *t, const pc_expr *e, caps prior)
{
    const pc_expr *set = e->u.call.args[0], *x = e->u.call.args[1];
    tres s = expect(t, set, prior, vt_simple(VK_SET), S_RECEIVER);
    tres r = check(t, x, prior);
    const vtype *elem = s.ty && s.ty->kind == VK_SET ? s.ty->elem : NULL;
    if (elem && r.ty &&
        !join(t, e, elem, r.ty,
              "elements of the first operand and the second operand to a `contains` expression"))
        return bad(vt_simple(VK_BOOL));
    return finish(good(vt_simple(VK_BOOL)), s.ok && r.ok);
}

static tres contains_all_any_rule(tc *t, const pc_expr *e, caps prior)
{
    tres s = expect(t, e->u.call.args[0], prior, vt_simple(VK_SET), S_RECEIVER);
    tres r = expect(t, e->u.call.args[1], prior, vt_simple(VK_SET), S_SET_ARG);
    if (s.ty && r.ty &&
        !join(t, e, s.ty, r.ty,
              "elements of both set operands to a `containsAll` or `containsAny` expression"))
        return bad(vt_simple(VK_BOOL));
    return finish(good(vt_simple(VK_BOOL)), s.ok && r.ok);
}

static tres is_empty_rule(tc *t, const pc_expr *e, caps prior)
{
    tres s = expect(t, e->u.call.args[0], prior, vt_simple(VK_SET), S_IS_EMPTY);
    return finish(good(vt_simple(VK_BOOL)), s.ok);
}

/* The validator's view of an extension function: argument and result types. */
typedef struct sig {
    uint8_t ret;        /* vkind */
    uint8_t n;
    uint8_t args[2];    /* vkind */
    bool ctor;          /* a constructor: its string literal is checked now */
} sig;

static const sig sigs[PC_FN_COUNT_] = {
    [PC_FN_DECIMAL] = {VK_DECIMAL, 1, {VK_STRING}, true},
    [PC_FN_IP] = {VK_IPADDR, 1, {VK_STRING}, true},
    [PC_FN_DATETIME] = {VK_DATETIME, 1, {VK_STRING}, true},
    [PC_FN_DURATION] = {VK_DURATION, 1, {VK_STRING}, true},
    [PC_FN_LESS_THAN] = {VK_BOOL, 2, {VK_DECIMAL, VK_DECIMAL}, false},
    [PC_FN_LESS_THAN_OR_EQUAL] = {VK_BOOL, 2, {VK_DECIMAL, VK_DECIMAL}, false},
    [PC_FN_GREATER_THAN] = {VK_BOOL, 2, {VK_DECIMAL, VK_DECIMAL}, false},
    [PC_FN_GREATER_THAN_OR_EQUAL] = {VK_BOOL, 2, {VK_DECIMAL, VK_DECIMAL}, false},
    [PC_FN_IS_IPV4] = {VK_BOOL, 1, {VK_IPADDR}, false},
    [PC_FN_IS_IPV6] = {VK_BOOL, 1, {VK_IPADDR}, false},
    [PC_FN_IS_LOOPBACK] = {VK_BOOL, 1, {VK_IPADDR}, false},
    [PC_FN_IS_MULTICAST] = {VK_BOOL, 1, {VK_IPADDR}, false},
    [PC_FN_IS_IN_RANGE] = {VK_BOOL, 2, {VK_IPADDR, VK_IPADDR}, false},
    [PC_FN_OFFSET] = {VK_DATETIME, 2, {VK_DATETIME, VK_DURATION}, false},
    [PC_FN_DURATION_SINCE] = {VK_DURATION, 2, {VK_DATETIME, VK_DATETIME}, false},
    [PC_FN_TO_DATE] = {VK_DATETIME, 1, {VK_DATETIME}, false},
    [PC_FN_TO_TIME] = {VK_DURATION, 1, {VK_DATETIME}, false},
    [PC_FN_TO_DAYS] = {VK_LONG, 1, {VK_DURATION}, false},
    [PC_FN_TO_HOURS] = {VK_LONG, 1, {VK_DURATION}, false},
    [PC_FN_TO_MINUTES] = {VK_LONG, 1, {VK_DURATION}, false},
    [PC_FN_TO_SECONDS] = {VK_LONG, 1, {VK_DURATION}, false},
    [PC_FN_TO_MILLISECONDS] = {VK_LONG, 1, {VK_DURATION}, false},
};

/* Why a constructor's literal argument is malformed, or NULL when it is fine. */
static const char *ctor_problem(pc_fn fn, pc_str s)
{
    const char *why = NULL;
    int64_t v;
    pc_ipaddr ip;
    bool ok = fn == PC_FN_DECIMAL ? pc_decimal_parse(s.ptr, s.len, &v, &why)
            : fn == PC_FN_IP ? pc_ip_parse(s.ptr, s.len, &ip, &why)
            : fn == PC_FN_DATETIME ? pc_datetime_parse(s.ptr, s.len, &v, &why)
                                   : pc_duration_parse(s.ptr, s.len, &v, &why);
    return ok ? NULL : why ? why : "malformed";
}

/*
** Constructors must get a literal in strict mode, and a string literal is
** parsed now: ip("bad") is an error before any request arrives.
*/
static bool ctor_args_ok(tc *t, const pc_expr *e)
{
    const pc_fn_info *info = pc_fn_get(e->u.call.fn);
    bool ok = true;
    for (uint32_t i = 0; i < e->u.call.n; i++)
        ok = ok && e->u.call.args[i]->kind == PC_E_LIT;
    if (!ok) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_NON_LITERAL_EXT,
                  "extension constructors may not be called with non-literal expressions "
                  "(`%s` needs a string literal; build such values into entity or context data)",
                  info->name);
        return false;
    }
    const pc_value *arg = e->u.call.n == 1 ? &e->u.call.args[0]->u.lit : NULL;
    const char *why = arg && arg->type == PC_V_STRING ? ctor_problem(e->u.call.fn, arg->u.s) : NULL;
    if (why)
        vc_report(t->c, t->p, e->offset, false, PC_VK_BAD_EXT_ARGUMENT,
                  "error during extension function argument validation: failed to parse \"%.*s\" "
                  "as a %s value: %s", (int)arg->u.s.len, arg->u.s.ptr, info->name, why);
    return why == NULL;
}

static tres ext_rule(tc *t, const pc_expr *e, caps prior)
{
    const sig *s = &sigs[e->u.call.fn];
    const vtype *ret = vt_simple((vkind)s->ret);
    bool fine = true;
    if (e->u.call.n != s->n) {
        vc_report(t->c, t->p, e->offset, false, PC_VK_WRONG_ARITY,
                  "wrong number of arguments in extension function application: `%s` takes %u, "
                  "got %u", pc_fn_get(e->u.call.fn)->name, (unsigned)s->n, (unsigned)e->u.call.n);
        fine = false;
    }
    if (s->ctor)
        fine = ctor_args_ok(t, e) && fine;
    /* well-formed calls check argument types; the others still check inside them */
    bool typed = fine;
    for (uint32_t i = 0; i < e->u.call.n; i++) {
        const pc_expr *arg = e->u.call.args[i];
        tres r = typed ? expect(t, arg, prior, vt_simple((vkind)s->args[i]), S_PLAIN)
                       : check(t, arg, prior);
        fine = fine && r.ok;
    }
    return fine ? good(ret) : bad(ret);
}

/* Built-in methods: the parser checks their arity; a tree built otherwise is refused here. */
static bool builtin_arity_ok(tc *t, const pc_expr *e)
{
    const pc_fn_info *info = pc_fn_get(e->u.call.fn);
    if (!info->is_builtin || e->u.call.n == info->arity)
        return true;
    vc_report(t->c, t->p, e->offset, false, PC_VK_WRONG_ARITY,
              "wrong number of arguments: `%s` takes %u (counting the receiver), got %u",
              info->name, (unsigned)info->arity, (unsigned)e->u.call.n);
    return false;
}

static tres call_rule(tc *t, const pc_expr *e, caps prior)
{
    if (!builtin_arity_ok(t, e))
        return bad(NULL);
    switch ((pc_fn)e->u.call.fn) {
    case PC_FN_CONTAINS: return contains_rule(t, e, prior);
    case PC_FN_CONTAINS_ALL:
    case PC_FN_CONTAINS_ANY: return contains_all_any_rule(t, e, prior);
    case PC_FN_IS_EMPTY: return is_empty_rule(t, e, prior);
    case PC_FN_HAS_TAG: return has_tag_rule(t, e, prior);
    case PC_FN_GET_TAG: return get_tag_rule(t, e, prior);
    default: return ext_rule(t, e, prior);
    }
}

/* ---- dispatch -------------------------------------------------------------- */

static tres check(tc *t, const pc_expr *e, caps prior)
{
    switch ((pc_ekind)e->kind) {
    case PC_E_LIT: return literal(t, &e->u.lit);
    case PC_E_VAR: return variable(t, e->u.var);
    case PC_E_SLOT: return slot(t, e->u.slot);
    case PC_E_NOT: {
        tres r = expect_bool(t, e->u.op.a, prior);
        return r.ty ? negate(r) : bad(vt_simple(VK_BOOL));
    }
    case PC_E_NEG: {
        tres r = expect(t, e->u.op.a, prior, vt_simple(VK_LONG), S_PLAIN);
        return finish(good(vt_simple(VK_LONG)), r.ok);
    }
    case PC_E_AND: return and_rule(t, e->u.op.a, e->u.op.b, prior);
    case PC_E_OR: return or_rule(t, e->u.op.a, e->u.op.b, prior);
    case PC_E_IF: return if_rule(t, e, prior);
    case PC_E_EQ: return eq_rule(t, e, e->u.op.a, e->u.op.b, prior);
    case PC_E_NE: return negate(eq_rule(t, e, e->u.op.a, e->u.op.b, prior));
    case PC_E_LT:
    case PC_E_LE: return cmp_rule(t, e->u.op.a, e->u.op.b, prior);
    case PC_E_GT:
    case PC_E_GE: return cmp_rule(t, e->u.op.b, e->u.op.a, prior);
    case PC_E_ADD:
    case PC_E_SUB:
    case PC_E_MUL: return arith_rule(t, e, prior);
    case PC_E_IN: return in_rule(t, e->u.op.a, e->u.op.b, prior);
    case PC_E_HAS: return has_rule(t, e, prior);
    case PC_E_GETATTR: return getattr_rule(t, e, prior);
    case PC_E_LIKE: return like_rule(t, e, prior);
    case PC_E_IS: return is_rule(t, e, prior);
    case PC_E_SET: return set_rule(t, e, prior);
    case PC_E_RECORD: return record_rule(t, e, prior);
    case PC_E_CALL: return call_rule(t, e, prior);
    }
    return bad(NULL);
}

bool tc_condition(vctx *c, const pc_policy *p, const pc_expr *cond, const venv *env)
{
    tc t = {.c = c, .p = p, .env = env, .a = &c->scratch};
    t.principal = vt_entity(t.a, env->principal);
    t.resource = vt_entity(t.a, env->resource);
    t.action = vt_entity(t.a, env->action->decl->uid.type);
    if (!t.principal || !t.resource || !t.action) {
        c->oom = true;
        return false;
    }
    tres r = expect_bool(&t, cond, (caps){0, NULL});
    return is_kind(r.ty, VK_FALSE);
}
