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
#include <mbedtls/sha1.h>
#include <mbedtls/version.h>

#include "fipy/nvs_gen.h"

#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define FPY_SHA1_STARTS mbedtls_sha1_starts_ret
#define FPY_SHA1_UPDATE mbedtls_sha1_update_ret
#define FPY_SHA1_FINISH mbedtls_sha1_finish_ret
#else
#define FPY_SHA1_STARTS mbedtls_sha1_starts
#define FPY_SHA1_UPDATE mbedtls_sha1_update
#define FPY_SHA1_FINISH mbedtls_sha1_finish
#endif

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

/* ---- whitespace, as str.strip() and bytes.strip() see it ---------------------- */

/* Bytes of the whitespace character at s, or 0.  Text: str.isspace(), in
 * UTF-8; bytes: the six ASCII whitespace characters. */
static size_t fpy_gv_space(const uint8_t *s, size_t n, int is_file)
{
    uint8_t c = s[0];
    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (is_file)
        return 0;
    if (c >= 0x1C && c <= 0x1F)
        return 1;
    if (n >= 2 && c == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
        return 2;
    if (n >= 3 && c == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
        return 3; /* U+1680 */
    if (n >= 3 && c == 0xE2 && s[1] == 0x80 &&
        (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
        return 3; /* U+2000..200A, 2028, 2029, 202F */
    if (n >= 3 && c == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
        return 3; /* U+205F */
    if (n >= 3 && c == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

static int fpy_gv_space_before(const uint8_t *s, size_t n, int is_file, size_t *k)
{
    for (size_t w = 1; w <= 3 && w <= n; w++) {
        if (fpy_gv_space(s + n - w, w, is_file) == w) {
            *k = w;
            return 1;
        }
    }
    return 0;
}

static void fpy_gv_strip(fpy_gv_in *v)
{
    size_t k;
    while (v->n > 0 && (k = fpy_gv_space(v->p, v->n, v->is_file)) > 0) {
        v->p += k;
        v->n -= k;
    }
    while (v->n > 0 && fpy_gv_space_before(v->p, v->n, v->is_file, &k))
        v->n -= k;
}

static int fpy_gv_ascii(const fpy_gv_in *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->p[i] >= 0x80)
            return 0;
    return 1;
}

/* ---- integers: int(value), then struct.pack ---------------------------------------- */

/* Python int() in base 10: sign, digits with single underscores between
 * them, surrounding whitespace.  Magnitude in *mag (saturating). */
static int fpy_gv_int_text(fpy_gv_in v, int *neg, uint64_t *mag, int *overflow)
{
    size_t i = 0;
    int digits = 0, last_us = 0;
    fpy_gv_strip(&v);
    *neg = 0;
    *mag = 0;
    *overflow = 0;
    if (v.n > 0 && (v.p[0] == '+' || v.p[0] == '-'))
        *neg = v.p[i++] == '-';
    for (; i < v.n; i++) {
        uint8_t c = v.p[i];
        if (c == '_' && digits > 0 && !last_us) {
            last_us = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return FPY_ERR_INVAL;
        last_us = 0;
        digits++;
        if (*mag > (UINT64_MAX - (uint64_t)(c - '0')) / 10u)
            *overflow = 1;
        else
            *mag = *mag * 10u + (uint64_t)(c - '0');
    }
    return digits > 0 && !last_us ? FPY_OK : FPY_ERR_INVAL;
}

static int fpy_gv_int(const fpy_gv_in *v, uint8_t type, uint64_t *raw, fpy_diag *d)
{
    int neg, overflow;
    uint64_t mag;
    uint32_t bits = 8u * ((uint32_t)type & 0x0Fu);
    int is_signed = (type & 0x10u) != 0;
    if (fpy_gv_int_text(*v, &neg, &mag, &overflow) != FPY_OK)
        return fpy_gv_fail(d, FPY_ERR_INVAL, "not a decimal integer (Python int())", "value");
    uint64_t max_pos = is_signed ? (1ull << (bits - 1u)) - 1u
                                 : (bits == 64 ? UINT64_MAX : (1ull << bits) - 1u);
    uint64_t max_neg = is_signed ? 1ull << (bits - 1u) : 0u;
    if (mag == 0)
        neg = 0;
    if (overflow || (neg ? mag > max_neg : mag > max_pos))
        return fpy_gv_fail(d, FPY_ERR_RANGE, "integer out of range for its type", "value");
    uint64_t x = neg ? (uint64_t)0 - mag : mag;
    *raw = bits == 64 ? x : x & ((1ull << bits) - 1u);
    return FPY_OK;
}

/* ---- hex2bin ------------------------------------------------------------------------- */

static int fpy_gv_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

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
        int hi = fpy_gv_hexval(v.p[i]), lo = fpy_gv_hexval(v.p[i + 1]);
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
    int hi = fpy_gv_hexval((uint8_t)s[i + 3]), lo = fpy_gv_hexval((uint8_t)s[i + 4]);
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
    if (v->is_file && !fpy_nvs_utf8_valid(v->p, v->n))
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

/* ---- PBKDF2-HMAC-SHA1 (mbedTLS SHA-1 contexts on the stack: no allocation) ----------------- */

typedef struct fpy_hmac_sha1 {
    mbedtls_sha1_context inner, outer;
} fpy_hmac_sha1;

static void fpy_hmac_start(fpy_hmac_sha1 *h, const uint8_t *key, size_t klen)
{
    uint8_t k[64] = {0}, pad[64];
    if (klen > 64) {
        mbedtls_sha1_context c;
        mbedtls_sha1_init(&c);
        (void)FPY_SHA1_STARTS(&c);
        (void)FPY_SHA1_UPDATE(&c, key, klen);
        (void)FPY_SHA1_FINISH(&c, k);
        mbedtls_sha1_free(&c);
    } else if (klen > 0) {
        memcpy(k, key, klen);
    }
    mbedtls_sha1_init(&h->inner);
    mbedtls_sha1_init(&h->outer);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36u);
    (void)FPY_SHA1_STARTS(&h->inner);
    (void)FPY_SHA1_UPDATE(&h->inner, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5Cu);
    (void)FPY_SHA1_STARTS(&h->outer);
    (void)FPY_SHA1_UPDATE(&h->outer, pad, 64);
}

/* MAC of msg with a copy of the keyed state `h`. */
static void fpy_hmac(const fpy_hmac_sha1 *h, const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen, uint8_t out[20])
{
    fpy_hmac_sha1 c;
    uint8_t inner[20];
    mbedtls_sha1_init(&c.inner);
    mbedtls_sha1_init(&c.outer);
    mbedtls_sha1_clone(&c.inner, &h->inner);
    mbedtls_sha1_clone(&c.outer, &h->outer);
    (void)FPY_SHA1_UPDATE(&c.inner, a, alen);
    if (blen > 0)
        (void)FPY_SHA1_UPDATE(&c.inner, b, blen);
    (void)FPY_SHA1_FINISH(&c.inner, inner);
    (void)FPY_SHA1_UPDATE(&c.outer, inner, sizeof inner);
    (void)FPY_SHA1_FINISH(&c.outer, out);
    mbedtls_sha1_free(&c.inner);
    mbedtls_sha1_free(&c.outer);
}

void fpy_nvs_pbkdf2_sha1(const uint8_t *pw, size_t pwlen, const uint8_t *salt,
                         size_t saltlen, uint32_t iterations, uint8_t out[32])
{
    fpy_hmac_sha1 h;
    fpy_hmac_start(&h, pw, pwlen);
    for (uint32_t block = 1, done = 0; done < 32; block++) {
        uint8_t be[4] = {(uint8_t)(block >> 24), (uint8_t)(block >> 16), (uint8_t)(block >> 8),
                         (uint8_t)block};
        uint8_t u[20], t[20];
        fpy_hmac(&h, salt, saltlen, be, 4, u);
        memcpy(t, u, sizeof t);
        for (uint32_t i = 1; i < iterations; i++) {
            fpy_hmac(&h, u, sizeof u, NULL, 0, u);
            for (int k = 0; k < 20; k++)
                t[k] ^= u[k];
        }
        uint32_t n = 32u - done < 20u ? 32u - done : 20u;
        memcpy(out + done, t, n);
        done += n;
    }
    mbedtls_sha1_free(&h.inner);
    mbedtls_sha1_free(&h.outer);
}
