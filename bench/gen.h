/*
** bench/gen.h — the OOPSLA 2024 benchmark stores, generated reproducibly.
**
** A store is one app's policies and schema (read from the shared oopsla
** folder), a random entity store, R random requests and, for the template
** apps, the template links. pc_bench_generate builds one from (app, N, R,
** seed) following ../shared/bench/oopsla/README.md to the draw; the same
** struct can be written to a directory and read back, so the engine bench and
** the cedar-wasm peer always see byte-identical inputs.
**
** A directory holds: store.json (the parameters), policies.cedar,
** schema.cedarschema.json, entities.json, requests.jsonl and, for template
** apps, links.json ([{templateId, newId, values:{"?principal","?resource"}}],
** templateId being the template's @id annotation).
*/
#ifndef PC_BENCH_GEN_H
#define PC_BENCH_GEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define PC_BENCH_MAX_N 100000          /* entities per type */
#define PC_BENCH_MAX_REQUESTS 10000000 /* requests per store */
#define PC_BENCH_DEFAULT_P 0.05        /* the paper's connection probability */

typedef struct pc_bench_params {
    const char *app;      /* gdrive, gdrive-templates, github, github-templates, tinytodo */
    uint32_t n;           /* entities per type, 1..PC_BENCH_MAX_N */
    uint32_t requests;    /* R, 0..PC_BENCH_MAX_REQUESTS */
    uint64_t seed;        /* S */
    double p;             /* connection probability, [0, 1] */
    bool view_quirk;      /* gdrive: the paper's dangling View::"User 7" ids */
} pc_bench_params;

typedef struct pc_bench_store {
    pc_bench_params params;  /* params.app points into app_name */
    char app_name[32];
    char *policies;          /* Cedar text, malloc'ed */
    size_t policies_len;
    char *schema;            /* JSON schema text, malloc'ed */
    size_t schema_len;
    json_t *entities;        /* array, ending with the Action entities */
    json_t *requests;        /* array of {principal, action, resource, context} */
    json_t *links;           /* array, or NULL for apps without templates */
} pc_bench_store;

/* Default parameters: p = 0.05, quirk on, R = 500, seed 0. */
void pc_bench_params_init(pc_bench_params *p, const char *app, uint32_t n);

/* True when app names one of the five apps. */
bool pc_bench_app_known(const char *app);
/* The app names, NULL-terminated, for usage messages. */
extern const char *const pc_bench_apps[];
/* The app's policy and schema file names inside <data_dir>/<app>/. */
bool pc_bench_app_files(const char *app, const char **policy_file, const char **schema_file);
/* Append a {"type","id"} uid as Cedar text Type::"id"; false when u is not
   one (or memory ran out). */
bool pc_bench_uid_text(pc_buf *b, json_t *u);

/*
** Generate a store. data_dir is the oopsla folder (it has <app>/ with the
** policies and schema). On failure *out is left empty and d says why.
*/
pc_status pc_bench_generate(const pc_bench_params *p, const char *data_dir,
                            pc_bench_store *out, pc_diag *d);

/* Write the store into dir (created if missing; its parent must exist). */
pc_status pc_bench_store_write(const pc_bench_store *s, const char *dir, pc_diag *d);

/* Read a store written by pc_bench_store_write. */
pc_status pc_bench_store_read(const char *dir, pc_bench_store *out, pc_diag *d);

void pc_bench_store_free(pc_bench_store *s);

#endif
