/*
** server/metrics.h — counters for /metrics (Prometheus text format 0.0.4).
**
** Every counter is a relaxed atomic: a scrape may see one counter a moment
** ahead of another, which Prometheus tolerates, and the request path never
** takes a lock. Handlers count decisions per request, not per item, so a
** batch of thousands touches the shared cache line once.
*/
#ifndef PC_SRV_METRICS_H
#define PC_SRV_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/base.h"

typedef enum pc_srv_outcome {
    PC_SRV_ALLOW = 0,
    PC_SRV_DENY,          /* the policies denied */
    PC_SRV_ERROR,         /* the request could not be evaluated: a deny too */
    PC_SRV_OUTCOMES
} pc_srv_outcome;

#define PC_SRV_LATENCY_BUCKETS 14   /* finite upper bounds; +Inf is implied */

typedef struct pc_srv_metrics {
    atomic_uint_fast64_t decisions[PC_SRV_OUTCOMES];
    atomic_uint_fast64_t latency[PC_SRV_LATENCY_BUCKETS + 1];   /* per bucket, not cumulative */
    atomic_uint_fast64_t latency_sum_ns;
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t bad_requests;        /* answered 4xx */
    atomic_uint_fast64_t server_errors;       /* answered 5xx */
    atomic_uint_fast64_t reloads;
    atomic_uint_fast64_t reload_failures;
    atomic_bool last_reload_ok;
} pc_srv_metrics;

/* What the scrape reports about the serving policy set. */
typedef struct pc_srv_metrics_set {
    const char *version;
    uint64_t policies;
    int64_t loaded_at;        /* Unix seconds */
} pc_srv_metrics_set;

void pc_srv_metrics_init(pc_srv_metrics *m);
/* Count a request's decisions, all at once. */
void pc_srv_metrics_decisions(pc_srv_metrics *m, const uint64_t counts[PC_SRV_OUTCOMES]);
/* Count one finished HTTP exchange with its status and duration. */
void pc_srv_metrics_request(pc_srv_metrics *m, unsigned status, uint64_t ns);
void pc_srv_metrics_reload(pc_srv_metrics *m, bool ok);
/* Append the exposition text. */
bool pc_srv_metrics_render(pc_srv_metrics *m, const pc_srv_metrics_set *set, pc_buf *out);

#endif
