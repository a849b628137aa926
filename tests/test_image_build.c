/*
 * elf2image: the worked example of the fact sheet (§3.4) and its variants,
 * section selection, merging, ordering, the ELF SHA-256 patch, secure
 * padding, options, and the ELF reader's errors.
 *
 * The expected SHA-256 of whole images below were obtained by running
 * esptool v5.3.1 (`esptool --chip esp32 elf2image [opts] X.elf`) on the
 * very ELFs these tests generate.  To regenerate them, run this test with
 * FPY_IMAGE_DUMP=DIR: each case writes DIR/<case>.elf and DIR/<case>.bin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/image.h"
#include "hostio.h"
#include "testutil.h"

/* ---- the example ELF --------------------------------------------------------- */

typedef struct ex_shape {
    uint32_t rodata, dram, iram, irom;
} ex_shape;

#define EX_DEFAULT ((ex_shape){0x1234u, 0x200u, 0x3000u, 0x5000u})

typedef struct ex_elf {
    uint8_t *elf;
    size_t len;
} ex_elf;

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 7u;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static ex_elf elf_of(const fpy_image_elf_sec *secs, size_t n, uint32_t entry)
{
    ex_elf e = {NULL, 0};
    assert_int_equal(fpy_image_elf_write(entry, secs, n, NULL, 0, &e.len), FPY_ERR_NOSPC);
    e.elf = malloc(e.len);
    assert_non_null(e.elf);
    assert_int_equal(fpy_image_elf_write(entry, secs, n, e.elf, e.len, &e.len), FPY_OK);
    return e;
}

/* Sections as in §3.4: .flash.appdesc 0x3F400020 (a real esp_app_desc_t),
 * .flash.rodata 0x3F400120, .dram0.data 0x3FFB0000, .dram0.bss (NOBITS),
 * .iram0.vectors 0x40080000 (0x400), .iram0.text 0x40080400,
 * .flash.text 0x400D0020, and a .comment at address 0. */
static ex_elf ex_make(ex_shape sh)
{
    static uint8_t desc[256], rodata[0x20000], dram[0x1000], vec[0x400],
        iram[0x20000], irom[0x20000];
    fpy_image_app_desc a = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC, .secure_version = 0};
    strcpy(a.project_name, "fipy-test");
    strcpy(a.version, "2.0.0");
    strcpy(a.time, "12:34:56");
    strcpy(a.date, "Feb  2 2025");
    strcpy(a.idf_ver, "v5.3.1");
    fpy_image_app_desc_encode(&a, desc);
    fill(rodata, sh.rodata, 1);
    fill(dram, sh.dram, 2);
    fill(vec, 0x400, 3);
    fill(iram, sh.iram, 4);
    fill(irom, sh.irom, 5);
    const uint32_t A = FPY_ELF_SHF_ALLOC, W = FPY_ELF_SHF_WRITE, X = FPY_ELF_SHF_EXECINSTR;
    fpy_image_elf_sec secs[] = {
        {".flash.appdesc", FPY_ELF_SHT_PROGBITS, A, 0x3F400020u, desc, 256},
        {".flash.rodata", FPY_ELF_SHT_PROGBITS, A, 0x3F400120u, rodata, sh.rodata},
        {".dram0.data", FPY_ELF_SHT_PROGBITS, A | W, 0x3FFB0000u, dram, sh.dram},
        {".dram0.bss", FPY_ELF_SHT_NOBITS, A | W, 0x3FFB0000u + sh.dram, NULL, 0x800},
        {".iram0.vectors", FPY_ELF_SHT_PROGBITS, A | X, 0x40080000u, vec, 0x400},
        {".iram0.text", FPY_ELF_SHT_PROGBITS, A | X, 0x40080400u, iram, sh.iram},
        {".flash.text", FPY_ELF_SHT_PROGBITS, A | X, 0x400D0020u, irom, sh.irom},
        {".comment", FPY_ELF_SHT_PROGBITS, 0, 0, (const uint8_t *)"GCC", 4},
    };
    return elf_of(secs, sizeof secs / sizeof secs[0], 0x40080400u);
}

static void dump(const char *name, const char *ext, const uint8_t *p, size_t n)
{
    const char *dir = getenv("FPY_IMAGE_DUMP");
    char path[1024], err[256];
    if (dir == NULL)
        return;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    assert_int_equal(fpy_file_write(path, p, n, err, sizeof err), FPY_OK);
}

static void assert_sha(const uint8_t *p, size_t n, const char *hex);

/* SHA-256 of the image esptool v5.3.1 builds from each case's ELF with
 * the same options (see the top of this file). */
static const struct {
    const char *name, *sha256;
} esptool_ref[] = {
    {"appdesc_first", "8fdc9c9cfccb890bce9b6d8773735d12e6ae2288928f49cced1f15dd40249258"},
    {"bootdesc", "7e7641e441368d8d7a892b340b733040a495729a2ad4a4608cc01b875b9deaaf"},
    {"example", "ff027521d727cc5c4cca4b38c39968da2d92cffc3bdef44ee232fc362b1889ea"},
    {"example_idf", "971cfe3b46d83578446cc9086c7f245b7c6405519d709a4857380c45a546b5b0"},
    {"hdr_opts", "41db96f2515d97f805dd34fc595ef955a82285aedcfeff3182b18b33a03a20e0"},
    {"iram_split", "9532258e4d38420524194105b5d25fd40a845ef5416253b63d7eab66f29c85e5"},
    {"iram_split_1334", "6ef2984b534be607657fdfca55bce1b84aa76bff35770e86da7ffa149385a112"},
    {"irom_0x24", "24644e8ab2a76b4ad0d3d4408f217fa3ed043dd7952816f2c2adba165b0b028d"},
    {"merge", "fa9b67abd058d995d06c2d8640a936fd04a20cc58e8dea9a6695ce8a1907696d"},
    {"no_appdesc", "65a21238c7f2aed32a4fb25b0e19024f4075d4f70e542911a128985c2d90e446"},
    {"no_appdesc_off", "703d33a29fb9158a13f60d9c051bc6dd775c49a63a95e2ac31aa27cbf77fe482"},
    {"no_digest", "f0a1d78fe263a80ce4c0b2ce99e35b74235f67995d1e1d16438a96452751b41b"},
    {"pad_to_4k", "671e5aa816b505d4fad3b52a08b7bd5bbe0e5599926cde6837722f412735b878"},
    {"raw_ref", "ff027521d727cc5c4cca4b38c39968da2d92cffc3bdef44ee232fc362b1889ea"},
    {"secure_pad1", "9ae449db917355c9b734309c7ccbff6a0bd899a91c9dd9a59c56d3d0c906f185"},
    {"secure_pad2", "5bcbcab6f1cd926dd5e4e65f2a644b3267eae88c87bfd8921ec1030e1fc3bcc7"},
    {"selection", "f6178e2de817de783d1c88805f3785c3fbb2e74627bbf93d497a11b9cecf201c"},
    {"selection1", "1808223214127c4d7f35559b89a193319adab1ac24e085924d3008ee02fffb33"},
    {"sha_in_padding", "a32c95577685c05fb985ca31caa2f39a88cdfa5ec05c77b6c3dd85038070d0f1"},
    {"sixteen", "815df514d046008a19491baeeefd2bacccf45bae9a3ec27eb68b770e230e4f1e"},
    {"use_segments", "007fedb77d06656fd51cc24c10a0ec9802db762c81377351f8c69c12da0e4fcb"},
    {"irom_0x10000", "016249901d05de88f00d1cd08796c5c0ce5aba91479cdf2d65e4731db7814c22"},
    {"irom_0x10004", "5445eddd4b0447a1a024a13f97f18a89399bfd21fdfc6d1b604df5cb3bcc66b6"},
    {"irom_0xffdc", "d8da6971ae5f3f003bf06b0985ff4476559b055f205868562cc2d94ffec12053"},
    {"sha_in_last8", "007fedb77d06656fd51cc24c10a0ec9802db762c81377351f8c69c12da0e4fcb"},
};
#define N_REF (sizeof esptool_ref / sizeof esptool_ref[0])
static int ref_seen[N_REF];

/* elf2image into a fresh buffer of exactly the needed size. */
static uint8_t *e2i(const char *name, const ex_elf *e, const fpy_image_opts *o,
                    fpy_image_builder *b, size_t *len)
{
    fpy_diag d = {0};
    dump(name, "elf", e->elf, e->len);
    assert_int_equal(fpy_image_elf2image(b, e->elf, e->len, o, NULL, 0, len, &d), FPY_ERR_NOSPC);
    uint8_t *out = malloc(*len);
    assert_non_null(out);
    int rc = fpy_image_elf2image(b, e->elf, e->len, o, out, *len, len, &d);
    if (rc != FPY_OK)
        fail_msg("elf2image: %d %s", rc, d.what);
    dump(name, "bin", out, *len);
    for (size_t i = 0; i < N_REF; i++) {
        if (strcmp(esptool_ref[i].name, name) == 0) {
            assert_sha(out, *len, esptool_ref[i].sha256);
            ref_seen[i] = 1;
        }
    }
    return out;
}

static int e2i_err(const ex_elf *e, const fpy_image_opts *o, fpy_diag *d)
{
    static uint8_t out[0x40000];
    fpy_image_builder b;
    size_t len = 0;
    return fpy_image_elf2image(&b, e->elf, e->len, o, out, sizeof out, &len, d);
}

static void assert_sha(const uint8_t *p, size_t n, const char *hex)
{
    uint8_t got[32], want[32];
    assert_int_equal(fpy_sha256_buf(p, n, got), FPY_OK);
    assert_int_equal(fpy_test_unhex(hex, want, sizeof want), 32);
    assert_memory_equal(got, want, 32);
}

typedef struct seg_want {
    uint32_t len, load, offs;
} seg_want;

static void assert_segments(const uint8_t *img, const seg_want *w, uint32_t n)
{
    assert_int_equal(img[1], n);
    uint32_t pos = FPY_IMAGE_HEADER_LEN;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(pos, w[i].offs);
        assert_int_equal(fpy_get_le32(img + pos), w[i].load);
        assert_int_equal(fpy_get_le32(img + pos + 4), w[i].len);
        pos += 8 + w[i].len;
    }
}

/* ---- the worked example ------------------------------------------------------ */

static void test_example_default_layout(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i("example", &e, NULL, &b, &len);
    static const seg_want want[] = {
        {0x1334, 0x3F400020, 0x0018}, /* appdesc + rodata merged */
        {0x0200, 0x3FFB0000, 0x1354}, /* DRAM used whole as padding */
        {0x3400, 0x40080000, 0x155C}, /* IRAM (vectors + text) as padding */
        {0xB6AC, 0x00000000, 0x4964}, /* zero padding segment */
        {0x5000, 0x400D0020, 0x10018},/* IROM, data at 0x10020 */
    };
    assert_int_equal(len, 0x15050);
    assert_segments(img, want, 5);
    assert_int_equal(b.checksum_offset, 0x1502F);
    /* Padding segment is zeros; checksum = XOR of all segment data. */
    uint8_t ck = 0xEF;
    for (int i = 0; i < 5; i++)
        for (uint32_t k = 0; k < want[i].len; k++)
            ck ^= img[want[i].offs + 8 + k];
    assert_int_equal(img[0x1502F], ck);
    for (uint32_t k = 0x10018 + 8 + 0x5000; k < 0x1502F; k++)
        assert_int_equal(img[k], 0);
    /* Header: esptool defaults qio/40m/1MB, max rev 65535, digest on. */
    uint8_t hdr[24];
    fpy_test_unhex("E9 05 00 00 00 04 08 40 EE 00 00 00 00 00 00 00"
                   "00 FF FF 00 00 00 00 01", hdr, sizeof hdr);
    assert_memory_equal(img, hdr, 24);
    /* 5.3.1 patches the ELF's SHA-256 at 0xB0 on its own. */
    uint8_t elf_sha[32], dig[32];
    assert_int_equal(fpy_sha256_buf(e.elf, e.len, elf_sha), FPY_OK);
    assert_memory_equal(img + 0xB0, elf_sha, 32);
    assert_int_equal(fpy_sha256_buf(img, 0x15030, dig), FPY_OK);
    assert_memory_equal(img + 0x15030, dig, 32);
    free(img);
    free(e.elf);
}

static void test_example_idf_options(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.flash_mode = FPY_IMAGE_FLASH_MODE_DIO;
    o.flash_freq = FPY_IMAGE_FLASH_FREQ_40M;
    o.flash_size = FPY_IMAGE_FLASH_SIZE_2MB;
    o.max_rev_full = 399;
    o.elf_sha256_offset = 0xB0;
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i("example_idf", &e, &o, &b, &len);
    uint8_t want[48];
    fpy_test_unhex("E9 05 02 10 00 04 08 40 EE 00 00 00 00 00 00 00"
                   "00 8F 01 00 00 00 00 01 20 00 40 3F 34 13 00 00"
                   "32 54 CD AB 00 00 00 00 00 00 00 00 00 00 00 00", want, sizeof want);
    assert_memory_equal(img, want, sizeof want);
    assert_int_equal(len, 0x15050);
    free(img);
    free(e.elf);
}

/* The fact sheet's split numbers (0xEAB0 before, 0x5950 at 0x4008EAB0
 * after) come out of esptool when the DROM segment is 0x1338 bytes. */
static void test_iram_split_sheet_numbers(void **state)
{
    (void)state;
    ex_shape sh = EX_DEFAULT;
    sh.rodata = 0x1238;
    sh.iram = 0x14000;
    ex_elf e = ex_make(sh);
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i("iram_split", &e, NULL, &b, &len);
    static const seg_want want[] = {
        {0x1338, 0x3F400020, 0x0018}, {0x0200, 0x3FFB0000, 0x1358},
        {0xEAB0, 0x40080000, 0x1560}, {0x5000, 0x400D0020, 0x10018},
        {0x5950, 0x4008EAB0, 0x15020},
    };
    assert_segments(img, want, 5);
    /* The two IRAM pieces together are the whole IRAM, in order. */
    assert_int_equal(0xEAB0 + 0x5950, 0x400 + 0x14000);
    free(img);
    free(e.elf);
}

/* With the example's own 0x1334-byte DROM, esptool cuts 4 bytes more. */
static void test_iram_split_example_shape(void **state)
{
    (void)state;
    ex_shape sh = EX_DEFAULT;
    sh.iram = 0x14000;
    ex_elf e = ex_make(sh);
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i("iram_split_1334", &e, NULL, &b, &len);
    static const seg_want want[] = {
        {0x1334, 0x3F400020, 0x0018}, {0x0200, 0x3FFB0000, 0x1354},
        {0xEAB4, 0x40080000, 0x155C}, {0x5000, 0x400D0020, 0x10018},
        {0x594C, 0x4008EAB4, 0x15020},
    };
    assert_segments(img, want, 5);
    /* The plan records the split as two pieces of the same run. */
    assert_int_equal(b.out[2].run, b.out[4].run);
    assert_int_equal(b.out[4].skip, 0xEAB4);
    free(img);
    free(e.elf);
}

static void test_irom_grows_by_0x24_rule(void **state)
{
    (void)state;
    ex_shape sh = EX_DEFAULT;
    sh.irom = 0xFFE8;
    ex_elf e = ex_make(sh);
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i("irom_0x24", &e, NULL, &b, &len);
    assert_int_equal(img[1], 5);
    assert_int_equal(fpy_get_le32(img + 0x10018), 0x400D0020);
    assert_int_equal(fpy_get_le32(img + 0x1001C), 0x10004);
    /* It now ends 0x24 bytes into the next 64 KiB page, with zeros. */
    assert_int_equal((0x10018u + 8u + 0x10004u) % 0x10000u, 0x24u);
    for (uint32_t k = 0x10020 + 0xFFE8; k < 0x10020 + 0x10004; k++)
        assert_int_equal(img[k], 0);
    free(img);
    free(e.elf);
}

/* The rule's edges: ending 0x20 past a page grows by 4; 0x24 past stays. */
static void test_0x24_rule_edges(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t irom, want;
    } c[] = {{"irom_0x10000", 0x10000, 0x10004}, {"irom_0x10004", 0x10004, 0x10004},
             {"irom_0xffdc", 0xFFDC, 0xFFDC}};
    for (size_t i = 0; i < 3; i++) {
        ex_shape sh = EX_DEFAULT;
        sh.irom = c[i].irom;
        ex_elf e = ex_make(sh);
        fpy_image_builder b;
        size_t len;
        uint8_t *img = e2i(c[i].name, &e, NULL, &b, &len);
        assert_int_equal(fpy_get_le32(img + 0x1001C), c[i].want);
        free(img);
        free(e.elf);
    }
}

/* ---- selection and merging ------------------------------------------------------- */

static uint8_t pat[0x4000];

static void build_info(const char *name, const fpy_image_elf_sec *s, size_t n,
                       const fpy_image_opts *o, fpy_image_info *info)
{
    ex_elf e = elf_of(s, n, 0x40080000u);
    fpy_image_builder b;
    size_t len = 0;
    uint8_t *img = e2i(name, &e, o, &b, &len);
    fpy_image_src src = fpy_image_src_mem(img, len);
    assert_int_equal(fpy_image_parse(&src, NULL, 0, info, NULL), FPY_OK);
    assert_true(info->checksum_ok);
    free(img);
    free(e.elf);
}

static void test_section_selection(void **state)
{
    (void)state;
    fill(pat, sizeof pat, 9);
    const fpy_image_elf_sec s[] = {
        {".dram0.a", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0000u, pat, 0x202},   /* -> 0x204 */
        {".dram0.bss", FPY_ELF_SHT_NOBITS, 3, 0x3FFB1000u, NULL, 0x100},  /* dropped */
        {".noaddr", FPY_ELF_SHT_PROGBITS, 2, 0, pat, 0x40},               /* dropped */
        {".init_array", FPY_ELF_SHT_INIT_ARRAY, 3, 0x3FFB2000u, pat, 8},
        {".fini_array", FPY_ELF_SHT_FINI_ARRAY, 3, 0x3FFB3000u, pat, 8},
        {".preinit", FPY_ELF_SHT_PREINIT_ARRAY, 3, 0x3FFB4000u, pat, 8},
        {".note", 7u, 2, 0x3FFB5000u, pat, 8},                             /* dropped */
        {".strtab2", FPY_ELF_SHT_STRTAB, 0, 0x3FFB6000u, pat, 8},          /* dropped */
    };
    fpy_image_info info;
    build_info("selection", s, sizeof s / sizeof s[0], NULL, &info);
    assert_int_equal(info.nsegments, 4);
    assert_int_equal(info.seg[0].load_addr, 0x3FFB0000u);
    assert_int_equal(info.seg[0].data_len, 0x204);
    assert_int_equal(info.seg[1].load_addr, 0x3FFB2000u);
    assert_int_equal(info.seg[3].load_addr, 0x3FFB4000u);
    /* The two padding bytes are zeros. */
    ex_elf e = elf_of(s, 1, 0);
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("selection1", &e, NULL, &b, &len);
    assert_memory_equal(img + 32, pat, 0x202);
    assert_int_equal(img[32 + 0x202], 0);
    assert_int_equal(img[32 + 0x203], 0);
    free(img);
    free(e.elf);
}

static void test_merge_rules(void **state)
{
    (void)state;
    const uint32_t X = FPY_ELF_SHF_EXECINSTR | FPY_ELF_SHF_ALLOC;
    const fpy_image_elf_sec s[] = {
        /* adjacent by padded length: 0x202 pads to 0x204 -> merged */
        {".d1", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0000u, pat, 0x202},
        {".d2", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0204u, pat, 0x10},
        /* gap of 4 -> new segment */
        {".d3", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0218u, pat, 0x10},
        /* executable then data in IRAM: one segment in 5.3.1 (4.8.1: two) */
        {".i1", FPY_ELF_SHT_PROGBITS, X, 0x40080000u, pat, 0x400},
        {".i2", FPY_ELF_SHT_PROGBITS, 3, 0x40080400u, pat, 0x100},
        /* adjacent across a memory-type boundary (BYTE_ACCESSIBLE vs
         * BYTE_ACCESSIBLE+DRAM at 0x3FFAE000) -> not merged */
        {".b1", FPY_ELF_SHT_PROGBITS, 3, 0x3FFADFF0u, pat, 0x10},
        {".b2", FPY_ELF_SHT_PROGBITS, 3, 0x3FFAE000u, pat, 0x10},
        /* adjacent but in reverse order: no sorting before merging */
        {".r2", FPY_ELF_SHT_PROGBITS, 3, 0x3FFC0010u, pat, 0x10},
        {".r1", FPY_ELF_SHT_PROGBITS, 3, 0x3FFC0000u, pat, 0x10},
    };
    fpy_image_info info;
    build_info("merge", s, sizeof s / sizeof s[0], NULL, &info);
    /* RAM only: merged runs in address order. */
    static const uint32_t addr[] = {0x3FFADFF0u, 0x3FFAE000u, 0x3FFB0000u, 0x3FFB0218u,
                                    0x3FFC0000u, 0x3FFC0010u, 0x40080000u};
    static const uint32_t lens[] = {0x10, 0x10, 0x214, 0x10, 0x10, 0x10, 0x500};
    assert_int_equal(info.nsegments, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(info.seg[i].load_addr, addr[i]);
        assert_int_equal(info.seg[i].data_len, lens[i]);
    }
    assert_int_equal(info.seg[0].mem_types, 1u << 4);
    assert_int_equal(info.seg[1].mem_types, (1u << 4) | (1u << 5));
}

/* .flash.appdesc goes first among flash segments even when another DROM
 * segment has a lower address; a merged segment keeps its first name. */
static void test_appdesc_first_and_merge_name(void **state)
{
    (void)state;
    uint8_t desc[256];
    fpy_image_app_desc a = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC};
    strcpy(a.project_name, "order");
    fpy_image_app_desc_encode(&a, desc);
    const fpy_image_elf_sec s[] = {
        {".flash.rodata", FPY_ELF_SHT_PROGBITS, 2, 0x3F400020u, pat, 0x100},
        {".flash.appdesc", FPY_ELF_SHT_PROGBITS, 2, 0x3F410020u, desc, 256},
        {".flash.more", FPY_ELF_SHT_PROGBITS, 2, 0x3F410120u, pat, 0x40},
    };
    fpy_image_info info;
    build_info("appdesc_first", s, 3, NULL, &info);
    assert_int_equal(info.seg[0].load_addr, 0x3F410020u);
    assert_int_equal(info.seg[0].data_len, 0x140);
    assert_true(info.has_app_desc);
    assert_string_equal(info.app_desc.project_name, "order");
    /* The lower DROM segment follows, aligned to its page. */
    uint32_t last = info.nsegments - 1u;
    assert_int_equal(info.seg[last].load_addr, 0x3F400020u);
    assert_int_equal((info.seg[last].file_offset + 8u) % 0x10000u, 0x20u);
}

static void test_bootdesc_first_among_ram(void **state)
{
    (void)state;
    uint8_t bd[80] = {0x50, 0, 0, 0, 7};
    memcpy(bd + 8, "v5.3.1", 6);
    memcpy(bd + 40, "Jan  1 2025 00:00:00", 20);
    const fpy_image_elf_sec s[] = {
        {".dram0.data", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0000u, pat, 0x40},
        {".dram0.bootdesc", FPY_ELF_SHT_PROGBITS, 3, 0x3FFF0000u, bd, 80},
    };
    fpy_image_info info;
    build_info("bootdesc", s, 2, NULL, &info);
    assert_int_equal(info.seg[0].load_addr, 0x3FFF0000u);
    assert_int_equal(info.seg[1].load_addr, 0x3FFB0000u);
    assert_false(info.has_app_desc);
    assert_true(info.has_boot_desc);
    assert_int_equal(info.boot_desc.version, 7);
    assert_string_equal(info.boot_desc.idf_ver, "v5.3.1");
    assert_string_equal(info.boot_desc.date_time, "Jan  1 2025 00:00:00");
}

static void test_page_clash_refused(void **state)
{
    (void)state;
    const fpy_image_elf_sec s[] = {
        {".a", FPY_ELF_SHT_PROGBITS, 2, 0x3F400020u, pat, 0x10},
        {".b", FPY_ELF_SHT_PROGBITS, 2, 0x3F408000u, pat, 0x10},
    };
    ex_elf e = elf_of(s, 2, 0);
    fpy_diag d = {0};
    assert_int_equal(e2i_err(&e, NULL, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "sh_addr");
    assert_int_equal(d.found, 0x3F408000u);
    assert_int_equal(d.expected, 0x3F400020u);
    free(e.elf);
}

static void test_segment_count_limit(void **state)
{
    (void)state;
    fpy_image_elf_sec s[17];
    for (int i = 0; i < 17; i++)
        s[i] = (fpy_image_elf_sec){".d", FPY_ELF_SHT_PROGBITS, 3,
                                   0x3FFB0000u + 0x100u * (uint32_t)i, pat, 0x10};
    ex_elf e = elf_of(s, 17, 0);
    fpy_diag d = {0};
    assert_int_equal(e2i_err(&e, NULL, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "segment_count");
    assert_int_equal(d.expected, 16);
    assert_int_equal(d.found, 17);
    free(e.elf);
    fpy_image_info info;
    build_info("sixteen", s, 16, NULL, &info);
    assert_int_equal(info.nsegments, 16);
}

/* A flash address that is not 4-aligned makes a padding length that is
 * not a multiple of 4, which esptool refuses. */
static void test_unaligned_flash_addr(void **state)
{
    (void)state;
    const fpy_image_elf_sec s[] = {{".t", FPY_ELF_SHT_PROGBITS, 6, 0x400D0022u, pat, 0x10}};
    ex_elf e = elf_of(s, 1, 0);
    fpy_diag d = {0};
    assert_int_equal(e2i_err(&e, NULL, &d), FPY_ERR_ALIGN);
    assert_string_equal(d.field, "segment.data_len");
    assert_int_equal(d.found % 4u, 2u);
    free(e.elf);
}

/* ---- ELF SHA-256 patch --------------------------------------------------------- */

static void test_elf_sha_not_patched_without_appdesc(void **state)
{
    (void)state;
    static uint8_t z[0x200];
    const fpy_image_elf_sec s[] = {{".flash.rodata", FPY_ELF_SHT_PROGBITS, 2, 0x3F400020u, z, 0x200}};
    ex_elf e = elf_of(s, 1, 0);
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("no_appdesc", &e, NULL, &b, &len);
    for (int k = 0; k < 32; k++)
        assert_int_equal(img[0xB0 + k], 0);
    free(img);
    /* Asked for explicitly, it is patched (4.8.1 with --elf-sha256-offset). */
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.elf_sha256_offset = 0xB0;
    img = e2i("no_appdesc_off", &e, &o, &b, &len);
    uint8_t sha[32];
    assert_int_equal(fpy_sha256_buf(e.elf, e.len, sha), FPY_OK);
    assert_memory_equal(img + 0xB0, sha, 32);
    free(img);
    free(e.elf);
}

static void test_elf_sha_refuses_to_overwrite(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    fpy_diag d = {0};
    /* 0x200 lies in the rodata part of segment 0: random bytes there. */
    o.elf_sha256_offset = 0x200;
    assert_int_equal(e2i_err(&e, &o, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "elf_sha256_offset");
    assert_int_equal(d.offset, 0x200);
    assert_int_not_equal(d.found, 0);
    assert_non_null(strstr(d.what, "refusing to overwrite"));
    /* 0x1C is inside segment 0's header: a boundary, refused. */
    o.elf_sha256_offset = 0x1C;
    assert_int_equal(e2i_err(&e, &o, &d), FPY_ERR_INVAL);
    assert_non_null(strstr(d.what, "segment boundary"));
    /* esptool measures the segment as [header, header + data_len), so a
     * digest among the last 8 data bytes is refused though it would fit. */
    o.elf_sha256_offset = 0x18 + 8 + 0x1334 - 32 - 4;
    assert_int_equal(e2i_err(&e, &o, &d), FPY_ERR_INVAL);
    assert_non_null(strstr(d.what, "segment boundary"));
    /* One step further, in the last 8 data bytes, no segment's range
     * holds the offset: esptool then patches nothing, silently. */
    o.elf_sha256_offset = 0x18 + 0x1334 + 4;
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("sha_in_last8", &e, &o, &b, &len);
    assert_int_equal(b.elf_sha256_off, 0);
    for (int k = 0; k < 32; k++)
        assert_int_equal(img[0xB0 + k], 0);
    free(img);
    free(e.elf);
}

static void test_elf_sha_into_padding_segment(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.elf_sha256_offset = 0x8000; /* inside the zero padding segment 3 */
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("sha_in_padding", &e, &o, &b, &len);
    uint8_t sha[32];
    assert_int_equal(fpy_sha256_buf(e.elf, e.len, sha), FPY_OK);
    assert_memory_equal(img + 0x8000, sha, 32);
    for (int k = 0; k < 32; k++)
        assert_int_equal(img[0xB0 + k], 0); /* no automatic patch then */
    fpy_image_src src = fpy_image_src_mem(img, len);
    fpy_image_info info;
    assert_int_equal(fpy_image_verify(&src, NULL, 0, FPY_IMAGE_CHECK_APP, &info, NULL), FPY_OK);
    free(img);
    free(e.elf);
}

/* ---- padding and options ------------------------------------------------------------ */

static void test_secure_pad(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    fpy_image_builder b;
    size_t len;
    o.secure_pad = 1;
    uint8_t *img = e2i("secure_pad1", &e, &o, &b, &len);
    /* v1: signature (68 bytes) appended later ends 12 bytes before 64K. */
    assert_int_equal(len % 0x10000u, 0xFFB0u);
    assert_int_equal((len + 68u) % 0x10000u, 0xFFF4u);
    assert_int_equal(img[1], 6);
    assert_int_equal(fpy_get_le32(img + b.out[5].file_offset), 0);
    free(img);
    o.secure_pad = 2;
    img = e2i("secure_pad2", &e, &o, &b, &len);
    assert_int_equal(len % 0x10000u, 0);
    free(img);
    /* Both need the digest. */
    fpy_diag d = {0};
    o.no_digest = 1;
    assert_int_equal(e2i_err(&e, &o, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "secure_pad");
    free(e.elf);
}

static void test_no_digest_and_pad_to_size(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    fpy_image_builder b;
    size_t len;
    o.no_digest = 1;
    uint8_t *img = e2i("no_digest", &e, &o, &b, &len);
    assert_int_equal(len, 0x15030);
    assert_int_equal(img[0x17], 0);
    free(img);
    o.no_digest = 0;
    o.pad_to_size = 0x1000;
    img = e2i("pad_to_4k", &e, &o, &b, &len);
    assert_int_equal(len, 0x16000);
    for (size_t k = 0x15050; k < len; k++)
        assert_int_equal(img[k], 0xFF);
    free(img);
    free(e.elf);
}

static void test_header_options(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.flash_mode = FPY_IMAGE_FLASH_MODE_DOUT;
    o.flash_freq = FPY_IMAGE_FLASH_FREQ_80M;
    o.flash_size = FPY_IMAGE_FLASH_SIZE_8MB;
    o.min_rev = 3;
    o.min_rev_full = 301;
    o.max_rev_full = 0x1234;
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("hdr_opts", &e, &o, &b, &len);
    assert_int_equal(img[2], 3);
    assert_int_equal(img[3], 0x3F);
    assert_int_equal(img[0x0E], 3);
    assert_int_equal(fpy_get_le16(img + 0x0F), 301);
    assert_int_equal(fpy_get_le16(img + 0x11), 0x1234);
    free(img);
    fpy_diag d = {0};
    o.flash_freq = 0x10;
    assert_int_equal(e2i_err(&e, &o, &d), FPY_ERR_INVAL);
    assert_string_equal(d.field, "flash_freq");
    free(e.elf);
}

static void test_output_too_small(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_builder b;
    size_t len = 0;
    fpy_diag d = {0};
    uint8_t *out = malloc(0x15050);
    memset(out, 0xAA, 0x15050);
    assert_int_equal(fpy_image_elf2image(&b, e.elf, e.len, NULL, out, 0x1504F, &len, &d),
                     FPY_ERR_NOSPC);
    assert_int_equal(len, 0x15050);
    assert_int_equal(d.expected, 0x15050);
    for (size_t k = 0; k < 0x15050; k++)
        assert_int_equal(out[k], 0xAA); /* nothing written */
    free(out);
    free(e.elf);
}

/* Building from raw sections with the ELF's hash gives elf2image's bytes. */
static void test_raw_sections_build(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_builder b1, b2;
    size_t n = 0, len1, len2;
    uint32_t entry;
    fpy_image_section secs[16];
    uint8_t *img1 = e2i("raw_ref", &e, NULL, &b1, &len1);
    assert_int_equal(fpy_image_elf_parse(e.elf, e.len, 0, secs, 16, &n, &entry, NULL), FPY_OK);
    assert_int_equal(n, 6); /* bss and .comment are not selected */
    assert_int_equal(entry, 0x40080400u);
    uint8_t sha[32];
    assert_int_equal(fpy_sha256_buf(e.elf, e.len, sha), FPY_OK);
    uint8_t *img2 = malloc(len1);
    assert_int_equal(fpy_image_build(&b2, secs, n, entry, NULL, sha, img2, len1, &len2, NULL), FPY_OK);
    assert_int_equal(len2, len1);
    assert_memory_equal(img1, img2, len1);
    /* Without a hash there is nothing to patch: zeros stay at 0xB0. */
    assert_int_equal(fpy_image_build(&b2, secs, n, entry, NULL, NULL, img2, len1, &len2, NULL), FPY_OK);
    for (int k = 0; k < 32; k++)
        assert_int_equal(img2[0xB0 + k], 0);
    free(img1);
    free(img2);
    free(e.elf);
}

static void test_use_segments(void **state)
{
    (void)state;
    ex_elf e = ex_make(EX_DEFAULT);
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.use_segments = 1;
    fpy_image_builder b;
    size_t len;
    uint8_t *img = e2i("use_segments", &e, &o, &b, &len);
    assert_int_equal(len, 0x15050);
    assert_int_equal(b.nout, 5);
    for (int k = 0; k < 32; k++) /* all named "PHDR": no automatic patch */
        assert_int_equal(img[0xB0 + k], 0);
    free(img);
    free(e.elf);
    /* No program headers at all: a clean error (esptool crashes). */
    const fpy_image_elf_sec s[] = {{".x", FPY_ELF_SHT_NOBITS, 3, 0x3FFB0000u, NULL, 4}};
    ex_elf e2 = elf_of(s, 1, 0);
    fpy_diag d = {0};
    assert_int_equal(e2i_err(&e2, &o, &d), FPY_ERR_NOTFOUND);
    assert_string_equal(d.field, "e_phnum");
    free(e2.elf);
}

/* Every reference hash was compared by some case above. */
static void test_every_esptool_reference_checked(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_REF; i++)
        if (!ref_seen[i])
            fail_msg("case %s was not built", esptool_ref[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_default_layout),
        cmocka_unit_test(test_example_idf_options),
        cmocka_unit_test(test_iram_split_sheet_numbers),
        cmocka_unit_test(test_iram_split_example_shape),
        cmocka_unit_test(test_irom_grows_by_0x24_rule),
        cmocka_unit_test(test_0x24_rule_edges),
        cmocka_unit_test(test_section_selection),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_appdesc_first_and_merge_name),
        cmocka_unit_test(test_bootdesc_first_among_ram),
        cmocka_unit_test(test_page_clash_refused),
        cmocka_unit_test(test_segment_count_limit),
        cmocka_unit_test(test_unaligned_flash_addr),
        cmocka_unit_test(test_elf_sha_not_patched_without_appdesc),
        cmocka_unit_test(test_elf_sha_refuses_to_overwrite),
        cmocka_unit_test(test_elf_sha_into_padding_segment),
        cmocka_unit_test(test_secure_pad),
        cmocka_unit_test(test_no_digest_and_pad_to_size),
        cmocka_unit_test(test_header_options),
        cmocka_unit_test(test_output_too_small),
        cmocka_unit_test(test_raw_sections_build),
        cmocka_unit_test(test_use_segments),
        cmocka_unit_test(test_every_esptool_reference_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
