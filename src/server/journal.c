/*
** server/journal.c — every decision the daemon makes goes into the
** decision log (audit/audit.h), from every endpoint alike.
**
** The log gets a store handle of its own, so decisions never queue behind
** anything else on it. In sync mode an answer is sent only once its record
** is durable; a record that cannot be appended, in either mode, turns the
** answer into a deny with the log's reason: a decision that leaves no trace
** must not let anyone in (audit.h: an async failure is sticky, so from then
** on every decision says so until the daemon is restarted).
**
** Batch items are decisions of their own: each gets the exchange's decision
** id with "-N" (its index) appended, so ids stay unique in the log.
*/
#include <string.h>
#include <time.h>

#include "srv.h"

#define JOURNAL_ARENA_BLOCK 1024
#define MAX_ITEM_SUFFIX 24            /* "-" and a size_t in decimal */
#define REQUEST_ID_HEADER "X-Request-Id"
#define SOURCE "daemon"

pc_status pc_srv_journal_open(pc_srv *s, pc_diag *d)
{
    const pc_srv_config *cfg = s->cfg;
    if (cfg->audit_mode == PC_SRV_AUDIT_OFF)
        return PC_OK;
    pc_store_options so = {.durable = cfg->audit_mode == PC_SRV_AUDIT_SYNC};
    pc_audit_options o = {.mode = cfg->audit_mode == PC_SRV_AUDIT_SYNC ? PC_AUDIT_SYNC
                                                                         : PC_AUDIT_ASYNC,
                          .keep_context = cfg->audit_keep_context,
                          .redact = (const char *const *)cfg->audit_redact.items,
                          .n_redact = cfg->audit_redact.n};
    if (cfg->audit_checkpoint_key &&
        pc_audit_key_load(cfg->audit_checkpoint_key, true, &s->audit_key, d) != PC_OK) {
        pc_diag_prefix(d, "audit.checkpoint_key %s", cfg->audit_checkpoint_key);
        return d->status;
    }
    o.key = s->audit_key;
    if (pc_store_open(cfg->audit_db, &so, &s->audit_store, d) != PC_OK ||
        pc_audit_open(s->audit_store, &o, &s->audit, d) != PC_OK)
        pc_diag_prefix(d, "audit.db %s", cfg->audit_db);
    return d->status;
}

void pc_srv_journal_close(pc_srv *s)
{
    pc_diag d;
    pc_diag_init(&d);
    if (s->audit && pc_audit_close(s->audit, &d) != PC_OK)
        fprintf(stderr, "portcullis serve: closing the decision log: %s\n",
                d.msg ? d.msg : "failed");
    pc_diag_clear(&d);
    s->audit = NULL;
    pc_store_close(s->audit_store);
    s->audit_store = NULL;
    pc_audit_key_free(s->audit_key);
    s->audit_key = NULL;
}

/* Cedar text of u, or "" when the request had none (or out of memory: the record says so). */
static pc_str uid_str(pc_arena *a, const pc_uid *u)
{
    const char *t = u && u->type.ptr ? pc_uid_text(a, u) : NULL;
    return t ? pc_str_from_cstr(t) : PC_STR_LIT("");
}

static pc_str opt_str(const char *s)
{
    return s ? pc_str_from_cstr(s) : PC_STR_LIT("");
}

/*
** A text the client chose (a header) as the log may hold it: the log takes
** only UTF-8, and a client must not be able to make its own answers fail
** by sending bytes that are not, so such a text is recorded as "".
*/
static pc_str client_str(const char *s)
{
    pc_str t = opt_str(s);
    return pc_utf8_valid(t.ptr, t.len) ? t : PC_STR_LIT("");
}

/* The record's fields but the answer; ids and texts live in a. */
static void fill(pc_srv_exchange *x, const pc_srv_entry *e, pc_arena *a, pc_log_record *r)
{
    char id[PC_SRV_DECISION_ID_HEX + MAX_ITEM_SUFFIX + 1];
    snprintf(id, sizeof id, e->in_batch ? "%s-%zu" : "%s", x->decision_id, e->item);
    uint64_t now = pc_srv_now_ns();
    r->decision_id = pc_str_from_cstr(pc_arena_strdup(a, id));
    r->request_id = client_str(pc_srv_header(x, REQUEST_ID_HEADER));
    r->source = PC_STR_LIT(SOURCE);
    r->principal = uid_str(a, e->principal);
    r->action = uid_str(a, e->action);
    r->resource = uid_str(a, e->resource);
    r->decision = PC_STR_LIT(PC_DECISION_DENY);
    r->error = opt_str(e->error);
    r->policy_version = pc_str_from_cstr(pc_srv_snapshot_get(x)->version);
    r->issuer = opt_str(e->issuer);
    r->approval_id = opt_str(e->approval_id);
    r->latency_us = (int64_t)((now - e->started_ns) / 1000);
}

pc_status pc_srv_journal(pc_srv_exchange *x, const pc_srv_entry *e, pc_buf *why)
{
    pc_audit_log *log = x->srv->audit;
    if (!log)
        return PC_OK;
    pc_arena a;
    pc_arena_init(&a, JOURNAL_ARENA_BLOCK, 0);
    pc_log_record r;
    memset(&r, 0, sizeof r);
    fill(x, e, &a, &r);
    pc_diag d;
    pc_diag_init(&d);
    if (!r.decision_id.ptr)
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory recording a decision");
    else if (!e->dec || pc_log_record_set_answer(&r, &e->dec->answer, &a, &d) == PC_OK) {
        if (!e->dec && e->allow)
            r.decision = PC_STR_LIT(PC_DECISION_ALLOW);
        if (e->approval_pending)
            r.decision = PC_STR_LIT(PC_DECISION_APPROVAL);
        pc_audit_append(log, &r, e->context, NULL, &d);
    }
    pc_status st = d.status;
    if (st != PC_OK)
        pc_buf_printf(why, "audit: the decision could not be logged, so it is denied: %s",
                      d.msg ? d.msg : pc_status_name(st));
    pc_diag_clear(&d);
    pc_arena_free(&a);
    return st;
}
