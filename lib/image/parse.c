/*
 * Reading an app image: walk (header, segment headers, footer), sum
 * (checksum and SHA-256 in one streaming pass), describe (app or
 * bootloader description), then decide (fpy_image_check, pure).
 */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/hash.h"
#include "fipy/image.h"

/* ---- the source ------------------------------------------------------------ */

static int fpy_src_read(const fpy_image_src *s, uint32_t off, void *buf,
                        uint32_t len)
{
    if (!fpy_in_bounds(off, len, s->size))
        return FPY_ERR_RANGE;
    if (s->mem != NULL) {
        memcpy(buf, s->mem + off, len);
        return FPY_OK;
    }
    if (!fpy_in_bounds((uint64_t)s->base + off, len, 0x100000000ull))
        return FPY_ERR_RANGE;
    return fpy_flash_read(s->flash, s->base + off, buf, len);
}

/* Up to `len` bytes at `off`: in place for memory, through the scratch
 * buffer for flash (one chunk per call). */
static int fpy_src_chunk(const fpy_image_src *s, uint32_t off, uint32_t len,
                         uint8_t *scratch, uint32_t scratch_len,
                         const uint8_t **p, uint32_t *got)
{
    if (s->mem != NULL) {
        if (!fpy_in_bounds(off, len, s->size))
            return FPY_ERR_RANGE;
        *p = s->mem + off;
        *got = len;
        return FPY_OK;
    }
    *got = len < scratch_len ? len : scratch_len;
    *p = scratch;
    return fpy_src_read(s, off, scratch, *got);
}

/* ---- walk ------------------------------------------------------------------ */

/* esptool image-info picks the chip by the chip id's low byte alone. */
static const fpy_image_chip *fpy_chip_of(const fpy_image_header *h)
{
    return fpy_image_chip_by_id(h->chip_id & 0xFFu);
}

static int fpy_walk_header(const fpy_image_src *s, const fpy_image_chip *chip,
                           fpy_image_info *info, fpy_diag *d)
{
    uint8_t raw[FPY_IMAGE_HEADER_LEN] = {0};
    uint32_t n = s->size < FPY_IMAGE_HEADER_LEN ? s->size : FPY_IMAGE_HEADER_LEN;
    FPY_TRY(fpy_src_read(s, 0, raw, n));
    /* A wrong magic says more than a short read, so test it first. */
    if (n >= 1 && raw[0] != FPY_IMAGE_MAGIC)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "not an app image: bad magic",
                            "magic", FPY_IMAGE_OFF_MAGIC, FPY_IMAGE_MAGIC, raw[0]);
    if (n < FPY_IMAGE_HEADER_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "image ends inside its header",
                            "header", 0, FPY_IMAGE_HEADER_LEN, n);
    fpy_image_header_decode(raw, &info->hdr);
    if (info->hdr.segment_count > FPY_IMAGE_MAX_SEGMENTS)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "too many segments (max 16)",
                            "segment_count", FPY_IMAGE_OFF_SEGMENT_COUNT,
                            FPY_IMAGE_MAX_SEGMENTS, info->hdr.segment_count);
    if (info->hdr.hash_appended > 1)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "hash_appended must be 0 or 1",
                            "hash_appended", FPY_IMAGE_OFF_HASH_APPENDED, 1,
                            info->hdr.hash_appended);
    info->nsegments = info->hdr.segment_count;
    info->has_digest = info->hdr.hash_appended;
    info->chip = chip != NULL ? chip : fpy_chip_of(&info->hdr);
    return FPY_OK;
}

static int fpy_walk_segment(const fpy_image_src *s, const fpy_image_chip *chip,
                            uint32_t i, uint32_t pos, fpy_image_segment *seg,
                            fpy_diag *d)
{
    uint8_t raw[FPY_IMAGE_SEG_HEADER_LEN];
    if (!fpy_in_bounds(pos, FPY_IMAGE_SEG_HEADER_LEN, s->size)) {
        fpy_diag_val(d, FPY_ERR_TRUNCATED, "image ends inside a segment header",
                     "segment", pos, (uint64_t)pos + FPY_IMAGE_SEG_HEADER_LEN,
                     s->size);
        fpy_diag_index(d, i);
        return FPY_ERR_TRUNCATED;
    }
    FPY_TRY(fpy_src_read(s, pos, raw, sizeof raw));
    seg->file_offset = pos;
    seg->load_addr = fpy_get_le32(raw);
    seg->data_len = fpy_get_le32(raw + 4);
    seg->mem_types = fpy_image_chip_mem_types(chip, seg->load_addr);
    int rc = FPY_OK;
    if (seg->data_len >= FPY_IMAGE_MAX_SEG_LEN)
        rc = fpy_diag_val(d, FPY_ERR_CORRUPT, "segment length of 16 MiB or more",
                          "segment.data_len", (uint64_t)pos + 4,
                          FPY_IMAGE_MAX_SEG_LEN - 1u, seg->data_len);
    else if (!fpy_in_bounds((uint64_t)pos + FPY_IMAGE_SEG_HEADER_LEN,
                            seg->data_len, s->size))
        rc = fpy_diag_val(d, FPY_ERR_TRUNCATED, "segment runs past the end of the image",
                          "segment.data_len", (uint64_t)pos + 4,
                          s->size - pos - FPY_IMAGE_SEG_HEADER_LEN, seg->data_len);
    if (rc != FPY_OK)
        fpy_diag_index(d, i);
    return rc;
}

/* Segments, then the checksum byte (last of a 16-byte block, with at least
 * one byte of padding before it) and the digest, or as much of it as the
 * source holds (esptool image-info reads what is there and calls it
 * invalid; fpy_image_check refuses it). */
static int fpy_walk_body(const fpy_image_src *s, fpy_image_info *info,
                         fpy_diag *d)
{
    uint32_t pos = FPY_IMAGE_HEADER_LEN;
    for (uint32_t i = 0; i < info->nsegments; i++) {
        FPY_TRY(fpy_walk_segment(s, info->chip, i, pos, &info->seg[i], d));
        pos += FPY_IMAGE_SEG_HEADER_LEN + info->seg[i].data_len;
    }
    uint64_t ck = (uint64_t)pos + 15u - pos % 16u;
    if (ck >= s->size)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "image ends before its checksum",
                            "checksum", ck, ck + 1u, s->size);
    info->checksum_offset = (uint32_t)ck;
    FPY_TRY(fpy_src_read(s, info->checksum_offset, &info->checksum, 1));
    info->image_len = info->checksum_offset + 1u;
    if (!info->has_digest)
        return FPY_OK;
    uint32_t left = s->size - info->image_len; /* ck < size: no wrap */
    info->digest_len = (uint8_t)(left < FPY_IMAGE_DIGEST_LEN ? left : FPY_IMAGE_DIGEST_LEN);
    if (info->digest_len > 0)
        FPY_TRY(fpy_src_read(s, info->image_len, info->digest, info->digest_len));
    info->image_len += info->digest_len;
    return FPY_OK;
}

/* ---- sum ------------------------------------------------------------------- */

typedef struct fpy_sums {
    fpy_sha256 sha;
    uint8_t use_sha;
    uint8_t xor;
} fpy_sums;

/* Hash [off, off+len); XOR it into the checksum too when `data`. */
static int fpy_feed(const fpy_image_src *s, uint8_t *scratch, uint32_t scratch_len,
                    uint32_t off, uint32_t len, int data, fpy_sums *sums)
{
    while (len > 0) {
        const uint8_t *p;
        uint32_t got;
        FPY_TRY(fpy_src_chunk(s, off, len, scratch, scratch_len, &p, &got));
        if (sums->use_sha)
            FPY_TRY(fpy_sha256_update(&sums->sha, p, got));
        for (uint32_t i = 0; data && i < got; i++)
            sums->xor ^= p[i];
        off += got;
        len -= got;
    }
    return FPY_OK;
}

static int fpy_sum_all(const fpy_image_src *s, uint8_t *scratch,
                       uint32_t scratch_len, fpy_image_info *info)
{
    fpy_sums sums = {.use_sha = info->has_digest, .xor = FPY_IMAGE_CHECKSUM_SEED};
    if (sums.use_sha)
        FPY_TRY(fpy_sha256_start(&sums.sha));
    uint32_t off = 0;
    int rc = FPY_OK;
    for (uint32_t i = 0; rc == FPY_OK && i < info->nsegments; i++) {
        uint32_t data = info->seg[i].file_offset + FPY_IMAGE_SEG_HEADER_LEN;
        rc = fpy_feed(s, scratch, scratch_len, off, data - off, 0, &sums);
        if (rc == FPY_OK)
            rc = fpy_feed(s, scratch, scratch_len, data, info->seg[i].data_len, 1, &sums);
        off = data + info->seg[i].data_len;
    }
    if (rc == FPY_OK)
        rc = fpy_feed(s, scratch, scratch_len, off, info->checksum_offset + 1u - off,
                      0, &sums);
    int end = sums.use_sha ? fpy_sha256_finish(&sums.sha, info->digest_calc) : FPY_OK;
    FPY_TRY(rc); /* finish ended the context on every path */
    FPY_TRY(end);
    info->checksum_calc = sums.xor;
    info->checksum_ok = info->checksum == sums.xor;
    info->digest_ok = info->has_digest && info->digest_len == FPY_IMAGE_DIGEST_LEN &&
                      fpy_digest_cmp(info->digest, info->digest_calc,
                                     FPY_IMAGE_DIGEST_LEN) == 0;
    return FPY_OK;
}

/* ---- describe -------------------------------------------------------------- */

/* esptool image-info: the first DROM segment carries the app description;
 * without one (or when it is empty), the last DRAM segment of 80 bytes or
 * more may carry a bootloader description. */
static int fpy_describe(const fpy_image_src *s, fpy_image_info *info)
{
    int32_t boot = -1;
    info->drom_index = -1;
    for (uint32_t i = 0; i < info->nsegments; i++) {
        if ((info->seg[i].mem_types & FPY_IMAGE_MEM_DROM) && info->drom_index < 0)
            info->drom_index = (int32_t)i;
        else if ((info->seg[i].mem_types & FPY_IMAGE_MEM_DRAM) &&
                 info->seg[i].data_len >= FPY_IMAGE_BOOT_DESC_LEN)
            boot = (int32_t)i;
    }
    if (info->drom_index >= 0 && info->seg[info->drom_index].data_len > 0) {
        const fpy_image_segment *seg = &info->seg[info->drom_index];
        uint8_t raw[FPY_IMAGE_APP_DESC_LEN] = {0};
        uint32_t n = seg->data_len < sizeof raw ? seg->data_len : (uint32_t)sizeof raw;
        FPY_TRY(fpy_src_read(s, seg->file_offset + FPY_IMAGE_SEG_HEADER_LEN, raw, n));
        info->app_desc_magic = fpy_get_le32(raw);
        info->has_app_desc = n == sizeof raw &&
                             fpy_image_app_desc_decode(raw, &info->app_desc, NULL) == FPY_OK;
        return FPY_OK;
    }
    if (boot < 0)
        return FPY_OK;
    uint8_t raw[FPY_IMAGE_BOOT_DESC_LEN];
    FPY_TRY(fpy_src_read(s, info->seg[boot].file_offset + FPY_IMAGE_SEG_HEADER_LEN,
                         raw, sizeof raw));
    if (raw[0] != FPY_IMAGE_BOOT_DESC_MAGIC)
        return FPY_OK;
    info->has_boot_desc = 1;
    info->boot_desc.version = fpy_get_le32(raw + 4);
    memcpy(info->boot_desc.idf_ver, raw + 8, 32);
    info->boot_desc.idf_ver[32] = '\0';
    memcpy(info->boot_desc.date_time, raw + 40, 24);
    info->boot_desc.date_time[24] = '\0';
    return FPY_OK;
}

int fpy_image_parse(const fpy_image_src *src, uint8_t *scratch,
                    uint32_t scratch_len, fpy_image_info *info, fpy_diag *d)
{
    return fpy_image_parse_as(src, NULL, scratch, scratch_len, info, d);
}

int fpy_image_parse_as(const fpy_image_src *src, const fpy_image_chip *chip,
                       uint8_t *scratch, uint32_t scratch_len,
                       fpy_image_info *info, fpy_diag *d)
{
    if (src == NULL || info == NULL ||
        (src->mem == NULL && (src->flash == NULL || scratch == NULL || scratch_len == 0)))
        return fpy_diag_set(d, FPY_ERR_INVAL, "no image source or scratch buffer",
                            NULL, 0);
    memset(info, 0, sizeof *info);
    info->src_size = src->size;
    info->drom_index = -1;
    FPY_TRY(fpy_walk_header(src, chip, info, d));
    FPY_TRY(fpy_walk_body(src, info, d));
    FPY_TRY(fpy_sum_all(src, scratch, scratch_len, info));
    return fpy_describe(src, info);
}

/* ---- decide ---------------------------------------------------------------- */

static uint64_t fpy_bswap64(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++, v >>= 8)
        r = (r << 8) | (v & 0xFFu);
    return r;
}

static int fpy_check_sums(const fpy_image_info *info, fpy_diag *d)
{
    if (info->has_digest && info->digest_len < FPY_IMAGE_DIGEST_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "image ends inside its SHA-256",
                            "sha256", info->checksum_offset + 1u,
                            (uint64_t)info->checksum_offset + 1u + FPY_IMAGE_DIGEST_LEN,
                            info->src_size);
    if (!info->checksum_ok)
        return fpy_diag_val(d, FPY_ERR_CHECKSUM, "checksum mismatch", "checksum",
                            info->checksum_offset, info->checksum_calc,
                            info->checksum);
    if (info->has_digest && !info->digest_ok) {
        /* Point at the first byte that differs and show 8 bytes from
         * there (or the last 8), so the message shows the difference. */
        uint32_t i = 0;
        while (i < FPY_IMAGE_DIGEST_LEN - 1u && info->digest[i] == info->digest_calc[i])
            i++;
        uint32_t at = i < FPY_IMAGE_DIGEST_LEN - 8u ? i : FPY_IMAGE_DIGEST_LEN - 8u;
        uint64_t want = fpy_get_le64(info->digest_calc + at), got = fpy_get_le64(info->digest + at);
        /* Shown big-endian: in the order the bytes appear in the file. */
        return fpy_diag_val(d, FPY_ERR_CHECKSUM, "SHA-256 digest mismatch (8 bytes shown)",
                            "sha256", info->checksum_offset + 1u + at,
                            fpy_bswap64(want), fpy_bswap64(got));
    }
    return FPY_OK;
}

/* What ESP-IDF's esp_image_format.c refuses besides the sums. */
static int fpy_check_loader(const fpy_image_info *info, fpy_diag *d)
{
    if (info->hdr.chip_id != FPY_IMAGE_CHIP_ID_ESP32)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "image is not for the ESP32",
                            "chip_id", FPY_IMAGE_OFF_CHIP_ID,
                            FPY_IMAGE_CHIP_ID_ESP32, info->hdr.chip_id);
    for (uint32_t i = 0; i < info->nsegments; i++) {
        const fpy_image_segment *seg = &info->seg[i];
        uint32_t data = seg->file_offset + FPY_IMAGE_SEG_HEADER_LEN;
        int rc = FPY_OK;
        if (seg->data_len % 4u != 0)
            rc = fpy_diag_val(d, FPY_ERR_CORRUPT, "segment length not a multiple of 4",
                              "segment.data_len", seg->file_offset + 4u,
                              fpy_align_up32(seg->data_len, 4), seg->data_len);
        else if (fpy_image_is_flash_addr(seg->load_addr) &&
                 data % FPY_IMAGE_MMU_PAGE != seg->load_addr % FPY_IMAGE_MMU_PAGE)
            /* The MMU maps whole 64 KiB pages: file and address must agree
             * below the page size or the code lands at the wrong place. */
            rc = fpy_diag_val(d, FPY_ERR_CORRUPT,
                              "mapped segment's file offset and load address differ mod 64 KiB",
                              "segment.load_addr", seg->file_offset,
                              seg->load_addr % FPY_IMAGE_MMU_PAGE,
                              data % FPY_IMAGE_MMU_PAGE);
        if (rc != FPY_OK) {
            fpy_diag_index(d, i);
            return rc;
        }
    }
    return FPY_OK;
}

/* ESP-IDF reads esp_app_desc_t at partition + 0x20: segment 0 must be the
 * DROM segment that starts with it. */
static int fpy_check_app_desc(const fpy_image_info *info, fpy_diag *d)
{
    if (info->nsegments == 0 || info->drom_index != 0) {
        fpy_diag_set(d, FPY_ERR_NOTFOUND,
                     "no app description: segment 0 is not a DROM segment",
                     "segment.load_addr", FPY_IMAGE_HEADER_LEN);
        fpy_diag_index(d, 0);
        return FPY_ERR_NOTFOUND;
    }
    if (info->seg[0].data_len < FPY_IMAGE_APP_DESC_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED,
                            "first DROM segment is shorter than esp_app_desc_t",
                            "app_desc", FPY_IMAGE_APP_DESC_IMAGE_OFF,
                            FPY_IMAGE_APP_DESC_LEN, info->seg[0].data_len);
    if (!info->has_app_desc)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "bad app description magic",
                            "app_desc.magic_word", FPY_IMAGE_APP_DESC_IMAGE_OFF,
                            FPY_IMAGE_APP_DESC_MAGIC, info->app_desc_magic);
    return FPY_OK;
}

int fpy_image_check(const fpy_image_info *info, uint32_t flags, fpy_diag *d)
{
    FPY_TRY(fpy_check_sums(info, d));
    if (flags & FPY_IMAGE_CHECK_LOADER)
        FPY_TRY(fpy_check_loader(info, d));
    if (flags & FPY_IMAGE_CHECK_APP_DESC)
        FPY_TRY(fpy_check_app_desc(info, d));
    return FPY_OK;
}

int fpy_image_verify(const fpy_image_src *src, uint8_t *scratch,
                     uint32_t scratch_len, uint32_t flags,
                     fpy_image_info *info, fpy_diag *d)
{
    FPY_TRY(fpy_image_parse(src, scratch, scratch_len, info, d));
    return fpy_image_check(info, flags, d);
}
