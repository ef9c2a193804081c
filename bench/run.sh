#!/usr/bin/env bash
# Hubbub vs the Node.js reference (npm socket.io), same load, same run. See docs/BENCHMARKS.md.
#
# usage: bench/run.sh [--quick] [--runs R] [--only hubbub|node] [--scenarios fanout,ack,idle]
#                     [--out DIR] [--no-build]
#
# For every repetition and every scenario it starts a fresh server pinned to one core (SERVER_CPU,
# default 0), warms it up with a short unrecorded load where the scenario has one, runs
# build/bench/hubbub-loadgen pinned to another core (LOAD_CPU, default 1), and stops the server.
# Servers alternate which goes first. Results: DIR/results.jsonl (one loadgen JSON line per phase,
# tagged with server and run), DIR/*.log, and a markdown table of medians and ratios on stdout
# (also DIR/table.md). Every step is bounded by a timeout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
RUNS=5
QUICK=0
ONLY=""
SCENARIOS="fanout,ack,idle"
OUT=""
BUILD_STEP=1

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --runs) RUNS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-build) BUILD_STEP=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

# Scenario sizes (full / --quick). Override any of them from the environment.
if [ $QUICK = 1 ]; then
  [ "$RUNS" = 5 ] && RUNS=1
  : "${RECEIVERS:=200}" "${BURST:=100}" "${BURSTS:=3}" "${PACED_RATE:=20}" "${PACED_S:=3}"
  : "${ACK_SOCKETS:=10}" "${ACK_RATE:=2000}" "${ACK_S:=2}" "${IDLE_CONNS:=1000}" "${IDLE_SETTLE:=1}"
else
  : "${RECEIVERS:=1000}" "${BURST:=100}" "${BURSTS:=10}" "${PACED_RATE:=20}" "${PACED_S:=10}"
  : "${ACK_SOCKETS:=10}" "${ACK_RATE:=2000}" "${ACK_S:=5}" "${IDLE_CONNS:=10000}" "${IDLE_SETTLE:=3}"
fi
# Per-connection send-queue bound for hubbub: a burst is BURST frames of ~40 bytes per receiver.
: "${MAX_BUFFERED:=67108864}"

if [ -z "$OUT" ]; then OUT=$BUILD/bench-results/$(date +%Y%m%d-%H%M%S); fi
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

SERVERS="hubbub node"
case "$ONLY" in
  "") ;;
  hubbub|node) SERVERS=$ONLY ;;
  *) echo "run.sh: --only hubbub|node" >&2; exit 64 ;;
esac

# ---- build ------------------------------------------------------------------------------------
if [ $BUILD_STEP = 1 ]; then
  targets="hubbub-loadgen"
  case " $SERVERS " in *" hubbub "*) targets="hubbub $targets" ;; esac
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT/cmake.log"
  # shellcheck disable=SC2086
  cmake --build "$BUILD" -j2 --target $targets >"$OUT/build.log" 2>&1 || {
    echo "run.sh: build failed, see $OUT/build.log" >&2; tail -20 "$OUT/build.log" >&2; exit 1; }
fi
LOADGEN=$BUILD/bench/hubbub-loadgen
HUBBUB=$BUILD/hubbub
NODE_SERVER=$ROOT/tests/reference/server.js
case " $SERVERS " in *" node "*)
  [ -f "$NODE_SERVER" ] || { echo "run.sh: $NODE_SERVER missing" >&2; exit 1; } ;;
esac
[ -x "$LOADGEN" ] || { echo "run.sh: $LOADGEN missing" >&2; exit 1; }
export NODE_PATH=$ROOT/node_modules

# 10k connections need 10k descriptors in both processes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNS + 100)) ]; then
  echo "run.sh: warning: ulimit -n $(ulimit -n) is below $((IDLE_CONNS + 100))" >&2
fi

# ---- configs ----------------------------------------------------------------------------------
for app in relay echo; do
  cat >"$OUT/$app.json" <<EOF
{"namespaces":{"/":{"app":"$app"}},"pingInterval":25000,"pingTimeout":20000,"maxBufferedBytes":$MAX_BUFFERED}
EOF
done

# ---- server lifecycle -------------------------------------------------------------------------
SPID=""
SPORT=""
stop_server() {
  if [ -n "$SPID" ]; then
    kill "$SPID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=""
  fi
}
trap stop_server EXIT

# start_server NAME APP TAG: starts it pinned to SERVER_CPU, waits for "listening on".
start_server() {
  local name=$1 app=$2 tag=$3 out=$OUT/$tag.server.out err=$OUT/$tag.server.err
  if [ "$name" = hubbub ]; then
    taskset -c "$SERVER_CPU" "$HUBBUB" --port 0 --host 127.0.0.1 --config "$OUT/$app.json" >"$out" 2>"$err" &
  else
    taskset -c "$SERVER_CPU" node "$NODE_SERVER" --port 0 --host 127.0.0.1 --config "$OUT/$app.json" >"$out" 2>"$err" &
  fi
  SPID=$!
  for _ in $(seq 100); do
    if grep -q "listening on" "$out" 2>/dev/null; then
      SPORT=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$out" | head -1)
      return 0
    fi
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $name did not start (see $err)" >&2
  PROBLEMS+=("$tag: $name did not start")
  stop_server
  return 1
}

PROBLEMS=()

# loadgen TAG SERVER RUN RECORD(1/0) ARGS...: runs the load pinned to LOAD_CPU, bounded in time.
loadgen() {
  local tag=$1 name=$2 run=$3 record=$4; shift 4
  local rc=0
  timeout 300 taskset -c "$LOAD_CPU" "$LOADGEN" "$@" --port "$SPORT" --server-pid "$SPID" \
    >"$OUT/$tag.out" 2>"$OUT/$tag.err" || rc=$?
  if ! kill -0 "$SPID" 2>/dev/null; then
    PROBLEMS+=("$tag: $name exited during the run (loadgen rc $rc)")
  elif [ $rc != 0 ]; then
    PROBLEMS+=("$tag: loadgen rc $rc: $(grep -h -m3 -E 'error|lost|failed|closed' "$OUT/$tag.err" "$OUT/$tag.out" | tr '\n' ' ' | cut -c1-300)")
  fi
  if [ "$record" = 1 ]; then
    sed "s/^{/{\"server\":\"$name\",\"run\":$run,/" "$OUT/$tag.out" >>"$RESULTS"
  fi
  return 0
}

scenario_fanout() {
  local name=$1 run=$2 tag=fanout-$1-$2
  start_server "$name" relay "$tag" || return 0
  # Warm-up (not recorded): lets the JIT of the reference settle.
  loadgen "$tag-warm" "$name" "$run" 0 fanout --receivers "$RECEIVERS" --burst "$BURST" --bursts 3 \
    --rate 0 --timeout 120
  loadgen "$tag" "$name" "$run" 1 fanout --receivers "$RECEIVERS" --burst "$BURST" --bursts "$BURSTS" \
    --rate "$PACED_RATE" --duration "$PACED_S" --warmup 1 --timeout 240
  stop_server
}

scenario_ack() {
  local name=$1 run=$2 tag=ack-$1-$2
  start_server "$name" echo "$tag" || return 0
  loadgen "$tag-warm" "$name" "$run" 0 ack --sockets "$ACK_SOCKETS" --rate 0 --duration 2 --warmup 0 \
    --timeout 60
  loadgen "$tag" "$name" "$run" 1 ack --sockets "$ACK_SOCKETS" --rate "$ACK_RATE" --duration "$ACK_S" \
    --warmup 1 --timeout 60
  loadgen "$tag-closed" "$name" "$run" 1 ack --sockets "$ACK_SOCKETS" --rate 0 --duration "$ACK_S" \
    --warmup 1 --timeout 60
  stop_server
}

scenario_idle() {
  local name=$1 run=$2 tag=idle-$1-$2
  start_server "$name" relay "$tag" || return 0
  sleep 1 # let the server finish starting before the baseline RSS is read
  loadgen "$tag" "$name" "$run" 1 idle --conns "$IDLE_CONNS" --settle "$IDLE_SETTLE" --timeout 120
  stop_server
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(nproc) cpus, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
  echo "node: $(node --version), server script: ${NODE_SERVER#"$ROOT"/}"
  echo "runs: $RUNS, server on cpu $SERVER_CPU, load on cpu $LOAD_CPU, ulimit -n $(ulimit -n)"
  echo "sizes: receivers=$RECEIVERS burst=$BURST bursts=$BURSTS paced_rate=$PACED_RATE paced_s=$PACED_S" \
       "ack_sockets=$ACK_SOCKETS ack_rate=$ACK_RATE ack_s=$ACK_S idle_conns=$IDLE_CONNS"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

IFS=, read -r -a SCN <<<"$SCENARIOS"
for run in $(seq 1 "$RUNS"); do
  # Alternate the order so slow drifts of a noisy machine hit both servers alike.
  if [ $((run % 2)) = 1 ]; then order=$SERVERS; else order=$(echo "$SERVERS" | awk '{for(i=NF;i>0;i--) printf "%s ", $i}'); fi
  for s in "${SCN[@]}"; do
    for name in $order; do
      echo "run.sh: run $run/$RUNS $s $name" >&2
      "scenario_$s" "$name" "$run"
    done
  done
done

node "$ROOT/bench/summarize.js" "$RESULTS" "$OUT/env.txt" >"$OUT/table.md"
if [ ${#PROBLEMS[@]} -gt 0 ]; then
  { echo; echo "Problems seen:"; for p in "${PROBLEMS[@]}"; do echo "- $p"; done; } >>"$OUT/table.md"
fi
cat "$OUT/table.md"
echo "run.sh: results in $OUT" >&2
