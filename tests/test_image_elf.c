/*
 * The ELF32 side of elf2image: what the writer produces, what the reader
 * selects, and each malformed ELF with its error code and field.
 */
#include <stdlib.h>
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/image.h"
#include "testutil.h"

static const uint8_t data_a[] = {1, 2, 3, 4, 5, 6};
static const uint8_t data_b[] = {9, 9, 9, 9, 9, 9, 9, 9};

static const fpy_image_elf_sec two[] = {
    {".dram0.data", FPY_ELF_SHT_PROGBITS, 3, 0x3FFB0000u, data_a, sizeof data_a},
    {".dram0.bss", FPY_ELF_SHT_NOBITS, 3, 0x3FFB0008u, NULL, 0x40},
    {".iram0.text", FPY_ELF_SHT_PROGBITS, 6, 0x40080000u, data_b, sizeof data_b},
};

static uint8_t *write_elf(size_t *len)
{
    assert_int_equal(fpy_image_elf_write(0x40080004u, two, 3, NULL, 0, len), FPY_ERR_NOSPC);
    uint8_t *e = malloc(*len);
    assert_int_equal(fpy_image_elf_write(0x40080004u, two, 3, e, *len, len), FPY_OK);
    return e;
}

/* Offset of section header i (the writer puts a null section first). */
static size_t shdr(const uint8_t *e, uint32_t i)
{
    return fpy_get_le32(e + 32) + 40u * i;
}

static int parse(const uint8_t *e, size_t len, int segs, size_t *n, fpy_diag *d)
{
    fpy_image_section s[8];
    uint32_t entry = 0;
    memset(d, 0, sizeof *d);
    return fpy_image_elf_parse(e, len, segs, s, 8, n, &entry, d);
}

static void test_writer_and_reader_agree(void **state)
{
    (void)state;
    size_t len, n = 0;
    uint8_t *e = write_elf(&len);
    assert_memory_equal(e, "\x7f" "ELF\x01\x01\x01", 7);
    assert_int_equal(fpy_get_le16(e + 18), 0x5E);
    assert_int_equal(fpy_get_le16(e + 46), 40);
    assert_int_equal(fpy_get_le16(e + 48), 5);   /* null + 3 + .shstrtab */
    assert_int_equal(fpy_get_le16(e + 50), 4);
    assert_int_equal(fpy_get_le16(e + 44), 2);   /* PT_LOAD for the two PROGBITS */
    fpy_image_section s[8];
    uint32_t entry = 0;
    assert_int_equal(fpy_image_elf_parse(e, len, 0, s, 8, &n, &entry, NULL), FPY_OK);
    assert_int_equal(entry, 0x40080004u);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].name, ".dram0.data");
    assert_int_equal(s[0].addr, 0x3FFB0000u);
    assert_int_equal(s[0].len, 6);
    assert_memory_equal(s[0].data, data_a, 6);
    assert_string_equal(s[1].name, ".iram0.text");
    assert_memory_equal(s[1].data, data_b, 8);
    /* Program headers carry the same data, named "PHDR". */
    assert_int_equal(fpy_image_elf_parse(e, len, 1, s, 8, &n, &entry, NULL), FPY_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[1].name, "PHDR");
    assert_int_equal(s[1].addr, 0x40080000u);
    assert_memory_equal(s[1].data, data_b, 8);
    /* Too small an output buffer: the size is still reported. */
    size_t need = 0;
    uint8_t tiny[16];
    assert_int_equal(fpy_image_elf_write(0, two, 3, tiny, sizeof tiny, &need), FPY_ERR_NOSPC);
    assert_int_equal(need, len);
    fpy_image_elf_sec noname = two[0];
    noname.name = NULL;
    assert_int_equal(fpy_image_elf_write(0, &noname, 1, NULL, 0, &need), FPY_ERR_INVAL);
    free(e);
}

static void test_selection_capacity(void **state)
{
    (void)state;
    size_t len, n = 0;
    uint8_t *e = write_elf(&len);
    fpy_image_section s[1];
    uint32_t entry;
    fpy_diag d = {0};
    assert_int_equal(fpy_image_elf_parse(e, len, 0, s, 1, &n, &entry, &d), FPY_ERR_NOSPC);
    assert_int_equal(d.expected, 1);
    free(e);
}

typedef struct elf_bad {
    const char *what;
    size_t at;       /* byte to patch, or SIZE_MAX to only cut */
    uint32_t value;  /* 32-bit little-endian unless width 2 */
    int width;
    size_t cut;      /* 0: keep the length */
    int rc;
    const char *field;
} elf_bad;

static void test_malformed_elves(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *good = write_elf(&len);
    size_t sh1 = shdr(good, 1), sh4 = shdr(good, 4);
    const elf_bad cases[] = {
        {"magic", 1, 'X', 1, 0, FPY_ERR_CORRUPT, "e_ident"},
        {"short header", SIZE_MAX, 0, 0, 40, FPY_ERR_TRUNCATED, "e_ident"},
        {"machine", 18, 0x28, 2, 0, FPY_ERR_UNSUPPORTED, "e_machine"},
        {"shentsize", 46, 0x20, 2, 0, FPY_ERR_CORRUPT, "e_shentsize"},
        {"shnum 0", 48, 0, 2, 0, FPY_ERR_CORRUPT, "e_shnum"},
        {"shoff past end", 32, 0xFFFFFFF0u, 4, 0, FPY_ERR_TRUNCATED, "e_shoff"},
        {"table cut", SIZE_MAX, 0, 0, len - 1, FPY_ERR_TRUNCATED, "e_shoff"},
        {"phoff past end", 28, 0x7FFFFFFFu, 4, 0, FPY_ERR_TRUNCATED, "e_phoff"},
        {"shstrndx", 50, 9, 2, 0, FPY_ERR_CORRUPT, "e_shstrndx"},
        {"strtab size", sh4 + 20, 0xFFFFFF00u, 4, 0, FPY_ERR_TRUNCATED, "sh_size"},
        {"name offset", sh1 + 0, 0x7FFF, 4, 0, FPY_ERR_CORRUPT, "sh_name"},
        {"data offset", sh1 + 16, 0xFFFFFFFCu, 4, 0, FPY_ERR_TRUNCATED, "sh_offset"},
        {"data size", sh1 + 20, 0x10000, 4, 0, FPY_ERR_TRUNCATED, "sh_offset"},
        {"16 MiB", sh1 + 20, 0x01000000u, 4, 0, FPY_ERR_INVAL, "sh_size"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const elf_bad *c = &cases[i];
        size_t l = c->cut ? c->cut : len;
        uint8_t *e = malloc(len);
        memcpy(e, good, len);
        if (c->at != SIZE_MAX) {
            if (c->width == 1)
                e[c->at] = (uint8_t)c->value;
            else if (c->width == 2)
                fpy_put_le16(e + c->at, (uint16_t)c->value);
            else
                fpy_put_le32(e + c->at, c->value);
        }
        fpy_diag d;
        int rc = parse(e, l, 0, &n, &d);
        if (rc != c->rc || d.field == NULL || strcmp(d.field, c->field) != 0)
            fail_msg("%s: rc %d field %s (want %d %s)", c->what, rc, d.field ? d.field : "-",
                     c->rc, c->field);
        free(e);
    }
    free(good);
}

/* A name without its NUL inside the string table is refused. */
static void test_unterminated_name(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *e = write_elf(&len);
    size_t sh4 = shdr(e, 4);
    uint32_t stroff = fpy_get_le32(e + sh4 + 16);
    /* Shrink the table so that it ends inside ".dram0.data". */
    fpy_put_le32(e + sh4 + 20, 5);
    fpy_diag d;
    assert_int_equal(parse(e, len, 0, &n, &d), FPY_ERR_CORRUPT);
    assert_string_equal(d.field, "sh_name");
    assert_int_equal(d.index, 1);
    assert_int_equal(stroff, fpy_get_le32(e + sh4 + 16));
    free(e);
}

/* Sections esptool would not read are not checked either: a NOBITS
 * section or one at address 0 may point anywhere. */
static void test_unselected_sections_unchecked(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *e = write_elf(&len);
    fpy_put_le32(e + shdr(e, 2) + 16, 0xFFFFFFF0u); /* bss offset */
    fpy_put_le32(e + shdr(e, 2) + 0, 0xFFFFu);      /* bss name */
    fpy_diag d;
    assert_int_equal(parse(e, len, 0, &n, &d), FPY_OK);
    assert_int_equal(n, 2);
    free(e);
}

/* With --use-segments, a bad PT_LOAD entry is named by its program header
 * fields and index, never by section header fields. */
static void test_bad_program_headers(void **state)
{
    (void)state;
    size_t len, n = 0;
    uint8_t *good = write_elf(&len);
    size_t ph1 = fpy_get_le32(good + 28) + 32u; /* the second PT_LOAD */
    static const struct {
        const char *what;
        size_t at;
        uint32_t value;
        int rc;
        const char *field;
    } cases[] = {
        {"p_offset past end", 4, 0xFFFFFFF0u, FPY_ERR_TRUNCATED, "p_offset"},
        {"p_filesz past end", 16, 0x10000, FPY_ERR_TRUNCATED, "p_offset"},
        {"16 MiB", 16, 0x01000000u, FPY_ERR_INVAL, "p_filesz"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *e = malloc(len);
        memcpy(e, good, len);
        fpy_put_le32(e + ph1 + cases[i].at, cases[i].value);
        fpy_diag d;
        int rc = parse(e, len, 1, &n, &d);
        if (rc != cases[i].rc || d.field == NULL || strcmp(d.field, cases[i].field) != 0 ||
            !d.has_index || d.index != 1 || strstr(d.what, "program header") == NULL)
            fail_msg("%s: rc %d field %s index %u '%s'", cases[i].what, rc,
                     d.field ? d.field : "-", (unsigned)d.index, d.what ? d.what : "-");
        free(e);
    }
    /* more PT_LOAD entries than the caller's room: e_phnum, not e_shnum */
    fpy_image_section s[1];
    uint32_t entry;
    fpy_diag d = {0};
    assert_int_equal(fpy_image_elf_parse(good, len, 1, s, 1, &n, &entry, &d), FPY_ERR_NOSPC);
    assert_string_equal(d.field, "e_phnum");
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_and_reader_agree),
        cmocka_unit_test(test_selection_capacity),
        cmocka_unit_test(test_malformed_elves),
        cmocka_unit_test(test_unterminated_name),
        cmocka_unit_test(test_unselected_sections_unchecked),
        cmocka_unit_test(test_bad_program_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
