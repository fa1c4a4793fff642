/*
** tests/unit/test_engine.c — the public API end to end: loading, deciding
** with Cedar and JSON uids, template links, and every failure being a deny
** with a message.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "engine/engine.h"
#include "portcullis.h"

static const char *schema =
    "namespace App {\n"
    "  entity Group;\n"
    "  entity User in [Group] = { level: Long, tags?: Set<String> };\n"
    "  entity Doc = { owner: User, public: Bool };\n"
    "  action read appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr } };\n"
    "}\n";

static const char *entities =
    "[{\"uid\": {\"type\": \"App::Group\", \"id\": \"admins\"}, \"attrs\": {}, \"parents\": []},"
    " {\"uid\": {\"type\": \"App::User\", \"id\": \"alice\"}, \"attrs\": {\"level\": 5},"
    "  \"parents\": [{\"type\": \"App::Group\", \"id\": \"admins\"}]},"
    " {\"uid\": {\"type\": \"App::User\", \"id\": \"bob\"}, \"attrs\": {\"level\": 1}, \"parents\": []},"
    " {\"uid\": {\"type\": \"App::Doc\", \"id\": \"d1\"},"
    "  \"attrs\": {\"owner\": {\"type\": \"App::User\", \"id\": \"bob\"}, \"public\": false}, \"parents\": []}]";

static const char *policies =
    "permit (principal in App::Group::\"admins\", action, resource);\n"
    "permit (principal, action == App::Action::\"read\", resource) when { resource.owner == principal };\n"
    "forbid (principal, action, resource) when { principal.level > 3 && context.ip.isLoopback() };\n"
    "permit (principal == ?principal, action, resource == ?resource);\n"
    "permit (principal, action, resource) when { principal.tags.contains(\"x\") };\n";

static pc_engine *load(void)
{
    pc_engine *e = pc_engine_new();
    pc_error err = {0};
    assert_non_null(e);
    assert_int_equal(pc_engine_load_policies(e, policies, strlen(policies), "p.cedar", &err), PC_OK);
    assert_int_equal(pc_engine_load_schema(e, schema, strlen(schema), PC_SCHEMA_CEDAR, "s", &err), PC_OK);
    assert_int_equal(pc_engine_load_entities(e, entities, strlen(entities), "e.json", &err), PC_OK);
    return e;
}

static pc_status ask(pc_engine *e, pc_decision *d, const char *p, const char *r, const char *ctx,
                     pc_error *err)
{
    pc_request req = {p, "App::Action::\"read\"", r, ctx, true};
    return pc_authorize(e, &req, d, err);
}

static void decides_with_reasons_and_errors(void **state)
{
    (void)state;
    pc_engine *e = load();
    pc_decision *d = pc_decision_new();
    pc_error err = {0};
    assert_int_equal(pc_engine_policy_count(e), 4);   /* the template does not decide */

    assert_int_equal(ask(e, d, "App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\"}", &err), PC_OK);
    assert_true(pc_decision_allowed(d));
    assert_int_equal(pc_decision_reason_count(d), 1);
    assert_string_equal(pc_decision_reason(d, 0), "policy0");
    /* policy4 reads an optional attribute alice lacks: an error, skipped */
    assert_int_equal(pc_decision_error_count(d), 1);
    assert_string_equal(pc_decision_error_policy(d, 0), "policy4");
    assert_non_null(strstr(pc_decision_error_message(d, 0), "tags"));

    /* forbid overrides: alice from loopback */
    assert_int_equal(ask(e, d, "App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": \"127.0.0.1\"}", &err), PC_OK);
    assert_false(pc_decision_allowed(d));
    assert_string_equal(pc_decision_reason(d, 0), "policy2");

    /* JSON uids work the same */
    assert_int_equal(ask(e, d, "{\"type\": \"App::User\", \"id\": \"bob\"}",
                         "{\"__entity\": {\"type\": \"App::Doc\", \"id\": \"d1\"}}", "{\"ip\": \"10.0.0.1\"}", &err),
                     PC_OK);
    assert_true(pc_decision_allowed(d));
    assert_string_equal(pc_decision_reason(d, 0), "policy1");
    pc_decision_free(d);
    pc_engine_free(e);
}

static void bad_requests_are_denies_with_messages(void **state)
{
    (void)state;
    pc_engine *e = load();
    pc_decision *d = pc_decision_new();
    pc_error err = {0};
    const char *cases[][3] = {
        {"App::User::alice", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\"}"},      /* not a uid */
        {"App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": 5}"},              /* wrong type */
        {"App::User::\"alice\"", "App::Doc::\"d1\"", "{}"},                       /* missing attr */
        {"App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\""},    /* bad JSON */
        {"App::Doc::\"d1\"", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\"}"},       /* principal type */
        {"App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\", \"x\": 1}"},  /* undeclared */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_status st = ask(e, d, cases[i][0], cases[i][1], cases[i][2], &err);
        assert_int_not_equal(st, PC_OK);
        assert_false(pc_decision_allowed(d));
        assert_non_null(err.message);
        assert_true(strlen(err.message) > 5);
        pc_error_clear(&err);
    }
    pc_decision_free(d);
    pc_engine_free(e);
}

static void load_errors_name_the_place(void **state)
{
    (void)state;
    pc_engine *e = pc_engine_new();
    pc_error err = {0};
    const char *bad = "permit(principal, action, resource)\nwhen { 1 < 2 < 3 };";
    assert_int_equal(pc_engine_load_policies(e, bad, strlen(bad), "bad.cedar", &err), PC_ERR_PARSE);
    assert_non_null(strstr(err.message, "bad.cedar:2:"));
    assert_non_null(strstr(err.message, "^"));
    pc_error_clear(&err);
    assert_int_equal(pc_engine_policy_count(e), 0);   /* nothing half-loaded */

    assert_int_equal(pc_engine_load_entities(e, "[{\"uid\": 1}]", 12, "e.json", &err), PC_ERR_ENTITY);
    assert_non_null(strstr(err.message, "e.json"));
    pc_error_clear(&err);
    assert_int_equal(pc_engine_load_entities(e, "[]", 2, "e.json", &err), PC_OK);
    /* the schema must come before entities */
    assert_int_equal(pc_engine_load_schema(e, schema, strlen(schema), PC_SCHEMA_CEDAR, "s", &err),
                     PC_ERR_STATE);
    pc_error_clear(&err);
    pc_engine_free(e);
}

static void templates_link(void **state)
{
    (void)state;
    pc_engine *e = load();
    pc_decision *d = pc_decision_new();
    pc_error err = {0};
    const char *ctx = "{\"ip\": \"10.0.0.1\"}";
    assert_int_equal(ask(e, d, "App::User::\"bob\"", "App::Doc::\"d2\"", ctx, &err), PC_OK);
    assert_false(pc_decision_allowed(d));
    assert_int_equal(pc_engine_link(e, "policy3", "bob-d2", "App::User::\"bob\"", "App::Doc::\"d2\"", &err),
                     PC_OK);
    assert_int_equal(ask(e, d, "App::User::\"bob\"", "App::Doc::\"d2\"", ctx, &err), PC_OK);
    assert_true(pc_decision_allowed(d));
    assert_string_equal(pc_decision_reason(d, 0), "bob-d2");
    /* wrong links are refused with a reason */
    assert_int_equal(pc_engine_link(e, "policy0", "x", NULL, NULL, &err), PC_ERR_INVALID);
    pc_error_clear(&err);
    assert_int_equal(pc_engine_link(e, "policy3", "bob-d2", "App::User::\"bob\"", "App::Doc::\"d2\"", &err),
                     PC_ERR_INVALID);
    pc_error_clear(&err);
    assert_int_equal(pc_engine_link(e, "policy3", "y", "App::User::\"bob\"", NULL, &err), PC_ERR_INVALID);
    pc_error_clear(&err);
    pc_decision_free(d);
    pc_engine_free(e);
}

static void validation_refuses_with_places(void **state)
{
    (void)state;
    pc_engine *e = load();
    pc_error err = {0};
    /* policy4 reads an optional attribute without `has`: strict validation refuses it */
    assert_int_equal(pc_engine_validate(e, &err), PC_ERR_VALIDATE);
    assert_non_null(strstr(err.message, "p.cedar:5:"));
    assert_non_null(strstr(err.message, "tags"));
    pc_error_clear(&err);
    pc_engine_free(e);

    e = pc_engine_new();
    const char *ok = "permit (principal, action == App::Action::\"read\", resource) when { principal.level > 1 };";
    assert_int_equal(pc_engine_validate(e, &err), PC_ERR_STATE);   /* no schema */
    pc_error_clear(&err);
    assert_int_equal(pc_engine_load_schema(e, schema, strlen(schema), PC_SCHEMA_CEDAR, "s", &err), PC_OK);
    assert_int_equal(pc_engine_load_policies(e, ok, strlen(ok), "ok.cedar", &err), PC_OK);
    assert_int_equal(pc_engine_validate(e, &err), PC_OK);
    assert_null(err.message);
    pc_engine_free(e);
}

/* A request that fails after an allow must not leave that allow readable. */
static void failure_never_leaves_a_stale_allow(void **state)
{
    (void)state;
    pc_engine *e = load();
    pc_decision *d = pc_decision_new();
    pc_error err = {0};
    assert_int_equal(ask(e, d, "App::User::\"alice\"", "App::Doc::\"d1\"", "{\"ip\": \"10.0.0.1\"}", &err), PC_OK);
    assert_true(pc_decision_allowed(d));
    pc_diag diag;
    pc_diag_init(&diag);
    json_t *action = json_string("App::Action::\"read\"");
    assert_int_not_equal(pc_authorize_json(e, NULL, action, action, NULL, true, d, &diag), PC_OK);
    assert_false(pc_decision_allowed(d));
    assert_int_equal(pc_decision_reason_count(d), 0);
    assert_non_null(strstr(diag.msg, "principal"));
    json_decref(action);
    pc_diag_clear(&diag);
    pc_decision_free(d);
    pc_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decides_with_reasons_and_errors),
        cmocka_unit_test(bad_requests_are_denies_with_messages),
        cmocka_unit_test(load_errors_name_the_place),
        cmocka_unit_test(templates_link),
        cmocka_unit_test(validation_refuses_with_places),
        cmocka_unit_test(failure_never_leaves_a_stale_allow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
