#!/bin/sh
# Issue 16 on the virtual FiPy: protect a virtualized board for good
# (a power cut in the middle finished by running protect again), then
# what a protected board does: it boots only what is signed with its key,
# its flash file and the ROM loader's reads hold ciphertext, plain writes
# are refused, unsigned, wrongly signed and older bytecode are refused by
# the board itself, signed bytecode goes through a full update on the
# encrypted flash, and all of it survives a restart of the board.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F="$T/flash.bin"
R="$T/data/registry.db"
sim_start
trap 'sim_stop; rm -rf "$T"' EXIT
ctl() { "$FPY_TOOL" sim ctl "$T/ctl" "$@" >"$T/ctl.out" 2>&1 || fail "ctl $*: $(cat "$T/ctl.out")"; }
W="--registry $R --sim-ctl $T/ctl --wait 2"
boot_log() { expect 0 "$FPY_TOOL" console --port "$T/tty" --sim-ctl "$T/ctl" --reset --seconds 1; }

expect 0 "$FPY_TOOL" register --port "$T/tty" $W --alias desk
expect 0 "$FPY_TOOL" vm create desk --registry "$R"
expect 0 "$FPY_TOOL" virtualize desk --port "$T/tty" $W
expect 0 "$FPY_TOOL" keys gen -o k.pem
expect 0 "$FPY_TOOL" keys gen -o other.pem
expect 0 "$FPY_TOOL" keys pub k.pem -o pub.pem

# 1. Refused before anything is burnt: no key, a public key.
expect 2 "$FPY_TOOL" protect desk --port "$T/tty" $W
has "\-\-key KEY.pem is required" "$T/err"
expect 1 "$FPY_TOOL" protect desk --port "$T/tty" $W --key pub.pem
has "is a public key" "$T/err"
ctl jumper on
ctl reset
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty" --json
has '"flash_encryption": false' "$T/out"

# 2. A power cut while protect writes the flash: the keys are burnt, the
#    encryption not yet on; protect again finishes with the same key.
ctl power-cut-after 40
expect 1 "$FPY_TOOL" protect desk --port "$T/tty" $W --key k.pem
ctl power on
expect 0 "$FPY_TOOL" protect desk --port "$T/tty" $W --key k.pem
has "fipy-[0-9a-f]* protected: secure boot on" "$T/out"
has "9 regions written and verified" "$T/err"
boot_log
has "^fipy boot: secure boot on, flash encryption on, signed images only, anti-rollback on" "$T/out"
has "^fipy vm: fipy-vm 1.0.0 (VM slot 0, ABI 1) running" "$T/out"
has "^fipy vm: no bytecode to run" "$T/out"

# 3. The eFuses as espefuse names them; protect again changes nothing.
ctl jumper on
ctl reset
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty" --json
has '"flash_encryption": true' "$T/out"
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty"
has "^Secure boot: *on" "$T/out"
has "^JTAG: *disabled" "$T/out"
has "^Download mode: *flash encryption disabled, flash decryption disabled, flash cache disabled" "$T/out"
expect 0 "$FPY_TOOL" flash info --port "$T/tty"
has "^Flash encryption: on" "$T/out"
cp "$F.efuse" efuse.before
expect 0 "$FPY_TOOL" protect desk --port "$T/tty" $W --key k.pem
has "is protected already" "$T/out"
cmp -s "$F.efuse" efuse.before || fail "protect of a protected board burnt something"

# 4. Ciphertext off the board: the flash file and the ROM loader's reads
#    hold none of the signed VM's bytes; plain writes are refused.
VM="$(dirname "$R")/devices/$(ls "$(dirname "$R")/devices")/vm.bin"
"$FPY_TOOL" sign --key k.pem "$VM" -o vm-signed.bin >/dev/null || fail "sign the VM"
python3 - "$F" vm-signed.bin <<'EOF' || fail "plaintext of the signed VM found in the flash file"
import sys
flash = open(sys.argv[1], 'rb').read()
vm = open(sys.argv[2], 'rb').read()
hits = [o for o in range(0, len(vm) - 32, 32) if flash.find(vm[o:o + 32]) >= 0 and vm[o:o + 32] != b'\xff' * 32]
sys.exit(1 if hits else 0)
EOF
ctl jumper on
ctl reset
expect 0 "$FPY_TOOL" flash read --port "$T/tty" 0x10000 0x20 head.bin
head -c 32 vm-signed.bin | cmp -s - head.bin && fail "the ROM loader read plaintext"
[ "$(wc -c <head.bin)" -eq 32 ] || fail "the ROM loader's read is not 32 bytes"
head -c 4096 /dev/zero >zero.bin
expect 1 "$FPY_TOOL" flash write --port "$T/tty" 0x300000 zero.bin
has "flash is encrypted" "$T/err"
cp "$F" flash.before
expect 1 "$FPY_TOOL" virtualize desk --port "$T/tty" $W
has "a plain virtualize would leave flash its firmware decrypts into noise" "$T/err"
cmp -s "$F" flash.before || fail "virtualize wrote to a protected board"
ctl jumper on
ctl reset
ctl jumper off
ctl reset

# 5. The board itself refuses bytecode that is unsigned, signed with
#    another key, or older than what it accepted; signed bytecode goes
#    through a full update (trial, accept) on the encrypted flash.
printf 'version two' >p2 && printf 'version one' >p1 && printf 'version 3' >p3
"$FPY_TOOL" bytecode build p2 --abi 1 --secver 2 -o b2.fbc >/dev/null
"$FPY_TOOL" bytecode build p1 --abi 1 --secver 1 -o b1.fbc >/dev/null
"$FPY_TOOL" bytecode build p3 --abi 1 --secver 3 -o b3.fbc >/dev/null
expect 1 "$FPY_TOOL" upload desk b2.fbc --port "$T/tty" $W
has "accepts only bytecode signed with its key" "$T/err"
expect 1 "$FPY_TOOL" upload desk b2.fbc --port "$T/tty" $W --key other.pem
has "the board refused it" "$T/err"
expect 0 "$FPY_TOOL" upload desk b2.fbc --port "$T/tty" $W --key k.pem
has "running and accepted" "$T/out"
expect 1 "$FPY_TOOL" upload desk b1.fbc --port "$T/tty" $W --key k.pem
has "anti-rollback" "$T/err"
boot_log
has "^fipy vm: bytecode slot 1 (0x290000), 139 bytes" "$T/out"
has "^fipy boot: test mode: no" "$T/out"

# 6. Everything is kept with the board: a restarted board boots the same.
sim_stop
sim_start
boot_log
has "^fipy boot: secure boot on, flash encryption on" "$T/out"
has "^fipy vm: bytecode slot 1 (0x290000), 139 bytes" "$T/out"
expect 0 "$FPY_TOOL" upload desk b3.fbc --port "$T/tty" $W --key k.pem
has "running and accepted" "$T/out"
finish
