/* The boot decision table.  Why each row, and why in this order:
 * docs/boot.md.  Each row has a test in tests/test_boot.c. */
#include "fipy/boot.h"

#include <stddef.h>

#define FPY_P_TRIALABLE (FPY_PAIR_OK | FPY_PAIR_NOBC)

static const fpy_boot_row fpy_boot_rows[] = {
    /* A trial that reached a reset without accept() has failed: this
     * must come first, whatever the trial pair looks like now. */
    {FPY_BOOT_R_TRIAL_RESET, FPY_BM_BOOTED, FPY_PAIR_ANY, FPY_PAIR_VM_OK, FPY_PAIR_ANY,
     FPY_BT_YES, FPY_PAIR_ANY, FPY_BOOT_ROLLBACK,
     "the trial pair was reset before accept(): rolled back to the last working pair"},
    {FPY_BOOT_R_TRIAL_CONTINUE, FPY_BM_BOOTED, FPY_P_TRIALABLE, FPY_PAIR_ANY, FPY_PAIR_ANY,
     FPY_BT_NO, FPY_PAIR_ANY, FPY_BOOT_TRIAL_AGAIN,
     "trial pair booted again within its boot budget"},
    {FPY_BOOT_R_TRIAL_START, FPY_BM_NEW, FPY_P_TRIALABLE, FPY_PAIR_ANY, FPY_PAIR_ANY,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_TRIAL, "first boot of the attempted pair, in test mode"},
    {FPY_BOOT_R_TRIAL_INVALID, FPY_BM_TEST, FPY_PAIR_BCBAD | FPY_PAIR_VMBAD, FPY_PAIR_VM_OK,
     FPY_PAIR_ANY, FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_ROLLBACK,
     "the attempted pair does not verify: rolled back to the last working pair"},
    /* Trial pair unconfirmed, but the last working pair no longer
     * verifies: run the trial pair; accept() can still confirm it. */
    {FPY_BOOT_R_UNCONFIRMED, FPY_BM_TEST, FPY_PAIR_VM_OK, FPY_PAIR_VMBAD, FPY_PAIR_ANY,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_UNCONFIRMED,
     "the last working pair no longer verifies: running the unconfirmed pair "
     "(accept() makes it the working pair)"},
    {FPY_BOOT_R_LOOP_REVERT, FPY_BM_STABLE, FPY_PAIR_ANY, FPY_PAIR_ANY, FPY_PAIR_OK,
     FPY_BT_YES, FPY_PAIR_ANY, FPY_BOOT_REVERT,
     "boot loop (abnormal resets before the pair ever reported a stable run): "
     "reverted to the previous pair"},
    {FPY_BOOT_R_BC_REVERT, FPY_BM_STABLE, FPY_PAIR_BCBAD, FPY_PAIR_ANY, FPY_PAIR_OK,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_REVERT,
     "the bytecode does not verify: reverted to the previous pair"},
    {FPY_BOOT_R_VM_REVERT, FPY_BM_STABLE, FPY_PAIR_VMBAD, FPY_PAIR_ANY, FPY_P_TRIALABLE,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_REVERT,
     "the VM does not verify: reverted to the previous pair"},
    {FPY_BOOT_R_STABLE, FPY_BM_STABLE, FPY_PAIR_VM_OK, FPY_PAIR_ANY, FPY_PAIR_ANY,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_RUN, "normal boot of the working pair"},
    /* The current VM does not verify (rows above cover every case the
     * record can be in; this one keeps the table total). */
    {FPY_BOOT_R_LAST_FALLBACK, FPY_BM_ANY, FPY_PAIR_ANY, FPY_PAIR_VM_OK, FPY_PAIR_ANY,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_ROLLBACK,
     "the current VM does not verify: back to the last working pair"},
    /* Neither the current nor the last working VM verifies. */
    {FPY_BOOT_R_PREV_FALLBACK, FPY_BM_ANY, FPY_PAIR_ANY, FPY_PAIR_ANY, FPY_PAIR_VM_OK,
     FPY_BT_ANY, FPY_PAIR_ANY, FPY_BOOT_REVERT,
     "neither the current nor the last working VM verifies: fell back to the previous pair"},
    {FPY_BOOT_R_ALT_FALLBACK, FPY_BM_ANY, FPY_PAIR_ANY, FPY_PAIR_ANY, FPY_PAIR_ANY,
     FPY_BT_ANY, FPY_PAIR_VM_OK, FPY_BOOT_FALLBACK,
     "no VM the record names verifies: fell back to the other slot's VM, which does"},
    {FPY_BOOT_R_NONE, FPY_BM_ANY, FPY_PAIR_ANY, FPY_PAIR_ANY, FPY_PAIR_ANY, FPY_BT_ANY,
     FPY_PAIR_ANY, FPY_BOOT_NONE,
     "no VM slot verifies: nothing to boot; reflash over the ROM serial loader "
     "(hold P2/GPIO0 low while resetting)"},
};

const fpy_boot_row *fpy_boot_table(unsigned *count)
{
    *count = (unsigned)(sizeof fpy_boot_rows / sizeof fpy_boot_rows[0]);
    return fpy_boot_rows;
}

static int fpy_row_matches(const fpy_boot_row *r, const fpy_boot_facts *x)
{
    return (r->modes & (1u << x->mode)) && (r->cur & x->cur) && (r->last & x->last) &&
           (r->prev & x->prev) && (r->trigger & x->trigger) && (r->alt & x->alt);
}

const fpy_boot_row *fpy_boot_decide(const fpy_boot_facts *facts)
{
    unsigned n;
    const fpy_boot_row *rows = fpy_boot_table(&n);
    for (unsigned i = 0; i < n; i++)
        if (fpy_row_matches(&rows[i], facts))
            return &rows[i];
    return &rows[n - 1]; /* unreachable: the last row matches all */
}
