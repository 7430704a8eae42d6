#!/usr/bin/env bash
# Runs Sluice's benchmarks in one go and prints a report (paste it into BENCHMARKS.md).
#   bash bench/run.sh [BUILD_DIR] [EVENTS]
# 1. the Nexmark generator alone (events/s on one core)
# 2. fused chains on pre-generated, cache-resident batches: JIT vs interpreter vs hand-written
#    C++ loop, plus JIT compile latency (bench/jit_bench.cpp)
# 3. q0-q2 end to end (generator included), JIT on and off, parallelism 1: events/s per core
#    of CPU time, and wall time
set -euo pipefail
build=${1:-build}
events=${2:-10000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Nexmark generator"
"$build/bench/nexmark_generator_bench"
echo
echo "## Fused chains on pre-generated batches"
"$build/bench/jit_bench"
echo
echo "## End to end, $events events, parallelism 1 (CPU time = user + sys)"
printf '%-6s %-4s %10s %10s %16s\n' query jit wall_s cpu_s events_per_cpu_s
for query in q0 q1 q2; do
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" \
    "$root/examples/nexmark/$query.pipe" > "$work/$query.pipe"
  for jit in on off; do
    /usr/bin/time -f '%e %U %S' -o "$work/time" "$build/sluice" run "$work/$query.pipe" \
      --jit "$jit" > /dev/null
    read -r wall user sys < "$work/time"
    cpu=$(echo "$user + $sys" | bc -l)
    rate=$(echo "$events / $cpu" | bc -l)
    printf '%-6s %-4s %10.2f %10.2f %16.0f\n' "$query" "$jit" "$wall" "$cpu" "$rate"
  done
done
