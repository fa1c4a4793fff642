/*
** cli/cmd_authorize.c — `portcullis authorize`: decide one request given by
** flags, or many given as JSON lines (--requests FILE, "-" for stdin), one
** answer line each, in order. A request that cannot be evaluated is a deny
** with its reason; it never stops the batch.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_REQUEST_LINE (16u << 20)

static void usage(void)
{
    fputs("usage: portcullis authorize --policies FILE [--policies FILE ...] [--entities FILE]\n"
          "         [--policy-format cedar|json] [--schema FILE [--schema-format cedar|json]]\n"
          "         [--no-validate] [--json]\n"
          "         ( --principal UID --action UID --resource UID [--context JSON]\n"
          "         | --requests FILE.jsonl )\n"
          "UIDs are Cedar (User::\"alice\") or JSON ({\"type\":\"User\",\"id\":\"alice\"}).\n"
          "Each --requests line: {\"principal\":..,\"action\":..,\"resource\":..,\"context\":{..}}\n"
          "Exit: 0 allow, 1 deny, 2 error (batch: 0 when every line was evaluated).\n",
          stderr);
}

typedef struct opts {
    pc_sources src;
    pc_request req;
    const char *requests;
    bool json, no_validate, help;
} opts;

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 1, "authorize"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (pc_sources_flag(&a, &o->src, &bad) ||
            pc_flag_value(&a, "--principal", &o->req.principal, &bad) ||
            pc_flag_value(&a, "--action", &o->req.action, &bad) ||
            pc_flag_value(&a, "--resource", &o->req.resource, &bad) ||
            pc_flag_value(&a, "--context", &o->req.context_json, &bad) ||
            pc_flag_value(&a, "--requests", &o->requests, &bad) ||
            pc_flag_bool(&a, "--json", &o->json) || pc_flag_bool(&a, "--no-validate", &o->no_validate) ||
            pc_flag_bool(&a, "--help", &o->help))
            continue;
        fprintf(stderr, "portcullis authorize: unknown option '%s'\n", argv[a.i]);
        bad = true;
    }
    if (bad || o->help)
        return false;
    if (o->src.n_policies == 0) {
        fprintf(stderr, "portcullis authorize: --policies is required\n");
        return false;
    }
    if (!o->requests && (!o->req.principal || !o->req.action || !o->req.resource)) {
        fprintf(stderr, "portcullis authorize: give --principal, --action and --resource, "
                        "or --requests\n");
        return false;
    }
    o->req.validate = !o->no_validate;
    return true;
}

static int decide_one(const pc_engine *e, const opts *o)
{
    pc_decision *d = pc_decision_new();
    pc_error err = {0};
    if (!d) {
        fprintf(stderr, "portcullis authorize: out of memory\n");
        return PC_EXIT_ERROR;
    }
    int rc;
    if (pc_authorize(e, &o->req, d, &err) != PC_OK) {
        pc_print_request_error(stdout, err.message, o->json);
        rc = PC_EXIT_ERROR;
    } else {
        pc_print_decision(stdout, d, o->json);
        rc = pc_decision_allowed(d) ? PC_EXIT_OK : PC_EXIT_DENY;
    }
    pc_error_clear(&err);
    pc_decision_free(d);
    return rc;
}

/* Decide one JSON line; any problem becomes a printed deny with its reason. */
static void decide_line(const pc_engine *e, const char *line, size_t len, size_t lineno,
                        bool validate, bool json, pc_decision *d)
{
    pc_diag diag;
    pc_diag_init(&diag);
    char where[48];
    snprintf(where, sizeof where, "line %zu", lineno);
    json_t *j = pc_json_parse(line, len, where, &diag);
    if (j && !json_is_object(j))
        pc_diag_set(&diag, PC_ERR_REQUEST, "%s: a request must be a JSON object", where);
    if (diag.status == PC_OK) {
        json_t *ctx = json_object_get(j, "context");
        if (pc_authorize_json(e, json_object_get(j, "principal"), json_object_get(j, "action"),
                              json_object_get(j, "resource"), json_is_null(ctx) ? NULL : ctx,
                              validate, d, &diag) == PC_OK)
            pc_print_decision(stdout, d, json);
    }
    if (diag.status != PC_OK) {
        pc_diag_prefix(&diag, "%s", where);
        pc_print_request_error(stdout, diag.msg ? diag.msg : "out of memory", json);
    }
    json_decref(j);
    pc_diag_clear(&diag);
}

static int decide_batch(const pc_engine *e, const opts *o)
{
    FILE *f = strcmp(o->requests, "-") == 0 ? stdin : fopen(o->requests, "r");
    if (!f) {
        fprintf(stderr, "portcullis authorize: cannot open %s\n", o->requests);
        return PC_EXIT_ERROR;
    }
    pc_decision *d = pc_decision_new();
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = d ? PC_EXIT_OK : PC_EXIT_ERROR;
    while (d && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (len > MAX_REQUEST_LINE)
            pc_print_request_error(stdout, "request line longer than the 16 MiB limit", o->json);
        else
            decide_line(e, line, len, lineno, o->req.validate, o->json, d);
        if (f == stdin)
            fflush(stdout);   /* interactive or piped peers see each answer at once */
    }
    free(line);
    pc_decision_free(d);
    if (f != stdin)
        fclose(f);
    return rc;
}

int pc_cmd_authorize(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    if (!parse(argc, argv, &o)) {
        usage();
        return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    pc_engine *e = pc_sources_load(&o.src, NULL);
    if (!e)
        return PC_EXIT_ERROR;
    int rc = o.requests ? decide_batch(e, &o) : decide_one(e, &o);
    pc_engine_free(e);
    return rc;
}
