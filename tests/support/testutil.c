#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"

fpy_test_flash *fpy_test_flash_new(const fpy_flash_geometry *geo)
{
    fpy_flash_geometry g = geo ? *geo : FPY_FLASH_GEOMETRY_FIPY();
    fpy_test_flash *tf = calloc(1, sizeof *tf);
    assert_non_null(tf);
    uint32_t nsec = g.size / g.sector_size;
    tf->mem = malloc(g.size);
    tf->wear = calloc(nsec, sizeof *tf->wear);
    tf->bad = calloc(nsec, 1);
    assert_non_null(tf->mem);
    assert_non_null(tf->wear);
    assert_non_null(tf->bad);
    assert_int_equal(fpy_flashsim_init(&tf->sim, &g, tf->mem, tf->wear, tf->bad), FPY_OK);
    fpy_flashsim_wipe(&tf->sim);
    fpy_flashsim_bind(&tf->sim, &tf->flash);
    return tf;
}

void fpy_test_flash_free(fpy_test_flash *tf)
{
    if (tf == NULL)
        return;
    free(tf->mem);
    free(tf->wear);
    free(tf->bad);
    free(tf);
}

uint8_t *fpy_test_read_src(const char *rel, size_t *len)
{
    const char *src = getenv("FPY_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel);
    uint8_t *buf = NULL;
    char err[256];
    int rc = fpy_file_read(path, 64u << 20, &buf, len, err, sizeof err);
    if (rc != FPY_OK)
        fail_msg("%s", err);
    return buf;
}

size_t fpy_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        int v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        if (v < 0 || v > 15)
            fail_msg("bad hex digit '%c'", *p);
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                fail_msg("hex longer than %zu bytes", cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int fpy_test_tmpdir(char *dir, size_t cap, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, cap, "%s/fipy-%s-XXXXXX", tmp != NULL ? tmp : "/tmp", tag);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

int fpy_test_rmdir(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *fpy_test_path(const char *dir, const char *name)
{
    static char paths[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(paths[k], sizeof paths[k], "%s/%s", dir, name);
    return paths[k];
}
