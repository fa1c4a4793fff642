/*
** server/scope.c — building request-scoped entity stores.
**
** The store is rebuilt from text: the stored entities' JSON (kept by the
** snapshot) minus the ones the request replaces, plus the request's own,
** parsed by the entity room exactly as a file would be. That keeps one parser
** and one set of checks for all entity data, at the cost of a parse of the
** stored set per request that brings entities (the snapshot's store is used
** as is otherwise). The interner is not passed: the engine's interner is
** frozen and shared, so request strings are copied instead.
*/
#include <stdlib.h>
#include <string.h>

#include "scope.h"

void pc_srv_scope_init(pc_srv_scope *sc)
{
    pc_buf_init(&sc->json);
    sc->n = 0;
}

void pc_srv_scope_free(pc_srv_scope *sc)
{
    pc_buf_free(&sc->json);
    for (uint32_t i = 0; i < sc->n; i++)
        pc_srv_uid_free(&sc->uids[i]);
    sc->n = 0;
}

static bool in_scope(const pc_srv_scope *sc, const pc_srv_uid *uid)
{
    for (uint32_t i = 0; i < sc->n; i++)
        if (pc_srv_uid_cmp(&sc->uids[i], uid) == 0)
            return true;
    return false;
}

/* Append one entity object, whose uid is uid, to the scope. */
static pc_status append(pc_srv_scope *sc, const pc_srv_uid *uid, json_t *entity, pc_diag *d)
{
    if (sc->n == PC_SRV_MAX_SCOPED)
        return pc_diag_set(d, PC_ERR_LIMIT, "a request may bring at most %d entities",
                           PC_SRV_MAX_SCOPED);
    if (in_scope(sc, uid))
        return pc_diag_set(d, PC_ERR_REQUEST, "entity %s::\"%s\" is given twice in the request",
                           uid->type.ptr, uid->id.ptr);
    char *text = json_dumps(entity, JSON_COMPACT);
    bool ok = pc_srv_uid_copy(&sc->uids[sc->n], uid);
    sc->n++;   /* counted even when a copy failed, so scope_free frees what was made */
    ok = ok && text && (sc->json.len == 0 || pc_buf_putc(&sc->json, ',')) &&
         pc_buf_puts(&sc->json, text);
    free(text);
    return ok ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory holding request entities");
}

pc_status pc_srv_scope_add(pc_srv_scope *sc, json_t *entity, pc_diag *d)
{
    pc_srv_uid uid;
    if (!json_is_object(entity) || !pc_srv_uid_of(json_object_get(entity, "uid"), &uid))
        return pc_diag_set(d, PC_ERR_REQUEST,
                           "entities: each entity needs \"uid\": {\"type\": ..., \"id\": ...}");
    return append(sc, &uid, entity, d);
}

pc_status pc_srv_scope_add_properties(pc_srv_scope *sc, const pc_srv_snapshot *snap,
                                      json_t *uid_json, json_t *props, pc_diag *d)
{
    pc_srv_uid uid;
    if (!pc_srv_uid_of(uid_json, &uid))
        return pc_diag_set(d, PC_ERR_REQUEST, "an entity with properties has no type or id");
    const pc_srv_stored *st = pc_srv_snapshot_find(snap, &uid);
    json_t *ent = st ? json_loadb(st->json, st->len, JSON_ALLOW_NUL, NULL)
                     : json_pack("{s:O,s:{},s:[]}", "uid", uid_json, "attrs", "parents");
    json_t *attrs = json_object_get(ent, "attrs");
    if (ent && !attrs && json_object_set_new(ent, "attrs", json_object()) == 0)
        attrs = json_object_get(ent, "attrs");
    pc_status rc;
    if (!ent || !json_is_object(attrs) || json_object_update(attrs, props) != 0)
        rc = pc_diag_set(d, PC_ERR_NOMEM, "out of memory merging the properties of %s::\"%s\"",
                         uid.type.ptr, uid.id.ptr);
    else
        rc = append(sc, &uid, ent, d);
    json_decref(ent);
    return rc;
}

pc_status pc_srv_scope_build(const pc_srv_scope *sc, const pc_srv_snapshot *snap,
                             pc_entities **out, pc_diag *d)
{
    pc_buf text;
    pc_buf_init(&text);
    bool first = true;
    pc_buf_putc(&text, '[');
    for (uint32_t i = 0; i < snap->n_stored; i++) {
        const pc_srv_stored *s = &snap->stored[i];
        if (in_scope(sc, &s->uid))
            continue;
        if (!first)
            pc_buf_putc(&text, ',');
        pc_buf_append(&text, s->json, s->len);
        first = false;
    }
    if (sc->json.len) {
        if (!first)
            pc_buf_putc(&text, ',');
        pc_buf_append(&text, sc->json.data, sc->json.len);
    }
    pc_buf_putc(&text, ']');
    pc_status st;
    if (text.oom)
        st = pc_diag_set(d, PC_ERR_NOMEM, "out of memory building request entities");
    else
        st = pc_entities_parse(NULL, pc_engine_schema(snap->engine), text.data, text.len,
                               "request entities", out, d);
    pc_buf_free(&text);
    return st;
}
