/*
 * esptool 5.3.1's tables for the chips of the ESP32 family, as
 * `image-info` uses them: each chip's memory map (which names it gives a
 * segment's load address) and flash frequency names, and the flash mode
 * and size names all of them share.  Data only: taken from esptool's
 * targets/ modules, in their order, since the order is what esptool prints.
 */
#include <string.h>

#include "fipy/image.h"

#define FPY_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bit numbers of the memory types (fpy_image_mem_name). */
enum {
    FPY_MEM_PADDING, FPY_MEM_DROM, FPY_MEM_EXTRAM_DATA, FPY_MEM_RTC_DRAM,
    FPY_MEM_BYTE_ACCESSIBLE, FPY_MEM_DRAM, FPY_MEM_DIRAM_DRAM, FPY_MEM_IROM,
    FPY_MEM_CACHE_PRO, FPY_MEM_CACHE_APP, FPY_MEM_IRAM, FPY_MEM_DIRAM_IRAM,
    FPY_MEM_RTC_IRAM, FPY_MEM_RTC_DATA, FPY_MEM_MEM_INTERNAL, FPY_MEM_IROM_MASK,
    FPY_MEM_DROM_MASK, FPY_MEM_MEM_INTERNAL2, FPY_MEM_COUNT
};
_Static_assert(FPY_MEM_COUNT == FPY_IMAGE_MEM_NTYPES, "one name per type bit");
_Static_assert(FPY_IMAGE_MEM_DROM == 1u << FPY_MEM_DROM, "DROM bit");
_Static_assert(FPY_IMAGE_MEM_DRAM == 1u << FPY_MEM_DRAM, "DRAM bit");

static const char *const fpy_mem_names[FPY_MEM_COUNT] = {
    "PADDING", "DROM", "EXTRAM_DATA", "RTC_DRAM", "BYTE_ACCESSIBLE", "DRAM",
    "DIRAM_DRAM", "IROM", "CACHE_PRO", "CACHE_APP", "IRAM", "DIRAM_IRAM",
    "RTC_IRAM", "RTC_DATA", "MEM_INTERNAL", "IROM_MASK", "DROM_MASK",
    "MEM_INTERNAL2",
};

/* ---- memory maps: [start, end), in esptool's order ------------------------- */

/* ESP32 */
static const fpy_image_mem_range fpy_map_esp32[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3F400000u, 0x3F800000u, FPY_MEM_DROM},
    {0x3F800000u, 0x3FC00000u, FPY_MEM_EXTRAM_DATA},
    {0x3FF80000u, 0x3FF82000u, FPY_MEM_RTC_DRAM},
    {0x3FF90000u, 0x40000000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x3FFAE000u, 0x40000000u, FPY_MEM_DRAM},
    {0x3FFE0000u, 0x3FFFFFFCu, FPY_MEM_DIRAM_DRAM},
    {0x40000000u, 0x40070000u, FPY_MEM_IROM},
    {0x40070000u, 0x40078000u, FPY_MEM_CACHE_PRO},
    {0x40078000u, 0x40080000u, FPY_MEM_CACHE_APP},
    {0x40080000u, 0x400A0000u, FPY_MEM_IRAM},
    {0x400A0000u, 0x400BFFFCu, FPY_MEM_DIRAM_IRAM},
    {0x400C0000u, 0x400C2000u, FPY_MEM_RTC_IRAM},
    {0x400D0000u, 0x40400000u, FPY_MEM_IROM},
    {0x50000000u, 0x50002000u, FPY_MEM_RTC_DATA},
};
/* ESP32-S2 */
static const fpy_image_mem_range fpy_map_esp32_s2[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3F000000u, 0x3FF80000u, FPY_MEM_DROM},
    {0x3F500000u, 0x3FF80000u, FPY_MEM_EXTRAM_DATA},
    {0x3FF9E000u, 0x3FFA0000u, FPY_MEM_RTC_DRAM},
    {0x3FF9E000u, 0x40000000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x3FF9E000u, 0x40072000u, FPY_MEM_MEM_INTERNAL},
    {0x3FFB0000u, 0x40000000u, FPY_MEM_DRAM},
    {0x40000000u, 0x4001A100u, FPY_MEM_IROM_MASK},
    {0x40020000u, 0x40070000u, FPY_MEM_IRAM},
    {0x40070000u, 0x40072000u, FPY_MEM_RTC_IRAM},
    {0x40080000u, 0x40800000u, FPY_MEM_IROM},
    {0x50000000u, 0x50002000u, FPY_MEM_RTC_DATA},
};
/* ESP32-S3 */
static const fpy_image_mem_range fpy_map_esp32_s3[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3C000000u, 0x3D000000u, FPY_MEM_DROM},
    {0x3D000000u, 0x3E000000u, FPY_MEM_EXTRAM_DATA},
    {0x600FE000u, 0x60100000u, FPY_MEM_RTC_DRAM},
    {0x3FC88000u, 0x3FD00000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x3FC88000u, 0x403E2000u, FPY_MEM_MEM_INTERNAL},
    {0x3FC88000u, 0x3FD00000u, FPY_MEM_DRAM},
    {0x40000000u, 0x4001A100u, FPY_MEM_IROM_MASK},
    {0x40370000u, 0x403E0000u, FPY_MEM_IRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_RTC_IRAM},
    {0x42000000u, 0x42800000u, FPY_MEM_IROM},
    {0x50000000u, 0x50002000u, FPY_MEM_RTC_DATA},
};
/* ESP32-C3 */
static const fpy_image_mem_range fpy_map_esp32_c3[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3C000000u, 0x3C800000u, FPY_MEM_DROM},
    {0x3FC80000u, 0x3FCE0000u, FPY_MEM_DRAM},
    {0x3FC88000u, 0x3FD00000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x3FF00000u, 0x3FF20000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x40060000u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x42800000u, FPY_MEM_IROM},
    {0x4037C000u, 0x403E0000u, FPY_MEM_IRAM},
    {0x50000000u, 0x50002000u, FPY_MEM_RTC_IRAM},
    {0x50000000u, 0x50002000u, FPY_MEM_RTC_DRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-C2 */
static const fpy_image_mem_range fpy_map_esp32_c2[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3C000000u, 0x3C400000u, FPY_MEM_DROM},
    {0x3FCA0000u, 0x3FCE0000u, FPY_MEM_DRAM},
    {0x3FC88000u, 0x3FD00000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x3FF00000u, 0x3FF50000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x40090000u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x42400000u, FPY_MEM_IROM},
    {0x4037C000u, 0x403C0000u, FPY_MEM_IRAM},
};
/* ESP32-C6, ESP32-H2, ESP32-H21 */
static const fpy_image_mem_range fpy_map_esp32_c6[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x42000000u, 0x43000000u, FPY_MEM_DROM},
    {0x40800000u, 0x40880000u, FPY_MEM_DRAM},
    {0x40800000u, 0x40880000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x4004AC00u, 0x40050000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x4004AC00u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x43000000u, FPY_MEM_IROM},
    {0x40800000u, 0x40880000u, FPY_MEM_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_DRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-C61 */
static const fpy_image_mem_range fpy_map_esp32_c61[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x42000000u, 0x44000000u, FPY_MEM_DROM},
    {0x40800000u, 0x40860000u, FPY_MEM_DRAM},
    {0x40800000u, 0x40860000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x4004AC00u, 0x40050000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x4004AC00u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x44000000u, FPY_MEM_IROM},
    {0x40800000u, 0x40860000u, FPY_MEM_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_DRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-C5 */
static const fpy_image_mem_range fpy_map_esp32_c5[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x42000000u, 0x44000000u, FPY_MEM_DROM},
    {0x40800000u, 0x40860000u, FPY_MEM_DRAM},
    {0x40800000u, 0x40860000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x4003A000u, 0x40040000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x4003A000u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x44000000u, FPY_MEM_IROM},
    {0x40800000u, 0x40860000u, FPY_MEM_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_DRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-E22 */
static const fpy_image_mem_range fpy_map_esp32_e22[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x3C000000u, 0x40000000u, FPY_MEM_DROM},
    {0x31000000u, 0x31200000u, FPY_MEM_DRAM},
    {0x31000000u, 0x31200000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x30000000u, 0x30120000u, FPY_MEM_DROM_MASK},
    {0x30000000u, 0x30120000u, FPY_MEM_IROM_MASK},
    {0x3C000000u, 0x40000000u, FPY_MEM_IROM},
    {0x30FE0000u, 0x31200000u, FPY_MEM_IRAM},
    {0xC0000000u, 0xC0008000u, FPY_MEM_RTC_IRAM},
    {0xC0000000u, 0xC0008000u, FPY_MEM_RTC_DRAM},
};
/* ESP32-P4 */
static const fpy_image_mem_range fpy_map_esp32_p4[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x40000000u, 0x4C000000u, FPY_MEM_DROM},
    {0x4FF00000u, 0x4FFA0000u, FPY_MEM_DRAM},
    {0x4FF00000u, 0x4FFA0000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x4FC00000u, 0x4FC20000u, FPY_MEM_DROM_MASK},
    {0x4FC00000u, 0x4FC20000u, FPY_MEM_IROM_MASK},
    {0x40000000u, 0x4C000000u, FPY_MEM_IROM},
    {0x4FF00000u, 0x4FFA0000u, FPY_MEM_IRAM},
    {0x50108000u, 0x50110000u, FPY_MEM_RTC_IRAM},
    {0x50108000u, 0x50110000u, FPY_MEM_RTC_DRAM},
    {0x600FE000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-H4 */
static const fpy_image_mem_range fpy_map_esp32_h4[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x42000000u, 0x44000000u, FPY_MEM_DROM},
    {0x40810000u, 0x40860000u, FPY_MEM_DRAM},
    {0x40810000u, 0x40860000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x40000000u, 0x40050000u, FPY_MEM_DROM_MASK},
    {0x40000000u, 0x40050000u, FPY_MEM_IROM_MASK},
    {0x42000000u, 0x44000000u, FPY_MEM_IROM},
    {0x40810000u, 0x40860000u, FPY_MEM_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_IRAM},
    {0x50000000u, 0x50004000u, FPY_MEM_RTC_DRAM},
    {0x60000000u, 0x60100000u, FPY_MEM_MEM_INTERNAL2},
};
/* ESP32-S31 */
static const fpy_image_mem_range fpy_map_esp32_s31[] = {
    {0x00000000u, 0x00010000u, FPY_MEM_PADDING},
    {0x40000000u, 0x54000000u, FPY_MEM_DROM},
    {0x2F000000u, 0x2F080000u, FPY_MEM_DRAM},
    {0x2F000000u, 0x2F080000u, FPY_MEM_BYTE_ACCESSIBLE},
    {0x2F800000u, 0x2F850000u, FPY_MEM_DROM_MASK},
    {0x2F800000u, 0x2F850000u, FPY_MEM_IROM_MASK},
    {0x40000000u, 0x54000000u, FPY_MEM_IROM},
    {0x2F000000u, 0x2F080000u, FPY_MEM_IRAM},
    {0x2E000000u, 0x2E008000u, FPY_MEM_RTC_IRAM},
    {0x2E000000u, 0x2E008000u, FPY_MEM_RTC_DRAM},
};

/* ---- flash frequency names, in esptool's order ------------------------------- */

/* ESP32, ESP32-S2, ESP32-S3, ESP32-C3, ESP32-E22, ESP32-P4 */
static const fpy_image_name_code fpy_freq_esp32[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2},
};
/* ESP32-C2 */
static const fpy_image_name_code fpy_freq_esp32_c2[] = {
    {"60m", 0xF}, {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2},
};
/* ESP32-C6 */
static const fpy_image_name_code fpy_freq_esp32_c6[] = {
    {"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2},
};
/* ESP32-C61, ESP32-C5, ESP32-S31 */
static const fpy_image_name_code fpy_freq_esp32_c61[] = {
    {"80m", 0xF}, {"40m", 0x0}, {"20m", 0x2},
};
/* ESP32-H2, ESP32-H21, ESP32-H4 */
static const fpy_image_name_code fpy_freq_esp32_h2[] = {
    {"48m", 0xF}, {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2},
};

/* ---- the chips, by image chip id ------------------------------------------- */

#define FPY_CHIP(name, id, map, freq)                                         \
    {name, id, FPY_NELEM(map), FPY_NELEM(freq), map, freq}

/* The ESP32 first: fpy_image_mem_types() reads its map. */
static const fpy_image_chip fpy_chips[] = {
    FPY_CHIP("ESP32", 0, fpy_map_esp32, fpy_freq_esp32),
    FPY_CHIP("ESP32-S2", 2, fpy_map_esp32_s2, fpy_freq_esp32),
    FPY_CHIP("ESP32-C3", 5, fpy_map_esp32_c3, fpy_freq_esp32),
    FPY_CHIP("ESP32-S3", 9, fpy_map_esp32_s3, fpy_freq_esp32),
    FPY_CHIP("ESP32-C2", 12, fpy_map_esp32_c2, fpy_freq_esp32_c2),
    FPY_CHIP("ESP32-C6", 13, fpy_map_esp32_c6, fpy_freq_esp32_c6),
    FPY_CHIP("ESP32-H2", 16, fpy_map_esp32_c6, fpy_freq_esp32_h2),
    FPY_CHIP("ESP32-P4", 18, fpy_map_esp32_p4, fpy_freq_esp32),
    FPY_CHIP("ESP32-C61", 20, fpy_map_esp32_c61, fpy_freq_esp32_c61),
    FPY_CHIP("ESP32-C5", 23, fpy_map_esp32_c5, fpy_freq_esp32_c61),
    FPY_CHIP("ESP32-H21", 25, fpy_map_esp32_c6, fpy_freq_esp32_h2),
    FPY_CHIP("ESP32-H4", 28, fpy_map_esp32_h4, fpy_freq_esp32_h2),
    FPY_CHIP("ESP32-E22", 31, fpy_map_esp32_e22, fpy_freq_esp32),
    FPY_CHIP("ESP32-S31", 32, fpy_map_esp32_s31, fpy_freq_esp32_c61),
};

const fpy_image_chip *fpy_image_chip_by_id(uint32_t id)
{
    for (size_t i = 0; i < FPY_NELEM(fpy_chips); i++)
        if (fpy_chips[i].id == id)
            return &fpy_chips[i];
    return NULL;
}

const char *fpy_image_mem_name(unsigned bit)
{
    return bit < FPY_MEM_COUNT ? fpy_mem_names[bit] : NULL;
}

size_t fpy_image_chip_mem_list(const fpy_image_chip *c, uint32_t addr,
                               uint8_t out[FPY_IMAGE_MEM_NTYPES])
{
    size_t n = 0;
    for (size_t i = 0; c != NULL && i < c->nmap && n < FPY_IMAGE_MEM_NTYPES; i++)
        if (c->map[i].start <= addr && addr < c->map[i].end)
            out[n++] = c->map[i].type;
    return n;
}

uint32_t fpy_image_chip_mem_types(const fpy_image_chip *c, uint32_t addr)
{
    uint8_t list[FPY_IMAGE_MEM_NTYPES];
    size_t n = fpy_image_chip_mem_list(c, addr, list);
    uint32_t mask = 0;
    for (size_t i = 0; i < n; i++)
        mask |= 1u << list[i];
    return mask;
}

uint32_t fpy_image_mem_types(uint32_t addr)
{
    return fpy_image_chip_mem_types(&fpy_chips[0], addr);
}

int fpy_image_is_flash_addr(uint32_t addr)
{
    return (addr >= 0x400D0000u && addr < 0x40400000u) ||
           (addr >= 0x3F400000u && addr < 0x3F800000u);
}

/* ---- flash settings -------------------------------------------------------- */

static const fpy_image_name_code fpy_modes[] = {
    {"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3},
};
static const fpy_image_name_code fpy_sizes[] = {
    {"1MB", 0}, {"2MB", 1}, {"4MB", 2}, {"8MB", 3},
    {"16MB", 4}, {"32MB", 5}, {"64MB", 6}, {"128MB", 7},
};

static const char *fpy_code_name(const fpy_image_name_code *t, size_t n, uint8_t code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].name;
    return NULL;
}

static int fpy_name_lookup(const fpy_image_name_code *t, size_t n, const char *name,
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

const char *fpy_image_chip_freq_name(const fpy_image_chip *c, uint8_t code)
{
    return c != NULL ? fpy_code_name(c->freq, c->nfreq, code) : NULL;
}

const char *fpy_image_flash_mode_name(uint8_t mode)
{
    return fpy_code_name(fpy_modes, FPY_NELEM(fpy_modes), mode);
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
    return fpy_name_lookup(fpy_freq_esp32, FPY_NELEM(fpy_freq_esp32), name, freq);
}

int fpy_image_flash_size_parse(const char *name, uint8_t *size)
{
    return fpy_name_lookup(fpy_sizes, FPY_NELEM(fpy_sizes), name, size);
}
