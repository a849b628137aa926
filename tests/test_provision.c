/*
 * What register prepares and virtualize writes (host/provision.h) and the
 * virtual board's own images (host/vmgen.h): the composed flash must boot
 * through the real lib/boot into VM slot 0, its NVS must read back through
 * lib/nvs, and every refusal must come before anything is composed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fipy/boot.h"
#include "fipy/fw.h"
#include "fipy/image.h"
#include "fipy/nvs.h"
#include "fipy/part.h"
#include "flashsim.h"
#include "provision.h"
#include "simsys.h"
#include "vmgen.h"

typedef struct fx {
    uint8_t *vm, *boot;
    size_t vm_len, boot_len;
    fpy_provision_in in;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    assert_int_equal(fpy_vmgen_vm("1.0.0", &x->vm, &x->vm_len), FPY_OK);
    assert_int_equal(fpy_vmgen_bootloader(NULL, &x->boot, &x->boot_len), FPY_OK);
    x->in = (fpy_provision_in){fpy_layout_find("nonble"), x->boot, x->boot_len, "boot",
                               x->vm, x->vm_len, "vm", "fipy-240ac4123456",
                               "2026-12-06T07:00:00Z"};
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    free(x->vm);
    free(x->boot);
    free(x);
    return 0;
}

/* The virtual board's VM is a VM the boot runs, of ABI 1; the same
 * arguments give the same bytes; the bootloader is an ESP32 image with
 * the bootloader's load addresses and no app description. */
static void vmgen_images(void **state)
{
    fx *x = *state;
    static fpy_fw_work w;
    fpy_diag d = {0};
    uint32_t abi = 0;
    fpy_image_src src = fpy_image_src_mem(x->vm, x->vm_len);
    assert_int_equal(fpy_fw_vm_check(&src, &w, &abi, &d), FPY_OK);
    assert_int_equal(abi, 1);
    assert_string_equal(w.info.app_desc.project_name, FPY_VMGEN_VM_PROJECT);
    uint8_t *again, *v2;
    size_t again_len, v2_len;
    assert_int_equal(fpy_vmgen_vm("1.0.0", &again, &again_len), FPY_OK);
    assert_int_equal(again_len, x->vm_len);
    assert_memory_equal(again, x->vm, x->vm_len);
    assert_int_equal(fpy_vmgen_vm("2.3.0", &v2, &v2_len), FPY_OK);
    src = fpy_image_src_mem(v2, v2_len);
    assert_int_equal(fpy_fw_vm_check(&src, &w, &abi, &d), FPY_OK);
    assert_int_equal(abi, 2);
    free(again);
    free(v2);

    src = fpy_image_src_mem(x->boot, x->boot_len);
    assert_int_equal(fpy_image_verify(&src, w.scratch, sizeof w.scratch, FPY_IMAGE_CHECK_LOADER,
                                      &w.info, &d), FPY_OK);
    assert_int_equal(w.info.has_app_desc, 0);
    assert_int_equal(w.info.hdr.entry_addr, 0x40080400u);
    /* and not a VM: the boot would not take it for one */
    assert_int_not_equal(fpy_fw_vm_check(&src, &w, NULL, &d), FPY_OK);
}

static void boot_composed(fpy_provision *p, fpy_boot_result *res, fpy_flashsim *sim)
{
    static fpy_fw_work w;
    fpy_flash f;
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    fpy_simsys ss;
    fpy_sys sys;
    assert_int_equal(fpy_flashsim_init(sim, &g, p->mem, NULL, NULL), FPY_OK);
    fpy_flashsim_bind(sim, &f);
    fpy_simsys_init(&ss, &sys);
    fpy_simsys_reset(&ss, FPY_RESET_RESET);
    fpy_boot_cfg cfg = {fpy_layout_find("nonble"), FPY_REC_STORE_FIPY(), 0, 0, 0, NULL};
    assert_int_equal(fpy_boot_run(&f, &sys, &cfg, &w, res), FPY_OK);
}

/* The regions in address order; the flash they compose boots VM slot 0
 * as the working pair (a found record, not adopted from otadata). */
static void composed_flash_boots(void **state)
{
    fx *x = *state;
    fpy_provision p;
    char err[300];
    assert_int_equal(fpy_provision_build(&x->in, &p, err, sizeof err), FPY_OK);
    const uint32_t want[] = {0x1000, 0x8000, 0x9000, 0xD000, 0x10000, 0x390000};
    assert_int_equal(p.n, 6);
    for (size_t i = 0; i < p.n; i++) {
        assert_int_equal(p.r[i].addr, want[i]);
        assert_ptr_equal(p.r[i].data, p.mem + want[i]);
    }
    assert_int_equal(p.r[4].len, x->vm_len);
    assert_memory_equal(p.mem + 0x10000, x->vm, x->vm_len);
    assert_memory_equal(p.mem + 0x1000, x->boot, x->boot_len);
    fpy_part_table t;
    fpy_diag d = {0};
    assert_int_equal(fpy_part_decode(p.mem + 0x8000, FPY_PART_TABLE_LEN, &t, &d), FPY_OK);

    static fpy_flashsim sim;
    fpy_boot_result res;
    boot_composed(&p, &res, &sim);
    assert_int_equal(res.vm_slot, 0);
    assert_int_equal(res.bc_slot, 0);
    assert_int_equal(res.test_mode, 0);
    assert_int_equal(res.rec_found, 1);
    fpy_provision_free(&p);
}

/* The provisioning NVS reads back through lib/nvs. */
static void nvs_reads_back(void **state)
{
    fx *x = *state;
    fpy_provision p;
    char err[300], buf[64];
    assert_int_equal(fpy_provision_build(&x->in, &p, err, sizeof err), FPY_OK);
    static fpy_flashsim sim;
    static fpy_nvs nvs;
    static fpy_nvs_page pages[4];
    fpy_flash f;
    fpy_flash_geometry g = FPY_FLASH_GEOMETRY_FIPY();
    assert_int_equal(fpy_flashsim_init(&sim, &g, p.mem, NULL, NULL), FPY_OK);
    fpy_flashsim_bind(&sim, &f);
    fpy_nvs_cfg cfg = {&f, 0x9000, 0x4000, pages, 4, 1};
    assert_int_equal(fpy_nvs_init(&nvs, &cfg), FPY_OK);
    fpy_nvs_handle h;
    assert_int_equal(fpy_nvs_open(&nvs, FPY_PROVISION_NS, FPY_NVS_READONLY, &h), FPY_OK);
    size_t len = sizeof buf;
    assert_int_equal(fpy_nvs_get_str(&h, "device_id", buf, &len), FPY_OK);
    assert_string_equal(buf, "fipy-240ac4123456");
    len = sizeof buf;
    assert_int_equal(fpy_nvs_get_str(&h, "registered", buf, &len), FPY_OK);
    assert_string_equal(buf, "2026-12-06T07:00:00Z");
    len = sizeof buf;
    assert_int_equal(fpy_nvs_get_str(&h, "layout", buf, &len), FPY_OK);
    assert_string_equal(buf, "nonble");
    fpy_provision_free(&p);
}

/* Refusals: too big for the bootloader area or the VM slot, a VM the
 * boot would not run, a value that would break the CSV. */
static void refusals(void **state)
{
    fx *x = *state;
    fpy_provision p;
    char err[300];
    fpy_provision_in in = x->in;
    uint8_t *big = malloc(0x110000);
    assert_non_null(big);
    memset(big, 0xAA, 0x110000);
    memcpy(big, x->boot, x->boot_len);
    in.bootloader_len = 0x7001; /* one byte over 28 KiB */
    in.bootloader = big;
    assert_int_equal(fpy_provision_build(&in, &p, err, sizeof err), FPY_ERR_RANGE);
    assert_non_null(strstr(err, "28672"));
    assert_null(p.mem);
    in = x->in;
    memcpy(big, x->vm, x->vm_len);
    in.vm = big;
    in.vm_len = 0x100001; /* the VM image is whole: the slot is what is exceeded */
    assert_int_equal(fpy_provision_build(&in, &p, err, sizeof err), FPY_ERR_RANGE);
    assert_non_null(strstr(err, "1048577 bytes do not fit ota_0 at 0x10000 (1048576 bytes)"));
    assert_null(p.mem);
    in = x->in;
    in.vm = x->boot;
    in.vm_len = x->boot_len;
    assert_int_not_equal(fpy_provision_build(&in, &p, err, sizeof err), FPY_OK);
    assert_non_null(strstr(err, "not a VM the board would boot"));
    in = x->in;
    in.device_id = "fipy-1,2";
    assert_int_equal(fpy_provision_build(&in, &p, err, sizeof err), FPY_ERR_INVAL);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vmgen_images),
        cmocka_unit_test(composed_flash_boots),
        cmocka_unit_test(nvs_reads_back),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
