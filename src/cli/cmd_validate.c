/*
** cli/cmd_validate.c — `portcullis validate`: check policies against a
** schema in strict mode and print every error and warning, each with its
** file:line:col, its kind and a caret under the offending expression (or one
** JSON document with --json). Exit 0 when there is no error (warnings allowed),
** 1 when there is one, 2 when the inputs cannot be read or parsed.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "validate/validate.h"

static void usage(void)
{
    fputs("usage: portcullis validate --schema FILE [--schema-format cedar|json]\n"
          "         --policies FILE [--policies FILE ...] [--json]\n"
          "Exit: 0 valid (warnings allowed), 1 validation errors, 2 unreadable input.\n",
          stderr);
}

typedef struct opts {
    pc_sources src;
    bool json, help;
} opts;

static bool parse(int argc, char **argv, opts *o)
{
    pc_args a = {argc, argv, 1, "validate"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (pc_sources_flag(&a, &o->src, &bad) || pc_flag_bool(&a, "--json", &o->json) ||
            pc_flag_bool(&a, "--help", &o->help))
            continue;
        fprintf(stderr, "portcullis validate: unknown option '%s'\n", argv[a.i]);
        bad = true;
    }
    if (bad || o->help)
        return false;
    if (o->src.n_policies == 0 || !o->src.schema || o->src.entities) {
        fprintf(stderr, "portcullis validate: give --schema and --policies (and no --entities)\n");
        return false;
    }
    return true;
}

static void print_text(FILE *out, const pc_vresult *r)
{
    for (uint32_t i = 0; i < r->n; i++) {
        char *m = pc_vissue_format(&r->items[i]);
        fprintf(out, "%s\n", m ? m : "(out of memory formatting an issue)");
        free(m);
    }
    fprintf(out, "%s: %u error%s, %u warning%s\n", r->n_errors ? "invalid" : "valid",
            r->n_errors, r->n_errors == 1 ? "" : "s", r->n_warnings, r->n_warnings == 1 ? "" : "s");
}

static void json_issue(pc_buf *b, const pc_vissue *v)
{
    const pc_policy *p = v->policy;
    uint32_t line, col;
    pc_line_col(p->src, p->src_len, v->offset, &line, &col);
    const char *file = p->src_name ? p->src_name : "";
    pc_buf_puts(b, "{\"policy\":");
    pc_buf_json_string(b, p->id.ptr, p->id.len);
    pc_buf_puts(b, ",\"file\":");
    pc_buf_json_string(b, file, strlen(file));
    pc_buf_printf(b, ",\"line\":%u,\"column\":%u,\"severity\":\"%s\",\"kind\":", line, col,
                  v->warning ? "warning" : "error");
    pc_buf_json_string(b, v->kind, strlen(v->kind));
    pc_buf_puts(b, ",\"message\":");
    pc_buf_json_string(b, v->message, strlen(v->message));
    pc_buf_putc(b, '}');
}

static void print_json(FILE *out, const pc_vresult *r)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "{\"valid\":%s,\"errors\":%u,\"warnings\":%u,\"issues\":[",
                  r->n_errors ? "false" : "true", r->n_errors, r->n_warnings);
    for (uint32_t i = 0; i < r->n; i++) {
        if (i)
            pc_buf_putc(&b, ',');
        json_issue(&b, &r->items[i]);
    }
    pc_buf_puts(&b, "]}\n");
    fputs(b.oom ? "{\"error\":\"out of memory\"}\n" : b.data, out);
    pc_buf_free(&b);
}

int pc_cmd_validate(int argc, char **argv)
{
    opts o = {0};
    if (!parse(argc, argv, &o)) {
        usage();
        return o.help ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    pc_engine *e = pc_sources_load(&o.src, NULL);
    if (!e)
        return PC_EXIT_ERROR;
    pc_vresult r = {0};
    pc_diag d;
    pc_diag_init(&d);
    int rc = PC_EXIT_ERROR;
    if (pc_validate(e->schema, (const pc_policy *const *)e->policies.items, e->policies.n, &r,
                    &d) != PC_OK) {
        fprintf(stderr, "portcullis validate: %s\n", d.msg ? d.msg : "out of memory");
    } else {
        (o.json ? print_json : print_text)(stdout, &r);
        rc = r.n_errors ? PC_EXIT_DENY : PC_EXIT_OK;
    }
    pc_vresult_free(&r);
    pc_diag_clear(&d);
    pc_engine_free(e);
    return rc;
}
