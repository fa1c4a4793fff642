/*
** server/admin.c — reading and replacing the policy set over HTTP.
**
** Both routes need `Authorization: Bearer <token>`, the token being the
** contents of admin_token_file (re-read on SIGHUP). The comparison is of
** SHA-256 digests with CRYPTO_memcmp (server.c), so it takes the same time
** whatever the token's length or first wrong byte. Without a token file, or
** when it could not be read, the admin API is closed to everyone (401).
**
** GET /v1/admin/policies answers the serving set: version, load time and the
** source texts. PUT /v1/admin/policies takes
**   {"policies": [{"name": "a.cedar", "text": "..."}, ...],
**    "schema": {"name": ..., "text": ..., "format": "cedar"|"json"} | null,
**    "entities": {"name": ..., "text": ...} | null}
** (schema or entities left out: the serving ones are kept), builds a whole
** new engine and swaps it in only if everything loads; otherwise 400 with
** the reason and the old set keeps serving. An uploaded set serves until the
** next reload from disk (SIGHUP or a changed file).
*/
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "srv.h"

#define BEARER "Bearer "

/* Is the request authorized? If not, answer 401 and return false. */
static bool authorized(pc_srv_exchange *x)
{
    const char *auth = pc_srv_header(x, MHD_HTTP_HEADER_AUTHORIZATION);
    bool bearer = auth && !strncmp(auth, BEARER, strlen(BEARER)), enabled = false;
    const char *token = bearer ? auth + strlen(BEARER) : "";
    bool ok = pc_srv_admin_token_ok(x->srv, token, strlen(token), &enabled) && bearer;
    if (!ok) {
        x->challenge = true;
        pc_srv_fail(x, MHD_HTTP_UNAUTHORIZED,
                    enabled ? "admin API: missing or wrong bearer token"
                            : "admin API: disabled (no admin token: none configured, or its "
                              "file could not be read)");
    }
    return ok;
}

/* ---- GET ------------------------------------------------------------- */

static void put_text(pc_buf *out, const char *key, const pc_srv_text *t, const char *format)
{
    pc_buf_printf(out, ",\"%s\":", key);
    if (!t->text) {
        pc_buf_puts(out, "null");
        return;
    }
    pc_buf_puts(out, "{\"name\":");
    pc_buf_json_string(out, t->name, strlen(t->name));
    if (format)
        pc_buf_printf(out, ",\"format\":\"%s\"", format);
    pc_buf_puts(out, ",\"text\":");
    pc_buf_json_string(out, t->text, t->len);
    pc_buf_putc(out, '}');
}

void pc_srv_admin_get(pc_srv_exchange *x)
{
    if (!authorized(x))
        return;
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    const pc_srv_sources *src = &snap->src;
    pc_buf *out = &x->out;
    pc_buf_printf(out, "{\"version\":\"%s\",\"loaded_at\":%lld,\"policy_count\":%zu,\"policies\":[",
                  snap->version, (long long)snap->loaded_at, pc_engine_policy_count(snap->engine));
    for (uint32_t i = 0; i < src->n_policies; i++) {
        pc_buf_puts(out, i > 0 ? ",{\"name\":" : "{\"name\":");
        pc_buf_json_string(out, src->policies[i].name, strlen(src->policies[i].name));
        pc_buf_puts(out, ",\"text\":");
        pc_buf_json_string(out, src->policies[i].text, src->policies[i].len);
        pc_buf_putc(out, '}');
    }
    pc_buf_putc(out, ']');
    put_text(out, "schema", &src->schema, src->schema_format == PC_SCHEMA_JSON ? "json" : "cedar");
    put_text(out, "entities", &src->entities, NULL);
    pc_buf_putc(out, '}');
    pc_srv_reply(x, MHD_HTTP_OK);
}

/* ---- PUT ------------------------------------------------------------- */

static bool copy_text(pc_srv_text *t, const char *name, const char *text, size_t len)
{
    t->name = strdup(name);
    t->text = malloc(len + 1);
    if (t->text) {
        memcpy(t->text, text, len);
        t->text[len] = '\0';
    }
    t->len = len;
    return t->name && t->text;
}

/* {"name": ..., "text": ...} into t; NULL or a message naming what is wrong. */
static const char *read_text(json_t *j, pc_srv_text *t)
{
    json_t *name = json_object_get(j, "name"), *text = json_object_get(j, "text");
    if (!json_is_object(j) || !json_is_string(name) || !json_is_string(text))
        return "must be {\"name\": string, \"text\": string}";
    return copy_text(t, json_string_value(name), json_string_value(text), json_string_length(text))
               ? NULL
               : "out of memory";
}

static const char *read_policies(json_t *list, pc_srv_sources *src)
{
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n == 0)
        return "policies must be a non-empty array";
    if (n > PC_SRV_MAX_POLICY_FILES)
        return "policies has too many entries";
    if (!(src->policies = calloc(n, sizeof *src->policies)))
        return "out of memory";
    for (size_t i = 0; i < n; i++) {
        const char *why = read_text(json_array_get(list, i), &src->policies[src->n_policies++]);
        if (why)
            return why;
    }
    return NULL;
}

/* Schema or entities: given, null (none), or absent (keep the serving one). */
static const char *read_optional(json_t *root, const char *key, const pc_srv_text *serving,
                                 pc_srv_text *t)
{
    json_t *j = json_object_get(root, key);
    if (json_is_null(j))
        return NULL;
    if (!j)
        return !serving->text || copy_text(t, serving->name, serving->text, serving->len)
                   ? NULL
                   : "out of memory";
    return read_text(j, t);
}

/* An uploaded schema is Cedar unless "format": "json"; a kept one keeps its format. */
static const char *read_schema_format(json_t *root, const pc_srv_sources *serving,
                                      pc_schema_format *out)
{
    json_t *schema = json_object_get(root, "schema");
    json_t *format = json_object_get(schema, "format");
    const char *f = json_string_value(format);
    *out = schema ? PC_SCHEMA_CEDAR : serving->schema_format;
    if (!format)
        return NULL;
    if (f && !strcmp(f, "json"))
        *out = PC_SCHEMA_JSON;
    else if (!f || strcmp(f, "cedar"))
        return "schema.format must be \"cedar\" or \"json\"";
    return NULL;
}

static const char *read_sources(json_t *root, const pc_srv_sources *serving, pc_srv_sources *src)
{
    const char *why = read_policies(json_object_get(root, "policies"), src);
    if (!why)
        why = read_optional(root, "schema", &serving->schema, &src->schema);
    if (!why)
        why = read_schema_format(root, serving, &src->schema_format);
    if (!why)
        why = read_optional(root, "entities", &serving->entities, &src->entities);
    return why;
}

void pc_srv_admin_put(pc_srv_exchange *x)
{
    json_t *root = authorized(x) ? pc_srv_json_body(x) : NULL;
    if (!root)
        return;
    pc_srv_sources src;
    memset(&src, 0, sizeof src);
    const char *why = read_sources(root, &pc_srv_snapshot_get(x)->src, &src);
    pc_diag d;
    pc_diag_init(&d);
    if (why) {
        pc_srv_sources_free(&src);
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "admin upload: %s", why);
    } else if (pc_srv_install(x->srv, &src, "admin", false, &d) != PC_OK) {
        pc_srv_fail(x, d.status == PC_ERR_NOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
                                                : MHD_HTTP_BAD_REQUEST,
                    "admin upload rejected, the serving set is unchanged: %s",
                    d.msg ? d.msg : "out of memory");
    } else {
        pc_srv_snapshot *now = pc_srv_slot_acquire(&x->srv->slot);
        pc_buf_printf(&x->out, "{\"version\":\"%s\",\"policy_count\":%zu}", now->version,
                      pc_engine_policy_count(now->engine));
        pc_srv_snapshot_unref(now);
        pc_srv_reply(x, MHD_HTTP_OK);
    }
    pc_diag_clear(&d);
    json_decref(root);
}
