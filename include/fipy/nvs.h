/*
 * An ESP-IDF compatible NVS store (format v2) over the flash seam.
 *
 * The store reads and writes the same bytes as ESP-IDF's nvs_flash
 * (v5.5.1): a partition that one writes, the other reads.  It works on an
 * fpy_flash at `base` for `size` bytes (the FiPy's NVS partition: 0x9000,
 * 16 KiB = 4 pages).  The on-flash format is in nvs_format.h and
 * docs/formats/nvs.md; the design and the recovery rules in docs/nvs.md.
 *
 * Memory.  Nothing allocates.  The caller provides the fpy_nvs and one
 * fpy_nvs_page (260 bytes of RAM index) per 4 KiB page, and keeps both
 * alive while the store is used.  Stack use is bounded (the largest frame
 * is about 430 bytes at -Os, around a 256-byte program buffer); nothing
 * recurses.  The store is not thread-safe: one caller at a time.
 *
 * Power loss.  Every change is a sequence of NOR programs that only clear
 * bits, ordered so that a cut at any point leaves either the old or the
 * new value: a new item is programmed in full, then marked WRITTEN in the
 * bitmap, then the old copy is marked ERASED.  fpy_nvs_init() finishes or
 * undoes whatever a cut interrupted (see docs/nvs.md).  After any flash
 * error during a change the in-RAM index may be stale: every call then
 * returns FPY_ERR_STATE until fpy_nvs_init() is run again.
 *
 * Errors (ESP-IDF's names in brackets):
 *   FPY_ERR_NOTFOUND   no such key, or a read-only open of a missing
 *                      namespace [NOT_FOUND]
 *   FPY_ERR_INVAL      bad key or namespace name (empty, > 15 chars), bad
 *                      argument, or a get with another type than the
 *                      stored one [KEY_TOO_LONG, TYPE_MISMATCH]
 *   FPY_ERR_STATE      write through a read-only handle or store
 *                      [READ_ONLY], or the store needs fpy_nvs_init()
 *   FPY_ERR_NOSPC      no room even after garbage collection, value too
 *                      long, no namespace index left, caller buffer too
 *                      small, or no free page at init [NOT_ENOUGH_SPACE,
 *                      VALUE_TOO_LONG, INVALID_LENGTH, NO_FREE_PAGES]
 *   FPY_ERR_CHECKSUM   a stored payload fails its CRC (the item is left
 *                      as it is; ESP-IDF erases it and says NOT_FOUND)
 *   FPY_ERR_CORRUPT    a blob whose chunks do not add up
 *   FPY_ERR_UNSUPPORTED a page of a newer format (version < 0xFE)
 *                      [NEW_VERSION_FOUND]
 *   and the flash's own errors, passed up unchanged.
 */
#ifndef FIPY_NVS_H
#define FIPY_NVS_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/flash.h"
#include "fipy/nvs_format.h"

/* The FiPy's NVS partition (both layouts). */
#define FPY_NVS_FIPY_OFFSET 0x9000u
#define FPY_NVS_FIPY_SIZE 0x4000u

#define FPY_NVS_NO_PAGE 0xFFFFFFFFu

/* RAM index of one page, owned by the caller, filled by fpy_nvs_init(). */
typedef struct fpy_nvs_page {
    uint32_t seq;
    uint8_t kind;      /* fpy_nvs_pkind */
    uint8_t next_free; /* first entry never written (0..126) */
    uint8_t used;      /* WRITTEN entries */
    uint8_t erased;    /* ERASED entries */
    /* Per entry: 0, or a 16-bit digest of (ns, key, chunk) when a sound
     * item starts there.  Lookups read only the entries whose tag matches. */
    uint16_t tag[FPY_NVS_ENTRY_COUNT];
} fpy_nvs_page;

typedef struct fpy_nvs_cfg {
    const fpy_flash *flash; /* copied; the ops and ctx must outlive the store */
    uint32_t base;          /* partition offset, 4 KiB aligned */
    uint32_t size;          /* bytes, a multiple of 4 KiB: >= 1 page, >= 2 to write */
    fpy_nvs_page *pages;    /* size / 4096 elements */
    uint32_t page_cap;      /* elements in pages[] */
    uint8_t read_only;      /* 1: never program or erase (ESP-IDF's read-only NVS) */
} fpy_nvs_cfg;

/* What the last fpy_nvs_init() found and repaired (counts of entries or pages). */
typedef struct fpy_nvs_report {
    uint32_t pages_corrupt;   /* pages that will be erased before reuse */
    uint32_t entries_dropped; /* stray, illegal, bad or incomplete entries marked ERASED */
    uint32_t duplicates;      /* older copies of a key erased */
    uint32_t blobs_dropped;   /* blob indexes whose chunks did not add up */
    uint32_t orphans;         /* chunks no blob index claims */
    uint32_t pages_moved;     /* interrupted garbage collections finished */
    uint32_t mutations;       /* programs + erases done by init */
} fpy_nvs_report;

typedef struct fpy_nvs {
    fpy_flash flash;
    uint32_t base;
    uint32_t npages;
    fpy_nvs_page *pages;
    uint32_t next_seq;
    uint32_t cur;            /* the ACTIVE page written to, or FPY_NVS_NO_PAGE */
    uint8_t ns_used[32];     /* namespace indices in use, one bit each */
    uint8_t read_only;
    uint8_t ready;           /* 1 after a successful init, 0 after a flash error */
    fpy_nvs_report report;
} fpy_nvs;

typedef enum fpy_nvs_mode {
    FPY_NVS_READONLY = 0,
    FPY_NVS_READWRITE = 1
} fpy_nvs_mode;

/* An open namespace.  Plain data: copy it freely while the store lives. */
typedef struct fpy_nvs_handle {
    fpy_nvs *nvs;
    uint8_t ns;
    uint8_t writable;
} fpy_nvs_handle;

typedef struct fpy_nvs_stats {
    uint32_t used_entries;
    uint32_t free_entries;      /* erased entries count as free (ESP-IDF) */
    uint32_t available_entries; /* free minus the page kept for GC */
    uint32_t total_entries;
    uint32_t namespace_count;
} fpy_nvs_stats;

/* One key, as iteration reports it. */
typedef struct fpy_nvs_info {
    char ns_name[FPY_NVS_KEY_SIZE];
    char key[FPY_NVS_KEY_SIZE];
    uint8_t ns;
    uint8_t type;  /* fpy_nvs_type; blobs (v1 and v2) are FPY_NVS_TYPE_BLOB */
    uint32_t size; /* value bytes: integer width, string with its NUL, blob total */
} fpy_nvs_info;

typedef struct fpy_nvs_iter {
    fpy_nvs *nvs;
    uint8_t ns;    /* FPY_NVS_NS_ANY for every namespace */
    uint8_t type;  /* FPY_NVS_TYPE_ANY or one type */
    uint32_t page; /* position: page index and entry, pages in seq order */
    uint32_t index;
    fpy_nvs_info info;
} fpy_nvs_iter;

/*
 * Scan every page, rebuild the RAM index and, unless read-only, repair
 * what a power cut left: entries programmed but never marked, incomplete
 * items, an interrupted garbage collection, a key present twice (the newer
 * complete copy wins), blob chunks without an index.  Read-only, the same
 * decisions are applied to the RAM index only.  Returns FPY_OK,
 * FPY_ERR_INVAL for a bad config (alignment, too few pages[], a sector size
 * other than 4 KiB, fewer than 2 pages to write), FPY_ERR_RANGE for a
 * partition outside the flash, FPY_ERR_UNSUPPORTED for a newer format,
 * FPY_ERR_NOSPC when a writable store has no free page, or a flash error.
 */
int fpy_nvs_init(fpy_nvs *nvs, const fpy_nvs_cfg *cfg);

/* Open namespace `name` (1..15 chars).  READWRITE creates it if missing
 * (lowest free index 1..254). */
int fpy_nvs_open(fpy_nvs *nvs, const char *name, fpy_nvs_mode mode, fpy_nvs_handle *h);

/* Integers.  A set replaces any value of the key, whatever its type; an
 * unchanged value is not rewritten.  A get of another type than the
 * stored one is FPY_ERR_INVAL. */
int fpy_nvs_set_u8(const fpy_nvs_handle *h, const char *key, uint8_t v);
int fpy_nvs_set_i8(const fpy_nvs_handle *h, const char *key, int8_t v);
int fpy_nvs_set_u16(const fpy_nvs_handle *h, const char *key, uint16_t v);
int fpy_nvs_set_i16(const fpy_nvs_handle *h, const char *key, int16_t v);
int fpy_nvs_set_u32(const fpy_nvs_handle *h, const char *key, uint32_t v);
int fpy_nvs_set_i32(const fpy_nvs_handle *h, const char *key, int32_t v);
int fpy_nvs_set_u64(const fpy_nvs_handle *h, const char *key, uint64_t v);
int fpy_nvs_set_i64(const fpy_nvs_handle *h, const char *key, int64_t v);
int fpy_nvs_get_u8(const fpy_nvs_handle *h, const char *key, uint8_t *v);
int fpy_nvs_get_i8(const fpy_nvs_handle *h, const char *key, int8_t *v);
int fpy_nvs_get_u16(const fpy_nvs_handle *h, const char *key, uint16_t *v);
int fpy_nvs_get_i16(const fpy_nvs_handle *h, const char *key, int16_t *v);
int fpy_nvs_get_u32(const fpy_nvs_handle *h, const char *key, uint32_t *v);
int fpy_nvs_get_i32(const fpy_nvs_handle *h, const char *key, int32_t *v);
int fpy_nvs_get_u64(const fpy_nvs_handle *h, const char *key, uint64_t *v);
int fpy_nvs_get_i64(const fpy_nvs_handle *h, const char *key, int64_t *v);
/* Any integer type, as the raw little-endian value zero-extended. */
int fpy_nvs_set_int(const fpy_nvs_handle *h, const char *key, fpy_nvs_type type, uint64_t raw);
int fpy_nvs_get_int(const fpy_nvs_handle *h, const char *key, fpy_nvs_type type, uint64_t *raw);

/* Strings: stored with their NUL, at most 4000 bytes in all, in one page. */
int fpy_nvs_set_str(const fpy_nvs_handle *h, const char *key, const char *s);
/*
 * Strings and blobs, ESP-IDF style: with buf == NULL, *len receives the
 * size (a string's includes the NUL); otherwise *len is the capacity of
 * buf (FPY_ERR_NOSPC if smaller) and receives the size.  The bytes are
 * returned as stored.
 */
int fpy_nvs_get_str(const fpy_nvs_handle *h, const char *key, char *buf, size_t *len);

/* Blobs: split into chunks of at most one page (BLOB_DATA) and an index
 * (BLOB_IDX); at most min(pages - 1, 127) * 4000 bytes. */
int fpy_nvs_set_blob(const fpy_nvs_handle *h, const char *key, const void *data, size_t len);
int fpy_nvs_get_blob(const fpy_nvs_handle *h, const char *key, void *buf, size_t *len);

/* Type (blobs: FPY_NVS_TYPE_BLOB) and value size of a key. */
int fpy_nvs_get_size(const fpy_nvs_handle *h, const char *key, fpy_nvs_type *type,
                     size_t *len);

/* Erase one key (a blob with all its chunks), or every key of the
 * handle's namespace (the namespace itself stays, as in ESP-IDF). */
int fpy_nvs_erase_key(const fpy_nvs_handle *h, const char *key);
int fpy_nvs_erase_all(const fpy_nvs_handle *h);

/* The name of namespace index `ns` (1..254): FPY_ERR_NOTFOUND if none. */
int fpy_nvs_ns_name(const fpy_nvs *nvs, uint8_t ns, char name[FPY_NVS_KEY_SIZE]);

/* Entry counts as ESP-IDF's nvs_get_stats reports them. */
int fpy_nvs_stats_get(const fpy_nvs *nvs, fpy_nvs_stats *st);

/*
 * Iterate the keys of namespace `ns_name` (NULL: all namespaces) of type
 * `type` (FPY_NVS_TYPE_ANY: all), pages in sequence order, entries in page
 * order; each blob is reported once.  fpy_nvs_iter_next() returns FPY_OK
 * with it->info filled, FPY_ERR_NOTFOUND after the last key.  The store
 * must not be changed while iterating.
 */
int fpy_nvs_iter_start(fpy_nvs_iter *it, fpy_nvs *nvs, const char *ns_name, fpy_nvs_type type);
int fpy_nvs_iter_next(fpy_nvs_iter *it);

#endif
