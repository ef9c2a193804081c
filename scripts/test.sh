#!/usr/bin/env bash
# test.sh - sets everything up and runs the whole suite:
#   1. the normal build (build/) and every ctest test in it;
#   2. a sanitizer build (build-asan/, ASan + UBSan, Debug) and its unit and integration tests;
#   3. a short fuzz run (tests/fuzz/run.sh 15), when that script exists.
# The last line printed is always "N passed, N failed", totalled over the ctest runs (+1 for the fuzz
# step; a step that cannot build counts as one failure). Exits non-zero when anything failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

passed=0
failed=0

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

step() {
  echo
  echo "=== $* ==="
}

# run_ctest DIR [ctest args...]: runs ctest in DIR and adds its counts to the totals.
run_ctest() {
  local dir=$1 out rc line total nfail
  shift
  out="$(mktemp)"
  (cd "$dir" && ctest --output-on-failure "$@") 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -n1)"
  rm -f "$out"
  if [ -n "$line" ]; then
    total="$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")"
    nfail="$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")"
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
    if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
      echo "test.sh: ctest in $dir exited with $rc" >&2
      failed=$((failed + 1))
    fi
  elif [ "$rc" -ne 0 ]; then
    echo "test.sh: ctest in $dir failed (exit $rc) without a summary" >&2
    failed=$((failed + 1))
  fi
}

step "setup (packages, node modules, build/)"
if ! bash scripts/setup.sh; then
  echo "test.sh: setup failed" >&2
  failed=$((failed + 1))
  finish
fi

step "build/: all tests"
if cmake --build build -j2; then
  run_ctest build
else
  echo "test.sh: the normal build failed" >&2
  failed=$((failed + 1))
fi

step "build-asan/: unit and integration tests under ASan + UBSan"
if cmake -S . -B build-asan -DHUB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug &&
  cmake --build build-asan -j2; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build-asan -L 'unit|integration'
else
  echo "test.sh: the sanitizer build failed" >&2
  failed=$((failed + 1))
fi

if [ -f tests/fuzz/run.sh ]; then
  step "fuzz (15 s)"
  if bash tests/fuzz/run.sh 15; then
    passed=$((passed + 1))
  else
    echo "test.sh: the fuzz run failed" >&2
    failed=$((failed + 1))
  fi
fi

finish
