/*
** server/search.c — AuthZEN search: which subjects, resources or actions
** the policies allow, given the other two parts.
**
** A search decides one request per known candidate: every stored entity of
** the searched type (for actions, every action entity, which includes the
** schema's actions) with the given subject/resource/action/context, and
** returns those allowed, in id order. An unknown type or id simply allows
** nothing, so the answer is an empty list, not an error.
**
** Paging: `page.limit` (at most authzen.page_size, which is also the
** default) and an opaque `page.token` that is the decimal offset of the next
** result; `page.next_token` is "" on the last page. The whole result set is
** computed for each page, so `page.total` is exact.
**
** The caller's bearer token binds a search as it binds an evaluation
** (caller.h): resources and actions are searched for the token's subject;
** a rejected token finds nothing and says why in context.error. A search
** only lists: a candidate whose allow needs approval (@approval) is not
** listed, and no approval request is opened for it.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "authzen.h"

typedef struct page {
    size_t offset;
    size_t limit;
} page;

/* Read `page`; false (after answering 400) when it is malformed. */
static bool read_page(pc_srv_exchange *x, json_t *root, page *p)
{
    json_t *pg = json_object_get(root, "page");
    json_t *limit = json_object_get(pg, "limit"), *token = json_object_get(pg, "token");
    size_t max = x->srv->cfg->map.page_size;
    p->offset = 0;
    p->limit = max;
    if (pg && !json_is_object(pg)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "page must be an object");
        return false;
    }
    if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 1)) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "page.limit must be a positive integer");
        return false;
    }
    if (limit && (json_int_t)max > json_integer_value(limit))
        p->limit = (size_t)json_integer_value(limit);
    const char *t = json_string_value(token);
    if (token && !t) {
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "page.token must be a string");
        return false;
    }
    if (t && *t) {
        char *end = NULL;
        errno = 0;
        unsigned long long off = strtoull(t, &end, 10);
        if (errno || *end || t[0] < '0' || t[0] > '9') {
            pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "page.token is not a token this server issued");
            return false;
        }
        p->offset = (size_t)off;
    }
    return true;
}

static int by_str(const void *a, const void *b)
{
    return pc_str_cmp(*(const pc_str *)a, *(const pc_str *)b);
}

/* The ids of every stored entity of type, sorted; *n of them (malloc'ed array). */
static pc_str *candidates(const pc_srv_snapshot *snap, const char *type, size_t *n)
{
    const pc_entities *store = pc_engine_entities(snap->engine);
    size_t total = pc_entities_count(store);
    pc_str *ids = malloc((total ? total : 1) * sizeof *ids);
    *n = 0;
    for (size_t i = 0; ids && i < total; i++) {
        const pc_uid *u = pc_entities_at(store, i)->uid;
        if (pc_str_eq_cstr(u->type, type))
            ids[(*n)++] = u->id;
    }
    if (ids)
        qsort(ids, *n, sizeof *ids, by_str);
    return ids;
}

/* The query's uid for the searched part. */
static pc_uid *searched_uid(pc_srv_az_query *q, pc_srv_az_search kind)
{
    return kind == PC_SRV_AZ_SUBJECT ? &q->principal
           : kind == PC_SRV_AZ_RESOURCE ? &q->resource
                                        : &q->action;
}

/* Append one result: {"type": T, "id": I} or, for actions, {"name": I}. */
static void put_result(pc_buf *out, pc_srv_az_search kind, const char *type, pc_str id)
{
    if (kind == PC_SRV_AZ_ACTION) {
        pc_buf_puts(out, "{\"name\":");
    } else {
        pc_buf_puts(out, "{\"type\":");
        pc_buf_json_string(out, type, strlen(type));
        pc_buf_puts(out, ",\"id\":");
    }
    pc_buf_json_string(out, id.ptr, id.len);
    pc_buf_putc(out, '}');
}

/*
** Decide each candidate (each one a decision of its own in the log); write
** "results" (the allowed ones within the page) and "page". A candidate
** whose record cannot be written is not allowed: PC_SRV_AZ_FAILED with
** failed saying why, else PC_SRV_AZ_ALLOW.
*/
static pc_srv_az_verdict run(pc_srv_exchange *x, const pc_srv_caller *c, pc_srv_az_search kind,
                             pc_srv_az_query *q, const char *type, const pc_str *ids, size_t n,
                             const page *p, pc_buf *failed)
{
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    const pc_srv_mapping *m = &x->srv->cfg->map;
    pc_decision *dec = pc_srv_thread_decision();
    pc_uid *uid = searched_uid(q, kind);
    pc_srv_az_verdict outcome = PC_SRV_AZ_ALLOW;
    pc_buf why;
    pc_buf_init(&why);
    size_t allowed = 0, shown = 0;
    pc_buf_puts(&x->out, "{\"results\":[");
    for (size_t i = 0; i < n; i++) {
        pc_srv_entry where = {.item = i, .in_batch = true, .started_ns = pc_srv_now_ns()};
        uid->id = ids[i];   /* the snapshot's string, alive as long as the exchange */
        pc_buf_clear(&why);
        pc_srv_az_verdict decided = pc_srv_az_decide(snap, m, q, dec, &why);
        where.approval_pending = decided == PC_SRV_AZ_ALLOW && pc_srv_needs_approval(dec);
        pc_srv_az_verdict v = pc_srv_az_journal(x, c, q, decided, dec, &where, &why);
        if (v == PC_SRV_AZ_ALLOW && where.approval_pending)
            v = decided = PC_SRV_AZ_DENY;   /* held for a human: not listed as allowed */
        pc_srv_az_count(x, v);
        if (v != decided && outcome != PC_SRV_AZ_FAILED) {   /* the log refused it */
            outcome = PC_SRV_AZ_FAILED;
            pc_buf_puts(failed, why.data ? why.data : "audit: a decision could not be logged");
        }
        if (v != PC_SRV_AZ_ALLOW || allowed++ < p->offset || shown == p->limit)
            continue;
        if (shown++ > 0)
            pc_buf_putc(&x->out, ',');
        put_result(&x->out, kind, type, ids[i]);
    }
    bool more = p->offset + shown < allowed;
    pc_buf_printf(&x->out, "],\"page\":{\"next_token\":\"");
    if (more)
        pc_buf_printf(&x->out, "%zu", p->offset + shown);
    pc_buf_printf(&x->out, "\",\"count\":%zu,\"total\":%zu}", shown, allowed);
    pc_buf_free(&why);
    return outcome;
}

/* Close the answer; a search that could not be evaluated says why in its context. */
static void finish(pc_srv_exchange *x, pc_srv_az_verdict v, const pc_buf *why)
{
    if (v == PC_SRV_AZ_FAILED) {
        pc_buf_puts(&x->out, ",\"context\":{\"error\":");
        pc_buf_json_string(&x->out, why->data ? why->data : "", why->len);
        pc_buf_putc(&x->out, '}');
    }
    pc_buf_putc(&x->out, '}');
    pc_srv_reply(x, MHD_HTTP_OK);
}

/* The searched part's AuthZEN type (for the results) and Cedar type. */
static bool searched_types(const pc_srv_mapping *m, const pc_srv_az_input *in,
                           pc_srv_az_search kind, const char **authzen, pc_buf *cedar)
{
    json_t *part = kind == PC_SRV_AZ_SUBJECT ? in->subject : in->resource;
    *authzen = kind == PC_SRV_AZ_ACTION ? NULL : json_string_value(json_object_get(part, "type"));
    return kind == PC_SRV_AZ_ACTION ? pc_srv_az_action_type(m, cedar)
                                    : pc_srv_az_cedar_type(m, *authzen, cedar);
}

static void search(pc_srv_exchange *x, pc_srv_az_search kind)
{
    json_t *root = pc_srv_json_body(x);
    page p;
    if (!root || !read_page(x, root, &p)) {
        json_decref(root);
        return;
    }
    pc_srv_az_input in = {json_object_get(root, "subject"), json_object_get(root, "action"),
                          json_object_get(root, "resource"), json_object_get(root, "context")};
    pc_srv_az_query q;
    pc_srv_az_query_init(&q);
    pc_buf why, cedar;
    pc_buf_init(&why);
    pc_buf_init(&cedar);
    const char *type = NULL;
    size_t n = 0;
    pc_str *ids = NULL;
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    pc_srv_caller c;
    pc_srv_caller_init(&c);
    pc_srv_caller_identify(x, NULL, &c);
    pc_srv_az_verdict v = pc_srv_az_prepare(x->srv->cfg, snap, &c, &in, kind,
                                            pc_srv_thread_overlay(), &q, &why);
    if (v == PC_SRV_AZ_INVALID)
        pc_srv_fail(x, MHD_HTTP_BAD_REQUEST, "%s", why.data ? why.data : "invalid request");
    else if (!searched_types(&x->srv->cfg->map, &in, kind, &type, &cedar) ||
             !(ids = candidates(snap, cedar.data, &n)))
        pc_srv_fail(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory listing candidates");
    else {
        pc_srv_az_verdict ran = run(x, &c, kind, &q, type, ids, v == PC_SRV_AZ_ALLOW ? n : 0,
                                    &p, &why);
        finish(x, v == PC_SRV_AZ_ALLOW ? ran : v, &why);
    }
    free(ids);
    pc_srv_caller_clear(&c);
    pc_srv_az_query_free(&q);
    pc_buf_free(&why);
    pc_buf_free(&cedar);
    json_decref(root);
}

void pc_srv_az_search_subject(pc_srv_exchange *x) { search(x, PC_SRV_AZ_SUBJECT); }
void pc_srv_az_search_resource(pc_srv_exchange *x) { search(x, PC_SRV_AZ_RESOURCE); }
void pc_srv_az_search_action(pc_srv_exchange *x) { search(x, PC_SRV_AZ_ACTION); }
