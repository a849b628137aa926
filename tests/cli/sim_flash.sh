#!/bin/sh
# Issue 14, end to end: a virtual FiPy ('fipytool sim', on a pty and on
# TCP with RFC 2217) and our flasher ('fipytool flash').  Info, then
# write/verify/read of random data at several offsets and sizes,
# compressed and not, with the flash file compared byte for byte; the same
# with dropped, corrupted and stalled bytes; a power cut in the middle of
# a write, then the same command resumes; the jumper missing (a clear
# message, nothing written).  The link model is off (--fast) to keep the
# suite quick; the benchmark runs it on (bench/flash_bench.sh).
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F="$T/flash.bin"
"$FPY_TOOL" sim --flash "$F" --link "$T/tty" --ctl "$T/ctl" --tcp 0 --fast >"$T/sim.out" 2>"$T/sim.err" &
SIM=$!
trap 'kill -TERM $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! grep -q '^ctl: ' "$T/sim.out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$T/tty" ] || { echo "FAIL: the board did not start: $(cat "$T/sim.err")"; exit 1; }
TCP=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/sim.out")
ctl() { "$FPY_TOOL" sim ctl "$T/ctl" "$@" >"$T/ctl.out" 2>&1 || fail "ctl $*: $(cat "$T/ctl.out")"; }
flash() { expect "$1" "$FPY_TOOL" flash "$2" --port "$T/tty" --wait 1 "$@"; }
region() { # region ADDR LEN: bytes of the flash file
    dd if="$F" bs=4096 skip=$(($1 / 4096)) count=$((($2 + 4095) / 4096)) 2>/dev/null | head -c "$2"
}
same() { # same ADDR FILE: the flash file holds FILE at ADDR
    region "$1" "$(wc -c <"$2")" | cmp -s - "$2" || fail "flash file at $1 differs from $2"
}

# 1. Without the jumper the board boots (here: nothing to boot) and the
#    flasher says what to do, and writes nothing.
ctl jumper off
ctl reset
head -c 8192 /dev/urandom >small.bin
md5sum "$F" >before.md5
expect 1 "$FPY_TOOL" flash write 0x200000 small.bin --port "$T/tty" --wait 1
has "put a jumper between G23 and GND and press reset" "$T/err"
md5sum -c --status before.md5 || fail "the flash file changed without the jumper"

# 2. With the jumper: info shows the FiPy's chip, flash and MAC.
ctl jumper on
ctl reset
expect 0 "$FPY_TOOL" flash info --port "$T/tty"
has "ESP32-D0WDQ6" "$T/out"
has "size 8MB" "$T/out"
grep -q "MAC: *24:0a:c4:" "$T/out" || fail "no Espressif MAC in: $(cat "$T/out")"

# 3. Write, verify and read back at several offsets and sizes.
head -c 200000 /dev/urandom >a.bin
head -c 5000 /dev/urandom >b.bin
head -c 4096 /dev/urandom >end.bin
head -c 65536 /dev/zero | tr '\0' 'A' >text.bin
expect 0 "$FPY_TOOL" flash write --port "$T/tty" 0x200000 a.bin 0x300000 b.bin 0x7FF000 end.bin 0x400000 text.bin
for x in "0x200000 a.bin" "0x300000 b.bin" "0x7FF000 end.bin" "0x400000 text.bin"; do
    set -- $x
    same "$1" "$2"
done
head -c 70000 /dev/urandom >plain.bin
expect 0 "$FPY_TOOL" flash write --port "$T/tty" --no-compress 0x500000 plain.bin
same 0x500000 plain.bin
# the same again: nothing to write
expect 0 "$FPY_TOOL" flash write --port "$T/tty" 0x200000 a.bin 0x500000 plain.bin
has " 0 sector(s) written" "$T/err"
expect 0 "$FPY_TOOL" flash verify --port "$T/tty" 0x200000 a.bin 0x300000 b.bin
expect 0 "$FPY_TOOL" flash read --port "$T/tty" 0x300000 5000 back.bin
cmp -s back.bin b.bin || fail "read back differs from b.bin"
cp a.bin a2.bin
printf 'Z' | dd of=a2.bin bs=1 seek=123456 conv=notrunc 2>/dev/null
expect 1 "$FPY_TOOL" flash verify --port "$T/tty" 0x200000 a2.bin
has "0x21e000" "$T/err"

# 4. A bad link: dropped, corrupted and stalled bytes; the write still
#    lands, with retries (block resends, shrinking pieces; docs/flasher.md
#    "A noisy link").  Rates: 1 byte in 20 000 lost towards the board
#    (a 1 KiB block in 20), 1 bit in 700 flipped in replies (most connects
#    see one), 1 in 5 000 towards the board (a block in 5 fails its
#    checksum), a 300 ms stall every 4 000 bytes.
for fault in "drop to-board rate 20000" "corrupt from-board rate 700" "corrupt to-board rate 5000" \
    "stall from-board rate 4000 for 300"; do
    ctl link $fault
    head -c 100000 /dev/urandom >f.bin
    expect 0 "$FPY_TOOL" flash write --port "$T/tty" 0x600000 f.bin
    [ "$got" = 0 ] || fail "link $fault: $(tail -2 "$T/err")"
    same 0x600000 f.bin
    ctl link clear
done

# 5. A power cut in the middle of a write: the command fails saying what
#    is done; after power on, the same command finishes without rewriting
#    what already verified.
head -c 400000 /dev/urandom >big.bin
# 300 flash operations: the piece's up-front erase (98 sectors), then
# about 200 block programs (some 200 KB) before the cut
ctl power-cut-after 300
expect 1 "$FPY_TOOL" flash write --port "$T/tty" 0x100000 big.bin
ctl power on
ctl jumper on
ctl reset
expect 0 "$FPY_TOOL" flash write --port "$T/tty" 0x100000 big.bin
same 0x100000 big.bin
skipped=$(sed -n 's/.* \([0-9]*\) unchanged (skipped).*/\1/p' "$T/err")
[ "${skipped:-0}" -gt 0 ] || fail "the resumed write skipped nothing: $(tail -1 "$T/out")"

# 6. Over RFC 2217, from a board that is not in download mode: the
#    flasher's DTR/RTS reset gets it there (the jumper is off).
ctl jumper off
ctl reset
head -c 40000 /dev/urandom >r.bin
expect 0 "$FPY_TOOL" flash write --port "rfc2217://127.0.0.1:$TCP" 0x700000 r.bin
same 0x700000 r.bin
finish
