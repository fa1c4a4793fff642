/*
** lang/print.c — policies and expressions back to Cedar text.
**
** Design: print for the machine first. Every compound expression is wrapped
** in parentheses, so the output never depends on precedence and re-parses to
** the same tree (print -> parse -> print is a fixed point, which the unit
** tests check over the whole corpus). Three details make that exact:
**   - a negative integer literal prints as `-5` (in parentheses where it is
**     an operand), which the parser folds back into one literal, while the
**     negation of a literal prints as `-(5)`, which it does not fold;
**   - attribute names in `has` and `[...]` and record keys are always
**     written as string literals, so reserved words and odd characters need
**     no special care;
**   - in a `like` pattern a literal star is written `\*` and a wildcard `*`.
** Printing walks the tree recursively; parsed trees are at most
** PC_MAX_EXPR_DEPTH high, so the stack use is bounded.
*/
#include "ast.h"

#include <string.h>

static bool print_string(pc_buf *b, pc_str s)
{
    pc_buf_putc(b, '"');
    pc_buf_cedar_escape(b, s.ptr, s.len);
    return pc_buf_putc(b, '"');
}

/* Leaves that print as one token and never need parentheses around them. */
static bool is_atom(const pc_expr *e)
{
    switch (e->kind) {
    case PC_E_LIT:
        return e->u.lit.type != PC_V_LONG || e->u.lit.u.l >= 0;
    case PC_E_VAR:
    case PC_E_SLOT:
    case PC_E_SET:
    case PC_E_RECORD:
        return true;
    default:
        return false;
    }
}

static bool print_lit(pc_buf *b, const pc_value *v)
{
    switch (v->type) {
    case PC_V_BOOL:
        return pc_buf_puts(b, v->u.b ? "true" : "false");
    case PC_V_LONG:
        /* negative literals are parenthesised by the caller */
        return pc_buf_printf(b, "%lld", (long long)v->u.l);
    case PC_V_STRING:
        return print_string(b, v->u.s);
    case PC_V_ENTITY:
        return pc_uid_print(b, v->u.uid);
    default:
        /* the parser makes only the four literal kinds above */
        return pc_value_print(b, v);
    }
}

static const char *const var_words[] = {"principal", "action", "resource", "context"};

/* The infix spelling of a binary operator, or NULL. */
static const char *infix(pc_ekind k)
{
    switch (k) {
    case PC_E_AND: return "&&";
    case PC_E_OR: return "||";
    case PC_E_EQ: return "==";
    case PC_E_NE: return "!=";
    case PC_E_LT: return "<";
    case PC_E_LE: return "<=";
    case PC_E_GT: return ">";
    case PC_E_GE: return ">=";
    case PC_E_ADD: return "+";
    case PC_E_SUB: return "-";
    case PC_E_MUL: return "*";
    case PC_E_IN: return "in";
    default: return NULL;
    }
}

static bool print_expr(pc_buf *b, const pc_expr *e);

/* An operand: atoms as they are, anything else in parentheses. */
static bool print_operand(pc_buf *b, const pc_expr *e)
{
    if (is_atom(e))
        return print_expr(b, e);
    pc_buf_putc(b, '(');
    print_expr(b, e);
    return pc_buf_putc(b, ')');
}

/* Elements separated by ", ", each printed as a full expression. */
static void print_exprs(pc_buf *b, pc_expr *const *items, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            pc_buf_puts(b, ", ");
        print_expr(b, items[i]);
    }
}

static bool print_record(pc_buf *b, const pc_expr *e)
{
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < e->u.rec.n; i++) {
        if (i)
            pc_buf_puts(b, ", ");
        print_string(b, e->u.rec.keys[i]);
        pc_buf_puts(b, ": ");
        print_expr(b, e->u.rec.vals[i]);
    }
    return pc_buf_putc(b, '}');
}

/* One pattern part: Cedar escapes, with each literal star written `\*`. */
static void print_pattern_part(pc_buf *b, pc_str part)
{
    const char *s = part.ptr, *end = part.ptr + part.len;
    while (s < end) {
        const char *star = memchr(s, '*', (size_t)(end - s));
        const char *stop = star ? star : end;
        pc_buf_cedar_escape(b, s, (size_t)(stop - s));
        if (!star)
            return;
        pc_buf_puts(b, "\\*");
        s = star + 1;
    }
}

static bool print_pattern(pc_buf *b, const pc_pattern *pat)
{
    pc_buf_putc(b, '"');
    if (pat->star_first)
        pc_buf_putc(b, '*');
    for (uint32_t i = 0; i < pat->n; i++) {
        if (i)
            pc_buf_putc(b, '*');
        print_pattern_part(b, pat->parts[i]);
    }
    if (pat->n > 0 && pat->star_last)
        pc_buf_putc(b, '*');
    return pc_buf_putc(b, '"');
}

static bool print_call(pc_buf *b, const pc_expr *e)
{
    const pc_fn_info *info = pc_fn_get(e->u.call.fn);
    pc_expr *const *args = e->u.call.args;
    uint32_t n = e->u.call.n;
    if (info->is_method && n > 0) {
        print_operand(b, args[0]);
        pc_buf_putc(b, '.');
        args++;
        n--;
    }
    pc_buf_puts(b, info->name);
    pc_buf_putc(b, '(');
    print_exprs(b, args, n);
    return pc_buf_putc(b, ')');
}

static bool print_is(pc_buf *b, const pc_expr *e)
{
    print_operand(b, e->u.is.obj);
    pc_buf_puts(b, " is ");
    pc_buf_append(b, e->u.is.type.ptr, e->u.is.type.len);
    if (e->u.is.in) {
        pc_buf_puts(b, " in ");
        print_operand(b, e->u.is.in);
    }
    return !b->oom;
}

/* The kinds with a keyword or postfix syntax (everything but infix operators). */
static bool print_special(pc_buf *b, const pc_expr *e)
{
    switch (e->kind) {
    case PC_E_LIT: return print_lit(b, &e->u.lit);
    case PC_E_VAR: return pc_buf_puts(b, var_words[e->u.var]);
    case PC_E_SLOT:
        return pc_buf_puts(b, e->u.slot == PC_SLOT_PRINCIPAL ? "?principal" : "?resource");
    case PC_E_NOT:
        pc_buf_putc(b, '!');
        return print_operand(b, e->u.op.a);
    case PC_E_NEG:
        /* always parenthesised, so the parser cannot fold '-' into a literal operand */
        pc_buf_puts(b, "-(");
        print_expr(b, e->u.op.a);
        return pc_buf_putc(b, ')');
    case PC_E_IF:
        pc_buf_puts(b, "if ");
        print_expr(b, e->u.op.a);
        pc_buf_puts(b, " then ");
        print_expr(b, e->u.op.b);
        pc_buf_puts(b, " else ");
        return print_expr(b, e->u.op.c);
    case PC_E_HAS:
        print_operand(b, e->u.attr.obj);
        pc_buf_puts(b, " has ");
        return print_string(b, e->u.attr.name);
    case PC_E_GETATTR:
        print_operand(b, e->u.attr.obj);
        pc_buf_putc(b, '[');
        print_string(b, e->u.attr.name);
        return pc_buf_putc(b, ']');
    case PC_E_LIKE:
        print_operand(b, e->u.like.obj);
        pc_buf_puts(b, " like ");
        return print_pattern(b, e->u.like.pat);
    case PC_E_IS: return print_is(b, e);
    case PC_E_SET:
        pc_buf_putc(b, '[');
        print_exprs(b, e->u.list.items, e->u.list.n);
        return pc_buf_putc(b, ']');
    case PC_E_RECORD: return print_record(b, e);
    case PC_E_CALL: return print_call(b, e);
    default:
        return pc_buf_printf(b, "<unknown expression kind %u>", (unsigned)e->kind);
    }
}

static bool print_expr(pc_buf *b, const pc_expr *e)
{
    const char *op = infix((pc_ekind)e->kind);
    if (!op)
        return print_special(b, e);
    print_operand(b, e->u.op.a);
    pc_buf_printf(b, " %s ", op);
    return print_operand(b, e->u.op.b);
}

bool pc_expr_print(pc_buf *b, const pc_expr *e)
{
    return print_operand(b, e);
}

static void print_scope_uid(pc_buf *b, const pc_scope *s, const char *slot)
{
    if (s->slot)
        pc_buf_puts(b, slot);
    else
        pc_uid_print(b, s->uid);
}

/* One scope element: `principal`, `principal == E`, `principal is T in E`, ... */
static void print_scope(pc_buf *b, const char *var, const pc_scope *s, const char *slot)
{
    pc_buf_puts(b, var);
    if (s->op == PC_SCOPE_IS || s->op == PC_SCOPE_IS_IN) {
        pc_buf_puts(b, " is ");
        pc_buf_append(b, s->is_type.ptr, s->is_type.len);
    }
    switch (s->op) {
    case PC_SCOPE_EQ:
        pc_buf_puts(b, " == ");
        print_scope_uid(b, s, slot);
        break;
    case PC_SCOPE_IN:
    case PC_SCOPE_IS_IN:
        pc_buf_puts(b, " in ");
        print_scope_uid(b, s, slot);
        break;
    case PC_SCOPE_IN_SET:
        pc_buf_puts(b, " in [");
        for (uint32_t i = 0; i < s->n; i++) {
            if (i)
                pc_buf_puts(b, ", ");
            pc_uid_print(b, s->uids[i]);
        }
        pc_buf_putc(b, ']');
        break;
    default:
        break;
    }
}

static void print_annotation(pc_buf *b, const pc_annotation *an)
{
    pc_buf_putc(b, '@');
    pc_buf_append(b, an->key.ptr, an->key.len);
    if (an->has_value) {
        pc_buf_putc(b, '(');
        print_string(b, an->value);
        pc_buf_putc(b, ')');
    }
    pc_buf_putc(b, '\n');
}

bool pc_policy_print(pc_buf *b, const pc_policy *p)
{
    for (uint32_t i = 0; i < p->n_annos; i++)
        print_annotation(b, &p->annos[i]);
    pc_buf_puts(b, p->forbid ? "forbid (\n    " : "permit (\n    ");
    print_scope(b, "principal", &p->principal, "?principal");
    pc_buf_puts(b, ",\n    ");
    print_scope(b, "action", &p->action, "?action");
    pc_buf_puts(b, ",\n    ");
    print_scope(b, "resource", &p->resource, "?resource");
    pc_buf_puts(b, "\n)");
    for (uint32_t i = 0; i < p->n_conds; i++) {
        pc_buf_puts(b, p->conds[i].unless ? "\nunless { " : "\nwhen { ");
        pc_expr_print(b, p->conds[i].expr);
        pc_buf_puts(b, " }");
    }
    return pc_buf_puts(b, ";\n");
}
