/*
** cli/cmd_serve.c — `portcullis serve`: the decision daemon. Flags only
** override the config file's listen addresses; everything else is in the
** config (documented in src/server/config.c). Exit 0 after a clean stop
** (SIGINT/SIGTERM), 2 when the daemon cannot start.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server/server.h"

static void usage(FILE *out)
{
    fputs("usage: portcullis serve --config FILE [--listen HOST:PORT] [--unix PATH]\n"
          "Serves AuthZEN 1.0 (/access/v1/...), the native API (/v1/authorize), admin\n"
          "(/v1/admin/policies), /healthz, /readyz and /metrics. --listen and --unix replace\n"
          "the config's addresses (port 0 picks a free port, which is logged); tls_listen,\n"
          "tls_cert and tls_key in the config add a TLS listener. SIGHUP or a changed policy\n"
          "file reloads the policy set (SIGHUP also re-reads the admin token file); SIGINT\n"
          "or SIGTERM stops.\n",
          out);
}

typedef struct opts {
    const char *config, *listen, *unix_path;
    bool help;
} opts;

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 1, "serve"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (pc_flag_value(&a, "--config", &o->config, &bad) ||
            pc_flag_value(&a, "--listen", &o->listen, &bad) ||
            pc_flag_value(&a, "--unix", &o->unix_path, &bad) ||
            pc_flag_bool(&a, "--help", &o->help))
            continue;
        fprintf(stderr, "portcullis serve: unknown option '%s'\n", argv[a.i]);
        bad = true;
    }
    if (!bad && !o->help && !o->config) {
        fprintf(stderr, "portcullis serve: --config is required\n");
        bad = true;
    }
    return !bad;
}

/* The config file, with the command line's addresses laid over it. */
static bool load_config(const opts *o, pc_srv_config *cfg)
{
    pc_diag d;
    pc_diag_init(&d);
    if (pc_srv_config_load(o->config, cfg, &d) == PC_OK &&
        ((o->listen && !pc_srv_config_set(&cfg->listen, o->listen)) ||
         (o->unix_path && !pc_srv_config_set(&cfg->unix_path, o->unix_path))))
        pc_diag_set(&d, PC_ERR_NOMEM, "out of memory reading flags");
    if (d.status != PC_OK)
        fprintf(stderr, "portcullis serve: %s\n", d.msg ? d.msg : "out of memory");
    bool ok = d.status == PC_OK;
    pc_diag_clear(&d);
    return ok;
}

int pc_cmd_serve(int argc, char **argv)
{
    opts o = {0};
    if (!parse(argc, argv, &o) || o.help) {
        usage(o.help ? stdout : stderr);
        return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    pc_srv_config cfg;
    if (!load_config(&o, &cfg))
        return PC_EXIT_ERROR;
    pc_srv *srv = NULL;
    pc_diag d;
    pc_diag_init(&d);
    int rc = PC_EXIT_OK;
    if (pc_srv_start(&cfg, &srv, &d) != PC_OK) {
        fprintf(stderr, "portcullis serve: %s\n", d.msg ? d.msg : "out of memory");
        rc = PC_EXIT_ERROR;
    } else {
        pc_srv_run(srv);
        pc_srv_stop(srv);
    }
    pc_diag_clear(&d);
    pc_srv_config_free(&cfg);
    return rc;
}
