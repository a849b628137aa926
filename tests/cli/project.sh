#!/bin/sh
# fipytool project: new -> check -> build end to end, and a careless user:
# an existing directory, a file instead of a directory, a read-only or
# full disk, the same file twice, a project with errors, a VM of another ABI.
. "$FPY_SRC/tests/cli/common.inc"
P="$FPY_TOOL project"
hasf() { grep -F -q -- "$1" "$2" || fail "'$1' not in $2: $(head -5 "$2")"; }
sum() { cat "$@" | cksum; }
cd "$T" || exit 1

# ---- help and usage errors ---------------------------------------------------
expect 0 $P --help
has "new DIR" "$T/out"
for c in new check build; do
    expect 0 $P $c --help
    has "usage: fipytool project $c" "$T/out"
done
expect 2 $P
expect 2 $P frobnicate
expect 2 $P new
expect 2 $P new a b
expect 2 $P check
expect 2 $P check --bogus x

# ---- new, then check and build what it wrote ----------------------------------
expect 0 $P new p
has "created p" "$T/out"
for f in project.yml main.py README.md; do [ -f "p/$f" ] || fail "new did not write p/$f"; done
for w in "fipytool register" "vm create" "virtualize" "upload"; do hasf "$w" p/README.md; done
hasf "target: pycom_fipy_v1" p/project.yml
notemp . "new"
expect 0 $P check p
has "ok (0 warning(s))" "$T/out"
has "target:   pycom_fipy_v1" "$T/out"
expect 0 $P check p/project.yml
expect 0 $P check p --json
hasf '"ok":true' "$T/out"
hasf '"abi":1' "$T/out"
expect 0 $P build p --abi 1
has "p/project.fbc: " "$T/out"
has "slot 524288 bytes" "$T/out"
expect 0 "$FPY_TOOL" bytecode info p/project.fbc --abi 1
has "VM ABI:           1" "$T/out"
# deterministic: the same project gives the same bytes
expect 0 $P build p --abi 1 -o again.fbc
cmp -s p/project.fbc again.fbc || fail "two builds of one project differ"

# ---- new: never overwrites, never leaves half a project ------------------------
before=$(sum p/project.yml p/main.py p/README.md)
expect 1 $P new p
has "not empty" "$T/err"
[ "$(sum p/project.yml p/main.py p/README.md)" = "$before" ] || fail "new changed an existing project"
mkdir q && echo mine >q/main.py
expect 1 $P new q
[ "$(cat q/main.py)" = mine ] || fail "new overwrote q/main.py"
[ ! -e q/project.yml ] || fail "new wrote into a non-empty directory"
echo text >afile
expect 1 $P new afile
has "not a directory" "$T/err"
[ "$(cat afile)" = text ] || fail "new replaced a file"
expect 1 $P new afile/sub
ln -s p link
expect 1 $P new link
has "symbolic link" "$T/err"
mkdir empty
expect 0 $P new empty/
[ -f empty/main.py ] || fail "new did not fill an empty directory"
# a full disk (no byte may be written): nothing is left behind
(ulimit -f 0; exec $P new full) >"$T/out" 2>"$T/err" && fail "new succeeded with ulimit -f 0"
[ ! -e full ] || fail "a failed new left 'full' behind"
notemp . "new on a full disk"
if [ "$(id -u)" != 0 ]; then # root writes into read-only directories
    mkdir ro && chmod 555 ro
    expect 1 $P new ro/p
    [ -z "$(ls -A ro)" ] || fail "new left files in a read-only directory"
    chmod 755 ro
fi

# ---- check: errors and warnings with their places -------------------------------
printf 'target: pycom_fipy_v1\nvm: 3\nfoo: 1\n' >bad.yml
expect 1 $P check bad.yml
has "bad.yml:2:5: error: wrong type: vm must be a mapping" "$T/out"
has "bad.yml:3:1: warning: unknown key 'foo'" "$T/out"
has "fix: " "$T/out"
has "1 error(s), 2 warning(s)" "$T/out"
expect 1 $P check bad.yml --json
hasf '"ok":false' "$T/out"
hasf '"line":2,"column":5' "$T/out"
printf 'target: esp32_devkitc\n' >wt.yml
expect 1 $P check wt.yml
has "wt.yml:1:9: error: wrong target 'esp32_devkitc'" "$T/out"
printf 'target: pycom_fipy_v1\nvm: {abi: 1}\nconfig:\n  zerynth_ssl: true\n' >ssl.yml
expect 1 $P check ssl.yml
has "ssl.yml:4:16: error: zerynth_ssl: true is refused" "$T/out"
has "native_mbedtls: true" "$T/out"
expect 1 $P check missing.yml
has "missing.yml" "$T/out"
expect 1 $P check empty_dir_that_is_not_there/

# ---- build: refused cleanly, no output written ----------------------------------
expect 2 $P build p
has "needs --abi" "$T/err"
expect 2 $P build p --abi x
expect 2 $P build p --abi 1 --max-size lots
rm -f p/project.fbc
expect 1 $P build p --abi 2
has "another VM ABI" "$T/err"
has "vm.abi 1" "$T/err"
has "ABI 2" "$T/err"
[ ! -e p/project.fbc ] || fail "a refused build wrote p/project.fbc"
expect 1 $P build p --abi 1 --max-size 100
has "the slot holds 100" "$T/err"
[ ! -e p/project.fbc ] || fail "an oversized build wrote p/project.fbc"
# the same file twice: the output may not be a source or project.yml
before=$(sum p/main.py p/project.yml)
expect 2 $P build p --abi 1 -o p/main.py
has "ends in .py" "$T/err"
expect 2 $P build p --abi 1 -o p/project.yml
expect 2 $P build p --abi 1 -o ./p/../p/project.yml
[ "$(sum p/main.py p/project.yml)" = "$before" ] || fail "build replaced a source"
expect 1 $P build afile --abi 1
has "not a project directory" "$T/err"
# a project with errors is not built
mkdir s && cp ssl.yml s/project.yml && cp p/main.py s/
expect 1 $P build s --abi 1
has "s/project.yml:4:16: error" "$T/err"
has "not built" "$T/err"
[ ! -e s/project.fbc ] || fail "a project with errors was built"
# no main.py
mkdir m && cp p/project.yml m/ && echo 'x = 1' >m/util.py
expect 1 $P build m --abi 1
has "no main.py" "$T/err"
# the BLE layout's smaller slot is the default limit
sed 's/layout: nonble/layout: ble/' p/project.yml >b.yml && mkdir b && mv b.yml b/project.yml
cp p/main.py b/
expect 0 $P build b --abi 1 -o b.fbc
has "slot 327680 bytes" "$T/out"
notemp . "build"
notemp p "build"
finish
