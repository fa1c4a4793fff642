/*
** fuzz/fuzz_policy_json.c — libFuzzer target for the JSON policy format
** reader (lang/json_policy.c). Invariants: a refusal always has a message;
** an accepted document prints as Cedar text that the text parser accepts
** and prints identically (the two parsers build the same trees), and prints
** back as JSON without failing.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *as_text(const pc_policy_list *l)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "");
    for (uint32_t i = 0; i < l->n; i++)
        if (!l->items[i]->is_template || l->items[i]->has_principal_slot ||
            l->items[i]->has_resource_slot)   /* slotless templates have no text form */
            pc_policy_print(&b, l->items[i]);
    return pc_buf_take(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_intern *in = pc_intern_new();
    pc_arena a;
    pc_arena_init(&a, 0, 0);
    pc_diag d;
    pc_diag_init(&d);
    pc_policy_list l = {0}, again = {0};
    pc_policy_links links = {0};
    uint32_t next = 0, next2 = 0;
    if (!in)
        abort();
    if (pc_parse_policies_json(&a, in, (const char *)data, size, "fuzz.json", &next, &l, &links,
                               &d) != PC_OK) {
        if (!d.msg && d.status != PC_ERR_NOMEM)
            abort();
    } else {
        char *text = as_text(&l);
        if (!text || pc_parse_policies(&a, in, text, strlen(text), "printed", &next2, &again,
                                       &d) != PC_OK)
            abort();
        char *text2 = as_text(&again);
        if (!text2 || strcmp(text, text2) != 0)
            abort();
        pc_buf b;
        pc_buf_init(&b);
        pc_policies_print_json(&b, (const pc_policy *const *)l.items, l.n);
        pc_buf_free(&b);
        free(text);
        free(text2);
    }
    pc_policy_list_free(&l);
    pc_policy_list_free(&again);
    pc_diag_clear(&d);
    pc_arena_free(&a);
    pc_intern_free(in);
    return 0;
}
