#!/usr/bin/env bash
# The sluice binary's allocator, A/B: jemalloc (the default build) against glibc's malloc (a
# build configured with -DSLUICE_ALLOCATOR=system), on the stateful Nexmark queries in memory
# and in RocksDB, at parallelism 1 and 2.
#
#   cmake -S . -B build-system -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_ALLOCATOR=system
#   ninja -C build-system sluice
#   bash bench/allocator.sh build build-system [EVENTS] [RUNS]
#
# With farm-bench on PATH, each cell is `farm-bench -n RUNS` of A against B (pairs run in
# turn; the ratios are A/B, medians). Without it, one /usr/bin/time run of each.
set -euo pipefail
cd "$(dirname "$0")/.."
a_build=${1:-build}
b_build=${2:-build-system}
events=${3:-2000000}
runs=${4:-3}
for build in "$a_build" "$b_build"; do
  [ -x "$build/sluice" ] || { echo "allocator.sh: no $build/sluice" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$a_build/sluice" "$work/sluice-a"
cp "$b_build/sluice" "$work/sluice-b"

cell() {  # name, query, then sluice run arguments after the file
  local name=$1 query=$2
  shift 2
  local pipe="$work/$query.pipe"
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" "examples/nexmark/$query.pipe" > "$pipe"
  echo "=== $name ($events events)"
  if command -v farm-bench > /dev/null; then
    farm-bench -n "$runs" --timeout 1800 --vs "$work/sluice-b run $pipe $*" -- \
      "$work/sluice-a" run "$pipe" "$@" 2>&1 | grep -E "^(A|B|A/B) (cpu|wall|peak)"
  else
    for side in a b; do
      /usr/bin/time -f "$side: %e s wall, %U+%S s CPU, %M KB peak" \
        "$work/sluice-$side" run "$pipe" "$@" > /dev/null 2> "$work/time"
      tail -1 "$work/time"
    done
  fi
}

for query in q4 q5 q7 q9 q18 q20; do cell "$query memory p1" "$query"; done
for query in q4 q5 q7; do cell "$query memory p2" "$query" -p 2; done
for query in q4 q9 q20; do
  cell "$query rocksdb p1" "$query" --set state.backend.type=rocksdb
done
