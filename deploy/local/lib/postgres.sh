# shellcheck shell=bash
# PostgreSQL (Debian package) running our own cluster under .local/postgres.

PG_NAME=postgres
PG_BASE="$LOCAL_DIR/postgres"
PG_LOG="$LOG_DIR/postgres.log"
PG_ROLE="${LOCAL_PG_USER:-tickets}"
PG_PASSWORD="${LOCAL_PG_PASSWORD:-tickets}"
PG_DATABASES=(tickets)

# initdb refuses to run as root: as root the cluster belongs to the `postgres` OS user.
if [[ "$(id -u)" == 0 ]]; then PG_OS_USER=postgres; else PG_OS_USER="$(id -un)"; fi

as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] && printf '%s' "$d"
}

pg_install() {
  if [[ -z "$(pg_bindir)" ]]; then
    apt_install postgresql
    [[ -n "$(pg_bindir)" ]] || die "postgres: apt-get install postgresql did not provide initdb"
  fi
  PG_BIN="$(pg_bindir)"
  # The Debian package may auto-create and start its own 'main' cluster on 5432; we leave it alone.
}

# Resolve where the data lives. Normally .local/postgres; if the postgres OS user cannot reach
# the repo (a parent directory without o+x, e.g. a clone under /root), the cluster lives in
# /var/tmp/tickets-local-pg-<hash> and .local/postgres is a symlink to it.
pg_prepare_dirs() {
  mkdir -p "$LOCAL_DIR" "$RUN_DIR" "$LOG_DIR"
  if [[ -L "$PG_BASE" ]]; then
    mkdir -p "$(readlink -f "$PG_BASE")"
  else
    mkdir -p "$PG_BASE"
  fi
  if [[ "$(id -u)" == 0 ]]; then
    chown "$PG_OS_USER": "$PG_BASE/" 2>/dev/null || true
    if ! as_pg test -w "$PG_BASE/" 2>/dev/null; then
      local alt
      alt="/var/tmp/tickets-local-pg-$(printf "%s" "$LOCAL_DIR" | sha256sum | cut -c1-12)"
      warn "postgres: user '$PG_OS_USER' cannot reach $PG_BASE (a parent directory is not traversable); using $alt (linked from $PG_BASE)"
      rmdir "$PG_BASE" 2>/dev/null || rm -f "$PG_BASE"
      mkdir -p "$alt"
      chown "$PG_OS_USER": "$alt"
      chmod 700 "$alt"
      ln -sfn "$alt" "$PG_BASE"
    fi
  fi
  local real
  real="$(readlink -f "$PG_BASE")"   # the postgres user may not be able to walk the symlink's path
  PG_DATA="$real/data"
  PG_SOCKET_DIR="$real/socket"
  # Unix socket paths are limited to ~107 bytes.
  if (( ${#PG_SOCKET_DIR} > 90 )); then
    PG_SOCKET_DIR="/tmp/tickets-local-pg-$(printf "%s" "$LOCAL_DIR" | sha256sum | cut -c1-12)"
  fi
  mkdir -p "$PG_SOCKET_DIR"
  chmod 700 "$PG_SOCKET_DIR"
  [[ "$(id -u)" == 0 ]] && chown "$PG_OS_USER": "$PG_SOCKET_DIR"
  if [[ -L "$PG_BASE" ]]; then
    # The server writes its log itself, so in the fallback it too lives where it can reach it.
    touch "$real/postgres.log"
    ln -sfn "$real/postgres.log" "$PG_LOG"
  else
    touch "$PG_LOG"
  fi
  [[ "$(id -u)" == 0 ]] && chown "$PG_OS_USER": "$(readlink -f "$PG_LOG")"
  return 0
}

pg_paths() {   # resolve paths without creating anything (status/down)
  local real
  real="$(readlink -f "$PG_BASE" 2>/dev/null || printf '%s' "$PG_BASE")"
  PG_DATA="$real/data"
  PG_SOCKET_DIR="$real/socket"
  if (( ${#PG_SOCKET_DIR} > 90 )); then
    PG_SOCKET_DIR="/tmp/tickets-local-pg-$(printf "%s" "$LOCAL_DIR" | sha256sum | cut -c1-12)"
  fi
  PG_BIN="$(pg_bindir || true)"
}

pg_initdb() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  log "postgres: initdb $PG_DATA"
  local pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  chmod 644 "$pwfile"
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >>"$PG_LOG" 2>&1; then
    rm -f "$pwfile"
    show_log_tail "$PG_LOG"
    die "postgres: initdb failed"
  fi
  rm -f "$pwfile"
  # Local dev/test tuning. Durability is traded for speed: this data is disposable.
  cat >>"$PG_DATA/postgresql.conf" <<'CONF'

# ---- deploy/local/infra.sh (local dev/test only: data is disposable) ----
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 15min
max_wal_size = 1GB
log_min_duration_statement = -1
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

pg_pid() { # postmaster pid (from the data dir), only when it is alive
  local pid
  [[ -n "${PG_DATA:-}" && -f "$PG_DATA/postmaster.pid" ]] || return 1
  pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null | tr -dc '0-9')"
  pid_alive "$pid" postgres || return 1
  printf '%s' "$pid"
}

pg_start() {
  local pid
  if pid="$(pg_pid)"; then
    log "postgres: already running (pid $pid, port $LOCAL_PG_PORT)"
    printf '%s\n' "$pid" >"$RUN_DIR/$PG_NAME.pid"
    return 0
  fi
  port_must_be_free postgres "$LOCAL_PG_PORT"
  log "postgres: starting on $BIND_HOST:$LOCAL_PG_PORT"
  # pg_ctl detaches the postmaster itself; setsid keeps it out of the caller's process group/session.
  local -a cmd=("$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$(readlink -f "$PG_LOG")" -w -t 60 -s
    -o "-p $LOCAL_PG_PORT -k '$PG_SOCKET_DIR' -c listen_addresses=$BIND_HOST" start)
  [[ "$(id -u)" == 0 ]] && cmd=(runuser -u "$PG_OS_USER" -- "${cmd[@]}")
  if ! setsid bash -c "$CLOSE_FDS"'; exec "$@"' pg_ctl "${cmd[@]}" </dev/null 9>&-; then
    show_log_tail "$PG_LOG"
    die "postgres: pg_ctl start failed"
  fi
  pid="$(pg_pid)" || { show_log_tail "$PG_LOG"; die "postgres: not running after start"; }
  printf '%s\n' "$pid" >"$RUN_DIR/$PG_NAME.pid"
}

pg_wait_ready() {
  local deadline=$((SECONDS + LOCAL_INFRA_TIMEOUT))
  until "$PG_BIN/pg_isready" -q -h "$BIND_HOST" -p "$LOCAL_PG_PORT" -t 2; do
    if (( SECONDS >= deadline )); then
      show_log_tail "$PG_LOG"
      die "postgres: not ready on $BIND_HOST:$LOCAL_PG_PORT after ${LOCAL_INFRA_TIMEOUT}s"
    fi
    pg_pid >/dev/null || { show_log_tail "$PG_LOG"; die "postgres: server exited during start-up"; }
    sleep 0.2
  done
}

pg_psql_admin() {  # superuser over the private unix socket
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$LOCAL_PG_PORT" -U postgres -d postgres "$@"
}

pg_bootstrap() {
  local db sql out
  sql="DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE \"$PG_ROLE\" LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
"
  for db in "${PG_DATABASES[@]}"; do
    sql+="SELECT 'CREATE DATABASE \"$db\" OWNER \"$PG_ROLE\"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\\gexec
"
  done
  out="$(printf '%s' "$sql" | pg_psql_admin -tA 2>&1)" || { printf '%s\n' "$out" >&2; die "postgres: creating role/databases failed"; }
}

pg_stop() {
  local pid
  if ! pid="$(pg_pid)"; then
    log "postgres: not running"
    rm -f "$RUN_DIR/$PG_NAME.pid"
    return 0
  fi
  log "postgres: stopping (pid $pid, pg_ctl stop -m fast)"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop; then
    warn "postgres: pg_ctl stop failed; sending SIGQUIT"
    kill -QUIT "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$RUN_DIR/$PG_NAME.pid"
  log "postgres: stopped"
}

pg_status() {
  local pid
  if pid="$(pg_pid)" && "${PG_BIN:-/nonexistent}/pg_isready" -q -h "$BIND_HOST" -p "$LOCAL_PG_PORT" -t 2; then
    printf '%-10s running  pid=%-8s port=%s  url=postgres://%s:%s@%s:%s/tickets\n' \
      postgres "$pid" "$LOCAL_PG_PORT" "$PG_ROLE" "$PG_PASSWORD" "$BIND_HOST" "$LOCAL_PG_PORT"
    return 0
  elif [[ -n "${pid:-}" ]]; then
    printf '%-10s starting pid=%-8s port=%s  (process up, not accepting connections)\n' postgres "$pid" "$LOCAL_PG_PORT"
    return 1
  fi
  printf '%-10s stopped  port=%s\n' postgres "$LOCAL_PG_PORT"
  return 1
}
