/*
** value/value.c — building, comparing, hashing and printing Cedar values.
**
** Values are immutable once built, so the constructors establish the
** invariants the rest of the engine leans on (value.h): sets hold no two
** equal elements and records are sorted by key with unique keys. That makes
** equality cheap to state: two sets are equal when they have the same size
** and one is contained in the other; two records when their field arrays
** match pairwise.
**
** Small sets (the common case: a handful of entities or strings) are
** deduplicated and compared by pairwise pc_value_eq, which beats hashing at
** that size. Large ones use a temporary open-addressing index keyed by a
** structural hash that agrees with pc_value_eq (a set's hash is an
** order-independent sum, so equal sets hash alike whatever their order).
** The index is scratch memory that lives only during one call, so it comes
** from malloc rather than the caller's arena (which cannot give memory back);
** if malloc fails we fall back to the pairwise path, which is slower but
** needs nothing, so neither building nor comparing a set can fail for it.
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ext_internal.h"

#define SMALL_SET 16          /* up to here, pairwise comparison beats hashing */
#define INDEX_MIN_SLOTS 32    /* smallest index; always at least twice the items */

/* ---- hashing ----------------------------------------------------------- */

/* The splitmix64 finalizer: spreads every input bit over the whole word. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t combine(uint64_t h, uint64_t x) { return mix(h * 0x9e3779b97f4a7c15ull + x); }

static uint64_t value_hash(const pc_value *v);

static uint64_t set_hash(const pc_set *s)
{
    uint64_t sum = 0;   /* addition commutes: the order of items does not matter */
    for (uint32_t i = 0; i < s->n; i++)
        sum += mix(value_hash(&s->items[i]));
    return combine(sum, s->n);
}

static uint64_t record_hash(const pc_record *r)
{
    uint64_t h = r->n;
    for (uint32_t i = 0; i < r->n; i++)
        h = combine(combine(h, pc_str_hash(r->fields[i].key)), value_hash(&r->fields[i].val));
    return h;
}

static uint64_t value_hash(const pc_value *v)
{
    uint64_t h = 0;
    switch ((pc_vtype)v->type) {
    case PC_V_BOOL: h = v->u.b; break;
    case PC_V_LONG:
    case PC_V_DECIMAL:
    case PC_V_DATETIME:
    case PC_V_DURATION: h = (uint64_t)v->u.l; break;
    case PC_V_STRING: h = pc_str_hash(v->u.s); break;
    case PC_V_ENTITY: h = pc_uid_hash(v->u.uid); break;
    case PC_V_SET: h = set_hash(v->u.set); break;
    case PC_V_RECORD: h = record_hash(v->u.rec); break;
    case PC_V_IPADDR: h = pc_ip_hash(v->u.ip); break;
    }
    return combine(v->type, h);
}

/* ---- a scratch index of values ----------------------------------------- */

typedef struct slot {
    uint64_t hash;
    size_t pos1;   /* position of the item + 1; 0 marks an empty slot */
} slot;

typedef struct vindex {
    slot *slots;
    size_t mask;   /* slot count - 1 (a power of two) */
} vindex;

static bool index_init(vindex *ix, size_t n)
{
    size_t cap = INDEX_MIN_SLOTS;
    while (cap / 2 < n) {   /* at most half full, so probing always ends */
        if (cap > SIZE_MAX / 2 / sizeof(slot))
            return false;
        cap *= 2;
    }
    ix->slots = calloc(cap, sizeof(slot));
    ix->mask = cap - 1;
    return ix->slots != NULL;
}

/* The slot holding an item equal to v (hash h), or the empty slot for it. */
static slot *index_find(const vindex *ix, const pc_value *items, const pc_value *v, uint64_t h)
{
    for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        slot *s = &ix->slots[i];
        if (s->pos1 == 0 || (s->hash == h && pc_value_eq(&items[s->pos1 - 1], v)))
            return s;
    }
}

/* ---- sets -------------------------------------------------------------- */

static bool contains_scan(const pc_value *items, uint32_t n, const pc_value *v)
{
    for (uint32_t i = 0; i < n; i++)
        if (pc_value_eq(&items[i], v))
            return true;
    return false;
}

/* Move the first occurrence of each distinct item to the front; returns the count. */
static uint32_t dedupe(pc_value *items, uint32_t n)
{
    uint32_t kept = 0;
    vindex ix;
    if (n <= SMALL_SET || !index_init(&ix, n)) {
        for (uint32_t i = 0; i < n; i++)
            if (!contains_scan(items, kept, &items[i]))
                items[kept++] = items[i];
        return kept;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = value_hash(&items[i]);
        slot *s = index_find(&ix, items, &items[i], h);
        if (s->pos1)
            continue;
        items[kept] = items[i];   /* kept <= i: only visited items are overwritten */
        s->hash = h;
        s->pos1 = (size_t)kept + 1;
        kept++;
    }
    free(ix.slots);
    return kept;
}

const pc_set *pc_set_make(pc_arena *a, pc_value *items, uint32_t n)
{
    uint32_t kept = dedupe(items, n);
    pc_set *s = pc_arena_alloc(a, sizeof(pc_set) + (size_t)kept * sizeof(pc_value));
    if (!s)
        return NULL;
    s->n = kept;
    if (kept)
        memcpy(s->items, items, (size_t)kept * sizeof(pc_value));
    return s;
}

bool pc_set_contains(const pc_set *s, const pc_value *v)
{
    return contains_scan(s->items, s->n, v);
}

/* Both sets are duplicate-free, so equal sizes and a ⊆ b mean a == b. */
static bool set_eq(const pc_set *a, const pc_set *b)
{
    if (a == b)
        return true;
    if (a->n != b->n)
        return false;
    vindex ix;
    if (a->n <= SMALL_SET || !index_init(&ix, b->n)) {
        for (uint32_t i = 0; i < a->n; i++)
            if (!pc_set_contains(b, &a->items[i]))
                return false;
        return true;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        uint64_t h = value_hash(&b->items[i]);
        slot *s = index_find(&ix, b->items, &b->items[i], h);
        s->hash = h;
        s->pos1 = (size_t)i + 1;
    }
    bool eq = true;
    for (uint32_t i = 0; i < a->n && eq; i++)
        eq = index_find(&ix, b->items, &a->items[i], value_hash(&a->items[i]))->pos1 != 0;
    free(ix.slots);
    return eq;
}

/* ---- records ----------------------------------------------------------- */

static int field_cmp(const void *x, const void *y)
{
    return pc_str_cmp(((const pc_field *)x)->key, ((const pc_field *)y)->key);
}

/* Sorted with unique keys already? (Records built in key order skip qsort.) */
static bool strictly_sorted(const pc_field *f, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        if (pc_str_cmp(f[i - 1].key, f[i].key) >= 0)
            return false;
    return true;
}

const pc_record *pc_record_make(pc_arena *a, pc_field *fields, uint32_t n, pc_str *dup_key)
{
    if (dup_key)
        *dup_key = PC_STR_NULL;
    pc_record *r = pc_arena_alloc(a, sizeof(pc_record) + (size_t)n * sizeof(pc_field));
    if (!r)
        return NULL;
    r->n = n;
    if (n == 0 || strictly_sorted(fields, n)) {
        if (n)
            memcpy(r->fields, fields, (size_t)n * sizeof(pc_field));
        return r;
    }
    memcpy(r->fields, fields, (size_t)n * sizeof(pc_field));
    qsort(r->fields, n, sizeof(pc_field), field_cmp);
    for (uint32_t i = 1; i < n; i++) {
        if (pc_str_eq(r->fields[i - 1].key, r->fields[i].key)) {
            if (dup_key)
                *dup_key = r->fields[i].key;
            return NULL;
        }
    }
    return r;
}

const pc_value *pc_record_get(const pc_record *r, pc_str key)
{
    uint32_t lo = 0, hi = r->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = pc_str_cmp(r->fields[mid].key, key);
        if (c == 0)
            return &r->fields[mid].val;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static bool record_eq(const pc_record *a, const pc_record *b)
{
    if (a == b)
        return true;
    if (a->n != b->n)
        return false;
    /* Both sorted by key: equal records line up field by field. */
    for (uint32_t i = 0; i < a->n; i++)
        if (!pc_str_eq(a->fields[i].key, b->fields[i].key) ||
            !pc_value_eq(&a->fields[i].val, &b->fields[i].val))
            return false;
    return true;
}

/* ---- entity uids ------------------------------------------------------- */

pc_uid *pc_uid_make(pc_arena *a, pc_str type, pc_str id)
{
    pc_uid *u = pc_arena_alloc(a, sizeof *u);
    if (!u)
        return NULL;
    u->type = type;
    u->id = id;
    return u;
}

bool pc_uid_eq(const pc_uid *a, const pc_uid *b)
{
    /* Types are usually interned, so that compare is a pointer compare. */
    return a == b || (pc_str_eq(a->type, b->type) && pc_str_eq(a->id, b->id));
}

uint64_t pc_uid_hash(const pc_uid *u) { return combine(pc_str_hash(u->type), pc_str_hash(u->id)); }

/* ---- equality ---------------------------------------------------------- */

bool pc_value_eq(const pc_value *a, const pc_value *b)
{
    if (a->type != b->type)
        return false;
    switch ((pc_vtype)a->type) {
    case PC_V_BOOL: return a->u.b == b->u.b;
    case PC_V_LONG:
    case PC_V_DECIMAL:
    case PC_V_DATETIME:
    case PC_V_DURATION: return a->u.l == b->u.l;
    case PC_V_STRING: return pc_str_eq(a->u.s, b->u.s);
    case PC_V_ENTITY: return pc_uid_eq(a->u.uid, b->u.uid);
    case PC_V_SET: return set_eq(a->u.set, b->u.set);
    case PC_V_RECORD: return record_eq(a->u.rec, b->u.rec);
    case PC_V_IPADDR: return pc_ip_eq(a->u.ip, b->u.ip);
    }
    return false;
}

/* ---- names and printing ------------------------------------------------ */

static const char *const type_names[] = {
    [PC_V_BOOL] = "bool",         [PC_V_LONG] = "long",       [PC_V_STRING] = "string",
    [PC_V_ENTITY] = "entity",     [PC_V_SET] = "set",         [PC_V_RECORD] = "record",
    [PC_V_DECIMAL] = "decimal",   [PC_V_IPADDR] = "ipaddr",   [PC_V_DATETIME] = "datetime",
    [PC_V_DURATION] = "duration",
};

const char *pc_vtype_name(pc_vtype t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "unknown";
}

static bool print_quoted(pc_buf *b, pc_str s)
{
    pc_buf_putc(b, '"');
    pc_buf_cedar_escape(b, s.ptr, s.len);
    return pc_buf_putc(b, '"');
}

bool pc_uid_print(pc_buf *b, const pc_uid *u)
{
    pc_buf_append(b, u->type.ptr, u->type.len);
    pc_buf_puts(b, "::");
    print_quoted(b, u->id);
    return !b->oom;
}

static void print_set(pc_buf *b, const pc_set *s)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < s->n; i++) {
        if (i)
            pc_buf_puts(b, ", ");
        pc_value_print(b, &s->items[i]);
    }
    pc_buf_putc(b, ']');
}

static void print_record(pc_buf *b, const pc_record *r)
{
    pc_buf_putc(b, '{');
    for (uint32_t i = 0; i < r->n; i++) {
        if (i)
            pc_buf_puts(b, ", ");
        print_quoted(b, r->fields[i].key);
        pc_buf_puts(b, ": ");
        pc_value_print(b, &r->fields[i].val);
    }
    pc_buf_putc(b, '}');
}

/* name("...") around the canonical string form written by the caller. */
static void open_call(pc_buf *b, const char *name)
{
    pc_buf_puts(b, name);
    pc_buf_puts(b, "(\"");
}

static void close_call(pc_buf *b) { pc_buf_puts(b, "\")"); }

/*
** A datetime outside the years 0000..9999 (reachable through offset()) has no
** datetime("...") form; it is written as the epoch plus a duration, which is
** still a Cedar expression that evaluates to it.
*/
static void print_datetime(pc_buf *b, int64_t ms)
{
    if (pc_datetime_printable(ms)) {
        open_call(b, "datetime");
        pc_datetime_print(b, ms);
        close_call(b);
        return;
    }
    pc_buf_puts(b, "datetime(\"1970-01-01\").offset(");
    open_call(b, "duration");
    pc_duration_print(b, ms);
    close_call(b);
    pc_buf_putc(b, ')');
}

bool pc_value_print(pc_buf *b, const pc_value *v)
{
    switch ((pc_vtype)v->type) {
    case PC_V_BOOL: pc_buf_puts(b, v->u.b ? "true" : "false"); break;
    case PC_V_LONG: pc_buf_printf(b, "%" PRId64, v->u.l); break;
    case PC_V_STRING: print_quoted(b, v->u.s); break;
    case PC_V_ENTITY: pc_uid_print(b, v->u.uid); break;
    case PC_V_SET: print_set(b, v->u.set); break;
    case PC_V_RECORD: print_record(b, v->u.rec); break;
    case PC_V_DECIMAL:
        open_call(b, "decimal");
        pc_decimal_print(b, v->u.l);
        close_call(b);
        break;
    case PC_V_IPADDR:
        open_call(b, "ip");
        pc_ip_print(b, v->u.ip);
        close_call(b);
        break;
    case PC_V_DATETIME: print_datetime(b, v->u.l); break;
    case PC_V_DURATION:
        open_call(b, "duration");
        pc_duration_print(b, v->u.l);
        close_call(b);
        break;
    default: pc_buf_printf(b, "<value of unknown type %u>", (unsigned)v->type); break;
    }
    return !b->oom;
}
