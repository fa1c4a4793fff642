/*
** entity/json.c — Cedar values from JSON, in the format of the reference's
** entity attributes and request contexts.
**
** The reference reads a value with serde "untagged" enums, trying each form
** in a fixed order and taking the first that fits; this file tries the same
** forms in the same order, so odd inputs land where they land there:
**   - an object whose only member is a string "__expr" is refused (removed
**     in Cedar 3.0);
**   - {"__entity": {"type": T, "id": I}} is an entity uid; when the object
**     has other members too, or "__entity" does not hold a type and an id,
**     the object is just a record with a member named "__entity" (the same
**     holds for "__extn" below: escapes are one-member objects);
**   - {"__extn": {"fn": F, "arg": A}} calls extension function F on A, and
**     {"__extn": {"fn": F, "args": [A, B]}} on several (the reference writes
**     a datetime before year 1 as offset(datetime(..), duration(..))); any
**     extension function is allowed, as the reference evaluates the call;
**   - other objects are records, arrays are sets, integers are longs
**     (exact over all of int64), and floats and null are refused.
** When the schema type is known, the reference reads differently: entity
** types also take {"type", "id"} without the escape, extension types also
** take {"fn", "arg"} or the bare constructor argument ("10.0.0.1" for an
** ipaddr), sets read their elements and records their declared attributes
** with the declared types. That structural parse is all the reference does
** while reading; the type check is a separate pass (pc_conforms_at, in
** request.c) that pc_value_from_json and the entity store apply and a
** request context only gets when the request is validated.
**
** Everything is allocated from the caller's arena; strings are interned when
** an interner is given. Errors name the value's path ("attrs.owner.id"). The
** path is a chain of frames on the C stack, one per member or element being
** read, and is rendered as text only when a message needs it, so reading a
** well-formed value (a request's uids, say) touches no heap.
*/
#include <stdio.h>
#include <string.h>

#include "../value/ext.h"
#include "entity_internal.h"

/* pc_set and pc_record count their items in 32 bits. */
#define PC_JSON_MAX_ITEMS UINT32_MAX

/* One step of the path to the value being read: the root, a member or an element. */
typedef enum { AT_ROOT, AT_KEY, AT_INDEX } at_kind;

typedef struct jpath {
    const struct jpath *up;   /* the enclosing value's frame; NULL for the root */
    at_kind kind;
    const char *root;         /* AT_ROOT: the caller's path text, or NULL */
    pc_str key;               /* AT_KEY */
    size_t index;             /* AT_INDEX */
} jpath;

/* One conversion in progress: the caller's settings, where we are, where errors go. */
typedef struct jctx {
    const pc_json_in *in;
    jpath root;
    const jpath *at;          /* the innermost frame */
    pc_status status;   /* what malformed data is: an entity or a request error */
    pc_diag *d;
} jctx;

static pc_status value(jctx *c, json_t *j, const pc_type *t, unsigned depth, pc_value *out);
static pc_status generic(jctx *c, json_t *j, unsigned depth, pc_value *out);

/* ---- errors ------------------------------------------------------------- */

/* Set the diagnostic to "NAME: msg" (msg already starts with the path). */
static pc_status report(jctx *c, pc_status st, const pc_buf *msg)
{
    if (msg->oom || !msg->data)
        return pc_diag_set(c->d, PC_ERR_NOMEM, "out of memory while reporting a JSON error");
    if (c->in->name)
        return pc_diag_set(c->d, st, "%s: %s", c->in->name, msg->data);
    return pc_diag_set(c->d, st, "%s", msg->data);
}

/* Append the path of frame f ("context.meta[2]"), outermost step first. */
static void render(pc_buf *b, const jpath *f)
{
    if (f->up)
        render(b, f->up);
    switch (f->kind) {
    case AT_ROOT:
        if (f->root)
            pc_buf_puts(b, f->root);
        break;
    case AT_KEY: pc_path_key(b, f->key); break;
    case AT_INDEX: pc_path_index(b, f->index); break;
    }
}

static pc_status failv(jctx *c, pc_status st, const char *fmt, va_list ap)
{
    pc_buf b;
    pc_buf_init(&b);
    render(&b, c->at);   /* b was empty: a path, if any, then its ": " lead */
    if (b.len > 0)
        pc_buf_puts(&b, ": ");
    pc_buf_vprintf(&b, fmt, ap);
    report(c, st, &b);
    pc_buf_free(&b);
    return st;
}

/* Malformed or mistyped data at the current path. */
static PC_PRINTF(2, 3) pc_status fail(jctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(c, c->status, fmt, ap);
    va_end(ap);
    return c->status;
}

static PC_PRINTF(2, 3) pc_status fail_limit(jctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(c, PC_ERR_LIMIT, fmt, ap);
    va_end(ap);
    return PC_ERR_LIMIT;
}

static pc_status nomem(jctx *c)
{
    return pc_diag_set(c->d, PC_ERR_NOMEM, "out of memory while reading JSON");
}

/* Bytes as a JSON string literal for a message (they may hold NULs or controls). */
static const char *quoted(jctx *c, const char *p, size_t n)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_json_string(&b, p, n);
    char *s = b.oom ? NULL : pc_arena_strdup(c->in->arena, b.data);
    pc_buf_free(&b);
    return s ? s : "\"?\"";
}

/* How a JSON value looks, for "expected X, got Y" messages. */
static const char *json_kind(const json_t *j)
{
    if (!j)
        return "nothing";
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "a JSON object";
    case JSON_ARRAY: return "a JSON array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction or exponent";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

static pc_status mismatch(jctx *c, const pc_type *t, const json_t *j)
{
    pc_buf tb;
    pc_buf_init(&tb);
    pc_type_print(&tb, t);
    pc_status st = tb.oom ? nomem(c) : fail(c, "expected %s, got %s", tb.data, json_kind(j));
    pc_buf_free(&tb);
    return st;
}

/* ---- paths ---------------------------------------------------------------- */

/* Frames for descending into a member or an element of the current value. */
static jpath key_frame(const jctx *c, pc_str key)
{
    return (jpath){c->at, AT_KEY, NULL, key, 0};
}

static jpath index_frame(const jctx *c, size_t i)
{
    return (jpath){c->at, AT_INDEX, NULL, PC_STR_NULL, i};
}

static void jctx_init(jctx *c, const pc_json_in *in, const char *path, pc_status st, pc_diag *d)
{
    c->in = in;
    c->root = (jpath){NULL, AT_ROOT, path, PC_STR_NULL, 0};
    c->at = &c->root;
    c->status = st;
    c->d = d;
}

/* ---- strings and names -------------------------------------------------- */

/* Keep bytes for the caller's lifetime: interned, or copied into the arena. */
pc_str pc_keep_str(pc_arena *arena, pc_intern *intern, const char *p, size_t n)
{
    return intern ? pc_intern_str(intern, p, n) : pc_arena_str(arena, p, n);
}

static pc_status keep(jctx *c, const char *p, size_t n, pc_str *out)
{
    *out = pc_keep_str(c->in->arena, c->in->intern, p, n);
    return out->ptr ? PC_OK : nomem(c);
}

static pc_str jstr(const json_t *j)
{
    pc_str s = {json_string_value(j), json_string_length(j)};
    return s;
}

static bool ident_char(char ch, bool first)
{
    return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (!first && ch >= '0' && ch <= '9');
}

/*
** Words a name component may not be. The reference also reserves "__cedar"
** anywhere in a name (RFC 52). Lengths are kept so most words need no memcmp.
*/
static bool is_reserved(const char *p, size_t n)
{
#define WORD(w) {w, sizeof w - 1}
    static const struct {
        const char *text;
        size_t len;
    } reserved[] = {WORD("true"), WORD("false"), WORD("if"),   WORD("then"), WORD("else"),
                    WORD("in"),   WORD("is"),    WORD("has"),  WORD("like"), WORD("__cedar")};
#undef WORD
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (reserved[i].len == n && memcmp(reserved[i].text, p, n) == 0)
            return true;
    return false;
}

/*
** A normalized Cedar name: identifiers joined by "::", no spaces or comments,
** no component a reserved word. One pass reads each component's characters.
*/
static bool name_ok(const char *p, size_t n)
{
    size_t start = 0;
    for (;;) {
        size_t end = start;
        while (end < n && ident_char(p[end], end == start))
            end++;
        if (end == start || is_reserved(p + start, end - start))
            return false;
        if (end == n)
            return true;
        if (n - end < 2 || p[end] != ':' || p[end + 1] != ':')
            return false;
        start = end + 2;
    }
}

bool pc_entity_type_ok(pc_str name)
{
    return name_ok(name.ptr, name.len);
}

/* ---- the reference's escape forms ------------------------------------- */

/* A member that is a JSON string: the only kind the escapes' fields accept. */
static json_t *str_member(const json_t *obj, const char *key)
{
    json_t *m = json_object_get(obj, key);
    return json_is_string(m) ? m : NULL;
}

/*
** The escapes are objects of exactly one member: like the reference (serde
** variants that deny unknown fields), {"__extn": {...}, "y": 1} is a plain
** record with a member named __extn, not an extension value. The one member
** is read off the object's iterator, without a hash lookup per escape tried.
*/
static json_t *sole_member(const json_t *j, const char *key)
{
    if (json_object_size(j) != 1)
        return NULL;
    void *it = json_object_iter((json_t *)j);
    size_t n = strlen(key);
    if (json_object_iter_key_len(it) != n || memcmp(json_object_iter_key(it), key, n) != 0)
        return NULL;
    return json_object_iter_value(it);
}

static bool is_expr_escape(const json_t *j) { return json_is_string(sole_member(j, "__expr")); }

/* An entity uid's "type" and "id" strings (each member looked up once), or false. */
typedef struct type_id {
    pc_str type, id;
} type_id;

static bool type_and_id_of(const json_t *j, type_id *out)
{
    const json_t *t = str_member(j, "type"), *id = t ? str_member(j, "id") : NULL;
    if (!id)
        return false;
    *out = (type_id){jstr(t), jstr(id)};
    return true;
}

/* {"fn": F, "arg": A}, or {"fn": F, "args": [A, ...]} for functions of several arguments. */
static bool is_fn_and_arg(const json_t *j)
{
    return str_member(j, "fn") &&
           (json_object_get(j, "arg") || json_is_array(json_object_get(j, "args")));
}

/* The type and id inside {"__entity": {"type", "id"}}, or false when j is not that form. */
static bool entity_escape(const json_t *j, type_id *out)
{
    const json_t *e = sole_member(j, "__entity");
    return e && type_and_id_of(e, out);
}

/* The {"fn", "arg"} inside {"__extn": ...}, or NULL when j is not that form. */
static json_t *extn_escape(const json_t *j)
{
    json_t *e = sole_member(j, "__extn");
    return is_fn_and_arg(e) ? e : NULL;
}

static pc_status refuse_expr(jctx *c)
{
    return fail(c, "the __expr escape is not supported (the reference removed it in Cedar 3.0)");
}

/* ---- entity uids ----------------------------------------------------------- */

static pc_status make_uid(jctx *c, const type_id *tid, const pc_uid **out)
{
    pc_str t = tid->type, id = tid->id;
    if (!name_ok(t.ptr, t.len))
        return fail(c, "invalid entity type name %s: expected identifiers separated by ::, "
                       "without spaces, none of them reserved",
                    quoted(c, t.ptr, t.len));
    pc_str type, eid;
    if (keep(c, t.ptr, t.len, &type) != PC_OK || keep(c, id.ptr, id.len, &eid) != PC_OK)
        return PC_ERR_NOMEM;
    *out = pc_uid_make(c->in->arena, type, eid);
    return *out ? PC_OK : nomem(c);
}

/* An entity uid in either form, tried in the reference's order. */
static pc_status uid_any(jctx *c, const json_t *j, const pc_uid **out)
{
    if (is_expr_escape(j))
        return refuse_expr(c);
    type_id tid;
    if (!entity_escape(j, &tid) && !type_and_id_of(j, &tid))
        return fail(c, "expected an entity uid ({\"type\": ..., \"id\": ...} or "
                       "{\"__entity\": {\"type\": ..., \"id\": ...}}), got %s",
                    json_kind(j));
    return make_uid(c, &tid, out);
}

/* ---- extension values ------------------------------------------------------ */

/* Evaluate extension function fn, as the reference evaluates an __extn escape. */
static pc_status apply(jctx *c, pc_fn fn, const pc_value *args, size_t n, pc_value *out)
{
    const char *why = NULL;
    if (pc_ext_call(fn, c->in->arena, args, (uint32_t)n, out, &why))
        return PC_OK;
    return why ? fail(c, "%s", why) : nomem(c);
}

static pc_status ext_call(jctx *c, const json_t *fa, unsigned depth, pc_value *out)
{
    pc_str name = jstr(json_object_get(fa, "fn"));
    json_t *arg = json_object_get(fa, "arg"), *args = json_object_get(fa, "args");
    size_t n = arg ? 1 : json_array_size(args);
    pc_fn fn;
    if (!pc_fn_lookup(name, false, &fn) && !pc_fn_lookup(name, true, &fn))
        return fail(c, "unknown extension function %s", quoted(c, name.ptr, name.len));
    const pc_fn_info *fi = pc_fn_get(fn);
    if (fi->is_builtin)
        return fail(c, "%s is a built-in method, not an extension function", fi->name);
    if (fi->arity != n)
        return fail(c, "extension function %s takes %u argument%s, but the escape gives %zu",
                    fi->name, (unsigned)fi->arity, fi->arity == 1 ? "" : "s", n);
    pc_value *argv = pc_arena_alloc(c->in->arena, n * sizeof *argv);
    if (!argv)
        return nomem(c);
    for (size_t i = 0; i < n; i++) {
        pc_status st = generic(c, arg ? arg : json_array_get(args, i), depth + 1, &argv[i]);
        if (st != PC_OK)
            return st;
    }
    return apply(c, fn, argv, n, out);
}

static pc_fn constructor_of(uint8_t kind)
{
    switch (kind) {
    case PC_T_DECIMAL: return PC_FN_DECIMAL;
    case PC_T_IPADDR: return PC_FN_IP;
    case PC_T_DATETIME: return PC_FN_DATETIME;
    default: return PC_FN_DURATION;
    }
}

/* An extension-typed value: explicit escape, implicit {"fn", "arg"}, or the bare argument. */
static pc_status ext_typed(jctx *c, json_t *j, const pc_type *t, unsigned depth, pc_value *out)
{
    if (is_expr_escape(j))
        return refuse_expr(c);
    const json_t *fa = extn_escape(j);
    if (!fa && is_fn_and_arg(j))
        fa = j;
    if (fa)
        return ext_call(c, fa, depth, out);
    pc_value arg;
    pc_status st = generic(c, j, depth + 1, &arg);
    return st != PC_OK ? st : apply(c, constructor_of(t->kind), &arg, 1, out);
}

/* ---- sets and records -------------------------------------------------- */

static pc_status set_value(jctx *c, json_t *arr, const pc_type *elem, unsigned depth,
                           pc_value *out)
{
    size_t n = json_array_size(arr);
    if (n > PC_JSON_MAX_ITEMS)
        return fail_limit(c, "array of %zu elements (at most %u)", n, PC_JSON_MAX_ITEMS);
    pc_value *items = pc_arena_alloc(c->in->arena, (n ? n : 1) * sizeof *items);
    if (!items)
        return nomem(c);
    for (size_t i = 0; i < n; i++) {
        jpath at = index_frame(c, i);
        c->at = &at;
        pc_status st = value(c, json_array_get(arr, i), elem, depth + 1, &items[i]);
        c->at = at.up;
        if (st != PC_OK)
            return st;
    }
    const pc_set *s = pc_set_make(c->in->arena, items, (uint32_t)n);
    if (!s)
        return nomem(c);
    *out = pc_v_set(s);
    return PC_OK;
}

/* The reference refuses a record that lacks a required attribute while reading it. */
static pc_status check_required(jctx *c, const json_t *obj, const pc_type *rtype)
{
    for (uint32_t i = 0; i < rtype->n_attrs; i++) {
        const pc_attr_type *a = &rtype->attrs[i];
        if (a->required && !json_object_getn(obj, a->name.ptr, a->name.len))
            return fail(c, "missing required attribute %s", quoted(c, a->name.ptr, a->name.len));
    }
    return PC_OK;
}

/* The type one member is read with; fails for a member rtype does not allow. */
static pc_status member_type(jctx *c, const pc_type *rtype, const pc_type *each, pc_str key,
                             const pc_type **t)
{
    *t = each;
    if (!rtype)
        return PC_OK;
    const pc_attr_type *a = pc_type_attr(rtype, key);
    if (!a && !rtype->open)
        return fail(c, "unexpected attribute %s (the type declares no such attribute)",
                    quoted(c, key.ptr, key.len));
    *t = a ? a->type : NULL;
    return PC_OK;
}

static pc_status read_field(jctx *c, pc_str key, json_t *v, const pc_type *t, unsigned depth,
                            pc_field *f)
{
    jpath at = key_frame(c, key);
    c->at = &at;
    pc_status st = value(c, v, t, depth + 1, &f->val);
    c->at = at.up;
    return st != PC_OK ? st : keep(c, key.ptr, key.len, &f->key);
}

static pc_status make_record(jctx *c, pc_field *f, size_t n, const pc_record **out)
{
    pc_str dup = PC_STR_NULL;
    *out = pc_record_make(c->in->arena, f, (uint32_t)n, &dup);
    if (*out)
        return PC_OK;
    return dup.ptr ? fail(c, "duplicate attribute %s", quoted(c, dup.ptr, dup.len)) : nomem(c);
}

/* The members of obj as record fields (see pc_record_from_json for rtype and each). */
static pc_status fields(jctx *c, json_t *obj, const pc_type *rtype, const pc_type *each,
                        unsigned depth, const pc_record **out)
{
    size_t n = json_object_size(obj), i = 0, klen;
    if (n > PC_JSON_MAX_ITEMS)
        return fail_limit(c, "object of %zu members (at most %u)", n, PC_JSON_MAX_ITEMS);
    pc_field *f = pc_arena_alloc(c->in->arena, (n ? n : 1) * sizeof *f);
    if (!f)
        return nomem(c);
    pc_status st = rtype ? check_required(c, obj, rtype) : PC_OK;
    const char *key;
    json_t *v;
    json_object_keylen_foreach(obj, key, klen, v) {
        if (st != PC_OK)
            break;
        pc_str k = {key, klen};
        const pc_type *t;
        st = member_type(c, rtype, each, k, &t);
        if (st == PC_OK)
            st = read_field(c, k, v, t, depth, &f[i++]);
    }
    return st != PC_OK ? st : make_record(c, f, i, out);
}

/* ---- values ----------------------------------------------------------------- */

static pc_status object_value(jctx *c, json_t *j, unsigned depth, pc_value *out)
{
    if (is_expr_escape(j))
        return refuse_expr(c);
    type_id tid;
    if (entity_escape(j, &tid)) {
        const pc_uid *u;
        pc_status st = make_uid(c, &tid, &u);
        *out = pc_v_entity(u);
        return st;
    }
    const json_t *e = extn_escape(j);
    if (e)
        return ext_call(c, e, depth, out);
    const pc_record *r;
    pc_status st = fields(c, j, NULL, NULL, depth, &r);
    *out = pc_v_record(r);
    return st;
}

/* Schema-less reading: the JSON alone says what the value is. */
static pc_status generic(jctx *c, json_t *j, unsigned depth, pc_value *out)
{
    if (depth > PC_MAX_JSON_DEPTH)
        return fail_limit(c, "JSON nested deeper than %d levels", PC_MAX_JSON_DEPTH);
    if (!j)
        return fail(c, "missing value");
    switch (json_typeof(j)) {
    case JSON_OBJECT: return object_value(c, j, depth, out);
    case JSON_ARRAY: return set_value(c, j, NULL, depth, out);
    case JSON_STRING: {
        pc_str s;
        pc_status st = keep(c, json_string_value(j), json_string_length(j), &s);
        *out = pc_v_string(s);
        return st;
    }
    case JSON_INTEGER: *out = pc_v_long((int64_t)json_integer_value(j)); return PC_OK;
    case JSON_TRUE: *out = pc_v_bool(true); return PC_OK;
    case JSON_FALSE: *out = pc_v_bool(false); return PC_OK;
    case JSON_REAL:
        return fail(c, "%.17g is not an integer: Cedar numbers are 64-bit integers, without "
                       "fractions or exponents",
                    json_real_value(j));
    case JSON_NULL: return fail(c, "null is not a Cedar value");
    }
    return fail(c, "unsupported JSON value");
}

/* Reading guided by the expected type, as the reference's schema-based parsing. */
static pc_status value(jctx *c, json_t *j, const pc_type *t, unsigned depth, pc_value *out)
{
    if (depth > PC_MAX_JSON_DEPTH)
        return fail_limit(c, "JSON nested deeper than %d levels", PC_MAX_JSON_DEPTH);
    if (!t)
        return generic(c, j, depth, out);
    switch (t->kind) {
    case PC_T_ENTITY: {
        const pc_uid *u;
        pc_status st = uid_any(c, j, &u);
        *out = pc_v_entity(u);
        return st;
    }
    case PC_T_SET:
        return json_is_array(j) ? set_value(c, j, t->elem, depth, out) : mismatch(c, t, j);
    case PC_T_RECORD: {
        if (!json_is_object(j))
            return mismatch(c, t, j);
        const pc_record *r;
        pc_status st = fields(c, j, t, NULL, depth, &r);
        *out = pc_v_record(r);
        return st;
    }
    case PC_T_DECIMAL:
    case PC_T_IPADDR:
    case PC_T_DATETIME:
    case PC_T_DURATION: return ext_typed(c, j, t, depth, out);
    default: return generic(c, j, depth, out);
    }
}

/* The type-check pass over a value just read (path = the value's path). */
static pc_status check(jctx *c, const pc_value *v, const pc_type *t)
{
    pc_buf path, why;
    pc_buf_init(&path);
    pc_buf_init(&why);
    render(&path, c->at);
    pc_status st = PC_OK;
    if (path.oom)
        st = nomem(c);
    else if (!pc_conforms_at(c->in->schema, v, t, &path, &why))
        st = report(c, c->status, &why);
    pc_buf_free(&path);
    pc_buf_free(&why);
    return st;
}

/* ---- public ------------------------------------------------------------------- */

pc_status pc_value_from_json(const pc_json_in *in, json_t *j, const pc_type *expected,
                             const char *path, pc_value *out, pc_diag *d)
{
    jctx c;
    jctx_init(&c, in, path, PC_ERR_ENTITY, d);
    pc_status st = value(&c, j, expected, 0, out);
    if (st == PC_OK && expected)
        st = check(&c, out, expected);
    return st;
}

pc_status pc_record_from_json(const pc_json_in *in, json_t *obj, const pc_type *rtype,
                              const pc_type *each, const char *path, const pc_record **out,
                              pc_diag *d)
{
    jctx c;
    jctx_init(&c, in, path, PC_ERR_ENTITY, d);
    pc_status st = PC_OK;
    if (!json_is_object(obj))
        st = fail(&c, "expected a JSON object, got %s", json_kind(obj));
    else
        st = fields(&c, obj, rtype, each, 0, out);
    if (st == PC_OK && rtype) {
        pc_value v = pc_v_record(*out);
        st = check(&c, &v, rtype);
    }
    for (uint32_t i = 0; st == PC_OK && each && i < (*out)->n; i++) {
        jpath at = key_frame(&c, (*out)->fields[i].key);
        c.at = &at;
        st = check(&c, &(*out)->fields[i].val, each);
        c.at = at.up;
    }
    return st;
}

pc_status pc_uid_from_json(const pc_json_in *in, json_t *j, const char *path, const pc_uid **out,
                           pc_diag *d)
{
    jctx c;
    jctx_init(&c, in, path, PC_ERR_ENTITY, d);
    return uid_any(&c, j, out);
}

/*
** The reference reads a context with the action's context type but checks
** types only when the request is validated (pc_request_validate), so this
** is the structural parse alone. An action the schema does not declare gets
** a schema-less read; validation reports the undeclared action.
*/
pc_status pc_context_from_json(const pc_json_in *in, const pc_uid *action, json_t *j,
                               pc_value *out, pc_diag *d)
{
    const pc_action_decl *a = in->schema && action ? pc_schema_action(in->schema, action) : NULL;
    jctx c;
    jctx_init(&c, in, "context", PC_ERR_REQUEST, d);
    pc_status st = PC_OK;
    if (!j) {
        pc_field none;
        const pc_record *r = pc_record_make(in->arena, &none, 0, NULL);
        st = r ? PC_OK : nomem(&c);
        *out = pc_v_record(r);
    } else if ((st = value(&c, j, a ? a->context : NULL, 0, out)) == PC_OK &&
               out->type != PC_V_RECORD) {
        st = fail(&c, "must be a record (a JSON object), got %s", pc_vtype_name(out->type));
    }
    return st;
}
