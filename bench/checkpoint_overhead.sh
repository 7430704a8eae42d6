#!/usr/bin/env bash
# Checkpoint overhead on Nexmark q5 (DESIGN §7, issue 4): the same job with and without
# checkpoints every INTERVAL, on each state backend, in one run (so the ratios compare like
# with like). Prints events/s per core of CPU time, wall time, checkpoints taken and the size
# of the last one.
#   [BACKENDS="memory rocksdb"] bash bench/checkpoint_overhead.sh [BUILD_DIR] [EVENTS] [INTERVAL]
set -euo pipefail
build=${1:-build}
events=${2:-40000000}
interval=${3:-10 s}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
copy="$root/examples/nexmark/.bench-checkpoint-q5.pipe"
trap 'rm -rf "$work" "$copy"' EXIT
sed "s/'events.num' = '1000000'/'events.num' = '$events'/" "$root/examples/nexmark/q5.pipe" \
  > "$copy"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# q5, $events events, parallelism 1, checkpoint interval '$interval'"
printf '%-8s %-12s %8s %8s %14s %12s %14s\n' backend checkpoints wall_s cpu_s events_per_cpu_s \
  taken last_size_mb
for backend in ${BACKENDS:-memory rocksdb}; do
  for mode in off on; do
    settings=(--set "state.backend.type=$backend" --set "state.backend.rocksdb.localdir=$work/rocks")
    if [[ $mode == on ]]; then
      settings+=(--set "execution.checkpointing.interval=$interval" --checkpoint-dir "$work/chk")
    fi
    rm -rf "$work/chk"
    /usr/bin/time -f '%e %U %S' -o "$work/time" "$build/sluice" run "$copy" "${settings[@]}" \
      > /dev/null
    read -r wall user sys < "$work/time"
    cpu=$(echo "$user + $sys" | bc -l)
    rate=$(echo "$events / $cpu" | bc -l)
    taken=0
    size=0
    if [[ -d $work/chk ]]; then
      # Numbered from 1; the final checkpoint at the end of the bounded input is the last.
      taken=$(ls "$work/chk/.bench-checkpoint-q5" | sed 's/chk-//' | sort -n | tail -1)
      last=$(ls -d "$work"/chk/.bench-checkpoint-q5/chk-* | sort -t- -k2 -n | tail -1)
      size=$(du -sm "$last" | cut -f1)
    fi
    printf '%-8s %-12s %8.2f %8.2f %14.0f %12s %14s\n' "$backend" "$mode" "$wall" "$cpu" \
      "$rate" "$taken" "$size"
  done
done
