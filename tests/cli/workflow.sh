#!/bin/sh
# Issue 15, end to end on the virtual FiPy: the page's workflow
# (register -> vm create -> virtualize -> upload) over the pty and over
# RFC 2217, with the registry surviving restarts, and every error the
# issue lists: device not registered, wrong target, image too big for its
# slot, bytecode for another VM ABI, board not in download mode, board not
# answering the uplink, port busy, registry unreadable.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F="$T/flash.bin"
R="$T/data/registry.db"
"$FPY_TOOL" sim --flash "$F" --link "$T/tty" --ctl "$T/ctl" --tcp 0 --fast >"$T/sim.out" 2>"$T/sim.err" &
SIM=$!
SIM2=
trap 'kill -TERM $SIM $SIM2 2>/dev/null; wait $SIM $SIM2 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! grep -q '^ctl: ' "$T/sim.out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$T/tty" ] || { echo "FAIL: the board did not start: $(cat "$T/sim.err")"; exit 1; }
TCP=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/sim.out")
ctl() { "$FPY_TOOL" sim ctl "$T/ctl" "$@" >"$T/ctl.out" 2>&1 || fail "ctl $*: $(cat "$T/ctl.out")"; }
W="--registry $R --sim-ctl $T/ctl --wait 1"
region() { # region ADDR LEN: bytes of the flash file
    dd if="$F" bs=4096 skip=$(($1 / 4096)) count=$((($2 + 4095) / 4096)) 2>/dev/null | head -c "$2"
}
same() { # same ADDR FILE: the flash file holds FILE at ADDR
    region "$1" "$(wc -c <"$2")" | cmp -s - "$2" || fail "flash file at $1 differs from $2"
}

# 1. A registry that cannot be used is said so, and nothing is touched.
expect 1 "$FPY_TOOL" register --port "$T/tty" --registry "$T"
has "registry unreadable" "$T/err"
printf 'not a database, just text\n%.0s' 1 2 3 4 5 6 7 8 >"$T/junk.db"
cp "$T/junk.db" "$T/junk.orig"
expect 1 "$FPY_TOOL" device list --registry "$T/junk.db"
expect 1 "$FPY_TOOL" vm create anything --registry "$T/junk.db"
has "registry unreadable" "$T/err"
cmp -s "$T/junk.db" "$T/junk.orig" || fail "a damaged registry was changed"

# 2. Board not in download mode: no jumper, no control socket found (a
#    board as a person has it): the flasher asks and gives up.
ctl jumper off
ctl reset
expect 1 "$FPY_TOOL" register --port "$T/tty" --registry "$R" --wait 1
has "put a jumper between G23 and GND and press reset" "$T/err"

# 3. Register over the pty: the virtual board's jumper and reset through
#    its control socket; the identity; the provisioning NVS.
expect 0 "$FPY_TOOL" register --port "$T/tty" $W --alias desk
has "^registered fipy-240ac4[0-9a-f]\{6\}: ESP32-D0WDQ6 (revision v1.0)" "$T/out"
has "flash ef/4017 (8 MB), alias desk" "$T/out"
has "jumper G23-GND on and press reset" "$T/err"
ID=$(sed -n 's/^registered \(fipy-[0-9a-f]*\):.*/\1/p' "$T/out")
NVS=$(sed -n 's/^provisioning NVS: //p' "$T/out")
expect 0 "$FPY_TOOL" nvs dump "$NVS"
has "device_id *string \"$ID\"" "$T/out"
has "layout *string \"nonble\"" "$T/out"
# port busy: another process holds the port
P=$(readlink "$T/tty")
flock -x "$P" sleep 1 &
HOLD=$!
sleep 0.3
expect 1 "$FPY_TOOL" register --port "$T/tty" $W
has "in use by process" "$T/err"
wait $HOLD

# 4. vm create: the default VM; a VM too big for its slot; not a VM.
expect 1 "$FPY_TOOL" vm create nosuch --registry "$R"
has "device not registered: nosuch" "$T/err"
"$FPY_TOOL" image mkelf -o big.elf --irom-size 0x180000 >/dev/null
"$FPY_TOOL" image elf2image big.elf -o big.bin --flash-mode dio --flash-size 8MB >/dev/null
expect 1 "$FPY_TOOL" vm create desk --registry "$R" --vm-image big.bin
has "image too big for its slot: big.bin is [0-9]* bytes; VM slot ota_0 of the nonble layout holds 1048576" "$T/err"
expect 1 "$FPY_TOOL" vm create desk --registry "$R" --vm-image big.elf
has "is not a VM the board would boot" "$T/err"
expect 1 "$FPY_TOOL" virtualize desk --port "$T/tty" $W
has "no VM created for $ID" "$T/err"
expect 0 "$FPY_TOOL" vm create desk --registry "$R"
has "VM for $ID: fipy-vm 1.0.0 (ABI 1)" "$T/out"

# 5. Virtualize over the pty: every region in the flash file, then the
#    board boots the VM (its console after the reset).
expect 1 "$FPY_TOOL" virtualize nosuch --port "$T/tty" $W
has "device not registered: nosuch" "$T/err"
# a power cut in the middle of virtualizing: the ROM loader is in mask
# ROM, so the board can always be put in download mode again, and the same
# command again finishes the job (it skips what was written)
ctl power-cut-after 100
expect 1 "$FPY_TOOL" virtualize desk --port "$T/tty" $W
ctl power on
expect 0 "$FPY_TOOL" virtualize desk --port "$T/tty" $W
has "6 regions written and verified: [0-9]* sector(s) written, [1-9][0-9]* unchanged" "$T/err"
has "remove the jumper G23-GND and press reset" "$T/err"
same 0x10000 "$(dirname "$R")/devices/$ID/vm.bin"
"$FPY_TOOL" partition gen --layout nonble -o table.bin >/dev/null
same 0x8000 table.bin
same 0x9000 "$NVS"
expect 0 "$FPY_TOOL" console --port "$T/tty" --sim-ctl "$T/ctl" --reset --seconds 1
has "^fipy vm: fipy-vm 1.0.0 (VM slot 0, ABI 1) running" "$T/out"
has "^load:0x40078000" "$T/out"
expect 0 "$FPY_TOOL" device show desk --registry "$R"
has "virtualize" "$T/out"

# 6. Upload a project without the jumper over the pty: the VM answers in
#    its window after the reset, writes the idle bytecode slot and
#    restarts into it; the upload accepts it.  Again: nothing to send.
expect 0 "$FPY_TOOL" project new hello
expect 0 "$FPY_TOOL" upload desk hello --port "$T/tty" $W
has "^hello uploaded to $ID: [0-9]* bytes into bytecode slot 1 (0x290000)" "$T/out"
cp "$T/out" "$T/st0"
has "running and accepted" "$T/out"
expect 0 "$FPY_TOOL" console --port "$T/tty" --sim-ctl "$T/ctl" --reset --seconds 1
has "^fipy boot: VM slot 0 (0x010000), bytecode slot 1 (0x290000)$" "$T/out"
has "^fipy boot: test mode: no, rollback: no" "$T/out"
has "^fipy vm: bytecode slot 1 (0x290000)" "$T/out"
HSIZE=$(sed -n 's/^hello uploaded to [^:]*: \([0-9]*\) bytes.*/\1/p' "$T/st0")
"$FPY_TOOL" sim ctl "$T/ctl" status >"$T/st" 2>&1
has "bc_slot=1 test_mode=0 reset_reason=0 uplink=[a-z]* bc_size=$HSIZE " "$T/st"
expect 0 "$FPY_TOOL" upload desk hello --port "$T/tty" $W
has "already runs hello (bytecode slot 1): nothing sent" "$T/out"
# the errors: another ABI, too big, a project for another target, the
# board in download mode (the jumper left on), nothing answering
printf 'x' >p
"$FPY_TOOL" bytecode build p --abi 2 -o abi2.fbc >/dev/null
expect 1 "$FPY_TOOL" upload desk abi2.fbc --port "$T/tty" $W
has "bytecode for another VM ABI: abi2.fbc needs ABI 2; the VM of $ID (1.0.0) has ABI 1" "$T/err"
head -c 600000 /dev/urandom >bigp
"$FPY_TOOL" bytecode build bigp --abi 1 -o big.fbc >/dev/null
expect 1 "$FPY_TOOL" upload desk big.fbc --port "$T/tty" $W
has "image too big for its slot: big.fbc is 600128 bytes; a bytecode slot of the nonble layout holds 524288" "$T/err"
cp -r hello other
sed -i 's/^target:.*/target: esp32_devkitc/' other/project.yml
expect 1 "$FPY_TOOL" upload desk other --port "$T/tty" $W
has "pycom_fipy_v1" "$T/err"
"$FPY_TOOL" bytecode build p --abi 1 -o p1.fbc >/dev/null
ctl jumper on
expect 1 "$FPY_TOOL" upload desk p1.fbc --port "$T/tty" $W
has "it is in download mode. Remove the G23-GND jumper" "$T/err"
ctl jumper off
# a cut upload leaves the old program running: power cut after 3 flash
# operations of the upload (erasing the idle slot)
ctl power-cut-after 3
expect 1 "$FPY_TOOL" upload desk p1.fbc --port "$T/tty" $W --wait 2
ctl power on
expect 0 "$FPY_TOOL" console --port "$T/tty" --sim-ctl "$T/ctl" --reset --seconds 1
has "^fipy vm: bytecode slot 1 (0x290000)" "$T/out"
has "^fipy boot: test mode: no" "$T/out"
# a noisy line: 1 byte in 3000 corrupted both ways; blocks are resent
# and the board runs exactly the image (its size and SHA-256 prefix)
head -c 100000 /dev/urandom >rp
"$FPY_TOOL" bytecode build rp --abi 1 -o rp.fbc >/dev/null
ctl link corrupt both rate 3000 seed 7
expect 0 "$FPY_TOOL" upload desk rp.fbc --port "$T/tty" $W
ctl link clear
has "rp.fbc uploaded to $ID: 100128 bytes into bytecode slot 0 (0x210000), 98 blocks, [1-9][0-9]* resent" "$T/out"
SHA=$(tail -c +129 rp.fbc | sha256sum | cut -c1-16) # the payload's: what the boot verified
expect 0 "$FPY_TOOL" console --port "$T/tty" --sim-ctl "$T/ctl" --reset --seconds 1
has "^fipy vm: bytecode slot 0 (0x210000), 100128 bytes, payload SHA-256 $SHA" "$T/out"
# and over RFC 2217 the RTS line is the reset button
expect 0 "$FPY_TOOL" upload desk p1.fbc --port "rfc2217://localhost:$TCP" --registry "$R" --wait 2
has "^p1.fbc uploaded to $ID: 129 bytes into bytecode slot 1 (0x290000)" "$T/out"

# 7. The registry survives a restart of everything: a second board (its
#    own flash file, so another MAC) is a second device; virtualizing the
#    first device's VM onto it is refused.
"$FPY_TOOL" sim --flash "$T/other.bin" --link "$T/tty2" --ctl "$T/ctl2" --fast >"$T/sim2.out" 2>&1 &
SIM2=$!
i=0
while ! grep -q '^ctl: ' "$T/sim2.out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
expect 1 "$FPY_TOOL" virtualize desk --port "$T/tty2" --registry "$R" --sim-ctl "$T/ctl2"
has "the board on $T/tty2 is fipy-[0-9a-f]*, not $ID; nothing written" "$T/err"
expect 0 "$FPY_TOOL" register --port "$T/tty2" --registry "$R" --sim-ctl "$T/ctl2" --alias bench
cp "$T/out" "$T/reg2"
expect 0 "$FPY_TOOL" device list --registry "$R"
has "desk" "$T/out"
has "bench" "$T/out"
# forget takes the device's files beside the registry with it
BDIR="$(dirname "$R")/devices/$(sed -n 's/^registered \(fipy-[0-9a-f]*\):.*/\1/p' "$T/reg2")"
[ -f "$BDIR/provision-nvs.bin" ] || fail "no provisioning NVS in $BDIR"

# a board that was never virtualized does not answer the uplink (its
# jumper off: it halts, nothing to boot)
expect 0 "$FPY_TOOL" vm create bench --registry "$R"
"$FPY_TOOL" sim ctl "$T/ctl2" jumper off >/dev/null || fail "ctl2 jumper off"
expect 1 "$FPY_TOOL" upload bench p1.fbc --port "$T/tty2" --registry "$R" --sim-ctl "$T/ctl2" --wait 1
has "no answer in the uplink window (1000 ms of SYNC): is fipy.s VM on the board (virtualized)" "$T/err"
[ -f "$BDIR/vm.bin" ] || fail "no VM in $BDIR"
expect 0 "$FPY_TOOL" device forget bench --yes --registry "$R"
[ ! -e "$BDIR" ] || fail "$BDIR left behind by forget: $(ls "$BDIR")"
expect 1 "$FPY_TOOL" upload bench p1.fbc --port "$T/tty2" --registry "$R"
has "device not registered: bench" "$T/err"

# 8. Over RFC 2217 the reset lines do what the jumper did: no control
#    socket is used.
expect 0 "$FPY_TOOL" register --port "rfc2217://localhost:$TCP" --registry "$R" --sim-ctl /nonexistent
has "^registered again $ID" "$T/out"
# the board was running its VM: the same reset takes it to download mode
# for virtualize (the sectors the boots and uploads changed since are
# written again: the record, otadata), and the hard reset after it boots
# the VM
expect 0 "$FPY_TOOL" virtualize desk --port "rfc2217://localhost:$TCP" --registry "$R" --sim-ctl "$T/ctl"
has "6 regions written and verified: [0-9] sector(s) written, [1-9][0-9] unchanged" "$T/err"
sleep 0.5
"$FPY_TOOL" sim ctl "$T/ctl" status >"$T/st" 2>&1
has "mode=running" "$T/st"

finish
