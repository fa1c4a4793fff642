/*
** tests/unit/test_base.c — the base primitives: arena, buffer, interning,
** diagnostics with carets, UTF-8.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static void arena_alignment_and_reuse(void **state)
{
    (void)state;
    pc_arena a;
    pc_arena_init(&a, 64, 0);
    for (int i = 0; i < 100; i++) {
        char *p = pc_arena_alloc(&a, (size_t)i + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 'x', (size_t)i + 1);
    }
    void *big = pc_arena_alloc(&a, 10000);   /* larger than a block */
    assert_non_null(big);
    pc_arena_reset(&a);
    assert_int_equal(a.used_total, 0);
    assert_non_null(pc_arena_alloc(&a, 8));
    pc_arena_free(&a);
}

/* Where one pass of the same requests lands: ordinary blocks and oversized ones mixed. */
#define PASS_ALLOCS 24
static void arena_pass(pc_arena *a, char *got[PASS_ALLOCS])
{
    for (int i = 0; i < PASS_ALLOCS; i++) {
        size_t n = i % 6 == 5 ? 3000 : 200;   /* 3000 is past the 1024-byte block */
        got[i] = pc_arena_alloc(a, n);
        assert_non_null(got[i]);
        memset(got[i], i, n);
    }
    for (int i = 0; i < PASS_ALLOCS; i++)   /* nothing handed out twice */
        assert_int_equal(got[i][0], i);
}

static bool among(char *const *ps, char *p)
{
    for (int i = 0; i < PASS_ALLOCS; i++)
        if (ps[i] == p)
            return true;
    return false;
}

/* reset keeps every block of a pass that needed several, and the next pass reuses them. */
static void arena_reset_keeps_its_blocks(void **state)
{
    (void)state;
    pc_arena a;
    pc_arena_init(&a, 1024, 0);
    char *first[PASS_ALLOCS], *again[PASS_ALLOCS];
    arena_pass(&a, first);
    pc_arena_reset(&a);
    arena_pass(&a, again);
    for (int i = 0; i < PASS_ALLOCS; i++)   /* the same memory, so no new block */
        assert_true(among(first, again[i]));
    pc_arena_free(&a);
}

static void arena_limit_fails_cleanly(void **state)
{
    (void)state;
    pc_arena a;
    pc_arena_init(&a, 1024, 100);
    assert_non_null(pc_arena_alloc(&a, 64));
    assert_null(pc_arena_alloc(&a, 64));   /* would pass the 100-byte limit */
    assert_null(pc_arena_alloc(&a, SIZE_MAX));
    pc_arena_free(&a);
}

static void arena_strings(void **state)
{
    (void)state;
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    pc_str s = pc_arena_str(&a, "a\0b", 3);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "a\0b", 3);
    char *f = pc_arena_printf(&a, "%s-%d", "x", 42);
    assert_string_equal(f, "x-42");
    pc_arena_free(&a);
}

static void buf_building(void **state)
{
    (void)state;
    pc_buf b;
    pc_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        pc_buf_printf(&b, "%d,", i);
    assert_false(b.oom);
    assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
    pc_buf_clear(&b);
    pc_buf_json_string(&b, "a\"\n\x01", 4);
    assert_string_equal(b.data, "\"a\\\"\\n\\u0001\"");
    pc_buf_clear(&b);
    pc_buf_cedar_escape(&b, "q\"\0\x7f\xc3\xa9", 6);
    assert_string_equal(b.data, "q\\\"\\0\\u{7f}\xc3\xa9");
    char *t = pc_buf_take(&b);
    assert_non_null(t);
    free(t);
    assert_null(b.data);
}

static void intern_unique(void **state)
{
    (void)state;
    pc_intern *t = pc_intern_new();
    assert_non_null(t);
    char name[32];
    pc_str first[2000];
    for (int i = 0; i < 2000; i++) {   /* forces several resizes */
        int n = snprintf(name, sizeof name, "name%d", i);
        first[i] = pc_intern_str(t, name, (size_t)n);
        assert_non_null(first[i].ptr);
    }
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(name, sizeof name, "name%d", i);
        assert_ptr_equal(pc_intern_str(t, name, (size_t)n).ptr, first[i].ptr);
        assert_ptr_equal(pc_intern_find(t, name, (size_t)n).ptr, first[i].ptr);
    }
    assert_null(pc_intern_find(t, "absent", 6).ptr);
    pc_str empty = pc_intern_str(t, "", 0);
    assert_non_null(empty.ptr);
    assert_ptr_equal(pc_intern_find(t, "", 0).ptr, empty.ptr);
    pc_str nul = pc_intern_str(t, "a\0", 2);
    assert_true(nul.ptr != pc_intern_str(t, "a", 1).ptr);
    pc_intern_free(t);
}

static void str_compare(void **state)
{
    (void)state;
    assert_true(pc_str_eq(PC_STR_LIT("ab"), PC_STR_LIT("ab")));
    assert_false(pc_str_eq(PC_STR_LIT("ab"), PC_STR_LIT("abc")));
    assert_true(pc_str_cmp(PC_STR_LIT("ab"), PC_STR_LIT("abc")) < 0);
    assert_true(pc_str_cmp(PC_STR_LIT("b"), PC_STR_LIT("abc")) > 0);
    assert_int_equal(pc_str_cmp(PC_STR_LIT(""), PC_STR_LIT("")), 0);
}

static void diag_caret(void **state)
{
    (void)state;
    pc_diag d;
    pc_diag_init(&d);
    const char *src = "permit(\n  principal ==,\n";
    size_t off = strstr(src, ",\n") - src;
    pc_status st = pc_diag_at(&d, PC_ERR_PARSE, "p.cedar", src, strlen(src), off,
                              "expected an entity uid, found %s", "','");
    assert_int_equal(st, PC_ERR_PARSE);
    assert_string_equal(d.msg, "p.cedar:2:15: expected an entity uid, found ','\n"
                               "    principal ==,\n"
                               "                ^");
    /* the first error sticks */
    pc_diag_set(&d, PC_ERR_IO, "later");
    assert_int_equal(d.status, PC_ERR_PARSE);
    pc_diag_prefix(&d, "loading %s", "x");
    assert_int_equal(strncmp(d.msg, "loading x: p.cedar:2:15", 23), 0);
    pc_error e = {0};
    pc_diag_to_error(&d, &e);
    assert_int_equal(e.status, PC_ERR_PARSE);
    assert_non_null(e.message);
    pc_error_clear(&e);
    assert_null(d.msg);
}

static void diag_column_counts_characters(void **state)
{
    (void)state;
    uint32_t line, col;
    const char *src = "\xc3\xa9\xc3\xa9x";
    pc_line_col(src, strlen(src), 4, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 3);
}

static void utf8_strict(void **state)
{
    (void)state;
    uint32_t cp;
    char out[4];
    assert_int_equal(pc_utf8_decode("\xe2\x82\xac", 3, &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(pc_utf8_decode("\xc0\x80", 2, &cp), 0);          /* overlong */
    assert_int_equal(pc_utf8_decode("\xed\xa0\x80", 3, &cp), 0);      /* surrogate */
    assert_int_equal(pc_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0);  /* > U+10FFFF */
    assert_int_equal(pc_utf8_decode("\xe2\x82", 2, &cp), 0);          /* truncated */
    assert_int_equal(pc_utf8_encode(0x1F600, out), 4);
    assert_int_equal(pc_utf8_encode(0xD800, out), 0);
    assert_true(pc_utf8_valid("abc\xc3\xa9", 5));
    assert_false(pc_utf8_valid("\xff", 1));
}

static void read_file_bounds(void **state)
{
    (void)state;
    pc_diag d;
    pc_diag_init(&d);
    char *data;
    size_t len;
    assert_int_equal(pc_read_file("/nonexistent/x", 100, &data, &len, &d), PC_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent/x"));
    pc_diag_clear(&d);
    assert_int_equal(pc_read_file("meson.build", 10, &data, &len, &d), PC_ERR_LIMIT);
    pc_diag_clear(&d);
    assert_int_equal(pc_read_file("meson.build", 1 << 20, &data, &len, &d), PC_OK);
    assert_true(len > 10);
    assert_int_equal(data[len], '\0');
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alignment_and_reuse),
        cmocka_unit_test(arena_reset_keeps_its_blocks),
        cmocka_unit_test(arena_limit_fails_cleanly),
        cmocka_unit_test(arena_strings),
        cmocka_unit_test(buf_building),
        cmocka_unit_test(intern_unique),
        cmocka_unit_test(str_compare),
        cmocka_unit_test(diag_caret),
        cmocka_unit_test(diag_column_counts_characters),
        cmocka_unit_test(utf8_strict),
        cmocka_unit_test(read_file_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
