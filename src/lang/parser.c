/*
** lang/parser.c — Cedar policy text to pc_policy / pc_expr trees.
**
** Design: a hand-written recursive-descent parser, one function per grammar
** rule (the rule is each function's first comment), with binary operators
** handled by precedence levels:
**     expr > || > && > relation > + - > * > unary > member > primary
** It accepts exactly what the reference (cedar-policy-core's LALR grammar
** plus its CST-to-AST conversion) accepts. The reference parses a generous
** grammar and rejects most shapes afterwards; we reject the same shapes while
** parsing, because every rejected input is simply an error to us. Notable
** rules carried over from the reference:
**   - relations do not chain (`1 < 2 < 3` is an error);
**   - a run of unary operators is all `!` or all `-`, at most 4 long, and a
**     `-` directly before an integer literal folds into the literal (so
**     -9223372036854775808 is a literal and `--5` is `-(-5)`);
**   - `true false if then else in is has like` are reserved: they cannot
**     name variables, types, attributes or record keys, and no name
**     component may be `__cedar`; annotation keys may be any identifier;
**   - record keys, `has` attributes and `[...]` indexes are identifiers or
**     string literals written directly (no parenthesised strings);
**   - calls resolve through pc_fn_lookup; the built-in methods check their
**     argument count here, extension functions only when evaluated (the
**     reference reports their arity as an evaluation error);
**   - template slots appear only in the principal/resource scope;
**   - action scope entities must have an `Action` type (`NS::Action`);
**   - `Comma<E>` lists allow one trailing comma, including the scope.
** Two bounds keep hostile input harmless: parse_expr nesting is counted
** (the C stack), and every node's height is capped at PC_MAX_EXPR_DEPTH
** (long operator chains build tall trees without deep parser recursion,
** and later passes walk trees recursively).
**
** Errors are values: every function returns pc_status, the first error is
** recorded with pc_diag_at (name:line:col plus a caret under the token), and
** nothing reaches the caller's policy list unless the whole text parsed.
*/
#include "ast.h"
#include "lang_internal.h"
#include "lexer.h"

#include <stdlib.h>
#include <string.h>

#define TRY(x)                            \
    do {                                  \
        pc_status try_st_ = (x);          \
        if (try_st_ != PC_OK)             \
            return try_st_;               \
    } while (0)

/* At most this many `!` or `-` in a row, as in the reference grammar. */
#define MAX_UNARY_RUN 4

/*
** Where a qualified name lies in the source. Names are not copied while they
** are read: written without spaces or comments (as nearly always) the span
** itself is the name, "A::B"; only otherwise is it joined, in the arena. So a
** name costs no heap and, with no interner, one arena copy at most.
*/
typedef struct name_span {
    uint32_t start, end;   /* source bytes from the first component to the last */
    uint32_t n;            /* components */
    size_t ident_bytes;    /* their total length, without the "::" */
} name_span;

typedef struct parser {
    pc_lexer lx;
    pc_token tok;        /* the current token (already read) */
    pc_arena *a;
    pc_intern *in;
    pc_diag *d;
    uint32_t depth;      /* nesting of parse_expr and scope references */
    name_span name;      /* the qualified name last read by parse_name */
} parser;

/* A growable array in the arena (old blocks are simply abandoned there). */
typedef struct vec {
    void *items;
    uint32_t n, cap;
    size_t size;         /* bytes per element */
} vec;

static pc_status parse_expr(parser *p, pc_expr **out);

/* ---- errors --------------------------------------------------------- */

static pc_status nomem(parser *p)
{
    return pc_diag_set(p->d, PC_ERR_NOMEM, "%s: out of memory while parsing", p->lx.name);
}

static pc_status error_at(parser *p, pc_status st, size_t off, const char *fmt, ...) PC_PRINTF(4, 5);

static pc_status error_at(parser *p, pc_status st, size_t off, const char *fmt, ...)
{
    pc_buf msg;
    pc_buf_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    bool ok = pc_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (!ok) {
        pc_buf_free(&msg);
        return nomem(p);
    }
    pc_diag_at(p->d, st, p->lx.name, p->lx.src, p->lx.len, off, "%s", msg.data);
    pc_buf_free(&msg);
    return st;
}

/* "expected X, found Y" at the current token. */
static pc_status unexpected(parser *p, const char *expected)
{
    const pc_token *t = &p->tok;
    if (t->kind == PC_TOK_IDENT || t->kind == PC_TOK_INT)
        return error_at(p, PC_ERR_PARSE, t->offset, "expected %s, found %s `%.*s`", expected,
                        pc_tok_name(t->kind), (int)t->len, p->lx.src + t->start);
    return error_at(p, PC_ERR_PARSE, t->offset, "expected %s, found %s", expected,
                    pc_tok_name(t->kind));
}

/* ---- tokens --------------------------------------------------------- */

static pc_status advance(parser *p)
{
    return pc_lex_next(&p->lx, &p->tok, p->d);
}

static pc_status peek(parser *p, pc_token *t)
{
    return pc_lex_peek(&p->lx, t, p->d);
}

static bool at(const parser *p, pc_tok k)
{
    return p->tok.kind == k;
}

static bool at_word(const parser *p, const char *word)
{
    return pc_tok_is(&p->lx, &p->tok, word);
}

/* Consume a token of kind k or report what was expected instead. */
static pc_status expect(parser *p, pc_tok k, const char *expected)
{
    if (!at(p, k))
        return unexpected(p, expected);
    return advance(p);
}

static pc_status expect_word(parser *p, const char *word, const char *expected)
{
    if (!at_word(p, word))
        return unexpected(p, expected);
    return advance(p);
}

/* ---- arena helpers -------------------------------------------------- */

static pc_status vec_push(parser *p, vec *v, const void *elem)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        void *grown = pc_arena_alloc(p->a, cap * v->size);
        if (!grown)
            return nomem(p);
        if (v->n)
            memcpy(grown, v->items, v->n * v->size);
        v->items = grown;
        v->cap = cap;
    }
    memcpy((char *)v->items + v->n * v->size, elem, v->size);
    v->n++;
    return PC_OK;
}

static pc_status new_node(parser *p, pc_ekind kind, uint32_t off, pc_expr **out)
{
    pc_expr *e = pc_arena_zalloc(p->a, sizeof *e);
    if (!e)
        return nomem(p);
    e->kind = (uint8_t)kind;
    e->offset = off;
    e->height = 1;
    *out = e;
    return PC_OK;
}

/* Record that child hangs under parent, enforcing the height bound. */
static pc_status adopt(parser *p, pc_expr *parent, const pc_expr *child)
{
    if (!child || child->height < parent->height)
        return PC_OK;
    if (child->height >= PC_MAX_EXPR_DEPTH)
        return error_at(p, PC_ERR_LIMIT, parent->offset,
                        "expression nested too deeply (more than %d levels)", PC_MAX_EXPR_DEPTH);
    parent->height = (uint16_t)(child->height + 1);
    return PC_OK;
}

/* A node with up to three operands (unused ones NULL). */
static pc_status op_node(parser *p, pc_ekind kind, uint32_t off, pc_expr *a, pc_expr *b,
                         pc_expr *c, pc_expr **out)
{
    TRY(new_node(p, kind, off, out));
    (*out)->u.op.a = a;
    (*out)->u.op.b = b;
    (*out)->u.op.c = c;
    TRY(adopt(p, *out, a));
    TRY(adopt(p, *out, b));
    return adopt(p, *out, c);
}

/* PC_E_HAS or PC_E_GETATTR on obj. */
static pc_status attr_node(parser *p, pc_ekind kind, uint32_t off, pc_expr *obj, pc_str name,
                           pc_expr **out)
{
    TRY(new_node(p, kind, off, out));
    (*out)->u.attr.obj = obj;
    (*out)->u.attr.name = name;
    return adopt(p, *out, obj);
}

static pc_status lit_node(parser *p, pc_value v, uint32_t off, pc_expr **out)
{
    TRY(new_node(p, PC_E_LIT, off, out));
    (*out)->u.lit = v;
    return PC_OK;
}

/* Intern at load time; without an interner (request time) copy into the arena. */
static pc_status intern(parser *p, const char *s, size_t n, pc_str *out)
{
    *out = p->in ? pc_intern_str(p->in, s, n) : pc_arena_str(p->a, s, n);
    return out->ptr ? PC_OK : nomem(p);
}

/* ---- identifiers and names ------------------------------------------ */

/* The reserved words, with their lengths so that most need no comparison at all. */
static bool is_reserved(const parser *p, const pc_token *t)
{
#define WORD(w) {w, sizeof w - 1}
    static const struct {
        const char *text;
        uint32_t len;
    } reserved_words[] = {WORD("true"), WORD("false"), WORD("if"),  WORD("then"), WORD("else"),
                          WORD("in"),   WORD("is"),    WORD("has"), WORD("like")};
#undef WORD
    for (size_t i = 0; i < sizeof reserved_words / sizeof reserved_words[0]; i++)
        if (reserved_words[i].len == t->len &&
            memcmp(p->lx.src + t->start, reserved_words[i].text, t->len) == 0)
            return true;
    return false;
}

/* An identifier that may name a type component, attribute or record key. */
static pc_status check_ident(parser *p, const pc_token *t)
{
    if (t->kind != PC_TOK_IDENT)
        return unexpected(p, "an identifier");
    if (is_reserved(p, t))
        return error_at(p, PC_ERR_PARSE, t->offset,
                        "`%.*s` is a reserved word and cannot be used as an identifier here",
                        (int)t->len, p->lx.src + t->start);
    if (pc_tok_is(&p->lx, t, "__cedar"))
        return error_at(p, PC_ERR_PARSE, t->offset, "the name `__cedar` is reserved");
    return PC_OK;
}

/* Consume a checked identifier and intern it. */
static pc_status take_ident(parser *p, pc_str *out)
{
    TRY(check_ident(p, &p->tok));
    TRY(intern(p, p->lx.src + p->tok.start, p->tok.len, out));
    return advance(p);
}

static const char *const var_names[] = {"principal", "action", "resource", "context"};

/* The variable a token names, or -1. */
static int var_of(const parser *p, const pc_token *t)
{
    for (int i = 0; i < 4; i++)
        if (pc_tok_is(&p->lx, t, var_names[i]))
            return i;
    return -1;
}

/*
** name := IDENT { '::' IDENT }
** Stops before a '::' followed by anything but an identifier (the id part of
** an entity literal). The name's span is left in p->name; *n counts components.
*/
static pc_status parse_name(parser *p, uint32_t *n)
{
    p->name = (name_span){p->tok.start, p->tok.start, 0, 0};
    for (;;) {
        TRY(check_ident(p, &p->tok));
        p->name.n++;
        p->name.ident_bytes += p->tok.len;
        p->name.end = p->tok.start + p->tok.len;
        TRY(advance(p));
        pc_token next;
        TRY(peek(p, &next));
        if (!at(p, PC_TOK_COLONCOLON) || next.kind != PC_TOK_IDENT) {
            *n = p->name.n;
            return PC_OK;
        }
        TRY(advance(p));
    }
}

/* Whether the name's span holds nothing but its components and the "::" between them. */
static bool name_is_tight(const name_span *s)
{
    return s->end - s->start == s->ident_bytes + 2 * ((size_t)s->n - 1);
}

/* The identifiers of the span joined by "::", re-read from the source into the arena. */
static pc_status join_name(parser *p, pc_str *out)
{
    const name_span *s = &p->name;
    char *buf = pc_arena_alloc(p->a, s->ident_bytes + 2 * ((size_t)s->n - 1) + 1);
    if (!buf)
        return nomem(p);
    pc_lexer lx;
    pc_lex_init(&lx, p->lx.src + s->start, s->end - s->start, p->lx.name);
    size_t len = 0;
    pc_token t;
    /* the span lexed cleanly once, so it lexes the same again */
    while (pc_lex_next(&lx, &t, NULL) == PC_OK && t.kind != PC_TOK_EOF) {
        if (t.kind != PC_TOK_IDENT)
            continue;
        if (len > 0)
            buf[len++] = ':', buf[len++] = ':';
        memcpy(buf + len, lx.src + t.start, t.len);
        len += t.len;
    }
    buf[len] = '\0';
    *out = (pc_str){buf, len};
    return PC_OK;
}

/* The text of the name last read: the source span when tight, else joined. */
static pc_status name_text(parser *p, pc_str *out)
{
    if (!name_is_tight(&p->name))
        return join_name(p, out);
    *out = (pc_str){p->lx.src + p->name.start, p->name.end - p->name.start};
    return PC_OK;
}

/* The name last read, kept for the caller's lifetime (interned or in the arena). */
static pc_status intern_name(parser *p, pc_str *out)
{
    pc_str text;
    TRY(name_text(p, &text));
    return intern(p, text.ptr, text.len, out);
}

/* type_name := name   (an entity type after `is`) */
static pc_status parse_type_name(parser *p, pc_str *out)
{
    uint32_t n;
    TRY(parse_name(p, &n));
    if (at(p, PC_TOK_COLONCOLON))
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "expected an entity type after `is`, found an entity literal");
    return intern_name(p, out);
}

/* ---- literals ------------------------------------------------------- */

/* Unescape a string token's body and intern it. */
static pc_status string_value(parser *p, const pc_token *t, pc_str *out)
{
    const char *why;
    size_t bad;
    pc_str raw;
    if (!pc_unescape(p->a, p->lx.src + t->start, t->len, &raw, &why, &bad))
        return why ? error_at(p, PC_ERR_PARSE, t->start + bad, "%s", why) : nomem(p);
    return intern(p, raw.ptr, raw.len, out);
}

/* Consume a string literal token and return its value. */
static pc_status take_string(parser *p, const char *expected, pc_str *out)
{
    if (!at(p, PC_TOK_STRING))
        return unexpected(p, expected);
    TRY(string_value(p, &p->tok, out));
    return advance(p);
}

/* entity_tail := '::' STRING   (after a name read by parse_name) */
static pc_status parse_entity_tail(parser *p, pc_uid **out)
{
    if (!at(p, PC_TOK_COLONCOLON))
        return unexpected(p, "'::' and an entity id");
    TRY(advance(p));
    if (at(p, PC_TOK_LBRACE))
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "entity literals of the form `Type::{...}` are not supported");
    pc_str type, id;
    TRY(intern_name(p, &type));
    TRY(take_string(p, "a string literal (the entity id)", &id));
    pc_uid *u = pc_uid_make(p->a, type, id);
    if (!u)
        return nomem(p);
    *out = u;
    return PC_OK;
}

/* entity := name '::' STRING */
static pc_status parse_entity(parser *p, pc_uid **out)
{
    uint32_t n;
    TRY(parse_name(p, &n));
    return parse_entity_tail(p, out);
}

/*
** int := INT, optionally negated by a '-' just before it. Magnitudes up to
** 2^63 are allowed only when negated (the reference folds the minus sign).
*/
static pc_status parse_int(parser *p, bool negate, uint32_t off, pc_expr **out)
{
    const char *s = p->lx.src + p->tok.start;
    uint64_t v = 0;
    for (uint32_t i = 0; i < p->tok.len; i++) {
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return error_at(p, PC_ERR_PARSE, p->tok.offset, "integer literal `%.*s` is too large",
                            (int)p->tok.len, s);
        v = v * 10 + digit;
    }
    uint64_t limit = negate ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (v > limit)
        return error_at(p, PC_ERR_PARSE, off,
                        "integer literal `%s%.*s` does not fit in a 64-bit signed integer",
                        negate ? "-" : "", (int)p->tok.len, s);
    int64_t value = negate ? (v == limit ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    TRY(lit_node(p, pc_v_long(value), off, out));
    return advance(p);
}

/* ---- comma lists ---------------------------------------------------- */

typedef pc_status (*item_fn)(parser *p, void *ctx);

/*
** list := { item ',' } [ item ] close
** (the reference's Comma<E>: one trailing comma is allowed). The opening
** bracket has been consumed.
*/
static pc_status parse_list(parser *p, pc_tok close, item_fn item, void *ctx)
{
    while (!at(p, close)) {
        TRY(item(p, ctx));
        if (!at(p, PC_TOK_COMMA)) {
            if (at(p, close))
                break;
            pc_buf want;
            pc_buf_init(&want);
            bool ok = pc_buf_printf(&want, "',' or %s", pc_tok_name(close));
            pc_status st = ok ? unexpected(p, want.data) : nomem(p);
            pc_buf_free(&want);
            return st;
        }
        TRY(advance(p));
    }
    return advance(p);
}

/* An item that is an expression, appended to the vec of pc_expr pointers. */
static pc_status expr_item(parser *p, void *ctx)
{
    pc_expr *e;
    TRY(parse_expr(p, &e));
    return vec_push(p, ctx, &e);
}

/* args := '(' list(expr) ')' — the current token is '('. */
static pc_status parse_args(parser *p, vec *args)
{
    TRY(advance(p));
    return parse_list(p, PC_TOK_RPAREN, expr_item, args);
}

/* ---- calls ---------------------------------------------------------- */

static pc_status call_node(parser *p, pc_fn fn, uint32_t off, vec *args, pc_expr **out)
{
    TRY(new_node(p, PC_E_CALL, off, out));
    (*out)->u.call.fn = fn;
    (*out)->u.call.n = args->n;
    (*out)->u.call.args = args->items;
    for (uint32_t i = 0; i < args->n; i++)
        TRY(adopt(p, *out, ((pc_expr **)args->items)[i]));
    return PC_OK;
}

/*
** method_call := '.' IDENT args   (receiver already parsed; current token is
** '(' and name_tok is the method name)
*/
static pc_status parse_method_call(parser *p, pc_expr *recv, const pc_token *name_tok,
                                   pc_expr **out)
{
    pc_str name = pc_tok_text(&p->lx, name_tok);
    vec args = {.size = sizeof(pc_expr *)};
    TRY(vec_push(p, &args, &recv));
    TRY(parse_args(p, &args));
    pc_fn fn;
    if (!pc_fn_lookup(name, true, &fn)) {
        if (pc_fn_lookup(name, false, &fn))
            return error_at(p, PC_ERR_PARSE, name_tok->offset,
                            "`%.*s` is a function, not a method: call it as %.*s(...)",
                            (int)name.len, name.ptr, (int)name.len, name.ptr);
        return error_at(p, PC_ERR_PARSE, name_tok->offset, "unknown method `%.*s`",
                        (int)name.len, name.ptr);
    }
    const pc_fn_info *info = pc_fn_get(fn);
    /* Only the built-in methods have their arity checked while parsing. */
    if (info->is_builtin && args.n != info->arity)
        return error_at(p, PC_ERR_PARSE, name_tok->offset,
                        "method `%s` takes %u argument%s, found %u", info->name,
                        (unsigned)(info->arity - 1), info->arity == 2 ? "" : "s",
                        (unsigned)(args.n - 1));
    return call_node(p, fn, recv->offset, &args, out);
}

/* function_call := name args   (the name is p->name; current token is '(') */
static pc_status parse_function_call(parser *p, uint32_t ncomp, uint32_t off, pc_expr **out)
{
    pc_str name;
    TRY(intern_name(p, &name));
    pc_fn fn;
    if (ncomp == 1 && pc_fn_lookup(name, true, &fn))
        return error_at(p, PC_ERR_PARSE, off,
                        "`%.*s` is a method, not a function: call it as e.%.*s(...)",
                        (int)name.len, name.ptr, (int)name.len, name.ptr);
    if (ncomp != 1 || !pc_fn_lookup(name, false, &fn))
        return error_at(p, PC_ERR_PARSE, off, "unknown function `%.*s`", (int)name.len, name.ptr);
    vec args = {.size = sizeof(pc_expr *)};
    TRY(parse_args(p, &args));
    return call_node(p, fn, off, &args, out);
}

/* ---- primaries ------------------------------------------------------ */

/* A '?' immediately followed by a slot name: ?principal or ?resource. */
static pc_status parse_slot(parser *p, pc_slot *out)
{
    uint32_t q = p->tok.offset;
    TRY(advance(p));
    if (!at(p, PC_TOK_IDENT) || p->tok.offset != q + 1)
        return error_at(p, PC_ERR_PARSE, q, "expected a template slot (?principal or ?resource)");
    if (at_word(p, "principal"))
        *out = PC_SLOT_PRINCIPAL;
    else if (at_word(p, "resource"))
        *out = PC_SLOT_RESOURCE;
    else
        return error_at(p, PC_ERR_PARSE, q, "invalid template slot `?%.*s`", (int)p->tok.len,
                        p->lx.src + p->tok.start);
    return advance(p);
}

/*
** name_primary := 'true' | 'false' | VAR | entity | name args
** Any other bare name is an error: Cedar has no user variables.
*/
static pc_status parse_name_primary(parser *p, pc_expr **out)
{
    uint32_t off = p->tok.offset;
    pc_token next;
    TRY(peek(p, &next));
    bool qualified = next.kind == PC_TOK_COLONCOLON;
    if (!qualified && (at_word(p, "true") || at_word(p, "false"))) {
        TRY(lit_node(p, pc_v_bool(at_word(p, "true")), off, out));
        return advance(p);
    }
    if (!qualified && at_word(p, "if"))
        return error_at(p, PC_ERR_PARSE, off,
                        "an if-then-else expression must be parenthesized here");
    int var = var_of(p, &p->tok);
    uint32_t n;
    TRY(parse_name(p, &n));
    if (at(p, PC_TOK_COLONCOLON)) {
        pc_uid *u;
        TRY(parse_entity_tail(p, &u));
        return lit_node(p, pc_v_entity(u), off, out);
    }
    if (at(p, PC_TOK_LPAREN))
        return n == 1 && var >= 0
                   ? error_at(p, PC_ERR_PARSE, off, "variables cannot be called as functions")
                   : parse_function_call(p, n, off, out);
    if (n == 1 && var >= 0) {
        TRY(new_node(p, PC_E_VAR, off, out));
        (*out)->u.var = (pc_var)var;
        return PC_OK;
    }
    pc_str name;
    TRY(name_text(p, &name));
    return error_at(p, PC_ERR_PARSE, off,
                    "invalid variable `%.*s`: the variables are principal, action, resource and "
                    "context (did you mean a string \"%.*s\"?)",
                    (int)name.len, name.ptr, (int)name.len, name.ptr);
}

/* set := '[' list(expr) ']' */
static pc_status parse_set(parser *p, pc_expr **out)
{
    uint32_t off = p->tok.offset;
    vec items = {.size = sizeof(pc_expr *)};
    TRY(advance(p));
    TRY(parse_list(p, PC_TOK_RBRACKET, expr_item, &items));
    TRY(new_node(p, PC_E_SET, off, out));
    (*out)->u.list.n = items.n;
    (*out)->u.list.items = items.items;
    for (uint32_t i = 0; i < items.n; i++)
        TRY(adopt(p, *out, ((pc_expr **)items.items)[i]));
    return PC_OK;
}

typedef struct record_ctx {
    vec keys, vals;
} record_ctx;

/* record_key := IDENT | STRING   (an identifier key is not reserved; variables are fine) */
static pc_status parse_record_key(parser *p, pc_str *out)
{
    if (at(p, PC_TOK_STRING))
        return take_string(p, "a record key", out);
    if (!at(p, PC_TOK_IDENT))
        return unexpected(p, "a record key (an identifier or a string literal)");
    return take_ident(p, out);
}

/* record_init := record_key ':' expr */
static pc_status record_init_item(parser *p, void *ctx)
{
    record_ctx *rc = ctx;
    pc_str key;
    pc_expr *val;
    TRY(parse_record_key(p, &key));
    TRY(expect(p, PC_TOK_COLON, "':' after the record key"));
    TRY(parse_expr(p, &val));
    TRY(vec_push(p, &rc->keys, &key));
    return vec_push(p, &rc->vals, &val);
}

static int cmp_ptr(const void *a, const void *b)
{
    const char *x = ((const pc_str *)a)->ptr, *y = ((const pc_str *)b)->ptr;
    return (x > y) - (x < y);
}

/*
** Find a repeated key among n interned strings (pointer-equal when equal);
** returns its index in keys, or n when all are distinct. O(n log n).
*/
static pc_status find_duplicate(parser *p, const pc_str *keys, uint32_t n, uint32_t *dup)
{
    *dup = n;
    if (n < 2)
        return PC_OK;
    pc_str *sorted = pc_arena_alloc(p->a, n * sizeof *sorted);
    if (!sorted)
        return nomem(p);
    memcpy(sorted, keys, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_ptr);
    for (uint32_t i = 1; i < n; i++) {
        if (sorted[i].ptr != sorted[i - 1].ptr)
            continue;
        for (uint32_t j = 0; j < n; j++)      /* report it by source position */
            if (keys[j].ptr == sorted[i].ptr) {
                *dup = j;
                break;
            }
        return PC_OK;
    }
    return PC_OK;
}

/* record := '{' list(record_init) '}' */
static pc_status parse_record(parser *p, pc_expr **out)
{
    uint32_t off = p->tok.offset;
    record_ctx rc = {{.size = sizeof(pc_str)}, {.size = sizeof(pc_expr *)}};
    TRY(advance(p));
    TRY(parse_list(p, PC_TOK_RBRACE, record_init_item, &rc));
    uint32_t dup;
    TRY(find_duplicate(p, rc.keys.items, rc.keys.n, &dup));
    if (dup < rc.keys.n) {
        pc_str k = ((pc_str *)rc.keys.items)[dup];
        return error_at(p, PC_ERR_PARSE, off, "duplicate key \"%.*s\" in record literal",
                        (int)k.len, k.ptr);
    }
    TRY(new_node(p, PC_E_RECORD, off, out));
    (*out)->u.rec.n = rc.keys.n;
    (*out)->u.rec.keys = rc.keys.items;
    (*out)->u.rec.vals = rc.vals.items;
    for (uint32_t i = 0; i < rc.vals.n; i++)
        TRY(adopt(p, *out, ((pc_expr **)rc.vals.items)[i]));
    return PC_OK;
}

/*
** primary := INT | STRING | name_primary | '(' expr ')' | set | record
** (template slots are recognised only to reject them: they belong in the scope)
*/
static pc_status parse_primary(parser *p, pc_expr **out)
{
    switch (p->tok.kind) {
    case PC_TOK_INT:
        return parse_int(p, false, p->tok.offset, out);
    case PC_TOK_STRING: {
        pc_str s;
        uint32_t off = p->tok.offset;
        TRY(take_string(p, "a string", &s));
        return lit_node(p, pc_v_string(s), off, out);
    }
    case PC_TOK_IDENT:
        return parse_name_primary(p, out);
    case PC_TOK_LPAREN:
        TRY(advance(p));
        TRY(parse_expr(p, out));
        return expect(p, PC_TOK_RPAREN, "')'");
    case PC_TOK_LBRACKET:
        return parse_set(p, out);
    case PC_TOK_LBRACE:
        return parse_record(p, out);
    case PC_TOK_QUESTION:
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "template slots may only appear in the policy scope, not in when/unless "
                        "conditions");
    default:
        return unexpected(p, "an expression");
    }
}

/* ---- member access, unary, binary levels ----------------------------- */

/*
** access := '.' IDENT [ args ] | '[' STRING ']'
** Applied left to right to e; a '(' directly after an expression is an error.
*/
static pc_status parse_access(parser *p, pc_expr **e)
{
    uint32_t off = (*e)->offset;
    if (at(p, PC_TOK_LBRACKET)) {
        pc_str name;
        TRY(advance(p));
        TRY(take_string(p, "a string literal inside [ ]", &name));
        TRY(expect(p, PC_TOK_RBRACKET, "']'"));
        return attr_node(p, PC_E_GETATTR, off, *e, name, e);
    }
    TRY(advance(p));   /* the '.' */
    pc_token name_tok = p->tok;
    pc_str name;
    TRY(take_ident(p, &name));
    if (at(p, PC_TOK_LPAREN))
        return parse_method_call(p, *e, &name_tok, e);
    return attr_node(p, PC_E_GETATTR, off, *e, name, e);
}

/* member := primary { access } */
static pc_status parse_member(parser *p, pc_expr **out)
{
    TRY(parse_primary(p, out));
    for (;;) {
        if (at(p, PC_TOK_DOT) || at(p, PC_TOK_LBRACKET)) {
            TRY(parse_access(p, out));
        } else if (at(p, PC_TOK_LPAREN)) {
            return error_at(p, PC_ERR_PARSE, p->tok.offset,
                            (*out)->kind == PC_E_VAR ? "variables cannot be called as functions"
                                                     : "this expression cannot be called");
        } else {
            return PC_OK;
        }
    }
}

/* Is the current INT token a bare literal (not the start of a member access)? */
static pc_status int_is_bare(parser *p, bool *bare)
{
    pc_token next;
    TRY(peek(p, &next));
    *bare = next.kind != PC_TOK_DOT && next.kind != PC_TOK_LBRACKET &&
            next.kind != PC_TOK_LPAREN;
    return PC_OK;
}

/*
** unary := '!'{1,4} member | '-'{1,4} member | member
** The last '-' before a bare integer literal is folded into the literal.
*/
static pc_status parse_unary(parser *p, pc_expr **out)
{
    pc_tok op = p->tok.kind;
    if (op != PC_TOK_BANG && op != PC_TOK_MINUS)
        return parse_member(p, out);
    uint32_t offs[MAX_UNARY_RUN];   /* where each operator is, for its node */
    unsigned count = 0;
    while (at(p, op)) {
        if (count == MAX_UNARY_RUN)
            return error_at(p, PC_ERR_PARSE, offs[0],
                            "too many `%c` operators in a row (at most %d)",
                            op == PC_TOK_BANG ? '!' : '-', MAX_UNARY_RUN);
        offs[count++] = p->tok.offset;
        TRY(advance(p));
    }
    bool bare = false;
    if (op == PC_TOK_MINUS && at(p, PC_TOK_INT))
        TRY(int_is_bare(p, &bare));
    if (bare) {
        count--;
        TRY(parse_int(p, true, offs[count], out));
    } else {
        TRY(parse_member(p, out));
    }
    pc_ekind kind = op == PC_TOK_BANG ? PC_E_NOT : PC_E_NEG;
    while (count > 0) {
        count--;
        TRY(op_node(p, kind, offs[count], *out, NULL, NULL, out));
    }
    return PC_OK;
}

/* mult := unary { '*' unary } */
static pc_status parse_mult(parser *p, pc_expr **out)
{
    TRY(parse_unary(p, out));
    for (;;) {
        if (at(p, PC_TOK_SLASH) || at(p, PC_TOK_PERCENT))
            return error_at(p, PC_ERR_PARSE, p->tok.offset,
                            "Cedar has no `%c` operator (only +, - and *)",
                            at(p, PC_TOK_SLASH) ? '/' : '%');
        if (!at(p, PC_TOK_STAR))
            return PC_OK;
        pc_expr *r;
        TRY(advance(p));
        TRY(parse_unary(p, &r));
        TRY(op_node(p, PC_E_MUL, (*out)->offset, *out, r, NULL, out));
    }
}

/* add := mult { ('+' | '-') mult } */
static pc_status parse_add(parser *p, pc_expr **out)
{
    TRY(parse_mult(p, out));
    while (at(p, PC_TOK_PLUS) || at(p, PC_TOK_MINUS)) {
        pc_ekind kind = at(p, PC_TOK_PLUS) ? PC_E_ADD : PC_E_SUB;
        pc_expr *r;
        TRY(advance(p));
        TRY(parse_mult(p, &r));
        TRY(op_node(p, kind, (*out)->offset, *out, r, NULL, out));
    }
    return PC_OK;
}

/* The comparison operator at the current token, or false. */
static bool relop(const parser *p, pc_ekind *kind)
{
    switch (p->tok.kind) {
    case PC_TOK_EQEQ: *kind = PC_E_EQ; return true;
    case PC_TOK_NE: *kind = PC_E_NE; return true;
    case PC_TOK_LT: *kind = PC_E_LT; return true;
    case PC_TOK_LE: *kind = PC_E_LE; return true;
    case PC_TOK_GT: *kind = PC_E_GT; return true;
    case PC_TOK_GE: *kind = PC_E_GE; return true;
    default:
        *kind = PC_E_IN;
        return at_word(p, "in");
    }
}

/* The first `has` attribute: a variable name or an unreserved identifier. */
static pc_status take_has_first(parser *p, pc_str *out)
{
    if (var_of(p, &p->tok) < 0)
        return take_ident(p, out);
    TRY(intern(p, p->lx.src + p->tok.start, p->tok.len, out));
    return advance(p);
}

/*
** has_rhs := STRING | IDENT { '.' IDENT }
** `e has a.b.c` becomes `(e has a && e.a has b) && e.a.b has c`, folded to
** the left as the reference does.
*/
static pc_status parse_has(parser *p, pc_expr *obj, uint32_t off, pc_expr **out)
{
    pc_str attr;
    if (at(p, PC_TOK_STRING)) {
        TRY(take_string(p, "an attribute", &attr));
        return attr_node(p, PC_E_HAS, off, obj, attr, out);
    }
    if (!at(p, PC_TOK_IDENT))
        return unexpected(p, "an attribute name or string after `has`");
    TRY(take_has_first(p, &attr));
    TRY(attr_node(p, PC_E_HAS, off, obj, attr, out));
    pc_expr *path = obj;
    while (at(p, PC_TOK_DOT)) {
        pc_str next;
        TRY(advance(p));
        TRY(take_ident(p, &next));
        pc_expr *has;
        TRY(attr_node(p, PC_E_GETATTR, off, path, attr, &path));
        TRY(attr_node(p, PC_E_HAS, off, path, next, &has));
        TRY(op_node(p, PC_E_AND, off, *out, has, NULL, out));
        attr = next;
    }
    return PC_OK;
}

/* like_rhs := STRING   (a pattern: `*` is a wildcard, `\*` a literal star) */
static pc_status parse_like(parser *p, pc_expr *obj, uint32_t off, pc_expr **out)
{
    if (!at(p, PC_TOK_STRING))
        return unexpected(p, "a pattern string after `like`");
    pc_pattern *pat;
    const char *why;
    size_t bad;
    if (!pc_unescape_pattern(p->a, p->lx.src + p->tok.start, p->tok.len, &pat, &why, &bad))
        return why ? error_at(p, PC_ERR_PARSE, p->tok.start + bad, "%s", why) : nomem(p);
    TRY(advance(p));
    TRY(new_node(p, PC_E_LIKE, off, out));
    (*out)->u.like.obj = obj;
    (*out)->u.like.pat = pat;
    return adopt(p, *out, obj);
}

/* is_rhs := type_name [ 'in' add ] */
static pc_status parse_is(parser *p, pc_expr *obj, uint32_t off, pc_expr **out)
{
    pc_str type;
    pc_expr *in = NULL;
    TRY(parse_type_name(p, &type));
    if (at_word(p, "in")) {
        TRY(advance(p));
        TRY(parse_add(p, &in));
    }
    TRY(new_node(p, PC_E_IS, off, out));
    (*out)->u.is.obj = obj;
    (*out)->u.is.type = type;
    (*out)->u.is.in = in;
    TRY(adopt(p, *out, obj));
    return adopt(p, *out, in);
}

/*
** relation := add [ relop add ] | add 'has' has_rhs | add 'like' like_rhs
**           | add 'is' is_rhs
** relop    := '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in'
*/
static pc_status parse_relation(parser *p, pc_expr **out)
{
    TRY(parse_add(p, out));
    uint32_t off = (*out)->offset;
    pc_ekind kind;
    if (relop(p, &kind)) {
        pc_expr *r;
        TRY(advance(p));
        TRY(parse_add(p, &r));
        TRY(op_node(p, kind, off, *out, r, NULL, out));
        if (relop(p, &kind) || at(p, PC_TOK_EQ))
            return error_at(p, PC_ERR_PARSE, p->tok.offset,
                            "comparison operators do not chain: add parentheses");
        return PC_OK;
    }
    if (at(p, PC_TOK_EQ))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "`=` is not an operator: use `==`");
    bool has = at_word(p, "has"), like = at_word(p, "like"), is = at_word(p, "is");
    if (!has && !like && !is)
        return PC_OK;
    TRY(advance(p));
    if (has)
        return parse_has(p, *out, off, out);
    if (like)
        return parse_like(p, *out, off, out);
    return parse_is(p, *out, off, out);
}

/* and := relation { '&&' relation } */
static pc_status parse_and(parser *p, pc_expr **out)
{
    TRY(parse_relation(p, out));
    while (at(p, PC_TOK_AND)) {
        pc_expr *r;
        TRY(advance(p));
        TRY(parse_relation(p, &r));
        TRY(op_node(p, PC_E_AND, (*out)->offset, *out, r, NULL, out));
    }
    return PC_OK;
}

/* or := and { '||' and } */
static pc_status parse_or(parser *p, pc_expr **out)
{
    TRY(parse_and(p, out));
    while (at(p, PC_TOK_OR)) {
        pc_expr *r;
        TRY(advance(p));
        TRY(parse_and(p, &r));
        TRY(op_node(p, PC_E_OR, (*out)->offset, *out, r, NULL, out));
    }
    return PC_OK;
}

/* Count one level of nesting; every recursive descent passes through here. */
static pc_status enter(parser *p)
{
    if (++p->depth > PC_MAX_EXPR_DEPTH)
        return error_at(p, PC_ERR_LIMIT, p->tok.offset,
                        "expression nested too deeply (more than %d levels)", PC_MAX_EXPR_DEPTH);
    return PC_OK;
}

/* if_expr := 'if' expr 'then' expr 'else' expr   (current token is `if`) */
static pc_status parse_if(parser *p, pc_expr **out)
{
    uint32_t off = p->tok.offset;
    pc_expr *c, *t, *e;
    TRY(advance(p));
    TRY(parse_expr(p, &c));
    TRY(expect_word(p, "then", "`then`"));
    TRY(parse_expr(p, &t));
    TRY(expect_word(p, "else", "`else`"));
    TRY(parse_expr(p, &e));
    return op_node(p, PC_E_IF, off, c, t, e, out);
}

/* expr := if_expr | or */
static pc_status parse_expr(parser *p, pc_expr **out)
{
    TRY(enter(p));
    pc_token next = {0};
    if (at_word(p, "if"))
        TRY(peek(p, &next));
    /* `if::X::"a"` would be a (reserved, hence rejected) name, not a conditional */
    pc_status st = at_word(p, "if") && next.kind != PC_TOK_COLONCOLON ? parse_if(p, out)
                                                                      : parse_or(p, out);
    p->depth--;
    return st;
}

/* ---- policy scope --------------------------------------------------- */

/* What a scope reference may be. */
typedef enum ref_mode {
    REF_ENTITY,          /* one entity literal */
    REF_ENTITY_OR_SLOT,  /* one entity literal or the variable's own slot */
    REF_ENTITY_OR_SET    /* one entity literal or a list of them (action in) */
} ref_mode;

typedef struct scope_ref {
    pc_uid *uid;
    bool slot;
    bool is_set;
    vec uids;            /* of const pc_uid *, when is_set */
} scope_ref;

static pc_status parse_scope_ref(parser *p, ref_mode mode, pc_slot own, scope_ref *r);

/* An action-list element: exactly one entity literal. */
static pc_status action_item(parser *p, void *ctx)
{
    scope_ref one = {0};
    TRY(parse_scope_ref(p, REF_ENTITY, PC_SLOT_PRINCIPAL, &one));
    return vec_push(p, ctx, &one.uid);
}

/*
** scope_ref := '(' scope_ref ')' | SLOT | entity | '[' list(scope_ref) ']'
** (which forms are allowed depends on the mode; parentheses always are)
*/
static pc_status parse_scope_ref(parser *p, ref_mode mode, pc_slot own, scope_ref *r)
{
    if (at(p, PC_TOK_LPAREN)) {
        TRY(enter(p));
        TRY(advance(p));
        TRY(parse_scope_ref(p, mode, own, r));
        p->depth--;
        return expect(p, PC_TOK_RPAREN, "')'");
    }
    if (at(p, PC_TOK_QUESTION)) {
        uint32_t off = p->tok.offset;
        pc_slot s = own;
        TRY(parse_slot(p, &s));
        if (mode != REF_ENTITY_OR_SLOT || s != own)
            return error_at(p, PC_ERR_PARSE, off, "this template slot is not allowed here%s",
                            mode == REF_ENTITY_OR_SLOT ? " (each slot matches its own variable)"
                                                       : "");
        r->slot = true;
        return PC_OK;
    }
    if (at(p, PC_TOK_LBRACKET)) {
        if (mode != REF_ENTITY_OR_SET)
            return error_at(p, PC_ERR_PARSE, p->tok.offset,
                            "expected a single entity, found a list (only `action in` takes a list)");
        r->is_set = true;
        r->uids.size = sizeof(const pc_uid *);
        TRY(advance(p));
        return parse_list(p, PC_TOK_RBRACKET, action_item, &r->uids);
    }
    if (!at(p, PC_TOK_IDENT))
        return unexpected(p, mode == REF_ENTITY_OR_SLOT ? "an entity or a template slot"
                                                        : "an entity");
    return parse_entity(p, &r->uid);
}

/* Reject `principal in E is T`, which the reference flags specially. */
static pc_status after_scope_ref(parser *p)
{
    if (at_word(p, "is"))
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "`is` must come before `in` in the scope: write `principal is T in E`");
    if (!at(p, PC_TOK_COMMA) && !at(p, PC_TOK_RPAREN))
        return unexpected(p, "',' or ')' after the scope constraint");
    return PC_OK;
}

/* Reject the constraint forms that are not allowed after a scope variable. */
static pc_status check_scope_op(parser *p)
{
    pc_ekind kind;
    if (at(p, PC_TOK_COLON))
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "type constraints using `:` are not supported: use `is`");
    if (at(p, PC_TOK_EQ))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "`=` is not an operator: use `==`");
    if (relop(p, &kind) && kind != PC_E_EQ && kind != PC_E_IN)
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "the scope only allows `==`, `in` and `is` constraints");
    return PC_OK;
}

/*
** pr_scope := VAR [ 'is' type_name ] [ ('==' | 'in') scope_ref ]
** for VAR = principal or resource; `is` combines only with `in`.
*/
static pc_status parse_pr_scope(parser *p, pc_var var, pc_scope *s)
{
    const char *word = var_names[var];
    pc_slot own = var == PC_VAR_PRINCIPAL ? PC_SLOT_PRINCIPAL : PC_SLOT_RESOURCE;
    s->offset = p->tok.offset;
    TRY(expect_word(p, word, var == PC_VAR_PRINCIPAL ? "`principal`" : "`resource`"));
    TRY(check_scope_op(p));
    s->op = PC_SCOPE_ANY;
    if (at_word(p, "is")) {
        TRY(advance(p));
        TRY(parse_type_name(p, &s->is_type));
        TRY(check_scope_op(p));
        s->op = PC_SCOPE_IS;
    }
    bool eq = at(p, PC_TOK_EQEQ);
    if (!eq && !at_word(p, "in"))
        return PC_OK;
    if (eq && s->op == PC_SCOPE_IS)
        return error_at(p, PC_ERR_PARSE, p->tok.offset,
                        "`is` cannot be combined with `==` in the scope (use `is ... in`)");
    s->op = eq ? PC_SCOPE_EQ : s->op == PC_SCOPE_IS ? PC_SCOPE_IS_IN : PC_SCOPE_IN;
    TRY(advance(p));
    scope_ref r = {0};
    TRY(parse_scope_ref(p, REF_ENTITY_OR_SLOT, own, &r));
    s->slot = r.slot;
    s->uid = r.uid;
    return after_scope_ref(p);
}

/* Does the uid's type end in the component `Action` (as action types must)? */
bool pc_uid_is_action(const pc_uid *u)
{
    static const char suffix[] = "::Action";
    size_t n = sizeof suffix - 1;
    if (pc_str_eq_cstr(u->type, "Action"))
        return true;
    return u->type.len > n && memcmp(u->type.ptr + u->type.len - n, suffix, n) == 0;
}

static pc_status check_action_types(parser *p, uint32_t off, const pc_uid *const *uids,
                                    uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!pc_uid_is_action(uids[i]))
            return error_at(p, PC_ERR_PARSE, off,
                            "expected an action entity (type `Action` or `NS::Action`) in the "
                            "action scope, found type `%.*s`",
                            (int)uids[i]->type.len, uids[i]->type.ptr);
    return PC_OK;
}

/* action_scope := 'action' [ '==' scope_ref | 'in' scope_ref ]   (no slots) */
static pc_status parse_action_scope(parser *p, pc_scope *s)
{
    s->offset = p->tok.offset;
    TRY(expect_word(p, "action", "`action`"));
    TRY(check_scope_op(p));
    if (at_word(p, "is"))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "`is` is not allowed in the action scope");
    s->op = PC_SCOPE_ANY;
    bool eq = at(p, PC_TOK_EQEQ);
    if (!eq && !at_word(p, "in"))
        return PC_OK;
    TRY(advance(p));
    scope_ref r = {0};
    TRY(parse_scope_ref(p, eq ? REF_ENTITY : REF_ENTITY_OR_SET, PC_SLOT_PRINCIPAL, &r));
    TRY(after_scope_ref(p));
    if (!r.is_set) {
        s->op = eq ? PC_SCOPE_EQ : PC_SCOPE_IN;
        s->uid = r.uid;
        return check_action_types(p, s->offset, &s->uid, 1);
    }
    s->op = PC_SCOPE_IN_SET;
    s->n = r.uids.n;
    s->uids = r.uids.items;
    return check_action_types(p, s->offset, s->uids, s->n);
}

/* The ',' between scope elements; names the missing variable when it is ')'. */
static pc_status scope_comma(parser *p, const char *next_var)
{
    if (at(p, PC_TOK_RPAREN))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "the policy scope is missing `%s`",
                        next_var);
    return expect(p, PC_TOK_COMMA, "','");
}

/* scope := '(' pr_scope ',' action_scope ',' pr_scope [','] ')' */
static pc_status parse_scope(parser *p, pc_policy *pol)
{
    TRY(expect(p, PC_TOK_LPAREN, "'(' to start the policy scope"));
    if (at(p, PC_TOK_RPAREN))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "the policy scope is missing `principal`");
    TRY(parse_pr_scope(p, PC_VAR_PRINCIPAL, &pol->principal));
    TRY(scope_comma(p, "action"));
    TRY(parse_action_scope(p, &pol->action));
    TRY(scope_comma(p, "resource"));
    TRY(parse_pr_scope(p, PC_VAR_RESOURCE, &pol->resource));
    if (at(p, PC_TOK_COMMA))
        TRY(advance(p));
    if (!at(p, PC_TOK_RPAREN))
        return unexpected(p, "')' to end the policy scope (it has exactly three elements)");
    TRY(advance(p));
    pol->has_principal_slot = pol->principal.slot;
    pol->has_resource_slot = pol->resource.slot;
    pol->is_template = pol->has_principal_slot || pol->has_resource_slot;
    return PC_OK;
}

/* ---- policies ------------------------------------------------------- */

/* condition := ('when' | 'unless') '{' expr '}' */
static pc_status parse_condition(parser *p, pc_condition *c)
{
    c->unless = at_word(p, "unless");
    if (!c->unless && !at_word(p, "when"))
        return unexpected(p, "`when`, `unless` or ';'");
    const char *word = c->unless ? "unless" : "when";
    TRY(advance(p));
    TRY(expect(p, PC_TOK_LBRACE, "'{'"));
    if (at(p, PC_TOK_RBRACE))
        return error_at(p, PC_ERR_PARSE, p->tok.offset, "the %s clause is empty", word);
    TRY(parse_expr(p, &c->expr));
    return expect(p, PC_TOK_RBRACE, "'}' to close the condition");
}

/* annotation := '@' IDENT [ '(' STRING ')' ]   (any identifier, even reserved) */
static pc_status parse_annotation(parser *p, pc_annotation *an)
{
    an->offset = p->tok.offset;
    TRY(advance(p));
    if (!at(p, PC_TOK_IDENT))
        return unexpected(p, "an annotation name after '@'");
    TRY(intern(p, p->lx.src + p->tok.start, p->tok.len, &an->key));
    TRY(advance(p));
    an->value = PC_STR_LIT("");
    an->has_value = at(p, PC_TOK_LPAREN);
    if (!an->has_value)
        return PC_OK;
    TRY(advance(p));
    TRY(take_string(p, "a string literal (the annotation value)", &an->value));
    return expect(p, PC_TOK_RPAREN, "')'");
}

static pc_status parse_annotations(parser *p, pc_policy *pol)
{
    vec annos = {.size = sizeof(pc_annotation)};
    while (at(p, PC_TOK_AT)) {
        pc_annotation an;
        TRY(parse_annotation(p, &an));
        TRY(vec_push(p, &annos, &an));
    }
    pc_annotation *items = annos.items;
    vec keys = {.size = sizeof(pc_str)};
    for (uint32_t i = 0; i < annos.n; i++)
        TRY(vec_push(p, &keys, &items[i].key));
    uint32_t dup;
    TRY(find_duplicate(p, keys.items, keys.n, &dup));
    if (dup < annos.n) {
        /* report the second occurrence, where the mistake is */
        uint32_t second = dup + 1;
        while (items[second].key.ptr != items[dup].key.ptr)
            second++;
        return error_at(p, PC_ERR_PARSE, items[second].offset, "duplicate annotation `@%.*s`",
                        (int)items[dup].key.len, items[dup].key.ptr);
    }
    pol->n_annos = annos.n;
    pol->annos = items;
    return PC_OK;
}

/* policy := { annotation } ('permit' | 'forbid') scope { condition } ';' */
static pc_status parse_policy(parser *p, pc_policy *pol)
{
    pol->offset = p->tok.offset;
    TRY(parse_annotations(p, pol));
    pol->forbid = at_word(p, "forbid");
    if (!pol->forbid && !at_word(p, "permit"))
        return unexpected(p, at(p, PC_TOK_EOF) ? "`permit` or `forbid` after the annotations"
                                               : "`permit` or `forbid`");
    TRY(advance(p));
    TRY(parse_scope(p, pol));
    vec conds = {.size = sizeof(pc_condition)};
    while (!at(p, PC_TOK_SEMI)) {
        pc_condition c;
        TRY(parse_condition(p, &c));
        TRY(vec_push(p, &conds, &c));
    }
    pol->n_conds = conds.n;
    pol->conds = conds.items;
    pol->end = p->tok.offset + 1;
    return advance(p);
}

static void parser_init(parser *p, pc_arena *a, pc_intern *in, const char *src, size_t len,
                        const char *name, pc_diag *d)
{
    memset(p, 0, sizeof *p);
    pc_lex_init(&p->lx, src, len, name);
    p->a = a;
    p->in = in;
    p->d = d;
}

pc_status pc_policy_list_append(pc_policy_list *out, pc_policy *const *items, uint32_t n)
{
    if (n == 0)
        return PC_OK;
    if (n > UINT32_MAX - out->n)
        return PC_ERR_LIMIT;
    uint32_t need = out->n + n;
    if (need > out->cap) {
        uint32_t cap = out->cap ? out->cap : 8;
        while (cap < need)
            cap = cap > UINT32_MAX / 2 ? need : cap * 2;
        pc_policy **grown = realloc(out->items, (size_t)cap * sizeof *grown);
        if (!grown)
            return PC_ERR_NOMEM;
        out->items = grown;
        out->cap = cap;
    }
    memcpy(out->items + out->n, items, n * sizeof(pc_policy *));
    out->n = need;
    return PC_OK;
}

/* Append the parsed policies to the caller's list, all or nothing. */
static pc_status append_all(parser *p, pc_policy_list *out, const vec *pols)
{
    pc_status st = pc_policy_list_append(out, pols->items, pols->n);
    if (st == PC_ERR_LIMIT)
        return pc_diag_set(p->d, PC_ERR_LIMIT, "%s: too many policies", p->lx.name);
    return st == PC_OK ? PC_OK : nomem(p);
}

/* policies := { policy } EOF */
static pc_status parse_policies(parser *p, const char *src, size_t len, uint32_t first_id,
                                vec *pols)
{
    const char *name = pc_arena_strdup(p->a, p->lx.name);
    if (!name)
        return nomem(p);
    TRY(advance(p));
    while (!at(p, PC_TOK_EOF)) {
        pc_policy *pol = pc_arena_zalloc(p->a, sizeof *pol);
        if (!pol)
            return nomem(p);
        TRY(parse_policy(p, pol));
        char *id = pc_arena_printf(p->a, "policy%u", (unsigned)(first_id + pols->n));
        if (!id)
            return nomem(p);
        pol->id = pc_str_from_cstr(id);
        pol->src_name = name;
        pol->src = src;
        pol->src_len = len;
        TRY(vec_push(p, pols, &pol));
    }
    return PC_OK;
}

pc_status pc_parse_policies(pc_arena *a, pc_intern *in, const char *src, size_t len,
                            const char *name, uint32_t *next_id, pc_policy_list *out,
                            pc_diag *d)
{
    if (len > PC_MAX_POLICY_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: policy text is %zu bytes, more than the limit %u",
                           name, len, (unsigned)PC_MAX_POLICY_BYTES);
    /* Policies keep pointing at their text for messages, so keep a copy with them. */
    char *copy = pc_arena_alloc(a, len + 1);
    if (!copy)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory while parsing", name);
    if (len)
        memcpy(copy, src, len);
    copy[len] = '\0';
    parser p;
    parser_init(&p, a, in, copy, len, name, d);
    vec pols = {.size = sizeof(pc_policy *)};
    pc_status st = parse_policies(&p, copy, len, *next_id, &pols);
    if (st == PC_OK && pols.n > UINT32_MAX - *next_id)
        st = pc_diag_set(d, PC_ERR_LIMIT, "%s: too many policies", name);
    if (st == PC_OK)
        st = append_all(&p, out, &pols);
    if (st == PC_OK)
        *next_id += pols.n;
    return st;
}

pc_status pc_parse_uid(pc_arena *a, pc_intern *in, const char *src, size_t len, pc_uid **out,
                       pc_diag *d)
{
    parser p;
    parser_init(&p, a, in, src, len, "entity uid", d);
    pc_uid *u = NULL;
    pc_status st = advance(&p);
    if (st == PC_OK)
        st = parse_entity(&p, &u);
    if (st == PC_OK && !at(&p, PC_TOK_EOF))
        st = unexpected(&p, "the end of the entity uid");
    if (st == PC_OK)
        *out = u;
    return st;
}

/* ---- names checked for other formats (lang_internal.h) --------------- */

bool pc_name_is_normalized(const char *s, size_t n)
{
    parser p;
    parser_init(&p, NULL, NULL, s, n, "name", NULL);
    uint32_t ncomp;
    /* a tight name spanning all of s: nothing but identifiers and "::" was there */
    return advance(&p) == PC_OK && parse_name(&p, &ncomp) == PC_OK && at(&p, PC_TOK_EOF) &&
           name_is_tight(&p.name) && p.name.start == 0 && p.name.end == n;
}

bool pc_is_identifier(const char *s, size_t n)
{
    pc_lexer lx;
    pc_token t;
    pc_lex_init(&lx, s, n, "identifier");
    return pc_lex_next(&lx, &t, NULL) == PC_OK && t.kind == PC_TOK_IDENT && t.start == 0 &&
           t.len == n;
}

void pc_policy_list_free(pc_policy_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
