/*
** schema/schema.h — a Cedar schema, resolved.
**
** Both schema formats (the human .cedarschema syntax and the JSON format)
** parse into this one form. Everything is resolved at parse time:
**   - every entity type and action is named by its fully qualified name
**     ("NS::User", action uid NS::Action::"view");
**   - common types are inlined (a reference to a common type becomes the type
**     it names), `__cedar::X` and unqualified built-ins become primitive or
**     extension types, and names are resolved in the reference's order;
**   - record attributes are sorted by name (pc_str_cmp), unique.
** All memory belongs to the schema's own arena; strings are interned in the
** engine's interner, so type names compare by pointer.
*/
#ifndef PC_SCHEMA_H
#define PC_SCHEMA_H

#include "../value/value.h"

typedef enum pc_tkind {
    PC_T_BOOL = 0,
    PC_T_LONG,
    PC_T_STRING,
    PC_T_ENTITY,
    PC_T_SET,
    PC_T_RECORD,
    PC_T_DECIMAL,
    PC_T_IPADDR,
    PC_T_DATETIME,
    PC_T_DURATION
} pc_tkind;

typedef struct pc_type pc_type;

typedef struct pc_attr_type {
    pc_str name;
    const pc_type *type;
    bool required;
} pc_attr_type;

struct pc_type {
    uint8_t kind;            /* pc_tkind */
    bool open;               /* RECORD: JSON "additionalAttributes": true */
    pc_str entity;           /* ENTITY: fully qualified entity type name */
    const pc_type *elem;     /* SET: element type */
    uint32_t n_attrs;        /* RECORD: attributes sorted by name */
    const pc_attr_type *attrs;
};

typedef struct pc_entity_decl {
    pc_str name;             /* fully qualified */
    uint32_t n_member_of;    /* entity types this one may be a member of */
    const pc_str *member_of;
    const pc_type *attrs;    /* a RECORD type; empty record when none declared */
    const pc_type *tags;     /* NULL when the type has no tags */
    bool is_enum;            /* enumerated entity type: only these ids exist */
    uint32_t n_enum;
    const pc_str *enum_ids;  /* unescaped ids */
    uint32_t offset;         /* where declared in the schema text */
} pc_entity_decl;

typedef struct pc_action_decl {
    pc_uid uid;              /* type "NS::Action" (or "Action"), id the action name */
    uint32_t n_member_of;    /* action groups this action is in */
    const pc_uid *member_of;
    bool applies;            /* false when the action applies to no request */
    uint32_t n_principals;   /* principal entity types (fully qualified) */
    const pc_str *principals;
    uint32_t n_resources;
    const pc_str *resources;
    const pc_type *context;  /* a RECORD type; empty record when none declared */
    uint32_t offset;
} pc_action_decl;

typedef struct pc_schema pc_schema;

/*
** Parse a schema. name is used in messages ("name:line:col: ..." with a caret
** snippet for the human format; "name: path.to.field: ..." for JSON). Errors
** include: syntax, unknown type names, duplicate declarations, cyclic common
** types, an action memberOf naming an undeclared action, action group cycles.
*/
pc_status pc_schema_parse_cedar(pc_intern *in, const char *src, size_t len,
                                const char *name, pc_schema **out, pc_diag *d);
pc_status pc_schema_parse_json(pc_intern *in, const char *src, size_t len,
                               const char *name, pc_schema **out, pc_diag *d);
void pc_schema_free(pc_schema *s);

uint32_t pc_schema_entity_count(const pc_schema *s);
const pc_entity_decl *pc_schema_entity_at(const pc_schema *s, uint32_t i);
uint32_t pc_schema_action_count(const pc_schema *s);
const pc_action_decl *pc_schema_action_at(const pc_schema *s, uint32_t i);

/* Lookups by fully qualified name; NULL when not declared. */
const pc_entity_decl *pc_schema_entity(const pc_schema *s, pc_str type);
const pc_action_decl *pc_schema_action(const pc_schema *s, const pc_uid *action);
/* Is type the type of some action ("Action" or "NS::Action" with declared actions)? */
bool pc_schema_is_action_type(const pc_schema *s, pc_str type);

/* Find an attribute of a RECORD type; NULL when absent. */
const pc_attr_type *pc_type_attr(const pc_type *record, pc_str name);
/* Cedar-schema syntax for a type, for messages: Set<NS::User>, {a: Long, b?: String}. */
bool pc_type_print(pc_buf *b, const pc_type *t);

#endif
