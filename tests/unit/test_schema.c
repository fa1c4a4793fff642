/*
** tests/unit/test_schema.c — Cedar schemas in both formats.
**
** Most tests compare a canonical text dump of the resolved schema (every
** entity type and action with its resolved names and printed types), so an
** expectation reads like the schema it checks. The same schema written in
** the human syntax and in JSON must dump identically. Error tests check the
** status, the message and (for the human syntax) the line:col of the caret.
** The corpus test parses every schema of the conformance data (all valid).
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

#include "schema/schema.h"

/* Where the conformance data lives; PC_CONFORMANCE_DIR overrides it. */
#define DEFAULT_CONFORMANCE_DIR "../shared/conformance/cedar"
/* The shared corpus has 6,336 schemas; far fewer means we read the wrong place. */
#define MIN_CORPUS_SCHEMAS 6000

static pc_intern *in;

static int setup(void **state)
{
    (void)state;
    in = pc_intern_new();
    return in ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pc_intern_free(in);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static pc_schema *parse_fmt(bool json, const char *text, pc_diag *d)
{
    pc_schema *s = NULL;
    pc_status st = json ? pc_schema_parse_json(in, text, strlen(text), "t.json", &s, d)
                        : pc_schema_parse_cedar(in, text, strlen(text), "t.cedarschema", &s, d);
    if (st != PC_OK)
        print_message("unexpected error: %s\n", d->msg ? d->msg : "(none)");
    assert_int_equal(st, PC_OK);
    assert_non_null(s);
    return s;
}

static pc_schema *parse_ok(const char *text)
{
    pc_diag d;
    pc_diag_init(&d);
    return parse_fmt(false, text, &d);
}

static pc_schema *parse_json_ok(const char *text)
{
    pc_diag d;
    pc_diag_init(&d);
    return parse_fmt(true, text, &d);
}

static void uid_text(pc_buf *b, const pc_uid *u)
{
    pc_buf_append(b, u->type.ptr, u->type.len);
    pc_buf_puts(b, "::\"");
    pc_buf_cedar_escape(b, u->id.ptr, u->id.len);
    pc_buf_putc(b, '"');
}

static void names_text(pc_buf *b, const pc_str *v, uint32_t n)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < n; i++) {
        pc_buf_puts(b, i ? ", " : "");
        pc_buf_append(b, v[i].ptr, v[i].len);
    }
    pc_buf_putc(b, ']');
}

static void dump_entity(pc_buf *b, const pc_entity_decl *e)
{
    pc_buf_puts(b, "entity ");
    pc_buf_append(b, e->name.ptr, e->name.len);
    if (e->n_member_of) {
        pc_buf_puts(b, " in ");
        names_text(b, e->member_of, e->n_member_of);
    }
    if (e->is_enum) {
        pc_buf_puts(b, " enum [");
        for (uint32_t i = 0; i < e->n_enum; i++) {
            pc_buf_puts(b, i ? ", \"" : "\"");
            pc_buf_cedar_escape(b, e->enum_ids[i].ptr, e->enum_ids[i].len);
            pc_buf_putc(b, '"');
        }
        pc_buf_putc(b, ']');
    }
    pc_buf_puts(b, " = ");
    pc_type_print(b, e->attrs);
    if (e->tags) {
        pc_buf_puts(b, " tags ");
        pc_type_print(b, e->tags);
    }
    pc_buf_putc(b, '\n');
}

static void dump_action(pc_buf *b, const pc_action_decl *a)
{
    pc_buf_puts(b, "action ");
    uid_text(b, &a->uid);
    if (a->n_member_of) {
        pc_buf_puts(b, " in [");
        for (uint32_t i = 0; i < a->n_member_of; i++) {
            pc_buf_puts(b, i ? ", " : "");
            uid_text(b, &a->member_of[i]);
        }
        pc_buf_putc(b, ']');
    }
    pc_buf_puts(b, a->applies ? " appliesTo " : " applies to nothing ");
    names_text(b, a->principals, a->n_principals);
    pc_buf_puts(b, " x ");
    names_text(b, a->resources, a->n_resources);
    pc_buf_puts(b, " context ");
    pc_type_print(b, a->context);
    pc_buf_putc(b, '\n');
}

/* Every entity type and action, resolved, one per line (malloc'ed). */
static char *dump(const pc_schema *s)
{
    pc_buf b;
    pc_buf_init(&b);
    for (uint32_t i = 0; i < pc_schema_entity_count(s); i++)
        dump_entity(&b, pc_schema_entity_at(s, i));
    for (uint32_t i = 0; i < pc_schema_action_count(s); i++)
        dump_action(&b, pc_schema_action_at(s, i));
    assert_false(b.oom);
    char *out = pc_buf_take(&b);
    return out ? out : strdup("");
}

static void assert_dump(const pc_schema *s, const char *expected)
{
    char *got = dump(s);
    assert_string_equal(got, expected);
    free(got);
}

static void cedar_dump_is(const char *text, const char *expected)
{
    pc_schema *s = parse_ok(text);
    assert_dump(s, expected);
    pc_schema_free(s);
}

static void json_dump_is(const char *text, const char *expected)
{
    pc_schema *s = parse_json_ok(text);
    assert_dump(s, expected);
    pc_schema_free(s);
}

/* The printed type of attribute attr of entity type ent. */
static void attr_is(const pc_schema *s, const char *ent, const char *attr, const char *type)
{
    const pc_entity_decl *e = pc_schema_entity(s, pc_str_from_cstr(ent));
    assert_non_null(e);
    const pc_attr_type *a = pc_type_attr(e->attrs, pc_str_from_cstr(attr));
    assert_non_null(a);
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_type_print(&b, a->type));
    assert_string_equal(b.data, type);
    pc_buf_free(&b);
}

/* Parsing fails with st and a message containing want (and "L:C:" if given). */
static void fails_fmt(bool json, const char *text, pc_status st, const char *want,
                      const char *line_col)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_schema *s = (pc_schema *)1;
    pc_status got = json ? pc_schema_parse_json(in, text, strlen(text), "t.json", &s, &d)
                         : pc_schema_parse_cedar(in, text, strlen(text), "t.cedarschema", &s, &d);
    if (got != st || !d.msg || !strstr(d.msg, want) || (line_col && !strstr(d.msg, line_col)))
        print_message("schema: %s\nmessage: %s\nwanted: %s at %s\n", text,
                      d.msg ? d.msg : "(none)", want, line_col ? line_col : "-");
    assert_int_equal(got, st);
    assert_null(s);
    assert_non_null(d.msg);
    assert_non_null(strstr(d.msg, want));
    if (line_col)
        assert_non_null(strstr(d.msg, line_col));
    pc_diag_clear(&d);
}

static void fails(const char *text, const char *want, const char *line_col)
{
    fails_fmt(false, text, PC_ERR_SCHEMA, want, line_col);
}

static void json_fails(const char *text, const char *want)
{
    fails_fmt(true, text, PC_ERR_SCHEMA, want, NULL);
}

/* ---- every construct, in both formats ----------------------------------- */

static const char every_construct_cedar[] =
    "// a comment\n"
    "@doc(\"the app\")\n"
    "namespace App {\n"
    "  @doc(\"a user\") @deprecated\n"
    "  entity User in [Group] = {\n"
    "    @doc(\"name\") name: String,\n"
    "    \"e-mail\"?: Email,\n"
    "    age: Long,\n"
    "    tags_: Set<String>,\n"
    "    manager?: User,\n"
    "    home: __cedar::ipaddr,\n"
    "    score: decimal,\n"
    "    born: datetime,\n"
    "    ttl: duration,\n"
    "    flag: Bool,\n"
    "    nested: { deep?: Set<Set<App::Group>> },\n"
    "  } tags String;\n"
    "  entity Group, Team in [Group];\n"
    "  entity Color enum [\"red\", \"green\", \"red\"];\n"
    "  entity Doc {};\n"
    "  type Email = String;\n"
    "  @doc(\"ctx\") type Ctx = { ip: ipaddr, who: User };\n"
    "  action read, \"write data\" appliesTo {\n"
    "    principal: [User, Team], resource: Doc, context: Ctx\n"
    "  };\n"
    "  action admin attributes {};\n"
    "  action \"write data2\" in [read, \"admin\"] appliesTo {\n"
    "    context: {}, principal: User, resource: [Doc, Doc],\n"
    "  };\n"
    "}\n"
    "entity Global;\n"
    "action top in App::Action::\"admin\";\n";

static const char every_construct_json[] =
    "{\"App\": {\n"
    "  \"annotations\": {\"doc\": \"the app\"},\n"
    "  \"commonTypes\": {\n"
    "    \"Email\": {\"type\": \"String\"},\n"
    "    \"Ctx\": {\"type\": \"Record\", \"annotations\": {\"doc\": \"ctx\"}, \"attributes\": {\n"
    "      \"ip\": {\"type\": \"Extension\", \"name\": \"ipaddr\"},\n"
    "      \"who\": {\"type\": \"EntityOrCommon\", \"name\": \"User\"}}}},\n"
    "  \"entityTypes\": {\n"
    "    \"User\": {\"annotations\": {\"doc\": \"a user\", \"deprecated\": null},\n"
    "      \"memberOfTypes\": [\"Group\"],\n"
    "      \"shape\": {\"type\": \"Record\", \"attributes\": {\n"
    "        \"name\": {\"type\": \"String\", \"annotations\": {\"doc\": \"name\"}},\n"
    "        \"e-mail\": {\"type\": \"Email\", \"required\": false},\n"
    "        \"age\": {\"type\": \"Long\", \"required\": true},\n"
    "        \"tags_\": {\"type\": \"Set\", \"element\": {\"type\": \"String\"}},\n"
    "        \"manager\": {\"type\": \"Entity\", \"name\": \"User\", \"required\": false},\n"
    "        \"home\": {\"type\": \"EntityOrCommon\", \"name\": \"__cedar::ipaddr\"},\n"
    "        \"score\": {\"type\": \"Extension\", \"name\": \"decimal\"},\n"
    "        \"born\": {\"type\": \"EntityOrCommon\", \"name\": \"datetime\"},\n"
    "        \"ttl\": {\"type\": \"duration\"},\n"
    "        \"flag\": {\"type\": \"Boolean\"},\n"
    "        \"nested\": {\"type\": \"Record\", \"attributes\": {\"deep\": {\"type\": \"Set\",\n"
    "          \"required\": false, \"element\": {\"type\": \"Set\",\n"
    "          \"element\": {\"type\": \"Entity\", \"name\": \"App::Group\"}}}}}}},\n"
    "      \"tags\": {\"type\": \"String\"}},\n"
    "    \"Group\": {\"memberOfTypes\": [\"Group\"]},\n"
    "    \"Team\": {\"memberOfTypes\": [\"Group\"]},\n"
    "    \"Color\": {\"enum\": [\"red\", \"green\", \"red\"]},\n"
    "    \"Doc\": {}},\n"
    "  \"actions\": {\n"
    "    \"read\": {\"appliesTo\": {\"principalTypes\": [\"User\", \"Team\"],\n"
    "      \"resourceTypes\": [\"Doc\"], \"context\": {\"type\": \"Ctx\"}}},\n"
    "    \"write data\": {\"appliesTo\": {\"principalTypes\": [\"User\", \"Team\"],\n"
    "      \"resourceTypes\": [\"Doc\"], \"context\": {\"type\": \"Ctx\"}}},\n"
    "    \"admin\": {\"memberOf\": null},\n"
    "    \"write data2\": {\"memberOf\": [{\"id\": \"read\", \"type\": null}, {\"id\": \"admin\", \"type\": "
    "\"App::Action\"}],\n"
    "      \"appliesTo\": {\"principalTypes\": [\"User\"], \"resourceTypes\": [\"Doc\", \"Doc\"],\n"
    "        \"context\": {\"type\": \"Record\", \"attributes\": {}}}}}},\n"
    " \"\": {\"annotations\": {}, \"entityTypes\": {\"Global\": {}},\n"
    "  \"actions\": {\"top\": {\"memberOf\": [{\"type\": \"App::Action\", \"id\": \"admin\"}]}}}}\n";

static const char every_construct_dump[] =
    "entity App::Color enum [\"green\", \"red\"] = {}\n"
    "entity App::Doc = {}\n"
    "entity App::Group in [App::Group] = {}\n"
    "entity App::Team in [App::Group] = {}\n"
    "entity App::User in [App::Group] = {age: Long, born: datetime, \"e-mail\"?: String, "
    "flag: Bool, home: ipaddr, manager?: App::User, name: String, "
    "nested: {deep?: Set<Set<App::Group>>}, score: decimal, tags_: Set<String>, "
    "ttl: duration} tags String\n"
    "entity Global = {}\n"
    "action Action::\"top\" in [App::Action::\"admin\"] applies to nothing [] x [] context {}\n"
    "action App::Action::\"admin\" applies to nothing [] x [] context {}\n"
    "action App::Action::\"read\" appliesTo [App::Team, App::User] x [App::Doc] "
    "context {ip: ipaddr, who: App::User}\n"
    "action App::Action::\"write data\" appliesTo [App::Team, App::User] x [App::Doc] "
    "context {ip: ipaddr, who: App::User}\n"
    "action App::Action::\"write data2\" in [App::Action::\"admin\", App::Action::\"read\"] "
    "appliesTo [App::User] x [App::Doc] context {}\n";

static void cedar_every_construct(void **state)
{
    (void)state;
    cedar_dump_is(every_construct_cedar, every_construct_dump);
}

static void json_every_construct(void **state)
{
    (void)state;
    json_dump_is(every_construct_json, every_construct_dump);
}

/* The same schemas written both ways resolve to byte-identical dumps. */
static void both_formats_agree(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {every_construct_cedar, every_construct_json},
        {"namespace N { entity E in [F]; entity F = {\"a b\"?: Set<F>} tags Long; "
         "action a appliesTo { principal: E, resource: F }; }",
         "{\"N\": {\"entityTypes\": {\"E\": {\"memberOfTypes\": [\"F\"]}, \"F\": {\"shape\": "
         "{\"type\": \"Record\", \"attributes\": {\"a b\": {\"type\": \"Set\", \"required\": false, "
         "\"element\": {\"type\": \"EntityOrCommon\", \"name\": \"F\"}}}}, \"tags\": {\"type\": "
         "\"Long\"}}}, \"actions\": {\"a\": {\"appliesTo\": {\"principalTypes\": [\"E\"], "
         "\"resourceTypes\": [\"F\"]}}}}}"},
        {"", "{}"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        pc_schema *c = parse_ok(pairs[i][0]), *j = parse_json_ok(pairs[i][1]);
        char *dc = dump(c), *dj = dump(j);
        assert_string_equal(dc, dj);
        free(dc);
        free(dj);
        pc_schema_free(c);
        pc_schema_free(j);
    }
}

/* ---- lookups, printing -------------------------------------------------- */

static void lookups_and_printing(void **state)
{
    (void)state;
    pc_schema *s = parse_ok(every_construct_cedar);
    assert_non_null(pc_schema_entity(s, pc_str_from_cstr("App::User")));
    assert_null(pc_schema_entity(s, pc_str_from_cstr("User")));
    assert_null(pc_schema_entity(s, pc_str_from_cstr("App::Action")));
    pc_uid read = {PC_STR_LIT("App::Action"), PC_STR_LIT("read")};
    pc_uid top = {PC_STR_LIT("Action"), PC_STR_LIT("top")};
    pc_uid nope = {PC_STR_LIT("Action"), PC_STR_LIT("read")};
    assert_non_null(pc_schema_action(s, &read));
    assert_non_null(pc_schema_action(s, &top));
    assert_null(pc_schema_action(s, &nope));
    assert_true(pc_schema_is_action_type(s, PC_STR_LIT("App::Action")));
    assert_true(pc_schema_is_action_type(s, PC_STR_LIT("Action")));
    assert_false(pc_schema_is_action_type(s, PC_STR_LIT("App::User")));
    const pc_entity_decl *u = pc_schema_entity(s, PC_STR_LIT("App::User"));
    const pc_attr_type *a = pc_type_attr(u->attrs, PC_STR_LIT("e-mail"));
    assert_non_null(a);
    assert_false(a->required);
    assert_int_equal(a->type->kind, PC_T_STRING);
    assert_null(pc_type_attr(u->attrs, PC_STR_LIT("missing")));
    assert_null(pc_type_attr(u->tags, PC_STR_LIT("x")));   /* not a record */
    /* Interned: the same name from the schema compares by pointer. */
    assert_ptr_equal(u->member_of[0].ptr,
                     pc_intern_find(in, "App::Group", strlen("App::Group")).ptr);
    assert_null(pc_schema_entity_at(s, 99));
    assert_null(pc_schema_action_at(s, 99));
    pc_schema_free(s);
    pc_schema_free(NULL);
}

static void print_open_records_and_odd_names(void **state)
{
    (void)state;
    pc_schema *s = parse_json_ok(
        "{\"\": {\"entityTypes\": {\"E\": {\"shape\": {\"type\": \"Record\", "
        "\"additionalAttributes\": true, \"attributes\": {\"if\": {\"type\": \"Long\"}, "
        "\"q\\\"\": {\"type\": \"Record\", \"attributes\": {}, \"additionalAttributes\": true}}}}}, "
        "\"actions\": {}}}");
    assert_dump(s, "entity E = {\"if\": Long, \"q\\\"\": {...}, ...}\n");
    pc_schema_free(s);
}

/* ---- name resolution ---------------------------------------------------- */

static void resolution_common_before_entity(void **state)
{
    (void)state;
    /* At one candidate a common type wins over an entity type of that name. */
    pc_schema *s = parse_ok("namespace N { type T = Long; entity T; entity E = { a: T }; }");
    attr_is(s, "N::E", "a", "Long");
    pc_schema_free(s);
    /*
    ** ...but an earlier candidate wins over a later one. RFC 70 forbids N::T
    ** next to a user's T, so only a built-in alias can lose this way: the
    ** entity N::Long beats the common type Long (__cedar::Long).
    */
    s = parse_ok("namespace N { entity Long; entity E = { a: Long }; }");
    attr_is(s, "N::E", "a", "N::Long");
    pc_schema_free(s);
}

static void resolution_namespace_then_empty(void **state)
{
    (void)state;
    pc_schema *s = parse_ok("type Shared = String; entity Top;\n"
                            "namespace N { entity Local; entity E = { a: Shared, b: Top, "
                            "c: Local, d: N::Local, e: Set<Top> }; }");
    attr_is(s, "N::E", "a", "String");
    attr_is(s, "N::E", "b", "Top");
    attr_is(s, "N::E", "c", "N::Local");
    attr_is(s, "N::E", "d", "N::Local");
    attr_is(s, "N::E", "e", "Set<Top>");
    pc_schema_free(s);
    /* A qualified name means exactly itself, across namespaces. */
    s = parse_ok("namespace A { entity X; } namespace B { entity E in [A::X] = { x: A::X }; }");
    attr_is(s, "B::E", "x", "A::X");
    assert_string_equal(pc_schema_entity(s, PC_STR_LIT("B::E"))->member_of[0].ptr, "A::X");
    pc_schema_free(s);
}

static void resolution_builtins_and_shadowing(void **state)
{
    (void)state;
    /* An empty-namespace entity named Long replaces the alias; __cedar::Long stays. */
    pc_schema *s = parse_ok("entity Long; entity E = { a: Long, b: __cedar::Long, c: Bool };");
    attr_is(s, "E", "a", "Long");
    assert_int_equal(pc_type_attr(pc_schema_entity(s, PC_STR_LIT("E"))->attrs,
                                  PC_STR_LIT("a"))->type->kind, PC_T_ENTITY);
    assert_int_equal(pc_type_attr(pc_schema_entity(s, PC_STR_LIT("E"))->attrs,
                                  PC_STR_LIT("b"))->type->kind, PC_T_LONG);
    pc_schema_free(s);
    /* A common type may take an extension type's name in the empty namespace. */
    s = parse_ok("type ipaddr = Long; entity E = { a: ipaddr, b: __cedar::ipaddr };");
    attr_is(s, "E", "a", "Long");
    attr_is(s, "E", "b", "ipaddr");
    pc_schema_free(s);
    /* In a namespace, a local entity named String shadows the built-in. */
    s = parse_ok("namespace N { entity String; entity E = { a: String, b: __cedar::String }; }");
    attr_is(s, "N::E", "a", "N::String");
    attr_is(s, "N::E", "b", "String");
    pc_schema_free(s);
    /* Set is a name like any other when no '<' follows. */
    s = parse_ok("entity Set; entity E = { a: Set, b: Set<Set> };");
    attr_is(s, "E", "a", "Set");
    attr_is(s, "E", "b", "Set<Set>");
    pc_schema_free(s);
    /* Common types inline through chains and across namespaces. */
    s = parse_ok("type A = B; type B = Set<C>; type C = { x?: N::D };"
                 "namespace N { type D = Long; entity E = { a: A }; }");
    attr_is(s, "N::E", "a", "Set<{x?: Long}>");
    pc_schema_free(s);
}

static void resolution_action_types(void **state)
{
    (void)state;
    /* NS::Action is an entity type in attribute types when NS declares actions. */
    pc_schema *s = parse_ok("action a; entity E = { x: Action };"
                            "namespace N { action b; entity F = { y: Action, z: Set<N::Action> }; }");
    attr_is(s, "E", "x", "Action");
    attr_is(s, "N::F", "y", "N::Action");
    attr_is(s, "N::F", "z", "Set<N::Action>");
    assert_true(pc_schema_is_action_type(s, PC_STR_LIT("N::Action")));
    assert_null(pc_schema_entity(s, PC_STR_LIT("N::Action")));
    pc_schema_free(s);
    /* Without actions there is no Action type to refer to. */
    fails("entity E = { x: Action };", "unknown type `Action`", "1:17:");
    /* ...and an action type is never a principal, resource or parent type. */
    fails("action a appliesTo { principal: [Action], resource: [Action] };",
          "unknown type `Action`: it is not declared as an entity type", "1:34:");
    fails("action a; entity E in [Action];", "unknown type `Action`", NULL);
}

static void resolution_action_groups(void **state)
{
    (void)state;
    cedar_dump_is("action \"x y\"; action t;\n"
                  "namespace N {\n"
                  "  action g;\n"
                  "  action a in g;\n"                         /* N's own g */
                  "  action b in [\"x y\", Action::\"g\"];\n"  /* falls back; N::Action first */
                  "  action c in [Action::\"t\", M::Action::\"m\"];\n"
                  "}\n"
                  "namespace M { action m; }\n",
                  "action Action::\"t\" applies to nothing [] x [] context {}\n"
                  "action Action::\"x y\" applies to nothing [] x [] context {}\n"
                  "action M::Action::\"m\" applies to nothing [] x [] context {}\n"
                  "action N::Action::\"a\" in [N::Action::\"g\"] applies to nothing [] x [] context {}\n"
                  "action N::Action::\"b\" in [Action::\"x y\", N::Action::\"g\"] applies to "
                  "nothing [] x [] context {}\n"
                  "action N::Action::\"c\" in [Action::\"t\", M::Action::\"m\"] applies to "
                  "nothing [] x [] context {}\n"
                  "action N::Action::\"g\" applies to nothing [] x [] context {}\n");
    /* A qualified group type must name the namespace exactly. */
    fails("namespace N { action a in [N::Action::\"nope\"]; }",
          "action group N::Action::\"nope\" is not declared", "1:28:");
    /* A group may be declared after its members; DAGs are fine. */
    pc_schema_free(parse_json_ok("{\"\": {\"entityTypes\": {}, \"actions\": {"
                                 "\"a\": {\"memberOf\": [{\"id\": \"b\"}, {\"id\": \"c\"}]},"
                                 "\"b\": {\"memberOf\": [{\"id\": \"c\"}]}, \"c\": {}}}}"));
}

static void applies_to_rules(void **state)
{
    (void)state;
    /* No appliesTo: the action applies to nothing (in both formats). */
    cedar_dump_is("action a;", "action Action::\"a\" applies to nothing [] x [] context {}\n");
    json_dump_is("{\"\": {\"entityTypes\": {}, \"actions\": {\"a\": {\"appliesTo\": null}}}}",
                 "action Action::\"a\" applies to nothing [] x [] context {}\n");
    /* JSON may list no principals: again nothing; the human syntax refuses []. */
    json_dump_is("{\"\": {\"entityTypes\": {\"U\": {}}, \"actions\": {\"a\": {\"appliesTo\": "
                 "{\"principalTypes\": [], \"resourceTypes\": [\"U\"]}}}}}",
                 "entity U = {}\naction Action::\"a\" applies to nothing [] x [U] context {}\n");
    fails("entity U; action a appliesTo { principal: [], resource: U };",
          "the principal list of appliesTo is empty", "1:32:");
    fails("entity U; action a appliesTo { principal: U, resource: [] };",
          "the resource list of appliesTo is empty", "1:46:");
    fails("entity U; action a appliesTo { principal: U };", "must list the resource types",
          "1:11:");
    fails("entity U; action a appliesTo { context: {} };", "must list the principal types", NULL);
    fails("entity U; action a appliesTo { principal: U, resource: U, principal: U };",
          "`principal` is given twice", "1:59:");
    fails("entity U; action a appliesTo { principal: U, resource: U, context: {}, context: {} };",
          "`context` is given twice", NULL);
    fails("action a appliesTo {};", "expected `principal`, `resource` or `context`", "1:21:");
    /* context may name a common type, which must be a record... */
    cedar_dump_is("type C = { n: Long }; entity U;"
                  "action a appliesTo { principal: U, resource: U, context: C };",
                  "entity U = {}\naction Action::\"a\" appliesTo [U] x [U] context {n: Long}\n");
    fails("type C = Long; entity U; action a appliesTo { principal: U, resource: U, context: C };",
          "the context of action Action::\"a\" must be a record type, not Long", "1:83:");
    /* ...and only a common type: an entity type name is not a context. */
    fails("entity U; action a appliesTo { principal: U, resource: U, context: U };",
          "it is not declared as a common type", "1:68:");
}

static void entity_in_itself(void **state)
{
    (void)state;
    /* Entity type hierarchies may be cyclic, including membership in itself. */
    cedar_dump_is("entity E in [E, F, E]; entity F in E;",
                  "entity E in [E, F] = {}\nentity F in [E] = {}\n");
}

static void duplicate_attributes_last_wins(void **state)
{
    (void)state;
    /* The reference's conversion keeps the last declaration of an attribute. */
    pc_schema *s = parse_ok("entity E = { a: Long, b: Bool, a?: String };");
    attr_is(s, "E", "a", "String");
    assert_false(pc_type_attr(pc_schema_entity(s, PC_STR_LIT("E"))->attrs,
                              PC_STR_LIT("a"))->required);
    assert_int_equal(pc_schema_entity(s, PC_STR_LIT("E"))->attrs->n_attrs, 2);
    pc_schema_free(s);
}

static void json_strings_with_nul(void **state)
{
    (void)state;
    /* NUL is fine inside JSON string values: enum ids, action group ids. */
    pc_schema *s = parse_json_ok("{\"\": {\"entityTypes\": {\"F\": {\"enum\": [\"\\u0000\", "
                                 "\"\", \"\\u0000\"]}}, \"actions\": {}}}");
    const pc_entity_decl *f = pc_schema_entity(s, PC_STR_LIT("F"));
    assert_int_equal(f->n_enum, 2);
    assert_int_equal(f->enum_ids[0].len, 0);
    assert_int_equal(f->enum_ids[1].len, 1);
    assert_int_equal(f->enum_ids[1].ptr[0], '\0');
    pc_schema_free(s);
    /* ...so an id differing only after a NUL is a different id. */
    json_fails("{\"\": {\"entityTypes\": {}, \"actions\": {\"g\": {}, \"a\": "
               "{\"memberOf\": [{\"id\": \"g\\u0000x\"}]}}}}",
               "action group Action::\"g\\0x\" is not declared");
    /* NUL in object keys (action names, attribute names) is kept, as the reference keeps it. */
    s = parse_json_ok("{\"\": {\"entityTypes\": {\"E\": {\"shape\": {\"type\": \"Record\", "
                      "\"attributes\": {\"x\\u0000y\": {\"type\": \"Long\"}}}}}, "
                      "\"actions\": {\"a\\u0000\": {}}}}");
    pc_uid act = {PC_STR_LIT("Action"), {"a\0", 2}};
    assert_non_null(pc_schema_action(s, &act));
    const pc_entity_decl *e = pc_schema_entity(s, PC_STR_LIT("E"));
    assert_non_null(pc_type_attr(e->attrs, (pc_str){"x\0y", 3}));
    assert_null(pc_type_attr(e->attrs, PC_STR_LIT("x")));
    pc_schema_free(s);
}

static void annotations_everywhere(void **state)
{
    (void)state;
    cedar_dump_is("@a @b(\"x\") namespace N {\n"
                  "  @c(\"\\u{1F600}\") entity E = { @d @e(\"1\") x: Long };\n"
                  "  @if(\"keywords are fine as keys\") action a;\n"
                  "  @doc type T = Long;\n"
                  "}\n"
                  "@top entity F;\n",
                  "entity F = {}\nentity N::E = {x: Long}\n"
                  "action N::Action::\"a\" applies to nothing [] x [] context {}\n");
    fails("@doc(\"a\") @doc(\"b\") entity A;", "duplicate annotation `@doc`", "1:12:");
    fails("entity A = { @x @y @x a: Long };", "duplicate annotation `@x`", "1:21:");
    fails("@doc(\"\\q\") entity A;", "invalid string literal", "1:7:");
    fails("@doc(x) entity A;", "expected a string literal", "1:6:");
    fails("entity A = { @doc };", "expected an identifier, found '}'", NULL);
}

/* ---- error cases, human syntax ------------------------------------------ */

static void cedar_syntax_errors(void **state)
{
    (void)state;
    fails("entity A", "expected ';', found end of input", "1:9:");
    fails("entity in;", "`in` is a reserved word", "1:8:");
    fails("entity A = { if: Long };", "`if` is a reserved word", "1:14:");
    fails("entity A in [B,];", "expected an identifier, found ']'", "1:16:");
    fails("entity A = ;", "expected '{', found ';'", "1:12:");
    fails("entity A enum [];", "expected a string literal, found ']'", "1:16:");
    fails("entity A in [B] enum [\"a\"];", "expected ';', found `enum`", NULL);
    fails("entity A = { a: Set<Long };", "expected '>'", NULL);
    fails("action a in [A::B];", "expected '::' and the action's name", "1:18:");
    fails("action \"a\\q\";", "invalid string literal", "1:10:");
    fails("entity A; action a appliesTo { principal: A, resource: A } in [b];",
          "expected ';', found `in`", NULL);
    fails("namespace N { namespace M {} }", "namespaces cannot be nested", "1:15:");
    fails("namespace N { entity A; ", "expected '}', found end of input", NULL);
    fails("typo A;", "expected `entity`, `action` or `type`, found `typo`", "1:1:");
    fails("entity A = { a: 12 };", "expected an identifier, found integer literal", "1:17:");
    fails("entity \"A\";", "expected an identifier, found string literal", "1:8:");
    fails("type T = Long", "expected ';'", NULL);
    fails("entity A = { a: Long } tags;", "expected an identifier, found ';'", NULL);
    /* Lexical errors become schema errors too. */
    fails("entity A = { \"a: Long };", "unterminated string literal", "1:14:");
    fails("entity A = { a: Long } # ;", "unexpected character '#'", "1:24:");
    /* Multi-line positions count lines and characters. */
    fails("entity A;\n  entity B = {\n    c: Nope\n  };", "unknown type `Nope`", "3:8:");
}

static void cedar_declaration_errors(void **state)
{
    (void)state;
    fails("entity A = { b: Nope };", "unknown type `Nope`: it is not declared as a common or "
                                     "entity type", "1:17:");
    fails("namespace N { entity A = { b: Nope }; }",
          "neither `N::Nope` nor `Nope` is declared", "1:31:");
    fails("entity A; entity A;", "entity type `A` is declared twice", "1:18:");
    fails("entity A, A;", "entity type `A` is declared twice", "1:11:");
    fails("namespace N { entity A; entity A; }", "entity type `N::A` is declared twice", NULL);
    fails("type T = Long; type T = String;", "common type `T` is declared twice", "1:21:");
    fails("action a; action \"a\";", "action Action::\"a\" is declared twice", "1:18:");
    fails("action \"\\0\", \"\\0\";", "action Action::\"\\0\" is declared twice", NULL);
    fails("namespace A {} namespace B {} namespace A {}", "namespace `A` is declared twice",
          "1:41:");
    fails("namespace __cedar { entity A; }", "reserved name `__cedar`", "1:11:");
    fails("namespace A::__cedar::B { }", "reserved name `__cedar`", NULL);
    fails("entity __cedar;", "`__cedar` is reserved", "1:8:");
    fails("namespace N { entity Action; }", "entity type `Action` cannot be declared", "1:22:");
    fails("type Long = String;", "`Long` is reserved and cannot name a common type", "1:6:");
    fails("type Record = {};", "`Record` is reserved", NULL);
    fails("type __cedar = Long;", "`__cedar` is reserved", NULL);
    fails("type A = B; type B = A;", "is defined in terms of itself", NULL);
    fails("type A = Set<A>;", "common type `A` is defined in terms of itself", "1:6:");
    fails("type A = { a: Long }; entity E = { x: B }; type B = { y: C }; type C = Set<B>;",
          "defined in terms of itself", NULL);
    fails("action a in [b];", "action group Action::\"b\" is not declared", "1:14:");
    fails("action a in [b]; action b in [c]; action c in a;",
          "is a member of itself (a cycle in the action hierarchy)", NULL);
    fails("action a in a;", "action Action::\"a\" is a member of itself", "1:8:");
    fails("type T = {}; entity A in [T];", "unknown type `T`: it is not declared as an entity type",
          "1:27:");
    /* RFC 70: no namespace may reuse a name of the empty namespace. */
    fails("entity User; namespace N { entity User; }",
          "entity type `N::User` shadows `User`, declared in the empty namespace", "1:35:");
    fails("type User = Long; namespace N { entity User; }", "shadows `User`", NULL);
    fails("entity User; namespace N { type User = Long; }", "common type `N::User` shadows", NULL);
    fails("action view; namespace N { action view; }",
          "action N::Action::\"view\" shadows the action of the same id", "1:35:");
    /* Within the empty namespace an entity and a common type may share a name. */
    pc_schema *s = parse_ok("entity User; type User = Long; entity E = { u: User };");
    attr_is(s, "E", "u", "Long");
    pc_schema_free(s);
}

static void limits(void **state)
{
    (void)state;
    /* Written nesting is bounded while parsing. */
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "type T = ");
    for (int i = 0; i < 200; i++)
        pc_buf_puts(&b, "Set<");
    pc_buf_puts(&b, "Long");
    for (int i = 0; i < 200; i++)
        pc_buf_putc(&b, '>');
    pc_buf_putc(&b, ';');
    fails(b.data, "types nest more than 128 deep", NULL);
    /* Inlining through a long chain of common types is bounded too. */
    pc_buf_clear(&b);
    for (int i = 0; i < 1100; i++)
        pc_buf_printf(&b, "type T%d = Set<T%d>;\n", i, i + 1);
    pc_buf_puts(&b, "type T1100 = Long;\n");
    fails_fmt(false, b.data, PC_ERR_LIMIT, "nest more than 1024 deep", NULL);
    /* A long action chain is checked without deep recursion. */
    pc_buf_clear(&b);
    for (int i = 0; i < 20000; i++)
        pc_buf_printf(&b, "action a%d in a%d;\n", i, i + 1);
    pc_buf_puts(&b, "action a20000;\n");
    pc_schema *s = parse_ok(b.data);
    assert_int_equal(pc_schema_action_count(s), 20001);
    pc_schema_free(s);
    pc_buf_clear(&b);
    for (int i = 0; i < 20000; i++)
        pc_buf_printf(&b, "action a%d in a%d;\n", i, (i + 1) % 20000);
    fails(b.data, "a cycle in the action hierarchy", NULL);
    pc_buf_free(&b);
}

static void null_diag_and_odd_input(void **state)
{
    (void)state;
    pc_schema *s = (pc_schema *)1;
    assert_int_equal(pc_schema_parse_cedar(in, "entity", 6, NULL, &s, NULL), PC_ERR_SCHEMA);
    assert_null(s);
    assert_int_equal(pc_schema_parse_cedar(in, "type A = B; type B = A;", 23, NULL, &s, NULL),
                     PC_ERR_SCHEMA);
    assert_int_equal(pc_schema_parse_json(in, "[]", 2, NULL, &s, NULL), PC_ERR_SCHEMA);
    /* NUL bytes in the human text are stray characters, not terminators. */
    assert_int_equal(pc_schema_parse_cedar(in, "entity A;\0", 10, "x", &s, NULL),
                     PC_ERR_SCHEMA);
    /* An empty text is an empty schema in the human syntax, an error in JSON. */
    assert_int_equal(pc_schema_parse_cedar(in, NULL, 0, "x", &s, NULL), PC_OK);
    assert_int_equal(pc_schema_entity_count(s), 0);
    pc_schema_free(s);
    assert_int_equal(pc_schema_parse_json(in, "", 0, "x", &s, NULL), PC_ERR_SCHEMA);
}

/* ---- error cases, JSON -------------------------------------------------- */

#define NS(body) "{\"N\": {" body "}}"
#define EMPTY_ACTIONS "\"actions\": {}"

static void json_structure_errors(void **state)
{
    (void)state;
    json_fails("{\"N\": ", "t.json:1:");
    json_fails("[1]", "expected an object mapping namespaces");
    json_fails("{\"N\": 1}", "t.json: N: expected an object, found an integer");
    json_fails(NS(EMPTY_ACTIONS), "t.json: N: missing field `entityTypes`");
    json_fails(NS("\"entityTypes\": {}"), "missing field `actions`");
    json_fails(NS("\"entityTypes\": {}, " EMPTY_ACTIONS ", \"commonType\": {}"),
               "t.json: N.commonType: unknown field");
    json_fails("{\"\": {\"annotations\": {\"a\": \"b\"}, \"entityTypes\": {}, " EMPTY_ACTIONS
               "}}",
               "annotations are not allowed on the empty namespace");
    json_fails("{\"A B\": {\"entityTypes\": {}, " EMPTY_ACTIONS "}}",
               "t.json: \"A B\": not a valid namespace name");
    json_fails("{\"A\": {\"entityTypes\": {}, " EMPTY_ACTIONS "}, \"A\": {}}", "duplicate");
    json_fails("{\"__cedar\": {\"entityTypes\": {}, " EMPTY_ACTIONS "}}", "reserved name");
    json_fails(NS("\"entityTypes\": [], " EMPTY_ACTIONS), "N.entityTypes: expected an object");
    json_fails(NS("\"entityTypes\": {\"if\": {}}, " EMPTY_ACTIONS),
               "N.entityTypes.if: not a valid entity type name");
    json_fails(NS("\"entityTypes\": {\"A\": {\"extra\": 1}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.extra: unknown field");
    json_fails(NS("\"entityTypes\": {\"A\": {\"memberOfTypes\": null}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.memberOfTypes: expected an array of names, found null");
    json_fails(NS("\"entityTypes\": {\"A\": {\"memberOfTypes\": [\"B::\"]}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.memberOfTypes[0]: `B::` is not a valid name");
    json_fails(NS("\"entityTypes\": {\"A\": {\"enum\": [\"a\"], \"shape\": {}}}, " EMPTY_ACTIONS),
               "unexpected field `shape` in an enumerated entity type");
    json_fails(NS("\"entityTypes\": {\"A\": {\"enum\": []}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.enum: an enumerated entity type needs at least one id");
    json_fails(NS("\"entityTypes\": {\"A\": {\"enum\": [1]}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.enum[0]: expected a string");
    json_fails(NS("\"entityTypes\": {\"Action\": {}}, " EMPTY_ACTIONS),
               "entity type `Action` cannot be declared");
    json_fails(NS("\"commonTypes\": {\"Record\": {\"type\": \"Long\"}}, \"entityTypes\": {}, "
                  EMPTY_ACTIONS),
               "`Record` is reserved and cannot name a common type");
    json_fails(NS("\"commonTypes\": {\"a-b\": {\"type\": \"Long\"}}, \"entityTypes\": {}, "
                  EMPTY_ACTIONS),
               "N.commonTypes.\"a-b\": not a valid common type name");
    json_fails(NS("\"entityTypes\": {\"A\": {\"annotations\": {\"a b\": \"x\"}}}, " EMPTY_ACTIONS),
               "an annotation name must be an identifier");
    json_fails(NS("\"entityTypes\": {\"A\": {\"annotations\": {\"a\": 1}}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.annotations.a: expected a string, found an integer");
}

#define ENTITY_WITH(attr) \
    NS("\"entityTypes\": {\"A\": {\"shape\": {\"type\": \"Record\", \"attributes\": {\"x\": " \
       attr "}}}}, " EMPTY_ACTIONS)

static void json_type_errors(void **state)
{
    (void)state;
    json_fails(ENTITY_WITH("{\"type\": \"Long\", \"requiredd\": true}"),
               "N.entityTypes.A.shape.attributes.x.requiredd: unknown field");
    json_fails(ENTITY_WITH("{\"type\": \"Long\", \"required\": 1}"),
               "x.required: expected a boolean, found an integer");
    json_fails(ENTITY_WITH("{\"name\": \"Long\"}"), "x: missing field `type`");
    json_fails(ENTITY_WITH("{\"type\": 7}"), "x.type: expected a string");
    json_fails(ENTITY_WITH("{\"type\": \"Set\"}"), "x: missing field `element`");
    json_fails(ENTITY_WITH("{\"type\": \"Set\", \"element\": {\"type\": \"Long\", "
                           "\"required\": false}}"),
               "x.element.required: unknown field");
    json_fails(ENTITY_WITH("{\"type\": \"Record\"}"), "x: missing field `attributes`");
    json_fails(ENTITY_WITH("{\"type\": \"Record\", \"attributes\": {}, "
                           "\"additionalAttributes\": 1}"),
               "x.additionalAttributes: expected a boolean");
    json_fails(ENTITY_WITH("{\"type\": \"Boolean\", \"name\": \"x\"}"),
               "unknown field `name` for type Boolean");
    json_fails(ENTITY_WITH("{\"type\": \"Entity\"}"), "x: missing field `name`");
    json_fails(ENTITY_WITH("{\"type\": \"Entity\", \"name\": \"Nope\"}"),
               "x: unknown type `Nope`: neither `N::Nope` nor `Nope` is declared as an entity type");
    json_fails(ENTITY_WITH("{\"type\": \"Entity\", \"name\": \"a b\"}"),
               "x.name: `a b` is not a valid name");
    json_fails(ENTITY_WITH("{\"type\": \"Extension\", \"name\": \"ip\"}"),
               "x: unknown extension type `ip`");
    json_fails(ENTITY_WITH("{\"type\": \"Extension\", \"name\": \"A::b\"}"),
               "not a valid extension type name");
    json_fails(ENTITY_WITH("{\"type\": \"Nope\"}"),
               "x: unknown type `Nope`: neither `N::Nope` nor `Nope` is declared as a common type");
    json_fails(ENTITY_WITH("{\"type\": \"Nope\", \"element\": {}}"),
               "unknown field `element` for type reference");
    json_fails(ENTITY_WITH("{\"type\": \"Bad Name\"}"),
               "x.type: `Bad Name` is neither a built-in type nor a valid name");
    json_fails(NS("\"entityTypes\": {\"A\": {\"shape\": {\"type\": \"Long\"}}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.shape: the shape of entity type N::A must be a record type, not Long");
    json_fails(NS("\"entityTypes\": {\"A\": {\"shape\": null}}, " EMPTY_ACTIONS),
               "N.entityTypes.A.shape: expected a type");
}

static void json_action_errors(void **state)
{
    (void)state;
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"attributes\": {}}}"),
               "N.actions.a: action attributes are not supported");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"appliesTo\": "
                  "{\"principalTypes\": []}}}"),
               "N.actions.a.appliesTo: missing field `resourceTypes`");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"appliesTo\": "
                  "{\"principalTypes\": [], \"resourceTypes\": [], \"extra\": 1}}}"),
               "appliesTo.extra: unknown field");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"appliesTo\": "
                  "{\"principalTypes\": [\"U\"], \"resourceTypes\": []}}}"),
               "N.actions.a.appliesTo.principalTypes[0]: unknown type `U`");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"memberOf\": [{\"id\": \"b\"}]}}"),
               "N.actions.a.memberOf[0]: action group Action::\"b\" is not declared");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"memberOf\": [{\"type\": \"N\"}]}}"),
               "N.actions.a.memberOf[0]: missing field `id`");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"memberOf\": [{\"id\": \"a\", "
                  "\"kind\": 1}]}}"),
               "memberOf[0].kind: unknown field");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"memberOf\": [{\"id\": \"a\"}]}}"),
               "action N::Action::\"a\" is a member of itself");
    json_fails(NS("\"entityTypes\": {}, \"actions\": {\"a\": {\"appliesTo\": {\"principalTypes\": "
                  "[], \"resourceTypes\": [], \"context\": {\"type\": \"Set\", \"element\": "
                  "{\"type\": \"Long\"}}}}}"),
               "context: the context of action N::Action::\"a\" must be a record type, not Set<Long>");
}

/* ---- the conformance corpus --------------------------------------------- */

static const char *conformance_dir(void)
{
    const char *dir = getenv("PC_CONFORMANCE_DIR");
    return dir && *dir ? dir : DEFAULT_CONFORMANCE_DIR;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Parse one schema file; it must be valid. */
static pc_schema *parse_file(const char *path)
{
    pc_diag d;
    pc_diag_init(&d);
    char *text;
    size_t len;
    assert_int_equal(pc_read_file(path, PC_MAX_FILE_BYTES, &text, &len, &d), PC_OK);
    pc_schema *s = NULL;
    pc_status st = ends_with(path, ".json") ? pc_schema_parse_json(in, text, len, path, &s, &d)
                                            : pc_schema_parse_cedar(in, text, len, path, &s, &d);
    if (st != PC_OK)
        print_message("%s\n", d.msg ? d.msg : path);
    assert_int_equal(st, PC_OK);
    free(text);
    return s;
}

/* Parse every *.cedarschema in dir (recursively); returns how many. */
static unsigned parse_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    unsigned n = 0;
    for (struct dirent *de; (de = readdir(dp));) {
        if (de->d_name[0] == '.')
            continue;
        char *path = NULL;
        assert_true(asprintf(&path, "%s/%s", dir, de->d_name) > 0);
        DIR *sub = opendir(path);
        if (sub) {
            closedir(sub);
            n += parse_dir(path);
        } else if (ends_with(path, ".cedarschema")) {
            pc_schema_free(parse_file(path));
            n++;
        }
        free(path);
    }
    closedir(dp);
    return n;
}

static void corpus_schemas_all_parse(void **state)
{
    (void)state;
    char *corpus = NULL, *samples = NULL;
    assert_true(asprintf(&corpus, "%s/corpus-tests", conformance_dir()) > 0);
    assert_true(asprintf(&samples, "%s/sample-data", conformance_dir()) > 0);
    DIR *probe = opendir(corpus);
    if (!probe) {
        print_message("no conformance data at %s (set PC_CONFORMANCE_DIR)\n", corpus);
        free(corpus);
        free(samples);
        fail();   /* the conformance data is a required input, never skipped */
    }
    closedir(probe);
    assert_true(parse_dir(corpus) >= MIN_CORPUS_SCHEMAS);
    assert_int_equal(parse_dir(samples), 3);
    free(corpus);
    free(samples);
}

/* Open a conformance file by relative path, or skip when the data is absent. */
static pc_schema *corpus_file(const char *rel)
{
    char *path = NULL;
    assert_true(asprintf(&path, "%s/%s", conformance_dir(), rel) > 0);
    FILE *f = fopen(path, "r");
    if (!f) {
        free(path);
        fail();   /* the conformance data is a required input, never skipped */
    }
    fclose(f);
    pc_schema *s = parse_file(path);
    free(path);
    return s;
}

static void corpus_spot_checks(void **state)
{
    (void)state;
    pc_schema *s = corpus_file("sample-data/sandbox_a/schema.cedarschema");
    const pc_entity_decl *user = pc_schema_entity(s, PC_STR_LIT("User"));
    assert_non_null(user);
    assert_int_equal(user->n_member_of, 1);
    assert_string_equal(user->member_of[0].ptr, "UserGroup");
    pc_uid view = {PC_STR_LIT("Action"), PC_STR_LIT("view")};
    const pc_action_decl *a = pc_schema_action(s, &view);
    assert_non_null(a);
    assert_true(a->applies);
    assert_int_equal(a->n_principals, 2);
    assert_string_equal(a->principals[0].ptr, "Administrator");
    assert_string_equal(a->resources[1].ptr, "Video");
    assert_int_equal(pc_type_attr(a->context, PC_STR_LIT("source_ip"))->type->kind, PC_T_IPADDR);
    assert_int_equal(pc_type_attr(a->context, PC_STR_LIT("confidence_score"))->type->kind,
                     PC_T_DECIMAL);
    pc_schema_free(s);

    /* A namespace whose action groups are written qualified, with escapes. */
    s = corpus_file("corpus-tests/0e3c8e9c7311733c30ef54348d3479218d3921f2.cedarschema");
    pc_uid debi = {PC_STR_LIT("r::Action"), PC_STR_LIT("Debi")};
    a = pc_schema_action(s, &debi);
    assert_non_null(a);
    assert_false(a->applies);
    assert_int_equal(a->n_member_of, 14);
    pc_uid bell = {PC_STR_LIT("r::Action"), PC_STR_LIT(".\a")};
    assert_non_null(pc_schema_action(s, &bell));
    pc_uid empty = {PC_STR_LIT("r::Action"), PC_STR_LIT("")};
    a = pc_schema_action(s, &empty);
    assert_non_null(a);
    assert_true(a->applies);
    assert_int_equal(a->n_principals, 3);
    assert_true(pc_schema_is_action_type(s, PC_STR_LIT("r::Action")));
    pc_schema_free(s);

    /* An enumeration with repeated and escaped ids keeps each id once. */
    s = corpus_file("corpus-tests/0e3ccf7464bac749a3455bd60cbedd5402a32bf6.cedarschema");
    const pc_entity_decl *tb = pc_schema_entity(s, PC_STR_LIT("tB"));
    assert_non_null(tb);
    assert_true(tb->is_enum);
    assert_int_equal(tb->n_enum, 3);   /* "", "K" and the escaped one */
    pc_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cedar_every_construct),
        cmocka_unit_test(json_every_construct),
        cmocka_unit_test(both_formats_agree),
        cmocka_unit_test(lookups_and_printing),
        cmocka_unit_test(print_open_records_and_odd_names),
        cmocka_unit_test(resolution_common_before_entity),
        cmocka_unit_test(resolution_namespace_then_empty),
        cmocka_unit_test(resolution_builtins_and_shadowing),
        cmocka_unit_test(resolution_action_types),
        cmocka_unit_test(resolution_action_groups),
        cmocka_unit_test(applies_to_rules),
        cmocka_unit_test(entity_in_itself),
        cmocka_unit_test(duplicate_attributes_last_wins),
        cmocka_unit_test(json_strings_with_nul),
        cmocka_unit_test(annotations_everywhere),
        cmocka_unit_test(cedar_syntax_errors),
        cmocka_unit_test(cedar_declaration_errors),
        cmocka_unit_test(limits),
        cmocka_unit_test(null_diag_and_odd_input),
        cmocka_unit_test(json_structure_errors),
        cmocka_unit_test(json_type_errors),
        cmocka_unit_test(json_action_errors),
        cmocka_unit_test(corpus_schemas_all_parse),
        cmocka_unit_test(corpus_spot_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
