/* Seed replay without libFuzzer. `make test` links each fuzz target with this main in the ASan/UBSan (gcc)
 * build and runs it over the target's committed corpus (ctest: replay_fuzz_<layer>_<name>), so every seed,
 * including each input that once crashed, keeps passing through its parser on every change. Fuzzing itself
 * (mutation, coverage) is `make fuzz`, with clang's libFuzzer; replaying here spares `make test` a third
 * full build with clang. Usage: replay_fuzz TARGET DIR|FILE... (exit 0: every input ran; 2: an input unreadable). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Built as one executable for every target (CMakeLists.txt): each target's entry point is renamed
 * rsp_replay_<target> by a generated wrapper, replay_table.h lists them, and the first argument names the
 * target. */
typedef int (*replay_fn)(const uint8_t *data, size_t size);
#define RSP_REPLAY(n) int rsp_replay_##n(const uint8_t *data, size_t size);
#include "replay_table.h"
#undef RSP_REPLAY
static const struct {
    const char *name;
    replay_fn fn;
} replay_targets[] = {
#define RSP_REPLAY(n) {#n, rsp_replay_##n},
#include "replay_table.h"
#undef RSP_REPLAY
};
static replay_fn target_fn;

/* One input in a heap buffer of exactly its size, as libFuzzer hands it over (so ASan sees overreads). */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        if (f)
            fclose(f);
        return 2;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf || fread(buf, 1, len, f) != len) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return 2;
    }
    fclose(f);
    (void)target_fn(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: replay_fuzz TARGET DIR|FILE...\n");
        return 2;
    }
    for (size_t k = 0; k < sizeof(replay_targets) / sizeof(replay_targets[0]); k++)
        if (!strcmp(argv[1], replay_targets[k].name))
            target_fn = replay_targets[k].fn;
    if (!target_fn) {
        fprintf(stderr, "replay: no fuzz target named %s\n", argv[1]);
        return 2;
    }
    int runs = 0;
    uint8_t empty = 0;
    (void)target_fn(&empty, 0); /* libFuzzer tries the empty input too */
    runs++;
    for (int i = 2; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or folder: %s\n", argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 2;
            runs++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "replay: cannot open folder %s\n", argv[i]);
            return 2;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            if (snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name) >= (int)sizeof path) {
                fprintf(stderr, "replay: path too long in %s\n", argv[i]);
                closedir(d);
                return 2;
            }
            if (run_file(path) != 0) {
                closedir(d);
                return 2;
            }
            runs++;
        }
        closedir(d);
    }
    printf("replay: %d inputs ran\n", runs);
    return 0;
}
