/*
 * ESP-IDF NVS, format version 2: the on-flash layout and a pure codec.
 *
 * One NVS page is one 4096-byte flash sector: a 32-byte header (state,
 * sequence number, version, CRC), a 32-byte entry-state bitmap (2 bits per
 * entry) and 126 entries of 32 bytes.  docs/formats/nvs.md has the byte
 * tables; this header has the constants and the functions that turn bytes
 * into decisions.  Nothing here does I/O: the store (nvs.h), the dumper
 * and the fuzz targets all classify pages and entries with these same
 * functions, so they cannot disagree about what is corrupt.
 *
 * Guarantees for untrusted bytes: every function reads only the fixed-size
 * buffers named in its signature (32-byte entries, 32-byte bitmaps,
 * 4096-byte pages), loops are bounded by the entry count, nothing
 * recurses, nothing allocates.
 */
#ifndef FIPY_NVS_FORMAT_H
#define FIPY_NVS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"

/* ---- geometry ----------------------------------------------------------- */

#define FPY_NVS_PAGE_SIZE 4096u
#define FPY_NVS_ENTRY_SIZE 32u
#define FPY_NVS_ENTRY_COUNT 126u
#define FPY_NVS_BITMAP_OFFSET 32u
#define FPY_NVS_BITMAP_SIZE 32u
#define FPY_NVS_FIRST_ENTRY 64u
#define FPY_NVS_KEY_SIZE 16u /* 15 characters and a NUL */
#define FPY_NVS_KEY_MAX 15u
/* Payload of one variable-length item: the 125 entries after a header. */
#define FPY_NVS_CHUNK_MAX 4000u
#define FPY_NVS_STR_MAX 4000u /* strings, NUL included */

/* ---- page header (bytes 0..31 of a page) -------------------------------- */

#define FPY_NVS_HDR_STATE 0u   /* u32, not covered by the CRC */
#define FPY_NVS_HDR_SEQ 4u     /* u32 */
#define FPY_NVS_HDR_VERSION 8u /* u8; bytes 9..27 reserved, 0xFF */
#define FPY_NVS_HDR_CRC 28u    /* u32 over bytes 4..27 */
#define FPY_NVS_HDR_CRC_LEN 24u

#define FPY_NVS_VERSION_2 0xFEu /* multi-page blobs (BLOB_DATA + BLOB_IDX) */
#define FPY_NVS_VERSION_1 0xFFu /* single-page blobs (type 0x41) */

/* Page states: each step clears one more bit, so no erase is needed. */
#define FPY_NVS_STATE_EMPTY 0xFFFFFFFFu
#define FPY_NVS_STATE_ACTIVE 0xFFFFFFFEu
#define FPY_NVS_STATE_FULL 0xFFFFFFFCu
#define FPY_NVS_STATE_FREEING 0xFFFFFFF8u

/* ---- entry (32 bytes) ----------------------------------------------------- */

#define FPY_NVS_E_NS 0u    /* u8 namespace index: 0 = namespace table */
#define FPY_NVS_E_TYPE 1u  /* u8 item type */
#define FPY_NVS_E_SPAN 2u  /* u8 entries used, header included */
#define FPY_NVS_E_CHUNK 3u /* u8 chunk index, 0xFF for all but BLOB_DATA */
#define FPY_NVS_E_CRC 4u   /* u32 over bytes 0..3 and 8..31 */
#define FPY_NVS_E_KEY 8u   /* 16 bytes, NUL padded */
#define FPY_NVS_E_DATA 24u /* 8 bytes, layout by type */
/* data of SZ / BLOB / BLOB_DATA */
#define FPY_NVS_E_VSIZE 24u  /* u16 payload size */
#define FPY_NVS_E_VRSV 26u   /* u16 reserved, 0xFFFF */
#define FPY_NVS_E_VCRC 28u   /* u32 CRC of the payload */
/* data of BLOB_IDX */
#define FPY_NVS_E_ISIZE 24u  /* u32 total size */
#define FPY_NVS_E_ICOUNT 28u /* u8 chunk count */
#define FPY_NVS_E_ISTART 29u /* u8 first chunk index: 0x00 or 0x80 */

#define FPY_NVS_NS_TABLE 0u
#define FPY_NVS_NS_ANY 0xFFu
#define FPY_NVS_CHUNK_ANY 0xFFu
#define FPY_NVS_VER_0 0x00u /* chunk indices 0x00..0x7F */
#define FPY_NVS_VER_1 0x80u /* chunk indices 0x80..0xFE */
/* Largest BLOB_IDX total ESP-IDF accepts: 127 chunks of 125 entries. */
#define FPY_NVS_BLOB_IDX_MAX (127u * 125u * 32u)

typedef enum fpy_nvs_type {
    FPY_NVS_TYPE_U8 = 0x01,
    FPY_NVS_TYPE_I8 = 0x11,
    FPY_NVS_TYPE_U16 = 0x02,
    FPY_NVS_TYPE_I16 = 0x12,
    FPY_NVS_TYPE_U32 = 0x04,
    FPY_NVS_TYPE_I32 = 0x14,
    FPY_NVS_TYPE_U64 = 0x08,
    FPY_NVS_TYPE_I64 = 0x18,
    FPY_NVS_TYPE_FLOAT = 0x24,  /* newer ESP-IDF only; read, never written */
    FPY_NVS_TYPE_DOUBLE = 0x28, /* newer ESP-IDF only; read, never written */
    FPY_NVS_TYPE_STR = 0x21,
    FPY_NVS_TYPE_BLOB_V1 = 0x41,   /* single-page blob (format v1) */
    FPY_NVS_TYPE_BLOB = 0x42,      /* BLOB_DATA; also the public "blob" */
    FPY_NVS_TYPE_BLOB_IDX = 0x48,
    FPY_NVS_TYPE_ANY = 0xFF
} fpy_nvs_type;

/* Entry states in the bitmap (2 bits each, LSB first). */
typedef enum fpy_nvs_estate {
    FPY_NVS_ES_ERASED = 0,  /* 00 */
    FPY_NVS_ES_ILLEGAL = 1, /* 01: only from an inconsistent flash */
    FPY_NVS_ES_WRITTEN = 2, /* 10 */
    FPY_NVS_ES_EMPTY = 3    /* 11 */
} fpy_nvs_estate;

/* ---- decoded forms ---------------------------------------------------------- */

/* One 32-byte entry, decoded.  `key` is normalised the way ESP-IDF compares
 * keys: at most 15 bytes up to the first NUL, then zeros. */
typedef struct fpy_nvs_item {
    uint8_t ns;
    uint8_t type;
    uint8_t span;
    uint8_t chunk;
    uint32_t crc; /* as stored */
    char key[FPY_NVS_KEY_SIZE];
    uint8_t data[8];
} fpy_nvs_item;

typedef struct fpy_nvs_header {
    uint32_t state;
    uint32_t seq;
    uint32_t crc_stored;
    uint32_t crc_calc;
    uint8_t version;
} fpy_nvs_header;

/* What a page is, after ESP-IDF's load rules (Page::load). */
typedef enum fpy_nvs_pkind {
    FPY_NVS_PK_FREE = 0, /* erased: no header, every byte 0xFF */
    FPY_NVS_PK_ACTIVE,
    FPY_NVS_PK_FULL,
    FPY_NVS_PK_FREEING,
    FPY_NVS_PK_CORRUPT,  /* reused after an erase; see fpy_nvs_pwhy */
    FPY_NVS_PK_NEWER     /* version byte < 0xFE: a format fipy does not know */
} fpy_nvs_pkind;

typedef enum fpy_nvs_pwhy {
    FPY_NVS_PW_OK = 0,
    FPY_NVS_PW_NOT_ERASED, /* state 0xFFFFFFFF but other bytes written */
    FPY_NVS_PW_BAD_CRC,    /* header CRC mismatch */
    FPY_NVS_PW_BAD_STATE   /* a state value that is none of the four */
} fpy_nvs_pwhy;

/* The verdict on one entry of a page walk. */
typedef enum fpy_nvs_verdict {
    FPY_NVS_V_FREE = 0,   /* EMPTY, at or after the page's free position */
    FPY_NVS_V_ERASED,     /* marked ERASED */
    FPY_NVS_V_ITEM,       /* a sound item header; covers `span` entries */
    FPY_NVS_V_STRAY,      /* EMPTY but written: programmed, never marked */
    FPY_NVS_V_ILLEGAL,    /* state bits 01 */
    FPY_NVS_V_BAD_CRC,    /* WRITTEN, item CRC mismatch */
    FPY_NVS_V_BAD_HEADER, /* CRC fine but type/span/size/chunk inconsistent */
    FPY_NVS_V_INCOMPLETE  /* var-length item whose entries are not all WRITTEN */
} fpy_nvs_verdict;

/* ---- functions ------------------------------------------------------------------ */

/* NVS's CRC: esp_rom_crc32_le(0xFFFFFFFF, ...) = zlib crc32(0xFFFFFFFF, ...). */
uint32_t fpy_nvs_crc(const void *data, size_t len);
/* The CRC an entry should carry: bytes 0..3 then 8..31. */
uint32_t fpy_nvs_item_crc(const uint8_t raw[FPY_NVS_ENTRY_SIZE]);
/* ESP-IDF's 24-bit item hash: CRC of ns, key (16 bytes), chunk index. */
uint32_t fpy_nvs_item_hash(uint8_t ns, const char key[FPY_NVS_KEY_SIZE], uint8_t chunk);

void fpy_nvs_item_decode(const uint8_t raw[FPY_NVS_ENTRY_SIZE], fpy_nvs_item *it);
/* Encode `it` (key normalised, its crc ignored) and store the right CRC
 * in both raw[4..7] and it->crc. */
void fpy_nvs_item_encode(fpy_nvs_item *it, uint8_t raw[FPY_NVS_ENTRY_SIZE]);
/* Fill `it` for a new item: data 0xFF, chunk 0xFF, key copied.  The key
 * must be 1..15 bytes without NUL: FPY_ERR_INVAL otherwise. */
int fpy_nvs_item_init(fpy_nvs_item *it, uint8_t ns, uint8_t type, const char *key);

/* Field readers for the data union. */
uint16_t fpy_nvs_item_vsize(const fpy_nvs_item *it);  /* SZ, BLOB, BLOB_DATA */
uint32_t fpy_nvs_item_vcrc(const fpy_nvs_item *it);
uint32_t fpy_nvs_item_blob_size(const fpy_nvs_item *it); /* BLOB_IDX */
uint8_t fpy_nvs_item_blob_count(const fpy_nvs_item *it);
uint8_t fpy_nvs_item_blob_start(const fpy_nvs_item *it);
/* Integer payload, zero-extended; the width is type & 0x0F bytes. */
uint64_t fpy_nvs_item_uint(const fpy_nvs_item *it);

/* 1 for SZ, BLOB (0x41) and BLOB_DATA: the payload follows the header. */
int fpy_nvs_type_is_varlen(uint8_t type);
/* 1 for the one-entry number types (u8..i64, float, double). */
int fpy_nvs_type_is_int(uint8_t type);
/* "u8", "i16", "string", "blob", "blob_data", "blob_index", ... or NULL. */
const char *fpy_nvs_type_name(uint8_t type);
/* Entries a var-length item of `size` payload bytes needs, header included. */
uint32_t fpy_nvs_span_for(uint32_t size);

void fpy_nvs_header_decode(const uint8_t raw[32], fpy_nvs_header *h);
/* A new page header: `state`, seq, version, 19 x 0xFF and the CRC. */
void fpy_nvs_header_encode(uint8_t raw[32], uint32_t state, uint32_t seq, uint8_t version);
/* Classify a decoded header.  `rest_erased`: 1 when every byte of the page
 * after the state word is 0xFF (only consulted for state 0xFFFFFFFF). */
fpy_nvs_pkind fpy_nvs_page_kind(const fpy_nvs_header *h, int rest_erased, fpy_nvs_pwhy *why);
/* Name of a state value for listings: "ACTIVE", ... or NULL if unknown. */
const char *fpy_nvs_state_name(uint32_t state);

/* State of entry i (0..125) in a 32-byte bitmap. */
fpy_nvs_estate fpy_nvs_bitmap_get(const uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t i);
void fpy_nvs_bitmap_set(uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t i, fpy_nvs_estate s);

/*
 * ESP-IDF's header consistency rules (Item::checkHeaderConsistency) for an
 * entry at index i whose CRC is already known to match: FPY_OK, or
 * FPY_ERR_CORRUPT with *field naming the offending field ("type", "span",
 * "chunkIndex", "data.size").
 */
int fpy_nvs_item_check(const fpy_nvs_item *it, uint32_t i, const char **field);

/*
 * The free position of a page: one past the last entry that is either not
 * EMPTY in the bitmap or not all-0xFF on flash (`dirty` bit i set).  A
 * torn write can leave programmed bytes past the last marked entry; they
 * must never be written over, so they count as used.
 */
uint32_t fpy_nvs_next_free(const uint8_t bm[FPY_NVS_BITMAP_SIZE], const uint8_t dirty[16]);

/*
 * Classify entry i of a page walk, given the page's bitmap, its free
 * position and the entry's 32 bytes.  Returns how many entries the verdict
 * covers (the span for ITEM and INCOMPLETE, otherwise 1), so a walk is
 *   for (i = 0; i < 126; i += fpy_nvs_classify(...)).
 * `it` receives the decoded entry; `field` (may be NULL) names the field
 * behind a BAD_HEADER or BAD_CRC verdict.
 */
uint32_t fpy_nvs_classify(const uint8_t bm[FPY_NVS_BITMAP_SIZE], uint32_t next_free,
                          uint32_t i, const uint8_t raw[FPY_NVS_ENTRY_SIZE],
                          fpy_nvs_item *it, fpy_nvs_verdict *v, const char **field);
/* "free", "erased", "item", "stray", "illegal", "bad crc", ... */
const char *fpy_nvs_verdict_name(fpy_nvs_verdict v);

/* A whole page in memory (the dumper, the fuzz target). */
typedef struct fpy_nvs_page_view {
    fpy_nvs_header hdr;
    fpy_nvs_pkind kind;
    fpy_nvs_pwhy why;
    uint32_t next_free;
    uint32_t count[4]; /* entries per fpy_nvs_estate */
} fpy_nvs_page_view;

void fpy_nvs_page_parse(const uint8_t page[FPY_NVS_PAGE_SIZE], fpy_nvs_page_view *v);
/* The 32 bytes of entry i of an in-memory page. */
const uint8_t *fpy_nvs_page_entry(const uint8_t page[FPY_NVS_PAGE_SIZE], uint32_t i);

#endif
