/*
** schema/schema_cedar.c — the human-readable schema syntax (.cedarschema).
**
** A recursive-descent parser over the shared Cedar lexer (lang/lexer.h),
** following the reference grammar (cedar-policy-core validator/cedar_schema/
** grammar.lalrpop) production by production:
**
**   Schema    := {Annotation* (Namespace | Decl)}
**   Namespace := 'namespace' Path '{' {Annotation* Decl} '}'
**   Decl      := Entity | Action | TypeDecl
**   Entity    := 'entity' Idents ('enum' '[' STR {',' STR} ']'
**                | ['in' EntTypes] [['='] '{' [AttrDecls] '}'] ['tags' Type]) ';'
**   Action    := 'action' Names ['in' (QualName | '[' QualNames ']')]
**                ['appliesTo' '{' AppDecls '}'] ['attributes' '{' '}'] ';'
**   TypeDecl  := 'type' Ident '=' Type ';'
**   Type      := Path | 'Set' '<' Type '>' | '{' [AttrDecls] '}'
**   AttrDecls := Annotation* Name ['?'] ':' Type [',' [AttrDecls]]
**   AppDecls  := ('principal' | 'resource') ':' EntTypes | 'context' ':' (Path | RecType),
**                comma-separated, optional trailing comma, at least one
**   EntTypes  := Path | '[' [Path {',' Path}] ']'
**   QualName  := Name | Path '::' STR
**   Annotation:= '@' AnyIdent ['(' STR ')']      (parsed, checked, ignored)
**
** Keywords are ordinary identifiers to the lexer; this parser decides where a
** word is a keyword. Ident excludes the Cedar reserved words (true, false,
** if, then, else, in, is, like, has). What the parser reads goes straight
** into the shared builder (schema_build.h); all name resolution happens there.
** Checks the reference makes while converting this syntax (empty or repeated
** principal/resource lists, a repeated context, duplicate annotations) are
** made here, with a caret at the offending text.
*/
#include "schema_build.h"

#include "lang/ast.h"
#include "lang/lexer.h"

#include <stdlib.h>
#include <string.h>

#define TRY(expr)                      \
    do {                               \
        pc_status try_st_ = (expr);    \
        if (try_st_ != PC_OK)          \
            return try_st_;            \
    } while (0)

typedef struct cp {
    sb_builder *b;
    pc_lexer lx;
    pc_token tok;     /* the current token */
    pc_str ns;        /* the namespace being read; "" at top level */
    uint32_t depth;   /* nesting of the type being read */
} cp;

/* ---- tokens ------------------------------------------------------------- */

static sb_loc here(const cp *p)
{
    sb_loc l = {p->tok.offset, NULL};
    return l;
}

/* The lexer speaks for policies (PC_ERR_PARSE); in a schema it is a schema error. */
static pc_status lex_failed(cp *p, pc_status st)
{
    if (st == PC_ERR_PARSE) {
        st = PC_ERR_SCHEMA;
        if (p->b->d)
            p->b->d->status = st;
    }
    if (p->b->status == PC_OK)
        p->b->status = st;
    return st;
}

static pc_status advance(cp *p)
{
    pc_status st = pc_lex_next(&p->lx, &p->tok, p->b->d);
    return st == PC_OK ? PC_OK : lex_failed(p, st);
}

static bool is(const cp *p, pc_tok kind)
{
    return p->tok.kind == kind;
}

static bool is_word(const cp *p, const char *word)
{
    return pc_tok_is(&p->lx, &p->tok, word);
}

/* "expected WHAT, found <the current token>" */
static pc_status expected(cp *p, const char *what)
{
    pc_str text = pc_tok_text(&p->lx, &p->tok);
    if (is(p, PC_TOK_IDENT))
        return sb_error(p->b, here(p), "expected %s, found `%.*s`", what, (int)text.len,
                        text.ptr);
    return sb_error(p->b, here(p), "expected %s, found %s", what,
                    pc_tok_name((pc_tok)p->tok.kind));
}

static pc_status expect(cp *p, pc_tok kind)
{
    if (!is(p, kind))
        return expected(p, pc_tok_name(kind));
    return advance(p);
}

/* The kind of the token after the current one (the grammar needs two at times). */
static pc_status peek(cp *p, pc_tok *kind)
{
    pc_token next;
    pc_status st = pc_lex_peek(&p->lx, &next, p->b->d);
    if (st != PC_OK)
        return lex_failed(p, st);
    *kind = (pc_tok)next.kind;
    return PC_OK;
}

/* Consume a ',' if one is next; *more says whether there was one. */
static pc_status comma(cp *p, bool *more)
{
    *more = is(p, PC_TOK_COMMA);
    return *more ? advance(p) : PC_OK;
}

/* Consume the keyword word if it is next; *seen says whether it was. */
static pc_status accept_word(cp *p, const char *word, bool *seen)
{
    *seen = is_word(p, word);
    return *seen ? advance(p) : PC_OK;
}

/* ---- names -------------------------------------------------------------- */

/* Ident: an identifier that is not a reserved word. */
static pc_status ident(cp *p, pc_str *out, sb_loc *at)
{
    if (!is(p, PC_TOK_IDENT))
        return expected(p, "an identifier");
    pc_str text = pc_tok_text(&p->lx, &p->tok);
    if (sb_is_reserved_word(text))
        return sb_error(p->b, here(p), "`%.*s` is a reserved word and cannot be used as a name",
                        (int)text.len, text.ptr);
    *out = text;
    if (at)
        *at = here(p);
    return advance(p);
}

/* A string literal's unescaped body. */
static pc_status string(cp *p, pc_str *out)
{
    const char *why = NULL;
    size_t bad = 0;
    if (!pc_unescape(&p->b->tmp, p->lx.src + p->tok.start, p->tok.len, out, &why, &bad)) {
        if (!why)
            return sb_nomem(p->b);
        sb_loc at = {(uint32_t)(p->tok.start + bad), NULL};
        return sb_error(p->b, at, "invalid string literal: %s", why);
    }
    return advance(p);
}

/* Name := Ident | STR */
static pc_status name(cp *p, pc_str *out, sb_loc *at)
{
    if (is(p, PC_TOK_STRING)) {
        *at = here(p);
        return string(p, out);
    }
    return ident(p, out, at);
}

/* Append "::" ident to a path under construction. */
static pc_status path_more(cp *p, pc_buf *path)
{
    pc_str part;
    TRY(ident(p, &part, NULL));
    pc_buf_puts(path, "::");
    pc_buf_append(path, part.ptr, part.len);
    return path->oom ? sb_nomem(p->b) : PC_OK;
}

/* Is the current token `::` followed by an identifier? (A path continues.) */
static pc_status path_continues(cp *p, bool *yes)
{
    pc_tok next = PC_TOK_EOF;
    if (is(p, PC_TOK_COLONCOLON))
        TRY(peek(p, &next));
    *yes = next == PC_TOK_IDENT;
    return PC_OK;
}

/*
** Path := Ident {'::' Ident}. Stops before a `::` that is not followed by an
** identifier (QualName's `Path '::' STR`). The text is rebuilt without any
** blanks or comments written between the parts.
*/
static pc_status path(cp *p, pc_str *out, sb_loc *at)
{
    TRY(ident(p, out, at));
    bool more;
    TRY(path_continues(p, &more));
    if (!more)
        return PC_OK;
    pc_buf joined;
    pc_buf_init(&joined);
    pc_buf_append(&joined, out->ptr, out->len);
    pc_status st = PC_OK;
    while (st == PC_OK && more) {
        st = advance(p);
        if (st == PC_OK)
            st = path_more(p, &joined);
        if (st == PC_OK)
            st = path_continues(p, &more);
    }
    if (st == PC_OK) {
        *out = sb_strdup(p->b, joined.data, joined.len);
        if (!out->ptr)
            st = sb_nomem(p->b);
    }
    pc_buf_free(&joined);
    return st;
}

/* ---- annotations -------------------------------------------------------- */

static int cmp_key(const void *x, const void *y)
{
    const sb_name *a = *(const sb_name *const *)x, *b = *(const sb_name *const *)y;
    int c = pc_str_cmp(a->name, b->name);
    return c ? c : (a->loc.offset > b->loc.offset) - (a->loc.offset < b->loc.offset);
}

/* The reference rejects two annotations with the same key on one item. */
static pc_status check_annotation_keys(cp *p, sb_vec *keys)
{
    if (keys->n < 2)
        return PC_OK;
    qsort(keys->items, keys->n, sizeof *keys->items, cmp_key);
    for (uint32_t i = 1; i < keys->n; i++) {
        const sb_name *k = keys->items[i];
        if (pc_str_eq(k->name, ((const sb_name *)keys->items[i - 1])->name))
            return sb_error(p->b, k->loc, "duplicate annotation `@%.*s`", (int)k->name.len,
                            k->name.ptr);
    }
    return PC_OK;
}

/* One annotation: '@' AnyIdent ['(' STR ')']; its key is added to keys. */
static pc_status annotation(cp *p, sb_vec *keys)
{
    TRY(advance(p));
    if (!is(p, PC_TOK_IDENT))
        return expected(p, "an annotation name");
    sb_name *key = sb_name_new(p->b, pc_tok_text(&p->lx, &p->tok), here(p));
    if (!key || !sb_push(p->b, keys, key))
        return sb_nomem(p->b);
    TRY(advance(p));
    if (!is(p, PC_TOK_LPAREN))
        return PC_OK;
    TRY(advance(p));
    if (!is(p, PC_TOK_STRING))
        return expected(p, "a string literal");
    pc_str value;
    TRY(string(p, &value));   /* checked for bad escapes, then ignored */
    return expect(p, PC_TOK_RPAREN);
}

/* Annotation*: parsed and checked, then ignored (they carry no semantics). */
static pc_status annotations(cp *p)
{
    sb_vec keys = {0};
    while (is(p, PC_TOK_AT))
        TRY(annotation(p, &keys));
    return check_annotation_keys(p, &keys);
}

/* ---- types -------------------------------------------------------------- */

static pc_status type(cp *p, sb_type **out);

/* One attribute: Annotation* Name ['?'] ':' Type */
static pc_status attr_decl(cp *p, sb_type *rec)
{
    TRY(annotations(p));
    pc_str attr;
    sb_loc at;
    TRY(name(p, &attr, &at));
    bool required = !is(p, PC_TOK_QUESTION);
    if (!required)
        TRY(advance(p));
    TRY(expect(p, PC_TOK_COLON));
    sb_type *t;
    TRY(type(p, &t));
    return sb_record_add(p->b, rec, attr, t, required) ? PC_OK : p->b->status;
}

/* '{' [AttrDecls] '}' with an optional trailing comma. */
static pc_status record(cp *p, sb_type **out)
{
    sb_type *rec = sb_type_new(p->b, SB_RECORD, here(p));
    if (!rec)
        return p->b->status;
    TRY(expect(p, PC_TOK_LBRACE));
    for (bool more = !is(p, PC_TOK_RBRACE); more;) {
        TRY(attr_decl(p, rec));
        TRY(comma(p, &more));
        more = more && !is(p, PC_TOK_RBRACE);   /* a trailing comma is allowed */
    }
    *out = rec;
    return expect(p, PC_TOK_RBRACE);
}

/* 'Set' '<' Type '>' (the current token is `Set`, the next one `<`). */
static pc_status set_type(cp *p, sb_type **out)
{
    sb_type *set = sb_type_new(p->b, SB_SET, here(p));
    if (!set)
        return p->b->status;
    TRY(advance(p));
    TRY(advance(p));
    TRY(type(p, &set->elem));
    *out = set;
    return expect(p, PC_TOK_GT);
}

/* Is this `Set` starting Set<...>? `Set` alone is an ordinary type name. */
static pc_status starts_set(cp *p, bool *yes)
{
    pc_tok next = PC_TOK_EOF;
    if (is_word(p, "Set"))
        TRY(peek(p, &next));
    *yes = next == PC_TOK_LT;
    return PC_OK;
}

static pc_status type_in(cp *p, sb_type **out)
{
    if (is(p, PC_TOK_LBRACE))
        return record(p, out);
    bool set;
    TRY(starts_set(p, &set));
    if (set)
        return set_type(p, out);
    pc_str n;
    sb_loc at;
    TRY(path(p, &n, &at));
    *out = sb_type_ref(p->b, SB_REF_EITHER, n, at);
    return *out ? PC_OK : p->b->status;
}

/* Type := Path | 'Set' '<' Type '>' | '{' [AttrDecls] '}' */
static pc_status type(cp *p, sb_type **out)
{
    if (p->depth >= PC_SCHEMA_MAX_TYPE_DEPTH)
        return sb_error(p->b, here(p), "types nest more than %d deep",
                        PC_SCHEMA_MAX_TYPE_DEPTH);
    p->depth++;
    pc_status st = type_in(p, out);
    p->depth--;
    return st;
}

/* ---- entity declarations ------------------------------------------------ */

/* Push a written name onto a list. */
static pc_status push_name(cp *p, sb_vec *v, pc_str n, sb_loc at)
{
    sb_name *nm = sb_name_new(p->b, n, at);
    if (!nm || !sb_push(p->b, v, nm))
        return sb_nomem(p->b);
    return PC_OK;
}

/* EntTypes := Path | '[' [Path {',' Path}] ']' */
static pc_status ent_types(cp *p, sb_vec *out)
{
    pc_str n;
    sb_loc at;
    if (!is(p, PC_TOK_LBRACKET)) {
        TRY(path(p, &n, &at));
        return push_name(p, out, n, at);
    }
    TRY(advance(p));
    for (bool more = !is(p, PC_TOK_RBRACKET); more;) {
        TRY(path(p, &n, &at));   /* after a ',' a name must follow: no trailing comma */
        TRY(push_name(p, out, n, at));
        TRY(comma(p, &more));
    }
    return expect(p, PC_TOK_RBRACKET);
}

/* The names of `entity A, B, ...` or `action a, "b", ...`. */
static pc_status decl_names(cp *p, bool idents_only, sb_vec *out)
{
    for (bool more = true; more;) {
        pc_str n;
        sb_loc at;
        TRY(idents_only ? ident(p, &n, &at) : name(p, &n, &at));
        TRY(push_name(p, out, n, at));
        TRY(comma(p, &more));
    }
    return PC_OK;
}

/* 'enum' '[' STR {',' STR} ']' */
static pc_status enum_choices(cp *p, sb_entity *shape)
{
    shape->is_enum = true;
    TRY(advance(p));
    TRY(expect(p, PC_TOK_LBRACKET));
    for (bool more = true; more;) {
        if (!is(p, PC_TOK_STRING))
            return expected(p, "a string literal");
        pc_str *id = pc_arena_alloc(&p->b->tmp, sizeof *id);
        if (!id)
            return sb_nomem(p->b);
        TRY(string(p, id));
        if (!sb_push(p->b, &shape->choices, id))
            return sb_nomem(p->b);
        TRY(comma(p, &more));
    }
    return expect(p, PC_TOK_RBRACKET);
}

/* ['in' EntTypes] [['='] '{' [AttrDecls] '}'] ['tags' Type] */
static pc_status entity_body(cp *p, sb_entity *shape)
{
    bool seen;
    TRY(accept_word(p, "in", &seen));
    if (seen)
        TRY(ent_types(p, &shape->parents));
    if (is(p, PC_TOK_EQ)) {
        TRY(advance(p));
        if (!is(p, PC_TOK_LBRACE))
            return expected(p, "'{'");
    }
    if (is(p, PC_TOK_LBRACE))
        TRY(record(p, &shape->shape));
    TRY(accept_word(p, "tags", &seen));
    return seen ? type(p, &shape->tags) : PC_OK;
}

static pc_status entity_decl(cp *p)
{
    sb_vec names = {0};
    sb_entity shape;
    memset(&shape, 0, sizeof shape);
    TRY(advance(p));
    TRY(decl_names(p, true, &names));
    TRY(is_word(p, "enum") ? enum_choices(p, &shape) : entity_body(p, &shape));
    TRY(expect(p, PC_TOK_SEMI));
    /* Every name declared together shares the one description. */
    for (uint32_t i = 0; i < names.n; i++) {
        const sb_name *n = names.items[i];
        sb_entity *e = sb_add_entity(p->b, p->ns, n->name, n->loc);
        if (!e)
            return p->b->status;
        shape.ns = e->ns;
        shape.name = e->name;
        shape.loc = e->loc;
        *e = shape;
    }
    return PC_OK;
}

/* ---- action declarations ------------------------------------------------ */

/* After `Path ::` comes either more path or the action's id string. */
static pc_status qual_name_tail(cp *p, sb_action_ref *ref, pc_str first)
{
    pc_buf type;
    pc_buf_init(&type);
    pc_buf_append(&type, first.ptr, first.len);
    pc_status st = PC_OK;
    while (st == PC_OK && is(p, PC_TOK_COLONCOLON)) {
        st = advance(p);
        if (st != PC_OK || is(p, PC_TOK_STRING))
            break;
        st = path_more(p, &type);
    }
    if (st == PC_OK && !is(p, PC_TOK_STRING))
        st = expected(p, "'::' and the action's name as a string literal");
    if (st == PC_OK) {
        ref->type = sb_strdup(p->b, type.data, type.len);
        st = ref->type.ptr ? string(p, &ref->id) : sb_nomem(p->b);
    }
    pc_buf_free(&type);
    return st;
}

/* QualName := Name | Path '::' STR */
static pc_status qual_name(cp *p, sb_vec *out)
{
    sb_action_ref *ref = pc_arena_zalloc(&p->b->tmp, sizeof *ref);
    if (!ref || !sb_push(p->b, out, ref))
        return sb_nomem(p->b);
    ref->loc = here(p);
    if (is(p, PC_TOK_STRING))
        return string(p, &ref->id);
    pc_str first;
    TRY(ident(p, &first, NULL));
    if (!is(p, PC_TOK_COLONCOLON)) {
        ref->id = first;   /* unqualified: this namespace's action, else the empty one's */
        return PC_OK;
    }
    return qual_name_tail(p, ref, first);
}

/* QualName | '[' QualName {',' QualName} ']' */
static pc_status action_parents(cp *p, sb_vec *out)
{
    if (!is(p, PC_TOK_LBRACKET))
        return qual_name(p, out);
    TRY(advance(p));
    for (bool more = true; more;) {
        TRY(qual_name(p, out));
        TRY(comma(p, &more));
    }
    return expect(p, PC_TOK_RBRACKET);
}

/* What one appliesTo block has said so far, for the reference's checks. */
typedef struct applies {
    bool principal, resource, context;
} applies;

/* principal: EntTypes | resource: EntTypes */
static pc_status app_entities(cp *p, sb_action *a, bool *seen, const char *what)
{
    sb_loc at = here(p);
    if (*seen)
        return sb_error(p->b, at, "`%s` is given twice in appliesTo", what);
    *seen = true;
    TRY(advance(p));
    TRY(expect(p, PC_TOK_COLON));
    sb_vec *list = what[0] == 'p' ? &a->principals : &a->resources;
    TRY(ent_types(p, list));
    if (list->n == 0)
        return sb_error(p->b, at, "the %s list of appliesTo is empty; to make an action apply "
                                  "to nothing, leave out appliesTo", what);
    return PC_OK;
}

/* context: Path | context: '{' [AttrDecls] '}' */
static pc_status app_context(cp *p, sb_action *a, applies *seen)
{
    if (seen->context)
        return sb_error(p->b, here(p), "`context` is given twice in appliesTo");
    seen->context = true;
    TRY(advance(p));
    TRY(expect(p, PC_TOK_COLON));
    if (is(p, PC_TOK_LBRACE))
        return record(p, &a->context);
    pc_str n;
    sb_loc at;
    TRY(path(p, &n, &at));
    a->context = sb_type_ref(p->b, SB_REF_COMMON, n, at);   /* must name a common type */
    return a->context ? PC_OK : p->b->status;
}

static pc_status app_decl(cp *p, sb_action *a, applies *seen)
{
    if (is_word(p, "principal"))
        return app_entities(p, a, &seen->principal, "principal");
    if (is_word(p, "resource"))
        return app_entities(p, a, &seen->resource, "resource");
    if (is_word(p, "context"))
        return app_context(p, a, seen);
    return expected(p, "`principal`, `resource` or `context`");
}

/* 'appliesTo' '{' AppDecls '}' (current token: appliesTo) */
static pc_status applies_to(cp *p, sb_action *a, sb_loc action_at)
{
    applies seen = {false, false, false};
    TRY(advance(p));
    TRY(expect(p, PC_TOK_LBRACE));
    for (bool more = true; more;) {   /* at least one entry */
        TRY(app_decl(p, a, &seen));
        TRY(comma(p, &more));
        more = more && !is(p, PC_TOK_RBRACE);   /* a trailing comma is allowed */
    }
    TRY(expect(p, PC_TOK_RBRACE));
    if (!seen.principal || !seen.resource)
        return sb_error(p->b, action_at, "appliesTo must list the %s types of the action",
                        seen.principal ? "resource" : "principal");
    return PC_OK;
}

/* ['in' ...] ['appliesTo' {...}] ['attributes' '{' '}'] */
static pc_status action_body(cp *p, sb_action *shape, sb_loc action_at)
{
    bool seen;
    TRY(accept_word(p, "in", &seen));
    if (seen)
        TRY(action_parents(p, &shape->parents));
    if (is_word(p, "appliesTo"))
        TRY(applies_to(p, shape, action_at));
    /* The grammar admits an empty `attributes {}`; it declares nothing. */
    TRY(accept_word(p, "attributes", &seen));
    if (seen) {
        TRY(expect(p, PC_TOK_LBRACE));
        TRY(expect(p, PC_TOK_RBRACE));
    }
    return PC_OK;
}

static pc_status action_decl(cp *p)
{
    sb_vec names = {0};
    sb_action shape;
    memset(&shape, 0, sizeof shape);
    sb_loc action_at = here(p);
    TRY(advance(p));
    TRY(decl_names(p, false, &names));
    TRY(action_body(p, &shape, action_at));
    TRY(expect(p, PC_TOK_SEMI));
    for (uint32_t i = 0; i < names.n; i++) {
        const sb_name *n = names.items[i];
        sb_action *a = sb_add_action(p->b, p->ns, n->name, n->loc);
        if (!a)
            return p->b->status;
        shape.ns = a->ns;
        shape.id = a->id;
        shape.loc = a->loc;
        *a = shape;
    }
    return PC_OK;
}

/* ---- common types, namespaces, the schema -------------------------------- */

static pc_status type_decl(cp *p)
{
    pc_str n;
    sb_loc at;
    sb_type *def;
    TRY(advance(p));
    TRY(ident(p, &n, &at));
    TRY(expect(p, PC_TOK_EQ));
    TRY(type(p, &def));
    TRY(expect(p, PC_TOK_SEMI));
    return sb_add_common(p->b, p->ns, n, def, at) ? PC_OK : p->b->status;
}

static pc_status decl(cp *p)
{
    if (is_word(p, "entity"))
        return entity_decl(p);
    if (is_word(p, "action"))
        return action_decl(p);
    if (is_word(p, "type"))
        return type_decl(p);
    if (is_word(p, "namespace") && p->ns.len)
        return sb_error(p->b, here(p), "namespaces cannot be nested");
    return expected(p, "`entity`, `action` or `type`");
}

static pc_status namespace_decl(cp *p)
{
    pc_str ns;
    sb_loc at;
    TRY(advance(p));
    TRY(path(p, &ns, &at));
    TRY(sb_namespace(p->b, ns, at));
    TRY(expect(p, PC_TOK_LBRACE));
    p->ns = ns;
    while (!is(p, PC_TOK_RBRACE) && !is(p, PC_TOK_EOF)) {
        TRY(annotations(p));
        TRY(decl(p));
    }
    p->ns = PC_STR_LIT("");
    return expect(p, PC_TOK_RBRACE);
}

static pc_status schema(cp *p)
{
    TRY(advance(p));
    while (!is(p, PC_TOK_EOF)) {
        TRY(annotations(p));
        TRY(is_word(p, "namespace") ? namespace_decl(p) : decl(p));
    }
    return PC_OK;
}

pc_status pc_schema_parse_cedar(pc_intern *in, const char *src, size_t len, const char *name,
                                pc_schema **out, pc_diag *d)
{
    *out = NULL;
    if (len > PC_SCHEMA_MAX_BYTES)
        return pc_diag_set(d, PC_ERR_LIMIT, "%s: schema text is %zu bytes, more than %u",
                           name ? name : "<schema>", len, (unsigned)PC_SCHEMA_MAX_BYTES);
    sb_builder b;
    sb_init(&b, in, name, src ? src : "", src ? len : 0, d);
    cp p;
    memset(&p, 0, sizeof p);
    p.b = &b;
    p.ns = PC_STR_LIT("");
    pc_lex_init(&p.lx, b.src, b.len, b.name);
    pc_status st = schema(&p);
    if (st == PC_OK)
        st = sb_finish(&b, out);
    sb_free(&b);
    return st;
}
