/*
** lang/unescape.c — Cedar string-literal escapes, `like` patterns and
** pattern matching.
**
** The reference unescapes string bodies with Rust's own string-literal rules
** (rustc_lexer's unescape_str), so those are the rules here:
**   \n \r \t \\ \0 \' \"          the usual single-character escapes
**   \xHH                          exactly two hex digits, value at most 0x7f
**   \u{H...}                      1 to 6 hex digits, `_` allowed after the
**                                 first digit, a Unicode scalar value
** Anything else after a backslash is an error, and so is a raw carriage
** return (Rust rejects a bare CR in a literal); raw tabs and newlines are fine.
**
** Patterns reuse the same decoder. Every character that decodes to `*`
** (written `*`, `\x2a` or `\u{2a}`) is a wildcard; only the two characters
** `\*` mean a literal star. That is exactly how the reference builds its
** pattern from the decoded character stream.
** Patterns of the JSON policy format arrive already split into literal
** text and wildcards; pc_pattern_from_pieces feeds them to the same builder,
** so both formats normalise alike.
**
** Matching: a pattern is literal parts separated by wildcards. The first and
** last parts are anchored unless a wildcard precedes/follows them; the
** middle parts are found leftmost-first with memmem. Taking the leftmost
** occurrence of each part is always safe (a later occurrence leaves less
** room, never more), so there is no backtracking and no exponential case.
** Byte-wise search is character-correct because both sides are valid UTF-8.
*/
#include "ast.h"
#include "lang_internal.h"

#include <string.h>

/* What one step of decoding produced. */
typedef enum unit_kind {
    UNIT_CHAR,         /* a character (in *cp) */
    UNIT_STAR_ESCAPE,  /* the two characters `\*`: literal star in patterns only */
    UNIT_BAD           /* an invalid escape or character; *why says which */
} unit_kind;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* \xHH after the `x` at s[*pos]: two hex digits naming an ASCII character. */
static unit_kind decode_hex(const char *s, size_t n, size_t *pos, uint32_t *cp, const char **why)
{
    size_t p = *pos;
    if (p + 2 > n) {
        *why = "\\x escape needs two hex digits";
        return UNIT_BAD;
    }
    int hi = hex_value(s[p]), lo = hex_value(s[p + 1]);
    if (hi < 0 || lo < 0) {
        *why = "invalid character in \\x escape";
        return UNIT_BAD;
    }
    if (hi > 7) {
        *why = "\\x escape above \\x7f (use \\u{...} for non-ASCII characters)";
        return UNIT_BAD;
    }
    *cp = (uint32_t)(hi * 16 + lo);
    *pos = p + 2;
    return UNIT_CHAR;
}

/* Largest number of hex digits in a \u{...} escape. */
#define UNICODE_ESCAPE_MAX_DIGITS 6

/* \u{...} after the `u` at s[*pos]. */
static unit_kind decode_unicode(const char *s, size_t n, size_t *pos, uint32_t *cp,
                                const char **why)
{
    size_t p = *pos;
    if (p >= n || s[p] != '{') {
        *why = "\\u escape must be written \\u{...}";
        return UNIT_BAD;
    }
    p++;
    if (p < n && s[p] == '}') {
        *why = "empty \\u{} escape";
        return UNIT_BAD;
    }
    if (p < n && s[p] == '_') {
        *why = "\\u escape starts with an underscore";
        return UNIT_BAD;
    }
    uint32_t value = 0;
    unsigned digits = 0;
    for (; p < n && s[p] != '}'; p++) {
        if (s[p] == '_')
            continue;
        int h = hex_value(s[p]);
        if (h < 0) {
            *why = "invalid character in \\u escape";
            return UNIT_BAD;
        }
        /* Past the limit the value is wrong anyway; stop growing it so it cannot overflow. */
        if (++digits <= UNICODE_ESCAPE_MAX_DIGITS)
            value = value * 16 + (uint32_t)h;
    }
    if (p >= n) {
        *why = "unclosed \\u{ escape";
        return UNIT_BAD;
    }
    if (digits > UNICODE_ESCAPE_MAX_DIGITS) {
        *why = "\\u escape has more than 6 hex digits";
        return UNIT_BAD;
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        *why = "\\u escape is not a Unicode scalar value";
        return UNIT_BAD;
    }
    *cp = value;
    *pos = p + 1;
    return UNIT_CHAR;
}

/* The escape whose backslash is at s[*pos]. */
static unit_kind decode_escape(const char *s, size_t n, size_t *pos, uint32_t *cp,
                               const char **why)
{
    size_t p = *pos + 1;
    if (p >= n) {
        *why = "backslash at the end of the string";
        return UNIT_BAD;
    }
    char c = s[p];
    *pos = p + 1;
    switch (c) {
    case 'n': *cp = '\n'; return UNIT_CHAR;
    case 'r': *cp = '\r'; return UNIT_CHAR;
    case 't': *cp = '\t'; return UNIT_CHAR;
    case '0': *cp = 0; return UNIT_CHAR;
    case '\\': case '\'': case '"': *cp = (uint32_t)c; return UNIT_CHAR;
    case '*': return UNIT_STAR_ESCAPE;
    case 'x': return decode_hex(s, n, pos, cp, why);
    case 'u': return decode_unicode(s, n, pos, cp, why);
    default:
        *why = "invalid escape sequence";
        return UNIT_BAD;
    }
}

/*
** Decode the unit starting at s[*pos] and advance *pos past it. On UNIT_BAD,
** *pos is left at the start of the offending unit for the caller's message.
*/
static unit_kind next_unit(const char *s, size_t n, size_t *pos, uint32_t *cp, const char **why)
{
    size_t p = *pos;
    if (s[p] == '\\') {
        size_t q = p;
        unit_kind k = decode_escape(s, n, &q, cp, why);
        if (k != UNIT_BAD)
            *pos = q;
        return k;
    }
    if (s[p] == '\r') {
        *why = "bare carriage return in string (write \\r)";
        return UNIT_BAD;
    }
    size_t used = pc_utf8_decode(s + p, n - p, cp);
    if (used == 0) {
        *why = "invalid UTF-8 in string";
        return UNIT_BAD;
    }
    *pos = p + used;
    return UNIT_CHAR;
}

/* Record the failure position and reason for the caller. */
static bool fail_at(size_t off, size_t *bad_off)
{
    if (bad_off)
        *bad_off = off;
    return false;
}

bool pc_unescape(pc_arena *a, const char *s, size_t n, pc_str *out, const char **why,
                 size_t *bad_off)
{
    /* Decoding never lengthens text (every escape is longer than its UTF-8), so n bytes suffice. */
    char *buf = pc_arena_alloc(a, n + 1);
    if (!buf) {
        *why = NULL;
        return fail_at(0, bad_off);
    }
    size_t len = 0;
    for (size_t pos = 0; pos < n;) {
        uint32_t cp = 0;
        size_t start = pos;
        unit_kind k = next_unit(s, n, &pos, &cp, why);
        if (k == UNIT_STAR_ESCAPE) {
            *why = "invalid escape sequence \\* (it is only allowed in like patterns)";
            return fail_at(start, bad_off);
        }
        if (k == UNIT_BAD)
            return fail_at(pos, bad_off);
        len += pc_utf8_encode(cp, buf + len);
    }
    buf[len] = '\0';
    out->ptr = buf;
    out->len = len;
    return true;
}

/* A pattern under construction: decoded bytes in buf, parts pointing into it. */
typedef struct pattern_builder {
    pc_pattern *p;
    char *buf;
    size_t len;         /* bytes decoded so far */
    size_t part_start;  /* where the current (unfinished) part begins in buf */
    bool star_pending;  /* the last thing seen was a wildcard */
} pattern_builder;

/* Close the current part if it has any bytes. */
static void finish_part(pattern_builder *b)
{
    if (b->len > b->part_start) {
        b->p->parts[b->p->n].ptr = b->buf + b->part_start;
        b->p->parts[b->p->n].len = b->len - b->part_start;
        b->p->n++;
    }
    b->part_start = b->len;
}

static void add_wildcard(pattern_builder *b)
{
    finish_part(b);
    if (b->p->n == 0)
        b->p->star_first = true;
    b->star_pending = true;
}

static void add_char(pattern_builder *b, uint32_t cp)
{
    b->len += pc_utf8_encode(cp, b->buf + b->len);
    b->star_pending = false;
}

/* Literal bytes; nothing at all (an empty literal) leaves a pending wildcard pending. */
static void add_bytes(pattern_builder *b, pc_str text)
{
    if (text.len == 0)
        return;
    memcpy(b->buf + b->len, text.ptr, text.len);
    b->len += text.len;
    b->star_pending = false;
}

/* Room for at most max_bytes decoded bytes in at most max_parts parts. */
static bool builder_init(pattern_builder *b, pc_arena *a, size_t max_bytes, size_t max_parts)
{
    memset(b, 0, sizeof *b);
    b->p = pc_arena_zalloc(a, sizeof *b->p);
    b->buf = pc_arena_alloc(a, max_bytes + 1);
    if (b->p)
        b->p->parts = pc_arena_alloc(a, (max_parts ? max_parts : 1) * sizeof(pc_str));
    return b->p && b->buf && b->p->parts;
}

/* Close the last part and hand the pattern out. */
static pc_pattern *builder_finish(pattern_builder *b)
{
    finish_part(b);
    b->p->star_last = b->star_pending && b->p->n > 0;
    return b->p;
}

bool pc_pattern_from_pieces(pc_arena *a, const pc_pattern_piece *pieces, uint32_t n,
                            pc_pattern **out)
{
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += pieces[i].wildcard ? 0 : pieces[i].text.len;
    /* each part needs at least one literal piece of its own */
    pattern_builder b;
    if (!builder_init(&b, a, bytes, n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (pieces[i].wildcard)
            add_wildcard(&b);
        else
            add_bytes(&b, pieces[i].text);
    }
    *out = builder_finish(&b);
    return true;
}

bool pc_unescape_pattern(pc_arena *a, const char *s, size_t n, pc_pattern **out,
                         const char **why, size_t *bad_off)
{
    /* k non-empty parts need k characters and k-1 wildcards, so k <= (n+1)/2. */
    pattern_builder b;
    if (!builder_init(&b, a, n, (n + 1) / 2 + 1)) {
        *why = NULL;
        return fail_at(0, bad_off);
    }
    for (size_t pos = 0; pos < n;) {
        uint32_t cp = 0;
        unit_kind k = next_unit(s, n, &pos, &cp, why);
        if (k == UNIT_BAD)
            return fail_at(pos, bad_off);
        if (k == UNIT_STAR_ESCAPE)
            add_char(&b, '*');
        else if (cp == '*')
            add_wildcard(&b);
        else
            add_char(&b, cp);
    }
    *out = builder_finish(&b);
    return true;
}

/* Does s[lo..hi) begin with part? */
static bool has_prefix(pc_str s, size_t lo, size_t hi, pc_str part)
{
    return hi - lo >= part.len && memcmp(s.ptr + lo, part.ptr, part.len) == 0;
}

bool pc_pattern_match(const pc_pattern *p, pc_str s)
{
    if (p->n == 0)
        return p->star_first || s.len == 0;
    size_t lo = 0, hi = s.len;
    uint32_t first = 0, last = p->n;
    if (!p->star_first) {
        if (!has_prefix(s, lo, hi, p->parts[0]))
            return false;
        lo += p->parts[0].len;
        first = 1;
    }
    if (!p->star_last) {
        if (first == p->n)      /* the only part was the anchored prefix */
            return lo == hi;
        pc_str tail = p->parts[p->n - 1];
        if (hi - lo < tail.len || memcmp(s.ptr + hi - tail.len, tail.ptr, tail.len) != 0)
            return false;
        hi -= tail.len;
        last = p->n - 1;
    }
    for (uint32_t i = first; i < last; i++) {
        pc_str part = p->parts[i];
        const char *hit = memmem(s.ptr + lo, hi - lo, part.ptr, part.len);
        if (!hit)
            return false;
        lo = (size_t)(hit - s.ptr) + part.len;
    }
    return true;
}
