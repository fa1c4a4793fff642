#!/usr/bin/env bash
# unit-tests.sh — run the cmocka unit tests of one build dir, then print
# "N passed, N failed" counted in test cases, not programs.
#
# usage: unit-tests.sh BUILD_DIR
# cmocka reports "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" per
# program; meson's testlog.txt holds every program's output. A program that
# dies before cmocka can report (a crash, a sanitizer abort, a timeout) shows
# up only in meson's own "Fail:"/"Timeout:" totals, so the failed count is at
# least that many.
set -uo pipefail

build=$1
meson test -C "$build" --no-suite fuzz --print-errorlogs --num-processes 2
rc=$?

log="$build/meson-logs/testlog.txt"
sum() { # sum the numbers that follow the given cmocka tag in the log
    grep -E "^\[  $1  \] [0-9]+ test" "$log" 2>/dev/null |
        awk '{ n += $4 } END { print n + 0 }'
}
passed=$(sum PASSED)
failed=$(sum FAILED)
programs_failed=$(grep -E '^(Fail|Timeout|Unexpected Pass): +[0-9]+' "$log" 2>/dev/null |
    awk '{ n += $NF } END { print n + 0 }')
[ "$programs_failed" -gt "$failed" ] && failed=$programs_failed
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "unit: $passed passed, $failed failed"
exit "$rc"
