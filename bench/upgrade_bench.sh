#!/usr/bin/env bash
# What one live `sluice upgrade` costs, by the size of the job's RocksDB state (BENCHMARKS.md
# "Upgrading a running job"). Prints a markdown table.
#   [SIZES_MB="100 500 2000"] [INTERVAL_MS=2000] [RATE=2000] [PAD=1000]
#   [BYTES_PER_KEY=PAD+50] bash bench/upgrade_bench.sh [BUILD_DIR]
#
# For each size, a fresh `sluice serve` (checkpoints every INTERVAL_MS) runs one job in RocksDB:
#   * `totals`: an unbounded GROUP BY k (MAX of a PAD-character string, COUNT) over a bounded
#     fill of SIZE_MB * 10^6 / BYTES_PER_KEY distinct keys and an endless trickle of RATE
#     rows/s on those keys: the state;
#   * `recent`: the trickle's rows with their processing time `gen`, into an exactly-once
#     filesystem table: the latency (a row's latency is its file's commit, the rename that
#     makes it visible (ctime), minus `gen`).
# Once the fill is in (every key in the state, two checkpoints after it), the job is upgraded
# three times: to version 2, an added filter on `recent` (the aggregate's state restores
# natively, by hard links), then to version 3, which also adds an accumulator (SUM) to `totals`
# (its state is migrated: read and rewritten key by key while the job is stopped), both in the
# simple form; then to version 4, another accumulator (MIN: migrated again), with the new
# version catching up in shadow (`mode: shadow`: restored and migrated beside the running
# version, which stops only once the new one has caught up); then to version 5, another
# filter (native again), with `mode: auto` (the form the server takes is printed). Columns: the state (the RocksDB
# working directory and the handover savepoint, du), the handover: the stop with savepoint (the
# record's started_millis -> stopped_millis; in shadow it includes the new version's restore
# and catch-up, while the old one runs and commits) and the start of the new version
# (stopped_millis -> running_millis: compile, restore; in shadow: the cut),
# the output gap (the old version's last commit to the new version's first, gap_millis), p99
# latency of the rows made in the 30 s before the upgrade and of those made from the upgrade
# to 2 intervals after it, and the server's RSS (before, and its peak during the upgrade).
# Needs curl, jq, bc and python3.
set -euo pipefail
build=${1:-build}
sizes=${SIZES_MB:-100 500 2000}
interval_ms=${INTERVAL_MS:-2000}
rate=${RATE:-2000}
pad=${PAD:-1000}
bytes_per_key=${BYTES_PER_KEY:-$((pad + 50))}
sluice=$(cd "$build" && pwd)/sluice
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-upgrade-bench.XXXXXX")
server_pid=""
server_url=""

for tool in curl jq bc python3; do
  command -v "$tool" > /dev/null || { echo "upgrade_bench.sh: needs $tool" >&2; exit 2; }
done

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -KILL "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

start_server() {
  local state=$1
  shift
  "$sluice" serve --listen 127.0.0.1:0 --state-dir "$state" "$@" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    server_url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/server.log" \
      | head -1 | cut -d' ' -f3 || true)
    [[ -n $server_url ]] && return 0
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "upgrade_bench.sh: the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}

rss_mb() { awk '$1 == "VmRSS:" { print int($2 / 1024) }' "/proc/$1/status"; }
job_json() { curl -s -S "$server_url/v1/jobs/$1"; }

# job VERSION KEYS ROCKSDB_DIR OUT_DIR: the .pipe text of version 1 or 2.
job() {
  local version=$1 keys=$2 rocks=$3 out=$4
  local totals_columns="k BIGINT, top STRING, n BIGINT" totals_select="MAX(pad), COUNT(*)"
  local filter=""
  if ((version >= 2)); then filter="WHERE MOD(k, 10) <> 0"; fi
  if ((version >= 5)); then filter+=" AND MOD(k, 3) <> 0"; fi
  if ((version >= 3)); then
    totals_columns+=", s BIGINT"
    totals_select+=", SUM(k)"
  fi
  if ((version >= 4)); then
    totals_columns+=", m BIGINT"
    totals_select+=", MIN(k)"
  fi
  cat << EOF
SET 'state.backend.type' = 'rocksdb';
SET 'state.backend.rocksdb.localdir' = '$rocks';
CREATE TABLE fill (k BIGINT, pad STRING) WITH ('connector' = 'datagen',
  'number-of-rows' = '$keys', 'fields.k.kind' = 'sequence', 'fields.k.start' = '1',
  'fields.k.end' = '$keys', 'fields.pad.length' = '$pad');
CREATE TABLE trickle (k BIGINT, pad STRING, gen AS PROCTIME()) WITH ('connector' = 'datagen',
  'rows-per-second' = '$rate', 'fields.k.min' = '1', 'fields.k.max' = '$keys',
  'fields.pad.length' = '$pad');
CREATE TABLE totals ($totals_columns) WITH ('connector' = 'blackhole');
CREATE TABLE recent (k BIGINT, gen TIMESTAMP(3), v INT) WITH ('connector' = 'filesystem',
  'path' = '$out', 'format' = 'json');
INSERT INTO totals SELECT k, $totals_select
  FROM (SELECT k, pad FROM fill UNION ALL SELECT k, pad FROM trickle) GROUP BY k;
INSERT INTO recent SELECT k, gen, $version FROM trickle $filter;
EOF
}

# latency OUT_DIR FROM_MS TO_MS: the p99 (ms) of the committed rows made in [FROM_MS, TO_MS).
latency() {
  python3 - "$@" << 'EOF'
import json, os, sys, datetime
out, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lat = []
for root, _, files in os.walk(out):
    for name in files:
        if name.startswith('.'):
            continue
        path = os.path.join(root, name)
        committed = os.stat(path).st_ctime_ns / 1e6
        for line in open(path):
            gen = datetime.datetime.strptime(json.loads(line)['gen'], '%Y-%m-%d %H:%M:%S.%f')
            gen_ms = gen.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
            if start <= gen_ms < end:
                lat.append(committed - gen_ms)
lat.sort()
print(f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.0f}" if lat else "n/a")
EOF
}

echo "# machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# checkpoint interval ${interval_ms} ms, trickle $rate rows/s, $pad-character values"
echo
echo "| target state | keys | fill s | RocksDB dir MB | upgrade | savepoint MB | stop ms | start ms |" \
  "gap ms | p99 before ms | p99 during ms | RSS before MB | RSS peak MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"

# upgrade VERSION MODE: upgrades job $id to VERSION (simple or shadow) and prints the columns
# from "upgrade" on.
upgrade() {
  local version=$1 mode=$2
  local rss_before peak record started stopped running gap savepoint_mb before during sampler
  rss_before=$(rss_mb "$server_pid")
  (while kill -0 "$server_pid" 2> /dev/null; do rss_mb "$server_pid"; sleep 0.1; done) \
    > "$dir/rss.txt" &
  sampler=$!
  jq -n --rawfile pipe "$dir/v$version.pipe" --arg mode "$mode" \
    '{pipe: $pipe, name: "state.pipe", mode: $mode}' \
    | curl -s -S -X POST -H 'Content-Type: application/json' --data-binary @- \
      "$server_url/v1/jobs/$id/upgrade" > "$dir/upgrade.json"
  jq -e '.upgrade.phase == "done"' "$dir/upgrade.json" > /dev/null \
    || { echo "upgrade_bench.sh: the upgrade failed: $(cat "$dir/upgrade.json")" >&2; exit 1; }
  # Until the new version's first checkpoint, and three intervals more.
  until job_json "$id" | jq -e '.upgrades[-1].gap_millis != null' > /dev/null; do sleep 0.2; done
  sleep $((interval_ms * 3 / 1000 + 1))
  kill "$sampler" 2> /dev/null || true
  wait "$sampler" 2> /dev/null || true
  peak=$(sort -n "$dir/rss.txt" | tail -1)
  record=$(job_json "$id" | jq '.upgrades[-1]')
  started=$(jq '.started_millis' <<< "$record")
  stopped=$(jq '.stopped_millis' <<< "$record")
  running=$(jq '.running_millis' <<< "$record")
  gap=$(jq '.gap_millis' <<< "$record")
  savepoint_mb=$(du -sm "$(jq -r '.savepoint' <<< "$record")" | cut -f1)
  before=$(latency "$dir/out" $((started - 30000)) "$started")
  during=$(latency "$dir/out" "$started" $((running + 2 * interval_ms)))
  local change="v$((version - 1))→v$version: filter (native)"
  ((version == 3)) && change="v2→v3: + accumulator (migrated)"
  ((version == 4)) && change="v3→v4: + accumulator (migrated)"
  change+=", $(jq -r '.mode // "simple"' <<< "$record")"
  [[ $mode == auto ]] && change+=" (auto)"
  printf '%s | %s | %s | %s | %s | %s | %s | %s | %s\n' "$change" "$savepoint_mb" \
    $((stopped - started)) $((running - stopped)) "$gap" "$before" "$during" "$rss_before" "$peak"
}

for size in $sizes; do
  keys=$((size * 1000000 / bytes_per_key))
  dir="$work/$size"
  mkdir -p "$dir"
  start_server "$dir/state" --checkpoint-interval "${interval_ms}ms" --allow-path "$dir"
  for version in 1 2 3 4 5; do job "$version" "$keys" "$dir/rocks" "$dir/out" > "$dir/v$version.pipe"; done
  id=$(jq -n --rawfile pipe "$dir/v1.pipe" '{pipe: $pipe, name: "state.pipe"}' \
    | curl -s -S -X POST -H 'Content-Type: application/json' --data-binary @- \
      "$server_url/v1/jobs" | jq -r '.id // error("submission refused: \(.)")')
  fill_start=$(date +%s.%N)
  # The fill is in when the job has read every key; then two more checkpoints.
  while :; do
    state=$(job_json "$id")
    case $(jq -r .state <<< "$state") in
      FINISHED | FAILED | CANCELED)
        echo "upgrade_bench.sh: the job ended: $state" >&2
        cat "$work/server.log" >&2
        exit 1
        ;;
    esac
    (($(jq -r '.rows_in // 0' <<< "$state") >= keys)) && break
    sleep 1
  done
  fill_s=$(echo "$(date +%s.%N) - $fill_start" | bc)
  completed=$(job_json "$id" | jq '.checkpoints.completed')
  until (($(job_json "$id" | jq '.checkpoints.completed') >= completed + 2)); do sleep 0.5; done
  sleep 30  # steady state, for the latency before
  rocks_mb=$(du -sm "$dir/rocks" | cut -f1)
  row=$(printf '| %s MB | %s | %.0f | %s' "$size" "$keys" "$fill_s" "$rocks_mb")
  echo "$row | $(upgrade 2 simple) |"
  sleep 30
  echo "$row | $(upgrade 3 simple) |"
  sleep 30
  echo "$row | $(upgrade 4 shadow) |"
  sleep 30
  echo "$row | $(upgrade 5 auto) |"
  curl -s -S -X POST "$server_url/v1/jobs/$id/cancel" > /dev/null
  stop_server
  rm -rf "$dir"
done
