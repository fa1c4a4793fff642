/*
** lang/lexer.c — splits Cedar text (policies or human-readable schemas) into
** tokens.
**
** Design: a pull lexer over a byte range that never allocates. The token set
** mirrors the reference grammar's terminals:
**   - whitespace is Unicode White_Space (the reference skips the regex `\s`,
**     which is Unicode-aware), and `//` comments run to the end of the line;
**   - identifiers are ASCII [_a-zA-Z][_a-zA-Z0-9]*; keywords are identifiers
**     here because which words are reserved depends on the position;
**   - a string is `"` then any mix of non-quote/non-backslash characters and
**     backslash-plus-one-character (not a newline), then `"`. The body stays
**     escaped; pc_unescape decides which escapes mean something.
** The reference reads Rust `str`, which is valid UTF-8 by construction; our
** input is bytes, so we reject invalid UTF-8 everywhere (in comments and
** strings as well) to keep the two languages identical.
*/
#include "lexer.h"

#include <string.h>

void pc_lex_init(pc_lexer *lx, const char *src, size_t len, const char *name)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->name = name;
}

static pc_status lex_error(const pc_lexer *lx, size_t at, pc_diag *d, const char *what)
{
    return pc_diag_at(d, PC_ERR_PARSE, lx->name, lx->src, lx->len, at, "%s", what);
}

/* The Unicode White_Space code points beyond ASCII (what Rust's `\s` matches). */
static bool is_unicode_space(uint32_t cp)
{
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool is_ident_start(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/*
** Length of the valid UTF-8 character at pos (1 for ASCII), or 0 when the
** bytes there are not valid UTF-8.
*/
static size_t char_len(const pc_lexer *lx, size_t pos, uint32_t *cp)
{
    unsigned char c = (unsigned char)lx->src[pos];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    return pc_utf8_decode(lx->src + pos, lx->len - pos, cp);
}

/* Skip a comment body: everything up to (not including) the line end. */
static pc_status skip_comment(pc_lexer *lx, pc_diag *d)
{
    while (lx->pos < lx->len && lx->src[lx->pos] != '\n' && lx->src[lx->pos] != '\r') {
        uint32_t cp;
        size_t n = char_len(lx, lx->pos, &cp);
        if (n == 0)
            return lex_error(lx, lx->pos, d, "invalid UTF-8 in comment");
        lx->pos += n;
    }
    return PC_OK;
}

/* Skip whitespace and comments, stopping at the first byte of a token. */
static pc_status skip_blank(pc_lexer *lx, pc_diag *d)
{
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '/') {
            lx->pos += 2;
            pc_status st = skip_comment(lx, d);
            if (st != PC_OK)
                return st;
        } else if ((unsigned char)c >= 0x80) {
            uint32_t cp;
            size_t n = char_len(lx, lx->pos, &cp);
            if (n == 0)
                return lex_error(lx, lx->pos, d, "invalid UTF-8 in policy text");
            if (!is_unicode_space(cp))
                return PC_OK;   /* a stray character: the caller reports it */
            lx->pos += n;
        } else {
            return PC_OK;
        }
    }
    return PC_OK;
}

/* Scan a string literal whose opening quote is at lx->pos. */
static pc_status lex_string(pc_lexer *lx, pc_token *t, pc_diag *d)
{
    size_t open = lx->pos;
    size_t p = open + 1;
    while (p < lx->len && lx->src[p] != '"') {
        uint32_t cp;
        if (lx->src[p] == '\\') {
            /* A backslash takes exactly one following character, never a line feed. */
            if (p + 1 >= lx->len)
                break;
            if (lx->src[p + 1] == '\n')
                return lex_error(lx, p, d, "backslash at the end of a line in a string literal");
            p++;
        }
        size_t n = char_len(lx, p, &cp);
        if (n == 0)
            return lex_error(lx, p, d, "invalid UTF-8 in string literal");
        p += n;
    }
    if (p >= lx->len)
        return lex_error(lx, open, d, "unterminated string literal");
    t->kind = PC_TOK_STRING;
    t->offset = (uint32_t)open;
    t->start = (uint32_t)(open + 1);
    t->len = (uint32_t)(p - open - 1);
    lx->pos = p + 1;
    return PC_OK;
}

/* Scan a run of characters matching pred. */
static size_t scan_while(const pc_lexer *lx, size_t p, bool (*pred)(char))
{
    while (p < lx->len && pred(lx->src[p]))
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One- and two-character punctuation, longest match first. */
typedef struct punct {
    char text[3];
    uint8_t kind;
} punct;

static const punct puncts[] = {
    {"::", PC_TOK_COLONCOLON}, {"==", PC_TOK_EQEQ}, {"!=", PC_TOK_NE}, {"<=", PC_TOK_LE},
    {">=", PC_TOK_GE},         {"&&", PC_TOK_AND},  {"||", PC_TOK_OR}, {"(", PC_TOK_LPAREN},
    {")", PC_TOK_RPAREN},      {"[", PC_TOK_LBRACKET}, {"]", PC_TOK_RBRACKET},
    {"{", PC_TOK_LBRACE},      {"}", PC_TOK_RBRACE}, {",", PC_TOK_COMMA}, {";", PC_TOK_SEMI},
    {".", PC_TOK_DOT},         {":", PC_TOK_COLON},  {"@", PC_TOK_AT},   {"?", PC_TOK_QUESTION},
    {"=", PC_TOK_EQ},          {"<", PC_TOK_LT},     {">", PC_TOK_GT},   {"!", PC_TOK_BANG},
    {"+", PC_TOK_PLUS},        {"-", PC_TOK_MINUS},  {"*", PC_TOK_STAR}, {"/", PC_TOK_SLASH},
    {"%", PC_TOK_PERCENT},
};

/* Match punctuation at lx->pos; returns its length (0 if none). */
static size_t match_punct(const pc_lexer *lx, uint8_t *kind)
{
    size_t left = lx->len - lx->pos;
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        size_t n = strlen(puncts[i].text);
        if (n <= left && memcmp(lx->src + lx->pos, puncts[i].text, n) == 0) {
            *kind = puncts[i].kind;
            return n;
        }
    }
    return 0;
}

static void set_token(pc_token *t, uint8_t kind, size_t start, size_t end)
{
    t->kind = kind;
    t->start = (uint32_t)start;
    t->offset = (uint32_t)start;
    t->len = (uint32_t)(end - start);
}

/* Report a character that begins no token, quoting it when printable. */
static pc_status stray_char(const pc_lexer *lx, pc_diag *d)
{
    char c = lx->src[lx->pos];
    if (c > ' ' && c < 0x7f)
        return pc_diag_at(d, PC_ERR_PARSE, lx->name, lx->src, lx->len, lx->pos,
                          "unexpected character '%c'", c);
    return pc_diag_at(d, PC_ERR_PARSE, lx->name, lx->src, lx->len, lx->pos,
                      "unexpected character (byte 0x%02x)", (unsigned)(unsigned char)c);
}

pc_status pc_lex_next(pc_lexer *lx, pc_token *out, pc_diag *d)
{
    /* Offsets are 32-bit; parsers bound their input far below this. */
    if (lx->len > UINT32_MAX)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: text longer than 4 GiB", lx->name);
    pc_status st = skip_blank(lx, d);
    if (st != PC_OK)
        return st;
    if (lx->pos >= lx->len) {
        set_token(out, PC_TOK_EOF, lx->len, lx->len);
        return PC_OK;
    }
    char c = lx->src[lx->pos];
    size_t start = lx->pos;
    if (c == '"')
        return lex_string(lx, out, d);
    if (is_ident_start(c) || is_digit(c)) {
        bool ident = is_ident_start(c);
        lx->pos = scan_while(lx, start, ident ? is_ident_char : is_digit);
        set_token(out, ident ? PC_TOK_IDENT : PC_TOK_INT, start, lx->pos);
        return PC_OK;
    }
    uint8_t kind;
    size_t n = match_punct(lx, &kind);
    if (n == 0)
        return stray_char(lx, d);
    lx->pos += n;
    set_token(out, kind, start, lx->pos);
    return PC_OK;
}

pc_status pc_lex_peek(const pc_lexer *lx, pc_token *out, pc_diag *d)
{
    pc_lexer copy = *lx;
    return pc_lex_next(&copy, out, d);
}

bool pc_tok_is(const pc_lexer *lx, const pc_token *t, const char *word)
{
    return t->kind == PC_TOK_IDENT && strlen(word) == t->len &&
           memcmp(lx->src + t->start, word, t->len) == 0;
}

const char *pc_tok_name(pc_tok k)
{
    switch (k) {
    case PC_TOK_EOF: return "end of input";
    case PC_TOK_IDENT: return "identifier";
    case PC_TOK_STRING: return "string literal";
    case PC_TOK_INT: return "integer literal";
    case PC_TOK_LPAREN: return "'('";
    case PC_TOK_RPAREN: return "')'";
    case PC_TOK_LBRACKET: return "'['";
    case PC_TOK_RBRACKET: return "']'";
    case PC_TOK_LBRACE: return "'{'";
    case PC_TOK_RBRACE: return "'}'";
    case PC_TOK_COMMA: return "','";
    case PC_TOK_SEMI: return "';'";
    case PC_TOK_DOT: return "'.'";
    case PC_TOK_COLON: return "':'";
    case PC_TOK_COLONCOLON: return "'::'";
    case PC_TOK_AT: return "'@'";
    case PC_TOK_QUESTION: return "'?'";
    case PC_TOK_EQ: return "'='";
    case PC_TOK_EQEQ: return "'=='";
    case PC_TOK_NE: return "'!='";
    case PC_TOK_LT: return "'<'";
    case PC_TOK_LE: return "'<='";
    case PC_TOK_GT: return "'>'";
    case PC_TOK_GE: return "'>='";
    case PC_TOK_AND: return "'&&'";
    case PC_TOK_OR: return "'||'";
    case PC_TOK_BANG: return "'!'";
    case PC_TOK_PLUS: return "'+'";
    case PC_TOK_MINUS: return "'-'";
    case PC_TOK_STAR: return "'*'";
    case PC_TOK_SLASH: return "'/'";
    case PC_TOK_PERCENT: return "'%'";
    }
    return "token";
}
