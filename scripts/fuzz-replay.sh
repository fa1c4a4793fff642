#!/usr/bin/env bash
# fuzz-replay.sh — replay every fuzz target over its seed inputs (meson's
# "fuzz" suite: fuzz/replay.c as main, whole inputs plus truncations and
# byte flips), then print "N passed, N failed" counted in targets.
#
# usage: fuzz-replay.sh BUILD_DIR
set -uo pipefail

build=$1
meson test -C "$build" --suite fuzz --print-errorlogs --num-processes 2
rc=$?
log="$build/meson-logs/testlog.txt"
count() { grep -E "^$1: +[0-9]+" "$log" | awk '{ n += $NF } END { print n + 0 }'; }
passed=$(count Ok)
failed=$(( $(count Fail) + $(count Timeout) ))
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
grep -h "^replay:" "$log" | sed 's/^/  /'
echo "fuzz-replay: $passed passed, $failed failed"
exit "$rc"
