#!/usr/bin/env bash
# Local PostgreSQL 15 on 127.0.0.1:15432, data in .state/postgres/data, role and database
# `outcomes` (password `outcomes`, superuser: tests create databases).
#   deploy/postgres.sh start|stop|status
# Another server next to it: POSTGRES_PORT, POSTGRES_STATE_DIR (deploy/env.sh).
# Run as root, the server runs as the `postgres` OS user, which must reach its state. No
# permission of a directory above the state is ever changed: when `postgres` cannot reach
# POSTGRES_STATE_DIR (a root-only checkout or /tmp/pytest-of-root), the state lives in a
# directory of its own under the postgres user's home (.../outcomes-state/<hash of the
# path>) and POSTGRES_STATE_DIR becomes a symbolic link to it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PORT="$POSTGRES_PORT"
START_TIMEOUT="${POSTGRES_START_TIMEOUT:-60}"
PSTATE="$POSTGRES_STATE_DIR"
LOCK="$PSTATE.lock"

# The state as `postgres` reaches it (see the header): PSTATE, DATA, SOCKET_DIR, LOGFILE,
# SETTINGS.
resolve_state() {
  if [[ "$(id -u)" == 0 ]]; then
    if [[ -L "$PSTATE" ]]; then
      PSTATE="$(readlink -f "$PSTATE")"
    elif ! runuser -u postgres -- test -x "$(dirname "$PSTATE")" 2>/dev/null; then
      [[ ! -e "$PSTATE" ]] || die "$PSTATE exists but the postgres user cannot reach it; move it away or set POSTGRES_STATE_DIR"
      local home real
      home="$(getent passwd postgres | cut -d: -f6)"
      real="$home/outcomes-state/$(printf %s "$PSTATE" | sha256sum | cut -c1-16)"
      runuser -u postgres -- mkdir -p -m 700 "$real"
      ln -s "$real" "$PSTATE"
      log "the postgres user cannot reach $(dirname "$PSTATE"): state in $real (linked from $PSTATE)"
      PSTATE="$real"
    fi
  fi
  DATA="$PSTATE/data"
  SOCKET_DIR="$PSTATE/run"
  LOGFILE="$PSTATE/postgres.log"
  # One line: pg_ctl hands -o to a shell command line.
  SETTINGS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories='$SOCKET_DIR'"
  SETTINGS+=" -c shared_buffers=256MB -c max_connections=200"
}

# Postgres refuses to run as root: as root, act as the `postgres` OS user.
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_admin() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres "$@"; }
running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$PG_BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

check_prerequisites() {
  [[ -x "$PG_BIN/pg_ctl" ]] || die "$PG_BIN/pg_ctl not found: install PostgreSQL 15 (apt-get install postgresql-15) or set PG_BIN"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user: install PostgreSQL 15 (apt-get install postgresql-15)"
  fi
}

prepare_dirs() {
  mkdir -p "$SOCKET_DIR"
  [[ "$(id -u)" == 0 ]] || return 0
  chown postgres:postgres "$PSTATE" "$SOCKET_DIR"
}

init_cluster() {
  [[ -f "$DATA/PG_VERSION" ]] && return
  log "initdb $DATA"
  as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PSTATE/initdb.log" 2>&1 \
    || { cat "$PSTATE/initdb.log" >&2; die "initdb failed"; }
}

create_app_role() {
  psql_admin -d postgres <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'outcomes') THEN
    CREATE ROLE outcomes LOGIN SUPERUSER PASSWORD 'outcomes';
  END IF;
END $$;
SQL
  if [[ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'outcomes'")" ]]; then
    psql_admin -d postgres -c "CREATE DATABASE outcomes OWNER outcomes"
  fi
}

answers() {
  PGPASSWORD=outcomes "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U outcomes -d outcomes \
    -tAc "SELECT 1" >/dev/null 2>&1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
# Something else listens on the port (not our cluster): a PostgreSQL from elsewhere, perhaps
# starting up or loaded. Wait up to START_TIMEOUT for it to accept connections (0); 1 when
# the port closes meanwhile (start ours); never start a second server on a taken port.
wait_for_foreign() {
  local deadline=$((SECONDS + START_TIMEOUT)) waiting=""
  until "$PG_BIN/pg_isready" -q -t 5 -h 127.0.0.1 -p "$PORT"; do
    port_open || return 1
    ((SECONDS < deadline)) || die "something listens on :$PORT but does not answer as PostgreSQL (waited ${START_TIMEOUT}s); not starting a second server on that port"
    [[ -n "$waiting" ]] || log "something listens on :$PORT but does not answer yet: waiting up to ${START_TIMEOUT}s"
    waiting=1
    sleep 1
  done
}

start() {
  check_prerequisites
  if ! running && port_open && wait_for_foreign; then
    answers || die "something else answers on 127.0.0.1:$PORT but not as role 'outcomes'"
    log "a PostgreSQL from elsewhere (another checkout?) answers on 127.0.0.1:$PORT: using it"
    return
  fi
  prepare_dirs
  init_cluster
  if running; then log "already running"; else
    log "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOGFILE)"
    as_pg "$PG_BIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -o "$SETTINGS" -w -t 60 >/dev/null 9>&- \
      || { tail -n 30 "$LOGFILE" >&2; die "PostgreSQL did not start"; }
  fi
  local deadline=$((SECONDS + 60))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; do
    ((SECONDS < deadline)) || die "PostgreSQL not ready within 60s (see $LOGFILE)"
    sleep 0.5
  done
  create_app_role
  answers || die "PostgreSQL does not answer queries as 'outcomes' (see $LOGFILE)"
  log "ready: $LOCAL_DATABASE_URL"
}

stop() {
  check_prerequisites
  if ! running; then log "not running"; return; fi
  as_pg "$PG_BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
  log "stopped"
}

status() {
  check_prerequisites
  running || { log "stopped"; exit 3; }
  if answers; then log "running, answering on 127.0.0.1:$PORT"
  else log "running but not answering on 127.0.0.1:$PORT"; exit 1; fi
}

cmd="${1:-}"
case "$cmd" in
  start|stop|status)
    if [[ -n "$DATABASE_EXTERNAL" ]]; then
      log "DATABASE_URL is set to ${DATABASE_URL/\/\/*@/\/\/***@}: using that external PostgreSQL, nothing to $cmd"
      exit 0
    fi
    mkdir -p "$(dirname "$PSTATE")"
    exec 9>"$LOCK" && flock 9  # one start/stop at a time
    resolve_state
    "$cmd" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
