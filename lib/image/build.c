/*
 * Building an app image the way `esptool elf2image --chip esp32` (v5.3.1)
 * does, in three steps: select and merge sections into runs (decide),
 * lay the runs out as output pieces with file offsets (decide), then
 * write the bytes (act).  The plan is complete, and every error found,
 * before a byte of the output is touched.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/image.h"

#define FPY_APPDESC_NAME ".flash.appdesc"
#define FPY_BOOTDESC_NAME ".dram0.bootdesc"

static uint32_t fpy_pad4(uint32_t len)
{
    return fpy_align_up32(len, 4u); /* len < 16 MiB: cannot overflow */
}

/* ---- runs: esptool's merge_adjacent_segments ------------------------------ */

/* Section `s` joins the run of the section before it when both have the
 * same memory types and it starts where the other's padded data ends.
 * (esptool 4.8.1 also compared SHF_EXECINSTR; 5.3.1 does not.) */
static int fpy_joins(const fpy_image_section *prev, const fpy_image_section *s)
{
    return fpy_image_mem_types(prev->addr) == fpy_image_mem_types(s->addr) &&
           (uint64_t)s->addr == (uint64_t)prev->addr + fpy_pad4(prev->len);
}

static int fpy_build_runs(fpy_image_builder *b, fpy_diag *d)
{
    uint32_t count = 0;
    uint64_t len = 0;
    b->nrun = 0;
    for (uint32_t i = 0; i < b->nsec; i++) {
        const fpy_image_section *s = &b->sec[i];
        int fresh = i == 0 || !fpy_joins(&b->sec[i - 1], s);
        len = (fresh ? 0u : len) + fpy_pad4(s->len);
        count += fresh ? 1u : 0u;
        if (len >= FPY_IMAGE_MAX_SEG_LEN)
            return fpy_diag_val(d, FPY_ERR_INVAL, "merged segment of 16 MiB or more",
                                "segment.data_len", s->addr, FPY_IMAGE_MAX_SEG_LEN - 1u, len);
        if (count > FPY_IMAGE_MAX_SEGMENTS)
            continue; /* keep counting for the message */
        fpy_image_run *r = &b->run[count - 1u];
        if (fresh)
            *r = (fpy_image_run){s->addr, 0, (uint16_t)i, 0};
        r->len = (uint32_t)len;
        r->count++;
    }
    if (count > FPY_IMAGE_MAX_SEGMENTS)
        return fpy_diag_val(d, FPY_ERR_INVAL,
                            "too many segments after merging (a linker script problem?)",
                            "segment_count", FPY_IMAGE_OFF_SEGMENT_COUNT,
                            FPY_IMAGE_MAX_SEGMENTS, count);
    b->nrun = count;
    return FPY_OK;
}

/* ---- layout: esptool's ESP32FirmwareImage.save ----------------------------- */

typedef struct fpy_order {
    uint32_t idx[FPY_IMAGE_MAX_SEGMENTS];
    uint32_t n;
} fpy_order;

typedef struct fpy_layout {
    fpy_order flash, ram;
    uint32_t ram_head;                      /* first RAM run not used up */
    uint32_t ram_addr[FPY_IMAGE_MAX_SEGMENTS]; /* per RAM run: what is left */
    uint32_t ram_skip[FPY_IMAGE_MAX_SEGMENTS];
    uint32_t ram_left[FPY_IMAGE_MAX_SEGMENTS];
    uint32_t pos;                           /* file offset being written */
    uint32_t sha_want;                      /* ELF SHA-256 offset, 0: none */
} fpy_layout;

/* Stable insertion sort by load address (Python's sorted() is stable). */
static void fpy_sort(const fpy_image_builder *b, fpy_order *o)
{
    for (uint32_t i = 1; i < o->n; i++) {
        uint32_t v = o->idx[i], j = i;
        for (; j > 0 && b->run[o->idx[j - 1]].addr > b->run[v].addr; j--)
            o->idx[j] = o->idx[j - 1];
        o->idx[j] = v;
    }
}

static int fpy_run_named(const fpy_image_builder *b, uint32_t run, const char *name)
{
    const char *n = b->sec[b->run[run].first].name;
    return n != NULL && strcmp(n, name) == 0;
}

/* Move the first run named `name` to the front, keeping the others' order. */
static void fpy_to_front(const fpy_image_builder *b, fpy_order *o, const char *name)
{
    for (uint32_t i = 0; i < o->n; i++) {
        if (fpy_run_named(b, o->idx[i], name)) {
            uint32_t v = o->idx[i];
            memmove(&o->idx[1], &o->idx[0], i * sizeof o->idx[0]);
            o->idx[0] = v;
            return;
        }
    }
}

/* `addr_field` names where the addresses came from (sh_addr, p_paddr). */
static int fpy_split_order(const fpy_image_builder *b, fpy_layout *l, const char *addr_field,
                           fpy_diag *d)
{
    for (uint32_t i = 0; i < b->nrun; i++) {
        fpy_order *o = fpy_image_is_flash_addr(b->run[i].addr) ? &l->flash : &l->ram;
        o->idx[o->n++] = i;
    }
    fpy_sort(b, &l->flash);
    fpy_sort(b, &l->ram);
    fpy_to_front(b, &l->flash, FPY_APPDESC_NAME);
    fpy_to_front(b, &l->ram, FPY_BOOTDESC_NAME);
    for (uint32_t i = 0; i < l->ram.n; i++) {
        const fpy_image_run *r = &b->run[l->ram.idx[i]];
        l->ram_addr[i] = r->addr;
        l->ram_left[i] = r->len;
    }
    /* Each 64 KiB flash page maps one place in the image: two segments
     * in one page cannot both be mapped. */
    for (uint32_t i = 1; i < l->flash.n; i++) {
        uint32_t prev = b->run[l->flash.idx[i - 1]].addr, cur = b->run[l->flash.idx[i]].addr;
        if (prev / FPY_IMAGE_MMU_PAGE == cur / FPY_IMAGE_MMU_PAGE)
            return fpy_diag_val(d, FPY_ERR_INVAL,
                                "two flash segments land in the same 64 KB flash mapping",
                                addr_field, cur, prev, cur);
    }
    return FPY_OK;
}

/* Padding bytes (after an 8-byte padding header) that put the next
 * segment's data at a file offset equal to its address mod 64 KiB. */
static uint32_t fpy_align_needed(uint32_t pos, uint32_t addr)
{
    int64_t page = FPY_IMAGE_MMU_PAGE;
    int64_t pad = (page - pos % page) + (int64_t)(addr % page) - FPY_IMAGE_SEG_HEADER_LEN;
    if (pad == 0 || pad == page)
        return 0;
    pad -= FPY_IMAGE_SEG_HEADER_LEN;
    if (pad < 0)
        pad += page;
    return (uint32_t)pad;
}

/* ---- bytes of a run --------------------------------------------------------- */

/* Copy bytes [from, from+len) of a piece's source into dst, which the
 * caller has zeroed: a run's stream is each section's data followed by
 * zeros up to its padded length; past the run, zeros (0x24 rule). */
static void fpy_piece_copy(const fpy_image_builder *b, const fpy_image_piece *p,
                           uint32_t from, uint32_t len, uint8_t *dst)
{
    if (p->run < 0)
        return;
    const fpy_image_run *r = &b->run[p->run];
    uint64_t lo = (uint64_t)p->skip + from, hi = lo + len, at = 0;
    for (uint32_t i = r->first; i < (uint32_t)r->first + r->count; i++) {
        const fpy_image_section *s = &b->sec[i];
        uint64_t s_lo = at > lo ? at : lo, s_hi = at + s->len < hi ? at + s->len : hi;
        if (s_lo < s_hi)
            memcpy(dst + (s_lo - lo), s->data + (s_lo - at), (size_t)(s_hi - s_lo));
        at += fpy_pad4(s->len);
    }
}

/* esptool patches the ELF SHA-256 into the piece whose [header, header +
 * data_len) range holds the offset (that it is data_len and not
 * 8 + data_len is esptool's own arithmetic, kept for identical results),
 * checking as it writes each piece, before that piece's length. */
static int fpy_piece_sha(fpy_image_builder *b, const fpy_image_piece *p, uint32_t off,
                         fpy_diag *d)
{
    if (off == 0 || off < p->file_offset || off - p->file_offset >= p->len)
        return FPY_OK;
    uint32_t rel = off - p->file_offset;
    if (rel < FPY_IMAGE_SEG_HEADER_LEN || (uint64_t)rel + FPY_IMAGE_DIGEST_LEN > p->len)
        return fpy_diag_val(d, FPY_ERR_INVAL,
                            "cannot place the ELF SHA-256 on a segment boundary",
                            "elf_sha256_offset", off, p->file_offset, p->len);
    uint8_t old[FPY_IMAGE_DIGEST_LEN] = {0};
    fpy_piece_copy(b, p, rel - FPY_IMAGE_SEG_HEADER_LEN, sizeof old, old);
    for (uint32_t k = 0; k < sizeof old; k++)
        if (old[k] != 0)
            return fpy_diag_val(d, FPY_ERR_INVAL,
                                "bytes at the ELF SHA-256 offset are not zero: refusing to overwrite",
                                "elf_sha256_offset", off + k, 0, old[k]);
    b->elf_sha256_off = off;
    return FPY_OK;
}

static int fpy_add_piece(fpy_image_builder *b, fpy_layout *l, fpy_image_piece p,
                         fpy_diag *d)
{
    p.file_offset = l->pos;
    FPY_TRY(fpy_piece_sha(b, &p, l->sha_want, d));
    int rc = FPY_OK;
    if (p.len % 4u != 0)
        rc = fpy_diag_val(d, FPY_ERR_ALIGN, "segment length is not a multiple of 4",
                          "segment.data_len", l->pos + 4u, fpy_pad4(p.len), p.len);
    else if (p.len >= FPY_IMAGE_MAX_SEG_LEN)
        rc = fpy_diag_val(d, FPY_ERR_INVAL, "segment of 16 MiB or more",
                          "segment.data_len", l->pos + 4u, FPY_IMAGE_MAX_SEG_LEN - 1u, p.len);
    if (rc != FPY_OK) {
        fpy_diag_index(d, b->nout);
        return rc;
    }
    b->out[b->nout++] = p;
    l->pos += FPY_IMAGE_SEG_HEADER_LEN + p.len;
    return FPY_OK;
}

/* Padding before a flash segment: the front of the first RAM run left
 * (at its own load address) when there is one and more than 8 bytes are
 * needed, else zeros at address 0.  A RAM run shorter than the gap is
 * used whole and the caller asks again. */
static int fpy_add_padding(fpy_image_builder *b, fpy_layout *l, uint32_t pad,
                           fpy_diag *d)
{
    uint32_t h = l->ram_head;
    if (h >= l->ram.n || pad <= FPY_IMAGE_SEG_HEADER_LEN)
        return fpy_add_piece(b, l, (fpy_image_piece){0, pad, 0, 0, -1}, d);
    uint32_t take = pad < l->ram_left[h] ? pad : l->ram_left[h];
    fpy_image_piece p = {l->ram_addr[h], take, l->ram_skip[h], 0, (int32_t)l->ram.idx[h]};
    l->ram_addr[h] += take;
    l->ram_skip[h] += take;
    l->ram_left[h] -= take;
    if (l->ram_left[h] == 0)
        l->ram_head++;
    return fpy_add_piece(b, l, p, d);
}

static int fpy_add_flash(fpy_image_builder *b, fpy_layout *l, uint32_t run,
                         fpy_diag *d)
{
    fpy_image_piece p = {b->run[run].addr, b->run[run].len, 0, 0, (int32_t)run};
    /* ESP32 only: old 2nd-stage bootloaders did not map the last MMU page
     * when a segment ended less than 0x24 bytes into it; grow it past. */
    uint32_t rem = (uint32_t)(((uint64_t)l->pos + FPY_IMAGE_SEG_HEADER_LEN + p.len) %
                              FPY_IMAGE_MMU_PAGE);
    if (rem < 0x24u)
        p.len += 0x24u - rem;
    return fpy_add_piece(b, l, p, d);
}

static int fpy_layout_segments(fpy_image_builder *b, fpy_layout *l, fpy_diag *d)
{
    l->pos = FPY_IMAGE_HEADER_LEN;
    b->nout = 0;
    uint32_t fi = 0;
    /* Each round adds one piece and either places a flash run, aligns it,
     * or uses up a RAM run, so this ends within 2*16 rounds. */
    while (fi < l->flash.n) {
        uint32_t run = l->flash.idx[fi];
        uint32_t pad = fpy_align_needed(l->pos, b->run[run].addr);
        if (pad > 0) {
            FPY_TRY(fpy_add_padding(b, l, pad, d));
        } else {
            FPY_TRY(fpy_add_flash(b, l, run, d));
            fi++;
        }
    }
    for (uint32_t h = l->ram_head; h < l->ram.n; h++) {
        fpy_image_piece p = {l->ram_addr[h], l->ram_left[h], l->ram_skip[h], 0,
                             (int32_t)l->ram.idx[h]};
        FPY_TRY(fpy_add_piece(b, l, p, d));
    }
    return FPY_OK;
}

/* Secure boot padding: one zero segment so that the signed image ends
 * 12 bytes before a 64 KiB boundary (v1: digest + version + signature +
 * 12 bytes follow the checksum block) or on it (v2: digest only). */
static int fpy_layout_secure_pad(fpy_image_builder *b, fpy_layout *l,
                                 const fpy_image_opts *o, fpy_diag *d)
{
    if (o->secure_pad == 0)
        return FPY_OK;
    if (o->no_digest)
        return fpy_diag_set(d, FPY_ERR_INVAL, "secure padding needs the SHA-256 digest",
                            "secure_pad", 0);
    uint32_t after = o->secure_pad == 1 ? 32u + 4u + 64u + 12u : 32u;
    uint32_t past = (l->pos + FPY_IMAGE_SEG_HEADER_LEN) % FPY_IMAGE_MMU_PAGE;
    uint32_t pad = (uint32_t)(((uint64_t)3 * FPY_IMAGE_MMU_PAGE - past - 16u - after) %
                              FPY_IMAGE_MMU_PAGE);
    return fpy_add_piece(b, l, (fpy_image_piece){0, pad, 0, 0, -1}, d);
}

/* ---- act ------------------------------------------------------------------- */

static void fpy_emit_header(const fpy_image_builder *b, const fpy_image_opts *o,
                            uint8_t *out)
{
    fpy_image_header h = {
        .magic = FPY_IMAGE_MAGIC,
        .segment_count = (uint8_t)b->nout,
        .spi_mode = o->flash_mode,
        .spi_speed = o->flash_freq,
        .spi_size = o->flash_size,
        .entry_addr = b->entry,
        .wp_pin = FPY_IMAGE_WP_PIN_DISABLED,
        .chip_id = FPY_IMAGE_CHIP_ID_ESP32,
        .min_chip_rev = o->min_rev,
        .min_chip_rev_full = o->min_rev_full,
        .max_chip_rev_full = o->max_rev_full,
        .hash_appended = (uint8_t)(o->no_digest ? 0u : 1u),
    };
    fpy_image_header_encode(&h, out);
}

static int fpy_emit(const fpy_image_builder *b, const fpy_image_opts *o,
                    uint8_t *out, size_t total)
{
    memset(out, 0, b->image_len);
    fpy_emit_header(b, o, out);
    for (uint32_t i = 0; i < b->nout; i++) {
        const fpy_image_piece *p = &b->out[i];
        fpy_put_le32(out + p->file_offset, p->load_addr);
        fpy_put_le32(out + p->file_offset + 4u, p->len);
        fpy_piece_copy(b, p, 0, p->len, out + p->file_offset + FPY_IMAGE_SEG_HEADER_LEN);
    }
    if (b->elf_sha256_off != 0)
        memcpy(out + b->elf_sha256_off, b->elf_sha256, FPY_IMAGE_DIGEST_LEN);
    /* The checksum covers segment data only, patched bytes included. */
    uint8_t ck = FPY_IMAGE_CHECKSUM_SEED;
    for (uint32_t i = 0; i < b->nout; i++) {
        const uint8_t *p = out + b->out[i].file_offset + FPY_IMAGE_SEG_HEADER_LEN;
        for (uint32_t k = 0; k < b->out[i].len; k++)
            ck ^= p[k];
    }
    out[b->checksum_offset] = ck;
    if (!o->no_digest)
        FPY_TRY(fpy_sha256_buf(out, b->checksum_offset + 1u, out + b->checksum_offset + 1u));
    memset(out + b->image_len, 0xFF, total - b->image_len);
    return FPY_OK;
}

static int fpy_check_opts(const fpy_image_opts *o, fpy_diag *d)
{
    if (o->flash_freq > 0xFu)
        return fpy_diag_val(d, FPY_ERR_INVAL, "flash frequency code is a nibble",
                            "flash_freq", FPY_IMAGE_OFF_SPI_SPEED_SIZE, 0xF, o->flash_freq);
    if (o->flash_size > 0xFu)
        return fpy_diag_val(d, FPY_ERR_INVAL, "flash size code is a nibble",
                            "flash_size", FPY_IMAGE_OFF_SPI_SPEED_SIZE, 0xF, o->flash_size);
    if (o->secure_pad > 2u)
        return fpy_diag_val(d, FPY_ERR_INVAL, "secure_pad is 0, 1 or 2", "secure_pad",
                            0, 2, o->secure_pad);
    return FPY_OK;
}

/* Plan from b->sec[0..nsec), then write if it fits. */
/* Where the ELF SHA-256 goes: the given offset, or 0xB0 when (esptool
 * 5.x) the first section whose name contains ".flash.appdesc" is
 * flash-mapped; 0 for nowhere. */
static uint32_t fpy_sha_offset(const fpy_image_builder *b, const fpy_image_opts *o)
{
    if (o->elf_sha256_offset != 0)
        return o->elf_sha256_offset;
    for (uint32_t i = 0; i < b->nsec; i++)
        if (b->sec[i].name != NULL && strstr(b->sec[i].name, FPY_APPDESC_NAME) != NULL)
            return fpy_image_is_flash_addr(b->sec[i].addr) ? FPY_IMAGE_ELF_SHA256_OFF : 0u;
    return 0;
}

/* Plan from b->sec[0..nsec), then write if it fits. */
static int fpy_build_secs(fpy_image_builder *b, const fpy_image_opts *o,
                          const uint8_t *elf_sha256, uint8_t *out, size_t cap,
                          size_t *out_len, fpy_diag *d)
{
    fpy_layout l;
    memset(&l, 0, sizeof l);
    b->elf_sha256_off = 0;
    if (elf_sha256 != NULL) {
        l.sha_want = fpy_sha_offset(b, o);
        memcpy(b->elf_sha256, elf_sha256, FPY_IMAGE_DIGEST_LEN);
    }
    FPY_TRY(fpy_build_runs(b, d));
    FPY_TRY(fpy_split_order(b, &l, o->use_segments ? "p_paddr" : "sh_addr", d));
    FPY_TRY(fpy_layout_segments(b, &l, d));
    FPY_TRY(fpy_layout_secure_pad(b, &l, o, d));
    b->checksum_offset = l.pos + 15u - l.pos % 16u;
    b->image_len = b->checksum_offset + 1u + (o->no_digest ? 0u : FPY_IMAGE_DIGEST_LEN);
    uint64_t total = b->image_len;
    if (o->pad_to_size != 0 && total % o->pad_to_size != 0)
        total += o->pad_to_size - total % o->pad_to_size;
    *out_len = (size_t)total;
    if (out == NULL || cap < total)
        return fpy_diag_val(d, FPY_ERR_NOSPC, "output buffer too small for the image",
                            "output", 0, total, cap);
    return fpy_emit(b, o, out, (size_t)total);
}

static int fpy_take_section(fpy_image_builder *b, const fpy_image_section *s,
                            fpy_diag *d)
{
    if (s->addr == 0 || s->len == 0)
        return FPY_OK; /* esptool skips these */
    if (s->data == NULL)
        return fpy_diag_set(d, FPY_ERR_INVAL, "section without data", "data", s->addr);
    if (s->len >= FPY_IMAGE_MAX_SEG_LEN)
        return fpy_diag_val(d, FPY_ERR_INVAL, "section of 16 MiB or more", "len",
                            s->addr, FPY_IMAGE_MAX_SEG_LEN - 1u, s->len);
    if (b->nsec >= FPY_IMAGE_MAX_SECTIONS)
        return fpy_diag_val(d, FPY_ERR_NOSPC, "too many sections for the workspace",
                            "sections", 0, FPY_IMAGE_MAX_SECTIONS, b->nsec + 1u);
    b->sec[b->nsec++] = *s;
    return FPY_OK;
}

int fpy_image_build(fpy_image_builder *b, const fpy_image_section *secs,
                    size_t n, uint32_t entry, const fpy_image_opts *opts,
                    const uint8_t *elf_sha256, uint8_t *out, size_t out_cap,
                    size_t *out_len, fpy_diag *d)
{
    fpy_image_opts o = opts != NULL ? *opts : FPY_IMAGE_OPTS_DEFAULT();
    *out_len = 0;
    FPY_TRY(fpy_check_opts(&o, d));
    b->nsec = 0;
    b->entry = entry;
    for (size_t i = 0; i < n; i++)
        FPY_TRY(fpy_take_section(b, &secs[i], d));
    return fpy_build_secs(b, &o, elf_sha256, out, out_cap, out_len, d);
}

int fpy_image_elf2image(fpy_image_builder *b, const uint8_t *elf,
                        size_t elf_len, const fpy_image_opts *opts,
                        uint8_t *out, size_t out_cap, size_t *out_len,
                        fpy_diag *d)
{
    fpy_image_opts o = opts != NULL ? *opts : FPY_IMAGE_OPTS_DEFAULT();
    size_t n = 0;
    uint8_t sha[FPY_IMAGE_DIGEST_LEN];
    *out_len = 0;
    FPY_TRY(fpy_check_opts(&o, d));
    FPY_TRY(fpy_image_elf_parse(elf, elf_len, o.use_segments, b->sec,
                                FPY_IMAGE_MAX_SECTIONS, &n, &b->entry, d));
    b->nsec = (uint32_t)n;
    FPY_TRY(fpy_sha256_buf(elf, elf_len, sha));
    return fpy_build_secs(b, &o, sha, out, out_cap, out_len, d);
}
