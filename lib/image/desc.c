/* Fixed-layout records of the image (header, app and bootloader
 * descriptions) and esptool's ESP32 tables: memory map, flash settings. */
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

/* ---- memory map ------------------------------------------------------------ */

typedef struct fpy_mem_range {
    uint32_t start, end; /* [start, end) */
    uint8_t bit;
} fpy_mem_range;

/* esptool targets/esp32.py MEMORY_MAP, in its order.  The bit numbers
 * follow the order of first appearance so that listing bits in order
 * reproduces esptool's listing order. */
static const fpy_mem_range fpy_mem_map[] = {
    {0x00000000u, 0x00010000u, 0},  /* PADDING */
    {0x3F400000u, 0x3F800000u, 1},  /* DROM */
    {0x3F800000u, 0x3FC00000u, 2},  /* EXTRAM_DATA */
    {0x3FF80000u, 0x3FF82000u, 3},  /* RTC_DRAM */
    {0x3FF90000u, 0x40000000u, 4},  /* BYTE_ACCESSIBLE */
    {0x3FFAE000u, 0x40000000u, 5},  /* DRAM */
    {0x3FFE0000u, 0x3FFFFFFCu, 6},  /* DIRAM_DRAM */
    {0x40000000u, 0x40070000u, 7},  /* IROM (mask ROM) */
    {0x40070000u, 0x40078000u, 8},  /* CACHE_PRO */
    {0x40078000u, 0x40080000u, 9},  /* CACHE_APP */
    {0x40080000u, 0x400A0000u, 10}, /* IRAM */
    {0x400A0000u, 0x400BFFFCu, 11}, /* DIRAM_IRAM */
    {0x400C0000u, 0x400C2000u, 12}, /* RTC_IRAM */
    {0x400D0000u, 0x40400000u, 7},  /* IROM (flash) */
    {0x50000000u, 0x50002000u, 13}, /* RTC_DATA */
};

static const char *const fpy_mem_names[FPY_IMAGE_MEM_NTYPES] = {
    "PADDING", "DROM", "EXTRAM_DATA", "RTC_DRAM", "BYTE_ACCESSIBLE", "DRAM",
    "DIRAM_DRAM", "IROM", "CACHE_PRO", "CACHE_APP", "IRAM", "DIRAM_IRAM",
    "RTC_IRAM", "RTC_DATA",
};

uint32_t fpy_image_mem_types(uint32_t addr)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < sizeof fpy_mem_map / sizeof fpy_mem_map[0]; i++)
        if (fpy_mem_map[i].start <= addr && addr < fpy_mem_map[i].end)
            mask |= 1u << fpy_mem_map[i].bit;
    return mask;
}

const char *fpy_image_mem_name(unsigned bit)
{
    return bit < FPY_IMAGE_MEM_NTYPES ? fpy_mem_names[bit] : NULL;
}

int fpy_image_is_flash_addr(uint32_t addr)
{
    return (addr >= 0x400D0000u && addr < 0x40400000u) ||
           (addr >= 0x3F400000u && addr < 0x3F800000u);
}

/* ---- flash settings -------------------------------------------------------- */

typedef struct fpy_name_code {
    const char *name;
    uint8_t code;
} fpy_name_code;

static const fpy_name_code fpy_modes[] = {
    {"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3},
};
static const fpy_name_code fpy_freqs[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2},
};
static const fpy_name_code fpy_sizes[] = {
    {"1MB", 0}, {"2MB", 1}, {"4MB", 2}, {"8MB", 3},
    {"16MB", 4}, {"32MB", 5}, {"64MB", 6}, {"128MB", 7},
};

#define FPY_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *fpy_code_name(const fpy_name_code *t, size_t n, uint8_t code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].name;
    return NULL;
}

static int fpy_name_lookup(const fpy_name_code *t, size_t n, const char *name,
                           uint8_t *code)
{
    for (size_t i = 0; i < n; i++) {
        if (name != NULL && strcmp(t[i].name, name) == 0) {
            *code = t[i].code;
            return FPY_OK;
        }
    }
    return FPY_ERR_INVAL;
}

const char *fpy_image_flash_mode_name(uint8_t mode)
{
    return fpy_code_name(fpy_modes, FPY_NELEM(fpy_modes), mode);
}

const char *fpy_image_flash_freq_name(uint8_t freq)
{
    return fpy_code_name(fpy_freqs, FPY_NELEM(fpy_freqs), freq);
}

const char *fpy_image_flash_size_name(uint8_t size)
{
    return fpy_code_name(fpy_sizes, FPY_NELEM(fpy_sizes), size);
}

int fpy_image_flash_mode_parse(const char *name, uint8_t *mode)
{
    return fpy_name_lookup(fpy_modes, FPY_NELEM(fpy_modes), name, mode);
}

int fpy_image_flash_freq_parse(const char *name, uint8_t *freq)
{
    return fpy_name_lookup(fpy_freqs, FPY_NELEM(fpy_freqs), name, freq);
}

int fpy_image_flash_size_parse(const char *name, uint8_t *size)
{
    return fpy_name_lookup(fpy_sizes, FPY_NELEM(fpy_sizes), name, size);
}
