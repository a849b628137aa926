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
