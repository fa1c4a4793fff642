/*
** schema/schema_build.h — internal to src/schema/: the one construction path
** both schema formats share.
**
** A front end (schema_cedar.c, schema_json.c) only reads its syntax. It
** records what it read as raw declarations in an sb_builder — entity types,
** actions and common types, each tagged with its namespace and with every
** type reference still spelled as written ("User", "NS::User", "Long").
** sb_finish then runs the single resolution pass (schema_resolve.c): it
** checks duplicates and the reference's shadowing rules, resolves every name
** in the reference's order, inlines common types (rejecting cycles), checks
** the action hierarchy and writes the final pc_schema. Because both formats
** meet here, they cannot drift apart in what they accept or how they resolve.
**
** Everything raw lives in the builder's scratch arena and is dropped by
** sb_free; only the finished pc_schema (its own arena) survives.
*/
#ifndef PC_SCHEMA_BUILD_H
#define PC_SCHEMA_BUILD_H

#include "schema.h"

/* ---- bounds ------------------------------------------------------------- */

/* Schema text larger than this is refused (token offsets are 32-bit). */
#define PC_SCHEMA_MAX_BYTES PC_MAX_POLICY_BYTES
/* Nesting of Set<...> and records inside one written type. */
#define PC_SCHEMA_MAX_TYPE_DEPTH 128
/* Nesting while inlining: written nesting plus common-type hops. */
#define PC_SCHEMA_MAX_RESOLVE_DEPTH 1024

/* ---- the finished schema (fields read by schema.c) ---------------------- */

struct pc_schema {
    pc_arena arena;              /* every type, decl and array below */
    uint32_t n_entities;
    pc_entity_decl *entities;    /* sorted by name (pc_str_cmp) */
    uint32_t n_actions;
    pc_action_decl *actions;     /* sorted by (type, id) */
    uint32_t n_action_types;
    pc_str *action_types;        /* distinct action entity types, sorted */
};

/* ---- raw declarations --------------------------------------------------- */

/*
** Where something was written: a byte offset for the human format (messages
** get a caret), a JSON path for the JSON format ("NS.entityTypes.User").
*/
typedef struct sb_loc {
    uint32_t offset;
    const char *path;
} sb_loc;

/* A growable array of pointers in the scratch arena. */
typedef struct sb_vec {
    void **items;
    uint32_t n, cap;
} sb_vec;

typedef enum sb_kind {
    SB_BOOL = 0,
    SB_LONG,
    SB_STRING,
    SB_EXT,      /* name: an extension type name, checked when resolving */
    SB_SET,      /* elem */
    SB_RECORD,   /* attrs (sb_attr *), open */
    SB_REF       /* name as written, resolved by `ref` rules */
} sb_kind;

/* What a written name may resolve to (the reference's ReferenceType). */
typedef enum sb_refkind {
    SB_REF_COMMON = 0,   /* JSON {"type": "T"}, Cedar `context: T` */
    SB_REF_ENTITY,       /* JSON {"type": "Entity", "name": "T"} */
    SB_REF_EITHER        /* Cedar type names, JSON EntityOrCommon */
} sb_refkind;

typedef struct sb_type sb_type;

typedef struct sb_attr {
    pc_str name;
    sb_type *type;
    bool required;
} sb_attr;

struct sb_type {
    uint8_t kind;       /* sb_kind */
    uint8_t ref;        /* sb_refkind, for SB_REF */
    bool open;          /* SB_RECORD: additionalAttributes */
    pc_str name;        /* SB_EXT, SB_REF */
    sb_type *elem;      /* SB_SET */
    sb_vec attrs;       /* SB_RECORD: sb_attr *, in written order */
    sb_loc loc;
};

/* A name as written (entity type references, namespaces). */
typedef struct sb_name {
    pc_str name;
    sb_loc loc;
} sb_name;

/* An action reference in memberOf: type as written (empty: "Action") and id. */
typedef struct sb_action_ref {
    pc_str type;
    pc_str id;
    sb_loc loc;
} sb_action_ref;

typedef struct sb_entity {
    pc_str ns;          /* "" for the empty namespace */
    pc_str name;        /* basename */
    sb_loc loc;
    sb_vec parents;     /* sb_name * (memberOfTypes) */
    sb_type *shape;     /* NULL: empty record */
    sb_type *tags;      /* NULL: no tags */
    bool is_enum;
    sb_vec choices;     /* pc_str * (unescaped enum ids) */
} sb_entity;

typedef struct sb_action {
    pc_str ns;
    pc_str id;
    sb_loc loc;
    sb_vec parents;     /* sb_action_ref * */
    sb_vec principals;  /* sb_name * */
    sb_vec resources;   /* sb_name * */
    sb_type *context;   /* NULL: empty record */
} sb_action;

typedef struct sb_common {
    pc_str ns;
    pc_str name;
    sb_type *def;
    sb_loc loc;
} sb_common;

typedef struct sb_builder {
    pc_arena tmp;        /* all raw declarations; freed by sb_free */
    pc_intern *in;
    pc_diag *d;          /* may be NULL: messages are then dropped */
    pc_status status;    /* the first error reported, PC_OK until then */
    const char *name;    /* source name for messages */
    const char *src;     /* human format: the text (carets); JSON: NULL */
    size_t len;
    sb_vec namespaces;   /* sb_name *, named namespaces as declared */
    sb_vec entities;     /* sb_entity * */
    sb_vec actions;      /* sb_action * */
    sb_vec commons;      /* sb_common * */
} sb_builder;

/* ---- builder API (schema_build.c) --------------------------------------- */

/* src/len: the human-format text for carets; NULL for JSON. */
void sb_init(sb_builder *b, pc_intern *in, const char *name, const char *src, size_t len,
             pc_diag *d);
void sb_free(sb_builder *b);

/* Report an error at loc (caret or JSON path); returns PC_ERR_SCHEMA. */
pc_status sb_error(sb_builder *b, sb_loc loc, const char *fmt, ...) PC_PRINTF(3, 4);
/* Report an error with no location ("name: message"); returns st. */
pc_status sb_fail(sb_builder *b, pc_status st, const char *fmt, ...) PC_PRINTF(3, 4);
/* An allocation failed: report it; returns PC_ERR_NOMEM. */
pc_status sb_nomem(sb_builder *b);

bool sb_push(sb_builder *b, sb_vec *v, void *item);
pc_str sb_strdup(sb_builder *b, const char *p, size_t n);

/* Identifier rules shared by both formats. */
bool sb_is_ident(pc_str s);             /* [_a-zA-Z][_a-zA-Z0-9]* */
bool sb_is_reserved_word(pc_str s);     /* true false if then else in is like has */
bool sb_is_path(pc_str s);              /* Ident(::Ident)*, no reserved words */

/*
** Record a named namespace (ns non-empty). Rejects `__cedar` components;
** sb_finish rejects a namespace declared twice.
*/
pc_status sb_namespace(sb_builder *b, pc_str ns, sb_loc loc);

/* Declare things; each checks its basename and returns NULL after reporting. */
sb_entity *sb_add_entity(sb_builder *b, pc_str ns, pc_str name, sb_loc loc);
sb_action *sb_add_action(sb_builder *b, pc_str ns, pc_str id, sb_loc loc);
sb_common *sb_add_common(sb_builder *b, pc_str ns, pc_str name, sb_type *def, sb_loc loc);

sb_type *sb_type_new(sb_builder *b, sb_kind kind, sb_loc loc);
sb_type *sb_type_ref(sb_builder *b, sb_refkind ref, pc_str name, sb_loc loc);
sb_name *sb_name_new(sb_builder *b, pc_str name, sb_loc loc);
/*
** Add an attribute to a record. Names may repeat here: sb_finish keeps the
** last declaration of a name, as the reference's Cedar-syntax conversion
** does (it collects attributes into a map). JSON rejects duplicate keys
** before they get here.
*/
bool sb_record_add(sb_builder *b, sb_type *rec, pc_str name, sb_type *type, bool required);

/* Resolve everything and build the schema (schema_resolve.c). */
pc_status sb_finish(sb_builder *b, pc_schema **out);

#endif
