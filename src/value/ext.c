/*
** value/ext.c — the table of Cedar's named functions and the dispatcher of
** the extension ones.
**
** One table row per pc_fn says everything static about the function: its
** name and call style (for the parser), its arity and the type each argument
** must have (so pc_ext_call checks types once, generically, before any
** implementation runs), and the implementation. Implementations are grouped
** by what they share (all int64-backed constructors, all ipaddr predicates,
** ...) and receive the pc_fn to tell the members apart; the arithmetic itself
** lives in decimal.c, ip.c and datetime.c.
**
** Errors are values: a message allocated from the caller's arena that names
** the function, shows the argument (escaped; cut visibly with "..." when very
** long) and says why. If even that allocation fails the message is a static
** "out of memory" string, so *err is always set on failure. Messages go
** straight to the arena (evaluating never touches the heap) except the
** overflow of datetime arithmetic, whose operands are printed by the value
** printer through a short-lived heap buffer: that takes dates tens of
** millions of years away, which no ordinary request holds.
*/
#include <stdarg.h>
#include <string.h>

#include "ext_internal.h"

#define MSG_ARG_MAX 256   /* bytes of a string argument quoted in a message */

typedef bool (*ext_run)(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                        const char **err);

typedef struct ext_entry {
    pc_fn_info info;
    ext_run run;        /* NULL for the built-in methods evaluated by eval/ */
    uint8_t types[2];   /* the pc_vtype of each argument, receiver first */
} ext_entry;

static bool run_int_constructor(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);
static bool run_ip_constructor(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);
static bool run_decimal_compare(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);
static bool run_ip_test(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);
static bool run_datetime_op(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);
static bool run_duration_unit(pc_fn, pc_arena *, const pc_value *, pc_value *, const char **);

#define FUNC(name, run, t0) {{name, false, false, 1}, run, {t0, 0}}
#define METHOD1(name, run, t0) {{name, true, false, 1}, run, {t0, 0}}
#define METHOD2(name, run, t0, t1) {{name, true, false, 2}, run, {t0, t1}}
#define BUILTIN(name, arity) {{name, true, true, arity}, NULL, {0, 0}}

static const ext_entry table[PC_FN_COUNT_] = {
    [PC_FN_DECIMAL] = FUNC("decimal", run_int_constructor, PC_V_STRING),
    [PC_FN_IP] = FUNC("ip", run_ip_constructor, PC_V_STRING),
    [PC_FN_DATETIME] = FUNC("datetime", run_int_constructor, PC_V_STRING),
    [PC_FN_DURATION] = FUNC("duration", run_int_constructor, PC_V_STRING),
    [PC_FN_LESS_THAN] = METHOD2("lessThan", run_decimal_compare, PC_V_DECIMAL, PC_V_DECIMAL),
    [PC_FN_LESS_THAN_OR_EQUAL] =
        METHOD2("lessThanOrEqual", run_decimal_compare, PC_V_DECIMAL, PC_V_DECIMAL),
    [PC_FN_GREATER_THAN] = METHOD2("greaterThan", run_decimal_compare, PC_V_DECIMAL, PC_V_DECIMAL),
    [PC_FN_GREATER_THAN_OR_EQUAL] =
        METHOD2("greaterThanOrEqual", run_decimal_compare, PC_V_DECIMAL, PC_V_DECIMAL),
    [PC_FN_IS_IPV4] = METHOD1("isIpv4", run_ip_test, PC_V_IPADDR),
    [PC_FN_IS_IPV6] = METHOD1("isIpv6", run_ip_test, PC_V_IPADDR),
    [PC_FN_IS_LOOPBACK] = METHOD1("isLoopback", run_ip_test, PC_V_IPADDR),
    [PC_FN_IS_MULTICAST] = METHOD1("isMulticast", run_ip_test, PC_V_IPADDR),
    [PC_FN_IS_IN_RANGE] = METHOD2("isInRange", run_ip_test, PC_V_IPADDR, PC_V_IPADDR),
    [PC_FN_OFFSET] = METHOD2("offset", run_datetime_op, PC_V_DATETIME, PC_V_DURATION),
    [PC_FN_DURATION_SINCE] =
        METHOD2("durationSince", run_datetime_op, PC_V_DATETIME, PC_V_DATETIME),
    [PC_FN_TO_DATE] = METHOD1("toDate", run_datetime_op, PC_V_DATETIME),
    [PC_FN_TO_TIME] = METHOD1("toTime", run_datetime_op, PC_V_DATETIME),
    [PC_FN_TO_DAYS] = METHOD1("toDays", run_duration_unit, PC_V_DURATION),
    [PC_FN_TO_HOURS] = METHOD1("toHours", run_duration_unit, PC_V_DURATION),
    [PC_FN_TO_MINUTES] = METHOD1("toMinutes", run_duration_unit, PC_V_DURATION),
    [PC_FN_TO_SECONDS] = METHOD1("toSeconds", run_duration_unit, PC_V_DURATION),
    [PC_FN_TO_MILLISECONDS] = METHOD1("toMilliseconds", run_duration_unit, PC_V_DURATION),
    [PC_FN_CONTAINS] = BUILTIN("contains", 2),
    [PC_FN_CONTAINS_ALL] = BUILTIN("containsAll", 2),
    [PC_FN_CONTAINS_ANY] = BUILTIN("containsAny", 2),
    [PC_FN_IS_EMPTY] = BUILTIN("isEmpty", 1),
    [PC_FN_GET_TAG] = BUILTIN("getTag", 2),
    [PC_FN_HAS_TAG] = BUILTIN("hasTag", 2),
};

const pc_fn_info *pc_fn_get(pc_fn fn)
{
    return (unsigned)fn < PC_FN_COUNT_ ? &table[fn].info : NULL;
}

bool pc_fn_lookup(pc_str name, bool as_method, pc_fn *out)
{
    for (unsigned f = 0; f < PC_FN_COUNT_; f++) {
        if (table[f].info.is_method == as_method && pc_str_eq_cstr(name, table[f].info.name)) {
            *out = (pc_fn)f;
            return true;
        }
    }
    return false;
}

/* ---- error messages ---------------------------------------------------- */

static const char out_of_memory[] = "out of memory while reporting an extension error";

static bool fail(pc_arena *a, const char **err, const char *fmt, ...) PC_PRINTF(3, 4);

static bool fail(pc_arena *a, const char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = pc_arena_vprintf(a, fmt, ap);
    va_end(ap);
    *err = msg ? msg : out_of_memory;
    return false;
}

/* Move a message built in b into the arena (b is freed either way). */
static bool fail_buf(pc_arena *a, pc_buf *b, const char **err)
{
    pc_str s = b->oom ? PC_STR_NULL : pc_arena_str(a, b->data ? b->data : "", b->len);
    pc_buf_free(b);
    *err = s.ptr ? s.ptr : out_of_memory;
    return false;
}

/* A string argument as quoted in a message: cut at a character boundary if long. */
static pc_str cut_arg(pc_str s)
{
    size_t n = s.len;
    if (n > MSG_ARG_MAX) {
        n = MSG_ARG_MAX;
        while (n > 0 && ((unsigned char)s.ptr[n] & 0xc0) == 0x80)
            n--;   /* do not split a UTF-8 sequence */
    }
    return (pc_str){s.ptr, n};
}

/* The constructor that makes values of an extension type, for advice. */
static const char *constructor_of(uint8_t t)
{
    switch (t) {
    case PC_V_DECIMAL: return "decimal";
    case PC_V_IPADDR: return "ip";
    case PC_V_DATETIME: return "datetime";
    case PC_V_DURATION: return "duration";
    default: return NULL;
    }
}

static bool fail_type(pc_arena *a, const ext_entry *e, uint32_t i, uint8_t got,
                      const char **err)
{
    /* A string where an extension value belongs is usually a missing constructor. */
    const char *ctor = constructor_of(e->types[i]);
    bool advise = got == PC_V_STRING && ctor;
    return fail(a, err, "type error: %s expects %s%s, got %s%s%s%s", e->info.name,
                i == 0 ? "" : "an argument of type ", pc_vtype_name((pc_vtype)e->types[i]),
                pc_vtype_name((pc_vtype)got), advise ? " (maybe you forgot to apply the `" : "",
                advise ? ctor : "", advise ? "` constructor?)" : "");
}

static bool fail_parse(pc_arena *a, pc_fn fn, pc_str arg, const char *why, const char **err)
{
    pc_str cut = cut_arg(arg);
    const char *text = pc_escape_text(a, cut);
    if (!text)
        return fail(a, err, "%s: out of memory", table[fn].info.name);
    return fail(a, err, "%s(\"%s\"%s): %s", table[fn].info.name, text,
                cut.len < arg.len ? "..." : "", why);
}

/* "recv.name(arg): the result overflows the <type> range" */
static bool fail_overflow(pc_arena *a, pc_fn fn, const pc_value *args, pc_vtype result,
                          const char **err)
{
    const ext_entry *e = &table[fn];
    pc_buf b;
    pc_buf_init(&b);
    pc_value_print(&b, &args[0]);
    pc_buf_printf(&b, ".%s(", e->info.name);
    if (e->info.arity == 2)
        pc_value_print(&b, &args[1]);
    pc_buf_printf(&b, "): the result overflows the %s range (64-bit milliseconds)",
                  pc_vtype_name(result));
    return fail_buf(a, &b, err);
}

/* ---- implementations --------------------------------------------------- */

static bool run_int_constructor(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                                const char **err)
{
    pc_str s = args[0].u.s;
    const char *why = NULL;
    int64_t v;
    bool ok;
    pc_vtype t;
    switch (fn) {
    case PC_FN_DECIMAL: ok = pc_decimal_parse(s.ptr, s.len, &v, &why); t = PC_V_DECIMAL; break;
    case PC_FN_DATETIME: ok = pc_datetime_parse(s.ptr, s.len, &v, &why); t = PC_V_DATETIME; break;
    default: ok = pc_duration_parse(s.ptr, s.len, &v, &why); t = PC_V_DURATION; break;
    }
    if (!ok)
        return fail_parse(a, fn, s, why, err);
    *out = pc_v_ext_int(t, v);
    return true;
}

static bool run_ip_constructor(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                               const char **err)
{
    pc_str s = args[0].u.s;
    const char *why = NULL;
    pc_ipaddr ip;
    if (!pc_ip_parse(s.ptr, s.len, &ip, &why))
        return fail_parse(a, fn, s, why, err);
    pc_ipaddr *copy = pc_arena_alloc(a, sizeof *copy);
    if (!copy)
        return fail(a, err, "ip: out of memory");
    *copy = ip;
    *out = pc_v_ip(copy);
    return true;
}

static bool run_decimal_compare(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                                const char **err)
{
    int64_t x = args[0].u.l, y = args[1].u.l;
    bool r;
    switch (fn) {
    case PC_FN_LESS_THAN: r = x < y; break;
    case PC_FN_LESS_THAN_OR_EQUAL: r = x <= y; break;
    case PC_FN_GREATER_THAN: r = x > y; break;
    default: r = x >= y; break;   /* PC_FN_GREATER_THAN_OR_EQUAL */
    }
    *out = pc_v_bool(r);
    return true;
}

static bool run_ip_test(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                        const char **err)
{
    const pc_ipaddr *ip = args[0].u.ip;
    bool r;
    switch (fn) {
    case PC_FN_IS_IPV4: r = !ip->is_v6; break;
    case PC_FN_IS_IPV6: r = ip->is_v6; break;
    case PC_FN_IS_LOOPBACK: r = pc_ip_is_loopback(ip); break;
    case PC_FN_IS_MULTICAST: r = pc_ip_is_multicast(ip); break;
    default: r = pc_ip_in_range(ip, args[1].u.ip); break;   /* PC_FN_IS_IN_RANGE */
    }
    *out = pc_v_bool(r);
    return true;
}

static bool run_datetime_op(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                            const char **err)
{
    int64_t dt = args[0].u.l, r;
    bool ok = true;
    pc_vtype t = PC_V_DATETIME;
    switch (fn) {
    case PC_FN_OFFSET: ok = pc_datetime_offset(dt, args[1].u.l, &r); break;
    case PC_FN_DURATION_SINCE:
        ok = pc_datetime_since(dt, args[1].u.l, &r);
        t = PC_V_DURATION;
        break;
    case PC_FN_TO_DATE: ok = pc_datetime_to_date(dt, &r); break;
    default:   /* PC_FN_TO_TIME: a remainder, it cannot overflow */
        r = pc_datetime_to_time(dt);
        t = PC_V_DURATION;
        break;
    }
    if (!ok)
        return fail_overflow(a, fn, args, t, err);
    *out = pc_v_ext_int(t, r);
    return true;
}

static bool run_duration_unit(pc_fn fn, pc_arena *a, const pc_value *args, pc_value *out,
                              const char **err)
{
    int64_t unit;
    switch (fn) {
    case PC_FN_TO_DAYS: unit = PC_MS_PER_DAY; break;
    case PC_FN_TO_HOURS: unit = PC_MS_PER_HOUR; break;
    case PC_FN_TO_MINUTES: unit = PC_MS_PER_MINUTE; break;
    case PC_FN_TO_SECONDS: unit = PC_MS_PER_SECOND; break;
    default: unit = 1; break;   /* PC_FN_TO_MILLISECONDS */
    }
    /* C division truncates toward zero, as the reference's chain of i64 divisions. */
    *out = pc_v_long(args[0].u.l / unit);
    return true;
}

/* ---- dispatch ---------------------------------------------------------- */

bool pc_ext_call(pc_fn fn, pc_arena *a, const pc_value *args, uint32_t n, pc_value *out,
                 const char **err)
{
    if ((unsigned)fn >= PC_FN_COUNT_)
        return fail(a, err, "internal error: no function number %d", (int)fn);
    const ext_entry *e = &table[fn];
    if (!e->run)
        return fail(a, err, "internal error: %s is a built-in method evaluated by eval/, "
                    "not an extension function", e->info.name);
    if (n != e->info.arity)
        return fail(a, err, "%s takes %u argument%s%s, got %u", e->info.name,
                    (unsigned)e->info.arity, e->info.arity == 1 ? "" : "s",
                    e->info.is_method ? " (counting the receiver)" : "", (unsigned)n);
    for (uint32_t i = 0; i < n; i++)
        if (args[i].type != e->types[i])
            return fail_type(a, e, i, args[i].type, err);
    return e->run(fn, a, args, out, err);
}
