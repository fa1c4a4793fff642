/*
** server/config.h — the daemon's configuration: one key = value file.
**
** The format is documented in config.c (and shown, commented, in every
** examples/authzen/SCENARIO/portcullis.conf). Relative paths in the file are taken
** from the directory holding the file, so a config can travel with its
** policies. A config is read once at start-up; reloads re-read the policy
** directory and the identity JWKS and grant key files (and SIGHUP the admin
** token file), not this file.
*/
#ifndef PC_SRV_CONFIG_H
#define PC_SRV_CONFIG_H

#include "base/base.h"
#include "identity/identity.h"

/* Bounds on what a config may ask for. */
#define PC_SRV_MAX_BODY_LIMIT (64u << 20)    /* max_body_bytes may not exceed this */
#define PC_SRV_MAX_THREADS 256
#define PC_SRV_MAX_BATCH_LIMIT 1000000       /* max_batch_items may not exceed this */
#define PC_SRV_MAX_TYPE_MAPS 64              /* authzen.type.X lines */
#define PC_SRV_MAX_NAMES 16                  /* names in one list key (top_level_properties, redact) */

/* audit.mode: whether and how decisions are logged (audit/audit.h). */
typedef enum pc_srv_audit_mode {
    PC_SRV_AUDIT_OFF = 0,
    PC_SRV_AUDIT_SYNC,            /* the answer waits until its record is durable */
    PC_SRV_AUDIT_ASYNC            /* the record is queued; see audit.h for the loss window */
} pc_srv_audit_mode;

/* The names of a list key ("a, b c"), each malloc'ed. */
typedef struct pc_srv_names {
    char *items[PC_SRV_MAX_NAMES];
    uint32_t n;
} pc_srv_names;

/* One explicit AuthZEN type -> Cedar entity type mapping. */
typedef struct pc_srv_type_map {
    char *authzen;
    char *cedar;
} pc_srv_type_map;

/*
** How AuthZEN subjects, resources, actions and properties become a Cedar
** request. The defaults reproduce every vector in the AuthZEN interop and
** certification sets (see config.c).
*/
typedef struct pc_srv_mapping {
    bool capitalize;              /* authzen.type_case: capitalize (default) | verbatim */
    char *cedar_namespace;        /* authzen.namespace: "" or "NS" -> NS::User, NS::Action */
    pc_srv_type_map types[PC_SRV_MAX_TYPE_MAPS];
    uint32_t n_types;
    bool properties;              /* authzen.properties: attributes (default) | ignore */
    bool action_properties;       /* authzen.action_properties: context (default) | ignore */
    pc_srv_names top_level;       /* pre-1.0 fields read as properties */
    bool validate;                /* authzen.validate: check requests against the schema */
    char *base_url;               /* authzen.base_url: discovery base; NULL = from Host */
    uint32_t page_size;           /* authzen.page_size: search results per page at most */
} pc_srv_mapping;

typedef struct pc_srv_config {
    char *path;                   /* the config file, as given */
    char *policy_dir;             /* absolute or relative to the cwd, resolved */
    char *schema;                 /* file name inside policy_dir, NULL when none */
    char *entities;               /* file name inside policy_dir, NULL when none */
    char *listen;                 /* "host:port"; NULL when only a Unix socket is wanted */
    char *unix_path;              /* Unix socket path, NULL when none */
    char *tls_listen;             /* "host:port" served over TLS; NULL when none */
    char *tls_cert;               /* its PEM certificate (chain) file */
    char *tls_key;                /* its PEM private key file */
    char *admin_token_file;       /* NULL: the admin API answers 401 to everyone */
    uint32_t threads;             /* worker threads per listener */
    size_t max_body_bytes;
    uint32_t max_batch_items;
    uint32_t reload_poll_ms;      /* 0: reload on SIGHUP only */
    bool validate_policies;       /* validate_policies: strict validation before serving */
    pc_srv_mapping map;
    pc_id_config identity;        /* identity.issuer.* and grants.* (identity/identity.h) */
    bool identity_required;       /* identity.required: no or bad token -> deny */
    bool subject_must_match;      /* identity.subject: must_match | ignore (default) */
    char *audit_db;               /* audit.db: the decision log's store; NULL when none */
    uint32_t audit_mode;          /* audit.mode: a pc_srv_audit_mode */
    char *audit_checkpoint_key;   /* audit.checkpoint_key: Ed25519 PEM signing checkpoints */
    bool audit_keep_context;      /* audit.keep_context: store the (redacted) context too */
    pc_srv_names audit_redact;    /* audit.redact: context members stored as "[redacted]" */
    char *approvals_db;           /* approvals.db: where approval requests live; NULL: none */
    uint32_t approvals_ttl;       /* approvals.ttl: seconds a request stays open */
} pc_srv_config;

/* Read and check a config file; errors say "FILE:LINE: what is wrong". */
pc_status pc_srv_config_load(const char *path, pc_srv_config *cfg, pc_diag *d);
/* Replace a string setting (command-line overrides); false when out of memory. */
bool pc_srv_config_set(char **field, const char *value);
void pc_srv_config_free(pc_srv_config *cfg);

#endif
