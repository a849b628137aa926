/* The hash port seam (include/fipy/port.h): this test links its own port,
 * which computes with mbedTLS and zlib like the host's but can be told to
 * fail, and checks what lib/core/hash.c and the boot make of a failing
 * engine: the error is I/O, the context ends once, and the boot passes it
 * up instead of judging a slot by it.  (Its definitions take the place of
 * libfipy_port_host's: the linker pulls no archive member for a symbol
 * already defined.) */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <zlib.h>

#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/hash.h"
#include "fipy/port.h"
#include "fixtures.h"
#include "simsys.h"
#include "testutil.h"

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define T_SHA_STARTS(c) mbedtls_sha256_starts_ret((c), 0)
#define T_SHA_UPDATE mbedtls_sha256_update_ret
#define T_SHA_FINISH mbedtls_sha256_finish_ret
#define T_MD5 mbedtls_md5_ret
#else
#define T_SHA_STARTS(c) mbedtls_sha256_starts((c), 0)
#define T_SHA_UPDATE mbedtls_sha256_update
#define T_SHA_FINISH mbedtls_sha256_finish
#define T_MD5 mbedtls_md5
#endif

/* What the test port is told, and what it saw. */
static struct {
    int start_rc, update_rc, finish_rc, md5_rc; /* returned instead of computing */
    unsigned starts, updates, finishes, releases;
    unsigned live, max_live; /* contexts between start and finish/release */
} port;

static void port_ended(void)
{
    port.live--;
}

int fpy_port_sha256_start(void *st)
{
    port.starts++;
    if (port.start_rc != 0)
        return port.start_rc;
    if (++port.live > port.max_live)
        port.max_live = port.live;
    mbedtls_sha256_init(st);
    return T_SHA_STARTS(st) == 0 ? 0 : FPY_ERR_IO;
}

int fpy_port_sha256_update(void *st, const void *data, size_t len)
{
    port.updates++;
    if (port.update_rc != 0)
        return port.update_rc;
    return T_SHA_UPDATE(st, data, len) == 0 ? 0 : FPY_ERR_IO;
}

int fpy_port_sha256_finish(void *st, uint8_t out[32])
{
    port.finishes++;
    int rc = port.finish_rc != 0 ? port.finish_rc : (T_SHA_FINISH(st, out) == 0 ? 0 : FPY_ERR_IO);
    mbedtls_sha256_free(st);
    port_ended();
    return rc;
}

void fpy_port_sha256_release(void *st)
{
    port.releases++;
    mbedtls_sha256_free(st);
    port_ended();
}

int fpy_port_md5(const void *data, size_t len, uint8_t out[16])
{
    if (port.md5_rc != 0)
        return port.md5_rc;
    return T_MD5(data, len, out) == 0 ? 0 : FPY_ERR_IO;
}

uint32_t fpy_port_crc32_le(uint32_t crc, const void *data, size_t len)
{
    return (uint32_t)crc32(crc, data, (uInt)len);
}

static int reset_port(void **state)
{
    (void)state;
    memset(&port, 0, sizeof port);
    return 0;
}

/* ---- the context's life over a failing engine --------------------------- */

static void test_sha256_through_the_port(void **state)
{
    (void)state;
    /* FIPS 180-2's "abc" */
    static const char want[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    uint8_t d[FPY_SHA256_LEN], w[FPY_SHA256_LEN];
    fpy_test_unhex(want, w, sizeof w);
    assert_int_equal(fpy_sha256_buf("abc", 3, d), FPY_OK);
    assert_memory_equal(d, w, sizeof d);
    assert_int_equal(port.starts, 1);
    assert_int_equal(port.finishes, 1);
    assert_int_equal(port.releases, 0);
}

static void test_failed_update_ends_the_context_once(void **state)
{
    (void)state;
    fpy_sha256 h;
    uint8_t d[FPY_SHA256_LEN];
    assert_int_equal(fpy_sha256_start(&h), FPY_OK);
    assert_int_equal(fpy_sha256_update(&h, "ab", 2), FPY_OK);
    port.update_rc = FPY_ERR_IO;
    assert_int_equal(fpy_sha256_update(&h, "c", 1), FPY_ERR_IO);
    port.update_rc = 0;
    /* ended: later calls give the error again and reach no port call */
    assert_int_equal(fpy_sha256_update(&h, "c", 1), FPY_ERR_IO);
    assert_int_equal(fpy_sha256_finish(&h, d), FPY_ERR_IO);
    assert_int_equal(fpy_sha256_finish(&h, d), FPY_ERR_IO);
    assert_int_equal(port.updates, 2);
    assert_int_equal(port.releases, 1);
    assert_int_equal(port.finishes, 0);
}

static void test_failed_start_leaves_nothing_to_release(void **state)
{
    (void)state;
    fpy_sha256 h;
    uint8_t d[FPY_SHA256_LEN];
    port.start_rc = FPY_ERR_IO;
    assert_int_equal(fpy_sha256_start(&h), FPY_ERR_IO);
    assert_int_equal(fpy_sha256_update(&h, "a", 1), FPY_ERR_IO);
    assert_int_equal(fpy_sha256_finish(&h, d), FPY_ERR_IO);
    assert_int_equal(port.updates + port.finishes + port.releases, 0);
}

/* A port's answer other than FPY_OK is an engine failure, whatever code it
 * picks: never a verdict such as "corrupt" or "checksum". */
static void test_port_codes_are_taken_as_io(void **state)
{
    (void)state;
    static const int codes[] = {FPY_ERR_CORRUPT, FPY_ERR_CHECKSUM, FPY_ERR_NOTFOUND, 1, -9999};
    uint8_t d[FPY_SHA256_LEN], m[FPY_MD5_LEN];
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        reset_port(NULL);
        port.finish_rc = codes[i];
        assert_int_equal(fpy_sha256_buf("abc", 3, d), FPY_ERR_IO);
        port.finish_rc = 0;
        port.update_rc = codes[i];
        assert_int_equal(fpy_sha256_buf("abc", 3, d), FPY_ERR_IO);
        port.update_rc = 0;
        port.start_rc = codes[i];
        assert_int_equal(fpy_sha256_buf("abc", 3, d), FPY_ERR_IO);
        port.start_rc = 0;
        port.md5_rc = codes[i];
        assert_int_equal(fpy_md5_buf("abc", 3, m), FPY_ERR_IO);
    }
}

/* ---- the boot over a failing engine ------------------------------------- */

/* A FiPy whose accepted pair is in slot 0 and whose attempted VM is in
 * slot 1: the next boot must verify slot 1 (a trial). */
static void test_boot_passes_an_engine_failure_up(void **state)
{
    (void)state;
    static uint8_t img[160 * 1024];
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    fpy_simsys ss;
    fpy_sys sys;
    fpy_simsys_init(&ss, &sys);
    fpy_boot_cfg cfg = {.layout = l, .store = FPY_REC_STORE_FIPY()};
    fpy_fw_work w;
    fpy_boot_result res;
    for (unsigned slot = 0; slot < 2; slot++) {
        size_t n = fpy_fix_vm(slot ? "2.1.0" : "2.0.0", slot + 1, 40000, img, sizeof img);
        fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_VM_SLOT, slot)->offset, img, n);
    }
    size_t n = fpy_fix_bc(2, 1, 3000, img, sizeof img);
    fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_BC_SLOT, 0)->offset, img, n);
    fpy_simsys_reset(&ss, FPY_RESET_RESET);
    assert_int_equal(fpy_boot_run(&tf->flash, &sys, &cfg, &w, &res), FPY_OK);
    assert_int_equal(fpy_fota_attempt(&tf->flash, &cfg.store, 0, 1), FPY_OK);

    uint8_t *before = malloc(FPY_FLASH_SIZE_8M);
    assert_non_null(before);
    memcpy(before, tf->mem, FPY_FLASH_SIZE_8M);
    /* an engine that fails outright, and one that fails part way with a
     * code that reads like a verdict */
    for (int part_way = 0; part_way < 2; part_way++) {
        reset_port(NULL);
        if (part_way)
            port.update_rc = FPY_ERR_CORRUPT;
        else
            port.start_rc = FPY_ERR_IO;
        fpy_simsys_reset(&ss, FPY_RESET_RESET);
        /* not "slot 1 does not verify", which would end the trial and
         * write the record: the boot stops and writes nothing */
        assert_int_equal(fpy_boot_run(&tf->flash, &sys, &cfg, &w, &res), FPY_ERR_IO);
        assert_memory_equal(tf->mem, before, FPY_FLASH_SIZE_8M);
    }
    /* and with the engine back, the trial goes ahead.  The boot verifies
     * one image at a time and ends every context it starts: a port may
     * have one SHA engine context, as ESP-IDF's bootloader has
     * (docs/porting.md). */
    reset_port(NULL);
    fpy_simsys_reset(&ss, FPY_RESET_RESET);
    assert_int_equal(fpy_boot_run(&tf->flash, &sys, &cfg, &w, &res), FPY_OK);
    assert_int_equal(res.vm_slot, 1);
    assert_true(res.test_mode);
    assert_true(port.starts >= 2); /* the VM and the bytecode */
    assert_int_equal(port.max_live, 1);
    assert_int_equal(port.live, 0);
    free(before);
    fpy_test_flash_free(tf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sha256_through_the_port, reset_port),
        cmocka_unit_test_setup(test_failed_update_ends_the_context_once, reset_port),
        cmocka_unit_test_setup(test_failed_start_leaves_nothing_to_release, reset_port),
        cmocka_unit_test_setup(test_port_codes_are_taken_as_io, reset_port),
        cmocka_unit_test_setup(test_boot_passes_an_engine_failure_up, reset_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
