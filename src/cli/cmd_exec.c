/*
** cli/cmd_exec.c — `portcullis exec`: ask the PDP, and run the command only
** on allow.
**
** The command replaces this process (execvp), so on allow it keeps our PID,
** stdio and exit status: a CI step or a sandbox wrapper sees the command
** itself. Before that nothing of it runs. Exit codes when it does not run:
** 3 deny, 4 the PDP could not be asked (down, slow, garbage), 2 bad flags,
** 126/127 the command could not be executed (as a shell would say).
*/
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pep/pep.h"

enum { EXIT_DENIED = 3, EXIT_FAULT = 4, EXIT_APPROVAL = 5, EXIT_CANNOT_EXEC = 126, EXIT_NOT_FOUND = 127 };

static void usage(FILE *out)
{
    fputs("usage: portcullis exec --principal UID --action UID --resource UID [options] -- CMD "
          "[ARGS...]\n"
          "Asks the PDP whether principal may do action on resource and runs CMD only on\n"
          "allow. On deny it prints why and exits 3; when the PDP cannot answer, exits 4;\n"
          "when a human must approve first, prints the approval request id and exits 5\n"
          "(once approved, run again with --approval-id ID: the approval is spent once).\n\n"
          "  --pdp URL          http://HOST:PORT or unix:/PATH (default " PC_PEP_DEFAULT_PDP ")\n"
          "  --principal UID    Cedar uids: User::\"alice\", Action::\"deploy\", ...\n"
          "  --action UID\n"
          "  --resource UID\n"
          "  --context JSON     the request's context object (default {})\n"
          "  --approval-id ID   an approved request for exactly this call\n"
          "  --token T          token sent to the PDP as Authorization: Bearer\n"
          "  --token-env VAR    the same, read from the environment variable VAR\n"
          "  --timeout-ms N     PDP timeout (default 250)\n"
          "  --quiet            say nothing on allow\n",
          out);
}

typedef struct opts {
    pc_pep_pdp_flags pdp;
    const char *principal, *action, *resource, *context, *approval_id;
    bool quiet, help, bad;
    char **cmd;
} opts;

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 1, "exec"};
    while (a.i < argc && !o->bad && !o->help) {
        if (!strcmp(argv[a.i], "--")) {
            o->cmd = argv + a.i + 1;
            break;
        }
        if (pc_flag_value(&a, "--pdp", &o->pdp.url, &o->bad) ||
            pc_flag_value(&a, "--token", &o->pdp.token, &o->bad) ||
            pc_flag_value(&a, "--token-env", &o->pdp.token_env, &o->bad) ||
            pc_flag_value(&a, "--timeout-ms", &o->pdp.timeout_ms, &o->bad) ||
            pc_flag_value(&a, "--principal", &o->principal, &o->bad) ||
            pc_flag_value(&a, "--action", &o->action, &o->bad) ||
            pc_flag_value(&a, "--resource", &o->resource, &o->bad) ||
            pc_flag_value(&a, "--context", &o->context, &o->bad) ||
            pc_flag_value(&a, "--approval-id", &o->approval_id, &o->bad) ||
            pc_flag_bool(&a, "--quiet", &o->quiet) || pc_flag_bool(&a, "--help", &o->help))
            continue;
        fprintf(stderr, "portcullis exec: unknown option '%s'\n", argv[a.i]);
        o->bad = true;
    }
    const char *missing = o->bad || o->help  ? NULL
                          : !o->cmd || !*o->cmd ? "-- CMD"
                          : !o->principal      ? "--principal"
                          : !o->action         ? "--action"
                          : !o->resource       ? "--resource"
                                               : NULL;
    if (missing) {
        fprintf(stderr, "portcullis exec: %s is required\n", missing);
        o->bad = true;
    }
    return !o->bad;
}

/* Carry an approved request's id (the daemon spends it once, for exactly this call). */
static bool with_approval(json_t *req, const char *approval_id, pc_diag *d)
{
    if (!approval_id || json_object_set_new(req, "approval_id", json_string(approval_id)) == 0)
        return true;
    pc_diag_set(d, PC_ERR_NOMEM, "out of memory adding the approval id");
    return false;
}

/* Ask; the verdict is a fault when the question itself could not be put. */
static bool decide(const opts *o, pc_pep_verdict *v)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_pep_pdp_config cfg;
    pc_pep_pdp *pdp = NULL;
    json_t *ctx = NULL, *req = NULL;
    if (pc_pep_pdp_flags_resolve(&o->pdp, &cfg, &d) == PC_OK &&
        (!o->context || (ctx = pc_pep_object_from_text("--context", o->context, &d))) &&
        (req = pc_pep_request(o->principal, o->action, o->resource, ctx, &d)) &&
        with_approval(req, o->approval_id, &d) &&
        pc_pep_pdp_new(&cfg, &pdp, &d) == PC_OK)
        pc_pep_authorize(pdp, req, v);   /* ctx now belongs to req, whatever happened */
    bool asked = d.status == PC_OK;
    if (!asked)
        fprintf(stderr, "portcullis exec: %s\n", d.msg ? d.msg : "out of memory");
    json_decref(req);
    pc_pep_pdp_free(pdp);
    pc_diag_clear(&d);
    return asked;
}

static void report(const pc_pep_verdict *v)
{
    const char *word = v->outcome == PC_PEP_ALLOW      ? "allowed"
                       : v->outcome == PC_PEP_DENY     ? "denied"
                       : v->outcome == PC_PEP_APPROVAL ? "not run: approval required"
                                                       : "not run: authorization unavailable";
    fprintf(stderr, "portcullis exec: %s: %s", word, v->why ? v->why : "out of memory");
    if (v->outcome == PC_PEP_APPROVAL && v->approval_id)
        fprintf(stderr, " (approval request %s; once approved, rerun with --approval-id %s)",
                v->approval_id, v->approval_id);
    if (v->decision_id)
        fprintf(stderr, " (decision %s)", v->decision_id);
    fputc('\n', stderr);
}

int pc_cmd_exec(int argc, char **argv)
{
    opts o = {0};
    if (!parse(argc, argv, &o) || o.help) {
        usage(o.help ? stdout : stderr);
        return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    pc_pep_verdict v = {0};
    if (!decide(&o, &v))
        return PC_EXIT_ERROR;
    if (v.outcome != PC_PEP_ALLOW || !o.quiet)
        report(&v);
    int rc = v.outcome == PC_PEP_ALLOW      ? 0
             : v.outcome == PC_PEP_DENY     ? EXIT_DENIED
             : v.outcome == PC_PEP_APPROVAL ? EXIT_APPROVAL
                                            : EXIT_FAULT;
    pc_pep_verdict_clear(&v);
    if (rc != 0)
        return rc;
    fflush(NULL);
    execvp(o.cmd[0], o.cmd);
    fprintf(stderr, "portcullis exec: cannot run '%s': %s\n", o.cmd[0], strerror(errno));
    return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}
