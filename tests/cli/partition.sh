#!/bin/sh
# fipytool partition: gen, dump, from-csv, to-csv, end to end.
# Needs FPY_TOOL (the fipytool binary); exits non-zero on the first failure.
set -u
T=${FPY_TOOL:?FPY_TOOL must name the fipytool binary}
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT INT TERM
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# run EXPECTED_STATUS CMD...: output in $W/out, errors in $W/err.
run() {
    want=$1; shift
    "$@" >"$W/out" 2>"$W/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, want $want: $* ($(head -n 3 "$W/err"))"
}
# has FILE TEXT: FILE contains TEXT (fixed string).
has() { grep -F -q -- "$2" "$1" || fail "$1 lacks '$2': $(head -n 3 "$1")"; }
size_is() { [ "$(wc -c <"$1" | tr -d ' ')" -eq "$2" ] || fail "$1 is not $2 bytes"; }
# poke FILE OFFSET OCTAL-BYTES: overwrite bytes in place.
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
hexdump16() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# ---- both FiPy layouts: gen -> dump -> to-csv -> from-csv -> same bytes ----
for l in nonble ble; do
    run 0 "$T" partition gen --layout "$l" -o "$W/$l.bin"
    size_is "$W/$l.bin" 3072
    run 0 "$T" partition dump "$W/$l.bin"
    has "$W/out" "11 partitions"
    has "$W/out" "MD5: ok"
    has "$W/out" "codemem_1"
    run 0 "$T" partition to-csv "$W/$l.bin" -o "$W/$l.csv"
    run 0 "$T" partition from-csv "$W/$l.csv" -o "$W/$l.again.bin"
    cmp -s "$W/$l.bin" "$W/$l.again.bin" || fail "$l: CSV round trip changed the bytes"
    run 0 "$T" partition gen --layout "$l" -o -
    cmp -s "$W/out" "$W/$l.bin" || fail "$l: gen -o - differs from gen -o FILE"
done

# The non-BLE CSV, exactly as gen_esp32part.py prints it.
cat >"$W/nonble.want" <<'EOF'
# ESP-IDF Partition Table
# Name, Type, SubType, Offset, Size, Flags
nvs,data,nvs,0x9000,16K,
otadata,data,ota,0xd000,8K,
phy_init,data,phy,0xf000,4K,
ota_0,app,ota_0,0x10000,1M,
ota_1,app,ota_1,0x110000,1M,
codemem_0,data,64,0x210000,512K,
codemem_1,data,64,0x290000,512K,
storage,data,66,0x310000,512K,
vmstore_0,data,65,0x390000,4K,
vmstore_1,data,65,0x391000,4K,
storage2,data,66,0x392000,4M,
EOF
cmp -s "$W/nonble.csv" "$W/nonble.want" || fail "nonble to-csv output differs"
run 0 "$T" partition to-csv "$W/ble.bin"
has "$W/out" "ota_1,app,ota_1,0x140000,1216K,"
has "$W/out" "codemem_1,data,64,0x2c0000,320K,"

# ---- dump --json -----------------------------------------------------------
run 0 "$T" partition dump "$W/ble.bin" --json
has "$W/out" '"count": 11'
has "$W/out" '"present": true'
has "$W/out" '"label": "codemem_0"'
has "$W/out" '"subtype_name": "fipy:bytecode"'
has "$W/out" '"subtype_name": "fipy:vmstore"'
has "$W/out" '"offset_hex": "0x392000"'
has "$W/out" '"size_hex": "0x130000"'
has "$W/out" '"errors": 0'
has "$W/out" '"warnings": 0'

# ---- the worked example of the fact sheet, byte for byte -----------------
cat >"$W/ex.csv" <<'EOF'
nvs,data,nvs,0x9000,0x4000,
otadata,data,ota,0xd000,0x2000,
phy_init,data,phy,0xf000,0x1000,
ota_0,app,ota_0,0x10000,1M,
ota_1,app,ota_1,0x110000,1M,
EOF
run 0 "$T" partition from-csv "$W/ex.csv" -o "$W/ex.bin"
size_is "$W/ex.bin" 3072
head -c 192 "$W/ex.bin" >"$W/ex.head"
[ "$(hexdump16 "$W/ex.head" | cut -c1-32)" = "aa50010200900000004000006e767300" ] ||
    fail "worked example: first entry is $(hexdump16 "$W/ex.head" | cut -c1-32)"
[ "$(hexdump16 "$W/ex.head" | cut -c321-384)" = \
  "ebebffffffffffffffffffffffffffffb0ecdc2f5ad6b35f066fb60bf4b54c84" ] ||
    fail "worked example: MD5 entry is $(hexdump16 "$W/ex.head" | cut -c321-384)"
run 0 "$T" partition dump "$W/ex.bin" --json
has "$W/out" '"value": "b0ecdc2f5ad6b35f066fb60bf4b54c84"'

# A whole 4 KiB sector with the last 1 KiB erased is accepted too.
cp "$W/ex.bin" "$W/sector.bin"
head -c 1024 /dev/zero | tr '\000' '\377' >>"$W/sector.bin"
run 0 "$T" partition to-csv "$W/sector.bin"
has "$W/out" "ota_1,app,ota_1,0x110000,1M,"

# ---- bad tables: exit 1 and a message naming the problem ------------------
cp "$W/ex.bin" "$W/md5.bin"; poke "$W/md5.bin" 72 '\001'
run 1 "$T" partition dump "$W/md5.bin"
has "$W/err" "MD5"
has "$W/err" "offset 0xb0"

cp "$W/ex.bin" "$W/magic.bin"; poke "$W/magic.bin" 96 '\022\064'
run 1 "$T" partition dump "$W/magic.bin" --json
has "$W/err" "bad magic"
has "$W/err" "item 3"
has "$W/err" "offset 0x60"
[ -s "$W/out" ] && fail "no JSON should be printed for an undecodable table"

head -c 144 "$W/ex.bin" >"$W/short.bin"
run 1 "$T" partition to-csv "$W/short.bin"
has "$W/err" "ends before the end-of-table marker"

cp "$W/ex.bin" "$W/long.bin"; head -c 32 /dev/zero >>"$W/long.bin"
run 1 "$T" partition dump "$W/long.bin"
has "$W/err" "0xc00"

cp "$W/ex.bin" "$W/sig.bin"; head -c 1024 /dev/zero >>"$W/sig.bin"
run 1 "$T" partition dump "$W/sig.bin"
has "$W/err" "must be erased"

run 1 "$T" partition dump "$W/no-such-file.bin"
has "$W/err" "no-such-file.bin"

# ota_1 moved into ota_0 (no MD5 entry to update): decoded, then refused.
run 0 "$T" partition from-csv "$W/ex.csv" -o "$W/overlap.bin" --no-md5
poke "$W/overlap.bin" 134 '\020'
run 1 "$T" partition dump "$W/overlap.bin"
has "$W/err" "overlaps"
has "$W/err" "item 4"
has "$W/err" "see entry 3 'ota_0'"
run 1 "$T" partition to-csv "$W/overlap.bin"
run 0 "$T" partition to-csv "$W/overlap.bin" --no-verify
has "$W/out" "ota_1,app,ota_1,0x100000,1M,"
cp "$W/ex.bin" "$W/md5b.bin"; poke "$W/md5b.bin" 134 '\020'
run 1 "$T" partition to-csv "$W/md5b.bin" --no-verify
has "$W/err" "MD5 entry holds b0ecdc2f5ad6b35f066fb60bf4b54c84"
printf 'nvs,data,nvs,0x9000,0x4000,\nota_0,app,ota_0,0x10000,1M,\nota_1,app,ota_1,0x100000,1M,\n' \
    >"$W/ov.csv"
run 1 "$T" partition from-csv "$W/ov.csv" -o "$W/ov.bin"
has "$W/err" "line 3"
has "$W/err" "offset"
[ -e "$W/ov.bin" ] && fail "a refused CSV must not leave an output file"

# ---- bad CSV: line and field named -----------------------------------------
printf 'a,data,nvs,,4K\nb,data,nvs,,010\n' >"$W/lz.csv"
run 1 "$T" partition from-csv "$W/lz.csv" -o "$W/lz.bin"
has "$W/err" "leading zero"
has "$W/err" "field size"
has "$W/err" "line 2"
printf '$PART,data,nvs,,4K\n' >"$W/var.csv"
run 1 "$T" partition from-csv "$W/var.csv" -o "$W/var.bin"
has "$W/err" "environment variable"
printf 'a,app,factory,0x18000,64K\n' >"$W/align.csv"
run 1 "$T" partition from-csv "$W/align.csv" -o "$W/align.bin"
has "$W/err" "not aligned"
run 0 "$T" partition from-csv "$W/align.csv" -o "$W/align.bin" --no-verify
printf 'a,data,ota,,4K\n' >"$W/ota.csv"
run 1 "$T" partition from-csv "$W/ota.csv" -o "$W/ota.bin"
has "$W/err" "0x2000"
printf 'a,app,factory,0x10000,8M\n' >"$W/big.csv"
run 0 "$T" partition from-csv "$W/big.csv" -o "$W/big.bin"
run 1 "$T" partition from-csv "$W/big.csv" -o "$W/big.bin" --flash-size 8M
has "$W/err" "past the end of flash"
run 1 "$T" partition dump "$W/big.bin"
has "$W/err" "past the end of flash"
run 0 "$T" partition dump "$W/big.bin" --flash-size 16M

# Warnings do not fail: no MD5 entry.
run 0 "$T" partition from-csv "$W/ex.csv" -o "$W/nomd5.bin" --no-md5
run 0 "$T" partition dump "$W/nomd5.bin"
has "$W/out" "MD5: absent"
has "$W/err" "warning: no MD5 entry"

# ---- usage errors: exit 2 --------------------------------------------------
run 2 "$T" partition
run 2 "$T" partition frobnicate
has "$W/err" "frobnicate"
run 2 "$T" partition gen -o "$W/x.bin"
has "$W/err" "--layout"
run 2 "$T" partition gen --layout zigbee -o "$W/x.bin"
run 2 "$T" partition gen --layout ble
has "$W/err" "-o"
run 2 "$T" partition from-csv "$W/ex.csv"
run 2 "$T" partition dump
run 2 "$T" partition dump "$W/ex.bin" --bogus
run 2 "$T" partition dump "$W/ex.bin" "$W/ex.bin"
run 2 "$T" partition to-csv "$W/ex.bin" --offset 0x8001
run 2 "$T" partition from-csv "$W/ex.csv" -o "$W/x.bin" --flash-size lots

# ---- help: exit 0 ------------------------------------------------------------
for v in "" gen dump from-csv to-csv; do
    # shellcheck disable=SC2086
    run 0 "$T" partition $v --help
    has "$W/out" "usage: fipytool partition"
done

[ "$fails" -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "partition CLI: ok"
