/*
** entity/entity.h — the entity store, and Cedar values read from JSON.
**
** An entity store is built once (from the Cedar entities JSON format, with or
** without a schema) and then only read. Each entity keeps its direct parents
** and the transitive closure of its ancestors, computed at load time, so
** `in` is a hash-set probe, never a walk. With a schema, the schema's action
** entities (and their memberOf hierarchy) are part of the store.
**
** JSON values follow the Cedar entity-attribute format:
**   true/false, integers (exact over the whole int64 range; no floats),
**   strings, arrays (sets), objects (records),
**   {"__entity": {"type": T, "id": I}}, {"__extn": {"fn": F, "arg": A}}
**   and {"__extn": {"fn": F, "args": [A, B]}} (the reference writes a datetime
**   before year 1 as {"fn": "offset", "args": [datetime, duration]}).
** When the expected schema type is known, the escapes may be implicit: an
** entity-typed value may be {"type": T, "id": I}, an extension-typed value
** {"fn": F, "arg": A} or the bare argument string, and types are checked.
*/
#ifndef PC_ENTITY_H
#define PC_ENTITY_H

#include "../base/json.h"

#include "../schema/schema.h"
#include "../value/value.h"

typedef struct pc_entity {
    const pc_uid *uid;
    const pc_record *attrs;     /* never NULL (may be empty) */
    const pc_record *tags;      /* never NULL (may be empty) */
    uint32_t n_parents;         /* direct parents, as given */
    const pc_uid **parents;
    uint32_t n_ancestors;       /* transitive closure of parents, no duplicates */
    const pc_uid **ancestors;
} pc_entity;

typedef struct pc_entities pc_entities;

/*
** Parse a JSON array of entities. With a schema: attribute and tag types are
** checked (undeclared or missing required attributes, wrong types, unknown
** entity types, parents of types not in memberOfTypes, enum ids outside the
** enumeration are errors), implicit escapes are accepted, and the schema's
** actions are added (an action listed in the JSON must agree with the schema).
** A uid listed twice is an error unless both copies are the same entity (the
** reference keeps one). A cycle in the hierarchy is an error, as in the
** reference. Messages name the entity and the path inside it:
**   "entities.json: entity User::\"alice\": attrs.jobLevel: expected Long, got string"
** The interner may be NULL (strings are then copied into the store).
*/
pc_status pc_entities_parse(pc_intern *in, const pc_schema *schema, const char *json,
                            size_t len, const char *name, pc_entities **out, pc_diag *d);
/* An empty store (plus the schema's actions when schema is non-NULL). */
pc_status pc_entities_empty(pc_intern *in, const pc_schema *schema, pc_entities **out,
                            pc_diag *d);
void pc_entities_free(pc_entities *s);

size_t pc_entities_count(const pc_entities *s);
const pc_entity *pc_entities_at(const pc_entities *s, size_t i);
const pc_entity *pc_entities_get(const pc_entities *s, const pc_uid *uid);
/* Cedar `in` on two entity uids: a == b, or b is an ancestor of a in the store. */
bool pc_entities_in(const pc_entities *s, const pc_uid *a, const pc_uid *b);

/* ---- values from JSON ------------------------------------------------- */

/*
** Everything reading JSON needs: where to allocate, where to intern (NULL at
** request time: strings are then copied into the arena), the schema (NULL for
** schema-less parsing) and a name for messages.
*/
typedef struct pc_json_in {
    pc_arena *arena;
    pc_intern *intern;
    const pc_schema *schema;
    const char *name;
} pc_json_in;

/*
** Convert a JSON value. expected is the schema type (NULL when unknown, which
** disables implicit escapes and type checks). path names the value in
** messages ("context.photo.filesize_mb").
*/
pc_status pc_value_from_json(const pc_json_in *in, json_t *j, const pc_type *expected,
                             const char *path, pc_value *out, pc_diag *d);
/* An entity uid: {"type": T, "id": I} or {"__entity": {"type": T, "id": I}}. */
pc_status pc_uid_from_json(const pc_json_in *in, json_t *j, const char *path,
                           const pc_uid **out, pc_diag *d);
/*
** A request context: a JSON object (NULL means {}). With a schema and a
** declared action, read against the action's context type the way the
** reference reads it: implicit escapes, and required or undeclared record
** attributes are errors, but value types are only checked by
** pc_request_validate. An undeclared action gets a schema-less read.
*/
pc_status pc_context_from_json(const pc_json_in *in, const pc_uid *action, json_t *j,
                               pc_value *out, pc_diag *d);
/*
** Check a request against the schema: the action is declared, the principal
** and resource types are in its appliesTo (and, for enumerated types, the ids
** are among the enumeration), and the context conforms to its context type.
*/
pc_status pc_request_validate(const pc_schema *schema, const pc_uid *principal,
                              const pc_uid *action, const pc_uid *resource,
                              const pc_value *context, pc_diag *d);
/* Does value v conform to type t (records: required present, no undeclared)? */
bool pc_value_conforms(const pc_schema *schema, const pc_value *v, const pc_type *t,
                       pc_buf *why);


#endif
