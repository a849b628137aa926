#!/bin/sh
# fipytool sim: the banner (pty, symlink, TCP port, control socket), the
# control channel through 'fipytool sim ctl' (ok / error: and the exit
# status), usage errors, and a clean end on SIGTERM and on 'quit': the
# symlink and the socket removed, the flash file left.
. "$FPY_SRC/tests/cli/common.inc"
F=$FPY_TOOL
cd "$T" || exit 1

# start NAME ARGS...: run 'fipytool sim' in the background, wait for its
# banner (the ctl: line) in NAME.out.
start() {
    name=$1
    shift
    "$F" sim --flash "$T/$name.bin" --ctl "$T/$name.ctl" --link "$T/$name.tty" "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    pid=$!
    i=0
    while ! grep -q '^ctl: ' "$T/$name.out" 2>/dev/null && [ $i -lt 100 ]; do
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    grep -q '^ctl: ' "$T/$name.out" || fail "$name: no banner: $(cat "$T/$name.err")"
}
# stopped PID: wait up to 5 s for it to end; its exit status in $rc.
stopped() {
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$1" 2>/dev/null; then
        fail "pid $1 did not stop"
        kill -9 "$1"
    fi
    wait "$1"
    rc=$?
}

start a --tcp 0 --fast
has "^pty: /dev/pts/" "$T/a.out"
has "^link: $T/a.tty" "$T/a.out"
has "^tcp: 127.0.0.1:[0-9]* (rfc2217://localhost:" "$T/a.out"
has "^ctl: $T/a.ctl" "$T/a.out"
[ -L "$T/a.tty" ] || fail "no symlink $T/a.tty"
[ -S "$T/a.ctl" ] || fail "no control socket $T/a.ctl"
[ "$(readlink "$T/a.tty")" = "$(sed -n 's/^pty: //p' "$T/a.out")" ] || fail "symlink target"

expect 0 "$F" sim ctl "$T/a.ctl" status
has "^ok mode=[a-z]* baud=115200 jumper=off power=on" "$T/out"
expect 0 "$F" sim ctl "$T/a.ctl" status --json
has '^ok {"mode": "' "$T/out"
# where the board is reached: the pty the banner named and the TCP port
expect 0 "$F" sim ctl "$T/a.ctl" ports
has "^ok pty=$(sed -n 's/^pty: //p' "$T/a.out") tcp=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\).*/\1/p' "$T/a.out")\$" "$T/out"
expect 1 "$F" sim ctl "$T/a.ctl" ports now
has "^error: ports: unexpected arguments" "$T/out"
expect 0 "$F" sim ctl "$T/a.ctl" jumper on
has "^ok$" "$T/out"
expect 0 "$F" sim ctl "$T/a.ctl" status
has "jumper=on" "$T/out"
expect 0 "$F" sim ctl "$T/a.ctl" link drop to-board at 10
has "^ok 1 rule set" "$T/out"
expect 1 "$F" sim ctl "$T/a.ctl" link drop sideways at 10
has "^error: link: direction 'sideways'" "$T/out"
expect 1 "$F" sim ctl "$T/a.ctl" frobnicate
has "^error: unknown command 'frobnicate'" "$T/out"
# a second board cannot take the same control socket, nor the TCP port
expect 1 "$F" sim --flash "$T/b.bin" --ctl "$T/a.ctl"
has "another virtual board is listening" "$T/err"
port=$(sed -n 's/^tcp: 127.0.0.1:\([0-9]*\) .*/\1/p' "$T/a.out")
expect 1 "$F" sim --flash "$T/b.bin" --ctl "$T/b.ctl" --link "$T/b.tty" --tcp "$port"
has "tcp 127.0.0.1:$port: Address already in use" "$T/err"
[ -e "$T/b.ctl" ] && fail "the failed run left its control socket"
[ -e "$T/b.tty" ] && fail "the failed run left its symlink"

kill -TERM $pid
stopped $pid
[ "$rc" = 0 ] || fail "SIGTERM: exit status $rc"
[ -e "$T/a.tty" ] && fail "the symlink is left after SIGTERM"
[ -e "$T/a.ctl" ] && fail "the control socket is left after SIGTERM"
[ -f "$T/a.bin" ] || fail "no flash file $T/a.bin"

start q
expect 0 "$F" sim ctl "$T/q.ctl" quit
has "^ok bye" "$T/out"
stopped $pid
[ "$rc" = 0 ] || fail "quit: exit status $rc"
[ -e "$T/q.tty" ] && fail "the symlink is left after quit"

# usage errors and a dead socket
expect 2 "$F" sim --tcp 70000
has "too large" "$T/err"
expect 2 "$F" sim --fast --latency-ms 5
has "contradict" "$T/err"
expect 2 "$F" sim bogus
has "no command 'bogus'" "$T/err"
expect 2 "$F" sim ctl "$T/nothing.ctl"
has "needs SOCKET and a COMMAND" "$T/err"
expect 1 "$F" sim ctl "$T/nothing.ctl" status
has "cannot connect to $T/nothing.ctl" "$T/err"
expect 0 "$F" sim --help
has "fipytool sim ctl SOCKET" "$T/out"
expect 0 "$F" sim ctl --help
finish
