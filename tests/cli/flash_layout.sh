#!/bin/sh
# Issue 12, point 3: the partition table at 0x8000 decides a flash image's
# layout.  A --layout that contradicts it is refused with nothing written; a
# table that is not a FiPy layout (or does not decode) is refused by every
# command that writes; only an image without a table lets --layout choose.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
same() { cmp -s "$1" "$2" || fail "$3"; }

update_images
expect 0 "$FPY_TOOL" flash create non.bin --vm v1.bin --bc a1.fbc
expect 0 "$FPY_TOOL" flash create ble.bin --layout ble --vm v1.bin --bc a1.fbc
cp non.bin non.orig && cp ble.bin ble.orig

# ---- --layout against the table: refused, both layouts named, nothing written
expect 2 "$FPY_TOOL" boot non.bin --layout ble
has "ble" "$T/err"
has "nonble" "$T/err"
has "non.bin" "$T/err"
same non.bin non.orig "boot --layout ble changed a non-BLE image"
expect 2 "$FPY_TOOL" fota apply non.bin --layout ble --bc a2.fbc
has "nonble" "$T/err"
same non.bin non.orig "fota apply --layout ble changed a non-BLE image"
expect 2 "$FPY_TOOL" fota accept non.bin --layout ble
expect 2 "$FPY_TOOL" fota status non.bin --layout ble
expect 2 "$FPY_TOOL" boot ble.bin --layout nonble
has "ble layout" "$T/err"
same ble.bin ble.orig "boot --layout nonble changed a BLE image"
# a --layout that agrees is fine
expect 0 "$FPY_TOOL" fota status non.bin --layout nonble
expect 0 "$FPY_TOOL" fota apply ble.bin --layout ble --bc a2.fbc
has "bytecode -> slot 1 (0x2c0000)" "$T/out"

# ---- no table (0x8000 erased): --layout chooses, non-BLE by default
cp non.orig blank.bin
head -c 4096 /dev/zero | tr '\000' '\377' >ff4k
dd if=ff4k of=blank.bin bs=4096 seek=8 conv=notrunc 2>/dev/null
cp blank.bin blank2.bin
expect 0 "$FPY_TOOL" fota apply blank.bin --bc a2.fbc
has "bytecode -> slot 1 (0x290000)" "$T/out"
expect 0 "$FPY_TOOL" fota apply blank2.bin --layout ble --bc a2.fbc
has "bytecode -> slot 1 (0x2c0000)" "$T/out"

# ---- a table that decodes but is not a FiPy layout: writers refuse it
cat >other.csv <<'EOF'
nvs,data,nvs,0x9000,16K,
otadata,data,ota,0xd000,8K,
phy_init,data,phy,0xf000,4K,
ota_0,app,ota_0,0x10000,2M,
ota_1,app,ota_1,0x210000,2M,
EOF
expect 0 "$FPY_TOOL" partition from-csv other.csv -o other.tab
cp non.orig other.bin
dd if=other.tab of=other.bin bs=4096 seek=8 conv=notrunc 2>/dev/null
cp other.bin other.orig
for cmd in "boot other.bin" "boot other.bin --layout nonble" "fota accept other.bin" \
           "fota apply other.bin --layout nonble --bc a2.fbc" "otadata set other.bin --slot 1" \
           "nvs set other.bin ns k u8 1"; do
    expect 1 $FPY_TOOL $cmd
    has "not a FiPy layout" "$T/err"
    has "other.bin" "$T/err"
    same other.bin other.orig "'$cmd' wrote to an image whose table is not a FiPy layout"
done
# readers may still look at it, as the layout they name
expect 0 "$FPY_TOOL" fota status other.bin --layout nonble
expect 0 "$FPY_TOOL" otadata dump other.bin
# and NVS at an offset the user states is the user's choice
expect 0 "$FPY_TOOL" nvs set other.bin ns k u8 1 --offset 0x9000 --size 0x4000

# ---- a table that does not decode: writers refuse too
cp non.orig bad.bin
printf '\000' | dd of=bad.bin bs=1 seek=$((0x8000 + 3)) conv=notrunc 2>/dev/null
cp bad.bin bad.orig
expect 1 "$FPY_TOOL" boot bad.bin --layout nonble
has "does not decode" "$T/err"
same bad.bin bad.orig "boot wrote to an image whose table does not decode"
expect 1 "$FPY_TOOL" fota apply bad.bin --bc a2.fbc
same bad.bin bad.orig "fota apply wrote to an image whose table does not decode"
finish
