/* Fuzz the decoders of what boot reads from flash: the FOTA record, the
 * bytecode image header and otadata entries.  Input: any bytes. */
#include <stdint.h>
#include <string.h>

#include "fipy/bcimage.h"
#include "fipy/fotarec.h"
#include "fipy/otadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t rec[FPY_REC_LEN], hdr[FPY_BC_HEADER_LEN], od[FPY_OTADATA_ENTRY_LEN];
    memset(rec, 0xFF, sizeof rec);
    memset(hdr, 0xFF, sizeof hdr);
    memset(od, 0xFF, sizeof od);
    memcpy(rec, data, size < sizeof rec ? size : sizeof rec);
    memcpy(hdr, data, size < sizeof hdr ? size : sizeof hdr);
    memcpy(od, data, size < sizeof od ? size : sizeof od);
    fpy_rec r;
    if (fpy_rec_decode(rec, &r) == FPY_OK) {
        /* what decodes re-encodes to the same field bytes (pad and
         * reserved bytes are ignored by the reader, written as zero) */
        uint8_t again[FPY_REC_LEN];
        fpy_rec_encode(&r, again);
        if (memcmp(again, rec, 0x13) != 0 || memcmp(again + 0x14, rec + 0x14, 0x0B) != 0 ||
            memcmp(again + 0x20, rec + 0x20, 4) != 0)
            __builtin_trap();
    }
    fpy_bc_header h;
    fpy_diag d;
    (void)fpy_bc_header_decode(hdr, 0x80000, &h, &d);
    fpy_ota_entry e;
    fpy_otadata_decode(od, &e);
    (void)fpy_otadata_is_valid(&e);
    return 0;
}
