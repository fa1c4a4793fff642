/*
** cli/cmd_approvals.c — `portcullis approvals list|approve|deny`: approval
** requests, offline, straight against the store (the administrator's path;
** approvers at large go through the daemon's API).
**
** Deciding follows the same rules as the daemon (audit/approval.h): a
** reason is required, nobody decides their own request, expired or decided
** requests are refused, and who may decide is a Cedar decision. For that
** the policies are given as for `authorize` (--policies, --entities,
** --schema); --admin instead decides as an offline administrator without a
** policy check, which is said on stderr so it is never silent.
*/
#include <string.h>

#include "audit/approval.h"
#include "cli.h"

typedef struct approvals_opts {
    const char *sub;
    const char *id, *db, *as, *reason, *state;
    pc_sources src;
    bool admin, json, help;
} approvals_opts;

static void usage(void)
{
    fputs(
        "usage: portcullis approvals list --db FILE [--json]\n"
        "                 [--state pending|approved|denied|consumed|expired|all]\n"
        "       portcullis approvals approve ID --reason TEXT --db FILE --as APPROVER\n"
        "                 (--policies FILE [--entities FILE] [--schema FILE] | --admin)\n"
        "       portcullis approvals deny    ID --reason TEXT --db FILE --as APPROVER\n"
        "                 (--policies FILE [--entities FILE] [--schema FILE] | --admin)\n"
        "APPROVER is an entity uid (User::\"bob\"). Who may decide is asked of the policies as\n"
        "principal APPROVER, action Action::\"approve\", resource Approval::\"ID\"; --admin skips\n"
        "that check (offline administrator). --state defaults to pending.\n"
        "Exit: 0 done, 1 refused (not allowed, expired, already decided, own request), 2 error.\n",
        stderr);
}

static bool parse(int argc, char **argv, approvals_opts *o)
{
    pc_args a = {argc, argv, 2, "approvals"};
    bool bad = false;
    while (a.i < argc && !bad) {
        if (pc_sources_flag(&a, &o->src, &bad) || pc_flag_value(&a, "--db", &o->db, &bad) ||
            pc_flag_value(&a, "--as", &o->as, &bad) ||
            pc_flag_value(&a, "--reason", &o->reason, &bad) ||
            pc_flag_value(&a, "--state", &o->state, &bad) ||
            pc_flag_bool(&a, "--admin", &o->admin) || pc_flag_bool(&a, "--json", &o->json) ||
            pc_flag_bool(&a, "--help", &o->help))
            continue;
        if (argv[a.i][0] != '-' && !o->id) {
            o->id = argv[a.i++];
            continue;
        }
        fprintf(stderr, "portcullis approvals %s: unexpected '%s'\n", o->sub, argv[a.i]);
        bad = true;
    }
    return !bad && !o->help;
}

/* What each subcommand needs, said before anything is opened. */
static bool complete(const approvals_opts *o)
{
    bool listing = !strcmp(o->sub, "list");
    const char *missing = !o->db                            ? "--db is required"
                          : listing && o->id                ? "list takes no ID"
                          : listing                         ? NULL
                          : !o->id                          ? "give the approval ID"
                          : !o->as                          ? "--as APPROVER is required"
                          : !o->reason || !*o->reason       ? "--reason is required"
                          : !o->admin && !o->src.n_policies ? "give --policies (or --admin)"
                          : o->admin && o->src.n_policies
                              ? "--admin and --policies exclude each other"
                              : NULL;
    if (missing)
        fprintf(stderr, "portcullis approvals %s: %s\n", o->sub, missing);
    return !missing;
}

/* ---- list ----------------------------------------------------------------- */

typedef struct lister {
    const char *state; /* a pc_approval_status name, or NULL for all */
    bool json;
    int64_t now;
    pc_buf line;
} lister;

static bool print_one(void *ctx, const pc_approval *a)
{
    lister *l = ctx;
    if (l->state && !a->malformed && strcmp(pc_approval_status(a, l->now), l->state) != 0)
        return true;
    pc_buf_clear(&l->line);
    if (l->json ? pc_approval_json(&l->line, a, l->now) : pc_approval_text(&l->line, a, l->now))
        puts(l->line.data);
    return true;
}

static bool known_state(const char *s)
{
    static const char *const names[] = {"pending",  "approved", "denied",
                                        "consumed", "expired",  "all"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i]))
            return true;
    return false;
}

static int list(pc_store *s, const approvals_opts *o)
{
    const char *state = o->state ? o->state : "pending";
    if (!known_state(state)) {
        fprintf(stderr, "portcullis approvals list: unknown --state '%s'\n", state);
        return PC_EXIT_ERROR;
    }
    lister l = {strcmp(state, "all") ? state : NULL, o->json, pc_time_now_us(), {0}};
    pc_buf_init(&l.line);
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = s->ops->approval_list(s, -1, print_one, &l, &d);
    if (st != PC_OK)
        fprintf(stderr, "portcullis approvals list: %s\n", d.msg ? d.msg : "failed");
    pc_diag_clear(&d);
    pc_buf_free(&l.line);
    return st == PC_OK ? PC_EXIT_OK : PC_EXIT_ERROR;
}

/* ---- approve / deny ------------------------------------------------------- */

/* --admin: an offline administrator may decide (the other rules still hold). */
static pc_status admin_hook(void *ctx, pc_str approver, const pc_approval *req, bool approve,
                            bool *allowed, pc_diag *d)
{
    (void)ctx, (void)approver, (void)req, (void)approve, (void)d;
    *allowed = true;
    return PC_OK;
}

static int decide(pc_store *s, const approvals_opts *o)
{
    pc_engine *engine = NULL;
    if (!o->admin && !(engine = pc_sources_load(&o->src, NULL)))
        return PC_EXIT_ERROR;
    if (o->admin)
        fprintf(stderr, "portcullis approvals: --admin: deciding as an offline administrator, "
                        "without a policy check\n");
    pc_approval_cedar cedar = {engine, NULL, NULL};
    pc_approval_verdict v = {o->id, o->as, !strcmp(o->sub, "approve"), o->reason};
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_approval_decide(s, &v, o->admin ? admin_hook : pc_approval_cedar_hook, &cedar,
                                      pc_time_now_us(), &d);
    if (st == PC_OK)
        printf("approval %s %s by %s\n", o->id, v.approve ? "approved" : "denied", o->as);
    else
        fprintf(stderr, "portcullis approvals %s: %s\n", o->sub, d.msg ? d.msg : "failed");
    pc_diag_clear(&d);
    pc_engine_free(engine);
    return st == PC_OK ? PC_EXIT_OK : st == PC_ERR_STATE ? PC_EXIT_DENY : PC_EXIT_ERROR;
}

int pc_cmd_approvals(int argc, char **argv)
{
    approvals_opts o;
    memset(&o, 0, sizeof o);
    o.sub = argc > 1 ? argv[1] : "";
    bool known = !strcmp(o.sub, "list") || !strcmp(o.sub, "approve") || !strcmp(o.sub, "deny");
    if (!known || !parse(argc, argv, &o) || !complete(&o)) {
        if (!known && *o.sub && strcmp(o.sub, "--help") != 0)
            fprintf(stderr, "portcullis approvals: unknown subcommand '%s'\n", o.sub);
        usage();
        return o.help || !strcmp(o.sub, "--help") ? PC_EXIT_OK : PC_EXIT_ERROR;
    }
    bool listing = !strcmp(o.sub, "list");
    pc_store *s = pc_cli_open_store("approvals", o.db, listing);
    if (!s)
        return PC_EXIT_ERROR;
    int rc = listing ? list(s, &o) : decide(s, &o);
    pc_store_close(s);
    return rc;
}
