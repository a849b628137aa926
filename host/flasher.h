/*
 * The flasher: writes, reads, verifies and erases a board's flash through
 * the ESP32 ROM loader alone (host/romclient.h), for `fipytool flash`.
 * docs/flasher.md describes the algorithm:
 *
 *  - write: each region is padded with 0xFF to whole 4 KiB sectors; the
 *    sectors whose MD5 on the chip already matches are skipped (asked
 *    region, then 64 KiB, then 4 KiB at a time); the changed sectors are
 *    written in chunks of at most 64 KiB (FLASH_DEFL_* when zlib makes
 *    them smaller, else FLASH_*), each chunk checked by SPI_FLASH_MD5 right
 *    after it is written and retried (re-sync, slower baud) when it fails.
 *    So a write is idempotent: after a dropped link or a power cut the
 *    same write again skips what already verified and writes the rest.
 *  - read: READ_FLASH_SLOW, 64 bytes at a time, then the region's MD5.
 *  - verify: MD5 per region; the first differing sector is found.
 *  - erase: FLASH_BEGIN with no data (the ROM erases up front).
 */
#ifndef FIPY_FLASHER_H
#define FIPY_FLASHER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "romclient.h"

#define FPY_FLASHER_SECTOR 0x1000u
#define FPY_FLASHER_CHUNK 0x10000u  /* the compare's middle level: MD5 per 64 KiB */
#define FPY_FLASHER_PIECE_MAX 0x100000u /* largest run written under one BEGIN, as one
                                          zlib stream (small pieces cost compression) */
#define FPY_FLASHER_PIECE_MIN 0x1000u /* smallest, after failures (docs/flasher.md) */
#define FPY_FLASHER_FLASH_SIZE (8u << 20) /* the FiPy's */

/* One file to put at addr (data is the caller's, for the call's length). */
typedef struct fpy_flash_region {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
    const char *name;   /* for messages: the file */
} fpy_flash_region;

/*
 * What the flasher reports as it goes (docs/flasher.md, "JSON events").
 * stage: "connect", "reset", "sync", "chip", "baud", "compare", "write",
 * "verify", "read", "erase", "retry", "done", "error", "note".  code: a
 * stable error code for "error" and "retry" events, else NULL.
 */
typedef struct fpy_flasher_event {
    const char *stage;
    const char *name;        /* file, or NULL */
    uint32_t addr;           /* where the event is about */
    uint64_t done, total;    /* bytes */
    uint32_t retries;        /* retries so far */
    const char *code;
    const char *msg;         /* English, or NULL */
} fpy_flasher_event;

typedef void (*fpy_flasher_event_fn)(void *ctx, const fpy_flasher_event *e);

/* Options; zeroed = defaults. */
typedef struct fpy_flasher_opts {
    uint32_t baud;               /* rate after sync; 0: stay at the initial rate */
    int no_compress;             /* FLASH_* only */
    int no_skip;                 /* write every sector, changed or not */
    int no_reset;                /* touch no modem line (board already in download mode) */
    unsigned retries;            /* attempts per piece after the first; 0: 3 */
    unsigned manual_wait_s;      /* how long to wait for a manual reset; 0: 60 */
    uint32_t piece_max;          /* largest piece under one BEGIN (a power of 4 times
                                    4 KiB); 0: FPY_FLASHER_PIECE_MAX */
    fpy_flasher_event_fn event;  /* may be NULL */
    void *event_ctx;
    volatile sig_atomic_t *stop; /* set (by SIGINT): stop at a block boundary */
} fpy_flasher_opts;

/* Stable error codes (docs/flasher.md). */
#define FPY_FLC_LINK "link-lost"
#define FPY_FLC_SYNC "no-sync"
#define FPY_FLC_CHIP "not-esp32"
#define FPY_FLC_ROM "rom-error"
#define FPY_FLC_TIMEOUT "timeout"
#define FPY_FLC_MISMATCH "verify-mismatch"
#define FPY_FLC_INPUT "bad-input"
#define FPY_FLC_INTERRUPTED "interrupted"
#define FPY_FLC_PROTOCOL "protocol"

typedef struct fpy_flasher {
    fpy_romclient rc;
    fpy_flasher_opts o;
    fpy_rom_chip chip;
    uint32_t flash_size;     /* from the flash ID; the FiPy's 8 MiB if unknown */
    uint32_t baud0;          /* the rate the session found the ROM at */
    /* counters of the last operation(s) */
    uint32_t sectors_skipped, sectors_written, chunks, retries, blocks;
    uint32_t block_resends;  /* *_DATA blocks sent again (same seq) */
    uint32_t piece;          /* bytes written under one BEGIN now: 64, 16 or 4 KiB */
    uint32_t piece_ok;       /* pieces in a row that verified at that size */
    uint64_t wire_bytes;     /* *_DATA payload bytes sent */
    /* state after a failure or an interruption */
    int interrupted;
    int vm_noted;            /* said once: a running VM answered SYNC, not the ROM */
    const char *code;        /* stable error code of the failure */
    char msg[400];           /* what failed, in English */
    char done_msg[200];      /* "0x10000..0x30000 of app.bin written and verified" */
} fpy_flasher;

/*
 * Regions a write may take: each non-empty, at a 4 KiB-aligned address,
 * inside flash_size, and not overlapping another (their 4 KiB-padded
 * extents: the padding is erased too).  FPY_OK, or FPY_ERR_ALIGN /
 * FPY_ERR_RANGE / FPY_ERR_INVAL with msg naming the file and the fix.
 * Nothing is sent: callers check before connecting.
 */
int fpy_flasher_check(const fpy_flash_region *r, size_t n, uint32_t flash_size, char *msg,
                      size_t msglen);

/*
 * Start a session on link, at the link's current rate baud0: reset into
 * download mode (the DTR/RTS sequence; without modem lines, ask the user
 * through a "note" event to strap G23 to GND and press reset, and wait for
 * SYNC), sync, check the chip is an ESP32, read its eFuses and flash ID,
 * attach the flash, set its size, then switch to o->baud.  On failure
 * f->code and f->msg say why.
 */
int fpy_flasher_connect(fpy_flasher *f, fpy_rom_link link, uint32_t baud0,
                        const fpy_flasher_opts *o);

/* Write regions (checked by fpy_flasher_check first, again here).  On
 * FPY_ERR_STATE with f->interrupted set: stopped on request, done_msg says
 * what is written and verified. */
int fpy_flasher_write(fpy_flasher *f, const fpy_flash_region *r, size_t n);

/* Compare regions with the chip by MD5.  FPY_ERR_CHECKSUM when one
 * differs: *bad (may be NULL) gets the first differing sector's address
 * and f->msg names it. */
int fpy_flasher_verify(fpy_flasher *f, const fpy_flash_region *r, size_t n, uint32_t *bad);

/* Read size bytes at addr into out, then check their MD5 against the
 * chip's. */
int fpy_flasher_read(fpy_flasher *f, uint32_t addr, uint32_t size, uint8_t *out);

/* Erase [addr, addr+size), both 4 KiB aligned, then check it reads as
 * erased (MD5 of 0xFF bytes). */
int fpy_flasher_erase(fpy_flasher *f, uint32_t addr, uint32_t size);

/*
 * End a session, leaving the board as a user expects: with run set and
 * modem lines, a hard reset into the application; otherwise (no lines, a
 * failure, --no-reset) the ROM loader back at the rate the session found
 * it at, so the next session, fipytool's or esptool's, can sync without a
 * reset.  Best effort: a dead link gives its error and changes nothing.
 */
int fpy_flasher_leave(fpy_flasher *f, int run);

#endif
