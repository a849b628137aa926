#!/bin/sh
# Messages that say what is wrong and where: a truncated bytecode file, a
# bad program header under --use-segments, an NVS partition too small to
# write.
. "$FPY_SRC/tests/cli/common.inc"
F=$FPY_TOOL
cd "$T" || exit 1
hasf() { grep -F -q -- "$1" "$2" || fail "'$1' not in $2: $(head -3 "$2")"; }
hasnt() { grep -F -q -- "$1" "$2" && fail "'$1' in $2: $(head -3 "$2")"; }
# le32 FILE OFFSET: the little-endian 32-bit word at OFFSET
le32() {
    set -- $(od -An -tu1 -j"$2" -N4 "$1")
    echo $(($1 | $2 << 8 | $3 << 16 | $4 << 24))
}
# byte N: the byte N; poke32 FILE OFFSET VALUE: write a little-endian word
byte() { printf "\\$(($1 / 64))$(($1 / 8 % 8))$(($1 % 8))"; }
poke32() {
    { byte $(($3 & 255)); byte $(($3 >> 8 & 255)); byte $(($3 >> 16 & 255)); byte $(($3 >> 24)); } |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- a truncated bytecode file says so, with both lengths ------------------------------
printf 'program' >payload # 7 bytes
"$F" bytecode build payload --abi 1 -o app.fbc >/dev/null || fail "bytecode build"
head -c 134 app.fbc >cut.fbc # 6 of the 7 payload bytes
expect 1 "$F" bytecode info cut.fbc
hasf "cut.fbc: file truncated: the header declares more payload bytes than the file holds" "$T/err"
hasf "(field payload_len) at offset 0xc: expected 0x7, found 0x6" "$T/err"
hasnt "slot" "$T/err"
expect 1 "$F" flash create flash.bin --bc cut.fbc
hasf "cut.fbc: file truncated" "$T/err"
{ cat app.fbc; printf 'x'; } >long.fbc
expect 1 "$F" bytecode info long.fbc
hasf "long.fbc: bytes after the payload" "$T/err"
hasf "expected 0x7, found 0x8" "$T/err"

# ---- --use-segments names program header fields and the header's index ----------------
"$F" image mkelf -o app.elf >/dev/null || fail "mkelf"
phoff=$(le32 app.elf 28)
ph1=$((phoff + 32)) # the second program header
cp app.elf off.elf
poke32 off.elf $((ph1 + 4)) 4294967280 # p_offset 0xFFFFFFF0
expect 1 "$F" image elf2image off.elf -o x.bin --use-segments
hasf "off.elf: program header: segment data runs past the end of the ELF (field p_offset, item 1)" "$T/err"
hasnt "sh_" "$T/err"
cp app.elf big.elf
poke32 big.elf $((ph1 + 16)) 16777216 # p_filesz 16 MiB
expect 1 "$F" image elf2image big.elf -o x.bin --use-segments
hasf "big.elf: program header: segment of 16 MiB or more (field p_filesz, item 1)" "$T/err"
# without --use-segments the same file is read by its sections, and is fine
expect 0 "$F" image elf2image off.elf -o x.bin
# and a section header problem still names section header fields
shoff=$(le32 app.elf 32)
cp app.elf sec.elf
poke32 sec.elf $((shoff + 40 + 16)) 4294967280 # sh_offset of section 1
expect 1 "$F" image elf2image sec.elf -o x.bin
hasf "section data runs past the end of the ELF (field sh_offset, item 1)" "$T/err"

# ---- an NVS partition too small to write ------------------------------------------------
printf 'key,type,encoding,value\nns,namespace,,\nk,data,u8,1\n' >nvs.csv
"$F" nvs gen nvs.csv 0x1000 -o one.bin >/dev/null || fail "nvs gen 0x1000"
expect 0 "$F" nvs get one.bin ns k # read-only use is fine
expect 1 "$F" nvs set one.bin ns k u8 2
hasf "one.bin: an NVS partition that is written needs at least 3 pages (0x3000 bytes); this one has 1 (0x1000 bytes)" "$T/err"
hasnt "invalid argument" "$T/err"
expect 1 "$F" nvs erase one.bin ns k
hasf "needs at least 3 pages" "$T/err"
"$F" nvs gen nvs.csv 0x3000 -o three.bin >/dev/null || fail "nvs gen 0x3000"
expect 1 "$F" nvs set three.bin ns k u8 2 --size 0x2000
hasf "three.bin (partition at 0x0, 0x2000 bytes): an NVS partition that is written needs at least 3 pages (0x3000 bytes); this one has 2 (0x2000 bytes)" "$T/err"
expect 0 "$F" nvs set three.bin ns k u8 2

finish
