/*
** portcullis.h — the one public header of the Portcullis decision engine.
**
** An engine holds a policy set, an optional schema and an entity store. It is
** built by the load functions, then frozen: pc_authorize only reads it, so any
** number of threads may decide against one engine at once, each with its own
** pc_decision (which owns the per-request memory and is reused across calls).
**
** Every function that can fail returns a pc_status and, when given a
** pc_error, fills it with a message saying what, where and why. A failed
** decision is a deny: callers must never treat an error as an allow.
*/
#ifndef PORTCULLIS_H
#define PORTCULLIS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTCULLIS_VERSION "0.1.0"

typedef enum pc_status {
    PC_OK = 0,
    PC_ERR_PARSE,    /* policy text does not parse */
    PC_ERR_SCHEMA,   /* schema text does not parse or is inconsistent */
    PC_ERR_ENTITY,   /* entity data is malformed or does not fit the schema */
    PC_ERR_REQUEST,  /* request is malformed or does not fit the schema */
    PC_ERR_VALIDATE, /* policies fail strict validation */
    PC_ERR_NOMEM,    /* an allocation failed */
    PC_ERR_LIMIT,    /* a size, depth or count bound was exceeded */
    PC_ERR_IO,       /* a file could not be read */
    PC_ERR_STATE,    /* the call does not fit the engine's state */
    PC_ERR_INVALID   /* an argument is invalid */
} pc_status;

typedef struct pc_error {
    pc_status status;
    char *message;   /* malloc'ed, NULL when status == PC_OK; free with pc_error_clear */
} pc_error;

void pc_error_clear(pc_error *err);
const char *pc_status_name(pc_status st);

typedef struct pc_engine pc_engine;
typedef struct pc_decision pc_decision;

typedef enum pc_schema_format {
    PC_SCHEMA_CEDAR = 0,  /* human-readable .cedarschema */
    PC_SCHEMA_JSON = 1
} pc_schema_format;

pc_engine *pc_engine_new(void);
void pc_engine_free(pc_engine *e);

/*
** Add every policy and template in text (Cedar syntax). Policies get ids
** policy0, policy1, ... in text order across all loads; name is used in
** messages (usually the file name).
*/
pc_status pc_engine_load_policies(pc_engine *e, const char *text, size_t len,
                                  const char *name, pc_error *err);

/*
** Add the policies of a document in Cedar's JSON policy format: one policy
** object (numbered policyN with the text loads) or a policy set
** {"staticPolicies", "templates", "templateLinks"} whose ids are its keys,
** its links applied as by pc_engine_link. All or nothing: on any error (an
** id already in use included) the engine is unchanged.
*/
pc_status pc_engine_load_policies_json(pc_engine *e, const char *json, size_t len,
                                       const char *name, pc_error *err);

/* Load a schema; entities loaded afterwards are parsed against it. */
pc_status pc_engine_load_schema(pc_engine *e, const char *text, size_t len,
                                pc_schema_format fmt, const char *name, pc_error *err);

/* Load entities (a JSON array in the Cedar entities format). */
pc_status pc_engine_load_entities(pc_engine *e, const char *json, size_t len,
                                  const char *name, pc_error *err);

/*
** Link template template_id into a new policy new_id. principal and resource
** are entity uids in Cedar syntax (User::"alice") or NULL when the template
** has no such slot.
*/
pc_status pc_engine_link(pc_engine *e, const char *template_id, const char *new_id,
                         const char *principal, const char *resource, pc_error *err);

/*
** Strict validation of every loaded policy and template against the loaded
** schema, as the reference validator does it. PC_OK when there is no error
** (warnings are allowed); PC_ERR_VALIDATE with every error (file:line:col,
** kind, message) otherwise; PC_ERR_STATE without a schema. Callers that must
** never serve an unvalidated set (the daemon's reload) refuse on failure.
*/
pc_status pc_engine_validate(const pc_engine *e, pc_error *err);

/* Number of policies (templates excluded, links included). */
size_t pc_engine_policy_count(const pc_engine *e);

/*
** One authorization request. Entity uids are given in Cedar syntax
** (Photo::"vacation.jpg") or as JSON ({"type":"Photo","id":"vacation.jpg"}).
** context_json is a JSON object or NULL for {}. When validate is true and a
** schema is loaded, the request is checked against the action's appliesTo.
*/
typedef struct pc_request {
    const char *principal;
    const char *action;
    const char *resource;
    const char *context_json;
    bool validate;
} pc_request;

pc_decision *pc_decision_new(void);
void pc_decision_free(pc_decision *d);

/*
** Decide one request. On PC_OK, d holds the answer; on any other status the
** request could not be evaluated (the error says why) and the answer is deny.
*/
pc_status pc_authorize(const pc_engine *e, const pc_request *req, pc_decision *d,
                       pc_error *err);

bool pc_decision_allowed(const pc_decision *d);
size_t pc_decision_reason_count(const pc_decision *d);
const char *pc_decision_reason(const pc_decision *d, size_t i);
size_t pc_decision_error_count(const pc_decision *d);
const char *pc_decision_error_policy(const pc_decision *d, size_t i);
const char *pc_decision_error_message(const pc_decision *d, size_t i);

#ifdef __cplusplus
}
#endif
#endif
