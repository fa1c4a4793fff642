/*
** tests/unit/test_lang_json.c — the JSON policy format (EST): every
** expression and scope form against the same policy written in Cedar text,
** policy sets with templates and links, errors with their JSON paths, the
** printer's exact output, truncated input, and a round trip over every
** policy file of the conformance corpus (text -> AST -> JSON -> AST -> text
** must equal text -> AST -> text).
**
** Trees are compared through the Cedar printer, whose fully parenthesised
** output shows a tree's shape exactly. To keep the JSON in this file
** readable, test documents are written with ' for " (jq() swaps them back);
** none of them needs a real single quote.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cedar_files.h"
#include "lang/ast.h"

/* Where the conformance data lives relative to the repo root (tests run there). */

/* ---- fixtures ------------------------------------------------------- */

typedef struct ctx {
    pc_arena a;
    pc_intern *in;
    pc_policy_list list;
    pc_policy_links links;
    uint32_t next_id;
    pc_diag d;
    char *json;       /* the last document, after jq() */
    pc_buf got, want; /* printed trees */
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    pc_arena_init(&c->a, 1 << 16, 0);
    c->in = pc_intern_new();
    pc_diag_init(&c->d);
    pc_buf_init(&c->got);
    pc_buf_init(&c->want);
    *state = c;
    return c->in ? 0 : -1;
}

static int teardown(void **state)
{
    ctx *c = *state;
    pc_policy_list_free(&c->list);
    pc_intern_free(c->in);
    pc_arena_free(&c->a);
    pc_diag_clear(&c->d);
    pc_buf_free(&c->got);
    pc_buf_free(&c->want);
    free(c->json);
    free(c);
    return 0;
}

/* The document with every ' turned into " (kept in c->json). */
static const char *jq(ctx *c, const char *text)
{
    free(c->json);
    c->json = strdup(text);
    assert_non_null(c->json);
    for (char *s = c->json; *s; s++)
        if (*s == '\'')
            *s = '"';
    return c->json;
}

static pc_status parse_json(ctx *c, const char *text)
{
    const char *doc = jq(c, text);
    pc_diag_clear(&c->d);
    memset(&c->links, 0, sizeof c->links);
    return pc_parse_policies_json(&c->a, c->in, doc, strlen(doc), "p.json", &c->next_id, &c->list,
                                  &c->links, &c->d);
}

/* Parse a document that must convert; returns the first new policy. */
static const pc_policy *json_ok(ctx *c, const char *text)
{
    uint32_t before = c->list.n;
    if (parse_json(c, text) != PC_OK)
        fail_msg("unexpected error for %s: %s", c->json, c->d.msg);
    assert_true(c->list.n > before);
    return c->list.items[before];
}

static const pc_policy *text_ok(ctx *c, const char *text)
{
    uint32_t before = c->list.n;
    pc_diag_clear(&c->d);
    if (pc_parse_policies(&c->a, c->in, text, strlen(text), "t.cedar", &c->next_id, &c->list,
                          &c->d) != PC_OK)
        fail_msg("unexpected text error for `%s`: %s", text, c->d.msg);
    assert_int_equal(c->list.n, before + 1);
    return c->list.items[before];
}

/* The document must fail with exactly this status and message; nothing is appended. */
static void json_error(ctx *c, const char *text, pc_status st, const char *msg)
{
    uint32_t before = c->list.n, id = c->next_id;
    pc_status got = parse_json(c, text);
    if (got != st || !c->d.msg || strcmp(c->d.msg, msg) != 0)
        fail_msg("for %s\nexpected status %d and\n  %s\ngot status %d and\n  %s", c->json, st, msg,
                 got, c->d.msg ? c->d.msg : "(no message)");
    assert_int_equal(c->list.n, before);
    assert_int_equal(c->next_id, id);
}

static const char *print_policy(pc_buf *b, const pc_policy *p)
{
    pc_buf_clear(b);
    assert_true(pc_policy_print(b, p));
    return b->data;
}

/* ---- expressions ---------------------------------------------------- */

/* A single-policy document whose one condition is `when { body }`. */
static const pc_policy *json_body(ctx *c, const char *body)
{
    pc_buf doc;
    pc_buf_init(&doc);
    pc_buf_printf(&doc,
                  "{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
                  "'resource':{'op':'All'},'conditions':[{'kind':'when','body':%s}]}",
                  body);
    assert_false(doc.oom);
    const pc_policy *p = json_ok(c, doc.data);
    pc_buf_free(&doc);
    return p;
}

/* The JSON body and the Cedar condition must make the same tree. */
static void same_expr(ctx *c, const char *body, const char *cedar)
{
    const pc_policy *pj = json_body(c, body);
    char text[4096];
    snprintf(text, sizeof text, "permit(principal, action, resource) when { %s };", cedar);
    const pc_policy *pt = text_ok(c, text);
    print_policy(&c->got, pj);
    print_policy(&c->want, pt);
    if (strcmp(c->got.data, c->want.data) != 0)
        fail_msg("%s\nmade\n%s\nbut `%s` makes\n%s", c->json, c->got.data, cedar, c->want.data);
}

static void expression_forms(void **state)
{
    ctx *c = *state;
    same_expr(c, "{'Value':true}", "true");
    same_expr(c, "{'Value':-9223372036854775808}", "-9223372036854775808");
    same_expr(c, "{'Value':'a\\u0000b'}", "\"a\\0b\"");
    same_expr(c, "{'Value':{'__entity':{'type':'A::B','id':'x'}}}", "A::B::\"x\"");
    same_expr(c, "{'Var':'context'}", "context");
    same_expr(c, "{'!':{'arg':{'Var':'principal'}}}", "!principal");
    same_expr(c, "{'neg':{'arg':{'Value':5}}}", "-(5)");
    static const char *const binary[] = {"==", "!=", "in", "<", "<=", ">", ">=",
                                         "&&", "||", "+",  "-", "*"};
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
        char body[256], cedar[64];
        snprintf(body, sizeof body, "{'%s':{'left':{'Value':1},'right':{'Var':'action'}}}",
                 binary[i]);
        snprintf(cedar, sizeof cedar, "1 %s action", binary[i]);
        same_expr(c, body, cedar);
    }
    static const char *const methods[] = {"contains", "containsAll", "containsAny", "getTag",
                                          "hasTag"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        char body[256], cedar[64];
        snprintf(body, sizeof body, "{'%s':{'left':{'Var':'principal'},'right':{'Value':'t'}}}",
                 methods[i]);
        snprintf(cedar, sizeof cedar, "principal.%s(\"t\")", methods[i]);
        same_expr(c, body, cedar);
    }
    same_expr(c, "{'isEmpty':{'arg':{'Set':[]}}}", "[].isEmpty()");
    same_expr(c, "{'.':{'left':{'Var':'resource'},'attr':'if'}}", "resource[\"if\"]");
    same_expr(c, "{'has':{'left':{'Var':'resource'},'attr':'a b'}}", "resource has \"a b\"");
    same_expr(c, "{'is':{'left':{'Var':'principal'},'entity_type':'N::User'}}",
              "principal is N::User");
    same_expr(c,
              "{'is':{'left':{'Var':'principal'},'entity_type':'User',"
              "'in':{'Value':{'__entity':{'type':'G','id':'g'}}}}}",
              "principal is User in G::\"g\"");
    same_expr(c,
              "{'if-then-else':{'if':{'Value':true},'then':{'Value':1},'else':{'Value':2}}}",
              "if true then 1 else 2");
    same_expr(c, "{'Set':[{'Value':1},{'Var':'context'}]}", "[1, context]");
    same_expr(c, "{'Record':{'b':{'Value':1},'a':{'Set':[]}}}", "{b: 1, a: []}");
    same_expr(c, "{'decimal':[{'Value':'1.5'}]}", "decimal(\"1.5\")");
    same_expr(c, "{'lessThan':[{'decimal':[{'Value':'1.5'}]},{'decimal':[{'Value':'2'}]}]}",
              "decimal(\"1.5\").lessThan(decimal(\"2\"))");
    same_expr(c, "{'isInRange':[{'ip':[{'Value':'10.0.0.1'}]},{'ip':[{'Value':'10.0.0.0/8'}]}]}",
              "ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"))");
    /* extension arity is an evaluation error, as in the text format */
    same_expr(c, "{'decimal':[]}", "decimal()");
}

static void like_patterns(void **state)
{
    ctx *c = *state;
    same_expr(c, "{'like':{'left':{'Var':'context'},'pattern':[]}}", "context like \"\"");
    same_expr(c, "{'like':{'left':{'Var':'context'},'pattern':['Wildcard']}}",
              "context like \"*\"");
    /* literal stars stay literal, wildcards collapse across empty literals */
    same_expr(c,
              "{'like':{'left':{'Var':'context'},'pattern':[{'Literal':'a'},'Wildcard',"
              "{'Literal':''},'Wildcard',{'Literal':'b*'},{'Literal':'c'}]}}",
              "context like \"a*b\\*c\"");
    same_expr(c,
              "{'like':{'left':{'Var':'context'},'pattern':['Wildcard',{'Literal':'x'},"
              "'Wildcard']}}",
              "context like \"*x*\"");
}

/* {"Value": v} takes the entity-data format and builds expressions. */
static void value_forms(void **state)
{
    ctx *c = *state;
    same_expr(c, "{'Value':[1,[true],'s']}", "[1, [true], \"s\"]");
    same_expr(c, "{'Value':{'k':{'__entity':{'type':'T','id':'i'}},'n':{'m':1}}}",
              "{k: T::\"i\", n: {m: 1}}");
    same_expr(c, "{'Value':{'__extn':{'fn':'decimal','arg':'1.2345'}}}", "decimal(\"1.2345\")");
    same_expr(c, "{'Value':{'__extn':{'fn':'offset','args':[{'__extn':{'fn':'datetime',"
                 "'arg':'2024-01-01'}},{'__extn':{'fn':'duration','arg':'1h'}}]}}}",
              "datetime(\"2024-01-01\").offset(duration(\"1h\"))");
    /* an "__entity" member that is not {type, id} makes an ordinary record */
    same_expr(c, "{'Value':{'__entity':{'type':'T'}}}", "{\"__entity\": {type: \"T\"}}");
    json_error(c,
               "{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
               "'resource':{'op':'All'},'conditions':[{'kind':'when','body':{'Value':"
               "{'__expr':'1 + 1'}}}]}",
               PC_ERR_PARSE,
               "p.json: conditions[0].body.Value: the \"__expr\" escape is not supported "
               "(Cedar 3.0 removed it)");
}

/* ---- scopes, annotations, conditions -------------------------------- */

/* A single-policy document with these scope objects must equal the Cedar text. */
static void same_scope(ctx *c, const char *pr, const char *act, const char *res,
                       const char *cedar)
{
    char doc[2048];
    snprintf(doc, sizeof doc,
             "{'effect':'forbid','principal':%s,'action':%s,'resource':%s,'conditions':[]}", pr,
             act, res);
    const pc_policy *pj = json_ok(c, doc);
    const pc_policy *pt = text_ok(c, cedar);
    assert_string_equal(print_policy(&c->got, pj), print_policy(&c->want, pt));
    assert_int_equal(pj->is_template, pt->is_template);
    assert_int_equal(pj->has_principal_slot, pt->has_principal_slot);
    assert_int_equal(pj->has_resource_slot, pt->has_resource_slot);
}

static void scope_forms(void **state)
{
    ctx *c = *state;
    static const char *const all = "{'op':'All'}";
    same_scope(c, "{'op':'all'}", all, all, "forbid(principal, action, resource);");
    same_scope(c, "{'op':'==','entity':{'type':'U','id':'a'}}",
               "{'op':'==','entity':{'__entity':{'type':'Action','id':'v'}}}",
               "{'op':'in','entity':{'type':'F','id':'f'}}",
               "forbid(principal == U::\"a\", action == Action::\"v\", resource in F::\"f\");");
    same_scope(c, "{'op':'is','entity_type':'U'}",
               "{'op':'in','entity':{'type':'Action','id':'g'}}",
               "{'op':'is','entity_type':'N::F','in':{'entity':{'type':'F','id':'f'}}}",
               "forbid(principal is U, action in Action::\"g\", resource is N::F in F::\"f\");");
    same_scope(c, all,
               "{'op':'in','entities':[{'type':'Action','id':'a'},{'type':'N::Action','id':'b'}]}",
               all, "forbid(principal, action in [Action::\"a\", N::Action::\"b\"], resource);");
    same_scope(c, "{'op':'==','slot':'?principal'}", all,
               "{'op':'is','entity_type':'F','in':{'slot':'?resource'}}",
               "forbid(principal == ?principal, action, resource is F in ?resource);");
    same_scope(c, "{'op':'in','slot':'?principal'}", all, all,
               "forbid(principal in ?principal, action, resource);");
}

static void annotations_and_conditions(void **state)
{
    ctx *c = *state;
    const pc_policy *pj = json_ok(
        c, "{'annotations':{'id':'x\\n','if':null},'effect':'permit','principal':{'op':'All'},"
           "'action':{'op':'All'},'resource':{'op':'All'},'conditions':[{'kind':'when','body':"
           "{'Value':true}},{'kind':'unless','body':{'Value':false}}]}");
    const pc_policy *pt =
        text_ok(c, "@id(\"x\\n\") @if permit(principal, action, resource) when { true } unless "
                   "{ false };");
    assert_string_equal(print_policy(&c->got, pj), print_policy(&c->want, pt));
    assert_true(pj->annos[0].has_value);
    assert_false(pj->annos[1].has_value);
}

/* A single policy takes the text format's next id; messages quote its Cedar rendering. */
static void single_policy_ids(void **state)
{
    ctx *c = *state;
    static const char *const doc = "{'effect':'permit','principal':{'op':'All'},'action':"
                                   "{'op':'All'},'resource':{'op':'All'},'conditions':[]}";
    text_ok(c, "permit(principal, action, resource);");
    const pc_policy *p = json_ok(c, doc);
    assert_true(pc_str_eq_cstr(p->id, "policy1"));
    assert_int_equal(c->next_id, 2);
    assert_int_equal(c->links.n, 0);
    assert_string_equal(p->src_name, "p.json (as Cedar text)");
    assert_string_equal(p->src, "permit (\n    principal,\n    action,\n    resource\n);\n");
    assert_int_equal(p->end, strlen(p->src));
}

/* ---- policy sets ---------------------------------------------------- */

static const char set_doc[] =
    "{'staticPolicies':{'p 1':{'effect':'permit','principal':{'op':'All'},'action':"
    "{'op':'All'},'resource':{'op':'All'},'conditions':[]}},"
    "'templates':{'t':{'effect':'forbid','principal':{'op':'in','slot':'?principal'},"
    "'action':{'op':'All'},'resource':{'op':'==','slot':'?resource'},'conditions':[]},"
    "'plain':{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
    "'resource':{'op':'All'},'conditions':[]}},"
    "'templateLinks':[{'templateId':'t','newId':'l1','values':{'?principal':"
    "{'type':'U','id':'a'},'?resource':{'__entity':{'type':'R','id':'r'}}}},"
    "{'templateId':'plain','newId':'l2','values':{}}]}";

static void policy_set(void **state)
{
    ctx *c = *state;
    c->next_id = 7;
    json_ok(c, set_doc);
    assert_int_equal(c->next_id, 7);   /* a set's ids are its keys */
    assert_int_equal(c->list.n, 3);
    const pc_policy *s = c->list.items[0], *t = c->list.items[1], *plain = c->list.items[2];
    assert_true(pc_str_eq_cstr(s->id, "p 1") && !s->is_template);
    assert_true(pc_str_eq_cstr(t->id, "t") && t->is_template && t->has_principal_slot &&
                t->has_resource_slot);
    assert_true(plain->is_template && !plain->has_principal_slot);   /* slotless: a template */
    assert_string_equal(s->src_name, "p.json (staticPolicies[\"p 1\"], as Cedar text)");
    assert_int_equal(c->links.n, 2);
    const pc_policy_link *l = &c->links.items[0];
    assert_ptr_equal(l->template_of, t);
    assert_true(pc_str_eq_cstr(l->new_id, "l1"));
    assert_true(pc_str_eq_cstr(l->principal->type, "U") && pc_str_eq_cstr(l->principal->id, "a"));
    assert_true(pc_str_eq_cstr(l->resource->type, "R") && pc_str_eq_cstr(l->resource->id, "r"));
    assert_ptr_equal(c->links.items[1].template_of, plain);
    assert_null(c->links.items[1].principal);
    assert_null(c->links.items[1].resource);
}

/* Links need somewhere to go. */
static void links_need_an_output(void **state)
{
    ctx *c = *state;
    const char *doc = jq(c, set_doc);
    pc_status st = pc_parse_policies_json(&c->a, c->in, doc, strlen(doc), "p.json", &c->next_id,
                                          &c->list, NULL, &c->d);
    assert_int_equal(st, PC_ERR_PARSE);
    assert_string_equal(c->d.msg, "p.json: template links are not accepted here");
    assert_int_equal(c->list.n, 0);
}

/* ---- errors --------------------------------------------------------- */

typedef struct bad_case {
    const char *doc;
    pc_status st;
    const char *msg;
} bad_case;

#define POLICY_HEAD                                                                          \
    "{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'}," \
    "'conditions':[{'kind':'when','body':"
#define SET_HEAD "{'templates':{},'templateLinks':[],'staticPolicies':{'policy3':" POLICY_HEAD

static const bad_case bad_cases[] = {
    {"[]", PC_ERR_PARSE, "p.json: expected a policy or policy set object, found an array"},
    {"{}", PC_ERR_PARSE,
     "p.json: expected a policy (\"effect\", \"principal\", \"action\", \"resource\", "
     "\"conditions\") or a policy set (\"staticPolicies\", \"templates\", \"templateLinks\")"},
    {"{'effect':'permit','templates':{}}", PC_ERR_PARSE,
     "p.json: the object has both policy fields (\"effect\", \"principal\", ...) and policy set "
     "fields (\"staticPolicies\", \"templates\", \"templateLinks\")"},
    {SET_HEAD "{'&&':{'left':{'foo':1},'right':{'Value':true}}}}]}}}", PC_ERR_PARSE,
     "p.json: staticPolicies.policy3.conditions[0].body.&&.left: unknown expression kind \"foo\""},
    {POLICY_HEAD "{'Record':{'a\\u0000b':{'foo':1}}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Record[\"a\\u0000b\"]: unknown expression kind \"foo\""},
    {POLICY_HEAD "{'&&':{'left':{'Value':true}}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.&&: missing field \"right\""},
    {POLICY_HEAD "{'!':{'arg':{'Value':true},'x':1}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.!: unknown field \"x\" (expected \"arg\")"},
    {POLICY_HEAD "{}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body: an empty object is not an expression"},
    {POLICY_HEAD "{'Var':'principal','Value':1}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body: an expression object has exactly one key, found 2"},
    {POLICY_HEAD "{'Var':'user'}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Var: unknown variable \"user\" (the variables are principal, "
     "action, resource and context)"},
    {POLICY_HEAD "{'Slot':'?principal'}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Slot: template slots may only appear in the policy scope, not in "
     "when/unless conditions"},
    {POLICY_HEAD "{'Value':1.5}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Value: Cedar numbers are 64-bit integers; found a number with a "
     "fraction or exponent"},
    {POLICY_HEAD "{'Value':[null]}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Value[0]: null is not a Cedar value"},
    {POLICY_HEAD "{'Value':{'a b':{'__entity':{'type':'if','id':''}}}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Value[\"a b\"].__entity.type: \"if\" is not an entity type "
     "name (identifiers joined by \"::\", without spaces or reserved words)"},
    {POLICY_HEAD "{'Value':{'__extn':{'fn':'nope','arg':1}}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.Value.__extn.fn: unknown extension function \"nope\""},
    {POLICY_HEAD "{'contains':[{'Value':1}]}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.contains: expected an object of operands, found an array"},
    {POLICY_HEAD "{'is':{'left':{'Var':'principal'},'entity_type':'A :: B'}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.is.entity_type: \"A :: B\" is not an entity type name "
     "(identifiers joined by \"::\", without spaces or reserved words)"},
    {POLICY_HEAD "{'like':{'left':{'Var':'context'},'pattern':['*']}}}]}", PC_ERR_PARSE,
     "p.json: conditions[0].body.like.pattern[0]: expected \"Wildcard\" or {\"Literal\": "
     "\"text\"}, found a string"},
    {"{'effect':'allow','principal':{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'},"
     "'conditions':[]}",
     PC_ERR_PARSE, "p.json: effect: expected \"permit\" or \"forbid\", found \"allow\""},
    {"{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'}}",
     PC_ERR_PARSE, "p.json: missing field \"conditions\""},
    {"{'effect':'permit','principal':{'op':'All','entity':1},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE, "p.json: principal: unknown field \"entity\" (expected \"op\")"},
    {"{'effect':'permit','principal':{'op':'=='},'action':{'op':'All'},'resource':{'op':'All'},"
     "'conditions':[]}",
     PC_ERR_PARSE, "p.json: principal: missing field \"entity\" (or \"slot\" in a template)"},
    {"{'effect':'permit','principal':{'op':'like'},'action':{'op':'All'},'resource':{'op':'All'},"
     "'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: principal.op: unknown scope operator \"like\" (expected \"All\", \"==\", \"in\" or "
     "\"is\")"},
    {"{'effect':'permit','principal':{'op':'==','slot':'?resource'},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: principal.slot: the ?resource slot cannot constrain this variable (each slot "
     "constrains its own: expected ?principal)"},
    {"{'effect':'permit','principal':{'op':'==','entity':{'id':'a'}},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: principal.entity: expected an entity uid ({\"type\": \"T\", \"id\": \"i\"}, "
     "optionally inside {\"__entity\": ...}), found an object"},
    {"{'effect':'permit','principal':{'op':'All'},'action':{'op':'in','entities':"
     "[{'type':'Action','id':'a'},{'type':'User','id':'b'}]},'resource':{'op':'All'},"
     "'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: action: expected an action entity (type `Action` or `NS::Action`) in the action "
     "scope, found type `User`"},
    {"{'effect':'permit','principal':{'op':'All'},'action':{'op':'==','slot':'?action'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE, "p.json: action: the action scope cannot hold a template slot"},
    {"{'effect':'permit','principal':{'op':'All'},'action':{'op':'is','entity_type':'Action'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: action.op: unknown action scope operator \"is\" (expected \"All\", \"==\" or "
     "\"in\")"},
    {"{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'},"
     "'conditions':[{'kind':'if','body':{'Value':true}}]}",
     PC_ERR_PARSE, "p.json: conditions[0].kind: expected \"when\" or \"unless\", found \"if\""},
    {"{'annotations':{'a-b':'x'},'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: annotations.a-b: invalid annotation key \"a-b\" (annotation keys are identifiers)"},
    {"{'annotations':{'a':1},'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}",
     PC_ERR_PARSE,
     "p.json: annotations.a: expected a string or null (the annotation value), found an integer"},
    {"{'staticPolicies':{},'templates':{}}", PC_ERR_PARSE,
     "p.json: missing field \"templateLinks\""},
    {"{'staticPolicies':{},'templates':{},'templateLinks':[],'links':[]}", PC_ERR_PARSE,
     "p.json: unknown field \"links\" (expected \"staticPolicies\", \"templates\", "
     "\"templateLinks\")"},
    {"{'staticPolicies':{'s':{'effect':'permit','principal':{'op':'==','slot':'?principal'},"
     "'action':{'op':'All'},'resource':{'op':'All'},'conditions':[]}},'templates':{},"
     "'templateLinks':[]}",
     PC_ERR_PARSE,
     "p.json: staticPolicies.s: a static policy cannot have template slots (put templates under "
     "\"templates\")"},
    {"{'staticPolicies':{},'templates':{},'templateLinks':[{'templateId':'t','newId':'n',"
     "'values':{}}]}",
     PC_ERR_PARSE, "p.json: templateLinks[0].templateId: no template \"t\" in this policy set"},
    {"{'staticPolicies':{'x':{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}},'templates':{'t':{'effect':'permit','principal':"
     "{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'},'conditions':[]}},"
     "'templateLinks':[{'templateId':'t','newId':'x','values':{'?other':{'type':'U','id':'u'}}}]}",
     PC_ERR_PARSE,
     "p.json: templateLinks[0].values: unknown slot \"?other\" (expected \"?principal\" or "
     "\"?resource\")"},
    {"{'staticPolicies':{'x':{'effect':'permit','principal':{'op':'All'},'action':{'op':'All'},"
     "'resource':{'op':'All'},'conditions':[]}},'templates':{'t':{'effect':'permit','principal':"
     "{'op':'All'},'action':{'op':'All'},'resource':{'op':'All'},'conditions':[]}},"
     "'templateLinks':[{'templateId':'t','newId':'x','values':{}}]}",
     PC_ERR_PARSE,
     "p.json: policy id \"x\" is used twice (static policies, templates and template links share "
     "one set of ids)"},
    {"{'effect':'permit','effect':'forbid'}", PC_ERR_PARSE, NULL},   /* the JSON reader's */
};

static void errors_with_paths(void **state)
{
    ctx *c = *state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        if (b->msg) {
            json_error(c, b->doc, b->st, b->msg);
            continue;
        }
        assert_int_equal(parse_json(c, b->doc), b->st);
        assert_non_null(c->d.msg);
        assert_non_null(strstr(c->d.msg, "p.json:1:"));   /* the reader's name:line:col */
        assert_int_equal(c->list.n, 0);
    }
}

/* A later error leaves the list, the links and the numbering alone. */
static void all_or_nothing(void **state)
{
    ctx *c = *state;
    c->next_id = 3;
    json_error(c,
               "{'staticPolicies':{'a':{'effect':'permit','principal':{'op':'All'},'action':"
               "{'op':'All'},'resource':{'op':'All'},'conditions':[]},'b':{}},'templates':{},"
               "'templateLinks':[]}",
               PC_ERR_PARSE, "p.json: staticPolicies.b: missing field \"effect\"");
    assert_int_equal(c->list.n, 0);
    assert_int_equal(c->links.n, 0);
}

/* Nesting is bounded by the JSON reader (PC_MAX_JSON_DEPTH), never by the C stack. */
static void depth_limit(void **state)
{
    ctx *c = *state;
    pc_buf body;
    pc_buf_init(&body);
    for (int i = 0; i < PC_MAX_JSON_DEPTH; i++)
        pc_buf_puts(&body, "{'!':{'arg':");
    pc_buf_puts(&body, "{'Value':true}");
    for (int i = 0; i < PC_MAX_JSON_DEPTH; i++)
        pc_buf_puts(&body, "}}");
    pc_buf doc;
    pc_buf_init(&doc);
    pc_buf_printf(&doc, POLICY_HEAD "%s}]}", body.data);
    assert_false(doc.oom || body.oom);
    assert_int_equal(parse_json(c, doc.data), PC_ERR_LIMIT);
    assert_non_null(strstr(c->d.msg, "JSON nested deeper than"));
    pc_buf_free(&doc);
    pc_buf_free(&body);
    /* the deepest expression that fits converts, its height recorded */
    pc_buf_init(&body);
    int n = (PC_MAX_JSON_DEPTH - 8) / 2;
    for (int i = 0; i < n; i++)
        pc_buf_puts(&body, "{'!':{'arg':");
    pc_buf_puts(&body, "{'Value':true}");
    for (int i = 0; i < n; i++)
        pc_buf_puts(&body, "}}");
    const pc_policy *p = json_body(c, body.data);
    assert_int_equal(p->conds[0].expr->height, n + 1);
    pc_buf_free(&body);
}

/* ---- printing ------------------------------------------------------- */

static void printer_output(void **state)
{
    ctx *c = *state;
    const pc_policy *p =
        text_ok(c, "@id(\"x\") @flag forbid(principal is N::U in ?principal, action in "
                   "[Action::\"a\"], resource) when { -5 < -(context.n) && context like "
                   "\"a*\\*\" } unless { [1, {k: decimal(\"1.0\")}].contains(U::\"\\0\") };");
    pc_buf_clear(&c->got);
    assert_true(pc_policy_print_json(&c->got, p));
    assert_string_equal(
        c->got.data,
        "{\"effect\":\"forbid\",\"principal\":{\"op\":\"is\",\"entity_type\":\"N::U\",\"in\":"
        "{\"slot\":\"?principal\"}},\"action\":{\"op\":\"in\",\"entities\":[{\"type\":\"Action\","
        "\"id\":\"a\"}]},\"resource\":{\"op\":\"All\"},\"conditions\":[{\"kind\":\"when\","
        "\"body\":{\"&&\":{\"left\":{\"<\":{\"left\":{\"Value\":-5},\"right\":{\"neg\":{\"arg\":"
        "{\".\":{\"left\":{\"Var\":\"context\"},\"attr\":\"n\"}}}}}},\"right\":{\"like\":"
        "{\"left\":{\"Var\":\"context\"},\"pattern\":[{\"Literal\":\"a\"},\"Wildcard\","
        "{\"Literal\":\"*\"}]}}}}},{\"kind\":\"unless\",\"body\":{\"contains\":{\"left\":"
        "{\"Set\":[{\"Value\":1},{\"Record\":{\"k\":{\"decimal\":[{\"Value\":\"1.0\"}]}}}]},"
        "\"right\":{\"Value\":{\"__entity\":{\"type\":\"U\",\"id\":\"\\u0000\"}}}}}}],"
        "\"annotations\":{\"id\":\"x\",\"flag\":null}}");
    pc_buf_clear(&c->got);
    assert_true(pc_expr_print_json(&c->got, p->conds[0].expr->u.op.b));
    assert_string_equal(c->got.data, "{\"like\":{\"left\":{\"Var\":\"context\"},\"pattern\":"
                                     "[{\"Literal\":\"a\"},\"Wildcard\",{\"Literal\":\"*\"}]}}");
}

/* A policy set prints with its groups and links, and reads back to the same policies. */
static void set_round_trip(void **state)
{
    ctx *c = *state;
    json_ok(c, set_doc);
    pc_policy *linked = pc_arena_zalloc(&c->a, sizeof *linked);
    assert_non_null(linked);
    *linked = *c->list.items[1];   /* link t as the engine does */
    linked->is_template = false;
    linked->template_of = c->list.items[1];
    linked->id = PC_STR_LIT("l1");
    linked->principal.uid = c->links.items[0].principal;
    linked->resource.uid = c->links.items[0].resource;
    const pc_policy *all[] = {c->list.items[0], c->list.items[1], c->list.items[2], linked};
    pc_buf_clear(&c->want);
    assert_true(pc_policies_print_json(&c->want, all, 4));
    uint32_t n = c->list.n;
    pc_diag_clear(&c->d);
    assert_int_equal(pc_parse_policies_json(&c->a, c->in, c->want.data, c->want.len, "again",
                                            &c->next_id, &c->list, &c->links, &c->d),
                     PC_OK);
    assert_int_equal(c->list.n, n + 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_true(pc_str_eq(c->list.items[i]->id, c->list.items[n + i]->id));
        assert_string_equal(print_policy(&c->got, c->list.items[n + i]),
                            print_policy(&c->want, c->list.items[i]));
    }
    assert_int_equal(c->links.n, 1);
    assert_true(pc_str_eq_cstr(c->links.items[0].new_id, "l1"));
    assert_ptr_equal(c->links.items[0].template_of, c->list.items[n + 1]);
    assert_true(pc_uid_eq(c->links.items[0].resource, linked->resource.uid));
}

/* Every prefix of a valid document is an error with a message, never a crash. */
static void truncations_never_crash(void **state)
{
    ctx *c = *state;
    const char *doc = jq(c, set_doc);
    size_t len = strlen(doc);
    for (size_t n = 0; n < len; n++) {
        pc_diag_clear(&c->d);
        pc_status st = pc_parse_policies_json(&c->a, c->in, doc, n, "cut", &c->next_id, &c->list,
                                              &c->links, &c->d);
        assert_int_not_equal(st, PC_OK);
        assert_non_null(c->d.msg);
    }
    assert_int_equal(c->list.n, 0);
}

/* ---- round trip over the corpus ------------------------------------- */

typedef struct rt_stats {
    size_t files, policies, too_deep, failures;
} rt_stats;

/* Do the two policies print the same Cedar text (so: the same tree) and kind? */
static bool same_policy(const char *path, const pc_policy *orig, const pc_policy *back)
{
    pc_buf x, y;
    pc_buf_init(&x);
    pc_buf_init(&y);
    bool ok = back && pc_policy_print(&x, orig) && pc_policy_print(&y, back) &&
              strcmp(x.data, y.data) == 0 && back->is_template == orig->is_template;
    if (!ok)
        print_error("%s: %.*s differs after JSON\n%s---\n%s", path, (int)orig->id.len,
                    orig->id.ptr, x.data, y.data ? y.data : "(missing)\n");
    pc_buf_free(&x);
    pc_buf_free(&y);
    return ok;
}

/* The JSON reader's nesting bound, the one error a printed policy may meet. */
static bool too_deep(pc_status s, const pc_diag *d)
{
    return s == PC_ERR_LIMIT && d->msg && strstr(d->msg, "JSON nested deeper than");
}

/* Every policy of the list as a single-policy document must read back the same. */
static bool single_round_trips(const char *path, pc_arena *a, pc_intern *in,
                               const pc_policy_list *l, uint32_t n)
{
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) {
        pc_buf json;
        pc_buf_init(&json);
        pc_diag d;
        pc_diag_init(&d);
        pc_policy_list back = {0};
        uint32_t id = 0;
        pc_status s = pc_policy_print_json(&json, l->items[i])
                          ? pc_parse_policies_json(a, in, json.data, json.len, "single", &id,
                                                   &back, NULL, &d)
                          : PC_ERR_NOMEM;
        if (!too_deep(s, &d)) {   /* counted once, by the set's round trip */
            ok = s == PC_OK && back.n == 1 && same_policy(path, l->items[i], back.items[0]);
            if (s != PC_OK)
                print_error("%s: single policy JSON does not read back: %s\n%s\n", path, d.msg,
                            json.data);
        }
        pc_policy_list_free(&back);
        pc_diag_clear(&d);
        pc_buf_free(&json);
    }
    return ok;
}

/*
** Text -> AST -> JSON policy set -> AST -> text must equal text -> AST ->
** text for every policy, matched by id (a set lists static policies before
** templates). A policy nested deeper than JSON allows must fail with the
** reader's PC_ERR_LIMIT, which is counted, not hidden.
*/
static bool round_trip_policies(const char *path, pc_arena *a, pc_intern *in, pc_policy_list *l,
                                rt_stats *st)
{
    uint32_t n = l->n, id = n;
    pc_buf json;
    pc_buf_init(&json);
    pc_diag d;
    pc_diag_init(&d);
    pc_policy_links links = {0};
    pc_status s = pc_policies_print_json(&json, (const pc_policy *const *)l->items, n)
                      ? pc_parse_policies_json(a, in, json.data, json.len, "printed", &id, l,
                                               &links, &d)
                      : PC_ERR_NOMEM;
    bool ok = s == PC_OK && l->n == 2 * n;
    if (too_deep(s, &d)) {
        st->too_deep++;
        ok = true;
    } else if (!ok) {
        print_error("%s: printed JSON does not read back: %s\n%s\n", path, d.msg, json.data);
    }
    for (uint32_t i = 0; i < n && ok && s == PC_OK; i++) {
        const pc_policy *back = NULL;
        for (uint32_t k = n; k < l->n; k++)
            if (pc_str_eq(l->items[k]->id, l->items[i]->id))
                back = l->items[k];
        ok = same_policy(path, l->items[i], back);
    }
    pc_diag_clear(&d);
    pc_buf_free(&json);
    return ok && single_round_trips(path, a, in, l, n);
}

static void round_trip_file(const char *path, rt_stats *st)
{
    char *text = NULL;
    size_t len = 0;
    pc_diag d;
    pc_diag_init(&d);
    st->files++;
    pc_arena a;
    pc_arena_init(&a, 1 << 16, 0);
    pc_intern *in = pc_intern_new();
    pc_policy_list l = {0};
    uint32_t id = 0;
    if (pc_read_file(path, PC_MAX_POLICY_BYTES, &text, &len, &d) != PC_OK ||
        pc_parse_policies(&a, in, text, len, path, &id, &l, &d) != PC_OK) {
        print_error("%s\n", d.msg);
        st->failures++;
    } else {
        st->policies += l.n;
        if (!round_trip_policies(path, &a, in, &l, st))
            st->failures++;
    }
    pc_diag_clear(&d);
    pc_policy_list_free(&l);
    pc_intern_free(in);
    pc_arena_free(&a);
    free(text);
}

static void round_trip_visit(const char *path, void *arg) { round_trip_file(path, arg); }

static void round_trip_corpus(void **state)
{
    (void)state;
    rt_stats st = {0};
    if (!pc_test_each_cedar_file(round_trip_visit, &st))
        fail_msg("no conformance policies under %s (set PC_CONFORMANCE_DIR)", pc_test_conformance_dir());
    print_message("JSON round trip: %zu files, %zu policies, %zu too deep for JSON, "
                  "%zu failures\n",
                  st.files, st.policies, st.too_deep, st.failures);
    assert_true(st.files > 1000);
    assert_true(st.too_deep < st.files / 100);   /* the limit is an edge, not the rule */
    assert_int_equal(st.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(expression_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(like_patterns, setup, teardown),
        cmocka_unit_test_setup_teardown(value_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(scope_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(annotations_and_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(single_policy_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(policy_set, setup, teardown),
        cmocka_unit_test_setup_teardown(links_need_an_output, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_with_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(printer_output, setup, teardown),
        cmocka_unit_test_setup_teardown(set_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(truncations_never_crash, setup, teardown),
        cmocka_unit_test(round_trip_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
