#!/bin/sh
# The seed scenario of issue 5, end to end, with keys made on the spot.
#
# An agent platform's identity provider (simulated here with openssl) signs
# a token for the agent spiffe://agents.example/agent/db-maintainer. The
# agent asks Portcullis for a session on the production orders database and
# gets a 5-minute grant bound to exactly that; the grant verifies offline
# against our published keys, and not for another database. The same agent
# is denied, with the reason, when its token has expired, when the token
# comes from an issuer we do not trust, and when it asks for a database in
# another environment.
#
# Usage: examples/identity/run.sh  (from anywhere; needs openssl and a built
# portcullis: PORTCULLIS=path/to/portcullis, default build/src/cli/portcullis)
# KEEP=1 keeps the generated keys/ (and tokens) to try the commands by hand.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORTCULLIS=${PORTCULLIS:-$ROOT/build/src/cli/portcullis}
KEYS=$HERE/keys

[ -x "$PORTCULLIS" ] || { echo "build portcullis first (or set PORTCULLIS)" >&2; exit 2; }
[ -e "$KEYS" ] && { echo "$KEYS exists; remove it first" >&2; exit 2; }
mkdir -m 700 "$KEYS"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$KEYS"' EXIT
trap 'exit 130' INT TERM   # through the EXIT trap

b64url() { base64 | tr -d '\n=' | tr '+/' '-_'; }

# An Ed25519 key pair and its JWKS, as an identity provider would publish it.
make_idp() {   # name kid
    openssl genpkey -algorithm ed25519 -out "$KEYS/$1.pem" 2>/dev/null
    x=$(openssl pkey -in "$KEYS/$1.pem" -pubout -outform DER | tail -c 32 | b64url)
    printf '{"keys":[{"kty":"OKP","crv":"Ed25519","use":"sig","kid":"%s","x":"%s"}]}\n' \
        "$2" "$x" > "$KEYS/$1.jwks"
}

# A compact JWS (EdDSA) over the given claims, signed with an IdP key.
mint() {   # key kid claims-json
    h=$(printf '{"alg":"EdDSA","typ":"JWT","kid":"%s"}' "$2" | b64url)
    p=$(printf '%s' "$3" | b64url)
    printf '%s.%s' "$h" "$p" > "$KEYS/input"
    s=$(openssl pkeyutl -sign -inkey "$KEYS/$1.pem" -rawin -in "$KEYS/input" | b64url)
    printf '%s.%s.%s' "$h" "$p" "$s"
}

claims() {   # iss iat exp
    printf '{"iss":"%s","sub":"spiffe://agents.example/agent/db-maintainer","aud":"portcullis",' "$1"
    printf '"iat":%s,"exp":%s,"environment":"production"}' "$2" "$3"
}

step() { printf '\n== %s\n' "$*"; }

# Ask for a session; print the answer (exit 1 = denied is expected for some).
ask() {   # token-file database
    "$PORTCULLIS" grant issue --config "$HERE/portcullis.conf" --token "@$1" \
        --action 'Gate::Action::"open_session"' --resource "Gate::Database::\"$2\"" \
        --context '{"reason":"INC-4711: vacuum the orders table"}' \
        --policies "$HERE/policies.cedar" --schema "$HERE/schema.cedarschema" \
        --entities "$HERE/entities.json" || true
}

make_idp agents agents-2026
make_idp rogue rogue-1
"$PORTCULLIS" grant keygen --out "$KEYS/grant-signing.pem"
"$PORTCULLIS" grant jwks --key "$KEYS/grant-signing.pem" > "$KEYS/grants.jwks"

now=$(date +%s)
mint agents agents-2026 "$(claims https://idp.agents.example "$now" $((now + 600)))" > "$KEYS/good.jwt"
mint agents agents-2026 "$(claims https://idp.agents.example $((now - 1200)) $((now - 600)))" > "$KEYS/expired.jwt"
mint rogue rogue-1 "$(claims https://idp.rogue.example "$now" $((now + 600)))" > "$KEYS/rogue.jwt"

step "verified agent asks for a production database session: ALLOW with a 5-minute grant"
ask "$KEYS/good.jwt" orders-prod | tee "$KEYS/granted.txt"
sed -n 's/^  grant: //p' "$KEYS/granted.txt" > "$KEYS/grant.jws"

step "the grant verifies offline with the published keys"
"$PORTCULLIS" grant verify --jwks "$KEYS/grants.jwks" --token "@$KEYS/grant.jws" \
    --principal 'Gate::Workload::"spiffe://agents.example/agent/db-maintainer"' \
    --action 'Gate::Action::"open_session"' --resource 'Gate::Database::"orders-prod"'

step "...but not for another database"
"$PORTCULLIS" grant verify --jwks "$KEYS/grants.jwks" --token "@$KEYS/grant.jws" \
    --action 'Gate::Action::"open_session"' --resource 'Gate::Database::"orders-staging"' || true

step "the same agent with an expired token: DENY"
ask "$KEYS/expired.jwt" orders-prod

step "a token from another issuer: DENY"
ask "$KEYS/rogue.jwt" orders-prod

step "the verified agent asks for a session in another environment: DENY"
ask "$KEYS/good.jwt" orders-staging
