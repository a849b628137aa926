/* Shared by the flasher's files (host/flasher*.c); not an interface. */
#ifndef FIPY_FLASHER_INT_H
#define FIPY_FLASHER_INT_H

#include "flasher.h"

void fpy_fl_event(fpy_flasher *f, const char *stage, const char *name, uint32_t addr,
                  uint64_t done, uint64_t total, const char *code, const char *msg);
/* Set f->code and f->msg, emit an "error" event; returns rc. */
int fpy_fl_fail(fpy_flasher *f, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for a failed romclient call: its message, prefixed by what. */
int fpy_fl_rom_fail(fpy_flasher *f, int rc, const char *what);
const char *fpy_fl_code(const fpy_flasher *f, int rc);
int fpy_fl_stopped(const fpy_flasher *f);
/* len rounded up to whole 4 KiB sectors. */
uint32_t fpy_fl_padded(size_t len);
/* 1 when the chip's MD5 of [addr, addr+len) differs from buf's, 0 when
 * it is the same, or a negative fpy_err (f->msg set). */
int fpy_fl_differs(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t len);
/*
 * Compare [addr, addr+len) with buf by asking the chip's MD5 over the
 * whole range, then 64 KiB pieces, then 4 KiB sectors, only where the
 * level above differed.  suspect[i] (one per sector, the caller's) is 1
 * on entry for every sector to compare and non-zero on return for every
 * sector that differs (a piece the chip has erased is decided from the
 * file's bytes alone).  stop_first: stop at the first differing sector.
 */
int fpy_fl_compare(fpy_flasher *f, uint32_t addr, const uint8_t *buf, uint32_t len,
                   uint8_t *suspect, int stop_first);

#endif
