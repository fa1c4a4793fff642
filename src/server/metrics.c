/*
** server/metrics.c — counting and the Prometheus exposition.
**
** The latency histogram keeps one count per bucket and turns them into the
** cumulative `le` series only when scraped, so recording is one increment.
** Bucket bounds span 25 µs to 1 s: a decision should take microseconds, and
** anything near a second is a problem worth its own bucket.
*/
#include <inttypes.h>

#include "metrics.h"

static const uint64_t bucket_ns[PC_SRV_LATENCY_BUCKETS] = {
    25000,    50000,    100000,    250000,    500000,    1000000,   2500000,
    5000000,  10000000, 25000000,  50000000,  100000000, 250000000, 1000000000,
};

static const char *const outcome_names[PC_SRV_OUTCOMES] = {"allow", "deny", "error"};

#define ADD(counter, n) atomic_fetch_add_explicit(&(counter), (n), memory_order_relaxed)
#define GET(counter) atomic_load_explicit(&(counter), memory_order_relaxed)

void pc_srv_metrics_init(pc_srv_metrics *m)
{
    for (int i = 0; i < PC_SRV_OUTCOMES; i++)
        atomic_init(&m->decisions[i], 0);
    for (int i = 0; i <= PC_SRV_LATENCY_BUCKETS; i++)
        atomic_init(&m->latency[i], 0);
    atomic_init(&m->latency_sum_ns, 0);
    atomic_init(&m->requests, 0);
    atomic_init(&m->bad_requests, 0);
    atomic_init(&m->server_errors, 0);
    atomic_init(&m->reloads, 0);
    atomic_init(&m->reload_failures, 0);
    atomic_init(&m->last_reload_ok, true);
}

void pc_srv_metrics_decisions(pc_srv_metrics *m, const uint64_t counts[PC_SRV_OUTCOMES])
{
    for (int i = 0; i < PC_SRV_OUTCOMES; i++)
        if (counts[i])
            ADD(m->decisions[i], counts[i]);
}

void pc_srv_metrics_request(pc_srv_metrics *m, unsigned status, uint64_t ns)
{
    int b = 0;
    while (b < PC_SRV_LATENCY_BUCKETS && ns > bucket_ns[b])
        b++;
    ADD(m->latency[b], 1);
    ADD(m->latency_sum_ns, ns);
    ADD(m->requests, 1);
    if (status >= 400 && status < 500)
        ADD(m->bad_requests, 1);
    else if (status >= 500)
        ADD(m->server_errors, 1);
}

void pc_srv_metrics_reload(pc_srv_metrics *m, bool ok)
{
    ADD(m->reloads, 1);
    if (!ok)
        ADD(m->reload_failures, 1);
    atomic_store_explicit(&m->last_reload_ok, ok, memory_order_relaxed);
}

/* One metric family header. */
static void family(pc_buf *out, const char *name, const char *type, const char *help)
{
    pc_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_histogram(pc_srv_metrics *m, pc_buf *out)
{
    const char *name = "portcullis_request_duration_seconds";
    family(out, name, "histogram", "Time from request received to response queued.");
    uint64_t cumulative = 0;
    for (int b = 0; b < PC_SRV_LATENCY_BUCKETS; b++) {
        cumulative += GET(m->latency[b]);
        pc_buf_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bucket_ns[b] / 1e9,
                      cumulative);
    }
    cumulative += GET(m->latency[PC_SRV_LATENCY_BUCKETS]);
    pc_buf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cumulative);
    pc_buf_printf(out, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
                  (double)GET(m->latency_sum_ns) / 1e9, name, cumulative);
}

static void counter(pc_buf *out, const char *name, const char *help, uint64_t v)
{
    family(out, name, "counter", help);
    pc_buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

bool pc_srv_metrics_render(pc_srv_metrics *m, const pc_srv_metrics_set *set, pc_buf *out)
{
    family(out, "portcullis_decisions_total", "counter",
           "Decisions by outcome (error: could not be evaluated, answered deny).");
    for (int i = 0; i < PC_SRV_OUTCOMES; i++)
        pc_buf_printf(out, "portcullis_decisions_total{outcome=\"%s\"} %" PRIu64 "\n",
                      outcome_names[i], GET(m->decisions[i]));
    render_histogram(m, out);
    counter(out, "portcullis_http_requests_total", "HTTP requests answered.", GET(m->requests));
    counter(out, "portcullis_bad_requests_total", "Requests answered with a 4xx status.",
            GET(m->bad_requests));
    counter(out, "portcullis_server_errors_total", "Requests answered with a 5xx status.",
            GET(m->server_errors));
    counter(out, "portcullis_reloads_total", "Policy-set reloads attempted (disk and admin).",
            GET(m->reloads));
    counter(out, "portcullis_reload_failures_total",
            "Reloads that failed; the old set kept serving.", GET(m->reload_failures));
    family(out, "portcullis_last_reload_success", "gauge", "1 if the last reload succeeded.");
    pc_buf_printf(out, "portcullis_last_reload_success %d\n",
                  atomic_load_explicit(&m->last_reload_ok, memory_order_relaxed) ? 1 : 0);
    family(out, "portcullis_policies", "gauge", "Policies in the serving set.");
    pc_buf_printf(out, "portcullis_policies %" PRIu64 "\n", set->policies);
    family(out, "portcullis_policy_set_info", "gauge", "The serving set's SHA-256 version.");
    pc_buf_printf(out, "portcullis_policy_set_info{version=\"%s\"} 1\n", set->version);
    family(out, "portcullis_policy_set_loaded_seconds", "gauge",
           "Unix time the serving set was loaded.");
    pc_buf_printf(out, "portcullis_policy_set_loaded_seconds %" PRId64 "\n", set->loaded_at);
    return !out->oom;
}
