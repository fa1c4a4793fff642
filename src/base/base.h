/*
** base/base.h — the small primitives every room uses.
**
**   pc_str    a length-carrying byte string (may hold NULs, need not end in one)
**   pc_arena  a bump allocator: many allocations, one reset; the decision path
**             allocates only from an arena, so error paths free nothing by hand
**   pc_buf    a growable heap buffer for building text (messages, JSON, output)
**   pc_intern a set of unique strings: equal interned strings share one pointer,
**             so pc_str_eq answers most comparisons with a pointer compare
**   pc_diag   an error value under construction: a heap message plus status
**
** Ownership rule: a pc_str never owns its bytes; whoever made it (an arena, an
** interner, the caller's input) keeps them alive. Allocation failure is never
** fatal: functions return NULL / false and callers turn it into PC_ERR_NOMEM.
*/
#ifndef PC_BASE_H
#define PC_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portcullis.h"

#if defined(__GNUC__)
#define PC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PC_LIKELY(x) __builtin_expect(!!(x), 1)
#define PC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PC_PRINTF(f, a)
#define PC_LIKELY(x) (x)
#define PC_UNLIKELY(x) (x)
#endif

/* ---- strings ---------------------------------------------------------- */

typedef struct pc_str {
    const char *ptr;
    size_t len;
} pc_str;

#define PC_STR_LIT(lit) ((pc_str){(lit), sizeof(lit) - 1})
#define PC_STR_NULL ((pc_str){NULL, 0})

pc_str pc_str_from_cstr(const char *s);
bool pc_str_eq(pc_str a, pc_str b);           /* pointer fast path, then bytes */
bool pc_str_eq_cstr(pc_str a, const char *s);
int pc_str_cmp(pc_str a, pc_str b);           /* bytewise, shorter first on tie */
uint64_t pc_hash_bytes(const void *p, size_t n);
static inline uint64_t pc_str_hash(pc_str s) { return pc_hash_bytes(s.ptr, s.len); }

/* ---- arena ------------------------------------------------------------ */

typedef struct pc_arena_block pc_arena_block;

typedef struct pc_arena {
    pc_arena_block *head;   /* current block; older blocks chain behind it */
    size_t block_size;      /* size of ordinary blocks */
    size_t used_total;      /* bytes handed out since the last reset */
    size_t limit;           /* 0 = unlimited; else allocations past it fail */
} pc_arena;

void pc_arena_init(pc_arena *a, size_t block_size, size_t limit);
void *pc_arena_alloc(pc_arena *a, size_t n);   /* 16-byte aligned, NULL on failure */
void *pc_arena_zalloc(pc_arena *a, size_t n);  /* zero-filled */
/* Copy bytes into the arena and NUL-terminate them (the NUL is not counted). */
pc_str pc_arena_str(pc_arena *a, const char *p, size_t n);
char *pc_arena_strdup(pc_arena *a, const char *s);
char *pc_arena_printf(pc_arena *a, const char *fmt, ...) PC_PRINTF(2, 3);
char *pc_arena_vprintf(pc_arena *a, const char *fmt, va_list ap);
/* Forget every allocation but keep one block for reuse: the per-request reset. */
void pc_arena_reset(pc_arena *a);
void pc_arena_free(pc_arena *a);

/* ---- growable buffer ------------------------------------------------- */

typedef struct pc_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    bool oom;     /* sticky: set once any append failed */
} pc_buf;

void pc_buf_init(pc_buf *b);
void pc_buf_free(pc_buf *b);
void pc_buf_clear(pc_buf *b);                 /* len = 0, keeps memory */
bool pc_buf_append(pc_buf *b, const void *p, size_t n);
bool pc_buf_puts(pc_buf *b, const char *s);
bool pc_buf_putc(pc_buf *b, char c);
bool pc_buf_printf(pc_buf *b, const char *fmt, ...) PC_PRINTF(2, 3);
bool pc_buf_vprintf(pc_buf *b, const char *fmt, va_list ap);
/* Append s as a JSON string literal (quotes included), escaping as needed. */
bool pc_buf_json_string(pc_buf *b, const char *s, size_t n);
/* Append s as a Cedar string literal body: \n \t \" \\ \0 \u{..} escapes. */
bool pc_buf_cedar_escape(pc_buf *b, const char *s, size_t n);
/* Hand the bytes to the caller (malloc'ed, NUL-terminated); b is reset. */
char *pc_buf_take(pc_buf *b);

/* ---- interning ------------------------------------------------------- */

typedef struct pc_intern pc_intern;

pc_intern *pc_intern_new(void);
void pc_intern_free(pc_intern *t);
/* The unique copy of the bytes; NULL ptr in the result on allocation failure. */
pc_str pc_intern_str(pc_intern *t, const char *p, size_t n);
/* Lookup only: never allocates, safe for concurrent readers of a frozen table. */
pc_str pc_intern_find(const pc_intern *t, const char *p, size_t n);

/* ---- diagnostics (errors as values) ---------------------------------- */

/*
** A diagnostic collects the first error of an operation: its status and a
** heap message. pc_diag_set returns the status so a failing function can
** write `return pc_diag_set(d, PC_ERR_PARSE, "...")`. A NULL diag is allowed
** everywhere and simply drops the message.
*/
typedef struct pc_diag {
    pc_status status;
    char *msg;        /* malloc'ed; NULL when no error */
} pc_diag;

void pc_diag_init(pc_diag *d);
void pc_diag_clear(pc_diag *d);
pc_status pc_diag_set(pc_diag *d, pc_status st, const char *fmt, ...) PC_PRINTF(3, 4);
pc_status pc_diag_vset(pc_diag *d, pc_status st, const char *fmt, va_list ap);
/*
** An error at a byte offset of a named source text: the message becomes
**   NAME:LINE:COL: MESSAGE
**     <the source line>
**     <spaces>^
** (LINE and COL are 1-based; COL counts characters, not bytes.)
*/
pc_status pc_diag_at(pc_diag *d, pc_status st, const char *name, const char *src,
                     size_t srclen, size_t offset, const char *fmt, ...) PC_PRINTF(7, 8);
/* Prefix the existing message with "what: " to add context as it bubbles up. */
void pc_diag_prefix(pc_diag *d, const char *fmt, ...) PC_PRINTF(2, 3);
/* Move the message into a public pc_error (which may be NULL). */
void pc_diag_to_error(pc_diag *d, pc_error *err);

/* Compute 1-based line and character column of a byte offset. */
void pc_line_col(const char *src, size_t srclen, size_t offset, uint32_t *line, uint32_t *col);

/* ---- UTF-8 ----------------------------------------------------------- */

/* Decode one code point at p (n bytes left); returns bytes used, 0 if invalid. */
size_t pc_utf8_decode(const char *p, size_t n, uint32_t *cp);
/* Encode cp into out (4 bytes room); returns bytes written, 0 if cp invalid. */
size_t pc_utf8_encode(uint32_t cp, char *out);
bool pc_utf8_valid(const char *p, size_t n);

/* ---- files ----------------------------------------------------------- */

/* Read a whole file (malloc'ed, NUL-terminated); bounded by max_bytes. */
pc_status pc_read_file(const char *path, size_t max_bytes, char **out, size_t *len, pc_diag *d);

/* ---- limits, named once --------------------------------------------- */

#define PC_MAX_EXPR_DEPTH 200        /* nesting of expressions in a policy */
#define PC_MAX_JSON_DEPTH 128        /* nesting of JSON values we accept */
#define PC_MAX_POLICY_BYTES (64u << 20)
#define PC_MAX_FILE_BYTES (256u << 20)

#endif
