/*
** server/mapping.c — turning AuthZEN input into a Cedar request.
**
** The rules are listed in authzen.h. Shape checks come first and name the
** offending field ("subject.id must be a non-empty string"), so a client can
** fix its request; nothing is decided until the whole input has passed them.
** Properties travel as request-scoped entities, laid over the stored ones in
** the thread's overlay (entity/overlay.c), so they are checked against the
** schema like stored attributes and can never widen what another request
** sees.
*/
#include <ctype.h>
#include <string.h>

#include "authzen.h"

#define WHY(...) (pc_buf_printf(why, __VA_ARGS__), PC_SRV_AZ_INVALID)

/* ---- types ----------------------------------------------------------- */

static bool put_namespace(const pc_srv_mapping *m, pc_buf *out)
{
    return !m->cedar_namespace[0] || pc_buf_printf(out, "%s::", m->cedar_namespace);
}

bool pc_srv_az_cedar_type(const pc_srv_mapping *m, const char *type, pc_buf *out)
{
    pc_buf_clear(out);
    for (uint32_t i = 0; i < m->n_types; i++)
        if (!strcmp(m->types[i].authzen, type))
            return pc_buf_puts(out, m->types[i].cedar);
    if (!put_namespace(m, out) || !pc_buf_puts(out, type))
        return false;
    if (m->capitalize) {
        char *first = out->data + out->len - strlen(type);
        *first = (char)toupper((unsigned char)*first);
    }
    return true;
}

bool pc_srv_az_action_type(const pc_srv_mapping *m, pc_buf *out)
{
    pc_buf_clear(out);
    return put_namespace(m, out) && pc_buf_puts(out, "Action");
}

/* ---- shape checks ---------------------------------------------------- */

static bool nonempty_string(json_t *j)
{
    return json_is_string(j) && json_string_length(j) > 0;
}

/* A type becomes part of a Cedar name, which cannot hold NUL (ids and names may). */
static bool type_name(json_t *j)
{
    return nonempty_string(j) && strlen(json_string_value(j)) == json_string_length(j);
}

/* A subject or resource: {type, id, properties?}; id optional when searched. */
static pc_srv_az_verdict check_entity(json_t *e, const char *what, bool need_id, pc_buf *why)
{
    if (!e)
        return WHY("%s is required", what);
    if (!json_is_object(e))
        return WHY("%s must be an object", what);
    if (!type_name(json_object_get(e, "type")))
        return WHY("%s.type must be a non-empty string without NUL characters", what);
    json_t *id = json_object_get(e, "id");
    if ((need_id || id) && !nonempty_string(id))
        return WHY("%s.id must be a non-empty string", what);
    json_t *props = json_object_get(e, "properties");
    if (props && !json_is_object(props))
        return WHY("%s.properties must be an object", what);
    return PC_SRV_AZ_ALLOW;
}

static pc_srv_az_verdict check_action(json_t *a, pc_buf *why)
{
    if (!a)
        return WHY("action is required");
    if (!json_is_object(a))
        return WHY("action must be an object");
    if (!nonempty_string(json_object_get(a, "name")))
        return WHY("action.name must be a non-empty string");
    json_t *props = json_object_get(a, "properties");
    if (props && !json_is_object(props))
        return WHY("action.properties must be an object");
    return PC_SRV_AZ_ALLOW;
}

static pc_srv_az_verdict check_input(const pc_srv_az_input *in, pc_srv_az_search search,
                                     pc_buf *why)
{
    pc_srv_az_verdict v = check_entity(in->subject, "subject", search != PC_SRV_AZ_SUBJECT, why);
    if (v == PC_SRV_AZ_ALLOW && search != PC_SRV_AZ_ACTION)
        v = check_action(in->action, why);
    if (v == PC_SRV_AZ_ALLOW)
        v = check_entity(in->resource, "resource", search != PC_SRV_AZ_RESOURCE, why);
    if (v == PC_SRV_AZ_ALLOW && in->context && !json_is_object(in->context))
        v = WHY("context must be an object");
    return v;
}

/* ---- building the query ---------------------------------------------- */

/*
** Map an AuthZEN type (NULL: the action type) into t, unless t holds its
** mapping already; PC_OK, or an error when the result is no Cedar name.
*/
static pc_status map_type(const pc_srv_mapping *m, const char *authzen, pc_srv_az_type *t,
                          pc_diag *d)
{
    const char *key = authzen ? authzen : "Action";
    if (!t->authzen.data || strcmp(t->authzen.data, key) != 0) {
        pc_buf_clear(&t->authzen);
        bool mapped = pc_buf_puts(&t->authzen, key) &&
                      (authzen ? pc_srv_az_cedar_type(m, authzen, &t->cedar)
                               : pc_srv_az_action_type(m, &t->cedar));
        if (!mapped || t->cedar.oom) {
            pc_buf_clear(&t->authzen);   /* nothing cached from a failed mapping */
            return pc_diag_set(d, PC_ERR_NOMEM, "out of memory building the Cedar request");
        }
        t->valid = pc_entity_type_ok((pc_str){t->cedar.data, t->cedar.len});
    }
    if (!t->valid)
        return pc_diag_set(d, PC_ERR_REQUEST, "type \"%s\" maps to \"%s\", which is not a valid "
                           "Cedar entity type name", key, t->cedar.data);
    return PC_OK;
}

/* The mapped uid of a subject or resource into *u; id "" when it is searched. */
static pc_status uid_of(const pc_srv_mapping *m, json_t *e, pc_srv_az_type *t, pc_uid *u,
                        pc_diag *d)
{
    json_t *id = json_object_get(e, "id");
    pc_status st = map_type(m, json_string_value(json_object_get(e, "type")), t, d);
    u->type = (pc_str){t->cedar.data, t->cedar.len};
    u->id = id ? (pc_str){json_string_value(id), json_string_length(id)} : (pc_str){"", 0};
    return st;
}

/*
** The entity's properties plus the configured top-level fields it carries:
** its "properties" object as is when it has no such field, else a merged
** copy. *out is NULL when there are none; false when out of memory.
*/
static bool properties_of(const pc_srv_mapping *m, json_t *e, json_t **out)
{
    json_t *given = json_object_get(e, "properties");
    bool top = false;
    for (uint32_t i = 0; i < m->top_level.n && !top; i++)
        top = json_object_get(e, m->top_level.items[i]) != NULL;
    *out = NULL;
    if (!top) {
        if (json_object_size(given) > 0)
            *out = json_incref(given);
        return true;
    }
    json_t *props = given ? json_copy(given) : json_object();
    for (uint32_t i = 0; props && i < m->top_level.n; i++) {
        json_t *v = json_object_get(e, m->top_level.items[i]);
        if (v && !json_object_get(props, m->top_level.items[i]) &&
            json_object_set(props, m->top_level.items[i], v) != 0) {
            json_decref(props);
            props = NULL;
        }
    }
    *out = props;
    return props != NULL;
}

/*
** Lay the subject's and resource's properties over their stored attributes
** in the overlay (not for a searched part: its properties do not apply to
** the candidates), and a verified principal the store lacks (caller.h),
** whose attributes the body's subject properties never touch. q->store
** stays NULL when there is nothing to lay over.
*/
static pc_status overlay_properties(const pc_srv_mapping *m, const pc_srv_snapshot *snap,
                                    const pc_srv_caller *c, const pc_srv_az_input *in,
                                    pc_srv_az_search search, pc_overlay *o, pc_srv_az_query *q,
                                    pc_diag *d)
{
    bool bound = c->who == PC_SRV_VERIFIED && search != PC_SRV_AZ_SUBJECT;
    bool lay = bound && pc_srv_caller_needs_entity(c, pc_engine_entities(snap->engine));
    json_t *sp = NULL, *rp = NULL;
    bool read = !m->properties ||
                ((search == PC_SRV_AZ_SUBJECT || bound || properties_of(m, in->subject, &sp)) &&
                 (search == PC_SRV_AZ_RESOURCE || properties_of(m, in->resource, &rp)));
    if (!read) {
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading properties");
    } else if ((sp || rp || lay) && !o) {
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory: no request-entity state for this thread");
    } else if (sp || rp || lay) {
        pc_overlay_reset(o, pc_engine_entities(snap->engine), pc_engine_schema(snap->engine),
                         NULL);
        if ((!sp || pc_overlay_set_attrs(o, &q->principal, sp, d) == PC_OK) &&
            (!rp || pc_overlay_set_attrs(o, &q->resource, rp, d) == PC_OK) &&
            (!lay || pc_srv_caller_lay(c, o, d) == PC_OK) && pc_overlay_finish(o, d) == PC_OK)
            q->store = pc_overlay_store(o);
    }
    json_decref(sp);
    json_decref(rp);
    return d->status;
}

/*
** The request context with the action's properties added under keys it
** lacks: a new reference to the request's own context when there are none
** (NULL for {}), else a merged copy. False when out of memory.
*/
static bool context_of(const pc_srv_mapping *m, const pc_srv_az_input *in, json_t **out)
{
    json_t *props = m->action_properties ? json_object_get(in->action, "properties") : NULL;
    *out = NULL;
    if (json_object_size(props) == 0) {
        *out = json_incref(in->context);
        return true;
    }
    json_t *ctx = in->context ? json_copy(in->context) : json_object();
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v) {
        if (ctx && !json_object_get(ctx, key) && json_object_set(ctx, key, v) != 0) {
            json_decref(ctx);
            ctx = NULL;
        }
    }
    *out = ctx;
    return ctx != NULL;
}

/* Uids and context; PC_OK or an error in d. */
static pc_status build_query(const pc_srv_mapping *m, const pc_srv_az_input *in,
                             pc_srv_az_search search, pc_srv_az_query *q, pc_diag *d)
{
    json_t *name = json_object_get(in->action, "name");
    if (uid_of(m, in->subject, &q->types[0], &q->principal, d) != PC_OK ||
        uid_of(m, in->resource, &q->types[2], &q->resource, d) != PC_OK ||
        map_type(m, NULL, &q->types[1], d) != PC_OK)
        return d->status;
    if (!context_of(m, in, &q->context))
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory building the Cedar request");
    q->action.type = (pc_str){q->types[1].cedar.data, q->types[1].cedar.len};
    q->action.id = search == PC_SRV_AZ_ACTION
                       ? (pc_str){"", 0}
                       : (pc_str){json_string_value(name), json_string_length(name)};
    return PC_OK;
}

/*
** Bind the query to its caller (caller.h): a verified one becomes the
** principal (but when subjects are searched) after the must_match check,
** and the context gets its claims. PC_SRV_AZ_FAILED with why otherwise.
*/
static pc_srv_az_verdict bind_caller(const pc_srv_snapshot *snap, const pc_srv_config *cfg,
                                     const pc_srv_caller *c, pc_srv_az_search search,
                                     pc_srv_az_query *q, pc_buf *why)
{
    if (c->who == PC_SRV_VERIFIED && search != PC_SRV_AZ_SUBJECT) {
        if (!pc_srv_caller_subject_ok(cfg, c, &q->principal, why))
            return PC_SRV_AZ_FAILED;
        q->principal = pc_srv_caller_principal(c);
        if (!pc_entity_type_ok(q->principal.type)) {
            pc_buf_printf(why, "identity: mapping: %s is not a Cedar entity type",
                          c->r.subject.type);
            return PC_SRV_AZ_FAILED;
        }
    }
    json_t *ctx = NULL;
    if (!pc_srv_caller_context(snap, c, &q->action, q->context, &ctx)) {
        pc_buf_puts(why, "out of memory binding the request to its caller");
        return PC_SRV_AZ_FAILED;
    }
    json_decref(q->context);
    q->context = ctx;
    return PC_SRV_AZ_ALLOW;
}

pc_srv_az_verdict pc_srv_az_prepare(const pc_srv_config *cfg, const pc_srv_snapshot *snap,
                                    const pc_srv_caller *c, const pc_srv_az_input *in,
                                    pc_srv_az_search search, pc_overlay *overlay,
                                    pc_srv_az_query *q, pc_buf *why)
{
    json_decref(q->context);   /* what the last use of the query left */
    q->context = NULL;
    q->store = NULL;
    q->principal = q->action = q->resource = (pc_uid){PC_STR_NULL, PC_STR_NULL};
    pc_srv_az_verdict v = check_input(in, search, why);
    if (v != PC_SRV_AZ_ALLOW)
        return v;
    if (c->who == PC_SRV_REJECTED) {
        pc_buf_puts(why, c->why.data ? c->why.data : "identity: token rejected");
        return PC_SRV_AZ_FAILED;
    }
    const pc_srv_mapping *m = &cfg->map;
    pc_diag d;
    pc_diag_init(&d);
    if (build_query(m, in, search, q, &d) == PC_OK &&
        (v = bind_caller(snap, cfg, c, search, q, why)) == PC_SRV_AZ_ALLOW)
        overlay_properties(m, snap, c, in, search, overlay, q, &d);
    if (d.status != PC_OK) {
        pc_buf_puts(why, d.msg ? d.msg : "out of memory");
        v = PC_SRV_AZ_FAILED;
    }
    pc_diag_clear(&d);
    return v;
}

pc_srv_az_verdict pc_srv_az_decide(const pc_srv_snapshot *snap, const pc_srv_mapping *m,
                                   const pc_srv_az_query *q, pc_decision *dec, pc_buf *why)
{
    if (!dec) {
        pc_buf_puts(why, "out of memory: no decision state for this thread");
        return PC_SRV_AZ_FAILED;
    }
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_authorize_uids_in(snap->engine, q->store, &q->principal, &q->action,
                                        &q->resource, q->context, m->validate, dec, &d);
    pc_srv_az_verdict v = PC_SRV_AZ_FAILED;
    if (st == PC_OK)
        v = pc_decision_allowed(dec) ? PC_SRV_AZ_ALLOW : PC_SRV_AZ_DENY;
    else
        pc_buf_puts(why, d.msg ? d.msg : pc_status_name(st));
    pc_diag_clear(&d);
    return v;
}

pc_srv_az_verdict pc_srv_az_journal(pc_srv_exchange *x, const pc_srv_caller *c,
                                    const pc_srv_az_query *q, pc_srv_az_verdict v,
                                    const pc_decision *dec, const pc_srv_entry *where,
                                    pc_buf *why)
{
    bool decided = v == PC_SRV_AZ_ALLOW || v == PC_SRV_AZ_DENY;
    pc_srv_entry e = *where;
    e.principal = &q->principal;
    e.action = &q->action;
    e.resource = &q->resource;
    e.dec = decided ? dec : NULL;
    e.error = decided ? NULL : why->data ? why->data : "";
    e.issuer = c->who == PC_SRV_VERIFIED ? c->r.issuer : NULL;
    e.context = q->context;
    pc_buf failed;
    pc_buf_init(&failed);
    if (pc_srv_journal(x, &e, &failed) != PC_OK && decided) {
        pc_buf_clear(why);
        pc_buf_puts(why, failed.data ? failed.data : "audit: the decision could not be logged");
        v = PC_SRV_AZ_FAILED;
    }
    pc_buf_free(&failed);
    return v;
}

void pc_srv_az_query_init(pc_srv_az_query *q)
{
    memset(q, 0, sizeof *q);
    for (int i = 0; i < 3; i++) {
        pc_buf_init(&q->types[i].authzen);
        pc_buf_init(&q->types[i].cedar);
    }
}

void pc_srv_az_query_free(pc_srv_az_query *q)
{
    json_decref(q->context);
    for (int i = 0; i < 3; i++) {
        pc_buf_free(&q->types[i].authzen);
        pc_buf_free(&q->types[i].cedar);
    }
    memset(q, 0, sizeof *q);
}

void pc_srv_az_count(pc_srv_exchange *x, pc_srv_az_verdict v)
{
    x->outcomes[v == PC_SRV_AZ_ALLOW ? PC_SRV_ALLOW
                : v == PC_SRV_AZ_DENY ? PC_SRV_DENY
                                      : PC_SRV_ERROR]++;
}
