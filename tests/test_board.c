/* The FiPy description: pin map invariants and lookups. */
#include <stdio.h>
#include <string.h>

#include "fipy/board.h"
#include "testutil.h"

static void test_pins_are_p0_to_p23_in_order(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    assert_int_equal(b->npins, 24);
    for (size_t i = 0; i < b->npins; i++) {
        char name[24];
        snprintf(name, sizeof name, "P%zu", i);
        assert_string_equal(b->pins[i].name, name);
        assert_int_equal(b->pins[i].p, i);
    }
}

static void test_g_and_gpio_numbers_are_unique(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    for (size_t i = 0; i < b->npins; i++)
        for (size_t j = i + 1; j < b->npins; j++) {
            assert_int_not_equal(b->pins[i].g, b->pins[j].g);
            assert_int_not_equal(b->pins[i].gpio, b->pins[j].gpio);
        }
}

/* ESP32 facts the table must agree with: GPIO34-39 are input-only, the
 * strapping pins are 0, 2, 5, 12 and 15, DAC is on 25/26. */
static void test_capabilities_follow_esp32_rules(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    int straps = 0, adc1 = 0;
    for (size_t i = 0; i < b->npins; i++) {
        const fpy_pin *p = &b->pins[i];
        int input_only = p->gpio >= 34 && p->gpio <= 39;
        assert_int_equal(!(p->caps & FPY_PIN_OUT), input_only);
        int strap = p->gpio == 0 || p->gpio == 2 || p->gpio == 5 || p->gpio == 12 ||
                    p->gpio == 15;
        assert_int_equal(!!(p->caps & FPY_PIN_STRAP), strap);
        straps += strap;
        /* ADC1 is GPIO32-39. */
        assert_int_equal(!!(p->caps & FPY_PIN_ADC1), p->gpio >= 32 && p->gpio <= 39);
        adc1 += !!(p->caps & FPY_PIN_ADC1);
        assert_int_equal(p->dac != FPY_PIN_NONE, p->gpio == 25 || p->gpio == 26);
        assert_int_equal(!!(p->caps & FPY_PIN_TOUCH), p->touch != FPY_PIN_NONE);
        assert_int_equal(!!(p->caps & FPY_PIN_RTC), p->rtc != FPY_PIN_NONE);
    }
    assert_int_equal(straps, 5);
    assert_int_equal(adc1, 8); /* the page says 7 */
}

static void test_fixed_uses(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    assert_non_null(strstr(fpy_board_pin(b, "P2")->fixed, "RGB LED"));
    assert_int_equal(fpy_board_pin(b, "P2")->gpio, 0);
    for (int i = 5; i <= 7; i++) {
        char n[4];
        snprintf(n, sizeof n, "P%d", i);
        assert_non_null(strstr(fpy_board_pin(b, n)->fixed, "radio"));
    }
    assert_non_null(strstr(fpy_board_pin(b, "P12")->fixed, "safe boot"));
    for (int i = 17; i <= 20; i++) {
        char n[4];
        snprintf(n, sizeof n, "P%d", i);
        assert_non_null(strstr(fpy_board_pin(b, n)->fixed, "LTE"));
    }
}

static void test_lookup_by_p_g_gpio(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    const fpy_pin *p9 = fpy_board_pin(b, "P9");
    assert_non_null(p9);
    assert_ptr_equal(fpy_board_pin(b, "p9"), p9);
    assert_ptr_equal(fpy_board_pin(b, "G16"), p9);
    assert_ptr_equal(fpy_board_pin(b, "gpio12"), p9);
    assert_null(fpy_board_pin(b, "P24"));
    assert_null(fpy_board_pin(b, "GPIO16")); /* not exposed */
    assert_null(fpy_board_pin(b, "P"));
    assert_null(fpy_board_pin(b, "P09x"));
    assert_null(fpy_board_pin(b, "P123"));
    assert_null(fpy_board_pin(b, ""));
    assert_null(fpy_board_pin(b, NULL));
}

static void test_page_differences_are_stated(void **state)
{
    (void)state;
    const fpy_board *b = fpy_board_fipy();
    int adc = 0, sram = 0, vin = 0;
    for (size_t i = 0; i < b->nfacts; i++) {
        const fpy_board_fact *f = &b->facts[i];
        if (strcmp(f->key, "adc_inputs") == 0) {
            assert_string_equal(f->page, "7");
            assert_non_null(strstr(f->actual, "8 ADC1"));
            adc = 1;
        }
        if (strcmp(f->key, "sram") == 0) {
            assert_non_null(strstr(f->actual, "PSRAM"));
            sram = 1;
        }
        if (strcmp(f->key, "input_voltage") == 0) {
            assert_non_null(f->actual);
            vin = 1;
        }
    }
    assert_true(adc && sram && vin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pins_are_p0_to_p23_in_order),
        cmocka_unit_test(test_g_and_gpio_numbers_are_unique),
        cmocka_unit_test(test_capabilities_follow_esp32_rules),
        cmocka_unit_test(test_fixed_uses),
        cmocka_unit_test(test_lookup_by_p_g_gpio),
        cmocka_unit_test(test_page_differences_are_stated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
