/*
** store/store.c — what every store backend shares: the table of hashed
** record fields, the choice of backend from a store spec, the names of
** approval and grant states, and lists as JSON text.
**
** The field table is the single description of a decision record: SQL
** columns, the canonical encoding (audit/canon.c) and the JSON output
** (audit/format.c) all walk it, so adding a field is one line here plus a
** schema migration, and the three can never disagree on order or names.
*/
#include <string.h>

#include "../base/json.h"
#include "store.h"

#define FIELD(name, kind)                                                                          \
    {                                                                                              \
#name, kind, offsetof(pc_log_record, name)                                                 \
    }

const pc_field_desc pc_log_fields[] = {
    FIELD(time_us, PC_FIELD_I64),    FIELD(decision_id, PC_FIELD_STR),
    FIELD(request_id, PC_FIELD_STR), FIELD(source, PC_FIELD_STR),
    FIELD(principal, PC_FIELD_STR),  FIELD(action, PC_FIELD_STR),
    FIELD(resource, PC_FIELD_STR),   FIELD(decision, PC_FIELD_STR),
    FIELD(reasons, PC_FIELD_LIST),   FIELD(errors, PC_FIELD_LIST),
    FIELD(error, PC_FIELD_STR),      FIELD(policy_version, PC_FIELD_STR),
    FIELD(issuer, PC_FIELD_STR),     FIELD(approval_id, PC_FIELD_STR),
    FIELD(latency_us, PC_FIELD_I64), FIELD(context_digest, PC_FIELD_HASH),
    FIELD(context, PC_FIELD_OPT),    FIELD(prev_hash, PC_FIELD_HASH),
};
_Static_assert(sizeof pc_log_fields / sizeof pc_log_fields[0] == PC_LOG_N_FIELDS,
               "PC_LOG_N_FIELDS counts the table");

static const char sqlite_prefix[] = "sqlite:";
static const char postgres_prefix[] = "postgres://";
static const char postgresql_prefix[] = "postgresql://";

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

pc_status pc_store_open(const char *spec, const pc_store_options *o, pc_store **out, pc_diag *d)
{
    *out = NULL;
    if (!spec || !*spec)
        return pc_diag_set(d, PC_ERR_INVALID, "store: no database given");
    if (starts_with(spec, postgres_prefix) || starts_with(spec, postgresql_prefix))
        return pc_diag_set(d, PC_ERR_INVALID,
                           "store %s: the PostgreSQL backend is not part of this build; "
                           "use sqlite:PATH",
                           spec);
    if (starts_with(spec, sqlite_prefix))
        spec += strlen(sqlite_prefix);
    return pc_store_open_sqlite(spec, o, out, d);
}

static const char *const approval_states[] = {"pending", "approved", "denied", "consumed"};
static const char *const grant_states[] = {"unseen", "spent", "revoked"};
#define N_APPROVAL_STATES (sizeof approval_states / sizeof approval_states[0])

const char *pc_approval_state_name(pc_approval_state st)
{
    return (unsigned)st < N_APPROVAL_STATES ? approval_states[st] : "unknown";
}

bool pc_approval_state_parse(const char *name, pc_approval_state *out)
{
    for (size_t i = 0; i < N_APPROVAL_STATES; i++)
        if (strcmp(name, approval_states[i]) == 0) {
            *out = (pc_approval_state)i;
            return true;
        }
    return false;
}

const char *pc_grant_state_name(pc_grant_state st)
{
    return (unsigned)st < sizeof grant_states / sizeof grant_states[0] ? grant_states[st]
                                                                       : "unknown";
}

bool pc_strlist_to_json(pc_buf *b, pc_strlist l)
{
    pc_buf_putc(b, '[');
    for (uint32_t i = 0; i < l.n; i++) {
        if (i)
            pc_buf_putc(b, ',');
        pc_buf_json_string(b, l.items[i].ptr, l.items[i].len);
    }
    return pc_buf_putc(b, ']') && !b->oom;
}

/* Copy the strings of a parsed JSON array into a. */
static bool copy_items(pc_arena *a, json_t *arr, pc_strlist *out, const char **why)
{
    size_t n = json_array_size(arr);
    pc_str *items = n ? pc_arena_alloc(a, n * sizeof *items) : NULL;
    if (n && !items) {
        *why = "out of memory";
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            *why = "an item is not a string";
            return false;
        }
        items[i] = pc_arena_str(a, json_string_value(v), json_string_length(v));
        if (!items[i].ptr) {
            *why = "out of memory";
            return false;
        }
    }
    out->n = (uint32_t)n;
    out->items = items;
    return true;
}

bool pc_strlist_from_json(pc_arena *a, const char *text, size_t len, pc_strlist *out,
                          const char **why)
{
    out->n = 0;
    out->items = NULL;
    if (len > UINT32_MAX) {
        *why = "the list is too long";
        return false;
    }
    json_t *v = pc_json_parse(text, len, "list", NULL);
    bool ok = false;
    if (!v)
        *why = "not JSON";
    else if (!json_is_array(v))
        *why = "not a JSON array";
    else
        ok = copy_items(a, v, out, why);
    json_decref(v);
    return ok;
}
