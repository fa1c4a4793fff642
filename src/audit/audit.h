/*
** audit/audit.h — the decision log: every decision leaves a record that
** cannot be changed, removed, added or moved without `audit verify` saying
** which record it was.
**
** Tamper evidence (the format is specified in full in src/audit/README.md):
**   - each record's canonical bytes (pc_audit_encode) end with the SHA-256
**     of the previous record's canonical bytes, so the records form a hash
**     chain; the first record's previous hash is 32 zero bytes;
**   - the record's position (seq) is deliberately NOT hashed: the chain
**     itself defines the order, which is what lets the verifier tell a
**     moved record (reordered) from a changed one (modified);
**   - periodically the writer signs a checkpoint, "record SEQ has hash H",
**     with an Ed25519 key; a rewrite of the chain up to a checkpoint, or
**     the loss of records it covers, then shows even if every hash was
**     recomputed. Records after the last checkpoint are protected by the
**     chain only: deleting them from the end cannot be detected, which is
**     why the writer also signs at close and every checkpoint_ms.
**
** Durability (pc_audit_mode):
**   SYNC   pc_audit_append returns only once the record is committed and
**          fsynced. Appenders queue their records and one writer thread
**          commits everything waiting in one transaction (group commit), so
**          N concurrent appenders pay for one fsync, not N. If the record
**          cannot be written, append fails with the reason, and the caller
**          must deny the decision.
**   ASYNC  append queues a copy and returns; the writer commits at most
**          flush_ms after the oldest waiting record arrived (sooner when
**          the queue is half full). Loss window on a crash: the records
**          queued or being committed, at most queue_max + batch_max
**          records and roughly flush_ms plus one commit of time. The store
**          is opened without fsync per commit (synchronous=NORMAL), which
**          survives a process crash but may lose recent commits on power
**          loss. A failed write loses its batch; the failure is then
**          sticky: every later append fails with it, so the caller learns
**          that its log is gone, until the log is reopened.
** In both modes a full queue makes appenders wait (backpressure), never
** drops records.
*/
#ifndef PC_AUDIT_H
#define PC_AUDIT_H

#include <jansson.h>

#include "../eval/eval.h"
#include "../store/store.h"

#define PC_AUDIT_QUEUE_DEFAULT 4096  /* records waiting for the writer */
#define PC_AUDIT_BATCH_DEFAULT 512   /* records per transaction */
#define PC_AUDIT_FLUSH_MS_DEFAULT 50 /* async: longest wait before a commit */
#define PC_AUDIT_CHECKPOINT_EVERY_DEFAULT 1000
#define PC_AUDIT_CHECKPOINT_MS_DEFAULT 60000
#define PC_AUDIT_RECORD_MAX (1u << 20) /* canonical bytes of one record */
#define PC_AUDIT_REDACTED "[redacted]" /* what a redacted context value becomes */

/* ---- canonical encoding and digests ----------------------------------- */

/* Append the canonical bytes (format v1) of r to b; false on OOM. */
bool pc_audit_encode(pc_buf *b, const pc_log_record *r);
/* SHA-256 of the canonical bytes; scratch is reused between calls. */
pc_status pc_audit_hash(const pc_log_record *r, pc_buf *scratch, uint8_t out[PC_HASH_LEN],
                        pc_diag *d);
pc_status pc_sha256(const void *p, size_t n, uint8_t out[PC_HASH_LEN], pc_diag *d);
/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void pc_hex(const uint8_t *p, size_t n, char *out);

/*
** The digest of a JSON value (a context, a tool call's arguments): SHA-256
** of its canonical text, compact with object keys sorted (jansson's
** JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY). NULL counts as {}.
*/
pc_status pc_json_digest(const json_t *v, uint8_t out[PC_HASH_LEN], pc_diag *d);
/*
** The context as compact JSON with the value of every object member whose
** key is one of names, at any depth, replaced by PC_AUDIT_REDACTED.
** *out is malloc'ed. Nesting deeper than PC_MAX_JSON_DEPTH is refused.
*/
pc_status pc_audit_redact(const json_t *context, const char *const *names, size_t n_names,
                          char **out, pc_diag *d);

/* ---- signing keys and checkpoints ------------------------------------- */

typedef struct pc_audit_key pc_audit_key;

/* Load an Ed25519 key from a PEM file: a private key (to sign) or a public
** one (SubjectPublicKeyInfo, to verify). A private key also verifies. */
pc_status pc_audit_key_load(const char *path, bool private_key, pc_audit_key **out, pc_diag *d);
void pc_audit_key_free(pc_audit_key *k);
/* SHA-256 of the public key's DER encoding: names the key in checkpoints. */
const uint8_t *pc_audit_key_id(const pc_audit_key *k);

/* Append the bytes a checkpoint signature covers (format in README.md). */
bool pc_checkpoint_encode(pc_buf *b, const pc_checkpoint *c);
/* Fill c->key_id and c->signature over seq, time_us and hash. */
pc_status pc_checkpoint_sign(const pc_audit_key *k, pc_checkpoint *c, pc_diag *d);
/* Does c carry this key's valid signature? false also when the key differs. */
bool pc_checkpoint_verify(const pc_audit_key *k, const pc_checkpoint *c);

/* ---- the writer ------------------------------------------------------- */

typedef enum pc_audit_mode { PC_AUDIT_SYNC = 0, PC_AUDIT_ASYNC } pc_audit_mode;

typedef struct pc_audit_options {
    pc_audit_mode mode;
    uint32_t queue_max;        /* 0: PC_AUDIT_QUEUE_DEFAULT */
    uint32_t batch_max;        /* 0: PC_AUDIT_BATCH_DEFAULT */
    uint32_t flush_ms;         /* async only; 0: PC_AUDIT_FLUSH_MS_DEFAULT */
    const pc_audit_key *key;   /* signs checkpoints (borrowed); NULL: no checkpoints */
    uint32_t checkpoint_every; /* records; 0: PC_AUDIT_CHECKPOINT_EVERY_DEFAULT */
    uint32_t checkpoint_ms;    /* 0: PC_AUDIT_CHECKPOINT_MS_DEFAULT */
    bool keep_context;         /* store the redacted context, not only its digest */
    const char *const *redact; /* context member names to redact (copied) */
    size_t n_redact;
} pc_audit_options;

typedef struct pc_audit_log pc_audit_log;

/*
** Start a log writer over store (borrowed: close the log before the store).
** SYNC needs a store opened durable, and is refused otherwise. Starts the
** writer thread.
*/
pc_status pc_audit_open(pc_store *store, const pc_audit_options *o, pc_audit_log **out, pc_diag *d);

/*
** Record one decision. r's hashed fields are taken as given, except:
** seq, prev_hash and hash are assigned by the writer; context_digest and
** context come from `context` (NULL means {}); time_us 0 means now.
** decision must be one of the PC_DECISION_ strings, decision_id non-empty,
** every string valid UTF-8. SYNC: returns once durable, with *seq set (seq
** may be NULL). ASYNC: returns once queued, *seq = 0.
*/
pc_status pc_audit_append(pc_audit_log *log, const pc_log_record *r, const json_t *context,
                          int64_t *seq, pc_diag *d);

/*
** Set r's decision (allow or deny), reasons and errors from an engine
** answer. The id arrays come from a and the ids are the policies' own:
** both need to live only until pc_audit_append returns (it copies).
*/
pc_status pc_log_record_set_answer(pc_log_record *r, const pc_answer *ans, pc_arena *a,
                                   pc_diag *d);

typedef struct pc_audit_stats {
    uint64_t appended;    /* records committed */
    uint64_t batches;     /* transactions that carried records */
    uint64_t checkpoints; /* checkpoints written */
    uint64_t lost;        /* async: records in failed batches */
    uint64_t failed;      /* sync: appends that failed */
} pc_audit_stats;

void pc_audit_get_stats(pc_audit_log *log, pc_audit_stats *out);

/* Write everything queued, sign a final checkpoint (with a key and records
** since the last one), stop the writer. Reports the first failure seen.
** Appends already inside pc_audit_append finish (or are refused) first; no
** thread may start one once close has begun. */
pc_status pc_audit_close(pc_audit_log *log, pc_diag *d);

/* ---- verification ----------------------------------------------------- */

typedef enum pc_tamper {
    PC_TAMPER_NONE = 0,
    PC_TAMPER_MODIFIED,  /* a record's content no longer matches its hash */
    PC_TAMPER_DELETED,   /* a record is missing from the chain */
    PC_TAMPER_INSERTED,  /* a record was added: the chain passes over it */
    PC_TAMPER_REORDERED, /* a record is stored before its chain predecessor */
    PC_TAMPER_TRUNCATED, /* records a checkpoint covers are gone from the end */
    PC_TAMPER_REWRITTEN, /* the chain is consistent but differs from a signed checkpoint */
    PC_TAMPER_CHECKPOINT /* a checkpoint is malformed or its signature fails */
} pc_tamper;

const char *pc_tamper_name(pc_tamper t);

typedef struct pc_audit_report {
    uint64_t records; /* rows read */
    int64_t last_seq; /* 0 when empty */
    uint8_t last_hash[PC_HASH_LEN];
    uint64_t checkpoints;
    uint64_t signatures_checked; /* 0 without a key */
    int64_t covered_seq;         /* highest record a checkpoint covers; 0: none */
    pc_tamper finding;           /* the first problem, or NONE */
    int64_t seq;                 /* the record it names (checkpoint id for CHECKPOINT) */
    char *message;               /* malloc'ed explanation; NULL when intact */
} pc_audit_report;

/*
** Check the whole log: every checkpoint's signature (when key is given),
** then the chain record by record, then that no checkpoint covers records
** beyond the end. Stops at the first finding. Returns PC_OK whenever the
** check ran (the finding is in out), an error only if the store failed.
*/
pc_status pc_audit_verify(pc_store *store, const pc_audit_key *key, pc_audit_report *out,
                          pc_diag *d);
void pc_audit_report_clear(pc_audit_report *r);

/* ---- output ----------------------------------------------------------- */

/* One record as a JSON object (one line): every field by its pc_log_fields
** name, hashes in hex, the context as JSON, plus "seq", "time" and "hash". */
bool pc_log_record_json(pc_buf *b, const pc_log_record *r);
/* One record as a line of text: seq, time, decision, principal, action,
** resource, determining and erroring policies, latency, ids. */
bool pc_log_record_text(pc_buf *b, const pc_log_record *r);

#endif
