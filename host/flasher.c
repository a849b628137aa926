/*
 * The flasher's session: input checks, connect (reset, sync, detect,
 * attach, baud), events.  The write path is in flasher_write.c, read /
 * verify / erase in flasher_ops.c.
 */
#include "flasher_int.h"
#include "fipy/uplink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/err.h"

void fpy_fl_event(fpy_flasher *f, const char *stage, const char *name, uint32_t addr,
                  uint64_t done, uint64_t total, const char *code, const char *msg)
{
    if (f->o.event == NULL)
        return;
    fpy_flasher_event e = {stage, name, addr, done, total, f->retries, code, msg};
    f->o.event(f->o.event_ctx, &e);
}

int fpy_fl_fail(fpy_flasher *f, int rc, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    f->code = code;
    fpy_fl_event(f, "error", NULL, 0, 0, 0, code, f->msg);
    return rc;
}

/* The code for a failed romclient call. */
const char *fpy_fl_code(const fpy_flasher *f, int rc)
{
    if (rc == FPY_ERR_IO && f->rc.rom_error < 0)
        return FPY_FLC_LINK;
    if (rc == FPY_ERR_TIMEOUT)
        return FPY_FLC_TIMEOUT;
    if (f->rc.rom_error >= 0)
        return FPY_FLC_ROM;
    return FPY_FLC_PROTOCOL;
}

int fpy_fl_rom_fail(fpy_flasher *f, int rc, const char *what)
{
    return fpy_fl_fail(f, rc, fpy_fl_code(f, rc), "%s: %s", what,
                       f->rc.msg[0] ? f->rc.msg : fpy_strerror(rc));
}

int fpy_fl_stopped(const fpy_flasher *f)
{
    return f->o.stop != NULL && *f->o.stop != 0;
}

static int fpy_fl_cmp_addr(const void *a, const void *b)
{
    const fpy_flash_region *x = *(const fpy_flash_region *const *)a;
    const fpy_flash_region *y = *(const fpy_flash_region *const *)b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int fpy_fl_check_one(const fpy_flash_region *r, uint32_t flash_size, char *msg,
                            size_t msglen)
{
    if (r->len == 0) {
        snprintf(msg, msglen, "%s is empty: nothing to write at 0x%x", r->name,
                 (unsigned)r->addr);
        return FPY_ERR_INVAL;
    }
    if (r->addr % FPY_FLASHER_SECTOR != 0) {
        snprintf(msg, msglen,
                 "%s: address 0x%x is not a multiple of 4 KiB (0x1000): the ROM erases whole "
                 "sectors, so the flasher writes only from a sector's start",
                 r->name, (unsigned)r->addr);
        return FPY_ERR_ALIGN;
    }
    if (r->addr >= flash_size || r->len > flash_size - r->addr) {
        snprintf(msg, msglen, "%s: %zu bytes at 0x%x do not fit the %u MiB flash (it ends at 0x%x)",
                 r->name, r->len, (unsigned)r->addr, (unsigned)(flash_size >> 20),
                 (unsigned)flash_size);
        return FPY_ERR_RANGE;
    }
    return FPY_OK;
}

int fpy_flasher_check(const fpy_flash_region *r, size_t n, uint32_t flash_size, char *msg,
                      size_t msglen)
{
    for (size_t i = 0; i < n; i++)
        FPY_TRY(fpy_fl_check_one(&r[i], flash_size, msg, msglen));
    const fpy_flash_region **s = malloc((n ? n : 1) * sizeof *s);
    if (s == NULL) {
        snprintf(msg, msglen, "out of memory");
        return FPY_ERR_NOSPC;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = &r[i];
    qsort(s, n, sizeof *s, fpy_fl_cmp_addr);
    int rc = FPY_OK;
    for (size_t i = 1; i < n && rc == FPY_OK; i++) {
        uint64_t end = (uint64_t)s[i - 1]->addr + fpy_fl_padded(s[i - 1]->len);
        if (s[i]->addr < end) {
            snprintf(msg, msglen,
                     "%s at 0x%x overlaps %s at 0x%x..0x%llx (sectors are erased whole)",
                     s[i]->name, (unsigned)s[i]->addr, s[i - 1]->name, (unsigned)s[i - 1]->addr,
                     (unsigned long long)end);
            rc = FPY_ERR_INVAL;
        }
    }
    free(s);
    return rc;
}

uint32_t fpy_fl_padded(size_t len)
{
    return (uint32_t)((len + FPY_FLASHER_SECTOR - 1) & ~(size_t)(FPY_FLASHER_SECTOR - 1));
}

/*
 * A ROM loader left at another rate: a session that changed the baud and
 * then could not reset the chip (no modem lines: a pty, a socket, a Pycom
 * expansion board) or was cut short (Ctrl-C, a lost link) leaves the ROM
 * listening at that rate until the next reset.  Try the rates fipytool and
 * esptool switch to before asking the user for a reset; SYNC at a wrong
 * rate is only garbage to the ROM, which it drops.
 */
static int fpy_fl_sync_other_rates(fpy_flasher *f)
{
    static const uint32_t rates[] = {921600, 460800, 230400, 1500000, 2000000};
    uint32_t home = f->rc.baud;
    if (f->rc.link.ops->set_baud == NULL)
        return FPY_ERR_UNSUPPORTED;
    for (size_t i = 0; i < sizeof rates / sizeof rates[0] && !fpy_fl_stopped(f); i++) {
        if (rates[i] == home || f->rc.link.ops->set_baud(f->rc.link.ctx, rates[i]) != FPY_OK)
            continue;
        f->rc.baud = rates[i];
        if (fpy_romc_sync(&f->rc, 1) == FPY_OK) {
            fpy_fl_event(f, "note", NULL, rates[i], 0, 0, NULL,
                         "the ROM loader was left at another baud rate by an earlier session");
            return FPY_OK;
        }
    }
    f->rc.baud = home;
    (void)f->rc.link.ops->set_baud(f->rc.link.ctx, home);
    return FPY_ERR_TIMEOUT;
}

/* Reset into download mode and sync; without modem lines, the user does
 * the reset (Pycom expansion boards have no auto-reset circuit). */
/* A SYNC answered by the ROM loader, not by a running VM's uplink window
 * (docs/formats/uplink.md): a reset that did not reach download mode
 * leaves the VM listening, and its SYNC reply says so by its value. */
static int fpy_fl_sync(fpy_flasher *f, unsigned attempts)
{
    int rc = fpy_romc_sync(&f->rc, attempts);
    if (rc != FPY_OK || f->rc.sync_value != FPY_UPLINK_SYNC_VALUE)
        return rc;
    if (!f->vm_noted)
        fpy_fl_event(f, "note", NULL, 0, 0, 0, NULL,
                     "the VM answered (its uplink window): the board runs, not in download "
                     "mode");
    f->vm_noted = 1;
    return FPY_ERR_STATE;
}

static int fpy_fl_enter(fpy_flasher *f)
{
    int rc = FPY_ERR_UNSUPPORTED;
    if (!f->o.no_reset) {
        static const uint32_t hold_ms[] = {50, 550, 550};
        for (size_t attempt = 0; attempt < sizeof hold_ms / sizeof hold_ms[0]; attempt++) {
            rc = fpy_romc_reset_download(&f->rc, hold_ms[attempt]);
            if (rc != FPY_OK)
                break;
            fpy_fl_event(f, "reset", NULL, 0, 0, 0, NULL, "DTR/RTS reset into download mode");
            if (fpy_fl_sync(f, 5) == FPY_OK)
                return FPY_OK;
        }
    }
    if (fpy_fl_sync(f, 3) == FPY_OK || fpy_fl_sync_other_rates(f) == FPY_OK)
        return FPY_OK;
    if (fpy_fl_stopped(f))
        return FPY_ERR_STATE;
    if (rc == FPY_OK) /* the lines work but the chip did not answer: try by hand below */
        fpy_fl_event(f, "note", NULL, 0, 0, 0, NULL,
                     "the DTR/RTS reset did not bring up the ROM loader");
    fpy_fl_event(f, "note", NULL, 0, 0, 0, NULL,
                 "put a jumper between G23 and GND and press reset (waiting for the ROM loader)");
    unsigned wait = f->o.manual_wait_s ? f->o.manual_wait_s : 60;
    /* one SYNC attempt costs about 150 ms when nothing answers */
    for (unsigned i = 0; i < wait * 6 && !fpy_fl_stopped(f); i++) {
        rc = fpy_fl_sync(f, 1);
        if (rc == FPY_OK || rc == FPY_ERR_IO)
            return rc;
    }
    return FPY_ERR_TIMEOUT;
}

static int fpy_fl_probe(fpy_flasher *f)
{
    int rc = fpy_romc_detect(&f->rc);
    if (rc == FPY_ERR_UNSUPPORTED)
        return fpy_fl_fail(f, rc, FPY_FLC_CHIP, "%s", f->rc.msg);
    if (rc == FPY_OK)
        rc = fpy_romc_chip_info(&f->rc, &f->chip);
    if (rc != FPY_OK)
        return fpy_fl_rom_fail(f, rc, "reading the chip");
    rc = fpy_romc_spi_attach(&f->rc, &f->chip);
    if (rc == FPY_OK)
        rc = fpy_romc_flash_id(&f->rc, &f->chip.flash_id, &f->chip.flash_size);
    if (rc != FPY_OK)
        return fpy_fl_rom_fail(f, rc, "attaching the flash");
    f->flash_size = f->chip.flash_size ? f->chip.flash_size : FPY_FLASHER_FLASH_SIZE;
    if (f->flash_size > (16u << 20)) /* ROM addressing is 24-bit (§7.2) */
        f->flash_size = 16u << 20;
    rc = fpy_romc_set_params(&f->rc, f->flash_size);
    return rc == FPY_OK ? FPY_OK : fpy_fl_rom_fail(f, rc, "setting the flash parameters");
}

int fpy_flasher_connect(fpy_flasher *f, fpy_rom_link link, uint32_t baud0,
                        const fpy_flasher_opts *o)
{
    memset(f, 0, sizeof *f);
    if (o != NULL)
        f->o = *o;
    fpy_romc_init(&f->rc, link, baud0);
    f->baud0 = baud0;
    fpy_fl_event(f, "connect", NULL, 0, 0, 0, NULL, NULL);
    int rc = fpy_fl_enter(f);
    if (rc == FPY_ERR_STATE) {
        f->interrupted = 1;
        return fpy_fl_fail(f, rc, FPY_FLC_INTERRUPTED, "interrupted before the board answered");
    }
    if (rc != FPY_OK)
        return fpy_fl_fail(f, rc, rc == FPY_ERR_IO ? FPY_FLC_LINK : FPY_FLC_SYNC,
                           "no answer from the ESP32 ROM loader%s: %s",
                           rc == FPY_ERR_IO ? "" : " (is the board in download mode?)",
                           f->rc.msg[0] ? f->rc.msg : fpy_strerror(rc));
    fpy_fl_event(f, "sync", NULL, 0, 0, 0, NULL, NULL);
    FPY_TRY(fpy_fl_probe(f));
    fpy_fl_event(f, "chip", NULL, 0, 0, 0, NULL, fpy_romc_pkg_name(f->chip.pkg));
    if (f->o.baud != 0 && f->o.baud != f->rc.baud) {
        rc = fpy_romc_change_baud(&f->rc, f->o.baud);
        if (rc != FPY_OK)
            return fpy_fl_rom_fail(f, rc, "changing the baud rate");
        fpy_fl_event(f, "baud", NULL, f->o.baud, 0, 0, NULL, NULL);
    }
    return FPY_OK;
}

int fpy_flasher_leave(fpy_flasher *f, int run)
{
    if (run && !f->o.no_reset && fpy_romc_reset_run(&f->rc) == FPY_OK)
        return FPY_OK;
    if (f->rc.baud == f->baud0)
        return FPY_OK;
    /* a board that answers no SYNC (power cut, cable) is not asked more */
    FPY_TRY(fpy_romc_sync(&f->rc, 3));
    return fpy_romc_change_baud(&f->rc, f->baud0);
}
