#!/usr/bin/env bash
# The main job on the shipped example: CI pipelines and an AI agent ask the
# gate before they act, and Portcullis answers from examples/nhi/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${PORTCULLIS:-$here/../build/portcullis}
ex=$here/nhi

ask() {   # ask DESCRIPTION PRINCIPAL ACTION RESOURCE CONTEXT
  echo "── $1"
  "$bin" authorize --policies "$ex/policies.cedar" --schema "$ex/schema.cedarschema" \
    --entities "$ex/entities.json" --principal "$2" --action "$3" --resource "$4" \
    --context "$5" | sed 's/^/   /' || true
}

ci='Gate::Workload::"spiffe://prod.example/ci/payments-deploy"'
agent='Gate::Workload::"support-agent"'
read='Gate::Action::"read_secret"'
call='Gate::Action::"call_tool"'
net='"source_ip": "10.20.3.4", "now": "2026-11-28T10:00:00Z"'

ask "CI on main, hosted runner, staging secret" "$ci" "$read" 'Gate::Secret::"payments/staging-db"' \
    "{\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", $net}"
ask "CI on a feature branch, same secret" "$ci" "$read" 'Gate::Secret::"payments/staging-db"' \
    "{\"ref\": \"refs/heads/feature-x\", \"runner\": \"hosted-linux\", $net}"
ask "CI on main, production signing key, no change ticket" "$ci" "$read" \
    'Gate::Secret::"payments/signing-key"' "{\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", $net}"
ask "CI on main, production signing key, ticket CHG-1042" "$ci" "$read" \
    'Gate::Secret::"payments/signing-key"' \
    "{\"ref\": \"refs/heads/main\", \"runner\": \"hosted-linux\", \"ticket\": \"CHG-1042\", $net}"
ask "agent reads /srv/data/report.csv" "$agent" "$call" 'Gate::Tool::"filesystem/read_file"' \
    '{"arguments": {"path": "/srv/data/report.csv"}, "approved": false}'
ask "agent reads /etc/shadow" "$agent" "$call" 'Gate::Tool::"filesystem/read_file"' \
    '{"arguments": {"path": "/etc/shadow"}, "approved": false}'
ask "agent exports CRM records without approval" "$agent" "$call" 'Gate::Tool::"crm/export_records"' \
    '{"arguments": {"rows": 100}, "approved": false}'
ask "a request that does not fit the schema (wrong context type)" "$agent" "$call" \
    'Gate::Tool::"filesystem/read_file"' '{"arguments": {"rows": "many"}, "approved": false}'
