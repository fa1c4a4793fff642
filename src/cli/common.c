/*
** cli/common.c — flag reading, engine loading from files, and decision
** printing shared by the subcommands.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store/store.h"

bool pc_flag_value(pc_args *a, const char *name, const char **out, bool *bad)
{
    const char *arg = a->argv[a->i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return false;
    if (arg[n] == '=') {
        *out = arg + n + 1;
        a->i++;
        return true;
    }
    if (arg[n] != '\0')
        return false;
    if (a->i + 1 >= a->argc) {
        fprintf(stderr, "portcullis %s: %s needs a value\n", a->cmd, name);
        *bad = true;
        a->i++;
        return true;
    }
    *out = a->argv[a->i + 1];
    a->i += 2;
    return true;
}

bool pc_flag_bool(pc_args *a, const char *name, bool *out)
{
    if (strcmp(a->argv[a->i], name) != 0)
        return false;
    *out = true;
    a->i++;
    return true;
}

bool pc_sources_flag(pc_args *a, pc_sources *s, bool *bad)
{
    const char *v = NULL;
    if (pc_flag_value(a, "--policies", &v, bad)) {
        if (s->n_policies == (int)(sizeof s->policies / sizeof s->policies[0])) {
            fprintf(stderr, "portcullis %s: too many --policies files (limit %zu)\n", a->cmd,
                    sizeof s->policies / sizeof s->policies[0]);
            *bad = true;
        } else if (v) {
            s->policies[s->n_policies++] = v;
        }
        return true;
    }
    return pc_flag_value(a, "--schema", &s->schema, bad) ||
           pc_flag_value(a, "--schema-format", &s->schema_format, bad) ||
           pc_flag_value(a, "--policy-format", &s->policy_format, bad) ||
           pc_flag_value(a, "--entities", &s->entities, bad);
}

/* Join base_dir and a relative path (absolute paths and NULL base pass through). */
static char *join_path(const char *base_dir, const char *path)
{
    if (!base_dir || path[0] == '/')
        return strdup(path);
    size_t n = strlen(base_dir) + strlen(path) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", base_dir, path);
    return p;
}

typedef pc_status (*load_fn)(pc_engine *e, const char *text, size_t len, const char *name,
                             const void *extra, pc_error *err);

static pc_status load_policies(pc_engine *e, const char *t, size_t n, const char *name,
                               const void *extra, pc_error *err)
{
    (void)extra;
    return pc_engine_load_policies(e, t, n, name, err);
}

static pc_status load_policies_json(pc_engine *e, const char *t, size_t n, const char *name,
                                    const void *extra, pc_error *err)
{
    (void)extra;
    return pc_engine_load_policies_json(e, t, n, name, err);
}

static pc_status load_schema(pc_engine *e, const char *t, size_t n, const char *name,
                             const void *extra, pc_error *err)
{
    return pc_engine_load_schema(e, t, n, *(const pc_schema_format *)extra, name, err);
}

static pc_status load_entities(pc_engine *e, const char *t, size_t n, const char *name,
                               const void *extra, pc_error *err)
{
    (void)extra;
    return pc_engine_load_entities(e, t, n, name, err);
}

/* Read a file and hand it to one of the engine's load functions. */
static bool load_file(pc_engine *e, const char *base_dir, const char *path, load_fn fn,
                      const void *extra)
{
    char *full = join_path(base_dir, path);
    char *text = NULL;
    size_t len = 0;
    pc_diag d;
    pc_diag_init(&d);
    pc_error err = {0};
    bool ok = full && pc_read_file(full, PC_MAX_FILE_BYTES, &text, &len, &d) == PC_OK &&
              fn(e, text, len, path, extra, &err) == PC_OK;
    if (!ok)
        fprintf(stderr, "%s\n", d.msg ? d.msg : err.message ? err.message : "out of memory");
    pc_diag_clear(&d);
    pc_error_clear(&err);
    free(text);
    free(full);
    return ok;
}

/* Is a file JSON: by the format given, else by its extension? */
static bool is_json(const char *format, const char *path)
{
    if (format)
        return strcmp(format, "json") == 0;
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".json") == 0;
}

static pc_schema_format schema_format(const pc_sources *s)
{
    return is_json(s->schema_format, s->schema) ? PC_SCHEMA_JSON : PC_SCHEMA_CEDAR;
}

pc_engine *pc_sources_load(const pc_sources *s, const char *base_dir)
{
    pc_engine *e = pc_engine_new();
    if (!e) {
        fprintf(stderr, "portcullis: out of memory creating an engine\n");
        return NULL;
    }
    bool ok = true;
    for (int i = 0; ok && i < s->n_policies; i++)
        ok = load_file(e, base_dir, s->policies[i],
                       is_json(s->policy_format, s->policies[i]) ? load_policies_json
                                                                  : load_policies,
                       NULL);
    if (ok && s->schema) {
        pc_schema_format fmt = schema_format(s);
        ok = load_file(e, base_dir, s->schema, load_schema, &fmt);
    }
    if (ok && s->entities)
        ok = load_file(e, base_dir, s->entities, load_entities, NULL);
    if (!ok) {
        pc_engine_free(e);
        return NULL;
    }
    return e;
}

static void print_json_decision(FILE *out, const pc_decision *d)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "{\"decision\":\"%s\",\"reasons\":[", pc_decision_allowed(d) ? "allow" : "deny");
    for (size_t i = 0; i < pc_decision_reason_count(d); i++) {
        if (i)
            pc_buf_putc(&b, ',');
        const char *id = pc_decision_reason(d, i);
        pc_buf_json_string(&b, id, strlen(id));
    }
    pc_buf_puts(&b, "],\"errors\":[");
    for (size_t i = 0; i < pc_decision_error_count(d); i++) {
        const char *id = pc_decision_error_policy(d, i);
        const char *msg = pc_decision_error_message(d, i);
        pc_buf_puts(&b, i ? ",{\"policy\":" : "{\"policy\":");
        pc_buf_json_string(&b, id, strlen(id));
        pc_buf_puts(&b, ",\"message\":");
        pc_buf_json_string(&b, msg ? msg : "", msg ? strlen(msg) : 0);
        pc_buf_putc(&b, '}');
    }
    pc_buf_puts(&b, "]}\n");
    fputs(b.oom ? "{\"decision\":\"deny\",\"reasons\":[],\"errors\":[],\"error\":\"out of memory\"}\n"
                : b.data,
          out);
    pc_buf_free(&b);
}

void pc_print_decision(FILE *out, const pc_decision *d, bool json)
{
    if (json) {
        print_json_decision(out, d);
        return;
    }
    fprintf(out, "%s\n", pc_decision_allowed(d) ? "ALLOW" : "DENY");
    for (size_t i = 0; i < pc_decision_reason_count(d); i++)
        fprintf(out, "  reason: %s\n", pc_decision_reason(d, i));
    for (size_t i = 0; i < pc_decision_error_count(d); i++)
        fprintf(out, "  error: %s: %s\n", pc_decision_error_policy(d, i),
                pc_decision_error_message(d, i));
}

void pc_print_request_error(FILE *out, const char *message, bool json)
{
    if (!json) {
        fprintf(out, "DENY\n  request error: %s\n", message);
        return;
    }
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "{\"decision\":\"deny\",\"reasons\":[],\"errors\":[],\"error\":");
    pc_buf_json_string(&b, message, strlen(message));
    pc_buf_puts(&b, "}\n");
    fputs(b.oom ? "{\"decision\":\"deny\",\"reasons\":[],\"errors\":[],\"error\":\"out of memory\"}\n"
                : b.data,
          out);
    pc_buf_free(&b);
}

pc_store *pc_cli_open_store(const char *cmd, const char *db, bool read_only)
{
    pc_store_options so = {.read_only = read_only};
    pc_store *s = NULL;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_store_open(db, &so, &s, &d) != PC_OK)
        fprintf(stderr, "portcullis %s: %s\n", cmd, d.msg ? d.msg : "cannot open the store");
    pc_diag_clear(&d);
    return s;
}
