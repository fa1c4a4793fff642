/*
** value/decimal.c — the Cedar `decimal` extension type: parsing and printing.
**
** A decimal is a signed 64-bit integer scaled by 10^4, so comparisons are
** integer comparisons and there is no rounding anywhere. The accepted text is
** that of the reference: an optional '-', one or more ASCII digits, '.', and
** one to four ASCII digits, nothing else ("1.", ".5", "+1.0", "1e3" are all
** refused). The sign belongs to the whole number, so "-0.5" is -0.5 (the
** reference fixed its old reading of it as +0.5). Anything that leaves the
** int64 range after scaling is an overflow error, never a wrapped value.
*/
#include <inttypes.h>

#include "ext_internal.h"

/* 10^k for the k fraction digits a string may leave out. */
static const int64_t pow10_tab[PC_DECIMAL_DIGITS + 1] = {1, 10, 100, 1000, 10000};

bool pc_decimal_parse(const char *s, size_t n, int64_t *out, const char **why)
{
    bool neg = n > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    size_t int_len = pc_digit_run(s + i, n - i);
    size_t dot = i + int_len;
    size_t frac_len = dot < n ? pc_digit_run(s + dot + 1, n - dot - 1) : 0;
    if (int_len == 0 || dot >= n || s[dot] != '.' || frac_len == 0 ||
        dot + 1 + frac_len != n) {
        *why = "not a well-formed decimal value (expected [-]digits.digits)";
        return false;
    }
    /* The reference reports an oversized integer part before the fraction. */
    uint64_t mag;
    int64_t whole;
    if (!pc_digits_u64(s + i, int_len, &mag) || mag > (uint64_t)INT64_MAX ||
        __builtin_mul_overflow((int64_t)mag, PC_DECIMAL_SCALE, &whole)) {
        *why = "overflow: the value does not fit in a 64-bit decimal";
        return false;
    }
    if (frac_len > PC_DECIMAL_DIGITS) {
        *why = "too many digits after the decimal point (at most 4)";
        return false;
    }
    uint64_t frac = 0;
    (void)pc_digits_u64(s + dot + 1, frac_len, &frac);   /* <= 4 digits: fits */
    int64_t scaled_frac = (int64_t)frac * pow10_tab[PC_DECIMAL_DIGITS - frac_len];
    /* whole * 10^4 can never be exactly 2^63, so negating here is safe and
    ** the subtraction below is the only place a negative value can overflow. */
    int64_t v;
    bool ovf = neg ? __builtin_sub_overflow(-whole, scaled_frac, &v)
                   : __builtin_add_overflow(whole, scaled_frac, &v);
    if (ovf) {
        *why = "overflow: the value does not fit in a 64-bit decimal";
        return false;
    }
    *out = v;
    return true;
}

bool pc_decimal_print(pc_buf *b, int64_t v)
{
    /* Work on the magnitude as unsigned so INT64_MIN has one too. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return pc_buf_printf(b, "%s%" PRIu64 ".%04" PRIu64, v < 0 ? "-" : "",
                         mag / PC_DECIMAL_SCALE, mag % PC_DECIMAL_SCALE);
}
