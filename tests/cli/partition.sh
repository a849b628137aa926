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

# ---- ESP-IDF 5.5 tables (gen_esp32part.py v5.5.1) --------------------------
# Digests: `python3 gen_esp32part.py [OPTIONS] IN.csv OUT.bin; sha256sum OUT.bin`
# with gen_esp32part.py of ESP-IDF v5.5.1, for the same CSV and options.
sha() { sha256sum <"$1" | cut -c1-64; }
# The rows of ESP-IDF 5.5's partitions_two_ota_tee.csv.
cat >"$W/tee.csv" <<'CSV'
tee_0,          app,   tee_0,       , 192K,
tee_1,          app,   tee_1,       , 192K,
tee_otadata,    data,  tee_ota,     , 8K,
secure_storage, data,  nvs,         , 56K,
ota_0,          app,   ota_0,       , 1536K,
ota_1,          app,   ota_1,       , 1536K,
otadata,        data,  ota,         , 8K,
nvs,            data,  nvs,         , 24K,
phy_init,       data,  phy,         , 4K,
CSV
run 0 "$T" partition from-csv "$W/tee.csv" -o "$W/tee.bin" --flash-size 4MB
[ "$(sha "$W/tee.bin")" = 883be03f33444f90c55145666fcf819ef1354a55446fb005d8c411adb37d9c4c ] ||
    fail "TEE table: bytes differ from gen_esp32part 5.5.1's"
run 0 "$T" partition to-csv "$W/tee.bin"
has "$W/out" "tee_1,app,tee_1,0x40000,192K,"
has "$W/out" "tee_otadata,data,tee_ota,0x70000,8K,"
run 1 "$T" partition from-csv "$W/tee.csv" -o "$W/x.bin" --flash-size 2MB
has "$W/err" "past the end of flash"

# bootloader and partition_table entries take their places from options.
cat >"$W/boot.csv" <<'CSV'
bootloader,bootloader,primary,N/A,N/A,
partition_table,partition_table,primary,N/A,N/A,
nvs,data,nvs,,0x6000,
otadata,data,ota,,0x2000,
phy_init,data,phy,,0x1000,
factory,app,factory,,1M,
recovery,bootloader,recovery,N/A,N/A,
ota_0,app,ota_0,,1M,
pt_ota,partition_table,ota,,N/A,
bl_ota,bootloader,ota,,N/A,
CSV
run 0 "$T" partition from-csv "$W/boot.csv" -o "$W/boot.bin" \
    --primary-bootloader-offset 0x1000 --recovery-bootloader-offset 0x3f0000
[ "$(sha "$W/boot.bin")" = d74d721074757c4b6c6ede60e57f54f6f4506e04f27aab432d40efaa8f5338e2 ] ||
    fail "bootloader table: bytes differ from gen_esp32part 5.5.1's"
run 0 "$T" partition to-csv "$W/boot.bin"
has "$W/out" "bootloader,bootloader,primary,0x1000,28K,"
has "$W/out" "recovery,bootloader,recovery,0x3f0000,28K,"
run 0 "$T" partition dump "$W/boot.bin"
has "$W/out" "partition_table"
run 1 "$T" partition from-csv "$W/boot.csv" -o "$W/x.bin" --primary-bootloader-offset 0x1000
has "$W/err" "--recovery-bootloader-offset"
has "$W/err" "line 7"
run 2 "$T" partition from-csv "$W/boot.csv" -o "$W/x.bin" --primary-bootloader-offset 0x8000
has "$W/err" "below the partition table"

# --secure: bare or v1 wants 64 KiB app sizes, v2 4 KiB.
printf 'a,app,factory,,0x11000\n' >"$W/sec.csv"
run 1 "$T" partition from-csv "$W/sec.csv" -o "$W/sec.bin" --secure
has "$W/err" "app size"
run 1 "$T" partition from-csv --secure v1 "$W/sec.csv" -o "$W/sec.bin"
run 0 "$T" partition from-csv "$W/sec.csv" --secure v2 -o "$W/sec.bin"
run 0 "$T" partition from-csv "$W/sec.csv" --secure=v2 -o "$W/sec.bin"
run 2 "$T" partition from-csv "$W/sec.csv" --secure=v3 -o "$W/sec.bin"

# --extra-partition-subtypes: one option, several entries, or repeated.
printf 'nvs,data,nvs,,24K,\nfw,app,my_app,,1M,\ncfg,data,MY_DATA,,4K,\n' >"$W/extra.csv"
run 0 "$T" partition from-csv "$W/extra.csv" -o "$W/extra.bin" \
    --extra-partition-subtypes app,my_app,40 data,my_data,41
[ "$(sha "$W/extra.bin")" = 3d240f988fc07e6a2d53aad7c6e4ce42b6b2fb8ebc591d5c5e7b1ea5eb0178c2 ] ||
    fail "extra subtypes: bytes differ from gen_esp32part 5.5.1's"
run 0 "$T" partition to-csv "$W/extra.bin" --extra-partition-subtypes app,my_app,40 \
    --extra-partition-subtypes=data,my_data,41
has "$W/out" "fw,app,my_app,0x10000,1M,"
has "$W/out" "cfg,data,my_data,0x110000,4K,"
run 2 "$T" partition to-csv "$W/extra.bin" --extra-partition-subtypes app,again,20
has "$W/err" "already has a subtype"
run 2 "$T" partition to-csv "$W/extra.bin" --extra-partition-subtypes app,my-app,40
run 2 "$T" partition gen --layout ble -o "$W/x.bin" --extra-partition-subtypes app,a,40

# A UTF-8 byte order mark is skipped; a small read-write NVS is refused.
printf '\357\273\277nvs,data,nvs,,24K,\r\nfactory,app,factory,,1M,\r\n' >"$W/bom.csv"
run 0 "$T" partition from-csv "$W/bom.csv" -o "$W/bom.bin"
[ "$(sha "$W/bom.bin")" = 4d02417ef1902b866e90e7d2e4a5824aa415d01561e70d71c5bb62541716cee0 ] ||
    fail "BOM table: bytes differ from gen_esp32part 5.5.1's"
printf 'nvs,data,nvs,,8K,\n' >"$W/nvs8.csv"
run 1 "$T" partition from-csv "$W/nvs8.csv" -o "$W/x.bin"
has "$W/err" "0x3000"

# --no-verify skips verify() but not the flash size, as gen_esp32part.
run 0 "$T" partition from-csv "$W/align.csv" -o "$W/x.bin" --no-verify --flash-size 4MB
run 1 "$T" partition from-csv "$W/big.csv" -o "$W/x.bin" --no-verify --flash-size 4MB
has "$W/err" "past the end of flash"

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
