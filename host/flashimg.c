/* FiPy flash image files: see flashimg.h. */
#include "flashimg.h"

#include <stdio.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/part.h"

/* What the partition table at 0x8000 is. */
typedef enum fpy_table_kind {
    FPY_TABLE_NONE,    /* erased: no table yet */
    FPY_TABLE_FIPY,    /* one of the FiPy's layouts */
    FPY_TABLE_OTHER,   /* decodes, but is no FiPy layout */
    FPY_TABLE_CORRUPT  /* does not decode */
} fpy_table_kind;

/* The first partition of `l` that `t` lacks (same type, subtype, offset
 * and size; labels may differ), or NULL when `t` has them all. */
static const fpy_area *fpy_table_missing(const fpy_part_table *t, const fpy_layout *l)
{
    for (size_t a = 0; a < l->count; a++) {
        const fpy_area *ar = &l->areas[a];
        size_t i = 0;
        while (ar->in_table && i < t->count &&
               !(t->entries[i].type == ar->ptype && t->entries[i].subtype == ar->psubtype &&
                 t->entries[i].offset == ar->offset && t->entries[i].size == ar->size))
            i++;
        if (ar->in_table && i == t->count)
            return ar;
    }
    return NULL;
}

/* Classify the table; for OTHER and CORRUPT, `why` says what was found. */
static fpy_table_kind fpy_table_read(const uint8_t *img, const fpy_layout **l, int *rc,
                                     char *why, size_t n)
{
    fpy_part_table t;
    fpy_diag d = {0};
    const uint8_t *tab = img + FPY_PART_TABLE_OFFSET;
    if (fpy_is_erased(tab, FPY_PART_TABLE_LEN))
        return FPY_TABLE_NONE;
    if ((*rc = fpy_part_decode(tab, FPY_PART_TABLE_LEN, &t, &d)) != FPY_OK) {
        fpy_diag_format(&d, *rc, why, n);
        return FPY_TABLE_CORRUPT;
    }
    const fpy_layout *non = fpy_layout_get(FPY_LAYOUT_NONBLE), *ble = fpy_layout_get(FPY_LAYOUT_BLE);
    const fpy_area *mn = fpy_table_missing(&t, non), *mb = fpy_table_missing(&t, ble);
    *l = mn == NULL ? non : ble;
    if (mn == NULL || mb == NULL)
        return FPY_TABLE_FIPY;
    snprintf(why, n, "no %s partition at 0x%x (0x%x bytes) as the nonble layout has, and no %s "
                     "at 0x%x (0x%x bytes) as the ble layout has", mn->label,
             (unsigned)mn->offset, (unsigned)mn->size, mb->label, (unsigned)mb->offset,
             (unsigned)mb->size);
    *rc = FPY_ERR_UNSUPPORTED;
    return FPY_TABLE_OTHER;
}

int fpy_flashimg_layout(const uint8_t *img, const char *name, const char *want, int write,
                        const fpy_layout **out, int *from_table, char *err, size_t errlen)
{
    const fpy_layout *forced = want != NULL ? fpy_layout_find(want) : NULL, *table = NULL;
    char why[320] = "";
    int rc = FPY_OK, dummy;
    from_table = from_table != NULL ? from_table : &dummy;
    *from_table = 0;
    if (want != NULL && forced == NULL) {
        snprintf(err, errlen, "no layout '%s' (nonble or ble)", want);
        return FPY_ERR_INVAL;
    }
    switch (fpy_table_read(img, &table, &rc, why, sizeof why)) {
    case FPY_TABLE_NONE: /* only then does --layout choose */
        *out = forced != NULL ? forced : fpy_layout_get(FPY_LAYOUT_NONBLE);
        return FPY_OK;
    case FPY_TABLE_FIPY:
        if (forced != NULL && forced != table) {
            snprintf(err, errlen, "%s: --layout %s contradicts the image: its partition table "
                                  "at 0x8000 is the %s layout; nothing was done", name,
                     forced->name, table->name);
            return FPY_ERR_INVAL;
        }
        *out = table;
        *from_table = 1;
        return FPY_OK;
    case FPY_TABLE_OTHER:
    case FPY_TABLE_CORRUPT:
        break;
    }
    if (write || forced == NULL) {
        snprintf(err, errlen, "%s: the partition table at 0x8000 %s (%s); %s", name,
                 rc == FPY_ERR_UNSUPPORTED ? "is not a FiPy layout" : "does not decode", why,
                 write ? "fipytool does not write to such an image"
                       : "use --layout to read it as one");
        return rc;
    }
    *out = forced;
    return FPY_OK;
}

int fpy_flashimg_open(fpy_flashimg *fi, const char *path, const char *layout, int mode,
                      char *err, size_t errlen)
{
    memset(fi, 0, sizeof *fi);
    fi->file.fd = -1;
    /* a layout name that names nothing is a usage error: before the lock */
    if (layout != NULL && fpy_layout_find(layout) == NULL) {
        snprintf(err, errlen, "--layout: no layout '%s' (nonble or ble)", layout);
        return FPY_ERR_INVAL;
    }
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    int rc = fpy_lockedfile_open(&fi->file, path, mode, g.size, err, errlen);
    if (rc == FPY_OK && fi->file.len != g.size) {
        snprintf(err, errlen, "%s has %zu bytes; a flash image must have %u", path,
                 fi->file.len, (unsigned)g.size);
        rc = FPY_ERR_RANGE;
    }
    if (rc == FPY_OK)
        rc = fpy_flashimg_layout(fi->file.buf, path, layout, mode == FPY_FILE_WRITE,
                                 &fi->layout, &fi->layout_from_table, err, errlen);
    if (rc == FPY_OK && fpy_flashsim_init(&fi->sim, &g, fi->file.buf, NULL, NULL) != FPY_OK) {
        snprintf(err, errlen, "cannot set up the simulated flash");
        rc = FPY_ERR_STATE;
    }
    if (rc != FPY_OK) {
        fpy_lockedfile_close(&fi->file);
        return rc;
    }
    fpy_flashsim_bind(&fi->sim, &fi->flash);
    return FPY_OK;
}

int fpy_flashimg_save(fpy_flashimg *fi, char *err, size_t errlen)
{
    return fpy_lockedfile_save(&fi->file, err, errlen);
}

void fpy_flashimg_close(fpy_flashimg *fi)
{
    fpy_lockedfile_close(&fi->file);
}
