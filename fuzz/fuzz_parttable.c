/*
 * Fuzz the partition table decoder with arbitrary bytes.  Besides "no
 * crash, no out-of-bounds access", it checks that whatever decodes
 * encodes to a table that decodes to the same entries, and that
 * validation and CSV output never fail on a decoded table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/part.h"
#include "part_csv.h"

static fpy_part_table fpy_fz_t, fpy_fz_back;
static uint8_t fpy_fz_bin[FPY_PART_TABLE_LEN];
static char fpy_fz_csv[FPY_PART_CSV_MAX];
static fpy_part_issue fpy_fz_issues[8];

static int fpy_fz_same_entries(const fpy_part_table *a, const fpy_part_table *b)
{
    if (a->count != b->count || a->has_md5 != b->has_md5)
        return 0;
    for (uint32_t i = 0; i < a->count; i++) {
        const fpy_part_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->type != y->type || x->subtype != y->subtype || x->offset != y->offset ||
            x->size != y->size || x->flags != y->flags ||
            memcmp(x->label, y->label, sizeof x->label) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_diag d;
    size_t n = 0, len = 0;
    fpy_part_opts o = {0};
    if (fpy_part_decode(data, size, &fpy_fz_t, &d) != FPY_OK)
        return 0;
    o.flash_size = 0x800000;
    (void)fpy_part_check(&fpy_fz_t, &o, fpy_fz_issues, 8, &n, &d);
    if (fpy_part_to_csv(&fpy_fz_t, NULL, fpy_fz_csv, sizeof fpy_fz_csv, &len) != FPY_OK)
        abort(); /* FPY_PART_CSV_MAX is documented to suffice */
    if (fpy_part_encode(&fpy_fz_t, fpy_fz_bin, sizeof fpy_fz_bin, &d) != FPY_OK)
        abort(); /* a decoded table always leaves room for its end marker */
    if (fpy_part_decode(fpy_fz_bin, sizeof fpy_fz_bin, &fpy_fz_back, &d) != FPY_OK ||
        fpy_fz_back.quirks != 0 || !fpy_fz_same_entries(&fpy_fz_t, &fpy_fz_back))
        abort();
    return 0;
}
