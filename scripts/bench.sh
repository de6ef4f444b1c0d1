#!/usr/bin/env bash
# Run the JT/T 808 benchmarks and print the figures (3 repetitions, aggregates only).
#
# Uses build/release (configured as scripts/test.sh does when the binary is missing; only the
# benchmark target is built), pins the benchmark to CPU 1 with taskset when it can, and also
# writes JSON to build/release/bench-results.json.
#
# Usage: scripts/bench.sh [benchmark flags...]   e.g. --benchmark_filter=Framer
# Environment: JOBS (default nproc)
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
BUILD=build/release
BENCH_BIN="${BUILD}/tests/bench/fleetwatch_jt808_bench"

if [[ ! -x "${BENCH_BIN}" || ! -f "${BUILD}/build.ninja" ]]; then
    echo "bench.sh: ${BENCH_BIN} missing: configuring and building ${BUILD}"
    # Same arguments as scripts/test.sh and scripts/run.sh: one build tree, never reconfigured.
    cmake -S . -B "${BUILD}" "${FLEETWATCH_RELEASE_CMAKE_ARGS[@]}"
fi
# Only the benchmark and what it links: a half-written test elsewhere must not stop a measurement.
cmake --build "${BUILD}" --parallel "${JOBS}" --target fleetwatch_jt808_bench
[[ -x "${BENCH_BIN}" ]] || {
    echo "bench.sh: error: ${BENCH_BIN} was not built (is FLEETWATCH_BENCH ON in ${BUILD}?)" >&2
    exit 1
}

pin=()
if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
    pin=(taskset -c 1)
    echo "bench.sh: pinned to CPU 1"
else
    echo "bench.sh: taskset unavailable or CPU 1 not allowed: running unpinned"
fi

"${pin[@]}" "${BENCH_BIN}" \
    --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="${BUILD}/bench-results.json" \
    --benchmark_out_format=json \
    "$@"
echo "bench.sh: JSON written to ${BUILD}/bench-results.json"
