/*
** cli/cmd_mcp_proxy.c — `portcullis mcp-proxy`: put the PDP between an agent
** and an MCP server that speaks stdio.
**
** The agent starts this command instead of the server; everything after
** `--` is the server's own command line. The flags say who the agent is
** (--principal, and a token the PDP may check), what the server is called in
** policies (--server-name), and the operator's risk rating of its tools.
** The relay itself is src/pep/proxy.c. Exit status: the server's, or 2 when
** the flags are wrong or the session cannot start.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pep/pep.h"

static void usage(FILE *out)
{
    fputs("usage: portcullis mcp-proxy --principal UID --server-name NAME [options] -- SERVER_CMD "
          "[ARGS...]\n"
          "Runs SERVER_CMD (an MCP server on stdio) and relays its messages, asking the PDP\n"
          "before every tools/call, resources/read and prompts/get, and showing in tools/list\n"
          "only the tools the principal may call. A denied request gets JSON-RPC error -32001;\n"
          "when the PDP cannot answer (down, slow, garbage) -32603. Either way it never reaches\n"
          "the server.\n\n"
          "  --pdp URL            http://HOST:PORT or unix:/PATH (default " PC_PEP_DEFAULT_PDP ")\n"
          "  --principal UID      the agent, as a Cedar uid: Agent::\"support-bot\"\n"
          "  --token T            agent token sent to the PDP as Authorization: Bearer\n"
          "  --token-env VAR      the same, read from the environment variable VAR\n"
          "  --server-name NAME   qualifies resources: Tool::\"NAME/TOOL\"\n"
          "  --namespace NS       namespace of the Tool, Resource, Prompt and Action types\n"
          "  --risk TOOL=LEVEL    operator's risk rating (low|medium|high|critical); repeatable\n"
          "  --default-risk LEVEL rating of tools not named by --risk (default " PC_PEP_DEFAULT_RISK
          ")\n"
          "  --session JSON       facts about this session, sent as context.session\n"
          "  --timeout-ms N       PDP timeout per exchange (default 250)\n"
          "  --max-line-bytes N   longest message relayed (default 64 MiB)\n"
          "  --quiet              no decision log on stderr\n",
          out);
}

typedef struct opts {
    pc_pep_pdp_flags pdp;
    const char *principal, *server, *ns, *default_risk, *session, *max_line;
    const char *risks[PC_PEP_MAX_RISKS];
    int n_risks;
    bool quiet, help, bad;
    char **server_argv;
} opts;

static bool read_flag(pc_args *a, opts *o)
{
    const char *risk = NULL;
    if (pc_flag_value(a, "--risk", &risk, &o->bad)) {
        if (o->n_risks == PC_PEP_MAX_RISKS) {
            fprintf(stderr, "portcullis mcp-proxy: --risk given more than %d times\n",
                    PC_PEP_MAX_RISKS);
            o->bad = true;
        } else if (risk) {
            o->risks[o->n_risks++] = risk;
        }
        return true;
    }
    return pc_flag_value(a, "--pdp", &o->pdp.url, &o->bad) ||
           pc_flag_value(a, "--token", &o->pdp.token, &o->bad) ||
           pc_flag_value(a, "--token-env", &o->pdp.token_env, &o->bad) ||
           pc_flag_value(a, "--timeout-ms", &o->pdp.timeout_ms, &o->bad) ||
           pc_flag_value(a, "--principal", &o->principal, &o->bad) ||
           pc_flag_value(a, "--server-name", &o->server, &o->bad) ||
           pc_flag_value(a, "--namespace", &o->ns, &o->bad) ||
           pc_flag_value(a, "--default-risk", &o->default_risk, &o->bad) ||
           pc_flag_value(a, "--session", &o->session, &o->bad) ||
           pc_flag_value(a, "--max-line-bytes", &o->max_line, &o->bad) ||
           pc_flag_bool(a, "--quiet", &o->quiet) || pc_flag_bool(a, "--help", &o->help);
}

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 1, "mcp-proxy"};
    while (a.i < argc && !o->bad && !o->help) {
        if (!strcmp(argv[a.i], "--")) {
            o->server_argv = argv + a.i + 1;
            break;
        }
        if (!read_flag(&a, o)) {
            fprintf(stderr, "portcullis mcp-proxy: unknown option '%s'\n", argv[a.i]);
            o->bad = true;
        }
    }
    const char *missing = o->bad || o->help             ? NULL
                          : !o->server_argv || !*o->server_argv ? "-- SERVER_CMD"
                          : !o->principal                      ? "--principal"
                          : !o->server                         ? "--server-name"
                                                               : NULL;
    if (missing) {
        fprintf(stderr, "portcullis mcp-proxy: %s is required\n", missing);
        o->bad = true;
    }
    return !o->bad;
}

/* The checked settings; false (after saying why) when a flag is wrong. */
static bool configure(const opts *o, pc_pep_proxy_config *cfg)
{
    pc_diag d;
    pc_diag_init(&d);
    uint64_t max_line = PC_PEP_DEFAULT_MAX_LINE;
    pc_pep_gate_config *g = &cfg->gate;
    g->principal = o->principal;
    g->server = o->server;
    g->ns = o->ns ? o->ns : "";
    g->default_risk = o->default_risk ? o->default_risk : PC_PEP_DEFAULT_RISK;
    g->log = o->quiet ? NULL : stderr;
    g->risks = json_object();
    g->session = o->session ? pc_pep_object_from_text("--session", o->session, &d) : json_object();
    if (!g->risks || (!g->session && d.status == PC_OK))
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory");
    for (int i = 0; d.status == PC_OK && i < o->n_risks; i++)
        pc_pep_risk_add(g->risks, o->risks[i], &d);
    if (d.status == PC_OK && !pc_pep_risk_level_ok(g->default_risk))
        pc_diag_set(&d, PC_ERR_INVALID, "--default-risk must be low, medium, high, critical or "
                    PC_PEP_DEFAULT_RISK);
    if (d.status == PC_OK && pc_pep_check_name("--server-name", g->server, false, &d) == PC_OK &&
        pc_pep_check_name("--namespace", g->ns, true, &d) == PC_OK &&
        pc_pep_pdp_flags_resolve(&o->pdp, &cfg->pdp, &d) == PC_OK && o->max_line)
        pc_pep_parse_uint("--max-line-bytes", o->max_line, 2, PC_PEP_MAX_LINE_LIMIT, &max_line, &d);
    cfg->max_line = (size_t)max_line;
    cfg->server_argv = o->server_argv;
    if (d.status != PC_OK)
        fprintf(stderr, "portcullis mcp-proxy: %s\n", d.msg ? d.msg : "out of memory");
    bool ok = d.status == PC_OK;
    pc_diag_clear(&d);
    return ok;
}

/* A signal ends the session through the relay's stop descriptor. */
static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(stop_pipe[1], &b, 1) < 0) {
        /* the pipe already holds a byte: the relay is stopping anyway */
    }
    errno = saved;
}

static bool catch_signals(void)
{
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    signal(SIGPIPE, SIG_IGN);   /* a closed pipe is an error value from write, not a death */
    return sigaction(SIGINT, &sa, NULL) == 0 && sigaction(SIGTERM, &sa, NULL) == 0 &&
           sigaction(SIGHUP, &sa, NULL) == 0;
}

int pc_cmd_mcp_proxy(int argc, char **argv)
{
    opts o = {0};
    if (!parse(argc, argv, &o) || o.help) {
        usage(o.help ? stdout : stderr);
        return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    pc_pep_proxy_config cfg = {.client_in = STDIN_FILENO, .client_out = STDOUT_FILENO};
    int rc = PC_EXIT_ERROR;
    if (configure(&o, &cfg)) {
        if (!catch_signals()) {
            fprintf(stderr, "portcullis mcp-proxy: cannot set up signals: %s\n", strerror(errno));
        } else {
            cfg.stop_fd = stop_pipe[0];
            pc_diag d;
            pc_diag_init(&d);
            if (pc_pep_proxy_run(&cfg, &rc, &d) != PC_OK) {
                fprintf(stderr, "portcullis mcp-proxy: %s\n", d.msg ? d.msg : "out of memory");
                rc = rc ? rc : PC_EXIT_ERROR;
            }
            pc_diag_clear(&d);
        }
    }
    json_decref(cfg.gate.risks);
    json_decref(cfg.gate.session);
    return rc;
}
