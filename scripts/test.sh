#!/usr/bin/env bash
# Installs what is missing, builds once with AddressSanitizer + UndefinedBehaviorSanitizer
# (-Wall -Wextra -Werror; of the benchmarks only bench/compare, which has a smoke test: the
# others are built by --long and by the optimised build of bench/README.md) and runs every test (unit,
# integration, spec, torture) in that build. One sanitized pass instead of a normal one and a
# sanitized one keeps the suite within 20 minutes on 2 cores.
# --long: the torture test kills tributary 100 times instead of 20, the soak test runs sync for
# TRIBUTARY_SOAK_SECONDS (default 1800) under writes and faults, the spool's acceptance test
# copies 300,000 documents on a 2 MB oplog (TRIBUTARY_LONG=1), and then the libFuzzer
# targets (tests/fuzz, testmongod/fuzz) are built with clang and each run for
# TRIBUTARY_FUZZ_SECONDS (default 120) from its seed corpus.
set -uo pipefail
cd "$(dirname "$0")/.."
long=false
if [ "${1:-}" = "--long" ]; then
  long=true
  export TRIBUTARY_TORTURE_KILLS=${TRIBUTARY_TORTURE_KILLS:-100}
  export TRIBUTARY_SOAK_SECONDS=${TRIBUTARY_SOAK_SECONDS:-1800}
  export TRIBUTARY_LONG=1
fi
test_timeout=300
$long && test_timeout=$((TRIBUTARY_SOAK_SECONDS + 1200))
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
# Twice as many tests as cores: most of a test's time is spent waiting on the processes it
# started (the load stayed near 1 on 2 cores with -j 2).
ctest --test-dir "$dir" --output-on-failure -j "$((jobs * 2))" --timeout "$test_timeout" || exit 1
$long || exit 0
echo "== every benchmark program: $dir"
cmake --build "$dir" -j "$jobs" --target benchmarks || exit 1

fuzz_dir=build-fuzz
fuzz_flags="-fsanitize=fuzzer-no-link,address,undefined"
echo "== fuzz targets: $fuzz_dir"
CC=clang CXX=clang++ CFLAGS="$fuzz_flags" CXXFLAGS="$fuzz_flags" cmake -S . -B "$fuzz_dir" \
  -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_FUZZ=ON -DTRIBUTARY_BENCH=OFF \
  >/dev/null || exit 1
targets=(fuzz_config_file fuzz_environment fuzz_uri fuzz_change_event fuzz_wire_message)
cmake --build "$fuzz_dir" -j "$jobs" --target "${targets[@]}" || exit 1
for target in "${targets[@]}"; do
  binary=$(realpath "$(find "$fuzz_dir" -type f -name "$target" | head -n 1)")
  work=$(mktemp -d)
  mkdir "$work/corpus"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus"/ 2>/dev/null
  echo "== $target for ${TRIBUTARY_FUZZ_SECONDS:-120} s"
  (cd "$work" && "$binary" -max_total_time="${TRIBUTARY_FUZZ_SECONDS:-120}" -rss_limit_mb=2048 \
    corpus >fuzz.log 2>&1) || { tail -n 40 "$work/fuzz.log"; echo "$target: crash input in $work"; exit 1; }
  rm -rf "$work"
done
