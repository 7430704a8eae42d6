#!/usr/bin/env bash
# The stateful Nexmark queries with and without StateColumnPruning, in memory and on RocksDB.
#   bash bench/stateful_queries.sh [BUILD_DIR] [EVENTS] [QUERIES] [RUNS]
# Defaults: build, 2000000 events, "q4 q7 q9", 1 run. Parallelism 1, JIT on. Prints one line per
# (query, backend, pruning, run): wall and CPU seconds (user + sys), events per CPU-second, peak
# RSS; then, per query and backend, the median pruned / unpruned ratio of events per CPU-second.
set -euo pipefail
build=${1:-build}
events=${2:-2000000}
queries=${3:-q4 q7 q9}
runs=${4:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$root"/examples/nexmark/.stateful-*.pipe' EXIT

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# date: $(date -u '+%F %T') UTC; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $events events, parallelism 1, $runs run(s) each"
printf '%-4s %-8s %-6s %4s %8s %8s %14s %12s\n' query backend prune run wall_s cpu_s \
  events_per_cpu_s peak_rss_mb
for query in $queries; do
  # The copy sits next to the original, so relative paths in it still work.
  copy="$root/examples/nexmark/.stateful-$query.pipe"
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" \
    "$root/examples/nexmark/$query.pipe" > "$copy"
  for backend in memory rocksdb; do
    for run in $(seq 1 "$runs"); do
      for prune in true false; do
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$copy" \
          --set "state.backend.type=$backend" \
          --set "state.backend.rocksdb.localdir=$work/rocksdb" \
          --set "table.optimizer.prune-state-columns=$prune" > /dev/null
        read -r wall user sys rss_kb < "$work/time"
        cpu=$(echo "$user + $sys" | bc -l)
        rate=$(echo "$events / $cpu" | bc -l)
        echo "$query $backend $prune $rate" >> "$work/rates"
        printf '%-4s %-8s %-6s %4d %8.2f %8.2f %14.0f %12.0f\n' "$query" "$backend" "$prune" \
          "$run" "$wall" "$cpu" "$rate" "$(echo "$rss_kb / 1024" | bc -l)"
      done
    done
  done
done
echo
echo "# pruned / unpruned, median events per CPU-second"
for query in $queries; do
  for backend in memory rocksdb; do
    median() {
      awk -v q="$query" -v b="$backend" -v p="$1" '$1 == q && $2 == b && $3 == p { print $4 }' \
        "$work/rates" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
    }
    printf '%-4s %-8s %6.2fx\n' "$query" "$backend" \
      "$(echo "$(median true) / $(median false)" | bc -l)"
  done
done
