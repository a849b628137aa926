/* Fixed-layout records of the image: header, app and bootloader
 * descriptions.  esptool's per-chip tables are in chips.c. */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/image.h"

/* ---- header -------------------------------------------------------------- */

void fpy_image_header_decode(const uint8_t raw[FPY_IMAGE_HEADER_LEN],
                             fpy_image_header *h)
{
    h->magic = raw[FPY_IMAGE_OFF_MAGIC];
    h->segment_count = raw[FPY_IMAGE_OFF_SEGMENT_COUNT];
    h->spi_mode = raw[FPY_IMAGE_OFF_SPI_MODE];
    h->spi_speed = (uint8_t)(raw[FPY_IMAGE_OFF_SPI_SPEED_SIZE] & 0x0Fu);
    h->spi_size = (uint8_t)(raw[FPY_IMAGE_OFF_SPI_SPEED_SIZE] >> 4);
    h->entry_addr = fpy_get_le32(raw + FPY_IMAGE_OFF_ENTRY_ADDR);
    h->wp_pin = raw[FPY_IMAGE_OFF_WP_PIN];
    memcpy(h->spi_pin_drv, raw + FPY_IMAGE_OFF_SPI_PIN_DRV, 3);
    h->chip_id = fpy_get_le16(raw + FPY_IMAGE_OFF_CHIP_ID);
    h->min_chip_rev = raw[FPY_IMAGE_OFF_MIN_CHIP_REV];
    h->min_chip_rev_full = fpy_get_le16(raw + FPY_IMAGE_OFF_MIN_CHIP_REV_FULL);
    h->max_chip_rev_full = fpy_get_le16(raw + FPY_IMAGE_OFF_MAX_CHIP_REV_FULL);
    memcpy(h->reserved, raw + FPY_IMAGE_OFF_RESERVED, 4);
    h->hash_appended = raw[FPY_IMAGE_OFF_HASH_APPENDED];
}

void fpy_image_header_encode(const fpy_image_header *h,
                             uint8_t raw[FPY_IMAGE_HEADER_LEN])
{
    raw[FPY_IMAGE_OFF_MAGIC] = h->magic;
    raw[FPY_IMAGE_OFF_SEGMENT_COUNT] = h->segment_count;
    raw[FPY_IMAGE_OFF_SPI_MODE] = h->spi_mode;
    raw[FPY_IMAGE_OFF_SPI_SPEED_SIZE] =
        (uint8_t)((h->spi_speed & 0x0Fu) | ((h->spi_size & 0x0Fu) << 4));
    fpy_put_le32(raw + FPY_IMAGE_OFF_ENTRY_ADDR, h->entry_addr);
    raw[FPY_IMAGE_OFF_WP_PIN] = h->wp_pin;
    memcpy(raw + FPY_IMAGE_OFF_SPI_PIN_DRV, h->spi_pin_drv, 3);
    fpy_put_le16(raw + FPY_IMAGE_OFF_CHIP_ID, h->chip_id);
    raw[FPY_IMAGE_OFF_MIN_CHIP_REV] = h->min_chip_rev;
    fpy_put_le16(raw + FPY_IMAGE_OFF_MIN_CHIP_REV_FULL, h->min_chip_rev_full);
    fpy_put_le16(raw + FPY_IMAGE_OFF_MAX_CHIP_REV_FULL, h->max_chip_rev_full);
    memcpy(raw + FPY_IMAGE_OFF_RESERVED, h->reserved, 4);
    raw[FPY_IMAGE_OFF_HASH_APPENDED] = h->hash_appended;
}

/* ---- descriptions ---------------------------------------------------------- */

/* esptool prints these strings with every NUL removed (not cut at the
 * first one), so "ab\0cd" shows as "abcd"; do the same. */
static void fpy_desc_str(char *dst, const uint8_t *src, size_t field)
{
    size_t n = 0;
    for (size_t i = 0; i < field; i++)
        if (src[i] != 0)
            dst[n++] = (char)src[i];
    dst[n] = '\0';
}

static void fpy_desc_put_str(uint8_t *dst, const char *s, size_t field)
{
    size_t n = strlen(s);
    if (n > field - 1u)
        n = field - 1u;
    memset(dst, 0, field);
    memcpy(dst, s, n);
}

int fpy_image_app_desc_decode(const uint8_t raw[FPY_IMAGE_APP_DESC_LEN],
                              fpy_image_app_desc *a, fpy_diag *d)
{
    a->magic_word = fpy_get_le32(raw + FPY_IMAGE_DESC_OFF_MAGIC);
    a->secure_version = fpy_get_le32(raw + FPY_IMAGE_DESC_OFF_SECURE_VERSION);
    fpy_desc_str(a->version, raw + FPY_IMAGE_DESC_OFF_VERSION, 32);
    fpy_desc_str(a->project_name, raw + FPY_IMAGE_DESC_OFF_PROJECT_NAME, 32);
    fpy_desc_str(a->time, raw + FPY_IMAGE_DESC_OFF_TIME, 16);
    fpy_desc_str(a->date, raw + FPY_IMAGE_DESC_OFF_DATE, 16);
    fpy_desc_str(a->idf_ver, raw + FPY_IMAGE_DESC_OFF_IDF_VER, 32);
    memcpy(a->app_elf_sha256, raw + FPY_IMAGE_DESC_OFF_ELF_SHA256, 32);
    a->min_efuse_blk_rev_full = fpy_get_le16(raw + FPY_IMAGE_DESC_OFF_MIN_EFUSE_REV);
    a->max_efuse_blk_rev_full = fpy_get_le16(raw + FPY_IMAGE_DESC_OFF_MAX_EFUSE_REV);
    a->mmu_page_size = raw[FPY_IMAGE_DESC_OFF_MMU_PAGE_SIZE];
    if (a->magic_word != FPY_IMAGE_APP_DESC_MAGIC)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "bad app description magic",
                            "app_desc.magic_word", FPY_IMAGE_DESC_OFF_MAGIC,
                            FPY_IMAGE_APP_DESC_MAGIC, a->magic_word);
    return FPY_OK;
}

void fpy_image_app_desc_encode(const fpy_image_app_desc *a,
                               uint8_t raw[FPY_IMAGE_APP_DESC_LEN])
{
    memset(raw, 0, FPY_IMAGE_APP_DESC_LEN);
    fpy_put_le32(raw + FPY_IMAGE_DESC_OFF_MAGIC, a->magic_word);
    fpy_put_le32(raw + FPY_IMAGE_DESC_OFF_SECURE_VERSION, a->secure_version);
    fpy_desc_put_str(raw + FPY_IMAGE_DESC_OFF_VERSION, a->version, 32);
    fpy_desc_put_str(raw + FPY_IMAGE_DESC_OFF_PROJECT_NAME, a->project_name, 32);
    fpy_desc_put_str(raw + FPY_IMAGE_DESC_OFF_TIME, a->time, 16);
    fpy_desc_put_str(raw + FPY_IMAGE_DESC_OFF_DATE, a->date, 16);
    fpy_desc_put_str(raw + FPY_IMAGE_DESC_OFF_IDF_VER, a->idf_ver, 32);
    memcpy(raw + FPY_IMAGE_DESC_OFF_ELF_SHA256, a->app_elf_sha256, 32);
    fpy_put_le16(raw + FPY_IMAGE_DESC_OFF_MIN_EFUSE_REV, a->min_efuse_blk_rev_full);
    fpy_put_le16(raw + FPY_IMAGE_DESC_OFF_MAX_EFUSE_REV, a->max_efuse_blk_rev_full);
    raw[FPY_IMAGE_DESC_OFF_MMU_PAGE_SIZE] = a->mmu_page_size;
}
