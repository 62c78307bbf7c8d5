#!/usr/bin/env bash
# Runs a command beside a throwaway Redis, then always stops it and deletes its folder.
#   bash scripts/with-redis.sh .venv/bin/pytest -q tests/test_two_instances.py
#   bash scripts/with-postgres.sh bash scripts/with-redis.sh .venv/bin/pytest -q   # both
# Debian's redis-server on a free port of 127.0.0.1, nothing written to disk (no RDB, no AOF).
# REDIS_URL is exported to the command; the tests that need Redis read it, the others ignore it.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  echo "Redis chưa có: cài gói Debian redis-server…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

REDIS_PID=
cleanup() {
  if [ -n "$REDIS_PID" ]; then
    redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# A child of this script (not daemonized), so the cleanup can wait for it to be gone.
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" \
  --logfile "$DIR/redis.log" &
REDIS_PID=$!
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG || { cat "$DIR/redis.log" >&2; exit 1; }

export REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "Redis tạm thời: $REDIS_URL"
status=0
"$@" || status=$?
exit $status
