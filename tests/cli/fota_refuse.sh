#!/bin/sh
# Issue 12, point 2: a refused update costs nothing.  Every refusal of
# 'fota apply' leaves the flash image byte for byte as it was (the
# previous pair, the boot-loop guard's fallback, included), and says
# which file and which image was wrong.
. "$FPY_SRC/tests/cli/common.inc"
F="$T/flash.bin"

mk() { # mk NAME VERSION [elf2image options]
    n=$1; v=$2; shift 2
    "$FPY_TOOL" image mkelf -o "$T/$n.elf" --app-version "$v" >/dev/null || fail "mkelf $n"
    "$FPY_TOOL" image elf2image "$T/$n.elf" -o "$T/$n.bin" --flash-size 8MB "$@" >/dev/null ||
        fail "elf2image $n"
}
mk v1 1.0.0
mk v2 1.1.0
mk v3 1.2.0
mk abi2 2.0.0
mk nodigest 1.3.0 --dont-append-digest
printf 'program one' >"$T/p1"
printf 'program two' >"$T/p2"
printf 'program three' >"$T/p3"
"$FPY_TOOL" bytecode build "$T/p1" --abi 1 -o "$T/a1.fbc" >/dev/null || fail "bc a1"
"$FPY_TOOL" bytecode build "$T/p2" --abi 1 -o "$T/a2.fbc" >/dev/null || fail "bc a2"
"$FPY_TOOL" bytecode build "$T/p3" --abi 1 -o "$T/a3.fbc" >/dev/null || fail "bc a3"
"$FPY_TOOL" bytecode build "$T/p3" --abi 2 -o "$T/abi2.fbc" >/dev/null || fail "bc abi2"
# a VM whose checksum is wrong (a byte inside its data flipped)
cp "$T/v3.bin" "$T/badsum.bin"
printf '\125' | dd of="$T/badsum.bin" bs=1 seek=400 conv=notrunc 2>/dev/null
# a bytecode image whose payload does not match its SHA-256
cp "$T/a3.fbc" "$T/badhash.fbc"
printf 'X' | dd of="$T/badhash.fbc" bs=1 seek=131 conv=notrunc 2>/dev/null

# A device with a previous pair: v1 accepted, then v2 accepted (slots 1),
# so slots 0 hold the previous pair the boot-loop guard falls back to.
expect 0 "$FPY_TOOL" flash create "$F" --vm "$T/v1.bin" --bc "$T/a1.fbc"
expect 0 "$FPY_TOOL" boot "$F"
expect 0 "$FPY_TOOL" fota apply "$F" --vm "$T/v2.bin" --bc "$T/a2.fbc"
expect 0 "$FPY_TOOL" boot "$F"
expect 0 "$FPY_TOOL" fota accept "$F"
expect 0 "$FPY_TOOL" fota status "$F" --json
has '"has_prev": true' "$T/out"
cp "$F" "$T/before.bin"

# refuse WHAT-TO-FIND-IN-STDERR apply-arguments...
refuse() {
    msg=$1; shift
    expect 1 "$FPY_TOOL" fota apply "$F" "$@"
    has "$msg" "$T/err"
    cmp -s "$F" "$T/before.bin" || fail "'fota apply $*' was refused but changed the flash image"
    cp "$T/before.bin" "$F"
}
refuse "VM image $T/nodigest.bin" --vm "$T/nodigest.bin"
has "no SHA-256 digest" "$T/err"
refuse "VM image $T/badsum.bin" --vm "$T/badsum.bin" --bc "$T/a3.fbc"
has "checksum" "$T/err"
refuse "bytecode image $T/v3.bin" --bc "$T/v3.bin"
has "not a fipy bytecode image" "$T/err"
refuse "bytecode image $T/badhash.fbc" --vm "$T/v3.bin" --bc "$T/badhash.fbc"
has "SHA-256 does not match" "$T/err"
refuse "bytecode image $T/abi2.fbc" --vm "$T/v3.bin" --bc "$T/abi2.fbc"
has "another VM ABI" "$T/err"
# a VM alone whose ABI does not suit the bytecode in place
refuse "refused before writing anything" --vm "$T/abi2.bin"
has "another VM ABI" "$T/err"
# bytecode alone for another ABI than the running VM's
refuse "refused before writing anything" --bc "$T/abi2.fbc"
refuse "VM image $T/missing.bin" --vm "$T/missing.bin"

# Issue 13, point 2: one rule for what may boot, for every command.  A
# flash image is never made with a VM the boot would refuse, nor with
# bytecode for another VM.
expect 1 "$FPY_TOOL" flash create "$T/nd.bin" --vm "$T/nodigest.bin"
has "VM image $T/nodigest.bin" "$T/err"
has "no SHA-256 digest" "$T/err"
[ -e "$T/nd.bin" ] && fail "flash create wrote an image with a VM that never boots"
expect 1 "$FPY_TOOL" flash create "$T/nd.bin" --vm "$T/v1.bin" --bc "$T/abi2.fbc"
has "bytecode image $T/abi2.fbc" "$T/err"
has "another VM ABI" "$T/err"
[ -e "$T/nd.bin" ] && fail "flash create wrote bytecode its VM refuses"

# The previous pair survived all of that; an acceptable update still works.
expect 0 "$FPY_TOOL" fota status "$F" --json
has '"has_prev": true' "$T/out"
expect 0 "$FPY_TOOL" fota apply "$F" --vm "$T/v3.bin" --bc "$T/a3.fbc"
expect 0 "$FPY_TOOL" fota status "$F" --json
has '"has_prev": false' "$T/out"
finish
