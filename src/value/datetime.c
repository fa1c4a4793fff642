/*
** value/datetime.c — the Cedar `datetime` and `duration` extension types.
**
** Both are int64 milliseconds: a datetime counts from the Unix epoch (UTC,
** no leap seconds), a duration is a signed span. Keeping them as plain
** integers makes comparison an integer compare (done by eval/) and every
** method a checked add, subtract or division here.
**
** datetime() accepts exactly the reference's five shapes
**     YYYY-MM-DD
**     YYYY-MM-DDThh:mm:ssZ            YYYY-MM-DDThh:mm:ss.SSSZ
**     YYYY-MM-DDThh:mm:ss(+|-)hhmm    YYYY-MM-DDThh:mm:ss.SSS(+|-)hhmm
** with ASCII digits only. Like the reference it first checks the shape from
** left to right and only then the meaning (the calendar day, hh < 24,
** mm < 60, ss < 60 — no leap second —, offset hh < 24 and mm < 60), so the
** error message names the first thing that is wrong in that order. The
** offset is subtracted: 12:00+0100 is 11:00 UTC. Years are 0000..9999 in the
** proleptic Gregorian calendar (year 0 is a leap year, as in chrono), so a
** parsed datetime is always far inside int64.
**
** duration() accepts an optional '-' and then quantity-unit pairs in the
** order d, h, m, s, ms, each unit at most once and at least one of them.
** The total is built as the reference builds it — milliseconds first, then
** seconds, minutes, hours, days, each product and sum checked, the sign
** applied to each term — so exactly the same strings overflow
** (for instance "-9223372036854775808ms" is INT64_MIN, its positive twin is
** an overflow).
**
** Calendar conversion uses the well-known days-from-civil algorithm (H.
** Hinnant) on 400-year eras, which is exact for any int64 day count.
*/
#include <inttypes.h>
#include <string.h>

#include "ext_internal.h"

#define DATE_LEN 10        /* "YYYY-MM-DD" */
#define DATETIME_LEN 19    /* "YYYY-MM-DDThh:mm:ss" */
#define MAX_HOUR 24
#define MAX_MINUTE 60
#define MAX_SECOND 60
#define FIRST_PRINTABLE_YEAR 0
#define LAST_PRINTABLE_YEAR 9999

/* ---- calendar ---------------------------------------------------------- */

static bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Days from 1970-01-01 to y-m-d (m in 1..12, d in 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

typedef struct civil {
    int64_t year;
    unsigned month, day;
} civil;

static civil civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    civil c;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = (int64_t)yoe + era * 400 + (c.month <= 2);
    return c;
}

/* Floor division and its non-negative remainder, for negative times. */
static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }
static int64_t floor_mod(int64_t a, int64_t b) { int64_t r = a % b; return r < 0 ? r + b : r; }

/* ---- datetime parsing -------------------------------------------------- */

/* Does s start with the shape pat, where 'D' stands for any ASCII digit? */
static bool has_shape(const char *s, size_t n, const char *pat)
{
    size_t k = strlen(pat);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (pat[i] == 'D' ? !pc_is_digit(s[i]) : s[i] != pat[i])
            return false;
    return true;
}

/* The value of k ASCII digits already known to be digits. */
static unsigned digits_at(const char *s, size_t k)
{
    unsigned v = 0;
    for (size_t i = 0; i < k; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* What follows the seconds: milliseconds and the zone, read but not judged. */
typedef struct tail {
    unsigned ms;
    int sign;              /* 0 for Z, else +1 / -1 */
    unsigned off_h, off_m;
} tail;

/* ".SSS" optionally, then "Z" or "(+|-)hhmm", then the end of the string. */
static bool read_tail(const char *s, size_t n, tail *t)
{
    memset(t, 0, sizeof *t);
    if (has_shape(s, n, ".DDD")) {
        t->ms = digits_at(s + 1, 3);
        s += 4;
        n -= 4;
    }
    if (n == 1 && s[0] == 'Z')
        return true;
    if (n != 5 || (s[0] != '+' && s[0] != '-') || !has_shape(s + 1, 4, "DDDD"))
        return false;
    t->sign = s[0] == '+' ? 1 : -1;
    t->off_h = digits_at(s + 1, 2);
    t->off_m = digits_at(s + 3, 2);
    return true;
}

static bool check_date(int64_t y, unsigned m, unsigned d, const char **why)
{
    if (m < 1 || m > 12) {
        *why = "invalid date: the month must be 01 to 12";
        return false;
    }
    if (d < 1 || d > days_in_month(y, m)) {
        *why = "invalid date: no such day in that month";
        return false;
    }
    return true;
}

bool pc_datetime_parse(const char *s, size_t n, int64_t *out_ms, const char **why)
{
    if (!has_shape(s, n, "DDDD-DD-DD")) {
        *why = "invalid date pattern: expected YYYY-MM-DD";
        return false;
    }
    int64_t y = digits_at(s, 4);
    unsigned mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2);
    if (n == DATE_LEN) {
        if (!check_date(y, mo, d, why))
            return false;
        *out_ms = days_from_civil(y, mo, d) * PC_MS_PER_DAY;
        return true;
    }
    if (!has_shape(s + DATE_LEN, n - DATE_LEN, "TDD:DD:DD")) {
        *why = "invalid time pattern: expected Thh:mm:ss after the date";
        return false;
    }
    tail t;
    if (!read_tail(s + DATETIME_LEN, n - DATETIME_LEN, &t)) {
        *why = "invalid milliseconds or offset: expected Z, .SSSZ, (+|-)hhmm "
               "or .SSS(+|-)hhmm after the time";
        return false;
    }
    unsigned h = digits_at(s + 11, 2), mi = digits_at(s + 14, 2), sec = digits_at(s + 17, 2);
    if (!check_date(y, mo, d, why))
        return false;
    if (h >= MAX_HOUR || mi >= MAX_MINUTE || sec >= MAX_SECOND) {
        *why = "invalid time: hours must be below 24, minutes and seconds below 60";
        return false;
    }
    if (t.off_h >= MAX_HOUR || t.off_m >= MAX_MINUTE) {
        *why = "invalid offset: hours must be below 24 and minutes below 60";
        return false;
    }
    /* Years 0..9999 keep every term below 2^49: no overflow is possible. */
    int64_t local = days_from_civil(y, mo, d) * PC_MS_PER_DAY + h * PC_MS_PER_HOUR +
                    mi * PC_MS_PER_MINUTE + sec * PC_MS_PER_SECOND + t.ms;
    int64_t offset = t.sign * (t.off_h * PC_MS_PER_HOUR + t.off_m * PC_MS_PER_MINUTE);
    *out_ms = local - offset;
    return true;
}

/* ---- datetime printing and methods ------------------------------------- */

bool pc_datetime_printable(int64_t ms)
{
    civil c = civil_from_days(floor_div(ms, PC_MS_PER_DAY));
    return c.year >= FIRST_PRINTABLE_YEAR && c.year <= LAST_PRINTABLE_YEAR;
}

bool pc_datetime_print(pc_buf *b, int64_t ms)
{
    civil c = civil_from_days(floor_div(ms, PC_MS_PER_DAY));
    int64_t t = floor_mod(ms, PC_MS_PER_DAY);
    /* Years outside 0000..9999 get ISO 8601's expanded form (+10000, -0001). */
    if (c.year > LAST_PRINTABLE_YEAR)
        pc_buf_printf(b, "+%" PRId64, c.year);
    else if (c.year < FIRST_PRINTABLE_YEAR)
        pc_buf_printf(b, "-%04" PRId64, -c.year);
    else
        pc_buf_printf(b, "%04" PRId64, c.year);
    return pc_buf_printf(b, "-%02u-%02uT%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64 "Z",
                         c.month, c.day, t / PC_MS_PER_HOUR, t / PC_MS_PER_MINUTE % 60,
                         t / PC_MS_PER_SECOND % 60, t % PC_MS_PER_SECOND) && !b->oom;
}

bool pc_datetime_offset(int64_t dt, int64_t dur, int64_t *out)
{
    return !__builtin_add_overflow(dt, dur, out);
}

bool pc_datetime_since(int64_t dt, int64_t other, int64_t *out)
{
    return !__builtin_sub_overflow(dt, other, out);
}

bool pc_datetime_to_date(int64_t dt, int64_t *out)
{
    /* Before 1970 the day starts below dt: subtract the floored remainder,
    ** which near INT64_MIN leaves int64 (the reference reports that too). */
    return !__builtin_sub_overflow(dt, floor_mod(dt, PC_MS_PER_DAY), out);
}

int64_t pc_datetime_to_time(int64_t dt) { return floor_mod(dt, PC_MS_PER_DAY); }

/* ---- durations --------------------------------------------------------- */

enum { U_DAY, U_HOUR, U_MINUTE, U_SECOND, U_MS, N_UNITS };

static const struct unit {
    const char *suffix;
    int64_t ms;
} units[N_UNITS] = {
    [U_DAY] = {"d", PC_MS_PER_DAY},         [U_HOUR] = {"h", PC_MS_PER_HOUR},
    [U_MINUTE] = {"m", PC_MS_PER_MINUTE},   [U_SECOND] = {"s", PC_MS_PER_SECOND},
    [U_MS] = {"ms", 1},
};

/* The unit whose suffix starts at s ("ms" before "m"), or N_UNITS. */
static int unit_at(const char *s, size_t n)
{
    if (n >= 2 && s[0] == 'm' && s[1] == 's')
        return U_MS;
    for (int u = 0; u < U_MS && n >= 1; u++)
        if (s[0] == units[u].suffix[0])
            return u;
    return N_UNITS;
}

/* Where each unit's digits are (len 0: absent); syntax only, no values. */
typedef struct duration_text {
    bool neg;
    const char *digits[N_UNITS];
    size_t len[N_UNITS];
} duration_text;

static bool split_duration(const char *s, size_t n, duration_text *dt)
{
    memset(dt, 0, sizeof *dt);
    size_t pos = 0;
    if (n > 0 && s[0] == '-') {
        dt->neg = true;
        pos = 1;
    }
    if (pos == n)
        return false;   /* "" and "-" name no unit at all */
    int last = -1;
    while (pos < n) {
        size_t k = pc_digit_run(s + pos, n - pos);
        int u = k ? unit_at(s + pos + k, n - pos - k) : N_UNITS;
        if (u == N_UNITS || u <= last)
            return false;   /* no quantity, unknown unit, or out of order / repeated */
        dt->digits[u] = s + pos;
        dt->len[u] = k;
        pos += k + strlen(units[u].suffix);
        last = u;
    }
    return true;
}

/*
** total + (+/-amount) * unit_ms, every step checked. A negative term is built
** negative, so 2^63 milliseconds make INT64_MIN as in the reference; for the
** other units 2^63 * unit overflows either way, and no unit times an amount
** is exactly 2^63 (each unit has a factor 5), so the same strings overflow.
*/
static bool add_term(int64_t *total, uint64_t amount, int64_t unit_ms, bool neg)
{
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (amount > limit)
        return false;
    int64_t signed_amount = !neg ? (int64_t)amount
                            : amount == 0 ? 0 : -(int64_t)(amount - 1) - 1;
    int64_t term;
    return !__builtin_mul_overflow(signed_amount, unit_ms, &term) &&
           !__builtin_add_overflow(*total, term, total);
}

bool pc_duration_parse(const char *s, size_t n, int64_t *out_ms, const char **why)
{
    duration_text dt;
    if (!split_duration(s, n, &dt)) {
        *why = "invalid duration pattern: expected an optional '-' and quantity-unit "
               "pairs in the order d, h, m, s, ms (like 1d2h3m4s5ms)";
        return false;
    }
    const char *overflow = "overflow: the duration does not fit in 64-bit milliseconds";
    uint64_t amount[N_UNITS] = {0};
    for (int u = 0; u < N_UNITS; u++) {
        if (dt.len[u] && !pc_digits_u64(dt.digits[u], dt.len[u], &amount[u])) {
            *why = overflow;
            return false;
        }
    }
    /* The reference's order: milliseconds first, days last. */
    int64_t total = 0;
    bool ok = true;
    for (int u = U_MS; ok && u >= U_DAY; u--)
        ok = add_term(&total, amount[u], units[u].ms, dt.neg);
    if (!ok) {
        *why = overflow;
        return false;
    }
    *out_ms = total;
    return true;
}

bool pc_duration_print(pc_buf *b, int64_t ms)
{
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        pc_buf_putc(b, '-');
    if (mag == 0)
        pc_buf_puts(b, "0ms");
    for (int u = U_DAY; u < N_UNITS; u++) {
        uint64_t q = mag / (uint64_t)units[u].ms;
        mag %= (uint64_t)units[u].ms;
        if (q)
            pc_buf_printf(b, "%" PRIu64 "%s", q, units[u].suffix);
    }
    return !b->oom;
}
