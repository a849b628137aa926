#!/bin/sh
# fipytool keys / sign / verify end to end: keys made by us, by openssl
# (SEC1 with parameters, PKCS#8) and by espsecure; app images and bytecode
# signed and verified; a flipped byte, a wrong key, an unsigned file
# refused; a key file written 0600 and never over a file.  With espsecure
# (esptool 4.8.1 and 5.3.1 where ../shared/tools/peers.sh put them, see
# sim_esptool.sh; skipped without): our block is byte for byte
# `espsecure sign_data --version 1`'s, espsecure verify_signature accepts
# ours, we accept espsecure's, and our raw public key is
# extract_public_key's.
. "$FPY_SRC/tests/cli/common.inc"
cd "$T" || exit 1
F=$FPY_TOOL
"$F" image mkelf -o app.elf >/dev/null || fail "mkelf"
"$F" image elf2image app.elf -o app.bin --secure-pad >/dev/null || fail "elf2image --secure-pad"
printf 'print("hi")\n' >payload
"$F" bytecode build payload --abi 1 -o a.fbc >/dev/null || fail "bytecode build"

# keys
expect 0 "$F" keys gen -o k.pem
has "public X||Y" "$T/out"
has "BEGIN EC PRIVATE KEY" k.pem
[ "$(stat -c %a k.pem)" = 600 ] || fail "k.pem has mode $(stat -c %a k.pem), expected 600"
cp k.pem k.keep
expect 1 "$F" keys gen -o k.pem
has "exists" "$T/err"
cmp -s k.pem k.keep || fail "keys gen changed an existing file"
expect 0 "$F" keys pub k.pem -o pub.pem
has "BEGIN PUBLIC KEY" pub.pem
expect 0 "$F" keys pub k.pem -o pub.bin --raw
[ "$(wc -c <pub.bin)" = 64 ] || fail "raw public key is not 64 bytes"
expect 0 "$F" keys gen -o other.pem

# app image
size=$(wc -c <app.bin)
expect 0 "$F" sign --key k.pem app.bin -o app.s
[ "$(wc -c <app.s)" = $((size + 68)) ] || fail "signed app is not 68 bytes longer"
[ $(((size + 68) % 65536)) = 65524 ] || fail "secure-padded signed app does not end 12 bytes before 64K"
cmp -s -n "$size" app.bin app.s || fail "signing changed the image bytes"
expect 0 "$F" sign --key k.pem app.bin -o app.s2
cmp -s app.s app.s2 || fail "two signatures of one image differ (RFC 6979)"
for key in k.pem pub.pem pub.bin; do
    expect 0 "$F" verify --key "$key" app.s
    has "signature valid (app image" "$T/out"
done
expect 1 "$F" verify --key other.pem app.s
has "signature does not verify" "$T/err"
expect 1 "$F" verify --key k.pem app.bin
has "no signature block" "$T/err"
expect 1 "$F" sign --key k.pem app.s -o app.s3
has "already signed" "$T/err"
expect 0 "$F" sign --key other.pem app.s -o app.s3 --replace
expect 0 "$F" verify --key other.pem app.s3
expect 1 "$F" sign --key pub.pem app.bin -o app.s4
[ ! -e app.s4 ] || fail "a refused sign wrote its output"
expect 2 "$F" sign --key k.pem app.bin -o app.bin
expect 2 "$F" sign app.bin -o x
# one flipped byte in the image, then in the signature
for off in 100 $((size - 1)) $((size + 10)) $((size + 67)); do
    cp app.s flip.bin
    printf '\252' | dd of=flip.bin bs=1 seek="$off" conv=notrunc 2>/dev/null
    cmp -s flip.bin app.s && printf '\125' | dd of=flip.bin bs=1 seek="$off" conv=notrunc 2>/dev/null
    expect 1 "$F" verify --key k.pem flip.bin
done

# bytecode
expect 0 "$F" sign --key k.pem a.fbc -o a.s.fbc
expect 0 "$F" verify --key pub.bin a.s.fbc
has "bytecode image" "$T/out"
expect 0 "$F" bytecode info a.s.fbc
has "(signed)" "$T/out"
expect 1 "$F" verify --key k.pem a.fbc
has "not signed" "$T/err"
expect 1 "$F" verify --key other.pem a.s.fbc
cp a.s.fbc flip.fbc
printf '\0' | dd of=flip.fbc bs=1 seek=140 conv=notrunc 2>/dev/null
expect 1 "$F" verify --key k.pem flip.fbc

# keys from openssl
if command -v openssl >/dev/null 2>&1; then
    openssl ecparam -genkey -name prime256v1 -out ossl.pem 2>/dev/null || fail "openssl ecparam"
    openssl pkcs8 -topk8 -nocrypt -in ossl.pem -out ossl8.pem 2>/dev/null || fail "openssl pkcs8"
    openssl ec -in ossl.pem -pubout -out osslpub.pem 2>/dev/null || fail "openssl pubout"
    for key in ossl.pem ossl8.pem; do
        expect 0 "$F" sign --key "$key" app.bin -o app.o
        expect 0 "$F" verify --key osslpub.pem app.o
    done
    openssl ecparam -genkey -name secp384r1 -out p384.pem 2>/dev/null
    expect 1 "$F" sign --key p384.pem app.bin -o app.o
    has "P-256" "$T/err"
else
    echo "openssl not found: its keys not checked"
fi

# espsecure
PEERS=${FPY_ESPTOOL_PEERS:-${PEERS:-$HOME/.cache/fipy-peers}}
PY=${FPY_PYTHON:-/usr/bin/python3}
esps() { # esps VERSION ARGS...: that espsecure, output in $T/esp.out
    v=$1
    shift
    (cd "$PEERS/esptool-v$v" && "$PY" -m espsecure "$@") >"$T/esp.out" 2>&1
}
if [ "${FPY_SANITIZED:-0}" = 1 ]; then
    echo "espsecure: skipped in the sanitized build (the plain build runs it)"
elif [ ! -d "$PEERS/esptool-v4.8.1/espsecure" ] || [ ! -d "$PEERS/esptool-v5.3.1/espsecure" ] ||
    ! "$PY" -c 'import ecdsa, cryptography, click' 2>/dev/null; then
    echo "espsecure: skipped (no esptool 4.8.1 and 5.3.1 in $PEERS, or their modules for $PY)"
else
    esps 4.8.1 sign_data --version 1 --keyfile "$T/k.pem" -o "$T/esp4.s" "$T/app.bin" ||
        fail "espsecure 4.8.1 sign_data: $(tail -2 "$T/esp.out")"
    cmp -s esp4.s app.s || fail "our signed app differs from espsecure 4.8.1's"
    # 5.3.1 signs with cryptography's deterministic_signing (cryptography >= 43)
    if esps 5.3.1 sign-data --version 1 --keyfile "$T/k.pem" -o "$T/esp5.s" "$T/app.bin"; then
        cmp -s esp5.s app.s || fail "our signed app differs from espsecure 5.3.1's"
    elif grep -q deterministic_signing "$T/esp.out"; then
        echo "espsecure 5.3.1 sign-data needs cryptography >= 43: compared with 4.8.1 only"
    else
        fail "espsecure 5.3.1 sign-data: $(tail -2 "$T/esp.out")"
    fi
    for vk in 4.8.1:pub.bin 5.3.1:k.pem 5.3.1:pub.pem 5.3.1:pub.bin; do
        v=${vk%%:*} key=${vk#*:}
        esps $v verify_signature --version 1 --keyfile "$T/$key" "$T/app.s" ||
            fail "espsecure $v verify_signature with $key refuses ours: $(tail -1 "$T/esp.out")"
    done
    esps 5.3.1 verify_signature --version 1 --keyfile "$T/other.pem" "$T/app.s" &&
        fail "espsecure verify_signature accepts ours with the wrong key"
    esps 5.3.1 extract-public-key --version 1 --keyfile "$T/k.pem" "$T/esppub.bin" ||
        fail "espsecure extract-public-key: $(tail -1 "$T/esp.out")"
    cmp -s esppub.bin pub.bin || fail "our raw public key differs from extract_public_key's"
    esps 5.3.1 generate-signing-key --version 1 "$T/esp5.pem" ||
        fail "espsecure generate-signing-key: $(tail -1 "$T/esp.out")"
    expect 0 "$F" sign --key esp5.pem app.bin -o app.e
    esps 4.8.1 sign_data --version 1 --keyfile "$T/esp5.pem" -o "$T/esp4e.s" "$T/app.bin" ||
        fail "espsecure 4.8.1 sign_data with its own key"
    cmp -s esp4e.s app.e || fail "with espsecure's key, our signature differs from espsecure's"
    expect 0 "$F" verify --key esp5.pem esp4e.s
    echo "espsecure 4.8.1/5.3.1: same bytes, each accepts the other's"
fi
finish
