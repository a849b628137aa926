/*
 * The virtual ESP32's eFuse controller (issue 16): its registers at
 * 0x3FF5A000 as READ_REG and WRITE_REG reach them, the fuses behind them
 * (lib/efuse), and the file beside the board's flash that keeps them.
 *
 * The registers (docs/efuse.md): RDATA of BLOCK0..3 (read-only, what the
 * last READ command loaded: read-protected bits read 0), the write-data
 * registers of each block, CLK, CONF, CMD, the DAC and interrupt
 * registers (plain storage), STATUS and DEC_STATUS (0: the coding scheme
 * is NONE, nothing to decode).  CMD PGM with CONF = 0x5A5A burns the
 * write-data registers into the fuses (ORed in; bits under a burnt
 * WR_DIS bit are not burnt); CMD READ with CONF = 0x5AA5 reloads RDATA
 * and clears the write data (as espefuse's emulated controller does).
 * Both finish at once: CMD reads 0.  The sequence espefuse's burn uses.
 *
 * Persistence: the fuses are saved after every burn that changed them,
 * atomically (a temporary file in the same folder, fsync, rename), in
 * espefuse's virtual eFuse file format (docs/formats/efuse.md): `espefuse
 * --chip esp32 --virt --path-efuse-file FILE summary` reads it.
 *
 * No global: caller-allocated, any number per process.
 */
#ifndef FIPY_EFUSESIM_H
#define FIPY_EFUSESIM_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/efuse.h"

#define FPY_EFUSESIM_PATH_MAX 1024u

typedef struct fpy_efusesim {
    fpy_efuse fuses;                     /* what is burnt */
    uint32_t regs[FPY_EFUSE_WORDS];      /* the controller's registers */
    char path[FPY_EFUSESIM_PATH_MAX];    /* "" : not persisted */
    uint32_t burns;                      /* burns that changed the fuses */
    int save_rc;                         /* FPY_OK, or the last save's failure */
    char msg[FPY_EFUSESIM_PATH_MAX + 128]; /* what that failure was */
} fpy_efusesim;

/* Fuses kept in memory only (tests, a ROM engine without a board). */
void fpy_efusesim_init(fpy_efusesim *s, const fpy_efuse *fuses);

/*
 * The fuses of the file at `path`, or, when there is none, a fresh
 * FiPy's (fpy_efuse_new with `mac`) written there.  0, or -1 with a
 * message in err: the file unreadable, or not 288 bytes (a damaged file
 * is refused and left as it is, never replaced), the path too long, the
 * new file not written.
 */
int fpy_efusesim_open(fpy_efusesim *s, const char *path, const uint8_t mac[6], char *err,
                      size_t errlen);

/* A chip reset: the controller's registers to their reset values, RDATA
 * loaded from the fuses. */
void fpy_efusesim_reset(fpy_efusesim *s);

/* Registers by offset from 0x3FF5A000 (off < FPY_EFUSE_MEM_SIZE, a
 * multiple of 4; other offsets read 0 and ignore writes).  A write may
 * burn and save: FPY_OK, or the save's failure (the fuses in memory are
 * burnt all the same, as on the chip; s->msg says why the file is not). */
uint32_t fpy_efusesim_read(const fpy_efusesim *s, uint32_t off);
int fpy_efusesim_write(fpy_efusesim *s, uint32_t off, uint32_t value);

/* Burn what `want` has burnt (its fuse words ORed in) and save.  Refused
 * as a whole, nothing changed, with FPY_ERR_STATE (diag: the field) when
 * a bit of it lies under a burnt write-disable bit; else FPY_OK or the
 * save's failure.  RDATA is reloaded (the firmware's burn ends with a
 * READ command). */
int fpy_efusesim_burn(fpy_efusesim *s, const fpy_efuse *want, fpy_diag *d);

#endif
