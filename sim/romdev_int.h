/* The ROM loader engine's insides, shared by sim/romdev*.c only. */
#ifndef FIPY_ROMDEV_INT_H
#define FIPY_ROMDEV_INT_H

#include <zlib.h>

#include "romdev.h"
#include "fipy/rom.h"

#define FPY_RD_NREGS 32u        /* registers a host may write (WRITE_REG) */
#define FPY_RD_MAX_SEGS 16u     /* RAM segments per MEM_BEGIN..MEM_END */
#define FPY_RD_FLASH_BLOCK 0x400u  /* largest FLASH_DATA block accepted */
#define FPY_RD_RAM_BLOCK 0x1800u   /* largest MEM_DATA block (ESP_RAM_BLOCK) */
#define FPY_RD_DEFAULT_CHIP 0x200000u /* the ROM's flash size before SPI_SET_PARAMS */

typedef enum fpy_rd_write {
    FPY_RD_IDLE = 0,
    FPY_RD_PLAIN,   /* after FLASH_BEGIN */
    FPY_RD_DEFL     /* after FLASH_DEFL_BEGIN */
} fpy_rd_write;

typedef struct fpy_rd_seg {
    uint32_t addr, size, filled;
    uint8_t *data;
} fpy_rd_seg;

struct fpy_romdev {
    fpy_flash flash;
    const fpy_flashsim *sim;
    fpy_devout out;
    fpy_efusesim *efuse;        /* the board's, or own_efuse */
    fpy_efusesim *own_efuse;
    uint32_t baud;
    fpy_romdev_stats stats;

    /* registers */
    uint32_t reg_addr[FPY_RD_NREGS], reg_val[FPY_RD_NREGS];
    uint32_t nregs;
    uint8_t spi_w[64];          /* SPI1 W0..W15 */
    uint8_t flash_sr[3];        /* status registers 1..3 */
    uint8_t attached;
    uint32_t chip_size;         /* SPI_SET_PARAMS total_size */

    /* flash writing */
    fpy_rd_write wmode;
    uint32_t w_offset, w_erase_end, w_blocks, w_block_size, w_seq;
    uint32_t w_out;             /* DEFL: bytes inflated so far */
    uint32_t w_out_max;         /* DEFL: write_size */
    int z_live, z_done;
    z_stream z;

    /* RAM upload */
    fpy_rd_seg segs[FPY_RD_MAX_SEGS];
    uint32_t nsegs;
    uint32_t m_blocks, m_block_size, m_seq;
    int m_open;
    const char *stub;
};

/* Reply helpers (romdev.c): status 0 with payload, or status 1 with error. */
void fpy_rd_ok(fpy_romdev *r, uint8_t op, uint32_t value, const uint8_t *payload, size_t plen,
               uint64_t t0_ns);
void fpy_rd_fail(fpy_romdev *r, uint8_t op, uint8_t error, uint64_t t0_ns);
uint64_t fpy_rd_time(const fpy_romdev *r);

/* romdev_regs.c */
void fpy_rd_regs_reset(fpy_romdev *r);
uint32_t fpy_rd_reg_get(const fpy_romdev *r, uint32_t addr);
void fpy_rd_reg_write(fpy_romdev *r, uint32_t addr, uint32_t value, uint32_t mask);
void fpy_rd_read_reg(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_write_reg(fpy_romdev *r, const fpy_rom_req *q);

/* romdev_flash.c: each replies itself. */
void fpy_rd_spi_attach(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_set_params(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_flash_begin(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_flash_data(fpy_romdev *r, const fpy_rom_req *q);
fpy_romdev_event fpy_rd_flash_end(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_md5(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_read_slow(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_flash_reset(fpy_romdev *r);

/* romdev_mem.c */
void fpy_rd_mem_begin(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_mem_data(fpy_romdev *r, const fpy_rom_req *q);
fpy_romdev_event fpy_rd_mem_end(fpy_romdev *r, const fpy_rom_req *q);
void fpy_rd_mem_reset(fpy_romdev *r);

#endif
