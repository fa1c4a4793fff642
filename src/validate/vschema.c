/*
** validate/vschema.c — the schema as the validator reads it.
**
** The schema gives each entity type and action its direct parents
** (memberOf). Validation asks the other way round and transitively ("can a
** User be in a Group?", "is view in the readOnly group?"), once per `in`
** expression per request environment, so the closure is computed here once:
** one bitset row of proper ancestors per entity type and per action
** (Floyd–Warshall over bitsets: the schemas are small, and it is exact even
** with cycles in entity memberOf, which the schema allows). Attribute, tag
** and context types are converted to validator types once as well.
**
** Both tables are sorted by name so lookups are binary searches.
*/
#include <stdlib.h>
#include <string.h>

#include "validate_internal.h"

/* ---- names ------------------------------------------------------------ */

bool vs_is_action_type(pc_str type)
{
    static const char base[] = "Action", qualified[] = "::Action";
    size_t nq = sizeof qualified - 1;
    if (pc_str_eq_cstr(type, base))
        return true;
    return type.len > nq && memcmp(type.ptr + type.len - nq, qualified, nq) == 0;
}

static int ent_cmp(const void *x, const void *y)
{
    return pc_str_cmp(((const vent *)x)->name, ((const vent *)y)->name);
}

static int uid_cmp(const pc_uid *a, const pc_uid *b)
{
    int c = pc_str_cmp(a->type, b->type);
    return c ? c : pc_str_cmp(a->id, b->id);
}

static int act_cmp(const void *x, const void *y)
{
    return uid_cmp(&((const vact *)x)->decl->uid, &((const vact *)y)->decl->uid);
}

const vent *vs_entity(const vctx *c, pc_str name)
{
    vent key = {.name = name};
    return c->n_ents ? bsearch(&key, c->ents, c->n_ents, sizeof *c->ents, ent_cmp) : NULL;
}

const vact *vs_action(const vctx *c, const pc_uid *uid)
{
    uint32_t lo = 0, hi = c->n_acts;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int r = uid_cmp(uid, &c->acts[mid].decl->uid);
        if (r == 0)
            return &c->acts[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

bool vs_known_entity_type(const vctx *c, pc_str type)
{
    return vs_is_action_type(type) || vs_entity(c, type) != NULL;
}

/* ---- bitsets ---------------------------------------------------------- */

static bool bit(const uint64_t *row, uint32_t i)
{
    return (row[i / 64] >> (i % 64)) & 1;
}

static void set_bit(uint64_t *row, uint32_t i)
{
    row[i / 64] |= UINT64_C(1) << (i % 64);
}

/* Close the "is a proper ancestor of" relation: rows[i] |= rows[k] when k in rows[i]. */
static void close_rows(uint64_t *rows, uint32_t n, uint32_t words)
{
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < n; i++)
            if (bit(rows + (size_t)i * words, k))
                for (uint32_t w = 0; w < words; w++)
                    rows[(size_t)i * words + w] |= rows[(size_t)k * words + w];
}

static uint64_t *new_rows(vctx *c, uint32_t n, uint32_t *words)
{
    *words = n / 64 + 1;
    return pc_arena_zalloc(&c->arena, (size_t)n * *words * sizeof(uint64_t) + sizeof(uint64_t));
}

/* ---- building ------------------------------------------------------------ */

static bool build_entities(vctx *c)
{
    const pc_schema *s = c->schema;
    c->n_ents = pc_schema_entity_count(s);
    c->ents = pc_arena_zalloc(&c->arena, (c->n_ents + 1) * sizeof *c->ents);
    if (!c->ents)
        return false;
    for (uint32_t i = 0; i < c->n_ents; i++) {
        const pc_entity_decl *d = pc_schema_entity_at(s, i);
        vent *e = &c->ents[i];
        e->name = d->name;
        e->decl = d;
        e->attrs = vt_from_schema(&c->arena, d->attrs);
        e->tags = d->tags ? vt_from_schema(&c->arena, d->tags) : NULL;
        if (!e->attrs || (d->tags && !e->tags))
            return false;
    }
    qsort(c->ents, c->n_ents, sizeof *c->ents, ent_cmp);
    c->ent_anc = new_rows(c, c->n_ents, &c->ent_words);
    if (!c->ent_anc)
        return false;
    for (uint32_t i = 0; i < c->n_ents; i++) {
        const pc_entity_decl *d = c->ents[i].decl;
        for (uint32_t j = 0; j < d->n_member_of; j++) {
            const vent *p = vs_entity(c, d->member_of[j]);
            if (p)
                set_bit(c->ent_anc + (size_t)i * c->ent_words, (uint32_t)(p - c->ents));
        }
    }
    close_rows(c->ent_anc, c->n_ents, c->ent_words);
    return true;
}

static bool build_actions(vctx *c)
{
    const pc_schema *s = c->schema;
    c->n_acts = pc_schema_action_count(s);
    c->acts = pc_arena_zalloc(&c->arena, (c->n_acts + 1) * sizeof *c->acts);
    if (!c->acts)
        return false;
    for (uint32_t i = 0; i < c->n_acts; i++) {
        c->acts[i].decl = pc_schema_action_at(s, i);
        c->acts[i].context = vt_from_schema(&c->arena, c->acts[i].decl->context);
        if (!c->acts[i].context)
            return false;
    }
    qsort(c->acts, c->n_acts, sizeof *c->acts, act_cmp);
    c->act_anc = new_rows(c, c->n_acts, &c->act_words);
    if (!c->act_anc)
        return false;
    for (uint32_t i = 0; i < c->n_acts; i++) {
        const pc_action_decl *d = c->acts[i].decl;
        for (uint32_t j = 0; j < d->n_member_of; j++) {
            const vact *g = vs_action(c, &d->member_of[j]);
            if (g)
                set_bit(c->act_anc + (size_t)i * c->act_words, (uint32_t)(g - c->acts));
        }
    }
    close_rows(c->act_anc, c->n_acts, c->act_words);
    return true;
}

bool vs_init(vctx *c, const pc_schema *schema)
{
    c->schema = schema;
    pc_arena_init(&c->arena, 64 * 1024, 0);
    pc_arena_init(&c->scratch, 64 * 1024, 0);
    return build_entities(c) && build_actions(c);
}

void vs_free(vctx *c)
{
    pc_arena_free(&c->arena);
    pc_arena_free(&c->scratch);
}

/* ---- hierarchy queries ------------------------------------------------- */

bool vs_type_in(const vctx *c, pc_str lhs, pc_str rhs)
{
    if (pc_str_eq(lhs, rhs))
        return true;
    const vent *l = vs_entity(c, lhs), *r = vs_entity(c, rhs);
    return l && r && bit(c->ent_anc + (size_t)(l - c->ents) * c->ent_words, (uint32_t)(r - c->ents));
}

bool vs_action_in(const vctx *c, const vact *d, const vact *a)
{
    return d == a || bit(c->act_anc + (size_t)(d - c->acts) * c->act_words, (uint32_t)(a - c->acts));
}

bool vs_action_type_in(const vctx *c, pc_str lhs, pc_str rhs)
{
    if (pc_str_eq(lhs, rhs))
        return true;
    for (uint32_t g = 0; g < c->n_acts; g++) {
        if (!pc_str_eq(c->acts[g].decl->uid.type, rhs))
            continue;
        for (uint32_t d = 0; d < c->n_acts; d++)
            if (d != g && pc_str_eq(c->acts[d].decl->uid.type, lhs) &&
                vs_action_in(c, &c->acts[d], &c->acts[g]))
                return true;
    }
    return false;
}

const vtype *vs_entity_attrs(const vctx *c, pc_str name)
{
    static const vtype empty = {.kind = VK_RECORD};
    const vent *e = vs_entity(c, name);
    return e ? e->attrs : &empty;
}

/* Actions carry no attributes; an undeclared entity type could carry any. */
bool vs_entity_open(const vctx *c, pc_str name)
{
    const vent *e = vs_entity(c, name);
    return e ? e->attrs->open : !vs_is_action_type(name);
}
