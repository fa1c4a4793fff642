/*
** lang/json_print.c — policies and expressions as Cedar's JSON policy
** format (the reference's EST), the inverse of json_policy.c.
**
** Design: one walk over the tree writing compact JSON into a pc_buf, with
** every expression key and operand member taken from the table the reader
** uses (pc_est_form_of), so the two directions cannot drift apart. What is
** printed reads back through json_policy.c to the identical tree (the unit
** tests check this over every policy of the conformance corpus):
**   - literals are {"Value": ...}, entities there as {"__entity": {"type",
**     "id"}}; a negative literal is a negative JSON integer, while negation
**     is its own form ({"neg": ...}), so `-5` and `-(5)` stay apart;
**   - set and record literals are always "Set" / "Record" forms: the
**     parsers build them as expressions, whatever their elements;
**   - a pattern writes each literal part once ({"Literal": "ab"}) and each
**     wildcard as "Wildcard";
**   - scope entities use the plain {"type", "id"} form, as the reference
**     prints them; an annotation written without a value prints as null;
**   - records and annotations keep the tree's order.
** The pc_buf's sticky oom flag carries allocation failure; the walkers'
** own false means "cannot be printed" (a literal kind no parser builds).
** Recursion follows the tree, at most PC_MAX_EXPR_DEPTH deep.
*/
#include <string.h>

#include "lang_internal.h"

static bool print_expr(pc_buf *b, const pc_expr *e);

/* ---- pieces ---------------------------------------------------------- */

static void put_str(pc_buf *b, pc_str s)
{
    pc_buf_json_string(b, s.ptr, s.len);
}

static void put_cstr(pc_buf *b, const char *s)
{
    pc_buf_json_string(b, s, strlen(s));
}

/* `"key":`, preceded by a comma unless it is the first member (*first). */
static void put_key(pc_buf *b, bool *first, const char *key)
{
    if (!*first)
        pc_buf_putc(b, ',');
    *first = false;
    put_cstr(b, key);
    pc_buf_putc(b, ':');
}

/* A comma before every element but the first. */
static void sep(pc_buf *b, bool *first)
{
    if (!*first)
        pc_buf_putc(b, ',');
    *first = false;
}

static bool put_uid(pc_buf *b, const pc_uid *u)
{
    if (!u)
        return false;
    pc_buf_puts(b, "{\"type\":");
    put_str(b, u->type);
    pc_buf_puts(b, ",\"id\":");
    put_str(b, u->id);
    pc_buf_putc(b, '}');
    return true;
}

/* ---- expressions ----------------------------------------------------- */

static bool print_lit(pc_buf *b, const pc_value *v)
{
    switch (v->type) {
    case PC_V_BOOL:
        pc_buf_puts(b, v->u.b ? "true" : "false");
        return true;
    case PC_V_LONG:
        pc_buf_printf(b, "%lld", (long long)v->u.l);
        return true;
    case PC_V_STRING:
        put_str(b, v->u.s);
        return true;
    case PC_V_ENTITY: {
        pc_buf_puts(b, "{\"__entity\":");
        bool ok = put_uid(b, v->u.uid);
        pc_buf_putc(b, '}');
        return ok;
    }
    default:
        return false;   /* sets, records and extension values are expressions in a parsed tree */
    }
}

/* [e, ...] */
static bool print_list(pc_buf *b, pc_expr *const *items, uint32_t n)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            pc_buf_putc(b, ',');
        if (!print_expr(b, items[i]))
            return false;
    }
    pc_buf_putc(b, ']');
    return true;
}

/* Operand i under the node's form: call arguments for built-in methods, else op.a/b/c. */
static const pc_expr *operand(const pc_expr *e, uint32_t i)
{
    if (e->kind == PC_E_CALL)
        return i < e->u.call.n ? e->u.call.args[i] : NULL;
    return i == 0 ? e->u.op.a : i == 1 ? e->u.op.b : e->u.op.c;
}

/* {"left": a, "right": b} and the like, member names from the form. */
static bool print_operands(pc_buf *b, const pc_expr *e, const char *const *fields)
{
    bool first = true;
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; fields[i]; i++) {
        const pc_expr *o = operand(e, i);
        put_key(b, &first, fields[i]);
        if (!o || !print_expr(b, o))
            return false;
    }
    pc_buf_putc(b, '}');
    return true;
}

static bool print_record(pc_buf *b, const pc_expr *e)
{
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < e->u.rec.n; i++) {
        if (i)
            pc_buf_putc(b, ',');
        put_str(b, e->u.rec.keys[i]);
        pc_buf_putc(b, ':');
        if (!print_expr(b, e->u.rec.vals[i]))
            return false;
    }
    pc_buf_putc(b, '}');
    return true;
}

/* [W] part0 W part1 ... [W], each wildcard "Wildcard" and each part {"Literal": ...}. */
static void print_pattern(pc_buf *b, const pc_pattern *pat)
{
    static const char wildcard[] = "\"Wildcard\"";
    bool first = true;
    pc_buf_putc(b, '[');
    if (pat->star_first) {
        sep(b, &first);
        pc_buf_puts(b, wildcard);
    }
    for (uint32_t i = 0; i < pat->n; i++) {
        if (i) {
            sep(b, &first);
            pc_buf_puts(b, wildcard);
        }
        sep(b, &first);
        pc_buf_puts(b, "{\"Literal\":");
        put_str(b, pat->parts[i]);
        pc_buf_putc(b, '}');
    }
    if (pat->n > 0 && pat->star_last) {
        sep(b, &first);
        pc_buf_puts(b, wildcard);
    }
    pc_buf_putc(b, ']');
}

/* The members after "left" for `.`, `has`, `like` and `is`. */
static bool print_left_and(pc_buf *b, const pc_expr *e, const pc_expr *left)
{
    bool first = true;
    pc_buf_putc(b, '{');
    put_key(b, &first, "left");
    if (!print_expr(b, left))
        return false;
    switch (e->kind) {
    case PC_E_LIKE:
        put_key(b, &first, "pattern");
        print_pattern(b, e->u.like.pat);
        break;
    case PC_E_IS:
        put_key(b, &first, "entity_type");
        put_str(b, e->u.is.type);
        if (e->u.is.in) {
            put_key(b, &first, "in");
            if (!print_expr(b, e->u.is.in))
                return false;
        }
        break;
    default:   /* PC_E_GETATTR, PC_E_HAS */
        put_key(b, &first, "attr");
        put_str(b, e->u.attr.name);
        break;
    }
    pc_buf_putc(b, '}');
    return true;
}

static const char *const var_names[] = {"principal", "action", "resource", "context"};

/* What follows the form's key. */
static bool print_body(pc_buf *b, const pc_est_form *f, const pc_expr *e)
{
    switch (f->shape) {
    case PC_EST_VALUE: return print_lit(b, &e->u.lit);
    case PC_EST_VAR:
        put_cstr(b, var_names[e->u.var]);
        return true;
    case PC_EST_SLOT:
        put_cstr(b, e->u.slot == PC_SLOT_PRINCIPAL ? PC_EST_SLOT_PRINCIPAL : PC_EST_SLOT_RESOURCE);
        return true;
    case PC_EST_ATTR: return print_left_and(b, e, e->u.attr.obj);
    case PC_EST_LIKE: return print_left_and(b, e, e->u.like.obj);
    case PC_EST_IS: return print_left_and(b, e, e->u.is.obj);
    case PC_EST_SET: return print_list(b, e->u.list.items, e->u.list.n);
    case PC_EST_RECORD: return print_record(b, e);
    default: return print_operands(b, e, f->fields);
    }
}

/* {KEY: body}, KEY a form's or, for an extension call, the function's name. */
static bool print_expr(pc_buf *b, const pc_expr *e)
{
    const pc_est_form *f = pc_est_form_of(e);
    bool ok;
    pc_buf_putc(b, '{');
    if (f) {
        put_cstr(b, f->key);
        pc_buf_putc(b, ':');
        ok = print_body(b, f, e);
    } else {   /* extension call: the receiver of a method is the first argument */
        put_cstr(b, pc_fn_get(e->u.call.fn)->name);
        pc_buf_putc(b, ':');
        ok = print_list(b, e->u.call.args, e->u.call.n);
    }
    pc_buf_putc(b, '}');
    return ok;
}

bool pc_expr_print_json(pc_buf *b, const pc_expr *e)
{
    return print_expr(b, e) && !b->oom;
}

/* ---- policies -------------------------------------------------------- */

/* {"entity": uid} members, or {"slot": "?principal"} in a template. */
static bool print_target(pc_buf *b, bool *first, const pc_scope *s, const char *slot)
{
    if (s->slot) {
        put_key(b, first, "slot");
        put_cstr(b, slot);
        return true;
    }
    put_key(b, first, "entity");
    return put_uid(b, s->uid);
}

static bool print_uid_array(pc_buf *b, const pc_uid *const *uids, uint32_t n)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            pc_buf_putc(b, ',');
        if (!put_uid(b, uids[i]))
            return false;
    }
    pc_buf_putc(b, ']');
    return true;
}

/* The scope operator's name in the format. */
static const char *scope_op_name(pc_scope_op op)
{
    switch (op) {
    case PC_SCOPE_ANY: return "All";
    case PC_SCOPE_EQ: return "==";
    case PC_SCOPE_IS:
    case PC_SCOPE_IS_IN: return "is";
    default: return "in";   /* PC_SCOPE_IN, PC_SCOPE_IN_SET */
    }
}

/* {"op": ..., ...} for one scope element; slot is its variable's slot name. */
static bool print_scope(pc_buf *b, const pc_scope *s, const char *slot)
{
    bool first = true, ok = true;
    pc_buf_putc(b, '{');
    put_key(b, &first, "op");
    put_cstr(b, scope_op_name((pc_scope_op)s->op));
    switch (s->op) {
    case PC_SCOPE_EQ:
    case PC_SCOPE_IN:
        ok = print_target(b, &first, s, slot);
        break;
    case PC_SCOPE_IS:
    case PC_SCOPE_IS_IN:
        put_key(b, &first, "entity_type");
        put_str(b, s->is_type);
        if (s->op == PC_SCOPE_IS_IN) {
            bool inner = true;
            put_key(b, &first, "in");
            pc_buf_putc(b, '{');
            ok = print_target(b, &inner, s, slot);
            pc_buf_putc(b, '}');
        }
        break;
    case PC_SCOPE_IN_SET:
        put_key(b, &first, "entities");
        ok = print_uid_array(b, s->uids, s->n);
        break;
    default:
        break;
    }
    pc_buf_putc(b, '}');
    return ok;
}

static bool print_conditions(pc_buf *b, const pc_policy *p)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < p->n_conds; i++) {
        if (i)
            pc_buf_putc(b, ',');
        pc_buf_puts(b, p->conds[i].unless ? "{\"kind\":\"unless\",\"body\":"
                                          : "{\"kind\":\"when\",\"body\":");
        if (!print_expr(b, p->conds[i].expr))
            return false;
        pc_buf_putc(b, '}');
    }
    pc_buf_putc(b, ']');
    return true;
}

static void print_annotations(pc_buf *b, const pc_policy *p)
{
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < p->n_annos; i++) {
        const pc_annotation *an = &p->annos[i];
        if (i)
            pc_buf_putc(b, ',');
        put_str(b, an->key);
        pc_buf_putc(b, ':');
        if (an->has_value)
            put_str(b, an->value);
        else
            pc_buf_puts(b, "null");
    }
    pc_buf_putc(b, '}');
}

static bool print_policy(pc_buf *b, const pc_policy *p)
{
    bool first = true;
    pc_buf_putc(b, '{');
    put_key(b, &first, "effect");
    put_cstr(b, p->forbid ? "forbid" : "permit");
    put_key(b, &first, "principal");
    if (!print_scope(b, &p->principal, PC_EST_SLOT_PRINCIPAL))
        return false;
    put_key(b, &first, "action");
    if (!print_scope(b, &p->action, "?action"))   /* parsers never put a slot there */
        return false;
    put_key(b, &first, "resource");
    if (!print_scope(b, &p->resource, PC_EST_SLOT_RESOURCE))
        return false;
    put_key(b, &first, "conditions");
    if (!print_conditions(b, p))
        return false;
    if (p->n_annos) {
        put_key(b, &first, "annotations");
        print_annotations(b, p);
    }
    pc_buf_putc(b, '}');
    return true;
}

bool pc_policy_print_json(pc_buf *b, const pc_policy *p)
{
    return print_policy(b, p) && !b->oom;
}

/* ---- policy sets ----------------------------------------------------- */

/* {id: policy, ...} for the unlinked policies that are (or are not) templates. */
static bool print_group(pc_buf *b, const pc_policy *const *ps, uint32_t n, bool templates)
{
    bool first = true;
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < n; i++) {
        const pc_policy *p = ps[i];
        if (p->template_of || p->is_template != templates)
            continue;
        sep(b, &first);
        put_str(b, p->id);
        pc_buf_putc(b, ':');
        if (!print_policy(b, p))
            return false;
    }
    pc_buf_putc(b, '}');
    return true;
}

/* {"templateId", "newId", "values"} for a linked policy: its slots' values. */
static bool print_link(pc_buf *b, const pc_policy *p)
{
    const pc_policy *t = p->template_of;
    bool first = true, ok = true;
    pc_buf_puts(b, "{\"templateId\":");
    put_str(b, t->id);
    pc_buf_puts(b, ",\"newId\":");
    put_str(b, p->id);
    pc_buf_puts(b, ",\"values\":{");
    if (t->has_principal_slot) {
        put_key(b, &first, PC_EST_SLOT_PRINCIPAL);
        ok = put_uid(b, p->principal.uid);
    }
    if (ok && t->has_resource_slot) {
        put_key(b, &first, PC_EST_SLOT_RESOURCE);
        ok = put_uid(b, p->resource.uid);
    }
    pc_buf_puts(b, "}}");
    return ok;
}

bool pc_policies_print_json(pc_buf *b, const pc_policy *const *ps, uint32_t n)
{
    pc_buf_puts(b, "{\"staticPolicies\":");
    if (!print_group(b, ps, n, false))
        return false;
    pc_buf_puts(b, ",\"templates\":");
    if (!print_group(b, ps, n, true))
        return false;
    pc_buf_puts(b, ",\"templateLinks\":[");
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        if (!ps[i]->template_of)
            continue;
        sep(b, &first);
        if (!print_link(b, ps[i]))
            return false;
    }
    pc_buf_puts(b, "]}");
    return !b->oom;
}
