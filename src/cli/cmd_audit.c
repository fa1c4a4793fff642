/*
** cli/cmd_audit.c — `portcullis audit verify|tail|query`: reading the
** decision log offline, straight from the store file.
**
** The store is opened read-only (no migration, query_only), so inspecting a
** log that may be evidence never changes it, and works while the daemon is
** writing (WAL readers do not block the writer). Exit codes: 0 success (for
** verify: intact), 1 verify found tampering, 2 error.
*/
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli.h"

#define TAIL_DEFAULT 10

typedef struct audit_opts {
    const char *db, *pubkey, *n;
    const char *since, *until, *limit;
    pc_record_filter f;
    bool json, help;
} audit_opts;

static void usage(void)
{
    fputs(
        "usage: portcullis audit verify --db FILE [--pubkey PEM] [--json]\n"
        "       portcullis audit tail   --db FILE [-n N] [--json]\n"
        "       portcullis audit query  --db FILE [--principal UID] [--action UID]\n"
        "                 [--decision allow|deny|approval_required] [--since TIME] [--until TIME]\n"
        "                 [--limit N] [--json]\n"
        "TIME is RFC 3339 (2024-05-01T12:00:00Z, 2024-05-01) or Unix seconds; --until is "
        "exclusive.\n"
        "verify checks the hash chain and, with --pubkey (Ed25519, PEM), the signed checkpoints,\n"
        "and names the first record modified, deleted, inserted or reordered.\n"
        "Exit: 0 ok (verify: intact), 1 verify found tampering, 2 error.\n",
        stderr);
}

static bool parse_count(const char *cmd, const char *flag, const char *text, uint64_t *out)
{
    char *end = NULL;
    bool digits = text[0] >= '0' && text[0] <= '9';
    unsigned long long v = digits ? strtoull(text, &end, 10) : 0;
    if (!digits || *end) {
        fprintf(stderr, "portcullis audit %s: %s wants a whole number, not '%s'\n", cmd, flag,
                text);
        return false;
    }
    *out = v;
    return true;
}

/* Each subcommand takes only its own options: say so rather than ignore one. */
static bool fits_subcommand(const char *sub, const audit_opts *o)
{
    const pc_record_filter *f = &o->f;
    const char *stray = NULL;
    bool is_query = !strcmp(sub, "query");
    if (!is_query && (f->principal || f->action || f->decision || o->since || o->until || o->limit))
        stray = "--principal, --action, --decision, --since, --until and --limit belong to query";
    else if (strcmp(sub, "tail") != 0 && o->n)
        stray = "-n belongs to tail";
    else if (strcmp(sub, "verify") != 0 && o->pubkey)
        stray = "--pubkey belongs to verify";
    if (stray)
        fprintf(stderr, "portcullis audit %s: %s\n", sub, stray);
    return !stray;
}

static bool parse_time(const char *cmd, const char *flag, const char *text, bool *has, int64_t *us)
{
    if (!text)
        return true;
    if (!pc_time_parse(text, us)) {
        fprintf(stderr, "portcullis audit %s: %s '%s' is not RFC 3339 or Unix seconds\n", cmd, flag,
                text);
        return false;
    }
    *has = true;
    return true;
}

static bool parse(int argc, char **argv, audit_opts *o)
{
    pc_args a = {argc, argv, 2, "audit"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (pc_flag_value(&a, "--db", &o->db, &bad) ||
            pc_flag_value(&a, "--pubkey", &o->pubkey, &bad) ||
            pc_flag_value(&a, "-n", &o->n, &bad) ||
            pc_flag_value(&a, "--principal", &o->f.principal, &bad) ||
            pc_flag_value(&a, "--action", &o->f.action, &bad) ||
            pc_flag_value(&a, "--decision", &o->f.decision, &bad) ||
            pc_flag_value(&a, "--since", &o->since, &bad) ||
            pc_flag_value(&a, "--until", &o->until, &bad) ||
            pc_flag_value(&a, "--limit", &o->limit, &bad) || pc_flag_bool(&a, "--json", &o->json) ||
            pc_flag_bool(&a, "--help", &o->help))
            continue;
        fprintf(stderr, "portcullis audit %s: unknown option '%s'\n", argv[1], argv[a.i]);
        bad = true;
    }
    if (bad || o->help)
        return false;
    if (!o->db) {
        fprintf(stderr, "portcullis audit %s: --db is required\n", argv[1]);
        return false;
    }
    return fits_subcommand(argv[1], o) &&
           parse_time(argv[1], "--since", o->since, &o->f.has_since, &o->f.since_us) &&
           parse_time(argv[1], "--until", o->until, &o->f.has_until, &o->f.until_us) &&
           (!o->limit || parse_count(argv[1], "--limit", o->limit, &o->f.limit)) &&
           (!o->n || parse_count(argv[1], "-n", o->n, &o->f.limit));
}

/* ---- tail and query ------------------------------------------------------ */

typedef struct printer {
    bool json;
    pc_buf line;
    bool failed;
} printer;

static bool print_record(void *ctx, const pc_log_record *r)
{
    printer *p = ctx;
    pc_buf_clear(&p->line);
    bool ok = p->json ? pc_log_record_json(&p->line, r) : pc_log_record_text(&p->line, r);
    if (!ok) {
        p->failed = true;
        return false;
    }
    fputs(p->line.data, stdout);
    fputc('\n', stdout);
    return true;
}

static int list_records(pc_store *s, const audit_opts *o)
{
    printer p = {o->json, {0}, false};
    pc_buf_init(&p.line);
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = s->ops->records(s, &o->f, print_record, &p, &d);
    if (st != PC_OK)
        fprintf(stderr, "portcullis audit: %s\n", d.msg ? d.msg : "reading records failed");
    else if (p.failed)
        fprintf(stderr, "portcullis audit: out of memory printing a record\n");
    pc_diag_clear(&d);
    pc_buf_free(&p.line);
    return st == PC_OK && !p.failed ? PC_EXIT_OK : PC_EXIT_ERROR;
}

/* ---- verify -------------------------------------------------------------- */

static void print_report_json(const pc_audit_report *r)
{
    char hex[2 * PC_HASH_LEN + 1];
    pc_buf b;
    pc_buf_init(&b);
    pc_hex(r->last_hash, PC_HASH_LEN, hex);
    pc_buf_printf(&b, "{\"intact\":%s,\"finding\":\"%s\",\"seq\":%lld,\"message\":",
                  r->finding == PC_TAMPER_NONE ? "true" : "false", pc_tamper_name(r->finding),
                  (long long)r->seq);
    if (r->message)
        pc_buf_json_string(&b, r->message, strlen(r->message));
    else
        pc_buf_puts(&b, "null");
    pc_buf_printf(&b,
                  ",\"records\":%llu,\"last_seq\":%lld,\"last_hash\":\"%s\",\"checkpoints\":%llu,"
                  "\"signatures_checked\":%llu,\"covered_seq\":%lld}",
                  (unsigned long long)r->records, (long long)r->last_seq, hex,
                  (unsigned long long)r->checkpoints, (unsigned long long)r->signatures_checked,
                  (long long)r->covered_seq);
    puts(b.data ? b.data : "{}");
    pc_buf_free(&b);
}

static void print_report_text(const char *db, const pc_audit_report *r, bool keyed)
{
    if (r->finding != PC_TAMPER_NONE) {
        printf("%s: TAMPERED (%s): %s\n", db, pc_tamper_name(r->finding), r->message);
        return;
    }
    char hex[2 * PC_HASH_LEN + 1];
    pc_hex(r->last_hash, PC_HASH_LEN, hex);
    printf("%s: intact: %llu records, last #%lld (hash %s)\n", db, (unsigned long long)r->records,
           (long long)r->last_seq, hex);
    printf("  %llu checkpoint(s), %s\n", (unsigned long long)r->checkpoints,
           keyed ? "every signature verified" : "signatures NOT checked (give --pubkey)");
    if (r->covered_seq < r->last_seq)
        printf("  records %lld..%lld are not yet covered by a signed checkpoint\n",
               (long long)r->covered_seq + 1, (long long)r->last_seq);
}

static int verify(pc_store *s, const audit_opts *o)
{
    pc_audit_key *key = NULL;
    pc_diag d;
    pc_diag_init(&d);
    pc_audit_report r;
    memset(&r, 0, sizeof r);
    pc_status st = o->pubkey ? pc_audit_key_load(o->pubkey, false, &key, &d) : PC_OK;
    if (st == PC_OK)
        st = pc_audit_verify(s, key, &r, &d);
    int rc = PC_EXIT_ERROR;
    if (st != PC_OK) {
        fprintf(stderr, "portcullis audit verify: %s\n", d.msg ? d.msg : "failed");
    } else {
        if (o->json)
            print_report_json(&r);
        else
            print_report_text(o->db, &r, key != NULL);
        rc = r.finding == PC_TAMPER_NONE ? PC_EXIT_OK : PC_EXIT_DENY;
    }
    pc_audit_report_clear(&r);
    pc_audit_key_free(key);
    pc_diag_clear(&d);
    return rc;
}

int pc_cmd_audit(int argc, char **argv)
{
    audit_opts o;
    memset(&o, 0, sizeof o);
    const char *sub = argc > 1 ? argv[1] : "";
    bool known = !strcmp(sub, "verify") || !strcmp(sub, "tail") || !strcmp(sub, "query");
    if (!known || !parse(argc, argv, &o)) {
        if (!known && *sub && strcmp(sub, "--help") != 0)
            fprintf(stderr, "portcullis audit: unknown subcommand '%s'\n", sub);
        usage();
        return o.help || !strcmp(sub, "--help") ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    if (!strcmp(sub, "tail")) {
        o.f.limit = o.n ? o.f.limit : TAIL_DEFAULT;
        o.f.last = true;
    }
    pc_store *s = pc_cli_open_store("audit", o.db, true);
    if (!s)
        return PC_EXIT_ERROR;
    int rc = !strcmp(sub, "verify") ? verify(s, &o) : list_records(s, &o);
    pc_store_close(s);
    return rc;
}
