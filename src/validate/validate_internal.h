/*
** validate/validate_internal.h — what the files of validate/ share.
**
**   vtype.c      the validator's types: singleton booleans, sets, records,
**                entity types; strict least upper bounds and subtyping
**   vschema.c    a view of the schema built once per call: converted
**                attribute types, the entity and action hierarchies
**                (transitively closed), request environments
**   typecheck.c  the expression typechecker for one request environment
**   names.c      the checks that need no types: unknown entity types,
**                actions and enum ids, action applicability
**   validate.c   the driver: conditions, environments, issues, formatting
**
** All types and tables live in the call's arena; per-environment work uses a
** scratch arena reset between environments. Allocation failure sets the
** sticky vctx.oom flag and the driver turns it into PC_ERR_NOMEM.
*/
#ifndef PC_VALIDATE_INTERNAL_H
#define PC_VALIDATE_INTERNAL_H

#include "validate.h"

/* ---- types (vtype.c) --------------------------------------------------- */

typedef enum vkind {
    VK_NEVER = 0,   /* bottom: the type of the first element of an empty LUB */
    VK_TRUE,        /* singleton booleans */
    VK_FALSE,
    VK_BOOL,
    VK_LONG,
    VK_STRING,
    VK_SET,
    VK_RECORD,
    VK_ENTITY,      /* one entity (or action) type: strict mode never joins two */
    VK_ANY_ENTITY,  /* an unlinked slot, and the "some entity" expectation */
    VK_DECIMAL,
    VK_IPADDR,
    VK_DATETIME,
    VK_DURATION
} vkind;

typedef struct vtype vtype;

typedef struct vattr {
    pc_str name;
    const vtype *type;
    bool required;
} vattr;

struct vtype {
    uint8_t kind;         /* vkind */
    bool open;            /* RECORD: may hold attributes it does not list */
    pc_str entity;        /* ENTITY: fully qualified type name */
    const vtype *elem;    /* SET: element type; NULL only in "any set" expectations */
    uint32_t n;           /* RECORD: attributes, sorted by name, unique */
    const vattr *attrs;
};

/* Why two types have no least upper bound (the reference's LubHelp). */
typedef enum vlub_why {
    VLUB_OK = 0,
    VLUB_DIFFERENT,     /* types must be exactly equal to be compatible */
    VLUB_WIDTH,         /* records must have exactly the same attributes */
    VLUB_QUALIFIER,     /* corresponding attributes must agree on optionality */
    VLUB_ENTITY_TYPE,   /* different entity types are never compatible */
    VLUB_ENTITY_RECORD, /* entities and records are never compatible */
    VLUB_NOMEM
} vlub_why;

/* A kind without parts; for SET, RECORD and ENTITY the "any" expectation of that kind. */
const vtype *vt_simple(vkind k);
const vtype *vt_singleton(bool b);
const vtype *vt_entity(pc_arena *a, pc_str name);
const vtype *vt_set(pc_arena *a, const vtype *elem);
/* A closed record of required attributes (names need not be sorted; they are copied). */
const vtype *vt_record(pc_arena *a, const pc_str *names, const vtype *const *types, uint32_t n);
const vtype *vt_from_schema(pc_arena *a, const pc_type *t);

bool vt_is_bool(const vtype *t);       /* True, False or Bool */
bool vt_equal(const vtype *a, const vtype *b);
/* Is a a subtype of b? Permissive mode allows width subtyping and entity <: any entity. */
bool vt_is_subtype(const vtype *a, const vtype *b, bool strict);
/* Strict least upper bound; NULL with *why set when there is none (or memory ran out). */
const vtype *vt_lub(pc_arena *a, const vtype *x, const vtype *y, vlub_why *why);
const char *vt_lub_hint(vlub_why why);
const vattr *vt_attr(const vtype *record, pc_str name);
bool vt_print(pc_buf *b, const vtype *t);

/* ---- schema view (vschema.c) ----------------------------------------- */

typedef struct vent {
    pc_str name;
    const pc_entity_decl *decl;
    const vtype *attrs;       /* RECORD */
    const vtype *tags;        /* NULL when the type declares no tags */
} vent;

typedef struct vact {
    const pc_action_decl *decl;
    const vtype *context;     /* RECORD */
} vact;

/* One request environment; slot fields have ptr NULL when not bound. */
typedef struct venv {
    pc_str principal, resource;
    const vact *action;
    pc_str principal_slot, resource_slot;
} venv;

typedef struct vctx {
    const pc_schema *schema;
    pc_arena arena;           /* lives for the whole call */
    pc_arena scratch;         /* reset for every request environment */
    vent *ents;               /* sorted by name */
    uint32_t n_ents;
    vact *acts;               /* sorted by (type, id) */
    uint32_t n_acts;
    uint32_t ent_words, act_words;   /* uint64 words per ancestor bitset row */
    uint64_t *ent_anc;        /* row i: the proper ancestors of ents[i] */
    uint64_t *act_anc;        /* row i: the proper ancestors (groups) of acts[i] */
    pc_vresult *out;
    uint32_t policy_first;    /* first issue of the policy being checked (dedup window) */
    bool oom;
} vctx;

bool vs_init(vctx *c, const pc_schema *schema);
void vs_free(vctx *c);

/* Does the type name end in the component `Action` (how the reference spots actions)? */
bool vs_is_action_type(pc_str type);
/* Declared entity type, or any action type (the reference's "known entity type"). */
bool vs_known_entity_type(const vctx *c, pc_str type);
const vent *vs_entity(const vctx *c, pc_str name);
const vact *vs_action(const vctx *c, const pc_uid *uid);
/* Can an entity of type lhs be `in` one of type rhs: equal, or rhs an ancestor type? */
bool vs_type_in(const vctx *c, pc_str lhs, pc_str rhs);
/* Some action of type rhs has a member (transitively) of type lhs, or lhs == rhs. */
bool vs_action_type_in(const vctx *c, pc_str lhs, pc_str rhs);
/* Is action d the action a or (transitively) a member of group a? */
bool vs_action_in(const vctx *c, const vact *d, const vact *a);
/* The record type of attributes of an entity type (empty closed record if unknown). */
const vtype *vs_entity_attrs(const vctx *c, pc_str name);
/* May an entity of this type carry attributes beyond those declared? */
bool vs_entity_open(const vctx *c, pc_str name);

/* ---- reporting (validate.c) ------------------------------------------- */

void vc_report(vctx *c, const pc_policy *p, uint32_t offset, bool warning, const char *kind,
               const char *fmt, ...) PC_PRINTF(6, 7);
/* Print a uid / a type into a scratch string for a message ("" on failure). */
const char *vc_uid_str(vctx *c, const pc_uid *u);
const char *vc_type_str(vctx *c, const vtype *t);

/* ---- typechecking (typecheck.c) --------------------------------------- */

/*
** Typecheck a policy's whole condition in one environment. Errors are
** reported on p; returns true when the condition's type is the singleton
** False (the policy cannot apply in this environment).
*/
bool tc_condition(vctx *c, const pc_policy *p, const pc_expr *cond, const venv *env);

/* ---- name and scope checks (names.c) ---------------------------------- */

/* Unknown entity types, unknown actions and undeclared enum ids in p. */
void nm_check_names(vctx *c, const pc_policy *p);
/* The "unable to find an applicable action" check on p's scope (slots as written). */
void nm_check_application(vctx *c, const pc_policy *p);
/* The checks a linked policy needs beyond its template's: its slot values. */
void nm_check_link(vctx *c, const pc_policy *p);

#endif
