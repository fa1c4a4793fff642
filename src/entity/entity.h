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

/* ---- overlays: request-scoped entities (entity/overlay.c) ---------------
**
** Added for the decision daemon. An overlay lays a request's entities over a
** stored set (the base) without rebuilding it: an entity the request brings
** replaces the stored one of the same uid, or is added, for that request
** only, and pc_overlay_store gives a store that answers exactly as a store
** rebuilt with those entities would (lookups, `in`, count/at), so the
** evaluator decides against it unchanged. Request data is checked as stored
** data is (schema types, parents, cycles); messages name "request entities"
** (or the name given to pc_overlay_reset). A thread keeps one overlay and
** resets it before each use, the first included; nothing of one use
** survives the next reset. The base (and schema) must outlive the use.
*/
typedef struct pc_overlay pc_overlay;

/* An empty overlay (NULL when out of memory); pc_overlay_reset it before use. */
pc_overlay *pc_overlay_new(void);
void pc_overlay_free(pc_overlay *o);
/* Start a use over base, read against schema (NULL: none); keeps the memory. */
void pc_overlay_reset(pc_overlay *o, const pc_entities *base, const pc_schema *schema,
                      const char *name);
/*
** Bring a whole entity ({"uid", "attrs", "parents", "tags"?}). It is read at
** pc_overlay_finish, so the JSON must live until then. A uid may be brought
** once per use.
*/
pc_status pc_overlay_add(pc_overlay *o, json_t *entity, pc_diag *d);
/*
** Bring the entity uid (copied) with attrs (a JSON object, read at once)
** laid over its stored attributes one by one; its parents and tags stay the
** stored ones. An entity the base does not list gets just these attributes.
*/
pc_status pc_overlay_set_attrs(pc_overlay *o, const pc_uid *uid, json_t *attrs, pc_diag *d);
/* Read the whole entities and compute the hierarchy; needed before pc_overlay_store. */
pc_status pc_overlay_finish(pc_overlay *o, pc_diag *d);
/* How many entities this use brought. */
uint32_t pc_overlay_size(const pc_overlay *o);
/* The store to decide against; NULL until pc_overlay_finish succeeded. */
const pc_entities *pc_overlay_store(const pc_overlay *o);

/* What a view answers (store.c hands a view's lookups to these). */
size_t pc_overlay_count(const pc_overlay *o);
const pc_entity *pc_overlay_at(const pc_overlay *o, size_t i);
const pc_entity *pc_overlay_get(const pc_overlay *o, const pc_uid *uid);
bool pc_overlay_in(const pc_overlay *o, const pc_uid *a, const pc_uid *b);

/* In store.c: a store whose lookups go to o (freed with pc_entities_free; o is not). */
pc_entities *pc_entities_view(const pc_overlay *o);
/* In store.c: does s list uid, or name it as a parent? (false for a view) */
bool pc_entities_mentions(const pc_entities *s, const pc_uid *uid);
/* In json.c: is name a valid entity type name (identifiers joined by ::, none reserved)? */
bool pc_entity_type_ok(pc_str name);

#endif
