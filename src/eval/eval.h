/*
** eval/eval.h — evaluating Cedar expressions and deciding requests.
**
** Evaluation is a tree walk over pc_expr with all intermediate values in the
** request's arena. An evaluation error (type error, overflow, missing
** attribute, unknown entity, bad extension argument) is a value of its own:
** the policy being evaluated is skipped and reported with the message, as the
** reference does. Semantics follow Cedar 4.x exactly: && and || short-circuit,
** == never errors (different types are unequal), arithmetic is checked int64,
** `in` uses the store's precomputed ancestor sets, an entity missing from the
** store has no attributes and no ancestors (reading an attribute is an error,
** `has` is false, `in` is plain equality).
*/
#ifndef PC_EVAL_H
#define PC_EVAL_H

#include "../entity/entity.h"
#include "../lang/ast.h"

typedef struct pc_eval_request {
    const pc_uid *principal;
    const pc_uid *action;
    const pc_uid *resource;
    pc_value context;        /* a RECORD */
} pc_eval_request;

/*
** The entities a decision has looked up, so that each is looked up (and its
** uid hashed) once per decision rather than once per use. Contents are
** private to eval/ (eval_internal.h); the deciding functions below make one.
*/
typedef struct pc_eval_memo pc_eval_memo;

typedef struct pc_eval_env {
    const pc_eval_request *req;
    const pc_entities *entities;   /* never NULL (may be empty) */
    pc_arena *arena;               /* for intermediate values and messages */
    const pc_policy *policy;       /* for slot values of linked policies; may be NULL */
    pc_eval_memo *memo;            /* NULL: every lookup asks the store */
} pc_eval_env;

/*
** Evaluate e. Returns true with *out set, or false with *err set to a
** message allocated from the env's arena ("type error: expected bool, got long").
*/
bool pc_eval_expr(const pc_eval_env *env, const pc_expr *e, pc_value *out, const char **err);

/*
** The message of an evaluation that ran out of arena memory. It is not an
** evaluation error of the policy: compare *err with it by pointer.
*/
extern const char pc_eval_nomem[];

/* Does the policy's scope match the request? (Scope tests never error.) */
bool pc_scope_matches(const pc_eval_env *env, const pc_policy *p);

/*
** Evaluate a whole policy: scope, then each condition in order.
** Returns 1 when satisfied, 0 when not, -1 on an evaluation error (*err set).
*/
int pc_eval_policy(const pc_eval_env *env, const pc_policy *p, const char **err);

typedef struct pc_policy_error {
    const pc_policy *policy;
    const char *message;
} pc_policy_error;

typedef struct pc_answer {
    bool allow;
    uint32_t n_reasons;              /* determining policies */
    const pc_policy **reasons;
    uint32_t n_errors;               /* policies that errored */
    pc_policy_error *errors;
} pc_answer;

/*
** Decide a request against n policies (templates must not be passed).
** Forbid overrides permit; no satisfied permit means deny; erroring policies
** are skipped and listed. All arrays in *out come from the arena.
** Returns PC_ERR_NOMEM if the arena is exhausted (then the answer is deny).
*/
pc_status pc_authorize_policies(const pc_policy *const *policies, uint32_t n,
                                const pc_eval_request *req, const pc_entities *entities,
                                pc_arena *arena, pc_answer *out);

/*
** The same decision over a subset: the policies at positions which[0..n-1]
** (ascending) of the array, or the first n when which is NULL.
*/
pc_status pc_authorize_subset(const pc_policy *const *policies, const uint32_t *which, uint32_t n,
                              const pc_eval_request *req, const pc_entities *entities,
                              pc_arena *arena, pc_answer *out);

/*
** A scope index over a policy array (see index.c): files each policy under an
** entity its scope names, so a request only evaluates the policies that can
** apply. The array is borrowed and must outlive the index. Deciding through
** the index gives exactly the answer of pc_authorize_policies on the array.
*/
typedef struct pc_policy_index pc_policy_index;

pc_status pc_index_build(const pc_policy *const *policies, uint32_t n, pc_policy_index **out,
                         pc_diag *d);
void pc_index_free(pc_policy_index *ix);
pc_status pc_authorize_indexed(const pc_policy_index *ix, const pc_eval_request *req,
                               const pc_entities *entities, pc_arena *arena, pc_answer *out);

#endif
