/*
 * ESP32 app images (esp_image_header_t + segments + checksum + SHA-256),
 * and esptool's `elf2image --chip esp32`, byte for byte.
 * The format is described in docs/formats/app-image.md.
 *
 * Three jobs, kept apart:
 *  - Reading.  fpy_image_parse() walks an image held in memory or in
 *    flash (fpy_image_src), recomputes the checksum and the SHA-256 and
 *    decodes esp_app_desc_t / esp_bootloader_desc_t into an
 *    fpy_image_info, like `esptool image-info` (5.x).  It fails only when
 *    the structure cannot be walked; a wrong checksum or digest is
 *    recorded, not an error.  fpy_image_check() then decides whether the
 *    parsed image is acceptable (checksum, digest, ESP-IDF loader rules,
 *    app description) and fpy_image_verify() does both.
 *  - Building.  fpy_image_build() lays caller-given sections out as an
 *    image; fpy_image_elf2image() first takes the sections from an ELF32
 *    file.  Both follow esptool v5.3.1 exactly: 4-byte padding, merging,
 *    flash/RAM split, 64 KiB alignment with RAM used as padding, the 0x24
 *    rule, ELF SHA-256 patch, checksum, digest.
 *  - ELF32.  fpy_image_elf_parse() selects sections as esptool does;
 *    fpy_image_elf_write() writes a small ELF (for tests and demos).
 *
 * Guarantees of every parser here (image and ELF): reads only inside the
 * given source, every offset + length is checked without overflow before
 * use, loops are bounded by the format's counts (16 segments, the ELF's
 * section count), no recursion, no allocation, bounded stack (< 1 KiB).
 * Corrupt input returns a negative fpy_err and, when `diag` is non-NULL,
 * says which field at which offset was wrong (expected vs found).
 *
 * Nothing here allocates: the caller provides the info struct, the
 * scratch buffer for flash reads, the build workspace and the output.
 */
#ifndef FIPY_IMAGE_H
#define FIPY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/flash.h"

/* ---- the image header (esp_image_header_t, 8 + 16 bytes) --------------- */

#define FPY_IMAGE_MAGIC 0xE9u
#define FPY_IMAGE_HEADER_LEN 24u
#define FPY_IMAGE_SEG_HEADER_LEN 8u
#define FPY_IMAGE_MAX_SEGMENTS 16u        /* ESP_IMAGE_MAX_SEGMENTS */
#define FPY_IMAGE_MAX_SEG_LEN 0x1000000u  /* data_len must stay below 16 MiB */
#define FPY_IMAGE_CHECKSUM_SEED 0xEFu     /* ESP_CHECKSUM_MAGIC */
#define FPY_IMAGE_DIGEST_LEN 32u
#define FPY_IMAGE_MMU_PAGE 0x10000u       /* ESP32 flash MMU page */
#define FPY_IMAGE_WP_PIN_DISABLED 0xEEu
#define FPY_IMAGE_CHIP_ID_ESP32 0x0000u

/* Byte offsets inside the 24-byte header. */
#define FPY_IMAGE_OFF_MAGIC 0x00u
#define FPY_IMAGE_OFF_SEGMENT_COUNT 0x01u
#define FPY_IMAGE_OFF_SPI_MODE 0x02u
#define FPY_IMAGE_OFF_SPI_SPEED_SIZE 0x03u /* speed low nibble, size high */
#define FPY_IMAGE_OFF_ENTRY_ADDR 0x04u
#define FPY_IMAGE_OFF_WP_PIN 0x08u
#define FPY_IMAGE_OFF_SPI_PIN_DRV 0x09u    /* 3 bytes */
#define FPY_IMAGE_OFF_CHIP_ID 0x0Cu
#define FPY_IMAGE_OFF_MIN_CHIP_REV 0x0Eu
#define FPY_IMAGE_OFF_MIN_CHIP_REV_FULL 0x0Fu
#define FPY_IMAGE_OFF_MAX_CHIP_REV_FULL 0x11u
#define FPY_IMAGE_OFF_RESERVED 0x13u       /* 4 bytes */
#define FPY_IMAGE_OFF_HASH_APPENDED 0x17u
_Static_assert(FPY_IMAGE_OFF_HASH_APPENDED + 1u == FPY_IMAGE_HEADER_LEN,
               "esp_image_header_t is 24 bytes");
_Static_assert(FPY_IMAGE_OFF_RESERVED + 4u == FPY_IMAGE_OFF_HASH_APPENDED,
               "reserved[4] precedes hash_appended");

/* Header byte 2 (esp_image_spi_mode_t). */
#define FPY_IMAGE_FLASH_MODE_QIO 0u
#define FPY_IMAGE_FLASH_MODE_QOUT 1u
#define FPY_IMAGE_FLASH_MODE_DIO 2u
#define FPY_IMAGE_FLASH_MODE_DOUT 3u
/* Low nibble of byte 3 on ESP32. */
#define FPY_IMAGE_FLASH_FREQ_40M 0x0u
#define FPY_IMAGE_FLASH_FREQ_26M 0x1u
#define FPY_IMAGE_FLASH_FREQ_20M 0x2u
#define FPY_IMAGE_FLASH_FREQ_80M 0xFu
/* High nibble of byte 3: 0 = 1MB, 1 = 2MB, ... 7 = 128MB (1MB << code). */
#define FPY_IMAGE_FLASH_SIZE_1MB 0u
#define FPY_IMAGE_FLASH_SIZE_2MB 1u
#define FPY_IMAGE_FLASH_SIZE_4MB 2u
#define FPY_IMAGE_FLASH_SIZE_8MB 3u
#define FPY_IMAGE_FLASH_SIZE_16MB 4u

typedef struct fpy_image_header {
    uint8_t magic;
    uint8_t segment_count;
    uint8_t spi_mode;
    uint8_t spi_speed;         /* low nibble of byte 3 */
    uint8_t spi_size;          /* high nibble of byte 3 */
    uint32_t entry_addr;
    uint8_t wp_pin;
    uint8_t spi_pin_drv[3];    /* clk|q<<4, d|cs<<4, hd|wp<<4 */
    uint16_t chip_id;
    uint8_t min_chip_rev;      /* legacy: the major revision */
    uint16_t min_chip_rev_full;/* major*100 + minor */
    uint16_t max_chip_rev_full;
    uint8_t reserved[4];
    uint8_t hash_appended;
} fpy_image_header;

/* Decode 24 bytes (no checks) / encode them. */
void fpy_image_header_decode(const uint8_t raw[FPY_IMAGE_HEADER_LEN],
                             fpy_image_header *h);
void fpy_image_header_encode(const fpy_image_header *h,
                             uint8_t raw[FPY_IMAGE_HEADER_LEN]);

/* ---- esp_app_desc_t (256 bytes at image offset 0x20) -------------------- */

#define FPY_IMAGE_APP_DESC_MAGIC 0xABCD5432u
#define FPY_IMAGE_APP_DESC_LEN 256u
#define FPY_IMAGE_APP_DESC_IMAGE_OFF 0x20u /* header + first segment header */
#define FPY_IMAGE_DESC_OFF_MAGIC 0x00u
#define FPY_IMAGE_DESC_OFF_SECURE_VERSION 0x04u
#define FPY_IMAGE_DESC_OFF_RESERV1 0x08u        /* 8 bytes */
#define FPY_IMAGE_DESC_OFF_VERSION 0x10u        /* 32 */
#define FPY_IMAGE_DESC_OFF_PROJECT_NAME 0x30u   /* 32 */
#define FPY_IMAGE_DESC_OFF_TIME 0x50u           /* 16 */
#define FPY_IMAGE_DESC_OFF_DATE 0x60u           /* 16 */
#define FPY_IMAGE_DESC_OFF_IDF_VER 0x70u        /* 32 */
#define FPY_IMAGE_DESC_OFF_ELF_SHA256 0x90u     /* 32 */
#define FPY_IMAGE_DESC_OFF_MIN_EFUSE_REV 0xB0u  /* u16, v5.3.2+ */
#define FPY_IMAGE_DESC_OFF_MAX_EFUSE_REV 0xB2u  /* u16, v5.3.2+ */
#define FPY_IMAGE_DESC_OFF_MMU_PAGE_SIZE 0xB4u  /* u8 log2, v5.4+ */
#define FPY_IMAGE_DESC_OFF_RESERV2 0xB8u        /* to the end */
/* Where esptool patches the ELF SHA-256: image 0x20 + desc 0x90. */
#define FPY_IMAGE_ELF_SHA256_OFF 0xB0u
_Static_assert(FPY_IMAGE_APP_DESC_IMAGE_OFF ==
                   FPY_IMAGE_HEADER_LEN + FPY_IMAGE_SEG_HEADER_LEN,
               "app desc starts the first segment's data");
_Static_assert(FPY_IMAGE_APP_DESC_IMAGE_OFF + FPY_IMAGE_DESC_OFF_ELF_SHA256 ==
                   FPY_IMAGE_ELF_SHA256_OFF,
               "app_elf_sha256 sits at image offset 0xB0");
_Static_assert(FPY_IMAGE_DESC_OFF_RESERV2 + 72u == FPY_IMAGE_APP_DESC_LEN,
               "esp_app_desc_t is 256 bytes");

typedef struct fpy_image_app_desc {
    uint32_t magic_word;
    uint32_t secure_version;
    /* Strings with every NUL removed (as esptool prints them), NUL-ended. */
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size; /* log2; 0 = not recorded */
} fpy_image_app_desc;

/* Decode 256 bytes.  FPY_ERR_CORRUPT (and *d filled) if the magic word is
 * not 0xABCD5432; the fields are decoded anyway. */
int fpy_image_app_desc_decode(const uint8_t raw[FPY_IMAGE_APP_DESC_LEN],
                              fpy_image_app_desc *a, fpy_diag *d);
/* Encode; strings are cut to their field (31 chars + NUL at most for the
 * 32-byte ones) and NUL-padded, reserved bytes are zero. */
void fpy_image_app_desc_encode(const fpy_image_app_desc *a,
                               uint8_t raw[FPY_IMAGE_APP_DESC_LEN]);

/* esp_bootloader_desc_t (80 bytes, magic byte 0x50). */
#define FPY_IMAGE_BOOT_DESC_MAGIC 0x50u
#define FPY_IMAGE_BOOT_DESC_LEN 80u
typedef struct fpy_image_boot_desc {
    uint32_t version;
    char idf_ver[33];
    char date_time[25];
} fpy_image_boot_desc;

/* ---- chips and memory maps (esptool 5.3.1's targets) ---------------------- */

/* Memory-type names, as esptool spells them.  Bit i of a memory-type mask
 * is the type fpy_image_mem_name(i).  Bits 0-13 are the ESP32's types in
 * the order of esptool's ESP32 MEMORY_MAP, so for the ESP32 listing set
 * bits from 0 up gives esptool's "BYTE_ACCESSIBLE, DRAM"; 14-17 occur
 * only on other chips (list those with fpy_image_chip_mem_list).  IROM
 * names both the ESP32's mask ROM at 0x40000000 and flash-mapped code at
 * 0x400D0000, as esptool does. */
#define FPY_IMAGE_MEM_NTYPES 18u
const char *fpy_image_mem_name(unsigned bit);
/* The DROM and DRAM type bits, for "is this segment DROM" on any chip. */
#define FPY_IMAGE_MEM_DROM (1u << 1)
#define FPY_IMAGE_MEM_DRAM (1u << 5)

/* One row of a chip's memory map: [start, end) has type `type` (a bit
 * number of the mask above). */
typedef struct fpy_image_mem_range {
    uint32_t start;
    uint32_t end;
    uint8_t type;
} fpy_image_mem_range;

/* A name and its header code, as in esptool's tables; a lookup by code
 * takes the first row that has it (esptool's ESP32-C6 names code 0 both
 * "80m" and "40m", and prints "80m"). */
typedef struct fpy_image_name_code {
    const char *name;
    uint8_t code;
} fpy_image_name_code;

/* A chip esptool 5.3.1 knows, as `image-info` describes its images.  All
 * chips of the ESP32 family share the header layout, flash modes and flash
 * sizes; they differ in memory map and flash frequency names.  Only the
 * ESP32 is a FiPy: fpy_image_check's loader rules refuse the others. */
typedef struct fpy_image_chip {
    const char *name;                 /* "ESP32-S2", as esptool prints it */
    uint16_t id;                      /* the header's chip_id */
    uint8_t nmap;
    uint8_t nfreq;
    const fpy_image_mem_range *map;   /* esptool's MEMORY_MAP, its order */
    const fpy_image_name_code *freq;  /* esptool's FLASH_FREQUENCY, its order */
} fpy_image_chip;

/* The chip whose image chip id is `id` (ESP32 0, ESP32-S2 2, ESP32-C3 5,
 * ESP32-S3 9, ESP32-C2 12, ESP32-C6 13, ESP32-H2 16, ESP32-P4 18,
 * ESP32-C61 20, ESP32-C5 23, ESP32-H21 25, ESP32-H4 28, ESP32-E22 31,
 * ESP32-S31 32), or NULL. */
const fpy_image_chip *fpy_image_chip_by_id(uint32_t id);
/* The memory types of `addr` on chip `c`, in esptool's order (the order
 * of the rows of c's map that contain it), as bit numbers into out[];
 * returns how many.  `c` NULL: none. */
size_t fpy_image_chip_mem_list(const fpy_image_chip *c, uint32_t addr,
                               uint8_t out[FPY_IMAGE_MEM_NTYPES]);
/* The same as a mask. */
uint32_t fpy_image_chip_mem_types(const fpy_image_chip *c, uint32_t addr);
/* The flash frequency name of header code `code` on chip `c`; NULL if
 * esptool has none (it then warns "Invalid flash frequency"). */
const char *fpy_image_chip_freq_name(const fpy_image_chip *c, uint8_t code);

/* The ESP32's memory types of `addr` (what elf2image merges by). */
uint32_t fpy_image_mem_types(uint32_t addr);
/* ESP32 flash-mapped: IROM [0x400D0000, 0x40400000) or DROM [0x3F400000, 0x3F800000). */
int fpy_image_is_flash_addr(uint32_t addr);

/* Names as esptool spells them for the ESP32 ("dio", "40m", "8MB"); NULL
 * if unknown.  Modes and sizes are the same on every chip. */
const char *fpy_image_flash_mode_name(uint8_t mode);
const char *fpy_image_flash_size_name(uint8_t size);
/* Name -> code; FPY_ERR_INVAL for names esptool refuses. */
int fpy_image_flash_mode_parse(const char *name, uint8_t *mode);
int fpy_image_flash_freq_parse(const char *name, uint8_t *freq);
int fpy_image_flash_size_parse(const char *name, uint8_t *size);

/* ---- reading: where the image is --------------------------------------- */

/* An image in memory (`mem` set) or in flash (`flash` set, image at flash
 * address `base`).  `size` is how many bytes may be read: the buffer
 * length, or the slot size.  Nothing is read past it. */
typedef struct fpy_image_src {
    const uint8_t *mem;
    const fpy_flash *flash;
    uint32_t base;
    uint32_t size;
} fpy_image_src;

/* Buffers above 4 GiB are seen as their first 4 GiB - 1 bytes. */
static inline fpy_image_src fpy_image_src_mem(const uint8_t *buf, size_t len)
{
    fpy_image_src s = {buf, NULL, 0u,
                       len > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)len};
    return s;
}

static inline fpy_image_src fpy_image_src_flash(const fpy_flash *f,
                                                uint32_t base, uint32_t size)
{
    fpy_image_src s = {NULL, f, base, size};
    return s;
}

typedef struct fpy_image_segment {
    uint32_t load_addr;
    uint32_t data_len;
    uint32_t file_offset; /* of the 8-byte segment header; data follows */
    uint32_t mem_types;   /* fpy_image_chip_mem_types(info->chip, load_addr) */
} fpy_image_segment;

typedef struct fpy_image_info {
    fpy_image_header hdr;
    /* The chip the image was read as: the one given to
     * fpy_image_parse_as(), or the one its chip id names.  Like esptool
     * image-info, the id's low byte alone picks it (so chip id 0x0102
     * reads as an ESP32-S2 whose id is not 2).  NULL: no chip has that
     * id; segments then have no memory types and no description. */
    const fpy_image_chip *chip;
    uint32_t nsegments;                 /* == hdr.segment_count */
    fpy_image_segment seg[FPY_IMAGE_MAX_SEGMENTS];
    uint32_t checksum_offset;           /* the checksum byte: 16n + 15 */
    uint8_t checksum;                   /* stored */
    uint8_t checksum_calc;              /* XOR of all data bytes, seed 0xEF */
    uint8_t checksum_ok;
    uint8_t has_digest;                 /* hash_appended == 1 */
    uint8_t digest_ok;
    uint8_t digest_len;   /* stored digest bytes present: 32, or fewer when
                             the source ends inside the digest */
    uint8_t digest[FPY_IMAGE_DIGEST_LEN];      /* stored, at checksum_offset+1
                                                  (digest_len bytes, then 0) */
    uint8_t digest_calc[FPY_IMAGE_DIGEST_LEN]; /* over [0, checksum_offset] */
    uint32_t image_len;   /* through the checksum block and the digest
                             bytes present */
    uint32_t src_size;    /* bytes the source offered (>= image_len) */
    /* The first DROM segment, decoded as esptool image-info does. */
    int32_t drom_index;         /* -1: no DROM segment */
    uint8_t has_app_desc;       /* that segment starts with the magic */
    uint32_t app_desc_magic;    /* what was found there (0 if < 4 bytes) */
    fpy_image_app_desc app_desc;
    /* No app description: the last DRAM segment of >= 80 bytes whose
     * first byte is 0x50 (a bootloader). */
    uint8_t has_boot_desc;
    fpy_image_boot_desc boot_desc;
} fpy_image_info;

/*
 * Walk the image in `src`, fill `info`.  `scratch` (scratch_len >= 1)
 * is where flash content is read in chunks while hashing; it may be NULL
 * for an in-memory source.  Returns FPY_OK when the structure can be
 * walked up to the checksum byte, like esptool image-info: a wrong
 * checksum or digest, a digest cut short by the end of the source
 * (info->digest_len < 32) or a chip id of another chip are recorded, not
 * errors (fpy_image_check refuses them).  Otherwise:
 *   FPY_ERR_TRUNCATED  source ends inside the header, a segment or the
 *                      checksum block;
 *   FPY_ERR_CORRUPT    bad magic, more than 16 segments, hash_appended
 *                      not 0/1, a data_len of 16 MiB or more;
 *   FPY_ERR_INVAL      a flash source without scratch;
 *   anything the flash read returned.
 */
int fpy_image_parse(const fpy_image_src *src, uint8_t *scratch,
                    uint32_t scratch_len, fpy_image_info *info, fpy_diag *d);
/* The same, reading the image as one for `chip` whatever its chip id says
 * (as esptool image-info does with --chip, and with every image after the
 * first of a merged file); `chip` NULL: by the chip id. */
int fpy_image_parse_as(const fpy_image_src *src, const fpy_image_chip *chip,
                       uint8_t *scratch, uint32_t scratch_len,
                       fpy_image_info *info, fpy_diag *d);

/* What fpy_image_check() demands besides checksum and digest. */
#define FPY_IMAGE_CHECK_LOADER 0x1u   /* chip id ESP32, data_len % 4 == 0,
                                         mapped segments' flash offset %
                                         64K == load_addr % 64K */
#define FPY_IMAGE_CHECK_APP_DESC 0x2u /* esp_app_desc_t at image offset 0x20 */
#define FPY_IMAGE_CHECK_APP (FPY_IMAGE_CHECK_LOADER | FPY_IMAGE_CHECK_APP_DESC)

/*
 * Decide whether a parsed image is acceptable.  Pure: reads only `info`.
 * In this order: a digest cut short (FPY_ERR_TRUNCATED, field "sha256"),
 * checksum (FPY_ERR_CHECKSUM, field "checksum"), digest when appended
 * (FPY_ERR_CHECKSUM, field "sha256"), then with CHECK_LOADER the chip id:
 * anything but the ESP32's 0 (FPY_ERR_UNSUPPORTED), segment lengths and mapping alignment
 * (FPY_ERR_CORRUPT), then with CHECK_APP_DESC the app description
 * (FPY_ERR_NOTFOUND when segment 0 is not DROM, FPY_ERR_TRUNCATED when it
 * is shorter than 256 bytes, FPY_ERR_CORRUPT for a wrong magic).
 * Returns FPY_OK if everything holds.
 */
int fpy_image_check(const fpy_image_info *info, uint32_t flags, fpy_diag *d);

/* fpy_image_parse() then fpy_image_check(). */
int fpy_image_verify(const fpy_image_src *src, uint8_t *scratch,
                     uint32_t scratch_len, uint32_t flags,
                     fpy_image_info *info, fpy_diag *d);

/* ---- building ----------------------------------------------------------- */

/* A piece of memory to place in an image: an ELF section, or a raw segment
 * from the caller.  `data` holds `len` bytes and must stay valid during
 * the build; the builder pads it with zeros to a multiple of 4 as esptool
 * does.  `name` (may be NULL) matters for ".flash.appdesc" (moved first
 * among flash segments, enables the automatic ELF SHA-256 patch) and
 * ".dram0.bootdesc" (moved first among RAM segments). */
typedef struct fpy_image_section {
    const char *name;
    uint32_t addr;
    const uint8_t *data;
    uint32_t len;
} fpy_image_section;

/* elf2image options.  FPY_IMAGE_OPTS_DEFAULT() gives esptool's defaults
 * (qio, 40m, 1MB, min rev 0, max_rev_full 65535, digest appended). */
typedef struct fpy_image_opts {
    uint8_t flash_mode;         /* FPY_IMAGE_FLASH_MODE_* (0..5) */
    uint8_t flash_freq;         /* FPY_IMAGE_FLASH_FREQ_* (nibble) */
    uint8_t flash_size;         /* FPY_IMAGE_FLASH_SIZE_* (nibble) */
    uint8_t min_rev;            /* legacy header byte 0x0E */
    uint16_t min_rev_full;
    uint16_t max_rev_full;
    uint8_t no_digest;          /* 1: hash_appended = 0, nothing appended */
    uint8_t secure_pad;         /* 0, 1 (--secure-pad) or 2 (--secure-pad-v2) */
    uint8_t use_segments;       /* ELF: PT_LOAD headers instead of sections */
    uint32_t elf_sha256_offset; /* 0: automatic (0xB0 with .flash.appdesc) */
    uint32_t pad_to_size;       /* 0: none; else 0xFF up to a multiple */
} fpy_image_opts;

#define FPY_IMAGE_OPTS_DEFAULT()                                              \
    ((fpy_image_opts){0u, 0u, 0u, 0u, 0u, 0xFFFFu, 0u, 0u, 0u, 0u, 0u})

/* Capacities of the build workspace.  More ELF sections with an address
 * and data than FPY_IMAGE_MAX_SECTIONS gives FPY_ERR_NOSPC. */
#define FPY_IMAGE_MAX_SECTIONS 128u
/* Each flash segment needs at most one padding segment, plus secure pad. */
#define FPY_IMAGE_MAX_OUT_SEGMENTS (2u * FPY_IMAGE_MAX_SEGMENTS + 1u)

/* A merged segment: sections [first, first+count) back to back. */
typedef struct fpy_image_run {
    uint32_t addr;
    uint32_t len;       /* sum of the 4-padded section lengths */
    uint16_t first;
    uint16_t count;
} fpy_image_run;

/* One segment of the output: `len` bytes of run `run` starting `skip`
 * bytes in (zeros past the run's end: the 0x24 rule), or zeros when run
 * is -1 (padding, secure padding). */
typedef struct fpy_image_piece {
    uint32_t load_addr;
    uint32_t len;
    uint32_t skip;
    uint32_t file_offset;
    int32_t run;
} fpy_image_piece;

/* The build workspace, owned by the caller (about 5 KiB); after a
 * successful build it holds the plan, which tests may inspect. */
typedef struct fpy_image_builder {
    fpy_image_section sec[FPY_IMAGE_MAX_SECTIONS];
    uint32_t nsec;
    uint32_t entry;
    fpy_image_run run[FPY_IMAGE_MAX_SEGMENTS];
    uint32_t nrun;
    fpy_image_piece out[FPY_IMAGE_MAX_OUT_SEGMENTS];
    uint32_t nout;
    uint32_t checksum_offset;
    uint32_t image_len;       /* what is written to `out` */
    uint32_t elf_sha256_off;  /* 0: no patch */
    uint8_t elf_sha256[FPY_IMAGE_DIGEST_LEN];
} fpy_image_builder;

/*
 * Build an image from `n` sections (taken as ELF sections in
 * section-header order: zero-address and empty ones are skipped), with
 * entry point `entry`.  `elf_sha256`, if non-NULL, is patched in at
 * opts->elf_sha256_offset, or at 0xB0 when that is 0 and a section whose
 * name contains ".flash.appdesc" is flash-mapped.  `opts` NULL means
 * FPY_IMAGE_OPTS_DEFAULT().
 * Writes the image to out[0..*out_len).  Returns FPY_OK, or:
 *   FPY_ERR_NOSPC     `out_cap` too small (*out_len = bytes needed), or
 *                     more sections than the workspace holds;
 *   FPY_ERR_INVAL     bad options; more than 16 segments after merging;
 *                     two flash segments in one 64 KiB page; a segment of
 *                     16 MiB or more; the ELF SHA-256 offset straddles a
 *                     segment boundary or would overwrite non-zero bytes
 *                     (esptool: "Refusing to overwrite");
 *   FPY_ERR_ALIGN     a segment length that is not a multiple of 4 (a
 *                     flash address that is not 4-aligned).
 * Nothing is written to `out` unless the plan succeeded.
 */
int fpy_image_build(fpy_image_builder *b, const fpy_image_section *secs,
                    size_t n, uint32_t entry, const fpy_image_opts *opts,
                    const uint8_t *elf_sha256, uint8_t *out, size_t out_cap,
                    size_t *out_len, fpy_diag *d);

/*
 * `esptool elf2image --chip esp32`: take the sections (or PT_LOAD
 * segments) of the ELF32 file elf[0..elf_len), then fpy_image_build()
 * with the SHA-256 of the whole ELF.  Besides fpy_image_build()'s
 * errors, ELF errors from fpy_image_elf_parse().  The sections point into
 * `elf`, which must stay valid while `b` is used.
 */
int fpy_image_elf2image(fpy_image_builder *b, const uint8_t *elf,
                        size_t elf_len, const fpy_image_opts *opts,
                        uint8_t *out, size_t out_cap, size_t *out_len,
                        fpy_diag *d);

/* ---- ELF32 -------------------------------------------------------------- */

#define FPY_ELF_EHDR_LEN 52u
#define FPY_ELF_SHDR_LEN 40u
#define FPY_ELF_PHDR_LEN 32u
#define FPY_ELF_MACHINE_XTENSA 0x5Eu
#define FPY_ELF_MACHINE_RISCV 0xF3u
#define FPY_ELF_SHT_PROGBITS 1u
#define FPY_ELF_SHT_STRTAB 3u
#define FPY_ELF_SHT_NOBITS 8u
#define FPY_ELF_SHT_INIT_ARRAY 0x0Eu
#define FPY_ELF_SHT_FINI_ARRAY 0x0Fu
#define FPY_ELF_SHT_PREINIT_ARRAY 0x10u
#define FPY_ELF_SHF_WRITE 0x1u
#define FPY_ELF_SHF_ALLOC 0x2u
#define FPY_ELF_SHF_EXECINSTR 0x4u

/*
 * Select what elf2image uses, in file order, into secs[0..*n):
 *  - sections (default): sh_addr != 0, sh_size != 0, type PROGBITS,
 *    INIT_ARRAY, FINI_ARRAY or PREINIT_ARRAY; names from e_shstrndx;
 *  - PT_LOAD program headers (`use_segments`): p_paddr != 0,
 *    p_filesz != 0, all named "PHDR".
 * *entry = e_entry.  Checks what esptool checks (magic, e_machine Xtensa
 * or RISC-V, e_shentsize 40, e_shnum != 0, header tables inside the file)
 * and, where esptool would silently read short, more: a selected
 * section's data and name must lie inside the file (FPY_ERR_TRUNCATED /
 * FPY_ERR_CORRUPT), and be under 16 MiB (FPY_ERR_INVAL); `use_segments`
 * with no program headers is FPY_ERR_NOTFOUND (esptool crashes).  Names point
 * into `elf`.  More than `cap` selected: FPY_ERR_NOSPC.  The diag names the
 * header at fault by its fields and index: sh_offset/sh_size of section
 * header N, or p_offset/p_filesz of program header N (`use_segments`).
 */
int fpy_image_elf_parse(const uint8_t *elf, size_t elf_len, int use_segments,
                        fpy_image_section *secs, size_t cap, size_t *n,
                        uint32_t *entry, fpy_diag *d);

/* A section for fpy_image_elf_write(). `data` NULL means zeros; NOBITS
 * sections take no file space. */
typedef struct fpy_image_elf_sec {
    const char *name;
    uint32_t type;
    uint32_t flags;
    uint32_t addr;
    const uint8_t *data;
    uint32_t size;
} fpy_image_elf_sec;

/*
 * Write a little-endian ELF32 Xtensa executable: the header, one PT_LOAD
 * per section that elf2image would select (p_paddr = sh_addr), each
 * section's data 4-aligned, a .shstrtab, then the section header table
 * (a null section first, .shstrtab last).  *len = bytes needed, also when
 * `cap` is too small (FPY_ERR_NOSPC).  FPY_ERR_INVAL for more than 1000
 * sections or a NULL name.
 */
int fpy_image_elf_write(uint32_t entry, const fpy_image_elf_sec *secs,
                        size_t n, uint8_t *out, size_t cap, size_t *len);

#endif
