#!/usr/bin/env bash
# stage.sh — run one test stage, log it, and record its pass/fail counts.
#
# usage: stage.sh RESULTS_DIR NAME COMMAND [ARGS...]
#
# Every stage command is expected to end its output with a line
# "N passed, N failed" (meson's unit tests get one from unit-tests.sh). The
# counts go to RESULTS_DIR/NAME for summarize.sh. The exit status is checked
# too, so a stage that crashes after printing good counts, or prints none at
# all, still counts as a failure. This script itself always exits 0, so that
# `make test` runs every stage and reports them all, not only the first failure.
set -uo pipefail

results=$1 name=$2
shift 2
mkdir -p "$results"
log="$results/$name.log"

echo "=== stage $name: $*"
"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

line=$(grep -E '^([A-Za-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
passed=0 failed=0
if [ -n "$line" ]; then
    passed=$(sed -E 's/^([A-Za-z0-9-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
    failed=$(sed -E 's/^([A-Za-z0-9-]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The command failed in a way its own counts did not show (a crash, a
    # build error, a sanitizer report at exit): count that as one failure.
    echo "stage $name: command exited $rc"
    failed=1
elif [ -z "$line" ] && [ "$rc" -eq 0 ]; then
    passed=1
fi
echo "$passed $failed" >"$results/$name"
echo "=== stage $name: $passed passed, $failed failed (exit $rc)"
exit 0
