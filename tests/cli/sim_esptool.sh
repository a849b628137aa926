#!/bin/sh
# Optional (skipped without esptool): esptool itself, unmodified, against
# the virtual FiPy.  esptool 5.3.1 and 4.8.1, with their stub and with
# --no-stub, over rfc2217:// with their default reset (the board's jumper
# is off: the DTR/RTS reset alone must bring up the ROM loader), write,
# verify and read back random data; the board's flash file and the read
# back must equal the data.  Then our flasher reads what esptool wrote.
# esptool is not a dependency of make test: FPY_ESPTOOL_PEERS names where
# ../shared/tools/peers.sh put it (default: that script's own, PEERS or
# $HOME/.cache/fipy-peers), and a
# python3 with pyserial runs it (FPY_PYTHON, default /usr/bin/python3).
. "$FPY_SRC/tests/cli/common.inc"
PEERS=${FPY_ESPTOOL_PEERS:-${PEERS:-$HOME/.cache/fipy-peers}}
PY=${FPY_PYTHON:-/usr/bin/python3}
if [ "${FPY_SANITIZED:-0}" = 1 ]; then
    # esptool is Python: under ASan only the board would be checked again,
    # and sim_flash.sh does that; the plain run covers esptool
    echo "skipped in the sanitized build (the plain build runs it)"
    exit 0
fi
if [ ! -f "$PEERS/esptool-v5.3.1/esptool.py" ] || [ ! -f "$PEERS/esptool-v4.8.1/esptool.py" ] ||
    ! "$PY" -c 'import serial, rich_click' 2>/dev/null; then
    echo "skipped: no esptool 5.3.1 and 4.8.1 in $PEERS, or no pyserial for $PY"
    exit 0
fi
cd "$T" || exit 1
F="$T/flash.bin"
"$FPY_TOOL" sim --flash "$F" --ctl "$T/ctl" --link "$T/tty" --tcp 0 --fast >"$T/sim.out" 2>"$T/sim.err" &
SIM=$!
trap 'kill -TERM $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! grep -q '^ctl: ' "$T/sim.out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/sim.out")
[ -n "$PORT" ] || { echo "FAIL: no TCP port: $(cat "$T/sim.err")"; exit 1; }
"$FPY_TOOL" sim ctl "$T/ctl" jumper off >/dev/null
esp() { # esp VERSION ARGS...: run that esptool against the board
    v=$1
    shift
    (cd "$PEERS/esptool-v$v" && timeout 120 "$PY" esptool.py --chip esp32 \
        --port "rfc2217://127.0.0.1:$PORT" "$@") >"$T/esp.out" 2>&1
}
region() { dd if="$F" bs=4096 skip=$(($1 / 4096)) count=$((($2 + 4095) / 4096)) 2>/dev/null | head -c "$2"; }
addr=$((0x300000))
for v in 5.3.1 4.8.1; do
    for stub in "" --no-stub; do
        what="esptool $v ${stub:-(stub)}"
        head -c 40000 /dev/urandom >data.bin
        if [ "$v" = 5.3.1 ]; then w=write-flash r=read-flash vf=verify-flash; else
            w=write_flash r=read_flash vf=verify_flash; fi
        esp "$v" $stub $w -z "$addr" "$T/data.bin" || fail "$what $w: $(tail -3 "$T/esp.out")"
        region "$addr" 40000 | cmp -s - "$T/data.bin" || fail "$what: the flash file differs after $w"
        esp "$v" $stub $vf "$addr" "$T/data.bin" || fail "$what $vf: $(tail -3 "$T/esp.out")"
        esp "$v" $stub $r "$addr" 40000 "$T/back.bin" || fail "$what $r: $(tail -3 "$T/esp.out")"
        cmp -s back.bin "$T/data.bin" || fail "$what: $r gave other bytes"
        addr=$((addr + 0x10000))
    done
done
# what esptool wrote last, read by our flasher over the same RFC 2217 port
expect 0 "$FPY_TOOL" flash read --port "rfc2217://127.0.0.1:$PORT" $((addr - 0x10000)) 40000 ours.bin
cmp -s ours.bin "$T/data.bin" || fail "fipytool flash read differs from what esptool wrote"
finish
