#!/bin/sh
# Issue 17: the size budget.  scripts/size-budget is what make cross runs
# on the Xtensa figures (which make test cannot build: no cross compiler
# here); this drives it with made-up figures, and checks that the budget
# file in the repository is well formed and keeps the boot path to the
# issue's 24 KiB.
. "$FPY_SRC/tests/cli/common.inc"
SB="$FPY_SRC/scripts/size-budget"
cat >"$T/budget" <<'B'
# a comment line
boot-path 24576   # why: the bootloader's room
core      1000
image     2000    # another reason
B

printf 'boot-path 20000\ncore 1000\nimage 1500\n' >"$T/ok"
expect 0 sh "$SB" "$T/budget" "$T/ok"
has 'boot-path   20000 of  24576 bytes (4576 left)' "$T/out"
has 'core         1000 of   1000 bytes (0 left)' "$T/out"

# one byte over: fails and says by how much, for each one over
printf 'boot-path 24577\ncore 1000\nimage 2100\n' >"$T/over"
expect 1 sh "$SB" "$T/budget" "$T/over"
has 'boot-path: 24577 bytes, budget 24576: 1 bytes over' "$T/out"
has 'image: 2100 bytes, budget 2000: 100 bytes over' "$T/out"
has 'core         1000 of' "$T/out"

# a new module without a budget, and a budget for a module that is gone
printf 'boot-path 1\ncore 1\nimage 1\nrom 300\n' >"$T/new"
expect 1 sh "$SB" "$T/budget" "$T/new"
has 'rom: 300 bytes, and no budget in' "$T/out"
printf 'boot-path 1\ncore 1\n' >"$T/gone"
expect 1 sh "$SB" "$T/budget" "$T/gone"
has 'a budget for image, which was not measured (a stale line)' "$T/out"

# malformed lines name the file and the line; unreadable files are usage errors
printf 'boot-path 24576\ncore lots\n' >"$T/bad"
expect 2 sh "$SB" "$T/bad" "$T/ok"
has "$T/bad:2: expected \"NAME BYTES\", got \"core lots\"" "$T/out"
printf 'core 1\ncore 2\n' >"$T/twice"
expect 2 sh "$SB" "$T/twice" "$T/ok"
has "$T/twice:2: core has a second budget" "$T/out"
expect 2 sh "$SB" "$T/budget" "$T/missing"
has "cannot read $T/missing" "$T/err"
expect 2 sh "$SB" "$T/budget"

# The repository's budget: well formed, the boot path at 24 KiB or less,
# and a budget for every module of lib/.
B="$FPY_SRC/lib/size-budget"
awk '{ sub(/#.*/, "") } NF { print $1, $2 }' "$B" >"$T/at-budget"
expect 0 sh "$SB" "$B" "$T/at-budget"
bp=$(awk '$1 == "boot-path" { print $2 }' "$T/at-budget")
[ -n "$bp" ] && [ "$bp" -le 24576 ] || fail "boot-path budget '$bp' is not at most 24576"
for d in "$FPY_SRC"/lib/*/; do
    m=$(basename "$d")
    grep -q "^$m " "$T/at-budget" || fail "lib/$m has no budget in lib/size-budget"
done
finish
