#!/usr/bin/env bash
# Idempotent, quiet set-up used by `npm test`, `npm start`, `npm run build`:
#  1. npm dependencies: `npm ci` when node_modules is missing, `npm install` when package-lock.json
#     changed since the last set-up;
#  2. when running as root, the Debian packages listed in tools/system-deps.txt (the real peers
#     and tools the integration tests use). Set METALLB_TS_SKIP_SYSTEM_DEPS=1 to skip;
#  3. when running as root with Go 1.26 at /usr/local/go, the Go-built test peers, into
#     ~/.cache/metallb-ts keyed by version (once per machine; a no-op when cached): the memberlist
#     peer of @metallb-ts/test-lab, the control plane of tools/kube (etcd, kube-apiserver,
#     kube-controller-manager, kubectl, helm) and MetalLB's controller and speaker (tools/metallb).
#     Built here, before any test starts, so no test's set-up hook waits out a first-time build
#     (~15-25 min on 2 cores). Set METALLB_TS_SKIP_GO_PREBUILD=1 to leave them to the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.metallb-ts-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
elif [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # Incremental (never wipes node_modules under a running process).
  echo "setup: updating npm dependencies (npm install)" >&2
  npm install --no-audit --no-fund --loglevel=error >&2
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi

if [ "$(id -u)" = 0 ] && [ -z "${METALLB_TS_SKIP_SYSTEM_DEPS:-}" ] && command -v dpkg-query >/dev/null; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' tools/system-deps.txt)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "$(id -u)" = 0 ] && [ -z "${METALLB_TS_SKIP_SYSTEM_DEPS:-}" ] && [ -x /usr/local/go/bin/go ] && [ -x node_modules/.bin/node ]; then
  # Node 24 (the `node` devDependency) runs the TypeScript file directly; a failure here is only a
  # warning: the tests that need the peer build it themselves and report the error.
  node_modules/.bin/node --disable-warning=ExperimentalWarning tools/test-lab/src/go.ts --prebuild >/dev/null 2>&1 \
    || echo "setup: warning: pre-building the Go memberlist peer failed (the memberlist interop tests will retry and show why)" >&2
  if [ -z "${METALLB_TS_SKIP_GO_PREBUILD:-}" ]; then
    # Each prints a line per binary it has to build (nothing when cached); stdout is the paths.
    node_modules/.bin/node tools/kube/bin/kube-lab.mjs build --helm >/dev/null \
      || echo "setup: warning: building the Kubernetes control plane failed (the tests that need it will retry and show why)" >&2
    node_modules/.bin/node tools/metallb/bin/metallb-peer.mjs build >/dev/null \
      || echo "setup: warning: building MetalLB failed (the tests that need it will retry and show why)" >&2
  fi
fi
