/*
 * Fuzz the Intel HEX reader (host/ihex.c).  Any input: a refusal must
 * name a line and leave nothing allocated; an accepted file must give
 * regions in address order with gaps between them, packed in `bytes`,
 * inside 32 bits, and those regions written back as Intel HEX must read
 * back the same.  Aborts (a crash for the fuzzer) otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ihex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_regions(const fpy_ihex *h, size_t size)
{
    size_t total = 0;
    for (size_t i = 0; i < h->nregion; i++) {
        const fpy_ihex_region *r = &h->region[i];
        if (r->len == 0 || (uint64_t)r->addr + r->len > 0x100000000ull ||
            r->data != h->bytes + total)
            abort();
        if (i > 0 && (uint64_t)h->region[i - 1].addr + h->region[i - 1].len >= r->addr)
            abort(); /* out of order, overlapping or touching */
        total += r->len;
    }
    if (total != h->nbytes || total > size / 2u)
        abort();
}

/* One record: ":" LL AAAA TT data CC. */
static size_t fuzz_record(char *out, uint8_t type, uint16_t addr, const uint8_t *d, uint8_t n)
{
    uint8_t b[5 + 255] = {n, (uint8_t)(addr >> 8), (uint8_t)addr, type};
    unsigned sum = 0;
    if (n > 0)
        memcpy(b + 4, d, n);
    for (unsigned i = 0; i < 4u + n; i++)
        sum += b[i];
    b[4 + n] = (uint8_t)(0x100u - (sum & 0xFFu));
    size_t k = 0;
    out[k++] = ':';
    for (unsigned i = 0; i < 5u + n; i++)
        k += (size_t)snprintf(out + k, 3, "%02X", b[i]);
    out[k++] = '\n';
    return k;
}

/* The regions as Intel HEX: an 04 record per 64 KiB page, data records
 * of up to 16 bytes that do not cross a page, an end-of-file record. */
static char *fuzz_write(const fpy_ihex *h, size_t *len)
{
    /* a record pair takes at most 60 characters; a region needs one per
     * 16 bytes, one more for its tail and one per page it crosses */
    size_t pairs = h->nbytes / 16u + 2u * h->nregion + h->nbytes / 0x10000u + 2u;
    char *out = malloc(pairs * 64u + 16u);
    size_t k = 0;
    for (size_t i = 0; out != NULL && i < h->nregion; i++) {
        const fpy_ihex_region *r = &h->region[i];
        for (uint32_t off = 0; off < r->len;) {
            uint32_t a = r->addr + off;
            uint32_t n = r->len - off < 16u ? r->len - off : 16u;
            if (n > 0x10000u - (a & 0xFFFFu))
                n = 0x10000u - (a & 0xFFFFu);
            uint8_t page[2] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16)};
            k += fuzz_record(out + k, FPY_IHEX_EXT_LINEAR, 0, page, 2);
            k += fuzz_record(out + k, FPY_IHEX_DATA, (uint16_t)a, r->data + off, (uint8_t)n);
            off += n;
        }
    }
    if (out != NULL)
        k += fuzz_record(out + k, FPY_IHEX_EOF, 0, NULL, 0);
    *len = k;
    return out;
}

static void fuzz_roundtrip(const fpy_ihex *h)
{
    size_t len = 0;
    char *text = fuzz_write(h, &len);
    if (text == NULL)
        return;
    fpy_ihex back;
    fpy_diag d;
    if (fpy_ihex_parse(text, len, &back, &d) != FPY_OK || back.nregion != h->nregion ||
        back.nbytes != h->nbytes ||
        (h->nbytes > 0 && memcmp(back.bytes, h->bytes, h->nbytes) != 0))
        abort();
    for (size_t i = 0; i < h->nregion; i++)
        if (back.region[i].addr != h->region[i].addr || back.region[i].len != h->region[i].len)
            abort();
    fpy_ihex_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fpy_ihex h;
    fpy_diag d = {0};
    int rc = fpy_ihex_parse((const char *)data, size, &h, &d);
    if (rc != FPY_OK) {
        if (d.what == NULL || (rc != FPY_ERR_NOSPC && d.line == 0))
            abort(); /* every refusal says why, and where */
        if (h.region != NULL || h.bytes != NULL || h.nregion != 0)
            abort();
        return 0;
    }
    fuzz_check_regions(&h, size);
    fuzz_roundtrip(&h);
    fpy_ihex_free(&h);
    return 0;
}
