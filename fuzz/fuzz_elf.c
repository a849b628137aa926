/*
 * Fuzz elf2image.  Any input is taken as an ELF and built with default
 * options, with PT_LOAD segments, and with secure padding.  Whatever
 * builds must read back as a sound image that passes the loader rules;
 * images of more than 16 segments (esptool makes them too, when padding
 * adds segments) must be refused by the reader.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/image.h"

#define FUZZ_OUT (2u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_output(const fpy_image_builder *b, const uint8_t *out, size_t len)
{
    fpy_image_info info;
    fpy_diag d;
    fpy_image_src src = fpy_image_src_mem(out, len);
    int rc = fpy_image_verify(&src, NULL, 0, FPY_IMAGE_CHECK_LOADER, &info, &d);
    if (b->nout > FPY_IMAGE_MAX_SEGMENTS) {
        if (rc != FPY_ERR_CORRUPT)
            abort();
        return;
    }
    if (rc != FPY_OK || info.nsegments != b->nout || info.image_len != b->image_len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fpy_image_builder b;
    static uint8_t out[FUZZ_OUT];
    for (int variant = 0; variant < 3; variant++) {
        fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
        o.use_segments = variant == 1;
        o.secure_pad = variant == 2 ? 1u : 0u;
        size_t len = 0;
        fpy_diag d = {0};
        int rc = fpy_image_elf2image(&b, data, size, &o, out, sizeof out, &len, &d);
        if (rc == FPY_OK)
            fuzz_check_output(&b, out, len);
        else if (d.what == NULL)
            abort(); /* every refusal explains itself */
        else if (rc == FPY_ERR_NOSPC && d.field != NULL && strcmp(d.field, "output") == 0 &&
                 len <= sizeof out)
            abort(); /* "too small" only when it is */
    }
    return 0;
}
