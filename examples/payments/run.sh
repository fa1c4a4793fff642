#!/usr/bin/env bash
# run.sh — the payments seed scenario of issue 7, end to end against the real
# daemon: a payments service account pays through the native API
# (POST /v1/authorize on a Unix socket), within its role, with a healthy
# workload and inside the change window; a large amount waits for a human.
#
#   examples/payments/run.sh [PORTCULLIS_BIN]    (default: build/src/cli/portcullis)
#
# Needs curl and jq. The policy files are copied to a temporary directory, so
# approvals.db lives there; the daemon is stopped by its PID and the
# directory removed however this script ends. Every step checks the answer
# it expects and the script exits 1 at the first surprise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-$here/../../build/src/cli/portcullis}")
[ -x "$bin" ] || { echo "run.sh: no portcullis at $bin (build first)" >&2; exit 2; }
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "run.sh: needs $tool" >&2; exit 2; }
done

tmp=$(mktemp -d)
daemon=
cleanup() {
    if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
cp "$here/schema.cedarschema" "$here/policies.cedar" "$here/entities.json" "$here/portcullis.conf" "$tmp/"

"$bin" serve --config "$tmp/portcullis.conf" --listen 127.0.0.1:0 --unix "$tmp/pdp.sock" \
    2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do
    grep -q "listening on unix:" "$tmp/daemon.log" && break
    kill -0 "$daemon" 2>/dev/null || { cat "$tmp/daemon.log" >&2; exit 2; }
    sleep 0.1
done
grep -q "listening on unix:" "$tmp/daemon.log" || { echo "run.sh: the daemon did not start" >&2; exit 2; }

IN_WINDOW="2026-12-01T10:30:00Z"
AFTER_WINDOW="2026-12-01T21:00:00Z"
HEALTHY='{"healthy": true, "attested": true}'

# pay AMOUNT NOW POSTURE [APPROVAL_ID]: the daemon's answer to one payment.
pay() {
    jq -n --argjson amount "$1" --arg now "$2" --argjson posture "$3" --arg approval "${4:-}" '{
        principal: {type: "Payments::ServiceAccount", id: "payouts-svc"},
        action: {type: "Payments::Action", id: "pay"},
        resource: {type: "Payments::PaymentApi", id: "payments"},
        context: {now: {__extn: {fn: "datetime", arg: $now}}, posture: $posture,
                  amount: $amount, currency: "EUR", payee: "ACME GmbH"}}
        + (if $approval == "" then {} else {approval_id: $approval} end)' |
        curl -sS --unix-socket "$tmp/pdp.sock" -H 'Content-Type: application/json' \
            --data-binary @- http://localhost/v1/authorize
}

# expect WHAT DECISION ANSWER: print the step, stop unless the decision matches.
expect() {
    local got
    got=$(jq -r .decision <<<"$3")
    printf '%-50s %-18s %s\n' "$1" "$got" "$(jq -c .reasons <<<"$3")"
    [ "$got" = "$2" ] || { echo "run.sh: expected $2; the daemon said: $3" >&2; exit 1; }
}

approve() {
    "$bin" approvals approve "$1" --reason "invoice INV-7 checked" --db "$tmp/approvals.db" \
        --as 'Person::"dana"' --policies "$here/approvers.cedar" --entities "$here/approvers.json"
}

expect "EUR 250.00 inside the window, healthy workload" allow \
    "$(pay 25000 "$IN_WINDOW" "$HEALTHY")"
expect "EUR 250.00 after the window closed" deny \
    "$(pay 25000 "$AFTER_WINDOW" "$HEALTHY")"
expect "EUR 250.00 from an unhealthy workload" deny \
    "$(pay 25000 "$IN_WINDOW" '{"healthy": false, "attested": true}')"

answer=$(pay 500000 "$IN_WINDOW" "$HEALTHY")
expect "EUR 5000.00 (over the threshold)" approval_required "$answer"
id=$(jq -r .approval_id <<<"$answer")
echo "  approval request $id waits for a payments approver"

if "$bin" approvals approve "$id" --reason "me" --db "$tmp/approvals.db" --as 'Person::"eve"' \
    --policies "$here/approvers.cedar" --entities "$here/approvers.json" 2>"$tmp/eve.log"; then
    echo "run.sh: eve, who is no approver, could approve" >&2; exit 1
fi
echo "  eve (not an approver) may not approve: $(head -1 "$tmp/eve.log")"
approve "$id"
echo "  dana (payments-approvers) approved it"

expect "EUR 5000.00 retried with the approved id" allow \
    "$(pay 500000 "$IN_WINDOW" "$HEALTHY" "$id")"
expect "EUR 5000.00 retried again with the same id" approval_required \
    "$(pay 500000 "$IN_WINDOW" "$HEALTHY" "$id")"
echo "payments example: every step answered as expected"
