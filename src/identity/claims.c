/*
** identity/claims.c — verdicts and the claim rules shared by identity tokens
** and grants: reason names, time claims with clock skew, JSON parsing with
** the strictness tokens need, and the Cedar-safe copy of claims.
**
** Time rules (RFC 7519 §4.1.4-6, with a symmetric leeway of skew seconds):
** a token is expired once now >= exp + skew; not yet valid while
** now + skew < nbf, or when it claims to be issued after now + skew; and too
** old when max_age is bounded and now - iat > max_age + skew. A bounded max
** age without an iat cannot be checked, so it is refused as too old rather
** than waved through.
*/
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "id_internal.h"

static const char *const reason_names[PC_ID_REASON_COUNT] = {
    [PC_ID_OK] = "ok",
    [PC_ID_OVERSIZED] = "oversized",
    [PC_ID_MALFORMED] = "malformed",
    [PC_ID_ALG_NONE] = "alg_none",
    [PC_ID_ALG_HMAC] = "alg_hmac",
    [PC_ID_ALG_UNSUPPORTED] = "alg_unsupported",
    [PC_ID_ALG_NOT_ALLOWED] = "alg_not_allowed",
    [PC_ID_CRIT] = "crit_not_understood",
    [PC_ID_UNTRUSTED_ISSUER] = "untrusted_issuer",
    [PC_ID_UNKNOWN_KID] = "unknown_kid",
    [PC_ID_KEY_MISMATCH] = "key_mismatch",
    [PC_ID_BAD_SIGNATURE] = "bad_signature",
    [PC_ID_MISSING_EXP] = "missing_exp",
    [PC_ID_EXPIRED] = "expired",
    [PC_ID_NOT_YET_VALID] = "not_yet_valid",
    [PC_ID_TOO_OLD] = "too_old",
    [PC_ID_WRONG_AUD] = "wrong_audience",
    [PC_ID_MAPPING] = "mapping",
    [PC_ID_WRONG_TYPE] = "wrong_type",
    [PC_ID_WRONG_PRINCIPAL] = "wrong_principal",
    [PC_ID_WRONG_ACTION] = "wrong_action",
    [PC_ID_WRONG_RESOURCE] = "wrong_resource",
    [PC_ID_WRONG_CONTEXT] = "wrong_context",
    [PC_ID_REVOKED] = "revoked",
    [PC_ID_SPENT] = "spent",
    [PC_ID_LEDGER] = "ledger",
    [PC_ID_INTERNAL] = "internal",
};

const char *pc_id_reason_name(pc_id_reason r)
{
    return (unsigned)r < PC_ID_REASON_COUNT ? reason_names[r] : "unknown";
}

pc_id_reason pc_id_fail(pc_arena *a, pc_id_verdict *v, pc_id_reason r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = pc_arena_vprintf(a, fmt, ap);
    va_end(ap);
    v->reason = r;
    v->message = msg ? msg : pc_id_reason_name(r);   /* no memory: the name still says why */
    return r;
}

const char *pc_id_printable(pc_arena *a, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    while (n > 0 && s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;   /* cut before a UTF-8 continuation byte, not inside a character */
    char *out = pc_arena_alloc(a, n + 4);
    if (!out)
        return "?";
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    strcpy(out + n, s[n] ? "..." : "");
    return out;
}

/* ISO 8601 UTC for messages; "?" when the time does not fit struct tm. */
static const char *iso_time(char buf[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return "?";
    return buf;
}

pc_id_reason pc_claim_time(pc_arena *a, pc_id_verdict *v, const json_t *claims,
                           const char *name, bool *present, int64_t *out)
{
    const json_t *j = json_object_get(claims, name);
    *present = j != NULL;
    if (!j)
        return PC_ID_OK;
    double x;
    if (json_is_integer(j))
        x = (double)json_integer_value(j);
    else if (json_is_real(j))
        x = floor(json_real_value(j));
    else
        return pc_id_fail(a, v, PC_ID_MALFORMED, "claim %s is not a number", name);
    if (!(x >= 0 && x <= (double)PC_ID_MAX_TIME))
        return pc_id_fail(a, v, PC_ID_MALFORMED, "claim %s is not a time from 1970 to 9999",
                          name);
    *out = json_is_integer(j) ? (int64_t)json_integer_value(j) : (int64_t)x;
    return PC_ID_OK;
}

static pc_id_reason check_exp(pc_arena *a, pc_id_verdict *v, const json_t *claims, int64_t now,
                              int64_t skew)
{
    bool has;
    int64_t exp;
    char when[32];
    if (pc_claim_time(a, v, claims, "exp", &has, &exp) != PC_ID_OK)
        return v->reason;
    if (!has)
        return pc_id_fail(a, v, PC_ID_MISSING_EXP, "token has no exp claim; every token must expire");
    if (now >= exp + skew)
        return pc_id_fail(a, v, PC_ID_EXPIRED, "token expired at %s (%lld s ago, clock skew %lld s)",
                          iso_time(when, exp), (long long)(now - exp), (long long)skew);
    return PC_ID_OK;
}

/* A time claim that must not lie in the future (nbf, iat). */
static pc_id_reason check_not_future(pc_arena *a, pc_id_verdict *v, const json_t *claims,
                                     const char *name, int64_t now, int64_t skew, bool *has,
                                     int64_t *t)
{
    char when[32];
    if (pc_claim_time(a, v, claims, name, has, t) != PC_ID_OK)
        return v->reason;
    if (*has && *t > now + skew)
        return pc_id_fail(a, v, PC_ID_NOT_YET_VALID, "%s is %s, %lld s in the future (clock skew %lld s)",
                          name, iso_time(when, *t), (long long)(*t - now), (long long)skew);
    return PC_ID_OK;
}

pc_id_reason pc_check_times(pc_arena *a, pc_id_verdict *v, const json_t *claims, int64_t now,
                            int64_t skew, int64_t max_age)
{
    bool has_nbf, has_iat;
    int64_t nbf, iat;
    if (check_exp(a, v, claims, now, skew) != PC_ID_OK ||
        check_not_future(a, v, claims, "nbf", now, skew, &has_nbf, &nbf) != PC_ID_OK ||
        check_not_future(a, v, claims, "iat", now, skew, &has_iat, &iat) != PC_ID_OK)
        return v->reason;
    if (max_age <= 0)
        return PC_ID_OK;
    if (!has_iat)
        return pc_id_fail(a, v, PC_ID_TOO_OLD, "token has no iat, so its age (at most %lld s) "
                          "cannot be checked", (long long)max_age);
    if (now - iat > max_age + skew)
        return pc_id_fail(a, v, PC_ID_TOO_OLD, "token was issued %lld s ago; at most %lld s are "
                          "accepted (clock skew %lld s)", (long long)(now - iat),
                          (long long)max_age, (long long)skew);
    return PC_ID_OK;
}

bool pc_json_depth_ok(const json_t *j, size_t max)
{
    if (max == 0)
        return false;
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
            if (!pc_json_depth_ok(v, max - 1))
                return false;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            if (!pc_json_depth_ok(v, max - 1))
                return false;
    }
    return true;
}

json_t *pc_id_json_object(const unsigned char *text, size_t len)
{
    /* No JSON_ALLOW_NUL: a claim with an embedded NUL could read one way in C
       and another in JSON, so such tokens are malformed. */
    json_error_t err;
    json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &err);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- Cedar-safe claims ---------------------------------------------------- */

static bool safe_copy(const json_t *j, size_t depth, json_t **out);

/* Add the safe copy of v under key (objects) or at the end (arrays, key NULL). */
static bool safe_add(json_t *into, const char *key, const json_t *v, size_t depth)
{
    json_t *c;
    if (!safe_copy(v, depth, &c))
        return false;
    if (!c)
        return true;   /* dropped on purpose */
    return (key ? json_object_set_new(into, key, c) : json_array_append_new(into, c)) == 0;
}

static bool safe_container(const json_t *j, size_t depth, json_t **out)
{
    json_t *c = json_is_object(j) ? json_object() : json_array();
    const char *key;
    json_t *v;
    size_t i;
    bool ok = c != NULL;
    if (ok && json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
            if (ok && strncmp(key, "__", 2) != 0)   /* never a Cedar __entity / __extn escape */
                ok = safe_add(c, key, v, depth + 1);
    } else if (ok) {
        json_array_foreach(j, i, v)
            if (ok)
                ok = safe_add(c, NULL, v, depth + 1);
    }
    if (!ok) {
        json_decref(c);
        return false;
    }
    *out = c;
    return true;
}

/* false: out of memory or too deep; true with *out NULL: dropped (no Cedar value). */
static bool safe_copy(const json_t *j, size_t depth, json_t **out)
{
    *out = NULL;
    if (depth > PC_MAX_JSON_DEPTH)
        return false;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return safe_container(j, depth, out);
    case JSON_REAL: {
        double x = json_real_value(j);
        if (x == floor(x) && x >= -9.2e18 && x <= 9.2e18)
            return (*out = json_integer((json_int_t)x)) != NULL;
        return true;
    }
    case JSON_NULL:
        return true;
    default:
        return (*out = json_copy((json_t *)j)) != NULL;
    }
}

bool pc_id_cedar_value(const json_t *v, json_t **out)
{
    return safe_copy(v, 0, out);
}

json_t *pc_id_cedar_safe(const json_t *claims)
{
    json_t *out = NULL;
    if (!json_is_object(claims) || !safe_copy(claims, 0, &out))
        return NULL;
    return out;
}
