/*
** bench/gen_main.c — portcullis-bench-gen: write one reproducible OOPSLA
** benchmark store (gen.h) to a directory.
**
**   portcullis-bench-gen --app APP --n N --out DIR [--requests R] [--seed S]
**                        [--p P] [--no-view-quirk] [--data OOPSLA_DIR]
**
** The tool is only argument handling around pc_bench_generate and
** pc_bench_store_write; the shared option parsing lives in args.c so that
** portcullis-bench-engine accepts the same spellings.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "gen.h"

static const char USAGE[] =
    "usage: portcullis-bench-gen --app APP --n N --out DIR [--requests R] [--seed S]\n"
    "                            [--p P] [--no-view-quirk] [--data OOPSLA_DIR]\n"
    "  APP is one of gdrive, gdrive-templates, github, github-templates, tinytodo.\n"
    "  Defaults: R = 500, S = 0, P = 0.05, the gdrive view-id quirk on,\n"
    "  OOPSLA_DIR = $PC_BENCH_DATA or the build's default.\n";

int main(int argc, char **argv)
{
    pc_bench_params p;
    pc_bench_params_init(&p, NULL, 0);
    const char *out = NULL, *data = pc_bench_default_data_dir();
    pc_diag d;
    pc_diag_init(&d);
    for (int i = 1; i < argc && d.status == PC_OK; i++) {
        pc_bench_arg a = {argc, argv, &i, &d};
        if (pc_bench_arg_params(&a, &p))
            continue;
        if (strcmp(argv[i], "--out") == 0)
            out = pc_bench_arg_value(&a);
        else if (strcmp(argv[i], "--data") == 0)
            data = pc_bench_arg_value(&a);
        else if (d.status == PC_OK)
            pc_diag_set(&d, PC_ERR_INVALID, "unknown argument \"%s\"", argv[i]);
    }
    if (d.status == PC_OK && (!p.app || !p.n || !out))
        pc_diag_set(&d, PC_ERR_INVALID, "--app, --n (at least 1) and --out are required");
    if (d.status != PC_OK) {
        fprintf(stderr, "portcullis-bench-gen: %s\n%s", d.msg, USAGE);
        pc_diag_clear(&d);
        return 2;
    }
    pc_bench_store s;
    if (pc_bench_generate(&p, data, &s, &d) == PC_OK && pc_bench_store_write(&s, out, &d) == PC_OK)
        printf("%s N=%u seed %llu: %zu entities, %zu requests, %zu links -> %s\n", p.app, p.n,
               (unsigned long long)p.seed, json_array_size(s.entities),
               json_array_size(s.requests), json_array_size(s.links), out);
    pc_bench_store_free(&s);
    if (d.status != PC_OK) {
        fprintf(stderr, "portcullis-bench-gen: %s\n", d.msg);
        pc_diag_clear(&d);
        return 1;
    }
    return 0;
}
