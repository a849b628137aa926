/*
 * Fuzz the gen_esp32part CSV reader with arbitrary text, once with the
 * default options and once with ESP-IDF 5.5's (bootloader offsets, extra
 * subtypes).  Whatever parses must validate without crashing, encode
 * (unless it has too many entries for an MD5 entry) to a table that
 * decodes to the same entries, and, when no name was cut, come back
 * through to_csv -> from_csv as the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/part.h"
#include "part_csv.h"

static fpy_part_table fpy_fz_t, fpy_fz_back, fpy_fz_again;
static uint8_t fpy_fz_bin[FPY_PART_TABLE_LEN], fpy_fz_bin2[FPY_PART_TABLE_LEN];
static char fpy_fz_csv[FPY_PART_CSV_MAX];
static fpy_part_issue fpy_fz_issues[8];

static int fpy_fz_any_cut(const fpy_part_table *t)
{
    for (uint32_t i = 0; i < t->count; i++)
        if (t->entries[i].name_cut)
            return 1;
    return 0;
}

static const fpy_part_extra fpy_fz_extra[] = {
    {FPY_PTYPE_APP, 0x40, "my_app"},
    {FPY_PTYPE_DATA, 0x07, "undefined"},
    {FPY_PART_TYPE_BOOTLOADER, 0x05, "alt"},
};

static const fpy_part_opts fpy_fz_idf55 = {
    .has_primary_bootloader = 1,
    .primary_bootloader = 0x1000,
    .has_recovery_bootloader = 1,
    .recovery_bootloader = 0x3F0000,
    .extra = fpy_fz_extra,
    .extra_count = 3,
};

/* to_csv -> from_csv -> encode must reproduce fpy_fz_bin. */
static void fpy_fz_round_trip(const fpy_part_opts *o)
{
    fpy_diag d;
    size_t len = 0;
    if (fpy_part_to_csv(&fpy_fz_t, o, fpy_fz_csv, sizeof fpy_fz_csv, &len) != FPY_OK)
        abort();
    if (fpy_fz_any_cut(&fpy_fz_t))
        return; /* a cut name may end in a space or half a UTF-8 character */
    if (fpy_part_from_csv(fpy_fz_csv, len, o, &fpy_fz_again, &d) != FPY_OK)
        abort();
    if (fpy_part_encode(&fpy_fz_again, fpy_fz_bin2, sizeof fpy_fz_bin2, &d) != FPY_OK ||
        memcmp(fpy_fz_bin, fpy_fz_bin2, sizeof fpy_fz_bin) != 0)
        abort();
}

static void fpy_fz_one(const uint8_t *data, size_t size, const fpy_part_opts *o)
{
    fpy_diag d;
    size_t n = 0;
    if (fpy_part_from_csv((const char *)data, size, o, &fpy_fz_t, &d) != FPY_OK)
        return;
    (void)fpy_part_check(&fpy_fz_t, o, fpy_fz_issues, 8, &n, &d);
    int rc = fpy_part_encode(&fpy_fz_t, fpy_fz_bin, sizeof fpy_fz_bin, &d);
    if (rc == FPY_ERR_NOSPC && fpy_fz_t.count > FPY_PART_MAX_ENTRIES_MD5)
        return;
    if (rc != FPY_OK)
        abort();
    if (fpy_part_decode(fpy_fz_bin, sizeof fpy_fz_bin, &fpy_fz_back, &d) != FPY_OK ||
        fpy_fz_back.count != fpy_fz_t.count)
        abort();
    fpy_fz_round_trip(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_fz_one(data, size, NULL);
    fpy_fz_one(data, size, &fpy_fz_idf55);
    return 0;
}
