/*
 * Values of nvs_partition_gen CSV rows, converted as the Python tool
 * converts them (NVS.write_entry): integers with int(), hex2bin with
 * binascii.a2b_hex after strip(), base64 with binascii.a2b_base64 in its
 * lenient mode, strings with a NUL added, blob_fill / blob_sz_fill padding.
 * Encoding names match case-sensitively for the conversion and are then
 * lower-cased to choose the item type: "HEX2BIN" stores the text itself.
 */
#include <string.h>

#include <mbedtls/base64.h>

#include "fipy/bytes.h"
#include "nvs_gen.h"
#include "pytext.h"

/* An input value: CSV text (Python str) or file bytes (Python bytes). */
typedef struct fpy_gv_in {
    const uint8_t *p;
    size_t n;
    int is_file;
} fpy_gv_in;

static int fpy_gv_fail(fpy_diag *d, int err, const char *what, const char *field)
{
    return fpy_diag_line(d, err, what, field, 0); /* the caller adds the line */
}

/* str.strip() for text, bytes.strip() for file contents. */
static void fpy_gv_strip(fpy_gv_in *v)
{
    size_t off = 0;
    fpy_py_strip(v->p, &off, &v->n, v->is_file ? FPY_PY_BYTES : FPY_PY_STR);
    v->p += off;
}

static int fpy_gv_ascii(const fpy_gv_in *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->p[i] >= 0x80)
            return 0;
    return 1;
}

/* ---- integers: int(value), then struct.pack ---------------------------------------- */

/* int(value) (base 10), then a range check for the item type. */
static int fpy_gv_int(const fpy_gv_in *v, uint8_t type, uint64_t *raw, fpy_diag *d)
{
    fpy_py_intval iv;
    uint32_t bits = 8u * ((uint32_t)type & 0x0Fu);
    int is_signed = (type & 0x10u) != 0;
    if (!fpy_py_int(v->p, v->n, 10, v->is_file ? FPY_PY_BYTES : FPY_PY_INT, &iv))
        return fpy_gv_fail(d, FPY_ERR_INVAL, "not a decimal integer (Python int())", "value");
    uint64_t max_pos = is_signed ? (1ull << (bits - 1u)) - 1u
                                 : (bits == 64 ? UINT64_MAX : (1ull << bits) - 1u);
    uint64_t max_neg = is_signed ? 1ull << (bits - 1u) : 0u;
    int neg = iv.neg && iv.mag != 0;
    if (iv.big || (neg ? iv.mag > max_neg : iv.mag > max_pos))
        return fpy_gv_fail(d, FPY_ERR_RANGE, "integer out of range for its type", "value");
    uint64_t x = neg ? (uint64_t)0 - iv.mag : iv.mag;
    *raw = bits == 64 ? x : x & ((1ull << bits) - 1u);
    return FPY_OK;
}

/* ---- hex2bin ------------------------------------------------------------------------- */

static int fpy_gv_hex(fpy_gv_in v, uint8_t *out, size_t cap, size_t *len, fpy_diag *d)
{
    fpy_gv_strip(&v);
    if (!fpy_gv_ascii(&v))
        return fpy_gv_fail(d, FPY_ERR_INVAL, "hex2bin value is not ASCII", "value");
    if (v.n % 2u != 0)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "hex2bin value has an odd number of digits",
                           "value");
    if (v.n / 2u > cap)
        return fpy_gv_fail(d, FPY_ERR_NOSPC, "value too large", "value");
    for (size_t i = 0; i < v.n; i += 2) {
        int hi = fpy_hex_digit(v.p[i]), lo = fpy_hex_digit(v.p[i + 1]);
        if (hi < 0 || lo < 0)
            return fpy_gv_fail(d, FPY_ERR_INVAL, "hex2bin value has a non-hex digit", "value");
        out[i / 2u] = (uint8_t)(hi * 16 + lo);
    }
    *len = v.n / 2u;
    return FPY_OK;
}

/* ---- base64: a2b_base64 (non-strict) ------------------------------------------------------ */

static int fpy_gv_b64char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* One group of 2..4 base64 characters through mbedTLS (padded to 4). */
static int fpy_gv_b64_quad(const uint8_t *q, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t quad[4] = {'=', '=', '=', '='}, bytes[3];
    size_t got = 0;
    memcpy(quad, q, n);
    if (mbedtls_base64_decode(bytes, sizeof bytes, &got, quad, 4) != 0 || got > cap - *len)
        return FPY_ERR_INVAL;
    memcpy(out + *len, bytes, got);
    *len += got;
    return FPY_OK;
}

/*
 * CPython's binascii.a2b_base64, non-strict: characters outside the
 * alphabet are skipped; '=' ends the data once it completes a quad
 * (2 data characters + "==", or 3 + "="), anything after is ignored; '='
 * elsewhere is skipped.  Leftover data characters (1, or 2-3 without
 * their padding) are an error.  The decoding itself is mbedTLS's, one
 * canonical quad at a time (unused low bits are dropped by both).
 */
static int fpy_gv_base64(const fpy_gv_in *v, uint8_t *out, size_t cap, size_t *len, fpy_diag *d)
{
    uint8_t q[4];
    size_t nq = 0, pads = 0;
    *len = 0;
    if (!v->is_file && !fpy_gv_ascii(v))
        return fpy_gv_fail(d, FPY_ERR_INVAL, "base64 value is not ASCII", "value");
    for (size_t i = 0; i < v->n; i++) {
        uint8_t c = v->p[i];
        if (c == '=') {
            if (nq >= 2 && nq + ++pads >= 4)
                return fpy_gv_b64_quad(q, nq, out, cap, len) == FPY_OK
                           ? FPY_OK
                           : fpy_gv_fail(d, FPY_ERR_NOSPC, "value too large", "value");
            continue;
        }
        if (!fpy_gv_b64char(c))
            continue;
        pads = 0;
        q[nq++] = c;
        if (nq == 4) {
            if (fpy_gv_b64_quad(q, 4, out, cap, len) != FPY_OK)
                return fpy_gv_fail(d, FPY_ERR_NOSPC, "value too large", "value");
            nq = 0;
        }
    }
    if (nq != 0)
        return fpy_gv_fail(d, FPY_ERR_INVAL, nq == 1 ? "base64: one character too many"
                                                     : "base64: incorrect padding", "value");
    return FPY_OK;
}

/* ---- blob_fill(N;0xHH) and blob_sz_fill(N;0xHH) ------------------------------------------- */

static int fpy_gv_prefix(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

/* re.match(r'(blob_fill|blob_sz_fill)\((\d+);(0x[0-9a-fA-F]{2})\)', enc):
 * a prefix match, trailing text allowed. */
static int fpy_gv_fill_spec(const char *s, size_t n, int *sz, uint64_t *count, uint8_t *pad)
{
    size_t i = fpy_gv_prefix(s, n, "blob_sz_fill(") ? 13u
               : fpy_gv_prefix(s, n, "blob_fill(")  ? 10u
                                                    : 0u;
    int digits = 0;
    if (i == 0)
        return FPY_ERR_INVAL;
    *sz = i == 13u;
    *count = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        *count = *count > 0xFFFFFFFFull ? *count : *count * 10u + (uint64_t)(s[i] - '0');
    if (digits == 0 || n < i + 6 || s[i] != ';' || s[i + 1] != '0' || s[i + 2] != 'x' ||
        s[i + 5] != ')')
        return FPY_ERR_INVAL;
    int hi = fpy_hex_digit((uint8_t)s[i + 3]), lo = fpy_hex_digit((uint8_t)s[i + 4]);
    if (hi < 0 || lo < 0)
        return FPY_ERR_INVAL;
    *pad = (uint8_t)(hi * 16 + lo);
    return FPY_OK;
}

static int fpy_gv_fill(const char *enc, size_t enc_len, const fpy_gv_in *v, uint8_t *out,
                       size_t cap, size_t *len, fpy_diag *d)
{
    int sz;
    uint64_t count;
    uint8_t pad;
    size_t vn = v->p != NULL ? v->n : 0, head;
    if (fpy_gv_fill_spec(enc, enc_len, &sz, &count, &pad) != FPY_OK)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "invalid blob_fill(N;0xHH) encoding", "encoding");
    if (vn > 0 && v->is_file)
        return fpy_gv_fail(d, FPY_ERR_UNSUPPORTED, "blob_fill takes text, not a file", "value");
    if (vn > count)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "value longer than the blob_fill length", "value");
    head = sz ? 4u : 0u;
    if (count > cap || cap - count < head)
        return fpy_gv_fail(d, FPY_ERR_NOSPC, "blob_fill length larger than the partition",
                           "encoding");
    for (size_t k = 0; k < head; k++)
        out[k] = (uint8_t)(vn >> (8u * k));
    if (vn > 0)
        memcpy(out + head, v->p, vn);
    memset(out + head + vn, pad, (size_t)count - vn);
    *len = head + (size_t)count;
    return FPY_OK;
}

/* ---- the conversion --------------------------------------------------------------------------- */

static int fpy_gv_is(const char *enc, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(enc, name, n) == 0;
}

static uint8_t fpy_gv_int_type(const char *lower, size_t n)
{
    static const struct {
        const char *name;
        uint8_t type;
    } ints[] = {
        {"u8", FPY_NVS_TYPE_U8},   {"i8", FPY_NVS_TYPE_I8},   {"u16", FPY_NVS_TYPE_U16},
        {"i16", FPY_NVS_TYPE_I16}, {"u32", FPY_NVS_TYPE_U32}, {"i32", FPY_NVS_TYPE_I32},
        {"u64", FPY_NVS_TYPE_U64}, {"i64", FPY_NVS_TYPE_I64},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (fpy_gv_is(lower, n, ints[i].name))
            return ints[i].type;
    return 0;
}

static int fpy_gv_string(const fpy_gv_in *v, uint8_t *out, size_t cap, fpy_nvs_gen_val *o,
                         fpy_diag *d)
{
    if (v->is_file && !fpy_py_utf8_valid(v->p, v->n))
        return fpy_gv_fail(d, FPY_ERR_INVAL, "file is not UTF-8 text", "value");
    if (v->n + 1u > cap)
        return fpy_gv_fail(d, FPY_ERR_NOSPC, "value too large", "value");
    if (v->n > 0)
        memcpy(out, v->p, v->n);
    out[v->n] = 0;
    o->type = FPY_NVS_TYPE_STR;
    o->data = out;
    o->len = v->n + 1u;
    return FPY_OK;
}

/* Encodings that are not converted: the text or file bytes as they are. */
static int fpy_gv_raw(const char *enc, size_t n, const fpy_gv_in *v, fpy_nvs_gen_val *o,
                      fpy_diag *d)
{
    char lower[16];
    if (n >= sizeof lower)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "unsupported encoding", "encoding");
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)(enc[i] >= 'A' && enc[i] <= 'Z' ? enc[i] + 32 : enc[i]);
    lower[n] = '\0';
    uint8_t itype = fpy_gv_int_type(lower, n);
    int varlen = fpy_gv_is(lower, n, "string") || fpy_gv_is(lower, n, "binary") ||
                 fpy_gv_is(lower, n, "hex2bin") || fpy_gv_is(lower, n, "base64");
    if (itype == 0 && !varlen)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "unsupported encoding", "encoding");
    if (v->p == NULL)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "row has no value", "value");
    if (itype != 0) {
        o->type = itype;
        return fpy_gv_int(v, itype, &o->raw, d);
    }
    o->type = fpy_gv_is(lower, n, "string") ? FPY_NVS_TYPE_STR : FPY_NVS_TYPE_BLOB;
    if (v->is_file && o->type == FPY_NVS_TYPE_STR)
        return fpy_gv_fail(d, FPY_ERR_UNSUPPORTED, "upper-case STRING cannot take a file "
                                                   "(the Python tool fails too)", "encoding");
    if (!v->is_file && o->type == FPY_NVS_TYPE_BLOB && !fpy_gv_ascii(v))
        return fpy_gv_fail(d, FPY_ERR_UNSUPPORTED, "non-ASCII text as raw blob bytes (the "
                                                   "Python tool counts characters)", "value");
    o->data = v->p;
    o->len = v->n;
    return FPY_OK;
}

int fpy_nvs_gen_value(const char *encoding, size_t enc_len, const uint8_t *value,
                      size_t value_len, int is_file, uint8_t *scratch, size_t cap,
                      fpy_nvs_gen_val *out, fpy_diag *d)
{
    fpy_gv_in v = {value, value != NULL ? value_len : 0, is_file};
    memset(out, 0, sizeof *out);
    if (encoding == NULL)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "row has no encoding", "encoding");
    int fill = fpy_gv_prefix(encoding, enc_len, "blob_fill") ||
               fpy_gv_prefix(encoding, enc_len, "blob_sz_fill");
    int hex = fpy_gv_is(encoding, enc_len, "hex2bin"), b64 = fpy_gv_is(encoding, enc_len, "base64");
    if (!fill && (hex || b64 || fpy_gv_is(encoding, enc_len, "string")) && value == NULL)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "row has no value", "value");
    out->type = FPY_NVS_TYPE_BLOB;
    out->data = scratch;
    if (fill)
        return fpy_gv_fill(encoding, enc_len, &v, scratch, cap, &out->len, d);
    if (hex)
        return fpy_gv_hex(v, scratch, cap, &out->len, d);
    if (b64)
        return fpy_gv_base64(&v, scratch, cap, &out->len, d);
    if (fpy_gv_is(encoding, enc_len, "string"))
        return fpy_gv_string(&v, scratch, cap, out, d);
    return fpy_gv_raw(encoding, enc_len, &v, out, d);
}
