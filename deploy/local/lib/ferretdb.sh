# shellcheck shell=bash
# FerretDB v1.24 (MongoDB wire protocol) built from the Go module proxy through our own tiny main
# (deploy/local/ferretdb/main.go) that embeds github.com/FerretDB/FerretDB/ferretdb.

FERRETDB_NAME=ferretdb
FERRETDB_SRC="$LOCAL_SCRIPT_DIR/ferretdb"
FERRETDB_BIN="$BIN_DIR/ferretdb-local"
FERRETDB_LOG="$LOG_DIR/ferretdb.log"
FERRETDB_BUILD_LOG="$LOG_DIR/ferretdb-build.log"
FERRETDB_SQLITE_DIR="$LOCAL_DIR/ferretdb/sqlite"
# postgresql (default: database `ferretdb` in the local PostgreSQL cluster) or sqlite (files under .local)
LOCAL_FERRETDB_BACKEND="${LOCAL_FERRETDB_BACKEND:-postgresql}"
FERRETDB_PATTERN="ferretdb-local"

ferretdb_build_hash() {
  { files_hash "$FERRETDB_SRC/main.go" "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum"; go version; } | sha256sum | cut -d' ' -f1
}

ferretdb_needs_build() {
  [[ -x "$FERRETDB_BIN" && -f "$FERRETDB_BIN.sha256" ]] || return 0
  command -v go >/dev/null 2>&1 || return 1   # binary present, no toolchain: use what we have
  [[ "$(cat "$FERRETDB_BIN.sha256")" != "$(ferretdb_build_hash)" ]]
}

# Builds .local/bin/ferretdb-local when main.go/go.mod/go.sum (or the Go version) changed.
ferretdb_install() {
  ferretdb_needs_build || return 0
  command -v go >/dev/null 2>&1 || die "ferretdb: the Go toolchain (1.24+) is required to build FerretDB (deploy/local/ferretdb)"
  mkdir -p "$BIN_DIR" "$LOG_DIR"
  log "ferretdb: building $FERRETDB_BIN (go build; modules from the Go module proxy)"
  local t0 rc=0
  # Named here, not inside the subshell below: $BASHPID differs in a subshell.
  local tmp="$FERRETDB_BIN.tmp.$BASHPID"
  t0=$(now_ms)
  (
    cd "$FERRETDB_SRC"
    GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
      go build -trimpath -o "$tmp" .
  ) >"$FERRETDB_BUILD_LOG" 2>&1 || rc=$?
  if (( rc != 0 )); then
    show_log_tail "$FERRETDB_BUILD_LOG"
    die "ferretdb: go build failed"
  fi
  # unique temp name + rename: an interrupted or concurrent build never leaves a half-written binary
  mv -f "$tmp" "$FERRETDB_BIN"
  ferretdb_build_hash >"$FERRETDB_BIN.sha256"
  log "ferretdb: built in $(( ($(now_ms) - t0) / 1000 ))s"
}

ferretdb_pid() { running_pid "$FERRETDB_NAME" "$FERRETDB_PATTERN"; }

ferretdb_start() {
  local pid
  if pid="$(ferretdb_pid)"; then
    log "ferretdb: already running (pid $pid, port $LOCAL_MONGO_PORT)"
    return 0
  fi
  port_must_be_free ferretdb "$LOCAL_MONGO_PORT"
  [[ -x "$FERRETDB_BIN" ]] || die "ferretdb: $FERRETDB_BIN is missing (build failed?)"
  local -a args=(-listen-addr "$BIND_HOST:$LOCAL_MONGO_PORT" -handler "$LOCAL_FERRETDB_BACKEND"
    -log-level "${LOCAL_FERRETDB_LOG_LEVEL:-warn}")
  case "$LOCAL_FERRETDB_BACKEND" in
    postgresql)
      args+=(-postgresql-url "postgres://$PG_ROLE:$PG_PASSWORD@$BIND_HOST:$LOCAL_PG_PORT/ferretdb")
      ;;
    sqlite)
      mkdir -p "$FERRETDB_SQLITE_DIR"
      args+=(-sqlite-url "file:$FERRETDB_SQLITE_DIR/")
      ;;
    *) die "ferretdb: LOCAL_FERRETDB_BACKEND must be postgresql or sqlite (got '$LOCAL_FERRETDB_BACKEND')" ;;
  esac
  log "ferretdb: starting on $BIND_HOST:$LOCAL_MONGO_PORT (backend $LOCAL_FERRETDB_BACKEND)"
  printf '%s\n' "$LOCAL_FERRETDB_BACKEND" >"$RUN_DIR/$FERRETDB_NAME.backend"
  start_detached "$FERRETDB_NAME" "$FERRETDB_LOG" "$FERRETDB_BIN" "${args[@]}"
}

ferretdb_wait_ready() {
  require_node_modules mongodb
  if ! MONGODB_URI="mongodb://$BIND_HOST:$LOCAL_MONGO_PORT/tickets" MONGO_READY_TIMEOUT_S="$LOCAL_INFRA_TIMEOUT" \
      FERRETDB_PID="$(read_pid "$FERRETDB_NAME")" node "$FERRETDB_SRC/mongo-ping.js"; then
    show_log_tail "$FERRETDB_LOG"
    die "ferretdb: not ready on $BIND_HOST:$LOCAL_MONGO_PORT"
  fi
}

ferretdb_stop() { stop_pid "$FERRETDB_NAME" "$FERRETDB_PATTERN" 30; }

ferretdb_status() {
  local pid backend
  backend="$(cat "$RUN_DIR/$FERRETDB_NAME.backend" 2>/dev/null || echo "$LOCAL_FERRETDB_BACKEND")"
  if pid="$(ferretdb_pid)"; then
    if is_port_open "$LOCAL_MONGO_PORT"; then
      printf '%-10s running  pid=%-8s port=%s  backend=%s  uri=mongodb://%s:%s/tickets\n' \
        ferretdb "$pid" "$LOCAL_MONGO_PORT" "$backend" "$BIND_HOST" "$LOCAL_MONGO_PORT"
      return 0
    fi
    printf '%-10s starting pid=%-8s port=%s  (process up, port not open)\n' ferretdb "$pid" "$LOCAL_MONGO_PORT"
    return 1
  fi
  printf '%-10s stopped  port=%s\n' ferretdb "$LOCAL_MONGO_PORT"
  return 1
}
