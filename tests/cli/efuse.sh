#!/bin/sh
# fipytool efuse summary on a virtual FiPy (issue 16): a fresh board's
# eFuses (its MAC with a valid CRC, nothing burnt), --json as JSON lines,
# then eFuses burnt in its FLASH.efuse file (espefuse's virtual file
# format: the register image's bytes reversed) shown after a restart, and
# flash info's security line; bad arguments are usage errors.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F="$T/flash.bin"
SIM=
start() {
    sim_start
    "$FPY_TOOL" sim ctl "$T/ctl" jumper on >/dev/null && "$FPY_TOOL" sim ctl "$T/ctl" reset >/dev/null ||
        fail "ctl"
}
stop() { sim_stop; }
trap 'stop; rm -rf "$T"' EXIT

# usage errors: nothing is opened
expect 2 "$FPY_TOOL" efuse
expect 2 "$FPY_TOOL" efuse burn JTAG_DISABLE
has "no command 'burn'" "$T/err"
expect 2 "$FPY_TOOL" efuse summary extra
expect 2 "$FPY_TOOL" efuse summary --bogus
expect 0 "$FPY_TOOL" efuse --help
has "efuse summary" "$T/out"

# a fresh board
start
[ -f "$F.efuse" ] || fail "no $F.efuse beside the flash"
[ "$(wc -c <"$F.efuse")" -eq 288 ] || fail "$F.efuse is not 288 bytes"
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty"
has "flash encryption off (FLASH_CRYPT_CNT 0x0), secure boot off, download mode unrestricted" "$T/out"
grep -q "^MAC  *BLOCK0 R/W  24:0a:c4:..:..:.. (CRC 0x.. OK)" "$T/out" || fail "MAC line: $(grep MAC "$T/out")"
has "^JTAG:  *enabled" "$T/out"
has "^Secure version:   0 " "$T/out"
mac=$(sed -n 's/^MAC  *BLOCK0 R\/W  \([0-9a-f:]*\) .*/\1/p' "$T/out")
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty" --json
python3 -m json.tool --json-lines "$T/out" >/dev/null || fail "--json is not JSON lines: $(head -c 300 "$T/out")"
tail -1 "$T/out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
s, f = o["security"], o["fields"]
assert s["flash_encryption"] is False and s["secure_version"] == 0, s
assert f["JTAG_DISABLE"]["value"] == "0x0" and f["JTAG_DISABLE"]["writable"] is True, f["JTAG_DISABLE"]
assert f["BLOCK1"]["readable"] is True
' || fail "--json fields of a fresh board"
stop

# burnt in the file (word i at bytes 284-4i..287-4i, big-endian there):
# FLASH_CRYPT_CNT 1, RD_DIS 0 (BLOCK1), WR_DIS 14; JTAG_DISABLE,
# DISABLE_DL_ENCRYPT; SECURE_VERSION 0x7
python3 - "$F.efuse" <<'PY' || fail "could not edit the eFuse file"
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
def orw(i, v):
    o = 288 - 4 * i - 4
    struct.pack_into(">I", b, o, struct.unpack_from(">I", b, o)[0] | v)
orw(0, (1 << 20) | (1 << 16) | (1 << 14))
orw(6, (1 << 6) | (1 << 7))
orw(0x38 // 4 + 3, 0x12345678)   # a key word in BLOCK1
orw(0x78 // 4 + 4, 0x7)          # BLOCK3 word 4: SECURE_VERSION
open(p, "wb").write(b)
PY
start
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty"
has "flash encryption on (FLASH_CRYPT_CNT 0x1), secure boot off, download mode no encrypt" "$T/out"
has "^JTAG:  *disabled (JTAG_DISABLE)" "$T/out"
has "^Secure version:   3 (SECURE_VERSION 0x00000007)" "$T/out"
has "^JTAG_DISABLE  *BLOCK0 R/-  0x1" "$T/out"
has "^BLOCK1  *BLOCK1 -/W  ????????" "$T/out"
grep -q "12345678\|78563412" "$T/out" && fail "a read-protected key is shown"
grep -q "^MAC .* $mac (CRC" "$T/out" || fail "the MAC changed: $(grep '^MAC ' "$T/out")"
expect 0 "$FPY_TOOL" efuse summary --port "$T/tty" --json
tail -1 "$T/out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
s, f = o["security"], o["fields"]
assert s["flash_encryption"] is True and s["flash_crypt_cnt"] == 1, s
assert s["jtag_disabled"] is True and s["download_encrypt_disabled"] is True, s
assert s["download_decrypt_disabled"] is False and s["secure_version"] == 3, s
assert f["BLOCK1"]["readable"] is False and f["BLOCK1"]["value"] == "??" * 32, f["BLOCK1"]
assert f["JTAG_DISABLE"]["writable"] is False
' || fail "--json after the burns"
expect 0 "$FPY_TOOL" flash info --port "$T/tty"
has "^Security:  *flash encryption on (FLASH_CRYPT_CNT 0x1), secure boot off, download mode no encrypt" "$T/out"
stop

# a damaged eFuse file: the board refuses to start, the file is kept
head -c 100 "$F.efuse" >"$T/cut" && cp "$T/cut" "$F.efuse"
expect 1 "$FPY_TOOL" sim --flash "$F" --link "$T/tty2" --ctl "$T/ctl2" --fast
has "flash.bin.efuse: 100 bytes" "$T/err"
[ "$(wc -c <"$F.efuse")" -eq 100 ] || fail "the damaged eFuse file was replaced"
finish
