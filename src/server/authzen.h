/*
** server/authzen.h — the AuthZEN-to-Cedar mapping shared by the evaluation
** and search endpoints.
**
** The default mapping (each part configurable, see config.c):
**   subject/resource {type, id}  ->  Cedar uid Type::"id", Type = the AuthZEN
**                                    type with a capital first letter (or an
**                                    explicit authzen.type.X), in the
**                                    configured namespace
**   action {name}                ->  Action::"name"
**   subject/resource properties  ->  attributes of that entity for this
**                                    request, laid over the stored ones
**   action properties            ->  context keys (the request context wins)
**   context                      ->  the Cedar context
**
** Checking the AuthZEN shape (types, required keys) is separate from
** deciding: a shape error is the caller's fault (400, or `false` for a batch
** item); a request that is well-formed but cannot be evaluated (an unknown
** action under a schema, a property of the wrong type) is a deny with a reason.
*/
#ifndef PC_SRV_AUTHZEN_H
#define PC_SRV_AUTHZEN_H

#include "caller.h"

/* The four AuthZEN parts of one evaluation (borrowed from the request JSON). */
typedef struct pc_srv_az_input {
    json_t *subject;
    json_t *action;
    json_t *resource;
    json_t *context;
} pc_srv_az_input;

/* Which part a search enumerates; PC_SRV_AZ_NONE for an evaluation. */
typedef enum pc_srv_az_search {
    PC_SRV_AZ_NONE = 0,
    PC_SRV_AZ_SUBJECT,
    PC_SRV_AZ_RESOURCE,
    PC_SRV_AZ_ACTION
} pc_srv_az_search;

/*
** One mapped entity type of a query, kept from item to item of a batch:
** items mostly repeat their types, and then neither the mapping nor the
** check that the result is a valid Cedar name is done again.
*/
typedef struct pc_srv_az_type {
    pc_buf authzen;            /* the AuthZEN type last mapped (or "Action" for actions) */
    pc_buf cedar;              /* what it maps to */
    bool valid;                /* cedar is a valid entity type name */
} pc_srv_az_type;

/*
** A Cedar request made from AuthZEN input, ready to decide. The uids point
** at their mapped types (held in types[]) and at the ids in the request's
** JSON, which must outlive the query. A query is reused from item to item
** of a batch, so its buffers are allocated once.
*/
typedef struct pc_srv_az_query {
    pc_uid principal;
    pc_uid action;
    pc_uid resource;
    pc_srv_az_type types[3];   /* of principal, action, resource */
    json_t *context;           /* a reference to an object; NULL for {} */
    const pc_entities *store;  /* with request-scoped entities (an overlay's); NULL: the snapshot's */
} pc_srv_az_query;

typedef enum pc_srv_az_verdict {
    PC_SRV_AZ_DENY = 0,
    PC_SRV_AZ_ALLOW,
    PC_SRV_AZ_INVALID,         /* the AuthZEN input is malformed */
    PC_SRV_AZ_FAILED           /* well-formed, but could not be evaluated: deny */
} pc_srv_az_verdict;

/*
** Check input and build the query. For a search, the searched part needs
** only a type (its id and properties are ignored) and is left for the caller
** to fill per candidate. Properties go into overlay (reset here; it may be
** NULL when the thread has none, which fails only a request with
** properties), and the query's store reads through it until its next reset.
** The query is bound to caller c (caller.h): a rejected caller fails with
** its reason; a verified one is the principal (but when subjects are
** searched) and its claims join the context.
** Returns PC_SRV_AZ_ALLOW on success (the query is ready), PC_SRV_AZ_INVALID
** or PC_SRV_AZ_FAILED with why set otherwise.
*/
pc_srv_az_verdict pc_srv_az_prepare(const pc_srv_config *cfg, const pc_srv_snapshot *snap,
                                    const pc_srv_caller *c, const pc_srv_az_input *in,
                                    pc_srv_az_search search, pc_overlay *overlay,
                                    pc_srv_az_query *q, pc_buf *why);
/* Decide a prepared query; on PC_SRV_AZ_FAILED why says what went wrong. */
pc_srv_az_verdict pc_srv_az_decide(const pc_srv_snapshot *snap, const pc_srv_mapping *m,
                                   const pc_srv_az_query *q, pc_decision *dec, pc_buf *why);
/*
** Log a decided (or failed) query: where gives the place and start time,
** the rest comes from q, c and dec. A decision whose record cannot be
** written becomes PC_SRV_AZ_FAILED with the log's reason in why.
*/
pc_srv_az_verdict pc_srv_az_journal(pc_srv_exchange *x, const pc_srv_caller *c,
                                    const pc_srv_az_query *q, pc_srv_az_verdict v,
                                    const pc_decision *dec, const pc_srv_entry *where,
                                    pc_buf *why);
void pc_srv_az_query_init(pc_srv_az_query *q);
void pc_srv_az_query_free(pc_srv_az_query *q);

/* The Cedar entity type for an AuthZEN type (namespace and case applied). */
bool pc_srv_az_cedar_type(const pc_srv_mapping *m, const char *type, pc_buf *out);
/* The Cedar type of actions: "Action" or "NS::Action". */
bool pc_srv_az_action_type(const pc_srv_mapping *m, pc_buf *out);

/* Count a verdict into the exchange's outcome tallies. */
void pc_srv_az_count(pc_srv_exchange *x, pc_srv_az_verdict v);

#endif
