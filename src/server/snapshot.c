/*
** server/snapshot.c — building policy-set snapshots and swapping them.
**
** Build order matters: schema first (entities are parsed against it), then
** entities, then policies; any error abandons the whole snapshot, so a bad
** reload never leaves a half-built set serving. The version is a SHA-256 over
** every source, each framed by its kind, name and length so that moving text
** between files changes the version too.
**
** Request-scoped entities never touch a snapshot: they are laid over its
** entity store per request (entity/overlay.c), which the snapshot only reads.
*/
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "snapshot.h"

#define POLICY_SUFFIX ".cedar"

/* ---- reading sources ------------------------------------------------- */

bool pc_srv_is_policy_file(const char *name)
{
    size_t n = strlen(name), s = strlen(POLICY_SUFFIX);
    return name[0] != '.' && n > s && !strcmp(name + n - s, POLICY_SUFFIX);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static pc_status read_text(const char *dir, const char *name, pc_srv_text *t, pc_diag *d)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    t->name = strdup(name);
    if (!path || !t->name) {
        free(path);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading %s", name);
    }
    snprintf(path, n, "%s/%s", dir, name);
    pc_status st = pc_read_file(path, PC_MAX_FILE_BYTES, &t->text, &t->len, d);
    free(path);
    return st;
}

/* The sorted names of the policy files in dir (a NULL-terminated array). */
static pc_status list_policies(const char *dir, char ***out, uint32_t *n, pc_diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return pc_diag_set(d, PC_ERR_IO, "policy_dir %s: cannot open: %s", dir, strerror(errno));
    char **names = calloc(PC_SRV_MAX_POLICY_FILES + 1, sizeof *names);
    struct dirent *e;
    *n = 0;
    while (names && d->status == PC_OK && (e = readdir(dh))) {
        if (!pc_srv_is_policy_file(e->d_name))
            continue;
        if (*n == PC_SRV_MAX_POLICY_FILES)
            pc_diag_set(d, PC_ERR_LIMIT, "policy_dir %s: more than %d policy files", dir,
                        PC_SRV_MAX_POLICY_FILES);
        else if (!(names[(*n)++] = strdup(e->d_name)))
            pc_diag_set(d, PC_ERR_NOMEM, "out of memory listing %s", dir);
    }
    closedir(dh);
    if (!names)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory listing %s", dir);
    qsort(names, *n, sizeof *names, by_name);
    *out = names;
    return d->status;
}

pc_status pc_srv_sources_read(const char *dir, const char *schema, const char *entities,
                              pc_srv_sources *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    char **names = NULL;
    uint32_t n = 0;
    if (list_policies(dir, &names, &n, d) == PC_OK && n == 0)
        pc_diag_set(d, PC_ERR_IO, "policy_dir %s: no *.cedar policy files", dir);
    if (d->status == PC_OK && !(out->policies = calloc(n, sizeof *out->policies)))
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading %s", dir);
    for (uint32_t i = 0; d->status == PC_OK && i < n; i++)
        if (read_text(dir, names[i], &out->policies[out->n_policies++], d) != PC_OK)
            break;
    if (d->status == PC_OK && schema && read_text(dir, schema, &out->schema, d) == PC_OK) {
        size_t len = strlen(schema);
        out->schema_format = len > 5 && !strcmp(schema + len - 5, ".json") ? PC_SCHEMA_JSON
                                                                           : PC_SCHEMA_CEDAR;
    }
    if (d->status == PC_OK && entities)
        read_text(dir, entities, &out->entities, d);
    for (uint32_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
    if (d->status != PC_OK)
        pc_srv_sources_free(out);
    return d->status;
}

static void text_free(pc_srv_text *t)
{
    free(t->name);
    free(t->text);
    memset(t, 0, sizeof *t);
}

void pc_srv_sources_free(pc_srv_sources *s)
{
    for (uint32_t i = 0; i < s->n_policies; i++)
        text_free(&s->policies[i]);
    free(s->policies);
    s->policies = NULL;
    s->n_policies = 0;
    text_free(&s->schema);
    text_free(&s->entities);
}

/* ---- version --------------------------------------------------------- */

/* Feed one framed source into the digest: kind, name, length, text. */
static void digest_text(EVP_MD_CTX *md, const char *kind, const pc_srv_text *t)
{
    if (!t->text)
        return;
    uint64_t len = t->len;
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(len >> (8 * i));
    EVP_DigestUpdate(md, kind, strlen(kind) + 1);
    EVP_DigestUpdate(md, t->name, strlen(t->name) + 1);
    EVP_DigestUpdate(md, le, sizeof le);
    EVP_DigestUpdate(md, t->text, t->len);
}

static pc_status compute_version(const pc_srv_sources *src, char hex[PC_SRV_VERSION_HEX + 1],
                                 pc_diag *d)
{
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    if (ok) {
        for (uint32_t i = 0; i < src->n_policies; i++)
            digest_text(md, "policy", &src->policies[i]);
        digest_text(md, "schema", &src->schema);
        digest_text(md, "entities", &src->entities);
        ok = EVP_DigestFinal_ex(md, sum, &n) && n * 2 == PC_SRV_VERSION_HEX;
    }
    EVP_MD_CTX_free(md);
    if (!ok)
        return pc_diag_set(d, PC_ERR_NOMEM, "cannot compute the SHA-256 of the policy set");
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    return PC_OK;
}

/* ---- engine ---------------------------------------------------------- */

static pc_status build_engine(const pc_srv_sources *src, pc_engine **out, pc_diag *d)
{
    pc_engine *e = pc_engine_new();
    pc_error err = {0};
    pc_status st = e ? PC_OK : PC_ERR_NOMEM;
    if (st == PC_OK && src->schema.text)
        st = pc_engine_load_schema(e, src->schema.text, src->schema.len, src->schema_format,
                                   src->schema.name, &err);
    if (st == PC_OK && src->entities.text)
        st = pc_engine_load_entities(e, src->entities.text, src->entities.len,
                                     src->entities.name, &err);
    for (uint32_t i = 0; st == PC_OK && i < src->n_policies; i++)
        st = pc_engine_load_policies(e, src->policies[i].text, src->policies[i].len,
                                     src->policies[i].name, &err);
    /* a typo in an attribute must not silently become a deny (or a missing forbid) */
    if (st == PC_OK && src->validate && src->schema.text)
        st = pc_engine_validate(e, &err);
    if (st != PC_OK) {
        pc_diag_set(d, st, "%s", err.message ? err.message : "out of memory building the engine");
        pc_error_clear(&err);
        pc_engine_free(e);
        return st;
    }
    *out = e;
    return PC_OK;
}

/* ---- lifetime -------------------------------------------------------- */

static void snapshot_free(pc_srv_snapshot *s)
{
    if (!s)
        return;
    pc_engine_free(s->engine);
    pc_id_trust_free(s->trust);
    pc_grant_keyring_free(s->grants);
    pc_srv_sources_free(&s->src);
    free(s);
}

/* The trusted issuers (JWKS files read now) and the grant keys; none without a config. */
static pc_status load_identity(const pc_id_config *id, pc_srv_snapshot *s, pc_diag *d)
{
    if (!id)
        return PC_OK;
    if (id->n_issuers > 0 && pc_id_trust_load(id, &s->trust, d) != PC_OK)
        return d->status;
    return pc_grant_keyring_load(&id->grants, &s->grants, d);
}

pc_status pc_srv_snapshot_build(pc_srv_sources *src, const pc_id_config *id,
                                pc_srv_snapshot **out, pc_diag *d)
{
    *out = NULL;
    pc_srv_snapshot *s = calloc(1, sizeof *s);
    if (!s) {
        pc_srv_sources_free(src);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory building a snapshot");
    }
    s->src = *src;
    memset(src, 0, sizeof *src);
    atomic_init(&s->refs, 1);
    s->loaded_at = (int64_t)time(NULL);
    if (build_engine(&s->src, &s->engine, d) != PC_OK ||
        compute_version(&s->src, s->version, d) != PC_OK || load_identity(id, s, d) != PC_OK) {
        snapshot_free(s);
        return d->status;
    }
    *out = s;
    return PC_OK;
}

pc_srv_snapshot *pc_srv_snapshot_ref(pc_srv_snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void pc_srv_snapshot_unref(pc_srv_snapshot *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snapshot_free(s);
}

/* ---- the current-snapshot slot --------------------------------------- */

void pc_srv_slot_init(pc_srv_slot *slot, pc_srv_snapshot *first)
{
    pthread_mutex_init(&slot->lock, NULL);
    slot->current = first;
}

pc_srv_snapshot *pc_srv_slot_acquire(pc_srv_slot *slot)
{
    pthread_mutex_lock(&slot->lock);
    pc_srv_snapshot *s = pc_srv_snapshot_ref(slot->current);
    pthread_mutex_unlock(&slot->lock);
    return s;
}

void pc_srv_slot_swap(pc_srv_slot *slot, pc_srv_snapshot *next)
{
    pthread_mutex_lock(&slot->lock);
    pc_srv_snapshot *old = slot->current;
    slot->current = next;
    pthread_mutex_unlock(&slot->lock);
    pc_srv_snapshot_unref(old);   /* outside the lock: freeing may take a while */
}

void pc_srv_slot_destroy(pc_srv_slot *slot)
{
    pc_srv_snapshot_unref(slot->current);
    slot->current = NULL;
    pthread_mutex_destroy(&slot->lock);
}
