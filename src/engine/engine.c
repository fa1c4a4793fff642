/*
** engine/engine.c — the public API (portcullis.h) over the rooms.
**
** An engine is built by loads and then frozen. It owns one interner (every
** name in policies, schema and entities is interned there, so most string
** compares are pointer compares), one arena for the policy ASTs, the schema
** and the entity store. pc_authorize never writes to the engine: request
** strings are copied into the decision's arena rather than interned, which
** is what makes concurrent decisions on one engine safe.
**
** A pc_decision owns a request arena that is reset, not freed, between calls,
** so a warmed-up decision allocates nothing from the heap.
*/
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "validate/validate.h"

#define REQUEST_ARENA_BLOCK 16384
#define REQUEST_ARENA_LIMIT (64u << 20)   /* one request may not use more than this */

static pc_status index_active(pc_engine *e, pc_diag *d);

pc_engine *pc_engine_new(void)
{
    pc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->intern = pc_intern_new();
    if (!e->intern) {
        free(e);
        return NULL;
    }
    pc_arena_init(&e->arena, 65536, 0);
    if (pc_entities_empty(e->intern, NULL, &e->entities, NULL) != PC_OK ||
        index_active(e, NULL) != PC_OK) {
        pc_engine_free(e);
        return NULL;
    }
    return e;
}

void pc_engine_free(pc_engine *e)
{
    if (!e)
        return;
    pc_entities_free(e->entities);
    pc_schema_free(e->schema);
    pc_policy_list_free(&e->policies);
    pc_index_free(e->index);
    free(e->active);
    pc_arena_free(&e->arena);
    pc_intern_free(e->intern);
    free(e);
}

/*
** Rebuild the array of policies that decide (everything but unlinked
** templates) and the scope index over it. On failure the engine keeps its
** previous array and index, which still describe the policies that decided
** before this load.
*/
static pc_status index_active(pc_engine *e, pc_diag *d)
{
    const pc_policy **active = malloc((e->policies.n + 1) * sizeof *active);
    if (!active)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory indexing policies");
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->policies.n; i++)
        if (!e->policies.items[i]->is_template)
            active[n++] = e->policies.items[i];
    pc_policy_index *ix = NULL;
    if (pc_index_build(active, n, &ix, d) != PC_OK) {
        free(active);
        return d ? d->status : PC_ERR_NOMEM;
    }
    pc_index_free(e->index);
    free(e->active);
    e->index = ix;
    e->active = active;
    e->n_active = n;
    return PC_OK;
}

pc_status pc_engine_load_policies(pc_engine *e, const char *text, size_t len, const char *name,
                                  pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    if (len > PC_MAX_POLICY_BYTES) {
        pc_diag_set(&d, PC_ERR_LIMIT, "%s: policy text of %zu bytes exceeds the limit of %u",
                    name, len, PC_MAX_POLICY_BYTES);
    } else {
        /* the parser copies the text into the arena: policies keep their source */
        const char *src_name = pc_arena_strdup(&e->arena, name ? name : "<policies>");
        if (src_name &&
            pc_parse_policies(&e->arena, e->intern, text, len, src_name, &e->next_id, &e->policies,
                              &d) == PC_OK)
            index_active(e, &d);
        else if (d.status == PC_OK)
            pc_diag_set(&d, PC_ERR_NOMEM, "out of memory loading policies");
    }
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}

pc_status pc_engine_load_schema(pc_engine *e, const char *text, size_t len, pc_schema_format fmt,
                                const char *name, pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_schema *s = NULL;
    if (!name)
        name = "<schema>";
    if (e->schema || e->entities_loaded)
        pc_diag_set(&d, PC_ERR_STATE, "%s: load the schema once, before any entities", name);
    else if (fmt == PC_SCHEMA_JSON)
        pc_schema_parse_json(e->intern, text, len, name, &s, &d);
    else
        pc_schema_parse_cedar(e->intern, text, len, name, &s, &d);
    pc_entities *store = NULL;
    if (d.status == PC_OK && pc_entities_empty(e->intern, s, &store, &d) == PC_OK) {
        pc_entities_free(e->entities);
        e->entities = store;
        e->schema = s;
    } else {
        pc_schema_free(s);
    }
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}

pc_status pc_engine_load_entities(pc_engine *e, const char *json, size_t len, const char *name,
                                  pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_entities *store = NULL;
    if (e->entities_loaded)
        pc_diag_set(&d, PC_ERR_STATE, "%s: entities are already loaded; load them once",
                    name ? name : "<entities>");
    else if (pc_entities_parse(e->intern, e->schema, json, len, name ? name : "<entities>", &store,
                               &d) == PC_OK) {
        pc_entities_free(e->entities);
        e->entities = store;
        e->entities_loaded = true;
    }
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}

size_t pc_engine_policy_count(const pc_engine *e) { return e->n_active; }

const pc_entities *pc_engine_entities(const pc_engine *e) { return e->entities; }
const pc_schema *pc_engine_schema(const pc_engine *e) { return e->schema; }

/* ---- decisions ------------------------------------------------------- */

pc_decision *pc_decision_new(void)
{
    pc_decision *d = calloc(1, sizeof *d);
    if (d)
        pc_arena_init(&d->arena, REQUEST_ARENA_BLOCK, REQUEST_ARENA_LIMIT);
    return d;
}

void pc_decision_free(pc_decision *d)
{
    if (!d)
        return;
    pc_arena_free(&d->arena);
    free(d);
}

bool pc_decision_allowed(const pc_decision *d) { return d->answer.allow; }
size_t pc_decision_reason_count(const pc_decision *d) { return d->answer.n_reasons; }
const char *pc_decision_reason(const pc_decision *d, size_t i)
{
    return i < d->answer.n_reasons ? d->answer.reasons[i]->id.ptr : NULL;
}
size_t pc_decision_error_count(const pc_decision *d) { return d->answer.n_errors; }
const char *pc_decision_error_policy(const pc_decision *d, size_t i)
{
    return i < d->answer.n_errors ? d->answer.errors[i].policy->id.ptr : NULL;
}
const char *pc_decision_error_message(const pc_decision *d, size_t i)
{
    return i < d->answer.n_errors ? d->answer.errors[i].message : NULL;
}

/*
** A request as the engine receives it: each uid is either JSON already parsed
** (json) or text (Cedar syntax, or JSON when it starts with '{').
*/
typedef struct raw_uid {
    const char *what;
    const char *text;
    json_t *json;
} raw_uid;

static pc_status request_uid(const pc_json_in *in, const raw_uid *raw, const pc_uid **out,
                             pc_diag *d)
{
    json_t *parsed = NULL, *j = raw->json;
    pc_status st;
    if (!j && !raw->text)
        return pc_diag_set(d, PC_ERR_REQUEST, "request has no %s", raw->what);
    if (!j) {
        const char *t = raw->text;
        while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
            t++;
        if (*t == '{' && !(j = parsed = pc_json_parse(t, strlen(t), raw->what, d)))
            return PC_ERR_REQUEST;
    }
    if (j) {   /* messages from the JSON reader already name the uid's role */
        st = pc_uid_from_json(in, j, raw->what, out, d);
    } else {
        pc_uid *u = NULL;
        st = pc_parse_uid(in->arena, NULL, raw->text, strlen(raw->text), &u, d);
        *out = u;
        if (st != PC_OK)
            pc_diag_prefix(d, "%s", raw->what);
    }
    json_decref(parsed);
    if (st == PC_OK)
        return PC_OK;
    return pc_diag_set(d, PC_ERR_REQUEST, "%s: not an entity uid", raw->what);
}

/* The request's context: an absent one is the empty record (a shortcut past the JSON reader). */
static pc_status request_context(const pc_json_in *in, const pc_uid *action, json_t *ctx,
                                 pc_value *out, pc_diag *d)
{
    if (ctx)
        return pc_context_from_json(in, action, ctx, out, d);
    const pc_record *empty = pc_record_make(in->arena, NULL, 0, NULL);
    *out = pc_v_record(empty);
    return empty ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory reading the context");
}

/* Read the context of a request whose uids are made, check it, and decide it. */
static pc_status decide_request(const pc_engine *e, const pc_entities *store,
                                pc_eval_request *r, json_t *ctx, bool validate,
                                pc_decision *dec, pc_diag *d)
{
    pc_json_in in = {&dec->arena, NULL, e->schema, "request"};
    if (request_context(&in, r->action, ctx, &r->context, d) != PC_OK)
        return PC_ERR_REQUEST;
    if (validate && e->schema &&
        pc_request_validate(e->schema, r->principal, r->action, r->resource, &r->context, d) !=
            PC_OK)
        return PC_ERR_REQUEST;
    const pc_entities *ents = store ? store : e->entities;
    pc_status st = pc_authorize_indexed(e->index, r, ents, &dec->arena, &dec->answer);
    if (st != PC_OK) {
        memset(&dec->answer, 0, sizeof dec->answer);   /* fail closed: deny */
        return pc_diag_set(d, st, "out of memory while deciding (request arena limit %u bytes)",
                           REQUEST_ARENA_LIMIT);
    }
    return PC_OK;
}

/* Turn a raw request into the evaluator's form, in the decision's arena, and decide it. */
static pc_status decide(const pc_engine *e, const pc_entities *store, const raw_uid uids[3],
                        json_t *ctx, bool validate, pc_decision *dec, pc_diag *d)
{
    pc_json_in in = {&dec->arena, NULL, e->schema, "request"};
    pc_eval_request r;
    pc_arena_reset(&dec->arena);
    memset(&dec->answer, 0, sizeof dec->answer);
    if (request_uid(&in, &uids[0], &r.principal, d) != PC_OK ||
        request_uid(&in, &uids[1], &r.action, d) != PC_OK ||
        request_uid(&in, &uids[2], &r.resource, d) != PC_OK)
        return PC_ERR_REQUEST;
    return decide_request(e, store, &r, ctx, validate, dec, d);
}

/* Every public way to decide ends here: any failure leaves the answer a deny, never a stale allow. */
static pc_status settle(pc_decision *dec, pc_status st)
{
    if (st != PC_OK)
        memset(&dec->answer, 0, sizeof dec->answer);
    return st;
}

pc_status pc_authorize(const pc_engine *e, const pc_request *req, pc_decision *dec, pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    raw_uid uids[3] = {{"principal", req->principal, NULL},
                       {"action", req->action, NULL},
                       {"resource", req->resource, NULL}};
    json_t *ctx = NULL;
    pc_status st = PC_OK;
    if (req->context_json &&
        !(ctx = pc_json_parse(req->context_json, strlen(req->context_json), "context", &d)))
        st = PC_ERR_REQUEST;
    if (st == PC_OK)
        st = decide(e, NULL, uids, ctx, req->validate, dec, &d);
    json_decref(ctx);
    pc_diag_to_error(&d, err);
    return settle(dec, st);
}

pc_status pc_authorize_json(const pc_engine *e, json_t *principal, json_t *action,
                            json_t *resource, json_t *context, bool validate, pc_decision *dec,
                            pc_diag *d)
{
    return pc_authorize_json_in(e, NULL, principal, action, resource, context, validate, dec, d);
}

pc_status pc_authorize_json_in(const pc_engine *e, const pc_entities *store, json_t *principal,
                               json_t *action, json_t *resource, json_t *context, bool validate,
                               pc_decision *dec, pc_diag *d)
{
    raw_uid uids[3] = {{"principal", NULL, principal},
                       {"action", NULL, action},
                       {"resource", NULL, resource}};
    for (int i = 0; i < 3; i++)
        if (json_is_string(uids[i].json)) {   /* Cedar syntax inside JSON */
            uids[i].text = json_string_value(uids[i].json);
            uids[i].json = NULL;
        } else if (!uids[i].json) {
            return settle(dec, pc_diag_set(d, PC_ERR_REQUEST, "request has no %s", uids[i].what));
        }
    return settle(dec, decide(e, store, uids, context, validate, dec, d));
}

pc_status pc_authorize_uids_in(const pc_engine *e, const pc_entities *store,
                               const pc_uid *principal, const pc_uid *action,
                               const pc_uid *resource, json_t *context, bool validate,
                               pc_decision *dec, pc_diag *d)
{
    pc_eval_request r = {principal, action, resource, pc_v_bool(false)};
    pc_arena_reset(&dec->arena);
    memset(&dec->answer, 0, sizeof dec->answer);
    return settle(dec, decide_request(e, store, &r, context, validate, dec, d));
}

/* ---- template linking ------------------------------------------------ */

static const pc_policy *find_policy(const pc_engine *e, const char *id)
{
    for (uint32_t i = 0; i < e->policies.n; i++)
        if (pc_str_eq_cstr(e->policies.items[i]->id, id))
            return e->policies.items[i];
    return NULL;
}

/* Fill a slot of the scope with u; a value without a slot, or a slot without one, is refused. */
static pc_status fill_slot(pc_scope *scope, bool has_slot, const char *what, const pc_uid *u,
                           pc_diag *d)
{
    if (!has_slot)
        return u ? pc_diag_set(d, PC_ERR_INVALID,
                               "the template has no ?%s slot, but a %s was given", what, what)
                 : PC_OK;
    if (!u)
        return pc_diag_set(d, PC_ERR_INVALID, "the template has a ?%s slot, but no %s was given",
                           what, what);
    scope->uid = u;
    return PC_OK;
}

/* An optional uid in Cedar syntax (NULL text: none). */
static pc_status parse_opt_uid(pc_engine *e, const char *text, const pc_uid **out, pc_diag *d)
{
    pc_uid *u = NULL;
    *out = NULL;
    if (!text)
        return PC_OK;
    if (pc_parse_uid(&e->arena, e->intern, text, strlen(text), &u, d) != PC_OK)
        return d ? d->status : PC_ERR_PARSE;
    *out = u;
    return PC_OK;
}

static pc_status list_push(pc_policy_list *l, pc_policy *p, pc_diag *d)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        pc_policy **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return pc_diag_set(d, PC_ERR_NOMEM, "out of memory adding a policy");
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = p;
    return PC_OK;
}

/* Append template t linked as new_id with these slot values (the index is the caller's). */
static pc_status link_policy(pc_engine *e, const pc_policy *t, pc_str new_id,
                             const pc_uid *principal, const pc_uid *resource, pc_diag *d)
{
    pc_policy *p = pc_arena_alloc(&e->arena, sizeof *p);
    if (!p)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory linking a template");
    *p = *t;
    p->is_template = false;
    p->template_of = t;
    p->id = new_id;
    if (fill_slot(&p->principal, t->has_principal_slot, "principal", principal, d) != PC_OK ||
        fill_slot(&p->resource, t->has_resource_slot, "resource", resource, d) != PC_OK)
        return d ? d->status : PC_ERR_INVALID;
    return list_push(&e->policies, p, d);
}

pc_status pc_engine_link(pc_engine *e, const char *template_id, const char *new_id,
                         const char *principal, const char *resource, pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    const pc_policy *t = template_id ? find_policy(e, template_id) : NULL;
    const pc_uid *pu = NULL, *ru = NULL;
    pc_str id = PC_STR_NULL;
    if (!t || !t->is_template)
        pc_diag_set(&d, PC_ERR_INVALID, "no template with id \"%s\"", template_id ? template_id : "");
    else if (!new_id || find_policy(e, new_id))
        pc_diag_set(&d, PC_ERR_INVALID, "policy id \"%s\" is missing or already in use",
                    new_id ? new_id : "");
    else if (!(id = pc_intern_str(e->intern, new_id, strlen(new_id))).ptr)
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory linking a template");
    if (d.status == PC_OK && parse_opt_uid(e, principal, &pu, &d) == PC_OK &&
        parse_opt_uid(e, resource, &ru, &d) == PC_OK && link_policy(e, t, id, pu, ru, &d) == PC_OK)
        index_active(e, &d);
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}

/* Is id used by one of the engine's first n policies? */
static bool id_taken(const pc_engine *e, uint32_t n, pc_str id)
{
    for (uint32_t i = 0; i < n; i++)
        if (pc_str_eq(e->policies.items[i]->id, id))
            return true;
    return false;
}

static pc_status id_in_use(const char *name, pc_str id, pc_diag *d)
{
    return pc_diag_set(d, PC_ERR_INVALID, "%s: policy id \"%.*s\" is already in use", name,
                       (int)id.len, id.ptr);
}

/*
** After a JSON load appended policies from index first on: refuse ids that
** earlier loads hold (the document already refused its own repeats), then
** link the document's templates as it asks.
*/
static pc_status apply_links(pc_engine *e, uint32_t first, const pc_policy_links *links,
                             const char *name, pc_diag *d)
{
    for (uint32_t i = first; i < e->policies.n; i++)
        if (id_taken(e, first, e->policies.items[i]->id))
            return id_in_use(name, e->policies.items[i]->id, d);
    for (uint32_t i = 0; i < links->n; i++) {
        const pc_policy_link *l = &links->items[i];
        if (id_taken(e, first, l->new_id))
            return id_in_use(name, l->new_id, d);
        if (link_policy(e, l->template_of, l->new_id, l->principal, l->resource, d) != PC_OK) {
            pc_diag_prefix(d, "%s: templateLinks[%u] (\"%.*s\")", name, (unsigned)i,
                           (int)l->new_id.len, l->new_id.ptr);
            return d->status;
        }
    }
    return PC_OK;
}

pc_status pc_engine_load_policies_json(pc_engine *e, const char *json, size_t len,
                                       const char *name, pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    uint32_t first = e->policies.n, next_id = e->next_id;
    pc_policy_links links = {0};
    if (!name)
        name = "<policies>";   /* the parser keeps its own copies of the name */
    if (pc_parse_policies_json(&e->arena, e->intern, json, len, name, &next_id, &e->policies,
                               &links, &d) == PC_OK &&
        apply_links(e, first, &links, name, &d) == PC_OK)
        index_active(e, &d);
    if (d.status == PC_OK)
        e->next_id = next_id;
    else
        e->policies.n = first;   /* all or nothing; the arena keeps the rest until the engine goes */
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}

/* ---- validation ------------------------------------------------------- */

pc_status pc_engine_validate(const pc_engine *e, pc_error *err)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_vresult r = {0};
    if (!e->schema)
        pc_diag_set(&d, PC_ERR_STATE, "no schema is loaded: policies can only be validated against one");
    else if (pc_validate(e->schema, (const pc_policy *const *)e->policies.items, e->policies.n, &r,
                         &d) == PC_OK && r.n_errors > 0) {
        pc_buf b;
        pc_buf_init(&b);
        pc_buf_printf(&b, "the policies do not validate against the schema (%u error%s):", r.n_errors,
                      r.n_errors == 1 ? "" : "s");
        for (uint32_t i = 0; i < r.n; i++) {
            if (r.items[i].warning)
                continue;
            char *m = pc_vissue_format(&r.items[i]);
            pc_buf_printf(&b, "\n%s", m ? m : "(out of memory formatting an issue)");
            free(m);
        }
        pc_diag_set(&d, b.oom ? PC_ERR_NOMEM : PC_ERR_VALIDATE, "%s",
                    b.oom ? "out of memory reporting validation errors" : b.data);
        pc_buf_free(&b);
    }
    pc_vresult_free(&r);
    pc_status st = d.status;
    pc_diag_to_error(&d, err);
    return st;
}
