/*
** tests/unit/test_entity.c — the entity room: JSON text, Cedar values from
** JSON (with and without a schema), the entity store and its ancestor
** closure, request contexts and request validation, and every entities file
** of the conformance data loaded with its schema.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity/entity.h"

/* The Cedar conformance data; PC_CONFORMANCE_DIR overrides where it is. */
#define CONFORMANCE_DEFAULT "../shared/conformance/cedar"

/* ---- helpers -------------------------------------------------------------- */

/* Everything one test needs: an interner, an arena and a diagnostic. */
typedef struct fixture {
    pc_intern *in;
    pc_arena arena;
    pc_diag d;
    pc_schema *schema;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->in = pc_intern_new();
    pc_arena_init(&f->arena, 0, 0);
    pc_diag_init(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pc_schema_free(f->schema);
    pc_diag_clear(&f->d);
    pc_arena_free(&f->arena);
    pc_intern_free(f->in);
    free(f);
    return 0;
}

/* The test schema: namespaces, a hierarchy of types, tags, enums, actions. */
static const char *const SCHEMA =
    "entity Org;\n"
    "entity Group in [Org];\n"
    "entity User in [Group] = {\n"
    "  jobLevel: Long,\n"
    "  manager?: User,\n"
    "  home?: ipaddr,\n"
    "  addr?: { zip: String, street?: String },\n"
    "  nicks?: Set<String>,\n"
    "  since?: datetime,\n"
    "  ratio?: decimal,\n"
    "} tags Set<String>;\n"
    "entity Doc;\n"
    "entity Color enum [\"red\", \"green\"];\n"
    "namespace NS { entity Thing in [Color]; action \"poke\"; }\n"
    "action all;\n"
    "action read in [all] appliesTo { principal: [User], resource: [Doc, Color],\n"
    "  context: { ip: ipaddr, n?: Long } };\n"
    "action write in [read] appliesTo { principal: [User], resource: [Doc] };\n"
    "action lonely;\n";

static void load_schema(fixture *f)
{
    assert_int_equal(pc_schema_parse_cedar(f->in, SCHEMA, strlen(SCHEMA), "test.cedarschema",
                                           &f->schema, &f->d),
                     PC_OK);
}

static pc_status load(fixture *f, const char *json, pc_entities **out)
{
    pc_diag_clear(&f->d);
    return pc_entities_parse(f->in, f->schema, json, strlen(json), "entities.json", out, &f->d);
}

/* Loading must fail with status st and a message holding every fragment given. */
static void expect_fail(fixture *f, const char *json, pc_status st, ...)
{
    pc_entities *es = NULL;
    pc_status got = load(f, json, &es);
    if (got != st)
        fail_msg("expected status %d, got %d (%s) for %s", st, got, f->d.msg ? f->d.msg : "",
                 json);
    assert_null(es);
    assert_non_null(f->d.msg);
    va_list ap;
    va_start(ap, st);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        if (!strstr(f->d.msg, frag))
            fail_msg("message \"%s\" lacks \"%s\"", f->d.msg, frag);
    va_end(ap);
}

static pc_uid U(const char *type, const char *id)
{
    pc_uid u = {pc_str_from_cstr(type), pc_str_from_cstr(id)};
    return u;
}

static bool in_store(const pc_entities *es, const char *t1, const char *i1, const char *t2,
                     const char *i2)
{
    pc_uid a = U(t1, i1), b = U(t2, i2);
    return pc_entities_in(es, &a, &b);
}

static const pc_entity *get(const pc_entities *es, const char *type, const char *id)
{
    pc_uid u = U(type, id);
    return pc_entities_get(es, &u);
}

/* Cedar text of a value (malloc'ed). */
static char *show(const pc_value *v)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_value_print(&b, v);
    return pc_buf_take(&b);
}

static void assert_shows(const pc_value *v, const char *want)
{
    char *s = show(v);
    if (strcmp(s, want) != 0)
        fail_msg("value is %s, expected %s", s, want);
    free(s);
}

/* Read a JSON value (no schema unless f->schema and t are set). */
static pc_status value_of(fixture *f, const char *json, const pc_type *t, pc_value *out)
{
    pc_diag_clear(&f->d);
    json_t *j = pc_json_parse(json, strlen(json), "value", &f->d);
    assert_non_null(j);
    pc_json_in in = {&f->arena, f->in, f->schema, "test"};
    pc_status st = pc_value_from_json(&in, j, t, "v", out, &f->d);
    json_decref(j);
    return st;
}

static const pc_type *attr_type(fixture *f, const char *entity, const char *attr)
{
    const pc_entity_decl *e = pc_schema_entity(f->schema, pc_str_from_cstr(entity));
    assert_non_null(e);
    const pc_attr_type *a = pc_type_attr(e->attrs, pc_str_from_cstr(attr));
    assert_non_null(a);
    return a->type;
}

/* ---- JSON text -------------------------------------------------------------- */

static void json_integers_are_exact(void **state)
{
    fixture *f = *state;
    pc_value v;
    assert_int_equal(value_of(f, "[-9223372036854775808, 9223372036854775807, 0, -0]", NULL, &v),
                     PC_OK);
    assert_int_equal(v.type, PC_V_SET);
    bool lo = false, hi = false;
    for (uint32_t i = 0; i < v.u.set->n; i++) {
        lo |= v.u.set->items[i].u.l == INT64_MIN;
        hi |= v.u.set->items[i].u.l == INT64_MAX;
    }
    assert_true(lo && hi);
    assert_int_equal(v.u.set->n, 3);   /* 0 and -0 are one long */
}

static void json_text_errors(void **state)
{
    fixture *f = *state;
    static const struct { const char *text; pc_status st; const char *frag; } cases[] = {
        {"9223372036854775808", PC_ERR_PARSE, "does not fit in 64 bits"},
        {"-9223372036854775809", PC_ERR_PARSE, "does not fit in 64 bits"},
        {"{\"a\": 1, \"a\": 2}", PC_ERR_PARSE, "duplicate object key"},
        {"[1, 2,]", PC_ERR_PARSE, "unexpected character"},
        {"[1 2]", PC_ERR_PARSE, "expected ',' or ']'"},
        {"01", PC_ERR_PARSE, "malformed number"},
        {"1.", PC_ERR_PARSE, "malformed number"},
        {"\"\\ud800\"", PC_ERR_PARSE, "lone surrogate"},
        {"\"\\x\"", PC_ERR_PARSE, "unknown escape"},
        {"\"a\tb\"", PC_ERR_PARSE, "control character"},
        {"\"\xff\"", PC_ERR_PARSE, "not valid UTF-8"},
        {"\"abc", PC_ERR_PARSE, "unterminated string"},
        {"", PC_ERR_PARSE, "unexpected end of input"},
        {"{\"a\" 1}", PC_ERR_PARSE, "expected ':'"},
        {"{1: 2}", PC_ERR_PARSE, "expected a string key"},
        {"nul", PC_ERR_PARSE, "unexpected character"},
        {"[] x", PC_ERR_PARSE, "unexpected characters after"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_diag_clear(&f->d);
        json_t *j = pc_json_parse(cases[i].text, strlen(cases[i].text), "t.json", &f->d);
        if (j || f->d.status != cases[i].st || !strstr(f->d.msg, cases[i].frag))
            fail_msg("case %zu (%s): %s", i, cases[i].text, f->d.msg ? f->d.msg : "accepted");
        assert_non_null(strstr(f->d.msg, "t.json:1:"));   /* points at the spot */
    }
}

static void json_depth_is_bounded(void **state)
{
    fixture *f = *state;
    char deep[2 * PC_MAX_JSON_DEPTH + 3];
    for (int depth = PC_MAX_JSON_DEPTH; depth <= PC_MAX_JSON_DEPTH + 1; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        pc_diag_clear(&f->d);
        json_t *j = pc_json_parse(deep, 2 * (size_t)depth, "deep", &f->d);
        if (depth == PC_MAX_JSON_DEPTH) {
            assert_non_null(j);
        } else {
            assert_null(j);
            assert_int_equal(f->d.status, PC_ERR_LIMIT);
        }
        json_decref(j);
    }
    /* brackets inside strings do not count */
    const char *s = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]";
    json_t *j = pc_json_parse(s, strlen(s), "s", &f->d);
    assert_non_null(j);
    json_decref(j);
}

static void json_nul_in_keys_and_strings(void **state)
{
    fixture *f = *state;
    pc_value v;
    assert_int_equal(value_of(f, "{\"a\\u0000b\": \"x\\u0000y\", \"\\u0000\": 1}", NULL, &v),
                     PC_OK);
    assert_int_equal(v.type, PC_V_RECORD);
    const pc_value *x = pc_record_get(v.u.rec, (pc_str){"a\0b", 3});
    assert_non_null(x);
    assert_int_equal(x->u.s.len, 3);
    assert_memory_equal(x->u.s.ptr, "x\0y", 3);
    assert_non_null(pc_record_get(v.u.rec, (pc_str){"\0", 1}));
    assert_null(pc_record_get(v.u.rec, (pc_str){"a", 1}));
}

/* ---- values without a schema ---------------------------------------------- */

static void values_schemaless(void **state)
{
    fixture *f = *state;
    static const struct { const char *json, *cedar; } cases[] = {
        {"true", "true"},
        {"\"hi\"", "\"hi\""},
        {"[1, 1, 2]", "[1, 2]"},
        {"{\"__entity\": {\"type\": \"A::B\", \"id\": \"x\"}}", "A::B::\"x\""},
        /* an escape with other members is a plain record, as in the reference (found by the
           differential tester against cedar-wasm) */
        {"{\"__entity\": {\"type\": \"A\", \"id\": \"x\"}, \"other\": 1}",
         "{\"__entity\": {\"id\": \"x\", \"type\": \"A\"}, \"other\": 1}"},
        {"{\"__extn\": {\"fn\": \"decimal\", \"arg\": \"1.0\"}, \"y\": 1}",
         "{\"__extn\": {\"arg\": \"1.0\", \"fn\": \"decimal\"}, \"y\": 1}"},
        {"{\"__extn\": {\"fn\": \"decimal\", \"arg\": \"1.5\"}}", "decimal(\"1.5000\")"},
        {"{\"__extn\": {\"fn\": \"ip\", \"arg\": \"10.0.0.0/8\"}}", "ip(\"10.0.0.0/8\")"},
        {"{\"__extn\": {\"fn\": \"isLoopback\", \"arg\": {\"__extn\": {\"fn\": \"ip\", "
         "\"arg\": \"127.0.0.1\"}}}}",
         "true"},
        {"{\"__extn\": {\"fn\": \"offset\", \"args\": [{\"__extn\": {\"fn\": \"datetime\", "
         "\"arg\": \"1970-01-02\"}}, {\"__extn\": {\"fn\": \"duration\", \"arg\": \"-1d\"}}]}}",
         "datetime(\"1970-01-01T00:00:00.000Z\")"},
        /* not the escape's shape: just records */
        {"{\"__entity\": 5}", "{\"__entity\": 5}"},
        {"{\"type\": \"A\", \"id\": \"x\"}", "{\"id\": \"x\", \"type\": \"A\"}"},
        {"{\"__extn\": {\"fn\": 1, \"arg\": 2}}", "{\"__extn\": {\"arg\": 2, \"fn\": 1}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_value v;
        if (value_of(f, cases[i].json, NULL, &v) != PC_OK)
            fail_msg("case %zu: %s", i, f->d.msg);
        assert_shows(&v, cases[i].cedar);
    }
}

static void values_schemaless_errors(void **state)
{
    fixture *f = *state;
    static const struct { const char *json, *frag; } cases[] = {
        {"1.5", "test: v: 1.5 is not an integer"},
        {"[1, 2e3]", "v[1]: 2000 is not an integer"},
        {"null", "null is not a Cedar value"},
        {"{\"a\": {\"b\": null}}", "v.a.b: null"},
        {"{\"__expr\": \"1 + 2\"}", "__expr escape is not supported"},
        {"{\"__entity\": {\"type\": \"User \", \"id\": \"x\"}}", "invalid entity type name"},
        {"{\"__entity\": {\"type\": \"if\", \"id\": \"x\"}}", "invalid entity type name"},
        {"{\"__entity\": {\"type\": \"A::__cedar\", \"id\": \"x\"}}", "invalid entity type name"},
        {"{\"__extn\": {\"fn\": \"nope\", \"arg\": \"1\"}}", "unknown extension function \"nope\""},
        {"{\"__extn\": {\"fn\": \"contains\", \"arg\": \"1\"}}", "built-in method"},
        {"{\"__extn\": {\"fn\": \"lessThan\", \"arg\": \"1\"}}", "takes 2 arguments"},
        {"{\"__extn\": {\"fn\": \"decimal\", \"arg\": \"1.23456\"}}", "decimal"},
        {"{\"__extn\": {\"fn\": \"ip\", \"arg\": 5}}", "ip"},
        {"{\"weird key\": 1.5}", "v[\"weird key\"]: 1.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_value v;
        pc_status st = value_of(f, cases[i].json, NULL, &v);
        if (st != PC_ERR_ENTITY || !strstr(f->d.msg, cases[i].frag))
            fail_msg("case %zu (%s): %s", i, cases[i].json, f->d.msg ? f->d.msg : "accepted");
    }
}

static void uids_from_json(void **state)
{
    fixture *f = *state;
    static const char *const good[] = {
        "{\"type\": \"A\", \"id\": \"\"}",
        "{\"__entity\": {\"type\": \"A::B::C\", \"id\": \"\\u0000\\u00e9\\ud83d\\ude00\"}}",
        "{\"type\": \"_x9\", \"id\": \"a\", \"extra\": true}",
        "{\"type\": \"principal::permit\", \"id\": \"x\"}",
    };
    static const char *const bad[] = {
        "{\"type\": \"A\"}",          "{\"type\": \"A\", \"id\": 1}",
        "{\"type\": \"A::\", \"id\": \"x\"}", "{\"type\": \"::A\", \"id\": \"x\"}",
        "{\"type\": \"A:::B\", \"id\": \"x\"}", "{\"type\": \"1A\", \"id\": \"x\"}",
        "{\"type\": \"\", \"id\": \"x\"}",    "{\"type\": \"A :: B\", \"id\": \"x\"}",
        "{\"type\": \"has\", \"id\": \"x\"}", "\"A::\\\"x\\\"\"",
        "{\"__expr\": \"A::\\\"x\\\"\"}",
    };
    pc_json_in in = {&f->arena, f->in, NULL, NULL};
    for (size_t i = 0; i < sizeof good / sizeof good[0] + sizeof bad / sizeof bad[0]; i++) {
        bool ok = i < sizeof good / sizeof good[0];
        const char *text = ok ? good[i] : bad[i - sizeof good / sizeof good[0]];
        json_t *j = pc_json_parse(text, strlen(text), "uid", &f->d);
        assert_non_null(j);
        const pc_uid *u = NULL;
        pc_diag_clear(&f->d);
        pc_status st = pc_uid_from_json(&in, j, "uid", &u, &f->d);
        json_decref(j);
        if ((st == PC_OK) != ok)
            fail_msg("%s: %s", text, f->d.msg ? f->d.msg : "accepted");
    }
    /* no JSON at all is an error, not a crash */
    pc_value v;
    pc_diag_clear(&f->d);
    assert_int_equal(pc_uid_from_json(&in, NULL, "uid", &(const pc_uid *){NULL}, &f->d),
                     PC_ERR_ENTITY);
    pc_diag_clear(&f->d);
    assert_int_equal(pc_value_from_json(&in, NULL, NULL, "v", &v, &f->d), PC_ERR_ENTITY);
    assert_non_null(strstr(f->d.msg, "v: missing value"));
    /* the id keeps NUL and non-ASCII bytes exactly; the type is interned */
    json_t *j = pc_json_parse(good[1], strlen(good[1]), "uid", &f->d);
    const pc_uid *u = NULL;
    assert_int_equal(pc_uid_from_json(&in, j, "uid", &u, &f->d), PC_OK);
    json_decref(j);
    assert_int_equal(u->id.len, 7);
    assert_memory_equal(u->id.ptr, "\0\xc3\xa9\xf0\x9f\x98\x80", 7);
    assert_ptr_equal(u->type.ptr, pc_intern_str(f->in, "A::B::C", 7).ptr);
}

/* ---- values with a schema ------------------------------------------------- */

static void values_with_schema(void **state)
{
    fixture *f = *state;
    load_schema(f);
    static const struct { const char *attr, *json, *cedar; } cases[] = {
        {"manager", "{\"type\": \"User\", \"id\": \"bob\"}", "User::\"bob\""},
        {"manager", "{\"__entity\": {\"type\": \"User\", \"id\": \"bob\"}}", "User::\"bob\""},
        {"home", "\"192.168.0.1\"", "ip(\"192.168.0.1\")"},
        {"home", "{\"fn\": \"ip\", \"arg\": \"::1\"}", "ip(\"::1\")"},
        {"home", "{\"__extn\": {\"fn\": \"ip\", \"arg\": \"10.0.0.1\"}}", "ip(\"10.0.0.1\")"},
        {"ratio", "\"0.25\"", "decimal(\"0.2500\")"},
        {"since", "\"2024-01-01\"", "datetime(\"2024-01-01T00:00:00.000Z\")"},
        {"nicks", "[\"a\", \"b\", \"a\"]", "[\"a\", \"b\"]"},
        {"nicks", "[]", "[]"},
        {"addr", "{\"zip\": \"12345\"}", "{\"zip\": \"12345\"}"},
        {"jobLevel", "-9223372036854775808", "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_value v;
        if (value_of(f, cases[i].json, attr_type(f, "User", cases[i].attr), &v) != PC_OK)
            fail_msg("case %zu: %s", i, f->d.msg);
        assert_shows(&v, cases[i].cedar);
    }
}

static void values_with_schema_errors(void **state)
{
    fixture *f = *state;
    load_schema(f);
    static const struct { const char *attr, *json, *frag; } cases[] = {
        {"jobLevel", "\"5\"", "test: v: expected Long, got string"},
        {"manager", "{\"type\": \"Doc\", \"id\": \"d\"}", "v: expected User, got entity Doc::\"d\""},
        {"manager", "\"bob\"", "expected an entity uid"},
        {"home", "\"1.5\"", "ip"},
        {"home", "\"0.25\"", "ip"},
        {"home", "{\"fn\": \"decimal\", \"arg\": \"1.0\"}", "v: expected ipaddr, got decimal"},
        {"nicks", "\"a\"", "v: expected Set<String>, got a string"},
        {"nicks", "[\"a\", 2]", "v[1]: expected String, got long"},
        {"addr", "{}", "v: missing required attribute \"zip\""},
        {"addr", "{\"zip\": \"1\", \"city\": \"x\"}", "v: unexpected attribute \"city\""},
        {"addr", "{\"zip\": 1}", "v.zip: expected String, got long"},
        {"addr", "[]", "v: expected {"},
        {"since", "{\"__expr\": \"x\"}", "__expr"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_value v;
        pc_status st = value_of(f, cases[i].json, attr_type(f, "User", cases[i].attr), &v);
        if (st != PC_ERR_ENTITY || !strstr(f->d.msg, cases[i].frag))
            fail_msg("case %zu (%s): %s", i, cases[i].json, f->d.msg ? f->d.msg : "accepted");
    }
}

static void value_conforms(void **state)
{
    fixture *f = *state;
    load_schema(f);
    const pc_type *addr = attr_type(f, "User", "addr");
    pc_value v;
    assert_int_equal(value_of(f, "{\"zip\": \"1\", \"street\": \"s\"}", NULL, &v), PC_OK);
    pc_buf why;
    pc_buf_init(&why);
    assert_true(pc_value_conforms(f->schema, &v, addr, &why));
    assert_int_equal(value_of(f, "{\"zip\": \"1\", \"street\": 5}", NULL, &v), PC_OK);
    assert_false(pc_value_conforms(f->schema, &v, addr, &why));
    assert_string_equal(why.data, "street: expected String, got long");
    pc_buf_clear(&why);
    assert_int_equal(value_of(f, "{\"street\": \"s\"}", NULL, &v), PC_OK);
    assert_false(pc_value_conforms(f->schema, &v, addr, &why));
    assert_string_equal(why.data, "missing required attribute \"zip\"");
    pc_buf_free(&why);
}

/* ---- the store without a schema ---------------------------------------- */

static void store_basic(void **state)
{
    fixture *f = *state;
    pc_entities *es = NULL;
    const char *json =
        "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"}, \"attrs\": {\"age\": 7, "
        "\"boss\": {\"__entity\": {\"type\": \"User\", \"id\": \"bob\"}}}, "
        "\"parents\": [{\"type\": \"Group\", \"id\": \"g\"}], \"tags\": {\"t\": [1]}},"
        " {\"uid\": {\"__entity\": {\"type\": \"Group\", \"id\": \"g\"}}, \"attrs\": {},"
        " \"parents\": [{\"__entity\": {\"type\": \"Org\", \"id\": \"o\"}}]},"
        " {\"uid\": {\"type\": \"Action\", \"id\": \"view\"}, \"attrs\": {}, \"parents\": []}]";
    assert_int_equal(load(f, json, &es), PC_OK);
    assert_int_equal(pc_entities_count(es), 3);
    const pc_entity *alice = get(es, "User", "alice");
    assert_non_null(alice);
    assert_ptr_equal(pc_entities_at(es, 0), alice);
    assert_null(pc_entities_at(es, 3));
    assert_int_equal(alice->attrs->n, 2);
    assert_int_equal(alice->tags->n, 1);
    assert_int_equal(alice->n_parents, 1);
    assert_int_equal(alice->n_ancestors, 2);
    assert_int_equal(get(es, "Group", "g")->tags->n, 0);   /* absent tags: empty, not NULL */
    assert_null(get(es, "Org", "o"));   /* named as a parent only */
    assert_true(in_store(es, "User", "alice", "Org", "o"));
    assert_true(in_store(es, "User", "alice", "Group", "g"));
    assert_true(in_store(es, "User", "nobody", "User", "nobody"));   /* a == b */
    assert_false(in_store(es, "Group", "g", "User", "alice"));
    assert_false(in_store(es, "User", "nobody", "Org", "o"));
    assert_false(in_store(es, "Org", "o", "Group", "g"));
    pc_entities_free(es);

    assert_int_equal(pc_entities_empty(f->in, NULL, &es, &f->d), PC_OK);
    assert_int_equal(pc_entities_count(es), 0);
    assert_false(in_store(es, "A", "a", "B", "b"));
    pc_entities_free(es);
}

static void store_unlisted_parent_ancestry_is_unknown(void **state)
{
    fixture *f = *state;
    pc_entities *es = NULL;
    /* b is named but not listed: its own parent c is never learned */
    assert_int_equal(load(f,
                          "[{\"uid\": {\"type\": \"T\", \"id\": \"a\"}, \"attrs\": {}, "
                          "\"parents\": [{\"type\": \"T\", \"id\": \"b\"}]}]",
                          &es),
                     PC_OK);
    assert_true(in_store(es, "T", "a", "T", "b"));
    assert_false(in_store(es, "T", "a", "T", "c"));
    assert_false(in_store(es, "T", "b", "T", "a"));
    pc_entities_free(es);
}

/* A chain e0 -> e1 -> ... -> e(n-1), listed in reverse so order cannot help. */
static char *chain_json(int n, bool close_cycle)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_putc(&b, '[');
    for (int i = n - 1; i >= 0; i--) {
        pc_buf_printf(&b, "%s{\"uid\": {\"type\": \"N\", \"id\": \"%d\"}, \"attrs\": {}, "
                          "\"parents\": [",
                      i == n - 1 ? "" : ",", i);
        if (i + 1 < n || close_cycle)
            pc_buf_printf(&b, "{\"type\": \"N\", \"id\": \"%d\"}", (i + 1) % n);
        pc_buf_puts(&b, "]}");
    }
    pc_buf_putc(&b, ']');
    return pc_buf_take(&b);
}

static void store_deep_chain(void **state)
{
    fixture *f = *state;
    enum { N = 1500 };
    char *json = chain_json(N, false);
    pc_entities *es = NULL;
    assert_int_equal(load(f, json, &es), PC_OK);
    free(json);
    char a[16], b[16];
    for (int i = 0; i < N; i += 97) {
        snprintf(a, sizeof a, "%d", i);
        const pc_entity *e = get(es, "N", a);
        assert_non_null(e);
        assert_int_equal(e->n_ancestors, N - 1 - i);
        snprintf(b, sizeof b, "%d", N - 1);
        assert_true(i == N - 1 || in_store(es, "N", a, "N", b));
        snprintf(b, sizeof b, "%d", i / 2);
        assert_true(i == 0 || !in_store(es, "N", a, "N", b));
    }
    pc_entities_free(es);
}

static void store_cycles_are_errors(void **state)
{
    fixture *f = *state;
    char *json = chain_json(50, true);
    expect_fail(f, json, PC_ERR_ENTITY, "entities.json: entity N::", "own ancestor", NULL);
    free(json);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"N\", \"id\": \"x\"}, \"attrs\": {}, "
                "\"parents\": [{\"type\": \"N\", \"id\": \"x\"}]}]",
                PC_ERR_ENTITY, "N::\"x\": is its own ancestor", NULL);
}

static void store_diamond(void **state)
{
    fixture *f = *state;
    pc_entities *es = NULL;
    const char *json =
        "[{\"uid\": {\"type\": \"N\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": "
        "[{\"type\": \"N\", \"id\": \"b\"}, {\"type\": \"N\", \"id\": \"c\"}, "
        "{\"type\": \"N\", \"id\": \"b\"}]},"
        " {\"uid\": {\"type\": \"N\", \"id\": \"b\"}, \"attrs\": {}, \"parents\": "
        "[{\"type\": \"N\", \"id\": \"d\"}]},"
        " {\"uid\": {\"type\": \"N\", \"id\": \"c\"}, \"attrs\": {}, \"parents\": "
        "[{\"type\": \"N\", \"id\": \"d\"}]}]";
    assert_int_equal(load(f, json, &es), PC_OK);
    const pc_entity *a = get(es, "N", "a");
    assert_int_equal(a->n_ancestors, 3);   /* b, c, d once each */
    assert_true(in_store(es, "N", "a", "N", "d"));
    assert_false(in_store(es, "N", "b", "N", "c"));
    pc_entities_free(es);
}

static void store_duplicates(void **state)
{
    fixture *f = *state;
    pc_entities *es = NULL;
    const char *same =
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"k\": [1, 2]}, \"parents\": "
        "[{\"type\": \"P\", \"id\": \"1\"}, {\"type\": \"P\", \"id\": \"2\"}]},"
        " {\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"k\": [2, 1]}, \"parents\": "
        "[{\"type\": \"P\", \"id\": \"2\"}, {\"type\": \"P\", \"id\": \"1\"}, "
        "{\"type\": \"P\", \"id\": \"2\"}]}]";
    assert_int_equal(load(f, same, &es), PC_OK);   /* the reference keeps one */
    assert_int_equal(pc_entities_count(es), 1);
    pc_entities_free(es);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {}, \"parents\": []},"
                " {\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"k\": 1}, "
                "\"parents\": []}]",
                PC_ERR_ENTITY, "entity A::\"x\": listed twice", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {}, \"parents\": []},"
                " {\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {}, "
                "\"parents\": [{\"type\": \"A\", \"id\": \"y\"}]}]",
                PC_ERR_ENTITY, "listed twice", NULL);
}

static void store_shape_errors(void **state)
{
    fixture *f = *state;
    expect_fail(f, "{}", PC_ERR_ENTITY, "expected a JSON array of entities", NULL);
    expect_fail(f, "[1]", PC_ERR_ENTITY, "entity #0: expected a JSON object", NULL);
    expect_fail(f, "[{\"attrs\": {}, \"parents\": []}]", PC_ERR_ENTITY, "entity #0: missing \"uid\"",
                NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\"}, \"attrs\": {}, \"parents\": []}]", PC_ERR_ENTITY,
                "entity #0: uid: expected an entity uid", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"parents\": []}]", PC_ERR_ENTITY,
                "entity A::\"a\": missing \"attrs\"", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}}]", PC_ERR_ENTITY,
                "missing \"parents\"", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": [], \"parents\": []}]",
                PC_ERR_ENTITY, "attrs: expected a JSON object, got a JSON array", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": {}}]",
                PC_ERR_ENTITY, "\"parents\" must be a JSON array", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": [5]}]",
                PC_ERR_ENTITY, "parents[0]: expected an entity uid", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {\"x\": 1.5}, "
                "\"parents\": []}]",
                PC_ERR_ENTITY, "entities.json: entity A::\"a\": attrs.x: 1.5 is not an integer",
                NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"Action\", \"id\": \"a\"}, \"attrs\": {}, "
                "\"parents\": [{\"type\": \"User\", \"id\": \"u\"}]}]",
                PC_ERR_ENTITY, "parents[0]: User::\"u\" is not an action", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"A\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": []]",
                PC_ERR_ENTITY, "entities.json:1:", "invalid JSON", NULL);
}

/* ---- the store with a schema -------------------------------------------- */

static const char *const ALICE_HEAD = "[{\"uid\": {\"type\": \"User\", \"id\": \"alice\"}, ";

/* One User entity with the given attrs/parents/tags members, against the schema. */
static char *alice(const char *rest)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "%s%s}]", ALICE_HEAD, rest);
    return pc_buf_take(&b);
}

static void schema_store_accepts(void **state)
{
    fixture *f = *state;
    load_schema(f);
    char *json = alice("\"attrs\": {\"jobLevel\": 3, \"manager\": {\"type\": \"User\", \"id\": "
                       "\"bob\"}, \"home\": \"10.0.0.1\", \"addr\": {\"zip\": \"z\"}, \"since\": "
                       "{\"fn\": \"datetime\", \"arg\": \"2020-02-02\"}}, \"parents\": [{\"type\": "
                       "\"Org\", \"id\": \"o\"}, {\"type\": \"Group\", \"id\": \"g\"}], \"tags\": "
                       "{\"k\": [\"v\"]}");
    pc_entities *es = NULL;
    if (load(f, json, &es) != PC_OK)
        fail_msg("%s", f->d.msg);
    free(json);
    const pc_entity *a = get(es, "User", "alice");
    assert_non_null(a);
    pc_value home = *pc_record_get(a->attrs, pc_str_from_cstr("home"));
    assert_int_equal(home.type, PC_V_IPADDR);
    assert_int_equal(a->tags->n, 1);
    /* the schema's actions are in the store, with their hierarchy */
    assert_int_equal(pc_entities_count(es), 1 + 5);
    assert_non_null(get(es, "Action", "lonely"));
    assert_non_null(get(es, "NS::Action", "poke"));
    assert_true(in_store(es, "Action", "write", "Action", "all"));
    assert_true(in_store(es, "Action", "write", "Action", "read"));
    assert_false(in_store(es, "Action", "all", "Action", "read"));
    assert_int_equal(get(es, "Action", "write")->n_parents, 1);
    pc_entities_free(es);

    /* an empty store with a schema holds just its actions */
    assert_int_equal(pc_entities_empty(f->in, f->schema, &es, &f->d), PC_OK);
    assert_int_equal(pc_entities_count(es), 5);
    assert_true(in_store(es, "Action", "read", "Action", "all"));
    pc_entities_free(es);
}

static void schema_store_actions_in_json(void **state)
{
    fixture *f = *state;
    load_schema(f);
    pc_entities *es = NULL;
    /* listing write with its whole ancestry, or with the direct parent and that
       parent's entry, both agree with the schema */
    const char *agree[] = {
        "[{\"uid\": {\"type\": \"Action\", \"id\": \"write\"}, \"attrs\": {}, \"parents\": "
        "[{\"type\": \"Action\", \"id\": \"read\"}, {\"type\": \"Action\", \"id\": \"all\"}]}]",
        "[{\"uid\": {\"type\": \"Action\", \"id\": \"write\"}, \"attrs\": {}, \"parents\": "
        "[{\"type\": \"Action\", \"id\": \"read\"}]}, {\"uid\": {\"type\": \"Action\", \"id\": "
        "\"read\"}, \"attrs\": {}, \"parents\": [{\"type\": \"Action\", \"id\": \"all\"}]}]",
        "[{\"uid\": {\"type\": \"Action\", \"id\": \"lonely\"}, \"attrs\": {}, \"parents\": []}]",
    };
    for (size_t i = 0; i < sizeof agree / sizeof agree[0]; i++) {
        if (load(f, agree[i], &es) != PC_OK)
            fail_msg("case %zu: %s", i, f->d.msg);
        assert_int_equal(pc_entities_count(es), 5);
        assert_true(in_store(es, "Action", "write", "Action", "all"));
        pc_entities_free(es);
    }
    expect_fail(f,
                "[{\"uid\": {\"type\": \"Action\", \"id\": \"write\"}, \"attrs\": {}, "
                "\"parents\": [{\"type\": \"Action\", \"id\": \"read\"}]}]",
                PC_ERR_ENTITY, "entity Action::\"write\": does not match the schema", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"Action\", \"id\": \"lonely\"}, \"attrs\": {}, "
                "\"parents\": [{\"type\": \"Action\", \"id\": \"all\"}]}]",
                PC_ERR_ENTITY, "does not match the schema", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"Action\", \"id\": \"lonely\"}, \"attrs\": {\"a\": 1}, "
                "\"parents\": []}]",
                PC_ERR_ENTITY, "actions have no attributes", NULL);
    expect_fail(f,
                "[{\"uid\": {\"type\": \"Action\", \"id\": \"nope\"}, \"attrs\": {}, "
                "\"parents\": []}]",
                PC_ERR_ENTITY, "entity Action::\"nope\": the schema declares no such action", NULL);
}

static void schema_store_rejects(void **state)
{
    fixture *f = *state;
    load_schema(f);
    static const struct { const char *rest, *frag; } cases[] = {
        {"\"attrs\": {}, \"parents\": []", "attrs: missing required attribute \"jobLevel\""},
        {"\"attrs\": {\"jobLevel\": \"3\"}, \"parents\": []",
         "entities.json: entity User::\"alice\": attrs.jobLevel: expected Long, got string"},
        {"\"attrs\": {\"jobLevel\": 3, \"age\": 1}, \"parents\": []",
         "attrs: unexpected attribute \"age\""},
        {"\"attrs\": {\"jobLevel\": 3, \"addr\": {\"zip\": 5}}, \"parents\": []",
         "attrs.addr.zip: expected String, got long"},
        {"\"attrs\": {\"jobLevel\": 3, \"nicks\": [\"a\", true]}, \"parents\": []",
         "attrs.nicks[1]: expected String, got bool"},
        {"\"attrs\": {\"jobLevel\": 3, \"home\": \"nonsense\"}, \"parents\": []", "attrs.home: "},
        {"\"attrs\": {\"jobLevel\": 3}, \"parents\": [], \"tags\": {\"k\": \"v\"}",
         "tags.k: expected Set<String>, got a string"},
        {"\"attrs\": {\"jobLevel\": 3}, \"parents\": [{\"type\": \"Doc\", \"id\": \"d\"}]",
         "parents[0]: Doc::\"d\" has a type that the schema's memberOfTypes do not allow"},
        {"\"attrs\": {\"jobLevel\": 3}, \"parents\": [{\"type\": \"User\", \"id\": \"u\"}]",
         "memberOfTypes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = alice(cases[i].rest);
        expect_fail(f, json, PC_ERR_ENTITY, cases[i].frag, NULL);
        free(json);
    }
    expect_fail(f, "[{\"uid\": {\"type\": \"Doc\", \"id\": \"d\"}, \"attrs\": {}, \"parents\": [],"
                   " \"tags\": {\"a\": 1}}]",
                PC_ERR_ENTITY, "tags: the schema declares no tags for Doc", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"Nope\", \"id\": \"d\"}, \"attrs\": {}, \"parents\": []}]",
                PC_ERR_ENTITY, "its type Nope is not declared", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"Color\", \"id\": \"blue\"}, \"attrs\": {}, "
                   "\"parents\": []}]",
                PC_ERR_ENTITY, "Color is an enumerated entity type", NULL);
    expect_fail(f, "[{\"uid\": {\"type\": \"NS::Thing\", \"id\": \"t\"}, \"attrs\": {}, "
                   "\"parents\": [{\"type\": \"Color\", \"id\": \"blue\"}]}]",
                PC_ERR_ENTITY, "parents[0]: Color::\"blue\" is not one of the ids", NULL);
    pc_entities *es = NULL;
    assert_int_equal(load(f, "[{\"uid\": {\"type\": \"NS::Thing\", \"id\": \"t\"}, \"attrs\": {}, "
                             "\"parents\": [{\"type\": \"Color\", \"id\": \"red\"}]}, {\"uid\": "
                             "{\"type\": \"Color\", \"id\": \"green\"}, \"attrs\": {}, "
                             "\"parents\": []}]",
                          &es),
                     PC_OK);
    assert_true(in_store(es, "NS::Thing", "t", "Color", "red"));
    pc_entities_free(es);
}

/* ---- contexts and requests ------------------------------------------------ */

static pc_status context_of(fixture *f, const char *action, const char *json, pc_value *out)
{
    pc_diag_clear(&f->d);
    json_t *j = json ? pc_json_parse(json, strlen(json), "ctx", &f->d) : NULL;
    pc_json_in in = {&f->arena, NULL, f->schema, "request"};
    pc_uid a = U("Action", action);
    pc_status st = pc_context_from_json(&in, &a, j, out, &f->d);
    json_decref(j);
    return st;
}

static void contexts(void **state)
{
    fixture *f = *state;
    load_schema(f);
    pc_value v;
    assert_int_equal(context_of(f, "read", NULL, &v), PC_OK);
    assert_shows(&v, "{}");
    assert_int_equal(context_of(f, "read", "{\"ip\": \"1.2.3.4\", \"n\": 2}", &v), PC_OK);
    assert_shows(&v, "{\"ip\": ip(\"1.2.3.4\"), \"n\": 2}");
    /* reading is structural only, as the reference's: a wrong leaf type is for validation */
    assert_int_equal(context_of(f, "read", "{\"ip\": \"1.2.3.4\", \"n\": \"two\"}", &v), PC_OK);
    assert_int_equal(context_of(f, "read", "{\"n\": 2}", &v), PC_ERR_REQUEST);
    assert_non_null(strstr(f->d.msg, "request: context: missing required attribute \"ip\""));
    assert_int_equal(context_of(f, "read", "{\"ip\": \"1.2.3.4\", \"x\": 1}", &v), PC_ERR_REQUEST);
    assert_non_null(strstr(f->d.msg, "unexpected attribute \"x\""));
    assert_int_equal(context_of(f, "read", "[1]", &v), PC_ERR_REQUEST);
    /* an action the schema does not declare: read without the schema */
    assert_int_equal(context_of(f, "undeclared", "{\"a\": {\"type\": \"T\", \"id\": \"i\"}}", &v),
                     PC_OK);
    assert_shows(&v, "{\"a\": {\"id\": \"i\", \"type\": \"T\"}}");
    assert_int_equal(context_of(f, "undeclared", "{\"__entity\": {\"type\": \"T\", \"id\": "
                                                 "\"i\"}}",
                                &v),
                     PC_ERR_REQUEST);
    assert_non_null(strstr(f->d.msg, "context: must be a record"));
}

static pc_status validate(fixture *f, const char *ptype, const char *pid, const char *action,
                          const char *rtype, const char *rid, const char *ctx)
{
    pc_value c;
    pc_status st = context_of(f, action, ctx, &c);
    if (st != PC_OK)
        return st;
    pc_uid p = U(ptype, pid), a = U("Action", action), r = U(rtype, rid);
    return pc_request_validate(f->schema, &p, &a, &r, &c, &f->d);
}

static void requests(void **state)
{
    fixture *f = *state;
    load_schema(f);
    const char *ok_ctx = "{\"ip\": \"1.2.3.4\"}";
    assert_int_equal(validate(f, "User", "a", "read", "Doc", "d", ok_ctx), PC_OK);
    assert_int_equal(validate(f, "User", "a", "read", "Color", "red", ok_ctx), PC_OK);
    assert_int_equal(validate(f, "User", "a", "write", "Doc", "d", NULL), PC_OK);
    static const struct {
        const char *ptype, *action, *rtype, *rid, *ctx, *frag;
    } bad[] = {
        {"User", "nope", "Doc", "d", "{}", "action Action::\"nope\" is not declared"},
        {"Doc", "read", "Doc", "d", "{\"ip\": \"1.2.3.4\"}",
         "principal Doc::\"a\" is not valid for Action::\"read\": the action's principal types "
         "are [User]"},
        {"User", "read", "User", "d", "{\"ip\": \"1.2.3.4\"}", "resource User::\"d\" is not valid"},
        {"User", "read", "Color", "blue", "{\"ip\": \"1.2.3.4\"}",
         "resource Color::\"blue\" is not one of the ids"},
        {"User", "read", "Doc", "d", "{\"ip\": \"1.2.3.4\", \"n\": \"two\"}",
         "context.n: expected Long, got string"},
        {"User", "lonely", "Doc", "d", "{}", "the action's principal types are []"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pc_status st = validate(f, bad[i].ptype, "a", bad[i].action, bad[i].rtype, bad[i].rid,
                                bad[i].ctx);
        if (st != PC_ERR_REQUEST || !strstr(f->d.msg, bad[i].frag))
            fail_msg("case %zu: %s", i, f->d.msg ? f->d.msg : "accepted");
    }
}

/* ---- the conformance data ----------------------------------------------- */

/* Load one entities file with its Cedar schema; fails the test on any error. */
static void load_pair(const char *entities, const char *schema)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_intern *in = pc_intern_new();
    char *stext = NULL, *etext = NULL;
    size_t slen, elen;
    pc_schema *s = NULL;
    pc_entities *es = NULL;
    if (pc_read_file(schema, PC_MAX_FILE_BYTES, &stext, &slen, &d) != PC_OK ||
        pc_schema_parse_cedar(in, stext, slen, schema, &s, &d) != PC_OK ||
        pc_read_file(entities, PC_MAX_FILE_BYTES, &etext, &elen, &d) != PC_OK ||
        pc_entities_parse(in, s, etext, elen, entities, &es, &d) != PC_OK)
        fail_msg("%s", d.msg ? d.msg : entities);
    assert_true(pc_entities_count(es) >= pc_schema_action_count(s));
    pc_entities_free(es);
    pc_schema_free(s);
    pc_intern_free(in);
    free(stext);
    free(etext);
    pc_diag_clear(&d);
}

static void conformance_entities_load(void **state)
{
    (void)state;
    static const char *const sandbox[][2] = {
        {"sample-data/sandbox_a/entities.json", "sample-data/sandbox_a/schema.cedarschema"},
        {"sample-data/sandbox_b/entities.json", "sample-data/sandbox_b/schema.cedarschema"},
        {"sample-data/sandbox_b/entities.json", "sample-data/sandbox_b/schema_exts.cedarschema"},
    };
    const char *root = getenv("PC_CONFORMANCE_DIR") ? getenv("PC_CONFORMANCE_DIR")
                                                    : CONFORMANCE_DEFAULT;
    char e[4096], s[4096];
    snprintf(e, sizeof e, "%s/corpus-tests", root);
    DIR *dir = opendir(e);
    if (!dir)
        fail();   /* the conformance data is a required input, never skipped */
    for (size_t i = 0; i < sizeof sandbox / sizeof sandbox[0]; i++) {
        snprintf(e, sizeof e, "%s/%s", root, sandbox[i][0]);
        snprintf(s, sizeof s, "%s/%s", root, sandbox[i][1]);
        load_pair(e, s);
    }
    size_t n = 0;
    for (struct dirent *de; (de = readdir(dir));) {
        size_t len = strlen(de->d_name), suffix = strlen(".entities.json");
        if (len <= suffix || strcmp(de->d_name + len - suffix, ".entities.json") != 0)
            continue;
        snprintf(e, sizeof e, "%s/corpus-tests/%s", root, de->d_name);
        snprintf(s, sizeof s, "%s/corpus-tests/%.*s.cedarschema", root, (int)(len - suffix),
                 de->d_name);
        load_pair(e, s);
        n++;
    }
    closedir(dir);
    assert_true(n > 6000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(json_integers_are_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(json_text_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(json_depth_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(json_nul_in_keys_and_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(values_schemaless, setup, teardown),
        cmocka_unit_test_setup_teardown(values_schemaless_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(uids_from_json, setup, teardown),
        cmocka_unit_test_setup_teardown(values_with_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(values_with_schema_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(value_conforms, setup, teardown),
        cmocka_unit_test_setup_teardown(store_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(store_unlisted_parent_ancestry_is_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(store_deep_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(store_cycles_are_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(store_diamond, setup, teardown),
        cmocka_unit_test_setup_teardown(store_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(store_shape_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(schema_store_accepts, setup, teardown),
        cmocka_unit_test_setup_teardown(schema_store_actions_in_json, setup, teardown),
        cmocka_unit_test_setup_teardown(schema_store_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(contexts, setup, teardown),
        cmocka_unit_test_setup_teardown(requests, setup, teardown),
        cmocka_unit_test(conformance_entities_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
