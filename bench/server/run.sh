#!/usr/bin/env bash
# bench/server/run.sh — `make bench-server`: the decision daemon under load,
# against Cerbos 0.55 and against the bare HTTP floor, in one run.
#
# Steps: build `portcullis` and the floor (portcullis-bench-floor, from
# floor.c); install the pinned Cerbos binary (package-lock.json here; npm
# ships it in @cerbos/cerbos-linux-x64); check wrk is there; then bench.js
# starts the three servers on free loopback ports, checks that Portcullis and
# Cerbos decide every benchmarked request alike, drives each with wrk and
# prints the table and the ratios (see the top of bench.js).
#
# Settings (environment):
#   BUILD                 meson build dir, relative to the repo root    [build]
#   BENCH_SECONDS         measured seconds per run                      [4]
#   BENCH_ROUNDS          runs per server and endpoint (median kept)    [3]
#   BENCH_WARMUP          warm-up seconds before each run               [1]
#   BENCH_CONNECTIONS     wrk keep-alive connections                    [16]
#   BENCH_WRK_THREADS     wrk threads                                   [1]
#   BENCH_BATCH           items per /access/v1/evaluations request      [100]
#   BENCH_SINGLE_THREADS  server threads for single evaluations         [1]
#   BENCH_BATCH_THREADS   server threads for batches                    [CPUs]
#   BENCH_JSON            also write the results to this JSON file
# With the defaults a run takes about 100 s: 2 endpoints x 3 servers x 3
# rounds of 5 s, plus start-up and the decision checks.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}

command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (Debian package wrk)" >&2; exit 2; }

echo "== building portcullis and the HTTP floor"
if ! out=$(ninja -C "$BUILD" -j 2 src/cli/portcullis bench/server/portcullis-bench-floor 2>&1); then
    echo "$out" >&2
    echo "run.sh: the build failed" >&2
    exit 1
fi

# The pinned Cerbos, reinstalled only when the lock file changes.
if [[ ! $HERE/node_modules/.installed -nt $HERE/package-lock.json ]]; then
    echo "== installing Cerbos (bench/server/package-lock.json)"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$HERE/node_modules/.installed"
fi

args=(--portcullis "$BUILD/src/cli/portcullis"
      --floor "$BUILD/bench/server/portcullis-bench-floor"
      --cerbos "$HERE/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64"
      --seconds "${BENCH_SECONDS:-4}" --rounds "${BENCH_ROUNDS:-3}"
      --warmup "${BENCH_WARMUP:-1}" --connections "${BENCH_CONNECTIONS:-16}"
      --wrk-threads "${BENCH_WRK_THREADS:-1}" --batch "${BENCH_BATCH:-100}"
      --single-threads "${BENCH_SINGLE_THREADS:-1}"
      --batch-threads "${BENCH_BATCH_THREADS:-$(nproc)}")
[[ -n ${BENCH_JSON:-} ]] && args+=(--json "$BENCH_JSON")

echo "== Portcullis vs Cerbos vs the HTTP floor (Todo scenario, loopback, keep-alive)"
node "$HERE/bench.js" "${args[@]}"
