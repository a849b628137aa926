/*
 * The virtual FiPy 1.0 (issue 14): an ESP32 with 8 MiB of NOR flash, its
 * straps (the G23-GND jumper pulls GPIO0/P2 low), its reset button and the
 * expansion board's auto-reset circuit, as a state machine over bytes and
 * time.  It owns no thread, no file descriptor and no global: a transport
 * (sim/link.h: a pty, TCP with RFC 2217, a plain socket) moves bytes and
 * modem lines in and out and advances its clock; several boards can run
 * in one process.
 *
 * After a reset with the jumper on, the board is in the ROM's download
 * mode: it prints the ROM banner at 115200 baud and speaks the serial
 * loader (sim/romdev.h; esptool's stub once uploaded, sim/stubdev.h).
 * Without it, the board boots from flash through lib/boot and prints a boot
 * log; the booted VM says who it is, listens for an uplink session for
 * 3 s (lib/uplink, docs/formats/uplink.md) and waits (the VM runtime comes
 * later).
 *
 * Its flash lives in a file that persists between runs (mapped: what the
 * board has programmed is in the file at once, also across a power cut),
 * its eFuses beside it in FLASH.efuse (sim/efusesim.h, docs/efuse.md):
 * created with the MAC the board had before they were kept, saved after
 * every burn, espefuse's virtual eFuse file.
 */
#ifndef FIPY_VBOARD_H
#define FIPY_VBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/efuse.h"

typedef struct fpy_vboard fpy_vboard;

typedef struct fpy_vboard_cfg {
    const char *flash_path; /* created blank (all 0xFF) when missing */
    int ble;                /* the BLE layout for a blank flash (--ble) */
} fpy_vboard_cfg;

/* Open a board, powered on and reset (the jumper off) at time 0.  NULL
 * with a message in err on failure (the file: not 8 MiB, unreadable,
 * locked by another board). */
fpy_vboard *fpy_vboard_open(const fpy_vboard_cfg *cfg, char *err, size_t errlen);
void fpy_vboard_close(fpy_vboard *b);

/* ---- the UART (time in microseconds, the caller's clock) ------------- */

/* Bytes arriving at the board's RX at now_us (the link model has paced
 * them already).  Bytes sent at a baud other than the board's are lost or
 * garbled, as on a real UART. */
void fpy_vboard_rx(fpy_vboard *b, uint64_t now_us, const uint8_t *in, size_t n,
                   uint32_t sender_baud);
/* Copy out what the board has transmitted by now_us; returns the count.
 * A reply becomes ready once the work before it (a flash erase, ...) is
 * done in simulated time. */
size_t fpy_vboard_tx(fpy_vboard *b, uint64_t now_us, uint8_t *out, size_t cap);
/* The time of the board's next output or internal event, or UINT64_MAX
 * when it waits for input: the transport's poll timeout. */
uint64_t fpy_vboard_next_event(const fpy_vboard *b);
/* Advance internal time (watchdog, the VM's timers) without I/O. */
void fpy_vboard_advance(fpy_vboard *b, uint64_t now_us);
/* The UART's baud rate now: 115200 after reset, then what CHANGE_BAUDRATE
 * set (the reply to it goes out at the old rate). */
uint32_t fpy_vboard_baud(const fpy_vboard *b);

/* ---- the physical side ----------------------------------------------- */

/* DTR and RTS as the host's port drives them (1 = asserted), through the
 * USB-serial board's auto-reset circuit to EN and GPIO0 (facts:
 * ../shared/docs/stub_and_rfc2217.md). */
void fpy_vboard_lines(fpy_vboard *b, uint64_t now_us, int dtr, int rts);
void fpy_vboard_jumper(fpy_vboard *b, int on);            /* G23-GND */
void fpy_vboard_reset(fpy_vboard *b, uint64_t now_us);    /* the reset button */
void fpy_vboard_power(fpy_vboard *b, uint64_t now_us, int on);
/* Cut the power after n more flash program/erase operations (0: off). */
void fpy_vboard_power_cut_after(fpy_vboard *b, uint32_t n);

/* ---- the eFuses ------------------------------------------------------ */

/* The board's eFuses as burnt (lib/efuse; read-protected keys included:
 * the chip's hardware uses them).  Valid until the board is closed;
 * changes with each burn. */
const fpy_efuse *fpy_vboard_efuse(const fpy_vboard *b);
/* What the firmware burns (the anti-rollback counter, protection): the
 * fuse words of `burnt` ORed in and saved, the controller's RDATA
 * reloaded.  FPY_ERR_STATE with nothing burnt when a bit lies under a
 * burnt write-disable bit (fpy_efuse_check_burn names the field);
 * FPY_ERR_IO when the file could not be saved (burnt in memory all the
 * same; fpy_vboard_efuse_error says why). */
int fpy_vboard_efuse_burn(fpy_vboard *b, const fpy_efuse *burnt);
/* Why the last save of the eFuse file failed, or NULL. */
const char *fpy_vboard_efuse_error(const fpy_vboard *b);

typedef struct fpy_vboard_status {
    const char *mode;  /* "off", "download", "stub", "booting", "running", "halted" */
    uint32_t baud;
    int jumper, powered;
    int vm_slot, bc_slot, test_mode; /* -1 when not booted */
    int reset_reason;                /* FPY_RESET_* of the last boot */
    int uplink;                      /* the VM's uplink listens (window or session) */
    uint32_t bc_size;                /* the running bytecode image's bytes, 0: none */
    uint8_t bc_sha256[32];           /* its payload's SHA-256, from the header the boot
                                        verified it against (INFO's is the whole image's) */
    uint64_t flash_reads, flash_programs, flash_erases;
} fpy_vboard_status;

void fpy_vboard_get_status(const fpy_vboard *b, fpy_vboard_status *st);

#endif
