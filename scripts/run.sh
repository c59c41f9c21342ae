#!/usr/bin/env bash
# The README's first command: builds the browser application (when npm is there and the build is
# missing or older than its sources) and the server, then starts the platform on SQLite under
# ./data with the demo city loaded, printing the address and the demo logins. Extra arguments go
# to `minsheng serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v npm >/dev/null 2>&1; then
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/package.json -newer web/dist/index.html 2>/dev/null | head -n 1)" ]; then
    echo "== building the web application (web/dist)" >&2
    (cd web && npm ci --no-audit --no-fund && npm run build)
  fi
else
  echo "warning: npm not found; serving the API only (install Node.js 20 to build the web application)" >&2
fi

exec cargo run --release --locked -p minsheng -- serve --demo --web web/dist "$@"
