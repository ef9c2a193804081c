#!/usr/bin/env bash
# run-demo.sh - sets everything up, then runs the hub in the foreground: single node (in-memory),
# the relay app on "/", port 3000 unless PORT says otherwise. Extra arguments go to hubbub.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec build/hubbub --port "${PORT:-3000}" "$@"
