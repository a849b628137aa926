/* Shared helpers for the cmocka tests. */
#ifndef FIPY_TESTUTIL_H
#define FIPY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flashsim.h"

/* A RAM-backed simulated flash with its arrays, for one test. */
typedef struct fpy_test_flash {
    fpy_flashsim sim;
    fpy_flash flash;
    uint8_t *mem;
    uint32_t *wear;
    uint8_t *bad;
} fpy_test_flash;

/* Allocate and wipe a simulated flash of `geo` (NULL = the FiPy's). */
fpy_test_flash *fpy_test_flash_new(const fpy_flash_geometry *geo);
void fpy_test_flash_free(fpy_test_flash *tf);

/* Read $FPY_SRC/<rel> into a malloc'd buffer; fails the test if missing. */
uint8_t *fpy_test_read_src(const char *rel, size_t *len);

/* Parse hex text ("aa 50 01 ..." whitespace ignored) into out; returns len. */
size_t fpy_test_unhex(const char *hex, uint8_t *out, size_t cap);

/* A fresh directory $TMPDIR/fipy-TAG-XXXXXX (or under /tmp) in dir (cap
 * bytes): 0, or -1.  fpy_test_rmdir removes it and everything in it,
 * read-only parts included.  fpy_test_path: "DIR/NAME" in one of four
 * rotating buffers (valid for the next three calls). */
int fpy_test_tmpdir(char *dir, size_t cap, const char *tag);
int fpy_test_rmdir(const char *dir);
const char *fpy_test_path(const char *dir, const char *name);

#endif
