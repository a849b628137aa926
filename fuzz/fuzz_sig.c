/*
 * Fuzz the signature readers of lib/sig: any input is taken as an app
 * image (secure boot v1 block located and verified with RFC 6979's P-256
 * test key, the corpus's key) from memory and through the flash seam with
 * a 7-byte scratch buffer, which must agree; and as a bytecode image
 * whose header signature is checked with the same key.  Every refusal
 * says why; no read leaves the input.  Aborts on any disagreement.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/sig.h"

typedef struct fuzz_mem {
    const uint8_t *p;
    size_t n;
} fuzz_mem;

static int fuzz_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    const fuzz_mem *m = ctx;
    if (addr > m->n || len > m->n - addr)
        abort(); /* read outside the slot it was given */
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

/* RFC 6979 A.2.5's public key, X||Y. */
static const uint8_t fuzz_pub[64] = {
    0x60, 0xFE, 0xD4, 0xBA, 0x25, 0x5A, 0x9D, 0x31, 0xC9, 0x61, 0xEB, 0x74, 0xC6, 0x35, 0x6D,
    0x68, 0xC0, 0x49, 0xB8, 0x92, 0x3B, 0x61, 0xFA, 0x6C, 0xE6, 0x69, 0x62, 0x2E, 0x60, 0xF2,
    0x9F, 0xB6, 0x79, 0x03, 0xFE, 0x10, 0x08, 0xB8, 0xBC, 0x99, 0xA4, 0x1A, 0xE9, 0xE9, 0x56,
    0x28, 0xBC, 0x64, 0xF2, 0xF1, 0xB2, 0x0C, 0x2D, 0x7E, 0x9F, 0x51, 0x77, 0xA3, 0xC2, 0x94,
    0xD4, 0x46, 0x22, 0x99};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0x1000000u)
        return 0;
    fpy_image_info info;
    fpy_sig_block a, b;
    fpy_diag d = {0};
    fpy_image_src src = fpy_image_src_mem(data, size);
    int rc = fpy_sig_app_verify(&src, fuzz_pub, NULL, 0, &info, &a, &d);
    if (rc != FPY_OK && d.what == NULL)
        abort(); /* every refusal says why */
    if (rc == FPY_OK && ((size_t)a.offset + FPY_SIG_BLOCK_LEN > size || a.version != 0 ||
                         a.offset != info.image_len))
        abort();
    fuzz_mem m = {data, size};
    fpy_flash f = {&fuzz_ops, &m, {(uint32_t)size, 4096u, 256u, 4u}};
    uint8_t scratch[7];
    fpy_image_src fsrc = fpy_image_src_flash(&f, 0, (uint32_t)size);
    if (fpy_sig_app_verify(&fsrc, fuzz_pub, scratch, sizeof scratch, &info, &b, NULL) != rc)
        abort();
    if (rc == FPY_OK && (a.offset != b.offset || memcmp(a.sig, b.sig, sizeof a.sig) != 0))
        abort();
    fpy_bc_header h;
    memset(&d, 0, sizeof d);
    rc = fpy_sig_bc_verify_mem(data, size, NULL, fuzz_pub, &h, &d);
    if (rc != FPY_OK && d.what == NULL)
        abort();
    if (rc == FPY_OK && !(h.flags & FPY_BC_FLAG_SIGNED))
        abort();
    return 0;
}
