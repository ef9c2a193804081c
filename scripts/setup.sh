#!/usr/bin/env bash
# setup.sh - installs what Hubbub needs and builds it (run as root on a fresh Debian 12 with gcc,
# cmake and node/npm already there). Safe to run again: apt is skipped when every package is in,
# npm ci when node_modules already matches package-lock.json, and the build is incremental.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  build-essential pkg-config
  libwebsockets-dev libjansson-dev libuv1-dev libhiredis-dev libmsgpack-dev libssl-dev libcrypt-dev
  redis-server
  python3 python3-socketio python3-websocket python3-requests python3-cryptography
  awscli python3-boto3
  clang libclang-rt-14-dev
  chromium
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      SUDO=(sudo)
    else
      echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2
      exit 1
    fi
  fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${PACKAGES[@]}"
fi

# npm ci wipes and reinstalls node_modules; skip it when node_modules already holds exactly what
# package-lock.json pins (npm records what it installed in node_modules/.package-lock.json).
node_modules_current() {
  node -e '
    const fs = require("fs");
    const lock = require("./package-lock.json").packages || {};
    let have;
    try { have = require("./node_modules/.package-lock.json").packages || {}; } catch (e) { process.exit(1); }
    const want = Object.keys(lock).filter((k) => k !== "");
    const ok = want.length === Object.keys(have).length && want.every((k) =>
      have[k] && have[k].version === lock[k].version && fs.existsSync(k + "/package.json"));
    process.exit(ok ? 0 : 1);' 2>/dev/null
}
if ! node_modules_current; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

cmake -S . -B build
cmake --build build -j2
