/*
 * The boot decision: which VM and bytecode pair runs, in which mode, and
 * what must be written first.  This is the part of the second-stage
 * bootloader that Zerynth's page says the Espressif bootloader lacks: a
 * failsafe rollback.
 *
 * Three steps, kept apart:
 *   facts  - read the FOTA record and verify the slots it names (VM image:
 *            header, checksum, SHA-256; bytecode: header CRC, SHA-256, VM
 *            ABI), classify each pair (fpy_boot_pair);
 *   decide - match the facts against a const table, top to bottom, first
 *            match wins (fpy_boot_decide, pure; docs/boot.md explains
 *            each row and why the order matters);
 *   act    - commit the new record (before anything runs), mirror the
 *            choice into ESP-IDF's otadata, arm the 30 s watchdog.
 * A VM image that does not verify is never booted.
 */
#ifndef FIPY_BOOT_H
#define FIPY_BOOT_H

#include <stdint.h>

#include "fipy/flash.h"
#include "fipy/fotarec.h"
#include "fipy/fw.h"
#include "fipy/layout.h"
#include "fipy/sec.h"
#include "fipy/sfw.h"

/* Pair status (bit values, so table rows can match sets of them). */
#define FPY_PAIR_OK 0x1u     /* VM verifies, bytecode verifies for its ABI */
#define FPY_PAIR_NOBC 0x2u   /* VM verifies, bytecode slot empty */
#define FPY_PAIR_BCBAD 0x4u  /* VM verifies, bytecode corrupt or wrong ABI */
#define FPY_PAIR_VMBAD 0x8u  /* VM does not verify (or no such pair) */
#define FPY_PAIR_ANY 0xFu
#define FPY_PAIR_VM_OK (FPY_PAIR_OK | FPY_PAIR_NOBC | FPY_PAIR_BCBAD)

/* Record mode bits for table rows. */
#define FPY_BM_STABLE (1u << FPY_REC_STABLE)
#define FPY_BM_NEW (1u << FPY_REC_TEST_NEW)
#define FPY_BM_BOOTED (1u << FPY_REC_TEST_BOOTED)
#define FPY_BM_TEST (FPY_BM_NEW | FPY_BM_BOOTED)
#define FPY_BM_ANY 0x7u

/* Trigger: in TEST_BOOTED the trial's boot budget is spent; in STABLE
 * the boot-loop guard's limit of abnormal resets is reached. */
#define FPY_BT_NO 0x1u
#define FPY_BT_YES 0x2u
#define FPY_BT_ANY 0x3u

typedef enum fpy_boot_action {
    FPY_BOOT_RUN = 0,      /* boot the current pair */
    FPY_BOOT_TRIAL,        /* first boot of an attempted pair, test mode */
    FPY_BOOT_TRIAL_AGAIN,  /* another trial boot within the budget */
    FPY_BOOT_UNCONFIRMED,  /* run the trial pair: nothing else can run */
    FPY_BOOT_ROLLBACK,     /* back to the last working pair */
    FPY_BOOT_REVERT,       /* back to the pair before the last accept() */
    FPY_BOOT_FALLBACK,     /* to any VM slot that verifies (the "alt" pair) */
    FPY_BOOT_NONE          /* nothing bootable: stop, say why */
} fpy_boot_action;

/* Rule numbers (row ids), stable across versions: tests and records
 * refer to them. */
#define FPY_BOOT_R_TRIAL_RESET 1
#define FPY_BOOT_R_TRIAL_CONTINUE 2
#define FPY_BOOT_R_TRIAL_START 3
#define FPY_BOOT_R_TRIAL_INVALID 4
#define FPY_BOOT_R_UNCONFIRMED 5
#define FPY_BOOT_R_LOOP_REVERT 6
#define FPY_BOOT_R_BC_REVERT 7
#define FPY_BOOT_R_VM_REVERT 8
#define FPY_BOOT_R_STABLE 9
#define FPY_BOOT_R_LAST_FALLBACK 10
#define FPY_BOOT_R_PREV_FALLBACK 11
#define FPY_BOOT_R_ALT_FALLBACK 12
#define FPY_BOOT_R_NONE 13

typedef struct fpy_boot_facts {
    uint8_t mode;    /* FPY_REC_* */
    uint8_t cur;     /* FPY_PAIR_* of (vm_cur, bc_cur) */
    uint8_t last;    /* of (vm_last, bc_last) */
    uint8_t prev;    /* of (vm_prev, bc_prev); VMBAD when there is none */
    uint8_t trigger; /* FPY_BT_YES or FPY_BT_NO */
    uint8_t alt;     /* best pair of any VM slot that verifies; VMBAD when
                        none does (only looked for when cur, last and prev
                        all fail) */
} fpy_boot_facts;

typedef struct fpy_boot_row {
    uint8_t rule;
    uint8_t modes, cur, last, prev, trigger, alt; /* sets to match */
    fpy_boot_action action;
    const char *why;
} fpy_boot_row;

/* The table (first match wins); the last row matches everything. */
const fpy_boot_row *fpy_boot_table(unsigned *count);
/* Decide: the first matching row. Pure. */
const fpy_boot_row *fpy_boot_decide(const fpy_boot_facts *facts);

typedef struct fpy_boot_cfg {
    const fpy_layout *layout;
    fpy_rec_store store;
    uint8_t trial_boots; /* boots allowed on trial before rollback (0 = 1) */
    uint8_t loop_limit;  /* abnormal resets in a row before revert (0 = 3) */
    uint32_t wdt_ms;     /* watchdog armed before the VM starts (0 = 30 s) */
    /* The protected board's policy (fipy/sec.h): signatures required,
     * anti-rollback floors.  NULL: any image that verifies may run. */
    const fpy_sec *sec;
} fpy_boot_cfg;

typedef struct fpy_boot_result {
    const fpy_boot_row *row;
    fpy_boot_facts facts;
    fpy_rec rec;           /* the record after the boot's writes */
    uint8_t rec_found;     /* 0: no valid record, started from otadata */
    uint8_t adopted;       /* fpy_fw_adopt: what was taken in from otadata
                              that ESP-IDF's tools wrote (fipy/fw.h) */
    uint8_t alt_vm, alt_bc;
    uint8_t vm_slot, bc_slot;
    uint32_t vm_addr, bc_addr;
    uint8_t status;        /* FPY_PAIR_* of the pair that boots */
    uint8_t run_bytecode;  /* 0: the VM starts without bytecode */
    uint8_t test_mode;     /* running a pair that is not accepted yet */
    uint32_t vm_abi;       /* ABI of the booted VM */
    int reset_reason;
    /* Why a slot failed, for the report (first failure seen). */
    fpy_diag diag;
    int diag_rc;
    const char *diag_what; /* "VM slot 1", "bytecode slot 0" */
} fpy_boot_result;

/*
 * Run the boot: facts, decide, act.  A configuration that does not hold
 * (fpy_fw_config_check) is refused first with its error, res->diag says
 * why, nothing read or written.  Returns FPY_OK when a VM is to start
 * (see *res), FPY_ERR_NOTFOUND when nothing is bootable (res->row says
 * why: the way back is the ESP32 ROM download mode, GPIO0/P2 low at
 * reset), or a flash error (passed up unchanged).
 */
int fpy_boot_run(const fpy_flash *f, const fpy_sys *sys, const fpy_boot_cfg *cfg,
                 fpy_fw_work *w, fpy_boot_result *res);

#endif
