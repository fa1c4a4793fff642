/*
** identity/config.c — the identity.* and grants.* settings.
**
** The daemon's config is one `key = value` per line, and its parser hands
** our keys to pc_id_config_set; pc_id_config_load reads the same lines from
** a file for the CLI (skipping the daemon's keys), so there is one syntax
** and one validation path. Each key is described once in a table (its
** kind, where it goes, its bounds) and set by the one function for that
** kind, the way the daemon's own config reader works. Issuers are created
** by the first key that names them; pc_id_config_finish then checks that
** each is complete and fills the profile defaults.
*/
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id_internal.h"
#include "lang/ast.h"

#define ISSUER_PREFIX "identity.issuer."
#define GRANTS_PREFIX "grants."
#define MAX_NAME_BYTES 64            /* issuer labels */
#define MAX_LINE_BYTES 4096
#define MAX_CONFIG_BYTES (1u << 20)
#define MAX_SECONDS (INT64_C(10) * 365 * 86400)   /* max_age: ten years at most */
#define DEFAULT_ACTOR_TYPE "Agent"

typedef enum kind {
    K_STR,      /* any non-empty text */
    K_PATH,     /* joined to the config's directory */
    K_TYPE,     /* a Cedar entity type name, stored normalised */
    K_LIST,     /* words separated by spaces or commas */
    K_PATHS,    /* a list of paths */
    K_SECONDS,  /* a whole number of seconds in [min, max] */
    K_ALGS,     /* JOSE algorithm names -> a PC_ALG_BIT set */
    K_PROFILE   /* spiffe | github | kubernetes | custom */
} kind;

typedef struct spec {
    const char *name;
    kind kind;
    size_t off;          /* the field */
    size_t count_off;    /* K_LIST, K_PATHS: the uint32_t count */
    uint32_t max_items;  /* K_LIST, K_PATHS */
    int64_t min, max;    /* K_SECONDS */
} spec;

#define IOFF(f) offsetof(pc_id_issuer_config, f)
#define GOFF(f) offsetof(pc_grant_config, f)

static const spec issuer_keys[] = {
    {"issuer", K_STR, IOFF(issuer), 0, 0, 0, 0},
    {"jwks_file", K_PATH, IOFF(jwks_file), 0, 0, 0, 0},
    {"algorithms", K_ALGS, IOFF(algs), 0, 0, 0, 0},
    {"audiences", K_LIST, IOFF(audiences), IOFF(n_audiences), PC_ID_MAX_AUDIENCES, 0, 0},
    {"max_age", K_SECONDS, IOFF(max_age), 0, 0, 1, MAX_SECONDS},
    {"clock_skew", K_SECONDS, IOFF(skew), 0, 0, 0, PC_ID_MAX_SKEW},
    {"profile", K_PROFILE, IOFF(profile), 0, 0, 0, 0},
    {"principal_type", K_TYPE, IOFF(principal_type), 0, 0, 0, 0},
    {"id_claim", K_STR, IOFF(id_claim), 0, 0, 0, 0},
    {"attributes", K_LIST, IOFF(attr_claims), IOFF(n_attr_claims), PC_ID_MAX_ATTR_CLAIMS, 0, 0},
    {"actor_type", K_TYPE, IOFF(actor_type), 0, 0, 0, 0},
};

static const spec grant_keys[] = {
    {"signing_key", K_PATH, GOFF(signing_key), 0, 0, 0, 0},
    {"verify_keys", K_PATHS, GOFF(verify_keys), GOFF(n_verify_keys), PC_GRANT_MAX_KEYS - 1, 0, 0},
    {"issuer", K_STR, GOFF(issuer), 0, 0, 0, 0},
    {"max_ttl", K_SECONDS, GOFF(max_ttl), 0, 0, 1, PC_GRANT_MAX_TTL},
};

/* Profile names and their defaults: principal type and id claim. */
static const struct profile_info {
    const char *name;
    const char *type;
    const char *id_claim;
} profiles[] = {
    [PC_ID_PROFILE_CUSTOM] = {"custom", NULL, "sub"},
    [PC_ID_PROFILE_SPIFFE] = {"spiffe", "Workload", "sub"},
    [PC_ID_PROFILE_GITHUB] = {"github", "Workload", "repository"},
    [PC_ID_PROFILE_KUBERNETES] = {"kubernetes", "ServiceAccount", "sub"},
};

void pc_id_config_init(pc_id_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->grants.max_ttl = PC_GRANT_DEFAULT_TTL;
}

bool pc_id_config_owns(const char *key)
{
    return !strncmp(key, "identity.", 9) || !strncmp(key, GRANTS_PREFIX, strlen(GRANTS_PREFIX));
}

/* ---- one value per kind -------------------------------------------------- */

static char *join_path(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir)
        return strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    return out;
}

static pc_status nomem(pc_diag *d, const char *key)
{
    return pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", key);
}

/* A Cedar entity type: parse TYPE::"" and keep the normalised type. */
static char *cedar_type(const char *value)
{
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    char *text = pc_arena_printf(&a, "%s::\"\"", value);
    pc_uid *u = NULL;
    char *out = NULL;
    if (text && pc_parse_uid(&a, NULL, text, strlen(text), &u, NULL) == PC_OK)
        out = strndup(u->type.ptr, u->type.len);
    pc_arena_free(&a);
    return out;
}

static pc_status set_string(const spec *s, void *base, const char *key, const char *value,
                            const char *dir, pc_diag *d)
{
    char **field = (char **)(void *)((char *)base + s->off);
    char *v = s->kind == K_PATH ? join_path(dir, value)
              : s->kind == K_TYPE ? cedar_type(value) : strdup(value);
    if (!v && s->kind == K_TYPE)
        return pc_diag_set(d, PC_ERR_INVALID, "%s: '%s' is not a Cedar entity type name", key, value);
    if (!v)
        return nomem(d, key);
    free(*field);
    *field = v;
    return PC_OK;
}

static pc_status set_list(const spec *s, void *base, const char *key, const char *value,
                          const char *dir, pc_diag *d)
{
    char **items = (char **)(void *)((char *)base + s->off);
    uint32_t *n = (uint32_t *)(void *)((char *)base + s->count_off);
    for (const char *p = value + strspn(value, " \t,"); *p; p += strspn(p, " \t,")) {
        size_t len = strcspn(p, " \t,");
        if (*n == s->max_items)
            return pc_diag_set(d, PC_ERR_INVALID, "%s: more than %u items", key, s->max_items);
        char *word = strndup(p, len);
        items[*n] = word && s->kind == K_PATHS ? join_path(dir, word) : word;
        if (s->kind == K_PATHS)
            free(word);
        if (!items[*n])
            return nomem(d, key);
        (*n)++;
        p += len;
    }
    return *n ? PC_OK : pc_diag_set(d, PC_ERR_INVALID, "%s: the list is empty", key);
}

static pc_status set_seconds(const spec *s, void *base, const char *key, const char *value,
                             pc_diag *d)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno || end == value || *end || n < s->min || n > s->max)
        return pc_diag_set(d, PC_ERR_INVALID, "%s must be a whole number of seconds from %lld "
                           "to %lld, not '%s'", key, (long long)s->min, (long long)s->max, value);
    *(int64_t *)(void *)((char *)base + s->off) = n;
    return PC_OK;
}

static pc_status set_algs(const spec *s, void *base, const char *key, const char *value,
                          pc_diag *d)
{
    uint32_t set = 0;
    for (const char *p = value + strspn(value, " \t,"); *p; p += strspn(p, " \t,")) {
        size_t len = strcspn(p, " \t,");
        char name[16] = "";
        pc_id_alg alg;
        if (len < sizeof name)
            memcpy(name, p, len);
        if (!pc_id_alg_parse(name, &alg))
            return pc_diag_set(d, PC_ERR_INVALID, "%s: '%.*s' is not one of RS256 RS384 RS512 "
                               "PS256 PS384 PS512 ES256 ES384 EdDSA", key, (int)len, p);
        set |= PC_ALG_BIT(alg);
        p += len;
    }
    if (!set)
        return pc_diag_set(d, PC_ERR_INVALID, "%s: name at least one algorithm", key);
    *(uint32_t *)(void *)((char *)base + s->off) = set;
    return PC_OK;
}

static pc_status set_profile(const spec *s, void *base, const char *key, const char *value,
                             pc_diag *d)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (!strcmp(profiles[i].name, value)) {
            *(pc_id_profile *)(void *)((char *)base + s->off) = (pc_id_profile)i;
            return PC_OK;
        }
    return pc_diag_set(d, PC_ERR_INVALID, "%s must be spiffe, github, kubernetes or custom, not '%s'",
                       key, value);
}

static pc_status set_value(const spec *s, void *base, const char *key, const char *value,
                           const char *dir, pc_diag *d)
{
    switch (s->kind) {
    case K_STR:
    case K_PATH:
    case K_TYPE:
        return set_string(s, base, key, value, dir, d);
    case K_LIST:
    case K_PATHS:
        return set_list(s, base, key, value, dir, d);
    case K_SECONDS:
        return set_seconds(s, base, key, value, d);
    case K_ALGS:
        return set_algs(s, base, key, value, d);
    case K_PROFILE:
        return set_profile(s, base, key, value, d);
    }
    return pc_diag_set(d, PC_ERR_INVALID, "%s: unknown kind of setting", key);
}

/* Find field in table, check it is set once, and set it. */
static pc_status set_field(const spec *table, size_t n, void *base, uint32_t *mask,
                           const char *field, const char *key, const char *value,
                           const char *dir, pc_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, field))
            continue;
        if (*mask & (1u << i))
            return pc_diag_set(d, PC_ERR_INVALID, "%s is set twice", key);
        *mask |= 1u << i;
        return set_value(&table[i], base, key, value, dir, d);
    }
    return pc_diag_set(d, PC_ERR_INVALID, "unknown key '%s'", key);
}

/* ---- keys ----------------------------------------------------------------- */

static bool valid_name(const char *p, size_t n)
{
    if (n == 0 || n > MAX_NAME_BYTES)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '-' || p[i] == '_' || (p[i] >= '0' && p[i] <= '9') ||
              ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')))
            return false;
    return true;
}

/* The issuer labelled name (n bytes), created on first use. */
static pc_status issuer_named(pc_id_config *cfg, const char *name, size_t n, const char *key,
                              pc_id_issuer_config **out, pc_diag *d)
{
    for (uint32_t i = 0; i < cfg->n_issuers; i++)
        if (strlen(cfg->issuers[i].name) == n && !memcmp(cfg->issuers[i].name, name, n)) {
            *out = &cfg->issuers[i];
            return PC_OK;
        }
    if (cfg->n_issuers == PC_ID_MAX_ISSUERS)
        return pc_diag_set(d, PC_ERR_INVALID, "%s: more than %d issuers", key, PC_ID_MAX_ISSUERS);
    pc_id_issuer_config *ic = &cfg->issuers[cfg->n_issuers];
    memset(ic, 0, sizeof *ic);
    if (!(ic->name = strndup(name, n)))
        return nomem(d, key);
    ic->skew = PC_ID_DEFAULT_SKEW;
    cfg->n_issuers++;
    *out = ic;
    return PC_OK;
}

pc_status pc_id_config_set(pc_id_config *cfg, const char *key, const char *value,
                           const char *base_dir, pc_diag *d)
{
    if (!*value)
        return pc_diag_set(d, PC_ERR_INVALID, "%s has no value", key);
    if (!strncmp(key, GRANTS_PREFIX, strlen(GRANTS_PREFIX)))
        return set_field(grant_keys, sizeof grant_keys / sizeof grant_keys[0], &cfg->grants,
                         &cfg->grants.set_mask, key + strlen(GRANTS_PREFIX), key, value, base_dir, d);
    const char *name = key + strlen(ISSUER_PREFIX);
    const char *dot = strncmp(key, ISSUER_PREFIX, strlen(ISSUER_PREFIX)) ? NULL : strchr(name, '.');
    if (!dot || !valid_name(name, (size_t)(dot - name)))
        return pc_diag_set(d, PC_ERR_INVALID, "unknown key '%s' (expected %sNAME.SETTING, NAME "
                           "of letters, digits, - and _)", key, ISSUER_PREFIX);
    pc_id_issuer_config *ic = NULL;
    pc_status st = issuer_named(cfg, name, (size_t)(dot - name), key, &ic, d);
    if (st != PC_OK)
        return st;
    return set_field(issuer_keys, sizeof issuer_keys / sizeof issuer_keys[0], ic, &ic->set_mask,
                     dot + 1, key, value, base_dir, d);
}

/* ---- completeness ---------------------------------------------------------- */

static bool fill(char **field, const char *value)
{
    return *field || !value || (*field = strdup(value)) != NULL;
}

static pc_status finish_issuer(pc_id_config *cfg, pc_id_issuer_config *ic, pc_diag *d)
{
    const char *missing = !ic->issuer ? "issuer" : !ic->jwks_file ? "jwks_file"
                          : !ic->algs ? "algorithms" : !ic->n_audiences ? "audiences" : NULL;
    if (missing)
        return pc_diag_set(d, PC_ERR_INVALID, "%s%s.%s is required", ISSUER_PREFIX, ic->name, missing);
    const struct profile_info *p = &profiles[ic->profile];
    if (!ic->principal_type && !p->type)
        return pc_diag_set(d, PC_ERR_INVALID, "%s%s.principal_type is required with the custom "
                           "profile", ISSUER_PREFIX, ic->name);
    if (!fill(&ic->principal_type, p->type) || !fill(&ic->id_claim, p->id_claim) ||
        !fill(&ic->actor_type, DEFAULT_ACTOR_TYPE))
        return nomem(d, ic->name);
    for (uint32_t i = 0; i < ic->n_attr_claims; i++)
        if (pc_id_profile_attr(ic->profile, ic->attr_claims[i]))
            return pc_diag_set(d, PC_ERR_INVALID, "%s%s.attributes: %s is set by the %s profile "
                               "itself, not copied from a claim", ISSUER_PREFIX, ic->name,
                               ic->attr_claims[i], p->name);
    for (pc_id_issuer_config *o = cfg->issuers; o < ic; o++)
        if (!strcmp(o->issuer, ic->issuer))
            return pc_diag_set(d, PC_ERR_INVALID, "issuers %s and %s trust the same iss '%s'",
                               o->name, ic->name, ic->issuer);
    return PC_OK;
}

pc_status pc_id_config_finish(pc_id_config *cfg, pc_diag *d)
{
    for (uint32_t i = 0; i < cfg->n_issuers; i++) {
        pc_status st = finish_issuer(cfg, &cfg->issuers[i], d);
        if (st != PC_OK)
            return st;
    }
    if (!fill(&cfg->grants.issuer, PC_GRANT_DEFAULT_ISSUER))
        return nomem(d, "grants.issuer");
    return PC_OK;
}

/* ---- reading a file ------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* One line (modified in place): blank, comment, someone else's key, or ours. */
static pc_status read_line(pc_id_config *cfg, char *line, const char *dir, pc_diag *d)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return PC_OK;
    char *eq = strchr(s, '=');
    if (!eq)
        return pc_diag_set(d, PC_ERR_INVALID, "cannot read '%s' (expected key = value)", s);
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    return pc_id_config_owns(key) ? pc_id_config_set(cfg, key, value, dir, d) : PC_OK;
}

static pc_status read_text(pc_id_config *cfg, const char *path, char *text, size_t len,
                           const char *dir, pc_diag *d)
{
    uint32_t line = 0;
    for (char *p = text, *end = text + len; p < end; p++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (n >= MAX_LINE_BYTES || memchr(p, '\0', n))
            return pc_diag_set(d, PC_ERR_INVALID, "%s:%u: line is longer than %d bytes or holds "
                               "a NUL", path, line, MAX_LINE_BYTES);
        p[n] = '\0';
        pc_status st = read_line(cfg, p, dir, d);
        if (st != PC_OK) {
            pc_diag_prefix(d, "%s:%u", path, line);
            return st;
        }
        p += n;
    }
    return PC_OK;
}

pc_status pc_id_config_load(const char *path, pc_id_config *cfg, pc_diag *d)
{
    pc_id_config_init(cfg);
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    char *text = NULL;
    size_t len = 0;
    pc_status st = !dir ? nomem(d, path) : pc_read_file(path, MAX_CONFIG_BYTES, &text, &len, d);
    if (st == PC_OK)
        st = read_text(cfg, path, text, len, dir, d);
    if (st == PC_OK && (st = pc_id_config_finish(cfg, d)) != PC_OK)
        pc_diag_prefix(d, "%s", path);
    free(text);
    free(dir);
    if (st != PC_OK)
        pc_id_config_free(cfg);
    return st;
}

/* ---- copying and freeing ---------------------------------------------------- */

static void free_list(char **items, uint32_t *n)
{
    for (uint32_t i = 0; i < *n; i++)
        free(items[i]);
    *n = 0;
}

void pc_id_issuer_free(pc_id_issuer_config *ic)
{
    char **strings[] = {&ic->name, &ic->issuer, &ic->jwks_file, &ic->principal_type,
                        &ic->id_claim, &ic->actor_type};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
    free_list(ic->audiences, &ic->n_audiences);
    free_list(ic->attr_claims, &ic->n_attr_claims);
}

static bool copy_string(char **dst, const char *src)
{
    return !src || (*dst = strdup(src)) != NULL;
}

static bool copy_list(char **dst, const char *const *src, uint32_t n, uint32_t *dst_n)
{
    for (*dst_n = 0; *dst_n < n; (*dst_n)++)
        if (!(dst[*dst_n] = strdup(src[*dst_n])))
            return false;
    return true;
}

bool pc_id_issuer_copy(pc_id_issuer_config *dst, const pc_id_issuer_config *src)
{
    *dst = *src;
    char **strings[] = {&dst->name, &dst->issuer, &dst->jwks_file, &dst->principal_type,
                        &dst->id_claim, &dst->actor_type};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        *strings[i] = NULL;
    dst->n_audiences = dst->n_attr_claims = 0;
    bool ok = copy_string(&dst->name, src->name) && copy_string(&dst->issuer, src->issuer) &&
              copy_string(&dst->jwks_file, src->jwks_file) &&
              copy_string(&dst->principal_type, src->principal_type) &&
              copy_string(&dst->id_claim, src->id_claim) &&
              copy_string(&dst->actor_type, src->actor_type) &&
              copy_list(dst->audiences, (const char *const *)src->audiences, src->n_audiences,
                        &dst->n_audiences) &&
              copy_list(dst->attr_claims, (const char *const *)src->attr_claims,
                        src->n_attr_claims, &dst->n_attr_claims);
    if (!ok)
        pc_id_issuer_free(dst);
    return ok;
}

void pc_id_config_free(pc_id_config *cfg)
{
    for (uint32_t i = 0; i < cfg->n_issuers; i++)
        pc_id_issuer_free(&cfg->issuers[i]);
    cfg->n_issuers = 0;
    free(cfg->grants.signing_key);
    free(cfg->grants.issuer);
    cfg->grants.signing_key = cfg->grants.issuer = NULL;
    free_list(cfg->grants.verify_keys, &cfg->grants.n_verify_keys);
}
