/*
** server/mapping.c — turning AuthZEN input into a Cedar request.
**
** The rules are listed in authzen.h. Shape checks come first and name the
** offending field ("subject.id must be a non-empty string"), so a client can
** fix its request; nothing is decided until the whole input has passed them.
** Properties travel as request-scoped entities (scope.c), so they are checked
** against the schema like stored attributes and can never widen what another
** request sees.
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

/* {"type": T, "id": I} with T mapped and I as given (NULs kept); "" for a searched part. */
static json_t *uid_of(const pc_srv_mapping *m, json_t *e, pc_buf *scratch)
{
    json_t *id = json_object_get(e, "id");
    if (!pc_srv_az_cedar_type(m, json_string_value(json_object_get(e, "type")), scratch))
        return NULL;
    return id ? json_pack("{s:s,s:O}", "type", scratch->data, "id", id)
              : json_pack("{s:s,s:s}", "type", scratch->data, "id", "");
}

/* The entity's properties plus configured top-level fields; NULL when none. */
static json_t *properties_of(const pc_srv_mapping *m, json_t *e)
{
    json_t *given = json_object_get(e, "properties");
    json_t *props = given ? json_copy(given) : json_object();
    for (uint32_t i = 0; props && i < m->n_top_level; i++) {
        json_t *v = json_object_get(e, m->top_level[i]);
        if (v && !json_object_get(props, m->top_level[i]))
            json_object_set(props, m->top_level[i], v);
    }
    if (props && json_object_size(props) == 0) {
        json_decref(props);
        return NULL;
    }
    return props;
}

/* Lay an entity's properties over its stored attributes, in the scope. */
static pc_status scope_entity(const pc_srv_mapping *m, const pc_srv_snapshot *snap,
                              pc_srv_scope *sc, json_t *e, json_t *uid, pc_diag *d)
{
    json_t *props = m->properties ? properties_of(m, e) : NULL;
    if (!props)
        return PC_OK;
    pc_status st = pc_srv_scope_add_properties(sc, snap, uid, props, d);
    json_decref(props);
    return st;
}

/* The request context with the action's properties added under keys it lacks. */
static json_t *context_of(const pc_srv_mapping *m, const pc_srv_az_input *in)
{
    json_t *ctx = in->context ? json_copy(in->context) : json_object();
    json_t *props = m->action_properties ? json_object_get(in->action, "properties") : NULL;
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v)
        if (ctx && !json_object_get(ctx, key))
            json_object_set(ctx, key, v);
    return ctx;
}

/* Uids, context and request-scoped entities; PC_OK or an error in d. */
static pc_status build_query(const pc_srv_mapping *m, const pc_srv_snapshot *snap,
                             const pc_srv_az_input *in, pc_srv_az_search search,
                             pc_srv_az_query *q, pc_diag *d)
{
    pc_buf scratch;
    pc_buf_init(&scratch);
    json_t *name = json_object_get(in->action, "name");
    q->principal = uid_of(m, in->subject, &scratch);
    q->resource = uid_of(m, in->resource, &scratch);
    if (pc_srv_az_action_type(m, &scratch))
        q->action = search == PC_SRV_AZ_ACTION
                        ? json_pack("{s:s,s:s}", "type", scratch.data, "id", "")
                        : json_pack("{s:s,s:O}", "type", scratch.data, "id", name);
    q->context = context_of(m, in);
    pc_buf_free(&scratch);
    if (!q->principal || !q->resource || !q->action || !q->context)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory building the Cedar request");
    /* the searched part is a placeholder: its properties do not apply to the candidates */
    pc_srv_scope sc;
    pc_srv_scope_init(&sc);
    bool scoped = (search == PC_SRV_AZ_SUBJECT ||
                   scope_entity(m, snap, &sc, in->subject, q->principal, d) == PC_OK) &&
                  (search == PC_SRV_AZ_RESOURCE ||
                   scope_entity(m, snap, &sc, in->resource, q->resource, d) == PC_OK);
    if (scoped && sc.n > 0)
        pc_srv_scope_build(&sc, snap, &q->store, d);
    pc_srv_scope_free(&sc);
    return d->status;
}

pc_srv_az_verdict pc_srv_az_prepare(const pc_srv_mapping *m, const pc_srv_snapshot *snap,
                                    const pc_srv_az_input *in, pc_srv_az_search search,
                                    pc_srv_az_query *q, pc_buf *why)
{
    memset(q, 0, sizeof *q);
    pc_srv_az_verdict v = check_input(in, search, why);
    if (v != PC_SRV_AZ_ALLOW)
        return v;
    pc_diag d;
    pc_diag_init(&d);
    if (build_query(m, snap, in, search, q, &d) != PC_OK) {
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
    pc_status st = pc_authorize_json_in(snap->engine, q->store, q->principal, q->action,
                                        q->resource, q->context, m->validate, dec, &d);
    pc_srv_az_verdict v = PC_SRV_AZ_FAILED;
    if (st == PC_OK)
        v = pc_decision_allowed(dec) ? PC_SRV_AZ_ALLOW : PC_SRV_AZ_DENY;
    else
        pc_buf_puts(why, d.msg ? d.msg : pc_status_name(st));
    pc_diag_clear(&d);
    return v;
}

void pc_srv_az_query_free(pc_srv_az_query *q)
{
    json_decref(q->principal);
    json_decref(q->action);
    json_decref(q->resource);
    json_decref(q->context);
    pc_entities_free(q->store);
    memset(q, 0, sizeof *q);
}

void pc_srv_az_count(pc_srv_exchange *x, pc_srv_az_verdict v)
{
    x->outcomes[v == PC_SRV_AZ_ALLOW ? PC_SRV_ALLOW
                : v == PC_SRV_AZ_DENY ? PC_SRV_DENY
                                      : PC_SRV_ERROR]++;
}
