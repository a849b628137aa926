#!/bin/sh
# Issue 12, point 4: how fipytool treats the files it writes (docs/files.md).
# Outputs onto symlinks, FIFOs, device nodes, directories, read-only files and
# hard links; mode and owner kept; an output that is an input refused; a full
# disk (ulimit -f) is a message and leaves everything as it was; nvs set/erase
# refuse a file that is not an NVS partition unless --format.
# Only /dev/null and /dev/full are ever written among system devices, and only
# after the same write onto a node of our own showed it is written, not replaced.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
P="$FPY_TOOL partition gen --layout nonble"
same() { cmp -s "$1" "$2" || fail "$3"; }
mode() { stat -c %a "$1"; }
$P -o table.ref >/dev/null || fail "partition gen"
printf 'other bytes\n' >old.txt

# ---- symlinks: the link stays, its target gets the bytes -----------------
cp old.txt real.bin && ln -s real.bin link.bin
expect 0 $P -o link.bin
[ -L link.bin ] || fail "-o onto a symlink replaced the link"
same real.bin table.ref "-o onto a symlink did not update the file it points to"
mkdir sub && ln -s sub/new.bin dangling.bin
expect 0 $P -o dangling.bin
[ -L dangling.bin ] || fail "-o onto a dangling symlink replaced the link"
same sub/new.bin table.ref "-o onto a dangling symlink did not create its target"
notemp .
notemp sub

# ---- FIFOs and character devices are written, never replaced --------------
mkfifo fifo
timeout 10 cat fifo >fifo.got &
cat_pid=$!
expect 0 timeout 10 $P -o fifo
wait $cat_pid
[ -p fifo ] || fail "-o onto a FIFO replaced it"
same fifo.got table.ref "the reader of the FIFO did not get the table"
# a reader that leaves early: a message, not a death by SIGPIPE
mkfifo fifo2
timeout 10 head -c 10 fifo2 >/dev/null &
head_pid=$!
expect 1 timeout 10 "$FPY_TOOL" flash create fifo2 --force
has "fifo2" "$T/err"
has "Broken pipe" "$T/err"
wait $head_pid
[ -p fifo2 ] || fail "flash create onto a FIFO replaced it"
if mknod full c 1 7 2>/dev/null && mknod null c 1 3 2>/dev/null; then
    expect 1 $P -o full
    has "full" "$T/err"
    has "No space left on device" "$T/err"
    [ -c full ] || fail "-o onto a device node replaced it"
    expect 0 $P -o null
    [ -c null ] || fail "-o onto a device node replaced it"
    notemp .
fi
# the real ones, once a node of our own has shown they are not replaced
if [ -c full ] && [ -c null ] && [ -c /dev/full ] && [ -c /dev/null ]; then
    expect 1 $P -o /dev/full
    has "/dev/full" "$T/err"
    has "No space left on device" "$T/err"
    [ -c /dev/full ] || fail "/dev/full is no longer a device"
    expect 0 $P -o /dev/null
    [ -c /dev/null ] || fail "/dev/null is no longer a device"
fi
# refused: directories, block devices
mkdir adir
expect 1 $P -o adir
has "adir" "$T/err"
has "directory" "$T/err"
[ -d adir ] || fail "-o onto a directory replaced it"
if mknod blk b 7 250 2>/dev/null; then
    expect 1 $P -o blk
    has "blk" "$T/err"
    has "block device" "$T/err"
    [ -b blk ] || fail "-o onto a block device replaced it"
fi
notemp .

# ---- a name of 254 characters: the temporary file's name must still fit
long=$(printf '%0254d' 0)
expect 0 $P -o "$long"
same "$long" table.ref "-o a 254-character name"
expect 0 $P -o "$long"
notemp .

# ---- regular files: read-only refused, mode and owner kept, hard links ------
cp old.txt ro.bin && chmod 444 ro.bin
expect 1 $P -o ro.bin
has "ro.bin" "$T/err"
has "read-only" "$T/err"
same ro.bin old.txt "a read-only file was replaced"
[ "$(mode ro.bin)" = 444 ] || fail "a read-only file's mode changed"
cp old.txt m.bin && chmod 640 m.bin
expect 0 $P -o m.bin
same m.bin table.ref "-o m.bin did not write it"
[ "$(mode m.bin)" = 640 ] || fail "mode 640 became $(mode m.bin)"
if [ "$(id -u)" = 0 ]; then
    cp old.txt own.bin && chown 1234:2345 own.bin
    expect 0 $P -o own.bin
    [ "$(stat -c %u:%g own.bin)" = 1234:2345 ] || fail "owner became $(stat -c %u:%g own.bin)"
fi
cp old.txt h1.bin && ln h1.bin h2.bin
expect 1 $P -o h1.bin
has "hard link" "$T/err"
same h2.bin old.txt "a hard-linked file was written"
notemp .

# ---- the in-place commands follow the same rules -----------------------------
printf 'key,type,encoding,value\n' >empty.csv
"$FPY_TOOL" nvs gen empty.csv 0x3000 -o nvs.ref >/dev/null || fail "nvs gen"
cp nvs.ref nvsreal.bin && ln -s nvsreal.bin nvslink.bin
expect 0 "$FPY_TOOL" nvs set nvslink.bin app k u8 7
[ -L nvslink.bin ] || fail "nvs set replaced a symlink"
expect 0 "$FPY_TOOL" nvs get nvsreal.bin app k
has "^7$" "$T/out"
cp nvs.ref nvsro.bin && chmod 444 nvsro.bin
expect 1 "$FPY_TOOL" nvs set nvsro.bin app k u8 7
has "nvsro.bin" "$T/err"
has "read-only" "$T/err"
same nvsro.bin nvs.ref "nvs set wrote a read-only file"
cp nvs.ref nvs640.bin && chmod 640 nvs640.bin
expect 0 "$FPY_TOOL" nvs set nvs640.bin app k u8 7
[ "$(mode nvs640.bin)" = 640 ] || fail "nvs set changed mode 640 to $(mode nvs640.bin)"
mkfifo nvsfifo
expect 1 timeout 10 "$FPY_TOOL" nvs set nvsfifo app k u8 7
has "nvsfifo" "$T/err"
[ -p nvsfifo ] || fail "nvs set replaced a FIFO"
notemp .

# ---- an output that is an input: refused before anything is done ------------
"$FPY_TOOL" image mkelf -o app.elf >/dev/null || fail "mkelf"
"$FPY_TOOL" image elf2image app.elf -o app.bin --flash-mode dio --flash-size 8MB >/dev/null || fail "elf2image"
cp nvs.ref n.bin && "$FPY_TOOL" nvs set n.bin app k u32 7 >/dev/null
cp n.bin n.orig && ln -s n.bin n.link && ln n.bin n.hard 2>/dev/null
for out in n.bin ./n.bin n.link "$T/n.bin" n.hard; do
    [ -e "$out" ] || continue
    expect 2 "$FPY_TOOL" nvs get n.bin app k -o "$out"
    has "same file" "$T/err"
    has "$out" "$T/err"
    same n.bin n.orig "nvs get -o $out replaced its input"
done
$P -o tab.bin >/dev/null && cp tab.bin tab.orig
expect 2 "$FPY_TOOL" partition to-csv tab.bin -o ./tab.bin
same tab.bin tab.orig "to-csv -o its input replaced it"
"$FPY_TOOL" partition to-csv tab.bin -o tab.csv >/dev/null && cp tab.csv tab.csv.orig
expect 2 "$FPY_TOOL" partition from-csv tab.csv -o tab.csv
same tab.csv tab.csv.orig "from-csv -o its input replaced it"
cp app.elf app.elf.orig
expect 2 "$FPY_TOOL" image elf2image app.elf -o app.elf
same app.elf app.elf.orig "elf2image -o its input replaced it"
printf 'payload' >pl && cp pl pl.orig
expect 2 "$FPY_TOOL" bytecode build pl --abi 1 -o pl
same pl pl.orig "bytecode build -o its input replaced it"
printf 'key,type,encoding,value\nns,namespace,,\nk,data,u8,1\n' >g.csv && cp g.csv g.orig
expect 2 "$FPY_TOOL" nvs gen g.csv 0x3000 -o g.csv
same g.csv g.orig "nvs gen -o its CSV replaced it"
printf 'key,type,encoding,value\nns,namespace,,\nb,file,binary,blob.bin\n' >row.csv
printf 'blob' >blob.bin
expect 1 "$FPY_TOOL" nvs gen row.csv 0x3000 -o ./blob.bin
has "line 3" "$T/err"
has "same file" "$T/err"
[ "$(cat blob.bin)" = blob ] || fail "nvs gen -o a file its CSV reads replaced it"
cp app.bin vm.bin && cp vm.bin vm.orig
expect 2 "$FPY_TOOL" flash create vm.bin --vm vm.bin --force
same vm.bin vm.orig "flash create over its --vm replaced it"
"$FPY_TOOL" bytecode build pl --abi 1 -o bc.fbc >/dev/null && cp bc.fbc bc.orig
expect 2 "$FPY_TOOL" flash create bc.fbc --bc ./bc.fbc --force
same bc.fbc bc.orig "flash create over its --bc replaced it"

# ---- a full disk (ulimit -f): a message naming the file, nothing changed ------
expect 0 "$FPY_TOOL" flash create fl.bin --vm app.bin --bc bc.fbc
cp fl.bin fl.orig
expect 1 sh -c "ulimit -f 1000; exec \"$FPY_TOOL\" fota apply fl.bin --bc bc.fbc"
has "fl.bin" "$T/err"
has "File too large" "$T/err"
same fl.bin fl.orig "a failed save changed the flash image"
expect 1 sh -c "ulimit -f 1000; exec \"$FPY_TOOL\" nvs set fl.bin app k u8 1"
has "fl.bin" "$T/err"
same fl.bin fl.orig "a failed nvs save changed the flash image"
expect 1 sh -c "ulimit -f 1; exec $P -o small.bin"
has "small.bin" "$T/err"
[ ! -e small.bin ] || fail "a failed write left small.bin"
notemp .

# ---- nvs set/erase: only into an NVS partition or an erased area ---------------
head -c 16384 /dev/urandom >rnd.bin
# whole 4 KiB pages, so that what is refused is the content, not the size
cp app.bin app4k.bin && head -c $((4096 - $(wc -c <app.bin) % 4096)) /dev/zero >>app4k.bin
cp app.elf elf4k.bin && head -c $((4096 - $(wc -c <app.elf) % 4096)) /dev/zero >>elf4k.bin
for f in app.bin app.elf; do # not whole pages: refused as truncated
    cp $f victim.bin
    expect 1 "$FPY_TOOL" nvs set victim.bin ns k u8 1
    has "victim.bin" "$T/err"
    has "not whole 4 KiB pages" "$T/err"
    same victim.bin $f "nvs set overwrote $f"
done
for f in app4k.bin elf4k.bin rnd.bin; do
    cp $f victim.bin
    expect 1 "$FPY_TOOL" nvs set victim.bin ns k u8 1
    has "victim.bin" "$T/err"
    has "not an NVS partition" "$T/err"
    has "page 0" "$T/err"
    same victim.bin $f "nvs set overwrote $f"
    expect 1 "$FPY_TOOL" nvs erase victim.bin ns k
    has "not an NVS partition" "$T/err"
    same victim.bin $f "nvs erase overwrote $f"
done
expect 0 "$FPY_TOOL" nvs set victim.bin ns k u8 1 --format
expect 0 "$FPY_TOOL" nvs get victim.bin ns k
has "^1$" "$T/out"
cp victim.bin victim.orig
expect 1 "$FPY_TOOL" nvs set victim.bin ns k2 u8 2 --format
has "already" "$T/err"
same victim.bin victim.orig "--format erased an NVS partition"
head -c 12288 /dev/zero | tr '\000' '\377' >erased.bin
expect 0 "$FPY_TOOL" nvs set erased.bin ns k u8 1
# a whole flash image: the NVS area at 0x9000 is what counts
expect 0 "$FPY_TOOL" flash create img.bin
dd if=rnd.bin of=img.bin bs=4096 seek=9 count=4 conv=notrunc 2>/dev/null
cp img.bin img.orig
expect 1 "$FPY_TOOL" nvs set img.bin ns k u8 1
has "img.bin" "$T/err"
has "0x9000" "$T/err"
same img.bin img.orig "nvs set overwrote a flash image's NVS area"
expect 0 "$FPY_TOOL" nvs set img.bin ns k u8 1 --format
expect 0 "$FPY_TOOL" nvs get img.bin ns k
finish
