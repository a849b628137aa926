#!/bin/sh
# fipytool device list|show|alias|forget on the registry (docs/registry.md):
# an empty or missing one, a small one written through the API by
# test_registry (FPY_REGISTRY_FIXTURE), unknown devices, --json, an alias
# clash, forget, and registries that are damaged or unreadable.
. "$FPY_SRC/tests/cli/common.inc"
F=$FPY_TOOL
cd "$T" || exit 1
FIX="$(dirname "$FPY_TOOL")/test_registry"
unset FIPY_REGISTRY XDG_DATA_HOME

# ---- the path rule: --registry, $FIPY_REGISTRY, $XDG_DATA_HOME, $HOME ------------
expect 0 env HOME="$T/home" "$F" device list
has "no devices registered in $T/home/.local/share/fipy/registry.db" "$T/out"
[ ! -e "$T/home" ] || fail "device list created a registry"
expect 0 env HOME="$T/home" XDG_DATA_HOME="$T/xdg" "$F" device list
has "$T/xdg/fipy/registry.db" "$T/out"
expect 0 env HOME="$T/home" FIPY_REGISTRY="$T/env.db" "$F" device list --json
has "\"registry\": \"$T/env.db\", \"devices\": \[\]" "$T/out"
expect 0 env FIPY_REGISTRY="$T/env.db" "$F" device list --registry "$T/opt.db"
has "$T/opt.db" "$T/out"

# ---- unknown devices, on no registry and on an empty one ---------------------------
expect 1 "$F" device show fipy-240ac4001234 --registry "$T/none.db"
has "device not registered: fipy-240ac4001234 (run \`fipytool register\`" "$T/err"
has "fipytool device list" "$T/err"
FPY_REGISTRY_FIXTURE="$T/empty.db" "$FIX" >/dev/null 2>&1 || fail "fixture"
R="--registry $T/reg.db"
FPY_REGISTRY_FIXTURE="$T/reg.db" "$FIX" >"$T/out" 2>&1 || fail "fixture: $(cat "$T/out")"
for d in nope fipy-240ac4009999 240ac4009999 9999 567; do
    expect 1 "$F" device show "$d" $R
    has "device not registered: $d" "$T/err"
done
expect 1 "$F" device forget 9999 --yes $R
has "device not registered: 9999" "$T/err"
expect 1 "$F" device alias 9999 x $R
has "device not registered: 9999" "$T/err"

# ---- list and show ---------------------------------------------------------------
expect 0 "$F" device list $R
[ "$(wc -l <"$T/out")" = 4 ] || fail "list: want a header and 3 devices: $(cat "$T/out")"
has "^fipy-240ac4001234  bench .*ESP32-D0WDQ6  1.0  8 MiB    nonble  1.20.2" "$T/out"
has "^fipy-240ac4005678  - " "$T/out"
expect 0 "$F" device list --json $R
has "\"id\": \"fipy-240ac4001234\", \"mac\": \"24:0a:c4:00:12:34\", \"chip\": \"ESP32-D0WDQ6\", \"revision\": \"1.0\", \"flash_id\": 1523912, \"flash_size\": 8388608, \"alias\": \"bench\", \"layout\": \"nonble\"" "$T/out"
has "\"alias\": null, \"layout\": null, .*\"vm\": null}" "$T/out"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$T/out" >/dev/null || fail "list --json is not JSON"
fi
for d in bench fipy-240ac4001234 FIPY-240AC4001234 240ac4001234 24:0a:c4:00:12:34 1234; do
    expect 0 "$F" device show "$d" $R
    has "^fipy-240ac4001234 (bench)" "$T/out"
done
has "VM: *vm/fipy.bin (version 1.20.2, ABI 1, 1536000 bytes, SHA-256 c\{64\}" "$T/out"
has "history: 1 entry" "$T/out"
has "upload *0x210000 *4096 B  a\{64\}  main \"1\".fbc" "$T/out"
expect 0 "$F" device show bench --json $R
has "\"history\": \[" "$T/out"
has "\"address\": 2162688, \"size\": 4096, \"sha256\": \"a\{64\}\", \"label\": \"main \\\\\"1\\\\\".fbc\"}" "$T/out"
if command -v python3 >/dev/null 2>&1; then
    python3 -m json.tool "$T/out" >/dev/null || fail "show --json is not JSON"
fi
# a MAC tail two devices share names neither
expect 1 "$F" device show 5678 $R
has "matches 2 registered devices (fipy-240ac4005678, fipy-240ac4015678)" "$T/err"

# ---- aliases -----------------------------------------------------------------------
expect 1 "$F" device alias 005678 bench $R
has "the alias 'bench' already names fipy-240ac4001234" "$T/err"
for bad in beef fipy-x "a b" 123456789012345678901234567890123; do
    expect 2 "$F" device alias 005678 "$bad" $R
    has "bad alias" "$T/err"
done
expect 2 "$F" device alias 005678 $R
expect 0 "$F" device alias 005678 desk $R
expect 0 "$F" device show desk $R
has "^fipy-240ac4005678 (desk)" "$T/out"
expect 0 "$F" device alias desk --clear $R
expect 1 "$F" device show desk $R

# ---- forget -------------------------------------------------------------------------
expect 2 "$F" device forget bench $R </dev/null
has "add --yes" "$T/err"
expect 0 "$F" device show bench $R
expect 0 "$F" device forget bench --yes $R
has "fipy-240ac4001234 forgotten" "$T/out"
expect 1 "$F" device show bench $R
expect 0 "$F" device list $R
[ "$(wc -l <"$T/out")" = 3 ] || fail "forget: want 2 devices left: $(cat "$T/out")"

# ---- damaged, foreign, unreadable registries: exit 1, named, left as they were ----
lcg() { # N bytes from a 31-bit LCG
    n=$1 x=7
    while [ "$n" -gt 0 ]; do
        x=$(((x * 1103515245 + 12345) % 2147483648))
        b=$(((x >> 16) & 255))
        printf "\\$((b / 64))$((b / 8 % 8))$((b % 8))"
        n=$((n - 1))
    done
}
lcg 2048 >bad.db
cp bad.db bad.orig
head -c 5000 reg.db >cut.db
cp cut.db cut.orig
for f in bad cut; do
    for c in "list" "show bench" "alias bench x" "forget bench --yes"; do
        # shellcheck disable=SC2086
        expect 1 "$F" device $c --registry "$T/$f.db"
        has "$T/$f.db is not a fipy registry (or is damaged)" "$T/err"
        has "move it away" "$T/err"
        cmp -s "$f.db" "$f.orig" || fail "device $c changed $f.db"
    done
done
mkdir folder.db
expect 1 "$F" device list --registry "$T/folder.db"
has "$T/folder.db is a folder" "$T/err"
expect 1 "$F" device list --registry "$T/bad.db/registry.db" # under a file: for root too
has "cannot reach the registry $T/bad.db/registry.db: Not a directory" "$T/err"
mkfifo fifo.db
expect 1 "$F" device list --registry "$T/fifo.db"
has "$T/fifo.db is not a regular file" "$T/err"
if [ "$(id -u)" != 0 ]; then # root reads anything
    cp reg.db locked.db
    chmod 000 locked.db
    expect 1 "$F" device list --registry "$T/locked.db"
    has "cannot read the registry $T/locked.db" "$T/err"
    chmod 600 locked.db
fi
finish
