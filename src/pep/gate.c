/*
** pep/gate.c — the MCP gate: what happens to each message on its way.
**
** From the client (the agent), three methods act on the world and are asked
** about before they go anywhere:
**
**   tools/call      action call_tool,     resource Tool::"SERVER/NAME"
**   resources/read  action read_resource, resource Resource::"SERVER/URI"
**   prompts/get     action get_prompt,    resource Prompt::"SERVER/NAME"
**
** (types and actions in the configured namespace). The context carries what
** policies need to judge the call itself, since Cedar cannot look inside an
** entity id:
**
**   call_tool     {phase: "call", server, tool: {name, risk, hints}, arguments, session}
**   read_resource {server, uri, session}
**   get_prompt    {server, prompt, arguments, session}
**
** tool.risk is the operator's rating (--risk), authoritative; tool.hints are
** the annotations the server announced (readOnlyHint, destructiveHint,
** idempotentHint, openWorldHint) with "trusted": false, because a server may
** say anything about itself. Allow forwards the original bytes; deny answers
** JSON-RPC error -32001 with the reason and the decision id; a PDP fault
** answers -32603. Either way nothing reaches the server.
**
** "approval_required" (an allow by an @approval policy, held back until a
** human approves) answers -32002 naming the approval request, and the gate
** remembers that request's id under the call's key: method, name and the
** digest of its arguments, canonical as the daemon's (pc_json_digest). The
** agent retries the same call; the gate then presents the remembered id
** ("approval_id" in the PDP request), and once approved the daemon allows
** it exactly once, so the gate forgets the id. A changed argument is another
** key, hence a new approval request (the daemon binds the whole context's
** digest, so it would refuse the old id for it anyway).
**
** tools/list is not refused but its answer is filtered: the gate remembers
** the request's id, and when the server's answer with that id comes back it
** asks once per tool (phase "list", no arguments: "may this principal call
** it at all?") in one batch exchange and keeps only the allowed tools. If the
** PDP cannot be asked, the answer becomes a -32603 error: an unknown set of
** tools is not shown as the full set. Hiding tools is a courtesy to the
** agent; the enforcement is the check on every call. (For the same reason a
** server line that does not parse is passed on as it is: it is the
** server's to send, and a call it might advertise is still asked about.)
**
** Messages are parsed strictly: a duplicated key is refused, because two
** parsers that pick different copies ("method": "ping" vs "tools/call")
** would let a call through unasked. Every other message — notifications,
** responses, server requests, anything we do not gate — is forwarded as the
** exact bytes that arrived. A JSON-RPC batch holding a gated method is
** refused whole: its parts would need answers we could not order.
*/
#include <string.h>

#include "audit/audit.h"
#include "pep.h"

#define LOG_PREFIX "portcullis mcp-proxy: "
#define STRICT (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

typedef enum kind { K_OTHER, K_TOOL, K_RESOURCE, K_PROMPT, K_LIST } kind;

static const struct {
    const char *method;
    kind kind;
} gated[] = {
    {"tools/call", K_TOOL},
    {"resources/read", K_RESOURCE},
    {"prompts/get", K_PROMPT},
    {"tools/list", K_LIST},
};

static const char *const hint_names[] = {"readOnlyHint", "destructiveHint", "idempotentHint",
                                         "openWorldHint"};

static kind kind_of(json_t *msg)
{
    const char *m = json_string_value(json_object_get(msg, "method"));
    for (size_t i = 0; m && i < sizeof gated / sizeof gated[0]; i++)
        if (!strcmp(m, gated[i].method))
            return gated[i].kind;
    return K_OTHER;
}

pc_status pc_pep_gate_init(pc_pep_gate *g, const pc_pep_gate_config *cfg, pc_pep_pdp *pdp,
                           pc_diag *d)
{
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->pdp = pdp;
    g->pending_lists = json_object();
    g->hints = json_object();
    g->approvals = json_object();
    if (!g->pending_lists || !g->hints || !g->approvals) {
        pc_pep_gate_free(g);
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
    }
    return PC_OK;
}

void pc_pep_gate_free(pc_pep_gate *g)
{
    json_decref(g->pending_lists);
    json_decref(g->hints);
    json_decref(g->approvals);
    g->pending_lists = g->hints = g->approvals = NULL;
}

/* ---- writing ---------------------------------------------------------- */

static bool put_json(pc_pep_queue *q, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    bool ok = text && pc_pep_queue_put(q, text, strlen(text)) && pc_pep_queue_put(q, "\n", 1);
    free(text);
    return ok;
}

/* {"jsonrpc":"2.0","id":id,"error":{"code","message"[,"data"]}}; data is taken over. */
static json_t *error_message(json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_pack("{s:i, s:s}", "code", code, "message", message);
    if (err && data)
        json_object_set(err, "data", data);
    json_decref(data);
    json_t *msg = err ? json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
                                  id ? id : json_null(), "error", err)
                      : NULL;
    return msg;
}

static bool refuse(pc_pep_queue *to_client, json_t *id, int code, const char *message,
                   json_t *data)
{
    json_t *msg = error_message(id, code, message, data);
    bool ok = msg && put_json(to_client, msg);
    json_decref(msg);
    return ok;
}

static void log_line(const pc_pep_gate *g, const char *fmt, ...) PC_PRINTF(2, 3);
static void log_line(const pc_pep_gate *g, const char *fmt, ...)
{
    if (!g->cfg->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs(LOG_PREFIX, g->cfg->log);
    vfprintf(g->cfg->log, fmt, ap);
    fputc('\n', g->cfg->log);
    fflush(g->cfg->log);
    va_end(ap);
}

/* ---- building PDP requests -------------------------------------------- */

/* {"type": "NS::type", "id": "SERVER/name"} or, with no server, the plain name. */
static json_t *uid(const pc_pep_gate *g, const char *type, const char *server, const char *name)
{
    pc_buf t, id;
    pc_buf_init(&t);
    pc_buf_init(&id);
    pc_buf_printf(&t, "%s%s%s", g->cfg->ns, *g->cfg->ns ? "::" : "", type);
    pc_buf_printf(&id, "%s%s%s", server ? server : "", server ? "/" : "", name);
    json_t *u = t.oom || id.oom ? NULL : json_pack("{s:s, s:s}", "type", t.data, "id", id.data);
    pc_buf_free(&t);
    pc_buf_free(&id);
    return u;
}

/* The request object; ctx is taken over. */
static json_t *pdp_request(const pc_pep_gate *g, const char *action, const char *type,
                           const char *name, json_t *ctx)
{
    json_t *a = uid(g, "Action", NULL, action), *r = uid(g, type, g->cfg->server, name);
    if (!a || !r || !ctx) {
        json_decref(a);
        json_decref(r);
        json_decref(ctx);
        return NULL;
    }
    /* "o" hands the references over even when packing fails. */
    return json_pack("{s:s, s:o, s:o, s:o}", "principal", g->cfg->principal, "action", a,
                     "resource", r, "context", ctx);
}

/* The announced annotations, only the four known booleans, marked untrusted. */
static json_t *hints_from(json_t *tool)
{
    json_t *ann = json_object_get(tool, "annotations"), *h = json_pack("{s:b}", "trusted", 0);
    for (size_t i = 0; h && i < sizeof hint_names / sizeof hint_names[0]; i++) {
        json_t *v = json_object_get(ann, hint_names[i]);
        if (json_is_boolean(v))
            json_object_set(h, hint_names[i], v);
    }
    return h;
}

static void remember_hints(pc_pep_gate *g, const char *name, json_t *hints)
{
    if (json_object_size(g->hints) >= PC_PEP_MAX_KNOWN_TOOLS && !json_object_get(g->hints, name)) {
        if (!g->hints_full_said)
            log_line(g, "remembering hints for %u tools at most; '%s' and later tools go without",
                     PC_PEP_MAX_KNOWN_TOOLS, name);
        g->hints_full_said = true;
        return;
    }
    json_object_set(g->hints, name, hints);
}

/* context.tool: {name, risk, hints}; hints borrowed, NULL when none are known. */
static json_t *tool_facts(const pc_pep_gate *g, const char *name, json_t *hints)
{
    const char *risk = json_string_value(json_object_get(g->cfg->risks, name));
    json_t *h = hints ? json_incref(hints) : json_pack("{s:b}", "trusted", 0);
    if (!risk)
        risk = g->cfg->default_risk;
    return h ? json_pack("{s:s, s:s, s:o}", "name", name, "risk", risk, "hints", h) : NULL;
}

/* call_tool for one call (args set) or, when listing (args NULL), for "may it be called at all". */
static json_t *tool_request(const pc_pep_gate *g, const char *name, json_t *args, json_t *hints)
{
    json_t *facts = tool_facts(g, name, hints);
    json_t *ctx = facts ? json_pack("{s:s, s:s, s:o, s:O}", "phase", args ? "call" : "list",
                                    "server", g->cfg->server, "tool", facts, "session",
                                    g->cfg->session)
                        : NULL;
    if (ctx && args)
        json_object_set(ctx, "arguments", args);
    return pdp_request(g, "call_tool", "Tool", name, ctx);
}

/* What one gated client message asks, or why its params make no sense. */
typedef struct ask {
    json_t *request;     /* NULL when params are unusable (why says how) or memory ran out */
    json_t *args;        /* the arguments (owned; NULL for a resource), for the approval key */
    const char *what;    /* the tool name, URI or prompt name, for messages */
    const char *why;
} ask;

/* arguments must be an object when present; absent means {}. */
static json_t *arguments(json_t *params, ask *a)
{
    json_t *args = json_object_get(params, "arguments");
    if (args && !json_is_object(args)) {
        a->why = "params.arguments must be an object";
        return NULL;
    }
    return args ? json_incref(args) : json_object();
}

static void build_ask(const pc_pep_gate *g, kind k, json_t *params, ask *a)
{
    const char *field = k == K_RESOURCE ? "uri" : "name";
    a->what = json_string_value(json_object_get(params, field));
    if (!a->what) {
        a->why = k == K_RESOURCE ? "params.uri must be a string" : "params.name must be a string";
        return;
    }
    json_t *args = k == K_RESOURCE ? NULL : arguments(params, a);
    if (k == K_TOOL && args)
        a->request = tool_request(g, a->what, args, json_object_get(g->hints, a->what));
    else if (k == K_PROMPT && args)
        a->request = pdp_request(g, "get_prompt", "Prompt", a->what,
                                 json_pack("{s:s, s:s, s:O, s:O}", "server", g->cfg->server,
                                           "prompt", a->what, "arguments", args, "session",
                                           g->cfg->session));
    else if (k == K_RESOURCE)
        a->request = pdp_request(g, "read_resource", "Resource", a->what,
                                 json_pack("{s:s, s:s, s:O}", "server", g->cfg->server, "uri",
                                           a->what, "session", g->cfg->session));
    a->args = args;
}

/* ---- the client's messages --------------------------------------------- */

/* error.data for a decision: its id, the deciding policies, the failed ones. */
static json_t *decision_data(const pc_pep_verdict *v)
{
    json_t *data = json_pack("{s:s?}", "decision_id", v->decision_id);
    if (data && v->reasons)
        json_object_set(data, "reasons", v->reasons);
    if (data && v->errors)
        json_object_set(data, "errors", v->errors);
    return data;
}

/* Answer a refused request (a refused notification is only logged: it has no answer). */
static bool answer_refusal(pc_pep_queue *to_client, json_t *id, const char *method,
                           const char *what, const pc_pep_verdict *v)
{
    if (!id)
        return true;
    bool denied = v->outcome == PC_PEP_DENY;
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "portcullis: %s %s %s: %s", method, what,
                  denied ? "denied" : "not forwarded: authorization unavailable",
                  v->why ? v->why : "out of memory");
    if (denied && v->decision_id)
        pc_buf_printf(&m, " (decision %s)", v->decision_id);
    bool ok = !m.oom && refuse(to_client, id, denied ? PC_PEP_RPC_DENIED : PC_PEP_RPC_INTERNAL,
                               m.data, denied ? decision_data(v) : NULL);
    pc_buf_free(&m);
    return ok;
}

/* -32002: the call waits for a human; data names the request to approve. */
static bool answer_approval(pc_pep_queue *to_client, json_t *id, const char *method,
                            const char *what, const pc_pep_verdict *v)
{
    if (!id)
        return true;
    if (!v->approval_id || !v->decision_id)
        return false;   /* the verdict's copies failed: out of memory */
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "portcullis: %s %s needs approval: approval request %s (decision %s); "
                      "retry the same call once it is approved",
                  method, what, v->approval_id, v->decision_id);
    json_t *data = decision_data(v);
    if (data)
        json_object_set_new(data, "approval_id", json_string(v->approval_id));
    bool ok = !m.oom && data && refuse(to_client, id, PC_PEP_RPC_APPROVAL, m.data, data);
    if (m.oom || !data)
        json_decref(data);
    pc_buf_free(&m);
    return ok;
}

static const char *outcome_word(pc_pep_outcome o)
{
    return o == PC_PEP_ALLOW      ? "ALLOW"
           : o == PC_PEP_DENY     ? "DENY"
           : o == PC_PEP_APPROVAL ? "APPROVAL"
                                  : "FAULT";
}

/* ---- approvals awaited ------------------------------------------------- */

/*
** The key of one call: "METHOD\nNAME\nDIGEST", the digest of its arguments
** in the daemon's canonical form. malloc'ed; NULL when out of memory. Two
** calls that shared a key could at worst present an id the daemon refuses:
** it binds the approval to the digest of the whole context it decides on.
*/
static char *approval_key(const char *method, const char *what, json_t *args)
{
    uint8_t digest[PC_HASH_LEN];
    char hex[2 * PC_HASH_LEN + 1];
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_json_digest(args, digest, &d);
    pc_diag_clear(&d);
    if (st != PC_OK)
        return NULL;
    pc_hex(digest, PC_HASH_LEN, hex);
    pc_buf k;
    pc_buf_init(&k);
    pc_buf_printf(&k, "%s\n%s\n%s", method, what, hex);
    return pc_buf_take(&k);
}

/* Present the approval awaited for this call, if any, with the PDP request. */
static bool present_approval(const pc_pep_gate *g, const char *key, json_t *request)
{
    json_t *awaited = json_object_get(g->approvals, key);
    return !awaited || json_object_set(request, "approval_id", awaited) == 0;
}

/*
** After the verdict: a pending request is remembered (bounded), an allow
** used the approval up. A deny or fault leaves it: the approval may still
** be good for a retry once, say, the posture is healthy again.
*/
static void note_approval(pc_pep_gate *g, const char *key, const pc_pep_verdict *v)
{
    if (v->outcome == PC_PEP_ALLOW) {
        json_object_del(g->approvals, key);
        return;
    }
    if (v->outcome != PC_PEP_APPROVAL || !v->approval_id)
        return;
    bool full = json_object_size(g->approvals) >= PC_PEP_MAX_APPROVALS;
    if (full && !json_object_get(g->approvals, key)) {
        log_line(g, "remembering %u awaited approvals at most; approval %s is not remembered, "
                    "so its retry asks anew", PC_PEP_MAX_APPROVALS, v->approval_id);
        return;
    }
    json_object_set_new(g->approvals, key, json_string(v->approval_id));
}

/* Forward, refuse or ask for approval, by the verdict. */
static bool act_on(pc_pep_queue *to_server, pc_pep_queue *to_client, json_t *id,
                   const char *method, const char *what, const pc_pep_verdict *v,
                   const char *p, size_t n)
{
    if (v->outcome == PC_PEP_ALLOW)
        return pc_pep_queue_put(to_server, p, n);
    if (v->outcome == PC_PEP_APPROVAL)
        return answer_approval(to_client, id, method, what, v);
    return answer_refusal(to_client, id, method, what, v);
}

/* Ask about one gated message; forward it or answer it. */
static bool gate_one(pc_pep_gate *g, json_t *msg, kind k, const char *p, size_t n,
                     pc_pep_queue *to_server, pc_pep_queue *to_client)
{
    const char *method = json_string_value(json_object_get(msg, "method"));
    json_t *id = json_object_get(msg, "id");
    ask a = {0};
    build_ask(g, k, json_object_get(msg, "params"), &a);
    if (!a.request)
        json_decref(a.args);
    if (!a.request && !a.why)
        return false;
    if (!a.request) {
        log_line(g, "REFUSE %s: %s", method, a.why);
        return !id || refuse(to_client, id, PC_PEP_RPC_INVALID_PARAMS, a.why, NULL);
    }
    char *key = approval_key(method, a.what, a.args);
    bool ok = key && present_approval(g, key, a.request);
    pc_pep_verdict v = {0};
    if (ok)
        pc_pep_authorize(g->pdp, a.request, &v);
    json_decref(a.request);
    json_decref(a.args);
    if (ok) {
        log_line(g, "%s %s %s: %s%s%s%s%s", outcome_word(v.outcome), method, a.what,
                 v.why ? v.why : "out of memory", v.decision_id ? " decision " : "",
                 v.decision_id ? v.decision_id : "", v.approval_id ? " approval " : "",
                 v.approval_id ? v.approval_id : "");
        note_approval(g, key, &v);
        ok = act_on(to_server, to_client, id, method, a.what, &v, p, n);
    }
    pc_pep_verdict_clear(&v);
    free(key);
    return ok;
}

/* A tools/list request: remember its id so its answer gets filtered. */
static bool track_list(pc_pep_gate *g, json_t *msg, const char *p, size_t n,
                       pc_pep_queue *to_server, pc_pep_queue *to_client)
{
    json_t *id = json_object_get(msg, "id");
    if (!id)
        return pc_pep_queue_put(to_server, p, n);
    if (json_object_size(g->pending_lists) >= PC_PEP_MAX_PENDING_LISTS)
        return refuse(to_client, id, PC_PEP_RPC_INTERNAL,
                      "portcullis: too many tools/list requests awaiting an answer", NULL);
    char *key = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
    bool ok = key && json_object_set_new(g->pending_lists, key, json_true()) == 0 &&
              pc_pep_queue_put(to_server, p, n);
    free(key);
    return ok;
}

/* A batch is forwarded when none of its parts is gated, else refused part by part. */
static bool client_batch(pc_pep_gate *g, json_t *batch, const char *p, size_t n,
                         pc_pep_queue *to_server, pc_pep_queue *to_client)
{
    size_t i;
    json_t *m;
    bool any = false;
    json_array_foreach(batch, i, m) any = any || kind_of(m) != K_OTHER;
    if (!any)
        return pc_pep_queue_put(to_server, p, n);
    log_line(g, "REFUSE a batch holding a gated method");
    json_t *answers = json_array();
    json_array_foreach(batch, i, m) if (json_object_get(m, "method") && json_object_get(m, "id"))
        json_array_append_new(answers, error_message(json_object_get(m, "id"),
                                                     PC_PEP_RPC_INVALID_REQUEST,
                                                     "portcullis: tools/call, resources/read, "
                                                     "prompts/get and tools/list must be sent "
                                                     "one per message, not in a batch", NULL));
    bool ok = answers && (json_array_size(answers) == 0 || put_json(to_client, answers));
    json_decref(answers);
    return ok;
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", p[i]))
            return false;
    return true;
}

/* A client line that does not parse (strictly) could be anything: refuse it. */
static bool refuse_unparsed(pc_pep_gate *g, const json_error_t *je, pc_pep_queue *to_client)
{
    log_line(g, "REFUSE a client message that is not JSON: %s", je->text);
    pc_buf why;
    pc_buf_init(&why);
    pc_buf_printf(&why, "portcullis: message refused, not JSON (or a key appears twice): "
                        "%s at byte %d", je->text, je->position);
    bool ok = !why.oom && refuse(to_client, NULL, PC_PEP_RPC_PARSE, why.data, NULL);
    pc_buf_free(&why);
    return ok;
}

bool pc_pep_gate_client(pc_pep_gate *g, const char *p, size_t n, pc_pep_queue *to_server,
                        pc_pep_queue *to_client)
{
    if (blank(p, n))
        return pc_pep_queue_put(to_server, p, n);
    json_error_t je;
    json_t *msg = json_loadb(p, n, STRICT, &je);
    if (!msg)
        return refuse_unparsed(g, &je, to_client);
    kind k = kind_of(msg);
    bool ok;
    if (json_is_array(msg))
        ok = client_batch(g, msg, p, n, to_server, to_client);
    else if (k == K_LIST)
        ok = track_list(g, msg, p, n, to_server, to_client);
    else if (k != K_OTHER)
        ok = gate_one(g, msg, k, p, n, to_server, to_client);
    else
        ok = pc_pep_queue_put(to_server, p, n);
    json_decref(msg);
    return ok;
}

bool pc_pep_gate_oversize(pc_pep_gate *g, const char *from, size_t max, pc_pep_queue *to_client)
{
    log_line(g, "DROP a message from the %s longer than %zu bytes", from, max);
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "portcullis: a message from the %s was longer than %zu bytes and was "
                      "dropped (raise --max-line-bytes to allow it)", from, max);
    bool ok = !m.oom && refuse(to_client, NULL, PC_PEP_RPC_INVALID_REQUEST, m.data, NULL);
    pc_buf_free(&m);
    return ok;
}

/* ---- the server's answers to tools/list -------------------------------- */

/* Decide every named tool, PC_PEP_BATCH_CHUNK at a time, into v (one per request). */
static void decide_tools(pc_pep_gate *g, json_t *requests, pc_pep_verdict *v)
{
    size_t n = json_array_size(requests);
    for (size_t start = 0; start < n; start += PC_PEP_BATCH_CHUNK) {
        size_t end = start + PC_PEP_BATCH_CHUNK < n ? start + PC_PEP_BATCH_CHUNK : n;
        json_t *chunk = json_array();
        for (size_t i = start; chunk && i < end; i++)
            json_array_append(chunk, json_array_get(requests, i));
        if (chunk && json_array_size(chunk) == end - start)
            pc_pep_authorize_batch(g->pdp, chunk, v + start);
        json_decref(chunk);
    }
}

/* Replace the answer's result with a -32603 error: the list could not be judged. */
static bool fail_list(pc_pep_gate *g, json_t *msg, const char *why)
{
    pc_buf m;
    pc_buf_init(&m);
    pc_buf_printf(&m, "portcullis: tools/list not answered: authorization unavailable: %s", why);
    json_t *err = m.oom ? NULL : json_pack("{s:i, s:s}", "code", PC_PEP_RPC_INTERNAL, "message",
                                           m.data);
    pc_buf_free(&m);
    log_line(g, "FAULT tools/list: %s", why);
    return err && json_object_del(msg, "result") == 0 &&
           json_object_set_new(msg, "error", err) == 0;
}

/* Keep the tools whose verdict allows, at once or with approval; tools is rebuilt in place. */
static bool keep_allowed(pc_pep_gate *g, json_t *result, json_t *named, pc_pep_verdict *v,
                         size_t listed)
{
    json_t *kept = json_array();
    for (size_t i = 0; kept && i < json_array_size(named); i++)
        if (v[i].outcome == PC_PEP_ALLOW || v[i].outcome == PC_PEP_APPROVAL)
            json_array_append(kept, json_array_get(named, i));
    log_line(g, "LIST tools/list: %zu of %zu tools allowed%s%s", json_array_size(kept), listed,
             v[0].decision_id ? " decision " : "", v[0].decision_id ? v[0].decision_id : "");
    return kept && json_object_set_new(result, "tools", kept) == 0;
}

/* Filter one tools/list result; false when memory ran out. */
static bool filter_tools(pc_pep_gate *g, json_t *msg, json_t *result, json_t *tools)
{
    json_t *named = json_array(), *requests = json_array(), *t;
    size_t i;
    json_array_foreach(tools, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (!name || !named || !requests)
            continue;   /* a tool without a name cannot be asked about, so it is not shown */
        json_t *h = hints_from(t);
        if (h)
            remember_hints(g, name, h);
        json_array_append(named, t);
        json_array_append_new(requests, h ? tool_request(g, name, NULL, h) : NULL);
        json_decref(h);
    }
    size_t n = json_array_size(named);
    pc_pep_verdict *v = calloc(n ? n : 1, sizeof *v);
    bool ok = v && named && requests && json_array_size(requests) == n;
    if (ok && n > 0)
        decide_tools(g, requests, v);
    bool fault = false;
    for (i = 0; ok && i < n; i++)
        fault = fault || v[i].outcome == PC_PEP_FAULT;
    if (ok)
        ok = fault ? fail_list(g, msg, v[0].why ? v[0].why : "out of memory")
                   : keep_allowed(g, result, named, v, json_array_size(tools));
    for (i = 0; v && i < n; i++)
        pc_pep_verdict_clear(&v[i]);
    free(v);
    json_decref(named);
    json_decref(requests);
    return ok;
}

/*
** One server message: 1 when it answered a tracked tools/list and was
** rewritten, 0 when it is to be forwarded untouched, -1 out of memory.
*/
static int server_message(pc_pep_gate *g, json_t *msg)
{
    json_t *id = json_object_get(msg, "id");
    if (!json_is_object(msg) || !id || json_object_get(msg, "method"))
        return 0;
    char *key = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!key)
        return -1;
    bool tracked = json_object_get(g->pending_lists, key) != NULL;
    json_object_del(g->pending_lists, key);
    free(key);
    json_t *result = json_object_get(msg, "result"), *tools = json_object_get(result, "tools");
    if (!tracked || !json_is_array(tools))
        return 0;
    return filter_tools(g, msg, result, tools) ? 1 : -1;
}

bool pc_pep_gate_server(pc_pep_gate *g, const char *p, size_t n, pc_pep_queue *to_client)
{
    if (json_object_size(g->pending_lists) == 0)
        return pc_pep_queue_put(to_client, p, n);
    json_error_t je;
    json_t *msg = json_loadb(p, n, JSON_ALLOW_NUL, &je), *m;
    int changed = 0;
    size_t i;
    if (json_is_array(msg)) {
        json_array_foreach(msg, i, m) {
            int c = server_message(g, m);
            changed = c < 0 || changed < 0 ? -1 : c || changed;
        }
    } else if (msg) {
        changed = server_message(g, msg);
    }
    bool ok = changed < 0 ? false : changed ? put_json(to_client, msg)
                                            : pc_pep_queue_put(to_client, p, n);
    json_decref(msg);
    return ok;
}
