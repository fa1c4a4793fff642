/*
** tests/unit/test_lang.c — the Cedar policy language: lexer, string and
** pattern escapes, pattern matching, every grammar form, desugaring, error
** messages, limits, and a print -> parse -> print round trip over every
** policy file of the conformance corpus.
**
** Expressions are checked through the printer, whose fully parenthesised
** output shows the tree's shape exactly (for example `-5` is the literal
** "(-5)" while `-(5)` is the negation "(-(5))").
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cedar_files.h"
#include "lang/ast.h"
#include "lang/lang_internal.h"
#include "lang/lexer.h"

/* Where the conformance data lives relative to the repo root (tests run there). */

/* ---- fixtures ------------------------------------------------------- */

typedef struct ctx {
    pc_arena a;
    pc_intern *in;
    pc_policy_list list;
    uint32_t next_id;
    pc_diag d;
    pc_buf out;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    pc_arena_init(&c->a, 1 << 16, 0);
    c->in = pc_intern_new();
    pc_diag_init(&c->d);
    pc_buf_init(&c->out);
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
    pc_buf_free(&c->out);
    free(c);
    return 0;
}

static pc_status parse(ctx *c, const char *text)
{
    pc_diag_clear(&c->d);
    return pc_parse_policies(&c->a, c->in, text, strlen(text), "t.cedar", &c->next_id, &c->list,
                             &c->d);
}

/* Parse text that must succeed; returns the first new policy. */
static const pc_policy *parse_ok(ctx *c, const char *text)
{
    uint32_t before = c->list.n;
    pc_status st = parse(c, text);
    if (st != PC_OK)
        fail_msg("unexpected parse error for `%s`: %s", text, c->d.msg);
    assert_true(c->list.n > before);
    return c->list.items[before];
}

/* Parse `when { expr }` and print the expression tree. */
static const char *expr_shape(ctx *c, const char *expr)
{
    char text[4096];
    int n = snprintf(text, sizeof text, "permit(principal, action, resource) when { %s };", expr);
    assert_true(n > 0 && (size_t)n < sizeof text);
    const pc_policy *p = parse_ok(c, text);
    assert_int_equal(p->n_conds, 1);
    pc_buf_clear(&c->out);
    assert_true(pc_expr_print(&c->out, p->conds[0].expr));
    return c->out.data;
}

/* Parse text that must fail with status st and a message containing want. */
static void parse_fails(ctx *c, const char *text, pc_status st, const char *want)
{
    uint32_t before = c->list.n, id = c->next_id;
    pc_status got = parse(c, text);
    if (got == PC_OK)
        fail_msg("`%s` parsed but should fail with \"%s\"", text, want);
    assert_int_equal(got, st);
    assert_non_null(c->d.msg);
    if (!strstr(c->d.msg, want))
        fail_msg("`%s`: message \"%s\" lacks \"%s\"", text, c->d.msg, want);
    assert_int_equal(c->list.n, before);   /* nothing appended on failure */
    assert_int_equal(c->next_id, id);
}

/* ---- lexer ---------------------------------------------------------- */

static void lexer_tokens(void **state)
{
    (void)state;
    const char *src = "@id(\"a\\\"b\") permit // note\n"
                      "( principal == A::B::\"x\", ?resource ) \xc2\xa0 <= >= != && || ! - * / % = :";
    static const uint8_t want[] = {
        PC_TOK_AT, PC_TOK_IDENT, PC_TOK_LPAREN, PC_TOK_STRING, PC_TOK_RPAREN, PC_TOK_IDENT,
        PC_TOK_LPAREN, PC_TOK_IDENT, PC_TOK_EQEQ, PC_TOK_IDENT, PC_TOK_COLONCOLON, PC_TOK_IDENT,
        PC_TOK_COLONCOLON, PC_TOK_STRING, PC_TOK_COMMA, PC_TOK_QUESTION, PC_TOK_IDENT,
        PC_TOK_RPAREN, PC_TOK_LE, PC_TOK_GE, PC_TOK_NE, PC_TOK_AND, PC_TOK_OR, PC_TOK_BANG,
        PC_TOK_MINUS, PC_TOK_STAR, PC_TOK_SLASH, PC_TOK_PERCENT, PC_TOK_EQ, PC_TOK_COLON,
        PC_TOK_EOF};
    pc_lexer lx;
    pc_lex_init(&lx, src, strlen(src), "lex");
    pc_diag d;
    pc_diag_init(&d);
    for (size_t i = 0; i < sizeof want; i++) {
        pc_token t;
        assert_int_equal(pc_lex_next(&lx, &t, &d), PC_OK);
        assert_int_equal(t.kind, want[i]);
        if (i == 3) {   /* string body keeps its escapes; offset is at the quote */
            pc_str s = pc_tok_text(&lx, &t);
            assert_int_equal(s.len, 4);
            assert_memory_equal(s.ptr, "a\\\"b", 4);
            assert_int_equal(t.offset + 1, t.start);
        }
        if (i == 5)
            assert_true(pc_tok_is(&lx, &t, "permit"));
    }
    pc_token t;
    assert_int_equal(pc_lex_next(&lx, &t, &d), PC_OK);   /* EOF repeats */
    assert_int_equal(t.kind, PC_TOK_EOF);
}

static void lexer_peek_does_not_consume(void **state)
{
    (void)state;
    const char *src = "a 12";
    pc_lexer lx;
    pc_lex_init(&lx, src, strlen(src), "lex");
    pc_token t, u;
    assert_int_equal(pc_lex_next(&lx, &t, NULL), PC_OK);
    assert_int_equal(pc_lex_peek(&lx, &u, NULL), PC_OK);
    assert_int_equal(u.kind, PC_TOK_INT);
    assert_int_equal(pc_lex_next(&lx, &t, NULL), PC_OK);
    assert_int_equal(t.kind, PC_TOK_INT);
    assert_int_equal(t.start, u.start);
}

static void lexer_errors(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        const char *msg;
    } cases[] = {
        {"x \"abc", "lex:1:3: unterminated string literal\n  x \"abc\n    ^"},
        {"a # b", "lex:1:3: unexpected character '#'\n  a # b\n    ^"},
        {"\"a\\\nb\"", "lex:1:3: backslash at the end of a line"},
        {"ok \xff", "lex:1:4: invalid UTF-8 in policy text"},
        {"// \xc3\n", "lex:1:4: invalid UTF-8 in comment"},
        {"\"\xe2\x82\"", "lex:1:2: invalid UTF-8 in string literal"},
        {"\xe2\x82\xac", "lex:1:1: unexpected character (byte 0xe2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_lexer lx;
        pc_lex_init(&lx, cases[i].src, strlen(cases[i].src), "lex");
        pc_diag d;
        pc_diag_init(&d);
        pc_token t;
        pc_status st = PC_OK;
        for (int guard = 0; st == PC_OK && guard < 10; guard++) {
            st = pc_lex_next(&lx, &t, &d);
            if (st == PC_OK && t.kind == PC_TOK_EOF)
                break;
        }
        assert_int_equal(st, PC_ERR_PARSE);
        if (strncmp(d.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("case %zu: got \"%s\"", i, d.msg);
        pc_diag_clear(&d);
    }
}

/* ---- string escapes ------------------------------------------------- */

static void unescape_valid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
        size_t out_len;
    } cases[] = {
        {"plain", "plain", 5},
        {"\\n\\r\\t\\\\\\0\\'\\\"", "\n\r\t\\\0'\"", 7},
        {"\\x41\\x7f", "A\x7f", 2},
        {"\\u{0}\\u{48}\\u{20AC}\\u{10FFFF}", "\0H\xe2\x82\xac\xf4\x8f\xbf\xbf", 9},
        {"\\u{1_0}\\u{00_0041}", "\x10" "A", 2},
        {"tab\there", "tab\there", 8},
        {"\xe2\x82\xac", "\xe2\x82\xac", 3},
    };
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_str out;
        const char *why = NULL;
        size_t bad = 0;
        if (!pc_unescape(&a, cases[i].in, strlen(cases[i].in), &out, &why, &bad))
            fail_msg("case %zu: %s at %zu", i, why, bad);
        assert_int_equal(out.len, cases[i].out_len);
        assert_memory_equal(out.ptr, cases[i].out, out.len);
    }
    pc_arena_free(&a);
}

static void unescape_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t bad;
        const char *why;
    } cases[] = {
        {"ab\\q", 2, "invalid escape sequence"},
        {"\\x80", 0, "above \\x7f"},
        {"\\x4", 0, "two hex digits"},
        {"\\xg1", 0, "invalid character in \\x"},
        {"a\\u{110000}", 1, "not a Unicode scalar value"},
        {"\\u{D800}", 0, "not a Unicode scalar value"},
        {"\\u{1234567}", 0, "more than 6 hex digits"},
        {"\\u{}", 0, "empty"},
        {"\\u{_1}", 0, "underscore"},
        {"\\u{12", 0, "unclosed"},
        {"\\u41", 0, "\\u{...}"},
        {"\\u{4g}", 0, "invalid character in \\u"},
        {"x\\*", 1, "only allowed in like patterns"},
        {"a\rb", 1, "bare carriage return"},
        {"end\\", 3, "backslash at the end"},
    };
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_str out;
        const char *why = NULL;
        size_t bad = 99;
        assert_false(pc_unescape(&a, cases[i].in, strlen(cases[i].in), &out, &why, &bad));
        assert_non_null(why);
        if (!strstr(why, cases[i].why) || bad != cases[i].bad)
            fail_msg("case %zu: \"%s\" at %zu", i, why, bad);
    }
    pc_arena_free(&a);
}

/* ---- patterns ------------------------------------------------------- */

static pc_pattern *pattern(pc_arena *a, const char *body)
{
    pc_pattern *p = NULL;
    const char *why = NULL;
    size_t bad;
    if (!pc_unescape_pattern(a, body, strlen(body), &p, &why, &bad))
        fail_msg("pattern `%s`: %s", body, why);
    return p;
}

static void pattern_normal_form(void **state)
{
    (void)state;
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    pc_pattern *p = pattern(&a, "a**b\\*c*");
    assert_int_equal(p->n, 2);
    assert_false(p->star_first);
    assert_true(p->star_last);
    assert_int_equal(p->parts[1].len, 3);
    assert_memory_equal(p->parts[1].ptr, "b*c", 3);
    p = pattern(&a, "*");
    assert_int_equal(p->n, 0);
    assert_true(p->star_first);
    p = pattern(&a, "");
    assert_int_equal(p->n, 0);
    assert_false(p->star_first);
    p = pattern(&a, "\\u{2a}x");   /* a star written as an escape is still a wildcard */
    assert_int_equal(p->n, 1);
    assert_true(p->star_first);
    pc_arena_free(&a);
}

static void pattern_matching(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *s;
        bool match;
    } cases[] = {
        {"", "", true},          {"", "a", false},         {"*", "", true},
        {"*", "anything", true}, {"abc", "abc", true},     {"abc", "abcd", false},
        {"a*", "abc", true},     {"a*", "ba", false},      {"*c", "abc", true},
        {"*c", "cb", false},     {"a*c", "ac", true},      {"a*c", "abxc", true},
        {"a*c", "abcx", false},  {"*b*", "abc", true},     {"*b*", "ac", false},
        {"a*b*a", "aba", true},  {"a*b*a", "ab", false},   {"aa*aa", "aaa", false},
        {"aa*aa", "aaaa", true}, {"\\*", "*", true},       {"\\*", "x", false},
        {"*\\**", "a*b", true},  {"a*\xc3\xa9", "ab\xc3\xa9", true},
        {"*ab*ab*", "abab", true}, {"*ab*ab*", "aba", false},
    };
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = pc_pattern_match(pattern(&a, cases[i].pat), pc_str_from_cstr(cases[i].s));
        if (got != cases[i].match)
            fail_msg("`%s` like \"%s\": got %d", cases[i].s, cases[i].pat, got);
    }
    pc_arena_free(&a);
}

/* A pattern that makes naive backtracking exponential must still be fast. */
static void pattern_no_blowup(void **state)
{
    (void)state;
    enum { N = 200000 };
    char *s = malloc(N + 1);
    assert_non_null(s);
    memset(s, 'a', N);
    s[N] = '\0';
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    pc_pattern *p = pattern(&a, "*a*a*a*a*a*a*a*a*a*a*a*a*b");
    clock_t t0 = clock();
    assert_false(pc_pattern_match(p, (pc_str){s, N}));
    assert_true(pc_pattern_match(pattern(&a, "*a*a*a*a*a*a*a*a*a*a*a*a*"), (pc_str){s, N}));
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 1.0);
    pc_arena_free(&a);
    free(s);
}

/* ---- grammar: scope ------------------------------------------------- */

static void scope_forms(void **state)
{
    ctx *c = *state;
    const pc_policy *p = parse_ok(c, "permit(principal, action, resource);");
    assert_false(p->forbid);
    assert_int_equal(p->principal.op, PC_SCOPE_ANY);
    assert_int_equal(p->action.op, PC_SCOPE_ANY);
    assert_int_equal(p->resource.op, PC_SCOPE_ANY);
    assert_string_equal(p->id.ptr, "policy0");

    p = parse_ok(c, "forbid(principal == User::\"a\", action == Action::\"view\","
                    " resource in NS::Folder::\"f\");");
    assert_true(p->forbid);
    assert_string_equal(p->id.ptr, "policy1");
    assert_int_equal(p->principal.op, PC_SCOPE_EQ);
    assert_string_equal(p->principal.uid->type.ptr, "User");
    assert_string_equal(p->principal.uid->id.ptr, "a");
    assert_int_equal(p->action.op, PC_SCOPE_EQ);
    assert_int_equal(p->resource.op, PC_SCOPE_IN);
    assert_string_equal(p->resource.uid->type.ptr, "NS::Folder");

    p = parse_ok(c, "permit(principal is User, action in [Action::\"a\", NS::Action::\"b\",],"
                    " resource is Doc in (Folder::\"x\"),);");
    assert_int_equal(p->principal.op, PC_SCOPE_IS);
    assert_string_equal(p->principal.is_type.ptr, "User");
    assert_int_equal(p->action.op, PC_SCOPE_IN_SET);
    assert_int_equal(p->action.n, 2);
    assert_string_equal(p->action.uids[1]->type.ptr, "NS::Action");
    assert_int_equal(p->resource.op, PC_SCOPE_IS_IN);
    assert_string_equal(p->resource.uid->id.ptr, "x");
    assert_false(p->is_template);

    p = parse_ok(c, "permit(principal is User in ?principal, action in Action::\"g\","
                    " resource == ?resource);");
    assert_true(p->is_template);
    assert_true(p->has_principal_slot && p->has_resource_slot);
    assert_int_equal(p->principal.op, PC_SCOPE_IS_IN);
    assert_true(p->principal.slot);
    assert_int_equal(p->action.op, PC_SCOPE_IN);
    assert_int_equal(p->resource.op, PC_SCOPE_EQ);
    assert_true(p->resource.slot);
    assert_null(p->resource.uid);

    p = parse_ok(c, "permit(principal, action in [], resource);");
    assert_int_equal(p->action.op, PC_SCOPE_IN_SET);
    assert_int_equal(p->action.n, 0);
}

static void annotations_and_conditions(void **state)
{
    ctx *c = *state;
    const pc_policy *p = parse_ok(c, "@id(\"x\\ty\") @if @advice(\"\")\n"
                                     "permit(principal, action, resource)\n"
                                     "when { true } unless { false } when { 1 == 1 };");
    assert_int_equal(p->n_annos, 3);
    assert_string_equal(p->annos[0].key.ptr, "id");
    assert_string_equal(p->annos[0].value.ptr, "x\ty");
    assert_true(p->annos[0].has_value);
    assert_string_equal(p->annos[1].key.ptr, "if");
    assert_false(p->annos[1].has_value);
    assert_int_equal(p->annos[1].value.len, 0);
    assert_true(p->annos[2].has_value);
    assert_int_equal(p->n_conds, 3);
    assert_false(p->conds[0].unless);
    assert_true(p->conds[1].unless);
    assert_int_equal(p->offset, 0);
    assert_int_equal(p->src[p->end - 1], ';');
    assert_string_equal(p->src_name, "t.cedar");
}

static void policies_numbered_across_calls(void **state)
{
    ctx *c = *state;
    parse_ok(c, "permit(principal, action, resource); forbid(principal, action, resource);");
    assert_int_equal(c->list.n, 2);
    assert_int_equal(c->next_id, 2);
    parse_ok(c, "// only a comment before\npermit(principal, action, resource);");
    assert_string_equal(c->list.items[2]->id.ptr, "policy2");
    assert_int_equal(parse(c, "  // nothing at all\n"), PC_OK);
    assert_int_equal(c->list.n, 3);
}

/* ---- grammar: expressions ------------------------------------------- */

typedef struct shape_case {
    const char *expr;
    const char *shape;
} shape_case;

static void check_shapes(ctx *c, const shape_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = expr_shape(c, cases[i].expr);
        if (strcmp(got, cases[i].shape) != 0)
            fail_msg("`%s`: got %s, want %s", cases[i].expr, got, cases[i].shape);
    }
}

static void expression_forms(void **state)
{
    static const shape_case forms[] = {
        {"true || false && true", "(true || (false && true))"},
        {"1 + 2 * 3 - 4", "((1 + (2 * 3)) - 4)"},
        {"1 < 2 && 3 <= 4 || 5 > 6 && 7 >= 8", "(((1 < 2) && (3 <= 4)) || ((5 > 6) && (7 >= 8)))"},
        {"principal in Group::\"g\"", "(principal in Group::\"g\")"},
        {"if context.a then 1 else if true then 2 else 3",
         "(if context[\"a\"] then 1 else if true then 2 else 3)"},
        {"!context.x", "(!(context[\"x\"]))"},
        {"!!!!true", "(!(!(!(!true))))"},
        {"[1, \"a\", [true],]", "[1, \"a\", [true]]"},
        {"{a: 1, \"b c\": 2, principal: 3,}", "{\"a\": 1, \"b c\": 2, \"principal\": 3}"},
        {"context[\"k\"].m[\"n\"]", "(((context[\"k\"])[\"m\"])[\"n\"])"},
        {"context.tags.contains(\"x\")", "((context[\"tags\"]).contains(\"x\"))"},
        {"[1].containsAll([1]) && [].isEmpty()", "(([1].containsAll([1])) && ([].isEmpty()))"},
        {"principal.getTag(\"t\") == 1 && resource.hasTag(\"t\")",
         "(((principal.getTag(\"t\")) == 1) && (resource.hasTag(\"t\")))"},
        {"ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\"))",
         "((ip(\"10.0.0.1\")).isInRange(ip(\"10.0.0.0/8\")))"},
        {"decimal(\"1.5\").lessThan(decimal(\"2.0\"))",
         "((decimal(\"1.5\")).lessThan(decimal(\"2.0\")))"},
        {"datetime(\"2024-01-01\").offset(duration(\"1h\"))",
         "((datetime(\"2024-01-01\")).offset(duration(\"1h\")))"},
        {"decimal(\"1.0\", \"2.0\")", "(decimal(\"1.0\", \"2.0\"))"},   /* arity: an eval error */
        {"principal is User", "(principal is User)"},
        {"principal is A::User in Group::\"g\"", "(principal is A::User in Group::\"g\")"},
        {"principal is principal", "(principal is principal)"},
        {"context.s like \"a*b\\*c\"", "((context[\"s\"]) like \"a*b\\*c\")"},
        {"context has \"a b\"", "(context has \"a b\")"},
        {"context has principal", "(context has \"principal\")"},
        {"\"abc\"[\"x\"]", "(\"abc\"[\"x\"])"},
        {"5.foo", "(5[\"foo\"])"},
        {"(((1)))", "1"},
        {"User::\"a\".name", "(User::\"a\"[\"name\"])"},
        {"principal::\"p\"", "principal::\"p\""},
    };
    ctx *c = *state;
    check_shapes(c, forms, sizeof forms / sizeof forms[0]);
}

static void has_path_desugaring(void **state)
{
    static const shape_case cases[] = {
        {"context has a.b",
         "((context has \"a\") && ((context[\"a\"]) has \"b\"))"},
        {"principal has a.b.c",
         "(((principal has \"a\") && ((principal[\"a\"]) has \"b\")) && "
         "(((principal[\"a\"])[\"b\"]) has \"c\"))"},
        {"context has principal.action",
         "((context has \"principal\") && ((context[\"principal\"]) has \"action\"))"},
    };
    ctx *c = *state;
    check_shapes(c, cases, sizeof cases / sizeof cases[0]);
    /* the has nodes share the receiver rather than copying it */
    const pc_policy *p = parse_ok(c, "permit(principal, action, resource) when { context has a.b };");
    const pc_expr *e = p->conds[0].expr;
    assert_int_equal(e->kind, PC_E_AND);
    assert_int_equal(e->u.op.a->kind, PC_E_HAS);
    assert_int_equal(e->u.op.b->kind, PC_E_HAS);
    assert_ptr_equal(e->u.op.a->u.attr.obj, e->u.op.b->u.attr.obj->u.attr.obj);
}

static void negative_literal_folding(void **state)
{
    static const shape_case cases[] = {
        {"-5", "(-5)"},
        {"--5", "(-(-5))"},
        {"-(5)", "(-(5))"},
        {"-9223372036854775808", "(-9223372036854775808)"},
        {"--9223372036854775808", "(-(-9223372036854775808))"},
        {"9223372036854775807", "9223372036854775807"},
        {"-5.foo", "(-(5[\"foo\"]))"},
        {"1 - -2", "(1 - (-2))"},
        {"-context.n", "(-(context[\"n\"]))"},
        {"----1", "(-(-(-(-1))))"},
    };
    ctx *c = *state;
    check_shapes(c, cases, sizeof cases / sizeof cases[0]);
    const pc_policy *p =
        parse_ok(c, "permit(principal, action, resource) when { -9223372036854775808 == 0 };");
    const pc_expr *lit = p->conds[0].expr->u.op.a;
    assert_int_equal(lit->kind, PC_E_LIT);
    assert_int_equal(lit->u.lit.type, PC_V_LONG);
    assert_true(lit->u.lit.u.l == INT64_MIN);
}

static void literal_values(void **state)
{
    ctx *c = *state;
    const pc_policy *p = parse_ok(c, "permit(principal, action, resource) when {"
                                     " [\"x\\u{41}\", NS::T::\"i\\\"d\", false] };");
    const pc_expr *set = p->conds[0].expr;
    assert_int_equal(set->kind, PC_E_SET);
    assert_int_equal(set->u.list.n, 3);
    const pc_value *s = &set->u.list.items[0]->u.lit;
    assert_int_equal(s->type, PC_V_STRING);
    assert_string_equal(s->u.s.ptr, "xA");
    const pc_value *ent = &set->u.list.items[1]->u.lit;
    assert_int_equal(ent->type, PC_V_ENTITY);
    assert_string_equal(ent->u.uid->type.ptr, "NS::T");
    assert_string_equal(ent->u.uid->id.ptr, "i\"d");
    /* types and ids are interned: equal text, equal pointer */
    pc_str t = pc_intern_find(c->in, "NS::T", 5);
    assert_ptr_equal(t.ptr, ent->u.uid->type.ptr);
    assert_int_equal(set->u.list.items[2]->u.lit.type, PC_V_BOOL);
    assert_int_equal(set->offset, strlen("permit(principal, action, resource) when { "));
}

static void parse_uid(void **state)
{
    ctx *c = *state;
    pc_uid *u = NULL;
    pc_diag d;
    pc_diag_init(&d);
    const char *ok = " A::B :: \"x\\ny\" ";
    assert_int_equal(pc_parse_uid(&c->a, c->in, ok, strlen(ok), &u, &d), PC_OK);
    assert_string_equal(u->type.ptr, "A::B");
    assert_string_equal(u->id.ptr, "x\ny");
    /* a name spread over lines and comments is joined; with no interner, in the arena */
    const char *spread = "A // first\n  ::\tB::\"z\"";
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pc_parse_uid(&c->a, k ? NULL : c->in, spread, strlen(spread), &u, &d),
                         PC_OK);
        assert_string_equal(u->type.ptr, "A::B");
        assert_string_equal(u->id.ptr, "z");
    }
    static const char *const bad[] = {"User", "User::\"a\" x", "if::\"a\"", "__cedar::\"a\"",
                                      "\"a\"", "A::\"\\q\"", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pc_parse_uid(&c->a, c->in, bad[i], strlen(bad[i]), &u, &d),
                         PC_ERR_PARSE);
        assert_non_null(strstr(d.msg, "entity uid:1:"));
        pc_diag_clear(&d);
    }
}

/* Normalized names: the text is exactly the components and their "::". */
static void normalized_names(void **state)
{
    (void)state;
    static const char *const yes[] = {"A", "A::B", "_x::y9::Z"};
    static const char *const no[] = {"A :: B", "A::B ", " A", "A:://c\nB", "A::", "::A",
                                     "if::A",  "A::__cedar", "A::\"b\"", "9A", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(pc_name_is_normalized(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(pc_name_is_normalized(no[i], strlen(no[i])));
}

/* ---- errors --------------------------------------------------------- */

static void error_messages_exact(void **state)
{
    ctx *c = *state;
    parse_fails(c, "permit(principal, action, resource)\nwhen { 1 < 2 < 3 };", PC_ERR_PARSE,
                "t.cedar:2:14: comparison operators do not chain: add parentheses\n"
                "  when { 1 < 2 < 3 };\n"
                "               ^");
    parse_fails(c, "permit(principal, action, resource) when { true }", PC_ERR_PARSE,
                "t.cedar:1:50: expected `when`, `unless` or ';', found end of input\n"
                "  permit(principal, action, resource) when { true }\n"
                "                                                   ^");
    parse_fails(c, "permit(principal, action, resource) when { foo(1) };", PC_ERR_PARSE,
                "t.cedar:1:44: unknown function `foo`\n");
    parse_fails(c, "permit(principal, action, resource) when { \"\\q\" };", PC_ERR_PARSE,
                "t.cedar:1:45: invalid escape sequence\n");
    parse_fails(c, "@a(\"1\")\n@b @a\npermit(principal, action, resource);", PC_ERR_PARSE,
                "t.cedar:2:4: duplicate annotation `@a`");
}

typedef struct bad_case {
    const char *text;
    const char *msg;
} bad_case;

static void bad_inputs(void **state)
{
    static const bad_case cases[] = {
        {"permit(principal, action, resource) when { \"abc };", "unterminated string"},
        {"permit(principal, action, resource) when { \"\\u{D800}\" };", "Unicode scalar"},
        {"permit(principal, action, resource) when { 1 < 2 < 3 };", "do not chain"},
        {"permit(principal, action, resource) when { 1 == 2 in 3 };", "do not chain"},
        {"permit(principal, action, resource) when { !!!!!true };", "at most 4"},
        {"permit(principal, action, resource) when { -----1 };", "at most 4"},
        {"permit(principal, action, resource) when { !-1 };", "expected an expression"},
        {"permit(principal, action, resource) when { foo(1) };", "unknown function `foo`"},
        {"permit(principal, action, resource) when { A::ip(\"1\") };", "unknown function `A::ip`"},
        {"permit(principal, action, resource) when { context.foo() };", "unknown method `foo`"},
        {"permit(principal, action, resource) when { contains([], 1) };", "is a method"},
        {"permit(principal, action, resource) when { context.ip() };", "is a function"},
        {"permit(principal, action, resource) when { [].contains(1, 2) };", "takes 1 argument"},
        {"permit(principal, action, resource) when { [].isEmpty(1) };", "takes 0 arguments"},
        {"permit(principal, action, resource) when { principal == ?principal };",
         "template slots may only appear in the policy scope"},
        {"permit(principal, action, resource)", "expected `when`, `unless` or ';'"},
        {"permit(principal, action, resource) when { true }", "expected `when`, `unless` or ';'"},
        {"permit(principal, action, resource); garbage", "expected `permit` or `forbid`"},
        {"permit(principal, action, resource); )", "expected `permit` or `forbid`"},
        {"permit(principal, action);", "missing `resource`"},
        {"permit();", "missing `principal`"},
        {"permit(principal, action, resource, context);", "exactly three elements"},
        {"permit(action, principal, resource);", "expected `principal`"},
        {"allow(principal, action, resource);", "expected `permit` or `forbid`"},
        {"permit(principal, action, resource) where { true };", "expected `when`, `unless`"},
        {"permit(principal, action, resource) when { };", "when clause is empty"},
        {"permit(principal: User, action, resource);", "use `is`"},
        {"permit(principal = User::\"a\", action, resource);", "use `==`"},
        {"permit(principal < User::\"a\", action, resource);", "only allows `==`, `in`"},
        {"permit(principal is User == User::\"a\", action, resource);", "cannot be combined"},
        {"permit(principal in Group::\"g\" is User, action, resource);", "must come before"},
        {"permit(principal == ?resource, action, resource);", "not allowed here"},
        {"permit(principal == ?foo, action, resource);", "invalid template slot `?foo`"},
        {"permit(principal == ? principal, action, resource);", "expected a template slot"},
        {"permit(principal in [User::\"a\"], action, resource);", "only `action in` takes"},
        {"permit(principal == User, action, resource);", "expected '::'"},
        {"permit(principal == \"a\", action, resource);", "expected an entity or a template"},
        {"permit(principal, action == ?principal, resource);", "not allowed here"},
        {"permit(principal, action is Action, resource);", "not allowed in the action scope"},
        {"permit(principal, action == User::\"a\", resource);", "found type `User`"},
        {"permit(principal, action in [Action::\"a\", Foo::\"b\"], resource);", "type `Foo`"},
        {"permit(principal, action in [[Action::\"a\"]], resource);", "found a list"},
        {"permit(principal, action, resource == User::{a: 1});", "not supported"},
        {"permit(principal, action, resource) when { x };", "invalid variable `x`"},
        {"permit(principal, action, resource) when { a::b };", "invalid variable `a::b`"},
        {"permit(principal, action, resource) when { principal(1) };", "variables cannot be called"},
        {"permit(principal, action, resource) when { (1)(2) };", "cannot be called"},
        {"permit(principal, action, resource) when { 1 + if true then 1 else 2 };",
         "must be parenthesized"},
        {"permit(principal, action, resource) when { context.if };", "reserved word"},
        {"permit(principal, action, resource) when { context has true };", "reserved word"},
        {"permit(principal, action, resource) when { context has a.in };", "reserved word"},
        {"permit(principal, action, resource) when { {then: 1} };", "reserved word"},
        {"permit(principal, action, resource) when { {a: 1, \"a\": 2} };", "duplicate key \"a\""},
        {"permit(principal, action, resource) when { {(\"a\"): 1} };", "expected a record key"},
        {"permit(principal, action, resource) when { context[1] };", "string literal inside [ ]"},
        {"permit(principal, action, resource) when { context like 1 };", "pattern string"},
        {"permit(principal, action, resource) when { context like \"\\u{}\" };", "empty"},
        {"permit(principal, action, resource) when { context has 1 };", "attribute name"},
        {"permit(principal, action, resource) when { context is \"T\" };", "expected an identifier"},
        {"permit(principal, action, resource) when { context is A::\"b\" };", "entity literal"},
        {"permit(principal, action, resource) when { context is if };", "reserved word"},
        {"permit(principal, action, resource) when { __cedar::T::\"a\" };", "`__cedar` is reserved"},
        {"permit(principal, action, resource) when { context.__cedar };", "`__cedar` is reserved"},
        {"permit(principal, action, resource) when { true::\"a\" };", "reserved word"},
        {"permit(principal, action, resource) when { 1 / 2 };", "no `/` operator"},
        {"permit(principal, action, resource) when { 1 % 2 };", "no `%` operator"},
        {"permit(principal, action, resource) when { 1 = 2 };", "use `==`"},
        {"permit(principal, action, resource) when { 9223372036854775808 };", "does not fit"},
        {"permit(principal, action, resource) when { -9223372036854775809 };", "does not fit"},
        {"permit(principal, action, resource) when { 99999999999999999999 };", "too large"},
        {"permit(principal, action, resource) when { [1,,2] };", "expected an expression"},
        {"permit(principal, action, resource) when { [1 2] };", "expected ',' or ']'"},
        {"permit(principal, action, resource) when { (1 };", "expected ')'"},
        {"permit(principal, action, resource) when { if true then 1 };", "expected `else`"},
        {"@a(1) permit(principal, action, resource);", "annotation value"},
        {"@(\"x\") permit(principal, action, resource);", "annotation name"},
        {"@a(\"x\")", "after the annotations"},
        {"permit(principal, action, resource) when { \"\r\" };", "bare carriage return"},
    };
    ctx *c = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fails(c, cases[i].text, PC_ERR_PARSE, cases[i].msg);
}

static void nothing_appended_on_late_error(void **state)
{
    ctx *c = *state;
    parse_fails(c, "permit(principal, action, resource);\nforbid(principal, action, resource) oops;",
                PC_ERR_PARSE, "t.cedar:2:37:");
    assert_int_equal(c->list.n, 0);
    assert_int_equal(c->next_id, 0);
}

/* ---- limits --------------------------------------------------------- */

/* "permit(...) when { " + prefix*n + core + suffix*n + " };" */
static char *nested(const char *prefix, const char *core, const char *suffix, int n)
{
    size_t len = strlen(prefix) * (size_t)n + strlen(core) + strlen(suffix) * (size_t)n + 128;
    char *s = malloc(len);
    assert_non_null(s);
    strcpy(s, "permit(principal, action, resource) when { ");
    for (int i = 0; i < n; i++)
        strcat(s, prefix);
    strcat(s, core);
    for (int i = 0; i < n; i++)
        strcat(s, suffix);
    strcat(s, " };");
    return s;
}

static void depth_limit(void **state)
{
    ctx *c = *state;
    char *ok = nested("[", "1", "]", PC_MAX_EXPR_DEPTH - 10);
    parse_ok(c, ok);
    free(ok);
    static const struct {
        const char *prefix, *core, *suffix;
    } deep[] = {
        {"(", "1", ")"},           /* parentheses: parser recursion */
        {"[", "1", "]"},           /* sets: tree height */
        {"", "1", " + 1"},         /* a long flat chain: tree height without recursion */
        {"", "context", ".a"},     /* member chains */
        {"if true then ", "1", " else 2"},
    };
    for (size_t i = 0; i < sizeof deep / sizeof deep[0]; i++) {
        char *text = nested(deep[i].prefix, deep[i].core, deep[i].suffix, 5000);
        parse_fails(c, text, PC_ERR_LIMIT, "nested too deeply (more than 200 levels)");
        free(text);
    }
    char *scope = malloc(20000);
    assert_non_null(scope);
    strcpy(scope, "permit(principal == ");
    for (int i = 0; i < 1000; i++)
        strcat(scope, "(");
    strcat(scope, "User::\"a\"");
    parse_fails(c, scope, PC_ERR_LIMIT, "nested too deeply");
    free(scope);
}

/* Every byte string must parse or fail cleanly; a cheap stand-in for the fuzzer. */
static void truncations_never_crash(void **state)
{
    ctx *c = *state;
    const char *text = "@id(\"x\") permit(principal is User in Group::\"g\", action in "
                       "[Action::\"a\"], resource == ?resource) when { context has a.b && "
                       "-context.n < 5 || ip(\"1.2.3.4\").isLoopback() } unless { \"x\" like "
                       "\"*\\*\" };";
    size_t len = strlen(text);
    for (size_t n = 0; n <= len; n++) {
        pc_diag_clear(&c->d);
        pc_status st = pc_parse_policies(&c->a, c->in, text, n, "cut", &c->next_id, &c->list,
                                         &c->d);
        assert_true(st == PC_OK || (st == PC_ERR_PARSE && c->d.msg != NULL));
    }
    assert_int_equal(c->list.n, 1);   /* only the complete text is a policy */
}

/* ---- round trip over the corpus ------------------------------------- */

typedef struct rt_stats {
    size_t files, policies, failures;
} rt_stats;

static char *print_policies(const pc_policy_list *l, uint32_t from)
{
    pc_buf b;
    pc_buf_init(&b);
    for (uint32_t i = from; i < l->n; i++)
        pc_policy_print(&b, l->items[i]);
    if (b.len == 0)
        pc_buf_puts(&b, "");
    return pc_buf_take(&b);
}

/* Parse a file, print it, parse the print and print again: both prints must agree. */
static void round_trip_file(const char *path, rt_stats *st)
{
    char *text = NULL;
    size_t len = 0;
    pc_diag d;
    pc_diag_init(&d);
    st->files++;
    if (pc_read_file(path, PC_MAX_POLICY_BYTES, &text, &len, &d) != PC_OK) {
        print_error("%s\n", d.msg);
        st->failures++;
        pc_diag_clear(&d);
        return;
    }
    pc_arena a;
    pc_arena_init(&a, 1 << 16, 0);
    pc_intern *in = pc_intern_new();
    pc_policy_list l = {0};
    uint32_t id = 0;
    char *first = NULL, *second = NULL;
    if (pc_parse_policies(&a, in, text, len, path, &id, &l, &d) != PC_OK) {
        print_error("%s\n", d.msg);
        st->failures++;
        goto done;
    }
    uint32_t n = l.n;
    st->policies += n;
    first = print_policies(&l, 0);
    if (pc_parse_policies(&a, in, first, strlen(first), "printed", &id, &l, &d) != PC_OK) {
        print_error("%s reprinted does not parse: %s\n%s\n", path, d.msg, first);
        st->failures++;
        goto done;
    }
    second = print_policies(&l, n);
    if (l.n != 2 * n || strcmp(first, second) != 0) {
        print_error("%s: print/parse/print differs\n%s\n---\n%s\n", path, first, second);
        st->failures++;
    }
done:
    free(first);
    free(second);
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
    print_message("round trip: %zu files, %zu policies, %zu failures\n", st.files, st.policies,
                  st.failures);
    assert_true(st.files > 1000);
    assert_int_equal(st.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lexer_tokens),
        cmocka_unit_test(lexer_peek_does_not_consume),
        cmocka_unit_test(lexer_errors),
        cmocka_unit_test(unescape_valid),
        cmocka_unit_test(unescape_invalid),
        cmocka_unit_test(pattern_normal_form),
        cmocka_unit_test(pattern_matching),
        cmocka_unit_test(pattern_no_blowup),
        cmocka_unit_test_setup_teardown(scope_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(annotations_and_conditions, setup, teardown),
        cmocka_unit_test_setup_teardown(policies_numbered_across_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(expression_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(has_path_desugaring, setup, teardown),
        cmocka_unit_test_setup_teardown(negative_literal_folding, setup, teardown),
        cmocka_unit_test_setup_teardown(literal_values, setup, teardown),
        cmocka_unit_test(normalized_names),
        cmocka_unit_test_setup_teardown(parse_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(error_messages_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_appended_on_late_error, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(truncations_never_crash, setup, teardown),
        cmocka_unit_test(round_trip_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
