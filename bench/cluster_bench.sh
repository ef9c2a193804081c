#!/usr/bin/env bash
# Cross-node fan-out through Redis: Hubbub nodes against Node.js socket.io nodes with the official
# @socket.io/redis-adapter (tests/reference/server.js), same topology, same run. See docs/BENCHMARKS.md,
# "Cross-node fan-out through Redis".
#
# usage: bench/cluster_bench.sh [--runs R] [--nodes 2|3] [--only hubbub|node] [--quick] [--out DIR]
#                               [--no-build]
#
# Per run and server kind (the order alternates between runs): a fresh redis-server on a free loopback
# port (temp dir, --save '' --appendonly no), then NODES nodes joined to it with
# {"redis":"redis://127.0.0.1:PORT","namespaces":{"/":{"app":"relay"}}}. hubbub-loadgen connects
# RECEIVERS receivers to node B and the sender to node A (--sender-port); all join room "room", so every
# event crosses Redis (A publishes, B delivers). A third node (--nodes 3) is subscribed but has no
# clients. Redis and the nodes are pinned to SERVER_CPU (0), the load generator to LOAD_CPU (1).
# An unrecorded warm-up (3 bursts) precedes the recorded run (bursts, then a paced phase with latency).
# Results: DIR/results.jsonl (loadgen lines tagged with server and run, plus per-process CPU), a
# markdown table of medians and ratios on stdout (also DIR/table.md). Every step is bounded in time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
RUNS=3 NODES=2 ONLY="" QUICK=0 OUT="" BUILD_STEP=1

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --nodes) NODES=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --no-build) BUILD_STEP=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "cluster_bench.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
case "$NODES" in 2|3) ;; *) echo "cluster_bench.sh: --nodes 2|3" >&2; exit 64 ;; esac

if [ $QUICK = 1 ]; then
  [ "$RUNS" = 3 ] && RUNS=1
  : "${RECEIVERS:=200}" "${BURST:=100}" "${BURSTS:=3}" "${PACED_RATE:=20}" "${PACED_S:=3}"
else
  : "${RECEIVERS:=500}" "${BURST:=100}" "${BURSTS:=10}" "${PACED_RATE:=20}" "${PACED_S:=10}"
fi
: "${MAX_BUFFERED:=67108864}"

SERVERS="hubbub node"
case "$ONLY" in "") ;; hubbub|node) SERVERS=$ONLY ;; *) echo "cluster_bench.sh: --only hubbub|node" >&2; exit 64 ;; esac

[ -n "$OUT" ] || OUT=$BUILD/bench-results/cluster-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

if [ $BUILD_STEP = 1 ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target hubbub hubbub-loadgen >"$OUT/build.log" 2>&1 || {
    echo "cluster_bench.sh: build failed, see $OUT/build.log" >&2; exit 1; }
fi
LOADGEN=$BUILD/bench/hubbub-loadgen
HUBBUB=$BUILD/hubbub
NODE_SERVER=$ROOT/tests/reference/server.js
[ -x "$LOADGEN" ] && [ -x "$REDIS_SERVER" ] || { echo "cluster_bench.sh: $LOADGEN or $REDIS_SERVER missing" >&2; exit 1; }
export NODE_PATH=$ROOT/node_modules
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# CPU time (ns) of a process: utime+stime from /proc/PID/stat (clock ticks).
cpu_ns() {
  local hz; hz=$(getconf CLK_TCK)
  awk -v hz="$hz" '{sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e9 / hz}' "/proc/$1/stat" 2>/dev/null || echo -1
}

PIDS=() RPID="" RDIR="" PROBLEMS=()
stop_all() {
  local p
  for p in "${PIDS[@]}" $RPID; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}" $RPID; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=() RPID=""
  [ -n "$RDIR" ] && rm -rf "$RDIR"
  RDIR=""
}
trap stop_all EXIT

# start_cluster NAME TAG: redis + NODES nodes; sets RPORT, PORTS[], PIDS[].
start_cluster() {
  local name=$1 tag=$2 i out
  RPORT=$(free_port)
  RDIR=$(mktemp -d /tmp/hubbub-cluster-bench.XXXXXX)
  taskset -c "$SERVER_CPU" "$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --dir "$RDIR" --save '' \
    --appendonly no >"$OUT/$tag.redis.log" 2>&1 &
  RPID=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null && break
    sleep 0.1
  done
  cat >"$OUT/$tag.json" <<EOF
{"redis":"redis://127.0.0.1:$RPORT","namespaces":{"/":{"app":"relay"}},"pingInterval":25000,"pingTimeout":20000,"maxBufferedBytes":$MAX_BUFFERED}
EOF
  PORTS=()
  for i in $(seq 1 "$NODES"); do
    out=$OUT/$tag.node$i.out
    if [ "$name" = hubbub ]; then
      taskset -c "$SERVER_CPU" "$HUBBUB" --port 0 --host 127.0.0.1 --config "$OUT/$tag.json" >"$out" 2>"$OUT/$tag.node$i.err" &
    else
      taskset -c "$SERVER_CPU" node "$NODE_SERVER" --port 0 --host 127.0.0.1 --config "$OUT/$tag.json" >"$out" 2>"$OUT/$tag.node$i.err" &
    fi
    PIDS+=($!)
    local port=""
    for _ in $(seq 100); do
      port=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$out" | head -1)
      [ -n "$port" ] && break
      sleep 0.1
    done
    [ -n "$port" ] || { PROBLEMS+=("$tag: $name node $i did not start"); stop_all; return 1; }
    PORTS+=("$port")
  done
  sleep 0.5 # let the adapters finish subscribing
}

# loadgen TAG NAME RUN RECORD ARGS...: receivers on node B (PORTS[1]), sender on node A (PORTS[0]).
loadgen() {
  local tag=$1 name=$2 run=$3 record=$4; shift 4
  local rc=0 a0 b0 r0 a1 b1 r1
  a0=$(cpu_ns "${PIDS[0]}"); b0=$(cpu_ns "${PIDS[1]}"); r0=$(cpu_ns "$RPID")
  timeout 300 taskset -c "$LOAD_CPU" "$LOADGEN" "$@" --port "${PORTS[1]}" --sender-port "${PORTS[0]}" \
    --server-pid "${PIDS[1]}" >"$OUT/$tag.out" 2>"$OUT/$tag.err" || rc=$?
  a1=$(cpu_ns "${PIDS[0]}"); b1=$(cpu_ns "${PIDS[1]}"); r1=$(cpu_ns "$RPID")
  local p
  for p in "${PIDS[@]}" $RPID; do kill -0 "$p" 2>/dev/null || PROBLEMS+=("$tag: process $p exited during the run"); done
  if [ $rc != 0 ]; then
    PROBLEMS+=("$tag: loadgen rc $rc: $(grep -h -m3 -E 'error|lost|failed|closed|incomplete' "$OUT/$tag.err" "$OUT/$tag.out" | tr '\n' ' ' | cut -c1-300)")
  fi
  if [ "$record" = 1 ]; then
    sed "s/^{/{\"server\":\"$name\",\"run\":$run,/" "$OUT/$tag.out" >>"$RESULTS"
    echo "{\"server\":\"$name\",\"run\":$run,\"phase\":\"cpu\",\"node_a_cpu_ms\":$(((a1 - a0) / 1000000)),\"node_b_cpu_ms\":$(((b1 - b0) / 1000000)),\"redis_cpu_ms\":$(((r1 - r0) / 1000000))}" >>"$RESULTS"
  fi
}

run_one() {
  local name=$1 run=$2 tag=cluster-$1-$2
  start_cluster "$name" "$tag" || return 0
  loadgen "$tag-warm" "$name" "$run" 0 fanout --receivers "$RECEIVERS" --burst "$BURST" --bursts 3 --rate 0 --timeout 120
  loadgen "$tag" "$name" "$run" 1 fanout --receivers "$RECEIVERS" --burst "$BURST" --bursts "$BURSTS" \
    --rate "$PACED_RATE" --duration "$PACED_S" --warmup 1 --timeout 240
  stop_all
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(nproc) cpus, kernel $(uname -r); $("$REDIS_SERVER" --version | cut -d' ' -f1-3); node $(node --version)"
  echo "runs: $RUNS, nodes: $NODES, servers+redis on cpu $SERVER_CPU, load on cpu $LOAD_CPU"
  echo "sizes: receivers=$RECEIVERS burst=$BURST bursts=$BURSTS paced_rate=$PACED_RATE paced_s=$PACED_S"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then order=$SERVERS; else order=$(echo "$SERVERS" | awk '{for(i=NF;i>0;i--) printf "%s ", $i}'); fi
  for name in $order; do
    echo "cluster_bench.sh: run $run/$RUNS $name" >&2
    run_one "$name" "$run"
  done
done

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
const med = (a) => { const s = a.filter((x) => x != null && x >= 0).sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const rng = (a) => { const s = a.filter((x) => x != null && x >= 0); return s.length ? `${fmt(Math.min(...s))}–${fmt(Math.max(...s))}` : "-"; };
const fmt = (n) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-";
const pick = (srv, phase, key) => rows.filter((r) => r.server === srv && r.phase === phase).map((r) => r[key]);
const cpuPer = (srv, phase) => {
  // (node A + node B + redis) CPU over the whole loadgen run / deliveries of that run (bursts + paced)
  const out = [];
  for (const c of rows.filter((r) => r.server === srv && r.phase === "cpu")) {
    const d = rows.filter((r) => r.server === srv && r.run === c.run && r.mode === "fanout").reduce((a, r) => a + r.delivered, 0);
    out.push(d ? ((c.node_a_cpu_ms + c.node_b_cpu_ms + c.redis_cpu_ms) * 1e6) / d : null);
  }
  return out;
};
const metrics = [
  ["Burst deliveries/s (median burst)", "burst", "deliveries_per_s_median", "higher"],
  ["Burst, node B CPU ns per delivery", "burst", "server_cpu_ns_per_delivery", "lower"],
  ["Paced latency p50 (µs)", "paced", "lat_p50_us", "lower"],
  ["Paced latency p99 (µs)", "paced", "lat_p99_us", "lower"],
  ["Paced, node B CPU ns per delivery", "paced", "server_cpu_ns_per_delivery", "lower"],
];
let out = "| Metric | Hubbub median (min–max) | Node+redis-adapter median (min–max) | Hubbub / Node | Better |\n|---|---|---|---|---|\n";
const row = (label, h, n, better) => {
  const mh = med(h), mn = med(n);
  out += `| ${label} | ${fmt(mh)} (${rng(h)}) | ${fmt(mn)} (${rng(n)}) | ${(mh / mn).toFixed(2)}x | ${better} |\n`;
};
for (const [label, phase, key, better] of metrics) row(label, pick("hubbub", phase, key), pick("node", phase, key), better);
row("A+B+Redis CPU ns per delivery (whole run)", cpuPer("hubbub"), cpuPer("node"), "lower");
for (const srv of ["hubbub", "node"]) {
  const f = rows.filter((r) => r.server === srv && r.mode === "fanout");
  const s = (k) => f.reduce((a, r) => a + (r[k] || 0), 0);
  out += `\n${srv}: ${f.length} phases, expected ${s("expected")}, delivered ${s("delivered")}, lost ${s("lost")}, dups ${s("dups")}, gaps ${s("gaps")}, sender_echo ${s("sender_echo")}, closed ${s("closed")}`;
}
out += "\n";
fs.writeFileSync(process.argv[2], out);
' "$RESULTS" "$OUT/table.md"
if [ ${#PROBLEMS[@]} -gt 0 ]; then
  { echo; echo "Problems seen:"; for p in "${PROBLEMS[@]}"; do echo "- $p"; done; } >>"$OUT/table.md"
fi
cat "$OUT/env.txt" "$OUT/table.md"
echo "cluster_bench.sh: results in $OUT" >&2
