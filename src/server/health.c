/*
** server/health.c — /healthz, /readyz and /metrics.
**
** /healthz answers as long as the process serves HTTP. /readyz says whether
** a policy set is loaded (always true once started: the daemon refuses to
** start without one) and how the last reload went; a failed reload leaves
** the daemon ready, serving the previous set, and says why here. /metrics is
** the Prometheus exposition of metrics.c.
*/
#include <inttypes.h>
#include <string.h>

#include <microhttpd.h>

#include "srv.h"

void pc_srv_healthz(pc_srv_exchange *x)
{
    pc_buf_puts(&x->out, "{\"status\":\"ok\"}");
    pc_srv_reply(x, MHD_HTTP_OK);
}

/* "last_reload": {...}, copied under the state lock. */
static void put_last_reload(pc_srv *s, pc_buf *out)
{
    pthread_mutex_lock(&s->state_lock);
    const pc_srv_reload_state *r = &s->last;
    pc_buf_printf(out, "\"last_reload\":{\"ok\":%s,\"trigger\":\"%s\",\"at\":%" PRId64,
                  r->ok ? "true" : "false", r->trigger ? r->trigger : "", r->at);
    if (r->error) {
        pc_buf_puts(out, ",\"error\":");
        pc_buf_json_string(out, r->error, strlen(r->error));
    }
    pthread_mutex_unlock(&s->state_lock);
    pc_buf_putc(out, '}');
}

void pc_srv_readyz(pc_srv_exchange *x)
{
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    pc_buf_printf(&x->out,
                  "{\"ready\":true,\"policy_set_version\":\"%s\",\"policies\":%zu,"
                  "\"loaded_at\":%" PRId64 ",",
                  snap->version, pc_engine_policy_count(snap->engine), snap->loaded_at);
    put_last_reload(x->srv, &x->out);
    pc_buf_putc(&x->out, '}');
    pc_srv_reply(x, MHD_HTTP_OK);
}

void pc_srv_metrics_get(pc_srv_exchange *x)
{
    pc_srv_snapshot *snap = pc_srv_snapshot_get(x);
    pc_srv_metrics_set set = {snap->version, pc_engine_policy_count(snap->engine),
                              snap->loaded_at};
    pc_srv_metrics_render(&x->srv->metrics, &set, &x->out);
    x->content_type = "text/plain; version=0.0.4; charset=utf-8";
    pc_srv_reply(x, MHD_HTTP_OK);
}
