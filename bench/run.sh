#!/usr/bin/env bash
# bench/run.sh — `make bench`: Portcullis against the reference Cedar
# (cedar-wasm 4.13.0) on the OOPSLA 2024 benchmark apps, in one run.
#
# Steps: build the two bench tools; install the pinned cedar-wasm; check both
# engines on the apps' hand-written samples; generate the stores
# (portcullis-bench-gen, seeded, so a run is reproducible); time Portcullis
# on them (portcullis-bench-engine, which also writes its decisions); time
# cedar-wasm on the very same files, on the whole store and on a per-request
# slice of it (peer/bench.js, which aborts on the first decision that
# differs); print the side-by-side table (peer/report.js). What each side's
# timed call includes is printed with the numbers; see bench/README.md.
#
# Settings (environment):
#   BUILD           meson build dir, relative to the repo root   [build]
#   BENCH_APPS      apps        [gdrive gdrive-templates github github-templates tinytodo]
#   BENCH_NS        entities per type                             [5 20 50]
#   BENCH_SEEDS     stores per (app, N), seeds BENCH_SEED...       [3]
#   BENCH_SEED      first seed                                    [1]
#   BENCH_REQUESTS  requests per store                            [500]
#   BENCH_FLOOR     requests per store also timed on cedar-wasm with an
#                   empty policy set, to show its per-call store cost  [20]
#   BENCH_DATA      the oopsla folder          [<repo>/../shared/bench/oopsla]
#   BENCH_OUT       keep stores and JSON reports here (else a temp dir, removed)
# The defaults take about 2.5 minutes on 2 idle cores (CPU time ~150 s),
# nearly all of it in cedar-wasm, which rebuilds its entity store on every
# call; on a busy machine it takes proportionally longer.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
APPS=${BENCH_APPS:-gdrive gdrive-templates github github-templates tinytodo}
NS=${BENCH_NS:-5 20 50}
SEEDS=${BENCH_SEEDS:-3}
SEED=${BENCH_SEED:-1}
REQUESTS=${BENCH_REQUESTS:-500}
FLOOR=${BENCH_FLOOR:-20}
DATA=${BENCH_DATA:-$ROOT/../shared/bench/oopsla}
PEER=$ROOT/bench/peer

for v in SEEDS SEED REQUESTS FLOOR; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: BENCH_$v='${!v}' is not a whole number" >&2; exit 2; }
done
[[ -d $DATA ]] || { echo "run.sh: BENCH_DATA '$DATA' is not a directory" >&2; exit 2; }

if [[ -n ${BENCH_OUT:-} ]]; then
    WORK=$BENCH_OUT
    mkdir -p "$WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
fi
START=$SECONDS

echo "== building the bench tools"
ninja -C "$BUILD" -j 2 bench/portcullis-bench-gen bench/portcullis-bench-engine >/dev/null
GEN=$BUILD/bench/portcullis-bench-gen
ENGINE=$BUILD/bench/portcullis-bench-engine

# The pinned reference, reinstalled only when the lock file changes.
if [[ ! $PEER/node_modules/.installed -nt $PEER/package-lock.json ]]; then
    echo "== installing cedar-wasm (bench/peer/package-lock.json)"
    (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$PEER/node_modules/.installed"
fi

echo "== the apps' hand-written samples"
"$ENGINE" --samples "$DATA"
node "$PEER/bench.js" --samples "$DATA"

echo "== generating stores: apps [$APPS], N [$NS], $SEEDS seed(s) from $SEED, $REQUESTS requests"
DIRS=()
for app in $APPS; do
    for n in $NS; do
        for ((k = 0; k < SEEDS; k++)); do
            dir=$WORK/stores/$app-n$n-s$((SEED + k))
            mkdir -p "$WORK/stores"
            "$GEN" --app "$app" --n "$n" --seed $((SEED + k)) --requests "$REQUESTS" \
                --data "$DATA" --out "$dir" >/dev/null
            DIRS+=("$dir")
        done
    done
done

echo "== Portcullis"
"$ENGINE" --json "$WORK/portcullis.json" "${DIRS[@]}"
echo
echo "== cedar-wasm (decisions checked against Portcullis's)"
node "$PEER/bench.js" --floor "$FLOOR" --json "$WORK/peer.json" "${DIRS[@]}"
echo
echo "== Portcullis vs cedar-wasm, same stores, same run"
node "$PEER/report.js" "$WORK/portcullis.json" "$WORK/peer.json"
echo
echo "== Decision log: decisions/s with the log off, async and sync (ratios to off)"
ninja -C "$BUILD" -j 2 bench/portcullis-bench-audit >/dev/null
"$BUILD/bench/portcullis-bench-audit" --threads 8 --seconds 2 --dir "$WORK"
echo "(whole run: $((SECONDS - START)) s)"
