/*
 * ESP-IDF partition tables: the 0xC00-byte binary that the bootloader reads
 * at 0x8000 (docs/formats/partition-table.md).  The CSV text that ESP-IDF's
 * gen_esp32part.py turns into it is read and written on the host only
 * (host/part_csv.h).
 *
 * The module keeps parse, decide and act apart:
 *   parse   fpy_part_decode (binary), fpy_part_from_layout (fipy's own
 *           layouts)
 *   decide  fpy_part_validate: gen_esp32part's verify() rules, the
 *           bootloader's and the app's, as a list of errors and warnings
 *   act     fpy_part_encode (binary)
 * All of them work on a caller-allocated fpy_part_table and caller
 * buffers; nothing allocates, nothing does I/O, nothing recurses, and every
 * loop is bounded by the input length or FPY_PART_MAX_SLOTS.
 *
 * Guarantees for an untrusted binary:
 *  - never reads outside [buf, buf + len) and needs no NUL terminator;
 *  - never writes past the caller's table or output buffer;
 *  - a rejected input leaves a diag naming the entry (index), the field,
 *    and the byte offset.
 */
#ifndef FIPY_PART_H
#define FIPY_PART_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/err.h"
#include "fipy/layout.h"

/* ---- binary format ------------------------------------------------------ */

#define FPY_PART_TABLE_OFFSET 0x8000u /* where ESP-IDF's bootloader looks */
#define FPY_PART_TABLE_LEN 0xC00u     /* bytes gen_esp32part writes */
#define FPY_PART_SECTOR 0x1000u       /* the table owns this whole sector */
#define FPY_PART_ENTRY_SIZE 32u
#define FPY_PART_MAX_SLOTS 96u        /* 0xC00 / 32: entries + MD5 + end */
/* Partitions that fit with an end marker (and, for _MD5, an MD5 entry). */
#define FPY_PART_MAX_ENTRIES 95u
#define FPY_PART_MAX_ENTRIES_MD5 94u
#define FPY_PART_LABEL_LEN 16u
#define FPY_PART_MD5_LEN 16u

/* Byte offsets inside one 32-byte entry (esp_partition_info_t). */
#define FPY_PART_OFF_MAGIC 0u   /* 2 bytes: AA 50 (MD5 entry: EB EB) */
#define FPY_PART_OFF_TYPE 2u    /* u8 */
#define FPY_PART_OFF_SUBTYPE 3u /* u8 */
#define FPY_PART_OFF_OFFSET 4u  /* u32 LE */
#define FPY_PART_OFF_SIZE 8u    /* u32 LE */
#define FPY_PART_OFF_LABEL 12u  /* 16 bytes, NUL padded, no NUL if full */
#define FPY_PART_OFF_FLAGS 28u  /* u32 LE */
#define FPY_PART_OFF_MD5 16u    /* MD5 entry: digest at bytes 16..31 */

#define FPY_PART_MAGIC0 0xAAu
#define FPY_PART_MAGIC1 0x50u
#define FPY_PART_MD5_MAGIC 0xEBu /* both magic bytes of the MD5 entry */

#define FPY_PART_FLAG_ENCRYPTED 0x1u
#define FPY_PART_FLAG_READONLY 0x2u
#define FPY_PART_FLAGS_KNOWN 0x3u

/* Size of the OTA data partitions (data/ota, data/tee_ota) ESP-IDF requires. */
#define FPY_PART_OTADATA_SIZE 0x2000u
#define FPY_PART_APP_ALIGN 0x10000u  /* app offsets: a 64 KiB MMU page */
#define FPY_PART_DATA_ALIGN 0x1000u  /* everything else: a 4 KiB sector */
/* A read-write NVS partition needs 3 pages (ESP-IDF 5.5: else readonly). */
#define FPY_PART_NVS_RW_MIN 0x3000u

/* Types and subtypes beyond app/data (include/fipy/layout.h has those):
 * ESP-IDF 5.5's bootloader and partition_table types, whose "primary"
 * entries are the ones in use and sit below the table. */
#define FPY_PART_TYPE_BOOTLOADER 0x02u
#define FPY_PART_TYPE_PARTITION_TABLE 0x03u
#define FPY_PART_SUB_DATA_UNDEFINED 0x06u /* an empty CSV subtype */

/* One partition.  Plain values; the binary is produced by fpy_part_encode. */
typedef struct fpy_part_entry {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;   /* FPY_PART_FLAG_*; unknown bits are kept as read */
    uint32_t line;    /* CSV line the entry came from, 0 if none */
    uint8_t type;
    uint8_t subtype;
    uint8_t name_cut; /* 1: the CSV name was longer than 16 bytes and was cut */
    /* The 16 label bytes exactly as stored (bytes after the first NUL
     * included), then a NUL, so `label` is always a C string whose
     * strlen() is the name ESP-IDF sees. */
    char label[FPY_PART_LABEL_LEN + 1];
} fpy_part_entry;

/* Things in a decoded binary that ESP-IDF's readers accept but that
 * gen_esp32part never writes; fpy_part_validate reports them. */
#define FPY_PART_Q_END_SHORT 0x1u /* end marker FF FF FF FF + non-FF bytes */
#define FPY_PART_Q_MD5_PAD 0x2u   /* MD5 entry bytes 2..15 not all FF */
#define FPY_PART_Q_TAIL 0x4u      /* bytes after the end marker not all FF */

typedef struct fpy_part_table {
    fpy_part_entry entries[FPY_PART_MAX_ENTRIES];
    uint32_t count;
    /* 1: the binary has (decode) or gets (encode) an MD5 entry. */
    uint8_t has_md5;
    uint8_t quirks;                      /* FPY_PART_Q_*, from decode */
    uint32_t end_slot;                   /* decode: slot of the end marker */
    uint8_t md5_stored[FPY_PART_MD5_LEN];   /* decode, when has_md5 */
    uint8_t md5_computed[FPY_PART_MD5_LEN]; /* decode, when has_md5 */
} fpy_part_table;

/* Longest keyword fipy takes for an extra subtype. */
#define FPY_PART_KW_MAX 32u

/* One gen_esp32part --extra-partition-subtypes entry ("app,name,0x40"). */
typedef struct fpy_part_extra {
    uint8_t type;                    /* app, data, bootloader or partition_table */
    uint8_t subtype;
    char name[FPY_PART_KW_MAX + 1];  /* NUL-terminated keyword */
} fpy_part_extra;

/*
 * Options, shared by the functions below.  A zeroed struct means the
 * defaults of gen_esp32part: table at 0x8000, MD5 entry written, flash
 * size not checked, no secure boot, no bootloader offsets, no extra
 * subtypes.  fpy_part_opts_check says whether a set of options is sound.
 */
typedef struct fpy_part_opts {
    uint32_t table_offset; /* 0: 0x8000 (gen_esp32part --offset) */
    uint32_t flash_size;   /* 0: not checked (--flash-size) */
    uint8_t no_md5;        /* 1: no MD5 entry (--disable-md5sum) */
    uint8_t secure_v1;     /* 1: app sizes 64 KiB aligned (--secure v1) */
    /* 1: validate only what gen_esp32part checks under --no-verify:
     * partitions inside flash_size, and room for the MD5 entry. */
    uint8_t no_verify;
    uint8_t has_primary_bootloader;  /* --primary-bootloader-offset given */
    uint8_t has_recovery_bootloader; /* --recovery-bootloader-offset given */
    uint32_t primary_bootloader;     /* its offset */
    uint32_t recovery_bootloader;
    /* --extra-partition-subtypes, applied in order; the caller owns it. */
    const fpy_part_extra *extra;
    uint32_t extra_count;
} fpy_part_opts;

/*
 * FPY_OK when `o` (NULL: the defaults) is usable: the primary bootloader
 * below the table offset (FPY_ERR_INVAL), each extra subtype of a named
 * type with a non-empty name (FPY_ERR_INVAL) and a value its type does
 * not have yet, counting the extras before it (FPY_ERR_EXISTS, as
 * gen_esp32part refuses it).  The diag names the field and, for an extra
 * subtype, its index.
 */
int fpy_part_opts_check(const fpy_part_opts *o, fpy_diag *d);

/*
 * Decode a binary table from buf[0, len).  Reads 32-byte slots until the
 * end marker (magic FF FF, type FF, subtype FF: the bootloader's rule),
 * at most FPY_PART_MAX_SLOTS of them.  An MD5 entry (EB EB) is optional;
 * when present it must be the only one, follow the last partition, and
 * hold the MD5 of all the slots before it.  Bytes after the end marker
 * are not needed (len may stop there) and are only inspected for
 * FPY_PART_Q_TAIL up to FPY_PART_TABLE_LEN.
 *
 * Returns FPY_OK with `t` filled, or:
 *  FPY_ERR_CORRUPT   bad magic, partition after the MD5 entry, second MD5
 *                    entry, FF FF magic that is not an end marker, or no
 *                    end marker within 96 slots;
 *  FPY_ERR_CHECKSUM  MD5 mismatch (t->md5_stored/md5_computed are set);
 *  FPY_ERR_TRUNCATED the input ends before the end marker.
 * The diag names the slot (index), field and file offset.
 */
int fpy_part_decode(const uint8_t *buf, size_t len, fpy_part_table *t,
                    fpy_diag *d);

/*
 * Encode `t` as gen_esp32part does: entries in order, the MD5 entry when
 * t->has_md5, then 0xFF up to FPY_PART_TABLE_LEN.  Writes exactly
 * FPY_PART_TABLE_LEN bytes to out (cap must be at least that).
 * FPY_ERR_NOSPC when the entries (and MD5 entry) do not leave a slot for
 * the end marker: at most 94 partitions with MD5, 95 without.  Encoding
 * does not judge the values; run fpy_part_validate first.
 */
int fpy_part_encode(const fpy_part_table *t, uint8_t *out, size_t cap,
                    fpy_diag *d);

/*
 * The entries of a fipy layout: its areas with in_table = 1, in order,
 * with their labels, types and subtypes, no flags.  has_md5 is set unless
 * o->no_md5 (o may be NULL).  FPY_ERR_NOSPC if there are too many,
 * FPY_ERR_INVAL if a label is longer than 16 bytes.
 */
int fpy_part_from_layout(const fpy_layout *l, const fpy_part_opts *o,
                         fpy_part_table *t, fpy_diag *d);

/* ---- validation ------------------------------------------------------- */

#define FPY_PART_WARNING 1u
#define FPY_PART_ERROR 2u

/* Which reader's rule an issue comes from. */
#define FPY_PART_RULE_GEN 1u   /* gen_esp32part verify() */
#define FPY_PART_RULE_BOOT 2u  /* the bootloader's esp_partition_table_verify */
#define FPY_PART_RULE_APP 3u   /* the app's esp_partition (load_partitions) */
#define FPY_PART_RULE_FIPY 4u  /* fipy: would not survive a CSV round trip */

/*
 * One finding.  diag.index is the entry; diag.line is set for entries
 * that came from CSV, otherwise diag.offset is the byte offset of the
 * field in the binary.  `other` is a second entry involved (the one
 * overlapped, the earlier duplicate) or FPY_PART_NO_OTHER.
 */
#define FPY_PART_NO_OTHER 0xFFFFFFFFu
typedef struct fpy_part_issue {
    fpy_diag diag;
    int err;          /* the error this stands for (warnings too) */
    uint32_t other;
    uint8_t severity; /* FPY_PART_WARNING or FPY_PART_ERROR */
    uint8_t rule;     /* FPY_PART_RULE_* */
} fpy_part_issue;

/*
 * Check `t` against gen_esp32part v5.5.1's verify() (offset alignment
 * 64 KiB for app and 4 KiB otherwise; app size 4 KiB or 64 KiB with
 * secure_v1; data/ota and data/coredump not readonly; a data/nvs under
 * 0x3000 bytes readonly; unique names; nothing but the primary
 * bootloader and primary partition table below table_offset + 0x1000; no
 * overlap; at most one data/ota and one data/tee_ota, each exactly 0x2000
 * bytes; name/keyword mismatch as a warning), the bootloader's (every
 * partition inside flash_size, when given) and the app's (MD5 entry
 * expected).  With o->no_verify only the flash size and the room for the
 * MD5 entry are checked.  Issues are stored in found order into
 * issues[0, cap); *count gets how many there were (possibly more than
 * cap).  Returns FPY_OK when there is no error-severity issue, otherwise
 * the err of the first error, which is also put in `d`.  What would not
 * survive a CSV round trip is a host concern: fpy_part_check
 * (host/part_csv.h) adds those warnings.
 */
int fpy_part_validate(const fpy_part_table *t, const fpy_part_opts *o,
                      fpy_part_issue *issues, size_t cap, size_t *count,
                      fpy_diag *d);

/*
 * Fill `is` with a finding about the field at byte `foff` of entry
 * `index` of `t`: located by the entry's CSV line when it has one, else by
 * its byte offset in the binary; `other` FPY_PART_NO_OTHER.
 */
void fpy_part_issue_at(const fpy_part_table *t, uint32_t index, uint32_t foff,
                       const char *what, const char *field, int err,
                       uint8_t severity, uint8_t rule, fpy_part_issue *is);
/* Store `is` at issues[*count] when it fits in cap, and count it. */
void fpy_part_issue_push(fpy_part_issue *issues, size_t cap, size_t *count,
                         const fpy_part_issue *is);

/* ---- names and look-ups ------------------------------------------------ */

/*
 * gen_esp32part's keywords (ESP-IDF v5.5.1): the types bootloader,
 * partition_table, app and data; the subtypes of each of those four, with
 * the extra subtypes of `o` (may be NULL) applied.  Custom types have no
 * keywords.  Look-up of s[0, n): with `fold`, as parse_int's
 * keywords[v.lower()] (the text is lower-cased, ASCII only, the keyword
 * is not: an extra "Foo" never matches); without, an exact match (as
 * verify()'s `name in TYPES`).  1 and *v set when found, else 0.
 */
int fpy_part_kw_type(const char *s, size_t n, int fold, uint32_t *v);
int fpy_part_kw_subtype(const fpy_part_opts *o, uint8_t type, const char *s, size_t n,
                        int fold, uint32_t *v);
/* 1 when `keyword` is the (o-adjusted) name of `subtype` of `type`. */
int fpy_part_subtype_is(const fpy_part_opts *o, uint8_t type, uint8_t subtype,
                        const char *keyword);
/* 1 for the primary bootloader or primary partition table entry: they
 * stand for the bootloader and the table themselves, sit below the table
 * offset, and take no part in automatic placement. */
int fpy_part_is_primary(const fpy_part_opts *o, uint8_t type, uint8_t subtype);

/* The table offset of `o`: o->table_offset, or 0x8000 for NULL or 0. */
uint32_t fpy_part_table_offset(const fpy_part_opts *o);

/* The type's keyword ("app", "partition_table") or NULL. */
const char *fpy_part_type_keyword(uint8_t type);
/* The subtype's keyword ("nvs", "ota_1", "tee_0", an extra one) or NULL. */
const char *fpy_part_subtype_keyword(const fpy_part_opts *o, uint8_t type, uint8_t subtype);
/* fipy's own data subtypes ("bytecode", "vmstore", "storage") or NULL. */
const char *fpy_part_fipy_subtype(uint8_t type, uint8_t subtype);

/* The first entry with `type` and `subtype` (subtype < 0: any), or NULL. */
const fpy_part_entry *fpy_part_find(const fpy_part_table *t, uint8_t type,
                                    int subtype);
/* The first entry whose label equals `label`, or NULL. */
const fpy_part_entry *fpy_part_find_label(const fpy_part_table *t,
                                          const char *label);

#endif
