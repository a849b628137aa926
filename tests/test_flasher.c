/*
 * The ROM client and the flasher (host/romclient.h, host/flasher.h)
 * against the fake ROM (tests/support/fakerom.h): sync through junk, the
 * chip's fields, write/verify/read round trips, the MD5 skip, retries,
 * resume after a dead link, and bad input that sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakerom.h"
#include "fipy/err.h"
#include "flasher.h"
#include "testutil.h"

#define FLASH (8u << 20)

typedef struct rig {
    fpy_fakerom rom;
    fpy_flasher fl;
    fpy_flasher_opts o;
    unsigned events, retries_seen;
} rig;

static void rig_event(void *ctx, const fpy_flasher_event *e)
{
    rig *r = ctx;
    r->events++;
    if (strcmp(e->stage, "retry") == 0)
        r->retries_seen++;
}

static rig *rig_new(void)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assert_int_equal(fpy_fakerom_init(&r->rom, FLASH), FPY_OK);
    r->o.event = rig_event;
    r->o.event_ctx = r;
    return r;
}

static void rig_free(rig *r)
{
    fpy_fakerom_free(&r->rom);
    free(r);
}

static int rig_connect(rig *r)
{
    return fpy_flasher_connect(&r->fl, fpy_fakerom_link(&r->rom), 115200, &r->o);
}

static size_t pad4k(size_t n) { return (n + 4095) & ~(size_t)4095; }

/* Pseudo-random bytes, partly compressible. */
static uint8_t *data_new(size_t n, unsigned seed)
{
    uint8_t *b = malloc(n ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (i / 512) % 2 ? (uint8_t)(x >> 16) : (uint8_t)(i / 7);
    }
    return b;
}

static void test_sync_through_junk_and_ignored_syncs(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->rom.junk = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3\r\n"
                  "waiting for download\r\n\xC0\xC0";
    r->rom.ignore_syncs = 2;
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_true(r->rom.ops[FPY_ROM_SYNC] >= 3);
    assert_int_equal(r->rom.ops[FPY_ROM_SPI_ATTACH], 1);
    assert_int_equal(r->rom.ops[FPY_ROM_SPI_SET_PARAMS], 1);
    assert_true(r->fl.rc.junk > 0);
    rig_free(r);
}

static void test_chip_info_fields(void **state)
{
    (void)state;
    rig *r = rig_new();
    assert_int_equal(rig_connect(r), FPY_OK);
    const fpy_rom_chip *c = &r->fl.chip;
    static const uint8_t mac[6] = {0x24, 0x0a, 0xc4, 0x00, 0x01, 0x02};
    assert_memory_equal(c->mac, mac, 6);
    assert_string_equal(fpy_romc_pkg_name(c->pkg), "ESP32-D0WDQ6");
    assert_int_equal(c->major, 1);
    assert_int_equal(c->minor, 0);
    assert_int_equal(c->xtal_mhz, 40);
    assert_int_equal(c->flash_id, 0x1740EF);
    assert_int_equal(c->flash_size, 8u << 20);
    assert_int_equal(r->fl.flash_size, 8u << 20);
    char feat[200];
    fpy_romc_features(c, feat, sizeof feat);
    assert_string_equal(feat, "Wi-Fi, BT, Dual Core, 240MHz, Vref calibration in eFuse, "
                              "Coding Scheme None");
    /* the ROM rejects GET_SECURITY_INFO */
    assert_int_equal(fpy_romc_security_info(&r->fl.rc), FPY_ERR_UNSUPPORTED);
    /* and the client still works afterwards */
    uint32_t v = 0;
    assert_int_equal(fpy_romc_read_reg(&r->fl.rc, FPY_ROMC_MAGIC_REG, &v), FPY_OK);
    assert_int_equal(v, FPY_ROMC_MAGIC_ESP32);
    rig_free(r);
}

static void test_detect_and_rom_error_text(void **state)
{
    (void)state;
    fpy_romclient c;
    rig *r = rig_new();
    fpy_romc_init(&c, fpy_fakerom_link(&r->rom), 115200);
    assert_int_equal(fpy_romc_sync(&c, 2), FPY_OK);
    assert_int_equal(fpy_romc_detect(&c), FPY_OK);
    /* a ROM error reply carries its text */
    uint8_t bad[3] = {0};
    assert_int_equal(fpy_romc_command(&c, FPY_ROM_READ_REG, bad, 3, 0, 0, 100, NULL, NULL),
                     FPY_ERR_INVAL);
    assert_non_null(strstr(c.msg, "The input parameter is invalid"));
    rig_free(r);
}

static void test_baud_change(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->o.baud = 921600;
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(r->rom.baud_changes, 1);
    /* rom_freq is exactly 40 MHz on the fake: the value sent is the rate */
    assert_int_equal(r->rom.baud, 921600);
    assert_int_equal(r->fl.rc.baud, 921600);
    rig_free(r);
}

/* Write, verify, read back, at several offsets and sizes, both modes. */
static void test_write_verify_read_round_trip(void **state)
{
    (void)state;
    static const struct { uint32_t addr; size_t len; } cases[] = {
        {0x10000, 1}, {0x1000, 4096}, {0x20000, 5000}, {0x7F0000, 0x10000}, {0x100000, 200000}};
    for (int nc = 0; nc < 2; nc++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            rig *r = rig_new();
            r->o.no_compress = nc;
            uint8_t *d = data_new(cases[k].len, (unsigned)k);
            fpy_flash_region reg = {cases[k].addr, d, cases[k].len, "f.bin"};
            memset(r->rom.flash + cases[k].addr, 0x00, pad4k(cases[k].len));
            assert_int_equal(rig_connect(r), FPY_OK);
            assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
            assert_memory_equal(r->rom.flash + cases[k].addr, d, cases[k].len);
            /* the rest of the last sector is erased */
            size_t pad = pad4k(cases[k].len);
            for (size_t i = cases[k].len; i < pad; i++)
                assert_int_equal(r->rom.flash[cases[k].addr + i], 0xFF);
            assert_true(r->rom.ops[nc ? FPY_ROM_FLASH_DATA : FPY_ROM_FLASH_DEFL_DATA] > 0);
            assert_int_equal(r->rom.ops[nc ? FPY_ROM_FLASH_DEFL_DATA : FPY_ROM_FLASH_DATA], 0);
            assert_int_equal(fpy_flasher_verify(&r->fl, &reg, 1, NULL), FPY_OK);
            size_t rl = cases[k].len < 3000 ? cases[k].len : 3000;
            uint8_t *back = malloc(rl);
            assert_int_equal(fpy_flasher_read(&r->fl, cases[k].addr, (uint32_t)rl, back), FPY_OK);
            assert_memory_equal(back, d, rl);
            free(back);
            free(d);
            rig_free(r);
        }
}

/* Writing what is already there sends no FLASH_DATA at all; one changed
 * sector sends only that sector. */
static void test_md5_skip(void **state)
{
    (void)state;
    rig *r = rig_new();
    size_t len = 300000;
    uint8_t *d = data_new(len, 7);
    fpy_flash_region reg = {0x10000, d, len, "app.bin"};
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);

    fpy_fakerom_count_reset(&r->rom);
    assert_int_equal(fpy_flasher_connect(&r->fl, fpy_fakerom_link(&r->rom), 115200, &r->o),
                     FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DATA] + r->rom.ops[FPY_ROM_FLASH_DEFL_DATA], 0);
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_BEGIN] + r->rom.ops[FPY_ROM_FLASH_DEFL_BEGIN], 0);
    assert_int_equal(r->fl.sectors_written, 0);

    d[5 * 4096 + 17] ^= 0x5A; /* one byte in sector 5 */
    fpy_fakerom_count_reset(&r->rom);
    assert_int_equal(fpy_flasher_connect(&r->fl, fpy_fakerom_link(&r->rom), 115200, &r->o),
                     FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_int_equal(r->fl.sectors_written, 1);
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DEFL_BEGIN], 1);
    assert_memory_equal(r->rom.flash + 0x10000, d, len);

    /* --no-skip writes everything */
    fpy_fakerom_count_reset(&r->rom);
    r->o.no_skip = 1;
    assert_int_equal(fpy_flasher_connect(&r->fl, fpy_fakerom_link(&r->rom), 115200, &r->o),
                     FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_int_equal(r->fl.sectors_written, pad4k(len) / 4096);
    free(d);
    rig_free(r);
}

/* A lost reply to a data block: the chunk is retried and the write ends well. */
static void test_dropped_reply_is_retried(void **state)
{
    (void)state;
    for (int nc = 0; nc < 2; nc++) {
        rig *r = rig_new();
        r->o.no_compress = nc;
        size_t len = 70000;
        uint8_t *d = data_new(len, 3);
        fpy_flash_region reg = {0x200000, d, len, "app.bin"};
        assert_int_equal(rig_connect(r), FPY_OK);
        /* a few commands in: past the compare, inside the first chunk */
        r->rom.drop[0] = r->rom.commands + 8;  /* an MD5 of the compare */
        r->rom.drop[1] = r->rom.commands + 40; /* a data block */
        assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
        /* the MD5 asked again, the block resent: no piece written twice */
        assert_int_equal(r->fl.retries, 0);
        assert_true(r->fl.block_resends >= 1);
        assert_int_equal(r->retries_seen, r->fl.block_resends);
        assert_true(r->fl.rc.resends >= 2);
        assert_memory_equal(r->rom.flash + 0x200000, d, len);
        free(d);
        rig_free(r);
    }
}

/* Block-level resends, against the ROM's view (ops counts): a lost
 * request, a lost reply ("not the next block" on the resend: the first
 * copy was applied), a checksum error.  One BEGIN each: no piece
 * restarted; the per-piece MD5 agrees. */
static void test_block_resend(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        rig *r = rig_new();
        size_t len = 20480; /* 20 blocks, one piece */
        uint8_t *d = data_new(len, 11);
        fpy_flash_region reg = {0x280000, d, len, "app.bin"};
        r->o.no_compress = 1;
        r->o.no_skip = 1;
        assert_int_equal(rig_connect(r), FPY_OK);
        fpy_fakerom_count_reset(&r->rom);
        uint32_t at = 1 /* BEGIN */ + 6; /* the 6th block */
        if (kind == 0)
            r->rom.lose_at = at;
        else if (kind == 1)
            r->rom.drop[0] = at;
        else
            r->rom.garble_at = at;
        assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
        assert_int_equal(r->rom.ops[FPY_ROM_FLASH_BEGIN], 1);
        /* a lost request never reaches the ROM's counters */
        assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DATA], kind == 0 ? 20 : 21);
        assert_int_equal(r->fl.block_resends, 1);
        assert_int_equal(r->fl.retries, 0);
        assert_memory_equal(r->rom.flash + 0x280000, d, len);
        free(d);
        rig_free(r);
    }
}

/* A flipped bit in a READ_FLASH_SLOW payload passes the wire (no CRC);
 * the read's MD5 catches it and the sector is read again. */
static void test_read_flip_is_reread(void **state)
{
    (void)state;
    rig *r = rig_new();
    size_t len = 9000;
    uint8_t *d = data_new(len, 12), *back = malloc(len);
    assert_non_null(back);
    memcpy(r->rom.flash + 0x340000, d, len);
    assert_int_equal(rig_connect(r), FPY_OK);
    r->rom.flip_at = r->rom.commands + 70; /* a slow read in the second sector */
    assert_int_equal(fpy_flasher_read(&r->fl, 0x340000, (uint32_t)len, back), FPY_OK);
    assert_memory_equal(back, d, len);
    assert_int_equal(r->fl.retries, 1);
    free(back);
    free(d);
    rig_free(r);
}

/* A garbled status byte (0x04: no such status) during connect: the
 * READ_REG is asked again, connect succeeds; the chip's fields are right. */
static void test_garbled_reply_at_connect(void **state)
{
    (void)state;
    for (uint32_t at = 2; at < 14; at += 3) {
        rig *r = rig_new();
        r->rom.bad_status_at = at;
        assert_int_equal(rig_connect(r), FPY_OK);
        assert_true(r->fl.rc.resends >= 1);
        assert_int_equal(r->fl.chip.mac[0], 0x24);
        assert_int_equal(r->fl.chip.mac[5], 0x02);
        assert_int_equal(r->fl.chip.flash_id, 0x1740EFu);
        rig_free(r);
    }
}

/* A block the ROM refuses (checksum error): the chunk is written again,
 * the ROM's text is in the retry event; at 921600 a second failure steps
 * the rate down. */
static char retry_msg[256];
static void retry_event(void *ctx, const fpy_flasher_event *e)
{
    rig *r = ctx;
    if (strcmp(e->stage, "retry") == 0) {
        r->retries_seen++;
        snprintf(retry_msg, sizeof retry_msg, "%s %s", e->code, e->msg);
    }
}

static void test_rom_error_retry_and_step_down(void **state)
{
    (void)state;
    rig *r = rig_new();
    size_t len = 40000;
    uint8_t *d = data_new(len, 4);
    fpy_flash_region reg = {0x300000, d, len, "app.bin"};
    r->o.no_compress = 1;
    r->o.no_skip = 1;
    r->o.baud = 921600;
    r->o.event = retry_event;
    r->o.piece_max = 0x10000; /* the arithmetic below is in 64 KiB pieces */
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(r->rom.baud, 921600);
    r->rom.garble_at = r->rom.commands + 5; /* BEGIN, then the 4th block */
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_int_equal(r->retries_seen, 1);
    assert_non_null(strstr(retry_msg, "rom-error"));
    assert_non_null(strstr(retry_msg, "Checksum error"));
    assert_int_equal(r->rom.baud, 921600);
    assert_memory_equal(r->rom.flash + 0x300000, d, len);

    /* a block whose answers are lost 8 times: its piece fails twice
     * (4 attempts each), the second retry runs at 460800 */
    r->retries_seen = 0;
    r->fl.retries = 0;
    r->rom.mute_at = r->rom.commands + 1;
    r->rom.mute_data = 8;
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_int_equal(r->fl.retries, 2);
    assert_true(r->fl.piece < 0x10000u); /* 64 -> 16 -> 4 KiB, grown back to 16 */
    assert_int_equal(r->rom.baud, 460800);
    assert_int_equal(r->fl.rc.baud, 460800);
    assert_memory_equal(r->rom.flash + 0x300000, d, len);
    free(d);
    rig_free(r);
}

/* The link dies mid-write; the same write again resumes: only what was
 * not written and verified is sent. */
static void test_resume_after_dead_link(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->o.no_compress = 1;
    r->o.piece_max = 0x10000; /* resume granularity: pieces of 64 KiB */
    size_t len = 256 * 1024;
    uint8_t *d = data_new(len, 11);
    fpy_flash_region reg = {0x10000, d, len, "app.bin"};
    assert_int_equal(rig_connect(r), FPY_OK);
    /* the compare asks 1 MD5 (the whole region is erased: its sectors are
     * decided without asking); each chunk is BEGIN, 64 blocks, MD5: the
     * link dies in the third chunk */
    uint32_t before = r->rom.commands;
    r->rom.die_at = before + 1 + 2 * 66 + 10;
    assert_int_not_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    assert_string_equal(r->fl.code, FPY_FLC_LINK);
    assert_non_null(strstr(r->fl.done_msg, "0x10000..0x30000"));
    uint32_t first = r->rom.ops[FPY_ROM_FLASH_DATA];
    assert_int_equal(first, 128 + 8);
    assert_int_equal(r->rom.ops[FPY_ROM_SPI_FLASH_MD5], 1 + 2);

    fpy_fakerom_reconnect(&r->rom);
    fpy_fakerom_count_reset(&r->rom);
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_OK);
    /* the third chunk got BEGIN and 8 blocks (2 whole sectors) before the
     * link died: those 2 sectors match and are skipped too; the rest of
     * the third chunk and the fourth are written */
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DATA], 128 - 8);
    assert_int_equal(r->fl.sectors_skipped, 34);
    assert_memory_equal(r->rom.flash + 0x10000, d, len);
    free(d);
    rig_free(r);
}

/* Ctrl-C: the write stops at a block boundary and says what is done. */
static volatile sig_atomic_t stop_flag;
static unsigned stop_after;
static void stop_event(void *ctx, const fpy_flasher_event *e)
{
    (void)ctx;
    if (strcmp(e->stage, "write") == 0 && --stop_after == 0)
        stop_flag = 1;
}

static void test_interrupt_stops_cleanly(void **state)
{
    (void)state;
    rig *r = rig_new();
    size_t len = 200 * 1024;
    uint8_t *d = data_new(len, 5);
    fpy_flash_region reg = {0x10000, d, len, "app.bin"};
    r->o.no_compress = 1;
    r->o.piece_max = 0x10000;
    r->o.event = stop_event;
    r->o.stop = &stop_flag;
    stop_flag = 0;
    stop_after = 70; /* inside the second chunk */
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(fpy_flasher_write(&r->fl, &reg, 1), FPY_ERR_STATE);
    assert_true(r->fl.interrupted);
    assert_non_null(strstr(r->fl.msg, "interrupted: 0x10000..0x20000 of app.bin written and "
                                      "verified; run the same command again to resume"));
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DATA], 70);
    stop_flag = 0;
    rig_free(r);
    free(d);
}

/* Bad input: refused before anything is sent. */
static void test_bad_input_sends_nothing(void **state)
{
    (void)state;
    uint8_t d[8192] = {0};
    char msg[300];
    const fpy_flash_region unaligned = {0x10004, d, 100, "a.bin"};
    const fpy_flash_region toobig = {0x7FF000, d, 8192, "big.bin"};
    const fpy_flash_region empty = {0x1000, d, 0, "empty.bin"};
    const fpy_flash_region overlap[2] = {{0x10000, d, 5000, "a.bin"}, {0x11000, d, 10, "b.bin"}};
    const fpy_flash_region fine[2] = {{0x11000, d, 4096, "a.bin"}, {0x10000, d, 4096, "b.bin"}};
    assert_int_equal(fpy_flasher_check(&unaligned, 1, FLASH, msg, sizeof msg), FPY_ERR_ALIGN);
    assert_non_null(strstr(msg, "a.bin"));
    assert_int_equal(fpy_flasher_check(&toobig, 1, FLASH, msg, sizeof msg), FPY_ERR_RANGE);
    assert_non_null(strstr(msg, "do not fit the 8 MiB flash"));
    assert_int_equal(fpy_flasher_check(&empty, 1, FLASH, msg, sizeof msg), FPY_ERR_INVAL);
    assert_int_equal(fpy_flasher_check(overlap, 2, FLASH, msg, sizeof msg), FPY_ERR_INVAL);
    assert_non_null(strstr(msg, "overlaps"));
    assert_int_equal(fpy_flasher_check(fine, 2, FLASH, msg, sizeof msg), FPY_OK);

    rig *r = rig_new();
    assert_int_equal(rig_connect(r), FPY_OK);
    fpy_fakerom_count_reset(&r->rom);
    assert_int_equal(fpy_flasher_write(&r->fl, overlap, 2), FPY_ERR_INVAL);
    assert_int_equal(fpy_flasher_write(&r->fl, &toobig, 1), FPY_ERR_RANGE);
    assert_int_equal(r->rom.commands, 0);
    assert_int_equal(fpy_flasher_erase(&r->fl, 0x1000, 100), FPY_ERR_ALIGN);
    assert_int_equal(r->rom.commands, 0);
    rig_free(r);
}

static void test_verify_names_first_bad_sector_and_erase(void **state)
{
    (void)state;
    rig *r = rig_new();
    size_t len = 200000;
    uint8_t *d = data_new(len, 9);
    fpy_flash_region reg = {0x40000, d, len, "x.bin"};
    memcpy(r->rom.flash + 0x40000, d, len);
    r->rom.flash[0x40000 + 9 * 4096 + 3] ^= 1;
    r->rom.flash[0x40000 + 20 * 4096] ^= 1;
    assert_int_equal(rig_connect(r), FPY_OK);
    uint32_t bad = 0;
    assert_int_equal(fpy_flasher_verify(&r->fl, &reg, 1, &bad), FPY_ERR_CHECKSUM);
    assert_int_equal(bad, 0x40000 + 9 * 4096);
    assert_non_null(strstr(r->fl.msg, "0x49000"));
    assert_int_equal(fpy_flasher_erase(&r->fl, 0x40000, 0x20000), FPY_OK);
    for (size_t i = 0; i < 0x20000; i++)
        assert_int_equal(r->rom.flash[0x40000 + i], 0xFF);
    assert_int_equal(r->rom.flash[0x60000], d[0x20000]);
    assert_int_equal(r->rom.ops[FPY_ROM_FLASH_DATA], 0);
    free(d);
    rig_free(r);
}

/* No modem lines (socket://, Pycom boards): the user is asked to reset. */
static unsigned notes;
static void note_event(void *ctx, const fpy_flasher_event *e)
{
    (void)ctx;
    if (strcmp(e->stage, "note") == 0 && strstr(e->msg, "G23") != NULL)
        notes++;
}

static void test_no_lines_asks_for_manual_reset(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->rom.no_lines = 1;
    r->rom.ignore_syncs = 5; /* the user takes a while */
    r->o.event = note_event;
    r->o.manual_wait_s = 1;
    notes = 0;
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(notes, 1);
    rig_free(r);
}

/* A session that changed the rate and could not reset the chip (no modem
 * lines) leaves the ROM at that rate: the next session finds it there
 * without asking for a reset, and leaves it at 115200 again. */
static void test_rom_left_at_another_rate(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->rom.no_lines = 1;
    r->rom.baud = 921600; /* where an interrupted session left it */
    r->o.event = note_event;
    r->o.manual_wait_s = 1;
    r->o.baud = 460800;
    notes = 0;
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(notes, 0); /* no "press reset" */
    assert_int_equal(r->rom.baud, 460800);
    assert_int_equal(fpy_flasher_leave(&r->fl, 1), FPY_OK);
    assert_int_equal(r->rom.baud, 115200);
    assert_int_equal(r->rom.host_baud, 115200);
    /* and the next session syncs at once */
    assert_int_equal(rig_connect(r), FPY_OK);
    assert_int_equal(notes, 0);
    rig_free(r);
}

static void test_dead_link_at_connect(void **state)
{
    (void)state;
    rig *r = rig_new();
    r->rom.die_at = 1;
    assert_int_not_equal(rig_connect(r), FPY_OK);
    assert_string_equal(r->fl.code, FPY_FLC_LINK);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_through_junk_and_ignored_syncs),
        cmocka_unit_test(test_chip_info_fields),
        cmocka_unit_test(test_detect_and_rom_error_text),
        cmocka_unit_test(test_baud_change),
        cmocka_unit_test(test_write_verify_read_round_trip),
        cmocka_unit_test(test_md5_skip),
        cmocka_unit_test(test_dropped_reply_is_retried),
        cmocka_unit_test(test_block_resend),
        cmocka_unit_test(test_garbled_reply_at_connect),
        cmocka_unit_test(test_read_flip_is_reread),
        cmocka_unit_test(test_rom_error_retry_and_step_down),
        cmocka_unit_test(test_resume_after_dead_link),
        cmocka_unit_test(test_interrupt_stops_cleanly),
        cmocka_unit_test(test_bad_input_sends_nothing),
        cmocka_unit_test(test_verify_names_first_bad_sector_and_erase),
        cmocka_unit_test(test_no_lines_asks_for_manual_reset),
        cmocka_unit_test(test_rom_left_at_another_rate),
        cmocka_unit_test(test_dead_link_at_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
