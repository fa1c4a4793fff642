/*
** lang/lang_internal.h — what the files of the lang room share among
** themselves and nobody else needs: the name and action-type rules of the
** text parser (so the JSON policy format applies exactly the same ones), the
** policy list's growth, a pattern builder for patterns that arrive already
** split into literals and wildcards, and the vocabulary of the JSON policy
** format (EST), one table read by both its parser and its printer.
*/
#ifndef PC_LANG_INTERNAL_H
#define PC_LANG_INTERNAL_H

#include "ast.h"

/*
** Is s (n bytes) a Cedar name in normalized form: identifiers joined by
** "::", nothing else (no spaces or comments), no reserved word and no
** `__cedar` component? The text parser's own rules (parser.c).
*/
bool pc_name_is_normalized(const char *s, size_t n);

/* Is s exactly one identifier (reserved words included), as annotation keys are? */
bool pc_is_identifier(const char *s, size_t n);

/* Does the uid have an action type (`Action` or `NS::Action`), as action scopes require? */
bool pc_uid_is_action(const pc_uid *u);

/*
** Append n policy pointers to the list (growing it), all or nothing:
** PC_ERR_LIMIT past UINT32_MAX entries, PC_ERR_NOMEM, else PC_OK. No message.
*/
pc_status pc_policy_list_append(pc_policy_list *out, pc_policy *const *items, uint32_t n);

/* One element of a pattern as the JSON format writes it: a wildcard or literal text. */
typedef struct pc_pattern_piece {
    bool wildcard;
    pc_str text;     /* for a literal: any bytes, possibly empty; no escapes */
} pc_pattern_piece;

/*
** Build the normalised pc_pattern (see ast.h) from n pieces into a: literal
** runs between wildcards join into parts, wildcards collapse, empty literals
** vanish. False only when an allocation fails.
*/
bool pc_pattern_from_pieces(pc_arena *a, const pc_pattern_piece *pieces, uint32_t n,
                            pc_pattern **out);

/* ---- the JSON policy format's expression vocabulary ------------------ */

/* The JSON layout each expression key carries. */
typedef enum pc_est_shape {
    PC_EST_VALUE,    /* {"Value": <Cedar JSON value>} */
    PC_EST_VAR,      /* {"Var": "principal"} */
    PC_EST_SLOT,     /* {"Slot": "?principal"} */
    PC_EST_UNARY,    /* {"!": {"arg": e}} */
    PC_EST_BINARY,   /* {"&&": {"left": e, "right": e}} */
    PC_EST_ATTR,     /* {".": {"left": e, "attr": "name"}} */
    PC_EST_LIKE,     /* {"like": {"left": e, "pattern": [...]}} */
    PC_EST_IS,       /* {"is": {"left": e, "entity_type": "T", "in": e}} ("in" optional) */
    PC_EST_IF,       /* {"if-then-else": {"if": e, "then": e, "else": e}} */
    PC_EST_SET,      /* {"Set": [e, ...]} */
    PC_EST_RECORD    /* {"Record": {"key": e, ...}} */
} pc_est_shape;

/* No built-in method: the form builds the node kind itself. */
#define PC_EST_NO_FN (-1)

typedef struct pc_est_form {
    const char *key;     /* the JSON key naming the form */
    uint8_t shape;       /* pc_est_shape */
    uint8_t kind;        /* the pc_ekind it builds */
    int8_t fn;           /* for PC_E_CALL: the built-in method (pc_fn); else PC_EST_NO_FN */
    const char *const *fields;   /* UNARY, BINARY, IF: the operands' member names in
                                    operand order, NULL-terminated; NULL for other shapes */
} pc_est_form;

/* The form whose key is key, or NULL (extension calls are not in the table). */
const pc_est_form *pc_est_form_by_key(pc_str key);
/* The form that prints e, or NULL when e is an extension function call. */
const pc_est_form *pc_est_form_of(const pc_expr *e);

/* The JSON spelling of the scope variables' slots. */
#define PC_EST_SLOT_PRINCIPAL "?principal"
#define PC_EST_SLOT_RESOURCE "?resource"

#endif
