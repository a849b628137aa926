/*
 * The FOTA record: which VM slot and bytecode slot run, which pair last
 * worked, and whether a new pair is on trial.  Zerynth's record
 * (fota.get_record) had the same fields; fipy makes it power-safe and the
 * single commit point of an update: a VM and a bytecode updated together
 * switch when one record write lands, never half.
 *
 * Two copies, one per VM store sector (vmstore_0 at 0x390000, vmstore_1 at
 * 0x391000), each with a sequence number and a CRC-32.  The newest valid
 * copy is the record.  A write goes to the sector of the older (or
 * invalid) copy: erase, then program.  A cut at any point leaves the
 * newest valid copy untouched, so the record reads as before or after.
 * Byte layout: docs/formats/fota-record.md.
 */
#ifndef FIPY_FOTAREC_H
#define FIPY_FOTAREC_H

#include <stdint.h>

#include "fipy/flash.h"
#include "fipy/hash.h"

#define FPY_REC_MAGIC 0x43455246u /* bytes "FREC" */
#define FPY_REC_LEN 256u

/* Record modes. */
#define FPY_REC_STABLE 0u      /* cur == last: running the working pair */
#define FPY_REC_TEST_NEW 1u    /* attempt() set cur; not booted yet */
#define FPY_REC_TEST_BOOTED 2u /* booted once in test mode; awaiting accept() */

/* Flags. */
#define FPY_REC_F_ROLLED_BACK 0x01u /* the last trial failed and was undone */
#define FPY_REC_F_REVERTED 0x02u    /* the boot went back to an older pair (reason says why) */
#define FPY_REC_F_STABLE_RUN 0x04u  /* the working pair has reported a stable run */

typedef struct fpy_rec {
    uint32_t seq;
    uint8_t vm_cur, vm_last, bc_cur, bc_last;
    uint8_t mode;
    uint8_t boot_count; /* abnormal resets in a row without a stable run */
    uint8_t flags;
    uint8_t reason;     /* the boot rule that last wrote it (FPY_BOOT_R_*) */
    uint8_t has_prev;   /* vm_prev/bc_prev: the pair before the last accept() */
    uint8_t vm_prev, bc_prev;
    /* ESP-IDF's otadata as fipy last left it: the seq of the active entry
     * and a CRC-32 of both entries (od_seq 0: not known, a record from
     * before these fields).  Anything else found there was written by
     * ESP-IDF's tools, or by a fipy write that power cut short
     * (lib/fw/reconcile.c). */
    uint32_t od_seq, od_crc;
    /* attempt() in progress: it is about to write otadata entry next_seq
     * selecting vm_next, to run with bc_next. */
    uint8_t has_next;
    uint8_t vm_next, bc_next;
    uint32_t next_seq;
    /* Anti-rollback of bytecode (fipy/sec.h): the highest security version
     * of an accepted bytecode image; older ones are refused.  Moves only
     * with accept() (or the boot running an accepted pair), never down. */
    uint32_t bc_floor;
} fpy_rec;

typedef struct fpy_rec_store {
    uint32_t addr[2]; /* sector of copy 0 and copy 1 */
    uint32_t otadata; /* ESP-IDF's otadata: where a new device's VM slot is read */
} fpy_rec_store;

/* The FiPy's stores: 0x390000 and 0x391000, otadata at 0xD000 (both
 * layouts). */
#define FPY_REC_STORE_FIPY() ((fpy_rec_store){{0x390000u, 0x391000u}, 0xD000u})

/* Transitions (lib/fw/transition.c), the one place each is defined:
 *  attempt   cur := (vm, bc), TEST_NEW, counters and flags cleared;
 *  accept    previous := last working, last working := cur, STABLE;
 *  rollback  cur := last working, STABLE, flagged ROLLED_BACK;
 *  go_back   cur and last working := (vm, bc), STABLE, flagged REVERTED,
 *            no previous pair any more. */
void fpy_rec_attempt(fpy_rec *r, uint8_t vm, uint8_t bc);
void fpy_rec_accept(fpy_rec *r);
void fpy_rec_rollback(fpy_rec *r);
void fpy_rec_go_back(fpy_rec *r, uint8_t vm, uint8_t bc);

/* Codec. decode: FPY_ERR_NOTFOUND for an erased copy, FPY_ERR_CORRUPT for
 * a bad magic, CRC or field (slot > 1, unknown mode). */
void fpy_rec_encode(const fpy_rec *r, uint8_t raw[FPY_REC_LEN]);
int fpy_rec_decode(const uint8_t raw[FPY_REC_LEN], fpy_rec *r);

/* An empty record: slots 0/0 stable, seq 0. */
void fpy_rec_default(fpy_rec *r);

/*
 * Read both copies and return the newest valid one in *r, and which copy
 * it was in *copy (0/1).  No valid copy (a new device, or both copies
 * lost): FPY_ERR_NOTFOUND, *copy = 1 (the first write goes to copy 0) and
 * *r is the record such a device runs on: STABLE, bytecode slot 0, and
 * the VM slot ESP-IDF's otadata selects (slot 0 if it selects none), so
 * that the boot, the update engine and the tools all agree on what runs.
 */
int fpy_rec_load(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r, int *copy);

/*
 * Commit `r` as the new record: seq = newest + 1, written to the other
 * copy's sector (erase, then program).  On success r->seq is updated.
 */
int fpy_rec_commit(const fpy_flash *f, const fpy_rec_store *st, fpy_rec *r);

/* Mode name ("STABLE", "TEST_NEW", "TEST_BOOTED"). */
const char *fpy_rec_mode_name(uint8_t mode);

#endif
