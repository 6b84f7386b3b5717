#!/usr/bin/env bash
# Start the local PostgreSQL and Redis the test suite uses, if they are not running.
set -euo pipefail

PG_HOST=${STOCKBRIDGE_TEST_PG_HOST:-127.0.0.1}
PG_PORT=${STOCKBRIDGE_TEST_PG_PORT:-5432}
REDIS_PORT=${STOCKBRIDGE_TEST_REDIS_PORT:-6379}

wait_for() {  # wait_for DESCRIPTION COMMAND...: poll for up to 30 s
    local what=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "services: $what did not come up" >&2
    return 1
}

if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    wait_for PostgreSQL pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
fi

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
fi
