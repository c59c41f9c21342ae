#!/usr/bin/env bash
# Runs every test of minsheng — the README's test command and what CI runs.
#
# PostgreSQL half: every run tests both engines. It uses $MINSHENG_TEST_PG if set, else a server
# on 127.0.0.1:5432, else starts a throwaway cluster (initdb + pg_ctl) on a free loopback port and
# stops it at the end. Where PostgreSQL is not installed at all, the run fails; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

pg_started_dir=""
cleanup() {
  if [ -n "$pg_started_dir" ]; then
    log "stopping the throwaway PostgreSQL cluster"
    as_pg "$PG_CTL" -D "$pg_started_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_started_dir"
  fi
}
trap cleanup EXIT

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_pg_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  ls -1d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1
}

pg_listening() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

if [ -z "${MINSHENG_TEST_PG:-}" ]; then
  # MINSHENG_TEST_THROWAWAY_PG=1 exercises the throwaway path even where a server runs.
  if [ -z "${MINSHENG_TEST_THROWAWAY_PG:-}" ] && pg_listening 127.0.0.1 5432; then
    export MINSHENG_TEST_PG="postgres://postgres@127.0.0.1:5432"
  else
    INITDB=$(find_pg_bin initdb || true)
    PG_CTL=$(find_pg_bin pg_ctl || true)
    if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
      echo "error: PostgreSQL is required for the test suite (both engines are tested on every run)," >&2
      echo "       but nothing listens on 127.0.0.1:5432 and initdb/pg_ctl are not installed." >&2
      echo "       Install PostgreSQL (e.g. apt-get install postgresql) or set MINSHENG_TEST_PG=postgres://user@host:port" >&2
      exit 1
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
    pg_started_dir=$(mktemp -d /tmp/minsheng-pg.XXXXXX)
    chmod 755 "$pg_started_dir"
    [ "$(id -u)" = 0 ] && chown postgres "$pg_started_dir"
    log "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    as_pg "$INITDB" -D "$pg_started_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg "$PG_CTL" -D "$pg_started_dir/data" -l "$pg_started_dir/log" -w \
      -o "-p $port -k $pg_started_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
    export MINSHENG_TEST_PG="postgres://postgres@127.0.0.1:$port"
  fi
fi
log "PostgreSQL for tests: $MINSHENG_TEST_PG"

log "Python peers for the tests (an SMTP server, an Open311 client)"
MINSHENG_TEST_PYTHON=$(./scripts/test-python.sh)
export MINSHENG_TEST_PYTHON

log "Rust: every crate, both engines"
cargo test --workspace --locked --no-fail-fast "$@"

# The browser tests drive Debian's chromium (never a downloaded browser). Install it, and a
# Chinese font for readable screenshots, where we may; web-test.sh fails clearly without it.
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing chromium and fonts-noto-cjk (Debian packages)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
log "web: unit tests and the browser test"
./scripts/web-test.sh
