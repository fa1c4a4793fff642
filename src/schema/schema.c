/*
** schema/schema.c — reading a finished pc_schema.
**
** A schema is built once (schema_resolve.c) and then only read, by any number
** of threads. Its entity types and actions are kept in arrays sorted by name
** (actions by type, then id), so every lookup is a binary search with no
** hashing state to share, and iteration order is deterministic. Everything
** lives in the schema's own arena: freeing is one call.
*/
#include "schema_build.h"

#include <stdlib.h>

void pc_schema_free(pc_schema *s)
{
    if (!s)
        return;
    pc_arena_free(&s->arena);
    free(s);
}

uint32_t pc_schema_entity_count(const pc_schema *s)
{
    return s->n_entities;
}

const pc_entity_decl *pc_schema_entity_at(const pc_schema *s, uint32_t i)
{
    return i < s->n_entities ? &s->entities[i] : NULL;
}

uint32_t pc_schema_action_count(const pc_schema *s)
{
    return s->n_actions;
}

const pc_action_decl *pc_schema_action_at(const pc_schema *s, uint32_t i)
{
    return i < s->n_actions ? &s->actions[i] : NULL;
}

/*
** Binary search over n sorted elements of size `size` at base; cmp compares
** the key with an element. Returns the element or NULL.
*/
static const void *bsearch_in(const void *key, const void *base, uint32_t n, size_t size,
                              int (*cmp)(const void *key, const void *elem))
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const void *elem = (const char *)base + (size_t)mid * size;
        int c = cmp(key, elem);
        if (c == 0)
            return elem;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int entity_key(const void *key, const void *elem)
{
    return pc_str_cmp(*(const pc_str *)key, ((const pc_entity_decl *)elem)->name);
}

static int action_key(const void *key, const void *elem)
{
    const pc_uid *k = key, *u = &((const pc_action_decl *)elem)->uid;
    int c = pc_str_cmp(k->type, u->type);
    return c ? c : pc_str_cmp(k->id, u->id);
}

static int str_key(const void *key, const void *elem)
{
    return pc_str_cmp(*(const pc_str *)key, *(const pc_str *)elem);
}

const pc_entity_decl *pc_schema_entity(const pc_schema *s, pc_str type)
{
    return bsearch_in(&type, s->entities, s->n_entities, sizeof *s->entities, entity_key);
}

const pc_action_decl *pc_schema_action(const pc_schema *s, const pc_uid *action)
{
    return bsearch_in(action, s->actions, s->n_actions, sizeof *s->actions, action_key);
}

bool pc_schema_is_action_type(const pc_schema *s, pc_str type)
{
    return bsearch_in(&type, s->action_types, s->n_action_types, sizeof *s->action_types,
                      str_key) != NULL;
}

const pc_attr_type *pc_type_attr(const pc_type *record, pc_str name)
{
    if (!record || record->kind != PC_T_RECORD)
        return NULL;
    return bsearch_in(&name, record->attrs, record->n_attrs, sizeof *record->attrs, str_key);
}

/* ---- printing ----------------------------------------------------------- */

static const char *const kind_names[] = {
    [PC_T_BOOL] = "Bool",         [PC_T_LONG] = "Long",          [PC_T_STRING] = "String",
    [PC_T_DECIMAL] = "decimal",   [PC_T_IPADDR] = "ipaddr",      [PC_T_DATETIME] = "datetime",
    [PC_T_DURATION] = "duration",
};

/* An attribute name as the Cedar schema syntax needs it: bare or quoted. */
static void print_attr_name(pc_buf *b, pc_str name)
{
    if (sb_is_ident(name) && !sb_is_reserved_word(name)) {
        pc_buf_append(b, name.ptr, name.len);
        return;
    }
    pc_buf_putc(b, '"');
    pc_buf_cedar_escape(b, name.ptr, name.len);
    pc_buf_putc(b, '"');
}

/*
** Records print as {a: Long, b?: String}; a record open to more attributes
** (JSON additionalAttributes, which the Cedar syntax cannot write) ends in
** ", ..." so messages do not hide it.
*/
static void print_record(pc_buf *b, const pc_type *t)
{
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < t->n_attrs; i++) {
        if (i)
            pc_buf_puts(b, ", ");
        print_attr_name(b, t->attrs[i].name);
        pc_buf_puts(b, t->attrs[i].required ? ": " : "?: ");
        pc_type_print(b, t->attrs[i].type);
    }
    if (t->open)
        pc_buf_puts(b, t->n_attrs ? ", ..." : "...");
    pc_buf_putc(b, '}');
}

bool pc_type_print(pc_buf *b, const pc_type *t)
{
    switch ((pc_tkind)t->kind) {
    case PC_T_ENTITY:
        pc_buf_append(b, t->entity.ptr, t->entity.len);
        break;
    case PC_T_SET:
        pc_buf_puts(b, "Set<");
        pc_type_print(b, t->elem);
        pc_buf_putc(b, '>');
        break;
    case PC_T_RECORD:
        print_record(b, t);
        break;
    default:
        pc_buf_puts(b, kind_names[t->kind]);
        break;
    }
    return !b->oom;
}
