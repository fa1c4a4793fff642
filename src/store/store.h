/*
** store/store.h — the state store: where the decision log, its signed
** checkpoints, approval requests and spent or revoked grant ids live.
**
** The store is an interface, a struct of function pointers (pc_store_ops),
** so that the SQLite backend (the embedded default, sqlite.c) can be joined
** by a PostgreSQL one without touching its callers. What a backend must
** guarantee is written next to each operation below; everything about
** hashing, signing and approval rules lives above it, in src/audit/.
**
** Shapes shared by every backend:
**   pc_log_record   one decision as persisted; pc_log_fields describes its
**                   hashed fields once, in canonical order, and drives the
**                   SQL columns, the canonical encoding and the JSON output
**   pc_checkpoint   a signed statement "record SEQ has hash H"
**   pc_approval     an approval request and what became of it
**
** Strings are pc_str (byte strings, not owned). Records handed to callbacks
** borrow the backend's memory and are valid only during the call. Every
** operation reports failure as a status with a message in the pc_diag:
** PC_ERR_IO for the backend failing (with the backend's own words),
** PC_ERR_STATE when the stored state is unusable (a malformed row),
** PC_ERR_INVALID for bad arguments. Outcomes that are answers, not failures
** (an approval no longer pending, a grant already spent), come back as
** values.
**
** A pc_store handle may be shared by threads: each operation runs alone on
** it (a handle holds one connection). The audit writer should get a handle
** of its own so that approvals and grants never queue behind a log batch.
*/
#ifndef PC_STORE_H
#define PC_STORE_H

#include "../base/base.h"

#define PC_HASH_LEN 32                /* SHA-256 */
#define PC_SIG_LEN 64                 /* Ed25519 */
#define PC_STORE_BUSY_TIMEOUT_MS 5000 /* default wait for another writer's lock */
#define PC_STORE_SCHEMA_VERSION 1     /* the newest schema this build knows */

/* ---- decision records ------------------------------------------------ */

typedef struct pc_strlist {
    uint32_t n;
    const pc_str *items;
} pc_strlist;

/* The decision strings a record may carry. */
#define PC_DECISION_ALLOW "allow"
#define PC_DECISION_DENY "deny"
#define PC_DECISION_APPROVAL "approval_required"

typedef struct pc_log_record {
    int64_t seq; /* position in the log, from 1; not hashed (see audit.h) */
    /* -- the hashed fields, in canonical order (pc_log_fields) -- */
    int64_t time_us;                     /* decision time, Unix microseconds UTC */
    pc_str decision_id;                  /* unique per decision */
    pc_str request_id;                   /* the caller's correlation id; may be empty */
    pc_str source;                       /* who decided: "daemon", "mcp", "exec", "grant", ... */
    pc_str principal, action, resource;  /* Cedar uid text; empty if the request had none */
    pc_str decision;                     /* PC_DECISION_ALLOW, _DENY or _APPROVAL */
    pc_strlist reasons;                  /* determining policy ids */
    pc_strlist errors;                   /* ids of policies that errored */
    pc_str error;                        /* why the request could not be decided; may be empty */
    pc_str policy_version;               /* the policy set that decided */
    pc_str issuer;                       /* identity issuer of the principal; may be empty */
    pc_str approval_id;                  /* approval request asked for or consumed; may be empty */
    int64_t latency_us;                  /* time to decide */
    uint8_t context_digest[PC_HASH_LEN]; /* SHA-256 of the canonical context JSON */
    pc_str context;                      /* redacted context JSON; ptr NULL when not kept */
    uint8_t prev_hash[PC_HASH_LEN];      /* hash of the previous record; zeros for seq 1 */
    /* -- not hashed -- */
    uint8_t hash[PC_HASH_LEN]; /* this record's hash, as written */
    const char *malformed;     /* reading only: why the stored row does not decode, else NULL */
} pc_log_record;

typedef enum pc_field_kind {
    PC_FIELD_I64 = 0, /* int64_t */
    PC_FIELD_STR,     /* pc_str, never absent */
    PC_FIELD_OPT,     /* pc_str, absent when ptr is NULL */
    PC_FIELD_LIST,    /* pc_strlist */
    PC_FIELD_HASH     /* uint8_t[PC_HASH_LEN] */
} pc_field_kind;

typedef struct pc_field_desc {
    const char *name; /* SQL column and JSON member */
    uint8_t kind;     /* pc_field_kind */
    size_t offset;    /* in pc_log_record */
} pc_field_desc;

/* The hashed fields of pc_log_record, in canonical order. */
#define PC_LOG_N_FIELDS 18
extern const pc_field_desc pc_log_fields[PC_LOG_N_FIELDS];

/* Which records a query wants. Zero-initialised means every record. */
typedef struct pc_record_filter {
    const char *principal; /* exact match; NULL: any */
    const char *action;
    const char *decision;
    bool has_since, has_until;
    int64_t since_us;  /* time_us >= since_us */
    int64_t until_us;  /* time_us < until_us */
    int64_t after_seq; /* seq > after_seq */
    uint64_t limit;    /* 0: no limit */
    bool last;         /* with limit: the last `limit` matches (still oldest first) */
} pc_record_filter;

/* Called per record, oldest first; return false to stop early (not an error). */
typedef bool (*pc_record_fn)(void *ctx, const pc_log_record *r);

/* ---- checkpoints ----------------------------------------------------- */

typedef struct pc_checkpoint {
    int64_t id;  /* assigned by the store: 1, 2, 3, ... never reused */
    int64_t seq; /* the record it covers (and, by the chain, all before it) */
    int64_t time_us;
    uint8_t hash[PC_HASH_LEN];   /* that record's hash */
    uint8_t key_id[PC_HASH_LEN]; /* SHA-256 of the signer's public key (DER) */
    uint8_t signature[PC_SIG_LEN];
    const char *malformed; /* reading only */
} pc_checkpoint;

typedef bool (*pc_checkpoint_fn)(void *ctx, const pc_checkpoint *c);

/* The end of the log as stored, read inside each append transaction. */
typedef struct pc_store_tip {
    int64_t seq;               /* last record; 0 when the log is empty */
    uint8_t hash[PC_HASH_LEN]; /* its stored hash; zeros when empty */
    int64_t checkpoint_seq;    /* covered by the last checkpoint; 0 when none */
    int64_t checkpoint_us;     /* when that checkpoint was made */
} pc_store_tip;

/*
** Called by append inside its transaction, after reading the tip and before
** writing: assign seq, prev_hash and hash to every record, and set *want_cp
** (filling *cp but its id) to write a checkpoint in the same transaction.
** A non-OK return rolls the whole batch back.
*/
typedef pc_status (*pc_store_link_fn)(void *ctx, const pc_store_tip *tip, pc_log_record *recs,
                                      size_t n, pc_checkpoint *cp, bool *want_cp, pc_diag *d);

/* ---- approvals ------------------------------------------------------- */

typedef enum pc_approval_state {
    PC_APPROVAL_PENDING = 0,
    PC_APPROVAL_APPROVED,
    PC_APPROVAL_DENIED,
    PC_APPROVAL_CONSUMED
} pc_approval_state;

typedef struct pc_approval {
    pc_str id;
    pc_str principal, action, resource; /* the request it is bound to */
    uint8_t args_digest[PC_HASH_LEN];   /* ... and the digest of its arguments */
    pc_strlist groups;                  /* from the @approval("group") annotations */
    pc_strlist policies;                /* the annotated policies that asked */
    pc_approval_state state;
    int64_t created_us, expires_us;
    pc_str approver, reason; /* empty until decided */
    int64_t decided_us;      /* 0 until decided */
    int64_t consumed_us;     /* 0 until consumed */
    const char *malformed;   /* reading only */
} pc_approval;

typedef bool (*pc_approval_fn)(void *ctx, const pc_approval *a);

/* ---- grants ---------------------------------------------------------- */

typedef enum pc_grant_state {
    PC_GRANT_UNSEEN = 0, /* never spent nor revoked */
    PC_GRANT_SPENT,
    PC_GRANT_REVOKED
} pc_grant_state;

/* ---- the interface --------------------------------------------------- */

typedef struct pc_store pc_store;

typedef struct pc_store_ops {
    const char *backend; /* "sqlite" */
    void (*close)(pc_store *s);

    /* The current tip (outside any transaction). */
    pc_status (*tip)(pc_store *s, pc_store_tip *out, pc_diag *d);
    /*
    ** Append n records (n may be 0, to write only a checkpoint) in ONE
    ** transaction that takes the write lock first, reads the tip, calls
    ** link, inserts, commits. All or nothing; durable on return when the
    ** store was opened with durable.
    */
    pc_status (*append)(pc_store *s, pc_log_record *recs, size_t n, pc_store_link_fn link,
                        void *link_ctx, pc_diag *d);
    /* Records matching f, oldest first (by seq). Undecodable rows are passed
    ** with ->malformed set, never skipped. */
    pc_status (*records)(pc_store *s, const pc_record_filter *f, pc_record_fn fn, void *ctx,
                         pc_diag *d);
    /* Every checkpoint, by id. */
    pc_status (*checkpoints)(pc_store *s, pc_checkpoint_fn fn, void *ctx, pc_diag *d);

    /*
    ** Insert req unless a pending, unexpired request with the same binding
    ** (principal, action, resource, args_digest) exists; either way *out is
    ** the request now pending for that binding (strings in a) and *created
    ** says which. Atomic: two callers never create two.
    */
    pc_status (*approval_open)(pc_store *s, const pc_approval *req, int64_t now_us, pc_arena *a,
                               pc_approval *out, bool *created, pc_diag *d);
    pc_status (*approval_get)(pc_store *s, pc_str id, pc_arena *a, pc_approval *out, bool *found,
                              pc_diag *d);
    /* Every request (or only those in state `only` when only >= 0), newest first. */
    pc_status (*approval_list)(pc_store *s, int only, pc_approval_fn fn, void *ctx, pc_diag *d);
    /*
    ** Move a request from pending to `to` (APPROVED or DENIED) in one atomic
    ** step that also requires: not expired at now_us, approver differs from
    ** the requesting principal. *changed is false when any condition failed
    ** (the caller reads the request to say which).
    */
    pc_status (*approval_decide)(pc_store *s, pc_str id, pc_approval_state to, pc_str approver,
                                 pc_str reason, int64_t now_us, bool *changed, pc_diag *d);
    /*
    ** Consume an approved, unexpired request bound exactly to b's principal,
    ** action, resource and args_digest: the one with id b->id when b->id is
    ** non-empty, else the oldest such. One atomic step, so each approval is
    ** used once. *id_out (in a) is the consumed id, ptr NULL when none.
    */
    pc_status (*approval_consume)(pc_store *s, const pc_approval *b, int64_t now_us, pc_arena *a,
                                  pc_str *id_out, pc_diag *d);

    /*
    ** The grant ledger (the identity room's pc_grant_ledger can sit on these).
    ** grant_use is one atomic step: a revoked id is reported REVOKED; else,
    ** when spend, an id already spent is reported SPENT, and an unseen one is
    ** recorded spent (kept until until_us) and reported UNSEEN. Without
    ** spend nothing is recorded: the id's current state is reported.
    */
    pc_status (*grant_use)(pc_store *s, pc_str id, bool spend, int64_t until_us, int64_t now_us,
                           pc_grant_state *found, pc_diag *d);
    /* Revoke an id, spent or not, remembered until until_us; revoking twice keeps the first. */
    pc_status (*grant_revoke)(pc_store *s, pc_str id, pc_str reason, int64_t until_us,
                              int64_t now_us, pc_diag *d);
    /* An id's state, since when (at_us), and the revocation reason (in a). */
    pc_status (*grant_state)(pc_store *s, pc_str id, pc_arena *a, pc_grant_state *st,
                             int64_t *at_us, pc_str *reason, pc_diag *d);
    /* Forget ids whose until_us has passed: such grants can no longer verify. */
    pc_status (*grant_purge)(pc_store *s, int64_t now_us, uint64_t *removed, pc_diag *d);
} pc_store_ops;

struct pc_store {
    const pc_store_ops *ops;
    bool durable; /* opened with pc_store_options.durable: commits are fsynced */
};

typedef struct pc_store_options {
    bool read_only;           /* inspect only: no schema migration, every write refused */
    bool durable;             /* every commit reaches the disk (fsync) before it returns */
    uint32_t busy_timeout_ms; /* 0: PC_STORE_BUSY_TIMEOUT_MS */
} pc_store_options;

/*
** Open a store. spec is "sqlite:PATH" or a plain PATH (SQLite);
** "postgres://..." is reserved for the PostgreSQL backend, which this build
** does not have. A writable SQLite store is created and migrated as needed.
*/
pc_status pc_store_open(const char *spec, const pc_store_options *o, pc_store **out, pc_diag *d);
pc_status pc_store_open_sqlite(const char *path, const pc_store_options *o, pc_store **out,
                               pc_diag *d);
static inline void pc_store_close(pc_store *s)
{
    if (s)
        s->ops->close(s);
}

/* ---- helpers shared by backends and callers --------------------------- */

const char *pc_approval_state_name(pc_approval_state st); /* "pending", ... */
bool pc_approval_state_parse(const char *name, pc_approval_state *out);
const char *pc_grant_state_name(pc_grant_state st);

/* Unix microseconds as RFC 3339 UTC with microseconds, 2024-05-01T12:00:00.000123Z;
** returns out. Times outside years 0000-9999 print as "@<microseconds>". */
#define PC_TIME_TEXT_MAX 48
const char *pc_time_text(int64_t us, char out[PC_TIME_TEXT_MAX]);
/* Parse RFC 3339 (date, 'T' or ' ', time, optional fraction of up to 9
** digits, then Z or +hh:mm / -hh:mm) or a plain integer of Unix seconds. */
bool pc_time_parse(const char *text, int64_t *us);
/* Now, Unix microseconds UTC. */
int64_t pc_time_now_us(void);

/* A list as compact JSON text (an array of strings), appended to b. */
bool pc_strlist_to_json(pc_buf *b, pc_strlist l);
/* Parse such text into a (items borrow a's copies); false with *why on bad text. */
bool pc_strlist_from_json(pc_arena *a, const char *text, size_t len, pc_strlist *out,
                          const char **why);

#endif
