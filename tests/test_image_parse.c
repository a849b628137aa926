/*
 * Reading and verifying app images: every field of a built image, the
 * same walk from simulated flash, and every kind of corruption with the
 * error code and the diag's field and offset.
 */
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/image.h"
#include "testutil.h"

static uint8_t elf_sha[32];

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 3u;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

/* The §3.4 layout built from raw sections (no ELF), with an ELF hash. */
static uint8_t *example(const fpy_image_opts *o, size_t *len)
{
    static uint8_t desc[256], ro[0x1234], dram[0x200], iram[0x3400], irom[0x5000];
    fpy_image_app_desc a = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC, .secure_version = 7};
    strcpy(a.project_name, "fipy-demo");
    strcpy(a.version, "1.2.3");
    strcpy(a.time, "01:02:03");
    strcpy(a.date, "Mar  3 2025");
    strcpy(a.idf_ver, "v5.3.1");
    a.min_efuse_blk_rev_full = 1;
    a.max_efuse_blk_rev_full = 199;
    fpy_image_app_desc_encode(&a, desc);
    fill(ro, sizeof ro, 1);
    fill(dram, sizeof dram, 2);
    fill(iram, sizeof iram, 3);
    fill(irom, sizeof irom, 4);
    fill(elf_sha, sizeof elf_sha, 5);
    const fpy_image_section s[] = {
        {".flash.appdesc", 0x3F400020u, desc, 256}, {".flash.rodata", 0x3F400120u, ro, sizeof ro},
        {".dram0.data", 0x3FFB0000u, dram, sizeof dram}, {".iram0.text", 0x40080000u, iram, sizeof iram},
        {".flash.text", 0x400D0020u, irom, sizeof irom},
    };
    fpy_image_builder *b = malloc(sizeof *b);
    uint8_t *out = malloc(0x20000);
    assert_int_equal(fpy_image_build(b, s, 5, 0x40080400u, o, elf_sha, out, 0x20000, len, NULL),
                     FPY_OK);
    free(b);
    return out;
}

/* A small image: DROM (app desc) + DRAM, 0x190 bytes, for exhaustive runs. */
static uint8_t *small(size_t *len)
{
    static uint8_t desc[256], dram[0x40];
    fpy_image_app_desc a = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC};
    strcpy(a.project_name, "small");
    fpy_image_app_desc_encode(&a, desc);
    fill(dram, sizeof dram, 6);
    const fpy_image_section s[] = {{".flash.appdesc", 0x3F400020u, desc, 256},
                                   {".dram0.data", 0x3FFB0000u, dram, sizeof dram}};
    fpy_image_builder b;
    uint8_t *out = malloc(0x400);
    assert_int_equal(fpy_image_build(&b, s, 2, 0x40080000u, NULL, NULL, out, 0x400, len, NULL),
                     FPY_OK);
    return out;
}

/* Recompute the checksum and digest after an edit, so that only the
 * edited field is wrong. */
static void reseal(uint8_t *img, size_t len)
{
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
    img[info.checksum_offset] = info.checksum_calc;
    if (info.has_digest)
        assert_int_equal(fpy_sha256_buf(img, info.checksum_offset + 1u, img + info.checksum_offset + 1u), FPY_OK);
}

/* Assemble an image by hand (no layout rules), sealed. */
typedef struct raw_seg {
    uint32_t addr, len;
} raw_seg;

static size_t handmade(uint8_t *out, const raw_seg *s, uint32_t n, uint16_t chip)
{
    memset(out, 0, 0x30000);
    fpy_image_header h = {.magic = 0xE9, .segment_count = (uint8_t)n, .wp_pin = 0xEE,
                          .chip_id = chip, .max_chip_rev_full = 0xFFFF, .hash_appended = 1};
    fpy_image_header_encode(&h, out);
    uint32_t pos = 24;
    for (uint32_t i = 0; i < n; i++) {
        fpy_put_le32(out + pos, s[i].addr);
        fpy_put_le32(out + pos + 4, s[i].len);
        fill(out + pos + 8, s[i].len, i + 10);
        pos += 8 + s[i].len;
    }
    size_t len = pos + 15u - pos % 16u + 1u + 32u;
    reseal(out, len);
    return len;
}

static int verify(const uint8_t *img, size_t len, uint32_t flags, fpy_diag *d)
{
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, len);
    memset(d, 0, sizeof *d);
    return fpy_image_verify(&src, NULL, 0, flags, &info, d);
}

/* ---- a good image, field by field ------------------------------------------- */

static void test_info_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, len);
    fpy_diag d = {0};
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, &d), FPY_OK);
    assert_int_equal(info.hdr.magic, 0xE9);
    assert_int_equal(info.hdr.segment_count, 5);
    assert_int_equal(info.hdr.spi_mode, 0);
    assert_int_equal(info.hdr.spi_speed, 0);
    assert_int_equal(info.hdr.spi_size, 0);
    assert_int_equal(info.hdr.entry_addr, 0x40080400u);
    assert_int_equal(info.hdr.wp_pin, 0xEE);
    assert_int_equal(info.hdr.chip_id, 0);
    assert_int_equal(info.hdr.max_chip_rev_full, 0xFFFF);
    assert_int_equal(info.hdr.hash_appended, 1);
    static const uint32_t lens[] = {0x1334, 0x200, 0x3400, 0xB6AC, 0x5000};
    static const uint32_t addr[] = {0x3F400020u, 0x3FFB0000u, 0x40080000u, 0, 0x400D0020u};
    static const uint32_t offs[] = {0x18, 0x1354, 0x155C, 0x4964, 0x10018};
    static const uint32_t types[] = {1u << 1, (1u << 4) | (1u << 5), 1u << 10, 1u << 0, 1u << 7};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(info.seg[i].data_len, lens[i]);
        assert_int_equal(info.seg[i].load_addr, addr[i]);
        assert_int_equal(info.seg[i].file_offset, offs[i]);
        assert_int_equal(info.seg[i].mem_types, types[i]);
    }
    assert_int_equal(info.checksum_offset, 0x1502F);
    assert_int_equal(info.checksum, img[0x1502F]);
    assert_true(info.checksum_ok);
    assert_true(info.has_digest);
    assert_true(info.digest_ok);
    assert_memory_equal(info.digest, img + 0x15030, 32);
    assert_int_equal(info.image_len, 0x15050);
    assert_int_equal(info.src_size, len);
    assert_int_equal(info.drom_index, 0);
    assert_true(info.has_app_desc);
    assert_string_equal(info.app_desc.project_name, "fipy-demo");
    assert_string_equal(info.app_desc.version, "1.2.3");
    assert_string_equal(info.app_desc.time, "01:02:03");
    assert_string_equal(info.app_desc.date, "Mar  3 2025");
    assert_string_equal(info.app_desc.idf_ver, "v5.3.1");
    assert_int_equal(info.app_desc.secure_version, 7);
    assert_int_equal(info.app_desc.min_efuse_blk_rev_full, 1);
    assert_int_equal(info.app_desc.max_efuse_blk_rev_full, 199);
    assert_memory_equal(info.app_desc.app_elf_sha256, elf_sha, 32);
    assert_false(info.has_boot_desc);
    assert_int_equal(fpy_image_check(&info, FPY_IMAGE_CHECK_APP, &d), FPY_OK);
    free(img);
}

static void test_trailing_bytes_allowed(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, 0x20000); /* 0xFF.. after */
    memset(img + len, 0xFF, 0x20000 - len);
    assert_int_equal(fpy_image_verify(&src, NULL, 0, FPY_IMAGE_CHECK_APP, &info, NULL), FPY_OK);
    assert_int_equal(info.image_len, len);
    assert_int_equal(info.src_size, 0x20000);
    free(img);
}

static void test_no_digest_image(void **state)
{
    (void)state;
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.no_digest = 1;
    size_t len;
    uint8_t *img = example(&o, &len);
    fpy_diag d;
    assert_int_equal(len, 0x15030);
    assert_int_equal(verify(img, len, FPY_IMAGE_CHECK_APP, &d), FPY_OK);
    img[0x10020] ^= 0x01; /* one IROM byte */
    assert_int_equal(verify(img, len, 0, &d), FPY_ERR_CHECKSUM);
    assert_string_equal(d.field, "checksum");
    free(img);
}

/* ---- from flash -------------------------------------------------------------------- */

static void test_flash_source_matches_memory(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    const uint32_t slot = 0x10000, slot_size = 0x100000;
    assert_int_equal(fpy_flash_program(&tf->flash, slot, img, (uint32_t)len), FPY_OK);
    fpy_image_info mem, fl;
    fpy_image_src msrc = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&msrc, NULL, 0, &mem, NULL), FPY_OK);
    static const uint32_t scratch_sizes[] = {1, 5, 64, 4096};
    uint8_t scratch[4096];
    for (size_t k = 0; k < 4; k++) {
        fpy_image_src fsrc = fpy_image_src_flash(&tf->flash, slot, slot_size);
        assert_int_equal(fpy_image_verify(&fsrc, scratch, scratch_sizes[k], FPY_IMAGE_CHECK_APP,
                                          &fl, NULL), FPY_OK);
        assert_int_equal(fl.nsegments, mem.nsegments);
        assert_memory_equal(fl.seg, mem.seg, sizeof mem.seg);
        assert_memory_equal(fl.digest_calc, mem.digest_calc, 32);
        assert_int_equal(fl.checksum_calc, mem.checksum_calc);
        assert_int_equal(fl.image_len, mem.image_len);
        assert_string_equal(fl.app_desc.project_name, "fipy-demo");
    }
    /* A flash source needs scratch. */
    fpy_image_src fsrc = fpy_image_src_flash(&tf->flash, slot, slot_size);
    assert_int_equal(fpy_image_parse(&fsrc, NULL, 0, &fl, NULL), FPY_ERR_INVAL);
    /* A slot running past the device: the read's error comes back as is. */
    fsrc = fpy_image_src_flash(&tf->flash, FPY_FLASH_SIZE_8M - 0x10000, 0x20000);
    assert_int_equal(fpy_flash_program(&tf->flash, FPY_FLASH_SIZE_8M - 0x10000, img, 0x10000),
                     FPY_OK);
    assert_int_equal(fpy_image_parse(&fsrc, scratch, sizeof scratch, &fl, NULL), FPY_ERR_RANGE);
    /* Erased slot: not an image. */
    fpy_diag d = {0};
    fsrc = fpy_image_src_flash(&tf->flash, 0x200000, slot_size);
    assert_int_equal(fpy_image_parse(&fsrc, scratch, sizeof scratch, &fl, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "magic");
    assert_int_equal(d.found, 0xFF);
    fpy_test_flash_free(tf);
    free(img);
}

static void test_flash_read_errors_fail_verification(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    uint8_t scratch[512];
    fpy_image_info info;
    assert_int_equal(fpy_flash_program(&tf->flash, 0x10000, img, (uint32_t)len), FPY_OK);
    fpy_image_src src = fpy_image_src_flash(&tf->flash, 0x10000, 0x100000);
    /* Bit flips in reads: the image must not pass. */
    fpy_flashsim_seed(&tf->sim, 42);
    fpy_flashsim_set_read_flips(&tf->sim, 7);
    assert_int_not_equal(fpy_image_verify(&src, scratch, sizeof scratch, FPY_IMAGE_CHECK_APP,
                                          &info, NULL), FPY_OK);
    fpy_flashsim_set_read_flips(&tf->sim, 0);
    /* Power lost: every read fails, and the parser says so unchanged. */
    fpy_flashsim_arm(&tf->sim, FPY_FAULT_CUT, 1);
    assert_int_not_equal(fpy_flash_erase(&tf->flash, 0x300000, 4096), FPY_OK);
    assert_int_equal(fpy_image_parse(&src, scratch, sizeof scratch, &info, NULL),
                     FPY_ERR_POWERLOSS);
    fpy_flashsim_reboot(&tf->sim);
    assert_int_equal(fpy_image_verify(&src, scratch, sizeof scratch, FPY_IMAGE_CHECK_APP,
                                      &info, NULL), FPY_OK);
    fpy_test_flash_free(tf);
    free(img);
}

/* ---- corruption, one kind at a time ---------------------------------------------- */

typedef struct bad_case {
    const char *what;
    int rc;
    const char *field;
    uint64_t offset;
} bad_case;

static void expect(const uint8_t *img, size_t len, uint32_t flags, bad_case c)
{
    fpy_diag d;
    int rc = verify(img, len, flags, &d);
    if (rc != c.rc)
        fail_msg("%s: rc %d, want %d (%s)", c.what, rc, c.rc, d.what ? d.what : "");
    assert_non_null(d.what);
    assert_string_equal(d.field, c.field);
    assert_true(d.has_offset);
    assert_int_equal(d.offset, c.offset);
}

static void test_bad_magic(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    img[0] = 0xEA;
    expect(img, len, 0, (bad_case){"magic", FPY_ERR_CORRUPT, "magic", 0});
    fpy_diag d;
    verify(img, len, 0, &d);
    assert_int_equal(d.expected, 0xE9);
    assert_int_equal(d.found, 0xEA);
    expect(img, 0, 0, (bad_case){"empty", FPY_ERR_TRUNCATED, "header", 0});
    free(img);
}

static void test_header_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_diag d;
    expect(img, 23, 0, (bad_case){"short header", FPY_ERR_TRUNCATED, "header", 0});
    img[1] = 17;
    expect(img, len, 0, (bad_case){"17 segments", FPY_ERR_CORRUPT, "segment_count", 1});
    verify(img, len, 0, &d);
    assert_int_equal(d.expected, 16);
    assert_int_equal(d.found, 17);
    img[1] = 0xFF;
    expect(img, len, 0, (bad_case){"255 segments", FPY_ERR_CORRUPT, "segment_count", 1});
    img[1] = 5;
    img[0x17] = 2;
    expect(img, len, 0, (bad_case){"hash_appended", FPY_ERR_CORRUPT, "hash_appended", 0x17});
    verify(img, len, 0, &d);
    assert_int_equal(d.found, 2);
    free(img);
}

static void test_truncated_segment(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_diag d;
    /* Cut inside segment 4's data. */
    expect(img, 0x12000, 0, (bad_case){"cut data", FPY_ERR_TRUNCATED, "segment.data_len", 0x1001C});
    verify(img, 0x12000, 0, &d);
    assert_true(d.has_index);
    assert_int_equal(d.index, 4);
    assert_int_equal(d.found, 0x5000);
    assert_int_equal(d.expected, 0x12000 - 0x10020);
    /* Cut inside segment 4's header. */
    expect(img, 0x1001C, 0, (bad_case){"cut header", FPY_ERR_TRUNCATED, "segment", 0x10018});
    /* Cut before the checksum byte, then inside the digest. */
    expect(img, 0x1502F, 0, (bad_case){"no checksum", FPY_ERR_TRUNCATED, "checksum", 0x1502F});
    expect(img, 0x15040, 0, (bad_case){"short digest", FPY_ERR_TRUNCATED, "sha256", 0x15030});
    verify(img, 0x15040, 0, &d);
    assert_int_equal(d.expected, 0x15050);
    assert_int_equal(d.found, 0x15040);
    free(img);
}

/* A file that ends inside the appended SHA-256 reads like esptool
 * image-info reads it: everything, with the digest invalid; every check
 * refuses it, before the checksum and the chip id, from memory and from
 * flash alike. */
static void test_digest_cut_short(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_image_info info, fl;
    fpy_diag d = {0};
    static const uint32_t cuts[] = {0x15030, 0x15031, 0x15040, 0x1504F};
    for (size_t k = 0; k < 4; k++) {
        fpy_image_src src = fpy_image_src_mem(img, cuts[k]);
        assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, &d), FPY_OK);
        assert_int_equal(info.digest_len, cuts[k] - 0x15030u);
        assert_int_equal(info.image_len, cuts[k]);
        assert_true(info.checksum_ok);
        assert_false(info.digest_ok);
        assert_true(info.has_app_desc);
        assert_int_equal(info.nsegments, 5);
        expect(img, cuts[k], FPY_IMAGE_CHECK_APP,
               (bad_case){"cut digest", FPY_ERR_TRUNCATED, "sha256", 0x15030});
    }
    /* The digest's calculated value is the whole image's, as esptool shows. */
    fpy_image_src whole = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&whole, NULL, 0, &fl, NULL), FPY_OK);
    assert_memory_equal(info.digest_calc, fl.digest_calc, 32);
    /* Truncation is said first, even with a wrong checksum too. */
    img[0x1502F] ^= 1;
    expect(img, 0x15040, 0, (bad_case){"cut digest, bad checksum", FPY_ERR_TRUNCATED, "sha256",
                                       0x15030});
    img[0x1502F] ^= 1;
    /* From flash: a slot that ends inside the digest. */
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    uint8_t scratch[7];
    assert_int_equal(fpy_flash_program(&tf->flash, 0x10000, img, (uint32_t)len), FPY_OK);
    fpy_image_src fsrc = fpy_image_src_flash(&tf->flash, 0x10000, 0x15040);
    assert_int_equal(fpy_image_parse(&fsrc, scratch, sizeof scratch, &fl, NULL), FPY_OK);
    assert_int_equal(fl.digest_len, 16);
    assert_memory_equal(fl.digest, img + 0x15030, 16);
    assert_int_equal(fpy_image_verify(&fsrc, scratch, sizeof scratch, FPY_IMAGE_CHECK_APP, &fl,
                                      &d), FPY_ERR_TRUNCATED);
    fpy_test_flash_free(tf);
    free(img);
}

/* Lengths that would wrap a 32-bit offset must not: 16 MiB and up is
 * refused outright, anything less that passes the end is truncation. */
static void test_segment_length_overflow(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_diag d;
    static const uint32_t huge[] = {0xFFFFFFF8u, 0xFFFFFFE0u, 0x80000000u, 0x01000000u};
    for (size_t k = 0; k < 4; k++) {
        fpy_put_le32(img + 0x1C, huge[k]);
        expect(img, len, 0, (bad_case){"huge", FPY_ERR_CORRUPT, "segment.data_len", 0x1C});
        verify(img, len, 0, &d);
        assert_int_equal(d.found, huge[k]);
        assert_int_equal(d.index, 0);
    }
    fpy_put_le32(img + 0x1C, 0x00FFFFFCu);
    expect(img, len, 0, (bad_case){"past end", FPY_ERR_TRUNCATED, "segment.data_len", 0x1C});
    /* The last segment's length running exactly to the end. */
    fpy_put_le32(img + 0x1C, 0x1334);
    fpy_put_le32(img + 0x1001C, (uint32_t)(len - 0x10020));
    expect(img, len, 0, (bad_case){"to end", FPY_ERR_TRUNCATED, "checksum", len + 15 - len % 16});
    free(img);
}

static void test_bad_checksum(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    uint8_t stored = img[0x1502F];
    img[0x1502F] ^= 0x5A;
    assert_int_equal(fpy_sha256_buf(img, 0x15030, img + 0x15030), FPY_OK); /* only the checksum wrong */
    expect(img, len, 0, (bad_case){"checksum", FPY_ERR_CHECKSUM, "checksum", 0x1502F});
    fpy_diag d;
    verify(img, len, 0, &d);
    assert_int_equal(d.expected, stored);
    assert_int_equal(d.found, stored ^ 0x5A);
    /* parse alone succeeds and reports it, like esptool image-info. */
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
    assert_false(info.checksum_ok);
    assert_true(info.digest_ok);
    assert_int_equal(info.checksum_calc, stored);
    free(img);
}

static void test_bad_digest(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_diag d;
    /* The diag points at the first differing byte and shows 8 from it. */
    uint8_t was = img[0x15040];
    img[0x15040] ^= 1;
    expect(img, len, 0, (bad_case){"digest", FPY_ERR_CHECKSUM, "sha256", 0x15040});
    verify(img, len, 0, &d);
    assert_int_equal(d.found >> 56, was ^ 1);
    assert_int_equal(d.expected >> 56, was);
    img[0x15040] ^= 1;
    img[0x1504F] ^= 0x80; /* the last byte: the last 8 are shown */
    expect(img, len, 0, (bad_case){"digest end", FPY_ERR_CHECKSUM, "sha256", 0x15048});
    verify(img, len, 0, &d);
    assert_int_equal(d.expected ^ d.found, 0x80);
    img[0x1504F] ^= 0x80;
    /* A byte of the zero padding before the checksum: only the digest
     * covers it. */
    img[0x15020] = 0x01;
    assert_int_equal(verify(img, len, 0, &d), FPY_ERR_CHECKSUM);
    assert_string_equal(d.field, "sha256");
    assert_in_range(d.offset, 0x15030, 0x15048);
    fpy_image_info info;
    fpy_image_src src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
    assert_true(info.checksum_ok);
    assert_false(info.digest_ok);
    free(img);
}

static void test_bad_app_desc(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = example(NULL, &len);
    fpy_diag d;
    img[0x20] = 0x33;
    reseal(img, len);
    expect(img, len, FPY_IMAGE_CHECK_APP,
           (bad_case){"desc magic", FPY_ERR_CORRUPT, "app_desc.magic_word", 0x20});
    verify(img, len, FPY_IMAGE_CHECK_APP, &d);
    assert_int_equal(d.expected, 0xABCD5432u);
    assert_int_equal(d.found, 0xABCD5433u);
    /* Without the app check, the image is fine. */
    assert_int_equal(verify(img, len, FPY_IMAGE_CHECK_LOADER, &d), FPY_OK);
    free(img);
}

static void test_app_desc_missing_or_short(void **state)
{
    (void)state;
    uint8_t *img = malloc(0x30000);
    const raw_seg dram_only[] = {{0x3FFB0000u, 0x100}};
    size_t len = handmade(img, dram_only, 1, 0);
    expect(img, len, FPY_IMAGE_CHECK_APP,
           (bad_case){"no drom", FPY_ERR_NOTFOUND, "segment.load_addr", 0x18});
    fpy_diag d;
    assert_int_equal(verify(img, len, FPY_IMAGE_CHECK_LOADER, &d), FPY_OK);
    const raw_seg short_drom[] = {{0x3F400020u, 0x80}};
    len = handmade(img, short_drom, 1, 0);
    expect(img, len, FPY_IMAGE_CHECK_APP,
           (bad_case){"short", FPY_ERR_TRUNCATED, "app_desc", 0x20});
    free(img);
}

static void test_loader_rules(void **state)
{
    (void)state;
    uint8_t *img = malloc(0x30000);
    fpy_diag d;
    const raw_seg ok[] = {{0x3FFB0000u, 0x100}};
    size_t len = handmade(img, ok, 1, 2); /* chip id 2: ESP32-S2 */
    expect(img, len, FPY_IMAGE_CHECK_LOADER,
           (bad_case){"chip", FPY_ERR_UNSUPPORTED, "chip_id", 0x0C});
    assert_int_equal(verify(img, len, 0, &d), FPY_OK);
    const raw_seg odd[] = {{0x3FFB0000u, 0x100}, {0x3FFC0000u, 0x102}};
    len = handmade(img, odd, 2, 0);
    expect(img, len, FPY_IMAGE_CHECK_LOADER,
           (bad_case){"len%4", FPY_ERR_CORRUPT, "segment.data_len", 0x18 + 8 + 0x100 + 4});
    verify(img, len, FPY_IMAGE_CHECK_LOADER, &d);
    assert_int_equal(d.index, 1);
    /* IROM data at file offset 0x20 mapped to 0x400D0100: off by 0xE0. */
    const raw_seg irom[] = {{0x400D0100u, 0x100}};
    len = handmade(img, irom, 1, 0);
    expect(img, len, FPY_IMAGE_CHECK_LOADER,
           (bad_case){"mapping", FPY_ERR_CORRUPT, "segment.load_addr", 0x18});
    verify(img, len, FPY_IMAGE_CHECK_LOADER, &d);
    assert_int_equal(d.expected, 0x100);
    assert_int_equal(d.found, 0x20);
    free(img);
}

static void test_zero_segments(void **state)
{
    (void)state;
    uint8_t *img = malloc(0x30000);
    size_t len = handmade(img, NULL, 0, 0);
    assert_int_equal(len, 32 + 32);
    fpy_diag d;
    assert_int_equal(verify(img, len, FPY_IMAGE_CHECK_LOADER, &d), FPY_OK);
    assert_int_equal(img[31], 0xEF); /* the seed, nothing XORed in */
    expect(img, len, FPY_IMAGE_CHECK_APP,
           (bad_case){"no segment", FPY_ERR_NOTFOUND, "segment.load_addr", 0x18});
    free(img);
}

/* ---- exhaustive: every prefix, every bit ------------------------------------------------ */

/* Every proper prefix of an image is refused as truncated: by the walk
 * when it ends before the checksum byte, by the check when it ends inside
 * the digest (parse then reads the digest bytes there, as esptool
 * image-info does).  Each copy is exactly as long as the prefix, so ASan
 * sees any read past it. */
static void test_every_prefix_is_truncated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = small(&len);
    assert_int_equal(len, 0x190);
    const size_t ck = len - 33u; /* the checksum byte */
    fpy_image_info info;
    for (size_t n = 1; n < len; n++) {
        uint8_t *cut = malloc(n);
        memcpy(cut, img, n);
        fpy_image_src src = fpy_image_src_mem(cut, n);
        fpy_diag d = {0};
        int rc = fpy_image_parse(&src, NULL, 0, &info, &d);
        if (rc != (n > ck ? FPY_OK : FPY_ERR_TRUNCATED))
            fail_msg("prefix %zu: parse rc %d", n, rc);
        if (n > ck) {
            assert_int_equal(info.digest_len, n - ck - 1u);
            assert_int_equal(info.image_len, n);
            assert_true(info.checksum_ok);
            assert_false(info.digest_ok);
            assert_memory_equal(info.digest, img + ck + 1u, info.digest_len);
            rc = fpy_image_check(&info, 0, &d);
            if (rc != FPY_ERR_TRUNCATED)
                fail_msg("prefix %zu: check rc %d", n, rc);
            assert_string_equal(d.field, "sha256");
        }
        assert_true(d.offset <= n + 32);
        free(cut);
    }
    free(img);
}

/* Every single-bit flip of a sealed image is caught, except clearing
 * hash_appended (byte 0x17, bit 0): the digest then simply stops being
 * part of the image; the format cannot tell. */
static void test_every_bit_flip_is_caught(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = small(&len);
    uint32_t missed = 0;
    for (size_t k = 0; k < len; k++) {
        for (int bit = 0; bit < 8; bit++) {
            img[k] ^= (uint8_t)(1u << bit);
            fpy_diag d;
            if (verify(img, len, FPY_IMAGE_CHECK_APP, &d) == FPY_OK) {
                assert_int_equal(k, 0x17);
                assert_int_equal(bit, 0);
                missed++;
            }
            img[k] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(missed, 1);
    free(img);
}

/* ---- codecs and tables ----------------------------------------------------------------- */

static void test_app_desc_codec(void **state)
{
    (void)state;
    uint8_t raw[256];
    fpy_image_app_desc a = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC, .secure_version = 0x01020304};
    strcpy(a.version, &"0123456789abcdef0123456789abcdefXYZ"[3]); /* 32 chars: cut to 31 */
    strcpy(a.project_name, "p");
    memset(a.app_elf_sha256, 0xA5, 32);
    a.mmu_page_size = 16;
    fpy_image_app_desc_encode(&a, raw);
    assert_int_equal(fpy_get_le32(raw), 0xABCD5432u);
    assert_int_equal(raw[4], 0x04);
    assert_int_equal(raw[0x10 + 30], 'Y');
    assert_int_equal(raw[0x10 + 31], 0); /* always NUL-terminated */
    assert_int_equal(raw[0x90], 0xA5);
    assert_int_equal(raw[0xB4], 16);
    fpy_image_app_desc b;
    assert_int_equal(fpy_image_app_desc_decode(raw, &b, NULL), FPY_OK);
    assert_string_equal(b.version, "3456789abcdef0123456789abcdefXY");
    assert_string_equal(b.project_name, "p");
    assert_int_equal(b.secure_version, 0x01020304);
    assert_int_equal(b.mmu_page_size, 16);
    /* esptool removes every NUL, not only trailing ones. */
    raw[0x31] = 0;
    raw[0x32] = 'q';
    assert_int_equal(fpy_image_app_desc_decode(raw, &b, NULL), FPY_OK);
    assert_string_equal(b.project_name, "pq");
    fpy_diag d = {0};
    raw[3] = 0;
    assert_int_equal(fpy_image_app_desc_decode(raw, &b, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "app_desc.magic_word");
    assert_int_equal(d.found, 0x00CD5432u);
}

static void test_header_codec(void **state)
{
    (void)state;
    uint8_t raw[24], back[24];
    fpy_test_unhex("E9 05 02 1F 00 04 08 40 EE 21 43 65 00 00 03 2D"
                   "01 8F 01 00 00 00 00 01", raw, sizeof raw);
    fpy_image_header h;
    fpy_image_header_decode(raw, &h);
    assert_int_equal(h.spi_mode, 2);
    assert_int_equal(h.spi_speed, 0xF);
    assert_int_equal(h.spi_size, 1);
    assert_int_equal(h.spi_pin_drv[1], 0x43);
    assert_int_equal(h.min_chip_rev, 3);
    assert_int_equal(h.min_chip_rev_full, 301);
    assert_int_equal(h.max_chip_rev_full, 399);
    fpy_image_header_encode(&h, back);
    assert_memory_equal(raw, back, 24);
}

static void test_memory_types_and_names(void **state)
{
    (void)state;
    static const struct {
        uint32_t addr;
        uint32_t types;
    } t[] = {
        {0x00000000u, 1u << 0},  {0x0000FFFFu, 1u << 0},  {0x00010000u, 0},
        {0x3F400000u, 1u << 1},  {0x3F7FFFFFu, 1u << 1},  {0x3F800000u, 1u << 2},
        {0x3FF80000u, 1u << 3},  {0x3FF90000u, 1u << 4},  {0x3FFAE000u, (1u << 4) | (1u << 5)},
        {0x3FFE0000u, (1u << 4) | (1u << 5) | (1u << 6)}, {0x40000000u, 1u << 7},
        {0x40070000u, 1u << 8},  {0x40078000u, 1u << 9},  {0x40080000u, 1u << 10},
        {0x400A0000u, 1u << 11}, {0x400C0000u, 1u << 12}, {0x400D0000u, 1u << 7},
        {0x403FFFFFu, 1u << 7},  {0x40400000u, 0},        {0x50000000u, 1u << 13},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(fpy_image_mem_types(t[i].addr), t[i].types);
    assert_string_equal(fpy_image_mem_name(4), "BYTE_ACCESSIBLE");
    assert_string_equal(fpy_image_mem_name(13), "RTC_DATA");
    assert_string_equal(fpy_image_mem_name(14), "MEM_INTERNAL");
    assert_string_equal(fpy_image_mem_name(17), "MEM_INTERNAL2");
    assert_null(fpy_image_mem_name(18));
    assert_true(fpy_image_is_flash_addr(0x3F400000u));
    assert_false(fpy_image_is_flash_addr(0x3F800000u));
    assert_true(fpy_image_is_flash_addr(0x400D0000u));
    assert_false(fpy_image_is_flash_addr(0x400C1FFFu));
    uint8_t c = 0xAA;
    assert_int_equal(fpy_image_flash_mode_parse("dio", &c), FPY_OK);
    assert_int_equal(c, 2);
    assert_int_equal(fpy_image_flash_freq_parse("80m", &c), FPY_OK);
    assert_int_equal(c, 0xF);
    assert_int_equal(fpy_image_flash_size_parse("8MB", &c), FPY_OK);
    assert_int_equal(c, 3);
    assert_int_equal(fpy_image_flash_size_parse("keep", &c), FPY_ERR_INVAL);
    assert_int_equal(fpy_image_flash_mode_parse("QIO", &c), FPY_ERR_INVAL);
    assert_string_equal(fpy_image_flash_size_name(7), "128MB");
    assert_null(fpy_image_flash_mode_name(4));
}

/* ---- other chips ---------------------------------------------------------------------- */

/* Memory-type lists as esptool 5.3.1 prints them ("BYTE_ACCESSIBLE,
 * MEM_INTERNAL, DRAM": its map's order, not the bit order). */
static void expect_mem(uint32_t chip, uint32_t addr, const char *want)
{
    char got[160] = "";
    uint8_t t[FPY_IMAGE_MEM_NTYPES];
    size_t n = fpy_image_chip_mem_list(fpy_image_chip_by_id(chip), addr, t);
    for (size_t i = 0; i < n; i++) {
        strcat(got, i ? ", " : "");
        strcat(got, fpy_image_mem_name(t[i]));
    }
    if (strcmp(got, want) != 0)
        fail_msg("chip %u, 0x%08x: '%s', want '%s'", chip, addr, got, want);
}

static void test_chip_tables(void **state)
{
    (void)state;
    static const struct {
        uint32_t id;
        const char *name;
    } chips[] = {{0, "ESP32"},      {2, "ESP32-S2"},   {5, "ESP32-C3"},  {9, "ESP32-S3"},
                 {12, "ESP32-C2"},  {13, "ESP32-C6"},  {16, "ESP32-H2"}, {18, "ESP32-P4"},
                 {20, "ESP32-C61"}, {23, "ESP32-C5"},  {25, "ESP32-H21"}, {28, "ESP32-H4"},
                 {31, "ESP32-E22"}, {32, "ESP32-S31"}};
    size_t known = 0;
    for (uint32_t id = 0; id < 0x10000u; id++)
        known += fpy_image_chip_by_id(id) != NULL;
    assert_int_equal(known, 14);
    for (size_t i = 0; i < 14; i++) {
        const fpy_image_chip *c = fpy_image_chip_by_id(chips[i].id);
        assert_non_null(c);
        assert_string_equal(c->name, chips[i].name);
        assert_int_equal(c->id, chips[i].id);
    }
    expect_mem(0, 0x3FFB0000u, "BYTE_ACCESSIBLE, DRAM");
    expect_mem(2, 0x3FFBDE90u, "BYTE_ACCESSIBLE, MEM_INTERNAL, DRAM");
    expect_mem(2, 0x40022000u, "MEM_INTERNAL, IRAM");
    expect_mem(2, 0x40080020u, "IROM");
    expect_mem(13, 0x40860000u, "DRAM, BYTE_ACCESSIBLE, IRAM");
    expect_mem(13, 0x42000020u, "DROM, IROM");
    expect_mem(5, 0x50000000u, "RTC_IRAM, RTC_DRAM");
    expect_mem(18, 0x4FF00000u, "DRAM, BYTE_ACCESSIBLE, IRAM");
    expect_mem(9, 0x3FC88000u, "BYTE_ACCESSIBLE, MEM_INTERNAL, DRAM");
    expect_mem(31, 0xC0000000u, "RTC_IRAM, RTC_DRAM");
    expect_mem(13, 0x3FFB0000u, "");
    assert_int_equal(fpy_image_chip_mem_list(NULL, 0, (uint8_t[FPY_IMAGE_MEM_NTYPES]){0}), 0);
    /* Flash frequency names differ by chip; the first name of a code wins. */
    const fpy_image_chip *c6 = fpy_image_chip_by_id(13), *h2 = fpy_image_chip_by_id(16);
    assert_string_equal(fpy_image_chip_freq_name(c6, 0x0), "80m");
    assert_null(fpy_image_chip_freq_name(c6, 0xF));
    assert_string_equal(fpy_image_chip_freq_name(h2, 0xF), "48m");
    assert_string_equal(fpy_image_chip_freq_name(fpy_image_chip_by_id(12), 0x0), "30m");
    assert_string_equal(fpy_image_chip_freq_name(fpy_image_chip_by_id(0), 0x1), "26m");
    assert_null(fpy_image_chip_freq_name(NULL, 0));
}

/* An image for another chip reads (chip named, its memory map used) but is
 * refused by the loader rules; the chip is picked by the id's low byte. */
static void test_other_chips(void **state)
{
    (void)state;
    uint8_t *img = malloc(0x30000);
    fpy_image_info info;
    fpy_diag d;
    const raw_seg segs[] = {{0x3F000020u, 0x100}, {0x3FFBDE90u, 0x40}};
    static const struct {
        uint16_t id;
        uint32_t chip; /* the chip it reads as; 0xFFFF: none */
    } ids[] = {{2, 2}, {0x0102, 2}, {0x0100, 0}, {7, 0xFFFF}, {0x20, 32}};
    for (size_t k = 0; k < 5; k++) {
        size_t len = handmade(img, segs, 2, ids[k].id);
        fpy_image_src src = fpy_image_src_mem(img, len);
        assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
        assert_ptr_equal(info.chip, fpy_image_chip_by_id(ids[k].chip));
        assert_true(info.digest_ok);
        expect(img, len, FPY_IMAGE_CHECK_LOADER,
               (bad_case){"other chip", FPY_ERR_UNSUPPORTED, "chip_id", 0x0C});
        assert_int_equal(verify(img, len, FPY_IMAGE_CHECK_APP, &d), FPY_ERR_UNSUPPORTED);
    }
    /* As an ESP32-S2: 0x3F000020 is DROM; as an ESP32 it is nothing. */
    size_t len = handmade(img, segs, 2, 2);
    fpy_image_src src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
    assert_int_equal(info.seg[0].mem_types, FPY_IMAGE_MEM_DROM);
    assert_int_equal(info.drom_index, 0);
    assert_int_equal(info.app_desc_magic, fpy_get_le32(img + 0x20));
    assert_int_equal(fpy_image_parse_as(&src, fpy_image_chip_by_id(0), NULL, 0, &info, NULL),
                     FPY_OK);
    assert_string_equal(info.chip->name, "ESP32");
    assert_int_equal(info.seg[0].mem_types, 0);
    assert_int_equal(info.seg[1].mem_types, (1u << 4) | (1u << 5));
    assert_int_equal(info.drom_index, -1);
    /* Unknown chip: no memory types, no description. */
    len = handmade(img, segs, 2, 7);
    src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, &info, NULL), FPY_OK);
    assert_null(info.chip);
    assert_int_equal(info.seg[0].mem_types | info.seg[1].mem_types, 0);
    assert_int_equal(info.drom_index, -1);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_fields),
        cmocka_unit_test(test_trailing_bytes_allowed),
        cmocka_unit_test(test_no_digest_image),
        cmocka_unit_test(test_flash_source_matches_memory),
        cmocka_unit_test(test_flash_read_errors_fail_verification),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_truncated_segment),
        cmocka_unit_test(test_digest_cut_short),
        cmocka_unit_test(test_segment_length_overflow),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_bad_digest),
        cmocka_unit_test(test_bad_app_desc),
        cmocka_unit_test(test_app_desc_missing_or_short),
        cmocka_unit_test(test_loader_rules),
        cmocka_unit_test(test_zero_segments),
        cmocka_unit_test(test_every_prefix_is_truncated),
        cmocka_unit_test(test_every_bit_flip_is_caught),
        cmocka_unit_test(test_app_desc_codec),
        cmocka_unit_test(test_header_codec),
        cmocka_unit_test(test_memory_types_and_names),
        cmocka_unit_test(test_chip_tables),
        cmocka_unit_test(test_other_chips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
