/*
** tests/unit/test_server.c — the daemon's parts that need no network: the
** config reader (values, defaults, errors with FILE:LINE), the AuthZEN type
** mapping, snapshots (version, slot references), properties laid over
** stored entities (through an overlay), and the metrics exposition. The HTTP side is
** covered end to end by tests/e2e. Runs with the repository root as cwd.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/authzen.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/snapshot.h"

#define CERT_DIR "examples/authzen/certification"

/* ---- config ---------------------------------------------------------- */

/* Write text to a fresh file under /tmp/cfgtest-XXXXXX/portcullis.conf; path returned. */
static char *write_config(const char *text)
{
    char dir[] = "/tmp/pc-cfgtest-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = malloc(strlen(dir) + 32);
    sprintf(path, "%s/portcullis.conf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void remove_config(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

/* Load text as a config; returns the status, *msg the error (caller frees). */
static pc_status load(const char *text, pc_srv_config *cfg, char **msg)
{
    char *path = write_config(text);
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_srv_config_load(path, cfg, &d);
    *msg = d.msg ? strdup(d.msg) : NULL;
    pc_diag_clear(&d);
    remove_config(path);
    return st;
}

static void config_values_and_defaults(void **state)
{
    (void)state;
    pc_srv_config cfg;
    char *msg = NULL;
    pc_status st = load("# a comment\n\npolicy_dir = policies\n  schema = s.json  \n"
                        "authzen.type.route = Gateway::Route\nauthzen.type_case = verbatim\n"
                        "authzen.top_level_properties = ownerID, userID\nthreads = 3\n"
                        "max_body_bytes = 4096\nreload_poll_ms = 0\nauthzen.validate = false\n",
                        &cfg, &msg);
    assert_int_equal(st, PC_OK);
    assert_null(msg);
    assert_non_null(strstr(cfg.policy_dir, "/policies"));   /* relative to the file */
    assert_string_equal(cfg.schema, "s.json");
    assert_string_equal(cfg.listen, "127.0.0.1:8181");      /* the default address */
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.max_body_bytes, 4096);
    assert_int_equal(cfg.reload_poll_ms, 0);
    assert_false(cfg.map.capitalize);
    assert_false(cfg.map.validate);
    assert_true(cfg.map.properties);
    assert_int_equal(cfg.map.n_types, 1);
    assert_string_equal(cfg.map.types[0].cedar, "Gateway::Route");
    assert_int_equal(cfg.map.top_level.n, 2);
    assert_string_equal(cfg.map.top_level.items[1], "userID");
    assert_null(cfg.tls_listen);
    pc_srv_config_free(&cfg);
}

static void config_identity_keys(void **state)
{
    (void)state;
    pc_srv_config cfg;
    char *msg = NULL;
    pc_status st = load("policy_dir = p\nidentity.required = true\nidentity.subject = must_match\n"
                        "identity.issuer.ci.issuer = https://ci.example\n"
                        "identity.issuer.ci.jwks_file = keys/ci.jwks\n"
                        "identity.issuer.ci.algorithms = EdDSA\n"
                        "identity.issuer.ci.audiences = portcullis\n"
                        "identity.issuer.ci.profile = spiffe\n", &cfg, &msg);
    assert_int_equal(st, PC_OK);
    assert_null(msg);
    assert_true(cfg.identity_required);
    assert_true(cfg.subject_must_match);
    assert_int_equal(cfg.identity.n_issuers, 1);
    assert_non_null(strstr(cfg.identity.issuers[0].jwks_file, "/keys/ci.jwks"));   /* joined */
    assert_non_null(cfg.identity.issuers[0].principal_type);   /* profile default filled */
    pc_srv_config_free(&cfg);
    assert_int_equal(load("policy_dir = p\n", &cfg, &msg), PC_OK);
    assert_false(cfg.identity_required);      /* defaults: optional, body subject ignored */
    assert_false(cfg.subject_must_match);
    assert_int_equal(cfg.identity.n_issuers, 0);
    assert_int_equal(cfg.audit_mode, PC_SRV_AUDIT_OFF);   /* no decision log unless asked */
    pc_srv_config_free(&cfg);
    assert_int_equal(load("policy_dir = p\naudit.db = log.db\naudit.mode = async\n", &cfg, &msg),
                     PC_OK);
    assert_int_equal(cfg.audit_mode, PC_SRV_AUDIT_ASYNC);
    assert_non_null(strstr(cfg.audit_db, "/log.db"));          /* relative to the file */
    pc_srv_config_free(&cfg);
}

static void config_tls_alone_is_a_listener(void **state)
{
    (void)state;
    pc_srv_config cfg;
    char *msg = NULL;
    assert_int_equal(load("policy_dir = p\ntls_listen = 127.0.0.1:8443\ntls_cert = tls/c.pem\n"
                          "tls_key = /etc/k.pem\n", &cfg, &msg), PC_OK);
    assert_null(cfg.listen);                                 /* no plain default beside TLS */
    assert_non_null(strstr(cfg.tls_cert, "/tls/c.pem"));     /* relative to the file */
    assert_string_equal(cfg.tls_key, "/etc/k.pem");
    pc_srv_config_free(&cfg);
}

static void config_errors_name_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"policy_dir = p\npolcy_dir = q\n", ":2: unknown key 'polcy_dir'"},
        {"policy_dir = p\npolicy_dir = q\n", ":2: policy_dir is set twice"},
        {"policy_dir = p\n\nthreads = lots\n", ":3: threads must be a whole number from 1 to 256"},
        {"policy_dir = p\nthreads = 0\n", ":2: threads must be a whole number"},
        {"policy_dir = p\nauthzen.properties = maybe\n",
         ":2: authzen.properties must be attributes or ignore, not 'maybe'"},
        {"policy_dir\n", ":1: cannot read 'policy_dir' (expected key = value)"},
        {"policy_dir =\n", ":1: policy_dir has no value"},
        {"schema = s\n", "policy_dir is required"},
        {"policy_dir = p\ntls_listen = 127.0.0.1:8443\ntls_cert = c.pem\n",
         "tls_listen, tls_cert and tls_key go together"},
        {"policy_dir = p\nidentity.subject = trust_me\n",
         ":2: identity.subject must be must_match or ignore, not 'trust_me'"},
        {"policy_dir = p\nidentity.required = true\n",
         "identity.required = true needs at least one identity.issuer.NAME"},
        {"policy_dir = p\n\nidentity.issuer.ci.clock_skew = 99999\n", ":3: "},
        {"policy_dir = p\nidentity.issuer.ci.issuer = https://ci\n", "portcullis.conf: "},
        {"policy_dir = p\naudit.mode = always\n",
         ":2: audit.mode must be one of off|sync|async, not 'always'"},
        {"policy_dir = p\naudit.mode = sync\n", "audit.mode = sync needs audit.db"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pc_srv_config cfg;
        char *msg = NULL;
        assert_int_not_equal(load(cases[i].text, &cfg, &msg), PC_OK);
        assert_non_null(msg);
        if (!strstr(msg, cases[i].want))
            fail_msg("config %zu: got \"%s\", want it to contain \"%s\"", i, msg, cases[i].want);
        free(msg);
    }
}

/* ---- type mapping ---------------------------------------------------- */

static void mapping_types(void **state)
{
    (void)state;
    pc_srv_mapping m = {0};
    pc_buf b;
    pc_buf_init(&b);
    m.capitalize = true;
    m.cedar_namespace = "";
    assert_true(pc_srv_az_cedar_type(&m, "user", &b));
    assert_string_equal(b.data, "User");
    assert_true(pc_srv_az_action_type(&m, &b));
    assert_string_equal(b.data, "Action");
    m.cedar_namespace = "App";
    m.capitalize = false;
    assert_true(pc_srv_az_cedar_type(&m, "user", &b));
    assert_string_equal(b.data, "App::user");
    assert_true(pc_srv_az_action_type(&m, &b));
    assert_string_equal(b.data, "App::Action");
    m.types[0] = (pc_srv_type_map){"identity", "Idp::Person"};
    m.n_types = 1;
    assert_true(pc_srv_az_cedar_type(&m, "identity", &b));
    assert_string_equal(b.data, "Idp::Person");   /* explicit maps ignore namespace and case */
    pc_buf_free(&b);
}

/* ---- snapshots and scoped entities ----------------------------------- */

/* The snapshot's stored entity type::id, or NULL. */
static const pc_entity *find(const pc_srv_snapshot *s, const char *type, const char *id,
                             size_t id_len)
{
    pc_uid uid = {pc_str_from_cstr(type), {id, id_len}};
    return pc_entities_get(pc_engine_entities(s->engine), &uid);
}

static pc_srv_snapshot *cert_snapshot(void)
{
    pc_srv_sources src;
    pc_srv_snapshot *snap = NULL;
    pc_diag d;
    pc_diag_init(&d);
    if (pc_srv_sources_read(CERT_DIR, "schema.json", "entities.json", &src, &d) != PC_OK ||
        pc_srv_snapshot_build(&src, NULL, &snap, &d) != PC_OK)
        fail_msg("loading %s: %s", CERT_DIR, d.msg ? d.msg : "?");
    pc_diag_clear(&d);
    return snap;
}

static void snapshot_version_and_entities(void **state)
{
    (void)state;
    pc_srv_snapshot *a = cert_snapshot(), *b = cert_snapshot();
    assert_int_equal(strlen(a->version), PC_SRV_VERSION_HEX);
    assert_string_equal(a->version, b->version);   /* same sources, same version */
    const pc_entity *bob = find(a, "User", "bob", 3);
    assert_non_null(bob);
    assert_non_null(pc_record_get(bob->attrs, pc_str_from_cstr("role")));
    assert_null(find(a, "User", "carol", 5));
    assert_null(find(a, "Record", "bob", 3));
    assert_null(find(a, "User", "bob\0x", 5));   /* ids compare with their lengths */
    pc_srv_snapshot_unref(a);
    pc_srv_snapshot_unref(b);
}

static void snapshot_refuses_a_bad_set(void **state)
{
    (void)state;
    pc_srv_sources src = {0};
    src.policies = calloc(1, sizeof *src.policies);
    src.n_policies = 1;
    src.policies[0].name = strdup("bad.cedar");
    src.policies[0].text = strdup("permit (principal, action, resource) when {");
    src.policies[0].len = strlen(src.policies[0].text);
    pc_srv_snapshot *snap = NULL;
    pc_diag d;
    pc_diag_init(&d);
    assert_int_not_equal(pc_srv_snapshot_build(&src, NULL, &snap, &d), PC_OK);
    assert_null(snap);
    assert_non_null(strstr(d.msg, "bad.cedar"));
    assert_int_equal(src.n_policies, 0);   /* taken over and freed */
    pc_diag_clear(&d);
}

static void slot_keeps_a_held_snapshot(void **state)
{
    (void)state;
    pc_srv_slot slot;
    pc_srv_slot_init(&slot, cert_snapshot());
    pc_srv_snapshot *held = pc_srv_slot_acquire(&slot);
    pc_srv_slot_swap(&slot, cert_snapshot());
    assert_ptr_not_equal(held, slot.current);
    assert_int_equal(atomic_load(&held->refs), 1);   /* only our reference keeps it */
    assert_non_null(find(held, "User", "alice", 5));
    pc_srv_snapshot_unref(held);
    pc_srv_slot_destroy(&slot);
}

/* Decide bob write record-1 against store; true when allowed. */
static bool bob_writes(pc_srv_snapshot *snap, const pc_entities *store)
{
    json_t *p = json_pack("{s:s,s:s}", "type", "User", "id", "bob");
    json_t *a = json_pack("{s:s,s:s}", "type", "Action", "id", "write");
    json_t *r = json_pack("{s:s,s:s}", "type", "Record", "id", "record-1");
    pc_decision *dec = pc_decision_new();
    pc_diag d;
    pc_diag_init(&d);
    assert_int_equal(pc_authorize_json_in(snap->engine, store, p, a, r, NULL, true, dec, &d),
                     PC_OK);
    bool allowed = pc_decision_allowed(dec);
    pc_decision_free(dec);
    json_decref(p);
    json_decref(a);
    json_decref(r);
    return allowed;
}

/* The overlay over snap's store, with attrs laid over type::id; NULL when refused (d says why). */
static pc_overlay *with_attrs(pc_srv_snapshot *snap, const char *type, const char *id,
                              json_t *attrs, pc_diag *d)
{
    pc_overlay *o = pc_overlay_new();
    assert_non_null(o);
    pc_overlay_reset(o, pc_engine_entities(snap->engine), pc_engine_schema(snap->engine), NULL);
    pc_uid uid = {pc_str_from_cstr(type), pc_str_from_cstr(id)};
    bool ok = pc_overlay_set_attrs(o, &uid, attrs, d) == PC_OK && pc_overlay_finish(o, d) == PC_OK;
    if (!ok) {
        pc_overlay_free(o);
        return NULL;
    }
    return o;
}

static void properties_override_stored(void **state)
{
    (void)state;
    pc_srv_snapshot *snap = cert_snapshot();
    assert_false(bob_writes(snap, NULL));   /* record-1 is active; bob is an admin */
    pc_diag d;
    pc_diag_init(&d);
    json_t *props = json_pack("{s:s}", "status", "archived");
    pc_overlay *o = with_attrs(snap, "Record", "record-1", props, &d);
    assert_non_null(o);
    assert_true(bob_writes(snap, pc_overlay_store(o)));   /* for this request record-1 is archived */
    assert_false(bob_writes(snap, NULL));                 /* and for no other */
    pc_uid uid = {pc_str_from_cstr("Record"), pc_str_from_cstr("record-1")};
    pc_overlay_reset(o, pc_engine_entities(snap->engine), pc_engine_schema(snap->engine), NULL);
    assert_int_equal(pc_overlay_set_attrs(o, &uid, props, &d), PC_OK);
    assert_int_not_equal(pc_overlay_set_attrs(o, &uid, props, &d), PC_OK);
    assert_non_null(strstr(d.msg, "given twice"));   /* the same entity twice is refused */
    pc_diag_clear(&d);
    pc_overlay_free(o);
    json_decref(props);
    pc_srv_snapshot_unref(snap);
}

static void properties_are_type_checked(void **state)
{
    (void)state;
    pc_srv_snapshot *snap = cert_snapshot();
    pc_diag d;
    pc_diag_init(&d);
    json_t *props = json_pack("{s:i}", "role", 5);
    assert_null(with_attrs(snap, "User", "alice", props, &d));
    assert_non_null(strstr(d.msg, "role"));
    pc_diag_clear(&d);
    json_decref(props);
    pc_srv_snapshot_unref(snap);
}

/* ---- metrics --------------------------------------------------------- */

static void metrics_exposition(void **state)
{
    (void)state;
    pc_srv_metrics m;
    pc_srv_metrics_init(&m);
    uint64_t counts[PC_SRV_OUTCOMES] = {3, 2, 1};
    pc_srv_metrics_decisions(&m, counts);
    pc_srv_metrics_request(&m, 200, 30000);        /* 30 µs: the 50 µs bucket */
    pc_srv_metrics_request(&m, 400, 2000000000);   /* 2 s: only +Inf */
    pc_srv_metrics_reload(&m, false);
    pc_srv_metrics_set set = {"abc", 7, 1700000000};
    pc_buf b;
    pc_buf_init(&b);
    assert_true(pc_srv_metrics_render(&m, &set, &b));
    static const char *const want[] = {
        "portcullis_decisions_total{outcome=\"allow\"} 3\n",
        "portcullis_decisions_total{outcome=\"error\"} 1\n",
        "portcullis_request_duration_seconds_bucket{le=\"2.5e-05\"} 0\n",
        "portcullis_request_duration_seconds_bucket{le=\"5e-05\"} 1\n",
        "portcullis_request_duration_seconds_bucket{le=\"1\"} 1\n",
        "portcullis_request_duration_seconds_bucket{le=\"+Inf\"} 2\n",
        "portcullis_request_duration_seconds_count 2\n",
        "portcullis_bad_requests_total 1\n",
        "portcullis_reload_failures_total 1\n",
        "portcullis_last_reload_success 0\n",
        "portcullis_policy_set_info{version=\"abc\"} 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(b.data, want[i]))
            fail_msg("metrics lack \"%s\" in:\n%s", want[i], b.data);
    pc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_values_and_defaults),
        cmocka_unit_test(config_errors_name_the_line),
        cmocka_unit_test(config_tls_alone_is_a_listener),
        cmocka_unit_test(config_identity_keys),
        cmocka_unit_test(mapping_types),
        cmocka_unit_test(snapshot_version_and_entities),
        cmocka_unit_test(snapshot_refuses_a_bad_set),
        cmocka_unit_test(slot_keeps_a_held_snapshot),
        cmocka_unit_test(properties_override_stored),
        cmocka_unit_test(properties_are_type_checked),
        cmocka_unit_test(metrics_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
