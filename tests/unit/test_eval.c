/*
** tests/unit/test_eval.c — the evaluator and the authorizer.
**
** Expressions are written as Cedar text, wrapped in a policy's `when` clause,
** parsed by the real parser and evaluated against one small world: a few
** entities (with a two-level group hierarchy, attributes and tags), a request
** from User::"alice" to view Photo::"p1", and a context. Each table row gives
** the expected value (as Cedar text, parsed and evaluated the same way, then
** compared with ==) or a fragment of the expected error message. Authorization
** cases parse whole policy sets and check the decision, the reasons and the
** erroring policies as sets of ids.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval.h"

static const char ENTITIES[] =
    "["
    " {\"uid\": {\"type\": \"User\", \"id\": \"alice\"},"
    "  \"attrs\": {\"name\": \"Alice\", \"age\": 30, \"labels\": [\"a\", \"b\"]},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"g1\"}],"
    "  \"tags\": {\"team\": \"blue\", \"level\": 3}},"
    " {\"uid\": {\"type\": \"Group\", \"id\": \"g1\"}, \"attrs\": {},"
    "  \"parents\": [{\"type\": \"Group\", \"id\": \"g2\"}]},"
    " {\"uid\": {\"type\": \"Group\", \"id\": \"g2\"}, \"attrs\": {}, \"parents\": []},"
    " {\"uid\": {\"type\": \"Photo\", \"id\": \"p1\"}, \"attrs\": {\"owner\": "
    "   {\"__entity\": {\"type\": \"User\", \"id\": \"alice\"}}}, \"parents\": []},"
    " {\"uid\": {\"type\": \"Action\", \"id\": \"view\"}, \"attrs\": {},"
    "  \"parents\": [{\"type\": \"Action\", \"id\": \"read\"}]},"
    " {\"uid\": {\"type\": \"Action\", \"id\": \"read\"}, \"attrs\": {}, \"parents\": []}"
    "]";

static const char CONTEXT[] =
    "{\"n\": 5, \"flag\": true, \"min\": -9223372036854775808, \"s\": \"hi\"}";

typedef struct world {
    pc_arena arena;      /* policies, request uids, context */
    pc_arena req;        /* per-evaluation memory */
    pc_intern *in;
    pc_entities *ents;
    pc_policy_list list;
    uint32_t next_id;
    pc_eval_request request;
} world;

static void check_ok(pc_status st, pc_diag *d)
{
    if (st != PC_OK)
        fail_msg("unexpected failure: %s", d->msg ? d->msg : pc_status_name(st));
}

static const pc_uid *uid(world *w, const char *text)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_uid *u = NULL;
    check_ok(pc_parse_uid(&w->arena, w->in, text, strlen(text), &u, &d), &d);
    return u;
}

static pc_value context(world *w, const char *json)
{
    pc_diag d;
    pc_diag_init(&d);
    json_t *j = pc_json_parse(json, strlen(json), "context", &d);
    if (!j)
        fail_msg("context: %s", d.msg);
    pc_json_in jin = {&w->arena, w->in, NULL, "context"};
    pc_value v;
    check_ok(pc_value_from_json(&jin, j, NULL, "context", &v, &d), &d);
    json_decref(j);
    return v;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    pc_arena_init(&w->arena, 0, 0);
    pc_arena_init(&w->req, 0, 0);
    w->in = pc_intern_new();
    assert_non_null(w->in);
    pc_diag d;
    pc_diag_init(&d);
    check_ok(pc_entities_parse(w->in, NULL, ENTITIES, strlen(ENTITIES), "entities", &w->ents, &d),
             &d);
    w->request.principal = uid(w, "User::\"alice\"");
    w->request.action = uid(w, "Action::\"view\"");
    w->request.resource = uid(w, "Photo::\"p1\"");
    w->request.context = context(w, CONTEXT);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    pc_policy_list_free(&w->list);
    pc_entities_free(w->ents);
    pc_intern_free(w->in);
    pc_arena_free(&w->req);
    pc_arena_free(&w->arena);
    free(w);
    return 0;
}

/* Parse policy text; returns the index of its first policy in w->list. */
static uint32_t parse(world *w, const char *text)
{
    uint32_t first = w->list.n;
    pc_diag d;
    pc_diag_init(&d);
    check_ok(pc_parse_policies(&w->arena, w->in, text, strlen(text), "test", &w->next_id,
                               &w->list, &d),
             &d);
    return first;
}

static const pc_policy *parse_one(world *w, const char *text)
{
    uint32_t i = parse(w, text);   /* parsing may move the array: index it afterwards */
    return w->list.items[i];
}

static bool eval_text(world *w, const char *expr, pc_value *out, const char **err)
{
    char *src =
        pc_arena_printf(&w->arena, "permit(principal, action, resource) when { %s };", expr);
    const pc_policy *p = parse_one(w, src);
    assert_int_equal(p->n_conds, 1);
    pc_eval_env env = {&w->request, w->ents, &w->req, p, NULL};
    return pc_eval_expr(&env, p->conds[0].expr, out, err);
}

/* ---- expression tables ------------------------------------------------ */

typedef struct row {
    const char *expr;
    const char *value;   /* expected value as Cedar text, or NULL */
    const char *error;   /* fragment of the expected message, or NULL */
} row;

#define OK(e, v) {(e), (v), NULL}
#define ERR(e, m) {(e), NULL, (m)}

static void show(const char *what, const pc_value *v)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_value_print(&b, v);
    print_error("  %s: %s\n", what, b.data ? b.data : "?");
    pc_buf_free(&b);
}

static void check_row(world *w, const row *r)
{
    pc_value got, want;
    const char *err = NULL;
    bool ok = eval_text(w, r->expr, &got, &err);
    if (r->error) {
        if (ok) {
            show("value", &got);
            fail_msg("`%s`: expected an error containing \"%s\"", r->expr, r->error);
        }
        if (!strstr(err, r->error))
            fail_msg("`%s`: error \"%s\" lacks \"%s\"", r->expr, err, r->error);
        return;
    }
    if (!ok)
        fail_msg("`%s`: unexpected error: %s", r->expr, err);
    if (!eval_text(w, r->value, &want, &err))
        fail_msg("expected value `%s` does not evaluate: %s", r->value, err);
    if (!pc_value_eq(&got, &want)) {
        show("got", &got);
        show("want", &want);
        fail_msg("`%s`: wrong value", r->expr);
    }
}

static void run_table(void **state, const row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_row(*state, &rows[i]);
}

#define RUN(state, rows) run_table((state), (rows), sizeof(rows) / sizeof((rows)[0]))

static void logic(void **state)
{
    static const row rows[] = {
        OK("true && true", "true"),
        OK("true && false", "false"),
        OK("false || true", "true"),
        OK("false || false", "false"),
        OK("!true", "false"),
        OK("!!false", "false"),
        /* short-circuit: the right operand is never evaluated */
        OK("false && (1 + \"a\")", "false"),
        OK("true || (1 + \"a\")", "true"),
        OK("false && 7", "false"),
        OK("true || \"x\"", "true"),
        /* every operand that is evaluated must be a bool */
        ERR("1 && true", "type error: `&&` expects bool, got long"),
        ERR("true && 1", "type error: `&&` expects bool, got long"),
        ERR("false || \"x\"", "type error: `||` expects bool, got string"),
        ERR("[] || true", "`||` expects bool, got set"),
        ERR("!1", "type error: `!` expects bool, got long"),
        /* an error inside an operand wins */
        ERR("true && (1 + \"a\")", "`+` expects long, got string"),
        ERR("(1 + \"a\") || true", "`+` expects long, got string"),
        OK("if true then 1 else 2", "1"),
        OK("if false then 1 else 2", "2"),
        OK("if false then (1 + \"a\") else 3", "3"),
        OK("if true then 3 else (1 + \"a\")", "3"),
        ERR("if 1 then 1 else 2", "type error: `if` expects bool, got long"),
    };
    RUN(state, rows);
}

static void arithmetic(void **state)
{
    static const row rows[] = {
        OK("1 + 2", "3"),
        OK("1 - 2", "-1"),
        OK("3 * -4", "-12"),
        OK("-(1 + 1)", "-2"),
        OK("9223372036854775806 + 1", "9223372036854775807"),
        OK("-9223372036854775807 - 1", "-9223372036854775808"),
        OK("-4611686018427387904 * 2", "-9223372036854775808"),
        OK("0 * -9223372036854775808", "0"),
        ERR("9223372036854775807 + 1", "integer overflow in `+`: 9223372036854775807 + 1"),
        ERR("-9223372036854775808 - 1", "integer overflow in `-`: -9223372036854775808 - 1"),
        ERR("9223372036854775807 - -1", "integer overflow in `-`"),
        ERR("-9223372036854775808 + -1", "integer overflow in `+`"),
        ERR("4611686018427387904 * 2", "integer overflow in `*`: 4611686018427387904 * 2"),
        ERR("-9223372036854775808 * -1", "integer overflow in `*`"),
        ERR("-1 * -9223372036854775808", "integer overflow in `*`"),
        ERR("3037000500 * 3037000500", "integer overflow in `*`"),
        OK("3037000499 * 3037000499", "9223372030926249001"),
        ERR("-(-9223372036854775808)", "integer overflow in `-`: -(-9223372036854775808)"),
        ERR("-(context.min)", "integer overflow in `-`"),
        ERR("-\"a\"", "type error: `-` expects long, got string"),
        ERR("1 + \"a\"", "type error: `+` expects long, got string"),
        ERR("true - 1", "type error: `-` expects long, got bool"),
        ERR("[1] * 2", "type error: `*` expects long, got set"),
    };
    RUN(state, rows);
}

static void comparison(void **state)
{
    static const row rows[] = {
        OK("1 < 2", "true"),
        OK("2 < 2", "false"),
        OK("2 <= 2", "true"),
        OK("3 > 4", "false"),
        OK("3 >= 3", "true"),
        OK("-9223372036854775808 < 9223372036854775807", "true"),
        OK("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")", "true"),
        OK("datetime(\"2024-01-02\") <= datetime(\"2024-01-01\")", "false"),
        OK("duration(\"1h\") > duration(\"59m\")", "true"),
        OK("duration(\"1h\") >= duration(\"60m\")", "true"),
        ERR("1 < \"a\"", "type error: `<` expects long, got string"),
        ERR("\"a\" < \"b\"", "type error: `<` expects long, datetime or duration, got string"),
        ERR("datetime(\"2024-01-01\") < duration(\"1h\")",
            "type error: `<` expects datetime, got duration"),
        ERR("1 >= datetime(\"2024-01-01\")", "type error: `>=` expects long, got datetime"),
        ERR("decimal(\"1.0\") < decimal(\"2.0\")", "got decimal"),
        ERR("ip(\"10.0.0.1\") <= ip(\"10.0.0.2\")", "got ipaddr"),
        ERR("(1 + \"a\") < 2", "`+` expects long"),
        /* == and != never fail: values of different types are unequal */
        OK("1 == 1", "true"),
        OK("1 == \"1\"", "false"),
        OK("1 != \"1\"", "true"),
        OK("\"a\" != \"a\"", "false"),
        OK("User::\"a\" == User::\"a\"", "true"),
        OK("User::\"a\" == Group::\"a\"", "false"),
        OK("[1, 2] == [2, 1, 1]", "true"),
        OK("{a: 1, b: [true]} == {b: [true], a: 1}", "true"),
        OK("{a: 1} == {a: 1, b: 2}", "false"),
        OK("decimal(\"1.0\") == decimal(\"1.0000\")", "true"),
        OK("ip(\"10.0.0.1\") == ip(\"10.0.0.1\")", "true"),
        OK("datetime(\"2024-01-01\") == datetime(\"2024-01-01T00:00:00Z\")", "true"),
        OK("duration(\"1h\") != duration(\"60m\")", "false"),
        ERR("(1 + \"a\") == 1", "`+` expects long"),
    };
    RUN(state, rows);
}

static void membership(void **state)
{
    static const row rows[] = {
        OK("User::\"alice\" in Group::\"g1\"", "true"),
        OK("User::\"alice\" in Group::\"g2\"", "true"),   /* transitively */
        OK("Group::\"g2\" in Group::\"g1\"", "false"),
        OK("User::\"alice\" in User::\"alice\"", "true"),
        OK("User::\"alice\" in [Group::\"x\", Group::\"g1\"]", "true"),
        OK("User::\"alice\" in [Group::\"x\"]", "false"),
        OK("User::\"alice\" in []", "false"),
        /* an entity missing from the store: `in` is equality only */
        OK("User::\"ghost\" in User::\"ghost\"", "true"),
        OK("User::\"ghost\" in [User::\"ghost\"]", "true"),
        OK("User::\"ghost\" in Group::\"g1\"", "false"),
        OK("principal in Group::\"g2\"", "true"),
        OK("action in Action::\"read\"", "true"),
        ERR("1 in [1]", "type error: `in` expects entity, got long"),
        ERR("1 in [1]", "use `.contains()`"),
        ERR("\"a\" in Group::\"g1\"", "type error: `in` expects entity, got string"),
        ERR("User::\"alice\" in 1", "`in` expects entity or set of entities, got long"),
        ERR("User::\"alice\" in {a: Group::\"g1\"}", "got record"),
        /* every element is checked, even after a match */
        ERR("User::\"alice\" in [Group::\"g1\", 1]", "set of entities, but the set holds a long"),
        OK("User::\"alice\" is User", "true"),
        OK("User::\"alice\" is Group", "false"),
        OK("User::\"alice\" is User in Group::\"g2\"", "true"),
        OK("User::\"alice\" is User in [Group::\"x\"]", "false"),
        OK("User::\"alice\" is Group in (1 + \"a\")", "false"),
        ERR("User::\"alice\" is User in (1 + \"a\")", "`+` expects long"),
        ERR("User::\"alice\" is User in 3", "`in` expects entity or set of entities"),
        ERR("1 is User", "type error: `is` expects entity, got long"),
    };
    RUN(state, rows);
}

static void attributes(void **state)
{
    static const row rows[] = {
        OK("User::\"alice\".name", "\"Alice\""),
        OK("User::\"alice\"[\"age\"]", "30"),
        OK("resource.owner == principal", "true"),
        OK("resource.owner.labels.contains(\"b\")", "true"),
        OK("User::\"alice\" has name", "true"),
        OK("User::\"alice\" has nope", "false"),
        OK("User::\"alice\" has team", "false"),   /* tags are not attributes */
        OK("User::\"ghost\" has name", "false"),
        OK("{a: 1} has a", "true"),
        OK("{a: 1} has b", "false"),
        OK("{a: {b: 1}} has a.b", "true"),
        OK("{a: {b: 1}} has a.c", "false"),
        OK("context has n", "true"),
        OK("context.n", "5"),
        OK("context[\"s\"] like \"h*\"", "true"),
        OK("{a: 1, b: \"x\"}.b", "\"x\""),
        ERR("User::\"alice\".nope", "attribute `nope` not found on entity User::\"alice\""),
        ERR("User::\"ghost\".name", "entity User::\"ghost\" does not exist"),
        ERR("{a: 1}.b", "attribute `b` not found in record"),
        ERR("context.missing", "attribute `missing` not found in record"),
        ERR("\"s\".a", "type error: `.` expects entity or record, got string"),
        ERR("1 has a", "type error: `has` expects entity or record, got long"),
        ERR("{a: (1 + \"a\")}", "`+` expects long"),
    };
    RUN(state, rows);
}

static void patterns_sets_tags(void **state)
{
    static const row rows[] = {
        OK("\"abc\" like \"a*\"", "true"),
        OK("\"abc\" like \"*c\"", "true"),
        OK("\"abc\" like \"a*b*c\"", "true"),
        OK("\"abc\" like \"b*\"", "false"),
        OK("\"a*c\" like \"a\\*c\"", "true"),   /* an escaped star is literal */
        OK("\"abc\" like \"a\\*c\"", "false"),
        OK("\"\" like \"\"", "true"),
        OK("\"\" like \"*\"", "true"),
        ERR("1 like \"*\"", "type error: `like` expects string, got long"),
        OK("[1, 2].contains(2)", "true"),
        OK("[1, 2].contains(\"2\")", "false"),
        OK("[[1]].contains([1])", "true"),
        OK("[1].containsAll([1, 1])", "true"),
        OK("[1].containsAll([1, 2])", "false"),
        OK("[1].containsAll([])", "true"),
        OK("[1, 2].containsAny([3, 2])", "true"),
        OK("[1, 2].containsAny([3])", "false"),
        OK("[].containsAny([])", "false"),
        OK("[].isEmpty()", "true"),
        OK("[1].isEmpty()", "false"),
        OK("[1, 1 + 1] == [2, 1]", "true"),
        ERR("\"a\".contains(\"a\")", "type error: `contains` expects set, got string"),
        ERR("[1].containsAll(1)", "type error: `containsAll` expects set, got long"),
        ERR("(1).containsAny([1])", "type error: `containsAny` expects set, got long"),
        ERR("{a: 1}.isEmpty()", "type error: `isEmpty` expects set, got record"),
        ERR("[1, 1 + \"a\"]", "`+` expects long"),
        OK("User::\"alice\".hasTag(\"team\")", "true"),
        OK("User::\"alice\".hasTag(\"name\")", "false"),   /* attributes are not tags */
        OK("User::\"ghost\".hasTag(\"team\")", "false"),
        OK("User::\"alice\".getTag(\"team\")", "\"blue\""),
        OK("principal.getTag(\"level\") + 1", "4"),
        ERR("User::\"alice\".getTag(\"nope\")", "tag `nope` not found on entity User::\"alice\""),
        ERR("User::\"ghost\".getTag(\"team\")", "entity User::\"ghost\" does not exist"),
        ERR("User::\"alice\".getTag(1)", "type error: `getTag` expects string, got long"),
        ERR("\"x\".hasTag(\"t\")", "type error: `hasTag` expects entity, got string"),
    };
    RUN(state, rows);
}

static void extensions_and_variables(void **state)
{
    static const row rows[] = {
        OK("decimal(\"1.5\").lessThan(decimal(\"2.5\"))", "true"),
        OK("decimal(\"1.5\").greaterThanOrEqual(decimal(\"1.5\"))", "true"),
        OK("ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"))", "true"),
        OK("ip(\"::1\").isLoopback()", "true"),
        OK("datetime(\"2024-01-01\").offset(duration(\"1d\")) == datetime(\"2024-01-02\")", "true"),
        OK("duration(\"90m\").toHours()", "1"),
        ERR("decimal(\"x\")", "decimal"),
        ERR("ip(\"10.0.0.1\").isInRange(1)", "isInRange"),
        ERR("decimal((1 + \"a\"))", "`+` expects long"),
        ERR("decimal(\"1.0\", \"2.0\")", "decimal takes 1 argument"),   /* arity: at run time */
        OK("principal", "User::\"alice\""),
        OK("action", "Action::\"view\""),
        OK("resource", "Photo::\"p1\""),
        OK("context.flag && context.n == 5", "true"),
        OK("context", "{n: 5, flag: true, min: -9223372036854775808, s: \"hi\"}"),
    };
    RUN(state, rows);
}

/* ---- hand-built trees: depth guard and slots ------------------------- */

static pc_expr *node(world *w, pc_ekind kind)
{
    pc_expr *e = pc_arena_zalloc(&w->arena, sizeof *e);
    assert_non_null(e);
    e->kind = (uint8_t)kind;
    return e;
}

/* A chain of n `!` over `true`. */
static pc_expr *not_chain(world *w, unsigned n)
{
    pc_expr *e = node(w, PC_E_LIT);
    e->u.lit = pc_v_bool(true);
    for (unsigned i = 0; i < n; i++) {
        pc_expr *up = node(w, PC_E_NOT);
        up->u.op.a = e;
        e = up;
    }
    return e;
}

static void depth_guard(void **state)
{
    world *w = *state;
    pc_eval_env env = {&w->request, w->ents, &w->req, NULL, NULL};
    pc_value v;
    const char *err = NULL;
    assert_true(pc_eval_expr(&env, not_chain(w, PC_MAX_EXPR_DEPTH), &v, &err));
    assert_true(v.type == PC_V_BOOL && v.u.b == (PC_MAX_EXPR_DEPTH % 2 == 0));
    assert_false(pc_eval_expr(&env, not_chain(w, 100 * PC_MAX_EXPR_DEPTH), &v, &err));
    assert_non_null(strstr(err, "nested deeper than"));
}

static void slots(void **state)
{
    world *w = *state;
    const pc_policy *t = parse_one(w, "permit(principal == ?principal, action, resource);");
    assert_true(t->is_template);
    pc_expr *slot = node(w, PC_E_SLOT);
    slot->u.slot = PC_SLOT_PRINCIPAL;
    pc_eval_env env = {&w->request, w->ents, &w->req, t, NULL};
    pc_value v;
    const char *err = NULL;
    assert_false(pc_eval_expr(&env, slot, &v, &err));
    assert_non_null(strstr(err, "?principal is not linked"));

    pc_policy linked = *t;
    linked.principal.uid = uid(w, "User::\"bob\"");
    env.policy = &linked;
    assert_true(pc_eval_expr(&env, slot, &v, &err));
    assert_int_equal(v.type, PC_V_ENTITY);
    assert_true(pc_uid_eq(v.u.uid, linked.principal.uid));
}

/* ---- authorization ---------------------------------------------------- */

typedef struct decided {
    pc_status st;
    pc_answer ans;
} decided;

static decided decide_list(world *w, const pc_policy *const *ps, uint32_t n)
{
    decided d;
    pc_arena_reset(&w->req);
    d.st = pc_authorize_policies(ps, n, &w->request, w->ents, &w->req, &d.ans);
    return d;
}

/* Parse a policy set (ids policy0, policy1, ...) and decide the request against it. */
static decided decide(world *w, const char *text)
{
    w->next_id = 0;
    uint32_t first = parse(w, text);
    return decide_list(w, (const pc_policy *const *)w->list.items + first, w->list.n - first);
}

/* Is the set of ids exactly the space-separated list want? */
static void check_ids(const char *what, const pc_policy *const *ps, uint32_t n, const char *want)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", want);
    uint32_t expected = 0;
    for (char *id = strtok(copy, " "); id; id = strtok(NULL, " ")) {
        bool found = false;
        for (uint32_t i = 0; i < n && !found; i++)
            found = pc_str_eq_cstr(ps[i]->id, id);
        if (!found)
            fail_msg("%s: %s missing", what, id);
        expected++;
    }
    if (n != expected)
        fail_msg("%s: %u ids, expected %u (%s)", what, (unsigned)n, (unsigned)expected, want);
}

static void check_decision(const decided *d, bool allow, const char *reasons, const char *errors)
{
    assert_int_equal(d->st, PC_OK);
    assert_int_equal(d->ans.allow, allow);
    check_ids("reasons", d->ans.reasons, d->ans.n_reasons, reasons);
    const pc_policy *errs[16];
    assert_true(d->ans.n_errors <= 16);
    for (uint32_t i = 0; i < d->ans.n_errors; i++) {
        errs[i] = d->ans.errors[i].policy;
        assert_non_null(d->ans.errors[i].message);
    }
    check_ids("errors", errs, d->ans.n_errors, errors);
}

/* The message recorded for the policy with this id. */
static const char *error_of(const decided *d, const char *id)
{
    for (uint32_t i = 0; i < d->ans.n_errors; i++)
        if (pc_str_eq_cstr(d->ans.errors[i].policy->id, id))
            return d->ans.errors[i].message;
    fail_msg("no error recorded for %s", id);
    return NULL;
}

static void decisions(void **state)
{
    world *w = *state;
    decided d;
    /* no policies, or none satisfied: deny with no reasons */
    d = decide(w, "");
    check_decision(&d, false, "", "");
    d = decide(w, "permit(principal == User::\"bob\", action, resource);");
    check_decision(&d, false, "", "");
    /* every satisfied permit is a reason */
    d = decide(w, "permit(principal, action, resource);\n"
                  "permit(principal in Group::\"g2\", action in [Action::\"read\"], resource);\n"
                  "permit(principal, action, resource) when { false };");
    check_decision(&d, true, "policy0 policy1", "");
    /* forbid overrides permit; the reasons are the satisfied forbids */
    d = decide(w, "permit(principal, action, resource);\n"
                  "forbid(principal is User, action, resource);\n"
                  "forbid(principal, action == Action::\"view\", resource == Photo::\"p1\");\n"
                  "forbid(principal, action, resource) unless { true };");
    check_decision(&d, false, "policy1 policy2", "");
}

static void decisions_with_errors(void **state)
{
    world *w = *state;
    decided d;
    /* an erroring policy is listed and skipped, whatever its effect */
    d = decide(w, "permit(principal, action, resource) when { 1 + \"a\" == 2 };\n"
                  "permit(principal, action, resource) when { context.flag };\n"
                  "forbid(principal, action, resource) when { principal.nope };");
    check_decision(&d, true, "policy1", "policy0 policy2");
    assert_non_null(strstr(error_of(&d, "policy0"), "`+` expects long, got string"));
    assert_non_null(strstr(error_of(&d, "policy2"), "attribute `nope` not found"));
    /* only errors: deny */
    d = decide(w, "permit(principal, action, resource) when { User::\"ghost\".x };");
    check_decision(&d, false, "", "policy0");
    /* a later condition runs only when the scope and the earlier ones hold */
    d = decide(w, "permit(principal == User::\"bob\", action, resource) when { 1 + \"a\" };\n"
                  "permit(principal, action, resource) when { false } when { 1 + \"a\" };\n"
                  "permit(principal, action, resource) unless { true } when { 1 + \"a\" };\n"
                  "permit(principal, action, resource) when { true } unless { 1 + \"a\" };");
    check_decision(&d, false, "", "policy3");
    /* a condition must be a bool */
    d = decide(w, "permit(principal, action, resource) when { 1 };\n"
                  "forbid(principal, action, resource) unless { \"no\" };");
    check_decision(&d, false, "", "policy0 policy1");
    assert_non_null(strstr(error_of(&d, "policy0"), "`when` condition must be bool, got long"));
    assert_non_null(strstr(error_of(&d, "policy1"), "`unless` condition must be bool, got string"));
}

static void scopes(void **state)
{
    world *w = *state;
    decided d = decide(w,
        "permit(principal == User::\"alice\", action, resource);\n"                  /* 0 yes */
        "permit(principal in Group::\"g1\", action, resource);\n"                    /* 1 yes */
        "permit(principal is User in Group::\"g2\", action, resource);\n"            /* 2 yes */
        "permit(principal is Group, action, resource);\n"                            /* 3 no */
        "permit(principal, action in Action::\"read\", resource);\n"                 /* 4 yes */
        "permit(principal, action in [Action::\"edit\"], resource);\n"               /* 5 no */
        "permit(principal, action, resource in Photo::\"p1\");\n"                    /* 6 yes */
        "permit(principal, action, resource is Photo in Group::\"g1\");\n"           /* 7 no */
        "permit(principal is User in Group::\"nobody\", action, resource);\n"       /* 8 no */
        "permit(principal is Group in Group::\"g1\", action, resource);\n");        /* 9 no */
    check_decision(&d, true, "policy0 policy1 policy2 policy4 policy6", "");
}

/* A template is decided through links: copies whose slots hold uids. */
static const pc_policy *link_template(world *w, const pc_policy *t, const char *id,
                                      const char *principal, const char *resource)
{
    pc_policy *l = pc_arena_alloc(&w->arena, sizeof *l);
    assert_non_null(l);
    *l = *t;
    l->id = pc_str_from_cstr(id);
    l->is_template = false;
    l->template_of = t;
    l->principal.uid = uid(w, principal);
    l->resource.uid = uid(w, resource);
    return l;
}

static void templates(void **state)
{
    world *w = *state;
    w->next_id = 0;
    const pc_policy *t = parse_one(w, "permit(principal == ?principal, action, "
                                      "resource in ?resource) when { context.n > 1 };");
    assert_true(t->is_template);
    const pc_policy *ps[3] = {
        link_template(w, t, "for-alice", "User::\"alice\"", "Photo::\"p1\""),
        link_template(w, t, "for-bob", "User::\"bob\"", "Photo::\"p1\""),
        link_template(w, t, "other-photo", "User::\"alice\"", "Photo::\"p2\""),
    };
    decided d = decide_list(w, ps, 3);
    check_decision(&d, true, "for-alice", "");
    d = decide_list(w, ps + 1, 2);
    check_decision(&d, false, "", "");
}

static void arena_exhaustion_is_nomem(void **state)
{
    world *w = *state;
    const pc_policy *p =
        parse_one(w, "permit(principal, action, resource) when { [1, 2, 3].contains(context.n) "
                     "|| User::\"alice\".nope };");
    pc_arena small;
    pc_arena_init(&small, 64, 64);
    pc_answer ans;
    pc_status st = pc_authorize_policies(&p, 1, &w->request, w->ents, &small, &ans);
    assert_int_equal(st, PC_ERR_NOMEM);
    assert_false(ans.allow);
    assert_int_equal(ans.n_errors, 0);
    pc_arena_free(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(logic, setup, teardown),
        cmocka_unit_test_setup_teardown(arithmetic, setup, teardown),
        cmocka_unit_test_setup_teardown(comparison, setup, teardown),
        cmocka_unit_test_setup_teardown(membership, setup, teardown),
        cmocka_unit_test_setup_teardown(attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(patterns_sets_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(extensions_and_variables, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(slots, setup, teardown),
        cmocka_unit_test_setup_teardown(decisions, setup, teardown),
        cmocka_unit_test_setup_teardown(decisions_with_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(templates, setup, teardown),
        cmocka_unit_test_setup_teardown(arena_exhaustion_is_nomem, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
