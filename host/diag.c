/* Turning diagnostics into messages, and small output helpers. */
#include "hostio.h"

#include <inttypes.h>
#include <string.h>

void fpy_diag_format(const fpy_diag *d, int err, char *out, size_t outlen)
{
    size_t n = 0;
#define FPY_PUT(...)                                                          \
    do {                                                                      \
        if (n < outlen)                                                       \
            n += (size_t)snprintf(out + n, outlen - n, __VA_ARGS__);          \
    } while (0)
    if (d == NULL || d->what == NULL) {
        FPY_PUT("%s", fpy_strerror(err));
        return;
    }
    FPY_PUT("%s", d->what);
    if (d->field != NULL) {
        if (d->has_index)
            FPY_PUT(" (field %s, item %" PRIu32 ")", d->field, d->index);
        else
            FPY_PUT(" (field %s)", d->field);
    }
    if (d->line != 0)
        FPY_PUT(" at line %" PRIu32, d->line);
    else if (d->has_offset)
        FPY_PUT(" at offset 0x%" PRIx64, d->offset);
    if (d->has_values)
        FPY_PUT(": expected 0x%" PRIx64 ", found 0x%" PRIx64, d->expected, d->found);
#undef FPY_PUT
}

void fpy_report(const char *context, const fpy_diag *d, int err)
{
    char msg[512];
    fpy_diag_format(d, err, msg, sizeof msg);
    fprintf(stderr, "fipytool: %s: %s\n", context, msg);
}

void fpy_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void fpy_hex(const uint8_t *b, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * len] = '\0';
}
