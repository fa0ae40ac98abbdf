#!/usr/bin/env bash
# pressroom at scale on one machine, without Docker (see infra/README.md, "Scaling out"):
#
#   infra/stack.sh up       # Postgres, the Prefect server on it, the deployments, two workers
#   infra/stack.sh status   # what runs, with PIDs
#   infra/stack.sh down     # stops them all by their PIDs (the data stays)
#
# Postgres is Debian's `postgresql` package (apt-get install postgresql), `initdb` into
# $STACK_DIR/pg on first `up`; as root it runs as the `postgres` system user. One cluster holds two
# databases: `prefect` (the Prefect server's) and `lake` (the DuckLake catalog of the warehouse, whose
# Parquet files live under $STACK_DIR/data). Everything listens on 127.0.0.1 only, with trust
# authentication: a local stack, not a hardened one.
#
# Settings (environment):  PRESSROOM_STACK_DIR   default ./data/stack
#                          PRESSROOM_STACK_PG_PORT       default 5433
#                          PRESSROOM_STACK_PREFECT_PORT  default 4200
#                          PRESSROOM_STACK_WORKERS       default 2
#                          PRESSROOM_SOURCES             the sources file the runs use (default: bundled)
# Then, in any shell:      export PREFECT_API_URL=http://127.0.0.1:4200/api
#                          prefect deployment run 'backfill/backfill' --param sources='["pk-mofa"]' \
#                            --param start=2021-01-01 --param end=2021-12-31
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_DIR=$(mkdir -p "${PRESSROOM_STACK_DIR:-$PWD/data/stack}" && cd "${PRESSROOM_STACK_DIR:-$PWD/data/stack}" && pwd)
PG_PORT=${PRESSROOM_STACK_PG_PORT:-5433}
PREFECT_PORT=${PRESSROOM_STACK_PREFECT_PORT:-4200}
WORKERS=${PRESSROOM_STACK_WORKERS:-2}
PIDS="$STACK_DIR/pids"
LOGS="$STACK_DIR/logs"
PGROOT="$STACK_DIR/pg"
if [[ -x "$REPO/.venv/bin/prefect" ]]; then BIN="$REPO/.venv/bin/"; else BIN=""; fi
API="http://127.0.0.1:$PREFECT_PORT/api"
WAREHOUSE="ducklake:postgres:dbname=lake host=127.0.0.1 port=$PG_PORT user=postgres"

export PREFECT_HOME="$STACK_DIR/prefect" PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
export PREFECT_API_URL="$API" PREFECT_WORKER_QUERY_SECONDS=${PREFECT_WORKER_QUERY_SECONDS:-2}

die() { echo "stack.sh: $*" >&2; exit 1; }

pg_bindir() {
  local found
  if found=$(command -v initdb) && found=$(readlink -f "$found") && [[ -x "$(dirname "$found")/psql" ]]; then
    dirname "$found"; return
  fi
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$found" && -x "$found/psql" ]] || die "no PostgreSQL found: apt-get install postgresql"
  echo "$found"
}

as_pg() {  # PostgreSQL refuses to run as root
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_() { "$(pg_bindir)/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

alive() { [[ -f "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

start_bg() {  # name, command...: its own session (so `down` stops its children too), PID in pids/<name>.pid
  local name=$1; shift
  if alive "$name"; then echo "$name already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  echo "$name started (pid $!, log $LOGS/$name.log)"
}

stop_pid() {  # name: TERM its process group, KILL what is left after 20 s
  local name=$1 pid
  [[ -f "$PIDS/$name.pid" ]] || return 0
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "$name stopped (pid $pid)"
  fi
  rm -f "$PIDS/$name.pid"
}

postgres_up() {
  local bindir; bindir=$(pg_bindir)
  mkdir -p "$PGROOT"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGROOT"; fi
  if [[ ! -f "$PGROOT/data/PG_VERSION" ]]; then
    as_pg "$bindir/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C >"$LOGS/initdb.log"
  fi
  if as_pg "$bindir/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
    echo "postgres already running"
  else
    as_pg "$bindir/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PGROOT -c max_connections=200" \
      >/dev/null
    echo "postgres started (pid $(head -n 1 "$PGROOT/data/postmaster.pid"), port $PG_PORT, data $PGROOT/data)"
  fi
  for db in prefect lake; do
    [[ -n $(psql_ -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]] \
      || psql_ -d postgres -c "CREATE DATABASE $db"
  done
}

server_up() {
  PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/prefect" \
    PREFECT_UI_API_URL="$API" \
    start_bg server "${BIN}prefect" server start --host 127.0.0.1 --port "$PREFECT_PORT"
  "${BIN}python" - "$API" <<'EOF' || die "the Prefect server did not answer; see $LOGS/server.log"
import sys, time, urllib.request
deadline = time.monotonic() + 120
while True:
    try:
        urllib.request.urlopen(sys.argv[1] + "/health", timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.5)
EOF
  "${BIN}prefect" work-pool inspect pressroom >/dev/null 2>&1 \
    || "${BIN}prefect" work-pool create pressroom --type process >/dev/null
  (cd "$REPO" && "${BIN}prefect" --no-prompt deploy --all --prefect-file infra/prefect.yaml >"$LOGS/deploy.log" 2>&1) \
    || die "prefect deploy failed; see $LOGS/deploy.log"
  echo "deployments nightly/nightly, backfill/backfill, source-jobs/source-jobs on work pool pressroom"
}

workers_up() {
  mkdir -p "$STACK_DIR/data"
  for n in $(seq 1 "$WORKERS"); do
    PRESSROOM_DATA_DIR="$STACK_DIR/data" PRESSROOM_WAREHOUSE="$WAREHOUSE" PRESSROOM_LAKE_DATA_PATH="$STACK_DIR/data/lake" \
      start_bg "worker-$n" "${BIN}prefect" worker start --pool pressroom --type process --name "pressroom-worker-$n"
  done
}

status() {
  local bindir; bindir=$(pg_bindir)
  if [[ -f "$PGROOT/data/postmaster.pid" ]] && as_pg "$bindir/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
    echo "postgres  running  pid $(head -n 1 "$PGROOT/data/postmaster.pid")  port $PG_PORT"
  else
    echo "postgres  stopped"
  fi
  for pidfile in "$PIDS"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    local name; name=$(basename "$pidfile" .pid)
    if alive "$name"; then echo "$name  running  pid $(cat "$pidfile")"; else echo "$name  dead (stale pid $(cat "$pidfile"))"; fi
  done
  echo "PREFECT_API_URL=$API"
  echo "PRESSROOM_WAREHOUSE='$WAREHOUSE'"
}

mkdir -p "$PIDS" "$LOGS"
case "${1:-}" in
  up)
    postgres_up
    server_up
    workers_up
    echo "export PREFECT_API_URL=$API PRESSROOM_WAREHOUSE='$WAREHOUSE' PRESSROOM_DATA_DIR=$STACK_DIR/data" \
      "PRESSROOM_LAKE_DATA_PATH=$STACK_DIR/data/lake"
    ;;
  down)
    for pidfile in "$PIDS"/worker-*.pid; do [[ -e "$pidfile" ]] && stop_pid "$(basename "$pidfile" .pid)"; done
    stop_pid server
    if [[ -f "$PGROOT/data/postmaster.pid" ]]; then
      as_pg "$(pg_bindir)/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null && echo "postgres stopped"
    fi
    ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
