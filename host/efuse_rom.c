/* The eFuses over the ROM loader: see host/efuse_rom.h. */
#include "efuse_rom.h"

#include <stdio.h>
#include <string.h>

#include "fipy/err.h"

#define FPY_EFR_POLLS 20u /* CMD reads before giving up: the chip takes microseconds */

static uint32_t fpy_efr_addr(uint32_t off)
{
    return FPY_EFUSE_BASE + off;
}

int fpy_efr_read(fpy_romclient *c, fpy_efuse *e)
{
    memset(e, 0, sizeof *e);
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++)
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++) {
            unsigned i = fpy_efuse_rdata_index(b, k);
            FPY_TRY(fpy_romc_read_reg_sure(c, fpy_efr_addr(4u * i), &e->w[i]));
        }
    return FPY_OK;
}

/* The controller has finished the command: CMD reads 0. */
static int fpy_efr_wait(fpy_romclient *c, const char *what)
{
    uint32_t cmd = 1;
    for (unsigned n = 0; n < FPY_EFR_POLLS; n++) {
        FPY_TRY(fpy_romc_read_reg(c, fpy_efr_addr(FPY_EFUSE_CMD), &cmd));
        if (cmd == 0)
            return FPY_OK;
    }
    snprintf(c->msg, sizeof c->msg, "the eFuse controller did not finish %s (CMD 0x%x)", what,
             (unsigned)cmd);
    return FPY_ERR_TIMEOUT;
}

/* espefuse's ESP32 sequence (fields.py burn_words, write_efuses,
 * efuse_read): data, clock for a 40 MHz APB, PGM, then READ. */
static int fpy_efr_program(fpy_romclient *c, unsigned blk, const uint32_t *w)
{
    for (unsigned k = 0; k < fpy_efuse_block_words(blk); k++)
        FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(4u * fpy_efuse_wdata_index(blk, k)), w[k]));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_DAC_CONF), 80u));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_CLK), 0xFFu << 8 | 160u));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_CONF), FPY_EFUSE_CONF_WRITE));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_CMD), FPY_EFUSE_CMD_PGM));
    FPY_TRY(fpy_efr_wait(c, "programming"));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_CONF), FPY_EFUSE_CONF_READ));
    FPY_TRY(fpy_romc_write_reg(c, fpy_efr_addr(FPY_EFUSE_CMD), FPY_EFUSE_CMD_READ));
    return fpy_efr_wait(c, "reading");
}

static int fpy_efr_refused(fpy_romclient *c, const fpy_diag *d)
{
    snprintf(c->msg, sizeof c->msg, "eFuse %s is write-protected (WR_DIS bit %u burnt): "
             "nothing was burnt", d->field != NULL ? d->field : "bits",
             (unsigned)d->found);
    return FPY_ERR_STATE;
}

/* Readable bits asked for and not burnt after the burn. */
static int fpy_efr_check(fpy_romclient *c, const fpy_efuse *want, const fpy_efuse *got)
{
    for (unsigned b = 0; b < FPY_EFUSE_BLOCKS; b++)
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++) {
            unsigned i = fpy_efuse_rdata_index(b, k);
            fpy_efuse hide = *got;
            hide.w[i] = 0xFFFFFFFFu;
            uint32_t readable = fpy_efuse_read_word(&hide, i);
            uint32_t miss = want->w[i] & readable & ~got->w[i];
            if (miss != 0) {
                snprintf(c->msg, sizeof c->msg, "BLOCK%u word %u: bits 0x%08x not burnt "
                         "(read 0x%08x after the burn)", b, k, (unsigned)miss,
                         (unsigned)got->w[i]);
                return FPY_ERR_IO;
            }
        }
    return FPY_OK;
}

int fpy_efr_burn(fpy_romclient *c, const fpy_efuse *want)
{
    fpy_efuse now, got;
    fpy_diag d = {0};
    FPY_TRY(fpy_efr_read(c, &now));
    if (fpy_efuse_check_burn(&now, want, &d) != FPY_OK)
        return fpy_efr_refused(c, &d);
    /* keys first, BLOCK0 (with its protection bits) last, as espefuse does */
    for (unsigned b = FPY_EFUSE_BLOCKS; b-- > 0;) {
        uint32_t w[8] = {0};
        int news = 0;
        for (unsigned k = 0; k < fpy_efuse_block_words(b); k++) {
            unsigned i = fpy_efuse_rdata_index(b, k);
            w[k] = want->w[i] & ~now.w[i];
            news |= w[k] != 0;
        }
        if (news)
            FPY_TRY(fpy_efr_program(c, b, w));
    }
    FPY_TRY(fpy_efr_read(c, &got));
    return fpy_efr_check(c, want, &got);
}

void fpy_efr_security_line(const fpy_efuse *e, char *out, size_t cap)
{
    uint32_t cnt = 0, v;
    (void)fpy_efuse_get(e, FPY_EFUSE_FLASH_CRYPT_CNT, &cnt);
    unsigned dl = 0;
    static const fpy_efuse_id dls[3] = {FPY_EFUSE_DISABLE_DL_ENCRYPT,
                                        FPY_EFUSE_DISABLE_DL_DECRYPT, FPY_EFUSE_DISABLE_DL_CACHE};
    char mode[64] = "";
    for (unsigned i = 0; i < 3; i++)
        if (fpy_efuse_get(e, dls[i], &v) == FPY_OK && v) {
            static const char *const names[3] = {"encrypt", "decrypt", "cache"};
            snprintf(mode + strlen(mode), sizeof mode - strlen(mode), "%sno %s",
                     dl++ ? ", " : "", names[i]);
        }
    uint32_t sb = 0;
    (void)fpy_efuse_get(e, FPY_EFUSE_ABS_DONE_0, &sb);
    snprintf(out, cap, "flash encryption %s (FLASH_CRYPT_CNT 0x%x), secure boot %s, "
             "download mode %s", fpy_efuse_flash_crypt_on(e) ? "on" : "off", (unsigned)cnt,
             sb ? "on" : "off", dl ? mode : "unrestricted");
}
