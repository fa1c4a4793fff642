/*
** eval/authorize.c — matching scopes, evaluating policies, deciding requests.
**
** A policy is satisfied when its scope matches and every condition holds.
** The reference evaluates it as one conjunction,
**     principal-constraint && action-constraint && resource-constraint
**       && when-1 && !unless-1 && ...
** so a condition runs only when the scope and every earlier condition were
** true, and an error in a later condition is never seen otherwise. Scope
** constraints compare entity uids and cannot fail, so they are tested first
** and directly, without building expressions: a mismatch costs a few
** compares and, at most, one hash probe per constraint.
**
** The decision (Lean spec, Authorizer.lean): deny when any forbid is
** satisfied, with the satisfied forbids as reasons; otherwise allow when any
** permit is satisfied, with the satisfied permits as reasons; otherwise deny
** with no reasons. Every policy is evaluated, because the answer lists all
** policies that raised errors, and an erroring policy counts as not
** satisfied. All lists grow inside the request arena, so deciding never
** calls malloc once the arena is warm.
*/
#include "eval_internal.h"

#include <string.h>

/* ---- scopes ----------------------------------------------------------- */

/*
** One scope constraint against the request's uid. A slot that was never
** linked has no uid and matches nothing (templates are not decided).
*/
static bool scope_ok(const pc_eval_env *env, const pc_scope *s, const pc_uid *u)
{
    switch ((pc_scope_op)s->op) {
    case PC_SCOPE_ANY:
        return true;
    case PC_SCOPE_EQ:
        return s->uid && pc_uid_eq(u, s->uid);
    case PC_SCOPE_IN:
        return s->uid && pc_eval_in(env, u, s->uid);
    case PC_SCOPE_IS:
        return pc_str_eq(u->type, s->is_type);
    case PC_SCOPE_IS_IN:
        return pc_str_eq(u->type, s->is_type) && s->uid && pc_eval_in(env, u, s->uid);
    case PC_SCOPE_IN_SET:
        for (uint32_t i = 0; i < s->n; i++)
            if (pc_eval_in(env, u, s->uids[i]))
                return true;
        return false;
    }
    return false;
}

/*
** One side of the scope test; known: the index found the policy through
** this side, so its entity part holds and only the type test of `is T in E`
** is left. The sides cannot fail, so leaving one out changes nothing else.
*/
static bool side_ok(const pc_eval_env *env, const pc_scope *s, const pc_uid *u, bool known)
{
    if (known)
        return s->op != PC_SCOPE_IS_IN || pc_str_eq(u->type, s->is_type);
    return scope_ok(env, s, u);
}

/* The scope test, but for side `known` (PC_SIDES: none). */
static bool scope_matches_but(const pc_eval_env *env, const pc_policy *p, int known)
{
    const pc_eval_request *r = env->req;
    /* the action constraint first: in most policy sets it rejects the most */
    return side_ok(env, &p->action, r->action, known == PC_SIDE_ACTION) &&
           side_ok(env, &p->principal, r->principal, known == PC_SIDE_PRINCIPAL) &&
           side_ok(env, &p->resource, r->resource, known == PC_SIDE_RESOURCE);
}

bool pc_scope_matches(const pc_eval_env *env, const pc_policy *p)
{
    return scope_matches_but(env, p, PC_SIDES);
}

/* ---- one policy ------------------------------------------------------- */

static const char *condition_type_error(pc_arena *a, const pc_condition *cond,
                                        const pc_value *v)
{
    const char *m = pc_arena_printf(a, "type error: `%s` condition must be bool, got %s",
                                    cond->unless ? "unless" : "when",
                                    pc_vtype_name((pc_vtype)v->type));
    return m ? m : pc_eval_nomem;
}

/* pc_eval_policy, the scope constraint on side `known` taken as holding. */
static int eval_policy(const pc_eval_env *env, const pc_policy *p, int known, const char **err)
{
    if (!scope_matches_but(env, p, known))
        return 0;
    pc_eval_env local = *env;
    local.policy = p;   /* slots take this policy's linked uids */
    for (uint32_t i = 0; i < p->n_conds; i++) {
        const pc_condition *cond = &p->conds[i];
        pc_value v;
        if (!pc_eval_expr(&local, cond->expr, &v, err))
            return -1;
        if (v.type != PC_V_BOOL) {
            *err = condition_type_error(env->arena, cond, &v);
            return -1;
        }
        if (v.u.b == cond->unless)   /* when {false} or unless {true} */
            return 0;
    }
    return 1;
}

int pc_eval_policy(const pc_eval_env *env, const pc_policy *p, const char **err)
{
    return eval_policy(env, p, PC_SIDES, err);
}

/* ---- deciding a request ----------------------------------------------- */

/* An arena-backed growable array; growth copies, leaving the old copy as garbage. */
typedef struct list {
    void *items;
    uint32_t n, cap;
} list;

static bool list_push(pc_arena *a, list *l, const void *elem, size_t size)
{
    if (l->n == l->cap) {
        if (l->cap > UINT32_MAX / 2)
            return false;
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        void *items = pc_arena_alloc(a, (size_t)cap * size);
        if (!items)
            return false;
        if (l->n)
            memcpy(items, l->items, (size_t)l->n * size);
        l->items = items;
        l->cap = cap;
    }
    memcpy((char *)l->items + (size_t)l->n * size, elem, size);
    l->n++;
    return true;
}

static pc_status out_of_memory(pc_answer *out)
{
    memset(out, 0, sizeof *out);
    return PC_ERR_NOMEM;
}

pc_status pc_authorize_policies(const pc_policy *const *policies, uint32_t n,
                                const pc_eval_request *req, const pc_entities *entities,
                                pc_arena *arena, pc_answer *out)
{
    return pc_authorize_subset(policies, NULL, n, req, entities, arena, out);
}

pc_status pc_authorize_subset(const pc_policy *const *policies, const uint32_t *which, uint32_t n,
                              const pc_eval_request *req, const pc_entities *entities,
                              pc_arena *arena, pc_answer *out)
{
    pc_eval_memo memo;
    pc_eval_request local;
    pc_eval_env env;
    pc_eval_start(&env, &memo, &local, req, entities, arena);
    return pc_decide(&env, policies, which, n, NULL, out);
}

pc_status pc_decide(const pc_eval_env *env, const pc_policy *const *policies,
                    const uint32_t *which, uint32_t n, const uint8_t *known, pc_answer *out)
{
    pc_arena *arena = env->arena;
    list permits = {0}, forbids = {0}, errors = {0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pos = which ? which[i] : i;
        const pc_policy *p = policies[pos];
        const char *msg = NULL;
        int r = eval_policy(env, p, known ? known[pos] : PC_SIDES, &msg);
        bool ok = true;
        if (r < 0) {
            if (msg == pc_eval_nomem)
                return out_of_memory(out);
            pc_policy_error pe = {p, msg};
            ok = list_push(arena, &errors, &pe, sizeof pe);
        } else if (r > 0) {
            ok = list_push(arena, p->forbid ? &forbids : &permits, &p, sizeof p);
        }
        if (!ok)
            return out_of_memory(out);
    }
    out->allow = forbids.n == 0 && permits.n > 0;
    const list *reasons = out->allow ? &permits : &forbids;
    out->n_reasons = reasons->n;
    out->reasons = reasons->items;
    out->n_errors = errors.n;
    out->errors = errors.items;
    return PC_OK;
}
