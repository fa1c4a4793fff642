/*
** store/time.c — the one time format of the store and the audit log:
** Unix microseconds (int64, UTC) inside, RFC 3339 outside.
**
** Conversion is done by hand on the proleptic Gregorian calendar rather
** than with timegm/strptime: those depend on the locale and the TZ setting,
** quietly normalise dates like February 30, and are not in C11.
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define US_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL
#define MAX_FRACTION_DIGITS 9
#define MAX_YEAR 9999

/* Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d of a day count. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

const char *pc_time_text(int64_t us, char out[PC_TIME_TEXT_MAX])
{
    int64_t secs = floor_div(us, US_PER_SEC);
    int64_t frac = us - secs * US_PER_SEC;
    int64_t days = floor_div(secs, SEC_PER_DAY);
    int64_t rest = secs - days * SEC_PER_DAY;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > MAX_YEAR)
        snprintf(out, PC_TIME_TEXT_MAX, "@%lld", (long long)us);
    else
        snprintf(out, PC_TIME_TEXT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", (int)y, m, d,
                 (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60), (long long)frac);
    return out;
}

int64_t pc_time_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0; /* CLOCK_REALTIME always exists; 0 marks the impossible */
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- parsing ---------------------------------------------------------- */

/* Exactly n digits at *p, advancing it. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* ".123456" -> microseconds (digits past the sixth must be present but are dropped). */
static bool fraction(const char **p, int64_t *us)
{
    *us = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    int64_t scale = 100000;
    while (isdigit((unsigned char)**p) && n < MAX_FRACTION_DIGITS) {
        *us += (**p - '0') * scale;
        scale /= 10;
        (*p)++;
        n++;
    }
    return n > 0 && !isdigit((unsigned char)**p);
}

/* Z, or +hh:mm / -hh:mm as seconds east of UTC. */
static bool offset(const char **p, int64_t *east)
{
    *east = 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return true;
    }
    int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0;
    int hh, mm;
    (*p)++;
    if (!sign || !digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *east = sign * (hh * 3600 + mm * 60);
    return true;
}

static bool parse_rfc3339(const char *p, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    int64_t frac = 0, east = 0;
    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    if (*p) { /* a bare date means its midnight, UTC */
        if (*p != 'T' && *p != 't' && *p != ' ')
            return false;
        p++;
        if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
            !digits(&p, 2, &s) || h > 23 || mi > 59 || s > 60 || !fraction(&p, &frac) ||
            !offset(&p, &east) || *p)
            return false;
    }
    int64_t secs =
        days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + (s == 60 ? 59 : s);
    *out = (secs - east) * US_PER_SEC + frac;
    return true;
}

static bool parse_unix_seconds(const char *p, int64_t *out)
{
    bool neg = *p == '-';
    p += neg;
    if (!*p)
        return false;
    int64_t v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > (INT64_MAX / US_PER_SEC - 9) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = (neg ? -v : v) * US_PER_SEC;
    return true;
}

bool pc_time_parse(const char *text, int64_t *us)
{
    if (!text || !*text)
        return false;
    size_t n = strlen(text);
    bool all_digits = strspn(text + (text[0] == '-'), "0123456789") == n - (text[0] == '-');
    return all_digits ? parse_unix_seconds(text, us) : parse_rfc3339(text, us);
}
