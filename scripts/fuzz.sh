#!/usr/bin/env bash
# fuzz.sh — coverage-guided fuzzing of every parser with libFuzzer (clang).
#
# usage: fuzz.sh [SECONDS_PER_TARGET]     (default 60)
# Builds build-fuzz with clang, ASan+UBSan and -Dfuzz=true, then runs each
# target for the given time on a corpus in fuzz/corpus/<target> (kept between
# runs, git-ignored) seeded from the same inputs `meson test` replays.
# A crash leaves its input in fuzz/crashes/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 2; }
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-fuzz -j 2 >/dev/null
mkdir -p fuzz/crashes
shared=${SHARED:-../shared}
status=0
for t in fuzz_parse_policy fuzz_parse_schema fuzz_entities fuzz_jwt fuzz_json fuzz_policy_json; do
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus"
    seeds=(fuzz/seeds)
    [ -d "$shared/conformance/cedar/tests" ] && seeds+=("$shared/conformance/cedar/tests")
    echo "== $t: $secs s"
    if ! build-fuzz/fuzz/$t -max_total_time="$secs" -max_len=65536 -artifact_prefix=fuzz/crashes/$t- \
            -print_final_stats=1 "$corpus" "${seeds[@]}" 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|#[0-9]+ +DONE)'; then
        :
    fi
    if ls fuzz/crashes/$t-* >/dev/null 2>&1; then
        echo "fuzz: $t found a crash: $(ls fuzz/crashes/$t-* | head -1)"
        status=1
    fi
done
exit $status
