/*
** server/config.c — reading portcullis.conf.
**
** The format: one `key = value` per line; `#` starts a comment line; blank
** lines are ignored; spaces around key and value are trimmed; a key may
** appear once (authzen.type.X once per X). Keys:
**
**   policy_dir        directory holding *.cedar policy files (required)
**   schema            schema file in policy_dir (.json = JSON format, else Cedar)
**   entities          entities file in policy_dir (Cedar entities JSON)
**   listen            TCP address host:port (default 127.0.0.1:8181)
**   unix              Unix socket path for sidecar enforcement points
**   tls_listen        host:port served over TLS (HTTPS), besides the above
**   tls_cert          PEM certificate (chain) for tls_listen
**   tls_key           PEM private key for tls_listen (the three go together)
**   admin_token_file  file holding the admin bearer token (admin API off without it);
**                     re-read on SIGHUP
**   threads           worker threads per listener (default: online CPUs)
**   max_body_bytes    request body bound (default 1048576)
**   max_batch_items   bound on evaluations / requests in one batch (default 10000)
**   reload_poll_ms    how often to look for changed policy files (default 1000; 0 = off)
**   validate_policies true (default) | false: with a schema, a policy set must pass
**                     strict validation before it serves (startup, reload, admin PUT);
**                     a failing reload keeps the old set, with the errors in /readyz
**
**   authzen.type_case            capitalize (user -> User, default) | verbatim
**   authzen.namespace            Cedar namespace for mapped types and actions (default none)
**   authzen.type.<type>          explicit Cedar type for one AuthZEN type
**   authzen.properties           attributes (default): subject/resource properties
**                                override the stored entity's attributes | ignore
**   authzen.action_properties    context (default): action properties join the
**                                Cedar context | ignore
**   authzen.top_level_properties names of top-level subject/resource fields read as
**                                properties (pre-1.0 payloads), e.g. "ownerID"
**   authzen.validate             true (default) | false: check requests against the schema
**   authzen.base_url             base URL announced by discovery (default: from Host)
**   authzen.page_size            search results per page at most (default 1000)
**
**   identity.required            false (default) | true: a request without a valid
**                                bearer token is denied (never allowed)
**   identity.subject             ignore (default): the principal is the token's, a
**                                principal in the body is disregarded | must_match:
**                                a body principal other than the token's is denied
**   audit.db                     the decision log: a SQLite file (made when missing)
**   audit.mode                   off (default) | sync: every answer waits until its
**                                record is durable, and a record that cannot be
**                                written turns the answer into a deny | async
**   audit.checkpoint_key         Ed25519 private key PEM signing log checkpoints
**   audit.keep_context           false (default): a record keeps only the context's
**                                digest | true: also the context itself, redacted
**   audit.redact                 names of context members (at any depth) whose values
**                                a kept context shows as "[redacted]", e.g. "card, otp"
**   approvals.db                 where approval requests live (SQLite; may be audit.db):
**                                an allow by an @approval policy needs it, else it is
**                                a deny
**   approvals.ttl                seconds an approval request stays open (default 3600)
**
**   identity.issuer.NAME.*       trusted token issuers, and grants.* (grant signing
**   grants.*                     keys): handed to the identity library, whose
**                                header (identity/identity.h) lists those keys
**
** Relative paths (policy_dir, admin_token_file, unix) are taken from the
** config file's directory. Every error names FILE:LINE.
*/
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define MAX_LINE_BYTES 4096
#define MAX_CONFIG_BYTES (1u << 20)
#define DEFAULT_LISTEN "127.0.0.1:8181"
#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_MAX_BATCH 10000
#define DEFAULT_POLL_MS 1000
#define MAX_POLL_MS 3600000
#define DEFAULT_PAGE_SIZE 1000
#define MAX_PAGE_SIZE 1000000
#define DEFAULT_APPROVAL_TTL 3600
#define MAX_APPROVAL_TTL (30u * 86400)   /* a month */

/* What kind of value a key takes, and where it goes. */
typedef enum kind { K_STR, K_PATH, K_UINT, K_SIZE, K_CHOICE, K_LIST, K_WORD } kind;

typedef struct key_spec {
    const char *name;
    kind kind;
    size_t offset;          /* into pc_srv_config */
    uint64_t min, max;      /* K_UINT, K_SIZE */
    const char *yes, *no;   /* K_CHOICE: the words for true and false; K_WORD: yes
                               lists the words ("a|b|c"), the value is the index */
} key_spec;

#define OFF(f) offsetof(pc_srv_config, f)

static const key_spec keys[] = {
    {"policy_dir", K_PATH, OFF(policy_dir), 0, 0, NULL, NULL},
    {"schema", K_STR, OFF(schema), 0, 0, NULL, NULL},
    {"entities", K_STR, OFF(entities), 0, 0, NULL, NULL},
    {"listen", K_STR, OFF(listen), 0, 0, NULL, NULL},
    {"unix", K_PATH, OFF(unix_path), 0, 0, NULL, NULL},
    {"tls_listen", K_STR, OFF(tls_listen), 0, 0, NULL, NULL},
    {"tls_cert", K_PATH, OFF(tls_cert), 0, 0, NULL, NULL},
    {"tls_key", K_PATH, OFF(tls_key), 0, 0, NULL, NULL},
    {"admin_token_file", K_PATH, OFF(admin_token_file), 0, 0, NULL, NULL},
    {"threads", K_UINT, OFF(threads), 1, PC_SRV_MAX_THREADS, NULL, NULL},
    {"max_body_bytes", K_SIZE, OFF(max_body_bytes), 2, PC_SRV_MAX_BODY_LIMIT, NULL, NULL},
    {"max_batch_items", K_UINT, OFF(max_batch_items), 1, PC_SRV_MAX_BATCH_LIMIT, NULL, NULL},
    {"reload_poll_ms", K_UINT, OFF(reload_poll_ms), 0, MAX_POLL_MS, NULL, NULL},
    {"validate_policies", K_CHOICE, OFF(validate_policies), 0, 0, "true", "false"},
    {"authzen.type_case", K_CHOICE, OFF(map.capitalize), 0, 0, "capitalize", "verbatim"},
    {"authzen.namespace", K_STR, OFF(map.cedar_namespace), 0, 0, NULL, NULL},
    {"authzen.properties", K_CHOICE, OFF(map.properties), 0, 0, "attributes", "ignore"},
    {"authzen.action_properties", K_CHOICE, OFF(map.action_properties), 0, 0, "context",
     "ignore"},
    {"authzen.top_level_properties", K_LIST, OFF(map.top_level), 0, 0, NULL, NULL},
    {"authzen.validate", K_CHOICE, OFF(map.validate), 0, 0, "true", "false"},
    {"authzen.base_url", K_STR, OFF(map.base_url), 0, 0, NULL, NULL},
    {"authzen.page_size", K_UINT, OFF(map.page_size), 1, MAX_PAGE_SIZE, NULL, NULL},
    {"identity.required", K_CHOICE, OFF(identity_required), 0, 0, "true", "false"},
    {"identity.subject", K_CHOICE, OFF(subject_must_match), 0, 0, "must_match", "ignore"},
    {"audit.db", K_PATH, OFF(audit_db), 0, 0, NULL, NULL},
    {"audit.mode", K_WORD, OFF(audit_mode), 0, 0, "off|sync|async", NULL},
    {"audit.checkpoint_key", K_PATH, OFF(audit_checkpoint_key), 0, 0, NULL, NULL},
    {"audit.keep_context", K_CHOICE, OFF(audit_keep_context), 0, 0, "true", "false"},
    {"audit.redact", K_LIST, OFF(audit_redact), 0, 0, NULL, NULL},
    {"approvals.db", K_PATH, OFF(approvals_db), 0, 0, NULL, NULL},
    {"approvals.ttl", K_UINT, OFF(approvals_ttl), 1, MAX_APPROVAL_TTL, NULL, NULL},
};

#define TYPE_PREFIX "authzen.type."

/* The state of one parse: where we are, for messages. */
typedef struct reader {
    pc_srv_config *cfg;
    const char *file;
    char *dir;              /* the config file's directory */
    uint32_t line;
    bool seen[sizeof keys / sizeof keys[0]];
    pc_diag *d;
} reader;

static pc_status fail(reader *r, const char *fmt, ...) PC_PRINTF(2, 3);

/* Record an error at the current line: "FILE:LINE: message". */
static pc_status fail(reader *r, const char *fmt, ...)
{
    pc_buf b;
    pc_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    pc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    pc_diag_set(r->d, b.oom ? PC_ERR_NOMEM : PC_ERR_INVALID, "%s:%u: %s", r->file, r->line,
                b.oom ? "out of memory" : b.data);
    pc_buf_free(&b);
    return r->d->status;
}

bool pc_srv_config_set(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return false;
    free(*field);
    *field = copy;
    return true;
}

/* dir/path, or path itself when absolute. */
static char *join(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir)
        return strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    return out;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static pc_status set_number(reader *r, const key_spec *k, const char *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || n < k->min || n > k->max) {
        return fail(r, "%s must be a whole number from %llu to %llu, not '%s'", k->name,
                    (unsigned long long)k->min, (unsigned long long)k->max, value);
    }
    char *field = (char *)r->cfg + k->offset;
    if (k->kind == K_SIZE)
        *(size_t *)(void *)field = (size_t)n;
    else
        *(uint32_t *)(void *)field = (uint32_t)n;
    return PC_OK;
}

/* Split a list value at spaces and commas into the key's names (added to any earlier line's). */
static pc_status set_list(reader *r, const key_spec *k, const char *value)
{
    pc_srv_names *l = (pc_srv_names *)(void *)((char *)r->cfg + k->offset);
    const char *p = value;
    while (*p) {
        size_t n = strcspn(p, " \t,");
        if (n > 0) {
            if (l->n == PC_SRV_MAX_NAMES)
                return fail(r, "%s: too many names (limit %d)", k->name, PC_SRV_MAX_NAMES);
            if (!(l->items[l->n] = strndup(p, n)))
                return pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->file);
            l->n++;
        }
        p += n;
        p += strspn(p, " \t,");
    }
    return PC_OK;
}

/* One of the words of k->yes ("a|b|c"); its index goes into a uint32_t. */
static pc_status set_word(reader *r, const key_spec *k, const char *value)
{
    uint32_t i = 0;
    for (const char *w = k->yes; *w; i++) {
        size_t n = strcspn(w, "|");
        if (strlen(value) == n && !strncmp(w, value, n)) {
            *(uint32_t *)(void *)((char *)r->cfg + k->offset) = i;
            return PC_OK;
        }
        w += n + (w[n] == '|');
    }
    return fail(r, "%s must be one of %s, not '%s'", k->name, k->yes, value);
}

static pc_status set_value(reader *r, const key_spec *k, const char *value)
{
    char **str = (char **)(void *)((char *)r->cfg + k->offset);
    switch (k->kind) {
    case K_STR:
    case K_PATH: {
        char *v = k->kind == K_PATH ? join(r->dir, value) : strdup(value);
        if (!v)
            return pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->file);
        free(*str);
        *str = v;
        return PC_OK;
    }
    case K_UINT:
    case K_SIZE:
        return set_number(r, k, value);
    case K_CHOICE: {
        bool *b = (bool *)(void *)((char *)r->cfg + k->offset);
        if (strcmp(value, k->yes) && strcmp(value, k->no)) {
            return fail(r, "%s must be %s or %s, not '%s'", k->name, k->yes, k->no, value);
        }
        *b = strcmp(value, k->yes) == 0;
        return PC_OK;
    }
    case K_LIST:
        return set_list(r, k, value);
    case K_WORD:
        return set_word(r, k, value);
    }
    return PC_OK;
}

static pc_status set_type_map(reader *r, const char *authzen, const char *cedar)
{
    pc_srv_mapping *m = &r->cfg->map;
    for (uint32_t i = 0; i < m->n_types; i++)
        if (!strcmp(m->types[i].authzen, authzen))
            return fail(r, "%s%s is set twice", TYPE_PREFIX, authzen);
    if (m->n_types == PC_SRV_MAX_TYPE_MAPS)
        return fail(r, "too many %s lines (limit %d)", TYPE_PREFIX, PC_SRV_MAX_TYPE_MAPS);
    if (!*authzen || !*cedar)
        return fail(r, "%s<type> = <Cedar type> needs both names", TYPE_PREFIX);
    pc_srv_type_map *t = &m->types[m->n_types];
    t->authzen = strdup(authzen);
    t->cedar = strdup(cedar);
    if (!t->authzen || !t->cedar)
        return pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->file);
    m->n_types++;
    return PC_OK;
}

/* An identity.* or grants.* key: the identity library reads it; we add FILE:LINE. */
static pc_status set_identity(reader *r, const char *key, const char *value)
{
    pc_diag sub;
    pc_diag_init(&sub);
    if (pc_id_config_set(&r->cfg->identity, key, value, r->dir, &sub) != PC_OK)
        fail(r, "%s", sub.msg ? sub.msg : "out of memory");
    pc_diag_clear(&sub);
    return r->d->status;
}

static pc_status set_key(reader *r, const char *key, const char *value)
{
    if (!strncmp(key, TYPE_PREFIX, strlen(TYPE_PREFIX)))
        return set_type_map(r, key + strlen(TYPE_PREFIX), value);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].name, key))
            continue;
        if (r->seen[i])
            return fail(r, "%s is set twice", key);
        r->seen[i] = true;
        return set_value(r, &keys[i], value);
    }
    if (pc_id_config_owns(key))
        return set_identity(r, key, value);
    return fail(r, "unknown key '%s'", key);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* One line: blank, comment, or key = value. The line is modified in place. */
static pc_status parse_line(reader *r, char *line)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return PC_OK;
    char *eq = strchr(s, '=');
    if (!eq)
        return fail(r, "cannot read '%s' (expected key = value)", s);
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    if (!*key)
        return fail(r, "missing key before '='");
    if (!*value)
        return fail(r, "%s has no value", key);
    return set_key(r, key, value);
}

static void set_defaults(pc_srv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = cpus > 0 && cpus < PC_SRV_MAX_THREADS ? (uint32_t)cpus : 1;
    cfg->max_body_bytes = DEFAULT_MAX_BODY;
    cfg->max_batch_items = DEFAULT_MAX_BATCH;
    cfg->reload_poll_ms = DEFAULT_POLL_MS;
    cfg->map.capitalize = true;
    cfg->map.properties = true;
    cfg->map.action_properties = true;
    cfg->map.validate = true;
    cfg->validate_policies = true;
    cfg->map.page_size = DEFAULT_PAGE_SIZE;
    cfg->approvals_ttl = DEFAULT_APPROVAL_TTL;
    pc_id_config_init(&cfg->identity);
}

/*
** The identity and audit sections, complete: requiring tokens needs an
** issuer to trust, logging needs a store.
*/
static pc_status finish_sections(reader *r)
{
    pc_diag sub;
    pc_diag_init(&sub);
    if (pc_id_config_finish(&r->cfg->identity, &sub) != PC_OK)
        pc_diag_set(r->d, sub.status, "%s: %s", r->file, sub.msg ? sub.msg : "out of memory");
    else if (r->cfg->identity_required && r->cfg->identity.n_issuers == 0)
        pc_diag_set(r->d, PC_ERR_INVALID, "%s: identity.required = true needs at least one "
                    "identity.issuer.NAME", r->file);
    else if (r->cfg->audit_mode != PC_SRV_AUDIT_OFF && !r->cfg->audit_db)
        pc_diag_set(r->d, PC_ERR_INVALID, "%s: audit.mode = %s needs audit.db", r->file,
                    r->cfg->audit_mode == PC_SRV_AUDIT_SYNC ? "sync" : "async");
    pc_diag_clear(&sub);
    return r->d->status;
}

/* Settings that must hold once the whole file is read. */
static pc_status finish(reader *r)
{
    pc_srv_config *cfg = r->cfg;
    if (!cfg->policy_dir)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: policy_dir is required", r->file);
    int tls = !!cfg->tls_listen + !!cfg->tls_cert + !!cfg->tls_key;
    if (tls != 0 && tls != 3)
        return pc_diag_set(r->d, PC_ERR_INVALID, "%s: tls_listen, tls_cert and tls_key go "
                           "together: set all three or none", r->file);
    if (!cfg->listen && !cfg->unix_path && !cfg->tls_listen &&
        !pc_srv_config_set(&cfg->listen, DEFAULT_LISTEN))
        return pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->file);
    if (!cfg->map.cedar_namespace && !pc_srv_config_set(&cfg->map.cedar_namespace, ""))
        return pc_diag_set(r->d, PC_ERR_NOMEM, "%s: out of memory", r->file);
    return finish_sections(r);
}

static pc_status parse_text(reader *r, char *text, size_t len)
{
    char *p = text, *end = text + len;
    while (p < end && r->d->status == PC_OK) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        r->line++;
        if (n >= MAX_LINE_BYTES)
            return fail(r, "line is longer than %d bytes", MAX_LINE_BYTES);
        if (memchr(p, '\0', n))
            return fail(r, "line holds a NUL byte");
        p[n] = '\0';
        if (parse_line(r, p) != PC_OK)
            return r->d->status;
        p += n + 1;
    }
    return r->d->status;
}

pc_status pc_srv_config_load(const char *path, pc_srv_config *cfg, pc_diag *d)
{
    set_defaults(cfg);
    reader r = {cfg, path, NULL, 0, {false}, d};
    char *text = NULL;
    size_t len = 0;
    if (!(cfg->path = strdup(path)) || !(r.dir = dir_of(path)))
        pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", path);
    else if (pc_read_file(path, MAX_CONFIG_BYTES, &text, &len, d) == PC_OK &&
             parse_text(&r, text, len) == PC_OK)
        finish(&r);
    free(text);
    free(r.dir);
    pc_status st = d->status;
    if (st != PC_OK)
        pc_srv_config_free(cfg);
    return st;
}

static void names_free(pc_srv_names *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        free(l->items[i]);
    l->n = 0;
}

void pc_srv_config_free(pc_srv_config *cfg)
{
    char **strings[] = {&cfg->path,       &cfg->policy_dir, &cfg->schema,
                        &cfg->entities,   &cfg->listen,     &cfg->unix_path,
                        &cfg->tls_listen, &cfg->tls_cert,   &cfg->tls_key,
                        &cfg->admin_token_file, &cfg->map.cedar_namespace, &cfg->map.base_url,
                        &cfg->audit_db,   &cfg->audit_checkpoint_key, &cfg->approvals_db};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
    for (uint32_t i = 0; i < cfg->map.n_types; i++) {
        free(cfg->map.types[i].authzen);
        free(cfg->map.types[i].cedar);
    }
    names_free(&cfg->map.top_level);
    names_free(&cfg->audit_redact);
    cfg->map.n_types = 0;
    pc_id_config_free(&cfg->identity);
}
