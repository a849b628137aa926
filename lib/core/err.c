/* Error names and diagnostics records. */
#include "fipy/err.h"

#include <stddef.h>

static const char fpy_err_unknown[] = "unknown error";

const char *fpy_strerror(int err)
{
    switch (err) {
    case FPY_OK: return "ok";
    case FPY_ERR_IO: return "I/O error";
    case FPY_ERR_CORRUPT: return "corrupt data";
    case FPY_ERR_NOSPC: return "no space";
    case FPY_ERR_INVAL: return "invalid argument";
    case FPY_ERR_TIMEOUT: return "timed out";
    case FPY_ERR_RANGE: return "out of range";
    case FPY_ERR_ALIGN: return "misaligned";
    case FPY_ERR_NOT_ERASED: return "target bytes not erased";
    case FPY_ERR_POWERLOSS: return "power lost";
    case FPY_ERR_BADBLOCK: return "flash sector failed";
    case FPY_ERR_NOTFOUND: return "not found";
    case FPY_ERR_UNSUPPORTED: return "unsupported";
    case FPY_ERR_TRUNCATED: return "input truncated";
    case FPY_ERR_CHECKSUM: return "checksum mismatch";
    case FPY_ERR_EXISTS: return "already exists";
    case FPY_ERR_STATE: return "not allowed in this state";
    case FPY_ERR_SIGNATURE: return "not signed with the device's key";
    case FPY_ERR_ROLLBACK: return "older than the device accepts";
    default: return fpy_err_unknown;
    }
}

/* The names above are the list of codes: one place to add a new one. */
int fpy_err_is_known(int err)
{
    return fpy_strerror(err) != fpy_err_unknown;
}

int fpy_err_is_verdict(int err)
{
    switch (err) {
    case FPY_ERR_CORRUPT:
    case FPY_ERR_TRUNCATED:
    case FPY_ERR_CHECKSUM:
    case FPY_ERR_UNSUPPORTED:
    case FPY_ERR_NOTFOUND:
    case FPY_ERR_SIGNATURE:
    case FPY_ERR_ROLLBACK:
    case FPY_ERR_RANGE:
        return 1;
    default:
        return 0;
    }
}

int fpy_diag_set(fpy_diag *d, int err, const char *what, const char *field,
                 uint64_t offset)
{
    if (d != NULL) {
        *d = (fpy_diag){0};
        d->what = what;
        d->field = field;
        d->offset = offset;
        d->has_offset = 1;
    }
    return err;
}

int fpy_diag_val(fpy_diag *d, int err, const char *what, const char *field,
                 uint64_t offset, uint64_t expected, uint64_t found)
{
    fpy_diag_set(d, err, what, field, offset);
    if (d != NULL) {
        d->expected = expected;
        d->found = found;
        d->has_values = 1;
    }
    return err;
}

int fpy_diag_line(fpy_diag *d, int err, const char *what, const char *field,
                  uint32_t line)
{
    if (d != NULL) {
        *d = (fpy_diag){0};
        d->what = what;
        d->field = field;
        d->line = line;
    }
    return err;
}

void fpy_diag_index(fpy_diag *d, uint32_t index)
{
    if (d != NULL) {
        d->index = index;
        d->has_index = 1;
    }
}
