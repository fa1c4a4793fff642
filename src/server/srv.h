/*
** server/srv.h — what the daemon's parts share: the server state, one HTTP
** exchange, and the helpers every route handler uses.
**
** A route handler gets an exchange whose body is complete, reads it with
** pc_srv_json_body (which answers 400 itself on any problem), takes the
** current snapshot with pc_srv_snapshot_get (released when the exchange
** ends), and writes its answer with pc_srv_reply / pc_srv_fail. Handlers
** never touch libmicrohttpd; http.c does that.
*/
#ifndef PC_SRV_SRV_H
#define PC_SRV_SRV_H

#include <jansson.h>

#include "audit/audit.h"
#include "config.h"
#include "metrics.h"
#include "snapshot.h"

#define PC_SRV_DECISION_ID_HEX 32     /* 128 random bits */
#define PC_SRV_MAX_REQUEST_ENTITIES 1024   /* entities one native request may bring */
#define PC_SRV_TOKEN_HASH 32          /* SHA-256 of the admin token */

/* The outcome of the last (re)load, for /readyz. Guarded by pc_srv.state_lock. */
typedef struct pc_srv_reload_state {
    bool ok;
    char *error;              /* why the last attempt failed; NULL when ok */
    const char *trigger;      /* "startup", "SIGHUP", "file change", "admin" */
    int64_t at;               /* Unix seconds */
} pc_srv_reload_state;

/* The listeners, each a libmicrohttpd daemon of its own. */
typedef enum pc_srv_listener {
    PC_SRV_TCP = 0,
    PC_SRV_UNIX,
    PC_SRV_TLS,
    PC_SRV_LISTENERS
} pc_srv_listener;

typedef struct pc_srv {
    const pc_srv_config *cfg;
    pc_srv_slot slot;
    pc_srv_metrics metrics;
    pthread_mutex_t token_lock;   /* guards the two below: SIGHUP re-reads the token */
    bool admin_enabled;
    unsigned char admin_hash[PC_SRV_TOKEN_HASH];
    pthread_mutex_t reload_lock;  /* one snapshot build at a time; never taken by decisions */
    pthread_mutex_t state_lock;   /* guards last; held only to copy a few fields */
    pc_srv_reload_state last;
    uint64_t fingerprint;         /* of the policy files as last read */
    struct MHD_Daemon *daemons[PC_SRV_LISTENERS];
    int fds[PC_SRV_LISTENERS];
    char *unix_bound;             /* the socket path we created, to remove on stop */
    char *tls_cert, *tls_key;     /* PEM texts; libmicrohttpd reads them while it runs */
    size_t tls_key_len;
    pc_store *audit_store;        /* the decision log's own store handle; NULL: no log */
    pc_audit_key *audit_key;      /* signs its checkpoints; NULL: none */
    pc_audit_log *audit;          /* NULL when audit.mode = off */
    pc_grant_ledger *ledger;      /* revoked and spent grants; NULL without grants.* keys */
    pc_store *approvals;          /* approval requests; NULL without approvals.db */
} pc_srv;

/* One HTTP request and its answer. */
typedef struct pc_srv_exchange {
    pc_srv *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    char *body;                   /* the request body as received (no NUL added) */
    size_t body_len, body_cap;
    bool body_too_big;
    uint64_t started_ns;
    pc_srv_snapshot *snap;        /* taken on first use, released at the end */
    char decision_id[PC_SRV_DECISION_ID_HEX + 1];
    unsigned status;
    pc_buf out;
    const char *content_type;
    bool challenge;               /* add WWW-Authenticate: Bearer */
    uint64_t outcomes[PC_SRV_OUTCOMES];
} pc_srv_exchange;

typedef void (*pc_srv_handler)(pc_srv_exchange *x);

/* ---- helpers (http.c) ------------------------------------------------ */

/* The request body as a JSON object, or NULL after answering 400 with why. */
json_t *pc_srv_json_body(pc_srv_exchange *x);
/* A request header, or NULL. */
const char *pc_srv_header(pc_srv_exchange *x, const char *name);
/* The snapshot this exchange decides on (the same one for its whole life). */
pc_srv_snapshot *pc_srv_snapshot_get(pc_srv_exchange *x);
/* This thread's reusable decision (per-request memory lives in it); NULL when out of memory. */
pc_decision *pc_srv_thread_decision(void);
/*
** This thread's reusable overlay for request-scoped entities (reset it
** before each use); NULL when out of memory.
*/
pc_overlay *pc_srv_thread_overlay(void);
/* Answer with status; the body is already in x->out (JSON unless content_type set). */
void pc_srv_reply(pc_srv_exchange *x, unsigned status);
/* Answer {"error": "..."} with status. */
void pc_srv_fail(pc_srv_exchange *x, unsigned status, const char *fmt, ...) PC_PRINTF(3, 4);
/* A query-string argument (?name=value), or NULL. */
const char *pc_srv_query(pc_srv_exchange *x, const char *name);
/* Monotonic nanoseconds. */
uint64_t pc_srv_now_ns(void);

/* ---- the decision log (journal.c) ------------------------------------ */

/* One decision as the log records it; what is unknown stays NULL. */
typedef struct pc_srv_entry {
    const pc_uid *principal, *action, *resource;
    const pc_decision *dec;       /* NULL when the request could not be decided */
    const char *error;            /* why not; NULL when decided */
    const char *issuer;           /* the verified token's issuer; NULL when none */
    json_t *context;              /* as decided with; NULL = {} */
    size_t item;                  /* the item's index within a batch... */
    bool in_batch;                /* ...when it is one */
    uint64_t started_ns;          /* when deciding it began */
    const char *approval_id;      /* asked for (pending) or consumed; NULL: none */
    bool approval_pending;        /* the answer is approval_required */
    bool allow;                   /* with dec NULL: record an allow all the same (an
                                     approver's verdict the approval hook permitted) */
} pc_srv_entry;

/*
** Append e to the decision log (nothing when audit.mode = off). A record
** that cannot be appended is an error with why ("audit: ..."): the caller
** must then answer deny, whatever was decided.
*/
pc_status pc_srv_journal(pc_srv_exchange *x, const pc_srv_entry *e, pc_buf *why);
/* Open the log of s->cfg (none when off); close it. */
pc_status pc_srv_journal_open(pc_srv *s, pc_diag *d);
void pc_srv_journal_close(pc_srv *s);

/* ---- grants (grants.c) ------------------------------------------------ */

/* Whether an allow should come with a grant, and of which kind. */
typedef struct pc_srv_grant_ask {
    bool wanted;                  /* "grant": true, or a determining policy has @grant */
    bool single_use;              /* a determining policy has @grant("single_use") */
} pc_srv_grant_ask;

/* What request req (a native request) decided as dec asks for. */
pc_srv_grant_ask pc_srv_grant_wanted(json_t *req, const pc_decision *dec);
/*
** Issue a grant bound to uids (principal, action, resource) and context;
** append ,"grant":{...} (or ,"grant_error":"...") to out.
*/
void pc_srv_grant_issue(pc_srv_exchange *x, const pc_uid *const uids[3], json_t *context,
                        pc_srv_grant_ask ask, pc_buf *out);

/* ---- approvals (stepup.c) --------------------------------------------- */

/* What step-up made of an allow. */
typedef struct pc_srv_approval {
    bool required;                /* a determining policy has @approval */
    bool granted;                 /* an approval was consumed: the allow stands */
    const char *id;               /* the consumed or pending request's id */
    int64_t expires_us;           /* pending: when the request expires */
    const char *note;             /* why a presented id could not be used; NULL if none */
} pc_srv_approval;

pc_status pc_srv_approvals_open(pc_srv *s, pc_diag *d);
/*
** After an allow (dec) of uids with context ctx: consume the approval the
** client presented (NULL: none) or open the pending request. Strings of
** *out come from a. An error (deny with d's reason) when approval is
** needed but cannot be had, e.g. without approvals.db.
*/
pc_status pc_srv_step_up(pc_srv_exchange *x, const pc_decision *dec,
                         const pc_uid *const uids[3], json_t *ctx, const char *presented,
                         pc_arena *a, pc_srv_approval *out, pc_diag *d);
/* Does this allow need approval (without asking for one: searches only list)? */
bool pc_srv_needs_approval(const pc_decision *dec);
/* "approval_id": ..., and for a pending one "expires_at" (and "note"). */
void pc_srv_approval_json(pc_buf *out, const pc_srv_approval *ap);

/* ---- route handlers -------------------------------------------------- */

void pc_srv_healthz(pc_srv_exchange *x);
void pc_srv_readyz(pc_srv_exchange *x);
void pc_srv_metrics_get(pc_srv_exchange *x);
void pc_srv_az_evaluation(pc_srv_exchange *x);
void pc_srv_az_evaluations(pc_srv_exchange *x);
void pc_srv_az_search_subject(pc_srv_exchange *x);
void pc_srv_az_search_resource(pc_srv_exchange *x);
void pc_srv_az_search_action(pc_srv_exchange *x);
void pc_srv_az_discovery(pc_srv_exchange *x);
void pc_srv_native_authorize(pc_srv_exchange *x);
void pc_srv_native_batch(pc_srv_exchange *x);
void pc_srv_grants_verify(pc_srv_exchange *x);
void pc_srv_grants_jwks(pc_srv_exchange *x);
void pc_srv_admin_get(pc_srv_exchange *x);
void pc_srv_admin_put(pc_srv_exchange *x);
void pc_srv_approvals_list(pc_srv_exchange *x);
void pc_srv_approvals_post(pc_srv_exchange *x);   /* /v1/approvals/{id}/approve|deny */

/* ---- lifecycle (server.c) ------------------------------------------- */

/*
** Is presented (len bytes) the admin token? *enabled tells whether there is
** one at all (no token file, or one that could not be read, means none).
*/
bool pc_srv_admin_token_ok(pc_srv *s, const char *presented, size_t len, bool *enabled);

/*
** Build a snapshot from sources (taken over) and make it current. Success is
** recorded as the last reload; so is a failure when it is a reload failure
** (disk), not a rejected admin upload. Serialized by reload_lock.
*/
pc_status pc_srv_install(pc_srv *s, pc_srv_sources *src, const char *trigger,
                         bool failure_is_reload, pc_diag *d);

#endif
