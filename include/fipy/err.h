/*
 * fipy error codes and diagnostics.
 *
 * Every fipy function that can fail returns an int: FPY_OK (0) on success or
 * one of the negative fpy_err values below.  Errors are passed up unchanged;
 * no layer folds a specific code into a generic one.
 *
 * Parsers of untrusted bytes can also fill a caller-provided fpy_diag that
 * says what was wrong and where (field, byte offset or line, expected vs
 * found).  The device-side core never formats text; host code turns a
 * diag into a message (see host/diag.h).
 */
#ifndef FIPY_ERR_H
#define FIPY_ERR_H

#include <stdint.h>

typedef enum fpy_err {
    FPY_OK = 0,
    FPY_ERR_IO = -1,          /* the seam (flash, file, port) reported failure */
    FPY_ERR_CORRUPT = -2,     /* bytes do not form a valid structure */
    FPY_ERR_NOSPC = -3,       /* no room: buffer, slot or partition too small */
    FPY_ERR_INVAL = -4,       /* invalid argument or value */
    FPY_ERR_TIMEOUT = -5,     /* a peer or device did not answer in time */
    FPY_ERR_RANGE = -6,       /* address or length outside the device/area */
    FPY_ERR_ALIGN = -7,       /* address or length not aligned as required */
    FPY_ERR_NOT_ERASED = -8,  /* program over bytes that are not erased */
    FPY_ERR_POWERLOSS = -9,   /* (simulation) power was lost; reboot needed */
    FPY_ERR_BADBLOCK = -10,   /* a flash sector failed permanently */
    FPY_ERR_NOTFOUND = -11,   /* no such key, partition, pin, entry */
    FPY_ERR_UNSUPPORTED = -12,/* valid input that fipy does not handle */
    FPY_ERR_TRUNCATED = -13,  /* input ended before the structure did */
    FPY_ERR_CHECKSUM = -14,   /* checksum, CRC, hash or signature mismatch */
    FPY_ERR_EXISTS = -15,     /* already present */
    FPY_ERR_STATE = -16,      /* operation not allowed in the current state */
    FPY_ERR_SIGNATURE = -17,  /* not signed, or not with the device's key (fipy/sec.h) */
    FPY_ERR_ROLLBACK = -18    /* older than the device has accepted (anti-rollback) */
} fpy_err;

/* Short, static, English name of an error code ("corrupt data"). */
const char *fpy_strerror(int err);

/* 1 when err is FPY_OK or one of the codes above (those with a name).  The
 * seams take anything else a driver returns (a positive value, an unknown
 * negative one) as FPY_ERR_IO. */
int fpy_err_is_known(int err);

/*
 * 1 when err is a verdict on bytes that were read: they are corrupt,
 * truncated, fail a checksum, hold something unsupported, nothing
 * (NOTFOUND), or point out of range.  0 for everything else: the device
 * failing to give them (I/O, timeout, bad block, lost power, ...) and a
 * caller's mistakes.  A caller that falls back on bad data (the boot
 * trying the other slot) must not fall back on a device failure: it
 * passes those up.
 */
int fpy_err_is_verdict(int err);

/*
 * Where and why a parser rejected its input.  All strings are static.
 * `offset` is a byte offset into the input (or a flash address); for text
 * formats `line` is the 1-based line number (0 when not applicable).
 * `expected`/`found` are meaningful only when `has_values` is set.
 */
typedef struct fpy_diag {
    const char *what;   /* e.g. "bad magic", "segment runs past end of input" */
    const char *field;  /* e.g. "magic", "segment[3].data_len"; may be NULL */
    uint64_t offset;
    uint64_t expected;
    uint64_t found;
    uint32_t line;
    uint32_t index;     /* item index (segment, entry) when has_index */
    uint8_t has_values;
    uint8_t has_offset;
    uint8_t has_index;
} fpy_diag;

/* Record a diagnostic, if `d` is non-NULL; returns `err` for tail calls:
 *   return fpy_diag_set(d, FPY_ERR_CORRUPT, "bad magic", "magic", off); */
int fpy_diag_set(fpy_diag *d, int err, const char *what, const char *field,
                 uint64_t offset);
/* Same, with expected and found values. */
int fpy_diag_val(fpy_diag *d, int err, const char *what, const char *field,
                 uint64_t offset, uint64_t expected, uint64_t found);
/* Same, for text input: a 1-based line number instead of an offset. */
int fpy_diag_line(fpy_diag *d, int err, const char *what, const char *field,
                  uint32_t line);
/* Mark the diag as concerning item `index` (segment, entry). */
void fpy_diag_index(fpy_diag *d, uint32_t index);

/* Propagate a non-zero result unchanged. */
#define FPY_TRY(expr)                                                         \
    do {                                                                      \
        int fpy_try_rc_ = (expr);                                             \
        if (fpy_try_rc_ != FPY_OK)                                            \
            return fpy_try_rc_;                                               \
    } while (0)

#endif
