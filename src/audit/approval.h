/*
** audit/approval.h — human approval as step-up authorization.
**
** A permit policy annotated @approval("group") turns the allows it
** determines into "approval required": the caller (the daemon) asks
** pc_approval_required after an allow, and if approval is needed calls
** pc_approval_step_up, which either consumes a matching approval (the allow
** stands, once) or returns the id of the pending request to show the client.
**
** A request is bound to the principal, action and resource (Cedar uid text,
** stored in canonical form) and to a digest of the arguments (pc_json_digest
** of the context or of a tool call's arguments). It expires, and is consumed
** at most once, atomically in the store. Approvers decide through
** pc_approval_decide: nobody decides their own request, and who may decide is
** a Cedar decision made by the hook the caller supplies, normally
** pc_approval_cedar_hook: principal = the approver, action = Action::"approve",
** resource = Approval::"<id>", context = { requester, action, resource (as
** entity references), groups, policies (sets of strings), verdict ("approve"
** or "deny") }.
**
** Which policies count: any determining permit policy with @approval makes
** the allow need approval, even when another, unannotated permit also
** matched. Approval marks an action as risky whatever else allows it; a
** broad "admins may do anything" permit must not silently skip the human.
*/
#ifndef PC_APPROVAL_H
#define PC_APPROVAL_H

#include "../lang/ast.h"
#include "audit.h"
#include "portcullis.h"

#define PC_APPROVAL_ANNOTATION "approval"
#define PC_APPROVAL_ID_BYTES 16 /* random bits of an id: 128 */
#define PC_APPROVAL_TTL_DEFAULT_US (3600LL * 1000000)
#define PC_APPROVAL_FIELD_MAX 4096 /* bytes of an id, uid or reason */

/* What the determining policies of an allow say about approval. */
typedef struct pc_approval_need {
    bool required;
    uint32_t n_groups; /* distinct non-empty groups, in reason order */
    pc_str *groups;
    uint32_t n_policies; /* ids of the annotated policies, in reason order */
    pc_str *policies;
} pc_approval_need;

/* Read the @approval annotations of reasons (the determining policies of an
** allow). Arrays are allocated from a; only PC_ERR_NOMEM can fail. */
pc_status pc_approval_required(const pc_policy *const *reasons, uint32_t n, pc_arena *a,
                               pc_approval_need *out, pc_diag *d);

/* The request an allow was decided for. */
typedef struct pc_approval_binding {
    pc_str principal, action, resource; /* Cedar uid text */
    uint8_t args_digest[PC_HASH_LEN];
    pc_str id; /* an approval id the client presented; may be empty */
} pc_approval_binding;

typedef struct pc_stepup {
    bool granted;       /* an approval was consumed: the allow stands */
    pc_str id;          /* the consumed id, or the pending request's id */
    bool created;       /* pending: this call created the request */
    int64_t expires_us; /* pending: when the request expires */
    const char *note;   /* why a presented id could not be used; NULL if none */
} pc_stepup;

/*
** Consume a matching approval, or else open (or find) the pending request
** for this binding with the given lifetime. Strings in *out come from a.
*/
pc_status pc_approval_step_up(pc_store *s, const pc_approval_binding *b,
                              const pc_approval_need *need, int64_t ttl_us, int64_t now_us,
                              pc_arena *a, pc_stepup *out, pc_diag *d);

/* Who may decide: set *allowed. A non-OK status is an error, never a yes. */
typedef pc_status (*pc_approval_hook)(void *ctx, pc_str approver, const pc_approval *req,
                                      bool approve, bool *allowed, pc_diag *d);

typedef struct pc_approval_verdict {
    const char *id;
    const char *approver; /* Cedar uid text of who decides */
    bool approve;         /* approve, or deny */
    const char *reason;   /* required */
} pc_approval_verdict;

/*
** Approve or deny a pending request. Refused (PC_ERR_STATE, saying why) when
** the request is not pending, has expired, the approver is the requesting
** principal, or the hook says no; PC_ERR_INVALID for an unknown id, a
** missing reason or hook, or an approver that is not a uid.
*/
pc_status pc_approval_decide(pc_store *s, const pc_approval_verdict *v, pc_approval_hook hook,
                             void *hook_ctx, int64_t now_us, pc_diag *d);

/* The Cedar hook: ctx is a pc_approval_cedar. */
typedef struct pc_approval_cedar {
    const pc_engine *engine;
    const char *action;        /* NULL: Action::"approve" */
    const char *resource_type; /* NULL: Approval */
} pc_approval_cedar;

pc_status pc_approval_cedar_hook(void *ctx, pc_str approver, const pc_approval *req, bool approve,
                                 bool *allowed, pc_diag *d);

/* "pending", "approved", "denied", "consumed", or "expired" for a pending or
** approved request past its expiry at now_us. */
const char *pc_approval_status(const pc_approval *a, int64_t now_us);

/* One request as a JSON object (one line) / a line of text. */
bool pc_approval_json(pc_buf *b, const pc_approval *a, int64_t now_us);
bool pc_approval_text(pc_buf *b, const pc_approval *a, int64_t now_us);

/* A uid in Cedar syntax, parsed and printed back canonically (into a). */
pc_status pc_uid_canonical(pc_arena *a, pc_str text, const char *what, pc_str *out, pc_diag *d);

#endif
