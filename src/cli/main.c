/*
** cli/main.c — `portcullis`: one binary, one subcommand per job. Each
** subcommand lives in its own file and only parses flags and calls the
** library; this file dispatches and prints the usage.
*/
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"authorize", pc_cmd_authorize, "decide requests against policies, entities and a schema"},
    {"conformance", pc_cmd_conformance, "run Cedar integration tests and count matches"},
    {"validate", pc_cmd_validate, "check policies against a schema (strict validation)"},
    {"grant", pc_cmd_grant, "verify grants offline, make and publish grant keys, issue one"},
    {"audit", pc_cmd_audit, "verify, tail and query the decision log"},
    {"approvals", pc_cmd_approvals, "list, approve and deny approval requests"},
    {"mcp-proxy", pc_cmd_mcp_proxy, "gate an MCP server's tool calls through the PDP"},
    {"exec", pc_cmd_exec, "run a command only when the PDP allows it"},
    {"serve", pc_cmd_serve, "run the decision daemon (AuthZEN 1.0, native API, admin)"},
};

static void usage(FILE *out)
{
    fprintf(out, "portcullis %s — pre-execution authorization\n\nusage: portcullis COMMAND [OPTIONS]\n\n",
            PORTCULLIS_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nRun `portcullis COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return PC_EXIT_ERROR;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return PC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("portcullis %s\n", PORTCULLIS_VERSION);
        return PC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "portcullis: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return PC_EXIT_ERROR;
}
