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
/* Monotonic nanoseconds. */
uint64_t pc_srv_now_ns(void);

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
void pc_srv_admin_get(pc_srv_exchange *x);
void pc_srv_admin_put(pc_srv_exchange *x);

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
