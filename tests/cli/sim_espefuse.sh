#!/bin/sh
# Optional (skipped without espefuse): espefuse itself against the virtual
# FiPy's eFuse controller over RFC 2217 (summary, a burn of a harmless
# field, its write protection), then the board's FLASH.efuse read by
# `espefuse --virt`: the same MAC and CRC, the burnt bit, the protection.
# esptool 4.8.1's espefuse runs with a python3 that has pyserial,
# bitstring, ecdsa and rich_click (FPY_PYTHON, default /usr/bin/python3);
# 5.3.1's too when its rich_click is new enough.  espefuse imports
# reedsolo for chips other than the ESP32 (ESP32 blocks use no Reed-
# Solomon code): when it is missing, a stand-in module that refuses to
# work is put on PYTHONPATH so the ESP32 path can load.
. "$FPY_SRC/tests/cli/common.inc"
PEERS=${FPY_ESPTOOL_PEERS:-${PEERS:-$HOME/.cache/fipy-peers}}
PY=${FPY_PYTHON:-/usr/bin/python3}
if [ "${FPY_SANITIZED:-0}" = 1 ]; then
    echo "skipped in the sanitized build (the plain build runs it)"
    exit 0
fi
if [ ! -f "$PEERS/esptool-v4.8.1/espefuse.py" ] ||
    ! "$PY" -c 'import serial, bitstring, ecdsa, rich_click, yaml' 2>/dev/null; then
    echo "skipped: no esptool 4.8.1 in $PEERS, or no pyserial/bitstring/ecdsa/rich_click/yaml for $PY"
    exit 0
fi
cd "$T" || exit 1
if ! "$PY" -c 'import reedsolo' 2>/dev/null; then
    mkdir -p "$T/pystub"
    printf 'class RSCodec:\n    def __init__(self, *a, **k):\n        raise RuntimeError("reedsolo stand-in: not for the ESP32")\n' >"$T/pystub/reedsolo.py"
    PYTHONPATH="$T/pystub${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONPATH
fi
F="$T/flash.bin"
"$FPY_TOOL" sim --flash "$F" --ctl "$T/ctl" --link "$T/tty" --tcp 0 --fast >"$T/sim.out" 2>"$T/sim.err" &
SIM=$!
trap 'kill -TERM $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
i=0
while ! grep -q '^ctl: ' "$T/sim.out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/sim.out")
[ -n "$PORT" ] || { echo "FAIL: no TCP port: $(cat "$T/sim.err")"; exit 1; }
"$FPY_TOOL" sim ctl "$T/ctl" jumper off >/dev/null
efuse() { # efuse ARGS...: espefuse 4.8.1, output in $T/esp.out
    (cd "$PEERS/esptool-v4.8.1" && timeout 120 "$PY" espefuse.py --chip esp32 "$@") >"$T/esp.out" 2>&1
}
port="rfc2217://127.0.0.1:$PORT"
efuse --port "$port" summary || fail "espefuse summary: $(tail -3 "$T/esp.out")"
grep -q "= 24:0a:c4:..:..:.. (CRC 0x.. OK)" "$T/esp.out" || fail "espefuse: MAC or CRC: $(grep -A1 '^MAC ' "$T/esp.out")"
mac=$(sed -n 's/.*= \(24:0a:c4:..:..:..\) (CRC.*/\1/p' "$T/esp.out")
efuse --port "$port" --do-not-confirm burn_efuse JTAG_DISABLE 1 || fail "espefuse burn_efuse: $(tail -3 "$T/esp.out")"
efuse --port "$port" --do-not-confirm write_protect_efuse JTAG_DISABLE ||
    fail "espefuse write_protect_efuse: $(tail -3 "$T/esp.out")"
efuse --port "$port" summary || fail "espefuse summary after the burn: $(tail -3 "$T/esp.out")"
grep -q "^JTAG_DISABLE .*= True R/- (0b1)" "$T/esp.out" || fail "espefuse: JTAG_DISABLE: $(grep JTAG "$T/esp.out")"
# our summary agrees
"$FPY_TOOL" sim ctl "$T/ctl" jumper on >/dev/null && "$FPY_TOOL" sim ctl "$T/ctl" reset >/dev/null
expect 0 "$FPY_TOOL" efuse summary --port "rfc2217://127.0.0.1:$PORT"
has "^JTAG_DISABLE  *BLOCK0 R/-  0x1" "$T/out"
has "^WR_DIS  *BLOCK0 R/W  0x4000" "$T/out"
# the file, read by espefuse's emulator
efuse --virt --path-efuse-file "$F.efuse" summary || fail "espefuse --virt: $(tail -3 "$T/esp.out")"
grep -q "= $mac (CRC 0x.. OK)" "$T/esp.out" || fail "espefuse --virt: MAC: $(grep -A1 '^MAC ' "$T/esp.out")"
grep -q "^JTAG_DISABLE .*= True R/- (0b1)" "$T/esp.out" || fail "espefuse --virt: JTAG_DISABLE"
grep -q "^WR_DIS .*(0x4000)" "$T/esp.out" || fail "espefuse --virt: WR_DIS"
finish
