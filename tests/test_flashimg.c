/* The layout rule of flash image files (host/flashimg.h, docs/files.md):
 * one case per row of the table there. */
#include <stdlib.h>
#include <string.h>

#include "fipy/part.h"
#include "flashimg.h"
#include "testutil.h"

enum { TAB_NONE, TAB_NONBLE, TAB_BLE, TAB_OTHER, TAB_CORRUPT };

/* 0x9000 bytes of image: erased, with the table of kind `tab` at 0x8000. */
static uint8_t *image_with(int tab)
{
    static fpy_part_table t;
    uint8_t *img = malloc(0x9000);
    assert_non_null(img);
    memset(img, 0xFF, 0x9000);
    if (tab == TAB_NONE)
        return img;
    const fpy_layout *l = fpy_layout_get(tab == TAB_BLE ? FPY_LAYOUT_BLE : FPY_LAYOUT_NONBLE);
    assert_int_equal(fpy_part_from_layout(l, NULL, &t, NULL), FPY_OK);
    if (tab == TAB_OTHER) /* a valid table, but the last partition is smaller */
        t.entries[t.count - 1].size -= 0x1000;
    assert_int_equal(fpy_part_encode(&t, img + FPY_PART_TABLE_OFFSET, FPY_PART_TABLE_LEN, NULL),
                     FPY_OK);
    if (tab == TAB_CORRUPT) /* the MD5 no longer matches */
        img[FPY_PART_TABLE_OFFSET + 40] ^= 1;
    return img;
}

typedef struct layout_case {
    int tab;
    const char *want;
    int write;
    int rc;               /* FPY_OK, or the error expected */
    const char *result;   /* layout name when rc is FPY_OK */
    int from_table;
    const char *says[2];  /* in the message when rc is not FPY_OK */
} layout_case;

static const layout_case cases[] = {
    {TAB_NONE, NULL, 1, FPY_OK, "nonble", 0, {NULL, NULL}},
    {TAB_NONE, "ble", 1, FPY_OK, "ble", 0, {NULL, NULL}},
    {TAB_NONBLE, NULL, 1, FPY_OK, "nonble", 1, {NULL, NULL}},
    {TAB_NONBLE, "nonble", 1, FPY_OK, "nonble", 1, {NULL, NULL}},
    {TAB_BLE, NULL, 0, FPY_OK, "ble", 1, {NULL, NULL}},
    {TAB_NONBLE, "ble", 1, FPY_ERR_INVAL, NULL, 0, {"--layout ble", "the nonble layout"}},
    {TAB_NONBLE, "ble", 0, FPY_ERR_INVAL, NULL, 0, {"--layout ble", "the nonble layout"}},
    {TAB_BLE, "nonble", 1, FPY_ERR_INVAL, NULL, 0, {"--layout nonble", "the ble layout"}},
    {TAB_OTHER, NULL, 0, FPY_ERR_UNSUPPORTED, NULL, 0, {"not a FiPy layout", "use --layout"}},
    {TAB_OTHER, "nonble", 0, FPY_OK, "nonble", 0, {NULL, NULL}},
    {TAB_OTHER, "nonble", 1, FPY_ERR_UNSUPPORTED, NULL, 0, {"not a FiPy layout", "does not write"}},
    {TAB_CORRUPT, "ble", 0, FPY_OK, "ble", 0, {NULL, NULL}},
    {TAB_CORRUPT, "ble", 1, FPY_ERR_CHECKSUM, NULL, 0, {"does not decode", "does not write"}},
    {TAB_NONE, "sideways", 0, FPY_ERR_INVAL, NULL, 0, {"no layout 'sideways'", NULL}},
};

static void test_layout_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const layout_case *c = &cases[i];
        uint8_t *img = image_with(c->tab);
        const fpy_layout *l = NULL;
        int from = -1;
        char err[512] = "";
        int rc = fpy_flashimg_layout(img, "img.bin", c->want, c->write, &l, &from, err,
                                     sizeof err);
        print_message("case %zu: rc %d, %s\n", i, rc, err);
        assert_int_equal(rc, c->rc);
        if (rc == FPY_OK) {
            assert_string_equal(l->name, c->result);
            assert_int_equal(from, c->from_table);
        }
        for (int k = 0; k < 2; k++)
            if (c->says[k] != NULL)
                assert_non_null(strstr(err, c->says[k]));
        free(img);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
