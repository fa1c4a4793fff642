/*
** validate/validate.h — strict validation of policies against a schema.
**
** pc_validate checks a policy set the way the reference validator does in
** strict mode and reports every finding as a pc_vissue:
**   - names: entity types, action ids and enumerated entity ids the schema
**     does not declare;
**   - applicability: a policy whose scope admits no (principal, action,
**     resource) combination of the schema ("invalid action application");
**   - types: the policy's condition (scope constraints && when/unless
**     clauses) is typechecked once per request environment of the schema,
**     with singleton boolean types, short-circuiting, `has` capabilities and
**     strict least upper bounds. A template is checked with each slot bound
**     to every entity type the slot position allows; a linked policy gets
**     the checks that depend on its slot values.
** A policy that is false in every environment draws a warning ("impossible
** policy"); warnings never make a policy set invalid.
**
** Issue kinds are the reference's categories, spelled as below, so tools can
** match on them. Every issue points at a byte offset of its policy's source.
*/
#ifndef PC_VALIDATE_H
#define PC_VALIDATE_H

#include "../lang/ast.h"
#include "../schema/schema.h"

/* The kinds an issue can have (the strings compare by content). */
#define PC_VK_UNKNOWN_ENTITY_TYPE "unrecognized entity type"
#define PC_VK_UNKNOWN_ACTION "unrecognized action"
#define PC_VK_INVALID_ENUM_ENTITY "invalid enum entity"
#define PC_VK_ACTION_APPLICATION "invalid action application"
#define PC_VK_UNEXPECTED_TYPE "unexpected type"
#define PC_VK_INCOMPATIBLE_TYPES "incompatible types"
#define PC_VK_ATTR_NOT_FOUND "attribute not found"
#define PC_VK_UNSAFE_OPTIONAL "unsafe optional attribute access"
#define PC_VK_UNSAFE_TAG "unsafe tag access"
#define PC_VK_NO_TAGS "no tags allowed"
#define PC_VK_WRONG_ARITY "wrong number of arguments"
#define PC_VK_BAD_EXT_ARGUMENT "function argument validation"
#define PC_VK_NON_LITERAL_EXT "non-literal extension constructor"
#define PC_VK_EMPTY_SET "empty set forbidden"
#define PC_VK_IMPOSSIBLE "impossible policy"   /* the only warning */

typedef struct pc_vissue {
    const pc_policy *policy;   /* the policy the issue is in */
    uint32_t offset;           /* byte offset in policy->src of the offending expression */
    bool warning;              /* false: error */
    const char *kind;          /* one of the PC_VK_* strings */
    char *message;             /* "for policy `id`, what went wrong and why" (heap) */
} pc_vissue;

/* Issues sorted by policy (input order), then offset; no duplicates. */
typedef struct pc_vresult {
    pc_vissue *items;          /* heap */
    uint32_t n, cap;
    uint32_t n_errors, n_warnings;
} pc_vresult;

/*
** Validate n policies (static policies, templates and linked policies, in
** any order) against schema. *out must be zeroed or freed before the call;
** it is filled even when issues are found: the return is PC_OK unless memory
** ran out (PC_ERR_NOMEM, message in d, *out freed).
*/
pc_status pc_validate(const pc_schema *schema, const pc_policy *const *policies, uint32_t n,
                      pc_vresult *out, pc_diag *d);
void pc_vresult_free(pc_vresult *r);

/*
** One issue as "file:line:col: error[kind]: message" followed by the source
** line and a caret (pc_diag_at style). Heap string; NULL when out of memory.
*/
char *pc_vissue_format(const pc_vissue *v);

#endif
