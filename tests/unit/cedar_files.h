/*
** tests/unit/cedar_files.h — every Cedar policy file of the conformance data
** (the .cedar files of corpus-tests and, recursively, of tests), for the round-trip tests of
** the text and JSON policy formats. PC_CONFORMANCE_DIR (set by meson from
** shared_dir) says where the data is; without it, ../shared relative to the
** repository root, where the tests run.
*/
#ifndef PC_TEST_CEDAR_FILES_H
#define PC_TEST_CEDAR_FILES_H

#include <ftw.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*pc_test_file_fn)(const char *path, void *arg);

static pc_test_file_fn pc_test_walk_fn;
static void *pc_test_walk_arg;

static inline const char *pc_test_conformance_dir(void)
{
    const char *env = getenv("PC_CONFORMANCE_DIR");
    return env && *env ? env : "../shared/conformance/cedar";
}

static int pc_test_visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 6 && strcmp(path + n - 6, ".cedar") == 0)
        pc_test_walk_fn(path, pc_test_walk_arg);
    return 0;
}

/* Call fn on every .cedar file of the corpus, then of the hand-written tests; false if either is missing. */
static inline bool pc_test_each_cedar_file(pc_test_file_fn fn, void *arg)
{
    char pattern[4096], tests[4096];
    snprintf(pattern, sizeof pattern, "%s/corpus-tests/*.cedar", pc_test_conformance_dir());
    snprintf(tests, sizeof tests, "%s/tests", pc_test_conformance_dir());
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return false;
    for (size_t i = 0; i < g.gl_pathc; i++)
        fn(g.gl_pathv[i], arg);
    globfree(&g);
    pc_test_walk_fn = fn;
    pc_test_walk_arg = arg;
    return nftw(tests, pc_test_visit, 16, FTW_PHYS) == 0;
}

#endif
