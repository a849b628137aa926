/* Synthetic ESP32 images (host/vmgen.h). */
#include "vmgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fipy/image.h"

/* Deterministic filler: a 32-bit LCG per section, so every section has
 * different, non-zero content and checksums mean something. */
static void fpy_vmgen_fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static const char *fpy_vmgen_or(const char *s, const char *dflt)
{
    return s != NULL ? s : dflt;
}

/* A real esp_app_desc_t; a fixed date and time keep the ELF reproducible,
 * and app_elf_sha256 stays zero for elf2image to fill in. */
static void fpy_vmgen_desc(const fpy_vmgen_elf_args *a, uint8_t raw[FPY_IMAGE_APP_DESC_LEN])
{
    fpy_image_app_desc desc = {.magic_word = FPY_IMAGE_APP_DESC_MAGIC};
    snprintf(desc.project_name, sizeof desc.project_name, "%s",
             fpy_vmgen_or(a->project, "fipy-demo"));
    snprintf(desc.version, sizeof desc.version, "%s", fpy_vmgen_or(a->version, "1.0.0"));
    snprintf(desc.idf_ver, sizeof desc.idf_ver, "%s", fpy_vmgen_or(a->idf, "v5.3.1"));
    snprintf(desc.time, sizeof desc.time, "00:00:00");
    snprintf(desc.date, sizeof desc.date, "Jan  1 2025");
    fpy_image_app_desc_encode(&desc, raw);
}

int fpy_vmgen_elf(const fpy_vmgen_elf_args *a, uint8_t **out, size_t *len)
{
    enum { RODATA, DRAM, IRAM, IROM };
    static const char comment[] = "fipytool mkelf";
    const uint32_t *sz = a->sizes;
    uint8_t raw[FPY_IMAGE_APP_DESC_LEN];
    fpy_vmgen_desc(a, raw);
    uint32_t total = sz[RODATA] + sz[DRAM] + sz[IRAM] + sz[IROM] + 0x400u;
    uint8_t *fill = malloc(total);
    *out = NULL;
    if (fill == NULL)
        return FPY_ERR_NOSPC;
    fpy_vmgen_fill(fill, total, 1);
    const uint32_t A = FPY_ELF_SHF_ALLOC, W = FPY_ELF_SHF_WRITE, X = FPY_ELF_SHF_EXECINSTR;
    uint8_t *r = fill, *dr = r + sz[RODATA], *iv = dr + sz[DRAM], *it = iv + 0x400,
            *ir = it + sz[IRAM];
    fpy_image_elf_sec all[] = {
        {".flash.appdesc", FPY_ELF_SHT_PROGBITS, A, 0x3F400020u, raw, a->no_desc ? 0 : 256u},
        {".flash.rodata", FPY_ELF_SHT_PROGBITS, A, 0x3F400120u, r, sz[RODATA]},
        {".dram0.data", FPY_ELF_SHT_PROGBITS, A | W, 0x3FFB0000u, dr, sz[DRAM]},
        {".dram0.bss", FPY_ELF_SHT_NOBITS, A | W, 0x3FFB0000u + sz[DRAM], NULL, 0x100u},
        {".iram0.vectors", FPY_ELF_SHT_PROGBITS, A | X, 0x40080000u, iv, 0x400u},
        {".iram0.text", FPY_ELF_SHT_PROGBITS, A | X, 0x40080400u, it, sz[IRAM]},
        {".flash.text", FPY_ELF_SHT_PROGBITS, A | X, 0x400D0020u, ir, sz[IROM]},
        {".comment", FPY_ELF_SHT_PROGBITS, 0, 0, (const uint8_t *)comment, sizeof comment},
    };
    fpy_image_elf_sec secs[8];
    size_t n = 0;
    for (size_t i = 0; i < 8; i++)
        if (all[i].size != 0)
            secs[n++] = all[i];
    fpy_image_elf_write(0x40080400u, secs, n, NULL, 0, len);
    *out = malloc(*len);
    int rc = *out ? fpy_image_elf_write(0x40080400u, secs, n, *out, *len, len) : FPY_ERR_NOSPC;
    free(fill);
    if (rc != FPY_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* An image from sections or an ELF, with the FiPy's flash options. */
static int fpy_vmgen_build(const fpy_image_section *secs, size_t n, uint32_t entry,
                           const uint8_t *elf, size_t elf_len, uint8_t **out, size_t *len)
{
    fpy_image_opts o = FPY_IMAGE_OPTS_DEFAULT();
    o.flash_mode = FPY_IMAGE_FLASH_MODE_DIO;
    o.flash_freq = FPY_IMAGE_FLASH_FREQ_40M;
    o.flash_size = FPY_IMAGE_FLASH_SIZE_8MB;
    fpy_image_builder *b = malloc(sizeof *b);
    fpy_diag d = {0};
    size_t need = 0;
    *out = NULL;
    if (b == NULL)
        return FPY_ERR_NOSPC;
    int rc = elf ? fpy_image_elf2image(b, elf, elf_len, &o, NULL, 0, &need, &d)
                 : fpy_image_build(b, secs, n, entry, &o, NULL, NULL, 0, &need, &d);
    if (rc == FPY_ERR_NOSPC && need > 0 && (*out = malloc(need)) != NULL)
        rc = elf ? fpy_image_elf2image(b, elf, elf_len, &o, *out, need, len, &d)
                 : fpy_image_build(b, secs, n, entry, &o, NULL, *out, need, len, &d);
    free(b);
    if (rc != FPY_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int fpy_vmgen_vm(const char *version, uint8_t **out, size_t *len)
{
    fpy_vmgen_elf_args a = {FPY_VMGEN_VM_PROJECT, version, NULL, FPY_VMGEN_SIZES, 0};
    uint8_t *elf;
    size_t elf_len;
    int rc = fpy_vmgen_elf(&a, &elf, &elf_len);
    if (rc != FPY_OK)
        return rc;
    rc = fpy_vmgen_build(NULL, 0, 0, elf, elf_len, out, len);
    free(elf);
    return rc;
}

int fpy_vmgen_bootloader(const fpy_bootcfg *cfg, uint8_t **out, size_t *len)
{
    static uint8_t dram[0x600], loader[0x1800], iram[0x2000], conf[FPY_BOOTCFG_LEN];
    fpy_vmgen_fill(dram, sizeof dram, 11);
    fpy_vmgen_fill(loader, sizeof loader, 12);
    fpy_vmgen_fill(iram, sizeof iram, 13);
    const fpy_image_section secs[] = {
        {".dram0.data", 0x3FFF0000u, dram, sizeof dram},
        {".iram_loader.text", 0x40078000u, loader, sizeof loader},
        {".iram.text", 0x40080400u, iram, sizeof iram},
        {".dram0.bootcfg", FPY_BOOTCFG_LOAD, conf, sizeof conf},
    };
    _Static_assert(0x3FFF0000u + sizeof dram <= FPY_BOOTCFG_LOAD, "the configuration follows");
    size_t n = sizeof secs / sizeof secs[0];
    if (cfg != NULL)
        fpy_bootcfg_encode(cfg, conf);
    return fpy_vmgen_build(secs, cfg != NULL ? n : n - 1u, 0x40080400u, NULL, 0, out, len);
}
