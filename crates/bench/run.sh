#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md. Usage, from the repository root:
#
#   crates/bench/run.sh build            # release builds of the server and the harness
#   crates/bench/run.sh create-sqlite    # intake throughput, concurrency 16/64/128 × 3 runs, + kill -9 check
#   crates/bench/run.sh lifecycle-sqlite # whole lifecycles, 3 runs
#   crates/bench/run.sh seed-sqlite      # 1,000,000 cases into $WORK/seed.db
#   crates/bench/run.sh inbox-sqlite     # inbox/subtree latency (store + HTTP) and server RSS, 3 runs
#   crates/bench/run.sh postgres         # create + seed + inbox on PostgreSQL (database minsheng_bench)
#   crates/bench/run.sh postgres-inbox   # only the inbox part, on an already seeded minsheng_bench
#   crates/bench/run.sh clean            # stop servers started here, delete $WORK, drop minsheng_bench
#
# Every result is one JSON line appended to $WORK/results.jsonl; logs go to $WORK/*.log.
set -euo pipefail

WORK=${WORK:-/tmp/minsheng-bench}
PORT=${PORT:-18080}
URL=http://127.0.0.1:$PORT
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/minsheng_bench}
DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
SEED_CASES=${SEED_CASES:-1000000}
SERVER=${SERVER:-target/release/minsheng}
BENCH=${BENCH:-target/release/minsheng-bench}
PG_SEED_CASES=${PG_SEED_CASES:-$SEED_CASES}
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl

start_server() { # $1 = database URL, $2 = log name
  "$SERVER" serve --demo --listen "127.0.0.1:$PORT" --database "$1" >"$WORK/$2.log" 2>&1 &
  echo $! >"$WORK/server.pid"
  for _ in $(seq 1 300); do
    if curl -fsS "$URL/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server did not start; see $WORK/$2.log" >&2
  return 1
}

stop_server() { # $1 = signal (TERM by default)
  if [[ -f $WORK/server.pid ]]; then
    local pid
    pid=$(cat "$WORK/server.pid")
    kill "-${1:-TERM}" "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$WORK/server.pid"
  fi
}

bench() { "$BENCH" "$@" | tee -a "$RESULTS"; }

case "${1:-}" in
  build)
    nice -n 5 cargo build --release -p minsheng
    nice -n 5 cargo build --release -p minsheng-bench
    ;;
  create-sqlite)
    rm -f "$WORK"/create.db*
    start_server "sqlite://$WORK/create.db" server-create
    for c in 16 64 128; do
      for r in $(seq 1 "$RUNS"); do
        bench create --url "$URL" --concurrency "$c" --duration "$DURATION"
      done
    done
    # Crash check: acknowledged cases must survive kill -9 of the server.
    bench create --url "$URL" --concurrency 64 --duration "$DURATION" --no-verify --ids-out "$WORK/acked.txt"
    stop_server KILL
    bench verify --database "sqlite://$WORK/create.db" --ids "$WORK/acked.txt"
    ;;
  lifecycle-sqlite)
    rm -f "$WORK"/lifecycle.db*
    start_server "sqlite://$WORK/lifecycle.db" server-lifecycle
    for r in $(seq 1 "$RUNS"); do
      bench lifecycle --url "$URL" --concurrency 32 --duration "$DURATION"
    done
    stop_server
    ;;
  seed-sqlite)
    rm -f "$WORK"/seed.db*
    bench seed --database "sqlite://$WORK/seed.db" --cases "$SEED_CASES"
    ;;
  inbox-sqlite)
    start_server "sqlite://$WORK/seed.db" server-inbox
    pid=$(cat "$WORK/server.pid")
    bench rss --pid "$pid" --label "idle, 1M cases, just started"
    for r in $(seq 1 "$RUNS"); do
      bench inbox --database "sqlite://$WORK/seed.db" --url "$URL" --iterations 2000 --http-concurrency 16
      bench rss --pid "$pid" --label "after inbox run $r"
    done
    bench create --url "$URL" --concurrency 64 --duration "$DURATION"
    bench rss --pid "$pid" --label "after a create run on 1M cases"
    stop_server
    ;;
  postgres)
    psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS minsheng_bench' -c 'CREATE DATABASE minsheng_bench'
    start_server "$PG_URL" server-pg-create
    for r in $(seq 1 "$RUNS"); do
      bench create --url "$URL" --concurrency 64 --duration "$DURATION"
    done
    stop_server
    psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS minsheng_bench' -c 'CREATE DATABASE minsheng_bench'
    bench seed --database "$PG_URL" --cases "$PG_SEED_CASES" --parallel 4
    # A bulk load leaves the planner's statistics stale until autovacuum gets to it; without this
    # PostgreSQL picks bitmap scans + sorts for the subtree lists (hundreds of ms).
    psql "$PG_URL" -qc 'ANALYZE'
    ;&
  postgres-inbox)
    start_server "$PG_URL" server-pg-inbox
    for r in $(seq 1 "$RUNS"); do
      bench inbox --database "$PG_URL" --url "$URL" --iterations "${PG_ITERATIONS:-2000}"
    done
    stop_server
    ;;
  clean)
    stop_server
    rm -rf "$WORK"
    psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS minsheng_bench' || true
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
