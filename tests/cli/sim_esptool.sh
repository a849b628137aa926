#!/bin/sh
# Optional: esptool 5.3.1 (with pyserial 3.5) against 'fipytool sim --tcp'
# over rfc2217://, to check the RFC 2217 negotiation and that esptool's
# default reset reaches the board as DTR/RTS changes (docs/sim.md).
# Skipped when esptool or pyserial is not there.  It does not require the
# connection to succeed: that is the board's part, checked elsewhere.
. "$FPY_SRC/tests/cli/common.inc"
ESPTOOL_DIR=${FPY_ESPTOOL_DIR:-/root/.cache/fipy-peers/esptool-v5.3.1}
PY=${FPY_PYTHON:-/usr/bin/python3}
if [ ! -f "$ESPTOOL_DIR/esptool.py" ] || ! "$PY" -c 'import serial, rich_click' 2>/dev/null; then
    echo "skipped: no esptool at $ESPTOOL_DIR or no pyserial for $PY"
    exit 0
fi
cd "$T" || exit 1
"$FPY_TOOL" sim --flash "$T/f.bin" --ctl "$T/c.ctl" --tcp 0 -v >"$T/sim.out" 2>"$T/sim.err" &
pid=$!
i=0
while ! grep -q '^ctl: ' "$T/sim.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/sim.out")
[ -n "$port" ] || fail "no TCP port in the banner: $(cat "$T/sim.err")"
(cd "$ESPTOOL_DIR" && timeout 60 "$PY" esptool.py --chip esp32 --port "rfc2217://localhost:$port" \
    --connect-attempts 1 flash-id) >"$T/esp.out" 2>&1
grep -q "Connecting" "$T/esp.out" || fail "esptool did not get to Connecting: $(tail -3 "$T/esp.out")"
for bad in "does not seem to support RFC2217" "does not accept parameter change" \
    "port is busy" "remote rejected value" "timeout while waiting for option"; do
    grep -q "$bad" "$T/esp.out" && fail "esptool: $bad"
done
# ClassicReset: EN low (DTR=0 RTS=1), then IO0 low (DTR=1 RTS=0), then released
has "DTR=0 RTS=1" "$T/sim.err"
has "DTR=1 RTS=0" "$T/sim.err"
has "tcp port $port: 115200 baud" "$T/sim.err"
kill -TERM $pid
wait $pid
finish
