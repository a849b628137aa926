/*
 * ESP-IDF's otadata partition (data/ota, 0x2000 bytes at 0xD000 on the
 * FiPy): two 4 KiB sectors, each starting with one 32-byte
 * esp_ota_select_entry_t, the rest 0xFF.  Byte layout:
 * docs/formats/otadata.md.
 *
 * fipy reads, chooses and writes these entries exactly as ESP-IDF does, so
 * an otadata written here selects the same app in ESP-IDF's bootloader and
 * in otatool.py, and the other way round.  Three readers are modelled:
 *  - the bootloader (entry valid: seq != 0xFFFFFFFF, state neither INVALID
 *    nor ABORTED, CRC matches);
 *  - the app's esp_ota_set_boot_partition / mark_app_valid (same validity);
 *  - otatool.py (seq < 0xFFFFFFFF and CRC only; state ignored).
 *
 * Writes are ESP-IDF's: erase the entry's sector, then program 32 bytes.
 * Each write touches one sector and the other still holds a valid entry,
 * so a power cut leaves either the old or the new selection.
 */
#ifndef FIPY_OTADATA_H
#define FIPY_OTADATA_H

#include <stdint.h>

#include "fipy/flash.h"

#define FPY_OTADATA_SIZE 0x2000u
#define FPY_OTADATA_SECTOR 0x1000u
#define FPY_OTADATA_ENTRY_LEN 32u
#define FPY_OTADATA_LABEL_LEN 20u
#define FPY_OTADATA_SEQ_BLANK 0xFFFFFFFFu

/* esp_ota_img_states_t */
#define FPY_OTA_NEW 0x0u
#define FPY_OTA_PENDING_VERIFY 0x1u
#define FPY_OTA_VALID 0x2u
#define FPY_OTA_INVALID 0x3u
#define FPY_OTA_ABORTED 0x4u
#define FPY_OTA_UNDEFINED 0xFFFFFFFFu

typedef struct fpy_ota_entry {
    uint32_t seq;
    uint8_t label[FPY_OTADATA_LABEL_LEN];
    uint32_t state;
    uint32_t crc;
} fpy_ota_entry;

typedef struct fpy_otadata {
    fpy_ota_entry e[2];
} fpy_otadata;

/* Byte codec of one entry (32 bytes, little-endian). */
void fpy_otadata_decode(const uint8_t raw[FPY_OTADATA_ENTRY_LEN], fpy_ota_entry *e);
void fpy_otadata_encode(const fpy_ota_entry *e, uint8_t raw[FPY_OTADATA_ENTRY_LEN]);

/* crc32_le(0xFFFFFFFF, seq as 4 LE bytes): the state is not covered. */
uint32_t fpy_otadata_crc(uint32_t seq);

/* Validity as the bootloader and esp_ota_ops see it. */
int fpy_otadata_is_valid(const fpy_ota_entry *e);
/* Validity as otatool.py sees it (state ignored). */
int fpy_otadata_is_valid_otatool(const fpy_ota_entry *e);

/* Index (0/1) of the active entry: the valid one with the larger seq,
 * entry 0 on a tie; -1 when neither is valid. */
int fpy_otadata_active(const fpy_otadata *od);
/* Same with otatool.py's validity rule. */
int fpy_otadata_active_otatool(const fpy_otadata *od);

/* The OTA app slot a sequence number selects: (seq - 1) % app_count. */
unsigned fpy_otadata_slot(uint32_t seq, unsigned app_count);
/* A name for a state value ("PENDING_VERIFY"), or NULL if unknown. */
const char *fpy_otadata_state_name(uint32_t state);

/* Read both entries of the otadata partition at `base`. */
int fpy_otadata_read(const fpy_flash *f, uint32_t base, fpy_otadata *od);
/* ESP-IDF's write of one entry: erase sector idx, program its 32 bytes. */
int fpy_otadata_write_entry(const fpy_flash *f, uint32_t base, unsigned idx,
                            const fpy_ota_entry *e);

/*
 * esp_ota_set_boot_partition(ota_<slot>) without the image check:
 * compute the entry ESP-IDF would write and where.  The new seq is the
 * smallest (slot+1)%n + i*n (i >= 0) not below the active seq; it goes to
 * the other sector (sector 0, seq slot+1 when no entry is valid), with
 * state NEW when `rollback` is on and UNDEFINED otherwise, keeping the
 * label bytes that sector held.  FPY_ERR_INVAL for slot >= app_count;
 * FPY_ERR_RANGE when the new seq would reach 0xFFFFFFFF (which reads as
 * blank): ESP-IDF's own code would wrap there.
 */
int fpy_otadata_plan_set_boot(const fpy_otadata *od, unsigned slot,
                              unsigned app_count, int rollback, unsigned *idx,
                              fpy_ota_entry *out);
/* The smallest (slot+1)%n + i*n (i >= 0) that is not below `cur`:
 * ESP-IDF's next sequence number.  FPY_ERR_RANGE if it would reach
 * 0xFFFFFFFF. */
int fpy_otadata_next_seq(uint32_t cur, unsigned slot, unsigned app_count, uint32_t *seq);
int fpy_otadata_set_boot(const fpy_flash *f, uint32_t base, unsigned slot,
                         unsigned app_count, int rollback);

/* Rewrite entry idx with a new state, keeping seq, label and crc (how
 * ESP-IDF marks VALID, INVALID, PENDING_VERIFY and ABORTED). */
int fpy_otadata_set_state(const fpy_flash *f, uint32_t base, unsigned idx,
                          uint32_t state);

/*
 * The ESP-IDF bootloader's choice with app rollback enabled (a reference
 * model, used to prove compatibility): every PENDING_VERIFY entry becomes
 * ABORTED; the active entry's slot boots, a NEW active entry first
 * becoming PENDING_VERIFY.  With no valid entry it reports slot 0 and
 * *from_blank = 1 (ESP-IDF then boots factory, or ota_0, and after a
 * successful boot writes sector 0 as seq slot+1 VALID: see
 * fpy_otadata_init_valid).  Writes otadata as the bootloader would.
 */
int fpy_otadata_boot_select(const fpy_flash *f, uint32_t base, unsigned app_count,
                            unsigned *slot, int *from_blank);
/* Sector 0 := seq slot+1, label FF, state VALID (bootloader, blank otadata). */
int fpy_otadata_init_valid(const fpy_flash *f, uint32_t base, unsigned slot);

/* What ESP-IDF's bootloader (app rollback enabled) boots from `od`,
 * without writing: PENDING_VERIFY entries count as ABORTED (a trial reset
 * before it was confirmed), then the active entry.  entry -1 (no valid
 * entry): ESP-IDF boots factory or ota_0, reported as slot 0 with state
 * UNDEFINED.  state NEW: it boots that slot as a trial. */
typedef struct fpy_otadata_pick {
    int entry;
    unsigned slot;
    uint32_t state;
} fpy_otadata_pick;
void fpy_otadata_idf_pick(const fpy_otadata *od, fpy_otadata_pick *p);

/* CRC-32 (crc32_le, seed 0xFFFFFFFF) of both entries as encoded: a
 * fingerprint of the whole selection, as the FOTA record keeps it. */
uint32_t fpy_otadata_digest(const fpy_otadata *od);

#define FPY_OTA_NO_FALLBACK 0xFFu

/*
 * Mirror a choice of fipy's (two OTA slots) into otadata, writing only
 * what differs:
 *  1. the active entry selects `slot` in `state`, for ESP-IDF's
 *     bootloader and otatool alike: rewritten in place if it already
 *     selects `slot`, else a new entry above every CRC-valid one, placed
 *     so that the fallback entry (or else the current selection) stays
 *     intact while it is written;
 *  2. if `fallback` is the other slot, the other entry selects it as
 *     VALID, one below the active seq: where ESP-IDF's bootloader goes
 *     when the active entry is aborted or marked invalid is where fipy
 *     would go (FPY_OTA_NO_FALLBACK: leave the other entry as it is).
 * *out is both entries as they are afterwards (the record keeps their
 * fingerprint), without reading them back.
 */
int fpy_otadata_sync(const fpy_flash *f, uint32_t base, unsigned slot, uint32_t state,
                     unsigned fallback, fpy_otadata *out);

#endif
