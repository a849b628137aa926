/*
 * The ESP32 ROM serial loader, device side (issue 14): what the virtual
 * FiPy speaks in download mode.  Decoded SLIP frames in, reply packets out
 * through fpy_devout (sim/devout.h); the board SLIP-encodes them and sends
 * each once the simulated flash work before it is done.
 *
 * Facts: ../shared/docs/rom_protocol.md.  The engine is never more
 * forgiving than the ROM: where the ROM's behaviour is unknown it refuses
 * (docs/sim.md lists each choice).  Replies carry the ROM's 4
 * status bytes; SYNC is answered 8 times with value 0x20120707.
 *
 * It owns no global: several engines can live in one process.
 */
#ifndef FIPY_ROMDEV_H
#define FIPY_ROMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "devout.h"
#include "efusesim.h"
#include "flashsim.h"
#include "fipy/flash.h"

typedef struct fpy_romdev fpy_romdev;

typedef struct fpy_romdev_cfg {
    const fpy_flash *flash;    /* the board's flash (outlives the engine) */
    const fpy_flashsim *sim;   /* its simulator: stats.time_ns is the work done */
    const fpy_devout *out;     /* replies, baud changes, console lines */
    uint8_t mac[6];            /* the MAC of fresh eFuses, when efuse is NULL */
    uint32_t baud;             /* the UART's baud at start (115200) */
    fpy_efusesim *efuse;       /* the board's eFuse controller (outlives the
                                  engine); NULL: the engine's own, in memory,
                                  a fresh FiPy's with mac */
} fpy_romdev_cfg;

/* What a frame asked of the board, beyond its reply. */
typedef enum fpy_romdev_event {
    FPY_ROMDEV_NONE = 0,
    FPY_ROMDEV_STUB,    /* esptool's stub was uploaded and started:
                           fpy_romdev_stub() names it; the board hands
                           the link to sim/stubdev.h */
    FPY_ROMDEV_REBOOT,  /* FLASH_END/FLASH_DEFL_END(0): reset, straps
                           latched (download mode again) */
    FPY_ROMDEV_RUN      /* FLASH_END/FLASH_DEFL_END(1): run user code
                           (boot from flash) */
} fpy_romdev_event;

/* NULL when out of memory. */
fpy_romdev *fpy_romdev_new(const fpy_romdev_cfg *cfg);
void fpy_romdev_free(fpy_romdev *r);

/* One decoded frame from the host.  Malformed frames (shorter than the
 * header, size disagreeing with the bytes, direction not 0) get no reply,
 * as a UART receiver that never saw a command. */
fpy_romdev_event fpy_romdev_frame(fpy_romdev *r, const uint8_t *frame, size_t n);

/* The stub recognised by the last FPY_ROMDEV_STUB event ("5.3.1"). */
const char *fpy_romdev_stub(const fpy_romdev *r);

/* The UART baud the engine reports in UART0 CLKDIV (the board's
 * autobaud sets it; CHANGE_BAUDRATE sets it itself). */
void fpy_romdev_set_baud(fpy_romdev *r, uint32_t baud);

/* The eFuse/peripheral register map as READ_REG sees it (for tests and
 * the board's banner): 0 for unmapped addresses.  The eFuse controller's
 * registers (0x3FF5A000..0x3FF5A11F) are sim/efusesim.h's. */
uint32_t fpy_romdev_read_reg(const fpy_romdev *r, uint32_t addr);

/* Write a register as WRITE_REG does with a full mask (the stub's
 * WRITE_REG reaches the same map; read-only registers ignore it). */
void fpy_romdev_write_reg(fpy_romdev *r, uint32_t addr, uint32_t value);

/* Frames refused and why, for the board's status and the tests. */
typedef struct fpy_romdev_stats {
    uint32_t frames;       /* frames handled */
    uint32_t malformed;    /* dropped without a reply */
    uint32_t errors;       /* replies with status 1 */
    uint8_t last_error;    /* the error byte of the last failed reply */
    uint8_t last_op;       /* its command */
} fpy_romdev_stats;

void fpy_romdev_get_stats(const fpy_romdev *r, fpy_romdev_stats *st);

/* Register addresses (rom_protocol.md §5.3, §6.1). */
#define FPY_ROMDEV_REG_MAGIC 0x40001000u
#define FPY_ROMDEV_MAGIC_ESP32 0x00F01D83u
#define FPY_ROMDEV_REG_EFUSE0 0x3FF5A000u /* the eFuse controller, FPY_EFUSE_MEM_SIZE bytes */
#define FPY_ROMDEV_REG_UART0_CLKDIV 0x3FF40014u
#define FPY_ROMDEV_REG_DATE 0x3FF6607Cu
#define FPY_ROMDEV_REG_RTCCALICFG1 0x3FF5F06Cu
#define FPY_ROMDEV_REG_SDIO_CONF 0x3FF48074u
#define FPY_ROMDEV_REG_GPIO_STRAP 0x3FF44038u
#define FPY_ROMDEV_REG_SPI1 0x3FF42000u
#define FPY_ROMDEV_SYNC_VALUE 0x20120707u
#define FPY_ROMDEV_XTAL_HZ 40000000u
/* The flash's JEDEC ID as W0 holds it after RDID: EF 40 17 (8 MiB). */
#define FPY_ROMDEV_JEDEC_W0 0x001740EFu

#endif
