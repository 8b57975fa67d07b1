#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the picture-service tests, on loopback only.
#
# Usage (as root, on Debian):  eval "$(.ci/postgres.sh)"
# Installs Debian's postgresql package if missing, creates (once) a cluster in
# $TRACKLAYER_PG_DIR (default /var/tmp/tracklayer-pg) listening on 127.0.0.1:$TRACKLAYER_PG_PORT
# (default 54329) only, with a database and user for the tests, and prints on stdout
#   export TRACKLAYER_TEST_POSTGRES_URL=postgresql://...
# Everything else goes to stderr. Running it again while the server is up only prints the line.
set -euo pipefail

PG_DIR="${TRACKLAYER_PG_DIR:-/var/tmp/tracklayer-pg}"
PG_PORT="${TRACKLAYER_PG_PORT:-54329}"
DB_NAME=tracklayer_test
DB_USER=tracklayer
DB_PASS=tracklayer
URL="postgresql://${DB_USER}:${DB_PASS}@127.0.0.1:${PG_PORT}/${DB_NAME}"

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages and runs the server as the postgres user)"
  exit 1
fi

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

if ! BIN="$(pg_bin)"; then
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(pg_bin)"
fi

as_pg() { runuser -u postgres -- "$@"; }

mkdir -p "$PG_DIR"
chown postgres:postgres "$PG_DIR"
chmod 700 "$PG_DIR"
DATA="$PG_DIR/data"
SOCK="$PG_DIR/sock"

as_pg mkdir -p "$SOCK"

if [ ! -f "$DATA/PG_VERSION" ]; then
  log "creating a cluster in $DATA"
  # Local socket: trust for the postgres superuser setting things up; TCP: passwords only.
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >&2
fi

if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "starting the server on 127.0.0.1:$PG_PORT"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $SOCK -c fsync=on" start >&2
fi

PSQL="$BIN/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)"
psql_admin() { as_pg "$PSQL" -h "$SOCK" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='${DB_USER}'")" != "1" ]; then
  psql_admin -d postgres -c "CREATE ROLE ${DB_USER} LOGIN PASSWORD '${DB_PASS}' CREATEDB"
fi
if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname='${DB_NAME}'")" != "1" ]; then
  psql_admin -d postgres -c "CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}"
fi

log "ready: $URL"
echo "export TRACKLAYER_TEST_POSTGRES_URL=${URL}"
