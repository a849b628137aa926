/* A simulated flash kept in a file persists across opens (processes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostio.h"
#include "testutil.h"

static const fpy_flash_geometry geo = {64u * 1024u, 4096u, 256u, 4u};

static void tmp_path(char *out, size_t n)
{
    snprintf(out, n, "%s/fipy-flashfile-%ld.bin", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    unlink(out);
}

static void test_content_persists_across_opens(void **state)
{
    (void)state;
    char path[512], err[256];
    tmp_path(path, sizeof path);
    fpy_flashfile ff;
    fpy_flashsim sim;
    fpy_flash f;
    uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];

    assert_int_equal(fpy_flashfile_open(&ff, path, geo.size, 1, err, sizeof err), FPY_OK);
    assert_int_equal(ff.mem[0], 0xFF); /* a new chip is erased */
    assert_int_equal(fpy_flashsim_init(&sim, &geo, ff.mem, NULL, NULL), FPY_OK);
    fpy_flashsim_bind(&sim, &f);
    assert_int_equal(fpy_flash_program(&f, 0x1000, d, 8), FPY_OK);
    fpy_flashfile_close(&ff);

    assert_int_equal(fpy_flashfile_open(&ff, path, geo.size, 0, err, sizeof err), FPY_OK);
    assert_int_equal(fpy_flashsim_init(&sim, &geo, ff.mem, NULL, NULL), FPY_OK);
    fpy_flashsim_bind(&sim, &f);
    assert_int_equal(fpy_flash_read(&f, 0x1000, r, 8), FPY_OK);
    assert_memory_equal(r, d, 8);
    fpy_flashfile_close(&ff);
    unlink(path);
}

static void test_wrong_size_is_refused_and_kept(void **state)
{
    (void)state;
    char path[512], err[256];
    tmp_path(path, sizeof path);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("not a flash image", fp);
    fclose(fp);
    fpy_flashfile ff;
    assert_int_equal(fpy_flashfile_open(&ff, path, geo.size, 1, err, sizeof err), FPY_ERR_INVAL);
    assert_non_null(strstr(err, "17 bytes"));
    size_t len;
    uint8_t *buf;
    assert_int_equal(fpy_file_read(path, 1024, &buf, &len, err, sizeof err), FPY_OK);
    assert_int_equal(len, 17); /* untouched */
    free(buf);
    assert_int_equal(fpy_file_read(path, 4, &buf, &len, err, sizeof err), FPY_ERR_NOSPC);
    unlink(path);
    assert_int_equal(fpy_flashfile_open(&ff, path, geo.size, 0, err, sizeof err), FPY_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_persists_across_opens),
        cmocka_unit_test(test_wrong_size_is_refused_and_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
