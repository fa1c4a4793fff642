/*
** schema/schema_json.c — the JSON schema format.
**
** jansson parses the text (exact integers, NULs allowed in strings, duplicate
** keys rejected as the reference's deserializer does); this file walks the
** tree with the reference's field rules (cedar-policy-core validator/
** json_schema.rs): unknown fields are errors everywhere, `entityTypes` and
** `actions` are required, an `enum` entity type admits no memberOfTypes,
** shape or tags, appliesTo requires both `principalTypes` and
** `resourceTypes`, `required` defaults to true and `additionalAttributes` to
** false, and names must be written in normalized form ("A::B", no blanks).
**
** A type is {"type": T, ...}: T is String, Long, Boolean, Set (element),
** Record (attributes, additionalAttributes), Entity (name), EntityOrCommon
** (name), Extension (name), or else the name of a common type. Record
** attributes may also carry `required` and `annotations`, common types
** `annotations`; nothing else may.
**
** Everything read goes into the shared builder (schema_build.h), tagged with
** its JSON path for messages: "schema.json: NS.entityTypes.User.shape: ...".
** Paths and raw names point into the jansson tree, alive until sb_finish.
*/
#include "schema_build.h"

#include "../base/json.h"
#include <string.h>

#define TRY(expr)                      \
    do {                               \
        pc_status try_st_ = (expr);    \
        if (try_st_ != PC_OK)          \
            return try_st_;            \
    } while (0)

typedef struct jp {
    sb_builder *b;
    uint32_t depth;   /* nesting of the type being read */
} jp;

/* Extra fields a type object may carry besides its own. */
enum { EXTRA_ANNOTATIONS = 1, EXTRA_REQUIRED = 2 };

/* ---- paths and errors --------------------------------------------------- */

static sb_loc at(const char *path)
{
    sb_loc l = {0, path};
    return l;
}

static pc_status jerr(jp *p, const char *path, const char *msg)
{
    return sb_error(p->b, at(path), "%s", msg);
}

/* parent.key, with the key quoted unless it is a plain identifier. */
static const char *path_key(jp *p, const char *parent, pc_str key)
{
    pc_buf b;
    pc_buf_init(&b);
    if (parent) {
        pc_buf_puts(&b, parent);
        pc_buf_putc(&b, '.');
    }
    if (sb_is_ident(key))
        pc_buf_append(&b, key.ptr, key.len);
    else
        pc_buf_json_string(&b, key.ptr, key.len);
    const char *out = b.oom ? NULL : pc_arena_strdup(&p->b->tmp, b.data ? b.data : "");
    pc_buf_free(&b);
    if (!out)
        sb_nomem(p->b);
    return out;
}

static const char *path_field(jp *p, const char *parent, const char *field)
{
    return path_key(p, parent, pc_str_from_cstr(field));
}

static const char *path_index(jp *p, const char *parent, size_t i)
{
    const char *out = pc_arena_printf(&p->b->tmp, "%s[%zu]", parent, i);
    if (!out)
        sb_nomem(p->b);
    return out;
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Check that j has JSON type t; what names it in the message. */
static pc_status want(jp *p, const json_t *j, json_type t, const char *path, const char *what)
{
    if (j && json_typeof(j) == t)
        return PC_OK;
    return sb_error(p->b, at(path), "expected %s, found %s", what, json_kind(j));
}

static pc_str jstr(const json_t *j)
{
    pc_str s = {json_string_value(j), json_string_length(j)};
    return s;
}

/* Every key of obj must be one of allowed (a NULL-terminated list). */
static pc_status check_fields(jp *p, json_t *obj, const char *path, const char *const *allowed)
{
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        pc_str key = {json_object_iter_key(it), json_object_iter_key_len(it)};
        const char *const *a = allowed;
        while (*a && !pc_str_eq_cstr(key, *a))
            a++;
        if (!*a) {
            const char *where = path_key(p, path, key);
            return where ? jerr(p, where, "unknown field") : p->b->status;
        }
    }
    return PC_OK;
}

static json_t *field(json_t *obj, const char *name)
{
    return json_object_get(obj, name);
}

/* A required field; *out is set when present. */
static pc_status need(jp *p, json_t *obj, const char *name, const char *path, json_t **out)
{
    *out = field(obj, name);
    if (!*out)
        return sb_error(p->b, at(path), "missing field `%s`", name);
    return PC_OK;
}

/* A string holding a name in normalized form (A::B::C). */
static pc_status name_string(jp *p, json_t *j, const char *path, pc_str *out)
{
    TRY(want(p, j, JSON_STRING, path, "a string"));
    *out = jstr(j);
    if (!sb_is_path(*out))
        return sb_error(p->b, at(path), "`%.*s` is not a valid name", (int)out->len, out->ptr);
    return PC_OK;
}

/* ---- annotations -------------------------------------------------------- */

/* {"key": "value" | null, ...}: checked, then ignored. */
static pc_status annotations(jp *p, json_t *j, const char *path)
{
    TRY(want(p, j, JSON_OBJECT, path, "an object of annotations"));
    for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
        pc_str key = {json_object_iter_key(it), json_object_iter_key_len(it)};
        json_t *v = json_object_iter_value(it);
        const char *where = path_key(p, path, key);
        if (!where)
            return p->b->status;
        if (!sb_is_ident(key))
            return jerr(p, where, "an annotation name must be an identifier");
        if (!json_is_null(v))
            TRY(want(p, v, JSON_STRING, where, "a string"));
    }
    return PC_OK;
}

static pc_status optional_annotations(jp *p, json_t *obj, const char *path)
{
    json_t *a = field(obj, "annotations");
    const char *where = a ? path_field(p, path, "annotations") : NULL;
    if (a && !where)
        return p->b->status;
    return a ? annotations(p, a, where) : PC_OK;
}

/* ---- types -------------------------------------------------------------- */

static pc_status type(jp *p, json_t *j, const char *path, unsigned extra, sb_type **out);

/* The fields a type object may have, by which extras are allowed. */
static const char *const *type_fields(unsigned extra)
{
    static const char *const plain[] = {"type", "element", "attributes", "additionalAttributes",
                                        "name", NULL};
    static const char *const common[] = {"type", "element", "attributes", "additionalAttributes",
                                         "name", "annotations", NULL};
    static const char *const attr[] = {"type", "element", "attributes", "additionalAttributes",
                                       "name", "annotations", "required", NULL};
    return extra & EXTRA_REQUIRED ? attr : extra & EXTRA_ANNOTATIONS ? common : plain;
}

/* Fields of a type object other than `type` that the type T does not take. */
static pc_status no_fields(jp *p, json_t *j, const char *path, const char *t,
                           const char *const *banned)
{
    for (; *banned; banned++)
        if (field(j, *banned))
            return sb_error(p->b, at(path), "unknown field `%s` for type %s", *banned, t);
    return PC_OK;
}

/* One record attribute: a type plus optional `required` and `annotations`. */
static pc_status attribute(jp *p, sb_type *rec, pc_str name, json_t *j, const char *path)
{
    sb_type *t;
    TRY(type(p, j, path, EXTRA_ANNOTATIONS | EXTRA_REQUIRED, &t));
    json_t *req = field(j, "required");
    if (req && !json_is_boolean(req)) {
        const char *where = path_field(p, path, "required");
        return where ? want(p, req, JSON_TRUE, where, "a boolean") : p->b->status;
    }
    bool required = !req || json_is_true(req);
    return sb_record_add(p->b, rec, name, t, required) ? PC_OK : p->b->status;
}

static pc_status record_type(jp *p, json_t *j, const char *path, sb_type *rec)
{
    static const char *const banned[] = {"element", "name", NULL};
    TRY(no_fields(p, j, path, "Record", banned));
    json_t *attrs, *more = field(j, "additionalAttributes");
    TRY(need(p, j, "attributes", path, &attrs));
    const char *where = path_field(p, path, "attributes");
    if (!where)
        return p->b->status;
    TRY(want(p, attrs, JSON_OBJECT, where, "an object"));
    if (more && !json_is_boolean(more)) {
        const char *mpath = path_field(p, path, "additionalAttributes");
        return mpath ? want(p, more, JSON_TRUE, mpath, "a boolean") : p->b->status;
    }
    rec->open = more && json_is_true(more);
    for (void *it = json_object_iter(attrs); it; it = json_object_iter_next(attrs, it)) {
        pc_str key = {json_object_iter_key(it), json_object_iter_key_len(it)};
        const char *apath = path_key(p, where, key);
        if (!apath)
            return p->b->status;
        TRY(attribute(p, rec, key, json_object_iter_value(it), apath));
    }
    return PC_OK;
}

static pc_status set_type(jp *p, json_t *j, const char *path, sb_type *set)
{
    static const char *const banned[] = {"attributes", "additionalAttributes", "name", NULL};
    TRY(no_fields(p, j, path, "Set", banned));
    json_t *elem;
    TRY(need(p, j, "element", path, &elem));
    const char *where = path_field(p, path, "element");
    return where ? type(p, elem, where, 0, &set->elem) : p->b->status;
}

/* Entity, EntityOrCommon and Extension: {"type": T, "name": N}. */
static pc_status named_type(jp *p, json_t *j, const char *path, const char *t, sb_type *out)
{
    static const char *const banned[] = {"element", "attributes", "additionalAttributes", NULL};
    TRY(no_fields(p, j, path, t, banned));
    json_t *n;
    TRY(need(p, j, "name", path, &n));
    const char *where = path_field(p, path, "name");
    if (!where)
        return p->b->status;
    TRY(name_string(p, n, where, &out->name));
    if (out->kind == SB_EXT && (!sb_is_ident(out->name) || pc_str_eq_cstr(out->name, "__cedar")))
        return sb_error(p->b, at(where), "`%.*s` is not a valid extension type name",
                        (int)out->name.len, out->name.ptr);
    return PC_OK;
}

/* {"type": "Foo"}: a reference that must name a common type. */
static pc_status common_ref(jp *p, json_t *j, const char *path, pc_str t, sb_type *out)
{
    static const char *const banned[] = {"element", "attributes", "additionalAttributes", "name",
                                         NULL};
    TRY(no_fields(p, j, path, "reference", banned));
    const char *where = path_field(p, path, "type");
    if (!where)
        return p->b->status;
    if (!sb_is_path(t))
        return sb_error(p->b, at(where), "`%.*s` is neither a built-in type nor a valid name",
                        (int)t.len, t.ptr);
    out->name = t;
    return PC_OK;
}

/* How each `type` keyword starts its sb_type. */
typedef struct type_word {
    const char *word;
    sb_kind kind;
    sb_refkind ref;
} type_word;

static const type_word type_words[] = {
    {"String", SB_STRING, SB_REF_COMMON},        {"Long", SB_LONG, SB_REF_COMMON},
    {"Boolean", SB_BOOL, SB_REF_COMMON},         {"Set", SB_SET, SB_REF_COMMON},
    {"Record", SB_RECORD, SB_REF_COMMON},        {"Entity", SB_REF, SB_REF_ENTITY},
    {"EntityOrCommon", SB_REF, SB_REF_EITHER},   {"Extension", SB_EXT, SB_REF_COMMON},
};

static pc_status type_body(jp *p, json_t *j, const char *path, pc_str t, sb_type *out)
{
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++) {
        const type_word *w = &type_words[i];
        if (!pc_str_eq_cstr(t, w->word))
            continue;
        out->kind = (uint8_t)w->kind;
        out->ref = (uint8_t)w->ref;
        if (w->kind == SB_SET)
            return set_type(p, j, path, out);
        if (w->kind == SB_RECORD)
            return record_type(p, j, path, out);
        if (w->kind == SB_REF || w->kind == SB_EXT)
            return named_type(p, j, path, w->word, out);
        static const char *const banned[] = {"element", "attributes", "additionalAttributes",
                                             "name", NULL};
        return no_fields(p, j, path, w->word, banned);
    }
    out->kind = SB_REF;
    out->ref = SB_REF_COMMON;
    return common_ref(p, j, path, t, out);
}

static pc_status type_in(jp *p, json_t *j, const char *path, unsigned extra, sb_type **out)
{
    TRY(want(p, j, JSON_OBJECT, path, "a type (an object with a \"type\" field)"));
    TRY(check_fields(p, j, path, type_fields(extra)));
    if (extra & EXTRA_ANNOTATIONS)
        TRY(optional_annotations(p, j, path));
    json_t *t;
    TRY(need(p, j, "type", path, &t));
    const char *where = path_field(p, path, "type");
    if (!where)
        return p->b->status;
    TRY(want(p, t, JSON_STRING, where, "a string"));
    *out = sb_type_new(p->b, SB_BOOL, at(path));
    return *out ? type_body(p, j, path, jstr(t), *out) : p->b->status;
}

static pc_status type(jp *p, json_t *j, const char *path, unsigned extra, sb_type **out)
{
    if (p->depth >= PC_SCHEMA_MAX_TYPE_DEPTH)
        return sb_error(p->b, at(path), "types nest more than %d deep",
                        PC_SCHEMA_MAX_TYPE_DEPTH);
    p->depth++;
    pc_status st = type_in(p, j, path, extra, out);
    p->depth--;
    return st;
}

/* A field holding a type, absent allowed: *out stays NULL then. */
static pc_status optional_type(jp *p, json_t *obj, const char *name, const char *path,
                               sb_type **out)
{
    json_t *j = field(obj, name);
    if (!j)
        return PC_OK;
    const char *where = path_field(p, path, name);
    return where ? type(p, j, where, 0, out) : p->b->status;
}

/* ---- entity types ------------------------------------------------------- */

/* ["A", "NS::B", ...] into a list of written names. */
static pc_status name_list(jp *p, json_t *j, const char *path, sb_vec *out)
{
    TRY(want(p, j, JSON_ARRAY, path, "an array of names"));
    for (size_t i = 0; i < json_array_size(j); i++) {
        const char *where = path_index(p, path, i);
        pc_str n;
        if (!where)
            return p->b->status;
        TRY(name_string(p, json_array_get(j, i), where, &n));
        sb_name *nm = sb_name_new(p->b, n, at(where));
        if (!nm || !sb_push(p->b, out, nm))
            return sb_nomem(p->b);
    }
    return PC_OK;
}

static pc_status enum_choices(jp *p, json_t *def, json_t *choices, const char *path,
                              sb_entity *e)
{
    static const char *const banned[] = {"memberOfTypes", "shape", "tags", NULL};
    for (const char *const *f = banned; *f; f++)
        if (field(def, *f))
            return sb_error(p->b, at(path), "unexpected field `%s` in an enumerated entity type",
                            *f);
    const char *where = path_field(p, path, "enum");
    if (!where)
        return p->b->status;
    TRY(want(p, choices, JSON_ARRAY, where, "a non-empty array of strings"));
    if (json_array_size(choices) == 0)
        return jerr(p, where, "an enumerated entity type needs at least one id");
    e->is_enum = true;
    for (size_t i = 0; i < json_array_size(choices); i++) {
        json_t *c = json_array_get(choices, i);
        pc_str *id = pc_arena_alloc(&p->b->tmp, sizeof *id);
        const char *cpath = path_index(p, where, i);
        if (!id || !cpath)
            return sb_nomem(p->b);
        TRY(want(p, c, JSON_STRING, cpath, "a string"));
        *id = jstr(c);
        if (!sb_push(p->b, &e->choices, id))
            return sb_nomem(p->b);
    }
    return PC_OK;
}

static pc_status entity_type(jp *p, pc_str ns, pc_str name, json_t *def, const char *path)
{
    static const char *const fields[] = {"memberOfTypes", "shape", "tags", "enum",
                                         "annotations", NULL};
    if (!sb_is_ident(name) || sb_is_reserved_word(name))
        return jerr(p, path, "not a valid entity type name");
    TRY(want(p, def, JSON_OBJECT, path, "an object"));
    TRY(check_fields(p, def, path, fields));
    TRY(optional_annotations(p, def, path));
    sb_entity *e = sb_add_entity(p->b, ns, name, at(path));
    if (!e)
        return p->b->status;
    json_t *choices = field(def, "enum");
    if (choices)
        return enum_choices(p, def, choices, path, e);
    json_t *parents = field(def, "memberOfTypes");
    if (parents) {
        const char *where = path_field(p, path, "memberOfTypes");
        if (!where)
            return p->b->status;
        TRY(name_list(p, parents, where, &e->parents));
    }
    TRY(optional_type(p, def, "shape", path, &e->shape));
    return optional_type(p, def, "tags", path, &e->tags);
}

/* ---- actions ------------------------------------------------------------ */

/* Optional fields the reference reads as absent when null (memberOf, appliesTo, type). */
static json_t *present(json_t *obj, const char *name)
{
    json_t *j = field(obj, name);
    return j && !json_is_null(j) ? j : NULL;
}

/* {"id": "view", "type": "NS::Action"} with the type optional. */
static pc_status action_ref(jp *p, json_t *j, const char *path, sb_vec *out)
{
    static const char *const fields[] = {"id", "type", NULL};
    TRY(want(p, j, JSON_OBJECT, path, "an object with an \"id\""));
    TRY(check_fields(p, j, path, fields));
    sb_action_ref *ref = pc_arena_zalloc(&p->b->tmp, sizeof *ref);
    if (!ref || !sb_push(p->b, out, ref))
        return sb_nomem(p->b);
    ref->loc = at(path);
    json_t *id, *t = present(j, "type");
    TRY(need(p, j, "id", path, &id));
    const char *ipath = path_field(p, path, "id");
    const char *tpath = t ? path_field(p, path, "type") : path;
    if (!ipath || !tpath)
        return p->b->status;
    TRY(want(p, id, JSON_STRING, ipath, "a string"));
    ref->id = jstr(id);
    return t ? name_string(p, t, tpath, &ref->type) : PC_OK;
}

static pc_status member_of(jp *p, json_t *j, const char *path, sb_action *a)
{
    TRY(want(p, j, JSON_ARRAY, path, "an array"));
    for (size_t i = 0; i < json_array_size(j); i++) {
        const char *where = path_index(p, path, i);
        if (!where)
            return p->b->status;
        TRY(action_ref(p, json_array_get(j, i), where, &a->parents));
    }
    return PC_OK;
}

static pc_status applies_to(jp *p, json_t *j, const char *path, sb_action *a)
{
    static const char *const fields[] = {"principalTypes", "resourceTypes", "context", NULL};
    TRY(want(p, j, JSON_OBJECT, path, "an object"));
    TRY(check_fields(p, j, path, fields));
    json_t *principals, *resources;
    TRY(need(p, j, "principalTypes", path, &principals));
    TRY(need(p, j, "resourceTypes", path, &resources));
    const char *ppath = path_field(p, path, "principalTypes");
    const char *rpath = path_field(p, path, "resourceTypes");
    if (!ppath || !rpath)
        return p->b->status;
    TRY(name_list(p, principals, ppath, &a->principals));
    TRY(name_list(p, resources, rpath, &a->resources));
    return optional_type(p, j, "context", path, &a->context);
}

static pc_status action(jp *p, pc_str ns, pc_str id, json_t *def, const char *path)
{
    static const char *const fields[] = {"attributes", "appliesTo", "memberOf", "annotations",
                                         NULL};
    TRY(want(p, def, JSON_OBJECT, path, "an object"));
    TRY(check_fields(p, def, path, fields));
    TRY(optional_annotations(p, def, path));
    if (present(def, "attributes"))
        return jerr(p, path, "action attributes are not supported in schemas");
    sb_action *a = sb_add_action(p->b, ns, id, at(path));
    if (!a)
        return p->b->status;
    json_t *parents = present(def, "memberOf"), *applies = present(def, "appliesTo");
    const char *mpath = parents ? path_field(p, path, "memberOf") : path;
    const char *apath = applies ? path_field(p, path, "appliesTo") : path;
    if (!mpath || !apath)
        return p->b->status;
    if (parents)
        TRY(member_of(p, parents, mpath, a));
    return applies ? applies_to(p, applies, apath, a) : PC_OK;
}

/* ---- namespaces --------------------------------------------------------- */

typedef pc_status (*member_fn)(jp *p, pc_str ns, pc_str key, json_t *def, const char *path);

/* Call fn for every member of the object at ns_path.field. */
static pc_status each_member(jp *p, pc_str ns, json_t *obj, const char *ns_path,
                             const char *name, member_fn fn)
{
    const char *path = path_field(p, ns_path, name);
    if (!path)
        return p->b->status;
    TRY(want(p, obj, JSON_OBJECT, path, "an object"));
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        pc_str key = {json_object_iter_key(it), json_object_iter_key_len(it)};
        const char *where = path_key(p, path, key);
        if (!where)
            return p->b->status;
        TRY(fn(p, ns, key, json_object_iter_value(it), where));
    }
    return PC_OK;
}

static pc_status common_type(jp *p, pc_str ns, pc_str name, json_t *def, const char *path)
{
    if (!sb_is_ident(name) || sb_is_reserved_word(name))
        return jerr(p, path, "not a valid common type name");
    sb_type *t;
    TRY(type(p, def, path, EXTRA_ANNOTATIONS, &t));
    return sb_add_common(p->b, ns, name, t, at(path)) ? PC_OK : p->b->status;
}

static pc_status namespace_def(jp *p, pc_str ns, json_t *def, const char *path)
{
    static const char *const fields[] = {"commonTypes", "entityTypes", "actions", "annotations",
                                         NULL};
    TRY(want(p, def, JSON_OBJECT, path, "an object"));
    TRY(check_fields(p, def, path, fields));
    json_t *notes = field(def, "annotations");
    if (ns.len == 0 && json_is_object(notes) && json_object_size(notes) > 0)
        return jerr(p, path, "annotations are not allowed on the empty namespace");
    TRY(optional_annotations(p, def, path));
    json_t *commons = field(def, "commonTypes"), *entities, *actions;
    TRY(need(p, def, "entityTypes", path, &entities));
    TRY(need(p, def, "actions", path, &actions));
    if (commons)
        TRY(each_member(p, ns, commons, path, "commonTypes", common_type));
    TRY(each_member(p, ns, entities, path, "entityTypes", entity_type));
    return each_member(p, ns, actions, path, "actions", action);
}

static pc_status schema(jp *p, json_t *root)
{
    TRY(want(p, root, JSON_OBJECT, NULL, "an object mapping namespaces to definitions"));
    for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it)) {
        pc_str ns = {json_object_iter_key(it), json_object_iter_key_len(it)};
        const char *path = path_key(p, NULL, ns);
        if (!path)
            return p->b->status;
        if (ns.len && !sb_is_path(ns))
            return jerr(p, path, "not a valid namespace name");
        if (ns.len)
            TRY(sb_namespace(p->b, ns, at(path)));
        TRY(namespace_def(p, ns, json_object_iter_value(it), path));
    }
    return PC_OK;
}

pc_status pc_schema_parse_json(pc_intern *in, const char *src, size_t len, const char *name,
                               pc_schema **out, pc_diag *d)
{
    *out = NULL;
    name = name ? name : "<schema>";
    if (len > PC_SCHEMA_MAX_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: schema text is %zu bytes, more than %u", name,
                           len, (unsigned)PC_SCHEMA_MAX_BYTES);
    json_t *root = pc_json_parse(src ? src : "", src ? len : 0, name, d);
    if (!root) {
        if (d && d->status == PC_ERR_PARSE)
            d->status = PC_ERR_SCHEMA;   /* a schema that is not JSON is a bad schema */
        return d ? d->status : PC_ERR_SCHEMA;
    }
    sb_builder b;
    sb_init(&b, in, name, NULL, 0, d);
    jp p = {&b, 0};
    pc_status st = schema(&p, root);
    if (st == PC_OK)
        st = sb_finish(&b, out);
    sb_free(&b);
    json_decref(root);
    return st;
}
