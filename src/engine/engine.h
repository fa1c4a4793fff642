/*
** engine/engine.h — the engine's insides, shared by engine.c and the
** internal tools (CLI, conformance runner, server) that need more than the
** public header gives: the policy list, the schema, the entity store.
*/
#ifndef PC_ENGINE_H
#define PC_ENGINE_H

#include "../eval/eval.h"
#include "portcullis.h"

struct pc_engine {
    pc_intern *intern;
    pc_arena arena;             /* policy ASTs and their names */
    pc_policy_list policies;    /* every policy and template, in load order */
    const pc_policy **active;   /* the policies that decide: templates left out */
    uint32_t n_active;
    pc_policy_index *index;     /* scope index over active (eval/index.c) */
    uint32_t next_id;           /* the N of the next "policyN" */
    pc_schema *schema;          /* NULL when none loaded */
    pc_entities *entities;      /* never NULL once built */
    bool entities_loaded;       /* entities came from a load, not the default */
};

struct pc_decision {
    pc_arena arena;             /* everything about the current request */
    pc_answer answer;
};

/*
** Decide a request given as parsed JSON: each uid an object ({"type","id"} or
** {"__entity": ...}) or a string in Cedar syntax; context an object or NULL.
** The JSON values are borrowed. Errors go to d; the answer is then deny.
*/
pc_status pc_authorize_json(const pc_engine *e, json_t *principal, json_t *action,
                            json_t *resource, json_t *context, bool validate, pc_decision *dec,
                            pc_diag *d);

/*
** As pc_authorize_json, but deciding against store (request-scoped entities,
** e.g. the engine's entities with some replaced) instead of the engine's own
** entities; store NULL means the engine's.
*/
pc_status pc_authorize_json_in(const pc_engine *e, const pc_entities *store, json_t *principal,
                               json_t *action, json_t *resource, json_t *context, bool validate,
                               pc_decision *dec, pc_diag *d);

/*
** As pc_authorize_json_in, with the uids already made (no JSON to read for
** them): their strings are borrowed for the call. The caller has checked
** that each type is a valid entity type name (pc_entity_type_ok), as reading
** a uid from JSON would.
*/
pc_status pc_authorize_uids_in(const pc_engine *e, const pc_entities *store,
                               const pc_uid *principal, const pc_uid *action,
                               const pc_uid *resource, json_t *context, bool validate,
                               pc_decision *dec, pc_diag *d);

const pc_entities *pc_engine_entities(const pc_engine *e);
const pc_schema *pc_engine_schema(const pc_engine *e);

#endif
