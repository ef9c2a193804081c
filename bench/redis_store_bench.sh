#!/usr/bin/env bash
# Queue throughput of the bus on the Redis store, and Redis round trips per operation. See
# docs/BENCHMARKS.md, "Redis store".
#
# usage: bench/redis_store_bench.sh [--runs R] [--seconds S] [--workers N] [--body BYTES] [--out DIR]
#                                   [--no-build]
#
# For every run, persistence setting (none; AOF appendfsync everysec; AOF appendfsync always) and
# case (standard queue batch 1 and 10, FIFO queue batch 1) it starts a fresh redis-server on a free
# loopback port pinned to REDIS_CPU (default 0) in a temporary directory, runs
# build/bench/hubbub-redis-store-bench pinned to LOAD_CPU (default 1), and stops Redis by PID; the
# in-memory store runs the same cases for comparison. Results: DIR/results.jsonl (one line per
# phase, tagged with run and persistence) and a markdown table of medians on stdout (also
# DIR/table.md). Every step is bounded by a timeout. Build in Release for numbers worth quoting
# (BUILD_DIR, default build/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CPU=${REDIS_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
RUNS=3 SECONDS_=5 WORKERS=16 BODY=100 OUT="" BUILD_STEP=1

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --seconds) SECONDS_=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --body) BODY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-build) BUILD_STEP=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "redis_store_bench.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

if [ $BUILD_STEP = 1 ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target hubbub-redis-store-bench >/dev/null
fi
BENCH=$BUILD/bench/hubbub-redis-store-bench
[ -x "$BENCH" ] || { echo "redis_store_bench.sh: $BENCH is missing" >&2; exit 1; }
[ -x "$REDIS_SERVER" ] || { echo "redis_store_bench.sh: $REDIS_SERVER is missing" >&2; exit 1; }
[ -n "$OUT" ] || OUT=$BUILD/bench-results/redis-store-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
{ uname -a; nproc; "$REDIS_SERVER" --version; } > "$OUT/env.txt" 2>&1

REDIS_PID="" REDIS_DIR="" REDIS_PORT=""
stop_redis() {
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  if [ -n "$REDIS_DIR" ]; then rm -rf "$REDIS_DIR"; fi
  REDIS_PID="" REDIS_DIR=""
}
trap stop_redis EXIT

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Sets REDIS_PID, REDIS_DIR and REDIS_PORT (so not in a subshell: stop_redis needs them).
start_redis() { # $1: none | everysec | always
  local port persist=(--appendonly no)
  port=$(free_port)
  REDIS_DIR=$(mktemp -d /tmp/hubbub-bench-redis-XXXXXX)
  [ "$1" != none ] && persist=(--appendonly yes --appendfsync "$1")
  taskset -c "$REDIS_CPU" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' \
    --dir "$REDIS_DIR" --protected-mode no "${persist[@]}" > "$REDIS_DIR/log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { REDIS_PORT=$port; return; }
    sleep 0.05
  done
  echo "redis_store_bench.sh: redis-server did not start" >&2
  exit 1
}

CASES=("--batch 1" "--batch 10" "--batch 1 --fifo")
for run in $(seq "$RUNS"); do
  for persist in memory none everysec always; do
    for c in "${CASES[@]}"; do
      # shellcheck disable=SC2086
      if [ $persist = memory ]; then
        target=(--memory)
      else
        start_redis $persist
        target=(--url "redis://127.0.0.1:$REDIS_PORT")
      fi
      timeout $((SECONDS_ * 6 + 60)) taskset -c "$LOAD_CPU" "$BENCH" "${target[@]}" $c \
        --workers "$WORKERS" --seconds "$SECONDS_" --body "$BODY" 2>>"$OUT/bench.err" |
        sed "s/^{/{\"run\":$run,\"persistence\":\"$persist\",/" >> "$RESULTS"
      [ $persist = memory ] || stop_redis
    done
  done
done

node - "$RESULTS" <<'EOF' | tee "$OUT/table.md"
const fs = require("fs");
const rows = fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const med = (v) => { const s = v.slice().sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const key = (r) => `${r.persistence}|${r.queue}|${r.batch}|${r.phase}`;
const groups = new Map();
for (const r of rows) { if (!groups.has(key(r))) groups.set(key(r), []); groups.get(key(r)).push(r); }
console.log("| store / persistence | queue | batch | phase | messages/s | calls/s | round trips per call | Redis commands per message | p50 ms | p99 ms |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const [k, rs] of groups) {
  const [p, q, b, ph] = k.split("|");
  const m = (f, d = 0) => { const v = rs.map((r) => r[f]).filter((x) => x !== undefined); return v.length ? med(v).toFixed(d) : "-"; };
  console.log(`| ${p === "memory" ? "memory" : `redis, ${p === "none" ? "no persistence" : `AOF ${p}`}`} | ${q} | ${b} | ${ph} | ${m("messages_per_s")} | ${m("calls_per_s")} | ${m("round_trips_per_call", 2)} | ${m("redis_commands_per_message", 1)} | ${m("latency_p50_ms", 2)} | ${m("latency_p99_ms", 2)} |`);
}
const errs = rows.filter((r) => r.errors > 0);
if (errs.length) console.log(`\nProblems seen: ${errs.length} phases with errors`);
console.log(`\n${rows.length} phases, ${new Set(rows.map((r) => r.run)).size} runs; results in ${process.argv[2]}`);
EOF
