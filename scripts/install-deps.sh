#!/usr/bin/env bash
# install-deps.sh — install what Portcullis needs to build and test on Debian 12.
#
# Idempotent and fast when everything is present: each need is checked first
# (dpkg for libraries, `command -v` for tools that may come from elsewhere, such
# as a Node.js that is not Debian's), and apt-get runs — with one `apt-get
# update` — only when something is missing. Runs with plain bash so it works on
# a fresh minimal Debian where make is not yet installed.
#
# Node.js: Debian 12 ships nodejs 18 (plus npm 9); the differential tester's
# reference, @cedar-policy/cedar-wasm 4.13.0, runs on it (and on newer Node).
set -euo pipefail

# Debian packages checked with dpkg (libraries and the tool chain).
debs=(build-essential meson ninja-build pkg-config libjansson-dev libssl-dev
      libcmocka-dev libsqlite3-dev libpq-dev libmicrohttpd-dev libcurl4-openssl-dev
      curl ca-certificates wrk)
# Commands and the Debian package that provides each; a command already on
# PATH counts as present whatever installed it.
cmds=(node:nodejs npm:npm sqlite3:sqlite3 jq:jq openssl:openssl)

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${debs[@]}"; do
    installed "$p" || missing+=("$p")
done
for c in "${cmds[@]}"; do
    command -v "${c%%:*}" >/dev/null 2>&1 || missing+=("${c#*:}")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all dependencies present"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root to install them (try: sudo $0)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
