/*
** entity/request.c — checking values and requests against a schema.
**
** pc_conforms_at is the one type checker of the room: entity attributes and
** tags, request contexts and pc_value_conforms all come through it, after
** the structural read in json.c. It follows the reference's conformance
** rules: the value's type must be the schema type (an entity of exactly the
** declared entity type, any extension value of the declared extension type),
** sets conform element by element (so the empty set conforms to every set
** type), and records must hold every required attribute and, unless the
** record type is open, nothing undeclared. With a schema, an entity of an
** enumerated type must use one of the declared ids.
**
** pc_request_validate is the reference's request validation: the action is
** declared, the principal and resource types are in its appliesTo (and use
** declared ids when enumerated), and the context conforms to its context type.
*/
#include <stdio.h>
#include <string.h>

#include "entity_internal.h"

/* ---- paths (shared with json.c) ---------------------------------------- */

static bool is_ident(pc_str s)
{
    if (s.len == 0 || (s.ptr[0] >= '0' && s.ptr[0] <= '9'))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.ptr[i];
        if (!(ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9')))
            return false;
    }
    return true;
}

bool pc_path_key(pc_buf *path, pc_str key)
{
    if (!is_ident(key))
        return pc_buf_putc(path, '[') && pc_buf_json_string(path, key.ptr, key.len) &&
               pc_buf_putc(path, ']');
    if (path->len > 0 && !pc_buf_putc(path, '.'))
        return false;
    return pc_buf_append(path, key.ptr, key.len);
}

bool pc_path_index(pc_buf *path, size_t i) { return pc_buf_printf(path, "[%zu]", i); }

bool pc_path_lead(pc_buf *b, const pc_buf *path)
{
    if (path->len == 0)
        return true;
    return pc_buf_append(b, path->data, path->len) && pc_buf_puts(b, ": ");
}

static void path_cut(pc_buf *path, size_t mark)
{
    if (path->data && mark <= path->len) {
        path->len = mark;
        path->data[mark] = '\0';
    }
}

/* ---- names ------------------------------------------------------------------- */

bool pc_is_action_type(pc_str type)
{
    static const char last[] = "Action";
    size_t n = sizeof last - 1;
    if (type.len < n || memcmp(type.ptr + type.len - n, last, n) != 0)
        return false;
    return type.len == n || (type.len >= n + 2 && type.ptr[type.len - n - 1] == ':' &&
                             type.ptr[type.len - n - 2] == ':');
}

bool pc_uid_in_enum(const pc_schema *schema, const pc_uid *uid)
{
    const pc_entity_decl *e = schema ? pc_schema_entity(schema, uid->type) : NULL;
    if (!e || !e->is_enum)
        return true;
    for (uint32_t i = 0; i < e->n_enum; i++)
        if (pc_str_eq(e->enum_ids[i], uid->id))
            return true;
    return false;
}

/* ---- conformance ------------------------------------------------------------ */

/* The schema kind a value has (the enums are parallel, but say so explicitly). */
static uint8_t kind_of(pc_vtype t)
{
    switch (t) {
    case PC_V_BOOL: return PC_T_BOOL;
    case PC_V_LONG: return PC_T_LONG;
    case PC_V_STRING: return PC_T_STRING;
    case PC_V_ENTITY: return PC_T_ENTITY;
    case PC_V_SET: return PC_T_SET;
    case PC_V_RECORD: return PC_T_RECORD;
    case PC_V_DECIMAL: return PC_T_DECIMAL;
    case PC_V_IPADDR: return PC_T_IPADDR;
    case PC_V_DATETIME: return PC_T_DATETIME;
    case PC_V_DURATION: return PC_T_DURATION;
    }
    return UINT8_MAX;
}

static bool mismatch(const pc_value *v, const pc_type *t, const pc_buf *path, pc_buf *why)
{
    pc_path_lead(why, path);
    pc_buf_puts(why, "expected ");
    pc_type_print(why, t);
    if (v->type == PC_V_ENTITY) {
        pc_buf_puts(why, ", got entity ");
        pc_uid_print(why, v->u.uid);
    } else {
        pc_buf_printf(why, ", got %s", pc_vtype_name((pc_vtype)v->type));
    }
    return false;
}

static bool entity_conforms(const pc_schema *schema, const pc_value *v, const pc_type *t,
                            const pc_buf *path, pc_buf *why)
{
    if (!pc_str_eq(v->u.uid->type, t->entity))
        return mismatch(v, t, path, why);
    if (pc_uid_in_enum(schema, v->u.uid))
        return true;
    pc_path_lead(why, path);
    pc_uid_print(why, v->u.uid);
    pc_buf_puts(why, " is not one of the ids of its enumerated entity type");
    return false;
}

static bool set_conforms(const pc_schema *schema, const pc_set *s, const pc_type *elem,
                         pc_buf *path, pc_buf *why)
{
    for (uint32_t i = 0; i < s->n; i++) {
        size_t mark = path->len;
        pc_path_index(path, i);
        bool ok = pc_conforms_at(schema, &s->items[i], elem, path, why);
        path_cut(path, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool attr_problem(pc_buf *why, const pc_buf *path, const char *what, pc_str name)
{
    pc_path_lead(why, path);
    pc_buf_printf(why, "%s attribute ", what);
    pc_buf_json_string(why, name.ptr, name.len);
    return false;
}

/* Both lists are sorted by name (pc_str_cmp), so one merge walk pairs them. */
static bool record_conforms(const pc_schema *schema, const pc_record *r, const pc_type *t,
                            pc_buf *path, pc_buf *why)
{
    uint32_t i = 0, k = 0;
    while (i < r->n || k < t->n_attrs) {
        int cmp = i == r->n ? 1 : k == t->n_attrs ? -1
                                : pc_str_cmp(r->fields[i].key, t->attrs[k].name);
        if (cmp < 0 && !t->open)
            return attr_problem(why, path, "unexpected", r->fields[i].key);
        if (cmp > 0 && t->attrs[k].required)
            return attr_problem(why, path, "missing required", t->attrs[k].name);
        if (cmp == 0) {
            size_t mark = path->len;
            pc_path_key(path, r->fields[i].key);
            bool ok = pc_conforms_at(schema, &r->fields[i].val, t->attrs[k].type, path, why);
            path_cut(path, mark);
            if (!ok)
                return false;
        }
        i += cmp <= 0;
        k += cmp >= 0;
    }
    return true;
}

bool pc_conforms_at(const pc_schema *schema, const pc_value *v, const pc_type *t, pc_buf *path,
                    pc_buf *why)
{
    if (kind_of((pc_vtype)v->type) != t->kind)
        return mismatch(v, t, path, why);
    switch (t->kind) {
    case PC_T_ENTITY: return entity_conforms(schema, v, t, path, why);
    case PC_T_SET: return set_conforms(schema, v->u.set, t->elem, path, why);
    case PC_T_RECORD: return record_conforms(schema, v->u.rec, t, path, why);
    default: return true;
    }
}

bool pc_value_conforms(const pc_schema *schema, const pc_value *v, const pc_type *t, pc_buf *why)
{
    pc_buf path;
    pc_buf_init(&path);
    bool ok = pc_conforms_at(schema, v, t, &path, why);
    pc_buf_free(&path);
    return ok;
}

/* ---- requests ---------------------------------------------------------------- */

static pc_status request_error(pc_diag *d, pc_buf *msg)
{
    pc_status st = msg->oom ? pc_diag_set(d, PC_ERR_NOMEM, "out of memory validating a request")
                            : pc_diag_set(d, PC_ERR_REQUEST, "%s", msg->data);
    pc_buf_free(msg);
    return st;
}

/* "principal User::"alice"" — how a message names one part of the request. */
static void name_part(pc_buf *b, const char *role, const pc_uid *u)
{
    pc_buf_printf(b, "%s ", role);
    pc_uid_print(b, u);
}

/* The principal or resource: its type is among the action's, its id is declared if enumerated. */
static pc_status check_part(const pc_schema *schema, const pc_action_decl *a, const char *role,
                            const pc_uid *u, const pc_str *types, uint32_t n, pc_diag *d)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!pc_str_eq(types[i], u->type))
            continue;
        if (pc_uid_in_enum(schema, u))
            return PC_OK;
        pc_buf b;
        pc_buf_init(&b);
        name_part(&b, role, u);
        pc_buf_puts(&b, " is not one of the ids of its enumerated entity type");
        return request_error(d, &b);
    }
    pc_buf b;
    pc_buf_init(&b);
    name_part(&b, role, u);
    pc_buf_puts(&b, " is not valid for ");
    pc_uid_print(&b, &a->uid);
    pc_buf_printf(&b, ": the action's %s types are [", role);
    for (uint32_t i = 0; i < n; i++)
        pc_buf_printf(&b, "%s%.*s", i ? ", " : "", (int)types[i].len, types[i].ptr);
    pc_buf_putc(&b, ']');
    return request_error(d, &b);
}

pc_status pc_request_validate(const pc_schema *schema, const pc_uid *principal,
                              const pc_uid *action, const pc_uid *resource,
                              const pc_value *context, pc_diag *d)
{
    const pc_action_decl *a = pc_schema_action(schema, action);
    if (!a) {
        pc_buf b;
        pc_buf_init(&b);
        name_part(&b, "action", action);
        pc_buf_puts(&b, " is not declared in the schema");
        return request_error(d, &b);
    }
    pc_status st = check_part(schema, a, "principal", principal, a->principals,
                              a->n_principals, d);
    if (st == PC_OK)
        st = check_part(schema, a, "resource", resource, a->resources, a->n_resources, d);
    if (st != PC_OK)
        return st;
    pc_buf path, why;
    pc_buf_init(&path);
    pc_buf_init(&why);
    pc_buf_puts(&path, "context");
    bool ok = pc_conforms_at(schema, context, a->context, &path, &why);
    pc_buf_free(&path);
    if (ok) {
        pc_buf_free(&why);
        return PC_OK;
    }
    return request_error(d, &why);
}
