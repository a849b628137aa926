/* sim/vboard: the virtual FiPy driven through its API: banner bytes, the
 * boot log, the auto-reset circuit, baud, power cuts and the flash file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fipy/bytes.h"
#include "fipy/efuse.h"
#include "fipy/err.h"
#include "fipy/layout.h"
#include "fipy/rom.h"
#include "fixtures.h"
#include "testutil.h"
#include "vboard.h"

#define MS 1000u

typedef struct tmpf {
    char dir[64];
    char path[96];
} tmpf;

static void tmp_new(tmpf *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/fpy-vboard-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/flash.bin", t->dir);
}

static void tmp_free(const tmpf *t)
{
    char ef[128];
    snprintf(ef, sizeof ef, "%s.efuse", t->path);
    unlink(ef);
    unlink(t->path);
    rmdir(t->dir);
}

static fpy_vboard *board_open(const char *path)
{
    char err[256] = "";
    fpy_vboard_cfg cfg = {path, 0};
    fpy_vboard *b = fpy_vboard_open(&cfg, err, sizeof err);
    if (b == NULL)
        fail_msg("open: %s", err);
    return b;
}

/* Everything the board has sent by `now`, NUL-terminated. */
static size_t drain(fpy_vboard *b, uint64_t now, uint8_t *out, size_t cap)
{
    size_t n = fpy_vboard_tx(b, now, out, cap - 1);
    out[n] = 0;
    return n;
}

static void send_req(fpy_vboard *b, uint64_t now, uint8_t op, const uint8_t *d, uint16_t size,
                     uint32_t ck, uint32_t baud)
{
    static uint8_t pkt[FPY_ROM_HDR + 0x1000], enc[2 * sizeof pkt + 2];
    size_t n = fpy_rom_req_build(pkt, sizeof pkt, op, d, size, ck);
    size_t e = fpy_slip_encode(enc, sizeof enc, pkt, n);
    assert_true(e > 0);
    fpy_vboard_rx(b, now, enc, e, baud);
}

static void send_words(fpy_vboard *b, uint64_t now, uint8_t op, const uint32_t *w, size_t nw)
{
    uint8_t d[32];
    for (size_t i = 0; i < nw; i++)
        fpy_put_le32(d + 4 * i, w[i]);
    send_req(b, now, op, d, (uint16_t)(4 * nw), 0, 115200);
}

static void send_sync(fpy_vboard *b, uint64_t now, uint32_t baud)
{
    uint8_t body[36] = {0x07, 0x07, 0x12, 0x20};
    memset(body + 4, 0x55, 32);
    send_req(b, now, FPY_ROM_SYNC, body, sizeof body, 0, baud);
}

static const char banner_download[] =
    "ets Jun  8 2016 00:22:57\r\n"
    "\r\n"
    "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
    "waiting for download\r\n";

static const char sync_reply[] = "C0 01 08 04 00 07 07 12 20 00 00 00 00 C0";

static void expect_8_syncs(const uint8_t *got, size_t n)
{
    uint8_t one[14];
    fpy_test_unhex(sync_reply, one, sizeof one);
    assert_int_equal(n, 8 * 14);
    for (size_t i = 0; i < 8; i++)
        assert_memory_equal(got + 14 * i, one, 14);
}

static void test_blank_flash_boots_nothing_and_says_why(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    drain(b, 10 * 1000 * MS, out, sizeof out);
    const char *s = (const char *)out;
    assert_non_null(strstr(s, "ets Jun  8 2016 00:22:57\r\n\r\n"
                              "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"));
    assert_non_null(strstr(s, "invalid header: 0xffffffff\r\n"));
    assert_non_null(strstr(s, "nothing to boot"));
    assert_null(strstr(s, "waiting for download"));
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    assert_string_equal(st.mode, "halted");
    assert_int_equal(st.vm_slot, -1);
    assert_int_equal(st.baud, 115200);
    /* the new file is 8 MiB of 0xFF */
    fpy_vboard_close(b);
    FILE *f = fopen(t.path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_int_equal(ftell(f), 8 * 1024 * 1024);
    fclose(f);
    tmp_free(&t);
}

static void test_jumper_and_reset_give_the_rom_banner_exactly(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    drain(b, 90 * MS, out, sizeof out); /* the boot at power-on */
    fpy_vboard_jumper(b, 1);
    fpy_vboard_reset(b, 95 * MS);
    size_t n = drain(b, 95 * MS, out, sizeof out);
    assert_int_equal(n, strlen(banner_download));
    assert_memory_equal(out, banner_download, n);
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    assert_string_equal(st.mode, "download");
    assert_int_equal(st.jumper, 1);
    /* SYNC: 8 replies, SLIP-framed, byte for byte */
    send_sync(b, 10 * MS, 115200);
    n = drain(b, 10 * MS, out, sizeof out);
    expect_8_syncs(out, n);
    assert_int_equal(fpy_vboard_next_event(b), UINT64_MAX);
    fpy_vboard_close(b);
    tmp_free(&t);
}

/* esptool's ClassicReset over RFC 2217 with acked SET-CONTROLs, 50 ms
 * apart (stub_and_rfc2217.md §5.5): 09 0B 09 | 08 0C 08 | 09. */
static uint64_t classic_reset(fpy_vboard *b, uint64_t t)
{
    static const int seq[][2] = {{0, 0}, {0, 1}, {0, 1}, {1, 1}, {1, 0}, {1, 0}, {0, 0}};
    static const uint64_t gap[] = {0, 50, 50, 151, 50, 51, 100};
    int dtr = 0, rts = 0;
    for (size_t i = 0; i < sizeof gap / sizeof gap[0]; i++) {
        t += gap[i] * MS;
        dtr = seq[i][0];
        rts = seq[i][1];
        fpy_vboard_lines(b, t, dtr, rts);
    }
    return t;
}

static void test_esptool_classic_reset_enters_download_and_hard_reset_boots(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    drain(b, 90 * MS, out, sizeof out); /* the boot at power-on */
    /* pyserial's open asserts DTR, then RTS: no reset */
    fpy_vboard_lines(b, 100 * MS, 1, 0);
    fpy_vboard_lines(b, 150 * MS, 1, 1);
    assert_int_equal(drain(b, 400 * MS, out, sizeof out), 0);
    fpy_vboard_lines(b, 500 * MS, 0, 0);
    uint64_t t1 = classic_reset(b, 1000 * MS);
    size_t n = drain(b, t1, out, sizeof out);
    assert_int_equal(n, strlen(banner_download));
    assert_memory_equal(out, banner_download, n);
    send_sync(b, t1 + 50 * MS, 115200);
    expect_8_syncs(out, drain(b, t1 + 50 * MS, out, sizeof out));
    /* --after hard-reset: RTS on, DTR off, 100 ms, RTS off: boots from flash */
    fpy_vboard_lines(b, t1 + 100 * MS, 0, 1);
    fpy_vboard_lines(b, t1 + 200 * MS, 0, 0);
    assert_int_equal(fpy_vboard_next_event(b), t1 + 350 * MS);
    drain(b, t1 + 400 * MS, out, sizeof out);
    assert_non_null(strstr((const char *)out, "boot:0x13 (SPI_FAST_FLASH_BOOT)"));
    assert_null(strstr((const char *)out, "waiting for download"));
    /* EN held low and released too fast for the straps: still a flash boot
     * when IO0 goes low only after the sample */
    fpy_vboard_lines(b, t1 + 1000 * MS, 0, 1);
    fpy_vboard_lines(b, t1 + 1050 * MS, 0, 0);
    fpy_vboard_lines(b, t1 + 1210 * MS, 1, 0);
    drain(b, t1 + 1300 * MS, out, sizeof out);
    assert_non_null(strstr((const char *)out, "boot:0x13"));
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void install_vm(const char *path)
{
    static uint8_t img[160 * 1024];
    fpy_test_flash *tf = fpy_test_flash_new(NULL);
    const fpy_layout *l = fpy_layout_get(FPY_LAYOUT_NONBLE);
    size_t n = fpy_fix_vm("2.0.0", 1, 40000, img, sizeof img);
    fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_VM_SLOT, 0)->offset, img, n);
    n = fpy_fix_bc(2, 1, 3000, img, sizeof img);
    fpy_fix_install(&tf->flash, fpy_layout_area(l, FPY_AREA_BC_SLOT, 0)->offset, img, n);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(tf->mem, 1, FPY_FLASH_SIZE_8M, f), FPY_FLASH_SIZE_8M);
    fclose(f);
    fpy_test_flash_free(tf);
}

static void test_installed_vm_boots_from_slot_0_and_says_who_it_is(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    install_vm(t.path);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    /* the ROM's lines at once; the log once the boot's flash reads are done */
    drain(b, 0, out, sizeof out);
    const char *s = (const char *)out;
    assert_non_null(strstr(s, "boot:0x13 (SPI_FAST_FLASH_BOOT)"));
    assert_null(strstr(s, "fipy boot"));
    assert_true(fpy_vboard_next_event(b) > 0 && fpy_vboard_next_event(b) < UINT64_MAX);
    drain(b, 10 * 1000 * MS, out, sizeof out);
    assert_non_null(strstr(s, "fipy boot: last reset: reset\r\n"));
    assert_non_null(strstr(s, "fipy boot: VM slot 0 (0x"));
    assert_non_null(strstr(s, "bytecode slot 0"));
    assert_non_null(strstr(s, "test mode: no, rollback: no"));
    assert_non_null(strstr(s, "fipy vm: fipy-vm 2.0.0 (VM slot 0, ABI 2) running\r\n"));
    assert_null(strstr(s, "nothing to boot"));
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    assert_string_equal(st.mode, "running");
    assert_int_equal(st.vm_slot, 0);
    assert_int_equal(st.bc_slot, 0);
    assert_int_equal(st.test_mode, 0);
    assert_true(st.flash_reads > 0);
    fpy_vboard_close(b);
    tmp_free(&t);
}

/* Into download mode, synced, attached, 8 MiB set. */
static uint64_t to_download(fpy_vboard *b, uint8_t *out, size_t cap)
{
    fpy_vboard_jumper(b, 1);
    fpy_vboard_reset(b, 1000 * MS);
    drain(b, 1000 * MS, out, cap);
    send_sync(b, 1001 * MS, 115200);
    send_words(b, 1002 * MS, FPY_ROM_SPI_ATTACH, (uint32_t[]){0, 0}, 2);
    send_words(b, 1003 * MS, FPY_ROM_SPI_SET_PARAMS,
               (uint32_t[]){0, 0x800000, 0x10000, 0x1000, 0x100, 0xFFFF}, 6);
    drain(b, 1004 * MS, out, cap);
    return 1004 * MS;
}

static void send_block(fpy_vboard *b, uint64_t now, uint32_t seq, const uint8_t *blk)
{
    static uint8_t body[16 + 0x400];
    uint32_t ck;
    fpy_rom_data_build(body, sizeof body, seq, blk, 0x400, &ck);
    send_req(b, now, FPY_ROM_FLASH_DATA, body, sizeof body, ck, 115200);
}

static void read_file(const char *path, uint32_t off, uint8_t *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, n, off), (ssize_t)n);
    close(fd);
}

static void test_power_cut_after_n_keeps_what_was_done(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    uint8_t blk[2][0x400];
    memset(blk[0], 0x11, 0x400);
    memset(blk[1], 0x22, 0x400);
    /* erase 2 sectors (2 operations), program block 0 (3rd), cut before the 4th */
    fpy_vboard_power_cut_after(b, 4);
    send_words(b, now, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x2000, 2, 0x400, 0x100000}, 4);
    now += 200 * MS;
    uint8_t want[14];
    fpy_test_unhex("C0 01 02 04 00 00000000 00 00 00 00 C0", want, sizeof want);
    assert_int_equal(drain(b, now, out, sizeof out), 14);
    assert_memory_equal(out, want, 14);
    send_block(b, now, 0, blk[0]);
    assert_int_equal(drain(b, now + 10 * MS, out, sizeof out), 14);
    send_block(b, now + 20 * MS, 1, blk[1]);
    assert_int_equal(drain(b, now + 30 * MS, out, sizeof out), 0); /* no reply: power gone */
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    assert_string_equal(st.mode, "off");
    assert_int_equal(st.powered, 0);
    uint8_t got[0x400];
    read_file(t.path, 0x100000, got, sizeof got);
    assert_memory_equal(got, blk[0], 0x400); /* in the file already */
    read_file(t.path, 0x100400, got, sizeof got);
    assert_true(fpy_is_erased(got, sizeof got));
    /* input while off is ignored; power on: the ROM again (jumper on) */
    send_sync(b, now + 40 * MS, 115200);
    assert_int_equal(drain(b, now + 50 * MS, out, sizeof out), 0);
    fpy_vboard_power(b, now + 60 * MS, 1);
    size_t n = drain(b, now + 60 * MS, out, sizeof out);
    assert_int_equal(n, strlen(banner_download));
    assert_memory_equal(out, banner_download, n);
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_flash_persists_and_the_file_is_locked(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    /* a second board on the same file is refused */
    char err[256] = "";
    fpy_vboard_cfg cfg = {t.path, 0};
    assert_null(fpy_vboard_open(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "in use by another virtual board"));
    uint8_t blk[0x400];
    for (size_t i = 0; i < sizeof blk; i++)
        blk[i] = (uint8_t)(i % 128u); /* no C0 or DB on the wire */
    send_words(b, now, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0x400, 1, 0x400, 0x200000}, 4);
    send_block(b, now + 100 * MS, 0, blk);
    drain(b, now + 200 * MS, out, sizeof out);
    fpy_vboard_close(b);
    b = board_open(t.path);
    now = to_download(b, out, sizeof out);
    send_words(b, now, FPY_ROM_READ_FLASH_SLOW, (uint32_t[]){0x200000 + 64, 64}, 2);
    size_t n = drain(b, now + 10 * MS, out, sizeof out);
    assert_int_equal(n, 2 + 8 + 68); /* no C0/DB in these bytes */
    assert_memory_equal(out + 9, blk + 64, 64);
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_a_file_of_the_wrong_size_is_refused(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    FILE *f = fopen(t.path, "wb");
    assert_non_null(f);
    fputs("not a flash", f);
    fclose(f);
    char err[256] = "";
    fpy_vboard_cfg cfg = {t.path, 0};
    assert_null(fpy_vboard_open(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "11 bytes"));
    assert_non_null(strstr(err, "8 MiB"));
    read_file(t.path, 0, (uint8_t[11]){0}, 11); /* still there, unchanged size */
    tmp_free(&t);
}

static void test_change_baudrate_then_old_rate_is_garbled(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    send_words(b, now, FPY_ROM_CHANGE_BAUDRATE, (uint32_t[]){921600, 0}, 2);
    assert_int_equal(fpy_vboard_baud(b), 115200); /* reply not out yet */
    uint8_t want[14];
    fpy_test_unhex("C0 01 0F 04 00 00000000 00 00 00 00 C0", want, sizeof want);
    assert_int_equal(drain(b, now, out, sizeof out), 14);
    assert_memory_equal(out, want, 14);
    assert_int_equal(fpy_vboard_baud(b), 921600);
    send_sync(b, now + 60 * MS, 115200); /* the host did not switch: lost */
    assert_int_equal(drain(b, now + 70 * MS, out, sizeof out), 0);
    send_sync(b, now + 80 * MS, 921600);
    expect_8_syncs(out, drain(b, now + 90 * MS, out, sizeof out));
    /* the UART divider esptool would read now */
    uint8_t rr[4];
    fpy_put_le32(rr, 0x3FF40014u);
    send_req(b, now + 100 * MS, FPY_ROM_READ_REG, rr, 4, 0, 921600);
    drain(b, now + 110 * MS, out, sizeof out);
    assert_int_equal(fpy_get_le32(out + 5), 40000000u / 921600u);
    /* a reset brings 115200 back */
    fpy_vboard_reset(b, now + 200 * MS);
    assert_int_equal(fpy_vboard_baud(b), 115200);
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_a_ram_program_gets_a_line_and_a_reply_on_the_uart(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    uint8_t code[256];
    for (size_t i = 0; i < sizeof code; i++)
        code[i] = (uint8_t)(i * 13u + 5u);
    send_words(b, now, FPY_ROM_MEM_BEGIN, (uint32_t[]){sizeof code, 1, 0x1800, 0x3FFB0000}, 4);
    uint8_t body[16 + sizeof code];
    uint32_t ck;
    fpy_rom_data_build(body, sizeof body, 0, code, sizeof code, &ck);
    send_req(b, now, FPY_ROM_MEM_DATA, body, sizeof body, ck, 115200);
    send_words(b, now, FPY_ROM_MEM_END, (uint32_t[]){0, 0x3FFB0000}, 2);
    size_t n = drain(b, now + 10 * MS, out, sizeof out);
    assert_true(n > 3 * 14);
    uint8_t want[14];
    fpy_test_unhex("C0 01 06 04 00 00000000 01 06 00 00 C0", want, sizeof want);
    assert_memory_equal(out + 28, want, 14);
    assert_non_null(strstr((const char *)out + 42, "cannot run Xtensa code"));
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_flash_end_reboots_or_runs_user_code(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    /* FLASH_END(0): the reply, then the ROM again (straps latched), rst 0x3 */
    send_words(b, now, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0, 0, 0x400, 0}, 4);
    send_words(b, now, FPY_ROM_FLASH_END, (uint32_t[]){0}, 1);
    size_t n = drain(b, now + 10 * MS, out, sizeof out);
    const char *want = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x3 (SW_RESET),boot:0x3 "
                       "(DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";
    assert_int_equal(n, 28 + strlen(want));
    assert_memory_equal(out + 28, want, strlen(want));
    /* FLASH_END(1) (esptool's --after soft-reset): the boot from flash */
    send_sync(b, now + 20 * MS, 115200);
    send_words(b, now + 20 * MS, FPY_ROM_SPI_ATTACH, (uint32_t[]){0, 0}, 2); /* a new ROM */
    send_words(b, now + 20 * MS, FPY_ROM_FLASH_BEGIN, (uint32_t[]){0, 0, 0x400, 0}, 4);
    send_words(b, now + 20 * MS, FPY_ROM_FLASH_END, (uint32_t[]){1}, 1);
    n = drain(b, now + 1000 * MS, out, sizeof out);
    assert_true(n > 8 * 14 + 42);
    uint8_t end_ok[14];
    fpy_test_unhex("C0 01 04 04 00 00000000 00 00 00 00 C0", end_ok, sizeof end_ok);
    assert_memory_equal(out + 8 * 14 + 28, end_ok, 14);
    const char *s = (const char *)out + 8 * 14 + 42;
    assert_null(strstr(s, "ets Jun"));
    assert_non_null(strstr(s, "fipy boot: nothing to boot"));
    fpy_vboard_status st;
    fpy_vboard_get_status(b, &st);
    assert_string_equal(st.mode, "halted");
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_the_first_sync_sets_the_rate(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    drain(b, 90 * MS, out, sizeof out);
    fpy_vboard_jumper(b, 1);
    fpy_vboard_reset(b, 100 * MS);
    drain(b, 100 * MS, out, sizeof out);
    send_sync(b, 200 * MS, 9600); /* autobaud */
    expect_8_syncs(out, drain(b, 200 * MS, out, sizeof out));
    assert_int_equal(fpy_vboard_baud(b), 9600);
    send_sync(b, 300 * MS, 115200); /* locked now: lost */
    assert_int_equal(drain(b, 300 * MS, out, sizeof out), 0);
    fpy_vboard_close(b);
    tmp_free(&t);
}

/* ---- the eFuses --------------------------------------------------------- */

#define EF(off) (0x3FF5A000u + (off))

/* READ_REG addr over the ROM loader: the reply's value. */
static uint32_t rom_read(fpy_vboard *b, uint64_t now, uint32_t addr)
{
    static uint8_t out[512], frame[64];
    send_words(b, now, FPY_ROM_READ_REG, &addr, 1);
    size_t n = drain(b, now + 5 * MS, out, sizeof out);
    fpy_slip_dec d;
    fpy_slip_dec_init(&d, frame, sizeof frame);
    int done = 0;
    size_t used = fpy_slip_dec_feed(&d, out, n, &done);
    assert_true(done && used <= n);
    fpy_rom_resp r;
    assert_int_equal(fpy_rom_resp_parse(d.buf, d.len, &r), FPY_OK);
    assert_int_equal(r.op, FPY_ROM_READ_REG);
    return r.value;
}

/* WRITE_REG (addr, value, mask 0xFFFFFFFF, no delay), its reply dropped. */
static void rom_write(fpy_vboard *b, uint64_t now, uint32_t addr, uint32_t v)
{
    static uint8_t out[512];
    send_words(b, now, FPY_ROM_WRITE_REG, (uint32_t[]){addr, v, 0xFFFFFFFFu, 0}, 4);
    assert_true(drain(b, now + 5 * MS, out, sizeof out) > 0);
}

/* espefuse's burn of one block (fields.py burn_words, write_efuses,
 * efuse_read): the write data, CONF 5A5A, CMD PGM, wait for CMD 0, CONF
 * 5AA5, CMD READ, wait for CMD 0. */
static uint64_t rom_burn(fpy_vboard *b, uint64_t now, unsigned blk, const uint32_t *w)
{
    unsigned wd = blk == 0 ? 0x1Cu : 0x98u + 0x20u * (blk - 1u);
    for (unsigned k = 0; k < (blk == 0 ? 7u : 8u); k++)
        rom_write(b, now += 10 * MS, EF(wd + 4u * k), w[k]);
    rom_write(b, now += 10 * MS, EF(0x118), 80);     /* DAC_CONF clock divider */
    rom_write(b, now += 10 * MS, EF(0xF8), 0xFFA0);  /* CLK sel0/sel1 */
    rom_write(b, now += 10 * MS, EF(0xFC), 0x5A5A);
    rom_write(b, now += 10 * MS, EF(0x104), 0x2);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x104)), 0);
    rom_write(b, now += 10 * MS, EF(0xFC), 0x5AA5);
    rom_write(b, now += 10 * MS, EF(0x104), 0x1);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x104)), 0);
    return now;
}

static void test_efuses_burnt_over_write_reg_persist(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    /* a fresh board: the D0WDQ6 rev 1 words and a MAC with its CRC */
    uint32_t w1 = rom_read(b, now, EF(4)), w2 = rom_read(b, now += 10 * MS, EF(8));
    const uint8_t mac[6] = {(uint8_t)(w2 >> 8), (uint8_t)w2, (uint8_t)(w1 >> 24),
                            (uint8_t)(w1 >> 16), (uint8_t)(w1 >> 8), (uint8_t)w1};
    assert_int_equal(mac[0], 0x24);
    assert_int_equal((w2 >> 16) & 0xFF, fpy_efuse_mac_crc(mac));
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0xC)), 0x0000A000u);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x18)), 0);
    /* JTAG_DISABLE and DISABLE_DL_ENCRYPT, then write-protect them */
    uint32_t blk0[7] = {0, 0, 0, 0, 0, 0, (1u << 6) | (1u << 7)};
    now = rom_burn(b, now, 0, blk0);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x18)), 0xC0u);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x1C + 24)), 0); /* write data cleared */
    blk0[6] = 0;
    blk0[0] = 1u << 14; /* WR_DIS: JTAG_DISABLE */
    now = rom_burn(b, now, 0, blk0);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0)), 1u << 14);
    fpy_vboard_close(b);

    /* reopened: the fuses are the file's, the MAC unchanged */
    b = board_open(t.path);
    now = to_download(b, out, sizeof out);
    assert_int_equal(rom_read(b, now, EF(0x18)), 0xC0u);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(4)), w1);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(8)), w2);
    const fpy_efuse *e = fpy_vboard_efuse(b);
    uint32_t v;
    assert_int_equal(fpy_efuse_get(e, FPY_EFUSE_JTAG_DISABLE, &v), FPY_OK);
    assert_int_equal(v, 1);
    /* one way: zeros burn nothing away; the other DL bits still burn */
    uint32_t zero[7] = {0};
    now = rom_burn(b, now, 0, zero);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x18)), 0xC0u);
    uint32_t dl[7] = {0, 0, 0, 0, 0, 0, 1u << 8};
    now = rom_burn(b, now, 0, dl);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x18)), 0x1C0u);
    fpy_vboard_close(b);
    /* the file is espefuse's: 288 bytes, word 6 at offset 288 - 28 */
    char ef[128];
    uint8_t f[400];
    snprintf(ef, sizeof ef, "%s.efuse", t.path);
    FILE *fp = fopen(ef, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(f, 1, sizeof f, fp), 288);
    fclose(fp);
    static const uint8_t w6[4] = {0x00, 0x00, 0x01, 0xC0};
    assert_memory_equal(f + 288 - 28, w6, 4);
    tmp_free(&t);
}

static void test_efuse_write_protection_and_read_protection_over_the_rom(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    fpy_vboard *b = board_open(t.path);
    static uint8_t out[8192];
    uint64_t now = to_download(b, out, sizeof out);
    /* a key in BLOCK1, readable until RD_DIS bit 0 is burnt */
    uint32_t key[8];
    for (unsigned k = 0; k < 8; k++)
        key[k] = 0x11111111u * (k + 1u);
    now = rom_burn(b, now, 1, key);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x38 + 12)), key[3]);
    uint32_t prot[7] = {(1u << 16) | (1u << 7) | (1u << 14)}; /* RD_DIS 0, WR_DIS 7, 14 */
    now = rom_burn(b, now, 0, prot);
    for (unsigned k = 0; k < 8; k++)
        assert_int_equal(rom_read(b, now += 10 * MS, EF(0x38 + 4 * k)), 0);
    /* the key hardware still has it, in the key file's order */
    uint8_t got[32];
    assert_int_equal(fpy_efuse_get_key(fpy_vboard_efuse(b), 1, got), FPY_OK);
    assert_int_equal(got[0], 0x88);
    assert_int_equal(got[31], 0x11);
    /* write-protected: JTAG_DISABLE and BLOCK1 take no more bits */
    uint32_t jtag[7] = {0, 0, 0, 0, 0, 0, 1u << 6};
    now = rom_burn(b, now, 0, jtag);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x18)), 0);
    uint32_t more[8] = {0xFFFFFFFFu};
    now = rom_burn(b, now, 1, more);
    assert_int_equal(fpy_efuse_get_key(fpy_vboard_efuse(b), 1, got), FPY_OK);
    assert_int_equal(got[31], 0x11);
    /* the firmware's burns: refused as a whole when protected */
    fpy_efuse want;
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn(&want, FPY_EFUSE_JTAG_DISABLE, 1, NULL), FPY_OK);
    assert_int_equal(fpy_efuse_burn_secure_version(&want, 2, NULL), FPY_OK);
    assert_int_equal(fpy_vboard_efuse_burn(b, &want), FPY_ERR_STATE);
    assert_int_equal(fpy_efuse_secure_version(fpy_vboard_efuse(b)), 0);
    memset(&want, 0, sizeof want);
    assert_int_equal(fpy_efuse_burn_secure_version(&want, 2, NULL), FPY_OK);
    assert_int_equal(fpy_vboard_efuse_burn(b, &want), FPY_OK);
    assert_int_equal(rom_read(b, now += 10 * MS, EF(0x78 + 16)), 0x3);
    assert_null(fpy_vboard_efuse_error(b));
    fpy_vboard_close(b);
    b = board_open(t.path);
    assert_int_equal(fpy_efuse_secure_version(fpy_vboard_efuse(b)), 2);
    fpy_vboard_close(b);
    tmp_free(&t);
}

static void test_a_damaged_efuse_file_is_refused_and_kept(void **state)
{
    (void)state;
    tmpf t;
    tmp_new(&t);
    char ef[128], err[300] = "";
    snprintf(ef, sizeof ef, "%s.efuse", t.path);
    FILE *fp = fopen(ef, "wb");
    assert_non_null(fp);
    fputs("short", fp);
    fclose(fp);
    fpy_vboard_cfg cfg = {t.path, 0};
    assert_null(fpy_vboard_open(&cfg, err, sizeof err));
    assert_non_null(strstr(err, ".efuse: 5 bytes"));
    assert_non_null(strstr(err, "288"));
    struct stat st;
    assert_int_equal(stat(ef, &st), 0);
    assert_int_equal(st.st_size, 5);
    tmp_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_flash_boots_nothing_and_says_why),
        cmocka_unit_test(test_jumper_and_reset_give_the_rom_banner_exactly),
        cmocka_unit_test(test_esptool_classic_reset_enters_download_and_hard_reset_boots),
        cmocka_unit_test(test_installed_vm_boots_from_slot_0_and_says_who_it_is),
        cmocka_unit_test(test_power_cut_after_n_keeps_what_was_done),
        cmocka_unit_test(test_flash_persists_and_the_file_is_locked),
        cmocka_unit_test(test_a_file_of_the_wrong_size_is_refused),
        cmocka_unit_test(test_change_baudrate_then_old_rate_is_garbled),
        cmocka_unit_test(test_a_ram_program_gets_a_line_and_a_reply_on_the_uart),
        cmocka_unit_test(test_flash_end_reboots_or_runs_user_code),
        cmocka_unit_test(test_the_first_sync_sets_the_rate),
        cmocka_unit_test(test_efuses_burnt_over_write_reg_persist),
        cmocka_unit_test(test_efuse_write_protection_and_read_protection_over_the_rom),
        cmocka_unit_test(test_a_damaged_efuse_file_is_refused_and_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
