/*
** schema/schema_build.c — recording raw schema declarations.
**
** The two front ends call these helpers for everything they declare, so the
** checks that depend only on one declaration (reserved basenames, `__cedar`
** namespaces, a namespace opened twice) and the identifier rules live once,
** here. Cross-declaration checks and name resolution wait for sb_finish
** (schema_resolve.c), when every declaration is known: a name may refer to
** something declared later in the text or in another namespace.
*/
#include "schema_build.h"

#include <stdio.h>
#include <string.h>

/* Scratch blocks: a small schema fits in one. */
#define SB_SCRATCH_BLOCK 16384
#define SB_VEC_FIRST_CAP 4

void sb_init(sb_builder *b, pc_intern *in, const char *name, const char *src, size_t len,
             pc_diag *d)
{
    memset(b, 0, sizeof *b);
    pc_arena_init(&b->tmp, SB_SCRATCH_BLOCK, 0);
    b->in = in;
    b->d = d;
    b->name = name ? name : "<schema>";
    b->src = src;
    b->len = len;
}

void sb_free(sb_builder *b)
{
    pc_arena_free(&b->tmp);
}

/* Keep the first error's status; later reports are consequences. */
static pc_status note(sb_builder *b, pc_status st)
{
    if (b->status == PC_OK)
        b->status = st;
    return st;
}

pc_status sb_error(sb_builder *b, sb_loc loc, const char *fmt, ...)
{
    pc_buf msg;
    pc_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    const char *text = msg.data ? msg.data : "(message lost: out of memory)";
    if (b->src)
        pc_diag_at(b->d, PC_ERR_SCHEMA, b->name, b->src, b->len, loc.offset, "%s", text);
    else if (loc.path)
        pc_diag_set(b->d, PC_ERR_SCHEMA, "%s: %s: %s", b->name, loc.path, text);
    else
        pc_diag_set(b->d, PC_ERR_SCHEMA, "%s: %s", b->name, text);
    pc_buf_free(&msg);
    return note(b, PC_ERR_SCHEMA);
}

pc_status sb_fail(sb_builder *b, pc_status st, const char *fmt, ...)
{
    pc_buf msg;
    pc_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    pc_diag_set(b->d, st, "%s: %s", b->name, msg.data ? msg.data : "(message lost)");
    pc_buf_free(&msg);
    return note(b, st);
}

pc_status sb_nomem(sb_builder *b)
{
    return sb_fail(b, PC_ERR_NOMEM, "out of memory while reading the schema");
}

bool sb_push(sb_builder *b, sb_vec *v, void *item)
{
    if (v->n == v->cap) {
        if (v->cap > UINT32_MAX / 2)
            return false;
        uint32_t cap = v->cap ? v->cap * 2 : SB_VEC_FIRST_CAP;
        void **items = pc_arena_alloc(&b->tmp, (size_t)cap * sizeof *items);
        if (!items)
            return false;
        if (v->n)
            memcpy(items, v->items, (size_t)v->n * sizeof *items);
        v->items = items;   /* the old array stays in the arena until sb_free */
        v->cap = cap;
    }
    v->items[v->n++] = item;
    return true;
}

pc_str sb_strdup(sb_builder *b, const char *p, size_t n)
{
    return pc_arena_str(&b->tmp, p, n);
}

/* ---- identifiers ---------------------------------------------------------- */

static bool ident_start(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool sb_is_ident(pc_str s)
{
    if (s.len == 0 || !ident_start(s.ptr[0]))
        return false;
    for (size_t i = 1; i < s.len; i++)
        if (!ident_start(s.ptr[i]) && !(s.ptr[i] >= '0' && s.ptr[i] <= '9'))
            return false;
    return true;
}

bool sb_is_reserved_word(pc_str s)
{
    static const char *const words[] = {"true", "false", "if", "then", "else",
                                        "in",   "is",    "like", "has"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (pc_str_eq_cstr(s, words[i]))
            return true;
    return false;
}

bool sb_is_path(pc_str s)
{
    size_t start = 0;
    for (size_t i = 0; i <= s.len; i++) {
        bool sep = i + 1 < s.len && s.ptr[i] == ':' && s.ptr[i + 1] == ':';
        if (i < s.len && !sep)
            continue;
        pc_str part = {s.ptr + start, i - start};
        if (!sb_is_ident(part) || sb_is_reserved_word(part))
            return false;
        if (sep)
            i++;   /* skip the second ':' */
        start = i + 1;
    }
    return true;
}

/* Does the name have `__cedar` as one of its `::` components? */
static bool has_reserved_component(pc_str s)
{
    static const char cedar[] = "__cedar";
    const size_t n = sizeof cedar - 1;
    for (size_t i = 0; i + n <= s.len; i++) {
        bool starts = i == 0 || (i >= 2 && s.ptr[i - 1] == ':' && s.ptr[i - 2] == ':');
        bool ends = i + n == s.len || s.ptr[i + n] == ':';
        if (starts && ends && memcmp(s.ptr + i, cedar, n) == 0)
            return true;
    }
    return false;
}

/* ---- declarations ------------------------------------------------------- */

pc_status sb_namespace(sb_builder *b, pc_str ns, sb_loc loc)
{
    if (has_reserved_component(ns))
        return sb_error(b, loc, "namespace `%.*s` uses the reserved name `__cedar`",
                        (int)ns.len, ns.ptr);
    sb_name *n = sb_name_new(b, ns, loc);
    if (!n || !sb_push(b, &b->namespaces, n))
        return sb_nomem(b);
    return PC_OK;
}

/* Zeroed memory from the builder's arena; NULL after reporting the failure. */
static void *tmp_new(sb_builder *b, size_t size)
{
    void *p = pc_arena_zalloc(&b->tmp, size);
    if (!p)
        sb_nomem(b);
    return p;
}

/* Allocate a zeroed declaration and record it in list; NULL after reporting. */
static void *add_decl(sb_builder *b, sb_vec *list, size_t size)
{
    void *decl = tmp_new(b, size);
    if (decl && !sb_push(b, list, decl)) {
        sb_nomem(b);
        return NULL;
    }
    return decl;
}

sb_entity *sb_add_entity(sb_builder *b, pc_str ns, pc_str name, sb_loc loc)
{
    if (pc_str_eq_cstr(name, "__cedar")) {
        sb_error(b, loc, "`__cedar` is reserved and cannot name an entity type");
        return NULL;
    }
    /* Every namespace's Action type is implicit; declaring it is an error. */
    if (pc_str_eq_cstr(name, "Action")) {
        sb_error(b, loc, "entity type `Action` cannot be declared: it is the type of actions");
        return NULL;
    }
    sb_entity *e = add_decl(b, &b->entities, sizeof *e);
    if (e) {
        e->ns = ns;
        e->name = name;
        e->loc = loc;
    }
    return e;
}

sb_action *sb_add_action(sb_builder *b, pc_str ns, pc_str id, sb_loc loc)
{
    sb_action *a = add_decl(b, &b->actions, sizeof *a);
    if (a) {
        a->ns = ns;
        a->id = id;
        a->loc = loc;
    }
    return a;
}

/* Basenames a common type may not have: they are JSON schema type keywords. */
static bool reserved_common_name(pc_str name)
{
    static const char *const names[] = {"Bool",   "Boolean", "Entity", "Extension",
                                        "Long",   "Record",  "Set",    "String",
                                        "__cedar"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (pc_str_eq_cstr(name, names[i]))
            return true;
    return false;
}

sb_common *sb_add_common(sb_builder *b, pc_str ns, pc_str name, sb_type *def, sb_loc loc)
{
    if (reserved_common_name(name)) {
        sb_error(b, loc, "`%.*s` is reserved and cannot name a common type", (int)name.len,
                 name.ptr);
        return NULL;
    }
    sb_common *c = add_decl(b, &b->commons, sizeof *c);
    if (c) {
        c->ns = ns;
        c->name = name;
        c->def = def;
        c->loc = loc;
    }
    return c;
}

/* ---- types -------------------------------------------------------------- */

sb_type *sb_type_new(sb_builder *b, sb_kind kind, sb_loc loc)
{
    sb_type *t = tmp_new(b, sizeof *t);
    if (!t)
        return NULL;
    t->kind = (uint8_t)kind;
    t->loc = loc;
    return t;
}

sb_type *sb_type_ref(sb_builder *b, sb_refkind ref, pc_str name, sb_loc loc)
{
    sb_type *t = sb_type_new(b, SB_REF, loc);
    if (t) {
        t->ref = (uint8_t)ref;
        t->name = name;
    }
    return t;
}

sb_name *sb_name_new(sb_builder *b, pc_str name, sb_loc loc)
{
    sb_name *n = tmp_new(b, sizeof *n);
    if (!n)
        return NULL;
    n->name = name;
    n->loc = loc;
    return n;
}

bool sb_record_add(sb_builder *b, sb_type *rec, pc_str name, sb_type *type, bool required)
{
    sb_attr *a = tmp_new(b, sizeof *a);
    if (!a)
        return false;
    if (!sb_push(b, &rec->attrs, a)) {
        sb_nomem(b);
        return false;
    }
    a->name = name;
    a->type = type;
    a->required = required;
    return true;
}
