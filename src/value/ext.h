/*
** value/ext.h — the named functions and methods of Cedar: the extension types
** (decimal, ipaddr, datetime, duration) and the built-in methods on sets and
** entities (contains, containsAll, containsAny, isEmpty, getTag, hasTag).
**
** The parser resolves every call's name to a pc_fn once (an unknown name is a
** parse error, as in the reference); the evaluator dispatches on the pc_fn.
** Extension functions are pure: pc_ext_call type-checks its arguments and
** computes the result, or returns an error message for the policy's error list.
** The built-in set and entity methods are evaluated by eval/, which owns the
** entity store; pc_ext_call refuses them.
*/
#ifndef PC_EXT_H
#define PC_EXT_H

#include "value.h"

typedef enum pc_fn {
    /* constructors, called as functions: decimal("1.5") */
    PC_FN_DECIMAL = 0,
    PC_FN_IP,
    PC_FN_DATETIME,
    PC_FN_DURATION,
    /* decimal methods */
    PC_FN_LESS_THAN,
    PC_FN_LESS_THAN_OR_EQUAL,
    PC_FN_GREATER_THAN,
    PC_FN_GREATER_THAN_OR_EQUAL,
    /* ipaddr methods */
    PC_FN_IS_IPV4,
    PC_FN_IS_IPV6,
    PC_FN_IS_LOOPBACK,
    PC_FN_IS_MULTICAST,
    PC_FN_IS_IN_RANGE,
    /* datetime / duration methods */
    PC_FN_OFFSET,
    PC_FN_DURATION_SINCE,
    PC_FN_TO_DATE,
    PC_FN_TO_TIME,
    PC_FN_TO_DAYS,
    PC_FN_TO_HOURS,
    PC_FN_TO_MINUTES,
    PC_FN_TO_SECONDS,
    PC_FN_TO_MILLISECONDS,
    /* built-in methods (evaluated by eval/) */
    PC_FN_CONTAINS,
    PC_FN_CONTAINS_ALL,
    PC_FN_CONTAINS_ANY,
    PC_FN_IS_EMPTY,
    PC_FN_GET_TAG,
    PC_FN_HAS_TAG,
    PC_FN_COUNT_
} pc_fn;

typedef struct pc_fn_info {
    const char *name;    /* as written in policies: "isInRange" */
    bool is_method;      /* called as recv.name(args) rather than name(args) */
    bool is_builtin;     /* a built-in method evaluated by eval/, not an extension */
    uint8_t arity;       /* argument count, counting the receiver of a method */
} pc_fn_info;

const pc_fn_info *pc_fn_get(pc_fn fn);
/*
** Resolve a name written as a function call (as_method false) or a method
** call (as_method true). Returns false when no such function exists in that
** form; the caller reports a parse error naming it.
*/
bool pc_fn_lookup(pc_str name, bool as_method, pc_fn *out);

/*
** Evaluate an extension function on n arguments (receiver first for methods).
** On success returns true and stores the result in *out (allocating from a
** where needed). On failure returns false and sets *err to a message
** allocated from a, e.g. "decimal(\"1.23456\"): too many digits after the
** decimal point" or "type error: isInRange expects ipaddr, got long".
*/
bool pc_ext_call(pc_fn fn, pc_arena *a, const pc_value *args, uint32_t n,
                 pc_value *out, const char **err);

/* ---- parsing the string forms (used by constructors and JSON __extn) ---- */

/* Each returns false for malformed input and then sets *why to a static reason. */
bool pc_decimal_parse(const char *s, size_t n, int64_t *out, const char **why);
bool pc_ip_parse(const char *s, size_t n, pc_ipaddr *out, const char **why);
bool pc_datetime_parse(const char *s, size_t n, int64_t *out_ms, const char **why);
bool pc_duration_parse(const char *s, size_t n, int64_t *out_ms, const char **why);

/*
** Canonical printing (the argument string that would reproduce the value).
** ip omits a full-length prefix (/32, /128) and writes IPv6 in RFC 5952 form.
** A datetime outside the years 0000..9999 (reachable only through offset())
** has no such string; it prints in ISO 8601 expanded form ("+10000-01-01T...",
** "-0001-12-31T..."), which datetime() refuses.
*/
bool pc_decimal_print(pc_buf *b, int64_t v);        /* "1.5000" */
bool pc_ip_print(pc_buf *b, const pc_ipaddr *ip);   /* "10.0.0.0/8" */
bool pc_datetime_print(pc_buf *b, int64_t ms);      /* "2024-01-01T00:00:00.000Z" */
bool pc_duration_print(pc_buf *b, int64_t ms);      /* "1d2h3m4s5ms" */

/* Equality of ipaddr values (address bytes, version and prefix). */
bool pc_ip_eq(const pc_ipaddr *a, const pc_ipaddr *b);

#endif
