/*
** bench/gen.c — the reproducible generator of the OOPSLA 2024 benchmark
** stores (see gen.h and ../shared/bench/oopsla/README.md).
**
** Design: every app is one function that walks its loops in exactly the
** README's order and nesting, drawing from one SplitMix64 stream, so the
** code reads like the spec it follows. Entities are built as jansson values
** (the output is JSON anyway, and jansson keeps object keys in insertion
** order, which the request draws rely on for the schema's action order).
** Allocation failures are recorded in a sticky flag instead of being checked
** at each of the hundreds of call sites: the store is discarded at the end if
** anything failed, the same pattern pc_buf uses for its oom flag.
**
** The parts the README says come "from the schema" (the Action entities and
** their hierarchy, each action's principal and resource types) are read from
** the app's schema file, not written into this file, so a schema change
** cannot silently desynchronise the generator.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"
#include "rng.h"

/* Longest entity id or link id we format; the longest id the apps make at
   N = PC_BENCH_MAX_N ("Group group_99999", "org_99999_admins") is far below. */
#define ID_MAX 96
#define LINK_ID_MAX 512
#define TINYTODO_TASKS_MAX 50      /* task count is between(0, 50) */
#define TINYTODO_TASK_NUM_MAX 1000000 /* task name suffix and id: between(1, 1e6) */
#define STORE_FILE_MAX PC_MAX_FILE_BYTES

const char *const pc_bench_apps[] = {"gdrive", "gdrive-templates", "github", "github-templates",
                                     "tinytodo", NULL};

/* ---- generation state ------------------------------------------------ */

typedef struct gen {
    pc_rng rng;
    uint32_t n;
    double p;
    bool view_quirk;
    json_t *entities;
    json_t *links;          /* NULL unless the app has templates */
    const char *failed;     /* sticky: the first failure, NULL while all is well */
} gen;

static void fail(gen *g, const char *why)
{
    if (!g->failed)
        g->failed = why;
}

static bool chance(gen *g) { return pc_rng_chance(&g->rng, g->p); }
static uint32_t below(gen *g, uint32_t n) { return (uint32_t)pc_rng_below(&g->rng, n); }

/* Format into buf (ID_MAX bytes); records a failure rather than truncating. */
static bool vfmt_id(gen *g, char *buf, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, ID_MAX, fmt, ap);
    if (n >= 0 && n < ID_MAX)
        return true;
    fail(g, "an entity id does not fit in ID_MAX bytes");
    buf[0] = '\0';
    return false;
}

static const char *fmt_id(gen *g, char *buf, const char *fmt, ...) PC_PRINTF(3, 4);
static const char *fmt_id(gen *g, char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfmt_id(g, buf, fmt, ap);
    va_end(ap);
    return buf;
}

static json_t *check(gen *g, json_t *v)
{
    if (!v)
        fail(g, "out of memory building the store");
    return v;
}

static json_t *new_array(gen *g) { return check(g, json_array()); }
static json_t *new_object(gen *g) { return check(g, json_object()); }

/* An entity uid {"type": type, "id": printf(fmt, ...)}. */
static json_t *uid(gen *g, const char *type, const char *fmt, ...) PC_PRINTF(3, 4);
static json_t *uid(gen *g, const char *type, const char *fmt, ...)
{
    char id[ID_MAX];
    va_list ap;
    va_start(ap, fmt);
    bool ok = vfmt_id(g, id, fmt, ap);
    va_end(ap);
    return ok ? check(g, json_pack("{s:s,s:s}", "type", type, "id", id)) : NULL;
}

/* An entity reference as an attribute value: {"__entity": uid} (steals u). */
static json_t *ref(gen *g, json_t *u) { return check(g, json_pack("{s:o}", "__entity", u)); }

/* Append v to arr, stealing v; a NULL v is an earlier failure, already noted. */
static void push(gen *g, json_t *arr, json_t *v)
{
    if (v && json_array_append_new(arr, v) != 0)
        fail(g, "out of memory building the store");
}

static void put(gen *g, json_t *obj, const char *key, json_t *v)
{
    if (v && json_object_set_new(obj, key, v) != 0)
        fail(g, "out of memory building the store");
}

/* Emit one entity (steals all three). */
static void emit(gen *g, json_t *u, json_t *attrs, json_t *parents)
{
    push(g, g->entities,
         check(g, json_pack("{s:o,s:o,s:o}", "uid", u, "attrs", attrs, "parents", parents)));
}

static void emit_plain(gen *g, json_t *u) { emit(g, u, new_object(g), new_array(g)); }

bool pc_bench_uid_text(pc_buf *b, json_t *u)
{
    const char *type = json_string_value(json_object_get(u, "type"));
    json_t *id = json_object_get(u, "id");
    if (!type || !json_is_string(id))
        return false;
    pc_buf_printf(b, "%s::\"", type);
    pc_buf_cedar_escape(b, json_string_value(id), json_string_length(id));
    pc_buf_putc(b, '"');
    return !b->oom;
}

/* Record a template link <template>:<principal>:<resource> (borrows both uids). */
static void add_link(gen *g, const char *tmpl, json_t *principal, json_t *resource)
{
    if (!principal || !resource)
        return;   /* an earlier failure, already noted */
    pc_buf id;
    pc_buf_init(&id);
    pc_buf_printf(&id, "%s:", tmpl);
    bool ok = pc_bench_uid_text(&id, principal) && pc_buf_putc(&id, ':') &&
              pc_bench_uid_text(&id, resource);
    if (!ok || id.len >= LINK_ID_MAX)
        fail(g, "a template link id is too long or memory ran out");
    else
        push(g, g->links,
             check(g, json_pack("{s:s,s:s,s:{s:O,s:O}}", "templateId", tmpl, "newId", id.data,
                                "values", "?principal", principal, "?resource", resource)));
    pc_buf_free(&id);
}

/* ---- gdrive and gdrive-templates -------------------------------------- */

/* View::"User user_7" as created in steps 1 and 2, or with the paper's quirk
   (bare = true) the dangling View::"User 7" that documents and folders use. */
static json_t *view_uid(gen *g, const char *kind, const char *prefix, uint32_t j, bool bare)
{
    if (bare)
        return uid(g, "View", "%s %u", kind, j);
    return uid(g, "View", "%s %s_%u", kind, prefix, j);
}

static void gdrive_users(gen *g, bool *member)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *parents = new_array(g), *docs = new_array(g), *folders = new_array(g);
        for (uint32_t j = 0; j < g->n; j++)
            if (chance(g)) {
                push(g, parents, uid(g, "Group", "group_%u", j));
                member[(size_t)j * g->n + i] = true;
            }
        for (uint32_t j = 0; j < g->n; j++)
            if (chance(g))
                push(g, docs, ref(g, uid(g, "Document", "doc_%u", j)));
        for (uint32_t j = 0; j < g->n; j++)
            if (chance(g))
                push(g, folders, ref(g, uid(g, "Folder", "folder_%u", j)));
        json_t *attrs = new_object(g);
        if (!g->links)
            put(g, attrs, "documentsAndFoldersWithViewAccess",
                ref(g, view_uid(g, "User", "user", i, false)));
        put(g, attrs, "ownedDocuments", docs);
        put(g, attrs, "ownedFolders", folders);
        emit(g, uid(g, "User", "user_%u", i), attrs, parents);
        if (!g->links)
            emit_plain(g, view_uid(g, "User", "user", i, false));
    }
}

/* Groups, and without templates each group's View, a parent of nothing but
   a child of every member's View. */
static void gdrive_groups(gen *g, const bool *member)
{
    for (uint32_t i = 0; i < g->n; i++) {
        emit_plain(g, uid(g, "Group", "group_%u", i));
        if (g->links)
            continue;
        json_t *parents = new_array(g);
        for (uint32_t k = 0; k < g->n; k++)
            if (member[(size_t)i * g->n + k])
                push(g, parents, view_uid(g, "User", "user", k, false));
        emit(g, view_uid(g, "Group", "group", i, false), new_object(g), parents);
    }
}

/* The user-view then group-view draws of a document or folder: a View parent
   without templates, a link of "template" with them. */
static void gdrive_view_grants(gen *g, json_t *self, json_t *parents)
{
    static const struct {
        const char *kind, *prefix;
    } who[] = {{"User", "user"}, {"Group", "group"}};
    for (size_t w = 0; w < sizeof who / sizeof who[0]; w++)
        for (uint32_t j = 0; j < g->n; j++) {
            if (!chance(g))
                continue;
            if (!g->links) {
                push(g, parents, view_uid(g, who[w].kind, who[w].prefix, j, g->view_quirk));
                continue;
            }
            json_t *principal = uid(g, who[w].kind, "%s_%u", who[w].prefix, j);
            add_link(g, "template", principal, self);
            json_decref(principal);
        }
}

/* Documents (folders: every j) or folders (only j < i, keeping a DAG). */
static void gdrive_items(gen *g, bool folders)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *self = folders ? uid(g, "Folder", "folder_%u", i) : uid(g, "Document", "doc_%u", i);
        json_t *parents = new_array(g);
        uint32_t lim = folders ? i : g->n;
        for (uint32_t j = 0; j < lim; j++)
            if (chance(g))
                push(g, parents, uid(g, "Folder", "folder_%u", j));
        gdrive_view_grants(g, self, parents);
        json_t *attrs = new_object(g);
        if (!folders)
            put(g, attrs, "isPublic", json_boolean(pc_rng_chance(&g->rng, 0.5)));
        emit(g, self, attrs, parents);
    }
}

static void gdrive(gen *g)
{
    bool *member = calloc((size_t)g->n * g->n, sizeof *member);   /* [group][user] */
    if (!member) {
        fail(g, "out of memory for the group membership table");
        return;
    }
    gdrive_users(g, member);
    gdrive_groups(g, member);
    free(member);
    gdrive_items(g, false);
    gdrive_items(g, true);
}

/* ---- github and github-templates -------------------------------------- */

static const char *const ORG_ROLES[] = {"readers", "writers", "admins"};
static const char *const REPO_ROLES[] = {"readers", "triagers", "writers", "maintainers", "admins"};
/* Index-aligned with REPO_ROLES: the role draw picks the template. */
static const char *const REPO_TEMPLATES[] = {"readTemplate", "triageTemplate", "writeTemplate",
                                             "maintainTemplate", "adminTemplate"};
#define N_ORG_ROLES (sizeof ORG_ROLES / sizeof ORG_ROLES[0])
#define N_REPO_ROLES (sizeof REPO_ROLES / sizeof REPO_ROLES[0])

/* OrgPermission::"org_j_<role>" with the role drawn after a successful chance. */
static json_t *org_permission(gen *g, uint32_t j)
{
    return uid(g, "OrgPermission", "org_%u_%s", j, ORG_ROLES[below(g, N_ORG_ROLES)]);
}

static void github_orgs(gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *parents = new_array(g), *attrs = new_object(g);
        for (uint32_t j = 0; j < g->n; j++)
            if (chance(g))
                push(g, parents, org_permission(g, j));
        for (size_t r = 0; r < N_ORG_ROLES; r++)
            put(g, attrs, ORG_ROLES[r],
                ref(g, uid(g, "OrgPermission", "org_%u_%s", i, ORG_ROLES[r])));
        emit(g, uid(g, "Organization", "org_%u", i), attrs, parents);
        for (size_t r = 0; r < N_ORG_ROLES; r++)
            emit_plain(g, uid(g, "OrgPermission", "org_%u_%s", i, ORG_ROLES[r]));
    }
}

static void github_repos(gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        uint32_t owner = below(g, g->n);
        json_t *attrs = new_object(g);
        for (size_t r = 0; r < N_REPO_ROLES && !g->links; r++)
            put(g, attrs, REPO_ROLES[r],
                ref(g, uid(g, "RepoPermission", "repo_%u_%s", i, REPO_ROLES[r])));
        put(g, attrs, "owner", ref(g, uid(g, "Organization", "org_%u", owner)));
        emit(g, uid(g, "Repository", "repo_%u", i), attrs, new_array(g));
        for (size_t r = 0; r < N_REPO_ROLES && !g->links; r++)
            emit_plain(g, uid(g, "RepoPermission", "repo_%u_%s", i, REPO_ROLES[r]));
    }
}

/* The per-repo draws of a team or user: a RepoPermission parent without
   templates, a link of the role's template with them. */
static void github_repo_grants(gen *g, json_t *self, json_t *parents)
{
    for (uint32_t j = 0; j < g->n; j++) {
        if (!chance(g))
            continue;
        uint32_t role = below(g, N_REPO_ROLES);
        if (!g->links) {
            push(g, parents, uid(g, "RepoPermission", "repo_%u_%s", j, REPO_ROLES[role]));
            continue;
        }
        json_t *repo = uid(g, "Repository", "repo_%u", j);
        add_link(g, REPO_TEMPLATES[role], self, repo);
        json_decref(repo);
    }
}

static void github_teams(gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *self = uid(g, "Team", "team_%u", i), *parents = new_array(g);
        for (uint32_t j = 0; j < i; j++)
            if (chance(g))
                push(g, parents, uid(g, "Team", "team_%u", j));
        github_repo_grants(g, self, parents);
        emit(g, self, new_object(g), parents);
    }
}

static void github_users(gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *self = uid(g, "User", "user_%u", i), *parents = new_array(g);
        github_repo_grants(g, self, parents);
        for (uint32_t j = 0; j < g->n; j++)
            if (chance(g))
                push(g, parents, uid(g, "Team", "team_%u", j));
        for (uint32_t j = 0; j < g->n; j++) {
            if (chance(g))
                push(g, parents, uid(g, "Organization", "org_%u", j));
            if (chance(g))
                push(g, parents, org_permission(g, j));
        }
        emit(g, self, new_object(g), parents);
    }
}

static void github(gen *g)
{
    github_orgs(g);
    github_repos(g);
    github_teams(g);
    github_users(g);
}

/* ---- tinytodo ---------------------------------------------------------- */

static json_t *tinytodo_app(gen *g) { return uid(g, "Application", "TinyTodo"); }

/* Users and teams: team parents (teams only j < i), then always the app. */
static void tinytodo_members(gen *g, const char *type, const char *prefix, bool dag)
{
    for (uint32_t i = 0; i < g->n; i++) {
        json_t *parents = new_array(g);
        uint32_t lim = dag ? i : g->n;
        for (uint32_t j = 0; j < lim; j++)
            if (chance(g))
                push(g, parents, uid(g, "Team", "team_%u", j));
        push(g, parents, tinytodo_app(g));
        emit(g, uid(g, type, "%s_%u", prefix, i), new_object(g), parents);
    }
}

static json_t *tinytodo_tasks(gen *g)
{
    json_t *tasks = new_array(g);
    uint32_t count = (uint32_t)pc_rng_between(&g->rng, 0, TINYTODO_TASKS_MAX);
    for (uint32_t t = 0; t < count; t++) {
        char name[ID_MAX];
        uint64_t r = pc_rng_between(&g->rng, 1, TINYTODO_TASK_NUM_MAX);
        uint64_t id = pc_rng_between(&g->rng, 1, TINYTODO_TASK_NUM_MAX);
        bool checked = pc_rng_chance(&g->rng, 0.5);
        push(g, tasks,
             check(g, json_pack("{s:s,s:I,s:s}", "name",
                                fmt_id(g, name, "task_%llu", (unsigned long long)r), "id",
                                (json_int_t)id, "state", checked ? "Checked" : "Unchecked")));
    }
    return tasks;
}

static void tinytodo_lists(gen *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        char name[ID_MAX];
        uint32_t owner = below(g, g->n), readers = below(g, g->n), editors = below(g, g->n);
        json_t *attrs = new_object(g), *parents = new_array(g);
        put(g, attrs, "name", check(g, json_string(fmt_id(g, name, "list_%u", i))));
        put(g, attrs, "owner", ref(g, uid(g, "User", "user_%u", owner)));
        put(g, attrs, "readers", ref(g, uid(g, "Team", "team_%u", readers)));
        put(g, attrs, "editors", ref(g, uid(g, "Team", "team_%u", editors)));
        put(g, attrs, "tasks", tinytodo_tasks(g));
        push(g, parents, tinytodo_app(g));
        emit(g, uid(g, "List", "list_%u", i), attrs, parents);
    }
}

static void tinytodo(gen *g)
{
    emit_plain(g, tinytodo_app(g));
    tinytodo_members(g, "User", "user", false);
    tinytodo_members(g, "Team", "team", true);
    tinytodo_lists(g);
}

/* ---- the app table ------------------------------------------------------ */

typedef struct app_def {
    const char *name;
    const char *policy_file;
    const char *schema_file;
    bool templates;
    void (*entities)(gen *g);
} app_def;

static const app_def APPS[] = {
    {"gdrive", "policies.cedar", "gdrive.cedarschema.json", false, gdrive},
    {"gdrive-templates", "policies.cedar", "gdrive-templates.cedarschema.json", true, gdrive},
    {"github", "policies.cedar", "github.cedarschema.json", false, github},
    {"github-templates", "policies.cedar", "github-templates.cedarschema.json", true, github},
    {"tinytodo", "tinytodo.cedar", "tinytodo.cedarschema.json", false, tinytodo},
};

static const app_def *find_app(const char *name)
{
    for (size_t i = 0; name && i < sizeof APPS / sizeof APPS[0]; i++)
        if (strcmp(APPS[i].name, name) == 0)
            return &APPS[i];
    return NULL;
}

bool pc_bench_app_known(const char *app) { return find_app(app) != NULL; }

bool pc_bench_app_files(const char *app, const char **policy_file, const char **schema_file)
{
    const app_def *a = find_app(app);
    if (a) {
        *policy_file = a->policy_file;
        *schema_file = a->schema_file;
    }
    return a != NULL;
}

void pc_bench_params_init(pc_bench_params *p, const char *app, uint32_t n)
{
    *p = (pc_bench_params){app, n, 500, 0, PC_BENCH_DEFAULT_P, true};
}

/* ---- the schema: actions, their hierarchy and their types ---------------- */

/* The "actions" object of a schema in the empty namespace (the only kind the
   benchmark apps use; anything else is refused rather than half-handled). */
static json_t *schema_actions(json_t *schema, const char *name, pc_diag *d)
{
    json_t *ns = json_object_get(schema, "");
    json_t *actions = json_object_get(ns, "actions");
    if (json_object_size(schema) != 1 || !json_is_object(ns))
        pc_diag_set(d, PC_ERR_SCHEMA, "%s: the generator needs a schema with exactly the empty "
                    "namespace \"\"", name);
    else if (!json_is_object(actions) || json_object_size(actions) == 0)
        pc_diag_set(d, PC_ERR_SCHEMA, "%s: the schema declares no actions", name);
    else
        return actions;
    return NULL;
}

/* Append Action::"a" for every action, with its memberOf parents. */
static void emit_actions(gen *g, json_t *actions)
{
    const char *name;
    json_t *def;
    json_object_foreach(actions, name, def) {
        json_t *parents = new_array(g), *m;
        size_t i;
        json_array_foreach(json_object_get(def, "memberOf"), i, m) {
            const char *type = json_string_value(json_object_get(m, "type"));
            const char *id = json_string_value(json_object_get(m, "id"));
            if (!id)
                fail(g, "a memberOf entry in the schema has no string \"id\"");
            else
                push(g, parents, uid(g, type ? type : "Action", "%s", id));
        }
        emit(g, uid(g, "Action", "%s", name), new_object(g), parents);
    }
}

/* ---- requests ----------------------------------------------------------- */

/* type -> array of that type's uids, in emission order. */
static json_t *entity_pools(json_t *entities)
{
    json_t *pools = json_object(), *e;
    size_t i;
    json_array_foreach(entities, i, e) {
        json_t *u = json_object_get(e, "uid");
        const char *type = json_string_value(json_object_get(u, "type"));
        json_t *pool = json_object_get(pools, type);
        if (!pool && json_object_set_new(pools, type, pool = json_array()) != 0)
            pool = NULL;
        if (!pool || json_array_append(pool, u) != 0) {
            json_decref(pools);
            return NULL;
        }
    }
    return pools;
}

/* Draw a type from types, then an entity of that type (borrowed). */
static json_t *draw_entity(pc_rng *rng, json_t *pools, json_t *types, const char *what,
                           const char *action, pc_diag *d)
{
    size_t nt = json_array_size(types);
    if (nt == 0) {
        pc_diag_set(d, PC_ERR_SCHEMA, "action \"%s\" declares no %s types", action, what);
        return NULL;
    }
    const char *type = json_string_value(json_array_get(types, pc_rng_below(rng, nt)));
    json_t *pool = json_object_get(pools, type ? type : "");
    if (json_array_size(pool) == 0) {
        pc_diag_set(d, PC_ERR_SCHEMA, "action \"%s\": the store has no %s of type %s", action,
                    what, type ? type : "(not a string)");
        return NULL;
    }
    return json_array_get(pool, pc_rng_below(rng, json_array_size(pool)));
}

/* One request: action, principal type, principal, resource type, resource. */
static json_t *draw_request(pc_rng *rng, json_t *actions, const char **names, json_t *pools,
                            pc_diag *d)
{
    const char *action = names[pc_rng_below(rng, json_object_size(actions))];
    json_t *applies = json_object_get(json_object_get(actions, action), "appliesTo");
    json_t *principal = draw_entity(rng, pools, json_object_get(applies, "principalTypes"),
                                    "principal", action, d);
    json_t *resource = principal ? draw_entity(rng, pools,
                                               json_object_get(applies, "resourceTypes"),
                                               "resource", action, d)
                                 : NULL;
    if (!resource)
        return NULL;
    json_t *req = json_pack("{s:O,s:{s:s,s:s},s:O,s:{}}", "principal", principal, "action",
                            "type", "Action", "id", action, "resource", resource, "context");
    if (!req)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory building a request");
    return req;
}

static pc_status gen_requests(const pc_bench_params *p, json_t *actions, json_t *entities,
                              json_t **out, pc_diag *d)
{
    pc_rng rng = {p->seed + PC_RNG_REQUEST_OFFSET};
    json_t *pools = entity_pools(entities), *reqs = json_array();
    const char **names = calloc(json_object_size(actions), sizeof *names);
    size_t k = 0;
    const char *name;
    json_t *def;
    json_object_foreach(actions, name, def) {
        if (names)
            names[k++] = name;
    }
    if (!pools || !reqs || !names)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory preparing the requests");
    for (uint32_t r = 0; r < p->requests && d->status == PC_OK; r++) {
        json_t *req = draw_request(&rng, actions, names, pools, d);
        if (req && json_array_append_new(reqs, req) != 0)
            pc_diag_set(d, PC_ERR_NOMEM, "out of memory storing request %u", r);
    }
    free(names);
    json_decref(pools);
    if (d->status != PC_OK) {
        json_decref(reqs);
        return d->status;
    }
    *out = reqs;
    return PC_OK;
}

/* ---- generate ------------------------------------------------------------ */

static pc_status check_params(const pc_bench_params *p, pc_diag *d)
{
    if (!find_app(p->app))
        return pc_diag_set(d, PC_ERR_INVALID, "unknown app \"%s\"", p->app ? p->app : "");
    if (p->n < 1 || p->n > PC_BENCH_MAX_N)
        return pc_diag_set(d, PC_ERR_LIMIT, "N = %u is outside 1..%u", p->n, PC_BENCH_MAX_N);
    if (p->requests > PC_BENCH_MAX_REQUESTS)
        return pc_diag_set(d, PC_ERR_LIMIT, "R = %u exceeds the limit of %u", p->requests,
                           PC_BENCH_MAX_REQUESTS);
    if (!(p->p >= 0.0 && p->p <= 1.0))
        return pc_diag_set(d, PC_ERR_INVALID, "p = %g is not a probability in [0, 1]", p->p);
    return PC_OK;
}

/* Read data_dir/app/file. */
static pc_status read_app_file(const char *data_dir, const char *app, const char *file,
                               size_t max, char **out, size_t *len, pc_diag *d)
{
    pc_buf path;
    pc_buf_init(&path);
    pc_buf_printf(&path, "%s/%s/%s", data_dir, app, file);
    pc_status st = path.oom ? pc_diag_set(d, PC_ERR_NOMEM, "out of memory for a path")
                            : pc_read_file(path.data, max, out, len, d);
    pc_buf_free(&path);
    return st;
}

static json_t *parse_json(const char *text, size_t len, const char *name, pc_diag *d)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &je);
    if (!j)
        pc_diag_set(d, PC_ERR_INVALID, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    return j;
}

/* Run the app's draws into out->entities / out->links. */
static pc_status gen_entities(const app_def *app, const pc_bench_params *p, json_t *actions,
                              pc_bench_store *out, pc_diag *d)
{
    gen g = {{p->seed}, p->n, p->p, p->view_quirk, json_array(), NULL, NULL};
    if (app->templates)
        g.links = json_array();
    if (!g.entities || (app->templates && !g.links))
        fail(&g, "out of memory building the store");
    else
        app->entities(&g);
    if (!g.failed)
        emit_actions(&g, actions);
    if (g.failed) {
        json_decref(g.entities);
        json_decref(g.links);
        return pc_diag_set(d, PC_ERR_NOMEM, "%s N=%u seed %llu: %s", app->name, p->n,
                           (unsigned long long)p->seed, g.failed);
    }
    out->entities = g.entities;
    out->links = g.links;
    return PC_OK;
}

static pc_status set_app_name(pc_bench_store *s, const char *app, pc_diag *d)
{
    if (strlen(app) >= sizeof s->app_name)
        return pc_diag_set(d, PC_ERR_LIMIT, "app name \"%s\" is too long", app);
    strcpy(s->app_name, app);
    s->params.app = s->app_name;
    return PC_OK;
}

pc_status pc_bench_generate(const pc_bench_params *p, const char *data_dir,
                            pc_bench_store *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    if (check_params(p, d) != PC_OK)
        return d->status;
    const app_def *app = find_app(p->app);
    out->params = *p;
    json_t *schema = NULL, *actions = NULL;
    if (set_app_name(out, app->name, d) == PC_OK &&
        read_app_file(data_dir, app->name, app->policy_file, PC_MAX_POLICY_BYTES, &out->policies,
                      &out->policies_len, d) == PC_OK &&
        read_app_file(data_dir, app->name, app->schema_file, STORE_FILE_MAX, &out->schema,
                      &out->schema_len, d) == PC_OK &&
        (schema = parse_json(out->schema, out->schema_len, app->schema_file, d)) &&
        (actions = schema_actions(schema, app->schema_file, d)) &&
        gen_entities(app, p, actions, out, d) == PC_OK)
        gen_requests(p, actions, out->entities, &out->requests, d);
    json_decref(schema);
    if (d->status != PC_OK)
        pc_bench_store_free(out);
    return d->status;
}

void pc_bench_store_free(pc_bench_store *s)
{
    free(s->policies);
    free(s->schema);
    json_decref(s->entities);
    json_decref(s->requests);
    json_decref(s->links);
    memset(s, 0, sizeof *s);
}

/* ---- files ---------------------------------------------------------------- */

static char *join(const char *dir, const char *file)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_printf(&b, "%s/%s", dir, file);
    return b.oom ? (pc_buf_free(&b), NULL) : pc_buf_take(&b);
}

static pc_status write_file(const char *dir, const char *file, const char *data, size_t len,
                            pc_diag *d)
{
    char *path = join(dir, file);
    if (!path)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory for a path");
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    int err = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        pc_diag_set(d, PC_ERR_IO, "%s: cannot write: %s", path, strerror(err));
    free(path);
    return d->status;
}

static pc_status write_json(const char *dir, const char *file, json_t *j, size_t flags,
                            pc_diag *d)
{
    char *text = json_dumps(j, flags);
    if (!text)
        return pc_diag_set(d, PC_ERR_NOMEM, "%s/%s: out of memory serialising", dir, file);
    pc_status st = write_file(dir, file, text, strlen(text), d);
    free(text);
    return st;
}

/* requests.jsonl: one compact request per line. */
static pc_status write_requests(const char *dir, json_t *reqs, pc_diag *d)
{
    pc_buf b;
    pc_buf_init(&b);
    json_t *r;
    size_t i;
    json_array_foreach(reqs, i, r) {
        char *line = json_dumps(r, JSON_COMPACT);
        if (!line)
            b.oom = true;
        else
            pc_buf_printf(&b, "%s\n", line);
        free(line);
    }
    pc_status st = b.oom ? pc_diag_set(d, PC_ERR_NOMEM, "out of memory serialising requests")
                         : write_file(dir, "requests.jsonl", b.data ? b.data : "", b.len, d);
    pc_buf_free(&b);
    return st;
}

/* The parameters, so a reader knows what it holds; the seed is a string
   because JSON readers (node) lose integers above 2^53. */
static json_t *store_meta(const pc_bench_params *p)
{
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
    return json_pack("{s:s,s:I,s:I,s:s,s:f,s:b}", "app", p->app, "n", (json_int_t)p->n,
                     "requests", (json_int_t)p->requests, "seed", seed, "p", p->p,
                     "viewQuirk", p->view_quirk);
}

pc_status pc_bench_store_write(const pc_bench_store *s, const char *dir, pc_diag *d)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return pc_diag_set(d, PC_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    json_t *meta = store_meta(&s->params);
    if (!meta)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory describing the store");
    if (write_json(dir, "store.json", meta, JSON_INDENT(2), d) == PC_OK &&
        write_file(dir, "policies.cedar", s->policies, s->policies_len, d) == PC_OK &&
        write_file(dir, "schema.cedarschema.json", s->schema, s->schema_len, d) == PC_OK &&
        write_json(dir, "entities.json", s->entities, JSON_INDENT(1), d) == PC_OK &&
        write_requests(dir, s->requests, d) == PC_OK && s->links)
        write_json(dir, "links.json", s->links, JSON_INDENT(1), d);
    json_decref(meta);
    return d->status;
}

/* JSON lines: one value per non-empty line, into an array. */
static json_t *parse_lines(char *text, size_t len, const char *path, pc_diag *d)
{
    json_t *out = json_array();
    if (strlen(text) != len)
        pc_diag_set(d, PC_ERR_INVALID, "%s: holds a NUL byte, which JSON lines may not", path);
    else if (!out)
        pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", path);
    for (char *line = text, *nl; out && d->status == PC_OK && *line; line = nl + (*nl != '\0')) {
        nl = line + strcspn(line, "\n");
        json_t *j = nl > line ? parse_json(line, (size_t)(nl - line), path, d) : NULL;
        if (j && json_array_append_new(out, j) != 0)
            pc_diag_set(d, PC_ERR_NOMEM, "%s: out of memory", path);
    }
    if (d->status != PC_OK) {
        json_decref(out);
        out = NULL;
    }
    return out;
}

/* Read dir/file whole and parse it as JSON (or as JSON lines into an array). */
static json_t *read_json(const char *dir, const char *file, bool lines, pc_diag *d)
{
    char *path = join(dir, file), *text = NULL;
    size_t len = 0;
    json_t *out = NULL;
    if (!path)
        pc_diag_set(d, PC_ERR_NOMEM, "out of memory for a path");
    else if (pc_read_file(path, STORE_FILE_MAX, &text, &len, d) == PC_OK)
        out = lines ? parse_lines(text, len, path, d) : parse_json(text, len, path, d);
    free(text);
    free(path);
    return out;
}

static pc_status read_meta(const char *dir, pc_bench_store *s, pc_diag *d)
{
    json_t *m = read_json(dir, "store.json", false, d);
    const char *app = json_string_value(json_object_get(m, "app"));
    const char *seed = json_string_value(json_object_get(m, "seed"));
    json_int_t n = json_integer_value(json_object_get(m, "n"));
    json_int_t r = json_integer_value(json_object_get(m, "requests"));
    if (m && (!app || !seed || n < 1 || n > PC_BENCH_MAX_N || r < 0 ||
              r > PC_BENCH_MAX_REQUESTS || !json_is_number(json_object_get(m, "p"))))
        pc_diag_set(d, PC_ERR_INVALID, "%s/store.json: missing or invalid app, n, requests, "
                    "seed or p", dir);
    else if (m && set_app_name(s, app, d) == PC_OK) {
        s->params.n = (uint32_t)n;
        s->params.requests = (uint32_t)r;
        s->params.seed = strtoull(seed, NULL, 10);
        s->params.p = json_number_value(json_object_get(m, "p"));
        s->params.view_quirk = json_is_true(json_object_get(m, "viewQuirk"));
    }
    json_decref(m);
    return d->status;
}

static pc_status read_text(const char *dir, const char *file, char **out, size_t *len,
                           pc_diag *d)
{
    char *path = join(dir, file);
    if (!path)
        return pc_diag_set(d, PC_ERR_NOMEM, "out of memory for a path");
    pc_read_file(path, STORE_FILE_MAX, out, len, d);
    free(path);
    return d->status;
}

pc_status pc_bench_store_read(const char *dir, pc_bench_store *out, pc_diag *d)
{
    memset(out, 0, sizeof *out);
    if (read_meta(dir, out, d) == PC_OK &&
        read_text(dir, "policies.cedar", &out->policies, &out->policies_len, d) == PC_OK &&
        read_text(dir, "schema.cedarschema.json", &out->schema, &out->schema_len, d) == PC_OK &&
        (out->entities = read_json(dir, "entities.json", false, d)) &&
        (out->requests = read_json(dir, "requests.jsonl", true, d))) {
        const app_def *app = find_app(out->params.app);
        if (app && app->templates)
            out->links = read_json(dir, "links.json", false, d);
    }
    if (d->status != PC_OK)
        pc_bench_store_free(out);
    return d->status;
}
