/*
** tests/unit/store_test_util.h — what test_store.c and test_audit.c share:
** a scratch directory per test, raw SQL against a store's file (to tamper
** with it as an attacker would, behind the library's back), and records
** built from a number. Header-only, because each unit test is one program.
*/
#ifndef PC_STORE_TEST_UTIL_H
#define PC_STORE_TEST_UTIL_H

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

typedef struct scratch {
    char dir[64];
    char db[128];
} scratch;

static inline void scratch_make(scratch *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/pc-test-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->db, sizeof s->db, "%s/state.db", s->dir);
}

/* Remove the directory and the files in it (the store, its -wal and -shm, keys). */
static inline void scratch_remove(scratch *s)
{
    DIR *dir = opendir(s->dir);
    if (!dir)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(s->dir);
}

/* Run SQL on the file directly; fail the test if SQLite refuses. */
static inline void raw_sql(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "raw_sql: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(h);
    assert_int_equal(rc, SQLITE_OK);
}

/* The one integer a query answers. */
static inline long long raw_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* A record whose strings are built from k (in buf, 6 strings of 64 bytes). */
static inline void sample_record(pc_log_record *r, int k, char buf[6][64], pc_str reasons[2])
{
    memset(r, 0, sizeof *r);
    snprintf(buf[0], 64, "decision-%04d", k);
    snprintf(buf[1], 64, "User::\"user%d\"", k % 3);
    snprintf(buf[2], 64, "Action::\"%s\"", k % 2 ? "read" : "write");
    snprintf(buf[3], 64, "Doc::\"doc%d\"", k);
    snprintf(buf[4], 64, "req-%d", k);
    snprintf(buf[5], 64, "policy%d", k % 4);
    reasons[0] = pc_str_from_cstr(buf[5]);
    reasons[1] = PC_STR_LIT("policy-shared");
    r->time_us = 1700000000000000LL + (int64_t)k * 1000000;
    r->decision_id = pc_str_from_cstr(buf[0]);
    r->principal = pc_str_from_cstr(buf[1]);
    r->action = pc_str_from_cstr(buf[2]);
    r->resource = pc_str_from_cstr(buf[3]);
    r->request_id = pc_str_from_cstr(buf[4]);
    r->source = PC_STR_LIT("test");
    r->decision = k % 5 == 4 ? PC_STR_LIT(PC_DECISION_DENY) : PC_STR_LIT(PC_DECISION_ALLOW);
    r->reasons = (pc_strlist){k % 5 == 4 ? 0 : 2, reasons};
    r->policy_version = PC_STR_LIT("v1");
    r->issuer = PC_STR_LIT("https://issuer.example");
    r->latency_us = 10 + k;
}

#endif
