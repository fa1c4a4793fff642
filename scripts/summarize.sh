#!/usr/bin/env bash
# summarize.sh — add up the counts that stage.sh recorded and say the verdict.
#
# usage: summarize.sh RESULTS_DIR STAGE...
# Stages are named explicitly so that a stage that never ran (its file is
# missing) is reported as a failure instead of silently vanishing from the sum.
# Ends with the line "N passed, N failed" (also kept in RESULTS_DIR/summary);
# exits 1 when anything failed.
set -uo pipefail

results=$1
shift
total_pass=0 total_fail=0
echo "=== summary"
for name in "$@"; do
    if [ -f "$results/$name" ]; then
        read -r p f <"$results/$name"
    else
        p=0 f=1
        echo "  (stage $name did not run)"
    fi
    printf '  %-16s %6d passed, %d failed\n' "$name" "$p" "$f"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed" | tee "$results/summary"
[ "$total_fail" -eq 0 ]
