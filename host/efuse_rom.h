/*
 * The eFuses of a board read and burnt over the ROM serial loader
 * (host/romclient.h): the eFuse controller's registers at 0x3FF5A000
 * through READ_REG and WRITE_REG, as espefuse drives them on an ESP32.
 * The same on the virtual board (sim/efusesim.h) and on a chip.
 */
#ifndef FIPY_EFUSE_ROM_H
#define FIPY_EFUSE_ROM_H

#include "fipy/efuse.h"
#include "romclient.h"

/* The RDATA words of BLOCK0..3 into e (other words 0), as software reads
 * them: a read-protected block reads 0.  Each word read until two reads
 * agree (fpy_romc_read_reg_sure).  The client's error on failure. */
int fpy_efr_read(fpy_romclient *c, fpy_efuse *e);

/*
 * Burn the fuse bits of `want` that the board has not burnt yet (its
 * RDATA words: one way, ORed in).  Before anything is written, the
 * board's eFuses are read and a bit under a burnt write-disable bit is
 * refused: FPY_ERR_STATE, c->msg names the field and its WR_DIS bit.
 * Then per block that has new bits: the write-data registers, CONF
 * 0x5A5A, CMD PGM, CMD back to 0, CONF 0x5AA5, CMD READ, CMD back to 0
 * (FPY_ERR_TIMEOUT if it never is); then all read again and checked:
 * FPY_ERR_IO with c->msg when a readable bit asked for is not set.
 * FPY_OK when nothing was new.
 */
int fpy_efr_burn(fpy_romclient *c, const fpy_efuse *want);

/* The security state in one line: "flash encryption on (FLASH_CRYPT_CNT
 * 0x1), secure boot off, download mode: encrypt, decrypt, cache
 * allowed". */
void fpy_efr_security_line(const fpy_efuse *e, char *out, size_t cap);

#endif
