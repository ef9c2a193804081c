#!/bin/sh
# run.sh [SECONDS] [BUILD_DIR] - builds the fuzz targets with clang and runs each for SECONDS
# (default 20) over a temporary copy of its seed corpus, so the committed corpus never grows.
# Exits non-zero when a target crashes; the crashing input is kept in tests/artifacts/.
set -eu

duration=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$root/build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac

names=$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
CC=clang cmake -S "$root" -B "$build" -DHUB_FUZZ=ON -DHUB_TESTS=OFF >/dev/null
cmake --build "$build" --target $(for n in $names; do printf 'fuzz_%s ' "$n"; done) \
    -j "$(nproc 2>/dev/null || echo 2)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$root/tests/artifacts"

status=0
for name in $names; do
    mkdir "$work/$name"
    cp "$root/tests/fuzz/corpus/$name/"* "$work/$name/"
    echo "fuzz_$name: ${duration}s"
    if ! (cd "$work" && "$build/fuzz/fuzz_$name" -max_total_time="$duration" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$root/tests/artifacts/fuzz_$name-" "$work/$name" \
            >"$work/$name.log" 2>&1); then
        tail -n 60 "$work/$name.log"
        echo "fuzz_$name: FAILED (artifacts in tests/artifacts/)"
        status=1
    else
        grep -E 'stat::number_of_executed_runs|Done' "$work/$name.log" || true
    fi
done
exit $status
