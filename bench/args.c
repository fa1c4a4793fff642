/*
** bench/args.c — strict option parsing for the bench tools (see args.h).
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#ifndef PC_BENCH_DATA_DIR
#define PC_BENCH_DATA_DIR "../shared/bench/oopsla"
#endif

const char *pc_bench_default_data_dir(void)
{
    const char *env = getenv("PC_BENCH_DATA");
    return env && *env ? env : PC_BENCH_DATA_DIR;
}

const char *pc_bench_arg_value(pc_bench_arg *a)
{
    const char *opt = a->argv[*a->i];
    if (*a->i + 1 >= a->argc) {
        pc_diag_set(a->d, PC_ERR_INVALID, "%s needs a value", opt);
        return NULL;
    }
    return a->argv[++*a->i];
}

bool pc_bench_arg_u64(pc_bench_arg *a, uint64_t max, uint64_t *out)
{
    const char *opt = a->argv[*a->i], *v = pc_bench_arg_value(a);
    if (!v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno == ERANGE || x > max) {
        pc_diag_set(a->d, PC_ERR_INVALID, "%s \"%s\": not a whole number in 0..%llu", opt, v,
                    (unsigned long long)max);
        return false;
    }
    *out = x;
    return true;
}

static bool arg_probability(pc_bench_arg *a, double *out)
{
    const char *v = pc_bench_arg_value(a);
    if (!v)
        return false;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= 0.0 && x <= 1.0)) {
        pc_diag_set(a->d, PC_ERR_INVALID, "--p \"%s\": not a probability in [0, 1]", v);
        return false;
    }
    *out = x;
    return true;
}

bool pc_bench_arg_params(pc_bench_arg *a, pc_bench_params *p)
{
    const char *opt = a->argv[*a->i];
    uint64_t x;
    if (strcmp(opt, "--app") == 0) {
        p->app = pc_bench_arg_value(a);
        if (p->app && !pc_bench_app_known(p->app))
            pc_diag_set(a->d, PC_ERR_INVALID, "--app \"%s\": unknown app", p->app);
    } else if (strcmp(opt, "--n") == 0) {
        if (pc_bench_arg_u64(a, PC_BENCH_MAX_N, &x))
            p->n = (uint32_t)x;
    } else if (strcmp(opt, "--requests") == 0) {
        if (pc_bench_arg_u64(a, PC_BENCH_MAX_REQUESTS, &x))
            p->requests = (uint32_t)x;
    } else if (strcmp(opt, "--seed") == 0) {
        pc_bench_arg_u64(a, UINT64_MAX, &p->seed);
    } else if (strcmp(opt, "--p") == 0) {
        arg_probability(a, &p->p);
    } else if (strcmp(opt, "--no-view-quirk") == 0) {
        p->view_quirk = false;
    } else {
        return false;
    }
    return true;
}
