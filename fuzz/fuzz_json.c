/*
** fuzz/fuzz_json.c — libFuzzer target for the JSON reader (base/json.c),
** which every JSON input passes through: entity files, schemas, request
** bodies. Invariants: a refusal always has a message; an accepted document
** serialises with jansson and reads back to the same value (NUL keys and
** exact integers included). Sameness is checked by serialising again and
** comparing the texts (objects keep insertion order): json_equal cannot be
** used, because it looks keys up as C strings and so misses NUL keys.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_diag d;
    pc_diag_init(&d);
    json_t *j = pc_json_parse((const char *)data, size, "fuzz", &d);
    if (!j) {
        if (d.status == PC_OK || (!d.msg && d.status != PC_ERR_NOMEM))
            abort();
        pc_diag_clear(&d);
        return 0;
    }
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text) {
        json_t *again = pc_json_parse(text, strlen(text), "fuzz-again", &d);
        char *text2 = again ? json_dumps(again, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        if (!again || (text2 && strcmp(text, text2) != 0))
            abort();
        json_decref(again);
        free(text2);
        free(text);
    }
    json_decref(j);
    pc_diag_clear(&d);
    return 0;
}
