#!/bin/sh
# fipytool encrypt / decrypt (the ESP32's flash encryption): a known answer
# from espsecure 5.3.1, round trips, each refusal with its message and
# status and no output left behind.  Then, when espsecure is there
# (esptool 5.3.1 and 4.8.1 as tests/cli/sim_esptool.sh finds them, in the
# plain build only), both ways: our ciphertext equals encrypt_flash_data's
# at addresses inside and across 32-byte groups, low and high in flash,
# under several FLASH_CRYPT_CONFIG values, and decrypt_flash_data of ours
# gives the plaintext back.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# key 00 01 .. 1f, plaintext (7i + 3) mod 256 for i < 64
i=0; k=''; p=''
while [ $i -lt 64 ]; do
    [ $i -lt 32 ] && k="$k$(printf '\\%03o' $i)"
    p="$p$(printf '\\%03o' $(((i * 7 + 3) % 256)))"
    i=$((i + 1))
done
printf "$k" >key.bin
printf "$p" >plain.bin
[ "$(wc -c <key.bin)" -eq 32 ] && [ "$(wc -c <plain.bin)" -eq 64 ] || fail "test inputs"

# espsecure encrypt-flash-data --keyfile key.bin --address 0x10 plain.bin
kat=ad26982ddf1e69ae0aaaaeda0d1865da7d1e11c15df03d53985474fe148b21c3
kat=${kat}129abfe98a41a7a24e0e795faf8396e7e9375f7c06ee38282b21f907b27eb8f3
expect 0 "$FPY_TOOL" encrypt --key key.bin --address 0x10 plain.bin -o c.bin
has '64 bytes encrypted for flash address 0x10 (FLASH_CRYPT_CONFIG 0xf)' "$T/out"
[ "$(hex c.bin)" = "$kat" ] || fail "encrypt at 0x10 differs from espsecure's: $(hex c.bin)"
expect 0 "$FPY_TOOL" decrypt -k key.bin -a 16 c.bin -o back.bin
cmp -s back.bin plain.bin || fail "decrypt of the known answer is not the plaintext"
# --flash-crypt-conf (espsecure ... --address 0x1000 --flash-crypt-conf 0x8)
expect 0 "$FPY_TOOL" encrypt --key key.bin --address 0x1000 --flash-crypt-conf 8 plain.bin -o c8.bin
[ "$(hex c8.bin | cut -c1-32)" = d12c2f10d62ba3cb291c43f35a79127b ] ||
    fail "encrypt with conf 8 differs from espsecure's: $(hex c8.bin)"

# a larger round trip, at another address; to standard output too
head -c 70000 /dev/urandom >data.bin
expect 0 "$FPY_TOOL" encrypt --key key.bin --address 0x7F0F50 --flash-crypt-conf 0x5 data.bin -o enc.bin
cmp -s enc.bin data.bin && fail "encrypt left the data as it was"
expect 0 "$FPY_TOOL" decrypt --key key.bin --address 0x7F0F50 --flash-crypt-conf 0x5 enc.bin -o -
cmp -s "$T/out" data.bin || fail "decrypt to stdout is not the plaintext"
expect 0 "$FPY_TOOL" decrypt --key key.bin --address 0x7F0F60 --flash-crypt-conf 0x5 enc.bin -o bad.bin
cmp -s bad.bin data.bin && fail "decrypt at another address gave the plaintext"

# a length that is not a multiple of 16: padded with 0xFF, and said
head -c 20 data.bin >odd.bin
expect 0 "$FPY_TOOL" encrypt --key key.bin --address 0 odd.bin -o odd.enc
has 'padded with 12 bytes 0xFF' "$T/err"
[ "$(wc -c <odd.enc)" -eq 32 ] || fail "padded ciphertext is not 32 bytes"
expect 0 "$FPY_TOOL" decrypt --key key.bin --address 0 odd.enc -o odd.dec
[ "$(hex odd.dec)" = "$(hex odd.bin)ffffffffffffffffffffffff" ] || fail "padding is not 0xFF"

# refusals: status, message, and the output never written
echo keep >out.bin
refused() { # CODE MESSAGE ARGS...
    code=$1 msg=$2
    shift 2
    expect "$code" "$FPY_TOOL" "$@"
    has "$msg" "$T/err"
    [ "$(cat out.bin)" = keep ] || fail "'$*' wrote out.bin"
}
head -c 31 key.bin >short.key
refused 1 'short.key has 31 bytes; an ESP32 flash encryption key is exactly 32 bytes' \
    encrypt --key short.key --address 0 plain.bin -o out.bin
cat key.bin key.bin >long.key
refused 1 'exactly 32 bytes' decrypt --key long.key --address 0 c.bin -o out.bin
refused 1 'key: ' encrypt --key nokey.bin --address 0 plain.bin -o out.bin
refused 2 'needs --key' encrypt --address 0 plain.bin -o out.bin
refused 2 'needs --address' decrypt --key key.bin c.bin -o out.bin
refused 2 'needs -o' encrypt --key key.bin --address 0 plain.bin
refused 2 'expected one input file' encrypt --key key.bin --address 0 -o out.bin
refused 2 '--address 0x8 is not a multiple of 16' encrypt --key key.bin --address 8 plain.bin -o out.bin
refused 2 "--address: '0x1000000' is too large" encrypt --key key.bin --address 0x1000000 plain.bin -o out.bin
refused 2 "--address: 'zz' is not a number" encrypt --key key.bin --address zz plain.bin -o out.bin
refused 2 "--flash-crypt-conf: '16' is too large" encrypt --key key.bin --address 0 --flash-crypt-conf 16 plain.bin -o out.bin
refused 1 'at most 256 bytes from address 0xffff00' encrypt --key key.bin --address 0xFFFF00 data.bin -o out.bin
refused 1 'odd.bin has 20 bytes, not a multiple of 16' decrypt --key key.bin --address 0 odd.bin -o out.bin
refused 1 'nothere.bin' encrypt --key key.bin --address 0 nothere.bin -o out.bin
cp plain.bin same.bin
expect 2 "$FPY_TOOL" encrypt --key key.bin --address 0 same.bin -o same.bin
cmp -s same.bin plain.bin || fail "encrypt onto its own input changed it"
expect 2 "$FPY_TOOL" encrypt --key key.bin --address 0 plain.bin -o key.bin
[ "$(wc -c <key.bin)" -eq 32 ] || fail "encrypt onto the key file changed it"
notemp "$T"

# espsecure, both ways
PEERS=${FPY_ESPTOOL_PEERS:-${PEERS:-$HOME/.cache/fipy-peers}}
PY=${FPY_PYTHON:-/usr/bin/python3}
if [ "${FPY_SANITIZED:-0}" = 1 ]; then
    echo "espsecure: skipped in the sanitized build (the plain build runs it)"
elif [ ! -f "$PEERS/esptool-v5.3.1/espsecure.py" ] || [ ! -f "$PEERS/esptool-v4.8.1/espsecure.py" ] ||
    ! "$PY" -c 'import cryptography' 2>/dev/null; then
    echo "espsecure: skipped: no esptool 5.3.1 and 4.8.1 in $PEERS, or no cryptography for $PY"
else
    esps() { # esps VERSION ARGS...: run that espsecure
        v=$1
        shift
        (cd "$PEERS/esptool-v$v" && timeout 60 "$PY" espsecure.py "$@") >"$T/esps.out" 2>&1 ||
            fail "espsecure $v $*: $(tail -2 "$T/esps.out")"
    }
    # VERSION ADDRESS CONF: ours and espsecure's encryption of data.bin agree
    same_enc() {
        [ "$1" = 5.3.1 ] && cmd=encrypt-flash-data conf=--flash-crypt-conf ||
            cmd=encrypt_flash_data conf=--flash_crypt_conf
        esps "$1" $cmd --keyfile "$T/key.bin" --address "$2" $conf "$3" -o "$T/theirs.bin" "$T/data.bin"
        expect 0 "$FPY_TOOL" encrypt --key key.bin --address "$2" --flash-crypt-conf "$3" data.bin -o ours.bin
        cmp -s ours.bin theirs.bin || fail "espsecure $1 encrypts at $2 (conf $3) to other bytes"
    }
    # VERSION ADDRESS CONF: espsecure decrypts ours to the plaintext
    their_dec() {
        [ "$1" = 5.3.1 ] && cmd=decrypt-flash-data conf=--flash-crypt-conf ||
            cmd=decrypt_flash_data conf=--flash_crypt_conf
        expect 0 "$FPY_TOOL" encrypt --key key.bin --address "$2" --flash-crypt-conf "$3" data.bin -o ours.bin
        esps "$1" $cmd --keyfile "$T/key.bin" --address "$2" $conf "$3" -o "$T/plain2.bin" "$T/ours.bin"
        cmp -s plain2.bin data.bin || fail "espsecure $1 decrypts ours at $2 (conf $3) to other bytes"
    }
    head -c 40000 /dev/urandom >data.bin
    same_enc 5.3.1 0x10 0xF     # starts mid-group; address bits 5..15
    same_enc 5.3.1 0x0 0x0      # no tweak
    same_enc 4.8.1 0x12350 0xA
    head -c 70000 /dev/urandom >data.bin
    same_enc 5.3.1 0x7F0F50 0x5 # high address bits, past the 8 MiB mark
    their_dec 5.3.1 0x7F0F50 0x5
    their_dec 4.8.1 0x30 0xF
    echo "espsecure 5.3.1 and 4.8.1: checked both ways"
fi
finish
