#!/usr/bin/env bash
# SQS SendMessage / ReceiveMessage / DeleteMessage per second through Hubbub's AWS JSON 1.0 API.
# See docs/BENCHMARKS.md, "AWS SQS API".
#
# usage: bench/aws_bench.sh [--runs R] [--seconds S] [--conns N] [--body BYTES] [--out DIR]
#                           [--backend NAME --config FILE]
#
# For every run and batch size (1, then 10) it starts a fresh hub (memory back end) pinned to
# SERVER_CPU (default 0) with FILE (default: {"aws":{}}, the memory back end; give another back end's
# config and its NAME for the table), runs aws_bench (bench/aws_bench.c, built here with cc) pinned to LOAD_CPU
# (default 1), and stops the hub. Results: DIR/results.jsonl (one line per phase, tagged with run and
# back end) and a markdown table of medians on stdout (also DIR/table.md). Every step is bounded by
# a timeout. BUILD_DIR (default build/) holds the hub; build it in Release for numbers worth quoting.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
RUNS=5 SECONDS_=5 CONNS=16 BODY=100 OUT="" BACKEND=memory CONFIG=""

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --seconds) SECONDS_=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --body) BODY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --backend) BACKEND=$2; shift ;;
    --config) CONFIG=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "aws_bench.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

HUB=$BUILD/hubbub
[ -x "$HUB" ] || { echo "aws_bench.sh: $HUB is missing (build it first)" >&2; exit 1; }
mkdir -p "$BUILD/bench"
BENCH=$BUILD/bench/aws_bench
cc -O2 -Wall -Wextra -Werror -pthread -o "$BENCH" "$ROOT/bench/aws_bench.c"
[ -n "$OUT" ] || OUT=$BUILD/bench-results/aws-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
if [ -n "$CONFIG" ]; then cp "$CONFIG" "$OUT/config.json"; else echo '{"aws":{},"logLevel":"warn"}' > "$OUT/config.json"; fi
PIN_S=() PIN_L=()
if command -v taskset >/dev/null; then PIN_S=(taskset -c "$SERVER_CPU"); PIN_L=(taskset -c "$LOAD_CPU"); fi
{ uname -a; nproc; "$HUB" --version; } > "$OUT/env.txt" 2>&1

failed=0
for run in $(seq 1 "$RUNS"); do
  for batch in 1 10; do
    log=$OUT/hub-$run-$batch.log
    "${PIN_S[@]}" "$HUB" --port 0 --host 127.0.0.1 --config "$OUT/config.json" > "$log.out" 2> "$log" &
    pid=$!
    port=""
    for _ in $(seq 1 100); do
      port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\)$/\1/p' "$log.out" | head -n1)
      [ -n "$port" ] && break
      sleep 0.1
    done
    if [ -z "$port" ]; then echo "aws_bench.sh: the hub did not start" >&2; kill "$pid" 2>/dev/null; exit 1; fi
    if ! timeout $((SECONDS_ * 4 + 30)) "${PIN_L[@]}" "$BENCH" --port "$port" --conns "$CONNS" \
        --seconds "$SECONDS_" --batch "$batch" --body "$BODY" > "$OUT/bench-$run-$batch.out"; then
      echo "aws_bench.sh: run $run batch $batch reported errors" >&2
      failed=1
    fi
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    kill -TERM "$pid"
    timeout 10 tail --pid="$pid" -f /dev/null || kill -KILL "$pid"
    sed "s/^{/{\"run\":$run,\"backend\":\"$BACKEND\",\"peak_rss_kb\":${rss:-0},/" "$OUT/bench-$run-$batch.out" >> "$RESULTS"
  done
done

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const fmt = (n) => Math.round(n).toLocaleString("en-US");
let out = "| Back end | Operation | Batch | Requests/s | Messages/s | p50 latency | p99 latency |\n|---|---|---|---|---|---|---|\n";
const names = { send: "SendMessage", receive: "ReceiveMessage", delete: "DeleteMessage" };
for (const batch of [1, 10]) for (const phase of ["send", "receive", "delete"]) {
  const r = rows.filter((x) => x.batch === batch && x.phase === phase);
  if (!r.length) continue;
  const op = names[phase] + (batch > 1 && phase !== "receive" ? "Batch" : "");
  out += `| ${r[0].backend} | ${op} | ${batch} | ${fmt(median(r.map((x) => x.requests_per_s)))} | ` +
    `${fmt(median(r.map((x) => x.messages_per_s)))} | ${median(r.map((x) => x.p50_us))} us | ` +
    `${median(r.map((x) => x.p99_us))} us |\n`;
}
const errors = rows.reduce((a, x) => a + x.errors, 0);
out += `\n${rows.length / 6} run(s), ${errors} error(s); peak RSS (median) ` +
  `${fmt(median(rows.map((x) => x.peak_rss_kb)))} kB\n`;
fs.writeFileSync(process.argv[2], out);
process.stdout.write(out);
' "$RESULTS" "$OUT/table.md"
exit $failed
