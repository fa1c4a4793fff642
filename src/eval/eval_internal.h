/*
** eval/eval_internal.h — what the files of eval/ share and nobody else needs.
**
** Entity lookups go through the decision's memo: a handful of (uid pointer,
** entity) pairs, searched by pointer. The request's three uids are looked
** up first, when the decision starts, so they always have a slot; so do the
** first few entities reached through attributes (resource.owner). A miss in
** a full memo simply asks the store. Keyed by pointer, the memo can only
** miss a uid it has seen under another pointer, never answer wrongly.
*/
#ifndef PC_EVAL_INTERNAL_H
#define PC_EVAL_INTERNAL_H

#include "eval.h"

#define PC_EVAL_MEMO_SLOTS 8   /* request uids, plus a few reached through attributes */

/* The three scope constraints of a policy, by side. */
enum { PC_SIDE_PRINCIPAL, PC_SIDE_ACTION, PC_SIDE_RESOURCE, PC_SIDES };

static inline const pc_scope *pc_scope_of(const pc_policy *p, int side)
{
    return side == PC_SIDE_PRINCIPAL ? &p->principal
           : side == PC_SIDE_ACTION  ? &p->action
                                     : &p->resource;
}

struct pc_eval_memo {
    uint32_t n;
    const pc_uid *uid[PC_EVAL_MEMO_SLOTS];
    const pc_entity *entity[PC_EVAL_MEMO_SLOTS];   /* NULL: not in the store */
};

/*
** Set up *env to decide req: the request copied into *local with each uid
** the store lists swapped for the store's own uid, and the memo holding the
** three entities. The swap changes no value (the lookup compared the two),
** but the store's strings are interned with every policy's and entity's, so
** compares against those mostly stop at a pointer, and store lookups of the
** uid find it at the first candidate.
*/
void pc_eval_start(pc_eval_env *env, pc_eval_memo *memo, pc_eval_request *local,
                   const pc_eval_request *req, const pc_entities *entities, pc_arena *arena);
/* pc_entities_get through the memo (when env has one). */
const pc_entity *pc_eval_entity(const pc_eval_env *env, const pc_uid *uid);
/* pc_entities_in through the memo: the same answer, usually without hashing. */
bool pc_eval_in(const pc_eval_env *env, const pc_uid *a, const pc_uid *b);

/*
** Decide over the policies at positions which[0..n-1] (ascending) of the
** array, or the first n when which is NULL, in env (its policy is ignored).
** known, when not NULL, gives per position a side whose constraint is known
** to hold for this request, but for the type test of `is T in E` (the scope
** index's filing side), or PC_SIDES for none; that constraint is not tested.
*/
pc_status pc_decide(const pc_eval_env *env, const pc_policy *const *policies,
                    const uint32_t *which, uint32_t n, const uint8_t *known, pc_answer *out);

#endif
