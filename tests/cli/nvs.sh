#!/bin/sh
# fipytool nvs: gen -> dump (every type and encoding comes back), get/set/erase
# on a partition image and on a whole 8 MiB flash image, problems in dumps,
# usage errors, and files left untouched by failures.
. "$FPY_SRC/tests/cli/common.inc"
N="$FPY_TOOL nvs"
# has, with a fixed string instead of a pattern
hasf() { grep -F -q -- "$1" "$2" || fail "'$1' not in $2: $(head -5 "$2")"; }
cd "$T" || exit 1

# ---- help everywhere --------------------------------------------------------
expect 0 $N --help
has "gen CSV SIZE" "$T/out"
for c in gen dump get set erase; do
    expect 0 $N $c --help
    has "usage: fipytool nvs $c" "$T/out"
done
expect 2 $N
expect 2 $N frobnicate
expect 2 $N gen
expect 2 $N gen x.csv 0x1800 -o out.bin
expect 2 $N gen x.csv 0x3000
expect 2 $N get only-a-file
expect 2 $N set f ns k u8
expect 2 $N erase f ns
expect 2 $N dump --bogus f

# ---- gen: every type and encoding, then dump it back ------------------------
printf 'line one\nline two\n' >note.txt
printf '\000\001\002\376\377' >raw.bin
printf 'SGVsbG8gZmlsZQ==\n' >b64.txt
printf 'deadbeef\n' >hex.txt
printf ' 1234567 \n' >num.txt
cat >every.csv <<'EOF'
key,type,encoding,value
# every type and encoding of nvs_partition_gen
app,namespace,,
u8,data,u8,255
i8,data,i8,-128
u16,data,u16,65535
i16,data,i16,-32768
u32,data,u32,4294967295
i32,data,i32,-2147483648
u64,data,u64,18446744073709551615
i64,data,i64,-9223372036854775808
str,data,string,"hello, ""world"""
hex,data,hex2bin, 00112233445566778899aabbccddeeff
b64,data,base64,SGVsbG8sIE5WUyE=
bin,data,binary,raw text
fill,data,blob_fill(8;0xAA),abc
szfill,data,blob_sz_fill(4;0x00),xy
net,namespace,,
note,file,string,note.txt
raw,file,binary,raw.bin
b64f,file,base64,b64.txt
hexf,file,hex2bin,hex.txt
numf,file,u32,num.txt
EOF
expect 0 $N gen every.csv 0x4000 -o every.bin
[ "$(wc -c <every.bin | tr -d ' ')" = 16384 ] || fail "every.bin is not 16384 bytes"
# Comment lines before the header are dropped, as by the Python tool: the
# same bytes as without them.
{ printf '# generated for the FiPy\n#key,type,encoding,value\n'; cat every.csv; } >commented.csv
expect 0 $N gen commented.csv 0x4000 -o commented.bin
cmp -s every.bin commented.bin || fail "comments before the header changed the image"
expect 0 $N dump every.bin
for want in "app             u8              u8     255" \
            "i8              i8     -128" "u16             u16    65535" \
            "i16             i16    -32768" "u32             u32    4294967295" \
            "i32             i32    -2147483648" "u64             u64    18446744073709551615" \
            "i64             i64    -9223372036854775808" 'str             string "hello, \"world\""' \
            "hex             blob   00112233445566778899aabbccddeeff" \
            "b64             blob   48656c6c6f2c204e565321" \
            "bin             blob   7261772074657874" "fill            blob   616263aaaaaaaaaa" \
            "szfill          blob   020000007879" 'note            string "line one\nline two\n"' \
            "raw             blob   000102feff" "b64f            blob   48656c6c6f2066696c65" \
            "hexf            blob   deadbeef" "numf            u32    1234567" \
            "ACTIVE   seq 0" "problems:" "  none"; do
    hasf "$want" "$T/out"
done
expect 0 $N dump every.bin --json
for want in '"key": "i64", "type": "i64", "size": 8, "value": -9223372036854775808' \
            '"key": "str", "type": "string", "size": 15, "value": "hello, \"world\""' \
            '"key": "raw", "type": "blob", "size": 5, "value": "000102feff"' \
            '"name": "net"' '"state_name": "ACTIVE"' '"mountable": true' '"problems": [' ; do
    hasf "$want" "$T/out"
done

# a gen error names the file, line and field, and leaves no output file
printf 'key,type,encoding,value\nns,namespace,,\n0123456789abcdef,data,u8,1\n' >long.csv
expect 1 $N gen long.csv 0x3000 -o long.bin
has "long.csv" "$T/err"
has "line 3" "$T/err"
has "field key" "$T/err"
[ ! -e long.bin ] || fail "a failed gen left long.bin"
printf 'key,type,encoding,value\nns,namespace,,\nf,file,binary,missing.bin\n' >missing.csv
expect 1 $N gen missing.csv 0x3000 -o missing.bin
has "missing.bin" "$T/err"

# ---- get / set / erase on a partition image ---------------------------------
expect 0 $N get every.bin app u32
has "4294967295" "$T/out"
expect 0 $N get every.bin net note -o note.out
cmp -s note.out note.txt || fail "get -o did not give the file's bytes back"
expect 1 $N get every.bin app nosuchkey
has "every.bin" "$T/err"
has "app/nosuchkey" "$T/err"
expect 0 $N set every.bin app u32 u32 7
expect 0 $N get every.bin app u32
has "7" "$T/out"
expect 0 $N set every.bin fresh greeting string "hi there"
expect 0 $N get every.bin fresh greeting
has "hi there" "$T/out"
expect 0 $N set every.bin fresh cert binary raw.bin --file
expect 0 $N get every.bin fresh cert
has "000102feff" "$T/out"
expect 0 $N set every.bin fresh k64 base64 QUJD
expect 0 $N get every.bin fresh k64
has "414243" "$T/out"
cp every.bin before.bin
expect 2 $N set every.bin fresh bad u8 300
cmp -s every.bin before.bin || fail "a refused set changed the file"
expect 1 $N set every.bin fresh 0123456789abcdef u8 1
cmp -s every.bin before.bin || fail "a failed set changed the file"
expect 0 $N erase every.bin fresh greeting
expect 1 $N get every.bin fresh greeting
expect 1 $N erase every.bin nosuchns k
expect 0 $N erase every.bin app --all
expect 1 $N get every.bin app u8
expect 0 $N get every.bin net numf
has "1234567" "$T/out"
expect 0 $N dump every.bin --strict
has "  none" "$T/out"

# many updates: garbage collection happens in the file and values survive
big=$(head -c 1000 /dev/zero | tr '\000' 'a')
i=0
while [ $i -lt 30 ]; do
    $N set every.bin net counter u32 $i >/dev/null 2>&1 || fail "set #$i failed"
    $N set every.bin net big hex2bin "$big$i$i" >/dev/null 2>&1 || fail "blob set #$i failed"
    i=$((i + 1))
done
expect 0 $N get every.bin net counter
has "29" "$T/out"
expect 0 $N get every.bin net big
has "aaaaaaaa2929$" "$T/out"
expect 0 $N get every.bin net hexf
has "deadbeef" "$T/out"
expect 0 $N dump every.bin --strict
grep -q "seq [5-9]" "$T/out" || fail "no garbage collection happened: $(grep seq "$T/out")"

# ---- a whole 8 MiB flash image: NVS at 0x9000 --------------------------------
head -c 8388608 /dev/zero | tr '\000' '\377' >flash.bin
printf 'FIPY' | dd of=flash.bin bs=1 seek=4096 conv=notrunc 2>/dev/null
expect 0 $N set flash.bin nvs.net80211 sta.ssid string home
[ "$(wc -c <flash.bin | tr -d ' ')" = 8388608 ] || fail "flash.bin changed size"
expect 0 $N get flash.bin nvs.net80211 sta.ssid
has "home" "$T/out"
expect 0 $N dump flash.bin
has "NVS at 0x9000 of an 8 MiB flash image" "$T/out"
has "page 0 @0x09000  ACTIVE" "$T/out"
dd if=flash.bin bs=4096 skip=1 count=1 2>/dev/null | head -c 4 >magic.out
[ "$(cat magic.out)" = "FIPY" ] || fail "set touched flash outside the NVS partition"
dd if=flash.bin bs=4096 skip=9 count=4 2>/dev/null >part.out
expect 0 $N get part.out nvs.net80211 sta.ssid
has "home" "$T/out"
expect 0 $N gen every.csv 0x4000 -o gen4.bin
dd if=gen4.bin of=flash.bin bs=4096 seek=9 conv=notrunc 2>/dev/null
expect 0 $N get flash.bin net raw
has "000102feff" "$T/out"
expect 0 $N get flash.bin net raw --offset 0x9000 --size 0x4000
has "000102feff" "$T/out"

# ---- damage is reported with page, entry, field and offset, and skipped ----
cp gen4.bin bad.bin
# entry 1 of page 0 (offset 0x60): flip its CRC
printf '\000\000\000\000' | dd of=bad.bin bs=1 seek=100 conv=notrunc 2>/dev/null
expect 0 $N dump bad.bin
hasf "page 0 entry 1 (offset 0x60): bad item crc (field crc32); skipped" "$T/out"
has "i64             i64    -9223372036854775808" "$T/out"
expect 1 $N dump bad.bin --strict
expect 0 $N dump bad.bin --json
hasf '"page": 0, "entry": 1, "offset": 96, "field": "crc32", "problem": "bad item crc"' "$T/out"
# a page whose header CRC is broken
printf '\000' | dd of=bad.bin bs=1 seek=8 conv=notrunc 2>/dev/null
expect 0 $N dump bad.bin
has "header CRC mismatch" "$T/out"
printf 'not an nvs image' >junk.bin
expect 1 $N dump junk.bin
has "junk.bin" "$T/err"

finish
