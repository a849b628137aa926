/*
 * The flash seam.  Every device-side module reaches flash through an
 * fpy_flash: a const ops table, the driver's context pointer and the
 * device geometry.  A real port fills the ops with the SPI flash driver;
 * the virtual board and the tests use the simulated NOR (sim/flashsim.h,
 * outside the device core).
 *
 * Contract for ops implementations:
 *  - read(ctx, addr, buf, len): copy len bytes at addr into buf.
 *  - program(ctx, addr, buf, len): NOR program: bits can only go 1 -> 0.
 *    addr and len are multiples of geometry.write_align; the range may
 *    cross page boundaries (the driver splits it).
 *  - erase_sector(ctx, addr): set one sector (addr sector-aligned) to 0xFF.
 *  Each returns FPY_OK or a negative fpy_err, which callers pass up.
 *
 * The fpy_flash_* wrappers below check bounds and alignment before they
 * call the driver, so a bad request never reaches the hardware, and take
 * any other driver return (positive, or no fpy_err) as FPY_ERR_IO.
 */
#ifndef FIPY_FLASH_H
#define FIPY_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/bytes.h"
#include "fipy/err.h"
#include "fipy/hash.h"

#define FPY_FLASH_SIZE_8M (8u * 1024u * 1024u)
#define FPY_FLASH_SECTOR 4096u
#define FPY_FLASH_PAGE 256u
#define FPY_FLASH_CRYPT_BLOCK 16u /* the ESP32's flash encryption block */

typedef struct fpy_flash_ops {
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);
    int (*program)(void *ctx, uint32_t addr, const void *buf, uint32_t len);
    int (*erase_sector)(void *ctx, uint32_t addr);
} fpy_flash_ops;

typedef struct fpy_flash_geometry {
    uint32_t size;        /* bytes, a multiple of sector_size */
    uint32_t sector_size; /* erase unit, power of two */
    uint32_t page_size;   /* program unit of the chip, power of two */
    uint32_t write_align; /* required alignment of program addr/len, power of two */
} fpy_flash_geometry;

/* The FiPy's 8 MiB SPI NOR: 4 KiB sectors, 256 B pages, 4-byte writes
 * (ESP-IDF's esp_partition/NVS write in 32-bit words). */
#define FPY_FLASH_GEOMETRY_FIPY()                                             \
    ((fpy_flash_geometry){FPY_FLASH_SIZE_8M, FPY_FLASH_SECTOR, FPY_FLASH_PAGE, 4u})

typedef struct fpy_flash {
    const fpy_flash_ops *ops;
    void *ctx;
    fpy_flash_geometry geo;
} fpy_flash;

/* FPY_OK if the geometry is usable (powers of two, size a sector multiple). */
int fpy_flash_check_geometry(const fpy_flash_geometry *geo);

/* Checked operations.  Out of range -> FPY_ERR_RANGE; misaligned ->
 * FPY_ERR_ALIGN; otherwise the driver's result, an fpy_err (anything else
 * it returns -> FPY_ERR_IO). len 0 is a no-op. */
int fpy_flash_read(const fpy_flash *f, uint32_t addr, void *buf, uint32_t len);
int fpy_flash_program(const fpy_flash *f, uint32_t addr, const void *buf,
                      uint32_t len);
/* Erase [addr, addr+len): both must be sector multiples.  Sectors are
 * erased one by one in ascending order; on error the later ones are left. */
int fpy_flash_erase(const fpy_flash *f, uint32_t addr, uint32_t len);

/*
 * Buffered sequential writing: bytes are appended to a buffer and go to
 * flash one chip page (geo.page_size, at most FPY_FLASH_PAGE) at a time,
 * so no program call crosses a page.  With `erase`, each sector is erased
 * just before the first program into it, so a writer cut off leaves the
 * sectors past its last program as they were.  Caller-allocated; holds
 * the flash handle (which must outlive it); no allocation.
 */
typedef struct fpy_pagewriter {
    const fpy_flash *f;
    uint32_t addr;      /* flash address of buf[0] */
    uint32_t len;       /* bytes buffered */
    uint32_t erased_to; /* with erase: the sectors below are erased */
    uint32_t mutations; /* program and erase calls made, failed ones too */
    uint8_t erase;
    uint8_t buf[FPY_FLASH_PAGE];
} fpy_pagewriter;

/* Start writing at `addr` (a multiple of geo.write_align; of
 * geo.sector_size when `erase` is set: the sectors from there on are
 * erased as the writing reaches them).  Without `erase`, the bytes
 * written must already be erased (or only clear more bits). */
void fpy_pagewriter_start(fpy_pagewriter *w, const fpy_flash *f, uint32_t addr, int erase);
/* Append `len` bytes; each page is programmed as it fills. */
int fpy_pagewriter_put(fpy_pagewriter *w, const void *data, uint32_t len);
/* Program what is buffered, padded with 0xFF to geo.write_align, or, for
 * a writer with `erase`, to at least FPY_FLASH_CRYPT_BLOCK (16): the
 * sectors it erased hold 0xFF past the end anyway, and on encrypted flash
 * (the ESP32 encrypts 16-byte blocks) no program may be shorter, as
 * ESP-IDF's esp_ota_end pads too.  Writing goes on after the padding.
 * Call at the end: a partial page stays in the buffer until then. */
int fpy_pagewriter_flush(fpy_pagewriter *w);

/* Read [addr, addr+len) and report whether every byte is erased (0xFF,
 * fpy_is_erased).  Reads in chunks through `scratch` (scratch_len > 0).
 * *erased set to 1 or 0. */
int fpy_flash_is_erased(const fpy_flash *f, uint32_t addr, uint32_t len,
                        uint8_t *scratch, uint32_t scratch_len, int *erased);

/* The SHA-256 (MD5) of flash [addr, addr+len), read in chunks through
 * `scratch` (scratch_len > 0).  The hash context is ended on every path;
 * a read error or the hash's error is returned as it is. */
int fpy_flash_sha256(const fpy_flash *f, uint32_t addr, uint32_t len, uint8_t *scratch,
                     uint32_t scratch_len, uint8_t out[FPY_SHA256_LEN]);
int fpy_flash_md5(const fpy_flash *f, uint32_t addr, uint32_t len, uint8_t *scratch,
                  uint32_t scratch_len, uint8_t out[FPY_MD5_LEN]);

#endif
