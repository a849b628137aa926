/*
 * The virtual FiPy: see sim/vboard.h.  This file holds the flash file,
 * the UART (SLIP in, a queue of timed outputs) and the physical side
 * (auto-reset circuit, jumper, button, power); vboard_boot.c what runs
 * once the straps are sampled.
 */
#include "vboard_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the output queue -------------------------------------------------- */

static fpy_vb_chunk *fpy_vb_push(fpy_vboard *b, size_t n, uint32_t busy_us)
{
    fpy_vb_chunk *c = malloc(sizeof *c + n);
    if (c == NULL)
        return NULL;
    uint64_t start = b->tail_ready > b->now ? b->tail_ready : b->now;
    *c = (fpy_vb_chunk){NULL, start + busy_us, 0, n, 0};
    b->tail_ready = c->ready;
    if (b->tail != NULL)
        b->tail->next = c;
    else
        b->head = c;
    b->tail = c;
    return c;
}

void fpy_vb_queue(fpy_vboard *b, const uint8_t *data, size_t n, uint32_t busy_us)
{
    fpy_vb_chunk *c = fpy_vb_push(b, n, busy_us);
    if (c != NULL && n > 0)
        memcpy(c->data, data, n);
}

void fpy_vb_line(fpy_vboard *b, uint32_t busy_us, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 3;
    line[len++] = '\r';
    line[len++] = '\n';
    fpy_vb_queue(b, (const uint8_t *)line, len, busy_us);
}

static void fpy_vb_free_from(fpy_vb_chunk *c)
{
    while (c != NULL) {
        fpy_vb_chunk *n = c->next;
        free(c);
        c = n;
    }
}

/* The chip stops (reset, power): what is not on its way yet is lost; what
 * was ready is already in the USB bridge and still arrives. */
void fpy_vb_drop_pending(fpy_vboard *b)
{
    fpy_vb_chunk **p = &b->head;
    while (*p != NULL && (*p)->ready <= b->now)
        p = &(*p)->next;
    fpy_vb_free_from(*p);
    *p = NULL;
    b->tail = NULL;
    for (fpy_vb_chunk *c = b->head; c != NULL; c = c->next)
        b->tail = c;
    b->tail_ready = b->tail != NULL ? b->tail->ready : 0;
}

/* Drop what was queued after `mark` (NULL: everything). */
static void fpy_vb_drop_after(fpy_vboard *b, fpy_vb_chunk *mark)
{
    if (mark == NULL) {
        fpy_vb_free_from(b->head);
        b->head = b->tail = NULL;
        b->tail_ready = 0;
        return;
    }
    fpy_vb_free_from(mark->next);
    mark->next = NULL;
    b->tail = mark;
    b->tail_ready = mark->ready;
}

/* ---- what the loader engines give back (sim/devout.h) ------------------ */

static void fpy_vb_out_send(void *ctx, const uint8_t *pkt, size_t n, uint32_t busy_us)
{
    fpy_vboard *b = ctx;
    size_t need = fpy_slip_enc_size(pkt, n);
    fpy_vb_chunk *c = fpy_vb_push(b, need, busy_us);
    if (c != NULL)
        c->len = fpy_slip_encode(c->data, need, pkt, n);
}

static void fpy_vb_out_baud(void *ctx, uint32_t baud)
{
    fpy_vboard *b = ctx;
    fpy_vb_chunk *c = fpy_vb_push(b, 0, 0);
    if (c != NULL)
        c->baud = baud;
}

static void fpy_vb_out_console(void *ctx, const char *line)
{
    fpy_vb_line(ctx, 0, "%s", line);
}

/* The stub's view of the board (sim/stubdev.h): the ROM engine's register
 * map (kept alive under the stub), a reset when it leaves, the flash's
 * timing. */
static uint32_t fpy_vb_hook_read(void *ctx, uint32_t addr)
{
    fpy_vboard *b = ctx;
    return b->rom != NULL ? fpy_romdev_read_reg(b->rom, addr) : 0;
}

static void fpy_vb_hook_write(void *ctx, uint32_t addr, uint32_t value)
{
    fpy_vboard *b = ctx;
    if (b->rom != NULL)
        fpy_romdev_write_reg(b->rom, addr, value);
}

static void fpy_vb_hook_reboot(void *ctx)
{
    ((fpy_vboard *)ctx)->stub_left = 1; /* acted on once the frame returns */
}

void fpy_vb_stop_engines(fpy_vboard *b)
{
    b->ul_live = 0;
    fpy_romdev_free(b->rom);
    b->rom = NULL;
    fpy_stubdev_free(b->stub);
    b->stub = NULL;
}

/* ---- the flash file ---------------------------------------------------- */

/* The eFuses beside the flash, FLASH.efuse (the flash file's lock covers
 * it); a board from before they were kept gets fresh ones with the MAC it
 * had (fpy_vb_mac). */
static int fpy_vb_efuse_open(fpy_vboard *b, const char *flash_path, char *err, size_t errlen)
{
    char path[FPY_EFUSESIM_PATH_MAX];
    b->efuse = malloc(sizeof *b->efuse);
    if (b->efuse == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((size_t)snprintf(path, sizeof path, "%s.efuse", flash_path) >= sizeof path) {
        snprintf(err, errlen, "flash file %s: path too long", flash_path);
        return -1;
    }
    return fpy_efusesim_open(b->efuse, path, b->mac, err, errlen);
}

/* The last 3 MAC bytes: FNV-1a of the flash file's path, made absolute
 * with the working directory when relative (not otherwise normalised), so
 * a board keeps its MAC across runs and two files give two boards. */
static uint32_t fpy_vb_fnv(uint32_t h, const char *p)
{
    for (; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

static void fpy_vb_mac(fpy_vboard *b, const char *path)
{
    char cwd[PATH_MAX];
    uint32_t h = 2166136261u;
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
        h = fpy_vb_fnv(fpy_vb_fnv(h, cwd), "/");
    h = fpy_vb_fnv(h, path);
    const uint8_t mac[6] = {0x24, 0x0A, 0xC4, (uint8_t)(h >> 16), (uint8_t)(h >> 8),
                            (uint8_t)h};
    memcpy(b->mac, mac, sizeof mac);
}

static int fpy_vb_map(fpy_vboard *b, const char *path, char *err, size_t errlen)
{
    const size_t size = FPY_FLASH_SIZE_8M;
    b->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (b->fd < 0) {
        snprintf(err, errlen, "flash file %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (flock(b->fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "flash file %s: %s", path,
                 errno == EWOULDBLOCK ? "in use by another virtual board (locked)"
                                      : strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(b->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "flash file %s: not a regular file", path);
        return -1;
    }
    int fresh = st.st_size == 0;
    if (!fresh && (uint64_t)st.st_size != size) {
        snprintf(err, errlen, "flash file %s: %lld bytes, but the FiPy's flash is 8 MiB "
                              "(%zu bytes); nothing was changed", path,
                 (long long)st.st_size, size);
        return -1;
    }
    if (fresh && ftruncate(b->fd, (off_t)size) != 0) {
        snprintf(err, errlen, "flash file %s: cannot size it: %s", path, strerror(errno));
        return -1;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "flash file %s: cannot map it: %s", path, strerror(errno));
        return -1;
    }
    b->mem = m;
    if (fresh)
        memset(b->mem, 0xFF, size); /* a new chip is erased */
    return 0;
}

fpy_vboard *fpy_vboard_open(const fpy_vboard_cfg *cfg, char *err, size_t errlen)
{
    fpy_vboard *b = calloc(1, sizeof *b);
    uint8_t *rx = malloc(FPY_VB_RXCAP);
    fpy_uplink *ul = malloc(sizeof *ul);
    if (b == NULL || rx == NULL || ul == NULL) {
        snprintf(err, errlen, "out of memory");
        free(b);
        free(rx);
        free(ul);
        return NULL;
    }
    b->ul = ul;
    b->fd = -1;
    b->rxbuf = rx;
    if (cfg == NULL || cfg->flash_path == NULL) {
        snprintf(err, errlen, "no flash file given");
        fpy_vboard_close(b);
        return NULL;
    }
    if (fpy_vb_map(b, cfg->flash_path, err, errlen) != 0) {
        fpy_vboard_close(b);
        return NULL;
    }
    fpy_flash_geometry geo = FPY_FLASH_GEOMETRY_FIPY();
    if (fpy_flashsim_init(&b->sim, &geo, b->mem, NULL, NULL) != FPY_OK) {
        snprintf(err, errlen, "flash file %s: bad geometry", cfg->flash_path);
        fpy_vboard_close(b);
        return NULL;
    }
    b->sim.mode = FPY_FLASHSIM_NOR; /* the chip's rule: the ROM reads back */
    fpy_flashsim_bind(&b->sim, &b->flash);
    b->fw = &b->flash; /* until a start decides (vboard_sec.c) */
    fpy_simsys_init(&b->ss, &b->sys);
    fpy_vb_mac(b, cfg->flash_path);
    if (fpy_vb_efuse_open(b, cfg->flash_path, err, errlen) != 0) {
        fpy_vboard_close(b);
        return NULL;
    }
    b->ble = cfg->ble;
    b->out = (fpy_devout){b, fpy_vb_out_send, fpy_vb_out_baud, fpy_vb_out_console};
    b->hooks = (fpy_stubdev_hooks){b, fpy_vb_hook_read, fpy_vb_hook_write, fpy_vb_hook_reboot,
                                   &b->sim};
    b->strap_at = UINT64_MAX;
    b->vm_slot = b->bc_slot = b->test_mode = -1;
    b->powered = 1;
    fpy_vb_start(b, FPY_VB_RST_POWERON, b->jumper);
    return b;
}

void fpy_vboard_close(fpy_vboard *b)
{
    if (b == NULL)
        return;
    fpy_vb_stop_engines(b);
    fpy_vb_drop_after(b, NULL);
    if (b->mem != NULL) {
        msync(b->mem, FPY_FLASH_SIZE_8M, MS_SYNC);
        munmap(b->mem, FPY_FLASH_SIZE_8M);
    }
    if (b->fd >= 0)
        close(b->fd); /* releases the lock */
    free(b->rxbuf);
    free(b->ul);
    free(b->efuse);
    free(b);
}

/* ---- time -------------------------------------------------------------- */

/* Move the clock to now, sampling the straps on the way if EN rose. */
static void fpy_vb_time(fpy_vboard *b, uint64_t now)
{
    if (b->strap_at != UINT64_MAX && b->strap_at <= now) {
        uint64_t later = now > b->now ? now : b->now;
        b->now = b->strap_at > b->now ? b->strap_at : b->now;
        b->strap_at = UINT64_MAX;
        int io0_low = b->jumper || (b->dtr && !b->rts);
        fpy_vb_start(b, b->strap_rst, io0_low);
        b->now = later;
    }
    if (now > b->now)
        b->now = now;
}

void fpy_vboard_advance(fpy_vboard *b, uint64_t now_us)
{
    fpy_vb_time(b, now_us);
}

uint64_t fpy_vboard_next_event(const fpy_vboard *b)
{
    uint64_t t = b->strap_at;
    if (b->head != NULL && b->head->ready < t)
        t = b->head->ready;
    return t;
}

uint32_t fpy_vboard_baud(const fpy_vboard *b)
{
    return b->baud;
}

/* ---- the UART ------------------------------------------------------------ */

size_t fpy_vboard_tx(fpy_vboard *b, uint64_t now_us, uint8_t *out, size_t cap)
{
    fpy_vb_time(b, now_us);
    size_t got = 0;
    while (b->head != NULL && b->head->ready <= b->now && got < cap) {
        fpy_vb_chunk *c = b->head;
        size_t n = c->len - c->off < cap - got ? c->len - c->off : cap - got;
        memcpy(out + got, c->data + c->off, n);
        got += n;
        c->off += n;
        if (c->off < c->len)
            break;
        if (c->baud != 0) { /* everything before has gone out at the old rate */
            b->baud = c->baud;
            if (b->rom != NULL)
                fpy_romdev_set_baud(b->rom, c->baud);
        }
        b->head = c->next;
        if (b->head == NULL)
            b->tail = NULL;
        free(c);
    }
    return got;
}

/* The VM reads its UART for the uplink: it has started (its boot log is
 * out) and the window or a session is open. */
static int fpy_vb_uplink_listens(fpy_vboard *b)
{
    return b->mode == FPY_VB_RUNNING && b->ul_live && b->now >= b->vm_at &&
           fpy_uplink_poll(b->ul, b->now / 1000u);
}

/* A rate within 3 % of the board's is read correctly (UART tolerance). */
static int fpy_vb_baud_ok(uint32_t board, uint32_t sender)
{
    uint64_t diff = board > sender ? board - sender : sender - board;
    return diff * 100u <= (uint64_t)board * 3u;
}

static void fpy_vb_frame(fpy_vboard *b, const uint8_t *f, size_t n)
{
    fpy_vb_chunk *mark = b->tail;
    if (b->mode == FPY_VB_STUB) {
        b->stub_left = 0;
        fpy_stubdev_frame(b->stub, f, n);
        if (b->stub_left && !fpy_flashsim_fault_fired(&b->sim)) /* the chip resets */
            fpy_vb_start(b, FPY_VB_RST_SW, b->jumper || (b->dtr && !b->rts));
    } else if (b->mode == FPY_VB_RUNNING) {
        fpy_vb_uplink_frame(b, f, n);
    } else {
        b->baud_locked = 1;
        fpy_romdev_event ev = fpy_romdev_frame(b->rom, f, n);
        if (!fpy_flashsim_fault_fired(&b->sim)) {
            if (ev == FPY_ROMDEV_STUB) {
                b->stub = fpy_stubdev_start(&b->flash, &b->out, fpy_romdev_stub(b->rom),
                                            &b->hooks);
                if (b->stub != NULL)
                    b->mode = FPY_VB_STUB;
                else
                    fpy_vb_line(b, 0, "the flasher stub (esptool %s) could not be started",
                                fpy_romdev_stub(b->rom));
            } else if (ev == FPY_ROMDEV_REBOOT) {
                fpy_vb_start(b, FPY_VB_RST_SW, 1); /* straps latched: download again */
            } else if (ev == FPY_ROMDEV_RUN) {
                fpy_vb_stop_engines(b);
                fpy_vb_boot_flash(b);
            }
        }
    }
    if (fpy_flashsim_fault_fired(&b->sim)) {
        fpy_vb_drop_after(b, mark); /* the cut came before this frame's reply */
        fpy_vb_power_lost(b);
    }
}

void fpy_vboard_rx(fpy_vboard *b, uint64_t now_us, const uint8_t *in, size_t n,
                   uint32_t sender_baud)
{
    fpy_vb_time(b, now_us);
    if (b->mode != FPY_VB_DOWNLOAD && b->mode != FPY_VB_STUB && !fpy_vb_uplink_listens(b))
        return; /* off, in reset, or the VM past its uplink window (the
                   stand-in VM reads no console input) */
    if (!fpy_vb_baud_ok(b->baud, sender_baud)) {
        if (b->mode == FPY_VB_DOWNLOAD && !b->baud_locked && sender_baud != 0) {
            /* the ROM measures the first SYNC's rate (autobaud) */
            b->baud = sender_baud;
            fpy_romdev_set_baud(b->rom, sender_baud);
        } else {
            /* framing errors: the bytes are lost, and so is the frame
             * they fell into */
            fpy_slip_dec_init(&b->dec, b->rxbuf, FPY_VB_RXCAP);
            return;
        }
    }
    size_t off = 0;
    while (off < n && (b->mode == FPY_VB_DOWNLOAD || b->mode == FPY_VB_STUB ||
                       fpy_vb_uplink_listens(b))) {
        int done;
        off += fpy_slip_dec_feed(&b->dec, in + off, n - off, &done);
        if (done)
            fpy_vb_frame(b, b->dec.buf, b->dec.len);
    }
}

/* ---- the physical side ------------------------------------------------- */

/* EN pulled low: the chip stops; released: the straps are sampled
 * FPY_VB_STRAP_DELAY_US later (the EN capacitor). */
static void fpy_vb_en(fpy_vboard *b, int low)
{
    if (low && !b->en_held) {
        b->en_held = 1;
        b->strap_at = UINT64_MAX;
        fpy_vb_stop_engines(b);
        fpy_vb_drop_pending(b);
        b->mode = FPY_VB_RESET;
    } else if (!low && b->en_held) {
        b->en_held = 0;
        b->strap_at = b->now + FPY_VB_STRAP_DELAY_US;
        b->strap_rst = FPY_VB_RST_POWERON; /* an EN reset reads as power-on */
    }
}

void fpy_vboard_lines(fpy_vboard *b, uint64_t now_us, int dtr, int rts)
{
    fpy_vb_time(b, now_us);
    b->dtr = dtr != 0;
    b->rts = rts != 0;
    if (b->powered)
        fpy_vb_en(b, b->rts && !b->dtr);
}

void fpy_vboard_jumper(fpy_vboard *b, int on)
{
    b->jumper = on != 0;
}

void fpy_vboard_reset(fpy_vboard *b, uint64_t now_us)
{
    fpy_vb_time(b, now_us);
    if (!b->powered && b->cut) {
        fpy_vboard_power(b, now_us, 1); /* brings the cut board back */
        return;
    }
    if (!b->powered || b->en_held)
        return; /* no power, or EN held low by the lines anyway */
    fpy_vb_stop_engines(b);
    fpy_vb_drop_pending(b);
    b->strap_at = UINT64_MAX;
    fpy_vb_start(b, FPY_VB_RST_POWERON, b->jumper || (b->dtr && !b->rts));
}

void fpy_vboard_power(fpy_vboard *b, uint64_t now_us, int on)
{
    fpy_vb_time(b, now_us);
    if (!on) {
        if (b->powered) {
            fpy_vb_stop_engines(b);
            fpy_vb_drop_pending(b);
        }
        b->powered = 0;
        b->cut = 0;
        b->mode = FPY_VB_OFF;
        b->strap_at = UINT64_MAX;
        return;
    }
    if (b->powered)
        return;
    fpy_flashsim_reboot(&b->sim);
    b->powered = 1;
    b->cut = 0;
    b->en_held = 0;
    if (b->rts && !b->dtr) { /* the lines hold EN low: it starts on release */
        fpy_vb_en(b, 1);
        return;
    }
    fpy_vb_start(b, FPY_VB_RST_POWERON, b->jumper || (b->dtr && !b->rts));
}

void fpy_vboard_power_cut_after(fpy_vboard *b, uint32_t n)
{
    fpy_flashsim_arm(&b->sim, n == 0 ? FPY_FAULT_NONE : FPY_FAULT_CUT, n);
}

const fpy_efuse *fpy_vboard_efuse(const fpy_vboard *b)
{
    return &b->efuse->fuses;
}

int fpy_vboard_efuse_burn(fpy_vboard *b, const fpy_efuse *burnt)
{
    return fpy_efusesim_burn(b->efuse, burnt, NULL);
}

const char *fpy_vboard_efuse_error(const fpy_vboard *b)
{
    return b->efuse->save_rc != FPY_OK ? b->efuse->msg : NULL;
}

void fpy_vboard_get_status(const fpy_vboard *b, fpy_vboard_status *st)
{
    static const char *const modes[] = {
        [FPY_VB_OFF] = "off",         [FPY_VB_RESET] = "booting",
        [FPY_VB_DOWNLOAD] = "download", [FPY_VB_STUB] = "stub",
        [FPY_VB_RUNNING] = "running", [FPY_VB_HALTED] = "halted",
    };
    *st = (fpy_vboard_status){0};
    st->mode = modes[b->mode];
    st->baud = b->baud;
    st->jumper = b->jumper;
    st->powered = b->powered;
    st->vm_slot = b->vm_slot;
    st->bc_slot = b->bc_slot;
    st->test_mode = b->test_mode;
    st->reset_reason = b->reset_reason;
    st->uplink = b->mode == FPY_VB_RUNNING && b->ul_live && b->ul->state != FPY_UPLINK_CLOSED_ST &&
                 b->now < fpy_uplink_deadline(b->ul) * 1000u;
    st->bc_size = b->bc_size;
    memcpy(st->bc_sha256, b->bc_sha, sizeof st->bc_sha256);
    st->flash_reads = b->sim.stats.reads;
    st->flash_programs = b->sim.stats.programs;
    st->flash_erases = b->sim.stats.erases;
}
