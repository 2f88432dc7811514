#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, spec, torture) twice:
# once in a normal build and once with AddressSanitizer + UndefinedBehaviorSanitizer.
# --long: the torture test kills tributary 100 times instead of 20.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--long" ]; then
  export TRIBUTARY_TORTURE_KILLS=${TRIBUTARY_TORTURE_KILLS:-100}
fi
scripts/install-deps.sh || { echo "test.sh: installing packages failed" >&2; exit 1; }

jobs=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_pass() { # run_pass BUILD_DIR CMAKE_ARGS...
  local dir=$1; shift
  echo "== configure and build: $dir"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null || return 1
  cmake --build "$dir" -j "$jobs" || return 1
  echo "== ctest: $dir"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
}

status=0
run_pass build -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
# The benchmarks are built (so they keep compiling) in the normal pass only.
run_pass build-asan -DCMAKE_BUILD_TYPE=Debug -DTRIBUTARY_SANITIZE=ON -DTRIBUTARY_BENCH=OFF ||
  status=1
exit $status
