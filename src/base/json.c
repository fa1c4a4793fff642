/*
** base/json.c — JSON text to jansson values, with the project's rules.
**
** Why not json_loadb: Cedar entity ids and record keys may hold NUL, and
** the conformance data has object keys such as "\u0000." that jansson's
** parser refuses ("NUL byte in object key not supported") although its
** values hold such keys fine (json_object_setn). So this small reader builds
** the jansson values itself, strictly by RFC 8259 as the reference's
** serde_json reads: no comments, trailing commas, leading zeros, raw control
** characters or lone surrogates; raw bytes must be UTF-8.
**
** Also here: integers are exact int64 (an integer outside that range is an
** error rather than a silently rounded double; Cedar has no other numbers),
** nesting is bounded by PC_MAX_JSON_DEPTH (serde_json's own limit is 128),
** and a duplicate key in any object is refused, as the reference refuses it
** in entity data. Errors point at the byte with a caret (pc_diag_at).
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct reader {
    const char *s;
    size_t n, pos;
    const char *name;
    pc_buf text;   /* the string being decoded */
    pc_diag *d;
} reader;

static json_t *read_value(reader *r, unsigned depth);

/* Report an error at r->pos; always false, so callers can return its result. */
static PC_PRINTF(3, 4) bool fail_at(reader *r, pc_status st, const char *fmt, ...)
{
    pc_buf m;
    pc_buf_init(&m);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    if (m.oom)
        pc_diag_set(r->d, PC_ERR_NOMEM, "out of memory reading JSON");
    else
        pc_diag_at(r->d, st, r->name, r->s, r->n, r->pos, "%s", m.data);
    pc_buf_free(&m);
    return false;
}

#define BAD(r, ...) fail_at((r), PC_ERR_PARSE, "invalid JSON: " __VA_ARGS__)

static bool nomem(reader *r)
{
    pc_diag_set(r->d, PC_ERR_NOMEM, "out of memory reading JSON");
    return false;
}

static void skip_space(reader *r)
{
    while (r->pos < r->n && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                             r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

/* Consume ch (after spaces) if it is next. */
static bool eat(reader *r, char ch)
{
    skip_space(r);
    if (r->pos < r->n && r->s[r->pos] == ch) {
        r->pos++;
        return true;
    }
    return false;
}

/* ---- strings ------------------------------------------------------------- */

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
** The code point of a \uXXXX escape (r->pos just past the 'u'), joining a
** surrogate pair as serde_json does; a lone surrogate is an error there too.
*/
static bool unicode_escape(reader *r, uint32_t *cp)
{
    int hi = r->n - r->pos >= 4 ? hex4(r->s + r->pos) : -1;
    if (hi < 0)
        return BAD(r, "\\u must be followed by 4 hex digits");
    r->pos += 4;
    if (hi < 0xD800 || hi > 0xDFFF) {
        *cp = (uint32_t)hi;
        return true;
    }
    bool pair = hi <= 0xDBFF && r->n - r->pos >= 6 && r->s[r->pos] == '\\' &&
                r->s[r->pos + 1] == 'u';
    int lo = pair ? hex4(r->s + r->pos + 2) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return BAD(r, "lone surrogate in a \\u escape");
    r->pos += 6;
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return true;
}

/* One escape (r->pos just past the backslash), appended decoded to r->text. */
static bool escape(reader *r)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char c = r->pos < r->n ? r->s[r->pos] : '\0';
    const char *k = c ? strchr(from, c) : NULL;
    if (c != 'u' && !k)
        return BAD(r, "unknown escape");
    r->pos++;
    if (k)
        return pc_buf_putc(&r->text, to[k - from]) || nomem(r);
    uint32_t cp = 0;
    char utf8[4];
    if (!unicode_escape(r, &cp))
        return false;
    return pc_buf_append(&r->text, utf8, pc_utf8_encode(cp, utf8)) || nomem(r);
}

/* Decode the string whose opening quote is at r->pos into r->text. */
static bool read_string(reader *r)
{
    pc_buf_clear(&r->text);
    r->pos++;
    for (;;) {
        size_t start = r->pos;
        while (r->pos < r->n && r->s[r->pos] != '"' && r->s[r->pos] != '\\' &&
               (unsigned char)r->s[r->pos] >= 0x20)
            r->pos++;
        if (!pc_utf8_valid(r->s + start, r->pos - start)) {
            r->pos = start;
            return BAD(r, "string is not valid UTF-8");
        }
        if (!pc_buf_append(&r->text, r->s + start, r->pos - start))
            return nomem(r);
        if (r->pos >= r->n)
            return BAD(r, "unterminated string");
        if (r->s[r->pos] == '"') {
            r->pos++;
            return true;
        }
        if (r->s[r->pos] != '\\')
            return BAD(r, "control character in a string (it must be escaped)");
        r->pos++;
        if (!escape(r))
            return false;
    }
}

static json_t *string_value(reader *r)
{
    if (!read_string(r))
        return NULL;
    json_t *j = json_stringn_nocheck(r->text.data ? r->text.data : "", r->text.len);
    if (!j)
        nomem(r);
    return j;
}

/* ---- numbers and words -------------------------------------------------- */

static size_t digits(const reader *r, size_t at)
{
    size_t i = at;
    while (i < r->n && r->s[i] >= '0' && r->s[i] <= '9')
        i++;
    return i - at;
}

/* Where the number at r->pos ends (its RFC 8259 grammar); 0 when malformed. */
static size_t number_end(reader *r, bool *integer)
{
    size_t i = r->pos + (r->s[r->pos] == '-'), whole = digits(r, i);
    *integer = true;
    if (whole == 0 || (whole > 1 && r->s[i] == '0'))
        return 0;   /* no digits, or a leading zero */
    i += whole;
    if (i < r->n && r->s[i] == '.') {
        if (digits(r, i + 1) == 0)
            return 0;
        i += 1 + digits(r, i + 1);
        *integer = false;
    }
    if (i < r->n && (r->s[i] == 'e' || r->s[i] == 'E')) {
        size_t e = i + 1 + (i + 1 < r->n && (r->s[i + 1] == '+' || r->s[i + 1] == '-'));
        if (digits(r, e) == 0)
            return 0;
        i = e + digits(r, e);
        *integer = false;
    }
    return i;
}

/* Longest number text we convert (a longer one cannot be an int64 anyway). */
#define PC_JSON_MAX_NUMBER 511

static json_t *number_value(reader *r)
{
    bool integer;
    size_t end = number_end(r, &integer);
    if (end == 0) {
        BAD(r, "malformed number");
        return NULL;
    }
    char buf[PC_JSON_MAX_NUMBER + 1];
    size_t len = end - r->pos;
    if (len > PC_JSON_MAX_NUMBER) {
        BAD(r, "number longer than %d characters", PC_JSON_MAX_NUMBER);
        return NULL;
    }
    memcpy(buf, r->s + r->pos, len);
    buf[len] = '\0';
    errno = 0;
    long long v = integer ? strtoll(buf, NULL, 10) : 0;
    if (errno == ERANGE) {
        BAD(r, "integer %s does not fit in 64 bits", buf);
        return NULL;
    }
    json_t *j = integer ? json_integer(v) : json_real(strtod(buf, NULL));
    r->pos = end;
    if (!j)
        nomem(r);
    return j;
}

static json_t *word_value(reader *r)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t len = strlen(words[k]);
        if (r->n - r->pos < len || memcmp(r->s + r->pos, words[k], len) != 0)
            continue;
        r->pos += len;
        json_t *j = k == 0 ? json_true() : k == 1 ? json_false() : json_null();
        if (!j)
            nomem(r);
        return j;
    }
    BAD(r, "unexpected character");
    return NULL;
}

/* ---- arrays and objects -------------------------------------------------- */

static bool element(reader *r, json_t *arr, unsigned depth)
{
    json_t *v = read_value(r, depth + 1);
    if (!v)
        return false;
    return json_array_append_new(arr, v) == 0 || nomem(r);
}

/* One "key": value member into obj. */
static bool member(reader *r, json_t *obj, unsigned depth)
{
    skip_space(r);
    if (r->pos >= r->n || r->s[r->pos] != '"')
        return BAD(r, "expected a string key");
    size_t at = r->pos;
    if (!read_string(r))
        return false;
    size_t klen = r->text.len;
    char *key = malloc(klen + 1);
    if (!key)
        return nomem(r);
    memcpy(key, r->text.data ? r->text.data : "", klen);
    bool ok = false;
    json_t *v;
    if (json_object_getn(obj, key, klen)) {
        r->pos = at;
        BAD(r, "duplicate object key");
    } else if (!eat(r, ':')) {
        BAD(r, "expected ':'");
    } else if ((v = read_value(r, depth + 1))) {
        ok = json_object_setn_new_nocheck(obj, key, klen, v) == 0 || nomem(r);
    }
    free(key);
    return ok;
}

/*
** An array or an object (c is its opening bracket): items until the closing
** one, separated by commas.
*/
static json_t *container(reader *r, char c, unsigned depth)
{
    bool is_array = c == '[';
    char close = is_array ? ']' : '}';
    json_t *j = is_array ? json_array() : json_object();
    if (!j) {
        nomem(r);
        return NULL;
    }
    r->pos++;
    if (eat(r, close))
        return j;
    do {
        if (!(is_array ? element(r, j, depth) : member(r, j, depth))) {
            json_decref(j);
            return NULL;
        }
    } while (eat(r, ','));
    if (eat(r, close))
        return j;
    json_decref(j);
    BAD(r, "expected ',' or '%c'", close);
    return NULL;
}

static json_t *read_value(reader *r, unsigned depth)
{
    skip_space(r);
    if (r->pos >= r->n) {
        BAD(r, "unexpected end of input");
        return NULL;
    }
    char c = r->s[r->pos];
    if (c == '[' || c == '{') {
        if (depth < PC_MAX_JSON_DEPTH)
            return container(r, c, depth);
        fail_at(r, PC_ERR_LIMIT, "JSON nested deeper than %d levels", PC_MAX_JSON_DEPTH);
        return NULL;
    }
    if (c == '"')
        return string_value(r);
    return c == '-' || (c >= '0' && c <= '9') ? number_value(r) : word_value(r);
}

json_t *pc_json_parse(const char *text, size_t len, const char *name, pc_diag *d)
{
    reader r = {text, len, 0, name, {0}, d};
    pc_buf_init(&r.text);
    json_t *j = read_value(&r, 0);
    skip_space(&r);
    if (j && r.pos < r.n) {
        json_decref(j);
        j = NULL;
        BAD(&r, "unexpected characters after the JSON value");
    }
    pc_buf_free(&r.text);
    return j;
}
