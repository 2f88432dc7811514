#!/usr/bin/env bash
# Demo: installs what is missing, builds, starts two local testmongod servers (a 4.4-profile
# source and a 7.0-profile destination), syncs a sample workload with tributary, verifies, and
# prints a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
echo "demo: tributary's sync is not built yet; this script will start two testmongod servers,"
echo "      sync a sample workload and print a verification summary once it is."
