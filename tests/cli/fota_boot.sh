#!/bin/sh
# fipytool flash/bytecode/fota/boot/otadata on a flash image: test mode,
# accept, rollback, and refusals.
. "$FPY_SRC/tests/cli/common.inc"
F="$T/flash.bin"

"$FPY_TOOL" image mkelf -o "$T/v1.elf" --app-version 1.0.0 >/dev/null || fail "mkelf v1"
"$FPY_TOOL" image elf2image "$T/v1.elf" -o "$T/v1.bin" --flash-mode dio --flash-size 8MB >/dev/null || fail "elf2image v1"
"$FPY_TOOL" image mkelf -o "$T/v2.elf" --app-version 1.1.0 >/dev/null || fail "mkelf v2"
"$FPY_TOOL" image elf2image "$T/v2.elf" -o "$T/v2.bin" --flash-mode dio --flash-size 8MB >/dev/null || fail "elf2image v2"
"$FPY_TOOL" image mkelf -o "$T/v3.elf" --app-version 3.0.0 >/dev/null || fail "mkelf v3"
"$FPY_TOOL" image elf2image "$T/v3.elf" -o "$T/v3.bin" --flash-mode dio --flash-size 8MB >/dev/null || fail "elf2image v3"
printf 'first program' > "$T/p1"
printf 'second program, longer' > "$T/p2"
expect 0 "$FPY_TOOL" bytecode build "$T/p1" --abi 1 -o "$T/a1.fbc"
expect 0 "$FPY_TOOL" bytecode build "$T/p2" --abi 1 -o "$T/a2.fbc"
expect 0 "$FPY_TOOL" bytecode info "$T/a2.fbc" --abi 1
has "VM ABI:           1" "$T/out"
expect 1 "$FPY_TOOL" bytecode info "$T/a2.fbc" --abi 3
has "built for another VM ABI" "$T/err"
expect 2 "$FPY_TOOL" bytecode build "$T/p1" -o "$T/x.fbc"

# A bytecode file whose payload does not match its SHA-256 is refused.
cp "$T/a1.fbc" "$T/bad.fbc" && printf 'X' | dd of="$T/bad.fbc" bs=1 seek=130 conv=notrunc 2>/dev/null
expect 1 "$FPY_TOOL" flash create "$T/badflash.bin" --vm "$T/v1.bin" --bc "$T/bad.fbc"
has "payload SHA-256 does not match" "$T/err"
[ -e "$T/badflash.bin" ] && fail "a refused flash image was written"
expect 1 "$FPY_TOOL" bytecode info "$T/bad.fbc"
expect 0 "$FPY_TOOL" flash create "$F" --vm "$T/v1.bin" --bc "$T/a1.fbc"
expect 1 "$FPY_TOOL" flash create "$F"
has "exists; keeping it" "$T/err"
expect 0 "$FPY_TOOL" boot "$F"
has "rule 9: normal boot" "$T/out"
has "VM slot 0 (0x010000, ABI 1), bytecode slot 0" "$T/out"

# An update, then a reset without accept(): rolled back.
expect 0 "$FPY_TOOL" fota apply "$F" --vm "$T/v2.bin" --bc "$T/a2.fbc" --chunk 777
has "VM       -> slot 1 (0x110000)" "$T/out"
expect 0 "$FPY_TOOL" fota status "$F" --json
has '"mode": "TEST_NEW", "vm_cur": 1, "bc_cur": 1, "vm_last": 0' "$T/out"
# attempt() wrote otadata as esp_ota_set_boot_partition does (issue 13):
# ESP-IDF's bootloader and otatool already select the new VM, as NEW.
expect 0 "$FPY_TOOL" otadata dump "$F" --json
has '"boot_slot": 1' "$T/out"
has '"state_name": "NEW"' "$T/out"
expect 1 "$FPY_TOOL" fota accept "$F"
has "has not booted yet" "$T/err"
expect 0 "$FPY_TOOL" boot "$F" --json
has '"rule": 3' "$T/out"
has '"test_mode": true' "$T/out"
expect 0 "$FPY_TOOL" otadata dump "$F" --json
has '"state_name": "PENDING_VERIFY"' "$T/out"
has '"boot_slot": 1' "$T/out"
expect 1 "$FPY_TOOL" fota apply "$F" --bc "$T/a1.fbc"
has "a trial is running" "$T/err"
expect 0 "$FPY_TOOL" boot "$F" --reset-reason watchdog
has "rule 1: the trial pair was reset before accept()" "$T/out"
has "VM slot 0 (0x010000" "$T/out"
expect 0 "$FPY_TOOL" otadata dump "$F" --json
has '"boot_slot": 0' "$T/out"

# The same update, accepted this time: it sticks.
expect 0 "$FPY_TOOL" fota apply "$F" --vm "$T/v2.bin" --bc "$T/a2.fbc"
expect 0 "$FPY_TOOL" boot "$F"
has "TEST: call accept()" "$T/out"
expect 0 "$FPY_TOOL" fota accept "$F"
has "accepted" "$T/out"
expect 0 "$FPY_TOOL" boot "$F" --reset-reason panic
has "VM slot 1 (0x110000" "$T/out"
has "mode:          stable" "$T/out"

# Refusals: a VM whose ABI does not match the bytecode in place.
expect 1 "$FPY_TOOL" fota apply "$F" --vm "$T/v3.bin"
has "built for another VM ABI" "$T/err"
# An image that is not one.
expect 1 "$FPY_TOOL" fota apply "$F" --bc "$T/p1"
has "bytecode image $T/p1: shorter than a bytecode header" "$T/err"
expect 2 "$FPY_TOOL" fota apply "$F"
expect 2 "$FPY_TOOL" boot "$F" --reset-reason sneeze
expect 1 "$FPY_TOOL" boot "$T/p1"
has "a flash image must have" "$T/err"

# Nothing bootable is said plainly.
expect 0 "$FPY_TOOL" flash create "$T/empty.bin"
expect 1 "$FPY_TOOL" boot "$T/empty.bin"
has "no VM slot verifies" "$T/out"
has "ROM serial loader" "$T/out"

# otadata set, as esp_ota_set_boot_partition writes it.
expect 0 "$FPY_TOOL" otadata set "$T/empty.bin" --slot 1
has "entry 0 (+0x0000): seq 0x00000002  state UNDEFINED  crc 0x55f63774 ok  -> ota_1" "$T/out"
expect 2 "$FPY_TOOL" otadata set "$T/empty.bin" --slot 2
finish
