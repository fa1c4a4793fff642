#!/usr/bin/env bash
# tests/e2e/audit/run.sh — the audit and approvals CLI end to end: a signed
# log written by the real writer (audit-fixture), then `portcullis audit
# verify|tail|query` on it, on copies tampered with by the sqlite3 shell
# (each kind must be named), and `portcullis approvals list|approve|deny`
# against requests made by the real step-up path.
#
#   tests/e2e/audit/run.sh [BUILD_DIR]        (default: build)
# Needs sqlite3, jq and openssl on PATH. Prints each failure and ends with
# "audit-e2e: N passed, N failed"; exits 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD=${1:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
BIN=${PORTCULLIS:-$BUILD/src/cli/portcullis}
FIXTURE=${AUDIT_FIXTURE:-$BUILD/tests/audit-fixture}
for tool in sqlite3 jq openssl "$BIN" "$FIXTURE"; do
    command -v "$tool" >/dev/null || { echo "audit-e2e: missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pc-audit-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect WANT_RC GREP_PATTERN -- COMMAND...: the exit code and a line of output
expect() {
    local want=$1 pattern=$2
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -ne $want ]]; then
        bad "$* -> exit $rc, wanted $want: $out"
    elif [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$out"; then
        bad "$* -> output lacks /$pattern/: $out"
    else
        ok
    fi
}

# ---- a signed log: 40 records, a checkpoint every 10 -----------------------------
openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null
openssl pkey -in "$WORK/key.pem" -pubout -out "$WORK/key.pub" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$WORK/other.pem" 2>/dev/null
openssl pkey -in "$WORK/other.pem" -pubout -out "$WORK/other.pub" 2>/dev/null
DB=$WORK/log.db
"$FIXTURE" records --db "$DB" --key "$WORK/key.pem" --count 40 --every 10 \
    --keep-context --redact password || { echo "audit-e2e: fixture failed" >&2; exit 2; }

expect 0 'intact: 40 records' -- "$BIN" audit verify --db "$DB" --pubkey "$WORK/key.pub"
expect 0 'signatures NOT checked' -- "$BIN" audit verify --db "$DB"
expect 1 'another key' -- "$BIN" audit verify --db "$DB" --pubkey "$WORK/other.pub"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit verify --db '$DB' --pubkey '$WORK/key.pub' --json |
    jq -e '.intact and .records == 40 and .checkpoints == 4 and .signatures_checked == 4 and .covered_seq == 40'"

# ---- tail and query ----------------------------------------------------------------
expect 0 '^#40 .* deny User::"user1" Action::"write" Doc::"doc40"' -- "$BIN" audit tail --db "$DB" -n 1
expect 0 '' -- bash -o pipefail -c "'$BIN' audit tail --db '$DB' -n 3 --json | jq -se 'map(.seq) == [38,39,40]'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit tail --db '$DB' --json | jq -se 'length == 10'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --principal 'User::\"user1\"' --json |
    jq -se 'length == 14 and all(.principal == \"User::\\\"user1\\\"\")'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --decision deny --json | jq -se 'length == 8'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --action 'Action::\"read\"' --decision allow --json |
    jq -se 'length == 16'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --since 2024-05-01T00:00:05Z --until 2024-05-01T00:00:08Z --json |
    jq -se 'map(.seq) == [5,6,7]'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --since 1714521610 --limit 2 --json | jq -se 'map(.seq) == [10,11]'"
expect 0 '' -- bash -o pipefail -c "'$BIN' audit query --db '$DB' --limit 1 --json |
    jq -e '.context.password == \"[redacted]\" and .context.k == 1 and (.hash | length) == 64'"
expect 2 'not RFC 3339' -- "$BIN" audit query --db "$DB" --since yesterday
expect 2 'belong to query' -- "$BIN" audit tail --db "$DB" --principal 'User::"a"'
expect 2 'unknown subcommand' -- "$BIN" audit frobnicate --db "$DB"
expect 2 'unable to open' -- "$BIN" audit verify --db "$WORK/missing.db"

# ---- tampering: a fresh copy each time --------------------------------------------
tamper() { # tamper NAME SQL: copy the log and run SQL on the copy; prints its path
    cp "$DB" "$WORK/$1.db"
    sqlite3 "$WORK/$1.db" "$2"
    echo "$WORK/$1.db"
}
verify_names() { # verify_names NAME SQL PATTERN
    local copy
    copy=$(tamper "$1" "$2")
    expect 1 "$3" -- "$BIN" audit verify --db "$copy" --pubkey "$WORK/key.pub"
}
COLS="time_us, decision_id, request_id, source, principal, action, resource, decision, reasons, errors,
      error, policy_version, issuer, approval_id, latency_us, context_digest, context, prev_hash, hash"

verify_names modified "UPDATE decisions SET decision = 'allow' WHERE seq = 15" \
    'TAMPERED \(modified\): record 15 \(decision decision-0015\)'
verify_names deleted "DELETE FROM decisions WHERE seq = 17" \
    'TAMPERED \(deleted\): record\(s\) 17\.\.17 are missing'
verify_names inserted "UPDATE decisions SET seq = -seq WHERE seq >= 21;
                       UPDATE decisions SET seq = 1 - seq WHERE seq < 0;
                       INSERT INTO decisions (seq, $COLS) SELECT 21, $COLS FROM decisions WHERE seq = 3" \
    'TAMPERED \(inserted\): record 21 \(decision decision-0003\)'
verify_names reordered "UPDATE decisions SET seq = -1 WHERE seq = 25;
                        UPDATE decisions SET seq = 25 WHERE seq = 26;
                        UPDATE decisions SET seq = 26 WHERE seq = -1" \
    'TAMPERED \(reordered\): record 25 \(decision decision-0026\)'
verify_names truncated "DELETE FROM decisions WHERE seq > 33" \
    'TAMPERED \(truncated\): record\(s\) 34\.\.40 are missing from the end'
verify_names forged "UPDATE checkpoints SET seq = 11 WHERE id = 2" \
    'TAMPERED \(bad checkpoint\): checkpoint #2 .*signature does not verify'
copy=$(tamper jsonout "DELETE FROM decisions WHERE seq = 9")
expect 1 '' -- bash -o pipefail -c "'$BIN' audit verify --db '$copy' --json | jq -e '.intact == false and .finding == \"deleted\" and .seq == 9'"

# ---- approvals -------------------------------------------------------------------
ADB=$WORK/approvals.db
cat >"$WORK/approvers.cedar" <<'EOF'
permit (principal in Group::"payments-approvers", action == Action::"approve", resource is Approval)
  when { context.groups.contains("payments-approvers") };
EOF
cat >"$WORK/entities.json" <<'EOF'
[{"uid": {"type": "Group", "id": "payments-approvers"}, "attrs": {}, "parents": []},
 {"uid": {"type": "User", "id": "bob"}, "attrs": {},
  "parents": [{"type": "Group", "id": "payments-approvers"}]},
 {"uid": {"type": "User", "id": "eve"}, "attrs": {}, "parents": []}]
EOF
stepup() { # stepup ARGS_JSON [ID]: prints "granted|pending ID [note]"
    "$FIXTURE" stepup --db "$ADB" --principal 'ServiceAccount::"payments"' --action 'Action::"pay"' \
        --resource 'Api::"transfer"' --args "$1" --group payments-approvers ${2:+--id "$2"}
}
POLICY=(--policies "$WORK/approvers.cedar" --entities "$WORK/entities.json")

first=$(stepup '{"amount": 5000}')
ID=${first#pending }
ID=${ID%% *}
[[ $first == "pending "* && ${#ID} -eq 32 ]] && ok || bad "stepup: $first"
again=$(stepup '{"amount": 5000}')
[[ $again == "pending $ID" ]] && ok || bad "a retry made a second request: $again"

expect 0 "^$ID pending ServiceAccount::\"payments\" Action::\"pay\" Api::\"transfer\"" -- \
    "$BIN" approvals list --db "$ADB"
expect 1 'nobody approves their own request' -- "$BIN" approvals approve "$ID" --reason ok --db "$ADB" \
    --as 'ServiceAccount::"payments"' --admin
expect 1 'policy does not allow' -- "$BIN" approvals approve "$ID" --reason ok --db "$ADB" \
    --as 'User::"eve"' "${POLICY[@]}"
expect 2 'reason is required' -- "$BIN" approvals approve "$ID" --db "$ADB" --as 'User::"bob"' "${POLICY[@]}"
expect 2 'give --policies' -- "$BIN" approvals approve "$ID" --reason ok --db "$ADB" --as 'User::"bob"'
expect 0 "approval $ID approved by User::\"bob\"" -- "$BIN" approvals approve "$ID" \
    --reason "within the change window" --db "$ADB" --as 'User::"bob"' "${POLICY[@]}"
expect 1 'already approved' -- "$BIN" approvals deny "$ID" --reason no --db "$ADB" --as 'User::"bob"' "${POLICY[@]}"
expect 0 '' -- bash -o pipefail -c "'$BIN' approvals list --db '$ADB' --state approved --json |
    jq -e '.id == \"$ID\" and .approver == \"User::\\\"bob\\\"\" and .reason == \"within the change window\"'"

other=$(stepup '{"amount": 9000}')   # changed arguments: not covered by the approval
[[ $other == "pending "* && $other != *"$ID"* ]] && ok || bad "changed arguments reused the approval: $other"
used=$(stepup '{"amount": 5000}')
[[ $used == "granted $ID" ]] && ok || bad "the approved call was not granted: $used"
reuse=$(stepup '{"amount": 5000}' "$ID")
[[ $reuse == "pending "*"approval $ID is consumed" ]] && ok || bad "an approval was used twice: $reuse"
NEW=${reuse#pending }
NEW=${NEW%% *}
expect 0 "approval $NEW denied" -- "$BIN" approvals deny "$NEW" --reason "not today" --db "$ADB" \
    --as 'User::"root"' --admin
expect 0 "^$NEW denied" -- "$BIN" approvals list --db "$ADB" --state denied
expect 0 "consumed" -- "$BIN" approvals list --db "$ADB" --state all
expect 2 'unknown --state' -- "$BIN" approvals list --db "$ADB" --state weird

echo "audit-e2e: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
