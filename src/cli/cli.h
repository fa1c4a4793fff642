/*
** cli/cli.h — what the `portcullis` subcommands share: a tiny flag reader,
** loading an engine from files, and printing decisions as text or JSON.
** Exit codes are the same everywhere: 0 allow / success, 1 deny / findings,
** 2 error (bad flags, unreadable or invalid input).
*/
#ifndef PC_CLI_H
#define PC_CLI_H

#include <stdio.h>

#include "engine/engine.h"

enum { PC_EXIT_OK = 0, PC_EXIT_DENY = 1, PC_EXIT_ERROR = 2 };

/* Flag reading: `--name value` or `--name=value`; positional args collected. */
typedef struct pc_args {
    int argc;
    char **argv;
    int i;             /* next argument to read */
    const char *cmd;   /* subcommand name, for messages */
} pc_args;

/* If argv[i] is --name (with a value), store the value and advance; report errors. */
bool pc_flag_value(pc_args *a, const char *name, const char **out, bool *bad);
bool pc_flag_bool(pc_args *a, const char *name, bool *out);

/* Files that make an engine. */
typedef struct pc_sources {
    const char *policies[64];
    int n_policies;
    const char *schema;
    const char *schema_format;   /* "cedar", "json" or NULL: by file extension */
    const char *policy_format;   /* "cedar", "json" or NULL: by file extension (.json) */
    const char *entities;
} pc_sources;

/* Read one of the source flags if argv[i] is one; false if not ours. */
bool pc_sources_flag(pc_args *a, pc_sources *s, bool *bad);
/* Build an engine from the files; on failure prints the error and returns NULL. */
pc_engine *pc_sources_load(const pc_sources *s, const char *base_dir);

/* Print an answer: text ("ALLOW\n  reason: policy0\n...") or one JSON line. */
void pc_print_decision(FILE *out, const pc_decision *d, bool json);
void pc_print_request_error(FILE *out, const char *message, bool json);

/* Open the state store for a subcommand; on failure prints why and returns NULL. */
typedef struct pc_store pc_store;
pc_store *pc_cli_open_store(const char *cmd, const char *db, bool read_only);

int pc_cmd_authorize(int argc, char **argv);
int pc_cmd_conformance(int argc, char **argv);
int pc_cmd_serve(int argc, char **argv);
int pc_cmd_grant(int argc, char **argv);
int pc_cmd_audit(int argc, char **argv);
int pc_cmd_approvals(int argc, char **argv);
int pc_cmd_mcp_proxy(int argc, char **argv);
int pc_cmd_exec(int argc, char **argv);
int pc_cmd_validate(int argc, char **argv);

#endif
