/*
** base/json.h — reading JSON text into jansson values with the project's
** rules, for every room that reads JSON (schemas, entities, requests, the
** daemon's bodies). jansson holds the values; the reader is ours only because
** jansson's own parser refuses NUL bytes in object keys, which Cedar data
** (entity ids, record keys) may carry.
*/
#ifndef PC_JSON_H
#define PC_JSON_H

#include <jansson.h>

#include "base.h"

/*
** Parse JSON text: NULs allowed in strings and keys, exact int64 integers
** (no floats beyond that range are silently rounded), duplicate keys refused,
** nesting bounded by PC_MAX_JSON_DEPTH. Syntax errors are PC_ERR_PARSE with a
** "name:line:col" message and a caret; returns NULL then.
*/
json_t *pc_json_parse(const char *text, size_t len, const char *name, pc_diag *d);

#endif
