#!/usr/bin/env bash
# run.sh — the customer-support scenario end to end: the decision daemon, the
# CRM MCP server behind `portcullis mcp-proxy`, and the agent (the real MCP
# SDK client) trying exports inside and outside its ticket.
#
#   examples/mcp/run.sh [PORTCULLIS_BIN]     (default: build/src/cli/portcullis)
#
# The daemon listens on a Unix socket in a temporary directory (the proxy's
# --pdp unix:PATH) and is stopped by its PID however this script ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-$here/../../build/src/cli/portcullis}")
[ -x "$bin" ] || { echo "run.sh: no portcullis at $bin (build first: make build)" >&2; exit 2; }

if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

tmp=$(mktemp -d)
daemon=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" serve --config "$here/portcullis.conf" --listen 127.0.0.1:0 --unix "$tmp/pdp.sock" \
    2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do
    grep -q "listening on unix:" "$tmp/daemon.log" && break
    kill -0 "$daemon" 2>/dev/null || { cat "$tmp/daemon.log" >&2; exit 2; }
    sleep 0.1
done
grep -q "listening on unix:" "$tmp/daemon.log" || { echo "run.sh: the daemon did not start" >&2; exit 2; }

node "$here/agent.js" "$bin" "unix:$tmp/pdp.sock"
