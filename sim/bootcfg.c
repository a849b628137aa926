/* The virtual bootloader's configuration: see bootcfg.h. */
#include "bootcfg.h"

#include <string.h>

#include "fipy/bytes.h"
#include "fipy/layout.h"
#include "fipy/part.h"

static const uint8_t fpy_bootcfg_magic[8] = {'F', 'P', 'Y', 'B', 'C', 'F', 'G', '1'};

void fpy_bootcfg_encode(const fpy_bootcfg *c, uint8_t raw[FPY_BOOTCFG_LEN])
{
    memset(raw, 0, FPY_BOOTCFG_LEN);
    memcpy(raw + FPY_BOOTCFG_OFF_MAGIC, fpy_bootcfg_magic, sizeof fpy_bootcfg_magic);
    fpy_put_le32(raw + FPY_BOOTCFG_OFF_VERSION, FPY_BOOTCFG_VERSION);
    fpy_put_le32(raw + FPY_BOOTCFG_OFF_FLAGS, c->flags);
    memcpy(raw + FPY_BOOTCFG_OFF_PUB, c->pub, FPY_P256_PUB_LEN);
    fpy_put_le32(raw + FPY_BOOTCFG_OFF_CRC, fpy_crc32_le(0xFFFFFFFFu, raw, FPY_BOOTCFG_OFF_CRC));
}

int fpy_bootcfg_decode(const uint8_t *raw, uint32_t len, fpy_bootcfg *c, fpy_diag *d)
{
    if (len < FPY_BOOTCFG_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "boot configuration is cut short", "length",
                            0, FPY_BOOTCFG_LEN, len);
    if (memcmp(raw, fpy_bootcfg_magic, sizeof fpy_bootcfg_magic) != 0)
        return fpy_diag_set(d, FPY_ERR_CORRUPT, "boot configuration: bad magic", "magic", 0);
    uint32_t crc = fpy_crc32_le(0xFFFFFFFFu, raw, FPY_BOOTCFG_OFF_CRC);
    if (fpy_get_le32(raw + FPY_BOOTCFG_OFF_CRC) != crc)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "boot configuration: CRC mismatch", "crc",
                            FPY_BOOTCFG_OFF_CRC, crc, fpy_get_le32(raw + FPY_BOOTCFG_OFF_CRC));
    uint32_t version = fpy_get_le32(raw + FPY_BOOTCFG_OFF_VERSION);
    if (version != FPY_BOOTCFG_VERSION)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "boot configuration: unknown version",
                            "version", FPY_BOOTCFG_OFF_VERSION, FPY_BOOTCFG_VERSION, version);
    c->flags = fpy_get_le32(raw + FPY_BOOTCFG_OFF_FLAGS);
    if (c->flags & ~FPY_BOOTCFG_F_KNOWN)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "boot configuration: unknown flags",
                            "flags", FPY_BOOTCFG_OFF_FLAGS, FPY_BOOTCFG_F_KNOWN, c->flags);
    for (uint32_t i = FPY_BOOTCFG_OFF_RESERVED; i < FPY_BOOTCFG_OFF_CRC; i++)
        if (raw[i] != 0)
            return fpy_diag_set(d, FPY_ERR_CORRUPT, "boot configuration: reserved byte not 0",
                                "reserved", i);
    memcpy(c->pub, raw + FPY_BOOTCFG_OFF_PUB, FPY_P256_PUB_LEN);
    return FPY_OK;
}

int fpy_bootcfg_find(const fpy_flash *f, uint8_t *scratch, uint32_t scratch_len,
                     fpy_image_info *info, fpy_bootcfg *c, fpy_diag *d)
{
    uint8_t raw[FPY_BOOTCFG_LEN];
    fpy_image_src src = fpy_image_src_flash(f, FPY_BOOTLOADER_OFFSET,
                                            FPY_PART_TABLE_OFFSET - FPY_BOOTLOADER_OFFSET);
    uint8_t magic;
    FPY_TRY(fpy_flash_read(f, FPY_BOOTLOADER_OFFSET, &magic, 1));
    if (magic != FPY_IMAGE_MAGIC)
        return FPY_ERR_NOTFOUND; /* no bootloader image: nothing configured */
    FPY_TRY(fpy_image_parse(&src, scratch, scratch_len, info, d));
    for (uint32_t i = 0; i < info->nsegments; i++) {
        const fpy_image_segment *s = &info->seg[i];
        if (s->load_addr != FPY_BOOTCFG_LOAD)
            continue;
        if (s->data_len != FPY_BOOTCFG_LEN)
            return fpy_diag_val(d, FPY_ERR_CORRUPT, "boot configuration segment has the wrong size",
                                "data_len", s->file_offset + 4u, FPY_BOOTCFG_LEN, s->data_len);
        FPY_TRY(fpy_flash_read(f, FPY_BOOTLOADER_OFFSET + s->file_offset + 8u, raw, sizeof raw));
        return fpy_bootcfg_decode(raw, sizeof raw, c, d);
    }
    return FPY_ERR_NOTFOUND;
}
