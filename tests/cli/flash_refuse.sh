#!/bin/sh
# Issue 14: `fipytool flash write|read|verify|erase-region` refuse bad input
# before they open the port, so a refused command sends nothing to a board.
# The port given (socket://127.0.0.1:1) is never reachable: a command whose
# input is fine fails on the port instead, which shows the order.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
P="--port socket://127.0.0.1:1"
update_images
head -c 5000 /dev/zero | tr '\0' 'x' >data.bin
: >empty.bin
mkdir adir

# input that is fine reaches the port (and fails there)
expect 1 "$FPY_TOOL" flash write 0x300000 data.bin $P
has "127.0.0.1:1" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x10000 v1.bin 0x110000 v2.bin $P
has "127.0.0.1:1" "$T/err"

# where it goes: unaligned, beyond 8 MiB, overlapping
expect 1 "$FPY_TOOL" flash write 0x300004 data.bin $P
has "not a multiple of 4 KiB" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x7FF000 data.bin $P
has "do not fit the 8 MiB flash" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x300000 data.bin 0x301000 v1.bin $P
has "overlaps" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x300000 empty.bin $P
has "empty" "$T/err"

# what it is: a VM slot takes a VM image only, 0x8000 a partition table only
expect 1 "$FPY_TOOL" flash write 0x10000 data.bin $P
has "data.bin" "$T/err"
has "nothing written" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x110000 data.bin $P
has "nothing written" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x8000 data.bin $P
has "not a partition table" "$T/err"
# --force lets them through (to the port)
expect 1 "$FPY_TOOL" flash write 0x10000 data.bin --force $P
has "127.0.0.1:1" "$T/err"

# files: missing, a directory, named twice
expect 1 "$FPY_TOOL" flash write 0x300000 nope.bin $P
has "nope.bin" "$T/err"
expect 1 "$FPY_TOOL" flash write 0x300000 adir $P
has "adir" "$T/err"
expect 2 "$FPY_TOOL" flash write 0x300000 data.bin 0x320000 ./data.bin $P
has "named twice" "$T/err"
expect 1 "$FPY_TOOL" flash verify 0x300000 nope.bin $P

# usage: pairs, numbers, options that belong elsewhere
expect 2 "$FPY_TOOL" flash write 0x300000 $P
expect 2 "$FPY_TOOL" flash write zz data.bin $P
expect 2 "$FPY_TOOL" flash write 0x300000 data.bin --baud fast $P
expect 2 "$FPY_TOOL" flash info --vm v1.bin $P
expect 2 "$FPY_TOOL" flash read 0x1000 0x100 $P
expect 2 "$FPY_TOOL" flash read 0x1000 0 out.bin $P
expect 2 "$FPY_TOOL" flash read 0x7FF000 0x2000 out.bin $P
expect 2 "$FPY_TOOL" flash erase-region 0x1000 0x100 $P
has "multiples of 4 KiB" "$T/err"
expect 2 "$FPY_TOOL" flash verify 0x1000 data.bin --no-skip $P
expect 2 "$FPY_TOOL" flash create x.bin $P
expect 2 "$FPY_TOOL" flash bogus
expect 1 "$FPY_TOOL" flash read 0x1000 0x100 adir $P
has "directory" "$T/err"
[ -e out.bin ] && fail "a refused read left out.bin"

# --json: the failure is an event too
expect 1 "$FPY_TOOL" flash write 0x300004 data.bin --json $P
has '"stage": "error"' "$T/out"
has '"code": "bad-input"' "$T/out"
finish
