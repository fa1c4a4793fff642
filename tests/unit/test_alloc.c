/*
** tests/unit/test_alloc.c — a warmed decision allocates nothing from the heap.
**
** The brief promises no heap allocation on the common decision path. This
** program counts every malloc, calloc and realloc while it decides the same
** requests over and over on one warmed pc_decision, with policies that build
** large sets (past the 16 items where sets switch to their hashed index) and
** large records at evaluation time, compare large sets, use records,
** extension values, `in` through a hierarchy, `like`, tags, and policies that
** fail with messages naming uids, keys and extension arguments.
**
** How it counts. Normally this program defines malloc, calloc and realloc
** itself, so every caller in the process (jansson and libc included) reaches
** them; they count and hand the call to glibc's own allocator (__libc_*).
** Under AddressSanitizer the sanitizer must own the heap, so the count comes
** from its allocation hook instead. Both see every allocation of the process.
**
** What is counted, and what is not.
**   - The evaluator and authorizer (pc_authorize_indexed), given a request
**     already built, context included: must allocate nothing.
**   - The same with a decision arena of small blocks, so that one decision
**     needs several: reset must keep them all for the next decision.
**   - The public calls, context absent, on a warmed pc_decision: pc_authorize
**     with uids in Cedar text, and pc_authorize_json with uids already parsed
**     as JSON objects ({"type","id"} and the {"__entity": ...} escape) or as
**     JSON strings holding Cedar text. Reading the uids included, they must
**     allocate nothing.
**   - JSON text (a context, or a uid given as "{...}" to pc_authorize) is
**     parsed by jansson, which allocates by nature (one node per value):
**     those paths are left out.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "engine/engine.h"

/* ---- the counting hook --------------------------------------------------- */

static size_t allocations;   /* heap allocations seen while counting is on */
static bool counting;

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifdef UNDER_ASAN
/* The sanitizer's public hook (sanitizer/allocator_interface.h, not shipped with every compiler). */
int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void *, size_t),
                                              void (*on_free)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    allocations += counting;
}

static void on_free(const volatile void *p) { (void)p; }

static void install_hook(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
/* glibc's allocator under its internal names; ours below take the public ones. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);

/* Declared here because they replace the C library's for the whole process. */
void *malloc(size_t n);
void *calloc(size_t k, size_t n);
void *realloc(void *p, size_t n);

void *malloc(size_t n)
{
    allocations += counting;
    return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    allocations += counting;
    return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    allocations += counting;
    return __libc_realloc(p, n);
}

static void install_hook(void) {}
#endif

static void count_from_zero(void)
{
    allocations = 0;
    counting = true;
}

static size_t counted(void)
{
    counting = false;
    return allocations;
}

/* ---- the store and the policies ------------------------------------------- */

/* 20 tags: more than the 16 items up to which sets are searched pairwise. */
#define TAGS "\"t0\",\"t1\",\"t2\",\"t3\",\"t4\",\"t5\",\"t6\",\"t7\",\"t8\",\"t9\"," \
             "\"t10\",\"t11\",\"t12\",\"t13\",\"t14\",\"t15\",\"t16\",\"t17\",\"t18\",\"t19\""
#define TAGS_REVERSED "\"t19\",\"t18\",\"t17\",\"t16\",\"t15\",\"t14\",\"t13\",\"t12\",\"t11\"," \
                      "\"t10\",\"t9\",\"t8\",\"t7\",\"t6\",\"t5\",\"t4\",\"t3\",\"t2\",\"t1\",\"t0\""
#define F(i) "{\"__entity\":{\"type\":\"User\",\"id\":\"f" #i "\"}}"
#define FRIENDS F(0) "," F(1) "," F(2) "," F(3) "," F(4) "," F(5) "," F(6) "," F(7) "," F(8) "," \
                F(9) "," F(10) "," F(11) "," F(12) "," F(13) "," F(14) "," F(15) "," F(16) "," \
                F(17) "," F(18) "," F(19)
#define EXTN(fn, arg) "{\"__extn\":{\"fn\":\"" fn "\",\"arg\":\"" arg "\"}}"
#define GROUP(id, parents) \
    "{\"uid\":{\"type\":\"Group\",\"id\":\"" id "\"},\"attrs\":{},\"parents\":[" parents "]}"

static const char entities[] =
    "[" GROUP("root", "") ","
    GROUP("eng", "{\"type\":\"Group\",\"id\":\"root\"}") ","
    GROUP("team", "{\"type\":\"Group\",\"id\":\"eng\"}") ","
    "{\"uid\":{\"type\":\"User\",\"id\":\"alice\"},"
    " \"attrs\":{\"level\":5,\"tags\":[" TAGS "],\"friends\":[" FRIENDS "],"
    "  \"addr\":" EXTN("ip", "10.1.2.3") ","
    "  \"profile\":{\"dept\":\"eng\",\"since\":" EXTN("datetime", "2024-01-01") ","
    "             \"budget\":" EXTN("decimal", "12.5") "}},"
    " \"parents\":[{\"type\":\"Group\",\"id\":\"team\"}],"
    " \"tags\":{\"dept\":\"eng\",\"clearance\":\"high\"}},"
    "{\"uid\":{\"type\":\"User\",\"id\":\"bob\"},"
    " \"attrs\":{\"level\":1,\"tags\":[],\"friends\":[],\"addr\":" EXTN("ip", "127.0.0.1") ","
    "  \"profile\":{\"dept\":\"ops\",\"since\":" EXTN("datetime", "2020-02-29") ","
    "             \"budget\":" EXTN("decimal", "0.5") "}},"
    " \"parents\":[]},"
    "{\"uid\":{\"type\":\"Doc\",\"id\":\"report\"},"
    " \"attrs\":{\"name\":\"report.pdf\",\"owner\":{\"__entity\":{\"type\":\"User\",\"id\":\"alice\"}},"
    "  \"labels\":[" TAGS_REVERSED "],\"readers\":[{\"__entity\":{\"type\":\"Group\",\"id\":\"eng\"}}]},"
    " \"parents\":[]}]";

/* Policy N is policyN; the comment says what it exercises. */
static const char policies[] =
    /* 0: `in` through two levels of groups, `is`, like, getTag, hasTag */
    "permit (principal in Group::\"root\", action == Action::\"view\", resource is Doc) when {\n"
    "  resource.name like \"*.pdf\" && principal.getTag(\"dept\") == \"eng\" &&\n"
    "  principal.hasTag(\"clearance\") && !principal.hasTag(\"nope\") };\n"
    /* 1: large sets built at evaluation time (one item is not a constant) */
    "permit (principal, action, resource) when {\n"
    "  [principal.profile.dept, \"t1\", \"t2\", \"t3\", \"t4\", \"t5\", \"t6\", \"t7\", \"t8\", \"t9\",\n"
    "   \"t10\", \"t11\", \"t12\", \"t13\", \"t14\", \"t15\", \"t16\", \"t17\", \"t18\", \"t19\"]"
    ".contains(\"t7\") &&\n"
    "  principal.tags.containsAny([\"x0\", \"x1\", \"x2\", \"x3\", \"x4\", \"x5\", \"x6\", \"x7\",\n"
    "   \"x8\", \"x9\", \"x10\", \"x11\", \"x12\", \"x13\", \"x14\", \"x15\", \"x16\", \"t3\","
    " principal.profile.dept]) };\n"
    /* 2: equality of large sets given in different orders */
    "permit (principal, action, resource) when { principal.tags == resource.labels };\n"
    /* 3: a large set of entities; `in` a set of entities through the hierarchy */
    "permit (principal, action, resource) when {\n"
    "  principal.friends.contains(User::\"f7\") && principal in resource.readers };\n"
    /* 4: records (built unsorted) holding sets, compared */
    "permit (principal, action, resource) when {\n"
    "  {b: [resource.owner, principal], a: principal.level} == {a: 5, b: [principal, resource.owner]} };\n"
    /* 5: extension values: ipaddr, decimal, datetime, duration */
    "permit (principal, action, resource) when {\n"
    "  principal.addr.isInRange(ip(\"10.0.0.0/8\")) &&\n"
    "  principal.profile.budget.lessThan(decimal(\"100.0\")) &&\n"
    "  principal.profile.since < datetime(\"2030-01-01\") &&\n"
    "  principal.profile.since.offset(duration(\"1d\")) > principal.profile.since &&\n"
    "  duration(\"1h\") > duration(\"30m\") };\n"
    /* 6-11: errors whose messages name uids, keys and arguments */
    "forbid (principal, action, resource) when { principal.missing == 1 };\n"
    "permit (principal, action, resource) when { User::\"ghost\".level > 0 };\n"
    "permit (principal, action, resource) when { principal.level + 9223372036854775807 > 0 };\n"
    "permit (principal, action, resource) when { decimal(resource.name).lessThan(decimal(\"1.0\")) };\n"
    "permit (principal, action, resource) when { principal.addr.isInRange(resource.name) };\n"
    "permit (principal, action, resource) when { principal.getTag(\"nope\") == \"x\" };\n"
    /* 12: a record literal of 26 fields out of order (its sort must not allocate) */
    "permit (principal, action, resource) when {\n"
    "  {f26: principal.level, f25: 1, f24: 1, f23: 1, f22: 1, f21: 1, f20: 1, f19: 1, f18: 1,\n"
    "   f17: 1, f16: 1, f15: 1, f14: 1, f13: 1, f12: 1, f11: 1, f10: 1, f9: 1, f8: 1, f7: 1,\n"
    "   f6: 1, f5: 1, f4: 1, f3: 1, f2: 1, f1: 1} has f1 };\n"
    /* 13: the context: a long, a large set, a record, extension values */
    "permit (principal, action, resource) when {\n"
    "  context.n == 3 && context.labels == resource.labels &&\n"
    "  context.meta.when > principal.profile.since && context.ip.isIpv4() };\n"
    /* 14: a forbid that decides */
    "forbid (principal == User::\"bob\", action, resource);\n";

static const char context_json[] =
    "{\"n\": 3, \"ip\": " EXTN("ip", "192.168.1.1") ", \"labels\": [" TAGS "],"
    " \"meta\": {\"k\": \"v\", \"when\": " EXTN("datetime", "2025-06-01") "}}";

/* The requests, in Cedar syntax and as JSON uids. */
typedef struct request {
    const char *uids[3];      /* principal, action, resource in Cedar syntax */
    const char *json[3];      /* the same as {"type","id"} */
} request;

static const request requests[] = {
    {{"User::\"alice\"", "Action::\"view\"", "Doc::\"report\""},
     {"{\"type\":\"User\",\"id\":\"alice\"}", "{\"type\":\"Action\",\"id\":\"view\"}",
      "{\"type\":\"Doc\",\"id\":\"report\"}"}},
    {{"User::\"bob\"", "Action::\"view\"", "Doc::\"report\""},
     {"{\"type\":\"User\",\"id\":\"bob\"}", "{\"type\":\"Action\",\"id\":\"view\"}",
      "{\"type\":\"Doc\",\"id\":\"report\"}"}},
    /* a principal missing from the store: no attributes, no ancestors */
    {{"User::\"nobody\"", "Action::\"edit\"", "Doc::\"report\""},
     {"{\"type\":\"User\",\"id\":\"nobody\"}", "{\"type\":\"Action\",\"id\":\"edit\"}",
      "{\"type\":\"Doc\",\"id\":\"report\"}"}},
};
#define N_REQUESTS (sizeof requests / sizeof requests[0])
#define ROUNDS 200   /* decisions per request after the warm-up */

static pc_engine *load(void)
{
    pc_engine *e = pc_engine_new();
    pc_error err = {0};
    assert_non_null(e);
    assert_int_equal(pc_engine_load_policies(e, policies, strlen(policies), "p.cedar", &err), PC_OK);
    assert_int_equal(pc_engine_load_entities(e, entities, strlen(entities), "e.json", &err),
                     PC_OK);
    return e;
}

/* ---- what the answers must be ---------------------------------------------- */

/* An answer as a bit per policy: determining ones, erroring ones. */
typedef struct outcome {
    bool allow;
    uint32_t reasons, errors;
} outcome;

static uint32_t policy_bit(const pc_policy *p)
{
    unsigned n = 0;
    assert_int_equal(sscanf(p->id.ptr, "policy%u", &n), 1);
    assert_true(n < 32);
    return UINT32_C(1) << n;
}

static outcome outcome_of(const pc_answer *a)
{
    outcome o = {a->allow, 0, 0};
    for (uint32_t i = 0; i < a->n_reasons; i++)
        o.reasons |= policy_bit(a->reasons[i]);
    for (uint32_t i = 0; i < a->n_errors; i++)
        o.errors |= policy_bit(a->errors[i].policy);
    return o;
}

#define BITS(...) bits_of((const unsigned[]){__VA_ARGS__}, \
                          sizeof((const unsigned[]){__VA_ARGS__}) / sizeof(unsigned))

static uint32_t bits_of(const unsigned *ns, size_t n)
{
    uint32_t b = 0;
    for (size_t i = 0; i < n; i++)
        b |= UINT32_C(1) << ns[i];
    return b;
}

/* alice is allowed by every feature policy; 6-11 fail; 13 needs the context. */
static void check_alice(const pc_answer *a, bool with_context)
{
    outcome o = outcome_of(a);
    assert_true(o.allow);
    uint32_t reasons = BITS(0, 1, 2, 3, 4, 5, 12), errors = BITS(6, 7, 8, 9, 10, 11);
    if (with_context)
        reasons |= BITS(13);
    else
        errors |= BITS(13);
    assert_int_equal(o.reasons, reasons);
    assert_int_equal(o.errors, errors);
}

/* The message of policy n's error in a. */
static const char *error_of(const pc_answer *a, unsigned n)
{
    for (uint32_t i = 0; i < a->n_errors; i++)
        if (policy_bit(a->errors[i].policy) == UINT32_C(1) << n)
            return a->errors[i].message;
    fail_msg("policy%u did not fail", n);
    return NULL;
}

/* The messages built in the arena say the same as they always did. */
static void check_messages(const pc_answer *a)
{
    assert_string_equal(error_of(a, 6), "attribute `missing` not found on entity User::\"alice\"");
    assert_string_equal(error_of(a, 7), "entity User::\"ghost\" does not exist");
    assert_non_null(strstr(error_of(a, 9), "decimal(\"report.pdf\"): "));
    assert_string_equal(error_of(a, 10), "type error: isInRange expects an argument of type "
                        "ipaddr, got string (maybe you forgot to apply the `ip` constructor?)");
    assert_string_equal(error_of(a, 11), "tag `nope` not found on entity User::\"alice\"");
}

/* ---- the evaluator and authorizer, given a built request -------------------- */

typedef struct built {
    pc_arena arena;                   /* the requests' uids and context */
    pc_eval_request reqs[N_REQUESTS];
} built;

static const pc_uid *uid_of(pc_arena *a, const char *text)
{
    pc_uid *u = NULL;
    assert_int_equal(pc_parse_uid(a, NULL, text, strlen(text), &u, NULL), PC_OK);
    return u;
}

static void build_requests(built *b)
{
    pc_arena_init(&b->arena, 16384, 0);
    json_t *ctx = pc_json_parse(context_json, strlen(context_json), "context", NULL);
    assert_non_null(ctx);
    pc_json_in in = {&b->arena, NULL, NULL, "request"};
    for (size_t i = 0; i < N_REQUESTS; i++) {
        pc_eval_request *r = &b->reqs[i];
        r->principal = uid_of(&b->arena, requests[i].uids[0]);
        r->action = uid_of(&b->arena, requests[i].uids[1]);
        r->resource = uid_of(&b->arena, requests[i].uids[2]);
        assert_int_equal(pc_context_from_json(&in, r->action, ctx, &r->context, NULL), PC_OK);
    }
    json_decref(ctx);
}

/* Every request ROUNDS times on one warmed arena of the given block size. */
static void core_decisions(size_t block_size)
{
    pc_engine *e = load();
    built b;
    build_requests(&b);
    pc_arena dec;
    pc_arena_init(&dec, block_size, 0);
    pc_answer ans[N_REQUESTS];
    for (size_t i = 0; i < N_REQUESTS; i++) {   /* warm-up: the arena gets its block */
        pc_arena_reset(&dec);
        assert_int_equal(pc_authorize_indexed(e->index, &b.reqs[i], e->entities, &dec, &ans[i]),
                         PC_OK);
    }
    count_from_zero();
    pc_status worst = PC_OK;
    for (int round = 0; round < ROUNDS; round++)
        for (size_t i = 0; i < N_REQUESTS; i++) {
            pc_arena_reset(&dec);
            pc_status st = pc_authorize_indexed(e->index, &b.reqs[i], e->entities, &dec, &ans[i]);
            worst = st != PC_OK ? st : worst;
        }
    size_t n = counted();
    assert_int_equal(worst, PC_OK);
    assert_int_equal(n, 0);
    /* the last round's answers are still in the arena: request 2 was decided last */
    pc_arena_reset(&dec);
    assert_int_equal(pc_authorize_indexed(e->index, &b.reqs[0], e->entities, &dec, &ans[0]), PC_OK);
    check_alice(&ans[0], true);
    check_messages(&ans[0]);
    pc_arena_free(&dec);
    pc_arena_free(&b.arena);
    pc_engine_free(e);
}

static void core_decisions_allocate_nothing(void **state)
{
    (void)state;
    core_decisions(16384);
}

/* 1 KiB blocks: a decision here takes several, which reset keeps for the next one. */
static void many_block_decisions_allocate_nothing(void **state)
{
    (void)state;
    core_decisions(1024);
}

/* ---- the public calls -------------------------------------------------------- */

/* How pc_authorize_json receives the uids. */
typedef enum { AS_OBJECTS, AS_ESCAPES, AS_STRINGS } json_form;

typedef struct json_request {
    json_t *uids[3];
} json_request;

/* Request i's uid k in the given form: {"type","id"}, {"__entity": ...} or "T::\"id\"". */
static json_t *json_uid(size_t i, int k, json_form form)
{
    if (form == AS_STRINGS)
        return json_string(requests[i].uids[k]);
    json_t *obj = pc_json_parse(requests[i].json[k], strlen(requests[i].json[k]), "uid", NULL);
    assert_non_null(obj);
    if (form == AS_OBJECTS)
        return obj;
    json_t *escape = json_object();
    assert_int_equal(json_object_set_new(escape, "__entity", obj), 0);
    return escape;
}

static pc_status decide(const pc_engine *e, size_t i, const json_request *jr, pc_decision *d)
{
    if (jr)
        return pc_authorize_json(e, jr[i].uids[0], jr[i].uids[1], jr[i].uids[2], NULL, false, d,
                                 NULL);
    pc_request r = {requests[i].uids[0], requests[i].uids[1], requests[i].uids[2], NULL, false};
    return pc_authorize(e, &r, d, NULL);
}

/* Every request ROUNDS times through one path, after a warm-up: no allocation at all. */
static void public_path(const pc_engine *e, const json_request *jr)
{
    pc_decision *d = pc_decision_new();
    assert_non_null(d);
    for (size_t i = 0; i < N_REQUESTS; i++)
        assert_int_equal(decide(e, i, jr, d), PC_OK);   /* warm-up */
    count_from_zero();
    pc_status worst = PC_OK;
    for (int round = 0; round < ROUNDS; round++)
        for (size_t i = 0; i < N_REQUESTS; i++) {
            pc_status st = decide(e, i, jr, d);
            worst = st != PC_OK ? st : worst;
        }
    size_t n = counted();
    assert_int_equal(worst, PC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(decide(e, 0, jr, d), PC_OK);
    check_alice(&d->answer, false);
    check_messages(&d->answer);
    pc_decision_free(d);
}

static void text_requests_allocate_nothing(void **state)
{
    (void)state;
    pc_engine *e = load();
    public_path(e, NULL);
    pc_engine_free(e);
}

static void json_requests(json_form form)
{
    pc_engine *e = load();
    json_request jr[N_REQUESTS];
    for (size_t i = 0; i < N_REQUESTS; i++)
        for (int k = 0; k < 3; k++)
            assert_non_null(jr[i].uids[k] = json_uid(i, k, form));
    public_path(e, jr);
    for (size_t i = 0; i < N_REQUESTS; i++)
        for (int k = 0; k < 3; k++)
            json_decref(jr[i].uids[k]);
    pc_engine_free(e);
}

static void json_object_requests_allocate_nothing(void **state)
{
    (void)state;
    json_requests(AS_OBJECTS);
}

static void json_escape_requests_allocate_nothing(void **state)
{
    (void)state;
    json_requests(AS_ESCAPES);
}

static void json_string_requests_allocate_nothing(void **state)
{
    (void)state;
    json_requests(AS_STRINGS);
}

/* The hook itself: without this, a count of zero would prove nothing. */
static void the_hook_sees_allocations(void **state)
{
    (void)state;
    count_from_zero();
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "grows from nothing, so it allocates");
    size_t n = counted();
    pc_buf_free(&b);
    assert_true(n >= 1);
}

int main(void)
{
    install_hook();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_hook_sees_allocations),
        cmocka_unit_test(core_decisions_allocate_nothing),
        cmocka_unit_test(many_block_decisions_allocate_nothing),
        cmocka_unit_test(text_requests_allocate_nothing),
        cmocka_unit_test(json_object_requests_allocate_nothing),
        cmocka_unit_test(json_escape_requests_allocate_nothing),
        cmocka_unit_test(json_string_requests_allocate_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
