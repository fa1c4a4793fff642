/*
** fuzz/fuzz_parse_policy.c — libFuzzer target for the policy parser.
**
** Feeds arbitrary bytes to pc_parse_policies. Besides the sanitizers'
** checks (no crash, no leak, no undefined behaviour) it checks two
** properties a crash alone would not reveal:
**   - a failed parse always carries a message;
**   - a successful parse prints to text that parses again and prints the
**     same (the printer/parser round trip the unit tests check on the corpus).
** Build: clang -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
**        fuzz/fuzz_parse_policy.c <the library sources> -ljansson -lcrypto -lm
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print policies [from, l->n) into a fresh heap string (never NULL unless out of memory). */
static char *print_from(const pc_policy_list *l, uint32_t from)
{
    pc_buf b;
    pc_buf_init(&b);
    pc_buf_puts(&b, "");
    for (uint32_t i = from; i < l->n; i++)
        pc_policy_print(&b, l->items[i]);
    return pc_buf_take(&b);
}

static void check_round_trip(pc_arena *a, pc_intern *in, pc_policy_list *l, uint32_t *next_id)
{
    uint32_t n = l->n;
    char *first = print_from(l, 0);
    if (!first)
        return;   /* out of memory is not a finding */
    pc_diag d;
    pc_diag_init(&d);
    if (pc_parse_policies(a, in, first, strlen(first), "printed", next_id, l, &d) != PC_OK) {
        fprintf(stderr, "printed policies do not parse: %s\n%s\n", d.msg, first);
        abort();
    }
    char *second = print_from(l, n);
    if (second && strcmp(first, second) != 0) {
        fprintf(stderr, "print/parse/print differs:\n%s\n---\n%s\n", first, second);
        abort();
    }
    free(first);
    free(second);
    pc_diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_arena a;
    pc_arena_init(&a, 1 << 14, 0);
    pc_intern *in = pc_intern_new();
    if (!in) {
        pc_arena_free(&a);
        return 0;
    }
    pc_policy_list l = {0};
    uint32_t next_id = 0;
    pc_diag d;
    pc_diag_init(&d);
    pc_status st = pc_parse_policies(&a, in, (const char *)data, size, "fuzz", &next_id, &l, &d);
    if (st == PC_OK)
        check_round_trip(&a, in, &l, &next_id);
    else if (st != PC_ERR_NOMEM && !d.msg)
        abort();   /* every parse failure must say why */
    pc_diag_clear(&d);
    pc_policy_list_free(&l);
    pc_intern_free(in);
    pc_arena_free(&a);
    return 0;
}
