#!/usr/bin/env bash
# Installs what is missing, builds once with AddressSanitizer + UndefinedBehaviorSanitizer
# (-Wall -Wextra -Werror, benchmarks included so they keep compiling) and runs every test (unit,
# integration, spec, torture) in that build. One sanitized pass instead of a normal one and a
# sanitized one keeps the suite within 20 minutes on 2 cores.
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

dir=build-asan
echo "== configure and build: $dir"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIBUTARY_SANITIZE=ON \
  -DTRIBUTARY_BENCH=ON >/dev/null || exit 1
cmake --build "$dir" -j "$jobs" || exit 1
echo "== ctest: $dir"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
