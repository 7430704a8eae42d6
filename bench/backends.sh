#!/usr/bin/env bash
# Every Nexmark example with its state in memory and in RocksDB, in one run: events per
# CPU-second, peak RSS, and how much slower RocksDB is (memory rate / RocksDB rate).
#   bash bench/backends.sh [BUILD_DIR] [EVENTS] [QUERIES] [RUNS]
# Defaults: build, 2000000 events, every examples/nexmark/q*.pipe, 1 run (the median of RUNS
# is printed). Parallelism 1, JIT on, the examples' own event rate (10 M events/s of event
# time). RATE=… sets another rate (e.g. RATE=100000: a run then spans many windows).
set -euo pipefail
build=${1:-build}
events=${2:-2000000}
queries=${3:-}
runs=${4:-1}
rate=${RATE:-}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$root"/examples/nexmark/.backends-*.pipe' EXIT
if [ -z "$queries" ]; then
  queries=$(cd "$root/examples/nexmark" && ls q*.pipe | sed 's/\.pipe$//' | sort -V | xargs)
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# date: $(date -u '+%F %T') UTC; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $events events${rate:+, $rate events/s of event time}, parallelism 1, JIT on, median of $runs run(s)"
printf '| %-6s | %12s | %12s | %14s | %14s | %9s |\n' query "memory ev/s" "rocksdb ev/s" \
  "memory RSS MB" "rocksdb RSS MB" "slowdown"
printf '|---|---|---|---|---|---|\n'
for query in $queries; do
  copy="$root/examples/nexmark/.backends-$query.pipe"
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" "$root/examples/nexmark/$query.pipe" \
    > "$copy"
  if [ -n "$rate" ]; then
    sed -i -e "s/'first-event.rate' = '10000000'/'first-event.rate' = '$rate'/" \
      -e "s/'next-event.rate' = '10000000'/'next-event.rate' = '$rate'/" "$copy"
  fi
  declare -A rate_of=() rss_of=()
  for backend in memory rocksdb; do
    : > "$work/rates"
    : > "$work/rss"
    for _ in $(seq 1 "$runs"); do
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$copy" \
        --set "state.backend.type=$backend" \
        --set "state.backend.rocksdb.localdir=$work/rocksdb" > /dev/null
      rm -rf "$work/rocksdb"
      read -r _ user sys rss_kb < "$work/time"
      echo "$events / ($user + $sys)" | bc -l >> "$work/rates"
      echo "$rss_kb / 1024" | bc -l >> "$work/rss"
    done
    rate_of[$backend]=$(median < "$work/rates")
    rss_of[$backend]=$(median < "$work/rss")
  done
  printf '| %-6s | %12.0f | %12.0f | %14.0f | %14.0f | %8.2fx |\n' "$query" \
    "${rate_of[memory]}" "${rate_of[rocksdb]}" "${rss_of[memory]}" "${rss_of[rocksdb]}" \
    "$(echo "${rate_of[memory]} / ${rate_of[rocksdb]}" | bc -l)"
done
