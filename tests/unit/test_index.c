/*
** tests/unit/test_index.c — the scope index must never change an answer.
**
** A policy set mixing every scope form (==, in, is, is-in, action in [..],
** unconstrained, linked templates) over a small hierarchy is decided for
** every principal × action × resource, once through the index and once by a
** full scan; the answers (decision, reasons, errors, in order) must be equal.
** The set includes `==` on entities that have descendants (which their
** descendants must not match, though the index reaches them through their
** ancestors) and `action in` lists naming an entity twice or an entity and
** its ancestor. It is decided twice: as it is, where the candidates are
** joined through a bitmap, and among hundreds of policies naming entities
** the requests never reach, where they are few enough to be sorted instead.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "eval/eval.h"

static const char *POLICIES =
    "permit (principal == U::\"a\", action, resource);\n"
    "permit (principal in G::\"g1\", action == Action::\"read\", resource);\n"
    "forbid (principal, action in [Action::\"write\", Action::\"all\"], resource in F::\"f1\");\n"
    "permit (principal is U, action, resource is D in F::\"f2\");\n"
    "permit (principal, action in Action::\"all\", resource == D::\"d3\");\n"
    "permit (principal, action, resource) when { principal.n > 1 };\n"
    "forbid (principal is U in G::\"g2\", action, resource) unless { resource has public };\n"
    "permit (principal in G::\"missing\", action, resource);\n"
    "permit (principal, action == Action::\"read\", resource in D::\"d1\") when { resource.public };\n"
    "permit (principal == G::\"g1\", action, resource == F::\"f2\");\n"
    "forbid (principal, action in [Action::\"read\", Action::\"all\", Action::\"read\"], resource) "
    "when { principal has n && principal.n > 1 };\n";

/* Policies naming entities no request reaches: they make the index sparse. */
#define FILLER 1000

static const char *ENTITIES =
    "[{\"uid\": {\"type\": \"G\", \"id\": \"g1\"}, \"attrs\": {}, \"parents\": [{\"type\": \"G\", \"id\": \"g2\"}]},"
    " {\"uid\": {\"type\": \"G\", \"id\": \"g2\"}, \"attrs\": {}, \"parents\": []},"
    " {\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {\"n\": 1}, \"parents\": []},"
    " {\"uid\": {\"type\": \"U\", \"id\": \"b\"}, \"attrs\": {\"n\": 2}, \"parents\": [{\"type\": \"G\", \"id\": \"g1\"}]},"
    " {\"uid\": {\"type\": \"U\", \"id\": \"c\"}, \"attrs\": {}, \"parents\": [{\"type\": \"G\", \"id\": \"g2\"}]},"
    " {\"uid\": {\"type\": \"F\", \"id\": \"f1\"}, \"attrs\": {}, \"parents\": [{\"type\": \"F\", \"id\": \"f2\"}]},"
    " {\"uid\": {\"type\": \"F\", \"id\": \"f2\"}, \"attrs\": {}, \"parents\": []},"
    " {\"uid\": {\"type\": \"D\", \"id\": \"d1\"}, \"attrs\": {\"public\": true}, \"parents\": [{\"type\": \"F\", \"id\": \"f1\"}]},"
    " {\"uid\": {\"type\": \"D\", \"id\": \"d2\"}, \"attrs\": {}, \"parents\": [{\"type\": \"F\", \"id\": \"f2\"}]},"
    " {\"uid\": {\"type\": \"D\", \"id\": \"d3\"}, \"attrs\": {\"public\": false}, \"parents\": []},"
    " {\"uid\": {\"type\": \"Action\", \"id\": \"read\"}, \"attrs\": {}, \"parents\": [{\"type\": \"Action\", \"id\": \"all\"}]},"
    " {\"uid\": {\"type\": \"Action\", \"id\": \"write\"}, \"attrs\": {}, \"parents\": [{\"type\": \"Action\", \"id\": \"all\"}]},"
    " {\"uid\": {\"type\": \"Action\", \"id\": \"all\"}, \"attrs\": {}, \"parents\": []}]";

static void same_answer(const pc_answer *a, const pc_answer *b)
{
    assert_int_equal(a->allow, b->allow);
    assert_int_equal(a->n_reasons, b->n_reasons);
    for (uint32_t i = 0; i < a->n_reasons; i++)
        assert_ptr_equal(a->reasons[i], b->reasons[i]);
    assert_int_equal(a->n_errors, b->n_errors);
    for (uint32_t i = 0; i < a->n_errors; i++)
        assert_ptr_equal(a->errors[i].policy, b->errors[i].policy);
}

/* Every principal x action x resource through the index and by a full scan; returns allows. */
static int agree_on_all(const char *policies)
{
    pc_intern *in = pc_intern_new();
    pc_arena arena, req_arena;
    pc_arena_init(&arena, 0, 0);
    pc_arena_init(&req_arena, 0, 0);
    pc_diag d;
    pc_diag_init(&d);
    pc_policy_list list = {0};
    uint32_t next = 0;
    assert_int_equal(pc_parse_policies(&arena, in, policies, strlen(policies), "p", &next, &list, &d), PC_OK);
    pc_entities *es = NULL;
    assert_int_equal(pc_entities_parse(in, NULL, ENTITIES, strlen(ENTITIES), "e", &es, &d), PC_OK);
    pc_policy_index *ix = NULL;
    const pc_policy *const *ps = (const pc_policy *const *)list.items;
    assert_int_equal(pc_index_build(ps, list.n, &ix, &d), PC_OK);

    const char *people[][2] = {{"U", "a"}, {"U", "b"}, {"U", "c"}, {"U", "nobody"}, {"G", "g1"}};
    const char *actions[] = {"read", "write", "all", "other"};
    const char *things[][2] = {{"D", "d1"}, {"D", "d2"}, {"D", "d3"}, {"F", "f1"}, {"F", "f2"},
                               {"D", "zz"}};
    pc_value empty = pc_v_record(pc_record_make(&arena, NULL, 0, NULL));
    int allowed = 0, checked = 0;
    for (size_t p = 0; p < 5; p++)
        for (size_t a = 0; a < 4; a++)
            for (size_t r = 0; r < 6; r++) {
                pc_uid pu = {pc_str_from_cstr(people[p][0]), pc_str_from_cstr(people[p][1])};
                pc_uid au = {PC_STR_LIT("Action"), pc_str_from_cstr(actions[a])};
                pc_uid ru = {pc_str_from_cstr(things[r][0]), pc_str_from_cstr(things[r][1])};
                pc_eval_request req = {&pu, &au, &ru, empty};
                pc_answer full, fast;
                pc_arena_reset(&req_arena);
                assert_int_equal(pc_authorize_policies(ps, list.n, &req, es, &req_arena, &full), PC_OK);
                assert_int_equal(pc_authorize_indexed(ix, &req, es, &req_arena, &fast), PC_OK);
                same_answer(&full, &fast);
                allowed += full.allow;
                checked++;
            }
    assert_int_equal(checked, 120);
    pc_index_free(ix);
    pc_entities_free(es);
    pc_policy_list_free(&list);
    pc_arena_free(&req_arena);
    pc_arena_free(&arena);
    pc_intern_free(in);
    return allowed;
}

static void index_agrees_with_full_scan(void **state)
{
    (void)state;
    int allowed = agree_on_all(POLICIES);
    assert_true(allowed > 10 && allowed < 110);   /* the set really discriminates */
}

static void sparse_index_agrees_with_full_scan(void **state)
{
    (void)state;
    pc_buf b;
    pc_buf_init(&b);
    for (int i = 0; i < FILLER; i++)
        pc_buf_printf(&b, "permit (principal in G::\"x%d\", action, resource == D::\"x%d\");\n", i, i);
    pc_buf_puts(&b, POLICIES);
    assert_false(b.oom);
    /* the filler never applies: the answers are those of the set alone */
    assert_int_equal(agree_on_all(b.data), agree_on_all(POLICIES));
    pc_buf_free(&b);
}

static void empty_index(void **state)
{
    (void)state;
    pc_policy_index *ix = NULL;
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    assert_int_equal(pc_index_build(NULL, 0, &ix, NULL), PC_OK);
    pc_entities *es = NULL;
    assert_int_equal(pc_entities_empty(NULL, NULL, &es, NULL), PC_OK);
    pc_uid u = {PC_STR_LIT("U"), PC_STR_LIT("a")};
    pc_eval_request req = {&u, &u, &u, pc_v_record(pc_record_make(&a, NULL, 0, NULL))};
    pc_answer ans;
    assert_int_equal(pc_authorize_indexed(ix, &req, es, &a, &ans), PC_OK);
    assert_false(ans.allow);
    assert_int_equal(ans.n_reasons, 0);
    pc_index_free(ix);
    pc_entities_free(es);
    pc_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_agrees_with_full_scan),
        cmocka_unit_test(sparse_index_agrees_with_full_scan),
        cmocka_unit_test(empty_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
