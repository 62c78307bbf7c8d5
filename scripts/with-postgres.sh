#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster, then always stops and deletes it.
#   bash scripts/with-postgres.sh .venv/bin/pytest -q
# The cluster runs as the unprivileged `postgres` user (initdb refuses root), on a free port,
# with durability off (it is thrown away). DATABASE_URL is exported to the command.
set -euo pipefail

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  return 1
}

if ! find_bin initdb >/dev/null; then
  echo "PostgreSQL chưa có: cài gói Debian postgresql…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)
PSQL=$(find_bin psql)

as_pg=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg=(runuser -u postgres --)
fi

DIR=$(mktemp -d)
chmod 755 "$DIR"
[ "$(id -u)" = "0" ] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${as_pg[@]}" "$PG_CTL" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$INITDB" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${as_pg[@]}" "$PG_CTL" -D "$DIR/data" -w -l "$DIR/server.log" start -o \
  "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
"$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE kndmst_test" >/dev/null

export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/kndmst_test"
echo "PostgreSQL tạm thời: $DATABASE_URL"
status=0
"$@" || status=$?
exit $status
