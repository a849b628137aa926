/*
 * A project's bytecode image: the project bundle v1 of its sources
 * (docs/formats/bytecode-image.md) in an fbc image for one VM ABI.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fipy/bcimage.h"
#include "fipy/bytes.h"
#include "hostio.h"
#include "project.h"

_Static_assert(FPY_BUNDLE_OFF_VERSION == FPY_BUNDLE_OFF_MAGIC + 4, "magic is a u32");
_Static_assert(FPY_BUNDLE_OFF_HDRLEN == FPY_BUNDLE_OFF_VERSION + 2, "version is a u16");
_Static_assert(FPY_BUNDLE_OFF_COUNT == FPY_BUNDLE_OFF_HDRLEN + 2, "header length is a u16");
_Static_assert(FPY_BUNDLE_OFF_TOTAL == FPY_BUNDLE_OFF_COUNT + 4, "count is a u32");
_Static_assert(FPY_BUNDLE_HEADER_LEN == FPY_BUNDLE_OFF_TOTAL + 4, "total ends the header");

typedef struct fpy_src {
    char name[FPY_PROJECT_MAX_NAME + 1];
    uint8_t *data;
    size_t len;
} fpy_src;

typedef struct fpy_srcs {
    fpy_src *v;
    size_t n;
    char *err;
    size_t errlen;
} fpy_srcs;

static int fpy_pb_err(fpy_srcs *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fpy_pb_err(fpy_srcs *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, s->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* A Python module's file name: [A-Za-z_][A-Za-z0-9_]*.py, the VM imports
 * it by that name. */
static int fpy_pb_module_name(const char *s, size_t len)
{
    if (len < 4 || len > FPY_PROJECT_MAX_NAME || strcmp(s + len - 3, ".py") != 0)
        return 0;
    for (size_t i = 0; i < len - 3; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

/* main.py first (the VM starts it), then by bytes of the name. */
static int fpy_pb_order(const void *a, const void *b)
{
    const fpy_src *x = a, *y = b;
    int mx = strcmp(x->name, "main.py") == 0, my = strcmp(y->name, "main.py") == 0;
    if (mx != my)
        return my - mx;
    return strcmp(x->name, y->name);
}

/* The names of the directory's *.py files (hidden ones skipped). */
static int fpy_pb_list(const char *dir, fpy_srcs *s)
{
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return fpy_pb_err(s, FPY_ERR_IO, "cannot read the project directory %s", dir);
    int rc = FPY_OK;
    struct dirent *e;
    while (rc == FPY_OK && (e = readdir(dh)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 3 || strcmp(e->d_name + len - 3, ".py") != 0)
            continue;
        if (!fpy_pb_module_name(e->d_name, len))
            rc = fpy_pb_err(s, FPY_ERR_INVAL,
                            "%s/%s: not a Python module name (letters, digits and _, at most "
                            "%u bytes with .py); rename it or move it out of the project",
                            dir, e->d_name, FPY_PROJECT_MAX_NAME);
        else if (s->n == FPY_PROJECT_MAX_FILES)
            rc = fpy_pb_err(s, FPY_ERR_NOSPC, "%s: more than %u .py files", dir,
                            FPY_PROJECT_MAX_FILES);
        else
            memcpy(s->v[s->n++].name, e->d_name, len + 1);
    }
    closedir(dh);
    return rc;
}

static int fpy_pb_read(const char *dir, fpy_src *src, fpy_srcs *s)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, src->name);
    if (stat(path, &st) != 0)
        return fpy_pb_err(s, FPY_ERR_IO, "cannot read %s", path);
    if (!S_ISREG(st.st_mode))
        return fpy_pb_err(s, FPY_ERR_INVAL, "%s is not a regular file", path);
    if ((uint64_t)st.st_size > FPY_PROJECT_MAX_SOURCE)
        return fpy_pb_err(s, FPY_ERR_NOSPC, "%s is too big: %lld bytes, at most %u", path,
                          (long long)st.st_size, FPY_PROJECT_MAX_SOURCE);
    int rc = fpy_file_read(path, FPY_PROJECT_MAX_SOURCE, &src->data, &src->len, s->err,
                           s->errlen);
    if (rc == FPY_ERR_NOSPC) /* it grew since the stat */
        return fpy_pb_err(s, rc, "%s is too big: at most %u bytes", path,
                          FPY_PROJECT_MAX_SOURCE);
    return rc;
}

static int fpy_pb_sources(const char *dir, fpy_srcs *s)
{
    FPY_TRY(fpy_pb_list(dir, s));
    qsort(s->v, s->n, sizeof *s->v, fpy_pb_order);
    if (s->n == 0 || strcmp(s->v[0].name, "main.py") != 0)
        return fpy_pb_err(s, FPY_ERR_NOTFOUND,
                          "%s has no main.py: the VM starts the program there", dir);
    for (size_t i = 0; i < s->n; i++)
        FPY_TRY(fpy_pb_read(dir, &s->v[i], s));
    return FPY_OK;
}

/* The bundle's bytes into out[0, total). */
static void fpy_pb_encode(const fpy_srcs *s, uint8_t *out, uint32_t total)
{
    fpy_put_le32(out + FPY_BUNDLE_OFF_MAGIC, FPY_BUNDLE_MAGIC);
    fpy_put_le16(out + FPY_BUNDLE_OFF_VERSION, FPY_BUNDLE_VERSION);
    fpy_put_le16(out + FPY_BUNDLE_OFF_HDRLEN, FPY_BUNDLE_HEADER_LEN);
    fpy_put_le32(out + FPY_BUNDLE_OFF_COUNT, (uint32_t)s->n);
    fpy_put_le32(out + FPY_BUNDLE_OFF_TOTAL, total);
    size_t off = FPY_BUNDLE_HEADER_LEN;
    for (size_t i = 0; i < s->n; i++) {
        size_t nlen = strlen(s->v[i].name);
        fpy_put_le32(out + off, (uint32_t)nlen);
        fpy_put_le32(out + off + 4, (uint32_t)s->v[i].len);
        off += FPY_BUNDLE_ENTRY_LEN;
        memcpy(out + off, s->v[i].name, nlen);
        off += nlen;
        if (s->v[i].len != 0)
            memcpy(out + off, s->v[i].data, s->v[i].len);
        off += s->v[i].len;
    }
}

/* The image: fbc header, then the bundle; refused over max_size. */
static int fpy_pb_image(const fpy_srcs *s, uint32_t vm_abi, size_t max_size, uint8_t **buf,
                        size_t *len, fpy_srcs *e)
{
    size_t total = FPY_BUNDLE_HEADER_LEN; /* bounded: 128 files of 256 KiB */
    for (size_t i = 0; i < s->n; i++)
        total += FPY_BUNDLE_ENTRY_LEN + strlen(s->v[i].name) + s->v[i].len;
    size_t image = FPY_BC_HEADER_LEN + total;
    if (image > max_size)
        return fpy_pb_err(e, FPY_ERR_NOSPC,
                          "the image would be %zu bytes (header %u + bundle %zu of %zu files); "
                          "the slot holds %zu",
                          image, FPY_BC_HEADER_LEN, total, s->n, max_size);
    uint8_t *bundle = malloc(total), *out = malloc(image);
    int rc = bundle && out ? FPY_OK : FPY_ERR_NOSPC;
    if (rc == FPY_OK) {
        fpy_pb_encode(s, bundle, (uint32_t)total);
        rc = fpy_bc_build(vm_abi, 0, bundle, (uint32_t)total, out, (uint32_t)image);
    }
    free(bundle);
    if (rc != FPY_OK) {
        free(out);
        return fpy_pb_err(e, rc, "cannot build the image: %s", fpy_strerror(rc));
    }
    *buf = out;
    *len = image;
    return FPY_OK;
}

int fpy_project_build(const char *dir, const fpy_project *p, uint32_t vm_abi, size_t max_size,
                      uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    fpy_srcs s = {.err = err, .errlen = errlen};
    *buf = NULL;
    *len = 0;
    if (p->has_abi && p->abi != vm_abi)
        return fpy_pb_err(&s, FPY_ERR_STATE,
                          "bytecode for another VM ABI: project.yml says vm.abi %u, the VM "
                          "is ABI %u; build for that VM's ABI or change vm.abi",
                          (unsigned)p->abi, (unsigned)vm_abi);
    s.v = calloc(FPY_PROJECT_MAX_FILES, sizeof *s.v);
    if (s.v == NULL)
        return fpy_pb_err(&s, FPY_ERR_NOSPC, "out of memory");
    int rc = fpy_pb_sources(dir, &s);
    if (rc == FPY_OK)
        rc = fpy_pb_image(&s, vm_abi, max_size, buf, len, &s);
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i].data);
    free(s.v);
    return rc;
}
