#!/usr/bin/env bash
# Runs Sluice's benchmarks in one go and prints a report (paste it into BENCHMARKS.md).
#   bash bench/run.sh [BUILD_DIR] [EVENTS]
# 1. the Nexmark generator alone (events/s on one core)
# 2. fused chains on pre-generated, cache-resident batches: JIT vs interpreter vs hand-written
#    C++ loop, plus JIT compile latency (bench/jit_bench.cpp)
# 2b. aggregate accumulation: JIT kernels vs interpreted Aggregator vs hand-written C++ loop
#    (bench/aggregate_bench.cpp)
# 3. the Nexmark examples end to end (generator included, in-memory state), JIT on and off,
#    parallelism 1: events/s per core of CPU time, wall time and peak memory
set -euo pipefail
build=${1:-build}
events=${2:-10000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$root"/examples/nexmark/.bench-*.pipe' EXIT

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Nexmark generator"
"$build/bench/nexmark_generator_bench"
echo
echo "## Fused chains on pre-generated batches"
"$build/bench/jit_bench"
echo
echo "## Aggregate accumulators on pre-generated batches"
"$build/bench/aggregate_bench"
echo
echo "## End to end, $events events, parallelism 1 (CPU time = user + sys)"
printf '%-6s %-4s %10s %10s %16s %12s\n' query jit wall_s cpu_s events_per_cpu_s peak_rss_mb
for file in "$root"/examples/nexmark/q*.pipe; do
  query=$(basename "$file" .pipe)
  # The copy sits next to the original: relative paths in it (q13's side input) still work.
  copy="$(dirname "$file")/.bench-$query.pipe"
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" "$file" > "$copy"
  for jit in on off; do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$copy" \
      --jit "$jit" > /dev/null
    read -r wall user sys rss_kb < "$work/time"
    cpu=$(echo "$user + $sys" | bc -l)
    rate=$(echo "$events / $cpu" | bc -l)
    printf '%-6s %-4s %10.2f %10.2f %16.0f %12.0f\n' "$query" "$jit" "$wall" "$cpu" "$rate" \
      "$(echo "$rss_kb / 1024" | bc -l)"
  done
  rm -f "$copy"
done
