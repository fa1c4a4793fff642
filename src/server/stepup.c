/*
** server/stepup.c — human approval as step-up (audit/approval.h): an allow
** determined by a permit policy annotated @approval("group") stands only
** with a matching approval, consumed once.
**
** The request is bound to its principal, action, resource and the digest
** of the context it was decided with. A client retries with the approval
** id it was given (native: "approval_id"; AuthZEN: the X-Approval-Id
** header, since the context is part of what is bound); until a human
** approves (POST /v1/approvals/ID/approve, or `portcullis approvals
** approve`), the answer stays "approval required" with the pending
** request's id. Without approvals.db such an allow cannot be approved,
** so it is a deny saying why: approval marks an action as risky, and the
** daemon must never skip the human.
*/
#include <string.h>
#include <time.h>

#include "audit/approval.h"
#include "srv.h"

#define US_PER_S 1000000
#define STEPUP_ARENA_BLOCK 512

pc_status pc_srv_approvals_open(pc_srv *s, pc_diag *d)
{
    if (!s->cfg->approvals_db)
        return PC_OK;
    pc_store_options so = {.durable = true};
    if (pc_store_open(s->cfg->approvals_db, &so, &s->approvals, d) != PC_OK)
        pc_diag_prefix(d, "approvals.db %s", s->cfg->approvals_db);
    return d->status;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

/* The binding of the request decided: uid texts and the context digest. */
static pc_status bind(pc_arena *a, const pc_uid *const uids[3], json_t *ctx,
                      const char *presented, pc_approval_binding *b, pc_diag *d)
{
    const char *t[3];
    for (int i = 0; i < 3; i++)
        if (!(t[i] = pc_uid_text(a, uids[i])))
            return pc_diag_set(d, PC_ERR_NOMEM, "out of memory binding an approval");
    b->principal = pc_str_from_cstr(t[0]);
    b->action = pc_str_from_cstr(t[1]);
    b->resource = pc_str_from_cstr(t[2]);
    b->id = presented ? pc_str_from_cstr(presented) : PC_STR_LIT("");
    return pc_json_digest(ctx, b->args_digest, d);
}

pc_status pc_srv_step_up(pc_srv_exchange *x, const pc_decision *dec,
                         const pc_uid *const uids[3], json_t *ctx, const char *presented,
                         pc_arena *a, pc_srv_approval *out, pc_diag *d)
{
    const pc_answer *ans = &dec->answer;
    pc_approval_need need;
    memset(out, 0, sizeof *out);
    if (!ans->allow ||
        pc_approval_required(ans->reasons, ans->n_reasons, a, &need, d) != PC_OK ||
        !need.required)
        return d->status;
    out->required = true;
    if (!x->srv->approvals)
        return pc_diag_set(d, PC_ERR_STATE, "approval: this allow needs a human's approval "
                           "(@approval), but approvals.db is not configured, so it is denied");
    pc_approval_binding b;
    pc_stepup st;
    int64_t ttl_us = (int64_t)x->srv->cfg->approvals_ttl * US_PER_S;
    if (bind(a, uids, ctx, presented, &b, d) != PC_OK ||
        pc_approval_step_up(x->srv->approvals, &b, &need, ttl_us, now_us(), a, &st, d) != PC_OK) {
        pc_diag_prefix(d, "approval");
        return d->status;
    }
    out->granted = st.granted;
    out->id = pc_arena_str(a, st.id.ptr, st.id.len).ptr;
    out->expires_us = st.expires_us;
    out->note = st.note;
    return out->id ? PC_OK : pc_diag_set(d, PC_ERR_NOMEM, "out of memory after an approval");
}

bool pc_srv_needs_approval(const pc_decision *dec)
{
    const pc_answer *ans = &dec->answer;
    pc_arena a;
    pc_arena_init(&a, STEPUP_ARENA_BLOCK, 0);
    pc_approval_need need;
    pc_diag d;
    pc_diag_init(&d);
    /* out of memory counts as needed: an allow must never skip the human by accident */
    bool needed = ans->allow &&
                  (pc_approval_required(ans->reasons, ans->n_reasons, &a, &need, &d) != PC_OK ||
                   need.required);
    pc_diag_clear(&d);
    pc_arena_free(&a);
    return needed;
}

void pc_srv_approval_json(pc_buf *out, const pc_srv_approval *ap)
{
    pc_buf_puts(out, "\"approval_id\":");
    pc_buf_json_string(out, ap->id, strlen(ap->id));
    if (!ap->granted)
        pc_buf_printf(out, ",\"expires_at\":%lld", (long long)(ap->expires_us / US_PER_S));
    if (ap->note) {
        pc_buf_puts(out, ",\"note\":");
        pc_buf_json_string(out, ap->note, strlen(ap->note));
    }
}
