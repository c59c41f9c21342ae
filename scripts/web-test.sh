#!/usr/bin/env bash
# Builds and tests the browser application end to end:
#   1. web/: npm ci, type-check and build to web/dist, unit tests (vitest);
#   2. builds the server (cargo build --workspace --bins);
#   3. starts it on a free loopback port with a fresh SQLite database in a temporary directory,
#      the demo city (--demo) and the built application (--web web/dist);
#   4. runs the browser test web/e2e/flow.mjs against it (headless Debian chromium), which saves
#      screenshots to artifacts/screenshots/;
#   5. stops the server and exits with the browser test's status.
# Chromium is required: without it the run fails (it never skips). CHROMIUM_PATH overrides
# /usr/bin/chromium. Builds run under `nice` (WEB_TEST_NICE, default 10) on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\n== %s\n' "$*" >&2; }
NICE=(nice -n "${WEB_TEST_NICE:-10}")

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "error: the browser test needs Chromium at $CHROMIUM, which is not there." >&2
  echo "       Install it (Debian: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH." >&2
  echo "       (npx playwright install is not used: the test drives the system chromium with playwright-core.)" >&2
  exit 1
fi
export CHROMIUM_PATH="$CHROMIUM"
for tool in node npm cargo curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is required" >&2; exit 1; }
done
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "warning: no Chinese font installed; screenshots will show boxes (apt-get install -y fonts-noto-cjk)" >&2
fi

log "web: npm ci"
(cd web && "${NICE[@]}" npm ci --no-audit --no-fund)
log "web: type-check and build (web/dist)"
(cd web && "${NICE[@]}" npm run build)
log "web: unit tests"
(cd web && "${NICE[@]}" npm test)

# --workspace: the same feature set as `cargo test --workspace`, so after the Rust tests nothing
# is compiled again.
log "server: cargo build --workspace --bins"
"${NICE[@]}" cargo build --workspace --bins
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET_DIR/debug/minsheng"
[ -x "$BIN" ] || { echo "error: $BIN was not built" >&2; exit 1; }

TMP=$(mktemp -d /tmp/minsheng-web-test.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
URL="http://127.0.0.1:$PORT"
log "server: starting on $URL (database $TMP/x.db)"
# The first classifier is not trained here: a model appearing mid-run would change the flow under test.
MINSHENG_CLASSIFIER_BOOTSTRAP=0 "$BIN" serve --demo --listen "127.0.0.1:$PORT" --database "sqlite://$TMP/x.db" --web web/dist >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "error: the server exited during start-up; its log:" >&2
    cat "$TMP/server.log" >&2
    exit 1
  fi
  if curl -fsS "$URL/healthz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "error: the server did not answer /healthz within 60 s; its log:" >&2
  cat "$TMP/server.log" >&2
  exit 1
fi
if ! curl -fsS "$URL/" | grep -q '<div id="app">'; then
  echo "error: $URL/ does not serve the built application (is --web web/dist supported by this server?)" >&2
  exit 1
fi

log "browser test: node web/e2e/flow.mjs against $URL"
status=0
MINSHENG_URL="$URL" node web/e2e/flow.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 40 lines) ---" >&2
  tail -n 40 "$TMP/server.log" >&2 || true
fi
exit "$status"
