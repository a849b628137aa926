#!/bin/sh
# Issue 12, point 4: the writers of one flash image take turns (flock), so
# running them together loses no update; and a writer killed at any moment
# leaves the old image or the new one: never a torn image, never a
# temporary file.  Bounded: a few seconds.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F="$FPY_TOOL"
ROUNDS=${FPY_CONCURRENT_ROUNDS:-9}
KILLS=${FPY_KILL_ROUNDS:-8}

update_images
expect 0 "$F" flash create base.bin --vm v1.bin --bc a1.fbc
cp base.bin tried.bin
expect 0 "$F" fota apply tried.bin --vm v2.bin --bc a2.fbc

# ---- nvs set and a FOTA command on the same image at the same time ----------
# Before flock, nvs set renamed its copy over the image while the other
# command wrote into the old one: both exited 0 and the FOTA step was lost.
i=0
while [ $i -lt "$ROUNDS" ]; do
    case $((i % 3)) in
    0) cp base.bin img.bin; other="fota apply img.bin --vm v2.bin --bc a2.fbc"
       look="fota status img.bin --json"; want='"mode": "TEST_NEW"' ;;
    1) cp tried.bin img.bin; other="boot img.bin --json"
       look="fota status img.bin --json"; want='"mode": "TEST_BOOTED"' ;;
    *) cp base.bin img.bin; other="otadata set img.bin --slot 1"
       look="otadata dump img.bin --json"; want='"boot_slot": 1' ;;
    esac
    "$F" nvs set img.bin app k$i u32 $i >/dev/null 2>"$T/err1" &
    a=$!
    sleep "0.0$((i % 4))" # sometimes while nvs set reads, sometimes while it saves
    $F $other >/dev/null 2>"$T/err2" &
    b=$!
    wait $a || fail "round $i: nvs set failed: $(cat "$T/err1")"
    wait $b || fail "round $i: '$other' failed: $(cat "$T/err2")"
    $F $look >"$T/out" 2>&1
    grep -q -- "$want" "$T/out" || fail "round $i: '$other' was lost (nvs set ran at the same time)"
    "$F" nvs get img.bin app k$i >"$T/out" 2>&1
    grep -qx "$i" "$T/out" || fail "round $i: the NVS key was lost ('$other' ran at the same time)"
    notemp . "round $i"
    i=$((i + 1))
done

# ---- kill a writer at random moments ----------------------------------------
# What each command makes of base.bin when left alone: the only other
# acceptable result of a killed run is base.bin itself.
cp base.bin new_fota.bin && expect 0 "$F" fota apply new_fota.bin --vm v2.bin --bc a2.fbc
cp base.bin new_nvs.bin && expect 0 "$F" nvs set new_nvs.bin app key u32 77
# the two results differ from base.bin, or "old or new" could not fail
cmp -s new_fota.bin base.bin && fail "fota apply left base.bin unchanged"
cmp -s new_nvs.bin base.bin && fail "nvs set left base.bin unchanged"
awk -v n="$KILLS" 'BEGIN { srand(); for (i = 0; i < 2 * n; i++) printf "%.3f\n", rand() * 0.06 }' >delays
# Background jobs of a script ignore SIGINT, so TERM and HUP do the killing.
j=0
landed=0
while read -r delay; do
    if [ $((j % 2)) = 0 ]; then cmd="fota apply img.bin --vm v2.bin --bc a2.fbc"; new=new_fota.bin
    else cmd="nvs set img.bin app key u32 77"; new=new_nvs.bin; fi
    sig=TERM; [ $((j % 4)) -ge 2 ] && sig=HUP
    cp base.bin img.bin
    $F $cmd >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -s $sig $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ $? -gt 128 ] && landed=$((landed + 1)) # the signal ended it mid-run
    cmp -s img.bin base.bin || cmp -s img.bin $new ||
        fail "kill $j ($sig after ${delay}s of '$cmd'): the image is neither the old one nor the new one"
    notemp . "kill $j ($sig after ${delay}s of '$cmd')"
    j=$((j + 1))
done <delays
# some kills must land while the command still ran, or nothing was tested
[ "$landed" -gt 0 ] || fail "no kill landed while a command was running"
echo "kills that landed: $landed of $j"
finish
