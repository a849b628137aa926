#!/bin/sh
# Exit statuses of every command: 2 for a usage error (unknown option,
# missing argument, bad number), 1 for an operation that failed (a missing,
# empty, unreadable, random or truncated file), never anything else (no
# signal, no 0 on failure), and a message on stderr that names the file or
# the option at fault.
. "$FPY_SRC/tests/cli/common.inc"
F=$FPY_TOOL
cd "$T" || exit 1

# st WANT NEEDLE CMD...: CMD exits WANT and its stderr names NEEDLE.
st() {
    want=$1 needle=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -3 "$T/err")"
    [ -s "$T/err" ] || fail "'$*': nothing on stderr"
    grep -F -q -- "$needle" "$T/err" || fail "'$*': stderr does not name '$needle': $(head -3 "$T/err")"
}
# usage NEEDLE CMD...: a usage error naming NEEDLE
usage() { st 2 "$@"; }
# with FILE ARGS...: fipytool ARGS, with @F replaced by FILE, fails (1) naming FILE
with() {
    file=$1
    shift
    n=$#
    while [ "$n" -gt 0 ]; do
        a=$1
        shift
        [ "$a" = @F ] && a=$file
        set -- "$@" "$a"
        n=$((n - 1))
    done
    st 1 "$file" "$F" "$@"
}
# bad_files ARGS...: every unusable file in place of @F fails (1) naming it
bad_files() {
    for b in missing empty dir random; do
        with "$T/$b" "$@"
    done
}

# Deterministic "random" bytes: N bytes of a 31-bit LCG from SEED.
lcg_bytes() {
    n=$1 x=$2
    while [ "$n" -gt 0 ]; do
        x=$(((x * 1103515245 + 12345) % 2147483648))
        b=$(((x >> 16) & 255))
        printf "\\$((b / 64))$((b / 8 % 8))$((b % 8))"
        n=$((n - 1))
    done
}
# cut_to FILE N: the first N bytes of FILE
cut_to() { head -c "$2" "$1"; }

# ---- fixtures ----------------------------------------------------------------
: >empty
mkdir dir
lcg_bytes 4096 1 >random
cp random r8m
for i in 1 2 3 4 5 6 7 8 9 10 11; do cat r8m r8m >r2 && mv r2 r8m; done
"$F" image mkelf -o app.elf >/dev/null || fail "mkelf"
"$F" image elf2image app.elf -o app.bin >/dev/null || fail "elf2image"
printf 'program' >payload
"$F" bytecode build payload --abi 1 -o app.fbc >/dev/null || fail "bytecode build"
"$F" flash create flash.bin --vm app.bin --bc app.fbc >/dev/null || fail "flash create"
"$F" partition gen --layout nonble -o pt.bin >/dev/null || fail "partition gen"
"$F" partition to-csv pt.bin -o pt.csv >/dev/null || fail "to-csv"
printf 'key,type,encoding,value\nns,namespace,,\nk,data,u8,1\ns,data,string,hello\n' >nvs.csv
"$F" nvs gen nvs.csv 0x3000 -o nvs.bin >/dev/null || fail "nvs gen"
dd if=flash.bin of=otadata.bin bs=4096 skip=13 count=2 2>/dev/null
cut_to app.elf 1000 >app-cut.elf
cut_to app.bin 3000 >app-cut.bin
cut_to app.fbc 130 >app-cut.fbc
cut_to flash.bin 4194304 >flash-cut.bin
cut_to pt.bin 2048 >pt-cut.bin
# a prefix that ends inside a subtype ("phy_init,data,p")
cut_to pt.csv "$(($(head -n 4 pt.csv | wc -c) + 15))" >pt-cut.csv
cut_to nvs.csv 45 >nvs-cut.csv
cut_to nvs.bin 6144 >nvs-cut.bin
cut_to otadata.bin 4096 >otadata-cut.bin
cp flash.bin work.bin

# ---- the top level -----------------------------------------------------------
usage "frobnicate" "$F" frobnicate
usage "--bogus" "$F" --bogus
usage "frobnicate" "$F" help frobnicate

# ---- board, layout -------------------------------------------------------------
usage "--bogus" "$F" board --bogus
usage "pin" "$F" board pin
usage "frob" "$F" board frob
st 1 "P99" "$F" board pin P99
usage "--bogus" "$F" layout --bogus
usage "--csv" "$F" layout --csv --json
usage "--check" "$F" layout --check --ble
usage "extra" "$F" layout extra

# ---- partition -------------------------------------------------------------------
usage "frob" "$F" partition frob
usage "--bogus" "$F" partition gen --layout nonble -o x.bin --bogus
usage "-o" "$F" partition gen --layout nonble
usage "--layout" "$F" partition gen -o x.bin --layout
usage "--layout" "$F" partition gen --layout tiny -o x.bin
with "$T/dir" partition gen --layout nonble -o @F
usage "--offset" "$F" partition dump pt.bin --offset
usage "--offset" "$F" partition dump pt.bin --offset 0x8000x
usage "--flash-size" "$F" partition to-csv pt.bin --flash-size 8Q
for c in dump to-csv; do
    usage "--bogus" "$F" partition $c pt.bin --bogus
    usage "file" "$F" partition $c
    bad_files partition $c @F
    with "$T/pt-cut.bin" partition $c @F
done
with "$T/r8m" partition dump @F
usage "--bogus" "$F" partition from-csv pt.csv -o x.bin --bogus
usage "-o" "$F" partition from-csv pt.csv
usage "--offset" "$F" partition from-csv pt.csv -o x.bin --offset 32K
usage "--flash-size" "$F" partition from-csv pt.csv -o x.bin --flash-size ' 8M'
# an empty CSV is an empty table, as for gen_esp32part: not a failure
for b in missing dir random pt-cut.csv; do with "$T/$b" partition from-csv @F -o x.bin; done
with "$T/dir" partition from-csv pt.csv -o @F

# ---- image ---------------------------------------------------------------------------
usage "frob" "$F" image frob
usage "--offset" "$F" image info app.bin --offset
usage "--offset" "$F" image verify app.bin --offset -1
for c in info verify; do
    usage "--bogus" "$F" image $c app.bin --bogus
    usage "FILE" "$F" image $c
    bad_files image $c @F
    with "$T/app-cut.bin" image $c @F
done
with "$T/app.bin" image verify @F --offset 0x100000
usage "--bogus" "$F" image elf2image app.elf -o x.bin --bogus
usage "-o" "$F" image elf2image app.elf
usage "ELF" "$F" image elf2image -o x.bin
usage "--min-rev" "$F" image elf2image app.elf -o x.bin --min-rev 256
usage "--elf-sha256-offset" "$F" image elf2image app.elf -o x.bin --elf-sha256-offset 0xg
usage "--pad-to-size" "$F" image elf2image app.elf -o x.bin --pad-to-size 0x80000001
usage "--flash-mode" "$F" image elf2image app.elf -o x.bin --flash-mode fast
bad_files image elf2image @F -o x.bin
with "$T/app-cut.elf" image elf2image @F -o x.bin
with "$T/dir" image elf2image app.elf -o @F
usage "--bogus" "$F" image mkelf -o x.elf --bogus
usage "-o" "$F" image mkelf
usage "--iram-size" "$F" image mkelf -o x.elf --iram-size 1x
with "$T/dir" image mkelf -o @F

# ---- bytecode --------------------------------------------------------------------------
usage "frob" "$F" bytecode frob app.fbc
usage "--bogus" "$F" bytecode build payload --abi 1 -o x.fbc --bogus
usage "--abi" "$F" bytecode build payload -o x.fbc
usage "--abi" "$F" bytecode build payload --abi 1.5 -o x.fbc
usage "--secver" "$F" bytecode build payload --abi 1 --secver 0x -o x.fbc
usage "-o" "$F" bytecode build payload --abi 1
# (an empty payload is a valid, empty program)
for b in missing dir; do with "$T/$b" bytecode build @F --abi 1 -o x.fbc; done
with "$T/dir" bytecode build payload --abi 1 -o @F
usage "--bogus" "$F" bytecode info app.fbc --bogus
usage "--abi" "$F" bytecode info app.fbc --abi ''
bad_files bytecode info @F
with "$T/app-cut.fbc" bytecode info @F

# ---- flash create ------------------------------------------------------------------------
usage "--bogus" "$F" flash create new.bin --bogus
usage "create" "$F" flash create
usage "--vm" "$F" flash create new.bin --vm
usage "tiny" "$F" flash create new.bin --layout tiny
for b in missing dir random app-cut.bin; do with "$T/$b" flash create new.bin --vm @F; done
for b in empty app-cut.fbc; do with "$T/$b" flash create new.bin --bc @F; done
with "$T/dir" flash create @F
with "$T/flash.bin" flash create @F
[ -e new.bin ] && fail "a failed 'flash create' wrote new.bin"

# ---- fota, boot, otadata: flash images ---------------------------------------------------
usage "status, apply or accept" "$F" fota frob work.bin
usage "flash image" "$F" fota status
usage "--bogus" "$F" fota status work.bin --bogus
usage "--chunk" "$F" fota apply work.bin --vm app.bin --chunk 1x
for c in "fota status" "boot" "otadata dump"; do
    for b in missing empty dir random flash-cut.bin; do
        with "$T/$b" $c @F
    done
done
for b in missing flash-cut.bin; do
    with "$T/$b" fota accept @F
    with "$T/$b" fota apply @F --vm app.bin
done
with "$T/missing" fota apply work.bin --vm @F
# 8 MiB of random bytes: no partition table.  (fota's message comes from
# host/flashimg.c and does not name the file: only where is checked.)
st 1 "0x8000" "$F" fota status r8m
with "$T/r8m" boot @F
usage "flash image" "$F" boot
usage "--bogus" "$F" boot work.bin --bogus
usage "sleepy" "$F" boot work.bin --reset-reason sleepy
usage "--layout" "$F" boot work.bin --layout tiny
usage "FILE" "$F" otadata dump
usage "--bogus" "$F" otadata dump work.bin --bogus
usage "--slot" "$F" otadata set work.bin --slot 2
usage "--slot" "$F" otadata set work.bin --slot 0x
usage "--slot" "$F" otadata set work.bin
usage "NEWISH" "$F" otadata set work.bin --state NEWISH
for b in missing dir random otadata-cut.bin; do
    with "$T/$b" otadata set @F --slot 1
done

# ---- nvs ---------------------------------------------------------------------------------
usage "frob" "$F" nvs frob
usage "--bogus" "$F" nvs gen nvs.csv 0x3000 -o x.bin --bogus
usage "SIZE" "$F" nvs gen nvs.csv -o x.bin
usage "-o" "$F" nvs gen nvs.csv 0x3000
usage "0x3000x" "$F" nvs gen nvs.csv 0x3000x -o x.bin
usage "--version" "$F" nvs gen nvs.csv 0x3000 -o x.bin --version 3
# an empty CSV makes an empty partition, as nvs_partition_gen.py does
for b in missing dir random; do with "$T/$b" nvs gen @F 0x3000 -o x.bin; done
with "$T/nvs-cut.csv" nvs gen @F 0x3000 -o x.bin
with "$T/dir" nvs gen nvs.csv 0x3000 -o @F
for c in dump get set erase; do
    case $c in
    dump) args= ;;
    get | erase) args="ns k" ;;
    set) args="ns k u8 2" ;;
    esac
    usage "--bogus" "$F" nvs $c nvs.bin $args --bogus
    usage "--offset" "$F" nvs $c nvs.bin $args --offset 0x1000g
    usage "--size" "$F" nvs $c nvs.bin $args --size -4096
    with "$T/missing" nvs $c @F $args
done
for b in empty dir; do with "$T/$b" nvs dump @F; done
usage "file" "$F" nvs dump
usage "--offset" "$F" nvs dump nvs.bin --offset
usage "--size" "$F" nvs dump nvs.bin --size ' 0x3000'
usage "KEY" "$F" nvs get nvs.bin ns
usage "VALUE" "$F" nvs set nvs.bin ns k u8
usage "KEY" "$F" nvs erase nvs.bin ns
with "$T/random" nvs dump @F --strict
with "$T/nvs-cut.bin" nvs get @F ns s
with "$T/nvs-cut.bin" nvs set @F ns k u8 2
with "$T/random" nvs set @F ns k u8 2
with "$T/nvs.bin" nvs get @F ns nokey
with "$T/missing" nvs set nvs.bin ns k binary --file @F
# a bad value is a usage error; a value that does not fit fails (1), a
# blob as a string
usage "u8" "$F" nvs set nvs.bin ns k u8 256
usage "hex2bin" "$F" nvs set nvs.bin ns k hex2bin xyz
st 1 "nvs.bin" "$F" nvs set nvs.bin ns s string "$(printf '%05000d' 0)"
st 1 "nvs.bin" "$F" nvs set nvs.bin ns b 'blob_fill(100000;0xAA)' x
st 1 "nvs.bin" "$F" nvs set nvs.bin ns b 'blob_fill(12000;0xAA)' x

finish
