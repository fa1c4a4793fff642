/*
** identity/mapping.c — verified claims to a Cedar principal, an optional
** actor, and the JSON the daemon hands to the engine.
**
** Every issuer maps with one profile. The principal is TYPE::"ID" where TYPE
** is the issuer's principal_type and ID the string in its id_claim; the
** profile adds the attributes it can vouch for:
**
**   spiffe      sub must be a SPIFFE ID with a path (a workload, not a trust
**               domain): trust_domain, path
**   github      the GitHub Actions OIDC claims, each a string when present:
**               repository (required), repository_owner, ref, ref_type,
**               environment, workflow_ref, job_workflow_ref,
**               runner_environment, event_name, sha, actor
**   kubernetes  the kubernetes.io claim of a bound service-account token,
**               and sub must agree with it (system:serviceaccount:NS:NAME):
**               namespace, service_account, service_account_uid, pod,
**               pod_uid, node
**   custom      nothing beyond the id
**
** Claims listed in `attributes` are copied on top (Cedar-safe); config
** finishing refuses names a profile derives, so a raw claim can never
** overwrite a checked attribute. Delegation (RFC 8693 §4.1): the `act`
** claim names the party acting for the subject. It becomes the actor,
** ACTOR_TYPE::"act.sub", with attributes sub, iss (when given) and, for a
** SPIFFE ID, trust_domain and path. Nested `act` (earlier actors) stay in
** the actor's claims, bounded to PC_ID_MAX_ACT_DEPTH.
*/
#include <string.h>

#include "id_internal.h"

#define SPIFFE_SCHEME "spiffe://"
#define SPIFFE_MAX_ID 2048
#define SPIFFE_MAX_TRUST_DOMAIN 255
#define K8S_SUB_PREFIX "system:serviceaccount:"

/* The state of mapping one party. */
typedef struct mapper {
    pc_arena *a;
    pc_id_verdict *v;
    const json_t *claims;
    json_t *attrs;
} mapper;

static pc_id_reason attr_string(mapper *m, const char *name, const char *value, size_t n)
{
    if (json_object_set_new(m->attrs, name, json_stringn(value, n)) != 0)
        return pc_id_fail(m->a, m->v, PC_ID_INTERNAL, "out of memory mapping claims");
    return PC_ID_OK;
}

/* A string claim: *out NULL when absent; any other type is a mapping error. */
static pc_id_reason string_claim(mapper *m, const json_t *obj, const char *name, const char *where,
                                 const json_t **out)
{
    *out = json_object_get(obj, name);
    if (*out && (!json_is_string(*out) || json_string_length(*out) == 0))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "claim %s%s is not a non-empty string",
                          where, name);
    return PC_ID_OK;
}

static pc_id_reason copy_string_claim(mapper *m, const json_t *obj, const char *claim,
                                      const char *where, const char *attr, bool required)
{
    const json_t *j;
    if (string_claim(m, obj, claim, where, &j) != PC_ID_OK)
        return m->v->reason;
    if (!j)
        return required ? pc_id_fail(m->a, m->v, PC_ID_MAPPING, "claim %s%s is required",
                                     where, claim)
                        : PC_ID_OK;
    return attr_string(m, attr, json_string_value(j), json_string_length(j));
}

/* ---- SPIFFE --------------------------------------------------------------- */

static bool td_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static bool path_char(char c)
{
    return td_char(c) || (c >= 'A' && c <= 'Z');
}

/* Split a SPIFFE ID with a path into trust domain and path; why on failure. */
static bool spiffe_split(const char *id, size_t n, pc_str *td, pc_str *path, const char **why)
{
    size_t s = strlen(SPIFFE_SCHEME), i = s;
    *why = n > SPIFFE_MAX_ID ? "is longer than 2048 bytes"
           : strncmp(id, SPIFFE_SCHEME, s) ? "does not start with spiffe://" : NULL;
    while (!*why && i < n && id[i] != '/')
        if (!td_char(id[i++]))
            *why = "has a trust domain with characters other than a-z 0-9 . - _";
    if (!*why && (i == s || i - s > SPIFFE_MAX_TRUST_DOMAIN))
        *why = "has an empty or overlong trust domain";
    if (!*why && i == n)
        *why = "names a trust domain, not a workload (no path)";
    *td = (pc_str){id + s, i - s};
    *path = (pc_str){id + i, n - i};
    for (size_t seg = i; !*why && seg < n;) {   /* each segment: "/" then 1+ path chars */
        size_t j = seg + 1;
        while (j < n && id[j] != '/' && path_char(id[j]))
            j++;
        if (j < n && id[j] != '/')
            *why = "has a path with characters other than a-z A-Z 0-9 . - _";
        else if (j == seg + 1 || (j - seg == 2 && id[seg + 1] == '.') ||
                 (j - seg == 3 && id[seg + 1] == '.' && id[seg + 2] == '.'))
            *why = "has an empty, '.' or '..' path segment";
        seg = j;
    }
    return !*why;
}

static pc_id_reason spiffe_attrs(mapper *m, const json_t *id, const char *what)
{
    pc_str td, path;
    const char *why;
    if (!spiffe_split(json_string_value(id), json_string_length(id), &td, &path, &why))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "%s '%s' is not a SPIFFE workload ID: it %s",
                          what, pc_id_printable(m->a, json_string_value(id), 128), why);
    if (attr_string(m, "trust_domain", td.ptr, td.len) != PC_ID_OK)
        return m->v->reason;
    return attr_string(m, "path", path.ptr, path.len);
}

static pc_id_reason spiffe_profile(mapper *m)
{
    const json_t *sub;
    if (string_claim(m, m->claims, "sub", "", &sub) != PC_ID_OK)
        return m->v->reason;
    if (!sub)
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "a JWT-SVID needs a sub");
    return spiffe_attrs(m, sub, "sub");
}

/* ---- GitHub Actions ------------------------------------------------------- */

static const char *const github_claims[] = {
    "repository", "repository_owner", "ref", "ref_type", "environment", "workflow_ref",
    "job_workflow_ref", "runner_environment", "event_name", "sha", "actor",
};

static pc_id_reason github_profile(mapper *m)
{
    for (size_t i = 0; i < sizeof github_claims / sizeof github_claims[0]; i++) {
        bool required = !strcmp(github_claims[i], "repository");   /* what makes it the shape */
        if (copy_string_claim(m, m->claims, github_claims[i], "", github_claims[i], required) != PC_ID_OK)
            return m->v->reason;
    }
    return PC_ID_OK;
}

/* ---- Kubernetes ----------------------------------------------------------- */

static const char *const k8s_attrs[] = {"namespace", "service_account", "service_account_uid",
                                        "pod", "pod_uid", "node"};

/* obj.name and obj.uid of a kubernetes.io sub-object into attrs name_attr, uid_attr. */
static pc_id_reason k8s_object(mapper *m, const json_t *k8s, const char *field, bool required,
                               const char *name_attr, const char *uid_attr)
{
    const json_t *o = json_object_get(k8s, field);
    char where[64];
    snprintf(where, sizeof where, "kubernetes.io.%s.", field);
    if (!o && !required)
        return PC_ID_OK;
    if (!json_is_object(o))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "claim kubernetes.io.%s is %s", field,
                          o ? "not an object" : "required");
    if (copy_string_claim(m, o, "name", where, name_attr, true) != PC_ID_OK ||
        (uid_attr && copy_string_claim(m, o, "uid", where, uid_attr, false) != PC_ID_OK))
        return m->v->reason;
    return PC_ID_OK;
}

/* sub must be system:serviceaccount:NAMESPACE:NAME, the same account. */
static pc_id_reason k8s_sub_agrees(mapper *m)
{
    const json_t *sub = json_object_get(m->claims, "sub");
    const char *ns = json_string_value(json_object_get(m->attrs, "namespace"));
    const char *sa = json_string_value(json_object_get(m->attrs, "service_account"));
    char *want = pc_arena_printf(m->a, K8S_SUB_PREFIX "%s:%s", ns, sa);
    if (!want)
        return pc_id_fail(m->a, m->v, PC_ID_INTERNAL, "out of memory mapping claims");
    if (!json_is_string(sub) || strcmp(json_string_value(sub), want) ||
        strlen(want) != json_string_length(sub))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "sub does not name the service account of "
                          "the kubernetes.io claim (%s)", pc_id_printable(m->a, want, 256));
    return PC_ID_OK;
}

static pc_id_reason k8s_profile(mapper *m)
{
    const json_t *k8s = json_object_get(m->claims, "kubernetes.io");
    if (!json_is_object(k8s))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "a service-account token needs the "
                          "kubernetes.io claim object");
    if (copy_string_claim(m, k8s, "namespace", "kubernetes.io.", "namespace", true) != PC_ID_OK ||
        k8s_object(m, k8s, "serviceaccount", true, "service_account", "service_account_uid") != PC_ID_OK ||
        k8s_object(m, k8s, "pod", false, "pod", "pod_uid") != PC_ID_OK ||
        k8s_object(m, k8s, "node", false, "node", NULL) != PC_ID_OK)
        return m->v->reason;
    return k8s_sub_agrees(m);
}

/* ---- profiles ---------------------------------------------------------------- */

static pc_id_reason custom_profile(mapper *m)
{
    (void)m;
    return PC_ID_OK;
}

static const struct {
    pc_id_reason (*map)(mapper *m);
    const char *const *attrs;
    size_t n_attrs;
} profiles[] = {
    [PC_ID_PROFILE_CUSTOM] = {custom_profile, NULL, 0},
    [PC_ID_PROFILE_SPIFFE] = {spiffe_profile, (const char *const[]){"trust_domain", "path"}, 2},
    [PC_ID_PROFILE_GITHUB] = {github_profile, github_claims,
                              sizeof github_claims / sizeof github_claims[0]},
    [PC_ID_PROFILE_KUBERNETES] = {k8s_profile, k8s_attrs, sizeof k8s_attrs / sizeof k8s_attrs[0]},
};

bool pc_id_profile_attr(pc_id_profile p, const char *name)
{
    for (size_t i = 0; i < profiles[p].n_attrs; i++)
        if (!strcmp(profiles[p].attrs[i], name))
            return true;
    return false;
}

/* The listed claims, Cedar-safe, as attributes (absent or valueless ones skipped). */
static pc_id_reason listed_attrs(mapper *m, const pc_id_issuer_config *ic)
{
    for (uint32_t i = 0; i < ic->n_attr_claims; i++) {
        const json_t *v = json_object_get(m->claims, ic->attr_claims[i]);
        json_t *safe = NULL;
        if (v && !pc_id_cedar_value(v, &safe))
            return pc_id_fail(m->a, m->v, PC_ID_INTERNAL, "out of memory mapping claims");
        if (safe && json_object_set_new(m->attrs, ic->attr_claims[i], safe) != 0)
            return pc_id_fail(m->a, m->v, PC_ID_INTERNAL, "out of memory mapping claims");
    }
    return PC_ID_OK;
}

/* Fill a party: type, id from a string claim, fresh attrs, its claims. */
static pc_id_reason start_party(mapper *m, pc_id_party *p, const char *type, const char *id_claim,
                                json_t *claims)
{
    const json_t *id;
    if (string_claim(m, claims, id_claim, "", &id) != PC_ID_OK)
        return m->v->reason;
    if (!id)
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "claim %s (the id) is missing", id_claim);
    if (strlen(json_string_value(id)) != json_string_length(id))
        return pc_id_fail(m->a, m->v, PC_ID_MAPPING, "claim %s holds a NUL", id_claim);
    p->type = pc_arena_strdup(m->a, type);
    p->id = pc_arena_strdup(m->a, json_string_value(id));
    p->attrs = m->attrs = json_object();
    p->claims = json_incref(claims);
    m->claims = claims;
    if (!p->type || !p->id || !p->attrs)
        return pc_id_fail(m->a, m->v, PC_ID_INTERNAL, "out of memory mapping claims");
    return PC_ID_OK;
}

static size_t act_depth(const json_t *act)
{
    size_t n = 0;
    for (; json_is_object(act) && n <= PC_ID_MAX_ACT_DEPTH; act = json_object_get(act, "act"))
        n++;
    return n;
}

static pc_id_reason map_actor(const pc_id_issuer_config *ic, json_t *claims, pc_id_result *r)
{
    json_t *act = json_object_get(claims, "act");
    mapper m = {&r->arena, &r->verdict, act, NULL};
    if (!act)
        return PC_ID_OK;
    if (!json_is_object(act))
        return pc_id_fail(m.a, m.v, PC_ID_MAPPING, "act is not an object");
    if (act_depth(act) > PC_ID_MAX_ACT_DEPTH)
        return pc_id_fail(m.a, m.v, PC_ID_MAPPING, "act nests deeper than %d actors",
                          PC_ID_MAX_ACT_DEPTH);
    r->has_actor = true;
    if (start_party(&m, &r->actor, ic->actor_type, "sub", act) != PC_ID_OK ||
        copy_string_claim(&m, act, "sub", "act.", "sub", true) != PC_ID_OK ||
        copy_string_claim(&m, act, "iss", "act.", "iss", false) != PC_ID_OK)
        return r->verdict.reason;
    const json_t *sub = json_object_get(act, "sub");
    if (!strncmp(json_string_value(sub), SPIFFE_SCHEME, strlen(SPIFFE_SCHEME)))
        return spiffe_attrs(&m, sub, "act.sub");
    return PC_ID_OK;
}

pc_id_reason pc_id_map(const pc_id_issuer_config *ic, json_t *claims, pc_id_result *r)
{
    mapper m = {&r->arena, &r->verdict, claims, NULL};
    if (start_party(&m, &r->subject, ic->principal_type, ic->id_claim, claims) != PC_ID_OK ||
        profiles[ic->profile].map(&m) != PC_ID_OK || listed_attrs(&m, ic) != PC_ID_OK)
        return r->verdict.reason;
    return map_actor(ic, claims, r);
}

/* ---- JSON for the engine --------------------------------------------------- */

json_t *pc_id_entity_json(const pc_id_party *p)
{
    json_t *attrs = p->attrs ? pc_id_cedar_safe(p->attrs) : json_object();
    if (!attrs)
        return NULL;
    return json_pack("{s:{s:s, s:s}, s:o, s:[]}", "uid", "type", p->type, "id", p->id, "attrs",
                     attrs, "parents");
}

static json_t *actor_json(const pc_id_party *p)
{
    json_t *attrs = pc_id_cedar_safe(p->attrs), *claims = pc_id_cedar_safe(p->claims);
    if (!attrs || !claims) {
        json_decref(attrs);
        json_decref(claims);
        return NULL;
    }
    return json_pack("{s:{s:{s:s, s:s}}, s:o, s:o}", "principal", "__entity", "type", p->type,
                     "id", p->id, "attrs", attrs, "claims", claims);
}

json_t *pc_id_context_json(const pc_id_result *r)
{
    if (r->verdict.reason != PC_ID_OK || !r->subject.claims)
        return NULL;
    json_t *token = pc_id_cedar_safe(r->subject.claims);
    json_t *ctx = token ? json_pack("{s:o}", "token", token) : NULL;
    if (ctx && r->has_actor) {
        json_t *actor = actor_json(&r->actor);
        if (!actor || json_object_set_new(ctx, "actor", actor) != 0) {
            json_decref(ctx);
            return NULL;
        }
    }
    return ctx;
}
