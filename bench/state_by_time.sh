#!/usr/bin/env bash
# Peak memory of the stateful Nexmark queries as the run grows, at an event rate of 100 K
# events/s of event time (so a run spans many windows and auctions): is the state freed by
# time ('table.exec.join.free-state-by-watermark'), or does it grow with the run?
#   bash bench/state_by_time.sh [BUILD_DIR] [EVENT_COUNTS] [QUERIES] [FREE_MODES] [BACKENDS]
# Defaults: build, "2000000 6000000 20000000", "q7 q20 q4 q9", "true false", memory.
# Parallelism 1, JIT on. Prints one line per run: wall and CPU seconds (user + sys), events
# per CPU-second and peak RSS.
set -euo pipefail
build=${1:-build}
counts=${2:-2000000 6000000 20000000}
queries=${3:-q7 q20 q4 q9}
modes=${4:-true false}
backends=${5:-memory}
rate=${RATE:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$root"/examples/nexmark/.by-time-*.pipe' EXIT

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# date: $(date -u '+%F %T') UTC; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# event rate $rate events/s of event time, parallelism 1"
printf '%-4s %-8s %-5s %10s %8s %8s %14s %12s\n' query backend free events wall_s cpu_s \
  events_per_cpu_s peak_rss_mb
for query in $queries; do
  for events in $counts; do
    # The copy sits next to the original, so relative paths in it still work.
    copy="$root/examples/nexmark/.by-time-$query.pipe"
    sed -e "s/'events.num' = '1000000'/'events.num' = '$events'/" \
      -e "s/'first-event.rate' = '10000000'/'first-event.rate' = '$rate'/" \
      -e "s/'next-event.rate' = '10000000'/'next-event.rate' = '$rate'/" \
      "$root/examples/nexmark/$query.pipe" > "$copy"
    for backend in $backends; do
      for free in $modes; do
        /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$copy" \
          --set "state.backend.type=$backend" \
          --set "state.backend.rocksdb.localdir=$work/rocksdb" \
          --set "table.exec.join.free-state-by-watermark=$free" > /dev/null
        rm -rf "$work/rocksdb"
        read -r wall user sys rss_kb < "$work/time"
        cpu=$(echo "$user + $sys" | bc -l)
        printf '%-4s %-8s %-5s %10d %8.2f %8.2f %14.0f %12.0f\n' "$query" "$backend" "$free" \
          "$events" "$wall" "$cpu" "$(echo "$events / $cpu" | bc -l)" \
          "$(echo "$rss_kb / 1024" | bc -l)"
      done
    done
  done
done
