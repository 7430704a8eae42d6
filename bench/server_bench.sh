#!/usr/bin/env bash
# What `sluice serve` costs and how many small jobs one server holds (BENCHMARKS.md "The job
# server"). Prints markdown tables.
#   [PART=all|overhead|capacity] [QUERIES="q1:10000000 q5:3000000"] [REPETITIONS=5]
#   [JOB_COUNTS="10 50 100 200"] [WINDOW=20] bash bench/server_bench.sh [BUILD_DIR]
#
# overhead: the same Nexmark job at parallelism 1, `sluice run` against a submission to a
#   server, with checkpoints off and every 10 s, REPETITIONS times each in turn. The server's
#   CPU time is read from /proc/PID/stat before the submission and after FINISHED (so its HTTP
#   threads and the polling count against it); its wall time is the job's submitted_millis to
#   ended_millis (compile included, as `sluice run`'s process time includes it).
# capacity: for each N, a fresh server (2 worker threads = the cores) holds N datagen jobs at
#   1000 rows/s each into blackhole, checkpointing every 10 s, submitted one POST at a time
#   (the time until all run is a column); 5 s after they all run, a WINDOW-second window
#   measures the server's CPU, its memory, each job's rows_in growth, and the latency of the
#   API and /metrics. Stops at the first N where a job falls below 95 % of its rate.
# Needs curl, jq, bc and GNU time (apt-get install curl jq bc time).
set -euo pipefail
build=${1:-build}
part=${PART:-all}
queries=${QUERIES:-q1:10000000 q5:3000000}
repetitions=${REPETITIONS:-5}
job_counts=${JOB_COUNTS:-10 50 100 200}
window=${WINDOW:-20}
job_rate=1000
root=$(cd "$(dirname "$0")/.." && pwd)
sluice=$(cd "$build" && pwd)/sluice
work=$(mktemp -d)
ticks_per_second=$(getconf CLK_TCK)
server_pid=""
server_url=""

for tool in curl jq bc /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "server_bench.sh: needs $tool" >&2; exit 2; }
done

# Stops the server this script started (savepoints would only slow the shutdown down).
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2> /dev/null || true
  for _ in $(seq 300); do
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# start_server STATE_DIR ARGS...: a server on a free loopback port; sets server_pid, server_url.
start_server() {
  local state=$1
  shift
  rm -rf "$state"
  "$sluice" serve --listen 127.0.0.1:0 --state-dir "$state" --on-shutdown checkpoint "$@" \
    > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    server_url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$work/server.log" \
      | head -1 | cut -d' ' -f3 || true)
    [[ -n $server_url ]] && return 0
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "server_bench.sh: the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}

# CPU seconds (user + sys) the process has used; the fields after the command name.
cpu_seconds() {
  sed 's/.*) //' "/proc/$1/stat" \
    | awk -v hz="$ticks_per_second" '{ printf "%.2f", ($12 + $13) / hz }'
}
# A line of /proc/PID/status in MB (VmRSS, VmHWM) or as is (Threads).
status_field() {
  awk -v field="$2:" '$1 == field { print ($3 == "kB") ? int($2 / 1024) : $2 }' "/proc/$1/status"
}
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# submit FILE NAME SETTINGS_JSON: prints the new job's id.
submit() {
  jq -n --rawfile pipe "$1" --arg name "$2" --argjson settings "$3" \
    '{pipe: $pipe, name: $name, settings: $settings, parallelism: 1}' > "$work/request.json"
  curl -s -S -X POST -H 'Content-Type: application/json' --data-binary "@$work/request.json" \
    "$server_url/v1/jobs" | jq -r '.id // error("submission refused: \(.)")'
}

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

overhead() {
  echo
  echo "## Server overhead: one Nexmark job at parallelism 1, median of $repetitions"
  echo
  echo "| query | events | checkpoints | run: wall s | serve: wall s | run: CPU s |" \
    "serve: CPU s | run: events/CPU-s | serve: events/CPU-s |" \
    "serve / run, events/CPU-s: pairwise median (min–max) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  start_server "$work/overhead-state" --checkpoint-interval '10 s' \
    --allow-path "$root/examples/nexmark/data"
  local rss_first=""
  for spec in $queries; do
    local query=${spec%%:*} events=${spec##*:}
    local file="$work/$query.pipe"
    # q13's side input is relative to its file: the copy names it absolutely.
    sed -e "s/'events.num' = '1000000'/'events.num' = '$events'/" \
      -e "s#'data/#'$root/examples/nexmark/data/#g" "$root/examples/nexmark/$query.pipe" > "$file"
    for interval in 0 '10 s'; do
      local run_flags=(--set "execution.checkpointing.interval=$interval")
      [[ $interval != 0 ]] && run_flags+=(--checkpoint-dir "$work/run-checkpoints")
      : > "$work/pairs.txt"
      for _ in $(seq "$repetitions"); do
        rm -rf "$work/run-checkpoints"
        /usr/bin/time -f '%e %U %S' -o "$work/time" "$sluice" run "$file" -p 1 "${run_flags[@]}" \
          > /dev/null
        local wall user sys before id state after
        read -r wall user sys < "$work/time"
        before=$(cpu_seconds "$server_pid")
        id=$(submit "$file" "$query.pipe" "{\"execution.checkpointing.interval\": \"$interval\"}")
        while true; do
          curl -s "$server_url/v1/jobs/$id" > "$work/job.json"
          # The state turns FINISHED a moment before ended_millis is set: wait for both.
          state=$(jq -r 'if .ended_millis == null and .state == "FINISHED" then "ENDING"
                         else .state end' "$work/job.json")
          [[ $state == FINISHED ]] && break
          if [[ $state == FAILED || $state == STOPPED ]]; then
            echo "server_bench.sh: job $id ended $state" >&2
            exit 1
          fi
          sleep 0.1
        done
        after=$(cpu_seconds "$server_pid")
        # run wall, run CPU, serve wall, serve CPU
        echo "$wall $(echo "$user + $sys" | bc -l)" \
          "$(jq '(.ended_millis - .submitted_millis) / 1000' "$work/job.json")" \
          "$(echo "$after - $before" | bc -l)" >> "$work/pairs.txt"
        [[ -n $rss_first ]] || rss_first=$(status_field "$server_pid" VmRSS)
      done
      local run_wall run_cpu serve_wall serve_cpu ratio ratio_range
      run_wall=$(cut -d' ' -f1 "$work/pairs.txt" | median)
      run_cpu=$(cut -d' ' -f2 "$work/pairs.txt" | median)
      serve_wall=$(cut -d' ' -f3 "$work/pairs.txt" | median)
      serve_cpu=$(cut -d' ' -f4 "$work/pairs.txt" | median)
      # Pair by pair, so that a drift in the machine's speed moves both sides.
      ratio=$(awk '{ print $2 / $4 }' "$work/pairs.txt" | median)
      ratio_range=$(awk '{ print $2 / $4 }' "$work/pairs.txt" | sort -g \
        | awk 'NR == 1 { low = $1 } { high = $1 } END { printf "%.2f–%.2f", low, high }')
      local label=off
      [[ $interval != 0 ]] && label="every $interval"
      printf '| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f (%s) |\n' "$query" \
        "$events" "$label" "$run_wall" "$serve_wall" "$run_cpu" "$serve_cpu" \
        "$(echo "$events / $run_cpu" | bc -l)" "$(echo "$events / $serve_cpu" | bc -l)" \
        "$ratio" "$ratio_range"
    done
  done
  echo
  echo "Server memory: $rss_first MB resident after its first job," \
    "$(status_field "$server_pid" VmRSS) MB after all" \
    "$(curl -s "$server_url/v1/jobs" | jq '.jobs | length'), peak" \
    "$(status_field "$server_pid" VmHWM) MB."
  stop_server
}

capacity() {
  echo
  echo "## Small jobs on one server: datagen at $job_rate rows/s each into blackhole," \
    "checkpoints every 10 s, ${window}-s window"
  echo
  cat > "$work/small.pipe" << EOF
CREATE TABLE src (id BIGINT, amount DOUBLE, note VARCHAR) WITH ('connector' = 'datagen',
  'rows-per-second' = '$job_rate', 'number-of-rows' = '$((job_rate * 900))',
  'fields.note.length' = '16');
CREATE TABLE out (id BIGINT, amount DOUBLE, note VARCHAR) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT id, amount, note FROM src;
EOF
  echo "| jobs | submitted and RUNNING after s | RSS MB | RSS per job MB | threads |" \
    "CPU % of one core | jobs at ≥ 95 % of rate |" \
    "rows/s per job: min, median | checkpoints per job | GET /v1/jobs ms: median, max |" \
    "GET /v1/jobs/ID ms | /metrics ms, KB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for count in $job_counts; do
    start_server "$work/capacity-state" --checkpoint-interval '10 s'
    sleep 1
    local idle_rss
    idle_rss=$(status_field "$server_pid" VmRSS)
    local submitted_at started_seconds
    submitted_at=$(date +%s.%N)
    for _ in $(seq "$count"); do submit "$work/small.pipe" small.pipe '{}' > /dev/null; done
    local running=0
    for _ in $(seq 240); do
      running=$(curl -s "$server_url/v1/jobs" \
        | jq '[.jobs[] | select(.state == "RUNNING")] | length')
      [[ $running -eq $count ]] && break
      sleep 0.5
    done
    if [[ $running -ne $count ]]; then
      echo "| $count | only $running jobs reached RUNNING in 120 s; stopping | | | | | | | | | | |"
      stop_server
      break
    fi
    started_seconds=$(echo "$(date +%s.%N) - $submitted_at" | bc -l)
    sleep 5
    local id0 begin cpu0
    id0=$(curl -s "$server_url/v1/jobs" | jq -r '.jobs[0].id')
    begin=$(date +%s.%N)
    cpu0=$(cpu_seconds "$server_pid")
    curl -s "$server_url/v1/jobs" | jq -r '.jobs[] | "\(.id) \(.rows_in) \(.last_checkpoint)"' \
      | sort > "$work/rows0.txt"
    : > "$work/list_ms.txt"
    : > "$work/job_ms.txt"
    : > "$work/metrics_ms.txt"
    local deadline
    deadline=$(echo "$begin + $window" | bc -l)
    # Latencies sampled through the window, once a second, as a dashboard would poll.
    while (($(echo "$(date +%s.%N) < $deadline - 1" | bc -l))); do
      curl -s -o /dev/null -w '%{time_total}\n' "$server_url/v1/jobs" >> "$work/list_ms.txt"
      curl -s -o /dev/null -w '%{time_total}\n' "$server_url/v1/jobs/$id0" >> "$work/job_ms.txt"
      curl -s -o "$work/metrics.txt" -w '%{time_total}\n' "$server_url/metrics" \
        >> "$work/metrics_ms.txt"
      sleep 1
    done
    while (($(echo "$(date +%s.%N) < $deadline" | bc -l))); do sleep 0.1; done
    local end cpu1
    cpu1=$(cpu_seconds "$server_pid")
    end=$(date +%s.%N)
    curl -s "$server_url/v1/jobs" | jq -r '.jobs[] | "\(.id) \(.rows_in) \(.last_checkpoint)"' \
      | sort > "$work/rows1.txt"
    local seconds
    seconds=$(echo "$end - $begin" | bc -l)
    join "$work/rows0.txt" "$work/rows1.txt" \
      | awk -v s="$seconds" '{ printf "%.1f %d\n", ($4 - $2) / s, $5 - $3 }' > "$work/rates.txt"
    local keeping min_rate median_rate checkpoints rss cpu_percent
    keeping=$(awk -v r="$job_rate" '$1 >= 0.95 * r' "$work/rates.txt" | wc -l)
    min_rate=$(cut -d' ' -f1 "$work/rates.txt" | sort -g | head -1)
    median_rate=$(cut -d' ' -f1 "$work/rates.txt" | median)
    checkpoints=$(cut -d' ' -f2 "$work/rates.txt" | median)
    rss=$(status_field "$server_pid" VmRSS)
    cpu_percent=$(echo "($cpu1 - $cpu0) / $seconds * 100" | bc -l)
    ms() { awk '{ print $1 * 1000 }' "$1" | median; }
    printf '| %d | %.1f | %d | %.2f | %s | %.0f | %d of %d | %.0f, %.0f | %s | %.1f, %.1f |' \
      "$count" "$started_seconds" "$rss" "$(echo "($rss - $idle_rss) / $count" | bc -l)" \
      "$(status_field "$server_pid" Threads)" "$cpu_percent" "$keeping" "$count" "$min_rate" \
      "$median_rate" "$checkpoints" "$(ms "$work/list_ms.txt")" \
      "$(awk '{ print $1 * 1000 }' "$work/list_ms.txt" | sort -g | tail -1)"
    printf ' %.1f | %.1f, %d |\n' "$(ms "$work/job_ms.txt")" "$(ms "$work/metrics_ms.txt")" \
      "$(($(wc -c < "$work/metrics.txt") / 1024))"
    stop_server
    if ((keeping < count)); then
      echo
      echo "Stopped at $count jobs: $((count - keeping)) fell below 95 % of $job_rate rows/s."
      break
    fi
  done
}

case $part in
  overhead) overhead ;;
  capacity) capacity ;;
  all) overhead; capacity ;;
  *) echo "server_bench.sh: PART is all, overhead or capacity" >&2; exit 2 ;;
esac
