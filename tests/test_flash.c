/* The flash seam and the simulated NOR: rules, faults, counters, timing. */
#include <limits.h>
#include <string.h>

#include "fipy/hash.h"
#include "testutil.h"

/* Small geometry so exhaustive checks stay fast; the FiPy's too. */
static const fpy_flash_geometry small_geo = {64u * 1024u, 4096u, 256u, 4u};

static void test_fresh_flash_reads_erased(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    uint8_t buf[64];
    int erased = 0;
    assert_int_equal(fpy_flash_read(&tf->flash, FPY_FLASH_SIZE_8M - 64, buf, 64), FPY_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(buf[i], 0xFF);
    assert_int_equal(fpy_flash_is_erased(&tf->flash, 0, FPY_FLASH_SIZE_8M, buf,
                                         sizeof buf, &erased), FPY_OK);
    assert_int_equal(erased, 1);
    fpy_test_flash_free(tf);
}

static void test_program_clears_bits_only(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    tf->sim.mode = FPY_FLASHSIM_NOR;
    uint8_t a[4] = {0xF0, 0x0F, 0xAA, 0x55}, b[4] = {0xCC, 0xCC, 0xFF, 0x00}, r[4];
    assert_int_equal(fpy_flash_program(&tf->flash, 0x100, a, 4), FPY_OK);
    assert_int_equal(fpy_flash_program(&tf->flash, 0x100, b, 4), FPY_OK);
    assert_int_equal(fpy_flash_read(&tf->flash, 0x100, r, 4), FPY_OK);
    uint8_t want[4] = {0xC0, 0x0C, 0xAA, 0x00};
    assert_memory_equal(r, want, 4);
    fpy_test_flash_free(tf);
}

static void test_no_set_mode_refuses_zero_to_one(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t a[4] = {0xFE, 0xFF, 0xFF, 0xFF}, more[4] = {0xFC, 0xFF, 0xFF, 0xFF};
    uint8_t back[4] = {0xFF, 0xFF, 0xFF, 0xFF}, r[4];
    assert_int_equal(fpy_flash_program(&tf->flash, 0, a, 4), FPY_OK);
    /* Clearing one more bit is what NVS state changes do: allowed. */
    assert_int_equal(fpy_flash_program(&tf->flash, 0, more, 4), FPY_OK);
    /* Setting a bit back needs an erase: refused, nothing changes. */
    assert_int_equal(fpy_flash_program(&tf->flash, 0, back, 4), FPY_ERR_NOT_ERASED);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 4), FPY_OK);
    assert_memory_equal(r, more, 4);
    fpy_test_flash_free(tf);
}

static void test_erased_mode_refuses_reprogram(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    tf->sim.mode = FPY_FLASHSIM_ERASED;
    uint8_t a[4] = {0xFE, 0xFF, 0xFF, 0xFF}, more[4] = {0xFC, 0xFF, 0xFF, 0xFF};
    assert_int_equal(fpy_flash_program(&tf->flash, 0, a, 4), FPY_OK);
    assert_int_equal(fpy_flash_program(&tf->flash, 0, more, 4), FPY_ERR_NOT_ERASED);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0, 4096), FPY_OK);
    assert_int_equal(fpy_flash_program(&tf->flash, 0, more, 4), FPY_OK);
    fpy_test_flash_free(tf);
}

static void test_bounds_and_alignment(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t buf[8] = {0};
    assert_int_equal(fpy_flash_read(&tf->flash, small_geo.size - 4, buf, 8), FPY_ERR_RANGE);
    assert_int_equal(fpy_flash_read(&tf->flash, 0xFFFFFFFCu, buf, 8), FPY_ERR_RANGE);
    assert_int_equal(fpy_flash_program(&tf->flash, 2, buf, 4), FPY_ERR_ALIGN);
    assert_int_equal(fpy_flash_program(&tf->flash, 0, buf, 6), FPY_ERR_ALIGN);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0x800, 4096), FPY_ERR_ALIGN);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0, 100), FPY_ERR_ALIGN);
    assert_int_equal(fpy_flash_erase(&tf->flash, small_geo.size, 4096), FPY_ERR_RANGE);
    /* The simulator checks direct op calls too. */
    assert_int_equal(fpy_flashsim_ops.erase_sector(&tf->sim, 0x10), FPY_ERR_ALIGN);
    assert_int_equal(fpy_flashsim_ops.program(&tf->sim, small_geo.size, buf, 4), FPY_ERR_RANGE);
    assert_int_equal(tf->sim.stats.programs + tf->sim.stats.erases, 0);
    fpy_test_flash_free(tf);
}

static void test_bad_geometry_rejected(void **state)
{
    (void)state;
    uint8_t mem[4096];
    fpy_flashsim s;
    fpy_flash_geometry g = {4096, 3000, 256, 4};
    assert_int_equal(fpy_flashsim_init(&s, &g, mem, NULL, NULL), FPY_ERR_INVAL);
    g = (fpy_flash_geometry){5000, 4096, 256, 4};
    assert_int_equal(fpy_flashsim_init(&s, &g, mem, NULL, NULL), FPY_ERR_INVAL);
    g = (fpy_flash_geometry){4096, 4096, 256, 512};
    assert_int_equal(fpy_flashsim_init(&s, &g, mem, NULL, NULL), FPY_ERR_INVAL);
}

static void test_cut_before_nth_mutation(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t d[4] = {1, 2, 3, 4}, r[4];
    fpy_flashsim_arm(&tf->sim, FPY_FAULT_CUT, 2);
    assert_int_equal(fpy_flash_program(&tf->flash, 0, d, 4), FPY_OK);
    assert_int_equal(fpy_flash_program(&tf->flash, 4, d, 4), FPY_ERR_POWERLOSS);
    assert_true(fpy_flashsim_fault_fired(&tf->sim));
    /* Dead until rebooted, reads included. */
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 4), FPY_ERR_POWERLOSS);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0, 4096), FPY_ERR_POWERLOSS);
    fpy_flashsim_reboot(&tf->sim);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 4), FPY_OK);
    assert_memory_equal(r, d, 4);
    assert_int_equal(fpy_flash_read(&tf->flash, 4, r, 4), FPY_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r[i], 0xFF); /* the cut program never happened */
    /* The fault is spent: later operations work. */
    assert_int_equal(fpy_flash_program(&tf->flash, 4, d, 4), FPY_OK);
    fpy_test_flash_free(tf);
}

static void test_torn_program_lands_prefix_and_partial_byte(void **state)
{
    (void)state;
    enum { N = 256 };
    uint8_t d[N], r[N];
    for (int i = 0; i < N; i++)
        d[i] = (uint8_t)(i * 37u);
    int saw_partial = 0;
    for (uint64_t seed = 1; seed <= 64; seed++) {
        fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
        fpy_flashsim_seed(&tf->sim, seed);
        fpy_flashsim_arm(&tf->sim, FPY_FAULT_TORN, 1);
        assert_int_equal(fpy_flash_program(&tf->flash, 0, d, N), FPY_ERR_POWERLOSS);
        fpy_flashsim_reboot(&tf->sim);
        assert_int_equal(fpy_flash_read(&tf->flash, 0, r, N), FPY_OK);
        int k = 0;
        while (k < N && r[k] == d[k])
            k++;
        assert_true(k < N); /* never the whole write */
        /* byte k: only bits the write wanted cleared were cleared */
        assert_int_equal(r[k] & d[k], d[k]);
        if (r[k] != 0xFF)
            saw_partial = 1;
        for (int i = k + 1; i < N; i++)
            assert_int_equal(r[i], 0xFF);
        fpy_test_flash_free(tf);
    }
    assert_true(saw_partial);
}

static void test_interrupted_erase_leaves_mixture(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t zero[256], r[4096];
    memset(zero, 0, sizeof zero);
    for (uint32_t a = 0; a < 4096; a += 256)
        assert_int_equal(fpy_flash_program(&tf->flash, a, zero, 256), FPY_OK);
    fpy_flashsim_arm(&tf->sim, FPY_FAULT_TORN, 1);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0, 4096), FPY_ERR_POWERLOSS);
    fpy_flashsim_reboot(&tf->sim);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 4096), FPY_OK);
    int ones = 0, zeros = 0;
    for (int i = 0; i < 4096; i++) {
        ones += r[i] == 0xFF;
        zeros += r[i] != 0xFF;
    }
    assert_true(zeros > 0); /* not erased */
    assert_true(ones > 0 || zeros == 4096);
    assert_int_equal(tf->wear[0], 0); /* an interrupted erase is not counted */
    fpy_test_flash_free(tf);
}

static void test_read_bit_flips_affect_copy_only(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t r[64];
    fpy_flashsim_set_read_flips(&tf->sim, 2);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 64), FPY_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(r[i], 0xFF);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 64), FPY_OK);
    int diff = 0;
    for (int i = 0; i < 64; i++)
        diff += __builtin_popcount((unsigned)(r[i] ^ 0xFF));
    assert_int_equal(diff, 1);
    for (int i = 0; i < 64; i++)
        assert_int_equal(tf->mem[i], 0xFF);
    fpy_test_flash_free(tf);
}

static void test_bad_sector_fails_permanently(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t d[8] = {0};
    assert_int_equal(fpy_flashsim_set_bad(&tf->sim, 1, 1), FPY_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fpy_flash_erase(&tf->flash, 4096, 4096), FPY_ERR_BADBLOCK);
        assert_int_equal(fpy_flash_program(&tf->flash, 4096, d, 8), FPY_ERR_BADBLOCK);
    }
    /* A program spanning into the bad sector fails as a whole. */
    assert_int_equal(fpy_flash_program(&tf->flash, 4092, d, 8), FPY_ERR_BADBLOCK);
    assert_int_equal(tf->mem[4092], 0xFF);
    assert_int_equal(fpy_flash_program(&tf->flash, 0, d, 8), FPY_OK);
    assert_int_equal(fpy_flashsim_set_bad(&tf->sim, 99, 1), FPY_ERR_INVAL);
    fpy_test_flash_free(tf);
}

static void test_counters_wear_and_time(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    uint8_t d[512], r[100];
    memset(d, 0x5A, sizeof d);
    assert_int_equal(fpy_flash_erase(&tf->flash, 0, 8192), FPY_OK);
    assert_int_equal(fpy_flash_erase(&tf->flash, 4096, 4096), FPY_OK);
    /* 512 bytes at 0x80 touch three 256-byte pages. */
    assert_int_equal(fpy_flash_program(&tf->flash, 0x80, d, 512), FPY_OK);
    assert_int_equal(fpy_flash_read(&tf->flash, 0, r, 100), FPY_OK);
    const fpy_flashsim_stats *st = &tf->sim.stats;
    assert_int_equal(st->erases, 3);
    assert_int_equal(tf->wear[0], 1);
    assert_int_equal(tf->wear[1], 2);
    assert_int_equal(st->programs, 1);
    assert_int_equal(st->pages_programmed, 3);
    assert_int_equal(st->bytes_programmed, 512);
    assert_int_equal(st->reads, 1);
    assert_int_equal(st->bytes_read, 100);
    uint64_t want = 3ull * 45000000ull + 3ull * 700000ull + 100ull * 100ull;
    assert_int_equal(st->time_ns, want);
    fpy_test_flash_free(tf);
}

static void test_erased_bytes(void **state)
{
    (void)state;
    uint8_t b[8];
    memset(b, 0xFF, sizeof b);
    assert_true(fpy_is_erased(b, 0));
    assert_true(fpy_is_erased(b, sizeof b));
    assert_int_equal(fpy_erased_prefix(b, sizeof b), sizeof b);
    b[5] = 0xFE; /* one bit programmed */
    assert_false(fpy_is_erased(b, sizeof b));
    assert_true(fpy_is_erased(b, 5));
    assert_int_equal(fpy_erased_prefix(b, sizeof b), 5);
    b[0] = 0x00;
    assert_int_equal(fpy_erased_prefix(b, sizeof b), 0);
}

/* Feed `len` bytes of a pattern in uneven pieces. */
static void pw_feed(fpy_pagewriter *w, const uint8_t *data, uint32_t len)
{
    static const uint32_t pieces[] = {1, 7, 300, 13, 1000, 256};
    for (uint32_t off = 0, i = 0; off < len; i++) {
        uint32_t n = pieces[i % 6] < len - off ? pieces[i % 6] : len - off;
        assert_int_equal(fpy_pagewriter_put(w, data + off, n), FPY_OK);
        off += n;
    }
}

static void test_pagewriter_erases_each_sector_before_writing_it(void **state)
{
    (void)state;
    enum { LEN = 3 * 4096 + 101 };
    static uint8_t data[LEN];
    for (uint32_t i = 0; i < LEN; i++)
        data[i] = (uint8_t)(i * 7u + 3u);
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    memset(tf->mem, 0x00, small_geo.size); /* old data everywhere */
    fpy_pagewriter w;
    fpy_pagewriter_start(&w, &tf->flash, 4096, 1);
    pw_feed(&w, data, LEN);
    assert_int_equal(fpy_pagewriter_flush(&w), FPY_OK);
    assert_memory_equal(tf->mem + 4096, data, LEN);
    /* padded to the write alignment, the rest of the last sector erased */
    assert_true(fpy_is_erased(tf->mem + 4096 + LEN, 5 * 4096 - (4096 + LEN)));
    /* nothing before the start or past the last sector touched */
    assert_int_equal(fpy_erased_prefix(tf->mem, 4096), 0);
    assert_int_equal(tf->mem[5 * 4096], 0x00);
    assert_int_equal(tf->sim.stats.erases, 4);
    /* whole pages, none crossed by a program */
    assert_int_equal(tf->sim.stats.pages_programmed, tf->sim.stats.programs);
    assert_int_equal(tf->sim.stats.programs, (LEN + 255) / 256);
    assert_int_equal(w.mutations, tf->sim.stats.erases + tf->sim.stats.programs);
    fpy_test_flash_free(tf);
}

static void test_pagewriter_without_erase_pads_and_splits_at_pages(void **state)
{
    (void)state;
    uint8_t data[600];
    for (uint32_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    fpy_test_flash *tf = fpy_test_flash_new(&small_geo);
    fpy_pagewriter w;
    fpy_pagewriter_start(&w, &tf->flash, 0x104, 0);
    pw_feed(&w, data, 250);
    assert_int_equal(tf->sim.stats.programs, 0); /* a partial page waits */
    assert_int_equal(fpy_pagewriter_flush(&w), FPY_OK);
    assert_int_equal(tf->sim.stats.programs, 1);
    assert_memory_equal(tf->mem + 0x104, data, 250);
    assert_true(fpy_is_erased(tf->mem + 0x104 + 250, 2));
    /* 600 more from 0x200: two whole pages and a partial one */
    pw_feed(&w, data, sizeof data);
    assert_int_equal(fpy_pagewriter_flush(&w), FPY_OK);
    assert_memory_equal(tf->mem + 0x200, data, sizeof data);
    assert_int_equal(tf->sim.stats.programs, 4);
    assert_int_equal(tf->sim.stats.pages_programmed, 4);
    assert_int_equal(tf->sim.stats.erases, 0);
    fpy_test_flash_free(tf);
}

/* A driver that answers every call with `rc`: a port's raw status, a bug. */
static int odd_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)addr, (void)buf, (void)len;
    return *(const int *)ctx;
}

static int odd_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)addr, (void)buf, (void)len;
    return *(const int *)ctx;
}

static int odd_erase(void *ctx, uint32_t addr)
{
    (void)addr;
    return *(const int *)ctx;
}

static const fpy_flash_ops odd_ops = {odd_read, odd_program, odd_erase};

static void seam_returns(int driver_rc, int want)
{
    fpy_flash f = {&odd_ops, &driver_rc, small_geo};
    uint8_t buf[4] = {0};
    int erased = -1;
    assert_int_equal(fpy_flash_read(&f, 0, buf, 4), want);
    assert_int_equal(fpy_flash_program(&f, 0, buf, 4), want);
    assert_int_equal(fpy_flash_erase(&f, 0, 4096), want);
    assert_int_equal(fpy_flash_is_erased(&f, 0, 4, buf, 4, &erased), want);
}

static void test_seam_takes_unknown_driver_returns_as_io(void **state)
{
    (void)state;
    /* positive values, negatives that are no fpy_err, and codes that read
     * as a verdict on data: never success, never a verdict */
    static const int odd[] = {1,       7,   INT_MAX, INT_MIN, -17, -1000, FPY_ERR_CORRUPT,
                              FPY_ERR_CHECKSUM, FPY_ERR_TRUNCATED, FPY_ERR_NOTFOUND,
                              FPY_ERR_RANGE, FPY_ERR_UNSUPPORTED};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        seam_returns(odd[i], FPY_ERR_IO);
    /* the driver's own codes pass up unchanged */
    static const int known[] = {FPY_ERR_IO, FPY_ERR_TIMEOUT, FPY_ERR_BADBLOCK,
                                FPY_ERR_NOT_ERASED, FPY_ERR_STATE};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        seam_returns(known[i], known[i]);
}

static void test_crc32_matches_esp_idf_vectors(void **state)
{
    (void)state;
    /* ota_seq CRCs from the ESP-IDF fact sheet, §4.2. */
    const uint32_t seq[4] = {1, 2, 3, 4};
    const uint32_t want[4] = {0x4743989Au, 0x55F63774u, 0xED4A5011u, 0x709D68A8u};
    for (int i = 0; i < 4; i++) {
        uint8_t b[4] = {(uint8_t)seq[i], 0, 0, 0};
        assert_int_equal(fpy_crc32_le(0xFFFFFFFFu, b, 4), want[i]);
    }
}

static void test_sha256_and_md5_known_answers(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    assert_int_equal(fpy_sha256_buf("abc", 3, out), FPY_OK);
    fpy_test_unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
    assert_memory_equal(out, want, 32);
    assert_int_equal(fpy_md5_buf("abc", 3, out), FPY_OK);
    fpy_test_unhex("900150983cd24fb0d6963f7d28e17f72", want, 16);
    assert_memory_equal(out, want, 16);
}

static void test_hash_contexts_start_to_finish(void **state)
{
    (void)state;
    static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t one[32], inc[32];
    fpy_sha256 h;
    /* in pieces, the same digest as in one go */
    assert_int_equal(fpy_sha256_buf(msg, sizeof msg - 1, one), FPY_OK);
    assert_int_equal(fpy_sha256_start(&h), FPY_OK);
    for (size_t i = 0, len = sizeof msg - 1; i < len; i += 5) {
        size_t n = len - i < 5 ? len - i : 5;
        assert_int_equal(fpy_sha256_update(&h, msg + i, n), FPY_OK);
    }
    assert_int_equal(fpy_sha256_finish(&h, inc), FPY_OK);
    assert_memory_equal(one, inc, 32);
    /* an ended context is refused until started again */
    assert_int_equal(fpy_sha256_update(&h, msg, 1), FPY_ERR_STATE);
    assert_int_equal(fpy_sha256_finish(&h, inc), FPY_ERR_STATE);
    assert_int_equal(fpy_sha256_start(&h), FPY_OK);
    assert_int_equal(fpy_sha256_update(&h, msg, sizeof msg - 1), FPY_OK);
    assert_int_equal(fpy_sha256_finish(&h, inc), FPY_OK);
    assert_memory_equal(one, inc, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_flash_reads_erased),
        cmocka_unit_test(test_program_clears_bits_only),
        cmocka_unit_test(test_no_set_mode_refuses_zero_to_one),
        cmocka_unit_test(test_erased_mode_refuses_reprogram),
        cmocka_unit_test(test_bounds_and_alignment),
        cmocka_unit_test(test_bad_geometry_rejected),
        cmocka_unit_test(test_cut_before_nth_mutation),
        cmocka_unit_test(test_torn_program_lands_prefix_and_partial_byte),
        cmocka_unit_test(test_interrupted_erase_leaves_mixture),
        cmocka_unit_test(test_read_bit_flips_affect_copy_only),
        cmocka_unit_test(test_bad_sector_fails_permanently),
        cmocka_unit_test(test_counters_wear_and_time),
        cmocka_unit_test(test_erased_bytes),
        cmocka_unit_test(test_pagewriter_erases_each_sector_before_writing_it),
        cmocka_unit_test(test_pagewriter_without_erase_pads_and_splits_at_pages),
        cmocka_unit_test(test_seam_takes_unknown_driver_returns_as_io),
        cmocka_unit_test(test_crc32_matches_esp_idf_vectors),
        cmocka_unit_test(test_sha256_and_md5_known_answers),
        cmocka_unit_test(test_hash_contexts_start_to_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
