/*
** cli/cmd_grant.c — `portcullis grant`: short-lived grants from the shell.
**
**   verify  check a grant offline against the published JWKS: signature,
**           expiry and binding to the presented action, resource (and
**           principal, context). No ledger here, so revocation and single
**           use are the daemon's to enforce; a single-use grant says so.
**   keygen  make an Ed25519 grant signing key (a new PEM file, mode 0600).
**   jwks    print the JWKS of PEM keys: what relying parties verify with.
**   issue   the decision-time flow without a daemon: verify an identity
**           token against the trusted issuers of a config, decide the
**           request with the verified principal and claims, and on allow
**           sign a grant. What the daemon does per request, for scripts
**           and for the example in examples/identity/.
**
** Tokens are arguments, @FILE, or - (stdin), so they need not appear in
** the process list. Exit codes as everywhere: 0 valid / allowed / done,
** 1 invalid / denied (with the reason), 2 error.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity/identity.h"

#define MAX_TOKEN_FILE_BYTES (4u * PC_ID_MAX_TOKEN_BYTES)   /* more is refused by verify anyway */

static void usage(void)
{
    fputs("usage: portcullis grant verify --jwks FILE --token TOKEN --action UID --resource UID\n"
          "                               [--principal UID] [--context JSON] [--issuer ISS]\n"
          "                               [--skew SECONDS] [--json]\n"
          "       portcullis grant keygen --out FILE\n"
          "       portcullis grant jwks --key FILE [--key FILE ...]\n"
          "       portcullis grant issue --config FILE --token TOKEN --action UID --resource UID\n"
          "                              [--context JSON] [--ttl SECONDS] [--single-use]\n"
          "                              --policies FILE [--schema FILE] [--entities FILE]\n"
          "                              [--no-validate] [--json]\n"
          "TOKEN is the token, @FILE to read it from a file, or - for stdin.\n"
          "UIDs are Cedar (Gate::Action::\"open\") or JSON ({\"type\":..,\"id\":..}).\n"
          "Exit: 0 valid / allowed, 1 invalid / denied (with the reason), 2 error.\n",
          stderr);
}

/* Everything any grant subcommand takes; each uses its own part. */
typedef struct opts {
    const char *jwks, *token, *action, *resource, *principal, *context, *issuer;
    const char *skew, *out, *config, *ttl;
    const char *keys[PC_GRANT_MAX_KEYS];
    int n_keys;
    pc_sources src;
    bool json, single_use, no_validate, help;
} opts;

static bool parse_flag(pc_args *a, opts *o, bool *bad)
{
    const char *key = NULL;
    if (pc_flag_value(a, "--key", &key, bad)) {
        if (o->n_keys == PC_GRANT_MAX_KEYS) {
            fprintf(stderr, "portcullis grant: more than %d --key files\n", PC_GRANT_MAX_KEYS);
            *bad = true;
        } else if (key) {
            o->keys[o->n_keys++] = key;
        }
        return true;
    }
    return pc_sources_flag(a, &o->src, bad) || pc_flag_value(a, "--jwks", &o->jwks, bad) ||
           pc_flag_value(a, "--token", &o->token, bad) || pc_flag_value(a, "--action", &o->action, bad) ||
           pc_flag_value(a, "--resource", &o->resource, bad) ||
           pc_flag_value(a, "--principal", &o->principal, bad) ||
           pc_flag_value(a, "--context", &o->context, bad) || pc_flag_value(a, "--issuer", &o->issuer, bad) ||
           pc_flag_value(a, "--skew", &o->skew, bad) || pc_flag_value(a, "--out", &o->out, bad) ||
           pc_flag_value(a, "--config", &o->config, bad) || pc_flag_value(a, "--ttl", &o->ttl, bad) ||
           pc_flag_bool(a, "--json", &o->json) || pc_flag_bool(a, "--single-use", &o->single_use) ||
           pc_flag_bool(a, "--no-validate", &o->no_validate) || pc_flag_bool(a, "--help", &o->help);
}

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 2, "grant"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (parse_flag(&a, o, &bad))
            continue;
        fprintf(stderr, "portcullis grant %s: unknown option '%s'\n", argv[1], argv[a.i]);
        bad = true;
    }
    return !bad && !o->help;
}

/* Are all the named flags given? Prints the first missing one. */
static bool need(const char *sub, const char *const *names, const char *const *values, int n)
{
    for (int i = 0; i < n; i++)
        if (!values[i]) {
            fprintf(stderr, "portcullis grant %s: %s is required\n", sub, names[i]);
            return false;
        }
    return true;
}

/* ---- inputs --------------------------------------------------------------- */

static bool read_whole(FILE *f, char **out, size_t *len)
{
    pc_buf b;
    pc_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= MAX_TOKEN_FILE_BYTES)
        pc_buf_append(&b, chunk, n);
    *len = b.len;
    if (b.oom || b.len > MAX_TOKEN_FILE_BYTES || !(*out = pc_buf_take(&b))) {
        pc_buf_free(&b);
        return false;
    }
    return true;
}

/* The token from an argument, @FILE or - (stdin); surrounding whitespace trimmed. */
static char *read_token(const char *arg, size_t *len)
{
    char *text = NULL;
    pc_diag d;
    pc_diag_init(&d);
    bool ok;
    if (arg[0] == '@') {
        ok = pc_read_file(arg + 1, MAX_TOKEN_FILE_BYTES, &text, len, &d) == PC_OK;
    } else if (!strcmp(arg, "-")) {
        ok = read_whole(stdin, &text, len);
    } else {
        *len = strlen(arg);
        ok = (text = strdup(arg)) != NULL;
    }
    if (!ok || !text) {
        fprintf(stderr, "portcullis grant: cannot read the token: %s\n", d.msg ? d.msg : "too large or out of memory");
        pc_diag_clear(&d);
        free(text);
        return NULL;
    }
    size_t start = strspn(text, " \t\r\n");
    while (*len > start && strchr(" \t\r\n", text[*len - 1]))
        (*len)--;
    memmove(text, text + start, *len - start);
    *len -= start;
    text[*len] = '\0';
    return text;
}

/* --context: a JSON object, or {} when not given. */
static json_t *read_context(const char *text)
{
    if (!text)
        return json_object();
    json_error_t e;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(j)) {
        fprintf(stderr, "portcullis grant: --context must be a JSON object%s%s\n", j ? "" : ": ",
                j ? "" : e.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool read_uid(pc_arena *a, const char *flag, const char *text, pc_grant_uid *out)
{
    pc_diag d;
    pc_diag_init(&d);
    bool ok = pc_grant_uid_parse(a, text, out, &d) == PC_OK;
    if (!ok)
        fprintf(stderr, "portcullis grant: %s: %s\n", flag, d.msg ? d.msg : "out of memory");
    pc_diag_clear(&d);
    return ok;
}

static bool read_seconds(const char *flag, const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long n = text ? strtoll(text, &end, 10) : 0;
    if (text && (end == text || *end || n < min || n > max)) {
        fprintf(stderr, "portcullis grant: %s must be whole seconds from %lld to %lld\n", flag,
                (long long)min, (long long)max);
        return false;
    }
    if (text)
        *out = n;
    return true;
}

/* Report a failed library call (the diag's message) and give the error exit. */
static int fail(pc_diag *d, const char *what)
{
    fprintf(stderr, "portcullis grant %s: %s\n", what, d->msg ? d->msg : "out of memory");
    pc_diag_clear(d);
    return PC_EXIT_ERROR;
}

/* ---- verify ----------------------------------------------------------------- */

static pc_grant_keyring *keyring_from_jwks(const char *path)
{
    pc_diag d;
    pc_diag_init(&d);
    char *text = NULL;
    size_t len = 0;
    pc_grant_keyring *kr = pc_grant_keyring_new();
    if (!kr || pc_read_file(path, PC_ID_MAX_JWKS_BYTES, &text, &len, &d) != PC_OK ||
        pc_grant_keyring_add_jwks(kr, text, len, &d) != PC_OK) {
        fprintf(stderr, "portcullis grant verify: %s\n", d.msg ? d.msg : "out of memory");
        pc_grant_keyring_free(kr);
        kr = NULL;
    }
    pc_diag_clear(&d);
    free(text);
    return kr;
}

static const char *iso(char buf[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    return gmtime_r(&tt, &tm) && strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) ? buf : "?";
}

static void print_uid(pc_buf *b, const char *label, const pc_grant_uid *u)
{
    pc_buf_printf(b, "  %s: %s::\"", label, u->type);
    pc_buf_cedar_escape(b, u->id, strlen(u->id));
    pc_buf_puts(b, "\"\n");
}

static void print_verified(const pc_grant_result *r, int64_t now, bool json)
{
    if (json) {
        json_t *j = r->verdict.reason == PC_ID_OK
                        ? json_pack("{s:b, s:s, s:s, s:I, s:b}", "valid", 1, "jti", r->jti, "kid",
                                    r->kid, "exp", (json_int_t)r->exp, "single_use", r->single_use)
                        : json_pack("{s:b, s:s, s:s}", "valid", 0, "reason",
                                    pc_id_reason_name(r->verdict.reason), "message", r->verdict.message);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        printf("%s\n", text ? text : "{\"valid\":false,\"reason\":\"internal\"}");
        free(text);
        json_decref(j);
        return;
    }
    if (r->verdict.reason != PC_ID_OK) {
        printf("INVALID\n  reason: %s: %s\n", pc_id_reason_name(r->verdict.reason), r->verdict.message);
        return;
    }
    pc_buf b;
    pc_buf_init(&b);
    char when[32];
    pc_buf_printf(&b, "VALID\n  grant: %s\n", r->jti);
    print_uid(&b, "principal", &r->principal);
    print_uid(&b, "action", &r->action);
    print_uid(&b, "resource", &r->resource);
    pc_buf_printf(&b, "  expires: %s (in %lld s)\n", iso(when, r->exp), (long long)(r->exp - now));
    if (r->single_use_unchecked)
        pc_buf_puts(&b, "  note: single-use grant; only the daemon's ledger can spend it\n");
    fputs(b.oom ? "VALID\n" : b.data, stdout);
    pc_buf_free(&b);
}

/* The binding to check, from the flags. */
typedef struct binding {
    pc_arena arena;
    pc_grant_uid principal, action, resource;
    json_t *context;
} binding;

static bool read_binding(const opts *o, binding *b)
{
    pc_arena_init(&b->arena, 0, 0);
    b->context = NULL;
    if (!read_uid(&b->arena, "--action", o->action, &b->action) ||
        !read_uid(&b->arena, "--resource", o->resource, &b->resource) ||
        (o->principal && !read_uid(&b->arena, "--principal", o->principal, &b->principal)))
        return false;
    return !o->context || (b->context = read_context(o->context)) != NULL;
}

static int cmd_verify(const opts *o)
{
    const char *names[] = {"--jwks", "--token", "--action", "--resource"};
    const char *values[] = {o->jwks, o->token, o->action, o->resource};
    int64_t skew = PC_GRANT_DEFAULT_SKEW;
    if (!need("verify", names, values, 4) || !read_seconds("--skew", o->skew, 0, PC_ID_MAX_SKEW, &skew))
        return PC_EXIT_ERROR;
    binding b;
    size_t len = 0;
    bool ok = read_binding(o, &b);
    pc_grant_keyring *kr = ok ? keyring_from_jwks(o->jwks) : NULL;
    char *token = kr ? read_token(o->token, &len) : NULL;
    int rc = PC_EXIT_ERROR;
    if (token) {
        pc_grant_check c = {o->principal ? &b.principal : NULL, b.action, b.resource, b.context,
                            o->issuer, (int64_t)time(NULL), skew, NULL};
        pc_grant_result r;
        pc_grant_result_init(&r);
        rc = pc_grant_verify(kr, token, len, &c, &r) == PC_ID_OK ? PC_EXIT_OK : PC_EXIT_DENY;
        print_verified(&r, c.now, o->json);
        pc_grant_result_clear(&r);
    }
    free(token);
    pc_grant_keyring_free(kr);
    json_decref(b.context);
    pc_arena_free(&b.arena);
    return rc;
}

/* ---- keygen, jwks ------------------------------------------------------------ */

static int cmd_keygen(const opts *o)
{
    const char *names[] = {"--out"};
    if (!need("keygen", names, &o->out, 1))
        return PC_EXIT_ERROR;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_grant_keygen(o->out, &d) != PC_OK)
        return fail(&d, "keygen");
    fprintf(stderr, "wrote an Ed25519 private key to %s\n", o->out);
    return PC_EXIT_OK;
}

static int cmd_jwks(const opts *o)
{
    if (o->n_keys == 0) {
        fprintf(stderr, "portcullis grant jwks: give at least one --key FILE\n");
        return PC_EXIT_ERROR;
    }
    pc_grant_config gc = {NULL, {NULL}, 0, NULL, 0, 0};
    for (int i = 0; i < o->n_keys; i++)
        gc.verify_keys[gc.n_verify_keys++] = (char *)o->keys[i];
    pc_grant_keyring *kr = NULL;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_grant_keyring_load(&gc, &kr, &d) != PC_OK)
        return fail(&d, "jwks");
    char *text = pc_grant_keyring_jwks(kr);
    if (text)
        printf("%s\n", text);
    else
        fprintf(stderr, "portcullis grant jwks: out of memory\n");
    free(text);
    pc_grant_keyring_free(kr);
    return text ? PC_EXIT_OK : PC_EXIT_ERROR;
}

/* ---- issue ------------------------------------------------------------------- */

/* What `issue` builds up; freed in one place. */
typedef struct issue_state {
    pc_id_config cfg;
    pc_id_trust *trust;
    pc_grant_keyring *keys;
    pc_id_result who;
    binding bind;
    pc_engine *engine;
    pc_decision *dec;
    pc_grant grant;
    pc_diag d;
} issue_state;

static void issue_free(issue_state *s)
{
    pc_id_config_free(&s->cfg);
    pc_id_trust_free(s->trust);
    pc_grant_keyring_free(s->keys);
    pc_id_result_clear(&s->who);
    json_decref(s->bind.context);
    pc_arena_free(&s->bind.arena);
    pc_engine_free(s->engine);
    pc_decision_free(s->dec);
    pc_grant_clear(&s->grant);
    pc_diag_clear(&s->d);
}

static bool load_identity(issue_state *s, const char *path)
{
    if (pc_id_config_load(path, &s->cfg, &s->d) != PC_OK ||
        pc_id_trust_load(&s->cfg, &s->trust, &s->d) != PC_OK ||
        pc_grant_keyring_load(&s->cfg.grants, &s->keys, &s->d) != PC_OK)
        return false;
    if (!pc_grant_keyring_can_sign(s->keys))
        pc_diag_set(&s->d, PC_ERR_INVALID, "%s: grants.signing_key is not set", path);
    return s->d.status == PC_OK;
}

static const char *string_of(const json_t *j)
{
    return json_is_string(j) ? json_string_value(j) : "";
}

/* Does entities (an array) already hold an entity with uid type::id? */
static bool has_entity(const json_t *entities, const char *type, const char *id)
{
    size_t i;
    const json_t *e;
    json_array_foreach(entities, i, e) {
        const json_t *uid = json_object_get(e, "uid");
        if (json_object_get(uid, "__entity"))
            uid = json_object_get(uid, "__entity");
        if (!strcmp(type, string_of(json_object_get(uid, "type"))) &&
            !strcmp(id, string_of(json_object_get(uid, "id"))))
            return true;
    }
    return false;
}

/* Add the verified party as an entity unless the entities file describes it already. */
static bool add_party(json_t *entities, const pc_id_party *p)
{
    return has_entity(entities, p->type, p->id) ||
           json_array_append_new(entities, pc_id_entity_json(p)) == 0;
}

/* The --entities file as a JSON array ([] without one); NULL with s->d set. */
static json_t *read_entities(issue_state *s, const char *path)
{
    if (!path)
        return json_array();
    char *text = NULL;
    size_t len = 0;
    json_t *j = NULL;
    if (pc_read_file(path, PC_MAX_FILE_BYTES, &text, &len, &s->d) == PC_OK)
        j = pc_json_parse(text, len, path, &s->d);
    free(text);
    if (j && !json_is_array(j)) {
        pc_diag_set(&s->d, PC_ERR_ENTITY, "%s: entities must be a JSON array", path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The engine: policies and schema from files, entities plus the verified parties. */
static bool load_engine(issue_state *s, const opts *o)
{
    pc_sources src = o->src;
    src.entities = NULL;
    if (!(s->engine = pc_sources_load(&src, NULL)))
        return false;
    json_t *ents = read_entities(s, o->src.entities);
    if (ents && (!add_party(ents, &s->who.subject) ||
                 (s->who.has_actor && !add_party(ents, &s->who.actor))))
        pc_diag_set(&s->d, PC_ERR_NOMEM, "adding the verified principal: out of memory");
    char *all = s->d.status == PC_OK && ents ? json_dumps(ents, JSON_COMPACT) : NULL;
    pc_error err = {0};
    if (all && pc_engine_load_entities(s->engine, all, strlen(all), "entities", &err) != PC_OK)
        pc_diag_set(&s->d, err.status, "%s", err.message);
    else if (!all && s->d.status == PC_OK)
        pc_diag_set(&s->d, PC_ERR_NOMEM, "entities: out of memory");
    pc_error_clear(&err);
    free(all);
    json_decref(ents);
    return s->d.status == PC_OK;
}

/* The caller's context plus the verified claims; token and actor are ours alone. */
static bool merge_context(issue_state *s)
{
    json_t *ctx = s->bind.context ? s->bind.context : (s->bind.context = json_object());
    json_t *id = pc_id_context_json(&s->who);
    if (!ctx || !id)
        pc_diag_set(&s->d, PC_ERR_NOMEM, "merging the verified claims: out of memory");
    else if (json_object_get(ctx, "token") || json_object_get(ctx, "actor"))
        pc_diag_set(&s->d, PC_ERR_REQUEST, "context.token and context.actor are reserved for the "
                    "verified identity");
    if (s->d.status != PC_OK) {
        json_decref(id);
        return false;
    }
    bool ok = json_object_update(ctx, id) == 0;
    json_decref(id);
    if (!ok)
        pc_diag_set(&s->d, PC_ERR_NOMEM, "merging the verified claims: out of memory");
    return ok;
}

static void print_identity_denied(const pc_id_result *r, bool json)
{
    if (!json) {
        printf("DENY\n  identity: %s: %s\n", pc_id_reason_name(r->verdict.reason), r->verdict.message);
        return;
    }
    json_t *j = json_pack("{s:s, s:{s:s, s:s}}", "decision", "deny", "identity", "reason",
                          pc_id_reason_name(r->verdict.reason), "message", r->verdict.message);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    printf("%s\n", text ? text : "{\"decision\":\"deny\"}");
    free(text);
    json_decref(j);
}

static void print_granted(const issue_state *s, int64_t now, bool json)
{
    char when[32];
    if (!json) {
        pc_grant_uid who = {s->who.subject.type, s->who.subject.id};
        pc_buf b;
        pc_buf_init(&b);
        print_uid(&b, "principal", &who);
        pc_buf_printf(&b, "  grant: %s\n  grant id: %s\n  expires: %s (in %lld s)\n",
                      s->grant.token, s->grant.jti, iso(when, s->grant.exp),
                      (long long)(s->grant.exp - now));
        pc_print_decision(stdout, s->dec, false);
        fputs(b.oom ? "  (out of memory printing the grant)\n" : b.data, stdout);
        pc_buf_free(&b);
        return;
    }
    json_t *reasons = json_array();
    for (size_t i = 0; reasons && i < pc_decision_reason_count(s->dec); i++)
        json_array_append_new(reasons, json_string(pc_decision_reason(s->dec, i)));
    json_t *j = json_pack("{s:s, s:o*, s:{s:s, s:s}, s:{s:s, s:s, s:I}}", "decision", "allow",
                          "reasons", reasons, "principal", "type", s->who.subject.type, "id",
                          s->who.subject.id, "grant", "token", s->grant.token, "jti", s->grant.jti,
                          "exp", (json_int_t)s->grant.exp);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    printf("%s\n", text ? text : "{\"decision\":\"allow\"}");
    free(text);
    json_decref(j);
}

/* Decide with the verified principal; on allow, sign the grant. */
static int decide_and_grant(issue_state *s, const opts *o, int64_t now)
{
    int64_t ttl = 0;
    json_t *principal = json_pack("{s:s, s:s}", "type", s->who.subject.type, "id", s->who.subject.id);
    json_t *action = json_string(o->action), *resource = json_string(o->resource);
    bool decided = principal && action && resource && (s->dec = pc_decision_new()) &&
                   read_seconds("--ttl", o->ttl, 1, s->cfg.grants.max_ttl, &ttl) &&
                   pc_authorize_json(s->engine, principal, action, resource, s->bind.context,
                                     !o->no_validate, s->dec, &s->d) == PC_OK;
    json_decref(principal);
    json_decref(action);
    json_decref(resource);
    if (!decided)
        return s->d.status == PC_OK ? PC_EXIT_ERROR : fail(&s->d, "issue");
    if (!pc_decision_allowed(s->dec)) {
        pc_print_decision(stdout, s->dec, o->json);
        return PC_EXIT_DENY;
    }
    pc_grant_request req = {{s->who.subject.type, s->who.subject.id}, s->bind.action,
                            s->bind.resource, s->bind.context, s->cfg.grants.issuer, ttl,
                            s->cfg.grants.max_ttl, o->single_use};
    if (pc_grant_issue(s->keys, &req, now, &s->grant, &s->d) != PC_OK)
        return fail(&s->d, "issue");
    print_granted(s, now, o->json);
    return PC_EXIT_OK;
}

static int run_issue(issue_state *s, const opts *o)
{
    int64_t now = (int64_t)time(NULL);
    size_t len = 0;
    if (!load_identity(s, o->config) || !read_binding(o, &s->bind))
        return s->d.status == PC_OK ? PC_EXIT_ERROR : fail(&s->d, "issue");
    char *token = read_token(o->token, &len);
    if (!token)
        return PC_EXIT_ERROR;
    pc_id_reason why = pc_id_verify(s->trust, token, len, now, &s->who);
    free(token);
    if (why != PC_ID_OK) {
        print_identity_denied(&s->who, o->json);
        return PC_EXIT_DENY;
    }
    if (!merge_context(s) || !load_engine(s, o))
        return s->d.status == PC_OK ? PC_EXIT_ERROR : fail(&s->d, "issue");
    return decide_and_grant(s, o, now);
}

static int cmd_issue(const opts *o)
{
    const char *names[] = {"--config", "--token", "--action", "--resource"};
    const char *values[] = {o->config, o->token, o->action, o->resource};
    if (!need("issue", names, values, 4))
        return PC_EXIT_ERROR;
    if (o->src.n_policies == 0) {
        fprintf(stderr, "portcullis grant issue: --policies is required\n");
        return PC_EXIT_ERROR;
    }
    issue_state s;
    memset(&s, 0, sizeof s);
    pc_id_config_init(&s.cfg);
    pc_id_result_init(&s.who);
    pc_arena_init(&s.bind.arena, 0, 0);
    pc_diag_init(&s.d);
    int rc = run_issue(&s, o);
    issue_free(&s);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------ */

int pc_cmd_grant(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(const opts *o);
    } subs[] = {{"verify", cmd_verify}, {"keygen", cmd_keygen}, {"jwks", cmd_jwks}, {"issue", cmd_issue}};
    opts o;
    memset(&o, 0, sizeof o);
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name)) {
            if (!parse(argc, argv, &o)) {
                usage();
                return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
            }
            return subs[i].run(&o);
        }
    usage();
    return argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) ? PC_EXIT_OK
                                                                                   : PC_EXIT_ERROR;
}
