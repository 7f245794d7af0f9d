#!/usr/bin/env bash
# Installs the test OpenID provider's pinned packages (npm ci from package-lock.json) into
# tests/oidc/node_modules. Idempotent: quick when node_modules already matches the lock file.
# Uses the machine's Node.js (>= 18.12, what oidc-provider 8 supports); only when `node` is
# missing does it apt-get Debian's nodejs and npm.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing nodejs and npm (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>18||(a===18&&b>=12)?0:1)'; then
  echo "tests/oidc: node $(node --version) is too old; oidc-provider 8 needs >= 18.12" >&2
  exit 1
fi
# The stamp records the lock file the last successful npm ci installed.
stamp=node_modules/.installed-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/oidc-provider ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
