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

#endif
