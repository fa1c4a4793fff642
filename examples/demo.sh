#!/usr/bin/env bash
# The main job on the shipped example: start the decision daemon on the NHI
# example (examples/nhi/), then let CI pipelines and an AI agent ask it before
# they act, over the native API and over AuthZEN 1.0. Stops the daemon it
# started, whatever happens.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${PORTCULLIS:-$here/../build/portcullis}
log=$(mktemp)
"$bin" serve --config "$here/nhi/portcullis.conf" --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's|listening on ||') || true
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "the daemon did not start:"; cat "$log"; exit 1; }
echo "portcullis serve is up at $addr"; sed 's/^/  | /' "$log"; echo

ask() {   # ask DESCRIPTION PATH JSON
  printf '── %s\n   POST %s\n   → ' "$1" "$2"
  curl -sS -X POST "$addr$2" -H 'content-type: application/json' -d "$3"
  echo
}

ci='"Gate::Workload::\"spiffe://prod.example/ci/payments-deploy\""'
agent='"Gate::Workload::\"support-agent\""'
read='"Gate::Action::\"read_secret\""'
call='"Gate::Action::\"call_tool\""'
net='"source_ip": "10.20.3.4", "now": "2026-11-28T10:00:00Z"'

ask "CI on main, hosted runner, staging secret" /v1/authorize \
  "{\"principal\": $ci, \"action\": $read, \"resource\": \"Gate::Secret::\\\"payments/staging-db\\\"\",
    \"context\": {\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", $net}}"
ask "CI on a feature branch, same secret" /v1/authorize \
  "{\"principal\": $ci, \"action\": $read, \"resource\": \"Gate::Secret::\\\"payments/staging-db\\\"\",
    \"context\": {\"ref\": \"refs/heads/feature-x\", \"runner\": \"hosted-linux\", $net}}"
ask "CI on main, production signing key, no change ticket" /v1/authorize \
  "{\"principal\": $ci, \"action\": $read, \"resource\": \"Gate::Secret::\\\"payments/signing-key\\\"\",
    \"context\": {\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", $net}}"
ask "CI on main, production signing key, ticket CHG-1042" /v1/authorize \
  "{\"principal\": $ci, \"action\": $read, \"resource\": \"Gate::Secret::\\\"payments/signing-key\\\"\",
    \"context\": {\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", \"ticket\": \"CHG-1042\", $net}}"
ask "agent reads /srv/data/report.csv" /v1/authorize \
  "{\"principal\": $agent, \"action\": $call, \"resource\": \"Gate::Tool::\\\"filesystem/read_file\\\"\",
    \"context\": {\"arguments\": {\"path\": \"/srv/data/report.csv\"}, \"approved\": false}}"
ask "agent reads /etc/shadow" /v1/authorize \
  "{\"principal\": $agent, \"action\": $call, \"resource\": \"Gate::Tool::\\\"filesystem/read_file\\\"\",
    \"context\": {\"arguments\": {\"path\": \"/etc/shadow\"}, \"approved\": false}}"
ask "agent exports CRM records without approval (AuthZEN 1.0)" /access/v1/evaluation \
  '{"subject": {"type": "workload", "id": "support-agent"}, "action": {"name": "call_tool"},
    "resource": {"type": "tool", "id": "crm/export_records"},
    "context": {"arguments": {"rows": 100}, "approved": false}}'
ask "a request that does not fit the schema: denied, with the reason" /v1/authorize \
  "{\"principal\": $agent, \"action\": $call, \"resource\": \"Gate::Tool::\\\"filesystem/read_file\\\"\",
    \"context\": {\"arguments\": {\"rows\": \"many\"}, \"approved\": false}}"
