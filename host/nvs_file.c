/* NVS partitions in files, and the CSV generator with its file rows. */
#include "nvs_host.h"

#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/layout.h"
#include "fipy/nvs_format.h"
#include "flashimg.h"
#include "hostio.h"
#include "nvs_gen.h"

#define FPY_NVS_CSV_LIMIT (64u << 20)
#define FPY_NVS_VALUE_FILE_LIMIT (64u << 20)

/* The NVS area of the FiPy's layouts (the same in both: 0x9000, 16 KiB). */
static void fpy_nvs_layout_area(uint32_t *off, uint32_t *size)
{
    const fpy_area *a = fpy_layout_area(fpy_layout_get(FPY_LAYOUT_NONBLE), FPY_AREA_NVS, 0);
    *off = a != NULL ? a->offset : FPY_NVS_FIPY_OFFSET;
    *size = a != NULL ? a->size : FPY_NVS_FIPY_SIZE;
}

static int fpy_nvs_locate(fpy_nvs_file *f, const uint32_t *off, const uint32_t *size,
                          char *err, size_t errlen)
{
    f->whole_flash = f->len == FPY_FLASH_SIZE_8M && off == NULL;
    f->off = off != NULL ? *off : 0;
    f->size = f->off <= f->len ? (uint32_t)(f->len - f->off) : 0; /* to the end */
    if (f->whole_flash)
        fpy_nvs_layout_area(&f->off, &f->size);
    if (size != NULL) {
        f->size = *size;
    } else if (f->size % FPY_NVS_PAGE_SIZE != 0) {
        snprintf(err, errlen, "%s: the %u bytes from offset 0x%x to the end are not whole "
                              "4 KiB pages: a truncated partition? (--size takes a part)",
                 f->path, (unsigned)f->size, (unsigned)f->off);
        return FPY_ERR_TRUNCATED;
    }
    if (f->off % FPY_NVS_PAGE_SIZE != 0 || f->size % FPY_NVS_PAGE_SIZE != 0 || f->size == 0 ||
        f->off > f->len || f->size > f->len - f->off) {
        snprintf(err, errlen, "%s: %zu bytes hold no NVS partition at offset 0x%x of 0x%x "
                              "bytes (both must be multiples of 0x1000 inside the file)",
                 f->path, f->len, (unsigned)f->off, (unsigned)f->size);
        return FPY_ERR_RANGE;
    }
    return FPY_OK;
}

int fpy_nvs_file_load(fpy_nvs_file *f, const char *path, const uint32_t *off,
                      const uint32_t *size, int mode, char *err, size_t errlen)
{
    fpy_nvs_file_init(f);
    f->path = path;
    int rc = fpy_lockedfile_open(&f->file, path, mode, 64u << 20, err, errlen);
    if (rc != FPY_OK)
        return rc;
    f->buf = f->file.buf;
    f->len = f->file.len;
    return fpy_nvs_locate(f, off, size, err, errlen);
}

/* A page the store would load (fpy_nvs_page_kind: a known state, a
 * matching CRC, a version it reads). */
static int fpy_nvs_page_valid(const uint8_t *page)
{
    fpy_nvs_header h;
    fpy_nvs_pwhy why;
    fpy_nvs_header_decode(page, &h);
    fpy_nvs_pkind k = fpy_nvs_page_kind(&h, 0, &why);
    return k == FPY_NVS_PK_ACTIVE || k == FPY_NVS_PK_FULL || k == FPY_NVS_PK_FREEING;
}

/* -1: no NVS page and not erased; 0: erased; 1: holds NVS pages. */
static int fpy_nvs_area_kind(const fpy_nvs_file *f)
{
    const uint8_t *p = f->buf + f->off;
    for (uint32_t pg = 0; pg < f->size; pg += FPY_NVS_PAGE_SIZE)
        if (fpy_nvs_page_valid(p + pg))
            return 1;
    return fpy_is_erased(p, f->size) ? 0 : -1;
}

/* "page 0 (offset 0x9000) holds no NVS page header: it starts e9 03 ..." */
static void fpy_nvs_page0(const fpy_nvs_file *f, char *out, size_t n)
{
    const uint8_t *p = f->buf + f->off;
    fpy_nvs_header h;
    char hex[3 * 8 + 1];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 3 * i, sizeof hex - 3u * (size_t)i, "%02x ", p[i]);
    hex[3 * 8 - 1] = '\0';
    fpy_nvs_header_decode(p, &h);
    const char *st = h.state != FPY_NVS_STATE_EMPTY ? fpy_nvs_state_name(h.state) : NULL;
    if (st != NULL)
        snprintf(out, n, "page 0 (offset 0x%x) has state %s but a bad header CRC (0x%08x, "
                         "computed 0x%08x); it starts %s", (unsigned)f->off, st,
                 (unsigned)h.crc_stored, (unsigned)h.crc_calc, hex);
    else
        snprintf(out, n, "page 0 (offset 0x%x) holds no NVS page header: it starts %s",
                 (unsigned)f->off, hex);
}

/* In a whole flash image, the table must say NVS is where we look. */
static int fpy_nvs_check_table(const fpy_nvs_file *f, char *err, size_t errlen)
{
    const fpy_layout *l;
    char msg[512];
    if (!f->whole_flash)
        return FPY_OK;
    int rc = fpy_flashimg_layout(f->buf, f->path, NULL, 1, &l, NULL, msg, sizeof msg);
    if (rc != FPY_OK)
        snprintf(err, errlen, "%s; with --offset and --size you say where NVS is", msg);
    return rc;
}

int fpy_nvs_file_prepare(fpy_nvs_file *f, int format, char *err, size_t errlen)
{
    char where[96], page0[160];
    FPY_TRY(fpy_nvs_check_table(f, err, errlen));
    int kind = fpy_nvs_area_kind(f);
    fpy_nvs_file_where(f, where, sizeof where);
    if (kind > 0 && format) {
        snprintf(err, errlen, "%s%s already holds an NVS partition: --format would erase its "
                              "keys, so it is refused; leave --format out", f->path, where);
        return FPY_ERR_EXISTS;
    }
    if (kind >= 0)
        return FPY_OK;
    if (format) {
        memset(f->buf + f->off, 0xFF, f->size);
        return FPY_OK;
    }
    fpy_nvs_page0(f, page0, sizeof page0);
    snprintf(err, errlen, "%s%s is not an NVS partition: %s; fipytool writes only into an NVS "
                          "partition or an erased area (--format erases its 0x%x bytes to "
                          "start an empty one)", f->path, where, page0, (unsigned)f->size);
    return FPY_ERR_CORRUPT;
}

int fpy_nvs_file_open(fpy_nvs_file *f, int read_only)
{
    fpy_flash_geometry g = {f->size, FPY_NVS_PAGE_SIZE, 256u, 4u};
    uint32_t n = f->size / FPY_NVS_PAGE_SIZE;
    free(f->mem);
    free(f->pages);
    f->mem = malloc(f->size);
    f->pages = calloc(n, sizeof *f->pages);
    if (f->mem == NULL || f->pages == NULL)
        return FPY_ERR_NOSPC;
    memcpy(f->mem, f->buf + f->off, f->size);
    FPY_TRY(fpy_flashsim_init(&f->sim, &g, f->mem, NULL, NULL));
    fpy_flashsim_bind(&f->sim, &f->flash);
    fpy_nvs_cfg cfg = {&f->flash, 0, f->size, f->pages, n, (uint8_t)(read_only != 0)};
    return fpy_nvs_init(&f->nvs, &cfg);
}

int fpy_nvs_file_save(fpy_nvs_file *f, char *err, size_t errlen)
{
    memcpy(f->buf + f->off, f->mem, f->size);
    return fpy_lockedfile_save(&f->file, err, errlen);
}

void fpy_nvs_file_init(fpy_nvs_file *f)
{
    memset(f, 0, sizeof *f);
    f->file.fd = -1;
}

void fpy_nvs_file_free(fpy_nvs_file *f)
{
    fpy_lockedfile_close(&f->file);
    free(f->mem);
    free(f->pages);
    fpy_nvs_file_init(f);
}

const char *fpy_nvs_file_where(const fpy_nvs_file *f, char *buf, size_t n)
{
    if (f->whole_flash)
        snprintf(buf, n, " (NVS at 0x%x of an 8 MiB flash image)", (unsigned)f->off);
    else if (f->off != 0 || f->size != f->len)
        snprintf(buf, n, " (partition at 0x%x, 0x%x bytes)", (unsigned)f->off,
                 (unsigned)f->size);
    else
        buf[0] = '\0';
    return buf;
}

/* ---- gen -------------------------------------------------------------------------- */

static int fpy_nvs_row_key_is(const fpy_nvs_csv_row *row, const char *k)
{
    return row->field[FPY_NVS_COL_KEY] != NULL && strcmp(row->field[FPY_NVS_COL_KEY], k) == 0;
}

/* The bytes of a file row, read as Python does: relative to the working
 * directory, only for rows the tool reads files for.  A file that is the
 * output (`out`) is refused: the output would replace it. */
static int fpy_nvs_row_file(const fpy_nvs_csv_row *row, const char *out, uint8_t **data,
                            size_t *len, char *err, size_t errlen)
{
    const char *type = row->field[FPY_NVS_COL_TYPE], *path = row->field[FPY_NVS_COL_VALUE];
    *data = NULL;
    *len = 0;
    if (type == NULL || strcmp(type, "file") != 0 || path == NULL ||
        fpy_nvs_row_key_is(row, "sta.ssid") || fpy_nvs_row_key_is(row, "sta.pswd"))
        return FPY_OK;
    FPY_TRY(fpy_file_distinct(out, &path, 1, err, errlen));
    return fpy_file_read(path, FPY_NVS_VALUE_FILE_LIMIT, data, len, err, errlen);
}

static void fpy_nvs_gen_err(const char *csv_name, const fpy_diag *d, int rc, char *err,
                            size_t errlen)
{
    char msg[384];
    fpy_diag_format(d, rc, msg, sizeof msg);
    snprintf(err, errlen, "%s: %s", csv_name, msg);
}

static int fpy_nvs_gen_rows(const char *csv_name, const char *out, fpy_nvs_csv *r,
                            fpy_nvs_gen *g, char *err, size_t errlen)
{
    fpy_nvs_csv_row row;
    fpy_diag d = {0};
    int rc;
    while ((rc = fpy_nvs_csv_next(r, &row, &d)) == FPY_OK) {
        uint8_t *data = NULL;
        size_t len = 0;
        char ferr[384];
        if ((rc = fpy_nvs_row_file(&row, out, &data, &len, ferr, sizeof ferr)) != FPY_OK) {
            snprintf(err, errlen, "%s: line %u: %s", csv_name, (unsigned)row.line, ferr);
            return rc;
        }
        rc = fpy_nvs_gen_row(g, &row, data, len, &d);
        free(data);
        if (rc != FPY_OK) {
            fpy_nvs_gen_err(csv_name, &d, rc, err, errlen);
            return rc;
        }
    }
    if (rc != FPY_ERR_NOTFOUND)
        fpy_nvs_gen_err(csv_name, &d, rc, err, errlen);
    return rc == FPY_ERR_NOTFOUND ? FPY_OK : rc;
}

int fpy_nvs_host_gen(const char *csv_name, const char *out, const char *text, size_t len,
                     uint32_t size, uint8_t version, uint8_t **img, uint32_t *img_len, char *err,
                     size_t errlen)
{
    fpy_nvs_csv r;
    fpy_diag d = {0};
    fpy_nvs_gen *g = calloc(1, sizeof *g);
    char *fields = malloc(len + 1u);
    uint8_t *scratch = malloc((size_t)size + 8u);
    *img = malloc(size ? size : 1u);
    int rc = FPY_ERR_NOSPC;
    if (g == NULL || fields == NULL || scratch == NULL || *img == NULL)
        snprintf(err, errlen, "out of memory");
    else if ((rc = fpy_nvs_csv_open(&r, text, len, fields, len + 1u, &d)) != FPY_OK ||
             (rc = fpy_nvs_gen_start(g, *img, size, size, version, scratch, (size_t)size + 8u,
                                     &d)) != FPY_OK)
        fpy_nvs_gen_err(csv_name, &d, rc, err, errlen);
    else if ((rc = fpy_nvs_gen_rows(csv_name, out, &r, g, err, errlen)) == FPY_OK)
        rc = fpy_nvs_gen_finish(g, img_len, &d);
    free(g);
    free(fields);
    free(scratch);
    if (rc != FPY_OK) {
        free(*img);
        *img = NULL;
    }
    return rc;
}
