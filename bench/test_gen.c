/*
** bench/test_gen.c — unit tests of the benchmark generator (gen.h, rng.h).
**
** They pin what the reproducibility promise rests on: SplitMix64's published
** outputs, the per-type entity counts each app must have, the Action entities
** taken from the schema, determinism per seed, the independence of the store
** from R, the gdrive view-id quirk switch, requests that only name existing
** entities of the action's declared types, the file round trip, and refusals
** of bad parameters. (The draw order itself was checked against an
** independent port of the README's spec when this was written; these tests
** keep its observable consequences from drifting.)
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "args.h"
#include "gen.h"
#include "rng.h"

#define TEST_N 7
#define TEST_R 200

/* Generate or fail the test with the generator's message. */
static void make(const char *app, uint32_t n, uint64_t seed, uint32_t r, bool quirk,
                 pc_bench_store *s)
{
    pc_bench_params p;
    pc_bench_params_init(&p, app, n);
    p.seed = seed;
    p.requests = r;
    p.view_quirk = quirk;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_bench_generate(&p, pc_bench_default_data_dir(), s, &d) != PC_OK)
        fail_msg("%s: %s", app, d.msg);
}

static size_t count_type(json_t *entities, const char *type)
{
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(entities, i, e) {
        n += strcmp(json_string_value(json_object_get(json_object_get(e, "uid"), "type")),
                    type) == 0;
    }
    return n;
}

static void test_splitmix_reference_values(void **state)
{
    (void)state;
    pc_rng r = {0};
    /* SplitMix64 from state 0: the values every reference implementation prints. */
    assert_true(pc_rng_next(&r) == 0xE220A8397B1DCDAFULL);
    assert_true(pc_rng_next(&r) == 0x6E789E6AA1B965F4ULL);
    assert_true(pc_rng_next(&r) == 0x06C45D188009454FULL);
}

static void test_draw_ranges(void **state)
{
    (void)state;
    pc_rng r = {42};
    bool seen_lo = false, seen_hi = false;
    for (int i = 0; i < 10000; i++) {
        uint64_t b = pc_rng_between(&r, 1, 3);
        assert_true(b >= 1 && b <= 3);
        seen_lo |= b == 1;
        seen_hi |= b == 3;
        double u = pc_rng_unit(&r);
        assert_true(u >= 0.0 && u < 1.0);
    }
    assert_true(seen_lo && seen_hi);
    assert_false(pc_rng_chance(&r, 0.0));
    assert_true(pc_rng_chance(&r, 1.0));
}

typedef struct expected_count {
    const char *app, *type;
    size_t count;   /* for N = TEST_N */
} expected_count;

static const expected_count COUNTS[] = {
    {"gdrive", "User", TEST_N},          {"gdrive", "View", 2 * TEST_N},
    {"gdrive", "Document", TEST_N},      {"gdrive", "Action", 5},
    {"gdrive-templates", "View", 0},     {"gdrive-templates", "Folder", TEST_N},
    {"github", "OrgPermission", 3 * TEST_N}, {"github", "RepoPermission", 5 * TEST_N},
    {"github-templates", "RepoPermission", 0}, {"github-templates", "Team", TEST_N},
    {"tinytodo", "Application", 1},      {"tinytodo", "List", TEST_N},
    {"tinytodo", "Action", 9},
};

static void test_entity_counts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof COUNTS / sizeof COUNTS[0]; i++) {
        pc_bench_store s;
        make(COUNTS[i].app, TEST_N, 1, 0, true, &s);
        size_t got = count_type(s.entities, COUNTS[i].type);
        if (got != COUNTS[i].count)
            fail_msg("%s: %zu %s entities, expected %zu", COUNTS[i].app, got, COUNTS[i].type,
                     COUNTS[i].count);
        pc_bench_store_free(&s);
    }
}

/* The store ends with the schema's actions, github's with read in triage. */
static void test_actions_from_schema(void **state)
{
    (void)state;
    pc_bench_store s;
    make("github", TEST_N, 1, 0, true, &s);
    size_t n = json_array_size(s.entities);
    json_t *read = json_array_get(s.entities, n - 5);
    json_t *admin = json_array_get(s.entities, n - 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(read, "uid"), "id")),
                        "read");
    json_t *parent = json_array_get(json_object_get(read, "parents"), 0);
    assert_string_equal(json_string_value(json_object_get(parent, "type")), "Action");
    assert_string_equal(json_string_value(json_object_get(parent, "id")), "triage");
    assert_int_equal(json_array_size(json_object_get(admin, "parents")), 0);
    pc_bench_store_free(&s);
}

static void test_deterministic_per_seed(void **state)
{
    (void)state;
    for (size_t i = 0; pc_bench_apps[i]; i++) {
        pc_bench_store a, b, c;
        make(pc_bench_apps[i], TEST_N, 99, 50, true, &a);
        make(pc_bench_apps[i], TEST_N, 99, 50, true, &b);
        make(pc_bench_apps[i], TEST_N, 100, 50, true, &c);
        assert_true(json_equal(a.entities, b.entities));
        assert_true(json_equal(a.requests, b.requests));
        assert_true(json_equal(a.links, b.links) || (!a.links && !b.links));
        assert_false(json_equal(a.entities, c.entities) && json_equal(a.requests, c.requests));
        pc_bench_store_free(&a);
        pc_bench_store_free(&b);
        pc_bench_store_free(&c);
    }
}

/* R draws from its own stream: more requests extend, never change, a store. */
static void test_requests_do_not_move_the_store(void **state)
{
    (void)state;
    pc_bench_store few, many;
    make("tinytodo", TEST_N, 5, 10, true, &few);
    make("tinytodo", TEST_N, 5, TEST_R, true, &many);
    assert_true(json_equal(few.entities, many.entities));
    for (size_t i = 0; i < 10; i++)
        assert_true(json_equal(json_array_get(few.requests, i), json_array_get(many.requests, i)));
    pc_bench_store_free(&few);
    pc_bench_store_free(&many);
}

static bool has_uid(json_t *entities, json_t *u)
{
    size_t i;
    json_t *e;
    json_array_foreach(entities, i, e) {
        if (json_equal(json_object_get(e, "uid"), u))
            return true;
    }
    return false;
}

static void test_requests_name_existing_entities(void **state)
{
    (void)state;
    for (size_t a = 0; pc_bench_apps[a]; a++) {
        pc_bench_store s;
        make(pc_bench_apps[a], TEST_N, 3, TEST_R, true, &s);
        assert_int_equal(json_array_size(s.requests), TEST_R);
        size_t i;
        json_t *r;
        json_array_foreach(s.requests, i, r) {
            assert_true(has_uid(s.entities, json_object_get(r, "principal")));
            assert_true(has_uid(s.entities, json_object_get(r, "resource")));
            assert_true(has_uid(s.entities, json_object_get(r, "action")));
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(r, "principal"), "type")), "User");
        }
        pc_bench_store_free(&s);
    }
}

/* Does any Document have a View parent whose id starts with prefix? */
static bool doc_view_parent(json_t *entities, const char *prefix)
{
    size_t i, k;
    json_t *e, *p;
    json_array_foreach(entities, i, e) {
        if (strcmp(json_string_value(json_object_get(json_object_get(e, "uid"), "type")),
                   "Document") != 0)
            continue;
        json_array_foreach(json_object_get(e, "parents"), k, p) {
            const char *id = json_string_value(json_object_get(p, "id"));
            if (strcmp(json_string_value(json_object_get(p, "type")), "View") == 0 &&
                strncmp(id, prefix, strlen(prefix)) == 0)
                return true;
        }
    }
    return false;
}

static void test_gdrive_view_quirk_switch(void **state)
{
    (void)state;
    pc_bench_store quirk, fixed;
    make("gdrive", 50, 1, 0, true, &quirk);
    make("gdrive", 50, 1, 0, false, &fixed);
    assert_false(doc_view_parent(quirk.entities, "User user_"));
    assert_true(doc_view_parent(fixed.entities, "User user_"));
    assert_int_equal(json_array_size(quirk.entities), json_array_size(fixed.entities));
    pc_bench_store_free(&quirk);
    pc_bench_store_free(&fixed);
}

static void test_links_name_templates(void **state)
{
    (void)state;
    pc_bench_store s;
    make("github-templates", 50, 1, 0, true, &s);
    assert_true(json_array_size(s.links) > 100);
    json_t *l = json_array_get(s.links, 0);
    const char *tmpl = json_string_value(json_object_get(l, "templateId"));
    const char *id = json_string_value(json_object_get(l, "newId"));
    assert_true(strstr(tmpl, "Template") != NULL);
    assert_true(strncmp(id, tmpl, strlen(tmpl)) == 0 && strstr(id, "::\"repo_") != NULL);
    pc_bench_store_free(&s);
}

static void test_write_read_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/pc-bench-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    pc_bench_store s, back;
    make("gdrive-templates", TEST_N, 8, 30, true, &s);
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_bench_store_write(&s, dir, &d), PC_OK);
    assert_int_equal(pc_bench_store_read(dir, &back, &d), PC_OK);
    assert_true(json_equal(s.entities, back.entities));
    assert_true(json_equal(s.requests, back.requests));
    assert_true(json_equal(s.links, back.links));
    assert_int_equal(back.params.seed, 8);
    assert_string_equal(back.params.app, "gdrive-templates");
    assert_int_equal(back.policies_len, s.policies_len);
    pc_bench_store_free(&s);
    pc_bench_store_free(&back);
    const char *files[] = {"store.json", "policies.cedar", "schema.cedarschema.json",
                           "entities.json", "requests.jsonl", "links.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[sizeof dir + 32];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void expect_refusal(const char *app, uint32_t n, double p, const char *words)
{
    pc_bench_params params;
    pc_bench_params_init(&params, app, n);
    params.p = p;
    pc_bench_store s;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_not_equal(pc_bench_generate(&params, pc_bench_default_data_dir(), &s, &d), PC_OK);
    assert_non_null(strstr(d.msg, words));
    assert_null(s.entities);
    pc_diag_clear(&d);
}

static void test_bad_parameters_are_refused(void **state)
{
    (void)state;
    expect_refusal("nope", 5, 0.05, "unknown app");
    expect_refusal("gdrive", 0, 0.05, "N = 0");
    expect_refusal("gdrive", PC_BENCH_MAX_N + 1, 0.05, "outside");
    expect_refusal("github", 5, 1.5, "probability");
}

static void test_missing_data_dir_is_reported(void **state)
{
    (void)state;
    pc_bench_params p;
    pc_bench_params_init(&p, "gdrive", 5);
    pc_bench_store s;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_not_equal(pc_bench_generate(&p, "/nonexistent-oopsla", &s, &d), PC_OK);
    assert_non_null(strstr(d.msg, "/nonexistent-oopsla/gdrive/policies.cedar"));
    pc_diag_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix_reference_values),
        cmocka_unit_test(test_draw_ranges),
        cmocka_unit_test(test_entity_counts),
        cmocka_unit_test(test_actions_from_schema),
        cmocka_unit_test(test_deterministic_per_seed),
        cmocka_unit_test(test_requests_do_not_move_the_store),
        cmocka_unit_test(test_requests_name_existing_entities),
        cmocka_unit_test(test_gdrive_view_quirk_switch),
        cmocka_unit_test(test_links_name_templates),
        cmocka_unit_test(test_write_read_round_trip),
        cmocka_unit_test(test_bad_parameters_are_refused),
        cmocka_unit_test(test_missing_data_dir_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
