/*
** cli/cmd_conformance.c — `portcullis conformance PATH...`: run tests in the
** Cedar integration-test format (see shared/conformance/cedar/README.md).
**
** Every *.json file under each PATH that is a test (an object with
** "policies" and "requests") is loaded into a fresh engine; each request is
** decided and compared with the expected decision, reason set and error set.
** Paths inside a test are resolved against the directory given on the
** command line, then against the test file's own directory and its parents,
** so both the upstream layout and copied subtrees work. Counts are over
** requests; a test that fails to load fails all its requests.
*/
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "validate/validate.h"

typedef struct counts {
    long passed, failed;       /* requests, plus validation mismatches as failures */
    long valid_ok, valid_bad;  /* tests whose shouldValidate we checked */
    bool quiet;
} counts;

typedef struct path_list {
    char **items;
    size_t n, cap;
} path_list;

static bool push_path(path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    return (l->items[l->n++] = strdup(p)) != NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Collect *.json files under dir, depth-bounded so a link loop cannot trap us. */
static void collect(const char *dir, int depth, path_list *out)
{
    DIR *d = depth < 32 ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            collect(path, depth + 1, out);
        else if (ends_with(ent->d_name, ".json") && !ends_with(ent->d_name, ".entities.json"))
            push_path(out, path);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Find the directory against which the test's relative paths exist. */
static char *resolve_base(const char *root, const char *test_path, const char *probe)
{
    char cand[PATH_MAX];
    if (root && snprintf(cand, sizeof cand, "%s/%s", root, probe) < (int)sizeof cand &&
        access(cand, R_OK) == 0)
        return strdup(root);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", test_path);
    char *slash;
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        if (snprintf(cand, sizeof cand, "%s/%s", dir[0] ? dir : "/", probe) < (int)sizeof cand &&
            access(cand, R_OK) == 0)
            return strdup(dir[0] ? dir : "/");
    }
    return strdup(".");
}

/* Is the JSON array of policy ids equal, as a set, to the ids the getter yields? */
static bool same_ids(json_t *expected, const pc_decision *d, size_t n,
                     const char *(*get)(const pc_decision *, size_t))
{
    if (!json_is_array(expected))
        return n == 0 && !expected;
    size_t m = json_array_size(expected);
    for (size_t i = 0; i < m; i++) {
        const char *want = json_string_value(json_array_get(expected, i));
        bool found = false;
        for (size_t k = 0; want && k < n && !found; k++)
            found = strcmp(want, get(d, k)) == 0;
        if (!found)
            return false;
    }
    for (size_t k = 0; k < n; k++) {
        bool found = false;
        for (size_t i = 0; i < m && !found; i++) {
            const char *want = json_string_value(json_array_get(expected, i));
            found = want && strcmp(want, get(d, k)) == 0;
        }
        if (!found)
            return false;
    }
    return true;
}

static void print_got(const pc_decision *d)
{
    printf("  got:      %s [", pc_decision_allowed(d) ? "allow" : "deny");
    for (size_t i = 0; i < pc_decision_reason_count(d); i++)
        printf("%s%s", i ? ", " : "", pc_decision_reason(d, i));
    printf("] errors [");
    for (size_t i = 0; i < pc_decision_error_count(d); i++)
        printf("%s%s: %s", i ? "; " : "", pc_decision_error_policy(d, i),
               pc_decision_error_message(d, i));
    printf("]\n");
}

static void print_expected(json_t *req)
{
    char *reason = json_dumps(json_object_get(req, "reason"), JSON_COMPACT);
    char *errors = json_dumps(json_object_get(req, "errors"), JSON_COMPACT);
    printf("  expected: %s %s errors %s\n", json_string_value(json_object_get(req, "decision")),
           reason ? reason : "[]", errors ? errors : "[]");
    free(reason);
    free(errors);
}

static void fail_header(const char *test, size_t i, json_t *req)
{
    const char *desc = json_string_value(json_object_get(req, "description"));
    printf("FAIL %s request %zu (%s)\n", test, i, desc ? desc : "");
}

static void run_request(const pc_engine *e, const char *test, size_t i, json_t *req,
                        pc_decision *d, counts *c)
{
    pc_diag diag;
    pc_diag_init(&diag);
    json_t *validate = json_object_get(req, "validateRequest");
    pc_status st = pc_authorize_json(e, json_object_get(req, "principal"),
                                     json_object_get(req, "action"), json_object_get(req, "resource"),
                                     json_object_get(req, "context"), !json_is_false(validate), d, &diag);
    const char *want = json_string_value(json_object_get(req, "decision"));
    bool ok = st == PC_OK && want &&
              strcmp(want, pc_decision_allowed(d) ? "allow" : "deny") == 0 &&
              same_ids(json_object_get(req, "reason"), d, pc_decision_reason_count(d),
                       pc_decision_reason) &&
              same_ids(json_object_get(req, "errors"), d, pc_decision_error_count(d),
                       pc_decision_error_policy);
    if (ok) {
        c->passed++;
    } else {
        c->failed++;
        if (!c->quiet) {
            fail_header(test, i, req);
            print_expected(req);
            if (st != PC_OK)
                printf("  got:      request error: %s\n", diag.msg ? diag.msg : pc_status_name(st));
            else
                print_got(d);
        }
    }
    pc_diag_clear(&diag);
}

/* Does strict validation agree with the test's shouldValidate? A mismatch is one failure. */
static bool validation_matches(const pc_engine *e, json_t *t, const char *path, counts *c)
{
    json_t *want = json_object_get(t, "shouldValidate");
    if (!json_is_boolean(want) || !e->schema)
        return true;
    pc_vresult r = {0};
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_validate(e->schema, (const pc_policy *const *)e->policies.items,
                               e->policies.n, &r, &d);
    bool ok = st == PC_OK && (r.n_errors == 0) == json_is_true(want);
    if (ok)
        c->valid_ok++;
    else
        c->valid_bad++;
    if (!ok && !c->quiet) {
        printf("FAIL %s: shouldValidate is %s, validation found %u error(s)%s\n", path,
               json_is_true(want) ? "true" : "false", r.n_errors, st == PC_OK ? "" : " (failed)");
        for (uint32_t i = 0; i < r.n && i < 3; i++) {
            char *m = pc_vissue_format(&r.items[i]);
            printf("  %s\n", m ? m : "(out of memory)");
            free(m);
        }
    }
    pc_vresult_free(&r);
    pc_diag_clear(&d);
    return ok;
}

static pc_engine *load_test(json_t *t, const char *base)
{
    pc_sources s;
    memset(&s, 0, sizeof s);
    const char *pol = json_string_value(json_object_get(t, "policies"));
    if (pol)
        s.policies[s.n_policies++] = pol;
    s.schema = json_string_value(json_object_get(t, "schema"));
    s.schema_format = json_string_value(json_object_get(t, "schemaFormat"));
    s.entities = json_string_value(json_object_get(t, "entities"));
    /* a test's policies are Cedar text unless it says "json", whatever the file is called */
    const char *pfmt = json_string_value(json_object_get(t, "policyFormat"));
    if (pfmt && strcmp(pfmt, "cedar") != 0 && strcmp(pfmt, "json") != 0) {
        fprintf(stderr, "policyFormat \"%s\" is not supported (expected \"cedar\" or \"json\")\n",
                pfmt);
        return NULL;
    }
    s.policy_format = pfmt ? pfmt : "cedar";
    return pc_sources_load(&s, base);
}

/* Read a JSON file with the engine's own rules (NUL in keys, exact integers). */
static json_t *read_json(const char *path, counts *c)
{
    char *text = NULL;
    size_t len = 0;
    pc_diag d;
    pc_diag_init(&d);
    json_t *j = NULL;
    if (pc_read_file(path, PC_MAX_FILE_BYTES, &text, &len, &d) == PC_OK)
        j = pc_json_parse(text, len, path, &d);
    if (!j) {   /* a broken file among the tests is a failure, never a silent skip */
        printf("FAIL %s: %s\n", path, d.msg ? d.msg : "out of memory");
        c->failed++;
    }
    pc_diag_clear(&d);
    free(text);
    return j;
}

static void run_test(const char *root, const char *path, pc_decision *d, counts *c)
{
    json_t *t = read_json(path, c);
    json_t *reqs = json_object_get(t, "requests");
    const char *pol = json_string_value(json_object_get(t, "policies"));
    if (!t || !json_is_array(reqs) || !pol) {
        json_decref(t);   /* not a test file: entities, schemas and other data */
        return;
    }
    char *base = resolve_base(root, path, pol);
    fflush(stdout);
    pc_engine *e = load_test(t, base);
    if (e && !validation_matches(e, t, path, c))
        c->failed++;
    size_t i;
    json_t *req;
    json_array_foreach(reqs, i, req) {
        if (e) {
            run_request(e, path, i, req, d, c);
        } else {
            c->failed++;
            if (!c->quiet) {
                fail_header(path, i, req);
                printf("  got:      the test did not load (see the error above)\n");
            }
        }
    }
    pc_engine_free(e);
    free(base);
    json_decref(t);
}

int pc_cmd_conformance(int argc, char **argv)
{
    counts c = {0, 0, 0, 0, false};
    path_list roots = {0}, files = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quiet")) {
            c.quiet = true;
        } else if (!strcmp(argv[i], "--help")) {
            puts("usage: portcullis conformance [--quiet] PATH...\n"
                 "Runs every Cedar integration test (*.json) under each PATH; prints each\n"
                 "mismatch and ends with `N passed, N failed` counted over requests.");
            return PC_EXIT_OK;
        } else {
            push_path(&roots, argv[i]);
        }
    }
    if (roots.n == 0) {
        fprintf(stderr, "portcullis conformance: give at least one PATH\n");
        return PC_EXIT_ERROR;
    }
    pc_decision *d = pc_decision_new();
    for (size_t r = 0; d && r < roots.n; r++) {
        struct stat st;
        files.n = 0;
        if (stat(roots.items[r], &st) != 0) {
            fprintf(stderr, "portcullis conformance: %s: no such file or directory\n", roots.items[r]);
            c.failed++;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            collect(roots.items[r], 0, &files);
        else
            push_path(&files, roots.items[r]);
        qsort(files.items, files.n, sizeof *files.items, cmp_str);
        for (size_t k = 0; k < files.n; k++) {
            run_test(S_ISDIR(st.st_mode) ? roots.items[r] : NULL, files.items[k], d, &c);
            free(files.items[k]);
        }
    }
    pc_decision_free(d);
    for (size_t r = 0; r < roots.n; r++)
        free(roots.items[r]);
    free(roots.items);
    free(files.items);
    printf("shouldValidate: %ld tests agree, %ld disagree\n", c.valid_ok, c.valid_bad);
    printf("%ld passed, %ld failed\n", c.passed, c.failed);
    return c.failed ? PC_EXIT_DENY : PC_EXIT_OK;
}
