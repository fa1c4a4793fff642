/*
** entity/entity_internal.h — what the files of entity/ share and nobody else
** needs.
**
** Reading a value follows the reference in two steps: a structural parse that
** only uses the expected type to choose how to read the JSON (implicit
** escapes, set elements, record attributes present or missing), then a type
** check of the finished value (pc_conforms_at). Keeping the check a separate
** pass over pc_values means one checker serves entity data, request contexts
** and pc_value_conforms alike, and that a request read without validation
** accepts exactly what the reference accepts.
**
** Paths name a value inside what is being read, for messages:
** "attrs.address.zip", "context.tags[2]". They are built in a pc_buf that
** grows by one segment on the way down and is cut back on the way up.
*/
#ifndef PC_ENTITY_INTERNAL_H
#define PC_ENTITY_INTERNAL_H

#include "entity.h"

/*
** The members of a JSON object as a record. Unlike pc_value_from_json, the
** object itself is never read as an escape: this is how entity "attrs" and
** "tags" are read. With rtype (a RECORD type) the members are read and then
** checked against it (declared, required, typed); with each, every member is
** read and checked against that one type (entity tags); with neither, the
** members are read without a schema.
*/
pc_status pc_record_from_json(const pc_json_in *in, json_t *obj, const pc_type *rtype,
                              const pc_type *each, const char *path, const pc_record **out,
                              pc_diag *d);

/*
** Does v conform to t? path holds v's path (it is restored before return);
** on failure why gets "PATH: reason" (or just the reason for an empty path).
** With a schema, entity uids of enumerated types must use a declared id.
*/
bool pc_conforms_at(const pc_schema *schema, const pc_value *v, const pc_type *t, pc_buf *path,
                    pc_buf *why);

/* Is uid allowed by its type's enumeration (true when the type is not enumerated)? */
bool pc_uid_in_enum(const pc_schema *schema, const pc_uid *uid);

/* Append one path segment: ".key" (just "key" at the start), or ["key"] when not an identifier. */
bool pc_path_key(pc_buf *path, pc_str key);
/* Append "[i]". */
bool pc_path_index(pc_buf *path, size_t i);
/* Append "PATH: " to b when path is non-empty (the start of a message about it). */
bool pc_path_lead(pc_buf *b, const pc_buf *path);

/* Bytes kept as long as the arena: interned when intern is given, else copied. */
pc_str pc_keep_str(pc_arena *arena, pc_intern *intern, const char *p, size_t n);

/* Is type the type of actions (its last component is "Action"), as the reference decides? */
bool pc_is_action_type(pc_str type);

/*
** The uid table that the store and the overlay share: open addressing over
** 1-based indices (0 is an empty slot) into an array of items, each of which
** begins with a pc_uid_item (the store's nodes and the overlay's entries both
** do; each file asserts it). n_slots is a power of two.
*/
typedef struct pc_uid_item {
    pc_entity pub;
    uint64_t hash;   /* pc_uid_hash(pub.uid) */
} pc_uid_item;

#define PC_UID_NONE UINT32_MAX

/* The index of the item with uid u (hash h), or PC_UID_NONE. */
uint32_t pc_uid_table_find(const uint32_t *slots, uint32_t n_slots, const void *items,
                           size_t stride, const pc_uid *u, uint64_t h);
/* Put item idx (hash h) into the first free slot of its probe sequence. */
void pc_uid_table_place(uint32_t *slots, uint32_t n_slots, uint64_t h, uint32_t idx);

#endif
