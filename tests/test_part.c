/* Partition table binary: the worked example, limits, corrupt input, the
 * FiPy layouts, look-ups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/hash.h"
#include "fipy/part.h"
#include "part_csv.h"
#include "testutil.h"

/* esp_idf_formats.md §1.9: the five-entry table, every byte written out
 * (gen_esp32part v5.3.1 output, fields checked by hand below). */
static const char worked_hex[] =
    "AA 50 01 02 00 90 00 00 00 40 00 00 6E 76 73 00"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
    "AA 50 01 00 00 D0 00 00 00 20 00 00 6F 74 61 64"
    "61 74 61 00 00 00 00 00 00 00 00 00 00 00 00 00"
    "AA 50 01 01 00 F0 00 00 00 10 00 00 70 68 79 5F"
    "69 6E 69 74 00 00 00 00 00 00 00 00 00 00 00 00"
    "AA 50 00 10 00 00 01 00 00 00 10 00 6F 74 61 5F"
    "30 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
    "AA 50 00 11 00 00 11 00 00 00 10 00 6F 74 61 5F"
    "31 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
    "EB EB FF FF FF FF FF FF FF FF FF FF FF FF FF FF"
    "B0 EC DC 2F 5A D6 B3 5F 06 6F B6 0B F4 B5 4C 84";

static const char worked_csv[] = "nvs,data,nvs,0x9000,0x4000,\n"
                                 "otadata,data,ota,0xd000,0x2000,\n"
                                 "phy_init,data,phy,0xf000,0x1000,\n"
                                 "ota_0,app,ota_0,0x10000,1M,\n"
                                 "ota_1,app,ota_1,0x110000,1M,\n";

static const char worked_to_csv[] = "# ESP-IDF Partition Table\n"
                                    "# Name, Type, SubType, Offset, Size, Flags\n"
                                    "nvs,data,nvs,0x9000,16K,\n"
                                    "otadata,data,ota,0xd000,8K,\n"
                                    "phy_init,data,phy,0xf000,4K,\n"
                                    "ota_0,app,ota_0,0x10000,1M,\n"
                                    "ota_1,app,ota_1,0x110000,1M,\n";

/* The worked example as a full 0xC00-byte table. */
static void worked_bin(uint8_t out[FPY_PART_TABLE_LEN])
{
    memset(out, 0xFF, FPY_PART_TABLE_LEN);
    assert_int_equal(fpy_test_unhex(worked_hex, out, FPY_PART_TABLE_LEN), 0xC0);
}

static void add(fpy_part_table *t, const char *label, uint8_t type, uint8_t sub,
                uint32_t off, uint32_t size, uint32_t flags)
{
    fpy_part_entry *e = &t->entries[t->count++];
    memset(e, 0, sizeof *e);
    strncpy(e->label, label, FPY_PART_LABEL_LEN);
    e->type = type;
    e->subtype = sub;
    e->offset = off;
    e->size = size;
    e->flags = flags;
}

static void worked_table(fpy_part_table *t)
{
    memset(t, 0, sizeof *t);
    t->has_md5 = 1;
    add(t, "nvs", 1, 2, 0x9000, 0x4000, 0);
    add(t, "otadata", 1, 0, 0xD000, 0x2000, 0);
    add(t, "phy_init", 1, 1, 0xF000, 0x1000, 0);
    add(t, "ota_0", 0, 0x10, 0x10000, 0x100000, 0);
    add(t, "ota_1", 0, 0x11, 0x110000, 0x100000, 0);
}

/* A table of n data partitions p0, p1, ... of 4 KiB each from 0x9000. */
static void many_table(fpy_part_table *t, uint32_t n, int md5)
{
    memset(t, 0, sizeof *t);
    t->has_md5 = (uint8_t)md5;
    for (uint32_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", (unsigned)i);
        add(t, name, 1, 0x40, 0x9000 + 0x1000 * i, 0x1000, 0);
    }
}

static void test_worked_example_encodes_byte_for_byte(void **state)
{
    (void)state;
    fpy_part_table t;
    uint8_t want[FPY_PART_TABLE_LEN], got[FPY_PART_TABLE_LEN];
    fpy_diag d;
    worked_bin(want);
    worked_table(&t);
    assert_int_equal(fpy_part_encode(&t, got, sizeof got, &d), FPY_OK);
    assert_memory_equal(got, want, FPY_PART_TABLE_LEN);
    /* The same bytes from the CSV. */
    assert_int_equal(fpy_part_from_csv(worked_csv, strlen(worked_csv), NULL, &t, &d), FPY_OK);
    memset(got, 0, sizeof got);
    assert_int_equal(fpy_part_encode(&t, got, sizeof got, &d), FPY_OK);
    assert_memory_equal(got, want, FPY_PART_TABLE_LEN);
}

static void test_worked_example_fields_by_hand(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    worked_bin(bin);
    /* Entry 3 (ota_0) at 0x60: magic, type app, subtype ota_0 = 0x10,
     * offset 0x10000 LE at +4, size 0x100000 LE at +8, label at +12. */
    const uint8_t *e = bin + 0x60;
    assert_int_equal(e[0], 0xAA);
    assert_int_equal(e[1], 0x50);
    assert_int_equal(e[2], 0x00);
    assert_int_equal(e[3], 0x10);
    assert_int_equal(e[4] | e[5] << 8 | e[6] << 16 | e[7] << 24, 0x10000);
    assert_int_equal(e[8] | e[9] << 8 | e[10] << 16 | e[11] << 24, 0x100000);
    assert_memory_equal(e + 12, "ota_0\0\0\0\0\0\0\0\0\0\0\0", 16);
    assert_int_equal(e[28] | e[29] | e[30] | e[31], 0);
    /* The MD5 entry covers exactly the five entries, 0x00..0x9F. */
    uint8_t md5[16];
    assert_int_equal(fpy_md5_buf(bin, 0xA0, md5), FPY_OK);
    assert_memory_equal(bin + 0xB0, md5, 16);
    uint8_t md5_other[16];
    assert_int_equal(fpy_md5_buf(bin, 0xA2, md5_other), FPY_OK);
    assert_memory_not_equal(bin + 0xB0, md5_other, 16);

    fpy_part_table t;
    fpy_diag d;
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_OK);
    assert_int_equal(t.count, 5);
    assert_int_equal(t.has_md5, 1);
    assert_int_equal(t.end_slot, 6);
    assert_int_equal(t.quirks, 0);
    assert_memory_equal(t.md5_stored, bin + 0xB0, 16);
    static const struct {
        const char *label;
        uint8_t type, sub;
        uint32_t off, size;
    } want[] = {{"nvs", 1, 2, 0x9000, 0x4000},         {"otadata", 1, 0, 0xD000, 0x2000},
                {"phy_init", 1, 1, 0xF000, 0x1000},    {"ota_0", 0, 0x10, 0x10000, 0x100000},
                {"ota_1", 0, 0x11, 0x110000, 0x100000}};
    for (unsigned i = 0; i < 5; i++) {
        assert_string_equal(t.entries[i].label, want[i].label);
        assert_int_equal(t.entries[i].type, want[i].type);
        assert_int_equal(t.entries[i].subtype, want[i].sub);
        assert_int_equal(t.entries[i].offset, want[i].off);
        assert_int_equal(t.entries[i].size, want[i].size);
        assert_int_equal(t.entries[i].flags, 0);
    }
}

static void test_worked_example_to_csv_exact(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    char csv[FPY_PART_CSV_MAX];
    size_t len = 0;
    fpy_part_table t;
    worked_bin(bin);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, NULL), FPY_OK);
    assert_int_equal(fpy_part_to_csv(&t, NULL, csv, sizeof csv, &len), FPY_OK);
    assert_int_equal(len, strlen(worked_to_csv));
    assert_memory_equal(csv, worked_to_csv, len);
    /* One byte short of the text: NOSPC, nothing past cap written. */
    memset(csv, 'Z', sizeof csv);
    assert_int_equal(fpy_part_to_csv(&t, NULL, csv, strlen(worked_to_csv) - 1, &len),
                     FPY_ERR_NOSPC);
    assert_int_equal(csv[strlen(worked_to_csv) - 1], 'Z');
}

static void test_worked_example_validates_clean(void **state)
{
    (void)state;
    fpy_part_table t;
    fpy_part_issue is[8];
    size_t n = 99;
    fpy_part_opts o = {0};
    o.flash_size = 0x400000;
    worked_table(&t);
    assert_int_equal(fpy_part_validate(&t, &o, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 0);
}

static void test_without_md5(void **state)
{
    (void)state;
    fpy_part_table t, back;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_issue is[8];
    size_t n = 0;
    worked_table(&t);
    t.has_md5 = 0;
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, NULL), FPY_OK);
    for (size_t i = 0xA0; i < sizeof bin; i++)
        assert_int_equal(bin[i], 0xFF);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, NULL), FPY_OK);
    assert_int_equal(back.count, 5);
    assert_int_equal(back.has_md5, 0);
    assert_int_equal(back.end_slot, 5);
    /* Valid for gen_esp32part and the bootloader; the app warns. */
    assert_int_equal(fpy_part_validate(&back, NULL, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(is[0].severity, FPY_PART_WARNING);
    assert_int_equal(is[0].rule, FPY_PART_RULE_APP);
    assert_string_equal(is[0].diag.field, "md5");
}

static void test_entry_limits(void **state)
{
    (void)state;
    fpy_part_table t, back;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_diag d;
    /* 94 + MD5 + end marker = 96 slots. */
    many_table(&t, 94, 1);
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, &d), FPY_OK);
    assert_int_equal(bin[94 * 32], 0xEB);
    for (size_t i = 95 * 32; i < sizeof bin; i++)
        assert_int_equal(bin[i], 0xFF);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, &d), FPY_OK);
    assert_int_equal(back.count, 94);
    assert_int_equal(back.has_md5, 1);
    /* 95 with MD5: gen_esp32part's "longer than max". */
    many_table(&t, 95, 1);
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, &d), FPY_ERR_NOSPC);
    assert_string_equal(d.field, "count");
    assert_int_equal(d.found, 95);
    assert_int_equal(d.expected, 94);
    size_t n = 0;
    assert_int_equal(fpy_part_validate(&t, NULL, NULL, 0, &n, &d), FPY_ERR_NOSPC);
    /* 95 without MD5 fits. */
    t.has_md5 = 0;
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, &d), FPY_OK);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, &d), FPY_OK);
    assert_int_equal(back.count, 95);
    assert_int_equal(back.end_slot, 95);
    /* A 96th entry instead of the end marker: the bootloader gives up. */
    memcpy(bin + 95 * 32, bin + 94 * 32, 32);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 95);
    assert_int_equal(d.offset, 95 * 32);
    /* 95 entries and an MD5 entry in the last slot: no end marker either. */
    many_table(&t, 95, 0);
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, &d), FPY_OK);
    bin[95 * 32] = 0xEB;
    bin[95 * 32 + 1] = 0xEB;
    assert_int_equal(fpy_md5_buf(bin, 95 * 32, bin + 95 * 32 + 16), FPY_OK);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.what, "no end-of-table marker in the 96 slots");
}

static void test_bad_magic_mid_table(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_diag d;
    worked_bin(bin);
    bin[0x60] = 0x12;
    bin[0x61] = 0x34;
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.has_index, 1);
    assert_int_equal(d.index, 3);
    assert_int_equal(d.offset, 0x60);
    assert_string_equal(d.field, "magic");
    assert_int_equal(d.expected, 0x50AA);
    assert_int_equal(d.found, 0x3412);
    /* FF FF magic with a type that is not FF: not an end marker. */
    worked_bin(bin);
    memset(bin + 0x40, 0xFF, 32);
    bin[0x42] = 0x01;
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 2);
    assert_string_equal(d.field, "type");
    assert_int_equal(d.offset, 0x42);
}

static void test_md5_mismatch(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_diag d;
    worked_bin(bin);
    bin[0x48] ^= 0x01; /* phy_init's size */
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CHECKSUM);
    assert_int_equal(d.index, 5);
    assert_int_equal(d.offset, 0xB0);
    assert_string_equal(d.field, "md5");
    assert_memory_equal(t.md5_stored, bin + 0xB0, 16);
    uint8_t md5[16];
    assert_int_equal(fpy_md5_buf(bin, 0xA0, md5), FPY_OK);
    assert_memory_equal(t.md5_computed, md5, 16);
    /* A bad digest byte is caught too. */
    worked_bin(bin);
    bin[0xBF] ^= 0x80;
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CHECKSUM);
    /* The padding bytes 2..15 are not part of the check: a quirk. */
    worked_bin(bin);
    bin[0xA5] = 0x00;
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_OK);
    assert_int_equal(t.quirks, FPY_PART_Q_MD5_PAD);
}

static void test_truncated(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_diag d;
    worked_bin(bin);
    assert_int_equal(fpy_part_decode(bin, 0x90, &t, &d), FPY_ERR_TRUNCATED);
    assert_int_equal(d.index, 4); /* ota_1's slot is cut */
    assert_int_equal(d.offset, 0x80);
    assert_int_equal(d.found, 0x90);
    assert_int_equal(fpy_part_decode(bin, 0xC0, &t, &d), FPY_ERR_TRUNCATED);
    assert_int_equal(d.index, 6); /* the end marker is missing */
    assert_int_equal(fpy_part_decode(bin, 0, &t, &d), FPY_ERR_TRUNCATED);
    /* Stopping right after the end marker is enough. */
    assert_int_equal(fpy_part_decode(bin, 0xE0, &t, &d), FPY_OK);
    assert_int_equal(t.count, 5);
}

static void test_structure_errors(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_diag d;
    /* A partition after the MD5 entry: the app would not see it. */
    worked_bin(bin);
    memcpy(bin + 0xC0, bin, 32);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 6);
    assert_string_equal(d.what, "partition entry after the MD5 entry");
    /* A second MD5 entry. */
    worked_bin(bin);
    memcpy(bin + 0xC0, bin + 0xA0, 32);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 6);
    assert_string_equal(d.what, "second MD5 entry (only one is allowed)");
    /* The bootloader's end marker is FF FF FF FF; gen_esp32part wants
     * 32 bytes: decoded, and flagged. */
    worked_bin(bin);
    memset(bin + 0xC4, 0x00, 28);
    bin[0x100] = 0x00; /* and a byte past it that is not FF */
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, &d), FPY_OK);
    assert_int_equal(t.quirks, FPY_PART_Q_END_SHORT | FPY_PART_Q_TAIL);
    fpy_part_issue is[8];
    size_t n = 0;
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 2);
    assert_int_equal(is[0].diag.offset, 0xC0);
    assert_int_equal(is[1].diag.offset, 0xE0);
}

static void test_flags_and_full_label(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN], again[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    char csv[FPY_PART_CSV_MAX];
    size_t len = 0, n = 0;
    fpy_part_issue is[8];
    worked_bin(bin);
    /* nvs: a 16-byte label without NUL, flags encrypted|readonly|bit 8. */
    memcpy(bin + 12, "0123456789abcdef", 16);
    bin[28] = 0x03;
    bin[29] = 0x01;
    assert_int_equal(fpy_md5_buf(bin, 0xA0, bin + 0xB0), FPY_OK);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, NULL), FPY_OK);
    assert_string_equal(t.entries[0].label, "0123456789abcdef");
    assert_int_equal(t.entries[0].flags, 0x103);
    assert_int_equal(fpy_part_to_csv(&t, NULL, csv, sizeof csv, &len), FPY_OK);
    const char *row = "0123456789abcdef,data,nvs,0x9000,16K,encrypted:readonly\n";
    assert_non_null(strstr(csv, row));
    /* Unknown bits are kept through encode; validation warns. */
    assert_int_equal(fpy_part_encode(&t, again, sizeof again, NULL), FPY_OK);
    assert_memory_equal(again, bin, sizeof bin);
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 1);
    assert_string_equal(is[0].diag.field, "flags");
    assert_int_equal(is[0].diag.offset, 28);
    assert_int_equal(is[0].diag.found, 0x103);
}

static void test_label_bytes_after_nul(void **state)
{
    (void)state;
    uint8_t bin[FPY_PART_TABLE_LEN], again[FPY_PART_TABLE_LEN];
    fpy_part_table t;
    fpy_part_issue is[8];
    size_t n = 0;
    worked_bin(bin);
    bin[0x2C + 10] = 'x'; /* otadata\0\0\0x... */
    assert_int_equal(fpy_md5_buf(bin, 0xA0, bin + 0xB0), FPY_OK);
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &t, NULL), FPY_OK);
    assert_string_equal(t.entries[1].label, "otadata");
    assert_int_equal(fpy_part_encode(&t, again, sizeof again, NULL), FPY_OK);
    assert_memory_equal(again, bin, sizeof bin);
    /* The device-side rules see nothing wrong; the host's CSV check warns. */
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 0);
    assert_int_equal(fpy_part_check(&t, NULL, is, 8, &n, NULL), FPY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(is[0].diag.index, 1);
    assert_string_equal(is[0].diag.field, "label");
}

static void test_validate_overlap_in_binary(void **state)
{
    (void)state;
    fpy_part_table t;
    fpy_part_issue is[8];
    size_t n = 0;
    fpy_diag d;
    worked_table(&t);
    t.entries[2].offset = 0xE000; /* phy_init inside otadata */
    t.entries[4].offset = 0x100000; /* ota_1 inside ota_0 */
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, &d), FPY_ERR_CORRUPT);
    assert_int_equal(n, 2);
    assert_int_equal(d.index, 2);
    assert_int_equal(d.offset, 2 * 32 + 4);
    assert_int_equal(d.expected, 0xF000);
    assert_int_equal(is[0].other, 1);
    assert_int_equal(is[1].diag.index, 4);
    assert_int_equal(is[1].other, 3);
    /* Order does not matter: verify() sorts by offset first. */
    worked_table(&t);
    fpy_part_entry tmp = t.entries[0];
    t.entries[0] = t.entries[4];
    t.entries[4] = tmp;
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, &d), FPY_OK);
    /* Below the table's sector. */
    t.entries[4].offset = 0x8000;
    assert_int_equal(fpy_part_validate(&t, NULL, is, 8, &n, &d), FPY_ERR_RANGE);
    assert_int_equal(d.index, 4);
    assert_int_equal(d.expected, 0x9000);
}

/* One FiPy layout: table, checks, bytes, and the CSV round trip.
 * `md5_hex` is the MD5 entry's digest that gen_esp32part.py v5.3.1
 * writes for the same CSV (11 entries: digest at 0x170). */
static void check_layout(fpy_layout_id id, const char *md5_hex, const char *csv_rows)
{
    const fpy_layout *l = fpy_layout_get(id);
    fpy_part_table t, back, fromcsv;
    fpy_part_opts o = {0};
    uint8_t bin[FPY_PART_TABLE_LEN], bin2[FPY_PART_TABLE_LEN];
    char csv[FPY_PART_CSV_MAX];
    size_t len = 0, n = 99;
    fpy_diag d;
    fpy_part_issue is[8];
    o.flash_size = l->flash_size;
    assert_int_equal(fpy_part_from_layout(l, &o, &t, &d), FPY_OK);
    uint32_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        const fpy_area *a = &l->areas[i];
        if (!a->in_table)
            continue;
        assert_string_equal(t.entries[k].label, a->label);
        assert_int_equal(t.entries[k].offset, a->offset);
        assert_int_equal(t.entries[k].size, a->size);
        assert_int_equal(t.entries[k].type, a->ptype);
        assert_int_equal(t.entries[k].subtype, a->psubtype);
        k++;
    }
    assert_int_equal(t.count, k);
    assert_int_equal(t.count, 11);
    assert_int_equal(fpy_part_validate(&t, &o, is, 8, &n, &d), FPY_OK);
    assert_int_equal(n, 0);
    assert_int_equal(fpy_part_encode(&t, bin, sizeof bin, &d), FPY_OK);
    uint8_t md5[16];
    assert_int_equal(fpy_test_unhex(md5_hex, md5, sizeof md5), 16);
    assert_int_equal(bin[0x160], 0xEB);
    assert_memory_equal(bin + 0x170, md5, 16);
    for (size_t i = 0x180; i < sizeof bin; i++)
        assert_int_equal(bin[i], 0xFF);
    /* gen -> dump (decode) -> to-csv -> from-csv -> identical bytes. */
    assert_int_equal(fpy_part_decode(bin, sizeof bin, &back, &d), FPY_OK);
    assert_int_equal(back.count, 11);
    assert_int_equal(fpy_part_to_csv(&back, NULL, csv, sizeof csv, &len), FPY_OK);
    const char *head = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n";
    assert_int_equal(len, strlen(head) + strlen(csv_rows));
    assert_memory_equal(csv, head, strlen(head));
    assert_memory_equal(csv + strlen(head), csv_rows, strlen(csv_rows));
    assert_int_equal(fpy_part_from_csv(csv, len, NULL, &fromcsv, &d), FPY_OK);
    assert_int_equal(fpy_part_encode(&fromcsv, bin2, sizeof bin2, &d), FPY_OK);
    assert_memory_equal(bin2, bin, sizeof bin);
}

static void test_fipy_nonble_table(void **state)
{
    (void)state;
    check_layout(FPY_LAYOUT_NONBLE, "fa0cde24acdf30c124018c7c72d75a5e",
                 "nvs,data,nvs,0x9000,16K,\n"
                 "otadata,data,ota,0xd000,8K,\n"
                 "phy_init,data,phy,0xf000,4K,\n"
                 "ota_0,app,ota_0,0x10000,1M,\n"
                 "ota_1,app,ota_1,0x110000,1M,\n"
                 "codemem_0,data,64,0x210000,512K,\n"
                 "codemem_1,data,64,0x290000,512K,\n"
                 "storage,data,66,0x310000,512K,\n"
                 "vmstore_0,data,65,0x390000,4K,\n"
                 "vmstore_1,data,65,0x391000,4K,\n"
                 "storage2,data,66,0x392000,4M,\n");
}

static void test_fipy_ble_table(void **state)
{
    (void)state;
    check_layout(FPY_LAYOUT_BLE, "4ee12d80cc1d0b76f0155084d79a5776",
                 "nvs,data,nvs,0x9000,16K,\n"
                 "otadata,data,ota,0xd000,8K,\n"
                 "phy_init,data,phy,0xf000,4K,\n"
                 "ota_0,app,ota_0,0x10000,1216K,\n"
                 "ota_1,app,ota_1,0x140000,1216K,\n"
                 "codemem_0,data,64,0x270000,320K,\n"
                 "codemem_1,data,64,0x2c0000,320K,\n"
                 "storage,data,66,0x310000,512K,\n"
                 "vmstore_0,data,65,0x390000,4K,\n"
                 "vmstore_1,data,65,0x391000,4K,\n"
                 "storage2,data,66,0x392000,4M,\n");
}

static void test_layout_no_md5_and_too_long_label(void **state)
{
    (void)state;
    fpy_part_table t;
    fpy_part_opts o = {0};
    fpy_diag d;
    o.no_md5 = 1;
    assert_int_equal(fpy_part_from_layout(fpy_layout_get(FPY_LAYOUT_NONBLE), &o, &t, &d),
                     FPY_OK);
    assert_int_equal(t.has_md5, 0);
    static const fpy_area areas[] = {
        {"a_label_of_17_ch", "x", 0x9000, 0x1000, FPY_AREA_NVS, 0, 1, 1, 2},
        {"a_label_of_17_chr", "x", 0xA000, 0x1000, FPY_AREA_NVS, 0, 1, 1, 2},
    };
    const fpy_layout l = {"t", "t", areas, 2, FPY_FLASH_SIZE_8M};
    assert_int_equal(fpy_part_from_layout(&l, NULL, &t, &d), FPY_ERR_INVAL);
    assert_int_equal(d.index, 1);
    assert_int_equal(d.found, 17);
}

static void test_find(void **state)
{
    (void)state;
    fpy_part_table t;
    assert_int_equal(fpy_part_from_layout(fpy_layout_get(FPY_LAYOUT_BLE), NULL, &t, NULL),
                     FPY_OK);
    const fpy_part_entry *e = fpy_part_find(&t, FPY_PTYPE_DATA, FPY_PSUB_DATA_OTA);
    assert_non_null(e);
    assert_string_equal(e->label, "otadata");
    e = fpy_part_find(&t, FPY_PTYPE_APP, -1);
    assert_string_equal(e->label, "ota_0");
    e = fpy_part_find(&t, FPY_PTYPE_DATA, FPY_PSUB_DATA_VMSTORE);
    assert_int_equal(e->offset, 0x390000);
    assert_null(fpy_part_find(&t, FPY_PTYPE_APP, 0x00));
    e = fpy_part_find_label(&t, "ota_1");
    assert_int_equal(e->offset, 0x140000);
    assert_null(fpy_part_find_label(&t, "ota_2"));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(fpy_part_type_keyword(0), "app");
    assert_string_equal(fpy_part_type_keyword(1), "data");
    assert_null(fpy_part_type_keyword(0x40));
    assert_string_equal(fpy_part_subtype_keyword(NULL, 0, 0x1F), "ota_15");
    assert_string_equal(fpy_part_subtype_keyword(NULL, 0, 0x20), "test");
    assert_null(fpy_part_subtype_keyword(NULL, 0, 0x21));
    assert_string_equal(fpy_part_subtype_keyword(NULL, 1, 0x83), "littlefs");
    assert_null(fpy_part_subtype_keyword(NULL, 1, 0x40));
    assert_null(fpy_part_subtype_keyword(NULL, 0x40, 0x00));
    /* ESP-IDF 5.5's names. */
    assert_string_equal(fpy_part_type_keyword(2), "bootloader");
    assert_string_equal(fpy_part_type_keyword(3), "partition_table");
    assert_string_equal(fpy_part_subtype_keyword(NULL, 0, 0x31), "tee_1");
    assert_string_equal(fpy_part_subtype_keyword(NULL, 1, 0x90), "tee_ota");
    assert_string_equal(fpy_part_subtype_keyword(NULL, 2, 0x02), "recovery");
    assert_string_equal(fpy_part_subtype_keyword(NULL, 3, 0x01), "ota");
    assert_null(fpy_part_subtype_keyword(NULL, 3, 0x02));
    assert_string_equal(fpy_part_fipy_subtype(1, 0x40), "bytecode");
    assert_string_equal(fpy_part_fipy_subtype(1, 0x41), "vmstore");
    assert_string_equal(fpy_part_fipy_subtype(1, 0x42), "storage");
    assert_null(fpy_part_fipy_subtype(0, 0x40));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_encodes_byte_for_byte),
        cmocka_unit_test(test_worked_example_fields_by_hand),
        cmocka_unit_test(test_worked_example_to_csv_exact),
        cmocka_unit_test(test_worked_example_validates_clean),
        cmocka_unit_test(test_without_md5),
        cmocka_unit_test(test_entry_limits),
        cmocka_unit_test(test_bad_magic_mid_table),
        cmocka_unit_test(test_md5_mismatch),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_flags_and_full_label),
        cmocka_unit_test(test_label_bytes_after_nul),
        cmocka_unit_test(test_validate_overlap_in_binary),
        cmocka_unit_test(test_fipy_nonble_table),
        cmocka_unit_test(test_fipy_ble_table),
        cmocka_unit_test(test_layout_no_md5_and_too_long_label),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
