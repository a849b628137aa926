#!/bin/sh
# fipytool board / layout: output, errors and exit codes.
. "$FPY_SRC/tests/cli/common.inc"

expect 0 "$FPY_TOOL" board
has "Pycom FiPy 1.0" "$T/out"
has "P23  G10  GPIO14" "$T/out"
has "actual: 520 KB internal SRAM" "$T/out"
expect 0 "$FPY_TOOL" board --json
has '"name": "P12", "p": 12, "g": 28, "gpio": 21' "$T/out"
[ "$(grep -c '"gpio":' "$T/out")" = 24 ] || fail "board --json does not list 24 pins"
expect 0 "$FPY_TOOL" board pin G16
has "P9   G16  GPIO12" "$T/out"
expect 1 "$FPY_TOOL" board pin P24
has "no pin 'P24'" "$T/err"
expect 2 "$FPY_TOOL" board pin
expect 2 "$FPY_TOOL" board --bogus
has "unknown option '--bogus'" "$T/err"
expect 0 "$FPY_TOOL" board --help
has "usage: fipytool board" "$T/out"

expect 0 "$FPY_TOOL" layout
has "| 0x00110000    | 1Mb    | Zerynth VM (FOTA)" "$T/out"
expect 0 "$FPY_TOOL" layout --ble
has "| 0x00140000    | 1216Kb | Zerynth VM (FOTA)" "$T/out"
has "| 0x002C0000    | 320Kb  | Zerynth Bytecode (FOTA)" "$T/out"
expect 0 "$FPY_TOOL" layout --ble --csv
has "^0x00270000,327680,codemem_0,Zerynth Bytecode$" "$T/out"
expect 0 "$FPY_TOOL" layout --json
has '"label": "vmstore_1"' "$T/out"
expect 0 "$FPY_TOOL" layout --check
[ "$(grep -c 'ERRATUM' "$T/out")" = 2 ] || fail "layout --check should report the erratum for both tables"
has '0x00390000 448Kb "Reserved" ends at 0x00400000, past 0x00392000' "$T/out"
[ "$(grep -c "fipy's layout for .*: ok" "$T/out")" = 2 ] || fail "resolved layouts not ok"
expect 2 "$FPY_TOOL" layout --csv --json
expect 2 "$FPY_TOOL" layout extra
expect 2 "$FPY_TOOL" nosuchcommand
expect 2 "$FPY_TOOL"
expect 0 "$FPY_TOOL" --help
has "layout" "$T/out"
finish
