/*
 * The encrypted flash layer (sim/cryptflash.c) over the simulated NOR:
 * the chip holds fpy_flashcrypt_encrypt of what was written, reads give
 * plaintext, erased blocks read 0xFF, misaligned programs into a range
 * are refused with nothing written, range edges split; the virtual
 * board's ranges; and lib/'s writers over it: a full FOTA update, its
 * boots and accept, with no plaintext of the images on the chip, and the
 * update under power loss (cuts and torn writes in the chip below).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptflash.h"
#include "fipy/boot.h"
#include "fipy/fota.h"
#include "fipy/otadata.h"
#include "fixtures.h"
#include "powerloss.h"
#include "simsys.h"
#include "testutil.h"

#define OTADATA 0xD000u
#define VM0 0x10000u
#define VM1 0x110000u
#define BC0 0x210000u
#define BC1 0x290000u

static uint8_t key[FPY_FLASHCRYPT_KEY_LEN];

static int setup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0xA5u ^ (i * 29u));
    return 0;
}

/* A test flash with the non-BLE layout's ranges encrypted under `conf`. */
typedef struct rig {
    fpy_test_flash *tf;
    fpy_cryptflash cf;
    fpy_flash f; /* the firmware's view */
} rig;

static rig *rig_new(unsigned conf)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->tf = fpy_test_flash_new(NULL);
    fpy_cryptflash_ranges rs;
    assert_int_equal(fpy_cryptflash_ranges_fipy(fpy_layout_get(FPY_LAYOUT_NONBLE), &rs), FPY_OK);
    assert_int_equal(fpy_cryptflash_init(&r->cf, &r->tf->flash, key, conf, &rs), FPY_OK);
    fpy_cryptflash_bind(&r->cf, &r->f);
    return r;
}

static void rig_free(rig *r)
{
    fpy_test_flash_free(r->tf);
    free(r);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* ---- the layer ----------------------------------------------------------- */

static void test_chip_holds_ciphertext_reads_give_plaintext(void **state)
{
    (void)state;
    static const unsigned confs[] = {0xF, 0x0, 0x5};
    static uint8_t data[8192], want[8192], got[8192];
    for (size_t k = 0; k < sizeof confs / sizeof confs[0]; k++) {
        rig *r = rig_new(confs[k]);
        fill(data, sizeof data, (uint32_t)k + 1u);
        assert_int_equal(fpy_flash_erase(&r->f, VM0, 8192), FPY_OK);
        assert_int_equal(fpy_flash_program(&r->f, VM0, data, sizeof data), FPY_OK);
        assert_int_equal(fpy_flashcrypt_encrypt(key, confs[k], VM0, data, want, sizeof want),
                         FPY_OK);
        assert_memory_equal(r->tf->mem + VM0, want, sizeof want);
        assert_int_equal(fpy_flash_read(&r->f, VM0, got, sizeof got), FPY_OK);
        assert_memory_equal(got, data, sizeof data);
        /* any address and length, block edges anywhere in the span */
        static const uint32_t spans[][2] = {{3, 37}, {15, 1}, {16, 16}, {17, 300}, {255, 2},
                                            {8191, 1}, {1, 8190}};
        for (size_t s = 0; s < sizeof spans / sizeof spans[0]; s++) {
            memset(got, 0, sizeof got);
            assert_int_equal(fpy_flash_read(&r->f, VM0 + spans[s][0], got, spans[s][1]), FPY_OK);
            assert_memory_equal(got, data + spans[s][0], spans[s][1]);
        }
        rig_free(r);
    }
}

static void test_erased_blocks_read_ff(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    uint8_t block[16], got[64], ff[64];
    memset(ff, 0xFF, sizeof ff);
    /* a sector never written, in a range */
    assert_int_equal(fpy_flash_read(&r->f, BC1 + 5, got, sizeof got), FPY_OK);
    assert_memory_equal(got, ff, sizeof got);
    /* the first block of a 32-byte group written, the second left erased */
    fill(block, sizeof block, 9);
    assert_int_equal(fpy_flash_program(&r->f, BC1 + 0x40, block, 16), FPY_OK);
    assert_int_equal(fpy_flash_read(&r->f, BC1 + 0x30, got, 48), FPY_OK);
    assert_memory_equal(got, ff, 16);
    assert_memory_equal(got + 16, block, 16);
    assert_memory_equal(got + 32, ff, 16);
    /* plaintext 0xFF programmed is not erased on the chip, yet reads 0xFF */
    assert_int_equal(fpy_flash_program(&r->f, BC1 + 0x80, ff, 16), FPY_OK);
    assert_false(fpy_is_erased(r->tf->mem + BC1 + 0x80, 16));
    assert_int_equal(fpy_flash_read(&r->f, BC1 + 0x80, got, 16), FPY_OK);
    assert_memory_equal(got, ff, 16);
    rig_free(r);
}

/* Each misaligned program into a range is refused and leaves the chip
 * untouched, the plain part of a straddling program included. */
static void test_misaligned_program_refused(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    static const uint32_t cases[][2] = {
        {VM0 + 4, 16},       /* address off a block */
        {VM0, 8},            /* short */
        {VM0 + 16, 20},      /* length off a block */
        {VM0 - 8, 16},       /* plain phy_init into ota_0: 8 bytes in the range */
        {0x30FFF8, 16},      /* codemem_1's last 8 bytes, then plain storage */
        {0xCFF0, 0x20 + 4},  /* plain nvs, then otadata with a 4-byte tail */
    };
    uint8_t data[64];
    fill(data, sizeof data, 3);
    uint64_t before = r->tf->sim.stats.programs;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(fpy_flash_program(&r->f, cases[i][0], data, cases[i][1]),
                         FPY_ERR_ALIGN);
        assert_true(fpy_is_erased(r->tf->mem + cases[i][0], cases[i][1]));
    }
    assert_int_equal(r->tf->sim.stats.programs, before);
    /* outside the ranges the chip's own 4-byte unit holds */
    assert_int_equal(fpy_flash_program(&r->f, 0x9004, data, 4), FPY_OK);
    assert_memory_equal(r->tf->mem + 0x9004, data, 4);
    rig_free(r);
}

/* A program across a range edge: the plain side lands as it is, the
 * encrypted side as ciphertext; both read back as written. */
static void test_range_edges_split(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    static const struct {
        uint32_t addr;
        int enc_first; /* the first half is the encrypted one */
    } edges[] = {
        {0x10000 - 32, 0},  /* phy_init | ota_0 */
        {0x310000 - 32, 1}, /* codemem_1 | storage */
        {0xD000 - 32, 0},   /* nvs | otadata */
        {0xF000 - 32, 1},   /* otadata | phy_init */
        {0x392000 - 32, 1}, /* vmstore_1 | storage2 */
        {0x9000 - 32, 1},   /* partition table | nvs */
    };
    uint8_t data[64], enc[32], got[64];
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        uint32_t a = edges[i].addr;
        fill(data, sizeof data, (uint32_t)i + 40u);
        assert_int_equal(fpy_flash_program(&r->f, a, data, 64), FPY_OK);
        uint32_t ea = edges[i].enc_first ? a : a + 32;
        const uint8_t *ep = edges[i].enc_first ? data : data + 32;
        const uint8_t *pp = edges[i].enc_first ? data + 32 : data;
        assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, ea, ep, enc, 32), FPY_OK);
        assert_memory_equal(r->tf->mem + ea, enc, 32);
        assert_memory_equal(r->tf->mem + (edges[i].enc_first ? a + 32 : a), pp, 32);
        assert_true(fpy_cryptflash_is_encrypted(&r->cf, ea + 31));
        assert_false(fpy_cryptflash_is_encrypted(&r->cf, edges[i].enc_first ? a + 32 : a));
        assert_int_equal(fpy_flash_read(&r->f, a + 7, got, 50), FPY_OK);
        assert_memory_equal(got, data + 7, 50);
    }
    rig_free(r);
}

/* A program of a whole sector is cut at chip pages, no more: the
 * power-loss harness sees the same mutations as on plain flash. */
static void test_program_split_at_pages(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    static uint8_t data[4096];
    fill(data, sizeof data, 77);
    uint64_t before = r->tf->sim.stats.programs;
    assert_int_equal(fpy_flash_program(&r->f, VM1, data, 4096), FPY_OK);
    assert_int_equal(r->tf->sim.stats.programs - before, 4096 / FPY_FLASH_PAGE);
    before = r->tf->sim.stats.programs;
    assert_int_equal(fpy_flash_program(&r->f, VM1 + 4096 + 0xF0, data, 32), FPY_OK);
    assert_int_equal(r->tf->sim.stats.programs - before, 2); /* crosses a page */
    rig_free(r);
}

static void test_ranges_of_the_fipy_layouts(void **state)
{
    (void)state;
    fpy_cryptflash_ranges rs;
    assert_int_equal(fpy_cryptflash_ranges_fipy(fpy_layout_get(FPY_LAYOUT_NONBLE), &rs), FPY_OK);
    /* bootloader+ptable, otadata, ota_0..codemem_1, vmstore_0+1 */
    static const fpy_cryptflash_range want[] = {
        {0x1000, 0x8000}, {0xD000, 0x2000}, {0x10000, 0x300000}, {0x390000, 0x2000}};
    assert_int_equal(rs.count, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(rs.r[i].addr, want[i].addr);
        assert_int_equal(rs.r[i].len, want[i].len);
    }
    /* in both layouts each area's first and last byte follow its kind */
    for (int id = 0; id < 2; id++) {
        const fpy_layout *l = fpy_layout_get((fpy_layout_id)id);
        rig *r = rig_new(0xF);
        assert_int_equal(fpy_cryptflash_ranges_fipy(l, &rs), FPY_OK);
        assert_int_equal(rs.count, 4); /* the BLE slots end at 0x310000 too */
        for (unsigned i = 0; i < 4; i++)
            assert_true(rs.r[i].addr == want[i].addr && rs.r[i].len == want[i].len);
        assert_int_equal(fpy_cryptflash_init(&r->cf, &r->tf->flash, key, 0xF, &rs), FPY_OK);
        for (size_t i = 0; i < l->count; i++) {
            const fpy_area *a = &l->areas[i];
            int want_enc = fpy_cryptflash_area_encrypted(a->kind);
            if (fpy_cryptflash_is_encrypted(&r->cf, a->offset) != want_enc ||
                fpy_cryptflash_is_encrypted(&r->cf, a->offset + a->size - 1) != want_enc)
                fail_msg("%s: area %s not %s", l->name, a->label,
                         want_enc ? "encrypted" : "plain");
        }
        assert_false(fpy_cryptflash_is_encrypted(&r->cf, 0));     /* below the bootloader */
        assert_false(fpy_cryptflash_is_encrypted(&r->cf, 0x7FFFFF));
        rig_free(r);
    }
    assert_false(fpy_cryptflash_area_encrypted(FPY_AREA_NVS));
    assert_false(fpy_cryptflash_area_encrypted(FPY_AREA_PHY));
    assert_int_equal(fpy_cryptflash_ranges_fipy(NULL, &rs), FPY_ERR_INVAL);
}

static void test_bad_ranges_and_settings_refused(void **state)
{
    (void)state;
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    fpy_cryptflash cf;
    fpy_cryptflash_ranges rs;
    memset(&rs, 0, sizeof rs);
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x1008, 0x10), FPY_ERR_ALIGN);
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x1000, 0x18), FPY_ERR_ALIGN);
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x1000, 0), FPY_ERR_INVAL);
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x1000, 0x100), FPY_OK);
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x10F0, 0x100), FPY_ERR_INVAL); /* overlap */
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x1100, 0x100), FPY_OK);        /* merged */
    assert_int_equal(rs.count, 1);
    assert_int_equal(rs.r[0].len, 0x200);
    for (uint32_t i = 1; i < FPY_CRYPTFLASH_MAX_RANGES; i++)
        assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x10000u * i, 0x10), FPY_OK);
    fpy_cryptflash_ranges full = rs;
    assert_int_equal(fpy_cryptflash_ranges_add(&rs, 0x800000 - 0x10, 0x10), FPY_ERR_NOSPC);
    assert_memory_equal(&rs, &full, sizeof rs);
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, key, 0xF, &rs), FPY_OK);
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, key, 0x10, &rs), FPY_ERR_INVAL);
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, NULL, 0xF, &rs), FPY_ERR_INVAL);
    fpy_cryptflash_ranges bad = {{{0x2000, 0x10}, {0x1000, 0x10}}, 2}; /* descending */
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, key, 0xF, &bad), FPY_ERR_INVAL);
    bad = (fpy_cryptflash_ranges){{{0x7FF000, 0x2000}}, 1}; /* past the 8 MiB chip */
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, key, 0xF, &bad), FPY_ERR_RANGE);
    bad = (fpy_cryptflash_ranges){{{0x1004, 0x10}}, 1};
    assert_int_equal(fpy_cryptflash_init(&cf, &tf->flash, key, 0xF, &bad), FPY_ERR_ALIGN);
    fpy_test_flash_free(tf);
}

/* ---- lib/'s writers over the layer --------------------------------------- */

/* Erase and program an image, padded with 0xFF to 16 bytes (what
 * esptool's --encrypt and ESP-IDF's OTA do with a ragged end). */
static void install(const fpy_flash *f, uint32_t addr, const uint8_t *img, size_t len)
{
    static uint8_t buf[160 * 1024];
    size_t padded = (len + 15u) & ~(size_t)15u;
    assert_true(padded <= sizeof buf);
    memset(buf, 0xFF, padded);
    memcpy(buf, img, len);
    uint32_t end = (uint32_t)((addr + padded + FPY_FLASH_SECTOR - 1u) & ~(FPY_FLASH_SECTOR - 1u));
    assert_int_equal(fpy_flash_erase(f, addr, end - addr), FPY_OK);
    assert_int_equal(fpy_flash_program(f, addr, buf, (uint32_t)padded), FPY_OK);
}

/* The device side of one update: slots, images, the boot's state. */
typedef struct upd {
    const fpy_layout *l;
    fpy_boot_cfg cfg;
    fpy_fw_work w;
    fpy_boot_result res;
    fpy_simsys ss;
    fpy_sys sys;
    uint8_t vm_old[160 * 1024], bc_old[16 * 1024], vm[160 * 1024], bc[16 * 1024];
    size_t vm_old_len, bc_old_len, vm_len, bc_len;
    /* the power-loss scenario's encrypted view of the harness's chip */
    fpy_cryptflash cf;
    fpy_cryptflash_ranges rs;
    fpy_flash ef;
} upd;

/* bc_payload: 9008 makes a 9136-byte bytecode image, a multiple of 16. */
static upd *upd_new(uint32_t bc_payload)
{
    upd *u = calloc(1, sizeof *u);
    assert_non_null(u);
    u->l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    u->cfg.layout = u->l;
    u->cfg.store = FPY_REC_STORE_FIPY();
    fpy_simsys_init(&u->ss, &u->sys);
    u->vm_old_len = fpy_fix_vm("2.0.0", 1, 40000, u->vm_old, sizeof u->vm_old);
    u->bc_old_len = fpy_fix_bc(2, 1, 5000, u->bc_old, sizeof u->bc_old);
    u->vm_len = fpy_fix_vm("2.1.0", 7, 40000, u->vm, sizeof u->vm);
    u->bc_len = fpy_fix_bc(2, 7, bc_payload, u->bc, sizeof u->bc);
    assert_int_equal(fpy_cryptflash_ranges_fipy(u->l, &u->rs), FPY_OK);
    return u;
}

static int boot(upd *u, const fpy_flash *f, int reason)
{
    fpy_simsys_reset(&u->ss, reason);
    return fpy_boot_run(f, &u->sys, &u->cfg, &u->w, &u->res);
}

/* The old pair in slots 0, booted once (the boot writes record and otadata). */
static int base(upd *u, const fpy_flash *f)
{
    install(f, VM0, u->vm_old, u->vm_old_len);
    install(f, BC0, u->bc_old, u->bc_old_len);
    return boot(u, f, FPY_RESET_RESET);
}

/* The new pair into slots 1 through the engine, in 1000-byte chunks;
 * *stage says how far it got (1 begin, 2 writes, 3 finish, 4 commit). */
static int update(upd *u, const fpy_flash *f, int *stage)
{
    fpy_fota e;
    fpy_fota_req q;
    *stage = 0;
    FPY_TRY(fpy_fota_req_from_images(&q, u->vm, u->vm_len, u->bc, u->bc_len));
    q.vm_slot = 1;
    q.bc_slot = 1;
    FPY_TRY(fpy_fota_begin(&e, f, u->l, &u->cfg.store, &q, NULL, &u->w, NULL));
    *stage = 1;
    uint32_t off = 0;
    for (int part = 0; part < 2; part++) {
        const uint8_t *img = part == 0 ? u->vm : u->bc;
        size_t len = part == 0 ? u->vm_len : u->bc_len;
        for (size_t i = 0; i < len; i += 1000) {
            uint32_t k = (uint32_t)(len - i < 1000 ? len - i : 1000);
            FPY_TRY(fpy_fota_write(&e, off, img + i, k, NULL));
            off += k;
        }
    }
    *stage = 2;
    FPY_TRY(fpy_fota_finish(&e, &u->w, NULL));
    *stage = 3;
    FPY_TRY(fpy_fota_commit(&e));
    *stage = 4;
    return FPY_OK;
}

/* Some 32-byte run of `img` somewhere on the chip, at a 4-byte-aligned
 * address (every program is)?  Fingerprints of every written 32-byte
 * window of the chip, sorted, then each window of the image looked up. */
typedef struct win {
    uint64_t fp;
    uint32_t addr;
} win;

static int win_cmp(const void *a, const void *b)
{
    uint64_t x = ((const win *)a)->fp, y = ((const win *)b)->fp;
    return x < y ? -1 : x > y;
}

static uint64_t fp8(const uint8_t *p)
{
    uint64_t v = 0;
    memcpy(&v, p, sizeof v);
    return v;
}

static long find_plaintext(const uint8_t *mem, uint32_t size, const uint8_t *img, size_t len)
{
    size_t n = 0, cap = 1u << 16;
    win *w = malloc(cap * sizeof *w);
    assert_non_null(w);
    for (uint32_t a = 0; a + 32u <= size; a += 4) {
        if (fpy_is_erased(mem + a, 32))
            continue;
        if (n == cap) {
            cap *= 2;
            w = realloc(w, cap * sizeof *w);
            assert_non_null(w);
        }
        w[n++] = (win){fp8(mem + a), a};
    }
    qsort(w, n, sizeof *w, win_cmp);
    long found = -1;
    for (size_t i = 0; i + 32u <= len && found < 0; i++) {
        if (fpy_is_erased(img + i, 32))
            continue;
        win key_w = {fp8(img + i), 0};
        win *hit = bsearch(&key_w, w, n, sizeof *w, win_cmp);
        if (hit == NULL)
            continue;
        while (hit > w && hit[-1].fp == key_w.fp)
            hit--;
        for (; hit < w + n && hit->fp == key_w.fp && found < 0; hit++)
            if (memcmp(mem + hit->addr, img + i, 32) == 0)
                found = (long)hit->addr;
    }
    free(w);
    return found;
}

static void assert_no_plaintext(const fpy_test_flash *tf, const uint8_t *img, size_t len,
                                const char *what)
{
    long at = find_plaintext(tf->mem, tf->sim.geo.size, img, len);
    if (at >= 0)
        fail_msg("plaintext of %s on the chip at 0x%lx", what, (unsigned long)at);
}

/* The pair a boot chose, and that it is whole and verified. */
static void assert_booted(const upd *u, unsigned vm, unsigned bc, int test_mode)
{
    assert_int_equal(u->res.vm_slot, vm);
    assert_int_equal(u->res.bc_slot, bc);
    assert_int_equal(u->res.status, FPY_PAIR_OK);
    assert_int_equal(u->res.test_mode, test_mode);
}

/* issue 16: encrypted flash round-trips through a full update. */
static void test_full_update_on_encrypted_flash(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    upd *u = upd_new(9008);
    assert_int_equal(u->bc_len % 16, 0);
    int stage;
    assert_int_equal(base(u, &r->f), FPY_OK);
    assert_booted(u, 0, 0, 0);
    assert_int_equal(update(u, &r->f, &stage), FPY_OK);
    assert_int_equal(boot(u, &r->f, FPY_RESET_RESET), FPY_OK);
    assert_booted(u, 1, 1, 1); /* the trial */
    assert_int_equal(fpy_fota_accept(&r->f, &u->cfg.store, NULL, NULL), FPY_OK);
    assert_int_equal(boot(u, &r->f, FPY_RESET_RESET), FPY_OK);
    assert_booted(u, 1, 1, 0);
    /* ESP-IDF's bootloader, reading otadata through the cache, agrees */
    fpy_otadata od;
    fpy_otadata_pick idf;
    assert_int_equal(fpy_otadata_read(&r->f, OTADATA, &od), FPY_OK);
    fpy_otadata_idf_pick(&od, &idf);
    assert_int_equal(idf.slot, 1);
    /* the chip: the new VM is its ciphertext, and no image in clear */
    uint8_t *enc = malloc(u->vm_len);
    assert_non_null(enc);
    assert_int_equal(fpy_flashcrypt_encrypt(key, 0xF, VM1, u->vm, enc, u->vm_len), FPY_OK);
    assert_memory_equal(r->tf->mem + VM1, enc, u->vm_len);
    free(enc);
    assert_no_plaintext(r->tf, u->vm, u->vm_len, "the new VM");
    assert_no_plaintext(r->tf, u->bc, u->bc_len, "the new bytecode");
    assert_no_plaintext(r->tf, u->vm_old, u->vm_old_len, "the old VM");
    assert_no_plaintext(r->tf, u->bc_old, u->bc_old_len, "the old bytecode");
    /* the search finds plaintext where there is some (storage is plain) */
    assert_int_equal(fpy_flash_program(&r->f, 0x400000, u->bc + 512, 64), FPY_OK);
    assert_int_equal(find_plaintext(r->tf->mem, r->tf->sim.geo.size, u->bc, u->bc_len),
                     0x400000);
    free(u);
    rig_free(r);
}

/*
 * A bytecode image whose length is not a multiple of 16 (128-byte header
 * + 9000 bytes = 9128): the page writer pads its last program to 16 (it
 * once padded only to the chip's 4-byte unit, which the encrypted flash
 * refused with FPY_ERR_ALIGN).  The update goes through and its trial
 * boots; the 8 padding bytes read back as 0xFF through the layer.
 */
static void test_ragged_bytecode_tail(void **state)
{
    (void)state;
    rig *r = rig_new(0xF);
    upd *u = upd_new(9000);
    assert_int_equal(u->bc_len, 9128);
    int stage;
    assert_int_equal(base(u, &r->f), FPY_OK);
    assert_int_equal(update(u, &r->f, &stage), FPY_OK);
    uint8_t pad[8];
    assert_int_equal(fpy_flash_read(&r->f, BC1 + 9128, pad, sizeof pad), FPY_OK);
    assert_true(fpy_is_erased(pad, sizeof pad));
    assert_false(fpy_is_erased(r->tf->mem + BC1 + 9120, 16)); /* ciphertext on the chip */
    assert_int_equal(boot(u, &r->f, FPY_RESET_RESET), FPY_OK);
    assert_booted(u, 1, 1, 1);
    free(u);
    rig_free(r);
}

/* ---- power loss under the layer ------------------------------------------- */

static const fpy_flash *enc_view(upd *u, const fpy_flash *raw)
{
    assert_int_equal(fpy_cryptflash_init(&u->cf, raw, key, 0xF, &u->rs), FPY_OK);
    fpy_cryptflash_bind(&u->cf, &u->ef);
    return &u->ef;
}

static int pl_setup(void *ctx, const fpy_flash *raw)
{
    upd *u = ctx;
    return base(u, enc_view(u, raw));
}

static int pl_run(void *ctx, const fpy_flash *raw)
{
    upd *u = ctx;
    int stage;
    return update(u, enc_view(u, raw), &stage);
}

static int pl_bad(char *why, size_t n, const char *msg, const upd *u)
{
    snprintf(why, n, "%s (booted vm %u bc %u, rule %d)", msg, u->res.vm_slot, u->res.bc_slot,
             u->res.row ? u->res.row->rule : -1);
    return 1;
}

/*
 * As test_powerloss_fota's update scenario: after any cut the boot
 * brings up a fully verified pair, all old or all new, the one ESP-IDF's
 * bootloader would pick; a completed update starts its trial; the new
 * pair runs only in test mode, and a reset returns to the old one, which
 * then runs stable.
 */
static int pl_check(void *ctx, const fpy_flash *raw, int completed, char *why, size_t n)
{
    upd *u = ctx;
    const fpy_flash *f = enc_view(u, raw);
    fpy_otadata od;
    fpy_otadata_pick idf;
    if (fpy_otadata_read(f, OTADATA, &od) != FPY_OK)
        return pl_bad(why, n, "otadata unreadable", u);
    fpy_otadata_idf_pick(&od, &idf);
    if (boot(u, f, FPY_RESET_RESET) != FPY_OK || u->res.status != FPY_PAIR_OK)
        return pl_bad(why, n, "no fully verified pair boots", u);
    if (idf.entry >= 0 && idf.slot != u->res.vm_slot)
        return pl_bad(why, n, "ESP-IDF's bootloader would boot the other VM", u);
    int is_old = u->res.vm_slot == 0 && u->res.bc_slot == 0;
    int is_new = u->res.vm_slot == 1 && u->res.bc_slot == 1;
    if (!is_old && !is_new)
        return pl_bad(why, n, "mixed pair", u);
    if (completed && !(is_new && u->res.test_mode))
        return pl_bad(why, n, "completed update did not start a trial", u);
    if (is_new && !u->res.test_mode)
        return pl_bad(why, n, "the never-accepted pair runs outside test mode", u);
    if (is_new && (boot(u, f, FPY_RESET_WATCHDOG) != FPY_OK || u->res.vm_slot != 0 ||
                   u->res.bc_slot != 0 || u->res.test_mode || u->res.status != FPY_PAIR_OK))
        return pl_bad(why, n, "a reset before accept() did not return to the old pair", u);
    return 0;
}

static void test_update_under_power_loss(void **state)
{
    (void)state;
    upd *u = upd_new(9008);
    fpy_pl_scenario s = {"encrypted VM + bytecode update", u, pl_setup, pl_run, pl_check};
    /* every 3rd cut point (times FPY_PL_STRIDE), one torn variant each:
     * a few seconds */
    const char *env = getenv("FPY_PL_STRIDE");
    uint32_t stride = 3u * (env ? (uint32_t)atoi(env) : 1u);
    fpy_pl_options opt = {.torn_seeds = 1, .stride = stride ? stride : 3u, .verbose = 1};
    fpy_pl_result res;
    assert_int_equal(fpy_pl_run(&s, &opt, &res), 0);
    if (res.failures)
        fail_msg("%u failures; first: %s", res.failures, res.first_failure);
    assert_true(res.mutations > 100);
    assert_true(res.cut_points >= 2u * (res.mutations / opt.stride));
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chip_holds_ciphertext_reads_give_plaintext),
        cmocka_unit_test(test_erased_blocks_read_ff),
        cmocka_unit_test(test_misaligned_program_refused),
        cmocka_unit_test(test_range_edges_split),
        cmocka_unit_test(test_program_split_at_pages),
        cmocka_unit_test(test_ranges_of_the_fipy_layouts),
        cmocka_unit_test(test_bad_ranges_and_settings_refused),
        cmocka_unit_test(test_full_update_on_encrypted_flash),
        cmocka_unit_test(test_ragged_bytecode_tail),
        cmocka_unit_test(test_update_under_power_loss),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
