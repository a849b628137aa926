/* The two FiPy layouts, the page's erratum and the validator. */
#include <string.h>

#include "fipy/layout.h"
#include "testutil.h"

static void test_resolved_layouts_validate(void **state)
{
    (void)state;
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++) {
        const fpy_layout *l = fpy_layout_get((fpy_layout_id)id);
        fpy_diag d;
        assert_int_equal(fpy_layout_validate(l->areas, l->count, l->flash_size, &d), FPY_OK);
    }
}

static void test_page_tables_have_the_overlap_erratum(void **state)
{
    (void)state;
    for (int id = FPY_LAYOUT_NONBLE; id <= FPY_LAYOUT_BLE; id++) {
        const fpy_layout *p = fpy_layout_page((fpy_layout_id)id);
        fpy_diag d;
        assert_int_equal(fpy_layout_validate(p->areas, p->count, p->flash_size, &d),
                         FPY_ERR_CORRUPT);
        assert_true(d.has_index);
        assert_int_equal(p->areas[d.index].offset, 0x392000);
        assert_int_equal(p->areas[d.index - 1].offset, 0x390000);
        assert_int_equal(d.expected, 0x400000); /* where "Reserved 448Kb" ends */
    }
}

static void test_page_rows_match_the_page(void **state)
{
    (void)state;
    /* start, size of the page's rows (Zerynth's page, both tables). */
    static const uint32_t nonble[][2] = {
        {0x9000, 16384}, {0xD000, 8192}, {0xF000, 4096}, {0x10000, 0x100000},
        {0x110000, 0x100000}, {0x210000, 0x80000}, {0x290000, 0x80000},
        {0x310000, 0x80000}, {0x390000, 448 * 1024}, {0x392000, 0x400000}};
    static const uint32_t ble[][2] = {
        {0x9000, 16384}, {0xD000, 8192}, {0xF000, 4096}, {0x10000, 1216 * 1024},
        {0x140000, 1216 * 1024}, {0x270000, 320 * 1024}, {0x2C0000, 320 * 1024},
        {0x310000, 0x80000}, {0x390000, 448 * 1024}, {0x392000, 0x400000}};
    const fpy_layout *pn = fpy_layout_page(FPY_LAYOUT_NONBLE);
    const fpy_layout *pb = fpy_layout_page(FPY_LAYOUT_BLE);
    assert_int_equal(pn->count, 10);
    assert_int_equal(pb->count, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(pn->areas[i].offset, nonble[i][0]);
        assert_int_equal(pn->areas[i].size, nonble[i][1]);
        assert_int_equal(pb->areas[i].offset, ble[i][0]);
        assert_int_equal(pb->areas[i].size, ble[i][1]);
    }
}

static void test_slots_and_stores(void **state)
{
    (void)state;
    const fpy_layout *n = fpy_layout_find("nonble");
    const fpy_layout *b = fpy_layout_find("ble");
    assert_non_null(n);
    assert_non_null(b);
    assert_ptr_equal(fpy_layout_find("non-ble"), n);
    assert_null(fpy_layout_find("BLE2"));
    assert_int_equal(fpy_layout_area(n, FPY_AREA_VM_SLOT, 1)->offset, 0x110000);
    assert_int_equal(fpy_layout_area(b, FPY_AREA_VM_SLOT, 1)->offset, 0x140000);
    assert_int_equal(fpy_layout_area(b, FPY_AREA_BC_SLOT, 0)->offset, 0x270000);
    assert_int_equal(fpy_layout_area(b, FPY_AREA_BC_SLOT, 1)->size, 320 * 1024);
    for (int i = 0; i < 2; i++) {
        const fpy_layout *l = i ? b : n;
        assert_int_equal(fpy_layout_area(l, FPY_AREA_VMSTORE, 0)->offset, 0x390000);
        assert_int_equal(fpy_layout_area(l, FPY_AREA_VMSTORE, 1)->offset, 0x391000);
        assert_int_equal(fpy_layout_area(l, FPY_AREA_STORAGE, 1)->offset, 0x392000);
        assert_int_equal(fpy_layout_area(l, FPY_AREA_OTADATA, 0)->size, 0x2000);
        assert_int_equal(fpy_layout_area(l, FPY_AREA_VM_SLOT, 0)->psubtype, 0x10);
        assert_int_equal(fpy_layout_area(l, FPY_AREA_VM_SLOT, 1)->psubtype, 0x11);
        assert_null(fpy_layout_area(l, FPY_AREA_VM_SLOT, 2));
    }
}

static void test_validator_rejects_each_fault(void **state)
{
    (void)state;
    const fpy_layout *n = fpy_layout_get(FPY_LAYOUT_NONBLE);
    fpy_area a[16];
    fpy_diag d;
    size_t c = n->count;
    size_t vm1 = 6; /* ota_1 */
    assert_int_equal(n->areas[vm1].kind, FPY_AREA_VM_SLOT);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[vm1].offset += 0x1000; /* 4 KiB aligned but not 64 KiB: bad for an app slot */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_ALIGN);
    assert_int_equal(d.index, vm1);
    assert_int_equal(d.expected, 0x10000);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[2].offset += 0x100; /* nvs not on a sector */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_ALIGN);
    assert_int_equal(d.index, 2);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[c - 1].size = 0x500000; /* past 8 MiB */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_RANGE);
    assert_int_equal(d.index, c - 1);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[c - 1].offset = 0xFFFFF000u; /* offset + size overflows 32 bits */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_RANGE);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[3].size = 0; /* empty */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_CORRUPT);

    memcpy(a, n->areas, c * sizeof a[0]);
    a[8].size = 0x81000; /* codemem_1 runs into storage */
    assert_int_equal(fpy_layout_validate(a, c, FPY_FLASH_SIZE_8M, &d), FPY_ERR_CORRUPT);
    assert_int_equal(d.index, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolved_layouts_validate),
        cmocka_unit_test(test_page_tables_have_the_overlap_erratum),
        cmocka_unit_test(test_page_rows_match_the_page),
        cmocka_unit_test(test_slots_and_stores),
        cmocka_unit_test(test_validator_rejects_each_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
