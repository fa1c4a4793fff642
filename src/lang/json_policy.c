/*
** lang/json_policy.c — Cedar's JSON policy format (the reference's "EST",
** cedar-policy-core/src/est) to the same pc_policy / pc_expr trees as the
** text parser builds, so everything after parsing (evaluation, validation,
** linking, printing) cannot tell the two formats apart.
**
** Design: the jansson tree from pc_json_parse (NUL-safe keys, exact
** integers, duplicate keys refused, nesting bounded by PC_MAX_JSON_DEPTH) is
** walked by one reader per JSON shape, each keeping the JSON path of where
** it is, so every error names it:
**     p.json: templates.t1.conditions[0].body.&&.left: unknown expression kind "foo"
** Nothing is appended to the caller's list unless the whole document converts.
**
** The reference reads this format with serde and then converts; the rules
** carried over, with the reference's reasons:
**   - an expression is an object with exactly one key; a key that names an
**     extension function ({"decimal": [args]}, receiver first for methods)
**     is a call, every other key must be one of the fixed forms, whose
**     fields are exactly the listed ones (serde's deny_unknown_fields);
**   - {"Value": v} takes the entity-data value format: an object with a
**     string "__expr" is refused, {"__entity": {"type", "id"}} is an entity,
**     {"__extn": {"fn", "arg"}} (or "args") an extension call, other objects
**     records and arrays sets, built as expressions (the reference turns
**     the value into an expression the same way, so `decimal("x")` stays a
**     call that fails when evaluated);
**   - names (entity types, `is` types, function names) must be normalized
**     Cedar names, checked by the text parser's own rules;
**   - template slots belong in the scope only, and each slot in its own
**     variable; the action scope takes no slot and only action entities;
**   - scope `==` / `in` objects read "entity" first, then "slot", ignoring
**     other members (the reference's untagged enums do); `is` objects and
**     the policy, condition, link and set objects refuse unknown members.
** Where this differs from the reference, on purpose: a single policy is
** read like a text file holding one policy (id policyN, and it may be a
** template), and an unknown function inside "__extn" is an error here,
** where the reference would build the call and fail on evaluation (pc_fn
** has no value for a function that does not exist).
**
** Policies keep no JSON positions (jansson has none), so every node's
** offset is 0 and each policy's src is its own Cedar rendering, named after
** its JSON path: a validation message then quotes the policy readably.
*/
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "lang_internal.h"

#define TRY(x)                            \
    do {                                  \
        pc_status try_st_ = (x);          \
        if (try_st_ != PC_OK)             \
            return try_st_;               \
    } while (0)

/* One conversion: where memory and errors go, and where in the document we are. */
typedef struct jp {
    pc_arena *a;
    pc_intern *in;
    const char *name;          /* the document's name, for messages */
    pc_buf path;               /* "staticPolicies.p1.conditions[0].body" */
    pc_diag *d;
    pc_policy **templates;     /* the set's templates, for its links */
    uint32_t n_templates;
} jp;

/*
** Each member of a JSON object, in document order (jansson keeps insertion
** order); the readers take const values, which jansson's iterators do not.
*/
#define EACH_MEMBER(obj, it)                              \
    for (void *it = json_object_iter((json_t *)(obj)); it; \
         it = json_object_iter_next((json_t *)(obj), it))

/* A reader of one JSON shape: converts j into *out, whose type the reader names. */
typedef pc_status (*reader)(jp *p, const json_t *j, void *out);

static pc_status expr(jp *p, const json_t *j, pc_expr **out);
static pc_status value(jp *p, const json_t *j, pc_expr **out);

/* ---- the vocabulary (shared with json_print.c) ---------------------- */

/* The operand members of the operator shapes, in the order of the node's operands. */
static const char *const unary_fields[] = {"arg", NULL};
static const char *const binary_fields[] = {"left", "right", NULL};
static const char *const if_fields[] = {"if", "then", "else", NULL};

/* The other shapes' members. */
static const char *const attr_fields[] = {"left", "attr", NULL};
static const char *const like_fields[] = {"left", "pattern", NULL};
static const char *const is_fields[] = {"left", "entity_type", "in", NULL};

#define LEAF(key, shape, kind) {key, shape, kind, PC_EST_NO_FN, NULL}
#define UNARY(key, kind, fn) {key, PC_EST_UNARY, kind, fn, unary_fields}
#define BINARY(key, kind, fn) {key, PC_EST_BINARY, kind, fn, binary_fields}

static const pc_est_form forms[] = {
    LEAF("Value", PC_EST_VALUE, PC_E_LIT),
    LEAF("Var", PC_EST_VAR, PC_E_VAR),
    LEAF("Slot", PC_EST_SLOT, PC_E_SLOT),
    UNARY("!", PC_E_NOT, PC_EST_NO_FN),
    UNARY("neg", PC_E_NEG, PC_EST_NO_FN),
    BINARY("==", PC_E_EQ, PC_EST_NO_FN),
    BINARY("!=", PC_E_NE, PC_EST_NO_FN),
    BINARY("in", PC_E_IN, PC_EST_NO_FN),
    BINARY("<", PC_E_LT, PC_EST_NO_FN),
    BINARY("<=", PC_E_LE, PC_EST_NO_FN),
    BINARY(">", PC_E_GT, PC_EST_NO_FN),
    BINARY(">=", PC_E_GE, PC_EST_NO_FN),
    BINARY("&&", PC_E_AND, PC_EST_NO_FN),
    BINARY("||", PC_E_OR, PC_EST_NO_FN),
    BINARY("+", PC_E_ADD, PC_EST_NO_FN),
    BINARY("-", PC_E_SUB, PC_EST_NO_FN),
    BINARY("*", PC_E_MUL, PC_EST_NO_FN),
    BINARY("contains", PC_E_CALL, PC_FN_CONTAINS),
    BINARY("containsAll", PC_E_CALL, PC_FN_CONTAINS_ALL),
    BINARY("containsAny", PC_E_CALL, PC_FN_CONTAINS_ANY),
    UNARY("isEmpty", PC_E_CALL, PC_FN_IS_EMPTY),
    BINARY("getTag", PC_E_CALL, PC_FN_GET_TAG),
    BINARY("hasTag", PC_E_CALL, PC_FN_HAS_TAG),
    LEAF(".", PC_EST_ATTR, PC_E_GETATTR),
    LEAF("has", PC_EST_ATTR, PC_E_HAS),
    LEAF("like", PC_EST_LIKE, PC_E_LIKE),
    LEAF("is", PC_EST_IS, PC_E_IS),
    {"if-then-else", PC_EST_IF, PC_E_IF, PC_EST_NO_FN, if_fields},
    LEAF("Set", PC_EST_SET, PC_E_SET),
    LEAF("Record", PC_EST_RECORD, PC_E_RECORD),
};

#undef LEAF
#undef UNARY
#undef BINARY

#define N_FORMS (sizeof forms / sizeof forms[0])

const pc_est_form *pc_est_form_by_key(pc_str key)
{
    for (size_t i = 0; i < N_FORMS; i++)
        if (pc_str_eq_cstr(key, forms[i].key))
            return &forms[i];
    return NULL;
}

const pc_est_form *pc_est_form_of(const pc_expr *e)
{
    int fn = e->kind == PC_E_CALL ? (int)e->u.call.fn : PC_EST_NO_FN;
    for (size_t i = 0; i < N_FORMS; i++)
        if (forms[i].kind == e->kind && forms[i].fn == fn)
            return &forms[i];
    return NULL;
}

/* ---- errors and paths ------------------------------------------------ */

static pc_status nomem(jp *p)
{
    return pc_diag_set(p->d, PC_ERR_NOMEM, "%s: out of memory reading JSON policies", p->name);
}

/* "NAME: PATH: message" (no PATH at the top level). */
static pc_status failv(jp *p, pc_status st, const char *fmt, va_list ap)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "%s: ", p->name);
    if (p->path.len)
        pc_buf_printf(&m, "%s: ", p->path.data);
    pc_buf_vprintf(&m, fmt, ap);
    if (m.oom || p->path.oom)
        st = nomem(p);
    else
        pc_diag_set(p->d, st, "%s", m.data);
    pc_buf_free(&m);
    return st;
}

/* The document does not have the format's shape here. */
static PC_PRINTF(2, 3) pc_status bad(jp *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_status st = failv(p, PC_ERR_PARSE, fmt, ap);
    va_end(ap);
    return st;
}

/* The document exceeds one of the named bounds. */
static PC_PRINTF(2, 3) pc_status limit(jp *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_status st = failv(p, PC_ERR_LIMIT, fmt, ap);
    va_end(ap);
    return st;
}

/* How a JSON value looks, for "expected X, found Y". */
static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction or exponent";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

/* User text inside a message, JSON-quoted (it may hold quotes, controls or NULs). */
static const char *quoted(jp *p, pc_str s)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_json_string(&b, s.ptr, s.len);
    char *q = b.oom ? NULL : pc_arena_strdup(p->a, b.data);
    pc_buf_free(&b);
    return q ? q : "\"?\"";
}

/* Descend by one path segment; the returned length restores the path (pop). */
static size_t push(jp *p, const char *seg, size_t n)
{
    size_t mark = p->path.len;
    if (mark)
        pc_buf_putc(&p->path, '.');
    pc_buf_append(&p->path, seg, n);
    return mark;
}

static size_t push_key(jp *p, const char *key)
{
    return push(p, key, strlen(key));
}

/* Can a user's key stand in a path as it is (letters, digits, '_' and '-')? */
static bool plain_key(pc_str key)
{
    for (size_t i = 0; i < key.len; i++) {
        char c = key.ptr[i];
        if (!(c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z')))
            return false;
    }
    return key.len > 0;
}

/* A key the user chose (a policy id, record key): plain, else ["quoted"]. */
static size_t push_user_key(jp *p, pc_str key)
{
    if (plain_key(key))
        return push(p, key.ptr, key.len);
    size_t mark = p->path.len;
    pc_buf_putc(&p->path, '[');
    pc_buf_json_string(&p->path, key.ptr, key.len);
    pc_buf_putc(&p->path, ']');
    return mark;
}

static size_t push_index(jp *p, size_t i)
{
    size_t mark = p->path.len;
    pc_buf_printf(&p->path, "[%zu]", i);
    return mark;
}

static void pop(jp *p, size_t mark)
{
    if (p->path.data && mark <= p->path.len) {
        p->path.len = mark;
        p->path.data[mark] = '\0';
    }
}

/* bad() one level down, at member key of the current path. */
static PC_PRINTF(3, 4) pc_status bad_in(jp *p, const char *key, const char *fmt, ...)
{
    size_t mark = push_key(p, key);
    va_list ap;
    va_start(ap, fmt);
    pc_status st = failv(p, PC_ERR_PARSE, fmt, ap);
    va_end(ap);
    pop(p, mark);
    return st;
}

/* ---- JSON access ----------------------------------------------------- */

static pc_str jstr(const json_t *j)
{
    pc_str s = {json_string_value(j), json_string_length(j)};
    return s;
}

static pc_str iter_key(void *it)
{
    pc_str s = {json_object_iter_key(it), json_object_iter_key_len(it)};
    return s;
}

static pc_status want(jp *p, const json_t *j, json_type type, const char *what)
{
    if (json_typeof(j) == type)
        return PC_OK;
    return bad(p, "expected %s, found %s", what, json_kind(j));
}

static pc_status want_string(jp *p, const json_t *j, const char *what, pc_str *out)
{
    TRY(want(p, j, JSON_STRING, what));
    *out = jstr(j);
    return PC_OK;
}

/* The bytes, interned at load time or copied into the arena without an interner. */
static pc_status keep(jp *p, pc_str s, pc_str *out)
{
    *out = p->in ? pc_intern_str(p->in, s.ptr, s.len) : pc_arena_str(p->a, s.ptr, s.len);
    return out->ptr ? PC_OK : nomem(p);
}

static bool listed(const char *const *fields, pc_str key)
{
    for (size_t i = 0; fields[i]; i++)
        if (pc_str_eq_cstr(key, fields[i]))
            return true;
    return false;
}

/* Refuse members that are not in fields (the reference denies unknown fields). */
static pc_status only_fields(jp *p, const json_t *obj, const char *const *fields)
{
    EACH_MEMBER(obj, it) {
        pc_str key = iter_key(it);
        if (listed(fields, key))
            continue;
        pc_buf allowed;
        pc_buf_init(&allowed);
        for (size_t i = 0; fields[i]; i++)
            pc_buf_printf(&allowed, "%s\"%s\"", i ? ", " : "", fields[i]);
        pc_status st = allowed.oom ? nomem(p)
                                   : bad(p, "unknown field %s (expected %s)", quoted(p, key),
                                         allowed.data);
        pc_buf_free(&allowed);
        return st;
    }
    return PC_OK;
}

/* Read member key of obj with r, the path pointing at it; absent is an error if required. */
static pc_status member(jp *p, const json_t *obj, const char *key, bool required, reader r,
                        void *out)
{
    const json_t *m = json_object_get(obj, key);
    if (!m)
        return required ? bad(p, "missing field \"%s\"", key) : PC_OK;
    size_t mark = push_key(p, key);
    pc_status st = r(p, m, out);
    pop(p, mark);
    return st;
}

/* Read every element of an array with r into a new arena array of elements of size bytes. */
static pc_status elements(jp *p, const json_t *arr, const char *what, size_t size, reader r,
                          void **items, uint32_t *n)
{
    TRY(want(p, arr, JSON_ARRAY, what));
    /* fits: the text is at most PC_MAX_POLICY_BYTES, and every element takes a byte */
    size_t count = json_array_size(arr);
    char *buf = count ? pc_arena_zalloc(p->a, count * size) : NULL;
    if (count && !buf)
        return nomem(p);
    for (size_t i = 0; i < count; i++) {
        size_t mark = push_index(p, i);
        pc_status st = r(p, json_array_get(arr, i), buf + i * size);
        pop(p, mark);
        TRY(st);
    }
    *items = buf;
    *n = (uint32_t)count;
    return PC_OK;
}

/* Readers of leaves, for member() and elements(). */
static pc_status read_string(jp *p, const json_t *j, void *out)
{
    return want_string(p, j, "a string", out);
}

static pc_status read_kept_string(jp *p, const json_t *j, void *out)
{
    pc_str s;
    TRY(want_string(p, j, "a string", &s));
    return keep(p, s, out);
}

/* A normalized Cedar name (an entity type), kept. */
static pc_status read_type_name(jp *p, const json_t *j, void *out)
{
    pc_str s;
    TRY(want_string(p, j, "an entity type name", &s));
    if (!pc_name_is_normalized(s.ptr, s.len))
        return bad(p, "%s is not an entity type name (identifiers joined by \"::\", without "
                      "spaces or reserved words)",
                   quoted(p, s));
    return keep(p, s, out);
}

/* ---- expression nodes ------------------------------------------------ */

/* A list of operands or elements, in the arena. */
typedef struct expr_list {
    pc_expr **items;
    uint32_t n;
} expr_list;

static pc_status node(jp *p, pc_ekind kind, pc_expr **out)
{
    pc_expr *e = pc_arena_zalloc(p->a, sizeof *e);
    if (!e)
        return nomem(p);
    e->kind = (uint8_t)kind;
    e->height = 1;
    *out = e;
    return PC_OK;
}

/*
** Record that child hangs under parent, keeping every height within
** PC_MAX_EXPR_DEPTH as ast.h promises. PC_MAX_JSON_DEPTH keeps JSON trees
** lower than that already; the check keeps the promise if the bounds move.
*/
static pc_status adopt(jp *p, pc_expr *parent, const pc_expr *child)
{
    if (!child || child->height < parent->height)
        return PC_OK;
    if (child->height >= PC_MAX_EXPR_DEPTH)
        return limit(p, "expression nested too deeply (more than %d levels)", PC_MAX_EXPR_DEPTH);
    parent->height = (uint16_t)(child->height + 1);
    return PC_OK;
}

static pc_status adopt_all(jp *p, pc_expr *parent, const expr_list *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        TRY(adopt(p, parent, l->items[i]));
    return PC_OK;
}

static pc_status lit(jp *p, pc_value v, pc_expr **out)
{
    TRY(node(p, PC_E_LIT, out));
    (*out)->u.lit = v;
    return PC_OK;
}

static pc_status call_node(jp *p, pc_fn fn, const expr_list *args, pc_expr **out)
{
    TRY(node(p, PC_E_CALL, out));
    (*out)->u.call.fn = fn;
    (*out)->u.call.n = args->n;
    (*out)->u.call.args = args->items;
    return adopt_all(p, *out, args);
}

static pc_status set_node(jp *p, const expr_list *items, pc_expr **out)
{
    TRY(node(p, PC_E_SET, out));
    (*out)->u.list.n = items->n;
    (*out)->u.list.items = items->items;
    return adopt_all(p, *out, items);
}

/* ---- lists and records, of expressions or of values ------------------ */

static pc_status read_expr(jp *p, const json_t *j, void *out)
{
    return expr(p, j, out);
}

static pc_status read_value(jp *p, const json_t *j, void *out)
{
    return value(p, j, out);
}

/* [x, ...] with each element read by r (read_expr, or read_value inside "Value"). */
static pc_status list_of(jp *p, const json_t *arr, reader r, expr_list *out)
{
    void *raw = NULL;
    TRY(elements(p, arr, "an array", sizeof(pc_expr *), r, &raw, &out->n));
    out->items = raw;
    return PC_OK;
}

static pc_status read_values(jp *p, const json_t *j, void *out)
{
    return list_of(p, j, read_value, out);
}

/* {"key": x, ...} as a record literal, each member read by r; keys in document order. */
static pc_status record_of(jp *p, const json_t *obj, reader r, pc_expr **out)
{
    TRY(want(p, obj, JSON_OBJECT, "an object"));
    size_t n = json_object_size(obj);
    pc_str *keys = pc_arena_alloc(p->a, (n ? n : 1) * sizeof *keys);
    expr_list vals = {pc_arena_alloc(p->a, (n ? n : 1) * sizeof(pc_expr *)), 0};
    if (!keys || !vals.items)
        return nomem(p);
    EACH_MEMBER(obj, it) {
        pc_str key = iter_key(it);
        size_t mark = push_user_key(p, key);
        pc_status st = keep(p, key, &keys[vals.n]);
        if (st == PC_OK)
            st = r(p, json_object_iter_value(it), &vals.items[vals.n]);
        pop(p, mark);
        TRY(st);
        vals.n++;
    }
    TRY(node(p, PC_E_RECORD, out));
    (*out)->u.rec.n = vals.n;
    (*out)->u.rec.keys = keys;
    (*out)->u.rec.vals = vals.items;
    return adopt_all(p, *out, &vals);
}

/* ---- entity uids and extension calls --------------------------------- */

static bool is_type_and_id(const json_t *j)
{
    return json_is_object(j) && json_is_string(json_object_get(j, "type")) &&
           json_is_string(json_object_get(j, "id"));
}

/* {"type": T, "id": I} to a uid (the shape is already checked). */
static pc_status uid_of(jp *p, const json_t *tid, const pc_uid **out)
{
    pc_str type, id;
    TRY(member(p, tid, "type", true, read_type_name, &type));
    TRY(keep(p, jstr(json_object_get(tid, "id")), &id));
    pc_uid *u = pc_uid_make(p->a, type, id);
    if (!u)
        return nomem(p);
    *out = u;
    return PC_OK;
}

/* The __expr escape was removed in Cedar 3.0; the reference still names it. */
static pc_status refuse_expr_escape(jp *p, const json_t *obj)
{
    if (json_is_string(json_object_get(obj, "__expr")))
        return bad(p, "the \"__expr\" escape is not supported (Cedar 3.0 removed it)");
    return PC_OK;
}

/* {"__entity": {"type", "id"}}: *found says whether obj is one, *out gets its uid. */
static pc_status entity_escape(jp *p, const json_t *obj, bool *found, const pc_uid **out)
{
    const json_t *tid = json_object_get(obj, "__entity");
    *found = is_type_and_id(tid);
    if (!*found)
        return PC_OK;
    size_t mark = push_key(p, "__entity");
    pc_status st = uid_of(p, tid, out);
    pop(p, mark);
    return st;
}

/* An entity uid where nothing else may stand: {"type", "id"}, with or without "__entity". */
static pc_status read_entity_uid(jp *p, const json_t *j, void *out)
{
    if (json_is_object(j)) {
        bool found;
        TRY(refuse_expr_escape(p, j));
        TRY(entity_escape(p, j, &found, out));
        if (found)
            return PC_OK;
        if (is_type_and_id(j))
            return uid_of(p, j, out);
    }
    return bad(p, "expected an entity uid ({\"type\": \"T\", \"id\": \"i\"}, optionally inside "
                  "{\"__entity\": ...}), found %s",
               json_kind(j));
}

/* The extension function a name denotes, in either call style; built-in methods are not. */
static bool ext_fn(pc_str name, pc_fn *fn)
{
    if (!pc_fn_lookup(name, false, fn) && !pc_fn_lookup(name, true, fn))
        return false;
    return !pc_fn_get(*fn)->is_builtin;
}

static pc_status read_ext_fn(jp *p, const json_t *j, void *out)
{
    pc_str name;
    TRY(want_string(p, j, "an extension function name", &name));
    if (!ext_fn(name, out))
        return bad(p, "unknown extension function %s", quoted(p, name));
    return PC_OK;
}

/* {"__extn": {"fn": F, "arg": A}} or {"fn": F, "args": [A, ...]}: the shape only. */
static bool is_fn_and_args(const json_t *j)
{
    return json_is_object(j) && json_is_string(json_object_get(j, "fn")) &&
           (json_object_get(j, "arg") || json_is_array(json_object_get(j, "args")));
}

/* The call an "__extn" escape stands for; its arguments are values too. */
static pc_status extn_call(jp *p, const json_t *fa, pc_expr **out)
{
    pc_fn fn;
    expr_list args = {0};
    TRY(member(p, fa, "fn", true, read_ext_fn, &fn));
    if (json_object_get(fa, "arg")) {
        args.n = 1;
        args.items = pc_arena_alloc(p->a, sizeof(pc_expr *));
        if (!args.items)
            return nomem(p);
        TRY(member(p, fa, "arg", true, read_value, &args.items[0]));
    } else {
        TRY(member(p, fa, "args", true, read_values, &args));
    }
    return call_node(p, fn, &args, out);
}

/* ---- values: {"Value": v} -------------------------------------------- */

/* An object: an escape (__expr refused, __entity, __extn) or else a record. */
static pc_status value_object(jp *p, const json_t *j, pc_expr **out)
{
    bool found;
    const pc_uid *u = NULL;
    TRY(refuse_expr_escape(p, j));
    TRY(entity_escape(p, j, &found, &u));
    if (found)
        return lit(p, pc_v_entity(u), out);
    const json_t *fa = json_object_get(j, "__extn");
    if (!is_fn_and_args(fa))
        return record_of(p, j, read_value, out);
    size_t mark = push_key(p, "__extn");
    pc_status st = extn_call(p, fa, out);
    pop(p, mark);
    return st;
}

/* A value in the entity-data format, built as the expression that makes it. */
static pc_status value(jp *p, const json_t *j, pc_expr **out)
{
    switch (json_typeof(j)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return lit(p, pc_v_bool(json_is_true(j)), out);
    case JSON_INTEGER:
        return lit(p, pc_v_long(json_integer_value(j)), out);
    case JSON_STRING: {
        pc_str s;
        TRY(keep(p, jstr(j), &s));
        return lit(p, pc_v_string(s), out);
    }
    case JSON_ARRAY: {
        expr_list items;
        TRY(list_of(p, j, read_value, &items));
        return set_node(p, &items, out);
    }
    case JSON_OBJECT:
        return value_object(p, j, out);
    case JSON_REAL:
        return bad(p, "Cedar numbers are 64-bit integers; found a number with a fraction or "
                      "exponent");
    case JSON_NULL:
        break;
    }
    return bad(p, "null is not a Cedar value");   /* JSON_NULL, the one kind left */
}

/* ---- expression forms ------------------------------------------------ */

/* The operand members of body named by fields, read as expressions in that order. */
static pc_status operands(jp *p, const json_t *body, const char *const *fields, expr_list *ops)
{
    TRY(want(p, body, JSON_OBJECT, "an object of operands"));
    TRY(only_fields(p, body, fields));
    uint32_t n = 0;
    while (fields[n])
        n++;
    ops->n = n;
    ops->items = pc_arena_zalloc(p->a, n * sizeof(pc_expr *));
    if (!ops->items)
        return nomem(p);
    for (uint32_t i = 0; i < n; i++)
        TRY(member(p, body, fields[i], true, read_expr, &ops->items[i]));
    return PC_OK;
}

/* `!`, `neg`, the binary operators, `if-then-else` and the built-in methods. */
static pc_status operator_form(jp *p, const pc_est_form *f, const json_t *body, pc_expr **out)
{
    expr_list ops;
    TRY(operands(p, body, f->fields, &ops));
    if (f->kind == PC_E_CALL)
        return call_node(p, (pc_fn)f->fn, &ops, out);
    TRY(node(p, (pc_ekind)f->kind, out));
    pc_expr *const *o = ops.items;
    (*out)->u.op.a = o[0];
    (*out)->u.op.b = ops.n > 1 ? o[1] : NULL;
    (*out)->u.op.c = ops.n > 2 ? o[2] : NULL;
    return adopt_all(p, *out, &ops);
}

/* `.` and `has`: {"left": e, "attr": "name"}. */
static pc_status attr_form(jp *p, const pc_est_form *f, const json_t *body, pc_expr **out)
{
    pc_expr *obj;
    pc_str name;
    TRY(want(p, body, JSON_OBJECT, "an object with \"left\" and \"attr\""));
    TRY(only_fields(p, body, attr_fields));
    TRY(member(p, body, "left", true, read_expr, &obj));
    TRY(member(p, body, "attr", true, read_kept_string, &name));
    TRY(node(p, (pc_ekind)f->kind, out));
    (*out)->u.attr.obj = obj;
    (*out)->u.attr.name = name;
    return adopt(p, *out, obj);
}

/* One pattern element: "Wildcard" or {"Literal": "text"}. */
static pc_status read_piece(jp *p, const json_t *j, void *out)
{
    pc_pattern_piece *piece = out;
    if (json_is_string(j) && pc_str_eq_cstr(jstr(j), "Wildcard")) {
        piece->wildcard = true;
        return PC_OK;
    }
    const json_t *text = json_is_object(j) && json_object_size(j) == 1
                             ? json_object_get(j, "Literal")
                             : NULL;
    if (!text)
        return bad(p, "expected \"Wildcard\" or {\"Literal\": \"text\"}, found %s", json_kind(j));
    return member(p, j, "Literal", true, read_kept_string, &piece->text);
}

static pc_status read_pattern(jp *p, const json_t *j, void *out)
{
    void *pieces = NULL;
    uint32_t n = 0;
    TRY(elements(p, j, "a pattern (an array)", sizeof(pc_pattern_piece), read_piece, &pieces, &n));
    return pc_pattern_from_pieces(p->a, pieces, n, out) ? PC_OK : nomem(p);
}

/* `like`: {"left": e, "pattern": [...]}. */
static pc_status like_form(jp *p, const json_t *body, pc_expr **out)
{
    pc_expr *obj;
    pc_pattern *pat;
    TRY(want(p, body, JSON_OBJECT, "an object with \"left\" and \"pattern\""));
    TRY(only_fields(p, body, like_fields));
    TRY(member(p, body, "left", true, read_expr, &obj));
    TRY(member(p, body, "pattern", true, read_pattern, &pat));
    TRY(node(p, PC_E_LIKE, out));
    (*out)->u.like.obj = obj;
    (*out)->u.like.pat = pat;
    return adopt(p, *out, obj);
}

/* `is`: {"left": e, "entity_type": "T"} with an optional "in": e. */
static pc_status is_form(jp *p, const json_t *body, pc_expr **out)
{
    pc_expr *obj, *in = NULL;
    pc_str type;
    TRY(want(p, body, JSON_OBJECT, "an object with \"left\" and \"entity_type\""));
    TRY(only_fields(p, body, is_fields));
    TRY(member(p, body, "left", true, read_expr, &obj));
    TRY(member(p, body, "entity_type", true, read_type_name, &type));
    TRY(member(p, body, "in", false, read_expr, &in));
    TRY(node(p, PC_E_IS, out));
    (*out)->u.is.obj = obj;
    (*out)->u.is.type = type;
    (*out)->u.is.in = in;
    TRY(adopt(p, *out, obj));
    return adopt(p, *out, in);
}

static const char *const var_names[] = {"principal", "action", "resource", "context"};

static pc_status var_form(jp *p, const json_t *body, pc_expr **out)
{
    pc_str name;
    TRY(want_string(p, body, "a variable name", &name));
    for (int v = 0; v < 4; v++)
        if (pc_str_eq_cstr(name, var_names[v])) {
            TRY(node(p, PC_E_VAR, out));
            (*out)->u.var = (pc_var)v;
            return PC_OK;
        }
    return bad(p, "unknown variable %s (the variables are principal, action, resource and "
                  "context)",
               quoted(p, name));
}

static pc_status form(jp *p, const pc_est_form *f, const json_t *body, pc_expr **out)
{
    switch (f->shape) {
    case PC_EST_VALUE: return value(p, body, out);
    case PC_EST_VAR: return var_form(p, body, out);
    case PC_EST_SLOT:
        return bad(p, "template slots may only appear in the policy scope, not in when/unless "
                      "conditions");
    case PC_EST_ATTR: return attr_form(p, f, body, out);
    case PC_EST_LIKE: return like_form(p, body, out);
    case PC_EST_IS: return is_form(p, body, out);
    case PC_EST_SET: {
        expr_list items;
        TRY(list_of(p, body, read_expr, &items));
        return set_node(p, &items, out);
    }
    case PC_EST_RECORD: return record_of(p, body, read_expr, out);
    default: return operator_form(p, f, body, out);
    }
}

/* expr := {KEY: body} with KEY a form of the table or an extension function. */
static pc_status expr(jp *p, const json_t *j, pc_expr **out)
{
    TRY(want(p, j, JSON_OBJECT, "an expression (an object with one key)"));
    size_t n = json_object_size(j);
    if (n != 1)
        return n == 0 ? bad(p, "an empty object is not an expression")
                      : bad(p, "an expression object has exactly one key, found %zu", n);
    void *it = json_object_iter((json_t *)j);
    pc_str key = iter_key(it);
    const json_t *body = json_object_iter_value(it);
    const pc_est_form *f = pc_est_form_by_key(key);
    pc_fn fn = PC_FN_COUNT_;
    if (!f && !ext_fn(key, &fn))
        return bad(p, "unknown expression kind %s", quoted(p, key));
    size_t mark = push(p, key.ptr, key.len);
    pc_status st;
    if (f) {
        st = form(p, f, body, out);
    } else {
        expr_list args;
        st = list_of(p, body, read_expr, &args);
        if (st == PC_OK)
            st = call_node(p, fn, &args, out);
    }
    pop(p, mark);
    return st;
}

/* ---- the scope ------------------------------------------------------- */

static const char *const all_fields[] = {"op", NULL};
static const char *const is_scope_fields[] = {"op", "entity_type", "in", NULL};

/* "?principal" or "?resource", which must be the variable's own (*out holds it). */
static pc_status read_slot(jp *p, const json_t *j, void *out)
{
    pc_slot own = *(const pc_slot *)out;
    const char *mine = own == PC_SLOT_PRINCIPAL ? PC_EST_SLOT_PRINCIPAL : PC_EST_SLOT_RESOURCE;
    const char *other = own == PC_SLOT_PRINCIPAL ? PC_EST_SLOT_RESOURCE : PC_EST_SLOT_PRINCIPAL;
    pc_str s;
    TRY(want_string(p, j, "a template slot", &s));
    if (pc_str_eq_cstr(s, mine))
        return PC_OK;
    if (pc_str_eq_cstr(s, other))
        return bad(p, "the %s slot cannot constrain this variable (each slot constrains its own: "
                      "expected %s)",
                   other, mine);
    return bad(p, "invalid template slot %s (expected %s)", quoted(p, s), mine);
}

/* {"entity": uid} or, in a template, {"slot": "?principal"}; other members are ignored. */
static pc_status scope_target(jp *p, const json_t *j, pc_slot own, pc_scope *s)
{
    if (json_object_get(j, "entity"))
        return member(p, j, "entity", true, read_entity_uid, &s->uid);
    if (!json_object_get(j, "slot"))
        return bad(p, "missing field \"entity\" (or \"slot\" in a template)");
    s->slot = true;
    return member(p, j, "slot", true, read_slot, &own);
}

static bool is_all(pc_str op)
{
    return pc_str_eq_cstr(op, "All") || pc_str_eq_cstr(op, "all");
}

/* Every scope constraint is an object with an "op"; "All" (or "all") has nothing else. */
static pc_status scope_op(jp *p, const json_t *j, pc_scope *s, pc_str *op)
{
    TRY(want(p, j, JSON_OBJECT, "a scope constraint (an object with \"op\")"));
    TRY(member(p, j, "op", true, read_string, op));
    s->op = PC_SCOPE_ANY;
    return is_all(*op) ? only_fields(p, j, all_fields) : PC_OK;
}

/* `in` under `is`: {"entity": uid} or {"slot": ...}. */
static pc_status is_in_target(jp *p, const json_t *j, pc_slot own, pc_scope *s)
{
    size_t mark = push_key(p, "in");
    pc_status st = want(p, j, JSON_OBJECT, "an object with \"entity\" or \"slot\"");
    if (st == PC_OK)
        st = scope_target(p, j, own, s);
    pop(p, mark);
    return st;
}

/* principal / resource: All | == target | in target | is T [in target] */
static pc_status pr_scope(jp *p, const json_t *j, pc_slot own, pc_scope *s)
{
    pc_str op;
    TRY(scope_op(p, j, s, &op));
    if (is_all(op))
        return PC_OK;
    bool eq = pc_str_eq_cstr(op, "==");
    if (eq || pc_str_eq_cstr(op, "in")) {
        s->op = eq ? PC_SCOPE_EQ : PC_SCOPE_IN;
        return scope_target(p, j, own, s);
    }
    if (!pc_str_eq_cstr(op, "is"))
        return bad_in(p, "op", "unknown scope operator %s (expected \"All\", \"==\", \"in\" or "
                               "\"is\")",
                      quoted(p, op));
    TRY(only_fields(p, j, is_scope_fields));
    TRY(member(p, j, "entity_type", true, read_type_name, &s->is_type));
    const json_t *in = json_object_get(j, "in");
    s->op = in ? PC_SCOPE_IS_IN : PC_SCOPE_IS;
    return in ? is_in_target(p, in, own, s) : PC_OK;
}

static pc_status read_principal(jp *p, const json_t *j, void *out)
{
    return pr_scope(p, j, PC_SLOT_PRINCIPAL, out);
}

static pc_status read_resource(jp *p, const json_t *j, void *out)
{
    return pr_scope(p, j, PC_SLOT_RESOURCE, out);
}

static pc_status check_actions(jp *p, const pc_uid *const *uids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!pc_uid_is_action(uids[i]))
            return bad(p, "expected an action entity (type `Action` or `NS::Action`) in the "
                          "action scope, found type `%.*s`",
                       (int)uids[i]->type.len, uids[i]->type.ptr);
    return PC_OK;
}

static pc_status read_uids(jp *p, const json_t *j, void *out)
{
    pc_scope *s = out;
    void *raw = NULL;
    TRY(elements(p, j, "an array of entity uids", sizeof(const pc_uid *), read_entity_uid, &raw,
                 &s->n));
    s->uids = raw;
    return PC_OK;
}

/* action: All | == {"entity"} | in {"entity"} | in {"entities": [...]} — no slots. */
static pc_status read_action(jp *p, const json_t *j, void *out)
{
    pc_scope *s = out;
    pc_str op;
    TRY(scope_op(p, j, s, &op));
    if (is_all(op))
        return PC_OK;
    bool eq = pc_str_eq_cstr(op, "=="), in = pc_str_eq_cstr(op, "in");
    if (!eq && !in)
        return bad_in(p, "op", "unknown action scope operator %s (expected \"All\", \"==\" or "
                               "\"in\")",
                      quoted(p, op));
    if (json_object_get(j, "entity")) {
        s->op = eq ? PC_SCOPE_EQ : PC_SCOPE_IN;
        TRY(member(p, j, "entity", true, read_entity_uid, &s->uid));
        return check_actions(p, &s->uid, 1);
    }
    if (in && json_object_get(j, "entities")) {
        s->op = PC_SCOPE_IN_SET;
        TRY(member(p, j, "entities", true, read_uids, s));
        return check_actions(p, s->uids, s->n);
    }
    if (json_object_get(j, "slot"))
        return bad(p, "the action scope cannot hold a template slot");
    return bad(p, eq ? "missing field \"entity\"" : "missing field \"entity\" or \"entities\"");
}

/* ---- policies -------------------------------------------------------- */

static const char *const policy_fields[] = {"effect",     "principal",   "action", "resource",
                                            "conditions", "annotations", NULL};
static const char *const condition_fields[] = {"kind", "body", NULL};

static pc_status read_effect(jp *p, const json_t *j, void *out)
{
    pc_str effect;
    TRY(want_string(p, j, "\"permit\" or \"forbid\"", &effect));
    *(bool *)out = pc_str_eq_cstr(effect, "forbid");
    if (*(bool *)out || pc_str_eq_cstr(effect, "permit"))
        return PC_OK;
    return bad(p, "expected \"permit\" or \"forbid\", found %s", quoted(p, effect));
}

/* {"kind": "when" | "unless", "body": expr} */
static pc_status read_condition(jp *p, const json_t *j, void *out)
{
    pc_condition *c = out;
    pc_str kind;
    TRY(want(p, j, JSON_OBJECT, "a condition ({\"kind\": \"when\", \"body\": ...})"));
    TRY(only_fields(p, j, condition_fields));
    TRY(member(p, j, "kind", true, read_string, &kind));
    c->unless = pc_str_eq_cstr(kind, "unless");
    if (!c->unless && !pc_str_eq_cstr(kind, "when"))
        return bad_in(p, "kind", "expected \"when\" or \"unless\", found %s", quoted(p, kind));
    return member(p, j, "body", true, read_expr, &c->expr);
}

static pc_status read_conditions(jp *p, const json_t *j, void *out)
{
    pc_policy *pol = out;
    void *raw = NULL;
    TRY(elements(p, j, "an array of conditions", sizeof(pc_condition), read_condition, &raw,
                 &pol->n_conds));
    pol->conds = raw;
    return PC_OK;
}

/* One annotation: an identifier key (reserved words too) and a string or null value. */
static pc_status annotation(jp *p, pc_str key, const json_t *v, pc_annotation *an)
{
    if (!pc_is_identifier(key.ptr, key.len))
        return bad(p, "invalid annotation key %s (annotation keys are identifiers)",
                   quoted(p, key));
    an->has_value = !json_is_null(v);
    pc_str text = PC_STR_LIT("");
    if (an->has_value)
        TRY(want_string(p, v, "a string or null (the annotation value)", &text));
    TRY(keep(p, key, &an->key));
    return keep(p, text, &an->value);
}

static pc_status read_annotations(jp *p, const json_t *j, void *out)
{
    pc_policy *pol = out;
    TRY(want(p, j, JSON_OBJECT, "an object of annotations"));
    size_t n = json_object_size(j);
    pol->annos = pc_arena_zalloc(p->a, (n ? n : 1) * sizeof *pol->annos);
    if (!pol->annos)
        return nomem(p);
    EACH_MEMBER(j, it) {
        pc_str key = iter_key(it);
        size_t mark = push_user_key(p, key);
        pc_status st = annotation(p, key, json_object_iter_value(it), &pol->annos[pol->n_annos]);
        pop(p, mark);
        TRY(st);
        pol->n_annos++;
    }
    return PC_OK;
}

/* Give the policy its Cedar rendering as source, named after its place in the document. */
static pc_status describe(jp *p, pc_policy *pol)
{
    char *name = p->path.len ? pc_arena_printf(p->a, "%s (%s, as Cedar text)", p->name,
                                               p->path.data)
                             : pc_arena_printf(p->a, "%s (as Cedar text)", p->name);
    pc_buf b;
    pc_buf_init(&b);
    pc_str text = PC_STR_NULL;
    if (pc_policy_print(&b, pol) && !b.oom)
        text = pc_arena_str(p->a, b.data, b.len);
    pc_buf_free(&b);
    if (!name || !text.ptr || p->path.oom)
        return nomem(p);
    pol->src_name = name;
    pol->src = text.ptr;
    pol->src_len = text.len;
    pol->offset = 0;
    pol->end = (uint32_t)text.len;
    return PC_OK;
}

/* policy := {"effect", "principal", "action", "resource", "conditions" [, "annotations"]} */
static pc_status policy(jp *p, const json_t *j, pc_policy *pol)
{
    TRY(want(p, j, JSON_OBJECT, "a policy object"));
    TRY(only_fields(p, j, policy_fields));
    TRY(member(p, j, "effect", true, read_effect, &pol->forbid));
    TRY(member(p, j, "principal", true, read_principal, &pol->principal));
    TRY(member(p, j, "action", true, read_action, &pol->action));
    TRY(member(p, j, "resource", true, read_resource, &pol->resource));
    TRY(member(p, j, "conditions", true, read_conditions, pol));
    TRY(member(p, j, "annotations", false, read_annotations, pol));
    pol->has_principal_slot = pol->principal.slot;
    pol->has_resource_slot = pol->resource.slot;
    pol->is_template = pol->has_principal_slot || pol->has_resource_slot;
    return describe(p, pol);
}

/* ---- documents: one policy, or a policy set -------------------------- */

/* What a document converts to, before it reaches the caller. */
typedef struct doc {
    pc_policy **pols;
    uint32_t n;
    uint32_t numbered;       /* how many took text-style ids (policyN) */
    pc_policy_links links;
} doc;

/* One group of a policy set: its policies go to d->pols; templates or not. */
typedef struct group {
    doc *d;
    bool templates;
} group;

static const char *const set_fields[] = {"staticPolicies", "templates", "templateLinks", NULL};
/* The members that make an object a single policy (as the reference CLI decides). */
static const char *const single_fields[] = {"effect", "principal", "action", "resource",
                                            "conditions", NULL};
static const char *const link_fields[] = {"templateId", "newId", "values", NULL};

/* {id: policy, ...} */
static pc_status read_group(jp *p, const json_t *j, void *out)
{
    group *g = out;
    TRY(want(p, j, JSON_OBJECT, "an object of policies keyed by id"));
    EACH_MEMBER(j, it) {
        pc_str id = iter_key(it);
        pc_policy *pol = pc_arena_zalloc(p->a, sizeof *pol);
        if (!pol)
            return nomem(p);
        size_t mark = push_user_key(p, id);
        pc_status st = keep(p, id, &pol->id);
        if (st == PC_OK)
            st = policy(p, json_object_iter_value(it), pol);
        if (st == PC_OK && pol->is_template && !g->templates)
            st = bad(p, "a static policy cannot have template slots (put templates under "
                        "\"templates\")");
        pop(p, mark);
        TRY(st);
        pol->is_template = g->templates;   /* a template without slots is still a template */
        g->d->pols[g->d->n++] = pol;
    }
    return PC_OK;
}

/* "templateId": one of this set's templates (a JSON policy set stands alone). */
static pc_status read_template_ref(jp *p, const json_t *j, void *out)
{
    pc_str id;
    TRY(want_string(p, j, "a template id", &id));
    for (uint32_t i = 0; i < p->n_templates; i++)
        if (pc_str_eq(p->templates[i]->id, id)) {
            *(const pc_policy **)out = p->templates[i];
            return PC_OK;
        }
    return bad(p, "no template %s in this policy set", quoted(p, id));
}

/* "values": {"?principal": uid, "?resource": uid}, either or both. */
static pc_status read_link_values(jp *p, const json_t *j, void *out)
{
    pc_policy_link *l = out;
    TRY(want(p, j, JSON_OBJECT, "an object of slot values"));
    EACH_MEMBER(j, it) {
        pc_str slot = iter_key(it);
        const pc_uid **dst = pc_str_eq_cstr(slot, PC_EST_SLOT_PRINCIPAL)  ? &l->principal
                             : pc_str_eq_cstr(slot, PC_EST_SLOT_RESOURCE) ? &l->resource
                                                                          : NULL;
        if (!dst)
            return bad(p, "unknown slot %s (expected \"%s\" or \"%s\")", quoted(p, slot),
                       PC_EST_SLOT_PRINCIPAL, PC_EST_SLOT_RESOURCE);
        size_t mark = push_user_key(p, slot);
        pc_status st = read_entity_uid(p, json_object_iter_value(it), dst);
        pop(p, mark);
        TRY(st);
    }
    return PC_OK;
}

/* {"templateId", "newId", "values"} */
static pc_status read_link(jp *p, const json_t *j, void *out)
{
    pc_policy_link *l = out;
    TRY(want(p, j, JSON_OBJECT, "a template link object"));
    TRY(only_fields(p, j, link_fields));
    TRY(member(p, j, "templateId", true, read_template_ref, &l->template_of));
    TRY(member(p, j, "newId", true, read_kept_string, &l->new_id));
    return member(p, j, "values", true, read_link_values, l);
}

static pc_status read_links(jp *p, const json_t *j, void *out)
{
    pc_policy_links *links = out;
    void *raw = NULL;
    TRY(elements(p, j, "an array of template links", sizeof(pc_policy_link), read_link, &raw,
                 &links->n));
    links->items = raw;
    return PC_OK;
}

static int cmp_str(const void *x, const void *y)
{
    return pc_str_cmp(*(const pc_str *)x, *(const pc_str *)y);
}

/* Static policies, templates and links share one space of ids. O(n log n). */
static pc_status unique_ids(jp *p, const doc *d)
{
    size_t n = (size_t)d->n + d->links.n;
    if (n < 2)
        return PC_OK;
    pc_str *ids = pc_arena_alloc(p->a, n * sizeof *ids);
    if (!ids)
        return nomem(p);
    for (uint32_t i = 0; i < d->n; i++)
        ids[i] = d->pols[i]->id;
    for (uint32_t i = 0; i < d->links.n; i++)
        ids[d->n + i] = d->links.items[i].new_id;
    qsort(ids, n, sizeof *ids, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (pc_str_eq(ids[i], ids[i - 1]))
            return bad(p, "policy id %s is used twice (static policies, templates and template "
                          "links share one set of ids)",
                       quoted(p, ids[i]));
    return PC_OK;
}

/* {"staticPolicies": {...}, "templates": {...}, "templateLinks": [...]}, all required. */
static pc_status policy_set(jp *p, const json_t *j, doc *d)
{
    TRY(only_fields(p, j, set_fields));
    size_t room = json_object_size(json_object_get(j, "staticPolicies")) +
                  json_object_size(json_object_get(j, "templates"));
    d->pols = pc_arena_alloc(p->a, (room ? room : 1) * sizeof *d->pols);
    if (!d->pols)
        return nomem(p);
    group statics = {d, false}, templates = {d, true};
    TRY(member(p, j, "staticPolicies", true, read_group, &statics));
    uint32_t first_template = d->n;
    TRY(member(p, j, "templates", true, read_group, &templates));
    p->templates = d->pols + first_template;
    p->n_templates = d->n - first_template;
    TRY(member(p, j, "templateLinks", true, read_links, &d->links));
    return unique_ids(p, d);
}

/* A single policy: the text format's next id, policyN. */
static pc_status single_policy(jp *p, const json_t *j, uint32_t next_id, doc *d)
{
    pc_policy *pol = pc_arena_zalloc(p->a, sizeof *pol);
    d->pols = pc_arena_alloc(p->a, sizeof *d->pols);
    char *id = pc_arena_printf(p->a, "policy%u", (unsigned)next_id);
    if (!pol || !d->pols || !id)
        return nomem(p);
    pol->id = pc_str_from_cstr(id);
    TRY(policy(p, j, pol));
    d->pols[0] = pol;
    d->n = d->numbered = 1;
    return PC_OK;
}

static bool has_any(const json_t *obj, const char *const *fields)
{
    for (size_t i = 0; fields[i]; i++)
        if (json_object_get(obj, fields[i]))
            return true;
    return false;
}

static pc_status document(jp *p, const json_t *j, uint32_t next_id, doc *d)
{
    TRY(want(p, j, JSON_OBJECT, "a policy or policy set object"));
    bool set = has_any(j, set_fields), single = has_any(j, single_fields);
    if (set && single)
        return bad(p, "the object has both policy fields (\"effect\", \"principal\", ...) and "
                      "policy set fields (\"staticPolicies\", \"templates\", \"templateLinks\")");
    if (!set && !single)
        return bad(p, "expected a policy (\"effect\", \"principal\", \"action\", \"resource\", "
                      "\"conditions\") or a policy set (\"staticPolicies\", \"templates\", "
                      "\"templateLinks\")");
    return set ? policy_set(p, j, d) : single_policy(p, j, next_id, d);
}

/* The JSON text as jansson values, with pc_json_parse's status kept even for a NULL d. */
static json_t *read_json(const char *src, size_t len, const char *name, pc_diag *d,
                         pc_status *st)
{
    pc_diag jd;
    pc_diag_init(&jd);
    json_t *j = pc_json_parse(src, len, name, &jd);
    if (!j)
        *st = pc_diag_set(d, jd.status != PC_OK ? jd.status : PC_ERR_NOMEM, "%s",
                          jd.msg ? jd.msg : "out of memory reading JSON");
    pc_diag_clear(&jd);
    return j;
}

/* Hand a converted document to the caller, all or nothing. */
static pc_status deliver(jp *p, const doc *d, uint32_t *next_id, pc_policy_list *out,
                         pc_policy_links *links)
{
    if (d->links.n > 0 && !links)
        return bad(p, "template links are not accepted here");
    if (d->numbered > UINT32_MAX - *next_id)
        return limit(p, "too many policies");
    pc_status st = pc_policy_list_append(out, d->pols, d->n);
    if (st == PC_ERR_LIMIT)
        return limit(p, "too many policies");
    if (st != PC_OK)
        return nomem(p);
    *next_id += d->numbered;
    if (links)
        *links = d->links;
    return PC_OK;
}

pc_status pc_parse_policies_json(pc_arena *a, pc_intern *in, const char *src, size_t len,
                                 const char *name, uint32_t *next_id, pc_policy_list *out,
                                 pc_policy_links *links, pc_diag *d)
{
    if (!name)
        name = "<policies>";
    if (len > PC_MAX_POLICY_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: policy text is %zu bytes, more than the limit %u",
                           name, len, (unsigned)PC_MAX_POLICY_BYTES);
    pc_status st = PC_OK;
    json_t *j = read_json(src, len, name, d, &st);
    if (!j)
        return st;
    jp p = {.a = a, .in = in, .name = name, .d = d};
    pc_buf_init(&p.path);
    doc dc = {0};
    st = document(&p, j, *next_id, &dc);
    if (st == PC_OK)
        st = deliver(&p, &dc, next_id, out, links);
    json_decref(j);
    pc_buf_free(&p.path);
    return st;
}
