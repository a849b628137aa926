#!/bin/sh
# The flasher benchmark of issue 14 (method and figures: docs/flasher-bench.md).
#
# On the virtual board ('fipytool sim', default link model: paced at the
# baud, 2 ms bridge latency each way) it writes a 1 MiB VM image at 0x10000
# and a 512 KiB bytecode image at 0x210000 (bytecode slot 0 of the non-BLE
# layout), then the same again (unchanged), then with ~1 % of the 4 KiB
# sectors changed, with each tool at each baud, timing each command with
# the wall clock; after every write the flash file must equal the inputs.
# It prints one table row per run and the lower bound the link and the
# simulated flash allow (formula below, computed with awk).
#
# Environment (all optional):
#   BENCH_BAUDS   bauds to run              (default "115200 460800 921600")
#   BENCH_TOOLS   tools, in this order of   (default "fipytool esptool-rom
#                 names:                      esptool-stub esptool-rom-fast")
#       fipytool          fipytool flash write (ROM loader, MD5 skip, zlib)
#       esptool-rom       esptool write-flash -z --no-stub
#       esptool-stub      esptool write-flash -z (its flasher stub)
#       esptool-rom-fast  esptool --no-stub with its own re-flash shortcuts:
#                         --skip-flashed (unchanged), --diff-with OLD
#                         (changed); not run for the first write
#   BENCH_CASES   "full same changed connect" (default all four; connect
#                 times connecting alone: fipytool flash info, esptool
#                 flash-id, at the baud)
#   BENCH_OUT     directory for inputs, logs and results.tsv (default: a
#                 fresh one under /tmp, kept)
#   FPY_TOOL      the fipytool binary (default ./build/fipytool)
#   FPY_ESPTOOL_DIR  esptool 5.3.1 source tree (default: where
#                 ../shared/tools/peers.sh puts it, $PEERS/esptool-v5.3.1,
#                 PEERS defaulting to $HOME/.cache/fipy-peers); FPY_PYTHON its
#                 python (default /usr/bin/python3: needs pyserial and
#                 rich_click). Without them the esptool rows are skipped.
#   BENCH_APP_ELF the ESP32 app ELF the VM image starts with (default: the
#                 esp32-app-template.elf of esptool's test data)
#
# A quick run: BENCH_BAUDS=921600 BENCH_TOOLS=fipytool sh bench/flash_bench.sh
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
FPY_TOOL=${FPY_TOOL:-$SRC/build/fipytool}
BAUDS=${BENCH_BAUDS:-"115200 460800 921600"}
TOOLS=${BENCH_TOOLS:-"fipytool esptool-rom esptool-stub esptool-rom-fast"}
CASES=${BENCH_CASES:-"full same changed connect"}
ESPTOOL_DIR=${FPY_ESPTOOL_DIR:-${PEERS:-$HOME/.cache/fipy-peers}/esptool-v5.3.1}
PY=${FPY_PYTHON:-/usr/bin/python3}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/fipy-flash-bench.XXXXXX)}
APP_ELF=${BENCH_APP_ELF:-$ESPTOOL_DIR/test/elf2image/esp32-app-template.elf}

# The model the lower bound uses: the board's defaults (docs/sim-board.md,
# sim/flashsim.h FPY_FLASHSIM_TIMING_DEFAULT; docs/sim.md's link model).
LAT_MS=2          # bridge latency, each direction
ERASE_MS=45       # per 4 KiB sector, erased up front by *BEGIN
PAGE_MS=0.7       # per 256-byte page program
READ_NS=100       # per byte read (read-back after programming, MD5)

VM_ADDR=0x10000
BC_ADDR=0x210000
VM_SIZE=1048576
BC_SIZE=524288

die() { echo "flash_bench: $*" >&2; exit 1; }
[ -x "$FPY_TOOL" ] || die "no fipytool at $FPY_TOOL (build it: cmake --build build --target fipytool)"
command -v "$PY" >/dev/null 2>&1 || die "no python at $PY (needed to build the inputs)"
[ -f "$APP_ELF" ] || die "no ESP32 app ELF at $APP_ELF (set BENCH_APP_ELF)"
HAVE_ESPTOOL=1
if [ ! -f "$ESPTOOL_DIR/esptool/__init__.py" ] ||
    ! "$PY" -c 'import serial, rich_click' 2>/dev/null; then
    HAVE_ESPTOOL=0
    echo "note: no esptool at $ESPTOOL_DIR or no pyserial/rich_click for $PY: esptool rows skipped"
fi
mkdir -p "$OUT/in" "$OUT/log" || die "cannot create $OUT"
IN=$OUT/in
SIM_PID=

stop_sim() {
    if [ -n "$SIM_PID" ]; then
        kill -TERM "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
        SIM_PID=
    fi
}
trap 'stop_sim' EXIT
trap 'stop_sim; exit 130' INT TERM

# ---- the inputs -------------------------------------------------------------

# The VM image: a real ESP-IDF app (esptool's esp32-app-template.elf through
# 'fipytool image elf2image', as ESP-IDF calls it), then, to reach the VM
# slot's 1 MiB, the same app's bytes again (a real VM is about that size;
# a second copy more than 32 KiB back is beyond deflate's window, so it
# compresses as the app does). The image still verifies as a VM (trailing
# bytes after the digest are allowed), so no --force is needed.
"$FPY_TOOL" image elf2image "$APP_ELF" -o "$IN/app.bin" --flash-mode dio \
    --flash-freq 40m --flash-size 8MB >"$OUT/log/inputs.txt" 2>&1 ||
    die "elf2image failed: $(cat "$OUT/log/inputs.txt")"
"$PY" - "$IN" "$VM_SIZE" "$BC_SIZE" <<'EOF' || die "building the inputs failed"
import hashlib, marshal, os, sys, zlib, glob
d, vm_size, bc_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = open(os.path.join(d, "app.bin"), "rb").read()
vm = bytearray()
while len(vm) < vm_size:
    vm += app
vm = vm[:vm_size]
open(os.path.join(d, "vm.bin"), "wb").write(vm)

# Bytecode-like payload: CPython 3 code objects (marshal), i.e. opcodes,
# constants and names of the standard library's modules, sorted by name
# so the run is repeatable on one Python version.
payload = bytearray()
libdir = os.path.dirname(os.__file__)
for path in sorted(glob.glob(os.path.join(libdir, "*.py"))):
    try:
        src = open(path, "rb").read()
        payload += marshal.dumps(compile(src, os.path.basename(path), "exec"))
    except Exception:
        continue
    if len(payload) >= bc_size - 128:
        break
payload = payload[:bc_size - 128]
assert len(payload) == bc_size - 128, "not enough bytecode"
open(os.path.join(d, "bc.payload"), "wb").write(payload)

# The 1 % change: 4 of the 384 sectors, spread over both files, as a
# rebuild would change them: 32 bytes of code in VM sector 64 (so the
# image's checksum and SHA-256 in sector 146 change with it), and 32 bytes
# of bytecode payload at bytecode sector 64 (so the header's SHA-256 in
# sector 0 changes with it).
def fix_image(img, end):
    # ESP32 app image: 24-byte header, segments (8-byte header + data),
    # padding so that the checksum byte ends a 16-byte line, then SHA-256.
    nseg, off, ck = img[1], 24, 0xEF
    for _ in range(nseg):
        ln = int.from_bytes(img[off + 4:off + 8], "little")
        for b in img[off + 8:off + 8 + ln]:
            ck ^= b
        off += 8 + ln
    off += 15 - (off % 16)
    img[off] = ck
    assert off + 1 + 32 == end, (off, end)
    img[off + 1:end] = hashlib.sha256(bytes(img[:off + 1])).digest()

vm2 = bytearray(vm)
a = 64 * 4096 + 2048
vm2[a:a + 32] = bytes(b ^ 0x5A for b in vm2[a:a + 32])
fix_image(vm2, len(app))
open(os.path.join(d, "vm2.bin"), "wb").write(vm2)
p2 = bytearray(payload)
a = 64 * 4096 + 2048 - 128
p2[a:a + 32] = bytes(b ^ 0x5A for b in p2[a:a + 32])
open(os.path.join(d, "bc2.payload"), "wb").write(p2)

# Sizes for the lower bound: whole-file zlib level 9 (what esptool sends;
# the best a ROM-mode stream does), and each changed sector alone.
with open(os.path.join(d, "sizes.txt"), "w") as f:
    f.write("app %d %d\n" % (len(app), len(zlib.compress(app, 9))))
EOF
"$FPY_TOOL" bytecode build "$IN/bc.payload" --abi 1 -o "$IN/bc.fbc" >>"$OUT/log/inputs.txt" 2>&1 &&
    "$FPY_TOOL" bytecode build "$IN/bc2.payload" --abi 1 -o "$IN/bc2.fbc" >>"$OUT/log/inputs.txt" 2>&1 ||
    die "bytecode build failed: $(tail -3 "$OUT/log/inputs.txt")"
[ "$(wc -c <"$IN/bc.fbc")" -eq "$BC_SIZE" ] || die "bc.fbc is not $BC_SIZE bytes"

# Which sectors differ between the two versions, and the sizes the bound
# needs: per file its size and zlib -9 size, per changed sector its zlib
# -9 size alone.
"$PY" - "$IN" >>"$IN/sizes.txt" <<'EOF' || die "sizing failed"
import os, sys, zlib
d = sys.argv[1]
for a, b in (("vm.bin", "vm2.bin"), ("bc.fbc", "bc2.fbc")):
    x, y = open(os.path.join(d, a), "rb").read(), open(os.path.join(d, b), "rb").read()
    print("file %s %d %d" % (a, len(x), len(zlib.compress(x, 9))))
    for s in range(0, len(y), 4096):
        if x[s:s + 4096] != y[s:s + 4096]:
            print("sector %s %d %d" % (a, s // 4096, len(zlib.compress(y[s:s + 4096], 9))))
EOF

# ---- the lower bound --------------------------------------------------------
#
# ROM mode is one request, one reply: nothing overlaps. For a write of
# files i (size S_i, zlib -9 size C_i, n_i = ceil(C_i / 1024) blocks of
# 1 KiB), at B baud, 10 bits a byte (8N1), latency L each way:
#
#   full    = sectors × t_erase                        (erased on *BEGIN)
#           + Σ_i (n_i + 1) × (2 L + 10 × (26 + 14) / B) (a round trip per
#             block and per BEGIN: SLIP 2 + header 8 + data header 16 out,
#             a 14-byte reply back)
#           + Σ_i 10 × C_i / B                          (the data on the wire)
#           + Σ_i (S_i / 256 × t_page + S_i × t_read)   (program + read-back)
#   same    = Σ_i (2 L + 10 × (26 + 46) / B + S_i × t_read)
#             (one SPI_FLASH_MD5 per file: the chip reads the whole file)
#   changed = the full formula over the changed sectors only, each sector
#             compressed alone, each its own BEGIN (they are not adjacent)
#
# Escaping (0xC0/0xDB doubled, ~0.8 % of deflate output) is left out, and so
# are connecting (SYNC, chip detection, baud change) and any final check:
# a true lower bound.
bound() { # bound CASE BAUD -> seconds
    awk -v c="$1" -v B="$2" -v L="$LAT_MS" -v te="$ERASE_MS" -v tp="$PAGE_MS" \
        -v tr="$READ_NS" '
        function rt() { return 2 * L / 1000 + 10 * (26 + 14) / B }
        function wr(S, C,   n) { n = int((C + 1023) / 1024)
            return (n + 1) * rt() + 10 * C / B + S / 256 * tp / 1000 + S * tr / 1e9 }
        $1 == "file"   { files++; S[files] = $3; C[files] = $4 }
        $1 == "sector" { k++; sc[k] = $4 }
        END {
            t = 0
            if (c == "full")
                for (i = 1; i <= files; i++)
                    t += int((S[i] + 4095) / 4096) * te / 1000 + wr(S[i], C[i])
            else if (c == "same")
                for (i = 1; i <= files; i++)
                    t += 2 * L / 1000 + 10 * (26 + 46) / B + S[i] * tr / 1e9
            else
                for (j = 1; j <= k; j++)
                    t += te / 1000 + wr(4096, sc[j])
            printf "%.2f\n", t
        }' "$IN/sizes.txt"
}

# ---- the board --------------------------------------------------------------

TTY=$OUT/tty
CTL=$OUT/ctl
FLASH=$OUT/flash.bin

ctl() { "$FPY_TOOL" sim ctl "$CTL" "$@" >/dev/null || die "sim ctl $*: failed"; }

# A fresh board on a fresh (erased) flash file, or on the current file.
start_sim() { # start_sim fresh|keep
    stop_sim
    [ "$1" = fresh ] && rm -f "$FLASH"
    "$FPY_TOOL" sim --flash "$FLASH" --link "$TTY" --ctl "$CTL" \
        >"$OUT/log/sim.out" 2>"$OUT/log/sim.err" &
    SIM_PID=$!
    i=0
    while ! grep -q '^ctl: ' "$OUT/log/sim.out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 200 ] || die "the simulator did not start: $(cat "$OUT/log/sim.err")"
        sleep 0.05
    done
    grep -q '^link model: paced' "$OUT/log/sim.out" ||
        die "the simulator does not pace the link: $(cat "$OUT/log/sim.out")"
    ctl jumper on
}

# Download mode at 115200, before each timed command (not timed).
download_mode() {
    ctl reset
    sleep 0.4
}

# The flash file must hold both files: the figures are of correct writes.
check_flash() { # check_flash VM BC
    cmp -n "$VM_SIZE" -i 0:$((VM_ADDR)) "$1" "$FLASH" >/dev/null &&
        cmp -n "$BC_SIZE" -i 0:$((BC_ADDR)) "$2" "$FLASH" >/dev/null
}

# run TOOL BAUD CASE VM BC -> one line in results.tsv
run() {
    tool=$1 baud=$2 cas=$3 vm=$4 bc=$5
    log=$OUT/log/$tool-$baud-$cas.log
    case $tool in
    fipytool)
        if [ "$cas" = connect ]; then
            set -- "$FPY_TOOL" flash info --port "$TTY" --baud "$baud" --no-reset
        else
            set -- "$FPY_TOOL" flash write "$VM_ADDR" "$vm" "$BC_ADDR" "$bc" \
            --port "$TTY" --baud "$baud" --no-reset
        fi ;;
    esptool-rom | esptool-stub | esptool-rom-fast)
        set -- env -C "$ESPTOOL_DIR" "$PY" -m esptool --chip esp32 --port "$TTY" --baud "$baud" --before no-reset \
            --after no-reset
        [ "$tool" = esptool-stub ] || set -- "$@" --no-stub
        if [ "$cas" = connect ]; then
            set -- "$@" flash-id
        else
            set -- "$@" write-flash -z
        fi
        if [ "$tool" = esptool-rom-fast ]; then
            case $cas in
            same) set -- "$@" --skip-flashed ;;
            # --diff-with eats words up to the next option
            changed) set -- "$@" --diff-with "$IN/vm.bin" "$IN/bc.fbc" ;;
            esac
        fi
        [ "$cas" = connect ] || set -- "$@" --no-progress "$VM_ADDR" "$vm" "$BC_ADDR" "$bc" ;;
    esac
    download_mode
    t0=$(date +%s.%N)
    # a hung tool fails its row instead of stopping the bench
    timeout 1200 "$@" >"$log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    ok=ok
    [ $rc -eq 0 ] || ok="exit$rc"
    lb=0
    if [ "$cas" != connect ]; then
        check_flash "$vm" "$bc" || ok="$ok,flash-differs"
        lb=$(bound "$cas" "$baud")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$baud" "$tool" "$cas" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" "$lb" "$ok" \
        >>"$OUT/results.tsv"
    tail -n 1 "$OUT/results.tsv"
    [ "$ok" = ok ] || echo "  see $log: $(tail -n 2 "$log" | tr '\n' ' ')"
}

has_case() { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }

: >"$OUT/results.tsv"
echo "flash_bench: inputs and logs in $OUT"
awk '$1 == "app" { printf "app image %d bytes, zlib -9 %d (ratio %.2f)\n", $2, $3, $2 / $3 }
     $1 == "file" { printf "%s %d bytes, zlib -9 %d (ratio %.2f)\n", $2, $3, $4, $3 / $4 }
     $1 == "sector" { n++ } END { printf "changed sectors: %d of 384\n", n }' "$IN/sizes.txt"
printf 'baud\ttool\tcase\tseconds\tbound\tresult\n'
for baud in $BAUDS; do
    for tool in $TOOLS; do
        case $tool in
        fipytool) ;;
        esptool-rom | esptool-stub | esptool-rom-fast) [ $HAVE_ESPTOOL = 1 ] || continue ;;
        *) die "unknown tool '$tool' in BENCH_TOOLS" ;;
        esac
        if has_case full && [ "$tool" != esptool-rom-fast ]; then
            start_sim fresh
            run "$tool" "$baud" full "$IN/vm.bin" "$IN/bc.fbc"
        else
            # start from the files already in flash, as the first write leaves it
            rm -f "$FLASH"
            "$FPY_TOOL" flash create "$FLASH" --vm "$IN/vm.bin" --bc "$IN/bc.fbc" \
                >/dev/null 2>&1 || die "flash create failed"
            start_sim keep
        fi
        if has_case connect && [ "$tool" != esptool-rom-fast ]; then
            run "$tool" "$baud" connect "$IN/vm.bin" "$IN/bc.fbc"
        fi
        has_case same && run "$tool" "$baud" same "$IN/vm.bin" "$IN/bc.fbc"
        has_case changed && run "$tool" "$baud" changed "$IN/vm2.bin" "$IN/bc2.fbc"
        stop_sim
    done
done

# ---- the table ------------------------------------------------------------
echo
echo "payload: $((VM_SIZE + BC_SIZE)) bytes; throughput = payload / seconds"
echo "link model: paced at the baud, ${LAT_MS} ms latency each way; flash: ${ERASE_MS} ms/sector erase, ${PAGE_MS} ms/page, ${READ_NS} ns/byte read"
awk -F '\t' -v P=$((VM_SIZE + BC_SIZE)) '
    $3 == "connect" { printf "%-7s %-17s %-8s %8.2f s\n", $1, $2, $3, $4; next }
    { printf "%-7s %-17s %-8s %8.2f s %9.1f KiB/s   bound %7.2f s  (%.2fx)  %s\n",
        $1, $2, $3, $4, P / $4 / 1024, $5, ($5 > 0 ? $4 / $5 : 0), $6 }' "$OUT/results.tsv"
echo
echo "lower bound of the full write, by part (seconds):"
for baud in $BAUDS; do
    awk -v B="$baud" -v L="$LAT_MS" -v te="$ERASE_MS" -v tp="$PAGE_MS" -v tr="$READ_NS" '
        $1 == "file" { S += $3; C += $4; n += int(($4 + 1023) / 1024) + 1
            sec += int(($3 + 4095) / 4096) }
        END { e = sec * te / 1000; r = n * 2 * L / 1000; f = n * 400 / B; w = 10 * C / B
            p = S / 256 * tp / 1000 + S * tr / 1e9
            printf "%-7s erase %.2f + data on the wire %.2f + frames and replies %.2f" \
                " + latency %.2f + program and read-back %.2f = %.2f (%d round trips)\n",
                B, e, w, f, r, p, e + w + f + r + p, n }' "$IN/sizes.txt"
done
echo
echo "targets (issue 14):"
awk -F '\t' '
    { t[$1 "," $2 "," $3] = $4; b[$1 "," $3] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++nb] = $1 } }
    function verdict(c) { return c ? "met" : "MISSED" }
    END {
        for (i = 1; i <= nb; i++) {
            B = order[i]; f = t[B ",fipytool,full"]; e = t[B ",esptool-rom,full"]
            s = t[B ",fipytool,same"]; c = t[B ",fipytool,changed"]
            if (f != "" && b[B ",full"] > 0)
                printf "%-7s full write %.2f s = %.2fx the ROM-mode bound (<= 1.2x): %s\n",
                    B, f, f / b[B ",full"], verdict(f <= 1.2 * b[B ",full"])
            if (f != "" && e != "")
                printf "%-7s full write %.2f s vs esptool --no-stub %.2f s (never slower): %s\n",
                    B, f, e, verdict(f <= e)
            if (f != "" && s != "")
                printf "%-7s unchanged re-flash %.2f s = %.1f %% of the full write (< 5 %%): %s\n",
                    B, s, 100 * s / f, verdict(s < 0.05 * f)
            if (c != "" && e != "")
                printf "%-7s 1 %%-changed re-flash %.2f s: %.1fx faster than esptool --no-stub'"'"'s full write (>= 5x): %s\n",
                    B, c, e / c, verdict(e / c >= 5)
            es = t[B ",esptool-stub,full"]
            if (c != "" && es != "")
                printf "%-7s 1 %%-changed re-flash %.2f s: %.1fx faster than esptool (stub)'"'"'s full write (>= 5x): %s\n",
                    B, c, es / c, verdict(es / c >= 5)
        }
    }' "$OUT/results.tsv"
if grep -qv '	ok$' "$OUT/results.tsv"; then
    echo "flash_bench: some runs failed (see $OUT/log)" >&2
    exit 1
fi
