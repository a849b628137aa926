/*
 * Fuzz the app image reader.  Any input: parse from memory, and again
 * through the flash seam with a 7-byte scratch buffer; both must agree.
 * A parsed image must satisfy the invariants the header promises: among
 * them, a digest cut short by the end of the input is read as far as it
 * goes and always refused by the check.
 * Aborts (a crash for the fuzzer) on any disagreement.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/image.h"

typedef struct fuzz_mem {
    const uint8_t *p;
    size_t n;
} fuzz_mem;

static int fuzz_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const fuzz_mem *m = ctx;
    if (addr > m->n || len > m->n - addr)
        abort(); /* the parser read outside the slot it was given */
    memcpy(buf, m->p + addr, len);
    return FPY_OK;
}

static int fuzz_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx, (void)addr, (void)buf, (void)len;
    abort(); /* a reader never writes */
}

static int fuzz_erase(void *ctx, uint32_t addr)
{
    (void)ctx, (void)addr;
    abort();
}

static const fpy_flash_ops fuzz_ops = {fuzz_read, fuzz_program, fuzz_erase};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0x1000000u)
        return 0;
    fpy_image_info a, b;
    fpy_diag d;
    fpy_image_src src = fpy_image_src_mem(data, size);
    int rc = fpy_image_parse(&src, NULL, 0, &a, &d);
    if (rc == FPY_OK) {
        if (a.image_len > size || a.checksum_offset % 16u != 15u ||
            a.nsegments > FPY_IMAGE_MAX_SEGMENTS || a.checksum_offset >= a.image_len ||
            a.digest_len > FPY_IMAGE_DIGEST_LEN || (!a.has_digest && a.digest_len != 0) ||
            a.image_len != a.checksum_offset + 1u + a.digest_len)
            abort();
        int cut = a.has_digest && a.digest_len < FPY_IMAGE_DIGEST_LEN;
        if (cut && (a.image_len != size || a.digest_ok))
            abort();
        rc = fpy_image_check(&a, FPY_IMAGE_CHECK_APP, &d);
        if (cut != (rc == FPY_ERR_TRUNCATED) ||
            (rc == FPY_OK && (a.chip == NULL || a.chip->id != FPY_IMAGE_CHIP_ID_ESP32)))
            abort(); /* a cut digest and only that is truncation; only ESP32 passes */
        rc = FPY_OK;
    } else if (d.what == NULL) {
        abort(); /* every refusal says why */
    }
    fuzz_mem m = {data, size};
    fpy_flash f = {&fuzz_ops, &m, {(uint32_t)size, 4096u, 256u, 4u}};
    uint8_t scratch[7];
    fpy_image_src fsrc = fpy_image_src_flash(&f, 0, (uint32_t)size);
    if (fpy_image_parse(&fsrc, scratch, sizeof scratch, &b, NULL) != rc)
        abort();
    if (rc == FPY_OK &&
        (a.checksum_calc != b.checksum_calc || a.image_len != b.image_len ||
         memcmp(a.digest_calc, b.digest_calc, sizeof a.digest_calc) != 0 ||
         memcmp(a.seg, b.seg, sizeof a.seg) != 0 || a.has_app_desc != b.has_app_desc ||
         a.digest_len != b.digest_len || a.chip != b.chip))
        abort();
    if (size >= FPY_IMAGE_APP_DESC_LEN) {
        fpy_image_app_desc desc;
        (void)fpy_image_app_desc_decode(data, &desc, &d);
    }
    return 0;
}
