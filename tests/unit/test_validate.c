/*
** tests/unit/test_validate.c — strict validation.
**
** Most tests are rows of a table: a schema (the shared one below unless
** given), policy text, and the issues expected, rendered one per issue as
**     E kind@LINE:COL     (an error)      W kind@LINE:COL   (a warning)
** joined by "; " in the validator's order (by policy, then position). An
** empty expectation means "no issue at all". Each row targets one rule of
** the reference's strict typechecker; the comment on a row says why the
** answer is what it is. Other tests cover templates and linked policies, a
** JSON schema with open records, the message format, and finally the whole
** conformance corpus (every test's shouldValidate must come out right).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate/validate.h"

/* Where the conformance data lives; PC_CONFORMANCE_DIR overrides it. */
#define DEFAULT_CONFORMANCE_DIR "../shared/conformance/cedar"
/* The shared corpus has 6,336 tests; far fewer means we read the wrong place. */
#define MIN_CORPUS_TESTS 6000
#define MAX_PATH_LEN 4096

static const char schema_text[] =
    "entity Group;\n"
    "entity User in [Group] = {\n"
    "  name: String,\n"
    "  age?: Long,\n"
    "  manager?: User,\n"
    "  tags: Set<String>,\n"
    "  addr?: { city: String, zip?: String },\n"
    "};\n"
    "entity Doc = { owner: User, secret?: Bool } tags String;\n"
    "entity Color enum [\"red\", \"green\"];\n"
    "action view appliesTo { principal: [User], resource: [Doc],\n"
    "                        context: { ip?: ipaddr, n: Long, when?: datetime } };\n"
    "action edit in [view] appliesTo { principal: [User], resource: [Doc],\n"
    "                                  context: { ip?: ipaddr, n: Long } };\n"
    "action admin;\n";

/* ---- harness --------------------------------------------------------------- */

typedef struct world {
    pc_intern *in;
    pc_arena arena;
    pc_schema *schema;
    pc_policy_list policies;
    pc_vresult result;
} world;

static void world_free(world *w)
{
    pc_vresult_free(&w->result);
    pc_policy_list_free(&w->policies);
    pc_schema_free(w->schema);
    pc_arena_free(&w->arena);
    pc_intern_free(w->in);
}

/* Parse a schema (JSON when it starts with '{') and policies; fail the test on errors. */
static void world_load(world *w, const char *schema, const char *policies)
{
    memset(w, 0, sizeof *w);
    w->in = pc_intern_new();
    assert_non_null(w->in);
    pc_arena_init(&w->arena, 4096, 0);
    pc_diag d;
    pc_diag_init(&d);
    schema = schema ? schema : schema_text;
    pc_status st = schema[0] == '{'
                       ? pc_schema_parse_json(w->in, schema, strlen(schema), "s.json", &w->schema, &d)
                       : pc_schema_parse_cedar(w->in, schema, strlen(schema), "s.cedarschema",
                                               &w->schema, &d);
    if (st != PC_OK)
        print_message("schema: %s\n", d.msg ? d.msg : "(no message)");
    assert_int_equal(st, PC_OK);
    uint32_t next = 0;
    st = pc_parse_policies(&w->arena, w->in, policies, strlen(policies), "p.cedar", &next,
                           &w->policies, &d);
    if (st != PC_OK)
        print_message("policies: %s\n", d.msg ? d.msg : "(no message)");
    assert_int_equal(st, PC_OK);
    pc_diag_clear(&d);
}

static void world_validate(world *w)
{
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_validate(w->schema, (const pc_policy *const *)w->policies.items,
                                 w->policies.n, &w->result, &d),
                     PC_OK);
    pc_diag_clear(&d);
}

/* The issues as "E kind@L:C; W kind@L:C". */
static char *render(const pc_vresult *r)
{
    pc_buf b;
    pc_buf_init(&b);
    for (uint32_t i = 0; i < r->n; i++) {
        const pc_vissue *v = &r->items[i];
        uint32_t line, col;
        pc_line_col(v->policy->src, v->policy->src_len, v->offset, &line, &col);
        pc_buf_printf(&b, "%s%c %s@%u:%u", i ? "; " : "", v->warning ? 'W' : 'E', v->kind, line,
                      col);
    }
    char *s = pc_buf_take(&b);
    return s ? s : strdup("");
}

/* Validate and compare; prints the difference and returns false on a mismatch. */
static bool issues_match(const char *name, const char *schema, const char *policies,
                         const char *want)
{
    world w;
    world_load(&w, schema, policies);
    world_validate(&w);
    char *got = render(&w.result);
    bool same = strcmp(got, want) == 0;
    if (!same) {
        print_message("case %s\n  want: %s\n  got:  %s\n", name, want, got);
        for (uint32_t i = 0; i < w.result.n; i++)
            print_message("  %s\n", w.result.items[i].message);
    }
    uint32_t errors = 0;
    for (uint32_t i = 0; i < w.result.n; i++)
        errors += !w.result.items[i].warning;
    assert_int_equal(errors, w.result.n_errors);
    assert_int_equal(w.result.n - errors, w.result.n_warnings);
    free(got);
    world_free(&w);
    return same;
}

static void expect_issues(const char *name, const char *schema, const char *policies,
                          const char *want)
{
    assert_true(issues_match(name, schema, policies, want));
}

/* ---- the table -------------------------------------------------------------- */

typedef struct vcase {
    const char *name;
    const char *policies;
    const char *want;
} vcase;

#define VIEW "permit(principal, action == Action::\"view\", resource) when { "

static const vcase cases[] = {
    /* attributes and capabilities */
    {"required attributes", VIEW "principal.name == \"a\" && context.n > 1 };", ""},
    {"unknown attribute", VIEW "principal.nam == \"a\" };", "E attribute not found@1:62"},
    {"optional attribute unguarded", VIEW "principal.age > 1 };",
     "E unsafe optional attribute access@1:62"},
    {"guarded by has", VIEW "principal has age && principal.age > 1 };", ""},
    {"guarded through if", VIEW "if principal has age then principal.age > 1 else false };", ""},
    {"not guarded in else", VIEW "if principal has age then true else principal.age > 1 };",
     "E unsafe optional attribute access@1:98"},
    /* the scope and every condition are one `&&`, so a guard carries across clauses */
    {"guard across clauses",
     "permit(principal, action, resource) when { principal has age } when { principal.age > 1 };",
     ""},
    {"guard before unless",
     "permit(principal, action, resource) when { principal has age } unless { principal.age < 0 };",
     ""},
    /* `x || true` is always true, so it proves nothing about x */
    {"guard lost through ||", VIEW "(principal has age || true) && principal.age > 1 };",
     "E unsafe optional attribute access@1:93"},
    {"guard on both sides of ||",
     VIEW "(principal has age && principal.age > 1 || principal has age) && principal.age < 9 };",
     ""},
    {"negation drops guards", VIEW "!(!(principal has age)) && principal.age > 1 };",
     "E unsafe optional attribute access@1:89"},
    {"has a.b chain", VIEW "principal has addr.zip && principal.addr.zip == \"1\" };", ""},
    {"nested optional unguarded", VIEW "principal has addr && principal.addr.zip == \"1\" };",
     "E unsafe optional attribute access@1:84"},
    {"optional entity attribute",
     VIEW "principal has manager && principal.manager.age > 1 };",
     "E unsafe optional attribute access@1:87"},
    /* the guard is on one `principal.manager` node, the access on another */
    {"guard matches by shape, not position",
     VIEW "principal has manager && principal.manager has age && principal.manager.age > 1 };",
     ""},
    /* a failed `has` grants nothing, so `age` is unguarded too */
    {"failed guard grants nothing", VIEW "principal.manager has age && principal.manager.age > 1 };",
     "E unsafe optional attribute access@1:62; E unsafe optional attribute access@1:91; "
     "E unsafe optional attribute access@1:91"},
    {"context optional", VIEW "context has ip && context.ip.isIpv4() };", ""},
    {"context optional unguarded", VIEW "context.ip.isIpv4() };",
     "E unsafe optional attribute access@1:62"},
    /* an attribute another action's context lacks: checked per environment */
    {"per-environment context", "permit(principal, action, resource) when { context has when };",
     ""},
    {"has on a string", VIEW "principal.name has x };", "E unexpected type@1:62"},

    /* short-circuiting: what cannot run is not checked */
    {"false && anything", VIEW "false && 1 + \"a\" == 2 };", "W impossible policy@1:1"},
    {"true || anything", VIEW "true || 1 + \"a\" == 2 };", ""},
    {"if true skips else", VIEW "(if true then 1 else \"a\") == 1 };", ""},
    {"both branches checked", VIEW "(if context.n > 0 then 1 else \"a\") == 1 };",
     "E incompatible types@1:63"},
    {"false right side of &&", VIEW "principal.age > 1 && false };",
     "W impossible policy@1:1; E unsafe optional attribute access@1:62"},

    /* equality */
    {"== between unrelated types", VIEW "context.n == \"a\" };", "E incompatible types@1:62"},
    /* two literals are compared, not typed */
    {"== between literals", VIEW "1 == \"a\" };", "W impossible policy@1:1"},
    {"== between entity types is false", VIEW "principal == resource };",
     "W impossible policy@1:1"},
    {"!= is a negated ==", VIEW "context.n != \"a\" };", "E incompatible types@1:62"},
    {"records must match exactly", VIEW "{a: 1} == {a: \"x\"} };",
     "E incompatible types@1:62"},
    {"records of different width", VIEW "{a: 1} == {a: 1, b: 2} };",
     "E incompatible types@1:62"},

    /* hierarchy */
    {"in a related type", VIEW "principal in Group::\"g\" && context.n + 1 > 0 };", ""},
    /* a User can never be in a Doc: False, and the right side is never checked */
    {"in an unrelated type", VIEW "principal in Doc::\"d\" && 1 + \"a\" == 1 };",
     "W impossible policy@1:1"},
    {"action in its group", VIEW "action in Action::\"view\" || 1 + \"a\" == 1 };", ""},
    {"member action in its group",
     "permit(principal, action == Action::\"edit\", resource) when { action in Action::\"view\" "
     "|| 1 + \"a\" == 1 };",
     ""},
    {"in on a string", VIEW "principal.name in Group::\"g\" };", "E unexpected type@1:62"},
    {"in a set of entities", VIEW "principal in [Group::\"a\", Group::\"b\"] };", ""},

    /* `is` */
    {"is the variable's type", VIEW "principal is User };", ""},
    {"is another type", VIEW "resource is User && 1 + \"a\" == 1 };", "W impossible policy@1:1"},
    {"is in", VIEW "principal is User in Group::\"g\" };", ""},
    {"is on a non-entity", VIEW "context.n is User };", "E unexpected type@1:62"},

    /* sets, records, strings */
    {"heterogeneous set", VIEW "[1, \"a\"].contains(1) };", "E incompatible types@1:62"},
    {"empty set", VIEW "[].isEmpty() };", "E empty set forbidden@1:62"},
    {"contains the wrong type", VIEW "principal.tags.contains(1) };",
     "E incompatible types@1:62"},
    {"containsAll needs a set", VIEW "principal.tags.containsAll(\"a\") };",
     "E unexpected type@1:89"},
    {"set of different entity types", VIEW "[principal, resource].contains(principal) };",
     "E incompatible types@1:62"},
    {"like on an entity", VIEW "principal like \"a*\" };", "E unexpected type@1:62"},
    {"arithmetic on strings", VIEW "principal.name + 1 > 0 };", "E unexpected type@1:62"},

    /* comparisons and extension functions */
    {"long compared with string", VIEW "context.n < \"a\" };", "E unexpected type@1:74"},
    {"datetimes compare", VIEW "datetime(\"2020-01-01\") < datetime(\"2021-01-01\") };", ""},
    {"decimals do not", VIEW "decimal(\"1.0\") < decimal(\"2.0\") };",
     "E unexpected type@1:62; E unexpected type@1:79"},
    {"bad literal", VIEW "ip(\"bad\").isIpv4() };", "E function argument validation@1:62"},
    {"non-literal constructor", VIEW "decimal(principal.name).lessThan(decimal(\"1.0\")) };",
     "E non-literal extension constructor@1:62"},
    {"wrong argument type", VIEW "decimal(\"1.0\").lessThan(1) };", "E unexpected type@1:86"},
    {"wrong arity", VIEW "ip(\"1.2.3.4\").isIpv4(ip(\"1.2.3.4\")) };",
     "E wrong number of arguments@1:62"},

    /* tags */
    {"tag unguarded", VIEW "resource.getTag(\"k\") == \"v\" };", "E unsafe tag access@1:62"},
    {"tag guarded", VIEW "resource.hasTag(\"k\") && resource.getTag(\"k\") == \"v\" };", ""},
    {"tag guarded by another key", VIEW "resource.hasTag(\"k\") && resource.getTag(\"j\") == \"v\" };",
     "E unsafe tag access@1:86"},
    /* a User cannot have tags: hasTag is False and the rest is never checked */
    {"hasTag on an untagged type", VIEW "principal.hasTag(\"k\") && principal.getTag(\"k\") };",
     "W impossible policy@1:1"},

    /* names */
    {"enum ids", VIEW "Color::\"red\" != Color::\"green\" };", ""},
    {"undeclared enum id", VIEW "Color::\"blue\" != Color::\"red\" };", "E invalid enum entity@1:62"},
    {"unknown type in is", VIEW "principal is Usr };",
     "W impossible policy@1:1; E unrecognized entity type@1:62"},
    /* names are checked everywhere, short-circuiting or not */
    {"unknown type after false", VIEW "false && Nope::\"x\" == principal };",
     "W impossible policy@1:1; E unrecognized entity type@1:71"},
    {"unknown action",
     "permit(principal, action == Action::\"nope\", resource);",
     "E invalid action application@1:1; W impossible policy@1:1; E unrecognized action@1:19"},

    /* applicability */
    {"resource type the action never takes",
     "permit(principal, action == Action::\"view\", resource == User::\"u\");",
     "E invalid action application@1:1; W impossible policy@1:1"},
    {"action without appliesTo", "permit(principal, action == Action::\"admin\", resource);",
     "E invalid action application@1:1; W impossible policy@1:1"},
    {"group in the scope", "permit(principal in Group::\"g\", action in [Action::\"view\"], resource);",
     ""},
    {"== where in was meant", "permit(principal == Group::\"g\", action, resource);",
     "E invalid action application@1:1; W impossible policy@1:1"},
};

static void test_table(void **state)
{
    (void)state;
    unsigned failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        failed += !issues_match(cases[i].name, NULL, cases[i].policies, cases[i].want);
    assert_int_equal(failed, 0);
}

/* ---- templates and links ---------------------------------------------------- */

static void test_templates(void **state)
{
    (void)state;
    /* the slots take every type the scope allows: Doc for ==, Doc for `in` (nothing holds Docs) */
    expect_issues("template ok", NULL,
                  "permit(principal == ?principal, action, resource in ?resource)\n"
                  "when { resource.owner == principal };",
                  "");
    expect_issues("template attribute", NULL,
                  "permit(principal in ?principal, action, resource)\nwhen { principal.nosuch };",
                  "E attribute not found@2:8");
    /* `principal in ?principal` links ?principal to User or Group, never to Doc */
    expect_issues("template slot types", NULL,
                  "permit(principal in ?principal, action == Action::\"view\", resource)\n"
                  "when { principal.age > 1 };",
                  "E unsafe optional attribute access@2:8");
}

/* Link the first policy of w (a template) as w's second policy. */
static void link_first(world *w, const char *principal_type, const char *id)
{
    const pc_policy *t = w->policies.items[0];
    assert_true(t->is_template);
    pc_policy *p = pc_arena_alloc(&w->arena, sizeof *p);
    pc_uid *u = pc_arena_alloc(&w->arena, sizeof *u);
    assert_non_null(p);
    assert_non_null(u);
    *p = *t;
    p->is_template = false;
    p->template_of = t;
    p->id = PC_STR_LIT("link0");
    u->type = pc_intern_str(w->in, principal_type, strlen(principal_type));
    u->id = pc_intern_str(w->in, id, strlen(id));
    p->principal.uid = u;
    assert_int_equal(w->policies.n, 1);
    w->policies.items[w->policies.n++] = p;
}

static void expect_link(const char *type, const char *want)
{
    world w;
    world_load(&w, NULL, "permit(principal == ?principal, action, resource);");
    /* make room for the link next to its template */
    if (w.policies.cap < 2) {
        pc_policy **items = realloc(w.policies.items, 2 * sizeof *items);
        assert_non_null(items);
        w.policies.items = items;
        w.policies.cap = 2;
    }
    link_first(&w, type, "x");
    world_validate(&w);
    char *got = render(&w.result);
    assert_string_equal(got, want);
    if (w.result.n)
        assert_true(w.result.items[w.result.n - 1].policy == w.policies.items[1]);
    free(got);
    world_free(&w);
}

static void test_links(void **state)
{
    (void)state;
    expect_link("User", "");
    expect_link("Nope", "E invalid action application@1:1; E unrecognized entity type@1:8");
    /* a Group is never a principal, though a User in it is */
    expect_link("Group", "E invalid action application@1:1");
}

/* ---- JSON schema, open records ---------------------------------------------- */

static const char json_schema[] =
    "{\"\": {\"entityTypes\": {\"User\": {}},"
    " \"actions\": {\"go\": {\"appliesTo\": {\"principalTypes\": [\"User\"],"
    "   \"resourceTypes\": [\"User\"],"
    "   \"context\": {\"type\": \"Record\", \"additionalAttributes\": true,"
    "                \"attributes\": {\"n\": {\"type\": \"Long\"}}}}}}}}";

static void test_open_records(void **state)
{
    (void)state;
    /* an open record may have any attribute: `has` is Bool, not False ... */
    expect_issues("open has", json_schema,
                  "permit(principal, action, resource) when { context has extra || 1 + \"a\" == 1 };",
                  "E unexpected type@1:69");
    /* ... but reading an undeclared one is still an error */
    expect_issues("open read", json_schema,
                  "permit(principal, action, resource) when { context.extra };",
                  "E attribute not found@1:44");
    /* a closed record surely lacks it: False, so the right side is skipped */
    expect_issues("closed has", NULL,
                  VIEW "context has extra && 1 + \"a\" == 1 };", "W impossible policy@1:1");
}

/* ---- messages ---------------------------------------------------------------- */

static void test_format(void **state)
{
    (void)state;
    world w;
    world_load(&w, NULL, "permit(principal, action, resource)\nwhen { principal.age > 1 };");
    world_validate(&w);
    assert_int_equal(w.result.n, 1);
    const pc_vissue *v = &w.result.items[0];
    assert_string_equal(v->kind, PC_VK_UNSAFE_OPTIONAL);
    assert_non_null(strstr(v->message, "`age` on entity type `User`"));
    char *text = pc_vissue_format(v);
    assert_non_null(text);
    assert_string_equal(text, "p.cedar:2:8: error[unsafe optional attribute access]: for policy "
                              "`policy0`, unable to guarantee safety of access to optional "
                              "attribute `age` on entity type `User`; test for it first with "
                              "`has`\n"
                              "  when { principal.age > 1 };\n"
                              "         ^");
    free(text);
    world_free(&w);
}

/* ---- the conformance corpus ------------------------------------------------- */

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_read_file(path, PC_MAX_FILE_BYTES, &text, &len, &d) != PC_OK)
        print_message("%s\n", d.msg ? d.msg : path);
    pc_diag_clear(&d);
    return text;
}

/* The test file's "shouldValidate": 1 true, 0 false, -1 missing. */
static int should_validate(const char *json)
{
    const char *k = strstr(json, "\"shouldValidate\"");
    if (!k)
        return -1;
    k += strlen("\"shouldValidate\"");
    k += strspn(k, " \t\r\n:");
    return strncmp(k, "true", 4) == 0 ? 1 : strncmp(k, "false", 5) == 0 ? 0 : -1;
}

/* Does the corpus test id validate as its file says? */
static bool corpus_case(const char *dir, const char *id)
{
    char path[MAX_PATH_LEN];
    snprintf(path, sizeof path, "%s/corpus-tests/%s.json", dir, id);
    char *json = read_text(path);
    snprintf(path, sizeof path, "%s/corpus-tests/%s.cedarschema", dir, id);
    char *schema = read_text(path);
    snprintf(path, sizeof path, "%s/corpus-tests/%s.cedar", dir, id);
    char *policies = read_text(path);
    assert_true(json && schema && policies);
    int want = should_validate(json);
    assert_true(want >= 0);
    world w;
    world_load(&w, schema, policies);
    world_validate(&w);
    bool ok = (w.result.n_errors == 0) == (want == 1);
    if (!ok)
        print_message("corpus test %s: shouldValidate %d, %u errors\n", id, want,
                      w.result.n_errors);
    world_free(&w);
    free(json);
    free(schema);
    free(policies);
    return ok;
}

static void test_corpus(void **state)
{
    (void)state;
    const char *dir = getenv("PC_CONFORMANCE_DIR");
    dir = dir ? dir : DEFAULT_CONFORMANCE_DIR;
    char path[MAX_PATH_LEN];
    snprintf(path, sizeof path, "%s/corpus-tests.list", dir);
    FILE *list = fopen(path, "r");
    if (!list) {
        print_message("no conformance data at %s\n", dir);
        fail();   /* the conformance data is a required input, never skipped */
    }
    char id[128];
    unsigned n = 0, bad = 0;
    while (fgets(id, sizeof id, list)) {
        id[strcspn(id, "\r\n")] = '\0';
        if (id[0]) {
            n++;
            bad += !corpus_case(dir, id);
        }
    }
    fclose(list);
    assert_true(n >= MIN_CORPUS_TESTS);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),       cmocka_unit_test(test_templates),
        cmocka_unit_test(test_links),       cmocka_unit_test(test_open_records),
        cmocka_unit_test(test_format),      cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
