/*
** validate/validate.c — the driver of strict validation.
**
** For each policy (in input order):
**   1. the name checks and the applicability check (names.c);
**   2. the policy's condition is built the way the reference builds it,
**        ((principal-scope && action-scope) && resource-scope) && body
**      with body the when clauses and negated unless clauses joined by &&
**      (or `true`), so short-circuiting and capabilities flow through the
**      scope exactly as through any other `&&`;
**   3. the condition is typechecked in every request environment: each
**      action of the schema with each of its principal and resource types,
**      and for a template each entity type its slots could be linked to.
**      Environments the scope rules out type the condition as False, so
**      their body is not checked, as in the reference.
** A linked policy only gets the checks that depend on its slot values; its
** template carries the rest. Issues are deduplicated (one expression is
** usually checked in many environments) and sorted by position.
*/
#include <stdlib.h>
#include <string.h>

#include "validate_internal.h"

/* ---- issues ---------------------------------------------------------------- */

static bool same_issue(const pc_vissue *v, const pc_policy *p, uint32_t off, bool warning,
                       const char *kind, const char *msg)
{
    return v->policy == p && v->offset == off && v->warning == warning &&
           strcmp(v->kind, kind) == 0 && strcmp(v->message, msg) == 0;
}

static bool push_issue(pc_vresult *r, pc_vissue v)
{
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        pc_vissue *items = realloc(r->items, cap * sizeof *items);
        if (!items)
            return false;
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n++] = v;
    if (v.warning)
        r->n_warnings++;
    else
        r->n_errors++;
    return true;
}

void vc_report(vctx *c, const pc_policy *p, uint32_t offset, bool warning, const char *kind,
               const char *fmt, ...)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "for policy `%.*s`, ", (int)p->id.len, p->id.ptr);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *msg = pc_buf_take(&b);
    if (!msg) {
        c->oom = true;
        return;
    }
    for (uint32_t i = c->policy_first; i < c->out->n; i++) {
        if (same_issue(&c->out->items[i], p, offset, warning, kind, msg)) {
            free(msg);
            return;
        }
    }
    if (!push_issue(c->out, (pc_vissue){p, offset, warning, kind, msg})) {
        free(msg);
        c->oom = true;
    }
}

/* Print into the scratch arena; messages copy the text before it is reset. */
static const char *scratch_text(vctx *c, pc_buf *b)
{
    char *s = b->oom ? NULL : pc_arena_strdup(&c->scratch, b->data ? b->data : "");
    pc_buf_free(b);
    if (!s)
        c->oom = true;
    return s ? s : "";
}

const char *vc_uid_str(vctx *c, const pc_uid *u)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_uid_print(&b, u);
    return scratch_text(c, &b);
}

const char *vc_type_str(vctx *c, const vtype *t)
{
    pc_buf b;
    pc_buf_init(&b);
    vt_print(&b, t);
    return scratch_text(c, &b);
}

static int issue_cmp(const void *x, const void *y)
{
    const pc_vissue *a = x, *b = y;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    if (a->warning != b->warning)
        return a->warning ? 1 : -1;
    int k = strcmp(a->kind, b->kind);
    return k ? k : strcmp(a->message, b->message);
}

void pc_vresult_free(pc_vresult *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++)
        free(r->items[i].message);
    free(r->items);
    memset(r, 0, sizeof *r);
}

char *pc_vissue_format(const pc_vissue *v)
{
    const pc_policy *p = v->policy;
    pc_diag d;
    pc_diag_init(&d);
    pc_diag_at(&d, PC_ERR_VALIDATE, p->src_name, p->src, p->src_len, v->offset, "%s[%s]: %s",
               v->warning ? "warning" : "error", v->kind, v->message);
    return d.msg;
}

/* ---- the condition --------------------------------------------------------- */

static pc_expr *node(vctx *c, pc_arena *a, pc_ekind kind, uint32_t offset, pc_expr *x,
                     pc_expr *y)
{
    pc_expr *e = pc_arena_zalloc(a, sizeof *e);
    if (!e) {
        c->oom = true;
        return NULL;
    }
    e->kind = (uint8_t)kind;
    e->offset = offset;
    e->u.op.a = x;
    e->u.op.b = y;
    uint16_t hx = x ? x->height : 0, hy = y ? y->height : 0;
    e->height = (uint16_t)(1 + (hx > hy ? hx : hy));
    return e;
}

static pc_expr *literal(vctx *c, pc_arena *a, uint32_t offset, pc_value v)
{
    pc_expr *e = node(c, a, PC_E_LIT, offset, NULL, NULL);
    if (e)
        e->u.lit = v;
    return e;
}

/* Two sides of a binary node; NULL (out of memory) propagates. */
static pc_expr *binary(vctx *c, pc_arena *a, pc_ekind kind, uint32_t offset, pc_expr *x,
                       pc_expr *y)
{
    return x && y ? node(c, a, kind, offset, x, y) : NULL;
}

/* principal == X, principal in X, principal is T, principal is T in X, or true. */
static pc_expr *pr_scope(vctx *c, pc_arena *a, const pc_scope *s, pc_var var, pc_slot slot)
{
    uint32_t off = s->offset;
    if (s->op == PC_SCOPE_ANY)
        return literal(c, a, off, pc_v_bool(true));
    pc_expr *v = node(c, a, PC_E_VAR, off, NULL, NULL), *target = NULL;
    if (v)
        v->u.var = var;
    if (s->op != PC_SCOPE_IS) {
        target = s->uid ? literal(c, a, off, pc_v_entity(s->uid)) : node(c, a, PC_E_SLOT, off, NULL, NULL);
        if (!target)
            return NULL;
        if (!s->uid)
            target->u.slot = slot;
    }
    if (s->op == PC_SCOPE_EQ || s->op == PC_SCOPE_IN)
        return binary(c, a, s->op == PC_SCOPE_EQ ? PC_E_EQ : PC_E_IN, off, v, target);
    pc_expr *is = v ? node(c, a, PC_E_IS, off, NULL, NULL) : NULL;
    if (is) {
        is->u.is.obj = v;
        is->u.is.type = s->is_type;
        is->u.is.in = target;   /* `is T in X` typechecks as `is T && in X` */
    }
    return is;
}

/* action == A, or action in [A, ...] (a single `in A` is a one-element list too). */
static pc_expr *action_scope(vctx *c, pc_arena *a, const pc_scope *s)
{
    uint32_t off = s->offset;
    if (s->op == PC_SCOPE_ANY)
        return literal(c, a, off, pc_v_bool(true));
    pc_expr *v = node(c, a, PC_E_VAR, off, NULL, NULL);
    if (v)
        v->u.var = PC_VAR_ACTION;
    if (s->op == PC_SCOPE_EQ)
        return binary(c, a, PC_E_EQ, off, v, literal(c, a, off, pc_v_entity(s->uid)));
    const pc_uid *const *uids = s->op == PC_SCOPE_IN_SET ? s->uids : &s->uid;
    uint32_t n = s->op == PC_SCOPE_IN_SET ? s->n : 1;
    pc_expr *set = node(c, a, PC_E_SET, off, NULL, NULL);
    pc_expr **items = n ? pc_arena_alloc(a, n * sizeof *items) : NULL;
    if (!set || (n && !items)) {
        c->oom = true;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!(items[i] = literal(c, a, off, pc_v_entity(uids[i]))))
            return NULL;
    set->u.list.n = n;
    set->u.list.items = items;
    set->height = 2;
    return binary(c, a, PC_E_IN, off, v, set);
}

/* when { a } unless { b } ...  becomes  a && !b && ...  (or true). */
static pc_expr *body(vctx *c, pc_arena *a, const pc_policy *p)
{
    pc_expr *acc = NULL;
    for (uint32_t i = 0; i < p->n_conds; i++) {
        const pc_condition *k = &p->conds[i];
        pc_expr *e = k->expr;
        if (k->unless)
            e = node(c, a, PC_E_NOT, e->offset, e, NULL);
        acc = !e ? NULL : acc ? binary(c, a, PC_E_AND, acc->offset, acc, e) : e;
        if (!acc)
            return NULL;
    }
    return acc ? acc : literal(c, a, p->offset, pc_v_bool(true));
}

static pc_expr *condition(vctx *c, pc_arena *a, const pc_policy *p)
{
    pc_expr *pa = binary(c, a, PC_E_AND, p->offset,
                         pr_scope(c, a, &p->principal, PC_VAR_PRINCIPAL, PC_SLOT_PRINCIPAL),
                         action_scope(c, a, &p->action));
    pc_expr *par = binary(c, a, PC_E_AND, p->offset, pa,
                          pr_scope(c, a, &p->resource, PC_VAR_RESOURCE, PC_SLOT_RESOURCE));
    return binary(c, a, PC_E_AND, p->offset, par, body(c, a, p));
}

/* ---- environments ----------------------------------------------------------- */

/*
** The entity types a slot may be linked to when its variable has type var:
** var itself for `== ?slot`, var or any type var can be in for `in ?slot`.
** A policy without the slot gets one "unbound" entry.
*/
static uint32_t slot_links(const vctx *c, const pc_scope *s, bool has_slot, pc_str var,
                           pc_str *out)
{
    out[0] = has_slot ? var : PC_STR_NULL;
    if (!has_slot || s->op == PC_SCOPE_EQ)
        return 1;
    bool below = s->op == PC_SCOPE_IN || s->op == PC_SCOPE_IS_IN;
    uint32_t n = below ? 1 : 0;
    for (uint32_t i = 0; i < c->n_ents; i++) {
        pc_str e = c->ents[i].name;
        if (!below || (!pc_str_eq(e, var) && vs_type_in(c, var, e)))
            out[n++] = e;
    }
    return n;
}

typedef struct typing {
    vctx *c;
    const pc_policy *p;
    const pc_expr *cond;
    pc_str *plinks, *rlinks;   /* room for n_ents + 1 each */
    bool all_false;
} typing;

static void check_env(typing *t, const vact *a, pc_str principal, pc_str resource)
{
    uint32_t np = slot_links(t->c, &t->p->principal, t->p->has_principal_slot, principal,
                             t->plinks);
    uint32_t nr = slot_links(t->c, &t->p->resource, t->p->has_resource_slot, resource,
                             t->rlinks);
    for (uint32_t i = 0; i < np; i++) {
        for (uint32_t j = 0; j < nr; j++) {
            venv env = {principal, resource, a, t->plinks[i], t->rlinks[j]};
            pc_arena_reset(&t->c->scratch);
            if (!tc_condition(t->c, t->p, t->cond, &env))
                t->all_false = false;
        }
    }
}

static void check_types(vctx *c, const pc_policy *p, pc_arena *pol)
{
    typing t = {c, p, condition(c, pol, p), NULL, NULL, true};
    t.plinks = pc_arena_alloc(pol, (c->n_ents + 1) * sizeof *t.plinks);
    t.rlinks = pc_arena_alloc(pol, (c->n_ents + 1) * sizeof *t.rlinks);
    if (!t.cond || !t.plinks || !t.rlinks) {
        c->oom = true;
        return;
    }
    for (uint32_t i = 0; i < c->n_acts && !c->oom; i++) {
        const pc_action_decl *d = c->acts[i].decl;
        for (uint32_t pi = 0; d->applies && pi < d->n_principals; pi++)
            for (uint32_t ri = 0; ri < d->n_resources; ri++)
                check_env(&t, &c->acts[i], d->principals[pi], d->resources[ri]);
    }
    if (t.all_false)
        vc_report(c, p, p->offset, true, PC_VK_IMPOSSIBLE,
                  "policy is impossible: the policy expression evaluates to false for all "
                  "valid requests");
}

/* ---- the entry point ---------------------------------------------------------- */

static void check_policy(vctx *c, const pc_policy *p, pc_arena *pol)
{
    c->policy_first = c->out->n;
    if (p->template_of) {
        nm_check_link(c, p);
    } else {
        nm_check_names(c, p);
        nm_check_application(c, p);
        pc_arena_reset(pol);
        check_types(c, p, pol);
    }
    uint32_t n = c->out->n - c->policy_first;
    if (n > 1)
        qsort(c->out->items + c->policy_first, n, sizeof *c->out->items, issue_cmp);
}

pc_status pc_validate(const pc_schema *schema, const pc_policy *const *policies, uint32_t n,
                      pc_vresult *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!schema)
        return pc_diag_set(d, PC_ERR_INVALID, "validation needs a schema");
    vctx c = {.out = out};
    pc_arena pol;
    pc_arena_init(&pol, 16 * 1024, 0);
    c.oom = !vs_init(&c, schema);
    for (uint32_t i = 0; i < n && !c.oom; i++)
        check_policy(&c, policies[i], &pol);
    pc_arena_free(&pol);
    vs_free(&c);
    if (c.oom) {
        pc_vresult_free(out);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory while validating policies");
    }
    return PC_OK;
}
