#!/usr/bin/env bash
# Local servers without Docker: Apache Kafka (KRaft), MongoDB (mongod, single-node replica set) and PostgreSQL.
#
#   deploy/local/infra.sh up      install what is missing (cached), start what is not running,
#                                 wait for readiness, create the Kafka topics
#   deploy/local/infra.sh down    stop all three (SIGTERM / pg_ctl stop -m fast, then wait)
#   deploy/local/infra.sh status  one line per server; exit code 1 if any is not running
#   deploy/local/infra.sh reset   down + delete the data (keeps downloaded jars and binaries)
#   deploy/local/infra.sh env     print the connection settings as `export` lines
#   deploy/local/infra.sh check   smoke test: Kafka produce/consume, MongoDB insert/find, PostgreSQL
#   deploy/local/infra.sh stop|start|restart SERVER   one server (kafka, mongod or postgres), for fault tests
#
# Data, logs and pid files live under .local/ at the repo root (git-ignored). See README.md here.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$LOCAL_SCRIPT_DIR/lib/postgres.sh"
# shellcheck source=lib/kafka.sh
source "$LOCAL_SCRIPT_DIR/lib/kafka.sh"
# shellcheck source=lib/mongod.sh
source "$LOCAL_SCRIPT_DIR/lib/mongod.sh"

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# One infra.sh at a time per checkout (several people/tools may call `up` concurrently).
# fd 9 is closed for every server we start, so a server never holds the lock.
take_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/infra.lock"
  if ! flock -w 600 9; then
    die "another infra.sh is still running (lock $RUN_DIR/infra.lock)"
  fi
}

cmd_up() {
  local t0
  t0=$(now_ms)
  take_lock
  mkdir -p "$LOCAL_DIR" "$RUN_DIR" "$LOG_DIR" "$BIN_DIR"

  pg_install
  pg_prepare_dirs

  # Fail early (before starting anything) when a port we need is held by a foreign process.
  if ! kafka_pid >/dev/null; then
    port_must_be_free kafka "$LOCAL_KAFKA_PORT"
    port_must_be_free kafka-controller "$LOCAL_KAFKA_CONTROLLER_PORT"
  fi
  pg_pid >/dev/null || port_must_be_free postgres "$LOCAL_PG_PORT"
  mongod_pid >/dev/null || port_must_be_free mongod "$LOCAL_MONGO_PORT"

  mongod_install
  mongod_start         # ready in ~1 s
  kafka_install
  kafka_start          # the JVM boots (~3-7 s) while PostgreSQL and mongod come up

  pg_initdb
  pg_start
  pg_wait_ready
  pg_bootstrap

  mongod_wait_ready

  kafka_wait_ready_and_topics

  local ms=$(( $(now_ms) - t0 ))
  log "all servers ready in $((ms / 1000)).$(((ms % 1000) / 100)) s"
  cmd_status || true
}

cmd_down() {
  take_lock
  pg_paths
  mongod_stop
  kafka_stop
  pg_stop
}

cmd_status() {
  pg_paths
  local rc=0
  kafka_status || rc=1
  mongod_status || rc=1
  pg_status || rc=1
  return "$rc"
}

cmd_reset() {
  cmd_down
  log "reset: deleting data under $LOCAL_DIR (keeping kafka/libs and bin/)"
  local pg_real=""
  [[ -e "$PG_BASE" ]] && pg_real="$(readlink -f "$PG_BASE")"
  rm -rf "$KAFKA_DATA" "$KAFKA_HOME/cluster-id" "$KAFKA_PROPS" \
    "$LOCAL_DIR/mongod" "$LOG_DIR" "$PG_SOCKET_DIR"
  if [[ -n "$pg_real" ]]; then
    rm -rf "${pg_real:?}/data" "${pg_real:?}/socket" "${pg_real:?}/postgres.log"
  fi
  find "$RUN_DIR" -mindepth 1 ! -name infra.lock -delete 2>/dev/null || true
  log "reset: done"
}

cmd_env() {
  cat <<ENV
export KAFKA_BROKERS=$BIND_HOST:$LOCAL_KAFKA_PORT
export MONGODB_URI=mongodb://$BIND_HOST:$LOCAL_MONGO_PORT/tickets?replicaSet=$MONGOD_REPLSET
export POSTGRES_URL=postgres://$PG_ROLE:$PG_PASSWORD@$BIND_HOST:$LOCAL_PG_PORT/tickets
ENV
}

cmd_check() {
  require_node_modules kafkajs mongoose pg
  eval "$(cmd_env)"
  node "$LOCAL_SCRIPT_DIR/smoke-test.js"
}

# One server at a time (fault tests restart the broker or a database under load).
cmd_server() {
  local action="$1" server="${2:-}"
  case "$server" in
    kafka | mongod | postgres) ;;
    *) die "$action: name one server: kafka, mongod or postgres (got '${server}')" ;;
  esac
  take_lock
  pg_paths
  if [[ "$action" == stop || "$action" == restart ]]; then
    case "$server" in
      kafka) kafka_stop ;;
      mongod) mongod_stop ;;
      postgres) pg_stop ;;
    esac
  fi
  if [[ "$action" == start || "$action" == restart ]]; then
    case "$server" in
      kafka) kafka_install && kafka_start && kafka_wait_ready_and_topics ;;
      mongod) mongod_install && mongod_start && mongod_wait_ready ;;
      postgres) pg_start && pg_wait_ready ;;
    esac
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  stop | start | restart) cmd_server "$1" "${2:-}" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  env) cmd_env ;;
  check) cmd_check ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
