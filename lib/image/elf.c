/*
 * ELF32 as far as esptool's elf2image needs it: the file header, the
 * section header table with its string table, and PT_LOAD program
 * headers; plus a writer for small synthetic ELFs.
 */
#include <string.h>

#include "fipy/bytes.h"
#include "fipy/image.h"

/* ELF32 header fields used here (offsets into the 52-byte header). */
#define FPY_EH_MACHINE 18u
#define FPY_EH_ENTRY 24u
#define FPY_EH_PHOFF 28u
#define FPY_EH_SHOFF 32u
#define FPY_EH_PHNUM 44u
#define FPY_EH_SHENTSIZE 46u
#define FPY_EH_SHNUM 48u
#define FPY_EH_SHSTRNDX 50u
/* Section header fields. */
#define FPY_SH_NAME 0u
#define FPY_SH_TYPE 4u
#define FPY_SH_FLAGS 8u
#define FPY_SH_ADDR 12u
#define FPY_SH_OFFSET 16u
#define FPY_SH_SIZE 20u
/* Program header fields. */
#define FPY_PH_TYPE 0u
#define FPY_PH_OFFSET 4u
#define FPY_PH_PADDR 12u
#define FPY_PH_FILESZ 16u
#define FPY_PT_LOAD 1u
#define FPY_ELF_MAX_WRITE 1000u

/* ---- reading ---------------------------------------------------------------- */

typedef struct fpy_elf {
    const uint8_t *p;
    size_t len;
    uint32_t shoff, shnum, phoff, phnum;
    const uint8_t *strtab; /* section names */
    uint32_t strtab_len;
} fpy_elf;

static int fpy_elf_header(fpy_elf *e, fpy_diag *d)
{
    static const uint8_t magic[4] = {0x7F, 'E', 'L', 'F'};
    if (e->len < 4 || memcmp(e->p, magic, 4) != 0)
        return fpy_diag_set(d, FPY_ERR_CORRUPT, "not an ELF file: bad magic",
                            "e_ident", 0);
    if (e->len < FPY_ELF_EHDR_LEN)
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "ELF file ends inside its header",
                            "e_ident", 0, FPY_ELF_EHDR_LEN, e->len);
    uint16_t machine = fpy_get_le16(e->p + FPY_EH_MACHINE);
    if (machine != FPY_ELF_MACHINE_XTENSA && machine != FPY_ELF_MACHINE_RISCV)
        return fpy_diag_val(d, FPY_ERR_UNSUPPORTED, "not an Xtensa or RISC-V ELF",
                            "e_machine", FPY_EH_MACHINE, FPY_ELF_MACHINE_XTENSA, machine);
    uint16_t shentsize = fpy_get_le16(e->p + FPY_EH_SHENTSIZE);
    if (shentsize != FPY_ELF_SHDR_LEN)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "unexpected section header size",
                            "e_shentsize", FPY_EH_SHENTSIZE, FPY_ELF_SHDR_LEN, shentsize);
    e->shnum = fpy_get_le16(e->p + FPY_EH_SHNUM);
    if (e->shnum == 0)
        return fpy_diag_set(d, FPY_ERR_CORRUPT, "ELF file has no section headers",
                            "e_shnum", FPY_EH_SHNUM);
    e->shoff = fpy_get_le32(e->p + FPY_EH_SHOFF);
    e->phoff = fpy_get_le32(e->p + FPY_EH_PHOFF);
    e->phnum = fpy_get_le16(e->p + FPY_EH_PHNUM);
    /* esptool reads both tables whatever it then uses, and fails on a
     * truncated one; so do we. */
    if (!fpy_in_bounds(e->shoff, (uint64_t)e->shnum * FPY_ELF_SHDR_LEN, e->len))
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "section header table runs past the end",
                            "e_shoff", FPY_EH_SHOFF,
                            (uint64_t)e->shoff + (uint64_t)e->shnum * FPY_ELF_SHDR_LEN, e->len);
    if (e->phnum != 0 &&
        !fpy_in_bounds(e->phoff, (uint64_t)e->phnum * FPY_ELF_PHDR_LEN, e->len))
        return fpy_diag_val(d, FPY_ERR_TRUNCATED, "program header table runs past the end",
                            "e_phoff", FPY_EH_PHOFF,
                            (uint64_t)e->phoff + (uint64_t)e->phnum * FPY_ELF_PHDR_LEN, e->len);
    return FPY_OK;
}

static const uint8_t *fpy_shdr(const fpy_elf *e, uint32_t i)
{
    return e->p + e->shoff + (size_t)i * FPY_ELF_SHDR_LEN;
}

static int fpy_elf_strtab(fpy_elf *e, fpy_diag *d)
{
    uint32_t idx = fpy_get_le16(e->p + FPY_EH_SHSTRNDX);
    if (idx >= e->shnum)
        return fpy_diag_val(d, FPY_ERR_CORRUPT, "no string table at e_shstrndx",
                            "e_shstrndx", FPY_EH_SHSTRNDX, e->shnum - 1u, idx);
    const uint8_t *sh = fpy_shdr(e, idx);
    uint32_t off = fpy_get_le32(sh + FPY_SH_OFFSET);
    uint32_t size = fpy_get_le32(sh + FPY_SH_SIZE);
    if (!fpy_in_bounds(off, size, e->len)) {
        fpy_diag_val(d, FPY_ERR_TRUNCATED, "section name table runs past the end",
                     "sh_size", e->shoff + (uint64_t)idx * FPY_ELF_SHDR_LEN + FPY_SH_SIZE,
                     e->len - (off < e->len ? off : e->len), size);
        fpy_diag_index(d, idx);
        return FPY_ERR_TRUNCATED;
    }
    e->strtab = e->p + off;
    e->strtab_len = size;
    return FPY_OK;
}

/* A name must end with a NUL inside the string table. */
static int fpy_elf_name(const fpy_elf *e, uint32_t i, const char **name, fpy_diag *d)
{
    uint32_t off = fpy_get_le32(fpy_shdr(e, i) + FPY_SH_NAME);
    if (off < e->strtab_len && memchr(e->strtab + off, 0, e->strtab_len - off) != NULL) {
        *name = (const char *)(e->strtab + off);
        return FPY_OK;
    }
    fpy_diag_val(d, FPY_ERR_CORRUPT, "section name is not a string in the name table",
                 "sh_name", e->shoff + (uint64_t)i * FPY_ELF_SHDR_LEN + FPY_SH_NAME,
                 e->strtab_len, off);
    fpy_diag_index(d, i);
    return FPY_ERR_CORRUPT;
}

static int fpy_is_prog_type(uint32_t type)
{
    return type == FPY_ELF_SHT_PROGBITS || type == FPY_ELF_SHT_INIT_ARRAY ||
           type == FPY_ELF_SHT_FINI_ARRAY || type == FPY_ELF_SHT_PREINIT_ARRAY;
}

/* What a selected entry came from, for messages: a section header or a
 * program header, with the names and offsets of its fields. */
typedef struct fpy_elf_kind {
    const char *too_big, *past_end, *too_many;
    const char *size_field, *off_field, *count_field;
    uint32_t size_at, off_at, count_at;
} fpy_elf_kind;

static const fpy_elf_kind fpy_elf_by_section = {
    "section of 16 MiB or more", "section data runs past the end of the ELF",
    "too many sections for the workspace", "sh_size", "sh_offset", "e_shnum",
    FPY_SH_SIZE, FPY_SH_OFFSET, FPY_EH_SHNUM};
static const fpy_elf_kind fpy_elf_by_segment = {
    "program header: segment of 16 MiB or more",
    "program header: segment data runs past the end of the ELF",
    "too many PT_LOAD program headers for the workspace", "p_filesz", "p_offset", "e_phnum",
    FPY_PH_FILESZ, FPY_PH_OFFSET, FPY_EH_PHNUM};

/* Data of selected header i (at hdr_off in the file): inside the file,
 * under 16 MiB. */
static int fpy_elf_data(const fpy_elf *e, const fpy_elf_kind *k, uint32_t i, uint64_t hdr_off,
                        uint32_t off, uint32_t size, fpy_diag *d)
{
    int rc = FPY_OK;
    if (size >= FPY_IMAGE_MAX_SEG_LEN)
        rc = fpy_diag_val(d, FPY_ERR_INVAL, k->too_big, k->size_field, hdr_off + k->size_at,
                          FPY_IMAGE_MAX_SEG_LEN - 1u, size);
    else if (!fpy_in_bounds(off, size, e->len))
        rc = fpy_diag_val(d, FPY_ERR_TRUNCATED, k->past_end, k->off_field,
                          hdr_off + k->off_at, (uint64_t)off + size, e->len);
    if (rc != FPY_OK)
        fpy_diag_index(d, i);
    return rc;
}

static int fpy_push(const fpy_elf_kind *k, fpy_image_section *secs, size_t cap, size_t *n,
                    const fpy_image_section *s, fpy_diag *d)
{
    if (*n >= cap)
        return fpy_diag_val(d, FPY_ERR_NOSPC, k->too_many, k->count_field, k->count_at, cap,
                            *n + 1u);
    secs[(*n)++] = *s;
    return FPY_OK;
}

static int fpy_elf_sections(const fpy_elf *e, fpy_image_section *secs,
                            size_t cap, size_t *n, fpy_diag *d)
{
    for (uint32_t i = 0; i < e->shnum; i++) {
        const uint8_t *sh = fpy_shdr(e, i);
        fpy_image_section s = {NULL, fpy_get_le32(sh + FPY_SH_ADDR), NULL,
                               fpy_get_le32(sh + FPY_SH_SIZE)};
        uint32_t off = fpy_get_le32(sh + FPY_SH_OFFSET);
        if (s.addr == 0 || s.len == 0 || !fpy_is_prog_type(fpy_get_le32(sh + FPY_SH_TYPE)))
            continue;
        uint64_t hdr_off = e->shoff + (uint64_t)i * FPY_ELF_SHDR_LEN;
        FPY_TRY(fpy_elf_name(e, i, &s.name, d));
        FPY_TRY(fpy_elf_data(e, &fpy_elf_by_section, i, hdr_off, off, s.len, d));
        s.data = e->p + off;
        FPY_TRY(fpy_push(&fpy_elf_by_section, secs, cap, n, &s, d));
    }
    return FPY_OK;
}

static int fpy_elf_segments(const fpy_elf *e, fpy_image_section *secs,
                            size_t cap, size_t *n, fpy_diag *d)
{
    for (uint32_t i = 0; i < e->phnum; i++) {
        const uint8_t *ph = e->p + e->phoff + (size_t)i * FPY_ELF_PHDR_LEN;
        /* esptool uses the physical address as the load address. */
        fpy_image_section s = {"PHDR", fpy_get_le32(ph + FPY_PH_PADDR), NULL,
                               fpy_get_le32(ph + FPY_PH_FILESZ)};
        uint32_t off = fpy_get_le32(ph + FPY_PH_OFFSET);
        if (fpy_get_le32(ph + FPY_PH_TYPE) != FPY_PT_LOAD || s.addr == 0 || s.len == 0)
            continue;
        uint64_t hdr_off = e->phoff + (uint64_t)i * FPY_ELF_PHDR_LEN;
        FPY_TRY(fpy_elf_data(e, &fpy_elf_by_segment, i, hdr_off, off, s.len, d));
        s.data = e->p + off;
        FPY_TRY(fpy_push(&fpy_elf_by_segment, secs, cap, n, &s, d));
    }
    return FPY_OK;
}

int fpy_image_elf_parse(const uint8_t *elf, size_t elf_len, int use_segments,
                        fpy_image_section *secs, size_t cap, size_t *n,
                        uint32_t *entry, fpy_diag *d)
{
    fpy_elf e = {.p = elf, .len = elf_len};
    *n = 0;
    if (elf == NULL)
        return fpy_diag_set(d, FPY_ERR_INVAL, "no ELF data", NULL, 0);
    FPY_TRY(fpy_elf_header(&e, d));
    FPY_TRY(fpy_elf_strtab(&e, d));
    *entry = fpy_get_le32(elf + FPY_EH_ENTRY);
    if (use_segments && e.phnum == 0) /* esptool crashes here */
        return fpy_diag_set(d, FPY_ERR_NOTFOUND, "ELF file has no program headers",
                            "e_phnum", FPY_EH_PHNUM);
    if (use_segments)
        return fpy_elf_segments(&e, secs, cap, n, d);
    return fpy_elf_sections(&e, secs, cap, n, d);
}

/* ---- writing ---------------------------------------------------------------- */

static int fpy_elf_wants(const fpy_image_elf_sec *s)
{
    return s->addr != 0 && s->size != 0 && fpy_is_prog_type(s->type);
}

typedef struct fpy_elf_plan {
    uint32_t nph, data_end, strtab_off, strtab_len, shoff, total;
} fpy_elf_plan;

/* Sizes only, with overflow checks: the layout is header, program
 * headers, section data (4-aligned), names, section headers. */
static int fpy_elf_plan_sizes(const fpy_image_elf_sec *secs, size_t n,
                              fpy_elf_plan *pl)
{
    uint64_t pos = FPY_ELF_EHDR_LEN, names = 1u + sizeof ".shstrtab";
    pl->nph = 0;
    for (size_t i = 0; i < n; i++)
        pl->nph += fpy_elf_wants(&secs[i]) ? 1u : 0u;
    pos += (uint64_t)pl->nph * FPY_ELF_PHDR_LEN;
    for (size_t i = 0; i < n; i++) {
        if (secs[i].name == NULL)
            return FPY_ERR_INVAL;
        names += strlen(secs[i].name) + 1u;
        if (secs[i].type != FPY_ELF_SHT_NOBITS)
            pos = ((pos + 3u) & ~(uint64_t)3u) + secs[i].size;
    }
    pl->data_end = (uint32_t)pos;
    uint64_t shoff = (pos + names + 3u) & ~(uint64_t)3u;
    uint64_t total = shoff + (uint64_t)(n + 2u) * FPY_ELF_SHDR_LEN;
    if (total > 0xFFFFFFFFu || names > 0xFFFFFFFFu)
        return FPY_ERR_INVAL;
    pl->strtab_off = (uint32_t)pos;
    pl->strtab_len = (uint32_t)names;
    pl->shoff = (uint32_t)shoff;
    pl->total = (uint32_t)total;
    return FPY_OK;
}

static void fpy_put_shdr(uint8_t *sh, uint32_t name, uint32_t type, uint32_t flags,
                         uint32_t addr, uint32_t off, uint32_t size)
{
    fpy_put_le32(sh + FPY_SH_NAME, name);
    fpy_put_le32(sh + FPY_SH_TYPE, type);
    fpy_put_le32(sh + FPY_SH_FLAGS, flags);
    fpy_put_le32(sh + FPY_SH_ADDR, addr);
    fpy_put_le32(sh + FPY_SH_OFFSET, off);
    fpy_put_le32(sh + FPY_SH_SIZE, size);
    fpy_put_le32(sh + 32u, 4u); /* sh_addralign */
}

static void fpy_put_phdr(uint8_t *ph, const fpy_image_elf_sec *s, uint32_t off)
{
    uint32_t pf = 4u; /* PF_R, plus W and X from the section flags */
    pf |= (s->flags & FPY_ELF_SHF_WRITE) ? 2u : 0u;
    pf |= (s->flags & FPY_ELF_SHF_EXECINSTR) ? 1u : 0u;
    fpy_put_le32(ph + FPY_PH_TYPE, FPY_PT_LOAD);
    fpy_put_le32(ph + FPY_PH_OFFSET, off);
    fpy_put_le32(ph + 8u, s->addr);       /* p_vaddr */
    fpy_put_le32(ph + FPY_PH_PADDR, s->addr);
    fpy_put_le32(ph + FPY_PH_FILESZ, s->size);
    fpy_put_le32(ph + 20u, s->size);      /* p_memsz */
    fpy_put_le32(ph + 24u, pf);
    fpy_put_le32(ph + 28u, 4u);           /* p_align */
}

static void fpy_put_ehdr(uint8_t *out, uint32_t entry, const fpy_elf_plan *pl,
                         size_t n)
{
    static const uint8_t ident[16] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
    memcpy(out, ident, sizeof ident);
    fpy_put_le16(out + 16u, 2u);        /* ET_EXEC */
    fpy_put_le16(out + FPY_EH_MACHINE, FPY_ELF_MACHINE_XTENSA);
    fpy_put_le32(out + 20u, 1u);        /* EV_CURRENT */
    fpy_put_le32(out + FPY_EH_ENTRY, entry);
    fpy_put_le32(out + FPY_EH_PHOFF, pl->nph ? FPY_ELF_EHDR_LEN : 0u);
    fpy_put_le32(out + FPY_EH_SHOFF, pl->shoff);
    fpy_put_le32(out + 36u, 0x300u);    /* e_flags as the Xtensa toolchain sets */
    fpy_put_le16(out + 40u, FPY_ELF_EHDR_LEN);
    fpy_put_le16(out + 42u, FPY_ELF_PHDR_LEN);
    fpy_put_le16(out + FPY_EH_PHNUM, (uint16_t)pl->nph);
    fpy_put_le16(out + FPY_EH_SHENTSIZE, FPY_ELF_SHDR_LEN);
    fpy_put_le16(out + FPY_EH_SHNUM, (uint16_t)(n + 2u));
    fpy_put_le16(out + FPY_EH_SHSTRNDX, (uint16_t)(n + 1u));
}

int fpy_image_elf_write(uint32_t entry, const fpy_image_elf_sec *secs,
                        size_t n, uint8_t *out, size_t cap, size_t *len)
{
    fpy_elf_plan pl;
    *len = 0;
    if (n > FPY_ELF_MAX_WRITE || (n > 0 && secs == NULL))
        return FPY_ERR_INVAL;
    FPY_TRY(fpy_elf_plan_sizes(secs, n, &pl));
    *len = pl.total;
    if (cap < pl.total || out == NULL)
        return FPY_ERR_NOSPC;
    memset(out, 0, pl.total);
    fpy_put_ehdr(out, entry, &pl, n);
    uint32_t pos = FPY_ELF_EHDR_LEN + pl.nph * FPY_ELF_PHDR_LEN, ph = 0;
    uint32_t name = 1, shoff = pl.shoff + FPY_ELF_SHDR_LEN; /* after null */
    for (size_t i = 0; i < n; i++, shoff += FPY_ELF_SHDR_LEN) {
        const fpy_image_elf_sec *s = &secs[i];
        uint32_t off = s->type == FPY_ELF_SHT_NOBITS ? pos : fpy_align_up32(pos, 4);
        if (s->type != FPY_ELF_SHT_NOBITS) {
            if (s->data != NULL)
                memcpy(out + off, s->data, s->size);
            pos = off + s->size;
        }
        if (fpy_elf_wants(s))
            fpy_put_phdr(out + FPY_ELF_EHDR_LEN + FPY_ELF_PHDR_LEN * ph++, s, off);
        size_t nl = strlen(s->name);
        memcpy(out + pl.strtab_off + name, s->name, nl);
        fpy_put_shdr(out + shoff, name, s->type, s->flags, s->addr, off, s->size);
        name += (uint32_t)nl + 1u;
    }
    memcpy(out + pl.strtab_off + name, ".shstrtab", sizeof ".shstrtab");
    fpy_put_shdr(out + shoff, name, FPY_ELF_SHT_STRTAB, 0, 0, pl.strtab_off,
                 pl.strtab_len);
    return FPY_OK;
}
