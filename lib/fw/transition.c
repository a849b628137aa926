/* The record's transitions, one function each: attempt, accept, rollback,
 * going back to an older pair.  fota.c (what the firmware calls),
 * boot.c (the decision table's actions) and reconcile.c (what ESP-IDF's
 * tools wrote) all move the record through these, so a transition means
 * the same wherever it is taken.  See include/fipy/fotarec.h. */
#include "fipy/fotarec.h"

void fpy_rec_attempt(fpy_rec *r, uint8_t vm, uint8_t bc)
{
    r->vm_cur = vm;
    r->bc_cur = bc;
    r->mode = FPY_REC_TEST_NEW;
    r->boot_count = 0;
    r->flags = 0;
    r->has_next = 0;
}

void fpy_rec_accept(fpy_rec *r)
{
    r->has_prev = 1;
    r->vm_prev = r->vm_last;
    r->bc_prev = r->bc_last;
    r->vm_last = r->vm_cur;
    r->bc_last = r->bc_cur;
    r->mode = FPY_REC_STABLE;
    r->boot_count = 0;
    r->flags &= (uint8_t)~FPY_REC_F_STABLE_RUN; /* the new pair has not run stably yet */
}

void fpy_rec_rollback(fpy_rec *r)
{
    r->vm_cur = r->vm_last;
    r->bc_cur = r->bc_last;
    r->mode = FPY_REC_STABLE;
    r->boot_count = 0;
    r->flags |= FPY_REC_F_ROLLED_BACK;
}

void fpy_rec_go_back(fpy_rec *r, uint8_t vm, uint8_t bc)
{
    r->vm_cur = r->vm_last = vm;
    r->bc_cur = r->bc_last = bc;
    r->mode = FPY_REC_STABLE;
    r->boot_count = 0;
    r->has_prev = 0; /* the pair gone back to was the previous one, or is gone */
    r->flags = (uint8_t)((r->flags & ~FPY_REC_F_STABLE_RUN) | FPY_REC_F_REVERTED);
}
