/*
** fuzz/replay.c — run a libFuzzer target without libFuzzer (after SQLite's
** fuzzcheck): every file under the given paths is fed to
** LLVMFuzzerTestOneInput whole, then cut short at eight points and with
** eight single bytes flipped, deterministically. Built with gcc and run by
** `meson test`, so every fuzz target compiles, runs and keeps its invariants
** on every change, while `make fuzz` (clang, libFuzzer) explores further.
*/
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_BYTES (4u << 20)
#define VARIANTS 8

static long inputs;

static void run(const uint8_t *data, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);   /* a fresh buffer: overreads show under ASan */
    if (!copy)
        abort();
    memcpy(copy, data, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    inputs++;
}

static void replay_bytes(uint8_t *data, size_t n)
{
    run(data, n);
    for (size_t k = 1; k <= VARIANTS && n > 1; k++)
        run(data, n * k / (VARIANTS + 1));
    for (size_t k = 0; k < VARIANTS && n > 0; k++) {
        size_t at = (n * (2 * k + 1)) / (2 * VARIANTS);
        uint8_t saved = data[at];
        data[at] ^= (uint8_t)(0x01u << (k % 8)) | 0x20u;
        run(data, n);
        data[at] = saved;
    }
}

static int replay_path(const char *path, int depth)
{
    struct stat st;
    if (depth > 16 || stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        int bad = 0;
        while (d && (e = readdir(d)) != NULL) {
            char sub[PATH_MAX];
            if (e->d_name[0] != '.' &&
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                bad |= replay_path(sub, depth + 1);
        }
        if (d)
            closedir(d);
        return bad;
    }
    char *text = NULL;
    size_t n = 0;
    if (pc_read_file(path, REPLAY_MAX_BYTES, &text, &n, NULL) != PC_OK)
        return 0;   /* too large for a fuzz input: not an error */
    replay_bytes((uint8_t *)text, n);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int bad = 0;
    for (int i = 1; i < argc; i++)
        bad |= replay_path(argv[i], 0);
    printf("replay: %ld inputs, no failure\n", inputs);
    return bad;
}
