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
** deduplicated, searched and compared by pairwise pc_value_eq, which beats
** hashing at that size. A large set carries an index after its items: the
** items' structural hashes (which agree with pc_value_eq) in ascending
** order, each with its item's position. Building one sorts the hashes,
** which also finds the duplicates, since equal values hash alike; a lookup
** is a binary search; two equal sets have equal hash arrays, so comparing
** them is a walk. The items themselves stay in the order they were given.
**
** Nothing here calls malloc: a decision builds sets and records on its
** request arena and must not touch the heap. That includes sorting (glibc's
** qsort mallocs a buffer for arrays over 1 KiB), hence pc_sort below.
*/
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "ext_internal.h"

#define SMALL_SET 16     /* up to here, pairwise comparison beats hashing */
#define RECORD_SCAN 16   /* up to here, a record's keys are first scanned by address */

/* ---- sorting without a buffer ------------------------------------------ */

static void swap_bytes(char *a, char *b, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* Let the element at root sink until it is no smaller than its children. */
static void sift_down(char *base, size_t size, size_t root, size_t n,
                      int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_bytes(base + root * size, base + child * size, size);
        root = child;
    }
}

/* Heapsort: O(n log n) in every case, in place. */
void pc_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(b, size, i, n, cmp);
    for (size_t end = n; end-- > 1;) {
        swap_bytes(b, b + end * size, size);
        sift_down(b, size, 0, end, cmp);
    }
}

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

/* ---- the index of a large set ------------------------------------------ */

/*
** Right after the items of a set of more than SMALL_SET items:
**     uint64_t hash[n]   the items' value_hash, ascending
**     uint32_t at[n]     at[i] is the position of the item whose hash is hash[i]
** pc_set_make builds every set, so a set is large exactly when it has this.
*/
typedef struct set_index {
    const uint64_t *hash;
    const uint32_t *at;
} set_index;

static bool is_large(uint32_t n) { return n > SMALL_SET; }

static size_t set_bytes(uint32_t n)
{
    size_t per_item = sizeof(pc_value) + (is_large(n) ? sizeof(uint64_t) + sizeof(uint32_t) : 0);
    return sizeof(pc_set) + (size_t)n * per_item;
}

/* The hashes start right after the items, aligned as the items are. */
_Static_assert(_Alignof(pc_value) >= _Alignof(uint64_t), "set index alignment");

static set_index index_of(const pc_set *s)
{
    const uint64_t *h = (const uint64_t *)(const void *)(s->items + s->n);
    return (set_index){h, (const uint32_t *)(h + s->n)};
}

static uint64_t set_hash(const pc_set *s)
{
    uint64_t sum = 0;   /* addition commutes: the order of items does not matter */
    if (is_large(s->n)) {
        set_index ix = index_of(s);
        for (uint32_t i = 0; i < s->n; i++)
            sum += mix(ix.hash[i]);
    } else {
        for (uint32_t i = 0; i < s->n; i++)
            sum += mix(value_hash(&s->items[i]));
    }
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

/* ---- sets -------------------------------------------------------------- */

static bool contains_scan(const pc_value *items, uint32_t n, const pc_value *v)
{
    for (uint32_t i = 0; i < n; i++)
        if (pc_value_eq(&items[i], v))
            return true;
    return false;
}

/* Move the first occurrence of each distinct item to the front; returns the count. */
static uint32_t dedupe_small(pc_value *items, uint32_t n)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!contains_scan(items, kept, &items[i]))
            items[kept++] = items[i];
    return kept;
}

/* An item's hash and its position in the caller's array. */
typedef struct keyed {
    uint64_t hash;
    uint32_t pos;
} keyed;

static int keyed_cmp(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/*
** Sort the items' hashes (ties by position) and mark in dup[] every item
** equal to an earlier one: equal items hash alike, so each is compared only
** with the run of items sharing its hash. Returns how many are left.
*/
static uint32_t sort_and_mark(const pc_value *items, uint32_t n, keyed *k, bool *dup)
{
    uint32_t kept = n;
    for (uint32_t i = 0; i < n; i++)
        k[i] = (keyed){value_hash(&items[i]), i};
    pc_sort(k, n, sizeof *k, keyed_cmp);
    for (uint32_t run = 0; run < n;) {
        uint32_t end = run + 1;
        while (end < n && k[end].hash == k[run].hash)
            end++;
        for (uint32_t j = run + 1; j < end; j++)
            for (uint32_t i = run; i < j; i++)
                if (!dup[k[i].pos] && pc_value_eq(&items[k[i].pos], &items[k[j].pos])) {
                    dup[k[j].pos] = true;
                    kept--;
                    break;
                }
        run = end;
    }
    return kept;
}

/* Many items: dedupe through sorted hashes, and keep them as the set's index. */
static pc_set *make_large(pc_arena *a, pc_value *items, uint32_t n)
{
    keyed *k = pc_arena_alloc(a, (size_t)n * sizeof *k);
    bool *dup = pc_arena_zalloc(a, n);
    uint32_t *moved = pc_arena_alloc(a, (size_t)n * sizeof *moved);
    if (!k || !dup || !moved)
        return NULL;
    uint32_t kept = sort_and_mark(items, n, k, dup);
    pc_set *s = pc_arena_alloc(a, set_bytes(kept));
    if (!s)
        return NULL;
    s->n = 0;
    for (uint32_t i = 0; i < n; i++)   /* the survivors, in the given order */
        if (!dup[i]) {
            moved[i] = s->n;
            s->items[s->n++] = items[i];
        }
    if (!is_large(kept))
        return s;
    uint64_t *hash = (uint64_t *)(void *)(s->items + kept);   /* where index_of looks */
    uint32_t *at = (uint32_t *)(hash + kept);
    for (uint32_t i = 0, j = 0; i < n; i++)
        if (!dup[k[i].pos]) {
            hash[j] = k[i].hash;
            at[j++] = moved[k[i].pos];
        }
    return s;
}

const pc_set *pc_set_make(pc_arena *a, pc_value *items, uint32_t n)
{
    if (is_large(n))
        return make_large(a, items, n);
    uint32_t kept = dedupe_small(items, n);
    pc_set *s = pc_arena_alloc(a, set_bytes(kept));
    if (!s)
        return NULL;
    s->n = kept;
    if (kept)
        memcpy(s->items, items, (size_t)kept * sizeof(pc_value));
    return s;
}

/* Is v among the items that index entries [lo, hi) of s point at? */
static bool run_contains(const pc_set *s, set_index ix, uint32_t lo, uint32_t hi,
                         const pc_value *v)
{
    for (uint32_t i = lo; i < hi; i++)
        if (pc_value_eq(&s->items[ix.at[i]], v))
            return true;
    return false;
}

bool pc_set_contains(const pc_set *s, const pc_value *v)
{
    if (!is_large(s->n))
        return contains_scan(s->items, s->n, v);
    set_index ix = index_of(s);
    uint64_t h = value_hash(v);
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {   /* the first entry whose hash is not below h */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix.hash[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    hi = lo;
    while (hi < s->n && ix.hash[hi] == h)
        hi++;
    return run_contains(s, ix, lo, hi, v);
}

/*
** Both sets are duplicate-free, so equal sizes and a ⊆ b mean a == b. Large
** equal sets have equal hash arrays, and then each item of a need only be
** looked for among the items of b that share its hash.
*/
static bool set_eq(const pc_set *a, const pc_set *b)
{
    if (a == b)
        return true;
    if (a->n != b->n)
        return false;
    if (!is_large(a->n)) {
        for (uint32_t i = 0; i < a->n; i++)
            if (!contains_scan(b->items, b->n, &a->items[i]))
                return false;
        return true;
    }
    set_index ia = index_of(a), ib = index_of(b);
    if (memcmp(ia.hash, ib.hash, (size_t)a->n * sizeof *ia.hash) != 0)
        return false;
    for (uint32_t run = 0; run < a->n;) {
        uint32_t end = run + 1;
        while (end < a->n && ia.hash[end] == ia.hash[run])
            end++;
        for (uint32_t i = run; i < end; i++)
            if (!run_contains(b, ib, run, end, &a->items[ia.at[i]]))
                return false;
        run = end;
    }
    return true;
}

/* ---- records ----------------------------------------------------------- */

static int field_cmp(const void *x, const void *y)
{
    return pc_str_cmp(((const pc_field *)x)->key, ((const pc_field *)y)->key);
}

/* Sorted with unique keys already? (Records built in key order skip the sort.) */
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
    pc_sort(r->fields, n, sizeof(pc_field), field_cmp);
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
    /*
    ** Stored records and policies take their names from one interner, so the
    ** usual hit is the very same bytes: look for those first in a record of
    ** ordinary size, then search by content (request records hold copies).
    */
    for (uint32_t i = 0; r->n <= RECORD_SCAN && i < r->n; i++)
        if (r->fields[i].key.ptr == key.ptr && r->fields[i].key.len == key.len)
            return &r->fields[i].val;
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

/* ---- text in an arena, for messages -------------------------------------- */

/*
** Would pc_buf_cedar_escape change s? It copies printable ASCII other than
** the quote and the backslash, and valid UTF-8 beyond ASCII, unchanged.
*/
static bool needs_escape(pc_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            return true;
    }
    return !pc_utf8_valid(s.ptr, s.len);
}

/* Can s go to the arena as it is, through "%.*s" (whose precision is an int)? */
static bool plain(pc_str s) { return s.len <= INT_MAX && !needs_escape(s); }

/* Copy text built in b into the arena and release b. */
static const char *buf_to_arena(pc_arena *a, pc_buf *b)
{
    const char *t = b->oom ? NULL : pc_arena_str(a, b->data ? b->data : "", b->len).ptr;
    pc_buf_free(b);
    return t;
}

const char *pc_escape_text(pc_arena *a, pc_str s)
{
    if (plain(s))
        return pc_arena_str(a, s.ptr, s.len).ptr;
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_cedar_escape(&b, s.ptr, s.len);
    return buf_to_arena(a, &b);
}

const char *pc_uid_text(pc_arena *a, const pc_uid *u)
{
    if (!plain(u->type) || !plain(u->id)) {
        pc_buf b;
        pc_buf_init(&b);
        pc_uid_print(&b, u);
        return buf_to_arena(a, &b);
    }
    /* no escapes means no NULs either, so "%.*s" copies both whole */
    return pc_arena_printf(a, "%.*s::\"%.*s\"", (int)u->type.len, u->type.ptr, (int)u->id.len,
                           u->id.ptr);
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
