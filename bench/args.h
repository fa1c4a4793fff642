/*
** bench/args.h — command-line helpers shared by the bench tools, so that
** portcullis-bench-gen and portcullis-bench-engine spell and check the store
** parameters (--app --n --requests --seed --p --no-view-quirk) the same way.
** Numbers are parsed strictly: the whole argument must be a number in range;
** "12abc", "-1" or an overflow is an error, never a silent wrap or cut.
*/
#ifndef PC_BENCH_ARGS_H
#define PC_BENCH_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "gen.h"

/* The cursor over argv; errors go to d (the first one wins). */
typedef struct pc_bench_arg {
    int argc;
    char **argv;
    int *i;        /* index of the current option; advanced past its value */
    pc_diag *d;
} pc_bench_arg;

/* The value after the current option, or NULL (error set) when missing. */
const char *pc_bench_arg_value(pc_bench_arg *a);
/* The value as an unsigned integer in 0..max; false (error set) otherwise. */
bool pc_bench_arg_u64(pc_bench_arg *a, uint64_t max, uint64_t *out);
/* Consume a store-parameter option into p; false when argv[*i] is not one. */
bool pc_bench_arg_params(pc_bench_arg *a, pc_bench_params *p);

/* The oopsla folder: $PC_BENCH_DATA, else the path the build was given. */
const char *pc_bench_default_data_dir(void);

#endif
