/*
 * Fuzz opening a registry file (host/registry*.c): the input is the bytes
 * of the file.  Whatever they are, open either refuses them with a known
 * error, a message and the file unchanged byte for byte, or gives a
 * registry whose devices list, resolve and show their history without a
 * crash.  Aborts (a crash for the fuzzer) otherwise.  Each run writes the
 * file into a private temporary folder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[64];

static void fuzz_path(char *out, size_t len, const char *suffix)
{
    snprintf(out, len, "%s/r.db%s", fuzz_dir, suffix);
}

/* The file and SQLite's files next to it. */
static void fuzz_clear(void)
{
    char p[96];
    static const char *const files[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        fuzz_path(p, sizeof p, files[i]);
        unlink(p);
    }
}

static void fuzz_cleanup(void)
{
    fuzz_clear();
    rmdir(fuzz_dir);
}

static void fuzz_put(const uint8_t *data, size_t size)
{
    char p[96];
    fuzz_clear();
    fuzz_path(p, sizeof p, "");
    FILE *f = fopen(p, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
}

/* The file still holds exactly `data`. */
static void fuzz_unchanged(const uint8_t *data, size_t size)
{
    char p[96];
    fuzz_path(p, sizeof p, "");
    FILE *f = fopen(p, "rb");
    uint8_t *back = malloc(size + 1);
    if (f == NULL || back == NULL)
        abort();
    size_t n = fread(back, 1, size + 1, f);
    fclose(f);
    if (n != size || (size > 0 && memcmp(back, data, size) != 0))
        abort();
    free(back);
}

static void fuzz_walk(fpy_registry *r)
{
    fpy_reg_device *devs, d;
    fpy_reg_event *h;
    size_t n, k;
    char err[512];
    if (fpy_registry_device_list(r, &devs, &n, err, sizeof err) != FPY_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        (void)fpy_registry_resolve(r, devs[i].id, &d, err, sizeof err);
        if (devs[i].alias[0] != '\0')
            (void)fpy_registry_resolve(r, devs[i].alias, &d, err, sizeof err);
        if (fpy_registry_history_list(r, devs[i].id, &h, &k, err, sizeof err) == FPY_OK)
            free(h);
    }
    free(devs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fipy-fuzz-XXXXXX", tmp ? tmp : "/tmp");
        if (mkdtemp(fuzz_dir) == NULL)
            abort();
        atexit(fuzz_cleanup);
    }
    fuzz_put(data, size);
    char p[96], err[1024] = "";
    fpy_registry *r = NULL;
    fpy_registry_cfg cfg = {1, 50};
    fuzz_path(p, sizeof p, "");
    int rc = fpy_registry_open(p, &cfg, &r, err, sizeof err);
    if (rc != FPY_OK) {
        if (r != NULL || rc >= 0 || !fpy_err_is_known(rc) || err[0] == '\0')
            abort();
        fuzz_unchanged(data, size);
        return 0;
    }
    fuzz_walk(r);
    fpy_registry_close(r);
    return 0;
}
