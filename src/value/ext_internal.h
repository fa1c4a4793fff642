/*
** value/ext_internal.h — what the files of value/ share and nobody else needs.
**
** The extension types are split by topic (decimal.c, ip.c, datetime.c) while
** ext.c owns the function table and the error messages. The pure operations
** below are what ext.c dispatches to; they never allocate and never format a
** message, so they can be tested exactly and reused by anything that holds a
** value. The digit scanner is inline here because every parser of the room
** reads runs of ASCII digits the same way (and the reference accepts ASCII
** digits only: Rust's `[0-9]`, `to_digit(10)` and `u64::from_str`).
*/
#ifndef PC_VALUE_EXT_INTERNAL_H
#define PC_VALUE_EXT_INTERNAL_H

#include "ext.h"

static inline bool pc_is_digit(char c) { return c >= '0' && c <= '9'; }

/* Length of the run of ASCII digits starting at s (at most n bytes). */
static inline size_t pc_digit_run(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && pc_is_digit(s[i]))
        i++;
    return i;
}

/*
** Value of n ASCII digits (n >= 1, all digits, leading zeros allowed);
** false when the number does not fit in a uint64_t.
*/
static inline bool pc_digits_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            return false;
    }
    *out = v;
    return true;
}

/* ---- decimal.c ------------------------------------------------------- */

#define PC_DECIMAL_DIGITS 4          /* fraction digits a decimal keeps */
#define PC_DECIMAL_SCALE 10000       /* 10^PC_DECIMAL_DIGITS */

/* ---- ip.c ------------------------------------------------------------ */

/* Is every address of a's range inside b's range? (v4 vs v6: never.) */
bool pc_ip_in_range(const pc_ipaddr *a, const pc_ipaddr *b);
bool pc_ip_is_loopback(const pc_ipaddr *ip);   /* within 127.0.0.0/8 or ::1/128 */
bool pc_ip_is_multicast(const pc_ipaddr *ip);  /* within 224.0.0.0/4 or ff00::/8 */
uint64_t pc_ip_hash(const pc_ipaddr *ip);      /* consistent with pc_ip_eq */

/* ---- datetime.c ------------------------------------------------------ */

#define PC_MS_PER_SECOND INT64_C(1000)
#define PC_MS_PER_MINUTE INT64_C(60000)
#define PC_MS_PER_HOUR INT64_C(3600000)
#define PC_MS_PER_DAY INT64_C(86400000)

/* Checked datetime arithmetic: false when the result leaves int64. */
bool pc_datetime_offset(int64_t dt, int64_t dur, int64_t *out);
bool pc_datetime_since(int64_t dt, int64_t other, int64_t *out);
bool pc_datetime_to_date(int64_t dt, int64_t *out);   /* midnight of dt's day (UTC) */
int64_t pc_datetime_to_time(int64_t dt);              /* ms since that midnight */
/*
** Does the datetime have a string form, i.e. does it fall in the years
** 0000..9999 that datetime("...") can write? (offset() can leave them.)
*/
bool pc_datetime_printable(int64_t ms);

#endif
