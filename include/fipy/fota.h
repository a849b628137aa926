/*
 * Firmware over the air, with Zerynth's semantics and a failsafe.
 *
 * Record operations (Zerynth's fota.attempt/accept):
 *   attempt(bc, vm) sets a test configuration; the next boot runs it in
 *   test mode; accept() called by that firmware makes it permanent;
 *   without accept() the next reset of any kind returns to the last
 *   working pair (fipy/boot.h).  Both are one record write each.
 *
 * The update engine writes new images into the slots that are not
 * running: begin -> write (in order, any chunk size) -> finish (verify)
 * -> attempt; abort at any point.  It erases sector by sector as the data
 * arrives (no long stall), refuses the running slots, writes past the
 * declared size, out-of-order chunks, finish before all bytes, and a
 * wrong hash.  Until attempt() commits the record nothing the boot reads
 * has changed, so a power cut during an update loses only the update.
 */
#ifndef FIPY_FOTA_H
#define FIPY_FOTA_H

#include <stddef.h>
#include <stdint.h>

#include "fipy/flash.h"
#include "fipy/fotarec.h"
#include "fipy/fw.h"
#include "fipy/hash.h"
#include "fipy/layout.h"
#include "fipy/sec.h"

/* attempt(bc_slot, vm_slot): FPY_ERR_STATE unless the record is STABLE
 * (an unconfirmed trial must be accepted or rolled back first),
 * FPY_ERR_INVAL for a slot > 1 or a pair equal to the running one. */
int fpy_fota_attempt(const fpy_flash *f, const fpy_rec_store *st, unsigned bc_slot,
                     unsigned vm_slot);
/* accept(): the running trial pair becomes the working pair, the old one
 * is kept as "previous" for the boot-loop guard; ESP-IDF's otadata entry
 * of the VM is marked VALID.  OK (no write) when already stable;
 * FPY_ERR_STATE before the trial has booted.  With a policy that has
 * anti-rollback (fipy/sec.h; `l` is then the layout, to read the images'
 * versions), the accept moves the floors: the bytecode's in the same
 * record write, then the VM's (eFuse).  `sec` NULL: no floors. */
int fpy_fota_accept(const fpy_flash *f, const fpy_rec_store *st, const fpy_layout *l,
                    const fpy_sec *sec);
/* The firmware reached a stable run: clear the boot-loop counter and
 * mark the pair as having run stably, after which the boot-loop guard
 * never reverts it.  Writes only when that changes something. */
int fpy_fota_mark_stable(const fpy_flash *f, const fpy_rec_store *st);

#define FPY_FOTA_VM 0x1u
#define FPY_FOTA_BC 0x2u

/* The first bytes of each image, given to begin() so that the update can
 * be judged before anything is erased: the VM's image header, first
 * segment header and esp_app_desc_t; the bytecode's 128-byte header. */
#define FPY_FOTA_VM_HEAD 288u
#define FPY_FOTA_BC_HEAD 128u

typedef struct fpy_fota_req {
    uint8_t targets;  /* FPY_FOTA_VM | FPY_FOTA_BC */
    uint8_t vm_slot;  /* target slots; must not be the running ones */
    uint8_t bc_slot;
    uint32_t vm_size; /* the stream is the VM image, then the bytecode image */
    uint32_t bc_size;
    uint8_t vm_sha256[FPY_SHA256_LEN]; /* of the bytes sent */
    uint8_t bc_sha256[FPY_SHA256_LEN];
    /* The images' first bytes (the stream must start with the same). */
    uint8_t vm_head[FPY_FOTA_VM_HEAD];
    uint8_t bc_head[FPY_FOTA_BC_HEAD];
} fpy_fota_req;

/* Fill req->vm_head / bc_head from an image's first bytes (a shorter
 * image leaves the rest 0xFF; begin() then refuses it as truncated). */
void fpy_fota_req_head(fpy_fota_req *req, unsigned target, const uint8_t *img, size_t len);
/* A whole request for images held in memory (vm or bc may be NULL): the
 * targets, sizes, SHA-256s and heads; the slots are left at 0.  FPY_OK,
 * or the hash's error. */
int fpy_fota_req_from_images(fpy_fota_req *req, const uint8_t *vm, size_t vm_len,
                             const uint8_t *bc, size_t bc_len);

#define FPY_FOTA_IDLE 0u
#define FPY_FOTA_WRITING 1u
#define FPY_FOTA_FINISHED 2u
#define FPY_FOTA_ATTEMPTED 3u

typedef struct fpy_fota_part {
    uint32_t base, slot_size, size, done;
    uint8_t want[FPY_SHA256_LEN];
    fpy_sha256 sha;
} fpy_fota_part;

typedef struct fpy_fota {
    const fpy_flash *f;
    const fpy_layout *layout;
    fpy_rec_store store;
    fpy_fota_req req;
    uint8_t state;
    uint8_t nparts;
    uint8_t run_vm, run_bc;  /* the running pair, read once at begin */
    uint32_t abi;            /* the ABI of the VM the update runs with */
    fpy_fota_part part[2];   /* in stream order */
    uint32_t total, offset;  /* stream length and bytes accepted */
    fpy_pagewriter pw;       /* writes the current part, erasing ahead */
    uint8_t cur_part;
    uint8_t lost_prev;       /* begin() forgot the previous pair: its slots
                                are being overwritten (see begin) */
    const fpy_sec *sec;      /* the device's policy, NULL: none (fipy/sec.h) */
    uint32_t vm_floor, bc_floor; /* its floors, read once at begin */
} fpy_fota;

/* The slots an update should target: the ones not running now. */
int fpy_fota_next_slots(const fpy_flash *f, const fpy_rec_store *st, uint8_t *vm_slot,
                        uint8_t *bc_slot);

/*
 * Start an update.  Before it writes anything it checks the targets (not
 * the running slots, no trial running), the sizes, and the heads: a VM
 * must be an ESP32 app image with an app description and an appended
 * SHA-256; a bytecode image's header must decode, declare its size, and
 * name the ABI of the VM it will run with (the new VM's, or the running
 * one's); a VM updated alone must suit the bytecode in place.  Only then
 * does it forget the previous pair if the update overwrites its slots
 * (u->lost_prev), since from the first erase that pair is gone.  `w` is
 * working memory for reading the running images.  A protected device
 * passes its policy `sec` (fipy/sec.h; NULL: none): the heads are then
 * judged by it before anything is erased (an older version, unsigned
 * bytecode), and finish() checks the whole images by it.
 */
int fpy_fota_begin(fpy_fota *u, const fpy_flash *f, const fpy_layout *l,
                   const fpy_rec_store *st, const fpy_fota_req *req, const fpy_sec *sec,
                   fpy_fw_work *w, fpy_diag *d);
/* Accept stream bytes [offset, offset+len): offset must equal the bytes
 * accepted so far (FPY_ERR_INVAL otherwise), and each image must start
 * with the head given to begin() (FPY_ERR_CORRUPT otherwise; the update
 * is then over, and nothing refers to what was written). */
int fpy_fota_write(fpy_fota *u, uint32_t offset, const void *data, uint32_t len, fpy_diag *d);
/* Flush, then verify each part: the SHA-256 of the bytes sent, and the
 * image in flash (VM: fipy/image.h checks; bytecode: fipy/bcimage.h, for
 * the ABI of the VM it will run with).  A failure writes nothing more:
 * the record stays as begin() left it (u->lost_prev says whether the
 * previous pair was given up for this update). */
int fpy_fota_finish(fpy_fota *u, fpy_fw_work *w, fpy_diag *d);
/* attempt() with the updated slots (the running ones for a part not
 * updated). */
int fpy_fota_commit(fpy_fota *u);
void fpy_fota_abort(fpy_fota *u);
/* Progress: bytes accepted and bytes declared; returns the state
 * (FPY_FOTA_IDLE, _WRITING, _FINISHED, _ATTEMPTED). */
uint8_t fpy_fota_progress(const fpy_fota *u, uint32_t *done, uint32_t *total);

#endif
