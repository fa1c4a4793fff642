/*
** value/value.h — Cedar runtime values.
**
** A pc_value is 16 bytes passed by value. Scalars live inline; strings point
** at bytes owned elsewhere (interner, arena or input); sets, records, entity
** uids and ip addresses are immutable and pointed to. Everything a value
** points to lives at least as long as the arena or engine that built it.
**
** Invariants every constructor keeps and every consumer may rely on:
**   - a pc_set holds no two equal elements (pc_value_eq), in no defined order,
**     and is built only by pc_set_make (a large set carries an index after
**     its items, see value.c);
**   - a pc_record's fields are sorted by key with pc_str_cmp, keys unique;
**   - decimals are integers scaled by 10^4; datetimes are milliseconds since
**     the Unix epoch (UTC); durations are milliseconds.
*/
#ifndef PC_VALUE_H
#define PC_VALUE_H

#include "../base/base.h"

typedef enum pc_vtype {
    PC_V_BOOL = 0,
    PC_V_LONG,
    PC_V_STRING,
    PC_V_ENTITY,
    PC_V_SET,
    PC_V_RECORD,
    PC_V_DECIMAL,
    PC_V_IPADDR,
    PC_V_DATETIME,
    PC_V_DURATION
} pc_vtype;

/* An entity uid: a fully qualified type name ("A::B::User") and an id. */
typedef struct pc_uid {
    pc_str type;
    pc_str id;
} pc_uid;

typedef struct pc_ipaddr {
    uint8_t is_v6;     /* 0: IPv4 (addr[0..3]), 1: IPv6 (addr[0..15]) */
    uint8_t prefix;    /* prefix length: 0..32 or 0..128 (32/128 when none given) */
    uint8_t addr[16];  /* network byte order; host bits kept as written */
} pc_ipaddr;

typedef struct pc_set pc_set;
typedef struct pc_record pc_record;

typedef struct pc_value {
    uint8_t type;  /* pc_vtype */
    union {
        bool b;
        int64_t l;               /* LONG, DECIMAL (x10^4), DATETIME, DURATION (ms) */
        pc_str s;                /* STRING; s.ptr must not be NULL */
        const pc_uid *uid;       /* ENTITY */
        const pc_set *set;       /* SET */
        const pc_record *rec;    /* RECORD */
        const pc_ipaddr *ip;     /* IPADDR */
    } u;
} pc_value;

struct pc_set {
    uint32_t n;
    pc_value items[];
};

typedef struct pc_field {
    pc_str key;
    pc_value val;
} pc_field;

struct pc_record {
    uint32_t n;
    pc_field fields[];
};

/* ---- constructors ---------------------------------------------------- */

static inline pc_value pc_v_bool(bool b) { pc_value v; v.type = PC_V_BOOL; v.u.b = b; return v; }
static inline pc_value pc_v_long(int64_t l) { pc_value v; v.type = PC_V_LONG; v.u.l = l; return v; }
static inline pc_value pc_v_string(pc_str s) { pc_value v; v.type = PC_V_STRING; v.u.s = s; return v; }
static inline pc_value pc_v_entity(const pc_uid *u) { pc_value v; v.type = PC_V_ENTITY; v.u.uid = u; return v; }
static inline pc_value pc_v_set(const pc_set *s) { pc_value v; v.type = PC_V_SET; v.u.set = s; return v; }
static inline pc_value pc_v_record(const pc_record *r) { pc_value v; v.type = PC_V_RECORD; v.u.rec = r; return v; }
static inline pc_value pc_v_ext_int(pc_vtype t, int64_t l) { pc_value v; v.type = (uint8_t)t; v.u.l = l; return v; }
static inline pc_value pc_v_ip(const pc_ipaddr *ip) { pc_value v; v.type = PC_V_IPADDR; v.u.ip = ip; return v; }

/*
** Build a set from n values (copied), dropping duplicates (the first
** occurrences stay, in order). NULL on allocation failure. The input array
** may be modified. Takes memory from the arena only, never from the heap.
*/
const pc_set *pc_set_make(pc_arena *a, pc_value *items, uint32_t n);
/*
** Build a record from n fields (copied), sorting them by key. If two fields
** share a key, returns NULL and sets *dup_key to it (when dup_key is non-NULL);
** NULL with dup_key->ptr == NULL means allocation failure.
*/
const pc_record *pc_record_make(pc_arena *a, pc_field *fields, uint32_t n, pc_str *dup_key);
/* Field lookup; NULL when absent. */
const pc_value *pc_record_get(const pc_record *r, pc_str key);

pc_uid *pc_uid_make(pc_arena *a, pc_str type, pc_str id);  /* copies nothing: points at type/id */
/* Ids tell most uids apart, often by length alone; types are usually
   interned, so theirs is mostly a pointer compare. Inline: the hottest compare. */
static inline bool pc_uid_eq(const pc_uid *a, const pc_uid *b)
{
    return a == b || (a->id.len == b->id.len && pc_str_eq(a->id, b->id) &&
                      pc_str_eq(a->type, b->type));
}
uint64_t pc_uid_hash(const pc_uid *u);

/* ---- comparison ------------------------------------------------------ */

/* Cedar `==`: structural equality; values of different types are unequal. */
bool pc_value_eq(const pc_value *a, const pc_value *b);
/* Does set s contain v (by pc_value_eq)? A binary search when s is large. */
bool pc_set_contains(const pc_set *s, const pc_value *v);

/*
** Sort n elements of size bytes in place, as qsort does but without its
** heap buffer (glibc's qsort mallocs one for arrays over 1 KiB), so that the
** decision path never touches the heap. Not stable.
*/
void pc_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---- names and printing --------------------------------------------- */

/* "bool", "long", "string", "entity", "set", "record", "decimal", ... */
const char *pc_vtype_name(pc_vtype t);
/* Cedar syntax for a value, for messages and tests: User::"a", [1, 2], {"k": true},
** decimal("1.5000"), ip("10.0.0.0/8"), datetime("..."), duration("..."). */
bool pc_value_print(pc_buf *b, const pc_value *v);
/* Cedar syntax for a uid: A::B::"id" with the id escaped. */
bool pc_uid_print(pc_buf *b, const pc_uid *u);
/*
** The same texts as NUL-terminated strings in an arena, for messages built on
** the decision path: s with Cedar string escapes (no quotes added), and a
** uid as pc_uid_print writes it. Text that needs no escape (the usual case)
** goes straight to the arena; only a string holding quotes, backslashes,
** control characters or bytes that are not UTF-8 is escaped through a
** short-lived heap buffer. NULL when out of memory.
*/
const char *pc_escape_text(pc_arena *a, pc_str s);
const char *pc_uid_text(pc_arena *a, const pc_uid *u);

#endif
