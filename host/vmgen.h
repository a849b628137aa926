/*
 * Synthetic ESP32 images, made without a cross compiler: an app ELF with a
 * real esp_app_desc_t (`fipytool image mkelf`), and from it the virtual
 * board's own firmware: its VM (what `fipytool vm create` records when no
 * --vm-image is given) and its second-stage bootloader image (what
 * `fipytool virtualize` writes at 0x1000 on a virtual FiPy).  These VMs
 * carry no program: the virtual board's boot is built in and its VM is a
 * stand-in (docs/sim.md); on a real FiPy the user gives ESP-IDF's images.
 * Every result is deterministic: the same arguments give the same bytes.
 */
#ifndef FIPY_VMGEN_H
#define FIPY_VMGEN_H

#include <stddef.h>
#include <stdint.h>

#include "bootcfg.h"

typedef struct fpy_vmgen_elf_args {
    const char *project;   /* esp_app_desc_t project_name; NULL: "fipy-demo" */
    const char *version;   /* its version (the VM ABI is its major); NULL: "1.0.0" */
    const char *idf;       /* idf_ver; NULL: "v5.3.1" */
    uint32_t sizes[4];     /* .flash.rodata, .dram0.data, .iram0.text, .flash.text */
    int no_desc;           /* no .flash.appdesc section */
} fpy_vmgen_elf_args;

/* The default section sizes of `image mkelf`. */
#define FPY_VMGEN_SIZES {0x1234u, 0x200u, 0x3000u, 0x5000u}

/* A synthetic app ELF in a malloc'd buffer (*out, *len; free() it).
 * FPY_OK or FPY_ERR_NOSPC (out of memory). */
int fpy_vmgen_elf(const fpy_vmgen_elf_args *a, uint8_t **out, size_t *len);

/* The virtual board's VM "fipy-vm" of this version ("1.0.0": ABI 1),
 * built as ESP-IDF builds a FiPy app (DIO, 40 MHz, 8 MB, SHA-256
 * appended).  malloc'd; FPY_OK or an fpy_err. */
int fpy_vmgen_vm(const char *version, uint8_t **out, size_t *len);

/* The virtual board's second-stage bootloader image for 0x1000: an ESP32
 * image with the bootloader's load addresses (IRAM 0x40078000 and up,
 * DRAM 0x3FFF0000) and no app description; with `cfg` (not NULL) a
 * protected board's bootloader, carrying its configuration as the DRAM
 * segment at FPY_BOOTCFG_LOAD (sim/bootcfg.h; sign it for secure boot).
 * malloc'd; FPY_OK or an fpy_err. */
int fpy_vmgen_bootloader(const fpy_bootcfg *cfg, uint8_t **out, size_t *len);

/* The project name of fpy_vmgen_vm's images. */
#define FPY_VMGEN_VM_PROJECT "fipy-vm"
#define FPY_VMGEN_VM_VERSION "1.0.0"

#endif
