/*
** lang/ast.h — the parsed form of Cedar policies.
**
** The parser turns policy text into pc_policy records whose conditions are
** pc_expr trees; every node and string lives in the policy set's arena and
** every identifier, attribute name and entity type is interned, so later
** comparisons are mostly pointer compares. Syntactic sugar is removed here:
**   e has a.b.c        becomes  e has a && e.a has b && e.a.b has c
**   x["attr"]          becomes  x.attr  (PC_E_GETATTR)
**   negated literals   are folded (-9223372036854775808 is a literal)
** Each node keeps the byte offset where it starts, so evaluation and
** validation errors can point at the source (pc_diag_at).
*/
#ifndef PC_AST_H
#define PC_AST_H

#include "../value/ext.h"
#include "../value/value.h"

typedef enum pc_ekind {
    PC_E_LIT = 0,   /* u.lit: bool, long, string or entity literal */
    PC_E_VAR,       /* u.var */
    PC_E_SLOT,      /* u.slot: ?principal / ?resource (templates only) */
    PC_E_NOT,       /* u.op.a */
    PC_E_NEG,       /* u.op.a */
    PC_E_AND,       /* u.op.a && u.op.b */
    PC_E_OR,
    PC_E_EQ,
    PC_E_NE,
    PC_E_LT,
    PC_E_LE,
    PC_E_GT,
    PC_E_GE,
    PC_E_ADD,
    PC_E_SUB,
    PC_E_MUL,
    PC_E_IN,        /* u.op.a in u.op.b */
    PC_E_IF,        /* if u.op.a then u.op.b else u.op.c */
    PC_E_HAS,       /* u.attr.obj has u.attr.name */
    PC_E_GETATTR,   /* u.attr.obj.name */
    PC_E_LIKE,      /* u.like */
    PC_E_IS,        /* u.is: obj is TYPE [in u.is.in] */
    PC_E_SET,       /* u.list */
    PC_E_RECORD,    /* u.rec */
    PC_E_CALL       /* u.call: function or method (receiver is args[0]) */
} pc_ekind;

typedef enum pc_var {
    PC_VAR_PRINCIPAL = 0,
    PC_VAR_ACTION,
    PC_VAR_RESOURCE,
    PC_VAR_CONTEXT
} pc_var;

typedef enum pc_slot {
    PC_SLOT_PRINCIPAL = 0,
    PC_SLOT_RESOURCE
} pc_slot;

/*
** A `like` pattern, normalised: consecutive wildcards collapse into one and
** escapes are resolved. The pattern is
**     [*] parts[0] * parts[1] * ... * parts[n-1] [*]
** where star_first / star_last say whether the bracketed wildcards exist.
** Parts are non-empty. Examples: "a*b\*c" -> {parts ["a", "b*c"]};
** "*" -> {n 0, star_first}; "" -> {n 0} (matches only "").
*/
typedef struct pc_pattern {
    uint32_t n;
    bool star_first;
    bool star_last;  /* meaningful only when n > 0 */
    pc_str *parts;
} pc_pattern;

bool pc_pattern_match(const pc_pattern *p, pc_str s);

typedef struct pc_expr pc_expr;

struct pc_expr {
    uint8_t kind;        /* pc_ekind */
    uint16_t height;     /* (added by lang) 1 for a leaf, else 1 + the tallest child;
                            the parser keeps it <= PC_MAX_EXPR_DEPTH, so recursive
                            walks over a parsed tree have a known stack bound */
    uint32_t offset;     /* byte offset of the node's first token in the source */
    union {
        pc_value lit;
        pc_var var;
        pc_slot slot;
        struct { pc_expr *a, *b, *c; } op;
        struct { pc_expr *obj; pc_str name; } attr;
        struct { pc_expr *obj; const pc_pattern *pat; } like;
        struct { pc_expr *obj; pc_str type; pc_expr *in; } is;   /* in may be NULL */
        struct { uint32_t n; pc_expr **items; } list;
        struct { uint32_t n; pc_str *keys; pc_expr **vals; } rec; /* keys unique, in source order */
        struct { pc_fn fn; uint32_t n; pc_expr **args; } call;
    } u;
};

/* ---- policies -------------------------------------------------------- */

typedef enum pc_scope_op {
    PC_SCOPE_ANY = 0,   /* principal */
    PC_SCOPE_EQ,        /* principal == uid */
    PC_SCOPE_IN,        /* principal in uid */
    PC_SCOPE_IS,        /* principal is T */
    PC_SCOPE_IS_IN,     /* principal is T in uid */
    PC_SCOPE_IN_SET     /* action in [uid, ...] (action only) */
} pc_scope_op;

typedef struct pc_scope {
    uint8_t op;          /* pc_scope_op */
    bool slot;           /* the uid is a template slot (?principal / ?resource) */
    pc_str is_type;      /* for IS and IS_IN */
    const pc_uid *uid;   /* for EQ, IN, IS_IN when !slot (after linking: the slot's value) */
    uint32_t n;          /* for IN_SET */
    const pc_uid **uids;
    uint32_t offset;     /* where the constraint starts in the source */
} pc_scope;

typedef struct pc_condition {
    bool unless;         /* unless { e } rather than when { e } */
    pc_expr *expr;
} pc_condition;

typedef struct pc_annotation {
    pc_str key;
    pc_str value;        /* "" when written without a value (@key) */
    bool has_value;
    uint32_t offset;
} pc_annotation;

typedef struct pc_policy {
    pc_str id;           /* policy0, policy1, ... or the link id */
    bool forbid;
    bool is_template;    /* a template (has a slot, or came from a JSON "templates" section); never decides */
    bool has_principal_slot;
    bool has_resource_slot;
    pc_scope principal, action, resource;
    uint32_t n_conds;
    pc_condition *conds;
    uint32_t n_annos;
    pc_annotation *annos;
    /* where it came from, for messages */
    const char *src_name;
    const char *src;
    size_t src_len;
    uint32_t offset;     /* offset of the first annotation or effect keyword */
    uint32_t end;        /* offset just past the closing ';' */
    const struct pc_policy *template_of;   /* for a linked policy: its template */
} pc_policy;

/*
** Parse every policy and template in src. The policies are appended to *out
** (a growable array owned by the caller, elements allocated in a), numbered
** from *next_id on ("policy" N), and *next_id is advanced. Limits: expression
** depth PC_MAX_EXPR_DEPTH, at most 4 unary operators in a row, source size
** PC_MAX_POLICY_BYTES. On a syntax error returns PC_ERR_PARSE with a message
** "name:line:col: what went wrong" and a caret snippet; *out is unchanged.
*/
typedef struct pc_policy_list {
    pc_policy **items;   /* malloc'ed array of pointers into the arena */
    uint32_t n, cap;
} pc_policy_list;

pc_status pc_parse_policies(pc_arena *a, pc_intern *in, const char *src, size_t len,
                            const char *name, uint32_t *next_id, pc_policy_list *out,
                            pc_diag *d);

/*
** Parse one entity uid in Cedar syntax (A::B::"id"), the whole text. With a
** NULL interner (at request time, when the engine is shared) the names are
** copied into a instead of interned.
*/
pc_status pc_parse_uid(pc_arena *a, pc_intern *in, const char *src, size_t len,
                       pc_uid **out, pc_diag *d);

/*
** Parse a Cedar string literal body (between the quotes) with its escapes
** (\n \r \t \\ \0 \' \" \u{hex}) into a; used by the schema parser too.
** Returns false with *why set on a bad escape, at byte *bad_off of s.
*/
bool pc_unescape(pc_arena *a, const char *s, size_t n, pc_str *out, const char **why,
                 size_t *bad_off);
/*
** (Added by the lang room.) The same for the body of a `like` pattern, where
** an unescaped `*` is a wildcard and `\*` a literal star; builds the
** normalised pc_pattern in a. For both functions a false return with
** *why == NULL means an allocation failed rather than a bad escape.
*/
bool pc_unescape_pattern(pc_arena *a, const char *s, size_t n, pc_pattern **out,
                         const char **why, size_t *bad_off);

/* Print a policy back as Cedar text (for tests, reproductions and admin reads). */
bool pc_policy_print(pc_buf *b, const pc_policy *p);
bool pc_expr_print(pc_buf *b, const pc_expr *e);

void pc_policy_list_free(pc_policy_list *l);

/* ---- the JSON policy format (added by the lang room) ------------------ */

/*
** A template link read from a JSON policy set, for the engine to apply with
** its template linking. The template is one of the templates the same call
** appended to the policy list (a JSON policy set is self-contained); a slot
** value is NULL when the link gives none. Whether the values fit the
** template's slots is the linker's decision, as for links made by API.
*/
typedef struct pc_policy_link {
    const pc_policy *template_of;
    pc_str new_id;
    const pc_uid *principal;   /* the "?principal" value, or NULL */
    const pc_uid *resource;    /* the "?resource" value, or NULL */
} pc_policy_link;

typedef struct pc_policy_links {
    pc_policy_link *items;     /* in the arena, in document order */
    uint32_t n;
} pc_policy_links;

/*
** Parse Cedar's JSON policy format (the reference's "EST") into the same
** AST as pc_parse_policies. src is either one policy object ({"effect",
** "principal", "action", "resource", "conditions", "annotations"}), which
** gets the next text-style id ("policy" N from *next_id, advancing it), or
** a policy set object ({"staticPolicies": {id: policy}, "templates": {id:
** policy}, "templateLinks": [{"templateId", "newId", "values"}]}) whose ids
** are its keys (*next_id unchanged). Every template in a set is a template,
** slots or not. The policies are appended to *out and the set's links
** stored in *links (which may be NULL only when the document has none), all
** or nothing. Errors are PC_ERR_PARSE naming the JSON path, e.g.
** "p.json: staticPolicies.p1.conditions[0].body.&&.left: unknown expression
** kind \"foo\""; JSON nesting is bounded by PC_MAX_JSON_DEPTH, which also
** bounds expressions well below PC_MAX_EXPR_DEPTH. For messages after
** loading (validation), each policy's src is its Cedar rendering.
*/
pc_status pc_parse_policies_json(pc_arena *a, pc_intern *in, const char *src, size_t len,
                                 const char *name, uint32_t *next_id, pc_policy_list *out,
                                 pc_policy_links *links, pc_diag *d);

/*
** Print as the JSON policy format, compact: one policy (a template with its
** slots, a linked policy with its values filled in), one expression, or a
** policy set whose static policies, templates and links are sorted out by
** is_template / template_of and keyed by id. False when out of memory, or
** for a literal of a kind neither parser builds (a set, record or
** extension value: parsed policies hold those as expressions).
*/
bool pc_policy_print_json(pc_buf *b, const pc_policy *p);
bool pc_expr_print_json(pc_buf *b, const pc_expr *e);
bool pc_policies_print_json(pc_buf *b, const pc_policy *const *ps, uint32_t n);

#endif
