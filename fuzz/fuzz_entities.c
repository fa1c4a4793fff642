/*
** fuzz/fuzz_entities.c — libFuzzer target for the entity room.
**
** Each input is read as an entities file twice, without and with a small
** schema that has every feature the schema-based reader cares about (typed
** and optional attributes, nested records, sets, extension types, tags, an
** enumerated type, a type hierarchy and an action hierarchy). Whatever
** loads is then queried: every entity is looked up by uid and `in` is asked
** for every pair of it and its ancestors, checking the answers agree with
** the ancestor lists. The same input is also read as a request context.
** A crash, a sanitizer report or a failed check is a bug; refusing the
** input is not.
**
** Build (not part of the meson build):
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
**     fuzz/fuzz_entities.c build/libportcullis.a -ljansson -lcrypto -lm
*/
#include <stdint.h>
#include <stdlib.h>

#include "entity/entity.h"

static const char SCHEMA[] =
    "entity Org; entity Group in [Org];\n"
    "entity User in [Group] = { level: Long, boss?: User, ip?: ipaddr, when?: datetime,\n"
    "  d?: decimal, span?: duration, tags?: Set<String>, addr?: { zip: String } }\n"
    "  tags Set<Long>;\n"
    "entity Color enum [\"red\", \"\\0\"];\n"
    "action all; action view in [all] appliesTo { principal: [User], resource: [Org],\n"
    "  context: { ip: ipaddr, n?: Long } };\n";

static pc_intern *schema_names;   /* the schema's strings, for the whole run */
static pc_schema *schema;

static void check_store(const pc_entities *es)
{
    for (size_t i = 0; i < pc_entities_count(es); i++) {
        const pc_entity *e = pc_entities_at(es, i);
        if (pc_entities_get(es, e->uid) != e || !pc_entities_in(es, e->uid, e->uid))
            abort();
        for (uint32_t k = 0; k < e->n_ancestors; k++)
            if (!pc_entities_in(es, e->uid, e->ancestors[k]))
                abort();
        for (uint32_t k = 0; k < e->n_parents; k++)
            if (!pc_entities_in(es, e->uid, e->parents[k]))
                abort();
    }
}

/* A fresh interner per input, so a long run does not keep every string it saw. */
static void as_entities(const char *text, size_t len, const pc_schema *s)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_intern *in = pc_intern_new();
    pc_entities *es = NULL;
    if (in && pc_entities_parse(in, s, text, len, "fuzz.json", &es, &d) == PC_OK)
        check_store(es);
    else if (in && !d.msg && d.status != PC_ERR_NOMEM)
        abort();   /* every refusal says why */
    pc_entities_free(es);
    pc_intern_free(in);
    pc_diag_clear(&d);
}

static void as_context(const char *text, size_t len)
{
    pc_diag d;
    pc_diag_init(&d);
    json_t *j = pc_json_parse(text, len, "ctx", &d);
    pc_arena arena;
    pc_arena_init(&arena, 0, 1u << 24);
    pc_json_in in = {&arena, NULL, schema, "fuzz"};
    pc_uid action = {PC_STR_LIT("Action"), PC_STR_LIT("view")};
    pc_value ctx;
    if (j && pc_context_from_json(&in, &action, j, &ctx, &d) == PC_OK) {
        pc_uid p = {PC_STR_LIT("User"), PC_STR_LIT("u")}, r = {PC_STR_LIT("Org"), PC_STR_LIT("o")};
        pc_request_validate(schema, &p, &action, &r, &ctx, &d);
    }
    json_decref(j);
    pc_arena_free(&arena);
    pc_diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!schema_names) {
        schema_names = pc_intern_new();
        if (pc_schema_parse_cedar(schema_names, SCHEMA, sizeof SCHEMA - 1, "fuzz.cedarschema",
                                  &schema, NULL) != PC_OK)
            abort();
    }
    const char *text = (const char *)data;
    as_entities(text, size, NULL);
    as_entities(text, size, schema);
    as_context(text, size);
    return 0;
}
