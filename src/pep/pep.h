/*
** pep/pep.h — enforcement points: the MCP tool-call gate and the exec
** wrapper's shared parts.
**
** An enforcement point never links the engine: it asks the decision daemon
** (`portcullis serve`) over HTTP, on TCP or a Unix socket, so every fault on
** the way — refused connection, timeout, a non-200 status, an answer that
** does not parse or has the wrong shape — is seen here and becomes a refusal.
** There is no code path that turns "could not ask" into "allowed".
**
** Five parts, one file each:
**   pdp.c    the client for POST /v1/authorize and /v1/authorize/batch
**   config.c reading the enforcement points' flags into settings
**   lines.c  newline framing with a bound, and non-blocking output queues
**   gate.c   what to do with each MCP message: forward, refuse, or filter
**   proxy.c  the relay: spawn the MCP server, poll both pipes, run the gate
*/
#ifndef PC_PEP_H
#define PC_PEP_H

#include <stdio.h>

#include <jansson.h>

#include "base/base.h"

/* ---- bounds ------------------------------------------------------------ */

#define PC_PEP_DEFAULT_TIMEOUT_MS 250      /* one PDP exchange, connect included */
#define PC_PEP_MAX_TIMEOUT_MS 60000
#define PC_PEP_MAX_ANSWER_BYTES (1u << 20) /* a PDP answer larger than this is garbage */
#define PC_PEP_MAX_TOKEN_BYTES 4096
#define PC_PEP_MAX_URL_BYTES 2048
#define PC_PEP_DEFAULT_MAX_LINE (64u << 20) /* one MCP message, newline included */
#define PC_PEP_MAX_LINE_LIMIT (1u << 30)
#define PC_PEP_QUEUE_HIGH (8u << 20)       /* stop reading a side while its peer owes this much */
#define PC_PEP_READ_CHUNK (64u << 10)
#define PC_PEP_MAX_PENDING_LISTS 1024      /* tools/list requests awaiting their answer */
#define PC_PEP_MAX_KNOWN_TOOLS 4096        /* tools whose hints we remember */
#define PC_PEP_BATCH_CHUNK 1000            /* decisions per batch request */
#define PC_PEP_MAX_RISKS 256               /* --risk flags */
#define PC_PEP_CHILD_GRACE_MS 2000         /* after stdin closes, before SIGTERM, then SIGKILL */
#define PC_PEP_MAX_NAME_BYTES 128          /* --server-name, --namespace */
#define PC_PEP_MAX_APPROVALS 1024          /* tool calls awaiting a human, remembered per session */
#define PC_PEP_MAX_APPROVAL_ID_BYTES 128   /* a longer approval id from the PDP is garbage */

/* JSON-RPC error codes the gate answers with. */
#define PC_PEP_RPC_DENIED (-32001)         /* the PDP said no */
#define PC_PEP_RPC_APPROVAL (-32002)       /* the PDP said yes once a human approves */
#define PC_PEP_RPC_INTERNAL (-32603)       /* the PDP could not be asked: fail closed */
#define PC_PEP_RPC_PARSE (-32700)
#define PC_PEP_RPC_INVALID_REQUEST (-32600)
#define PC_PEP_RPC_INVALID_PARAMS (-32602)

/* ---- the PDP client (pdp.c) --------------------------------------------- */

typedef struct pc_pep_pdp_config {
    const char *url;        /* "http(s)://HOST:PORT[/PREFIX]" or "unix:/path.sock" */
    const char *token;      /* sent as Authorization: Bearer; NULL for none */
    uint32_t timeout_ms;    /* whole exchange; 0 means PC_PEP_DEFAULT_TIMEOUT_MS */
} pc_pep_pdp_config;

typedef struct pc_pep_pdp pc_pep_pdp;

typedef enum pc_pep_outcome {
    PC_PEP_FAULT = 0,       /* no usable answer: treated as a refusal */
    PC_PEP_DENY,
    PC_PEP_ALLOW,
    PC_PEP_APPROVAL         /* "approval_required": not yet; approval_id names the request */
} pc_pep_outcome;

/* One decision as the enforcement point sees it. Zero-initialize; clear after use. */
typedef struct pc_pep_verdict {
    pc_pep_outcome outcome;
    char *why;              /* one line for people: the policies, the error or the fault */
    char *decision_id;      /* the PDP's id for the audit trail; NULL on a fault */
    json_t *reasons;        /* the PDP's "reasons" array (owned); NULL on a fault */
    json_t *errors;         /* the PDP's "errors" array (owned); NULL on a fault */
    char *approval_id;      /* the approval request, set only with PC_PEP_APPROVAL */
} pc_pep_verdict;

/* Check the configuration (URL form, token characters, timeout) and make a client. */
pc_status pc_pep_pdp_new(const pc_pep_pdp_config *cfg, pc_pep_pdp **out, pc_diag *d);
void pc_pep_pdp_free(pc_pep_pdp *p);
/* A description of where the PDP is, for messages ("http://127.0.0.1:8181"). */
const char *pc_pep_pdp_where(const pc_pep_pdp *p);

/*
** Ask about one request object {"principal", "action", "resource", "context"
** [, "approval_id"]}. Never fails: any fault is a PC_PEP_FAULT verdict with
** why set. "approval_required" is PC_PEP_APPROVAL only with an approval id.
*/
void pc_pep_authorize(pc_pep_pdp *p, json_t *request, pc_pep_verdict *out);
/*
** Ask about every request of the array in one exchange; out has one verdict
** per request. A fault of the exchange is a fault of every verdict.
*/
void pc_pep_authorize_batch(pc_pep_pdp *p, json_t *requests, pc_pep_verdict *out);
void pc_pep_verdict_clear(pc_pep_verdict *v);

/*
** A request object for the PDP: principal, action and resource as Cedar uid
** strings (User::"alice"), context an object (taken over; NULL for {}).
*/
json_t *pc_pep_request(const char *principal, const char *action, const char *resource,
                       json_t *context, pc_diag *d);

/* ---- settings from flags (config.c) ----------------------------------- */

/* The PDP flags as given: --pdp, --token or --token-env (not both), --timeout-ms. */
typedef struct pc_pep_pdp_flags {
    const char *url;        /* NULL: PC_PEP_DEFAULT_PDP */
    const char *token;
    const char *token_env;  /* name of an environment variable holding the token */
    const char *timeout_ms; /* decimal text, NULL for the default */
} pc_pep_pdp_flags;

#define PC_PEP_DEFAULT_PDP "http://127.0.0.1:8181"   /* `portcullis serve`'s default listen */
#define PC_PEP_DEFAULT_RISK "unrated"

/* Resolve the flags into a config (the token read from the environment if asked). */
pc_status pc_pep_pdp_flags_resolve(const pc_pep_pdp_flags *f, pc_pep_pdp_config *out,
                                   pc_diag *d);
/* A decimal in [min, max]; errors name what. */
pc_status pc_pep_parse_uint(const char *what, const char *text, uint64_t min, uint64_t max,
                            uint64_t *out, pc_diag *d);
/* "TOOL=LEVEL" into risks; LEVEL is low, medium, high or critical. */
pc_status pc_pep_risk_add(json_t *risks, const char *spec, pc_diag *d);
/* Is level one of the risk words (or PC_PEP_DEFAULT_RISK)? */
bool pc_pep_risk_level_ok(const char *level);
/* A server name ([A-Za-z0-9_.-]+) or, when cedar_path, a namespace (Ident::Ident...). */
pc_status pc_pep_check_name(const char *what, const char *name, bool cedar_path, pc_diag *d);
/* JSON object text into an object (duplicate keys refused); errors name what. */
json_t *pc_pep_object_from_text(const char *what, const char *text, pc_diag *d);

/* ---- framing and queues (lines.c) ------------------------------------- */

/* Where complete lines go. A line handed over includes its '\n' (absent only
 * for a last line cut short by end of input). Returning false stops the feed. */
typedef struct pc_pep_line_sink {
    bool (*line)(void *ctx, const char *p, size_t n);
    /* A line passed the bound; called once, when it does; its bytes are discarded. */
    bool (*oversize)(void *ctx, size_t max);
    void *ctx;
} pc_pep_line_sink;

typedef struct pc_pep_lines {
    pc_buf part;            /* the line being assembled across reads */
    size_t max;             /* longest line accepted, newline included */
    bool skipping;          /* inside an oversize line, discarding to its newline */
} pc_pep_lines;

void pc_pep_lines_init(pc_pep_lines *l, size_t max);
void pc_pep_lines_free(pc_pep_lines *l);
/* Split bytes into lines for the sink; false when the sink stopped or memory ran out. */
bool pc_pep_lines_feed(pc_pep_lines *l, const char *p, size_t n, const pc_pep_line_sink *s);
/* End of input: hand over an unterminated last line, if any. */
bool pc_pep_lines_finish(pc_pep_lines *l, const pc_pep_line_sink *s);

/* Bytes owed to one file descriptor, written as it becomes writable. */
typedef struct pc_pep_queue {
    pc_buf buf;
    size_t off;             /* bytes of buf already written */
} pc_pep_queue;

void pc_pep_queue_init(pc_pep_queue *q);
void pc_pep_queue_free(pc_pep_queue *q);
bool pc_pep_queue_put(pc_pep_queue *q, const char *p, size_t n);
size_t pc_pep_queue_pending(const pc_pep_queue *q);
/* Write what the fd takes without blocking; PC_ERR_IO with why when it is gone. */
pc_status pc_pep_queue_flush(pc_pep_queue *q, int fd, pc_diag *d);

/* ---- the MCP gate (gate.c) -------------------------------------------- */

typedef struct pc_pep_gate_config {
    const char *principal;  /* Cedar uid string of the agent, e.g. Agent::"support-bot" */
    const char *server;     /* qualifies tools, resources and prompts: Tool::"SERVER/NAME" */
    const char *ns;         /* namespace of the entity types, "" for none */
    json_t *risks;          /* {"tool": "high", ...}: the operator's word, authoritative */
    const char *default_risk;   /* for tools not in risks */
    json_t *session;        /* facts about this session, sent as context.session */
    FILE *log;              /* one line per decision; NULL for none */
} pc_pep_gate_config;

typedef struct pc_pep_gate {
    const pc_pep_gate_config *cfg;
    pc_pep_pdp *pdp;
    json_t *pending_lists;  /* ids (as compact JSON) of tools/list requests in flight */
    json_t *hints;          /* tool name -> its last announced annotations */
    json_t *approvals;      /* approval key (tool, arguments digest) -> approval id awaited */
    bool hints_full_said;   /* told the log once that the hint table is full */
} pc_pep_gate;

pc_status pc_pep_gate_init(pc_pep_gate *g, const pc_pep_gate_config *cfg, pc_pep_pdp *pdp,
                           pc_diag *d);
void pc_pep_gate_free(pc_pep_gate *g);
/*
** One line from the client: forwarded byte for byte to to_server, or refused
** with a JSON-RPC error on to_client. False only when memory ran out.
*/
bool pc_pep_gate_client(pc_pep_gate *g, const char *p, size_t n, pc_pep_queue *to_server,
                        pc_pep_queue *to_client);
/* One line from the server: forwarded byte for byte, or (a tools/list answer) filtered. */
bool pc_pep_gate_server(pc_pep_gate *g, const char *p, size_t n, pc_pep_queue *to_client);
/* A line over the bound from either side: tell the client with an error (id null). */
bool pc_pep_gate_oversize(pc_pep_gate *g, const char *from, size_t max, pc_pep_queue *to_client);

/* ---- the relay (proxy.c) ---------------------------------------------- */

typedef struct pc_pep_proxy_config {
    pc_pep_gate_config gate;
    pc_pep_pdp_config pdp;
    char *const *server_argv;   /* the MCP server's command, NULL-terminated; run with PATH */
    size_t max_line;            /* 0 means PC_PEP_DEFAULT_MAX_LINE */
    int client_in, client_out;  /* the agent's side: usually 0 and 1 */
    int stop_fd;                /* readable (a signal handler wrote to it): end; -1: none */
} pc_pep_proxy_config;

/*
** Run one session: start the server, relay and gate until either side ends,
** then stop the server. *exit_code is the server's exit status (128+signal
** when killed). PC_OK unless the session could not start or broke down.
*/
pc_status pc_pep_proxy_run(const pc_pep_proxy_config *cfg, int *exit_code, pc_diag *d);

#endif
