/*
** eval/eval.c — the Cedar expression evaluator.
**
** A direct tree walk: eval() dispatches on the node kind to one small
** function per family of operators. Every intermediate value (sets, records,
** extension results, messages) comes from the request arena, so evaluating
** never calls malloc on the success path and nothing is freed by hand.
**
** Errors are values. A failing function stores a message in the context and
** returns false; callers return false at once, so the first error wins and
** reaches pc_eval_expr unchanged. Messages name the operator and the types or
** names involved ("type error: `&&` expects bool, got long"). They are
** built in the request arena, uids and names included (pc_uid_text,
** pc_escape_text), so even an erroring policy costs no heap allocation.
**
** Entity lookups and `in` go through the decision's memo (eval_internal.h),
** so the request's entities are found once per decision, not once per use.
**
** The semantics are the reference's (cedar-policy-core's evaluator and the
** Lean spec's Evaluator.lean), case by case:
**   - && and || evaluate the left operand first and short-circuit; every
**     operand actually evaluated must be a bool;
**   - all other operators evaluate every operand, left to right, before
**     checking types, so an error inside an operand wins over a type error
**     of the operator itself;
**   - == and != are structural and never fail;
**   - < <= > >= take two longs, two datetimes or two durations (decimal
**     compares through its methods only); + - * and unary - are checked
**     64-bit arithmetic;
**   - an entity absent from the store has no attributes, tags or ancestors:
**     reading an attribute or a tag fails, `has` and hasTag are false, `in`
**     is plain equality.
*/
#include "eval_internal.h"

#include <inttypes.h>
#include <string.h>

const char pc_eval_nomem[] = "out of memory: the request arena is exhausted";

/*
** Recursion guard. The parser bounds nesting at PC_MAX_EXPR_DEPTH, and its
** desugaring (`has a.b.c`, `is T in e`) adds only a few levels, so a tree
** twice that deep was not built by the parser; refuse it before the C stack
** runs out.
*/
#define EVAL_MAX_DEPTH (2 * PC_MAX_EXPR_DEPTH)

typedef struct ctx {
    const pc_eval_env *env;
    pc_arena *arena;
    const char *err;   /* set whenever a function returns false */
} ctx;

static bool eval(ctx *c, const pc_expr *e, unsigned depth, pc_value *out);

/* ---- error messages --------------------------------------------------- */

static bool nomem(ctx *c)
{
    c->err = pc_eval_nomem;
    return false;
}

static bool fail(ctx *c, const char *fmt, ...) PC_PRINTF(2, 3);
static bool fail(ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = pc_arena_vprintf(c->arena, fmt, ap);
    va_end(ap);
    c->err = m ? m : pc_eval_nomem;
    return false;
}

static bool type_error(ctx *c, const char *op, const char *expected, const pc_value *got)
{
    return fail(c, "type error: `%s` expects %s, got %s", op, expected,
                pc_vtype_name((pc_vtype)got->type));
}

/* Succeed when v has type t; otherwise a type error naming operator op. */
static bool want(ctx *c, const char *op, const pc_value *v, pc_vtype t)
{
    return v->type == t || type_error(c, op, pc_vtype_name(t), v);
}

static bool no_entity(ctx *c, const pc_uid *uid)
{
    const char *u = pc_uid_text(c->arena, uid);
    return u ? fail(c, "entity %s does not exist", u) : nomem(c);
}

/* kind is "attribute" or "tag"; owner is NULL for a record. */
static bool no_key(ctx *c, const char *kind, pc_str key, const pc_uid *owner)
{
    const char *k = pc_escape_text(c->arena, key);
    const char *u = owner ? pc_uid_text(c->arena, owner) : "";
    if (!k || !u)
        return nomem(c);
    return fail(c, "%s `%s` not found %s%s", kind, k, owner ? "on entity " : "in record", u);
}

/* The operator as written, for messages. */
static const char *op_name(uint8_t kind)
{
    static const char *const names[] = {
        [PC_E_NOT] = "!",   [PC_E_NEG] = "-",    [PC_E_AND] = "&&", [PC_E_OR] = "||",
        [PC_E_EQ] = "==",   [PC_E_NE] = "!=",    [PC_E_LT] = "<",   [PC_E_LE] = "<=",
        [PC_E_GT] = ">",    [PC_E_GE] = ">=",    [PC_E_ADD] = "+",  [PC_E_SUB] = "-",
        [PC_E_MUL] = "*",   [PC_E_IN] = "in",    [PC_E_IF] = "if",  [PC_E_HAS] = "has",
        [PC_E_GETATTR] = ".", [PC_E_LIKE] = "like", [PC_E_IS] = "is",
    };
    const char *n = kind < sizeof names / sizeof names[0] ? names[kind] : NULL;
    return n ? n : "?";
}

/* ---- entities through the memo ------------------------------------------ */

/*
** Up to this many ancestors, `in` scans them: cheaper than the store's way,
** which hashes both uids, probes, and binary-searches the ancestor hashes.
*/
#define SCAN_ANCESTORS 8

static void remember(pc_eval_memo *m, const pc_uid *uid, const pc_entity *e)
{
    if (m->n < PC_EVAL_MEMO_SLOTS) {
        m->uid[m->n] = uid;
        m->entity[m->n++] = e;
    }
}

const pc_entity *pc_eval_entity(const pc_eval_env *env, const pc_uid *uid)
{
    pc_eval_memo *m = env->memo;
    if (!m)
        return pc_entities_get(env->entities, uid);
    for (uint32_t i = 0; i < m->n; i++)
        if (m->uid[i] == uid)
            return m->entity[i];
    const pc_entity *e = pc_entities_get(env->entities, uid);
    remember(m, uid, e);
    return e;
}

void pc_eval_start(pc_eval_env *env, pc_eval_memo *memo, pc_eval_request *local,
                   const pc_eval_request *req, const pc_entities *entities, pc_arena *arena)
{
    memo->n = 0;
    *local = *req;
    *env = (pc_eval_env){local, entities, arena, NULL, memo};
    const pc_uid **uids[] = {&local->principal, &local->action, &local->resource};
    for (size_t i = 0; i < sizeof uids / sizeof uids[0]; i++) {
        const pc_entity *e = pc_entities_get(entities, *uids[i]);
        if (e)
            *uids[i] = e->uid;   /* equal in value: the lookup compared them */
        remember(memo, *uids[i], e);
    }
}

/*
** The store answers `a in b` as: a == b, or b among the ancestors of a's
** entity (none when a is not in the store). The same, from the memo.
*/
bool pc_eval_in(const pc_eval_env *env, const pc_uid *a, const pc_uid *b)
{
    if (pc_uid_eq(a, b))
        return true;
    const pc_entity *e = pc_eval_entity(env, a);
    if (!e)
        return false;
    if (e->n_ancestors > SCAN_ANCESTORS)
        return pc_entities_in(env->entities, a, b);
    for (uint32_t i = 0; i < e->n_ancestors; i++)
        if (pc_uid_eq(e->ancestors[i], b))
            return true;
    return false;
}

/* ---- leaves ------------------------------------------------------------ */

static pc_value var_value(const ctx *c, pc_var v)
{
    const pc_eval_request *r = c->env->req;
    switch (v) {
    case PC_VAR_PRINCIPAL: return pc_v_entity(r->principal);
    case PC_VAR_ACTION: return pc_v_entity(r->action);
    case PC_VAR_RESOURCE: return pc_v_entity(r->resource);
    case PC_VAR_CONTEXT: break;
    }
    return r->context;
}

/* A template slot takes the uid its policy was linked with. */
static bool slot_value(ctx *c, pc_slot s, pc_value *out)
{
    const pc_policy *p = c->env->policy;
    bool principal = s == PC_SLOT_PRINCIPAL;
    const pc_uid *u = !p ? NULL : principal ? p->principal.uid : p->resource.uid;
    if (!u)
        return fail(c, "template slot ?%s is not linked", principal ? "principal" : "resource");
    *out = pc_v_entity(u);
    return true;
}

/* ---- boolean and unary operators ------------------------------------- */

static bool eval_bool(ctx *c, const char *op, const pc_expr *e, unsigned depth, bool *out)
{
    pc_value v;
    if (!eval(c, e, depth, &v) || !want(c, op, &v, PC_V_BOOL))
        return false;
    *out = v.u.b;
    return true;
}

/* && and ||: the right operand runs only when the left does not decide. */
static bool eval_logic(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    bool is_and = e->kind == PC_E_AND;
    const char *op = op_name(e->kind);
    bool b;
    if (!eval_bool(c, op, e->u.op.a, depth, &b))
        return false;
    if (b == is_and && !eval_bool(c, op, e->u.op.b, depth, &b))
        return false;
    *out = pc_v_bool(b);
    return true;
}

static bool eval_if(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    bool b;
    if (!eval_bool(c, "if", e->u.op.a, depth, &b))
        return false;
    return eval(c, b ? e->u.op.b : e->u.op.c, depth, out);
}

static bool eval_unary(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value v;
    if (!eval(c, e->u.op.a, depth, &v))
        return false;
    if (e->kind == PC_E_NOT) {
        if (!want(c, "!", &v, PC_V_BOOL))
            return false;
        *out = pc_v_bool(!v.u.b);
        return true;
    }
    if (!want(c, "-", &v, PC_V_LONG))
        return false;
    if (v.u.l == INT64_MIN)
        return fail(c, "integer overflow in `-`: -(%" PRId64 ")", v.u.l);
    *out = pc_v_long(-v.u.l);
    return true;
}

/* ---- binary operators ------------------------------------------------- */

/* Checked int64 arithmetic; false on overflow. */
static bool arith(uint8_t kind, int64_t x, int64_t y, int64_t *r)
{
    switch (kind) {
    case PC_E_ADD:
        if ((y > 0 && x > INT64_MAX - y) || (y < 0 && x < INT64_MIN - y))
            return false;
        *r = x + y;
        return true;
    case PC_E_SUB:
        if ((y < 0 && x > INT64_MAX + y) || (y > 0 && x < INT64_MIN + y))
            return false;
        *r = x - y;
        return true;
    default:
        break;
    }
    /* multiplication: compare against the bound divided by one factor */
    if (x != 0 && y != 0) {
        bool ovf = x > 0 ? (y > 0 ? x > INT64_MAX / y : y < INT64_MIN / x)
                         : (y > 0 ? x < INT64_MIN / y : y < INT64_MAX / x);
        if (ovf)
            return false;
    }
    *r = x * y;
    return true;
}

static bool eval_arith(ctx *c, uint8_t kind, const pc_value *a, const pc_value *b,
                       pc_value *out)
{
    const char *op = op_name(kind);
    int64_t r;
    if (!want(c, op, a, PC_V_LONG) || !want(c, op, b, PC_V_LONG))
        return false;
    if (!arith(kind, a->u.l, b->u.l, &r))
        return fail(c, "integer overflow in `%s`: %" PRId64 " %s %" PRId64, op, a->u.l, op,
                    b->u.l);
    *out = pc_v_long(r);
    return true;
}

/* The types the comparison operators accept (each only against itself). */
static bool comparable(uint8_t t)
{
    return t == PC_V_LONG || t == PC_V_DATETIME || t == PC_V_DURATION;
}

static bool eval_compare(ctx *c, uint8_t kind, const pc_value *a, const pc_value *b,
                         pc_value *out)
{
    const char *op = op_name(kind);
    if (!comparable(a->type)) {
        if (a->type == PC_V_DECIMAL)
            return fail(c, "type error: `%s` expects long, datetime or duration, got decimal "
                        "(compare decimals with lessThan, greaterThan and the like)", op);
        return type_error(c, op, "long, datetime or duration", a);
    }
    if (!want(c, op, b, (pc_vtype)a->type))
        return false;
    int64_t x = a->u.l, y = b->u.l;   /* longs, datetimes and durations are all int64 */
    bool r = kind == PC_E_LT ? x < y : kind == PC_E_LE ? x <= y : kind == PC_E_GT ? x > y : x >= y;
    *out = pc_v_bool(r);
    return true;
}

/* `a in b` on values: b an entity, or a set whose elements are all entities. */
static bool in_values(ctx *c, const pc_value *a, const pc_value *b, pc_value *out)
{
    if (a->type != PC_V_ENTITY) {
        if (b->type == PC_V_SET)
            return fail(c, "type error: `in` expects entity, got %s (`in` is for the entity "
                        "hierarchy; use `.contains()` to test set membership)",
                        pc_vtype_name((pc_vtype)a->type));
        return type_error(c, "in", "entity", a);
    }
    if (b->type == PC_V_ENTITY) {
        *out = pc_v_bool(pc_eval_in(c->env, a->u.uid, b->u.uid));
        return true;
    }
    if (b->type != PC_V_SET)
        return type_error(c, "in", "entity or set of entities", b);
    const pc_set *s = b->u.set;
    /* every element is checked before any is tested, as the reference does */
    for (uint32_t i = 0; i < s->n; i++)
        if (s->items[i].type != PC_V_ENTITY)
            return fail(c, "type error: `in` expects a set of entities, but the set holds a %s",
                        pc_vtype_name((pc_vtype)s->items[i].type));
    bool r = false;
    for (uint32_t i = 0; i < s->n && !r; i++)
        r = pc_eval_in(c->env, a->u.uid, s->items[i].u.uid);
    *out = pc_v_bool(r);
    return true;
}

static bool eval_binary(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value a, b;
    if (!eval(c, e->u.op.a, depth, &a) || !eval(c, e->u.op.b, depth, &b))
        return false;
    switch (e->kind) {
    case PC_E_EQ:
    case PC_E_NE:
        *out = pc_v_bool(pc_value_eq(&a, &b) == (e->kind == PC_E_EQ));
        return true;
    case PC_E_IN:
        return in_values(c, &a, &b, out);
    case PC_E_ADD:
    case PC_E_SUB:
    case PC_E_MUL:
        return eval_arith(c, e->kind, &a, &b, out);
    default:
        return eval_compare(c, e->kind, &a, &b, out);
    }
}

/* ---- attributes, patterns, types ------------------------------------- */

/*
** The attributes `has` and `.` look in: a record's fields or an entity's
** attributes. *rec is NULL for an entity missing from the store.
*/
static bool attrs_of(ctx *c, const char *op, const pc_value *v, const pc_record **rec)
{
    if (v->type == PC_V_RECORD) {
        *rec = v->u.rec;
        return true;
    }
    if (v->type != PC_V_ENTITY)
        return type_error(c, op, "entity or record", v);
    const pc_entity *ent = pc_eval_entity(c->env, v->u.uid);
    *rec = ent ? ent->attrs : NULL;
    return true;
}

static bool eval_attr(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value obj;
    const pc_record *rec = NULL;
    const char *op = op_name(e->kind);
    if (!eval(c, e->u.attr.obj, depth, &obj) || !attrs_of(c, op, &obj, &rec))
        return false;
    const pc_value *v = rec ? pc_record_get(rec, e->u.attr.name) : NULL;
    if (e->kind == PC_E_HAS) {
        *out = pc_v_bool(v != NULL);
        return true;
    }
    const pc_uid *owner = obj.type == PC_V_ENTITY ? obj.u.uid : NULL;
    if (!rec)
        return no_entity(c, owner);
    if (!v)
        return no_key(c, "attribute", e->u.attr.name, owner);
    *out = *v;
    return true;
}

static bool eval_like(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value v;
    if (!eval(c, e->u.like.obj, depth, &v) || !want(c, "like", &v, PC_V_STRING))
        return false;
    *out = pc_v_bool(pc_pattern_match(e->u.like.pat, v.u.s));
    return true;
}

/* `e is T in x` means `e is T && e in x`: x runs only when the type matches. */
static bool eval_is(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value v, rhs;
    if (!eval(c, e->u.is.obj, depth, &v) || !want(c, "is", &v, PC_V_ENTITY))
        return false;
    bool match = pc_str_eq(v.u.uid->type, e->u.is.type);
    if (!match || !e->u.is.in) {
        *out = pc_v_bool(match);
        return true;
    }
    return eval(c, e->u.is.in, depth, &rhs) && in_values(c, &v, &rhs, out);
}

/* ---- literals of sets and records ------------------------------------ */

/* Evaluate n expressions left to right into a fresh arena array. */
static bool eval_list(ctx *c, pc_expr *const *items, uint32_t n, unsigned depth,
                      pc_value **out)
{
    pc_value *v = pc_arena_alloc(c->arena, (n ? n : 1) * sizeof *v);
    if (!v)
        return nomem(c);
    for (uint32_t i = 0; i < n; i++)
        if (!eval(c, items[i], depth, &v[i]))
            return false;
    *out = v;
    return true;
}

static bool eval_set(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_value *items;
    if (!eval_list(c, e->u.list.items, e->u.list.n, depth, &items))
        return false;
    const pc_set *s = pc_set_make(c->arena, items, e->u.list.n);
    if (!s)
        return nomem(c);
    *out = pc_v_set(s);
    return true;
}

static bool eval_record(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    uint32_t n = e->u.rec.n;
    pc_field *f = pc_arena_alloc(c->arena, (n ? n : 1) * sizeof *f);
    if (!f)
        return nomem(c);
    for (uint32_t i = 0; i < n; i++) {
        f[i].key = e->u.rec.keys[i];
        if (!eval(c, e->u.rec.vals[i], depth, &f[i].val))
            return false;
    }
    pc_str dup = PC_STR_NULL;
    const pc_record *r = pc_record_make(c->arena, f, n, &dup);
    if (r) {
        *out = pc_v_record(r);
        return true;
    }
    /* the parser rejects duplicate keys, so only a hand-built tree gets here */
    return dup.ptr ? fail(c, "record literal repeats the attribute `%.*s`", (int)dup.len, dup.ptr)
                   : nomem(c);
}

/* ---- calls ------------------------------------------------------------ */

static bool set_all_in(const pc_set *sub, const pc_set *super)
{
    for (uint32_t i = 0; i < sub->n; i++)
        if (!pc_set_contains(super, &sub->items[i]))
            return false;
    return true;
}

static bool set_any_in(const pc_set *a, const pc_set *b)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (pc_set_contains(b, &a->items[i]))
            return true;
    return false;
}

/* getTag / hasTag: the receiver is an entity, the tag name a string. */
static bool call_tag(ctx *c, pc_fn fn, const pc_value *args, pc_value *out)
{
    const char *name = pc_fn_get(fn)->name;
    if (!want(c, name, &args[0], PC_V_ENTITY) || !want(c, name, &args[1], PC_V_STRING))
        return false;
    const pc_uid *uid = args[0].u.uid;
    const pc_entity *ent = pc_eval_entity(c->env, uid);
    const pc_value *v = ent ? pc_record_get(ent->tags, args[1].u.s) : NULL;
    if (fn == PC_FN_HAS_TAG) {
        *out = pc_v_bool(v != NULL);
        return true;
    }
    if (!ent)
        return no_entity(c, uid);
    if (!v)
        return no_key(c, "tag", args[1].u.s, uid);
    *out = *v;
    return true;
}

/* The set methods: the receiver is a set, and so is the argument of containsAll/Any. */
static bool call_set(ctx *c, pc_fn fn, const pc_value *args, pc_value *out)
{
    const char *name = pc_fn_get(fn)->name;
    if (!want(c, name, &args[0], PC_V_SET))
        return false;
    const pc_set *s = args[0].u.set;
    if (fn == PC_FN_IS_EMPTY) {
        *out = pc_v_bool(s->n == 0);
        return true;
    }
    if (fn == PC_FN_CONTAINS) {
        *out = pc_v_bool(pc_set_contains(s, &args[1]));
        return true;
    }
    if (!want(c, name, &args[1], PC_V_SET))
        return false;
    const pc_set *t = args[1].u.set;
    *out = pc_v_bool(fn == PC_FN_CONTAINS_ALL ? set_all_in(t, s) : set_any_in(s, t));
    return true;
}

static bool eval_call(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    pc_fn fn = e->u.call.fn;
    uint32_t n = e->u.call.n;
    pc_value *args;
    if (!eval_list(c, e->u.call.args, n, depth, &args))
        return false;
    const pc_fn_info *info = pc_fn_get(fn);
    if (!info->is_builtin) {
        const char *msg = NULL;
        if (pc_ext_call(fn, c->arena, args, n, out, &msg))
            return true;
        c->err = msg ? msg : pc_eval_nomem;
        return false;
    }
    if (n != info->arity)
        return fail(c, "`%s` takes %u argument(s) counting the receiver, got %" PRIu32,
                    info->name, (unsigned)info->arity, n);
    if (fn == PC_FN_GET_TAG || fn == PC_FN_HAS_TAG)
        return call_tag(c, fn, args, out);
    return call_set(c, fn, args, out);
}

/* ---- dispatch --------------------------------------------------------- */

static bool dispatch(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    switch ((pc_ekind)e->kind) {
    case PC_E_LIT: *out = e->u.lit; return true;
    case PC_E_VAR: *out = var_value(c, e->u.var); return true;
    case PC_E_SLOT: return slot_value(c, e->u.slot, out);
    case PC_E_NOT:
    case PC_E_NEG: return eval_unary(c, e, depth, out);
    case PC_E_AND:
    case PC_E_OR: return eval_logic(c, e, depth, out);
    case PC_E_EQ:
    case PC_E_NE:
    case PC_E_LT:
    case PC_E_LE:
    case PC_E_GT:
    case PC_E_GE:
    case PC_E_ADD:
    case PC_E_SUB:
    case PC_E_MUL:
    case PC_E_IN: return eval_binary(c, e, depth, out);
    case PC_E_IF: return eval_if(c, e, depth, out);
    case PC_E_HAS:
    case PC_E_GETATTR: return eval_attr(c, e, depth, out);
    case PC_E_LIKE: return eval_like(c, e, depth, out);
    case PC_E_IS: return eval_is(c, e, depth, out);
    case PC_E_SET: return eval_set(c, e, depth, out);
    case PC_E_RECORD: return eval_record(c, e, depth, out);
    case PC_E_CALL: return eval_call(c, e, depth, out);
    }
    return fail(c, "internal error: unknown expression kind %u", (unsigned)e->kind);
}

static bool eval(ctx *c, const pc_expr *e, unsigned depth, pc_value *out)
{
    if (PC_UNLIKELY(depth >= EVAL_MAX_DEPTH))
        return fail(c, "expression nested deeper than %d levels", EVAL_MAX_DEPTH);
    return dispatch(c, e, depth + 1, out);
}

bool pc_eval_expr(const pc_eval_env *env, const pc_expr *e, pc_value *out, const char **err)
{
    ctx c = {env, env->arena, NULL};
    if (eval(&c, e, 0, out))
        return true;
    *err = c.err;
    return false;
}
