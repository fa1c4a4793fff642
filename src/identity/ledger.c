/*
** identity/ledger.c — the in-memory ledger of revoked and spent grant ids.
**
** An open-addressing hash table (linear probing) keyed by jti, behind a
** mutex: lookups and inserts are a few probes, and the mutex is held for
** nothing longer. Entries are never deleted one by one (that would need
** tombstones); instead, when the table is half full it is rebuilt, keeping
** only entries still needed (until >= now), and doubled while it may grow.
** A grant's entry is needed until its exp (plus the largest skew any
** verifier may allow), so the table holds at most the grants of one
** max_ttl window. When capacity live ids are held the ledger refuses new
** ones (PC_LEDGER_FULL) and the verifier denies: forgetting a revocation
** to make room would turn a full table into an allow.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "id_internal.h"

#define MIN_SLOTS 64

enum { EMPTY, REVOKED, SPENT };

typedef struct entry {
    char jti[PC_GRANT_JTI_LEN + 1];
    uint8_t state;
    int64_t until;     /* forgettable after this time */
} entry;

typedef struct memledger {
    pthread_mutex_t lock;
    entry *slots;
    size_t n_slots;    /* a power of two */
    size_t count;      /* used slots */
    size_t capacity;   /* live ids at most */
    int64_t pruned_at; /* time of the last rebuild */
} memledger;

static entry *probe(entry *slots, size_t n_slots, const char *jti)
{
    size_t i = pc_hash_bytes(jti, strlen(jti)) & (n_slots - 1);
    while (slots[i].state != EMPTY && strcmp(slots[i].jti, jti))
        i = (i + 1) & (n_slots - 1);
    return &slots[i];
}

/* Move the entries still needed at now into a fresh table of n_slots. */
static bool rebuild(memledger *m, size_t n_slots, int64_t now)
{
    entry *fresh = calloc(n_slots, sizeof *fresh);
    if (!fresh)
        return false;
    size_t count = 0;
    for (size_t i = 0; i < m->n_slots; i++)
        if (m->slots[i].state != EMPTY && m->slots[i].until >= now) {
            *probe(fresh, n_slots, m->slots[i].jti) = m->slots[i];
            count++;
        }
    free(m->slots);
    m->slots = fresh;
    m->n_slots = n_slots;
    m->count = count;
    return true;
}

/*
** Make sure one more entry fits under the load factor and the capacity:
** rebuild (dropping what is no longer needed) when crowded, doubling while
** the table may grow, or when at capacity, at most once per second so a
** full ledger does not rebuild on every request.
*/
static bool make_room(memledger *m, int64_t now)
{
    bool crowded = (m->count + 1) * 2 > m->n_slots;
    bool full = m->count >= m->capacity && now > m->pruned_at;
    if (crowded || full) {
        bool grow = crowded && m->n_slots < 2 * m->capacity;
        if (!rebuild(m, grow ? m->n_slots * 2 : m->n_slots, now))
            return false;
        m->pruned_at = now;
    }
    return m->count < m->capacity && (m->count + 1) * 2 <= m->n_slots;
}

/* Record jti in state until `until`; false when there is no room. */
static bool record(memledger *m, const char *jti, uint8_t state, int64_t until, int64_t now)
{
    if (strlen(jti) != PC_GRANT_JTI_LEN)
        return false;
    entry *e = probe(m->slots, m->n_slots, jti);
    if (e->state == EMPTY) {
        if (!make_room(m, now))
            return false;
        e = probe(m->slots, m->n_slots, jti);   /* the table may have been rebuilt */
        memcpy(e->jti, jti, PC_GRANT_JTI_LEN + 1);
        m->count++;
    } else if (e->state == REVOKED && e->until >= now) {
        state = REVOKED;   /* a revocation is never downgraded to spent */
    }
    e->state = state;
    if (e->until < until)
        e->until = until;
    return true;
}

static pc_status mem_revoke(void *self, const char *jti, int64_t until, int64_t now)
{
    memledger *m = self;
    pthread_mutex_lock(&m->lock);
    bool ok = record(m, jti, REVOKED, until, now);
    pthread_mutex_unlock(&m->lock);
    return ok ? PC_OK : PC_ERR_LIMIT;
}

static pc_ledger_state mem_use(void *self, const char *jti, bool spend, int64_t until, int64_t now)
{
    memledger *m = self;
    pthread_mutex_lock(&m->lock);
    const entry *e = probe(m->slots, m->n_slots, jti);
    bool live = e->state != EMPTY && e->until >= now;
    pc_ledger_state st = live && e->state == REVOKED ? PC_LEDGER_REVOKED
                         : !spend                   ? PC_LEDGER_FRESH
                         : live                     ? PC_LEDGER_SPENT
                         : record(m, jti, SPENT, until, now) ? PC_LEDGER_FRESH
                                                    : PC_LEDGER_FULL;
    pthread_mutex_unlock(&m->lock);
    return st;
}

static void mem_destroy(void *self)
{
    memledger *m = self;
    pthread_mutex_destroy(&m->lock);
    free(m->slots);
    free(m);
}

static const pc_grant_ledger_ops memory_ops = {mem_revoke, mem_use, mem_destroy};

pc_grant_ledger *pc_grant_ledger_memory(size_t capacity)
{
    if (capacity == 0 || capacity > SIZE_MAX / 4 / sizeof(entry))
        return NULL;
    pc_grant_ledger *l = malloc(sizeof *l);
    memledger *m = calloc(1, sizeof *m);
    entry *slots = calloc(MIN_SLOTS, sizeof *slots);
    if (!l || !m || !slots || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(l);
        free(m);
        free(slots);
        return NULL;
    }
    m->slots = slots;
    m->n_slots = MIN_SLOTS;
    m->capacity = capacity;
    l->ops = &memory_ops;
    l->self = m;
    return l;
}

void pc_grant_ledger_free(pc_grant_ledger *l)
{
    if (!l)
        return;
    l->ops->destroy(l->self);
    free(l);
}

static bool is_jti(const char *s)
{
    if (strlen(s) != PC_GRANT_JTI_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

pc_status pc_grant_revoke(pc_grant_ledger *l, const char *jti, int64_t max_ttl, int64_t now,
                          pc_diag *d)
{
    if (!is_jti(jti))
        return pc_diag_set(d, PC_ERR_INVALID, "'%s' is not a grant id (%d base64url characters)",
                           jti, PC_GRANT_JTI_LEN);
    if (max_ttl < 1 || max_ttl > PC_GRANT_MAX_TTL)
        return pc_diag_set(d, PC_ERR_INVALID, "max_ttl %lld s is outside 1..%d s",
                           (long long)max_ttl, PC_GRANT_MAX_TTL);
    if (l->ops->revoke(l->self, jti, now + max_ttl + PC_ID_MAX_SKEW, now) != PC_OK)
        return pc_diag_set(d, PC_ERR_LIMIT, "the grant ledger is full; %s is not revoked", jti);
    return PC_OK;
}
