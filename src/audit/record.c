/*
** audit/record.c — filling a decision record from the engine's answer, so
** that every caller that decides (the daemon, the MCP proxy, the exec
** wrapper) records the determining and erroring policies the same way.
*/
#include "audit.h"

/* The ids of n policies as a list in a (the ids point at the policies' own). */
static bool policy_ids(pc_arena *a, uint32_t n, const pc_policy *const *ps,
                       const pc_policy_error *errs, pc_strlist *out)
{
    pc_str *ids = n ? pc_arena_alloc(a, n * sizeof *ids) : NULL;
    if (n && !ids)
        return false;
    for (uint32_t i = 0; i < n; i++)
        ids[i] = ps ? ps[i]->id : errs[i].policy->id;
    *out = (pc_strlist){n, ids};
    return true;
}

pc_status pc_log_record_set_answer(pc_log_record *r, const pc_answer *ans, pc_arena *a,
                                   pc_diag *d)
{
    r->decision = ans->allow ? PC_STR_LIT(PC_DECISION_ALLOW) : PC_STR_LIT(PC_DECISION_DENY);
    if (!policy_ids(a, ans->n_reasons, ans->reasons, NULL, &r->reasons) ||
        !policy_ids(a, ans->n_errors, NULL, ans->errors, &r->errors))
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory recording a decision's policies");
    return PC_OK;
}
