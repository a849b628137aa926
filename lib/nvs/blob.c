/*
 * Multi-page blobs (format v2): chunks of at most one page each
 * (BLOB_DATA, chunk index = chunkStart + k) and then an index entry
 * (BLOB_IDX: total size, chunk count, chunkStart).
 *
 * An update writes the new version in the other chunk range (0x00 <->
 * 0x80), then its index, and only then erases the old index and chunks.
 * A cut before the new index is complete leaves orphan chunks, which init
 * erases; after it, two indexes, of which init keeps the newer.
 */
#include "fipy/hash.h"
#include "nvs_int.h"

/* ESP-IDF: a first chunk smaller than a tenth of a page is not worth
 * splitting the blob for; take a new page instead. */
#define FPY_NVS_MIN_FIRST_CHUNK (FPY_NVS_CHUNK_MAX / 10u)
#define FPY_NVS_MAX_CHUNKS 127u

int fpy_nvs_blob_check(const fpy_nvs *nvs, const fpy_nvs_item *idx)
{
    uint32_t start = fpy_nvs_item_blob_start(idx), count = fpy_nvs_item_blob_count(idx);
    uint32_t sum = 0;
    if (start + count > FPY_NVS_CHUNK_ANY)
        return FPY_ERR_CORRUPT;
    for (uint32_t k = 0; k < count; k++) {
        fpy_nvs_loc loc;
        fpy_nvs_item chunk;
        int rc = fpy_nvs_find(nvs, idx->ns, idx->key, (uint8_t)(start + k), NULL, &loc, &chunk);
        if (rc == FPY_ERR_NOTFOUND || (rc == FPY_OK && chunk.type != FPY_NVS_TYPE_BLOB))
            return FPY_ERR_CORRUPT;
        FPY_TRY(rc);
        sum += fpy_nvs_item_vsize(&chunk);
    }
    return sum == fpy_nvs_item_blob_size(idx) ? FPY_OK : FPY_ERR_CORRUPT;
}

int fpy_nvs_blob_read(const fpy_nvs *nvs, const fpy_nvs_item *idx, void *buf, uint32_t len)
{
    uint8_t *out = buf;
    uint32_t start = fpy_nvs_item_blob_start(idx), count = fpy_nvs_item_blob_count(idx);
    uint32_t off = 0;
    for (uint32_t k = 0; k < count && start + k < FPY_NVS_CHUNK_ANY; k++) {
        fpy_nvs_loc loc;
        fpy_nvs_item chunk;
        int rc = fpy_nvs_find(nvs, idx->ns, idx->key, (uint8_t)(start + k), NULL, &loc, &chunk);
        if (rc == FPY_ERR_NOTFOUND)
            return FPY_ERR_CORRUPT;
        FPY_TRY(rc);
        uint32_t n = fpy_nvs_item_vsize(&chunk);
        if (chunk.type != FPY_NVS_TYPE_BLOB || n > len - off)
            return FPY_ERR_CORRUPT;
        FPY_TRY(fpy_nvs_read_payload(nvs, &loc, 0, out + off, n));
        if (fpy_nvs_crc(out + off, n) != fpy_nvs_item_vcrc(&chunk))
            return FPY_ERR_CHECKSUM;
        off += n;
    }
    return off == len ? FPY_OK : FPY_ERR_CORRUPT;
}

/* Bytes of payload one more chunk can take on the current page. */
static uint32_t fpy_nvs_tailroom(const fpy_nvs *nvs)
{
    if (nvs->cur == FPY_NVS_NO_PAGE || nvs->pages[nvs->cur].kind != FPY_NVS_PK_ACTIVE)
        return 0;
    uint32_t nf = nvs->pages[nvs->cur].next_free;
    return nf + 1u < FPY_NVS_ENTRY_COUNT ? (FPY_NVS_ENTRY_COUNT - nf - 1u) * FPY_NVS_ENTRY_SIZE
                                         : 0;
}

typedef struct fpy_nvs_chunking {
    fpy_nvs_item it;    /* BLOB_DATA template: ns and key */
    const uint8_t *data;
    uint32_t len;
    uint8_t start;      /* chunk range of this version */
    uint32_t written;   /* chunks written so far */
} fpy_nvs_chunking;

static int fpy_nvs_write_chunks(fpy_nvs *nvs, fpy_nvs_chunking *c)
{
    uint32_t off = 0, page_changes = 0;
    do {
        uint32_t room = fpy_nvs_tailroom(nvs), left = c->len - off;
        if (room == 0 || (c->written == 0 && room < left && room < FPY_NVS_MIN_FIRST_CHUNK)) {
            if (++page_changes > 2u * nvs->npages + 2u)
                return FPY_ERR_NOSPC;
            FPY_TRY(fpy_nvs_next_page(nvs));
            continue;
        }
        if (c->written >= FPY_NVS_MAX_CHUNKS)
            return FPY_ERR_NOSPC;
        uint32_t n = left < room ? left : room;
        fpy_nvs_item chunk = c->it;
        fpy_nvs_loc loc;
        chunk.chunk = (uint8_t)(c->start + c->written);
        const uint8_t *src = c->data != NULL ? c->data + off : NULL;
        FPY_TRY(fpy_nvs_write_item(nvs, &chunk, src, n, &loc));
        c->written++;
        off += n;
    } while (off < c->len);
    return FPY_OK;
}

/* Undo a blob write that could not finish: its chunks, newest range only. */
static int fpy_nvs_drop_chunks(fpy_nvs *nvs, const fpy_nvs_chunking *c)
{
    for (uint32_t k = 0; k < c->written; k++) {
        fpy_nvs_loc loc;
        fpy_nvs_item chunk;
        int rc = fpy_nvs_find(nvs, c->it.ns, c->it.key, (uint8_t)(c->start + k), NULL,
                              &loc, &chunk);
        if (rc == FPY_ERR_NOTFOUND)
            continue;
        FPY_TRY(rc);
        FPY_TRY(fpy_nvs_drop(nvs, &loc, chunk.span));
    }
    return FPY_OK;
}

static int fpy_nvs_blob_unchanged(const fpy_nvs *nvs, const fpy_nvs_item *old,
                                  const uint8_t *data, uint32_t len, int *same)
{
    uint32_t start = fpy_nvs_item_blob_start(old), count = fpy_nvs_item_blob_count(old);
    uint32_t off = 0;
    *same = old->type == FPY_NVS_TYPE_BLOB_IDX && fpy_nvs_item_blob_size(old) == len;
    for (uint32_t k = 0; k < count && *same && start + k < FPY_NVS_CHUNK_ANY; k++) {
        fpy_nvs_loc loc;
        fpy_nvs_item chunk;
        FPY_TRY(fpy_nvs_find(nvs, old->ns, old->key, (uint8_t)(start + k), NULL, &loc,
                             &chunk));
        uint32_t n = fpy_nvs_item_vsize(&chunk);
        if (n > len - off)
            return FPY_ERR_CORRUPT;
        FPY_TRY(fpy_nvs_payload_equals(nvs, &loc, data != NULL ? data + off : NULL, n, same));
        off += n;
    }
    return FPY_OK;
}

static int fpy_nvs_write_index(fpy_nvs *nvs, const fpy_nvs_chunking *c, fpy_nvs_loc *loc)
{
    fpy_nvs_item idx = c->it;
    idx.type = FPY_NVS_TYPE_BLOB_IDX;
    idx.chunk = FPY_NVS_CHUNK_ANY;
    for (uint32_t k = 0; k < 4; k++)
        idx.data[k] = (uint8_t)(c->len >> (8 * k));
    idx.data[4] = (uint8_t)c->written;
    idx.data[5] = c->start;
    idx.data[6] = 0xFF;
    idx.data[7] = 0xFF;
    return fpy_nvs_write_item(nvs, &idx, NULL, 0, loc);
}

int fpy_nvs_blob_write(fpy_nvs *nvs, uint8_t ns, const char *key, const void *data,
                       uint32_t len)
{
    uint32_t pages = nvs->npages - 1u < FPY_NVS_MAX_CHUNKS ? nvs->npages - 1u
                                                           : FPY_NVS_MAX_CHUNKS;
    fpy_nvs_chunking c = {.data = data, .len = len, .start = FPY_NVS_VER_0};
    fpy_nvs_loc old_loc, loc;
    fpy_nvs_item old;
    int same = 0;
    FPY_TRY(fpy_nvs_item_init(&c.it, ns, FPY_NVS_TYPE_BLOB, key));
    if (len > pages * FPY_NVS_CHUNK_MAX || (len > 0 && data == NULL))
        return len > 0 && data == NULL ? FPY_ERR_INVAL : FPY_ERR_NOSPC;
    int rc = fpy_nvs_find(nvs, ns, c.it.key, FPY_NVS_CHUNK_ANY, NULL, &old_loc, &old);
    if (rc != FPY_ERR_NOTFOUND) {
        FPY_TRY(rc);
        FPY_TRY(fpy_nvs_blob_unchanged(nvs, &old, data, len, &same));
        if (same)
            return FPY_OK;
        if (old.type == FPY_NVS_TYPE_BLOB_IDX && fpy_nvs_item_blob_start(&old) == FPY_NVS_VER_0)
            c.start = FPY_NVS_VER_1;
    }
    rc = fpy_nvs_write_chunks(nvs, &c);
    if (rc == FPY_OK)
        rc = fpy_nvs_write_index(nvs, &c, &loc);
    if (rc != FPY_OK) {
        if (nvs->ready)
            FPY_TRY(fpy_nvs_drop_chunks(nvs, &c));
        return rc;
    }
    return fpy_nvs_erase_twins(nvs, ns, c.it.key, &loc);
}
