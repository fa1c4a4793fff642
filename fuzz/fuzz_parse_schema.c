/*
** fuzz/fuzz_parse_schema.c — libFuzzer target for both schema formats.
**
** Every input goes through both parsers: the human syntax and JSON. A parse
** may fail (with a message: a failure without one is a bug), but must never
** crash, leak or read out of bounds. When a parse succeeds the result is
** checked for the invariants the rest of the engine relies on: every entity
** type and action can be found again by its name, record attributes are
** sorted and unique, and every type prints.
**
** Build (not wired into meson):
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
**       fuzz/fuzz_parse_schema.c src/schema/[a-z]*.c src/lang/lexer.c src/lang/unescape.c \
**       src/base/[a-z]*.c -ljansson -o fuzz_parse_schema
*/
#include <stdint.h>
#include <stdlib.h>

#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* Attributes sorted by name with no repeats; nested types checked too. */
static void check_type(const pc_type *t, pc_buf *b)
{
    check(t != NULL);
    check(pc_type_print(b, t));
    if (t->kind == PC_T_SET)
        check_type(t->elem, b);
    if (t->kind != PC_T_RECORD)
        return;
    for (uint32_t i = 0; i < t->n_attrs; i++) {
        if (i)
            check(pc_str_cmp(t->attrs[i - 1].name, t->attrs[i].name) < 0);
        check(pc_type_attr(t, t->attrs[i].name) == &t->attrs[i]);
        check_type(t->attrs[i].type, b);
    }
}

static void check_schema(const pc_schema *s)
{
    pc_buf b;
    pc_buf_init(&b);
    for (uint32_t i = 0; i < pc_schema_entity_count(s); i++) {
        const pc_entity_decl *e = pc_schema_entity_at(s, i);
        check(pc_schema_entity(s, e->name) == e);
        check(e->attrs->kind == PC_T_RECORD);
        check_type(e->attrs, &b);
        if (e->tags)
            check_type(e->tags, &b);
        for (uint32_t j = 0; j < e->n_member_of; j++)
            check(pc_schema_entity(s, e->member_of[j]) != NULL);
    }
    for (uint32_t i = 0; i < pc_schema_action_count(s); i++) {
        const pc_action_decl *a = pc_schema_action_at(s, i);
        check(pc_schema_action(s, &a->uid) == a);
        check(pc_schema_is_action_type(s, a->uid.type));
        check(a->applies == (a->n_principals > 0 && a->n_resources > 0));
        check_type(a->context, &b);
        for (uint32_t j = 0; j < a->n_member_of; j++)
            check(pc_schema_action(s, &a->member_of[j]) != NULL);
        for (uint32_t j = 0; j < a->n_principals; j++)
            check(pc_schema_entity(s, a->principals[j]) != NULL);
    }
    pc_buf_free(&b);
}

static void run(pc_intern *in, bool json, const char *text, size_t len)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_schema *s = NULL;
    pc_status st = json ? pc_schema_parse_json(in, text, len, "fuzz", &s, &d)
                        : pc_schema_parse_cedar(in, text, len, "fuzz", &s, &d);
    if (st == PC_OK) {
        check(s != NULL && d.msg == NULL);
        check_schema(s);
    } else {
        check(s == NULL && d.msg != NULL && d.status == st);
    }
    pc_schema_free(s);
    pc_diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_intern *in = pc_intern_new();
    if (!in)
        return 0;
    run(in, false, (const char *)data, size);
    run(in, true, (const char *)data, size);
    pc_intern_free(in);
    return 0;
}
