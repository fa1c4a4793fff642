/*
** lang/lexer.h — tokens of Cedar text, shared by the policy parser and the
** human-readable schema parser (both languages have the same lexical rules:
** identifiers, string literals with escapes, integers, `//` comments).
**
** The lexer never allocates: a token is a kind plus a byte range of the
** source. String tokens keep their raw body (quotes stripped, escapes still
** escaped); pc_unescape (ast.h) resolves them. Keywords are lexed as
** identifiers; the parsers decide which words are reserved where.
*/
#ifndef PC_LEXER_H
#define PC_LEXER_H

#include "../base/base.h"

typedef enum pc_tok {
    PC_TOK_EOF = 0,
    PC_TOK_IDENT,     /* [_a-zA-Z][_a-zA-Z0-9]* */
    PC_TOK_STRING,    /* "..." ; start/len cover the body between the quotes */
    PC_TOK_INT,       /* [0-9]+ (the value is checked by the parser) */
    PC_TOK_LPAREN, PC_TOK_RPAREN,       /* ( ) */
    PC_TOK_LBRACKET, PC_TOK_RBRACKET,   /* [ ] */
    PC_TOK_LBRACE, PC_TOK_RBRACE,       /* { } */
    PC_TOK_COMMA, PC_TOK_SEMI,          /* , ; */
    PC_TOK_DOT, PC_TOK_COLON, PC_TOK_COLONCOLON,   /* . : :: */
    PC_TOK_AT, PC_TOK_QUESTION,         /* @ ? */
    PC_TOK_EQ, PC_TOK_EQEQ, PC_TOK_NE,  /* = == != */
    PC_TOK_LT, PC_TOK_LE, PC_TOK_GT, PC_TOK_GE,   /* < <= > >= */
    PC_TOK_AND, PC_TOK_OR, PC_TOK_BANG, /* && || ! */
    PC_TOK_PLUS, PC_TOK_MINUS, PC_TOK_STAR,   /* + - * */
    PC_TOK_SLASH, PC_TOK_PERCENT        /* / %  (not Cedar operators; lexed for clear errors) */
} pc_tok;

typedef struct pc_token {
    uint8_t kind;       /* pc_tok */
    uint32_t start;     /* byte offset of the token (of the body for strings) */
    uint32_t len;       /* byte length (of the body for strings) */
    uint32_t offset;    /* byte offset where the token begins (the quote for strings) */
} pc_token;

typedef struct pc_lexer {
    const char *src;
    size_t len;
    size_t pos;
    const char *name;   /* for messages */
} pc_lexer;

void pc_lex_init(pc_lexer *lx, const char *src, size_t len, const char *name);
/*
** Read the next token, skipping whitespace and // comments. On a lexical
** error (unterminated string, stray character, invalid UTF-8 outside a
** string) returns PC_ERR_PARSE with a pc_diag_at message.
*/
pc_status pc_lex_next(pc_lexer *lx, pc_token *out, pc_diag *d);
/* Look at the token after the next one without consuming (for 2-token lookahead). */
pc_status pc_lex_peek(const pc_lexer *lx, pc_token *out, pc_diag *d);
/* Token text as a pc_str (the body for strings). */
static inline pc_str pc_tok_text(const pc_lexer *lx, const pc_token *t)
{
    pc_str s = {lx->src + t->start, t->len};
    return s;
}
bool pc_tok_is(const pc_lexer *lx, const pc_token *t, const char *word); /* IDENT equal to word */
const char *pc_tok_name(pc_tok k);   /* "identifier", "'('", ... for messages */

#endif
