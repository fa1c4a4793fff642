/*
** validate/names.c — the checks that need names but no types.
**
**   - every entity type written in a policy (uid literals, `is` types, the
**     scope) must be declared, or be an action type;
**   - every action uid must be a declared action;
**   - a uid of an enumerated entity type must use one of its declared ids;
**   - the scope must admit at least one (principal type, action, resource
**     type) the schema allows, else no request can ever reach the policy
**     ("unable to find an applicable action given the policy scope
**     constraints"). This is an error, as in cedar 4.10 to 4.12 and in the
**     conformance corpus; cedar 4.13 made it a warning.
** These run once per policy, not per request environment, and regardless of
** short-circuiting: `false && Unknown::"x" == principal` is still an error.
*/
#include "validate_internal.h"

/* ---- names --------------------------------------------------------------- */

static void check_type(vctx *c, const pc_policy *p, pc_str type, uint32_t off)
{
    if (!vs_known_entity_type(c, type))
        vc_report(c, p, off, false, PC_VK_UNKNOWN_ENTITY_TYPE,
                  "unrecognized entity type `%.*s`: the schema declares no such entity type",
                  (int)type.len, type.ptr);
}

static bool enum_has(const pc_entity_decl *d, pc_str id)
{
    for (uint32_t i = 0; i < d->n_enum; i++)
        if (pc_str_eq(d->enum_ids[i], id))
            return true;
    return false;
}

static void check_uid(vctx *c, const pc_policy *p, const pc_uid *u, uint32_t off)
{
    check_type(c, p, u->type, off);
    if (vs_is_action_type(u->type)) {
        if (!vs_action(c, u))
            vc_report(c, p, off, false, PC_VK_UNKNOWN_ACTION,
                      "unrecognized action `%s`: the schema declares no such action",
                      vc_uid_str(c, u));
        return;
    }
    const vent *e = vs_entity(c, u->type);
    if (e && e->decl->is_enum && !enum_has(e->decl, u->id))
        vc_report(c, p, off, false, PC_VK_INVALID_ENUM_ENTITY,
                  "entity `%s` is of an enumerated entity type, but its id is not one the "
                  "schema declares for `%.*s`", vc_uid_str(c, u), (int)u->type.len, u->type.ptr);
}

static void walk(vctx *c, const pc_policy *p, const pc_expr *e)
{
    switch ((pc_ekind)e->kind) {
    case PC_E_LIT:
        if (e->u.lit.type == PC_V_ENTITY)
            check_uid(c, p, e->u.lit.u.uid, e->offset);
        return;
    case PC_E_VAR:
    case PC_E_SLOT:
        return;
    case PC_E_HAS:
    case PC_E_GETATTR:
        walk(c, p, e->u.attr.obj);
        return;
    case PC_E_LIKE:
        walk(c, p, e->u.like.obj);
        return;
    case PC_E_IS:
        check_type(c, p, e->u.is.type, e->offset);
        walk(c, p, e->u.is.obj);
        if (e->u.is.in)
            walk(c, p, e->u.is.in);
        return;
    case PC_E_SET:
        for (uint32_t i = 0; i < e->u.list.n; i++)
            walk(c, p, e->u.list.items[i]);
        return;
    case PC_E_RECORD:
        for (uint32_t i = 0; i < e->u.rec.n; i++)
            walk(c, p, e->u.rec.vals[i]);
        return;
    case PC_E_CALL:
        for (uint32_t i = 0; i < e->u.call.n; i++)
            walk(c, p, e->u.call.args[i]);
        return;
    default: {
        const pc_expr *kids[] = {e->u.op.a, e->u.op.b, e->u.op.c};
        for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
            if (kids[i])
                walk(c, p, kids[i]);
        return;
    }
    }
}

static void check_scope(vctx *c, const pc_policy *p, const pc_scope *s)
{
    if (s->op == PC_SCOPE_IS || s->op == PC_SCOPE_IS_IN)
        check_type(c, p, s->is_type, s->offset);
    if (s->uid)
        check_uid(c, p, s->uid, s->offset);
    for (uint32_t i = 0; s->op == PC_SCOPE_IN_SET && i < s->n; i++)
        check_uid(c, p, s->uids[i], s->offset);
}

void nm_check_names(vctx *c, const pc_policy *p)
{
    check_scope(c, p, &p->principal);
    check_scope(c, p, &p->action);
    check_scope(c, p, &p->resource);
    for (uint32_t i = 0; i < p->n_conds; i++)
        walk(c, p, p->conds[i].expr);
}

/* ---- applicability -------------------------------------------------------- */

/* Does a principal/resource scope admit an entity of this (declared) type? */
static bool scope_admits(const vctx *c, const pc_scope *s, pc_str type)
{
    switch ((pc_scope_op)s->op) {
    case PC_SCOPE_EQ:
        return !s->uid || pc_str_eq(type, s->uid->type);
    case PC_SCOPE_IN:
        return !s->uid || vs_type_in(c, type, s->uid->type);
    case PC_SCOPE_IS:
        return pc_str_eq(type, s->is_type) && vs_known_entity_type(c, s->is_type);
    case PC_SCOPE_IS_IN:
        if (!s->uid)
            return pc_str_eq(type, s->is_type) && vs_known_entity_type(c, s->is_type);
        return pc_str_eq(type, s->is_type) && vs_type_in(c, type, s->uid->type);
    default:
        return true;
    }
}

/* Does the action scope admit this action? A group naming an unknown action admits none. */
static bool action_admits(const vctx *c, const pc_scope *s, const vact *a)
{
    if (s->op == PC_SCOPE_ANY)
        return true;
    if (s->op == PC_SCOPE_EQ)
        return vs_action(c, s->uid) == a;
    const pc_uid *const *uids = s->op == PC_SCOPE_IN_SET ? s->uids : &s->uid;
    uint32_t n = s->op == PC_SCOPE_IN_SET ? s->n : 1;
    bool admitted = false;
    for (uint32_t i = 0; i < n; i++) {
        const vact *g = vs_action(c, uids[i]);
        if (!g)
            return false;
        admitted = admitted || vs_action_in(c, a, g);
    }
    return admitted;
}

static bool any_admitted(const vctx *c, const pc_scope *s, const pc_str *types, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (scope_admits(c, s, types[i]))
            return true;
    return false;
}

/*
** Would `in` instead of `==` admit something? True when no admitted action
** applies to the written type itself but one applies to a type below it.
*/
static bool in_would_fix(const vctx *c, const pc_policy *p, bool principal)
{
    const pc_scope *s = principal ? &p->principal : &p->resource;
    if (s->op != PC_SCOPE_EQ || !s->uid)
        return false;
    bool exact = false, below = false;
    for (uint32_t i = 0; i < c->n_acts; i++) {
        const pc_action_decl *d = c->acts[i].decl;
        if (!action_admits(c, &p->action, &c->acts[i]))
            continue;
        const pc_str *types = principal ? d->principals : d->resources;
        uint32_t n = principal ? d->n_principals : d->n_resources;
        for (uint32_t j = 0; j < n; j++) {
            exact = exact || pc_str_eq(types[j], s->uid->type);
            below = below || vs_type_in(c, types[j], s->uid->type);
        }
    }
    return !exact && below;
}

void nm_check_application(vctx *c, const pc_policy *p)
{
    for (uint32_t i = 0; i < c->n_acts; i++) {
        const pc_action_decl *d = c->acts[i].decl;
        if (d->applies && action_admits(c, &p->action, &c->acts[i]) &&
            any_admitted(c, &p->principal, d->principals, d->n_principals) &&
            any_admitted(c, &p->resource, d->resources, d->n_resources))
            return;
    }
    bool fix_p = in_would_fix(c, p, true), fix_r = in_would_fix(c, p, false);
    vc_report(c, p, p->offset, false, PC_VK_ACTION_APPLICATION,
              "unable to find an applicable action given the policy scope constraints: no "
              "action the scope allows applies to a principal and a resource it allows%s%s%s",
              fix_p || fix_r ? "; try replacing `==` with `in` in the " : "",
              fix_p ? (fix_r ? "principal clause and the resource clause" : "principal clause")
                    : "",
              fix_r && !fix_p ? "resource clause" : "");
}

/* ---- linked policies ---------------------------------------------------- */

void nm_check_link(vctx *c, const pc_policy *p)
{
    const pc_policy *t = p->template_of;
    if (t->has_principal_slot && p->principal.uid)
        check_type(c, p, p->principal.uid->type, p->principal.offset);
    if (t->has_resource_slot && p->resource.uid)
        check_type(c, p, p->resource.uid->type, p->resource.offset);
    nm_check_application(c, p);
}
