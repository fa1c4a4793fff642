/*
** tests/e2e/audit/fixture.c — writes what the CLI end-to-end test reads:
** decision records through the real log writer, and approval requests
** through the real step-up path. It stands in for the daemon until the
** daemon calls the library itself; it decides nothing.
**
**   audit-fixture records  --db F [--key PEM] [--count N] [--every K]
**                          [--mode sync|async] [--keep-context] [--redact NAME]
**   audit-fixture stepup   --db F --principal UID --action UID --resource UID
**                          --args JSON [--group G] [--ttl SECONDS] [--id ID]
** `records` writes N records (decision ids decision-0001, ...; principals
** User::"user0".."user2"; every fifth a deny) one second apart from
** 2024-05-01T00:00:00Z. `stepup` prints "granted ID" when an approval was
** consumed, else "pending ID" (and the note on why a given --id was unusable).
** Exit 0 on success, 2 on any error (the message on stderr).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/approval.h"

#define BASE_TIME_US 1714521600000000LL /* 2024-05-01T00:00:00Z */
#define MAX_REDACT 8

typedef struct opts {
    const char *db, *key, *mode, *principal, *action, *resource, *args, *group, *id;
    long count, every, ttl;
    bool keep_context;
    const char *redact[MAX_REDACT];
    size_t n_redact;
} opts;

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "audit-fixture: %s: %s\n", what, why ? why : "failed");
    return 2;
}

/* --name value pairs; numbers must be whole. */
static bool parse(int argc, char **argv, opts *o)
{
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(f, "--db")          ? &o->db
                            : !strcmp(f, "--key")       ? &o->key
                            : !strcmp(f, "--mode")      ? &o->mode
                            : !strcmp(f, "--principal") ? &o->principal
                            : !strcmp(f, "--action")    ? &o->action
                            : !strcmp(f, "--resource")  ? &o->resource
                            : !strcmp(f, "--args")      ? &o->args
                            : !strcmp(f, "--group")     ? &o->group
                            : !strcmp(f, "--id")        ? &o->id
                                                        : NULL;
        long *num = !strcmp(f, "--count")   ? &o->count
                    : !strcmp(f, "--every") ? &o->every
                    : !strcmp(f, "--ttl")   ? &o->ttl
                                            : NULL;
        if (!strcmp(f, "--keep-context")) {
            o->keep_context = true;
        } else if (!strcmp(f, "--redact") && v && o->n_redact < MAX_REDACT) {
            o->redact[o->n_redact++] = v;
            i++;
        } else if ((slot || num) && v) {
            char *end = NULL;
            if (slot)
                *slot = v;
            else if ((*num = strtol(v, &end, 10)) < 0 || *end)
                return false;
            i++;
        } else {
            fprintf(stderr, "audit-fixture: bad argument '%s'\n", f);
            return false;
        }
    }
    return o->db != NULL;
}

static pc_store *open_store(const char *db, bool durable, pc_diag *d)
{
    pc_store_options so = {false, durable, 0};
    pc_store *s = NULL;
    return pc_store_open(db, &so, &s, d) == PC_OK ? s : NULL;
}

/* Record k of the series, strings in buf. */
static void record_k(pc_log_record *r, long k, char buf[5][64], pc_str *reason)
{
    memset(r, 0, sizeof *r);
    snprintf(buf[0], 64, "decision-%04ld", k);
    snprintf(buf[1], 64, "User::\"user%ld\"", k % 3);
    snprintf(buf[2], 64, "Action::\"%s\"", k % 2 ? "read" : "write");
    snprintf(buf[3], 64, "Doc::\"doc%ld\"", k);
    snprintf(buf[4], 64, "policy%ld", k % 4);
    *reason = pc_str_from_cstr(buf[4]);
    bool deny = k % 5 == 0;
    r->time_us = BASE_TIME_US + k * 1000000;
    r->decision_id = pc_str_from_cstr(buf[0]);
    r->request_id = PC_STR_LIT("");
    r->source = PC_STR_LIT("fixture");
    r->principal = pc_str_from_cstr(buf[1]);
    r->action = pc_str_from_cstr(buf[2]);
    r->resource = pc_str_from_cstr(buf[3]);
    r->decision = deny ? PC_STR_LIT(PC_DECISION_DENY) : PC_STR_LIT(PC_DECISION_ALLOW);
    r->reasons = (pc_strlist){deny ? 0 : 1, reason};
    r->policy_version = PC_STR_LIT("fixture-1");
    r->issuer = PC_STR_LIT("https://idp.example");
    r->latency_us = k % 97;
}

static pc_status write_records(pc_audit_log *log, long count, pc_diag *d)
{
    pc_status st = PC_OK;
    for (long k = 1; k <= count && st == PC_OK; k++) {
        pc_log_record r;
        char buf[5][64];
        pc_str reason;
        record_k(&r, k, buf, &reason);
        json_t *ctx = json_pack("{s:i,s:s}", "k", (json_int_t)k, "password", "secret");
        st = ctx ? pc_audit_append(log, &r, ctx, NULL, d)
                 : pc_diag_set(d, PC_ERR_NOMEM, "out of memory");
        json_decref(ctx);
    }
    return st;
}

static int records(const opts *o)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_audit_key *key = NULL;
    if (o->key && pc_audit_key_load(o->key, true, &key, &d) != PC_OK)
        return fail(o->key, d.msg);
    bool async = o->mode && !strcmp(o->mode, "async");
    pc_store *s = open_store(o->db, !async, &d);
    if (!s)
        return fail(o->db, d.msg);
    pc_audit_options lo = {.mode = async ? PC_AUDIT_ASYNC : PC_AUDIT_SYNC,
                           .key = key,
                           .checkpoint_every = (uint32_t)o->every,
                           .keep_context = o->keep_context,
                           .redact = o->redact,
                           .n_redact = o->n_redact};
    pc_audit_log *log = NULL;
    pc_status st = pc_audit_open(s, &lo, &log, &d);
    if (st == PC_OK)
        st = write_records(log, o->count ? o->count : 10, &d);
    pc_status closed = log ? pc_audit_close(log, &d) : PC_OK;
    pc_store_close(s);
    pc_audit_key_free(key);
    return st == PC_OK && closed == PC_OK ? 0 : fail("writing records", d.msg);
}

static int stepup(const opts *o)
{
    pc_diag d;
    pc_diag_init(&d);
    if (!o->principal || !o->action || !o->resource || !o->args)
        return fail("stepup", "give --principal, --action, --resource and --args");
    json_t *args = json_loads(o->args, 0, NULL);
    pc_approval_binding b = {pc_str_from_cstr(o->principal),
                             pc_str_from_cstr(o->action),
                             pc_str_from_cstr(o->resource),
                             {0},
                             pc_str_from_cstr(o->id ? o->id : "")};
    pc_status digested = args ? pc_json_digest(args, b.args_digest, &d) : PC_ERR_INVALID;
    json_decref(args);
    if (digested != PC_OK)
        return fail("--args", d.msg ? d.msg : "not JSON");
    pc_str group = pc_str_from_cstr(o->group ? o->group : "approvers");
    pc_str policy = PC_STR_LIT("policy0");
    pc_approval_need need = {true, 1, &group, 1, &policy};
    pc_store *s = open_store(o->db, true, &d);
    if (!s)
        return fail(o->db, d.msg);
    pc_arena a;
    pc_arena_init(&a, 4096, 0);
    pc_stepup out;
    int64_t ttl = (o->ttl ? o->ttl : 3600) * 1000000LL;
    pc_status st = pc_approval_step_up(s, &b, &need, ttl, pc_time_now_us(), &a, &out, &d);
    if (st == PC_OK)
        printf("%s %s%s%s\n", out.granted ? "granted" : "pending", out.id.ptr, out.note ? " " : "",
               out.note ? out.note : "");
    pc_arena_free(&a);
    pc_store_close(s);
    return st == PC_OK ? 0 : fail("stepup", d.msg);
}

int main(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    const char *sub = argc > 1 ? argv[1] : "";
    if (!parse(argc, argv, &o)) {
        fprintf(stderr,
                "usage: audit-fixture records|stepup --db FILE ... (see the top of fixture.c)\n");
        return 2;
    }
    if (!strcmp(sub, "records"))
        return records(&o);
    if (!strcmp(sub, "stepup"))
        return stepup(&o);
    fprintf(stderr, "audit-fixture: unknown subcommand '%s'\n", sub);
    return 2;
}
