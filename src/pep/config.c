/*
** pep/config.c — turning the enforcement points' flags into settings.
**
** Both `portcullis mcp-proxy` and `portcullis exec` take the same PDP flags,
** so their reading lives here once, with the checks that make a bad flag an
** error at start-up rather than a surprise at the first decision: a token
** variable that is unset, a risk word that no policy would recognize, a
** server name that would make tool ids ambiguous.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pep.h"

static const char *const risk_levels[] = {"low", "medium", "high", "critical",
                                          PC_PEP_DEFAULT_RISK};
#define N_RISK_WORDS (sizeof risk_levels / sizeof risk_levels[0] - 1)   /* settable by --risk */

pc_status pc_pep_parse_uint(const char *what, const char *text, uint64_t min, uint64_t max,
                            uint64_t *out, pc_diag *d)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (!end || *end || errno || v < min || v > max)
        return pc_diag_set(d, PC_ERR_INVALID, "%s must be a whole number from %llu to %llu, "
                           "not '%s'", what, (unsigned long long)min, (unsigned long long)max,
                           text);
    *out = v;
    return PC_OK;
}

pc_status pc_pep_pdp_flags_resolve(const pc_pep_pdp_flags *f, pc_pep_pdp_config *out,
                                   pc_diag *d)
{
    *out = (pc_pep_pdp_config){.url = f->url ? f->url : PC_PEP_DEFAULT_PDP,
                               .token = f->token,
                               .timeout_ms = PC_PEP_DEFAULT_TIMEOUT_MS};
    if (f->token && f->token_env)
        return pc_diag_set(d, PC_ERR_INVALID, "give --token or --token-env, not both");
    if (f->token_env) {
        out->token = getenv(f->token_env);
        if (!out->token || !*out->token)
            return pc_diag_set(d, PC_ERR_INVALID, "--token-env %s: the variable is not set",
                               f->token_env);
    }
    uint64_t ms = PC_PEP_DEFAULT_TIMEOUT_MS;
    if (f->timeout_ms &&
        pc_pep_parse_uint("--timeout-ms", f->timeout_ms, 1, PC_PEP_MAX_TIMEOUT_MS, &ms, d) != PC_OK)
        return d->status;
    out->timeout_ms = (uint32_t)ms;
    return PC_OK;
}

bool pc_pep_risk_level_ok(const char *level)
{
    for (size_t i = 0; i < sizeof risk_levels / sizeof risk_levels[0]; i++)
        if (!strcmp(level, risk_levels[i]))
            return true;
    return false;
}

pc_status pc_pep_risk_add(json_t *risks, const char *spec, pc_diag *d)
{
    const char *eq = strrchr(spec, '=');
    if (!eq || eq == spec)
        return pc_diag_set(d, PC_ERR_INVALID, "--risk '%s' must be TOOL=LEVEL", spec);
    const char *level = eq + 1;
    bool known = false;
    for (size_t i = 0; i < N_RISK_WORDS; i++)
        known = known || !strcmp(level, risk_levels[i]);
    if (!known)
        return pc_diag_set(d, PC_ERR_INVALID, "--risk '%s': level must be low, medium, high or "
                           "critical", spec);
    if (json_object_size(risks) >= PC_PEP_MAX_RISKS)
        return pc_diag_set(d, PC_ERR_LIMIT, "--risk given more than %u times", PC_PEP_MAX_RISKS);
    char *tool = strndup(spec, (size_t)(eq - spec));
    if (tool && json_object_get(risks, tool))
        pc_diag_set(d, PC_ERR_INVALID, "--risk rates tool '%s' twice", tool);
    else if (!tool || json_object_set_new(risks, tool, json_string(level)) != 0)
        pc_diag_set(d, PC_ERR_INVALID, "--risk '%s': out of memory, or the tool name is not "
                    "UTF-8", spec);
    free(tool);
    return d->status;
}

static bool ident_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Ident(::Ident)*: what Cedar accepts as a namespace. */
static bool cedar_path_ok(const char *s)
{
    bool first = true;
    for (; *s; s++) {
        if (!first && s[0] == ':' && s[1] == ':') {
            s++;
            first = true;
            continue;
        }
        if (!ident_char(*s, first))
            return false;
        first = false;
    }
    return !first;
}

pc_status pc_pep_check_name(const char *what, const char *name, bool cedar_path, pc_diag *d)
{
    size_t n = strlen(name);
    bool ok = n <= PC_PEP_MAX_NAME_BYTES && (cedar_path ? n == 0 || cedar_path_ok(name) : n > 0);
    for (size_t i = 0; ok && !cedar_path && i < n; i++)
        ok = ident_char(name[i], false) || name[i] == '.' || name[i] == '-';
    if (!ok)
        return pc_diag_set(d, PC_ERR_INVALID, "%s '%s' must be %s, at most %u bytes", what, name,
                           cedar_path ? "a Cedar namespace such as Acme or Acme::Mcp"
                                      : "letters, digits, '_', '.' or '-'",
                           PC_PEP_MAX_NAME_BYTES);
    return PC_OK;
}

json_t *pc_pep_object_from_text(const char *what, const char *text, pc_diag *d)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (json_is_object(o))
        return o;
    if (o)
        pc_diag_set(d, PC_ERR_INVALID, "%s must be a JSON object", what);
    else
        pc_diag_set(d, PC_ERR_INVALID, "%s is not JSON: %s (line %d, column %d)", what, je.text,
                    je.line, je.column);
    json_decref(o);
    return NULL;
}
