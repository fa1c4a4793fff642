/*
** server/caller.h — who is asking: the verified identity behind one
** decision request (native and AuthZEN alike).
**
** With trusted issuers configured (identity.issuer.NAME.*), a request may
** carry a JWT: `Authorization: Bearer TOKEN`, or a "token" member of a
** native request (which wins, so a batch item can speak for itself). The
** token is verified against the snapshot's trust and then:
**
**   principal       is the token's subject. A principal in the body is
**                   disregarded (identity.subject = ignore) or must name the
**                   same entity (must_match), else the answer is a deny.
**                   When the store does not hold that entity (and the
**                   request does not bring it), it is laid over for the
**                   request with the attributes of the issuer's profile;
**                   a stored one is used as stored. AuthZEN subject
**                   properties never touch a verified principal.
**   context.token   the verified claims, context.actor the RFC 8693 actor,
**                   added only when the schema's context type for the action
**                   declares that attribute (or there is no schema), so a
**                   schema that does not know them still validates requests.
**                   A body's own context.token / context.actor are always
**                   removed: only a verified token may speak there.
**
** A bad token is a deny with the identity library's reason, whether tokens
** are required or not: a caller who presents one wants it checked. No token
** is anonymous (the body decides, as without identity) unless
** identity.required = true, which makes it a deny too. Never an allow.
** Without issuers configured, identity is off and tokens are not read.
*/
#ifndef PC_SRV_CALLER_H
#define PC_SRV_CALLER_H

#include "srv.h"

typedef enum pc_srv_who {
    PC_SRV_ANONYMOUS = 0,      /* no token, and none required (or identity off) */
    PC_SRV_VERIFIED,           /* r holds the verified subject and claims */
    PC_SRV_REJECTED            /* deny; why says which reason and what */
} pc_srv_who;

/* The caller of one request; init before, clear after (reusable in between). */
typedef struct pc_srv_caller {
    pc_srv_who who;
    pc_id_result r;
    pc_buf why;                /* PC_SRV_REJECTED: "identity: REASON: message" */
} pc_srv_caller;

void pc_srv_caller_init(pc_srv_caller *c);
void pc_srv_caller_clear(pc_srv_caller *c);

/*
** Identify the caller of x: body_token is the request's own "token" member
** (NULL when absent), else the Authorization header is read. On
** PC_SRV_REJECTED c->why says why.
*/
pc_srv_who pc_srv_caller_identify(pc_srv_exchange *x, json_t *body_token, pc_srv_caller *c);

/*
** Under identity.subject = must_match, is claimed (the body's principal,
** NULL when unreadable) the verified subject? False with why when it is not.
*/
bool pc_srv_caller_subject_ok(const pc_srv_config *cfg, const pc_srv_caller *c,
                              const pc_uid *claimed, pc_buf *why);

/*
** A native uid ({"type", "id"}, {"__entity": ...} or Cedar syntax) read into
** out (strings in the caller's memory); false when it is neither.
*/
bool pc_srv_caller_uid(pc_srv_caller *c, json_t *j, pc_uid *out);

/*
** Does a verified caller's principal need laying over base (it is not
** stored there)? Then pc_srv_caller_lay adds it to o with its profile's
** attributes.
*/
bool pc_srv_caller_needs_entity(const pc_srv_caller *c, const pc_entities *base);
pc_status pc_srv_caller_lay(const pc_srv_caller *c, pc_overlay *o, pc_diag *d);

/* The verified subject as a uid (borrowing the caller's strings). */
pc_uid pc_srv_caller_principal(const pc_srv_caller *c);

/*
** The context to decide with: ctx (NULL = {}) without a body's token and
** actor when identity is configured, plus the verified ones the schema
** declares for action. *out is a new reference (NULL for {}); false when out
** of memory.
*/
bool pc_srv_caller_context(const pc_srv_snapshot *snap, const pc_srv_caller *c,
                           const pc_uid *action, json_t *ctx, json_t **out);

#endif
