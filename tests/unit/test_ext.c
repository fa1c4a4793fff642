/*
** tests/unit/test_ext.c — Cedar's extension types and the function table.
**
** Table-driven: each parser gets valid strings with the exact value they
** must produce, and invalid ones with the kind of failure the reference
** reports (its error classes show up here as words in the reason). Vectors
** come from the reference's own unit tests (cedar-policy-core extensions
** decimal.rs, ipaddr.rs, datetime.rs), from its documentation, and from the
** boundaries of int64, the calendar, prefixes and the string length limit.
** Methods are exercised through pc_ext_call, so the type checks and the
** error messages are tested on the same path the evaluator uses.
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

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------- */

static pc_value str_v(const char *s) { return pc_v_string(pc_str_from_cstr(s)); }

/* pc_value_print into the arena, for comparing with expected text. */
static const char *show(const pc_value *v)
{
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_value_print(&b, v));
    char *s = pc_arena_strdup(&arena, b.data);
    pc_buf_free(&b);
    return s;
}

static bool call(pc_fn fn, const pc_value *args, uint32_t n, pc_value *out, const char **err)
{
    *err = NULL;
    bool ok = pc_ext_call(fn, &arena, args, n, out, err);
    if (ok)
        assert_null(*err);
    else
        assert_non_null(*err);
    return ok;
}

/* Call a constructor that must succeed. */
static pc_value make(pc_fn ctor, const char *s)
{
    pc_value arg = str_v(s), out;
    const char *err;
    if (!call(ctor, &arg, 1, &out, &err))
        fail_msg("%s(\"%s\") failed: %s", pc_fn_get(ctor)->name, s, err);
    return out;
}

static pc_value call_ok(pc_fn fn, pc_value a, pc_value b)
{
    pc_value args[2] = {a, b}, out;
    const char *err;
    if (!call(fn, args, pc_fn_get(fn)->arity, &out, &err))
        fail_msg("%s failed: %s", pc_fn_get(fn)->name, err);
    return out;
}

static const char *call_err(pc_fn fn, pc_value a, pc_value b)
{
    pc_value args[2] = {a, b}, out;
    const char *err;
    assert_false(call(fn, args, pc_fn_get(fn)->arity, &out, &err));
    return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack ? haystack : "(null)", needle);
}

/* ---- the function table ----------------------------------------------- */

static const struct {
    pc_fn fn;
    const char *name;
    bool method, builtin;
    uint8_t arity;
} fn_table[] = {
    {PC_FN_DECIMAL, "decimal", false, false, 1},
    {PC_FN_IP, "ip", false, false, 1},
    {PC_FN_DATETIME, "datetime", false, false, 1},
    {PC_FN_DURATION, "duration", false, false, 1},
    {PC_FN_LESS_THAN, "lessThan", true, false, 2},
    {PC_FN_LESS_THAN_OR_EQUAL, "lessThanOrEqual", true, false, 2},
    {PC_FN_GREATER_THAN, "greaterThan", true, false, 2},
    {PC_FN_GREATER_THAN_OR_EQUAL, "greaterThanOrEqual", true, false, 2},
    {PC_FN_IS_IPV4, "isIpv4", true, false, 1},
    {PC_FN_IS_IPV6, "isIpv6", true, false, 1},
    {PC_FN_IS_LOOPBACK, "isLoopback", true, false, 1},
    {PC_FN_IS_MULTICAST, "isMulticast", true, false, 1},
    {PC_FN_IS_IN_RANGE, "isInRange", true, false, 2},
    {PC_FN_OFFSET, "offset", true, false, 2},
    {PC_FN_DURATION_SINCE, "durationSince", true, false, 2},
    {PC_FN_TO_DATE, "toDate", true, false, 1},
    {PC_FN_TO_TIME, "toTime", true, false, 1},
    {PC_FN_TO_DAYS, "toDays", true, false, 1},
    {PC_FN_TO_HOURS, "toHours", true, false, 1},
    {PC_FN_TO_MINUTES, "toMinutes", true, false, 1},
    {PC_FN_TO_SECONDS, "toSeconds", true, false, 1},
    {PC_FN_TO_MILLISECONDS, "toMilliseconds", true, false, 1},
    {PC_FN_CONTAINS, "contains", true, true, 2},
    {PC_FN_CONTAINS_ALL, "containsAll", true, true, 2},
    {PC_FN_CONTAINS_ANY, "containsAny", true, true, 2},
    {PC_FN_IS_EMPTY, "isEmpty", true, true, 1},
    {PC_FN_GET_TAG, "getTag", true, true, 2},
    {PC_FN_HAS_TAG, "hasTag", true, true, 2},
};

static void fn_table_is_complete(void **state)
{
    (void)state;
    assert_int_equal(N_ELEMS(fn_table), PC_FN_COUNT_);
    for (size_t i = 0; i < N_ELEMS(fn_table); i++) {
        const pc_fn_info *info = pc_fn_get(fn_table[i].fn);
        assert_non_null(info);
        assert_string_equal(info->name, fn_table[i].name);
        assert_int_equal(info->is_method, fn_table[i].method);
        assert_int_equal(info->is_builtin, fn_table[i].builtin);
        assert_int_equal(info->arity, fn_table[i].arity);
        pc_fn found;
        assert_true(pc_fn_lookup(pc_str_from_cstr(fn_table[i].name), fn_table[i].method, &found));
        assert_int_equal(found, fn_table[i].fn);
        /* The other call style is a parse error in the reference. */
        assert_false(pc_fn_lookup(pc_str_from_cstr(fn_table[i].name), !fn_table[i].method, &found));
    }
    assert_null(pc_fn_get(PC_FN_COUNT_));
}

static void fn_lookup_unknown(void **state)
{
    (void)state;
    const char *names[] = {"", "Decimal", "lessthan", "isIPv4", "ip ", "toDay", "like", "in"};
    pc_fn f;
    for (size_t i = 0; i < N_ELEMS(names); i++) {
        assert_false(pc_fn_lookup(pc_str_from_cstr(names[i]), false, &f));
        assert_false(pc_fn_lookup(pc_str_from_cstr(names[i]), true, &f));
    }
}

/* ---- decimal ----------------------------------------------------------- */

static const struct {
    const char *in;
    int64_t want;
} decimal_ok[] = {
    {"1.0", 10000},
    {"-1.0", -10000},
    {"123.456", 1234560},
    {"0.1234", 1234},
    {"-0.0123", -123},
    {"55.1", 551000},
    {"00.000", 0},
    {"0.0", 0},
    {"-0.0", 0},
    {"-0.5", -5000},        /* the sign belongs to the whole number */
    {"-0.0001", -1},
    {"123.0000", 1230000},
    {"0123.0", 1230000},
    {"000000000000000000000001.5", 15000},
    {"922337203685477.5807", INT64_MAX},
    {"-922337203685477.5808", INT64_MIN},
    {"-922337203685477.5807", -INT64_MAX},
    {"922337203685477.0", INT64_C(9223372036854770000)},
};

static const struct {
    const char *in;
    const char *why;   /* a word the reason must contain */
} decimal_bad[] = {
    {"", "well-formed"},
    {"1234", "well-formed"},
    {"1.0.", "well-formed"},
    {"1.", "well-formed"},
    {".1", "well-formed"},
    {"1.a", "well-formed"},
    {"-.", "well-formed"},
    {"-.5", "well-formed"},
    {"-", "well-formed"},
    {"+1.0", "well-formed"},
    {" 1.0", "well-formed"},
    {"1.0 ", "well-formed"},
    {"1.0\n", "well-formed"},
    {"1e3", "well-formed"},
    {"1,0", "well-formed"},
    {"--1.0", "well-formed"},
    {"1.-0", "well-formed"},
    {"1_0.0", "well-formed"},
    {"\xd9\xa1.\xd9\xa0", "well-formed"},   /* Arabic-Indic digits: not ASCII */
    {"1000000000000000.0", "overflow"},
    {"922337203685477.5808", "overflow"},
    {"-922337203685477.5809", "overflow"},
    {"-922337203685478.0", "overflow"},
    {"99999999999999999999.0", "overflow"},
    {"9223372036854775808.0", "overflow"},
    {"0.12345", "too many digits"},
    {"0.00000", "too many digits"},
    {"-1.00000", "too many digits"},
};

static void decimal_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(decimal_ok); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (!pc_decimal_parse(decimal_ok[i].in, strlen(decimal_ok[i].in), &v, &why))
            fail_msg("decimal(\"%s\") refused: %s", decimal_ok[i].in, why);
        assert_int_equal(v, decimal_ok[i].want);
    }
}

static void decimal_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(decimal_bad); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (pc_decimal_parse(decimal_bad[i].in, strlen(decimal_bad[i].in), &v, &why))
            fail_msg("decimal(\"%s\") accepted as %lld", decimal_bad[i].in, (long long)v);
        assert_contains(why, decimal_bad[i].why);
    }
}

static void decimal_print_round_trip(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *text;
    } cases[] = {
        {0, "0.0000"},           {10000, "1.0000"},     {-5000, "-0.5000"},
        {1234560, "123.4560"},   {-1, "-0.0001"},       {1230456, "123.0456"},
        {INT64_MAX, "922337203685477.5807"},            {INT64_MIN, "-922337203685477.5808"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_decimal_print(&b, cases[i].v));
        assert_string_equal(b.data, cases[i].text);
        int64_t back;
        const char *why;
        assert_true(pc_decimal_parse(b.data, b.len, &back, &why));
        assert_int_equal(back, cases[i].v);
        pc_buf_free(&b);
    }
}

static void decimal_methods(void **state)
{
    (void)state;
    /* The reference's table: a=1.23 b=1.24 c=123.45 d=-1.23 e=-1.24. */
    pc_value a = make(PC_FN_DECIMAL, "1.23"), b = make(PC_FN_DECIMAL, "1.24");
    pc_value c = make(PC_FN_DECIMAL, "123.45"), d = make(PC_FN_DECIMAL, "-1.23");
    pc_value e = make(PC_FN_DECIMAL, "-1.24");
    const struct {
        pc_value x, y;
        bool lt, le, gt, ge;
    } cases[] = {
        {a, b, true, true, false, false},   {a, a, false, true, false, true},
        {c, a, false, false, true, true},   {d, a, true, true, false, false},
        {d, e, false, false, true, true},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(call_ok(PC_FN_LESS_THAN, cases[i].x, cases[i].y).u.b, cases[i].lt);
        assert_int_equal(call_ok(PC_FN_LESS_THAN_OR_EQUAL, cases[i].x, cases[i].y).u.b, cases[i].le);
        assert_int_equal(call_ok(PC_FN_GREATER_THAN, cases[i].x, cases[i].y).u.b, cases[i].gt);
        assert_int_equal(call_ok(PC_FN_GREATER_THAN_OR_EQUAL, cases[i].x, cases[i].y).u.b,
                         cases[i].ge);
    }
    pc_value r = call_ok(PC_FN_LESS_THAN, a, b);
    assert_int_equal(r.type, PC_V_BOOL);
}

static void decimal_constructor_messages(void **state)
{
    (void)state;
    pc_value arg = str_v("1.23456"), out;
    const char *err;
    assert_false(call(PC_FN_DECIMAL, &arg, 1, &out, &err));
    assert_string_equal(err, "decimal(\"1.23456\"): too many digits after the decimal point "
                             "(at most 4)");
    /* The argument is shown escaped, so odd bytes cannot garble the message. */
    arg = str_v("a\"b\n");
    assert_false(call(PC_FN_DECIMAL, &arg, 1, &out, &err));
    assert_contains(err, "decimal(\"a\\\"b\\n\"): ");
}

/* ---- ipaddr ------------------------------------------------------------ */

static const struct {
    const char *in;
    const char *printed;   /* canonical form */
    bool v6;
    uint8_t prefix;
} ip_ok[] = {
    {"127.0.0.1", "127.0.0.1", false, 32},
    {"0.0.0.0", "0.0.0.0", false, 32},
    {"255.255.255.255/32", "255.255.255.255", false, 32},
    {"10.0.0.1/8", "10.0.0.1/8", false, 8},   /* host bits are kept */
    {"127.0.0.1/0", "127.0.0.1/0", false, 0},
    {"192.168.0.1/24", "192.168.0.1/24", false, 24},
    {"100.200.250.9", "100.200.250.9", false, 32},
    {"::", "::", true, 128},
    {"::1", "::1", true, 128},
    {"1::", "1::", true, 128},
    {"ffee::11", "ffee::11", true, 128},
    {"ffee::/64", "ffee::/64", true, 64},
    {"ffee::/0", "ffee::/0", true, 0},
    {"ffee::/128", "ffee::", true, 128},
    {"2001:DB8::8:800:200C:417A", "2001:db8::8:800:200c:417a", true, 128},
    {"FF01:0:0:0:0:0:0:101", "ff01::101", true, 128},
    {"0:0:0:0:0:0:0:1", "::1", true, 128},
    {"::ffff:ff00:1", "::ffff:ff00:1", true, 128},
    {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", true, 128},
    {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", true, 128},
    {"0001:0002::", "1:2::", true, 128},
    {"1:0:0:2:0:0:0:3", "1:0:0:2::3", true, 128},     /* the longest zero run */
    {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4", true, 128},   /* the first of equal runs */
    {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7", true, 128},   /* one zero group stays */
    {"1:2:3:4::/48", "1:2:3:4::/48", true, 48},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",   /* 43 characters: the limit */
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true, 128},
    {"::/0", "::/0", true, 0},
};

static const struct {
    const char *in;
    const char *why;
} ip_bad[] = {
    {"", "not a valid"},
    {"?", "not a valid"},
    {"380.0.0.1", "not a valid"},
    {"256.0.0.1", "not a valid"},
    {"ab.ab.ab.ab", "not a valid"},
    {"1.2.3", "not a valid"},
    {"1.2.3.4.5", "not a valid"},
    {"01.2.3.4", "not a valid"},    /* leading zeros are refused */
    {"1.2.3.04", "not a valid"},
    {"1.2.3.000", "not a valid"},
    {"1.2.3.1000", "not a valid"},
    {"1.2.3.-4", "not a valid"},
    {"1..2.3", "not a valid"},
    {" 1.2.3.4", "not a valid"},
    {"1.2.3.4 ", "not a valid"},
    {"0x1.2.3.4", "not a valid"},
    {"foo::1", "not a valid"},
    {"1::2::3", "not a valid"},
    {":::", "not a valid"},
    {":1::", "not a valid"},
    {"1:", "not a valid"},
    {"1:2:3:4:5:6:7", "not a valid"},
    {"1:2:3:4:5:6:7:8:9", "not a valid"},
    {"1:2:3:4:5:6:7:8::", "not a valid"},
    {"::1:2:3:4:5:6:7:8", "not a valid"},
    {"12345::", "not a valid"},
    {"g::", "not a valid"},
    {"fe80::1%eth0", "not a valid"},
    {"::ffff:127.0.0.1", "embedded"},
    {"::127.0.0.1", "embedded"},
    {"1.2.3.4/33", "prefix"},
    {"172.0.0.1/64", "prefix"},
    {"1.2.3.4/", "prefix"},
    {"1.2.3.4/08", "prefix"},
    {"1.2.3.4/-1", "prefix"},
    {"1.2.3.4/+8", "prefix"},
    {"1.2.3.4/100", "prefix"},
    {"127.0.0.1/8/24", "prefix"},
    {"10.0.0.0/33", "prefix"},
    {"ffee::/132", "prefix"},
    {"ffee::/+1", "prefix"},
    {"ffee::/01", "prefix"},
    {"ffee::/1234", "prefix"},
    {"::/129", "prefix"},
    {"::/00", "prefix"},
    {"fee::/64::1", "prefix"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/0128", "too long"},   /* 44 characters */
};

static void ip_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip_ok); i++) {
        pc_ipaddr ip;
        const char *why = NULL;
        if (!pc_ip_parse(ip_ok[i].in, strlen(ip_ok[i].in), &ip, &why))
            fail_msg("ip(\"%s\") refused: %s", ip_ok[i].in, why);
        assert_int_equal(ip.is_v6, ip_ok[i].v6);
        assert_int_equal(ip.prefix, ip_ok[i].prefix);
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_ip_print(&b, &ip));
        assert_string_equal(b.data, ip_ok[i].printed);
        /* The printed form parses back to an equal value. */
        pc_ipaddr back;
        assert_true(pc_ip_parse(b.data, b.len, &back, &why));
        assert_true(pc_ip_eq(&ip, &back));
        pc_buf_free(&b);
    }
}

static void ip_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(ip_bad); i++) {
        pc_ipaddr ip;
        const char *why = NULL;
        if (pc_ip_parse(ip_bad[i].in, strlen(ip_bad[i].in), &ip, &why))
            fail_msg("ip(\"%s\") accepted", ip_bad[i].in);
        assert_contains(why, ip_bad[i].why);
    }
}

static void ip_parse_bytes(void **state)
{
    (void)state;
    pc_ipaddr ip;
    const char *why;
    assert_true(pc_ip_parse("192.168.10.1/24", 15, &ip, &why));
    const uint8_t v4[4] = {192, 168, 10, 1};
    assert_memory_equal(ip.addr, v4, 4);
    assert_true(pc_ip_parse("2001:db8::ff00:42:8329", 22, &ip, &why));
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29};
    assert_memory_equal(ip.addr, v6, 16);
    /* A NUL inside the argument is a character like any other: refused. */
    assert_false(pc_ip_parse("1.2.3.4\0", 8, &ip, &why));
}

static bool ip_pred(pc_fn fn, const char *a) { return call_ok(fn, make(PC_FN_IP, a), pc_v_bool(false)).u.b; }

static void ip_version_loopback_multicast(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        bool v4, loopback, multicast;
    } cases[] = {
        {"127.0.0.1", true, true, false},
        {"127.0.0.2", true, true, false},
        {"127.255.255.255", true, true, false},
        {"127.0.0.1/8", true, true, false},
        {"127.0.0.1/7", true, false, false},   /* the range reaches past 127/8 */
        {"127.255.200.200/0", true, false, false},
        {"128.0.0.1", true, false, false},
        {"::1", false, true, false},
        {"::1/127", false, false, false},
        {"::2", false, false, false},
        {"::ffff:7f00:1", false, false, false},   /* IPv4-mapped is IPv6 here */
        {"224.0.0.1", true, false, true},
        {"228.228.228.0", true, false, true},
        {"239.255.255.255", true, false, true},
        {"240.0.0.0", true, false, false},
        {"223.255.255.255", true, false, false},
        {"224.0.0.0/4", true, false, true},
        {"224.0.0.0/5", true, false, true},
        {"224.0.0.0/3", true, false, false},
        {"127.0.0.1/1", true, false, false},
        {"ff00::", false, false, true},
        {"ff00::2", false, false, true},
        {"ff02::1", false, false, true},
        {"ff00::/8", false, false, true},
        {"ff00::/9", false, false, true},
        {"ff00::/7", false, false, false},
        {"fe00::", false, false, false},
        {"ffee::11", false, false, true},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        assert_int_equal(ip_pred(PC_FN_IS_IPV4, cases[i].ip), cases[i].v4);
        assert_int_equal(ip_pred(PC_FN_IS_IPV6, cases[i].ip), !cases[i].v4);
        if (ip_pred(PC_FN_IS_LOOPBACK, cases[i].ip) != cases[i].loopback)
            fail_msg("ip(\"%s\").isLoopback() should be %d", cases[i].ip, cases[i].loopback);
        if (ip_pred(PC_FN_IS_MULTICAST, cases[i].ip) != cases[i].multicast)
            fail_msg("ip(\"%s\").isMulticast() should be %d", cases[i].ip, cases[i].multicast);
    }
}

static void ip_in_range(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool in;
    } cases[] = {
        /* from the reference's tests */
        {"192.168.0.1/24", "192.168.0.1/24", true},
        {"192.168.0.1", "192.168.0.1/28", true},
        {"192.168.0.10", "192.168.0.1/24", true},
        {"192.168.0.10", "192.168.0.1/28", true},
        {"192.168.0.75", "192.168.0.1/24", true},
        {"192.168.0.75", "192.168.0.1/28", false},
        {"192.168.0.1", "192.168.0.1", true},
        {"1:2:3:4::", "1:2:3:4::/48", true},
        {"1:2:3:4::", "1:2:3:4::/52", true},
        {"1:2:3:6::", "1:2:3:4::/48", true},
        {"1:2:3:6::", "1:2:3:4::/52", true},
        {"1:2:3:ffff::", "1:2:3:4::/48", true},
        {"1:2:3:ffff::", "1:2:3:4::/52", false},
        {"1:2:3:4::", "1:2:3:4::", true},
        {"192.168.0.1", "1:2:3:4::/48", false},
        {"10.0.0.0", "10.0.0.0/24", true},
        {"10.0.0.0", "10.0.0.0/32", true},
        {"10.0.0.0", "10.0.0.1/24", true},
        {"10.0.0.0", "10.0.0.1/32", false},
        {"10.0.0.1", "10.0.0.0/24", true},
        {"10.0.0.1", "10.0.0.1/24", true},
        {"10.0.0.0/24", "10.0.0.0/32", false},
        {"10.0.0.0/32", "10.0.0.0/24", true},
        {"10.0.0.1/24", "10.0.0.0/24", true},
        {"10.0.0.1/24", "10.0.0.1/24", true},
        {"10.0.0.0/24", "10.0.0.1/24", true},
        {"10.0.0.0/24", "10.0.0.0/29", false},
        {"10.0.0.0/29", "10.0.0.0/24", true},
        {"10.0.0.0/24", "10.0.0.1/29", false},
        {"10.0.0.0/29", "10.0.0.1/24", true},
        {"10.0.0.1/24", "10.0.0.0/29", false},
        {"10.0.0.1/29", "10.0.0.0/24", true},
        {"10.0.0.0/32", "10.0.0.0/32", true},
        {"10.0.0.0/32", "10.0.0.0", true},
        /* prefixes that cut inside a byte, whole spaces, and the v4/v6 mix */
        {"128.0.0.0/1", "255.0.0.0/1", true},
        {"127.255.255.255", "128.0.0.0/1", false},
        {"10.0.0.0/24", "10.0.0.255/25", false},
        {"10.0.0.200", "10.0.0.255/25", true},
        {"0.0.0.0/0", "0.0.0.0/0", true},
        {"1.2.3.4", "0.0.0.0/0", true},
        {"::1", "::/0", true},
        {"::1", "1.2.3.4/0", false},
        {"1.2.3.4", "::/0", false},
        {"2001:db8::1", "2001:db8::/32", true},
        {"2001:db9::1", "2001:db8::/32", false},
        {"2001:db8::/31", "2001:db8::/32", false},
        {"2001:db8::/33", "2001:db8::/32", true},
        {"::ffff:ff00:1", "255.0.0.1/32", false},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        bool r = call_ok(PC_FN_IS_IN_RANGE, make(PC_FN_IP, cases[i].a), make(PC_FN_IP, cases[i].b)).u.b;
        if (r != cases[i].in)
            fail_msg("ip(\"%s\").isInRange(ip(\"%s\")) should be %d", cases[i].a, cases[i].b,
                     cases[i].in);
    }
}

static void ip_equality(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool eq;
    } cases[] = {
        {"127.0.0.1", "127.0.0.1", true},         {"192.168.0.1", "8.8.8.8", false},
        {"127.0.0.1", "::1", false},              {"127.0.0.1", "192.168.0.1/24", false},
        {"192.168.0.1/24", "8.8.8.8/8", false},   {"10.0.0.0/32", "10.0.0.0", true},
        {"10.0.0.0/24", "10.0.0.0", false},       {"10.0.0.0/24", "10.0.0.1/24", false},
        {"10.0.0.1/24", "10.0.0.1/29", false},    {"::1", "0:0:0:0:0:0:0:1", true},
        {"::1/128", "::1", true},                 {"::ffff:ff00:1", "255.0.0.1", false},
        {"FFEE::", "ffee:0::0", true},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        pc_value a = make(PC_FN_IP, cases[i].a), b = make(PC_FN_IP, cases[i].b);
        if (pc_value_eq(&a, &b) != cases[i].eq)
            fail_msg("ip(\"%s\") == ip(\"%s\") should be %d", cases[i].a, cases[i].b, cases[i].eq);
        assert_true(pc_ip_eq(a.u.ip, b.u.ip) == cases[i].eq);
    }
}

/* ---- datetime ---------------------------------------------------------- */

static const struct {
    const char *in;
    int64_t want;
} datetime_ok[] = {
    {"1970-01-01", 0},
    {"2024-10-28", INT64_C(1730073600000)},
    {"2024-10-28T01:22:33.456Z", INT64_C(1730078553456)},
    {"2024-10-28T10:12:13.456-0700", INT64_C(1730135533456)},
    {"2024-10-15T11:38:02Z", INT64_C(1728992282000)},
    {"2024-10-15T11:38:02.101Z", INT64_C(1728992282101)},
    {"2024-10-15T11:38:02.101+1134", INT64_C(1728950642101)},   /* 00:04:02.101Z */
    {"2024-10-15T11:38:02.101-1134", INT64_C(1729033922101)},   /* 23:12:02.101Z */
    {"2024-10-15T11:38:02+1134", INT64_C(1728950642000)},
    {"2024-10-15T11:38:02-1134", INT64_C(1729033922000)},
    {"2024-10-15T23:59:00+2359", INT64_C(1728950400000)},       /* 00:00:00Z */
    {"2024-10-15T00:00:00-2359", INT64_C(1729036740000)},       /* 23:59:00Z */
    {"1969-12-31T23:59:59.999Z", -1},
    {"1900-01-01", INT64_C(-2208988800000)},
    {"0000-01-01", INT64_C(-62167219200000)},
    {"0000-02-29", INT64_C(-62162121600000)},   /* year 0 is a leap year */
    {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999)},
    {"9999-12-31T23:59:59.999-2359", INT64_C(253402387139999)},   /* past 9999 in UTC */
    {"0000-01-01T00:00:00+2359", INT64_C(-62167305540000)},      /* before year 0 */
    {"2000-02-29", INT64_C(951782400000)},
    {"2024-02-29T12:00:00Z", INT64_C(1709208000000)},
    {"2024-01-01T00:00:00+0000", INT64_C(1704067200000)},
    {"2024-01-01T00:00:00-0000", INT64_C(1704067200000)},
};

static const struct {
    const char *in;
    const char *why;
} datetime_bad[] = {
    {"", "date pattern"},
    {"a", "date pattern"},
    {"-", "date pattern"},
    {"-1", "date pattern"},
    {"11-12-13", "date pattern"},
    {"1111-1x-20", "date pattern"},
    {"0000-0a-01", "date pattern"},
    {"10000-01-01", "date pattern"},
    {"10000-01-01T00:00:00Z", "date pattern"},
    {"22024-30-28T10:12:13.456-0700", "date pattern"},
    {"2024-1-01", "date pattern"},
    {"+2024-01-01", "date pattern"},
    {"2024/01/01", "date pattern"},
    {"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94-01-01", "date pattern"},  /* fullwidth */
    {"2024-00-01", "invalid date"},
    {"2024-01-00", "invalid date"},
    {"2024-02-30", "invalid date"},
    {"2025-02-29", "invalid date"},
    {"1900-02-29", "invalid date"},
    {"2100-02-29", "invalid date"},
    {"2024-20-01", "invalid date"},
    {"2024-01-32", "invalid date"},
    {"2024-01-99", "invalid date"},
    {"2024-04-31", "invalid date"},
    {"2024-13-01T00:00:00Z", "invalid date"},
    {"2024-10-15Z", "time pattern"},
    {"2024-01-01T", "time pattern"},
    {"2024-01-01Ta", "time pattern"},
    {"2024-01-01T01:", "time pattern"},
    {"2024-01-01T01:02", "time pattern"},
    {"2024-01-01T01:02:0b", "time pattern"},
    {"2024-01-01T01::02:03", "time pattern"},
    {"2024-01-01T01::02::03", "time pattern"},
    {"2024-01-01t00:00:00Z", "time pattern"},
    {"2024-01-01 00:00:00Z", "time pattern"},
    {"2024-01-01T0:00:00Z", "time pattern"},
    {"2024-01-01T00:00:00", "milliseconds or offset"},
    {"2024-01-01T00:00:00T", "milliseconds or offset"},
    {"2024-01-01T00:00:00ZZ", "milliseconds or offset"},
    {"2024-10-15T11:38:02ZZ", "milliseconds or offset"},
    {"2024-01-01T00:00:00x001Z", "milliseconds or offset"},
    {"2024-01-01T00:00:00.001ZZ", "milliseconds or offset"},
    {"2024-01-01T00:00:00\xe2\x9e\x95" "0000", "milliseconds or offset"},
    {"2024-01-01T00:00:00.0001Z", "milliseconds or offset"},
    {"2024-01-01T00:00:00.01Z", "milliseconds or offset"},
    {"2024-01-01T00:00:00.Z", "milliseconds or offset"},
    {"2024-01-01T00:00:00.001+00000", "milliseconds or offset"},
    {"2024-01-01T00:00:00.001-00000", "milliseconds or offset"},
    {"2024-01-01T00:00:00+000", "milliseconds or offset"},
    {"2024-01-01T00:00:00+00:00", "milliseconds or offset"},
    {"2024-01-01T00:00:00z", "milliseconds or offset"},
    {"2024-01-01T00:00:00.000", "milliseconds or offset"},
    {"2024-01-01T00:00:00Z ", "milliseconds or offset"},
    {"2024-01-01T31:02:03Z", "invalid time"},
    {"2024-01-01T24:00:00Z", "invalid time"},
    {"2024-01-01T01:60:03Z", "invalid time"},
    {"2016-12-31T23:59:60Z", "invalid time"},   /* no leap seconds */
    {"2016-12-31T23:59:61Z", "invalid time"},
    {"2016-12-31T00:00:00+1160", "invalid offset"},
    {"2016-12-31T00:00:00+1199", "invalid offset"},
    {"2016-12-31T00:00:00+2400", "invalid offset"},
    {"2016-12-31T00:00:00.000-9900", "invalid offset"},
    /* the date is judged before the time, the time before the offset */
    {"2024-02-30T24:00:00+2400", "invalid date"},
    {"2024-02-01T24:00:00+2400", "invalid time"},
};

static void datetime_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(datetime_ok); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (!pc_datetime_parse(datetime_ok[i].in, strlen(datetime_ok[i].in), &v, &why))
            fail_msg("datetime(\"%s\") refused: %s", datetime_ok[i].in, why);
        if (v != datetime_ok[i].want)
            fail_msg("datetime(\"%s\") is %lld, want %lld", datetime_ok[i].in, (long long)v,
                     (long long)datetime_ok[i].want);
    }
}

static void datetime_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(datetime_bad); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (pc_datetime_parse(datetime_bad[i].in, strlen(datetime_bad[i].in), &v, &why))
            fail_msg("datetime(\"%s\") accepted as %lld", datetime_bad[i].in, (long long)v);
        assert_contains(why, datetime_bad[i].why);
    }
}

static void datetime_print(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {INT64_C(1730078553456), "2024-10-28T01:22:33.456Z"},
        {INT64_C(-62167219200000), "0000-01-01T00:00:00.000Z"},
        {INT64_C(253402300799999), "9999-12-31T23:59:59.999Z"},
        {INT64_C(951782400000), "2000-02-29T00:00:00.000Z"},
        /* outside 0000..9999: ISO 8601 expanded years */
        {INT64_C(253402300800000), "+10000-01-01T00:00:00.000Z"},
        {INT64_C(-62167219200001), "-0001-12-31T23:59:59.999Z"},
        {INT64_MAX, "+292278994-08-17T07:12:55.807Z"},
        {INT64_MIN, "-292275055-05-16T16:47:04.192Z"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_datetime_print(&b, cases[i].ms));
        assert_string_equal(b.data, cases[i].text);
        pc_buf_free(&b);
    }
}

/* Every millisecond pattern in 0000..9999 prints to a string that parses back. */
static void datetime_round_trip(void **state)
{
    (void)state;
    const int64_t lo = INT64_C(-62167219200000), hi = INT64_C(253402300799999);
    uint64_t x = 0x243f6a8885a308d3ull;   /* deterministic LCG sequence */
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int64_t ms = lo + (int64_t)((x >> 11) % (uint64_t)(hi - lo + 1));
        if (i < 4)
            ms = (int64_t[]){lo, hi, 0, -1}[i];
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_datetime_print(&b, ms));
        int64_t back;
        const char *why;
        if (!pc_datetime_parse(b.data, b.len, &back, &why))
            fail_msg("%s: %s", b.data, why);
        assert_int_equal(back, ms);
        pc_buf_free(&b);
    }
}

/* ---- duration ---------------------------------------------------------- */

static const struct {
    const char *in;
    int64_t want;
} duration_ok[] = {
    {"1h", INT64_C(3600000)},
    {"-10h", INT64_C(-36000000)},
    {"5d3ms", INT64_C(432000003)},
    {"-3h5m", INT64_C(-11100000)},
    {"1d2h3m4s5ms", INT64_C(93784005)},
    {"-1d2h3m4s5ms", INT64_C(-93784005)},
    {"0ms", 0},
    {"-0ms", 0},
    {"0d", 0},
    {"1m1ms", INT64_C(60001)},
    {"1m", INT64_C(60000)},
    {"1s", INT64_C(1000)},
    {"1ms", 1},
    {"60m", INT64_C(3600000)},
    {"25h", INT64_C(90000000)},
    {"1d1ms", INT64_C(86400001)},
    {"0000001s", INT64_C(1000)},
    {"20020d", INT64_C(1729728000000)},
    {"106751991167d7h12m55s807ms", INT64_MAX},
    {"-106751991167d7h12m55s808ms", INT64_MIN},
    {"9223372036854775807ms", INT64_MAX},
    {"-9223372036854775808ms", INT64_MIN},
    {"-9223372036854775s808ms", INT64_MIN},
};

static const struct {
    const char *in;
    const char *why;
} duration_bad[] = {
    {"", "pattern"},
    {"a", "pattern"},
    {"-", "pattern"},
    {"-1", "pattern"},
    {"1", "pattern"},
    {"\xe2\x9e\x96" "1ms", "pattern"},
    {"11dd", "pattern"},
    {"00000mm", "pattern"},
    {"-d", "pattern"},
    {"-h", "pattern"},
    {"-1hh", "pattern"},
    {"-h2d", "pattern"},
    {"-ms", "pattern"},
    {"d", "pattern"},
    {"1ms1s", "pattern"},
    {"1ms1m", "pattern"},
    {"1ms1h", "pattern"},
    {"0ms1d", "pattern"},
    {"1s1m", "pattern"},
    {"1s1h", "pattern"},
    {"0s0d", "pattern"},
    {"0m0h", "pattern"},
    {"0m0d", "pattern"},
    {"1h1d", "pattern"},
    {"1ms1m1d", "pattern"},
    {"1d1d", "pattern"},
    {"1ms1ms", "pattern"},
    {"1 d", "pattern"},
    {" 1d", "pattern"},
    {"1d ", "pattern"},
    {"1D", "pattern"},
    {"1.5h", "pattern"},
    {"+1d", "pattern"},
    {"1w", "pattern"},
    {"--1d", "pattern"},
    {"1d-1h", "pattern"},
    {"1d\n", "pattern"},
    {"9223372036854775808ms", "overflow"},
    {"-9223372036854775809ms", "overflow"},
    {"106751991167d7h12m55s808ms", "overflow"},
    {"-106751991167d7h12m55s809ms", "overflow"},
    {"18446744073709551616ms", "overflow"},
    {"99999999999999999999999d", "overflow"},
    {"9223372036854775807s", "overflow"},
    {"-9223372036854775808s", "overflow"},
    {"106751991168d", "overflow"},
    {"9223372036854775807ms1d", "pattern"},   /* the pattern is checked first */
};

static void duration_parse_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(duration_ok); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (!pc_duration_parse(duration_ok[i].in, strlen(duration_ok[i].in), &v, &why))
            fail_msg("duration(\"%s\") refused: %s", duration_ok[i].in, why);
        if (v != duration_ok[i].want)
            fail_msg("duration(\"%s\") is %lld, want %lld", duration_ok[i].in, (long long)v,
                     (long long)duration_ok[i].want);
    }
}

static void duration_parse_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(duration_bad); i++) {
        int64_t v = 0;
        const char *why = NULL;
        if (pc_duration_parse(duration_bad[i].in, strlen(duration_bad[i].in), &v, &why))
            fail_msg("duration(\"%s\") accepted as %lld", duration_bad[i].in, (long long)v);
        assert_contains(why, duration_bad[i].why);
    }
}

static void duration_print_round_trip(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "0ms"},
        {1, "1ms"},
        {-1, "-1ms"},
        {INT64_C(3600000), "1h"},
        {INT64_C(93784005), "1d2h3m4s5ms"},
        {INT64_C(-93784005), "-1d2h3m4s5ms"},
        {INT64_C(86400001), "1d1ms"},
        {INT64_MAX, "106751991167d7h12m55s807ms"},
        {INT64_MIN, "-106751991167d7h12m55s808ms"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        pc_buf b;
        pc_buf_init(&b);
        assert_true(pc_duration_print(&b, cases[i].ms));
        assert_string_equal(b.data, cases[i].text);
        int64_t back;
        const char *why;
        assert_true(pc_duration_parse(b.data, b.len, &back, &why));
        assert_int_equal(back, cases[i].ms);
        pc_buf_free(&b);
    }
}

/* ---- datetime and duration methods -------------------------------------- */

static pc_value dt(const char *s) { return make(PC_FN_DATETIME, s); }
static pc_value dur(const char *s) { return make(PC_FN_DURATION, s); }
static pc_value dt_ms(int64_t ms) { return pc_v_ext_int(PC_V_DATETIME, ms); }
static pc_value dur_ms(int64_t ms) { return pc_v_ext_int(PC_V_DURATION, ms); }
static const pc_value none = {0};

static void assert_value(pc_value got, pc_value want)
{
    if (!pc_value_eq(&got, &want))
        fail_msg("got %s, want %s", show(&got), show(&want));
}

static void offset_and_duration_since(void **state)
{
    (void)state;
    assert_value(call_ok(PC_FN_OFFSET, dt("2024-10-28T10:12:13.456-0700"), dur("-7h")),
                 dt("2024-10-28T10:12:13.456Z"));
    assert_value(call_ok(PC_FN_OFFSET, dt("2024-10-28T10:12:13.456+0700"), dur("7h")),
                 dt("2024-10-28T10:12:13.456Z"));
    assert_value(call_ok(PC_FN_OFFSET, dt_ms(0), dur("1d")), dt("1970-01-02"));
    assert_value(call_ok(PC_FN_OFFSET, dt_ms(0), dur("-1d")), dt("1969-12-31"));
    assert_value(call_ok(PC_FN_OFFSET, dt_ms(INT64_MAX), dur("-1ms")), dt_ms(INT64_MAX - 1));
    assert_value(call_ok(PC_FN_OFFSET, dt_ms(INT64_MIN), dur("1ms")), dt_ms(INT64_MIN + 1));
    assert_contains(call_err(PC_FN_OFFSET, dt_ms(INT64_MAX), dur("1ms")), "overflow");
    assert_contains(call_err(PC_FN_OFFSET, dt_ms(INT64_MIN), dur("-1ms")), "overflow");

    assert_value(call_ok(PC_FN_DURATION_SINCE, dt("2024-10-28T10:12:13.456+0700"),
                         dt("2024-10-28T10:12:13.456Z")),
                 dur("-7h"));
    assert_value(call_ok(PC_FN_DURATION_SINCE, dt("2024-10-28T10:12:13.456-0700"),
                         dt("2024-10-28T10:12:13.456Z")),
                 dur("7h"));
    assert_value(call_ok(PC_FN_DURATION_SINCE, dt("2024-10-24"), dt_ms(0)), dur("20020d"));
    assert_value(call_ok(PC_FN_DURATION_SINCE, dt("2024-10-23"), dt("2024-10-24")), dur("-1d"));
    const char *err = call_err(PC_FN_DURATION_SINCE, dt("2024-10-24"), dt_ms(INT64_MIN));
    assert_contains(err, "durationSince");
    assert_contains(err, "overflow");
    /* The result types: offset gives a datetime, durationSince a duration. */
    assert_int_equal(call_ok(PC_FN_OFFSET, dt_ms(0), dur("1s")).type, PC_V_DATETIME);
    assert_int_equal(call_ok(PC_FN_DURATION_SINCE, dt_ms(0), dt_ms(0)).type, PC_V_DURATION);
}

static void to_date_and_to_time(void **state)
{
    (void)state;
    const char *days[] = {"2024-10-24", "2024-10-23", "1970-01-01", "1900-01-01", "0000-01-01"};
    pc_value max_in_day = dur("23h59m59s999ms"), min_in_day = dur("-23h59m59s999ms");
    for (size_t i = 0; i < N_ELEMS(days); i++) {
        pc_value d = dt(days[i]);
        pc_value late = call_ok(PC_FN_OFFSET, d, max_in_day);
        pc_value early = call_ok(PC_FN_OFFSET, d, min_in_day);   /* 1 ms into the day before */
        assert_value(call_ok(PC_FN_TO_DATE, d, none), d);
        assert_value(call_ok(PC_FN_TO_DATE, late, none), d);
        assert_value(call_ok(PC_FN_TO_DATE, early, none), call_ok(PC_FN_OFFSET, d, dur("-1d")));
        assert_value(call_ok(PC_FN_TO_TIME, d, none), dur("0ms"));
        assert_value(call_ok(PC_FN_TO_TIME, late, none), max_in_day);
        assert_value(call_ok(PC_FN_TO_TIME, early, none), dur("1ms"));
    }
    assert_value(call_ok(PC_FN_TO_DATE, dt("2024-10-28T10:12:13.456+0700"), none), dt("2024-10-28"));
    assert_value(call_ok(PC_FN_TO_DATE, dt("2024-10-28T20:12:13.456-0700"), none), dt("2024-10-29"));
    assert_value(call_ok(PC_FN_TO_TIME, dt("2024-10-28T10:12:13.456+0700"), none),
                 dur("3h12m13s456ms"));
    assert_value(call_ok(PC_FN_TO_TIME, dt_ms(-1), none), dur("23h59m59s999ms"));
    assert_value(call_ok(PC_FN_TO_TIME, dt_ms(INT64_MIN), none), dur("16h47m4s192ms"));
    assert_value(call_ok(PC_FN_TO_DATE, dt_ms(INT64_MAX), none),
                 dt_ms(INT64_MAX - INT64_C(25975807)));
    /* Midnight of INT64_MIN's day lies below INT64_MIN. */
    assert_contains(call_err(PC_FN_TO_DATE, dt_ms(INT64_MIN), none), "overflow");
    /* The first midnight above INT64_MIN is its own date. */
    assert_value(call_ok(PC_FN_TO_DATE, dt_ms(INT64_MIN + INT64_C(25975808)), none),
                 dt_ms(INT64_MIN + INT64_C(25975808)));
    assert_contains(call_err(PC_FN_TO_DATE, dt_ms(INT64_MIN + INT64_C(25975807)), none),
                    "overflow");
}

static void duration_units(void **state)
{
    (void)state;
    static const struct {
        const char *d;
        int64_t days, hours, minutes, seconds, ms;
    } cases[] = {
        {"10d23h59m58s999ms", 10, 263, 15839, 950398, INT64_C(950398999)},
        {"-10d23h59m58s999ms", -10, -263, -15839, -950398, INT64_C(-950398999)},
        {"0ms", 0, 0, 0, 0, 0},
        {"999ms", 0, 0, 0, 0, 999},
        {"-999ms", 0, 0, 0, 0, -999},   /* truncation toward zero */
        {"-1s1ms", 0, 0, 0, -1, -1001},
        {"-106751991167d7h12m55s808ms", INT64_C(-106751991167), INT64_C(-2562047788015),
         INT64_C(-153722867280912), INT64_C(-9223372036854775), INT64_MIN},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        pc_value d = dur(cases[i].d);
        assert_int_equal(call_ok(PC_FN_TO_DAYS, d, none).u.l, cases[i].days);
        assert_int_equal(call_ok(PC_FN_TO_HOURS, d, none).u.l, cases[i].hours);
        assert_int_equal(call_ok(PC_FN_TO_MINUTES, d, none).u.l, cases[i].minutes);
        assert_int_equal(call_ok(PC_FN_TO_SECONDS, d, none).u.l, cases[i].seconds);
        assert_int_equal(call_ok(PC_FN_TO_MILLISECONDS, d, none).u.l, cases[i].ms);
        assert_int_equal(call_ok(PC_FN_TO_DAYS, d, none).type, PC_V_LONG);
    }
}

/* ---- type checks and refusals ------------------------------------------ */

static void type_errors(void **state)
{
    (void)state;
    pc_value dec = make(PC_FN_DECIMAL, "1.0"), ip = make(PC_FN_IP, "1.2.3.4");
    const char *err = call_err(PC_FN_LESS_THAN, make(PC_FN_DECIMAL, "-1.23"), str_v("1.23"));
    assert_contains(err, "type error");
    assert_contains(err, "lessThan");
    assert_contains(err, "got string");
    assert_contains(err, "`decimal` constructor");

    err = call_err(PC_FN_IS_IN_RANGE, ip, pc_v_long(1));
    assert_string_equal(err, "type error: isInRange expects an argument of type ipaddr, got long");
    err = call_err(PC_FN_IS_IN_RANGE, pc_v_long(1), ip);
    assert_string_equal(err, "type error: isInRange expects ipaddr, got long");
    err = call_err(PC_FN_IS_IPV4, str_v("127.0.0.1"), none);
    assert_contains(err, "`ip` constructor");
    err = call_err(PC_FN_OFFSET, dt_ms(0), str_v("7h"));
    assert_contains(err, "`duration` constructor");
    err = call_err(PC_FN_DURATION_SINCE, dt_ms(0), str_v("7h"));
    assert_contains(err, "`datetime` constructor");
    err = call_err(PC_FN_DECIMAL, pc_v_long(1), none);
    assert_string_equal(err, "type error: decimal expects string, got long");
    err = call_err(PC_FN_IP, pc_v_set(NULL), none);
    assert_string_equal(err, "type error: ip expects string, got set");
    /* Look-alike payloads do not pass: a duration is not a datetime. */
    err = call_err(PC_FN_TO_DATE, dur_ms(0), none);
    assert_contains(err, "expects datetime, got duration");
    err = call_err(PC_FN_TO_DAYS, dt_ms(0), none);
    assert_contains(err, "expects duration, got datetime");
    err = call_err(PC_FN_LESS_THAN, dec, pc_v_long(10000));
    assert_contains(err, "got long");
    assert_null(strstr(err, "constructor"));   /* advice only for strings */
}

static void arity_and_builtins(void **state)
{
    (void)state;
    pc_value args[3] = {make(PC_FN_IP, "1.2.3.4"), make(PC_FN_IP, "1.2.3.4"), pc_v_long(0)}, out;
    const char *err;
    assert_false(call(PC_FN_IS_IN_RANGE, args, 1, &out, &err));
    assert_contains(err, "isInRange takes 2 arguments");
    assert_false(call(PC_FN_IS_IPV4, args, 2, &out, &err));
    assert_contains(err, "isIpv4 takes 1 argument");
    assert_false(call(PC_FN_DECIMAL, args, 0, &out, &err));
    assert_contains(err, "decimal takes 1 argument, got 0");
    for (pc_fn f = PC_FN_CONTAINS; f < PC_FN_COUNT_; f++) {
        assert_false(call(f, args, pc_fn_get(f)->arity, &out, &err));
        assert_contains(err, "built-in");
    }
    assert_false(call(PC_FN_COUNT_, args, 1, &out, &err));
}

static void constructor_errors(void **state)
{
    (void)state;
    static const struct {
        pc_fn fn;
        const char *arg, *msg;
    } cases[] = {
        {PC_FN_IP, "380.0.0.1", "ip(\"380.0.0.1\"): not a valid IPv4 or IPv6 address"},
        {PC_FN_DATETIME, "2024-02-30", "datetime(\"2024-02-30\"): invalid date: no such day in that month"},
        {PC_FN_DURATION, "1h1d", "duration(\"1h1d\"): invalid duration pattern"},
        {PC_FN_DECIMAL, "", "decimal(\"\"): not a well-formed decimal value"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        const char *err = call_err(cases[i].fn, str_v(cases[i].arg), none);
        if (strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("message \"%s\" does not start with \"%s\"", err, cases[i].msg);
    }
    /* A long argument is cut visibly, at a character boundary. */
    char big[1000];
    for (size_t i = 0; i < sizeof big - 1; i += 2) {
        big[i] = '\xc3';   /* "é" */
        big[i + 1] = '\xa9';
    }
    big[sizeof big - 1] = '\0';
    const char *err = call_err(PC_FN_DECIMAL, str_v(big), none);
    assert_contains(err, "\"...): ");
    assert_true(strlen(err) < 400);
    assert_true(pc_utf8_valid(err, strlen(err)));
}

static void constructor_results(void **state)
{
    (void)state;
    pc_value v = make(PC_FN_DECIMAL, "1.5");
    assert_int_equal(v.type, PC_V_DECIMAL);
    assert_int_equal(v.u.l, 15000);
    v = make(PC_FN_DATETIME, "1970-01-01T00:00:01Z");
    assert_int_equal(v.type, PC_V_DATETIME);
    assert_int_equal(v.u.l, 1000);
    v = make(PC_FN_DURATION, "2s");
    assert_int_equal(v.type, PC_V_DURATION);
    assert_int_equal(v.u.l, 2000);
    v = make(PC_FN_IP, "10.0.0.0/8");
    assert_int_equal(v.type, PC_V_IPADDR);
    assert_int_equal(v.u.ip->prefix, 8);
    assert_string_equal(show(&v), "ip(\"10.0.0.0/8\")");
    /* A string with an embedded NUL is not cut at the NUL. */
    pc_value arg = pc_v_string((pc_str){"1.0\0", 4}), out;
    const char *err;
    assert_false(call(PC_FN_DECIMAL, &arg, 1, &out, &err));
    assert_contains(err, "\\0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fn_table_is_complete),
        cmocka_unit_test(fn_lookup_unknown),
        cmocka_unit_test(decimal_parse_valid),
        cmocka_unit_test(decimal_parse_invalid),
        cmocka_unit_test(decimal_print_round_trip),
        cmocka_unit_test_setup_teardown(decimal_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(decimal_constructor_messages, setup, teardown),
        cmocka_unit_test(ip_parse_valid),
        cmocka_unit_test(ip_parse_invalid),
        cmocka_unit_test(ip_parse_bytes),
        cmocka_unit_test_setup_teardown(ip_version_loopback_multicast, setup, teardown),
        cmocka_unit_test_setup_teardown(ip_in_range, setup, teardown),
        cmocka_unit_test_setup_teardown(ip_equality, setup, teardown),
        cmocka_unit_test(datetime_parse_valid),
        cmocka_unit_test(datetime_parse_invalid),
        cmocka_unit_test(datetime_print),
        cmocka_unit_test(datetime_round_trip),
        cmocka_unit_test(duration_parse_valid),
        cmocka_unit_test(duration_parse_invalid),
        cmocka_unit_test(duration_print_round_trip),
        cmocka_unit_test_setup_teardown(offset_and_duration_since, setup, teardown),
        cmocka_unit_test_setup_teardown(to_date_and_to_time, setup, teardown),
        cmocka_unit_test_setup_teardown(duration_units, setup, teardown),
        cmocka_unit_test_setup_teardown(type_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(arity_and_builtins, setup, teardown),
        cmocka_unit_test_setup_teardown(constructor_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(constructor_results, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
