# shellcheck shell=bash
# Shared helpers for deploy/local/infra.sh. Sourced, never executed.

LOCAL_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # deploy/local
REPO_ROOT="$(cd "$LOCAL_SCRIPT_DIR/../.." && pwd)"

# Everything the servers write lives under .local/ at the repo root (git-ignored).
LOCAL_DIR="${LOCAL_DIR:-$REPO_ROOT/.local}"
RUN_DIR="$LOCAL_DIR/run"      # pid files
LOG_DIR="$LOCAL_DIR/logs"     # server logs
BIN_DIR="$LOCAL_DIR/bin"      # downloaded binaries (mongod)

# Ports and bind address (everything binds to loopback only).
BIND_HOST=127.0.0.1
LOCAL_KAFKA_PORT="${LOCAL_KAFKA_PORT:-9092}"
LOCAL_KAFKA_CONTROLLER_PORT="${LOCAL_KAFKA_CONTROLLER_PORT:-9093}"
LOCAL_MONGO_PORT="${LOCAL_MONGO_PORT:-27017}"
LOCAL_PG_PORT="${LOCAL_PG_PORT:-5433}"

# Readiness deadlines (seconds).
LOCAL_INFRA_TIMEOUT="${LOCAL_INFRA_TIMEOUT:-120}"

log()  { printf '[infra] %s\n' "$*" >&2; }
warn() { printf '[infra] WARN: %s\n' "$*" >&2; }
die()  { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }

# Print the last lines of a log file to stderr (used on failures).
show_log_tail() {
  local file="$1" lines="${2:-40}"
  if [[ -f "$file" ]]; then
    printf '[infra] ---- last %s lines of %s ----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '[infra] ---- end of %s ----\n' "$file" >&2
  else
    printf '[infra] (no log file at %s)\n' "$file" >&2
  fi
}

# is_port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
is_port_open() {
  (exec 3<>"/dev/tcp/$BIND_HOST/$1") 2>/dev/null
}

# pid_alive PID PATTERN: process exists and its command line contains PATTERN
# (guards against a recycled pid from a stale pid file).
pid_alive() {
  local pid="$1" pattern="$2"
  [[ -n "$pid" && "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# read_pid NAME: the pid recorded in $RUN_DIR/NAME.pid (empty if none).
read_pid() {
  local f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] && tr -dc '0-9' <"$f" || true
}

# running_pid NAME PATTERN: print the pid if the server is running, else clean a stale pid file.
running_pid() {
  local name="$1" pattern="$2" pid
  pid="$(read_pid "$name")"
  if pid_alive "$pid" "$pattern"; then
    printf '%s' "$pid"
    return 0
  fi
  rm -f "$RUN_DIR/$name.pid"
  return 1
}

# Shell snippet closing every fd above 2: a detached server must not keep open a pipe (or lock)
# inherited from whoever called infra.sh (npm, CI, a terminal multiplexer), or that caller may
# wait for EOF forever.
# shellcheck disable=SC2016
CLOSE_FDS='for f in /proc/$$/fd/*; do f=${f##*/}; if (( f > 2 )); then eval "exec $f>&-"; fi; done 2>/dev/null'

# start_detached NAME LOGFILE CMD...: start CMD in its own session (setsid), detached from the
# caller's terminal and process group, stdin from /dev/null, output appended to LOGFILE.
# The pid file receives the pid of the process that execs CMD, i.e. the server itself.
start_detached() {
  local name="$1" logfile="$2"; shift 2
  mkdir -p "$RUN_DIR" "$(dirname "$logfile")"
  rm -f "$RUN_DIR/$name.pid"
  # CLOSE_FDS's loop leaves stderr on /dev/null (its exec redirections persist): point it back at the log.
  # shellcheck disable=SC2016
  nohup setsid bash -c "$CLOSE_FDS"'; exec 2>&1; echo $$ >"$0"; exec "$@"' "$RUN_DIR/$name.pid" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  # Wait (briefly) for the pid file to appear.
  local i
  for i in $(seq 1 50); do
    [[ -s "$RUN_DIR/$name.pid" ]] && return 0
    sleep 0.1
  done
  die "$name: could not start (no pid file after 5 s)"
}

# stop_pid NAME PATTERN TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local name="$1" pattern="$2" timeout="${3:-30}" pid i
  if ! pid="$(running_pid "$name" "$pattern")"; then
    log "$name: not running"
    return 0
  fi
  log "$name: stopping (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name: still running after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$RUN_DIR/$name.pid"
  log "$name: stopped"
}

# port_must_be_free NAME PORT: refuse to start a server on a port someone else already holds.
port_must_be_free() {
  local name="$1" port="$2"
  if is_port_open "$port"; then
    die "$name: port $BIND_HOST:$port is already in use by another process (not started by this script); stop it or set a different port"
  fi
}

# hash of files (for build caches)
files_hash() {
  cat "$@" | sha256sum | cut -d' ' -f1
}

# apt_install PKG...: install Debian packages (root only; runs apt-get update first, once).
APT_UPDATED=0
apt_install() {
  [[ "$(id -u)" == 0 ]] || die "missing packages: $* (install them as root: apt-get install -y $*)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: $* (and no apt-get on this machine)"
  log "installing Debian package(s): $*"
  if (( APT_UPDATED == 0 )); then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed"
}

require_node_modules() {
  local m
  command -v node >/dev/null 2>&1 || die "node is required (readiness checks and topic creation use node)"
  for m in "$@"; do
    [[ -d "$REPO_ROOT/node_modules/$m" ]] || die "node module '$m' is missing under $REPO_ROOT/node_modules: run 'npm ci' first"
  done
}
