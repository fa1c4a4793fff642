/*
** tests/unit/test_overlay.c — request-scoped entities laid over a store
** (entity/overlay.c).
**
** The overlay promises the answers of a store rebuilt from the stored
** entities with the request's replacing those of the same uid. So most of
** this file checks exactly that, against such a rebuilt store: a few cases
** written out (re-parenting a stored group, a new entity under stored ones,
** a named-only parent given parents, cycles), then thousands of seeded
** random hierarchies and requests, where every `in` question over every
** pair of uids, every lookup, and the outcome (accepted, or refused for a
** cycle) must agree. The rest covers attributes laid over stored ones with a
** schema, what is refused, and reuse of one overlay across uses.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity/entity.h"

/* Random cases: hierarchies tried, and the entities each may have. */
#define RANDOM_CASES 3000
#define RANDOM_GROUPS 8
#define RANDOM_USERS 4
#define RANDOM_BROUGHT 4

/* ---- building stores ----------------------------------------------------- */

static pc_entities *parse(const pc_schema *schema, const char *json, pc_diag *d)
{
    pc_entities *s = NULL;
    pc_entities_parse(NULL, schema, json, strlen(json), "test", &s, d);
    return s;
}

static pc_entities *must_parse(const pc_schema *schema, const char *json)
{
    pc_diag d;
    pc_diag_init(&d);
    pc_entities *s = parse(schema, json, &d);
    if (!s)
        fail_msg("parsing %s: %s", json, d.msg ? d.msg : "?");
    pc_diag_clear(&d);
    return s;
}

static json_t *must_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return j;
}

static const char *uid_str(json_t *entity, const char *key)
{
    return json_string_value(json_object_get(json_object_get(entity, "uid"), key));
}

/*
** The store a rebuild would give: the stored entities the request does not
** replace, then the request's. NULL when the rebuild refuses them (d says why).
*/
static pc_entities *rebuilt(const pc_schema *schema, json_t *stored, json_t *brought,
                            pc_diag *d)
{
    json_t *all = json_array();
    size_t i, k;
    json_t *s, *b;
    json_array_foreach(stored, i, s) {
        bool replaced = false;
        json_array_foreach(brought, k, b)
            replaced = replaced || (!strcmp(uid_str(s, "type"), uid_str(b, "type")) &&
                                    !strcmp(uid_str(s, "id"), uid_str(b, "id")));
        if (!replaced)
            json_array_append(all, s);
    }
    json_array_extend(all, brought);
    char *text = json_dumps(all, JSON_COMPACT);
    pc_entities *store = parse(schema, text, d);
    free(text);
    json_decref(all);
    return store;
}

/* An overlay of base with the whole entities brought; finished, or NULL (d says why). */
static pc_overlay *overlay_whole(const pc_entities *base, const pc_schema *schema,
                                 json_t *brought, pc_diag *d)
{
    pc_overlay *o = pc_overlay_new();
    assert_non_null(o);
    pc_overlay_reset(o, base, schema, NULL);
    size_t i;
    json_t *b;
    bool ok = true;
    json_array_foreach(brought, i, b)
        ok = ok && pc_overlay_add(o, b, d) == PC_OK;
    if (ok && pc_overlay_finish(o, d) == PC_OK)
        return o;
    pc_overlay_free(o);
    return NULL;
}

/* ---- comparing two stores ------------------------------------------------- */

/* Is every ancestor of a one of b's? */
static bool ancestors_within(const pc_entity *a, const pc_entity *b)
{
    for (uint32_t i = 0; i < a->n_ancestors; i++) {
        bool found = false;
        for (uint32_t k = 0; k < b->n_ancestors && !found; k++)
            found = pc_uid_eq(a->ancestors[i], b->ancestors[k]);
        if (!found)
            return false;
    }
    return true;
}

/*
** The same data, and the same ancestors as a set: the evaluator may read an
** entity's ancestors directly, so a view must keep them right too.
*/
static bool same_entity(const pc_entity *a, const pc_entity *b)
{
    if (!a || !b)
        return a == b;
    pc_value aa = pc_v_record(a->attrs), ba = pc_v_record(b->attrs);
    pc_value at = pc_v_record(a->tags), bt = pc_v_record(b->tags);
    return pc_value_eq(&aa, &ba) && pc_value_eq(&at, &bt) &&
           a->n_ancestors == b->n_ancestors && ancestors_within(a, b);
}

/* Every `in` and every lookup over the uids named anywhere agrees; count/at list the same uids. */
static void assert_same_answers(const pc_entities *got, const pc_entities *want,
                                const pc_uid *uids, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (!same_entity(pc_entities_get(got, &uids[i]), pc_entities_get(want, &uids[i])))
            fail_msg("%s: lookup of %s::%s differs", what, uids[i].type.ptr, uids[i].id.ptr);
        for (size_t k = 0; k < n; k++)
            if (pc_entities_in(got, &uids[i], &uids[k]) != pc_entities_in(want, &uids[i], &uids[k]))
                fail_msg("%s: %s::%s in %s::%s: overlay %d, rebuilt store %d", what,
                         uids[i].type.ptr, uids[i].id.ptr, uids[k].type.ptr, uids[k].id.ptr,
                         pc_entities_in(got, &uids[i], &uids[k]),
                         pc_entities_in(want, &uids[i], &uids[k]));
    }
    assert_int_equal(pc_entities_count(got), pc_entities_count(want));
    for (size_t i = 0; i < pc_entities_count(got); i++) {
        const pc_entity *e = pc_entities_at(got, i);
        assert_true(same_entity(e, pc_entities_get(want, e->uid)));
    }
}

/* Overlay and rebuild of stored+brought agree: both refuse, or answer alike over uids. */
static void check_case(const pc_schema *schema, json_t *stored, json_t *brought,
                       const pc_uid *uids, size_t n, const char *what)
{
    char *text = json_dumps(stored, JSON_COMPACT);
    pc_entities *base = must_parse(schema, text);
    free(text);
    pc_diag d1, d2;
    pc_diag_init(&d1);
    pc_diag_init(&d2);
    pc_overlay *o = overlay_whole(base, schema, brought, &d1);
    pc_entities *want = rebuilt(schema, stored, brought, &d2);
    if (!o != !want)
        fail_msg("%s: overlay %s (%s), rebuilt store %s (%s)", what, o ? "accepts" : "refuses",
                 d1.msg ? d1.msg : "", want ? "accepts" : "refuses", d2.msg ? d2.msg : "");
    if (!o)
        assert_non_null(strstr(d1.msg, "cycle"));   /* the only refusal these cases provoke */
    else
        assert_same_answers(pc_overlay_store(o), want, uids, n, what);
    pc_overlay_free(o);
    pc_entities_free(want);
    pc_entities_free(base);
    pc_diag_clear(&d1);
    pc_diag_clear(&d2);
}

/* ---- written-out hierarchies ---------------------------------------------- */

/* u in g1 in g2 in g3; g4 alone; u2 in g1; g5 named only (u2's other parent). */
static const char *const CHAIN =
    "[{\"uid\":{\"type\":\"U\",\"id\":\"u\"},\"attrs\":{\"n\":1},\"parents\":[{\"type\":\"G\",\"id\":\"g1\"}]},"
    " {\"uid\":{\"type\":\"U\",\"id\":\"u2\"},\"attrs\":{},\"parents\":[{\"type\":\"G\",\"id\":\"g1\"},"
    "   {\"type\":\"G\",\"id\":\"g5\"}]},"
    " {\"uid\":{\"type\":\"G\",\"id\":\"g1\"},\"attrs\":{},\"parents\":[{\"type\":\"G\",\"id\":\"g2\"}]},"
    " {\"uid\":{\"type\":\"G\",\"id\":\"g2\"},\"attrs\":{},\"parents\":[{\"type\":\"G\",\"id\":\"g3\"}]},"
    " {\"uid\":{\"type\":\"G\",\"id\":\"g3\"},\"attrs\":{},\"parents\":[]},"
    " {\"uid\":{\"type\":\"G\",\"id\":\"g4\"},\"attrs\":{},\"parents\":[]}]";

/* A uid as a constant initializer (PC_STR_LIT is a compound literal). */
#define UID(t, i) {{(t), sizeof(t) - 1}, {(i), sizeof(i) - 1}}

static const pc_uid CHAIN_UIDS[] = {
    UID("U", "u"),  UID("U", "u2"), UID("U", "new"), UID("G", "g1"), UID("G", "g2"),
    UID("G", "g3"), UID("G", "g4"), UID("G", "g5"),  UID("G", "g6"),
};
#define N_CHAIN (sizeof CHAIN_UIDS / sizeof CHAIN_UIDS[0])

static void chain_case(const char *brought, const char *what)
{
    json_t *stored = must_json(CHAIN), *b = must_json(brought);
    check_case(NULL, stored, b, CHAIN_UIDS, N_CHAIN, what);
    json_decref(stored);
    json_decref(b);
}

static void reparented_stored_groups(void **state)
{
    (void)state;
    /* g2 leaves g3 for g4: u and u2 (below it) change ancestry, g3 drops out */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g2\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g4\"}]}]", "g2 moves to g4");
    /* g1 loses every parent: u keeps only g1 */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g1\"},\"attrs\":{},\"parents\":[]}]",
               "g1 orphaned");
    /* the user itself moves, with new attributes */
    chain_case("[{\"uid\":{\"type\":\"U\",\"id\":\"u\"},\"attrs\":{\"n\":2},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g4\"}]}]", "u moves");
    /* same parents, new attributes: nothing to walk */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g1\"},\"attrs\":{\"x\":true},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g2\"}]}]", "g1 new attrs");
}

static void new_entities_and_named_parents(void **state)
{
    (void)state;
    /* a new user under a stored group, and a new group under it */
    chain_case("[{\"uid\":{\"type\":\"U\",\"id\":\"new\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g6\"}]},"
               " {\"uid\":{\"type\":\"G\",\"id\":\"g6\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g1\"}]}]", "new user in new group");
    /* g5, only named by the store, is brought with a parent: u2 gains g4 */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g5\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g4\"}]}]", "named-only g5 gains g4");
}

static void cycles_are_refused(void **state)
{
    (void)state;
    /* g3 under g1 closes g1 -> g2 -> g3 -> g1 through stored links */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g3\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g1\"}]}]", "cycle through the store");
    /* two new groups under each other */
    chain_case("[{\"uid\":{\"type\":\"G\",\"id\":\"g6\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g7\"}]},"
               " {\"uid\":{\"type\":\"G\",\"id\":\"g7\"},\"attrs\":{},"
               "\"parents\":[{\"type\":\"G\",\"id\":\"g6\"}]}]", "cycle among new groups");
}

/* ---- random hierarchies ------------------------------------------------------ */

static uint64_t next(uint64_t *s)   /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static char names[RANDOM_GROUPS + RANDOM_USERS + 2][8];

/* Uid i: groups g0.. then users u0.., then one group no store lists ("gx"). */
static void random_uids(pc_uid *uids, size_t *n)
{
    *n = 0;
    for (int i = 0; i < RANDOM_GROUPS + RANDOM_USERS + 1; i++) {
        bool group = i < RANDOM_GROUPS || i == RANDOM_GROUPS + RANDOM_USERS;
        if (i == RANDOM_GROUPS + RANDOM_USERS)
            snprintf(names[i], sizeof names[i], "gx");
        else
            snprintf(names[i], sizeof names[i], "%c%d", group ? 'g' : 'u',
                     group ? i : i - RANDOM_GROUPS);
        uids[(*n)++] = (pc_uid){group ? PC_STR_LIT("G") : PC_STR_LIT("U"),
                                pc_str_from_cstr(names[i])};
    }
}

static json_t *entity_json(const pc_uid *u, json_t *parents, int attr)
{
    return json_pack("{s:{s:s,s:s},s:{s:i},s:o}", "uid", "type", u->type.ptr, "id", u->id.ptr,
                     "attrs", "a", attr, "parents", parents);
}

static json_t *uid_json(const pc_uid *u)
{
    return json_pack("{s:s,s:s}", "type", u->type.ptr, "id", u->id.ptr);
}

/*
** Stored: each group takes parents among later groups only (so the store is
** acyclic), sometimes the unlisted "gx"; some uids are left out of the store.
*/
static json_t *random_store(uint64_t *seed, const pc_uid *uids, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i + 1 < n; i++) {
        if (next(seed) % 5 == 0)
            continue;   /* not stored: only named, or not at all */
        json_t *parents = json_array();
        for (size_t p = i + 1; p < RANDOM_GROUPS; p++)
            if (next(seed) % 3 == 0)
                json_array_append_new(parents, uid_json(&uids[p]));
        if (next(seed) % 7 == 0)
            json_array_append_new(parents, uid_json(&uids[n - 1]));
        json_array_append_new(arr, entity_json(&uids[i], parents, (int)i));
    }
    return arr;
}

/* Brought: a few distinct uids, each with any parents at all (cycles included). */
static json_t *random_request(uint64_t *seed, const pc_uid *uids, size_t n)
{
    json_t *arr = json_array();
    bool taken[RANDOM_GROUPS + RANDOM_USERS + 1] = {false};
    int count = 1 + (int)(next(seed) % RANDOM_BROUGHT);
    for (int k = 0; k < count; k++) {
        size_t i = next(seed) % n;
        if (taken[i])
            continue;
        taken[i] = true;
        json_t *parents = json_array();
        for (size_t p = 0; p < RANDOM_GROUPS; p++)
            if (next(seed) % 4 == 0)
                json_array_append_new(parents, uid_json(&uids[p]));
        json_array_append_new(arr, entity_json(&uids[i], parents, 100 + k));
    }
    return arr;
}

static void random_hierarchies_agree_with_a_rebuild(void **state)
{
    (void)state;
    pc_uid uids[RANDOM_GROUPS + RANDOM_USERS + 1];
    size_t n;
    random_uids(uids, &n);
    uint64_t seed = 1;
    for (int c = 0; c < RANDOM_CASES; c++) {
        json_t *stored = random_store(&seed, uids, n), *brought = random_request(&seed, uids, n);
        char what[32];
        snprintf(what, sizeof what, "random case %d", c);
        check_case(NULL, stored, brought, uids, n, what);
        json_decref(stored);
        json_decref(brought);
    }
}

/* ---- attributes with a schema ------------------------------------------------ */

static const char *const SCHEMA =
    "entity Team;\n"
    "entity User in [Team] = { name: String, level?: Long, boss?: User };\n"
    "entity Color enum [\"red\", \"blue\"];\n"
    "action view appliesTo { principal: User, resource: User };\n";

static const char *const USERS =
    "[{\"uid\":{\"type\":\"User\",\"id\":\"ann\"},\"attrs\":{\"name\":\"Ann\",\"level\":3},"
    "  \"parents\":[{\"type\":\"Team\",\"id\":\"t\"}]}]";

typedef struct attrs_fixture {
    pc_intern *in;
    pc_schema *schema;
    pc_entities *base;
    pc_overlay *o;
    pc_diag d;
} attrs_fixture;

static int attrs_setup(void **state)
{
    attrs_fixture *f = calloc(1, sizeof *f);
    pc_diag_init(&f->d);
    f->in = pc_intern_new();
    assert_int_equal(pc_schema_parse_cedar(f->in, SCHEMA, strlen(SCHEMA), "schema", &f->schema,
                                           &f->d), PC_OK);
    f->base = must_parse(f->schema, USERS);
    f->o = pc_overlay_new();
    pc_overlay_reset(f->o, f->base, f->schema, NULL);
    *state = f;
    return 0;
}

static int attrs_teardown(void **state)
{
    attrs_fixture *f = *state;
    pc_overlay_free(f->o);
    pc_entities_free(f->base);
    pc_schema_free(f->schema);
    pc_intern_free(f->in);
    pc_diag_clear(&f->d);
    free(f);
    return 0;
}

/* Lay attrs (JSON text) over type::id; the status, d holding why. */
static pc_status set_attrs(attrs_fixture *f, const char *type, const char *id, const char *attrs)
{
    pc_uid u = {pc_str_from_cstr(type), pc_str_from_cstr(id)};
    json_t *a = must_json(attrs);
    pc_diag_clear(&f->d);
    pc_status st = pc_overlay_set_attrs(f->o, &u, a, &f->d);
    json_decref(a);
    return st;
}

static const pc_value *attr(const pc_entities *s, const char *id, const char *name)
{
    pc_uid u = {PC_STR_LIT("User"), pc_str_from_cstr(id)};
    const pc_entity *e = pc_entities_get(s, &u);
    return e ? pc_record_get(e->attrs, pc_str_from_cstr(name)) : NULL;
}

static void attributes_lay_over_stored_ones(void **state)
{
    attrs_fixture *f = *state;
    assert_int_equal(set_attrs(f, "User", "ann", "{\"level\": 7, "
                               "\"boss\": {\"type\": \"User\", \"id\": \"bo\"}}"), PC_OK);
    assert_int_equal(pc_overlay_finish(f->o, &f->d), PC_OK);
    const pc_entities *s = pc_overlay_store(f->o);
    assert_int_equal(attr(s, "ann", "level")->u.l, 7);          /* replaced */
    assert_non_null(attr(s, "ann", "name"));                     /* kept */
    assert_int_equal(attr(s, "ann", "boss")->type, PC_V_ENTITY); /* implicit escape, by type */
    assert_int_equal(attr(f->base, "ann", "level")->u.l, 3);     /* the store is untouched */
    pc_uid ann = {PC_STR_LIT("User"), PC_STR_LIT("ann")}, t = {PC_STR_LIT("Team"), PC_STR_LIT("t")};
    assert_true(pc_entities_in(s, &ann, &t));                    /* parents kept */
}

static void attributes_are_checked(void **state)
{
    attrs_fixture *f = *state;
    static const struct {
        const char *type, *id, *attrs, *why;
    } bad[] = {
        {"User", "ann", "{\"level\": \"high\"}", "level"},
        {"User", "ann", "{\"age\": 3}", "unexpected attribute"},
        {"User", "zed", "{\"level\": 1}", "missing required attribute \"name\""},
        {"Ghost", "g", "{\"x\": 1}", "not declared"},
        {"Color", "green", "{}", "enumerated"},
        {"Action", "view", "{\"x\": 1}", "actions have no attributes"},
        {"not a type", "x", "{}", "invalid entity type name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pc_overlay_reset(f->o, f->base, f->schema, NULL);
        assert_int_not_equal(set_attrs(f, bad[i].type, bad[i].id, bad[i].attrs), PC_OK);
        if (!strstr(f->d.msg, bad[i].why))
            fail_msg("%s::%s %s: expected \"%s\" in \"%s\"", bad[i].type, bad[i].id,
                     bad[i].attrs, bad[i].why, f->d.msg);
    }
    pc_overlay_reset(f->o, f->base, f->schema, NULL);
    assert_int_equal(set_attrs(f, "User", "zed", "{\"name\": \"Zed\"}"), PC_OK);   /* a new user */
    assert_int_not_equal(set_attrs(f, "User", "zed", "{\"name\": \"Zed\"}"), PC_OK);
    assert_non_null(strstr(f->d.msg, "given twice"));
}

static void reuse_starts_clean(void **state)
{
    attrs_fixture *f = *state;
    assert_int_equal(set_attrs(f, "User", "ann", "{\"level\": 9}"), PC_OK);
    assert_int_equal(pc_overlay_finish(f->o, &f->d), PC_OK);
    assert_int_equal(pc_overlay_size(f->o), 1);
    assert_non_null(pc_overlay_store(f->o));
    pc_overlay_reset(f->o, f->base, f->schema, NULL);
    assert_int_equal(pc_overlay_size(f->o), 0);
    assert_null(pc_overlay_store(f->o));                         /* not finished yet */
    assert_int_equal(pc_overlay_finish(f->o, &f->d), PC_OK);
    assert_int_equal(attr(pc_overlay_store(f->o), "ann", "level")->u.l, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reparented_stored_groups),
        cmocka_unit_test(new_entities_and_named_parents),
        cmocka_unit_test(cycles_are_refused),
        cmocka_unit_test(random_hierarchies_agree_with_a_rebuild),
        cmocka_unit_test_setup_teardown(attributes_lay_over_stored_ones, attrs_setup,
                                        attrs_teardown),
        cmocka_unit_test_setup_teardown(attributes_are_checked, attrs_setup, attrs_teardown),
        cmocka_unit_test_setup_teardown(reuse_starts_clean, attrs_setup, attrs_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
