/*
** tests/unit/test_value.c — Cedar runtime values: set deduplication,
** equality and membership (small sets take the pairwise path, large ones
** their hash index, so both are exercised with the same expectations),
** sorting without the heap, records (sorting, duplicate keys, lookup),
** entity uids, structural equality across types, type names, printing in
** Cedar syntax and the same texts built in an arena for messages.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value/ext.h"
#include "value/value.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define LARGE 1000   /* well past the pairwise threshold */

static pc_arena arena;

static int setup(void **state)
{
    (void)state;
    pc_arena_init(&arena, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pc_arena_free(&arena);
    return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static pc_value str_v(const char *s) { return pc_v_string(pc_str_from_cstr(s)); }

/* A string value whose bytes live at a fresh address (no pointer equality). */
static pc_value str_copy(const char *s)
{
    return pc_v_string(pc_arena_str(&arena, s, strlen(s)));
}

static pc_value set_of(pc_value *items, uint32_t n)
{
    const pc_set *s = pc_set_make(&arena, items, n);
    assert_non_null(s);
    return pc_v_set(s);
}

static pc_value uid_v(const char *type, const char *id)
{
    pc_uid *u = pc_uid_make(&arena, pc_str_from_cstr(type), pc_str_from_cstr(id));
    assert_non_null(u);
    return pc_v_entity(u);
}

static pc_value ext_v(pc_fn ctor, const char *arg)
{
    pc_value a = str_v(arg), out;
    const char *err = NULL;
    if (!pc_ext_call(ctor, &arena, &a, 1, &out, &err))
        fail_msg("%s(\"%s\"): %s", pc_fn_get(ctor)->name, arg, err);
    return out;
}

static const char *show(const pc_value *v)
{
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_value_print(&b, v));
    char *s = pc_arena_strdup(&arena, b.data);
    pc_buf_free(&b);
    return s;
}

static void assert_eq(pc_value a, pc_value b, bool want)
{
    if (pc_value_eq(&a, &b) != want || pc_value_eq(&b, &a) != want)
        fail_msg("%s == %s should be %s", show(&a), show(&b), want ? "true" : "false");
}

/* A deterministic permutation of 0..n-1 (n <= LARGE), for shuffling. */
static void shuffle(uint32_t *idx, uint32_t n, uint64_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t j = (uint32_t)((seed >> 33) % i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ---- sets -------------------------------------------------------------- */

static void set_dedupe_small(void **state)
{
    (void)state;
    pc_value items[] = {pc_v_long(1), pc_v_long(2), pc_v_long(1), pc_v_long(3), pc_v_long(2)};
    pc_value s = set_of(items, N_ELEMS(items));
    assert_int_equal(s.u.set->n, 3);
    for (int64_t k = 1; k <= 3; k++) {
        pc_value v = pc_v_long(k);
        assert_true(pc_set_contains(s.u.set, &v));
    }
    pc_value four = pc_v_long(4);
    assert_false(pc_set_contains(s.u.set, &four));

    /* Values of different types never merge, even with equal payloads. */
    pc_value mixed[] = {pc_v_long(1), str_v("1"), pc_v_bool(true), pc_v_long(1),
                        pc_v_ext_int(PC_V_DECIMAL, 1), pc_v_ext_int(PC_V_DATETIME, 1),
                        pc_v_ext_int(PC_V_DURATION, 1), str_copy("1")};
    assert_int_equal(set_of(mixed, N_ELEMS(mixed)).u.set->n, 6);

    assert_int_equal(set_of(NULL, 0).u.set->n, 0);
}

static void set_dedupe_nested(void **state)
{
    (void)state;
    pc_value ab[] = {str_v("a"), str_v("b")}, ba[] = {str_copy("b"), str_copy("a")};
    pc_value outer[] = {set_of(ab, 2), set_of(ba, 2)};
    assert_int_equal(set_of(outer, 2).u.set->n, 1);

    pc_field f1[] = {{PC_STR_LIT("x"), pc_v_long(1)}, {PC_STR_LIT("y"), str_v("z")}};
    pc_field f2[] = {{PC_STR_LIT("y"), str_copy("z")}, {PC_STR_LIT("x"), pc_v_long(1)}};
    pc_value recs[] = {pc_v_record(pc_record_make(&arena, f1, 2, NULL)),
                       pc_v_record(pc_record_make(&arena, f2, 2, NULL))};
    assert_int_equal(set_of(recs, 2).u.set->n, 1);

    pc_value uids[] = {uid_v("User", "alice"), uid_v("User", "bob"), uid_v("User", "alice"),
                       uid_v("Group", "alice")};
    assert_int_equal(set_of(uids, N_ELEMS(uids)).u.set->n, 3);
}

/* Large sets go through the hashed path: same answers as the small one. */
static void set_dedupe_large(void **state)
{
    (void)state;
    pc_value *items = pc_arena_alloc(&arena, 3 * LARGE * sizeof(pc_value));
    assert_non_null(items);
    for (uint32_t i = 0; i < 3 * LARGE; i++)
        items[i] = pc_v_long((int64_t)(i % LARGE) * 7919 - 500000);
    pc_value s = set_of(items, 3 * LARGE);
    assert_int_equal(s.u.set->n, LARGE);
    /* The first occurrences are kept, in their original order. */
    for (uint32_t i = 0; i < LARGE; i++)
        assert_int_equal(s.u.set->items[i].u.l, (int64_t)i * 7919 - 500000);

    /* Strings at distinct addresses, with the duplicates interleaved. */
    for (uint32_t i = 0; i < 2 * LARGE; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "key-%u", i / 2);
        items[i] = str_copy(tmp);
    }
    assert_int_equal(set_of(items, 2 * LARGE).u.set->n, LARGE);
}

static void set_equality(void **state)
{
    (void)state;
    uint32_t sizes[] = {0, 1, 2, 5, 16, 17, 40, LARGE};
    uint32_t idx[LARGE];
    pc_value *a = pc_arena_alloc(&arena, LARGE * sizeof(pc_value));
    pc_value *b = pc_arena_alloc(&arena, LARGE * sizeof(pc_value));
    assert_non_null(a);
    assert_non_null(b);
    for (size_t k = 0; k < N_ELEMS(sizes); k++) {
        uint32_t n = sizes[k];
        shuffle(idx, n, 42 + k);
        for (uint32_t i = 0; i < n; i++) {
            /* Nested sets as items make the order-independence matter twice. */
            pc_value pair[] = {pc_v_long(i), str_v("p")}, rpair[] = {str_copy("p"), pc_v_long(i)};
            a[i] = set_of(pair, 2);
            b[idx[i]] = set_of(rpair, 2);
        }
        pc_value sa = set_of(a, n), sb = set_of(b, n);
        assert_eq(sa, sb, true);
        if (n == 0)
            continue;
        /* One element changed: unequal. */
        pc_value other[] = {pc_v_long(-1), str_v("p")};
        b[idx[n - 1]] = set_of(other, 2);
        assert_eq(sa, set_of(b, n), false);
        /* One element fewer: unequal. */
        assert_eq(sa, set_of(a, n - 1), false);
    }
}

static void set_contains(void **state)
{
    (void)state;
    pc_value items[] = {uid_v("User", "alice"), ext_v(PC_FN_DECIMAL, "1.5"),
                        ext_v(PC_FN_IP, "10.0.0.0/8")};
    pc_value s = set_of(items, N_ELEMS(items));
    pc_value yes[] = {uid_v("User", "alice"), ext_v(PC_FN_DECIMAL, "1.50"),
                      ext_v(PC_FN_IP, "10.0.0.0/8")};
    pc_value no[] = {uid_v("Admin", "alice"), ext_v(PC_FN_DECIMAL, "1.51"),
                     ext_v(PC_FN_IP, "10.0.0.1/8"), pc_v_long(15000), str_v("alice")};
    for (size_t i = 0; i < N_ELEMS(yes); i++)
        assert_true(pc_set_contains(s.u.set, &yes[i]));
    for (size_t i = 0; i < N_ELEMS(no); i++)
        assert_false(pc_set_contains(s.u.set, &no[i]));
}

/* A large set answers contains by its hash index: every item, found through a copy, and no other. */
static void set_contains_large(void **state)
{
    (void)state;
    pc_value *items = pc_arena_alloc(&arena, LARGE * sizeof(pc_value));
    pc_value *probe = pc_arena_alloc(&arena, LARGE * sizeof(pc_value));
    assert_non_null(items);
    assert_non_null(probe);
    for (uint32_t i = 0; i < LARGE; i++) {
        const char *tmp = pc_arena_printf(&arena, "k%u", i);   /* uid_v keeps the pointer */
        switch (i % 3) {
        case 0: items[i] = pc_v_long(i); probe[i] = pc_v_long(i); break;
        case 1: items[i] = str_copy(tmp); probe[i] = str_copy(tmp); break;
        default: items[i] = uid_v("User", tmp); probe[i] = uid_v("User", tmp); break;
        }
    }
    pc_value s = set_of(items, LARGE);
    assert_int_equal(s.u.set->n, LARGE);
    for (uint32_t i = 0; i < LARGE; i++)
        assert_true(pc_set_contains(s.u.set, &probe[i]));
    pc_value absent[] = {pc_v_long(1), str_v("k0"), uid_v("Group", "k2"), pc_v_long(-1),
                         str_v("k1000"), pc_v_bool(true)};
    /* 1 and "k0" are there as a string and a long respectively, not the other way */
    for (size_t i = 0; i < N_ELEMS(absent); i++)
        assert_false(pc_set_contains(s.u.set, &absent[i]));
}

/* Large sets inside sets: their hash (from the index) must not depend on order. */
static void set_of_large_sets(void **state)
{
    (void)state;
    uint32_t idx[LARGE];
    pc_value *a = pc_arena_alloc(&arena, 40 * sizeof(pc_value));
    pc_value *b = pc_arena_alloc(&arena, 40 * sizeof(pc_value));
    assert_non_null(a);
    assert_non_null(b);
    shuffle(idx, 40, 7);
    for (uint32_t i = 0; i < 40; i++) {
        a[i] = pc_v_long(i);
        b[idx[i]] = pc_v_long(i);
    }
    pc_value outer_a[] = {set_of(a, 40), pc_v_long(-1)};
    pc_value outer_b[] = {pc_v_long(-1), set_of(b, 40), set_of(b, 40)};
    /* 17 copies of the same large set and 17 longs: the outer set is large too */
    pc_value many_a[34], many_b[34];
    for (uint32_t i = 0; i < 17; i++) {
        many_a[i] = set_of(a, 40);
        many_a[17 + i] = pc_v_long(100 + i);
        many_b[i] = pc_v_long(116 - i);
        many_b[17 + i] = set_of(b, 40);
    }
    assert_eq(set_of(outer_a, 2), set_of(outer_b, 3), true);
    pc_value sa = set_of(many_a, 34), sb = set_of(many_b, 34);
    assert_int_equal(sa.u.set->n, 18);
    assert_eq(sa, sb, true);
    assert_true(pc_set_contains(sa.u.set, &outer_a[0]));
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* pc_sort sorts like qsort, with repeats, of every small size and a large one. */
static void sorting(void **state)
{
    (void)state;
    static int v[LARGE];
    uint32_t sizes[] = {0, 1, 2, 3, 7, 64, LARGE};
    for (size_t k = 0; k < N_ELEMS(sizes); k++) {
        uint32_t n = sizes[k];
        uint64_t seed = 99 + k;
        int sum = 0, after = 0;
        for (uint32_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            v[i] = (int)((seed >> 33) % 50);   /* many repeats */
            sum += v[i];
        }
        pc_sort(v, n, sizeof v[0], cmp_int);
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                assert_true(v[i - 1] <= v[i]);
            after += v[i];
        }
        assert_int_equal(sum, after);   /* a permutation, nothing lost */
    }
}

/* ---- records ----------------------------------------------------------- */

static void record_sorting_and_lookup(void **state)
{
    (void)state;
    pc_field f[] = {{PC_STR_LIT("zeta"), pc_v_long(1)}, {PC_STR_LIT("alpha"), pc_v_long(2)},
                    {PC_STR_LIT("al"), pc_v_long(3)},   {PC_STR_LIT(""), pc_v_long(4)},
                    {PC_STR_LIT("beta"), pc_v_long(5)}, {PC_STR_LIT("Zed"), pc_v_long(6)}};
    pc_str dup = PC_STR_LIT("sentinel");
    const pc_record *r = pc_record_make(&arena, f, N_ELEMS(f), &dup);
    assert_non_null(r);
    assert_null(dup.ptr);
    assert_int_equal(r->n, 6);
    const char *order[] = {"", "Zed", "al", "alpha", "beta", "zeta"};
    for (uint32_t i = 0; i < r->n; i++)
        assert_true(pc_str_eq_cstr(r->fields[i].key, order[i]));
    const int64_t vals[] = {1, 2, 3, 4, 5, 6};
    for (size_t i = 0; i < N_ELEMS(f); i++) {
        const pc_value *v = pc_record_get(r, f[i].key);
        assert_non_null(v);
        assert_int_equal(v->u.l, vals[i]);
    }
    const char *absent[] = {"a", "alph", "alphab", "zetas", "zz", "Z"};
    for (size_t i = 0; i < N_ELEMS(absent); i++)
        assert_null(pc_record_get(r, pc_str_from_cstr(absent[i])));
    /* Keys may hold NUL bytes and are compared in full. */
    pc_field g[] = {{{"a\0b", 3}, pc_v_bool(true)}, {{"a", 1}, pc_v_bool(false)}};
    const pc_record *rg = pc_record_make(&arena, g, 2, NULL);
    assert_non_null(rg);
    assert_true(pc_record_get(rg, (pc_str){"a\0b", 3})->u.b);
    assert_false(pc_record_get(rg, (pc_str){"a", 1})->u.b);
    assert_null(pc_record_get(rg, (pc_str){"a\0", 2}));
}

/* More fields than glibc's qsort sorts on its stack (1 KiB): sorted without the heap. */
static void record_large_unsorted(void **state)
{
    (void)state;
    enum { FIELDS = 60 };
    pc_field f[FIELDS];
    for (int i = 0; i < FIELDS; i++) {
        char *key = pc_arena_printf(&arena, "f%02d", FIELDS - 1 - i);
        f[i] = (pc_field){pc_str_from_cstr(key), pc_v_long(FIELDS - 1 - i)};
    }
    const pc_record *r = pc_record_make(&arena, f, FIELDS, NULL);
    assert_non_null(r);
    for (int i = 0; i < FIELDS; i++) {
        assert_int_equal(r->fields[i].val.u.l, i);
        char key[8];
        snprintf(key, sizeof key, "f%02d", i);
        assert_int_equal(pc_record_get(r, pc_str_from_cstr(key))->u.l, i);
    }
    f[FIELDS / 2].key = f[3].key;   /* one key twice, far apart */
    pc_str dup = PC_STR_NULL;
    assert_null(pc_record_make(&arena, f, FIELDS, &dup));
    assert_true(pc_str_eq(dup, f[3].key));
}

static void record_duplicate_keys(void **state)
{
    (void)state;
    pc_field f[] = {{PC_STR_LIT("b"), pc_v_long(1)}, {PC_STR_LIT("a"), pc_v_long(2)},
                    {PC_STR_LIT("c"), pc_v_long(3)}, {PC_STR_LIT("a"), pc_v_long(4)}};
    pc_str dup = PC_STR_NULL;
    assert_null(pc_record_make(&arena, f, N_ELEMS(f), &dup));
    assert_non_null(dup.ptr);
    assert_true(pc_str_eq_cstr(dup, "a"));
    /* Already in order but repeated: still refused. */
    pc_field g[] = {{PC_STR_LIT("a"), pc_v_long(1)}, {PC_STR_LIT("a"), pc_v_long(1)}};
    assert_null(pc_record_make(&arena, g, 2, &dup));
    assert_true(pc_str_eq_cstr(dup, "a"));
    assert_null(pc_record_make(&arena, g, 2, NULL));   /* dup_key is optional */

    const pc_record *empty = pc_record_make(&arena, NULL, 0, &dup);
    assert_non_null(empty);
    assert_int_equal(empty->n, 0);
    assert_null(pc_record_get(empty, PC_STR_LIT("a")));
}

static void record_make_out_of_memory(void **state)
{
    (void)state;
    pc_arena tiny;
    pc_arena_init(&tiny, 64, 16);   /* a limit too small for any of them */
    pc_field f[] = {{PC_STR_LIT("a"), pc_v_long(1)}, {PC_STR_LIT("b"), pc_v_long(2)}};
    pc_str dup = PC_STR_LIT("sentinel");
    assert_null(pc_record_make(&tiny, f, 2, &dup));
    assert_null(dup.ptr);   /* NULL key: allocation failure, not a duplicate */
    pc_value items[] = {pc_v_long(1), pc_v_long(2), pc_v_long(3)};
    assert_null(pc_set_make(&tiny, items, 3));
    assert_null(pc_uid_make(&tiny, PC_STR_LIT("A"), PC_STR_LIT("b")));
    assert_non_null(pc_uid_make(&arena, PC_STR_LIT("A"), PC_STR_LIT("b")));
    pc_arena_free(&tiny);
}

static void record_equality(void **state)
{
    (void)state;
    pc_field f1[] = {{PC_STR_LIT("a"), pc_v_long(1)}, {PC_STR_LIT("b"), str_v("x")}};
    pc_field f2[] = {{PC_STR_LIT("b"), str_copy("x")}, {PC_STR_LIT("a"), pc_v_long(1)}};
    pc_field f3[] = {{PC_STR_LIT("a"), pc_v_long(1)}, {PC_STR_LIT("b"), str_v("y")}};
    pc_field f4[] = {{PC_STR_LIT("a"), pc_v_long(1)}, {PC_STR_LIT("c"), str_v("x")}};
    pc_field f5[] = {{PC_STR_LIT("a"), pc_v_long(1)}};
    pc_value r1 = pc_v_record(pc_record_make(&arena, f1, 2, NULL));
    assert_eq(r1, pc_v_record(pc_record_make(&arena, f2, 2, NULL)), true);
    assert_eq(r1, pc_v_record(pc_record_make(&arena, f3, 2, NULL)), false);
    assert_eq(r1, pc_v_record(pc_record_make(&arena, f4, 2, NULL)), false);
    assert_eq(r1, pc_v_record(pc_record_make(&arena, f5, 1, NULL)), false);
    assert_eq(pc_v_record(pc_record_make(&arena, NULL, 0, NULL)), set_of(NULL, 0), false);
}

/* ---- uids and equality across types ------------------------------------ */

static void uids(void **state)
{
    (void)state;
    pc_value a = uid_v("A::User", "alice");
    pc_value a2 = pc_v_entity(pc_uid_make(&arena, pc_arena_str(&arena, "A::User", 7),
                                          pc_arena_str(&arena, "alice", 5)));
    assert_true(pc_uid_eq(a.u.uid, a2.u.uid));
    assert_int_equal(pc_uid_hash(a.u.uid), pc_uid_hash(a2.u.uid));
    assert_false(pc_uid_eq(a.u.uid, uid_v("A::Group", "alice").u.uid));
    assert_false(pc_uid_eq(a.u.uid, uid_v("A::User", "alicE").u.uid));
    assert_false(pc_uid_eq(a.u.uid, uid_v("User", "alice").u.uid));
    assert_true(pc_uid_hash(a.u.uid) != pc_uid_hash(uid_v("A::User", "bob").u.uid));
    /* Swapping type and id must not look alike. */
    assert_false(pc_uid_eq(uid_v("x", "y").u.uid, uid_v("y", "x").u.uid));
    assert_eq(a, a2, true);
}

static void equality_across_types(void **state)
{
    (void)state;
    pc_value vals[] = {
        pc_v_bool(true),
        pc_v_long(1),
        str_v("1"),
        uid_v("T", "1"),
        set_of((pc_value[]){pc_v_long(1)}, 1),
        pc_v_record(pc_record_make(&arena, (pc_field[]){{PC_STR_LIT("1"), pc_v_long(1)}}, 1, NULL)),
        pc_v_ext_int(PC_V_DECIMAL, 1),
        ext_v(PC_FN_IP, "0.0.0.1"),
        pc_v_ext_int(PC_V_DATETIME, 1),
        pc_v_ext_int(PC_V_DURATION, 1),
    };
    for (size_t i = 0; i < N_ELEMS(vals); i++)
        for (size_t j = 0; j < N_ELEMS(vals); j++)
            assert_eq(vals[i], vals[j], i == j);
    assert_eq(pc_v_bool(false), pc_v_bool(false), true);
    assert_eq(pc_v_long(INT64_MIN), pc_v_long(INT64_MIN), true);
    assert_eq(pc_v_long(0), pc_v_long(-0), true);
    assert_eq(str_v(""), str_copy(""), true);
    assert_eq(str_v("ab"), str_v("abc"), false);
    assert_eq(ext_v(PC_FN_DECIMAL, "0.0"), ext_v(PC_FN_DECIMAL, "-0.0"), true);
    assert_eq(ext_v(PC_FN_DECIMAL, "123.0"), ext_v(PC_FN_DECIMAL, "0123.0000"), true);
    assert_eq(ext_v(PC_FN_DATETIME, "2024-10-28T10:12:13.456-0700"),
              ext_v(PC_FN_DATETIME, "2024-10-28T17:12:13.456Z"), true);
    assert_eq(ext_v(PC_FN_DURATION, "60m"), ext_v(PC_FN_DURATION, "1h"), true);
    assert_eq(ext_v(PC_FN_IP, "10.0.0.0/24"), ext_v(PC_FN_IP, "10.0.0.1/24"), false);
}

/* ---- names and printing ------------------------------------------------ */

static void type_names(void **state)
{
    (void)state;
    const char *names[] = {"bool",    "long",   "string",  "entity",   "set",
                           "record",  "decimal", "ipaddr", "datetime", "duration"};
    for (int t = PC_V_BOOL; t <= PC_V_DURATION; t++)
        assert_string_equal(pc_vtype_name((pc_vtype)t), names[t]);
    assert_string_equal(pc_vtype_name((pc_vtype)99), "unknown");
}

static void printing(void **state)
{
    (void)state;
    pc_field f[] = {{PC_STR_LIT("b"), pc_v_bool(false)},
                    {PC_STR_LIT("a key"), set_of((pc_value[]){pc_v_long(1), pc_v_long(-2)}, 2)},
                    {PC_STR_LIT("q\"k"), str_v("")}};
    const struct {
        pc_value v;
        const char *text;
    } cases[] = {
        {pc_v_bool(true), "true"},
        {pc_v_bool(false), "false"},
        {pc_v_long(INT64_MIN), "-9223372036854775808"},
        {pc_v_long(42), "42"},
        {str_v("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u{1}\""},
        {pc_v_string((pc_str){"x\0y", 3}), "\"x\\0y\""},
        {str_v("h\xc3\xa9llo"), "\"h\xc3\xa9llo\""},
        {uid_v("A::B::User", "al\"ice"), "A::B::User::\"al\\\"ice\""},
        {set_of(NULL, 0), "[]"},
        {set_of((pc_value[]){pc_v_long(1), str_v("x"), pc_v_long(1)}, 3), "[1, \"x\"]"},
        {pc_v_record(pc_record_make(&arena, NULL, 0, NULL)), "{}"},
        {pc_v_record(pc_record_make(&arena, f, 3, NULL)),
         "{\"a key\": [1, -2], \"b\": false, \"q\\\"k\": \"\"}"},
        {ext_v(PC_FN_DECIMAL, "1.5"), "decimal(\"1.5000\")"},
        {ext_v(PC_FN_DECIMAL, "-0.5"), "decimal(\"-0.5000\")"},
        {ext_v(PC_FN_IP, "10.0.0.0/8"), "ip(\"10.0.0.0/8\")"},
        {ext_v(PC_FN_IP, "::1"), "ip(\"::1\")"},
        {ext_v(PC_FN_DATETIME, "2024-01-01"), "datetime(\"2024-01-01T00:00:00.000Z\")"},
        {ext_v(PC_FN_DURATION, "90m"), "duration(\"1h30m\")"},
        {ext_v(PC_FN_DURATION, "-0ms"), "duration(\"0ms\")"},
        /* beyond year 9999 a datetime has no string form: epoch plus offset */
        {pc_v_ext_int(PC_V_DATETIME, INT64_MAX),
         "datetime(\"1970-01-01\").offset(duration(\"106751991167d7h12m55s807ms\"))"},
        {pc_v_ext_int(PC_V_DATETIME, INT64_C(-62167219200001)),
         "datetime(\"1970-01-01\").offset(duration(\"-719528d1ms\"))"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        assert_string_equal(show(&cases[i].v), cases[i].text);

    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_uid_print(&b, uid_v("Photo", "").u.uid));
    assert_string_equal(b.data, "Photo::\"\"");
    pc_buf_free(&b);
}

/* The arena texts for messages say exactly what the printers say, escapes or not. */
static void texts_in_the_arena(void **state)
{
    (void)state;
    const pc_str ids[] = {PC_STR_LIT("alice"), PC_STR_LIT(""), PC_STR_LIT("h\xc3\xa9llo"),
                          PC_STR_LIT("al\"ice"), PC_STR_LIT("back\\slash"), {"x\0y", 3},
                          PC_STR_LIT("tab\there"), PC_STR_LIT("del\x7f"), PC_STR_LIT("bad\xff")};
    for (size_t i = 0; i < N_ELEMS(ids); i++) {
        pc_uid u = {PC_STR_LIT("A::User"), ids[i]};
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_uid_print(&b, &u));
        assert_string_equal(pc_uid_text(&arena, &u), b.data);
        pc_buf_clear(&b);
        assert_true(pc_buf_cedar_escape(&b, ids[i].ptr, ids[i].len));
        assert_string_equal(pc_escape_text(&arena, ids[i]), b.data ? b.data : "");
        pc_buf_free(&b);
    }
    pc_arena tiny;
    pc_arena_init(&tiny, 64, 8);   /* too small for any text: NULL, not a crash */
    pc_uid u = {PC_STR_LIT("User"), PC_STR_LIT("alice")};
    assert_null(pc_uid_text(&tiny, &u));
    assert_null(pc_escape_text(&tiny, PC_STR_LIT("a long enough key")));
    pc_arena_free(&tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(set_dedupe_small, setup, teardown),
        cmocka_unit_test_setup_teardown(set_dedupe_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(set_dedupe_large, setup, teardown),
        cmocka_unit_test_setup_teardown(set_equality, setup, teardown),
        cmocka_unit_test_setup_teardown(set_contains, setup, teardown),
        cmocka_unit_test_setup_teardown(set_contains_large, setup, teardown),
        cmocka_unit_test_setup_teardown(set_of_large_sets, setup, teardown),
        cmocka_unit_test(sorting),
        cmocka_unit_test_setup_teardown(record_large_unsorted, setup, teardown),
        cmocka_unit_test_setup_teardown(record_sorting_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(record_duplicate_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(record_make_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(record_equality, setup, teardown),
        cmocka_unit_test_setup_teardown(uids, setup, teardown),
        cmocka_unit_test_setup_teardown(equality_across_types, setup, teardown),
        cmocka_unit_test(type_names),
        cmocka_unit_test_setup_teardown(printing, setup, teardown),
        cmocka_unit_test_setup_teardown(texts_in_the_arena, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
