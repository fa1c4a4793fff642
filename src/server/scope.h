/*
** server/scope.h — request-scoped entities.
**
** A request may bring entity data of its own: AuthZEN `properties` on the
** subject or resource, or the native API's `entities` list. Such an entity
** replaces the stored entity with the same uid (or adds one) for that
** request only. A scope collects these entities; building it yields a fresh
** entity store made of the snapshot's stored entities plus the scope's, parsed
** against the snapshot's schema, so request data is checked exactly like
** stored data. Requests without such data use the snapshot's store directly
** and pay nothing.
*/
#ifndef PC_SRV_SCOPE_H
#define PC_SRV_SCOPE_H

#include "snapshot.h"

#define PC_SRV_MAX_SCOPED 1024   /* entities one request may bring */

typedef struct pc_srv_scope {
    pc_buf json;                 /* the entities, comma-separated JSON objects */
    pc_srv_uid uids[PC_SRV_MAX_SCOPED];   /* theirs, owned copies */
    uint32_t n;
} pc_srv_scope;

void pc_srv_scope_init(pc_srv_scope *sc);
void pc_srv_scope_free(pc_srv_scope *sc);
/* Add a whole entity in the Cedar entities format ({"uid", "attrs", "parents"}). */
pc_status pc_srv_scope_add(pc_srv_scope *sc, json_t *entity, pc_diag *d);
/*
** Add the entity uid ({"type", "id"}) as stored (if it is) with props laid
** over its attributes, one attribute at a time; parents and tags are kept.
*/
pc_status pc_srv_scope_add_properties(pc_srv_scope *sc, const pc_srv_snapshot *snap,
                                      json_t *uid, json_t *props, pc_diag *d);
/* The store for this request; free it with pc_entities_free. */
pc_status pc_srv_scope_build(const pc_srv_scope *sc, const pc_srv_snapshot *snap,
                             pc_entities **out, pc_diag *d);

#endif
