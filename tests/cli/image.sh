#!/bin/sh
# fipytool image: mkelf -> elf2image -> info/verify, against images that
# esptool v5.3.1 built from the same ELF (their SHA-256 below), plus usage
# errors, corrupt input and crash-safe output.
# Env: FPY_TOOL = path to fipytool, FPY_SRC = repository root.
set -u
T=${FPY_TOOL:?FPY_TOOL not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# expect STATUS NAME CMD...: run CMD, compare its exit status
expect() {
    want=$1 name=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else
        bad "$name: exit $got, want $want"; cat "$tmp/err"; fi
}
# has FILE TEXT NAME: FILE contains TEXT
has() {
    if grep -F -- "$2" "$1" >/dev/null; then ok "$3"; else bad "$3: no '$2' in:"; cat "$1"; fi
}
sha() { sha256sum "$1" | cut -c1-64; }
size() { wc -c <"$1" | tr -d ' '; }
# poke FILE OFFSET OCTAL: overwrite one byte
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# reseal FILE: app.bin's layout (checksum byte at 0x1502f): write the
# SHA-256 of the bytes before the digest, so that only the edit differs.
reseal() {
    h=$(head -c 86064 "$1" | sha256sum | cut -c1-64)
    printf "$(echo "$h" | awk '{ x = "0123456789abcdef"
        for (i = 1; i < 64; i += 2)
            printf "\\%03o", (index(x, substr($0, i, 1)) - 1) * 16 + index(x, substr($0, i + 1, 1)) - 1 }')" |
        dd of="$1" bs=1 seek=86064 conv=notrunc 2>/dev/null
}
# tohex FILE ADDR: FILE as Intel HEX data records at ADDR (16 bytes each,
# an 04 record at each 64 KiB page), without the end-of-file record.
tohex() {
    od -An -v -tu1 "$1" | awk -v base="$(($2))" '
        function rec(addr, type, data, sum, len) {
            sum += len + int(addr / 256) + addr % 256 + type
            printf ":%02X%04X%02X%s%02X\n", len, addr, type, data, (256 - sum % 256) % 256
        }
        { for (i = 1; i <= NF; i++) b[n++] = $i }
        END {
            page = -1
            for (off = 0; off < n; off += 16) {
                a = base + off
                p = int(a / 65536)
                if (p != page) {
                    page = p
                    rec(0, 4, sprintf("%02X%02X", int(p / 256), p % 256), int(p / 256) + p % 256, 2)
                }
                len = n - off < 16 ? n - off : 16
                d = ""
                s = 0
                for (i = 0; i < len; i++) { d = d sprintf("%02X", b[off + i]); s += b[off + i] }
                rec(a % 65536, 0, d, s, len)
            }
        }'
}
# same_as_esptool PIN NAME: the last command's stdout ('image info FILE')
# is exactly the stdout of esptool 5.3.1's 'image-info FILE' (its version
# banner left out), whose SHA-256 is PIN (esptool run on the same bytes)
same_as_esptool() {
    [ "$(sha "$tmp/out")" = "$1" ] && ok "$2: esptool's text" || { bad "$2: not esptool's text"; cat "$tmp/out"; }
}

# ---- build, and compare with esptool's bytes ------------------------------
expect 0 "mkelf" "$T" image mkelf -o "$tmp/app.elf"
expect 0 "elf2image defaults" "$T" image elf2image "$tmp/app.elf" -o "$tmp/app.bin"
[ "$(size "$tmp/app.bin")" = 86096 ] && ok "size 0x15050" || bad "size $(size "$tmp/app.bin")"
if command -v sha256sum >/dev/null; then
    [ "$(sha "$tmp/app.elf")" = 1a6d2f08b94a8526b87a9db3fcc607e2cdda943635617f478dc5862431dc528b ] \
        && ok "mkelf is deterministic" || bad "mkelf output changed"
    [ "$(sha "$tmp/app.bin")" = 2c2e5d181c4f026a562715547102972a08778a67f86087bf88f0d65fd470dd26 ] \
        && ok "same bytes as esptool (defaults)" || bad "differs from esptool (defaults)"
fi
expect 0 "elf2image IDF options" "$T" image elf2image "$tmp/app.elf" -o "$tmp/idf.bin" \
    --flash-mode dio --flash-freq 40m --flash-size 2MB --max-rev-full 399 --elf-sha256-offset 0xb0
head=$(od -An -tx1 -N24 "$tmp/idf.bin" | tr -d ' \n')
[ "$head" = e905021000040840ee00000000000000008f010000000001 ] && ok "IDF header bytes" \
    || bad "IDF header bytes: $head"
if command -v sha256sum >/dev/null; then
    [ "$(sha "$tmp/idf.bin")" = e3855a64f48051ab73bca5624bdc281a856f27504f5b4a72f5befd2a9e9ff681 ] \
        && ok "same bytes as esptool (IDF options)" || bad "differs from esptool (IDF options)"
fi

expect 0 "elf2image --pad-to-size 64KB" "$T" image elf2image "$tmp/app.elf" -o "$tmp/pad.bin" --pad-to-size 64KB
[ "$(size "$tmp/pad.bin")" = 131072 ] && ok "padded to 128 KiB" || bad "pad size $(size "$tmp/pad.bin")"
expect 0 "padded image verifies" "$T" image verify "$tmp/pad.bin"

# ---- info and verify ---------------------------------------------------------
expect 0 "info" "$T" image info "$tmp/app.bin"
cp "$tmp/out" "$tmp/info.txt"
has "$tmp/info.txt" "      4  0x05000  0x400d0020  0x00010018  IROM" "info: IROM row"
has "$tmp/info.txt" "      1  0x00200  0x3ffb0000  0x00001354  BYTE_ACCESSIBLE, DRAM" "info: DRAM row"
has "$tmp/info.txt" "      3  0x0b6ac  0x00000000  0x00004964  PADDING" "info: padding row"
has "$tmp/info.txt" "Checksum: 0xae (valid)" "info: checksum"
has "$tmp/info.txt" "(valid)" "info: hash"
has "$tmp/info.txt" "Project name: fipy-demo" "info: project"
has "$tmp/info.txt" "ELF file SHA256: 1a6d2f08b94a8526b87a9db3fcc607e2cdda943635617f478dc5862431dc528b" "info: ELF sha patched"
expect 0 "info --json" "$T" image info "$tmp/app.bin" --json
has "$tmp/out" '"project_name": "fipy-demo"' "json: project"
has "$tmp/out" '"checksum": {"offset": 86063, "stored": 174, "calculated": 174, "valid": true}' "json: checksum"
expect 0 "verify good" "$T" image verify "$tmp/app.bin"
has "$tmp/out" "valid: 5 segments" "verify says valid"

# One IROM byte changed: the checksum no longer matches.
cp "$tmp/app.bin" "$tmp/bad.bin"
poke "$tmp/bad.bin" 65568 001
expect 1 "verify bad checksum" "$T" image verify "$tmp/bad.bin"
has "$tmp/err" "field checksum" "names the field"
has "$tmp/err" "0x1502f" "names the offset"
has "$tmp/err" "bad.bin" "names the file"
expect 0 "info still prints a bad image" "$T" image info "$tmp/bad.bin"
has "$tmp/out" "(invalid - calculated" "info: invalid checksum"

cp "$tmp/app.bin" "$tmp/magic.bin"
poke "$tmp/magic.bin" 0 000
expect 1 "verify bad magic" "$T" image verify "$tmp/magic.bin"
has "$tmp/err" "expected 0xe9, found 0x0" "magic expected/found"
head -c 70000 "$tmp/app.bin" >"$tmp/cut.bin"
expect 1 "verify truncated" "$T" image verify "$tmp/cut.bin"
has "$tmp/err" "segment.data_len" "truncated: field"
expect 1 "info truncated" "$T" image info "$tmp/cut.bin"

# An image inside a bigger file (a flash dump) with --offset.
head -c 65536 /dev/zero >"$tmp/dump.bin"
cat "$tmp/app.bin" >>"$tmp/dump.bin"
expect 0 "verify --offset" "$T" image verify "$tmp/dump.bin" --offset 0x10000
expect 1 "verify without offset" "$T" image verify "$tmp/dump.bin"

# Without an app description: a RAM-only image.
expect 0 "mkelf no desc" "$T" image mkelf -o "$tmp/ram.elf" --no-app-desc --rodata-size 0 --irom-size 0
expect 0 "elf2image ram-only" "$T" image elf2image "$tmp/ram.elf" -o "$tmp/ram.bin"
expect 1 "verify needs app desc" "$T" image verify "$tmp/ram.bin"
has "$tmp/err" "no app description" "app desc reason"
expect 0 "verify --no-app-desc" "$T" image verify "$tmp/ram.bin" --no-app-desc

# ---- issue 13, 5b: image info agrees with esptool 5.3.1 ---------------------------
# 1. A file that ends inside the appended SHA-256: esptool prints it all,
# the hash invalid, and exits 0; so does info. verify refuses it. Ending
# before the checksum byte or inside a segment fails in both (esptool: a
# Python exception, exit 1, or a fatal error, exit 2; fipy: 1).
head -c 86080 "$tmp/app.bin" >"$tmp/cutsha.bin"
expect 0 "info: file ends inside the SHA-256" "$T" image info "$tmp/cutsha.bin"
has "$tmp/out" "Validation hash: 0faeacb08d8b31b7408f099b914b9709823aad49b1c1967fecc2d529ea517ef2 (invalid)" "cut SHA-256: hash invalid"
has "$tmp/err" "ends inside the appended SHA-256 (16 of 32 bytes at offset 0x15030)" "cut SHA-256: warned"
same_as_esptool 34fc640416c78818c738dcece73a3c90237724ed7cd43571cdbb0fc327cca4ac "cut SHA-256"
[ "$(diff "$tmp/info.txt" "$tmp/out" | grep -c '^[<>]')" = 4 ] && ok "cut SHA-256: only size and validity differ" \
    || bad "cut SHA-256: $(diff "$tmp/info.txt" "$tmp/out")"
expect 0 "info --json: cut SHA-256" "$T" image info "$tmp/cutsha.bin" --json
has "$tmp/out" '"stored": "0faeacb08d8b31b7408f099b914b9709", "stored_len": 16' "json: stored bytes"
expect 1 "verify: cut SHA-256" "$T" image verify "$tmp/cutsha.bin"
has "$tmp/err" "image ends inside its SHA-256 (field sha256) at offset 0x15030" "verify: cut SHA-256 named"
head -c 86063 "$tmp/app.bin" >"$tmp/cutck.bin"
expect 1 "info: file ends inside the checksum block" "$T" image info "$tmp/cutck.bin"
has "$tmp/err" "field checksum" "cut checksum block named"
# (inside a segment: "info truncated" above)

# 2. Images for other chips: esptool names the chip (header titles,
# memory map, flash frequency names of that chip) and exits 0; so does
# info, with a warning on stderr. The FiPy's paths still refuse them.
cp "$tmp/app.bin" "$tmp/s2.bin" && poke "$tmp/s2.bin" 12 002 && reseal "$tmp/s2.bin"
expect 0 "info: ESP32-S2 image" "$T" image info "$tmp/s2.bin"
has "$tmp/out" "Chip ID: 2 (ESP32-S2)" "S2: chip named"
has "$tmp/out" "      1  0x00200  0x3ffb0000  0x00001354  BYTE_ACCESSIBLE, MEM_INTERNAL, DRAM" "S2: its memory map"
has "$tmp/err" "chip id 2 (ESP32-S2), not the FiPy's ESP32 (0)" "S2: warned"
same_as_esptool cd1981306adc91f20b49196108e9c4fae85d1afd5a65b0de7d1867bcf34c185b "S2"
expect 1 "verify refuses ESP32-S2" "$T" image verify "$tmp/s2.bin"
has "$tmp/err" "field chip_id" "verify: chip id named"
printf 'one' >"$tmp/p1" && "$T" bytecode build "$tmp/p1" --abi 1 -o "$tmp/a1.fbc" >/dev/null
expect 1 "flash create refuses ESP32-S2" "$T" flash create "$tmp/s2flash.bin" --vm "$tmp/s2.bin" --bc "$tmp/a1.fbc"
has "$tmp/err" "field chip_id" "flash create: chip id named"
expect 0 "flash create" "$T" flash create "$tmp/flash.bin" --vm "$tmp/app.bin" --bc "$tmp/a1.fbc"
cp "$tmp/flash.bin" "$tmp/flash0.bin"
expect 1 "fota apply refuses ESP32-S2" "$T" fota apply "$tmp/flash.bin" --vm "$tmp/s2.bin"
has "$tmp/err" "field chip_id" "fota apply: chip id named"
cmp -s "$tmp/flash.bin" "$tmp/flash0.bin" && ok "fota apply: flash untouched" || bad "fota apply changed the flash"
dd if="$tmp/s2.bin" of="$tmp/flash.bin" bs=65536 seek=1 conv=notrunc 2>/dev/null
expect 1 "boot refuses an ESP32-S2 image in the VM slot" "$T" boot "$tmp/flash.bin"
has "$tmp/out" "field chip_id" "boot: chip id named"
# (not resealed from here on: the digest is invalid, for both tools)
# flash frequency code 0xf: none on the ESP32-C6 (48m on the H2: unit test)
cp "$tmp/app.bin" "$tmp/c6.bin" && poke "$tmp/c6.bin" 12 015 && poke "$tmp/c6.bin" 3 017
expect 0 "info: ESP32-C6 image" "$T" image info "$tmp/c6.bin"
same_as_esptool c20a4eaebc1eca1312d1d2359ad949e351fb28834af97d3375021008dbe1688d "C6"
# chip id 0x0102: esptool picks the chip by the low byte and warns
cp "$tmp/app.bin" "$tmp/id258.bin" && poke "$tmp/id258.bin" 12 002 && poke "$tmp/id258.bin" 13 001
expect 0 "info: chip id 258" "$T" image info "$tmp/id258.bin"
same_as_esptool 4958eaff8d46c88035d0c2d97a8df181cf6e382d9e89c11de91c607dc44d630e "chip id 258"
# no chip has id 7: esptool misreads it as an ESP8266 image and fails
cp "$tmp/app.bin" "$tmp/id7.bin" && poke "$tmp/id7.bin" 12 007
expect 1 "info: unknown chip id" "$T" image info "$tmp/id7.bin"
has "$tmp/err" "chip id 7 is no chip esptool 5.3.1 knows" "unknown chip named"

# 3. Intel HEX: one part reads as the binary; several parts (esptool
# merge-bin --format hex) part by part, a part that is no image skipped.
{ tohex "$tmp/app.bin" 0x10000; echo ":00000001FF"; } >"$tmp/app.hex"
expect 0 "info: Intel HEX" "$T" image info "$tmp/app.hex"
cmp -s "$tmp/out" "$tmp/info.txt" && ok "HEX: same text as the binary" || bad "HEX: text differs from the binary's"
expect 0 "verify: Intel HEX" "$T" image verify "$tmp/app.hex"
"$T" partition gen --layout nonble -o "$tmp/pt.bin" >/dev/null
{ tohex "$tmp/ram.bin" 0x1000; tohex "$tmp/pt.bin" 0x8000; cat "$tmp/app.hex"; } >"$tmp/merged.hex"
expect 0 "info: merged Intel HEX" "$T" image info "$tmp/merged.hex"
has "$tmp/out" "Processing file 2/3, offset: 0x8000, size: 3072 bytes" "merged: part 2 shown"
has "$tmp/err" "part 2/3 at 0x8000: not an image (first byte 0xaa)" "merged: partition table skipped"
same_as_esptool ba97de9ab1cf941e46dc7fe581dd3aa8d894af472ec00fb9e076b84572f4c925 "merged HEX"
expect 0 "info --json: merged Intel HEX" "$T" image info "$tmp/merged.hex" --json
has "$tmp/out" '{"offset": 32768, "size": 3072, "image": null}' "json: skipped part"
has "$tmp/out" '"chip": "ESP32"' "json: chip"
expect 1 "verify: merged Intel HEX" "$T" image verify "$tmp/merged.hex"
has "$tmp/err" "3 separate parts" "verify: parts counted"
expect 2 "info: --offset with HEX" "$T" image info "$tmp/app.hex" --offset 16
sed '5s/..$/00/' "$tmp/app.hex" >"$tmp/badsum.hex"
expect 1 "info: HEX checksum" "$T" image info "$tmp/badsum.hex"
has "$tmp/err" "record checksum mismatch (field checksum) at line 5" "HEX: checksum line named"
sed '$d' "$tmp/app.hex" >"$tmp/noeof.hex"
expect 0 "info: HEX without end record" "$T" image info "$tmp/noeof.hex"
has "$tmp/err" "no end-of-file record" "HEX: missing end record warned"
echo ":00000001FF" >"$tmp/nodata.hex"
expect 1 "info: HEX without data" "$T" image info "$tmp/nodata.hex"
has "$tmp/err" "no data records" "HEX: no data said"

# ---- failures leave no half-written output ------------------------------------
printf 'previous' >"$tmp/keep.bin"
printf 'not an elf at all' >"$tmp/junk.elf"
expect 1 "elf2image junk" "$T" image elf2image "$tmp/junk.elf" -o "$tmp/keep.bin"
has "$tmp/err" "junk.elf" "names the ELF"
has "$tmp/err" "e_ident" "names the ELF field"
[ "$(cat "$tmp/keep.bin")" = previous ] && ok "output untouched" || bad "output changed"
expect 1 "missing input" "$T" image info "$tmp/nope.bin"
has "$tmp/err" "nope.bin" "missing file named"

# ---- usage ---------------------------------------------------------------------
expect 0 "image --help" "$T" image --help
expect 0 "info --help" "$T" image info --help
expect 0 "elf2image --help" "$T" image elf2image --help
expect 0 "mkelf --help" "$T" image mkelf --help
expect 0 "verify --help" "$T" image verify --help
expect 2 "no subcommand" "$T" image
expect 2 "unknown subcommand" "$T" image frobnicate
expect 2 "unknown option" "$T" image info "$tmp/app.bin" --bogus
expect 2 "elf2image without -o" "$T" image elf2image "$tmp/app.elf"
expect 2 "bad flash mode" "$T" image elf2image "$tmp/app.elf" -o "$tmp/x.bin" --flash-mode fast
expect 2 "bad flash size" "$T" image elf2image "$tmp/app.elf" -o "$tmp/x.bin" --flash-size 3MB
expect 2 "bad max rev" "$T" image elf2image "$tmp/app.elf" -o "$tmp/x.bin" --max-rev-full 70000
expect 2 "info two files" "$T" image info a b

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all image CLI checks passed"
