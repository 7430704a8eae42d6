#!/usr/bin/env bash
# Nexmark q1-q9 in Sluice against their batch equivalents in DuckDB, on the same events, one core.
#   bash bench/duckdb_ratio.sh [BUILD_DIR] [EVENTS] [QUERIES] [RUNS]
# Defaults: build, 5000000 events, "q1 q2 q3 q4 q5 q7 q8 q9", 3 runs.
# Environment: RATE=N sets 'first-event.rate' and 'next-event.rate' of the generator (default
# 10000000, the examples' rate, at which 5 M events span 500 ms of event time and every window
# query is degenerate: one TUMBLE window, the same 5 HOP windows for all bids); RATE=100000 gives
# 5 M events 50 s of event time. CHECK=1 also compares each query's result in Sluice and DuckDB
# as multisets; CHECK=only does only that. KEEP=DIR keeps the events, the DuckDB file and the
# outputs in DIR instead of a temporary directory.
#
# DuckDB (@duckdb/node-api, pinned below) is a benchmark tool, never a runtime dependency: it is
# installed with npm into BUILD_DIR/bench-tools/duckdb the first time, and needs node and npm.
#
# Steps: (1) a dump pipe (q0's DDL with three filesystem csv sinks) writes the events once;
# load.mjs loads them into a DuckDB file, timestamps as BIGINT epoch milliseconds.
# (2) DuckDB: each bench/duckdb/sql/qN.sql in a fresh node process, SET threads = 1, one cold
# run, then RUNS timed runs (bench.mjs). (3) Sluice: examples/nexmark/qN.pipe with events.num
# (and RATE) substituted, --parallelism 1, RUNS runs under /usr/bin/time; CPU = user + sys. A
# generator-only job (datagen into a blackhole) gives the "minus generator" column.
# Ratio = DuckDB rows/s / Sluice events per CPU-second = Sluice CPU-s / DuckDB s (best of each).
# A query name with a suffix (q9_rownumber) runs sql/q9_rownumber.sql against Sluice's q9.
set -euo pipefail
build=${1:-build}
events=${2:-5000000}
queries=${3:-q1 q2 q3 q4 q5 q7 q8 q9}
runs=${4:-3}
rate=${RATE:-10000000}
check=${CHECK:-0}
duckdb_version=1.5.6-r.1
root=$(cd "$(dirname "$0")/.." && pwd)
here="$root/bench/duckdb"
[ -d "$build" ] || { echo "duckdb_ratio: no build directory $build" >&2; exit 1; }
build=$(cd "$build" && pwd)
sluice="$build/sluice"
[ -x "$sluice" ] || { echo "duckdb_ratio: no $sluice (build first)" >&2; exit 1; }
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "duckdb_ratio: needs node (18 or later) and npm: on Debian 12 apt-get install nodejs npm (not in scripts/install-deps: no test needs them)" >&2
  exit 1
fi

export DUCKDB_TOOLS="$build/bench-tools/duckdb"
if [ ! -f "$DUCKDB_TOOLS/node_modules/@duckdb/node-api/package.json" ]; then
  echo "# installing @duckdb/node-api@$duckdb_version into $DUCKDB_TOOLS" >&2
  mkdir -p "$DUCKDB_TOOLS"
  npm install --prefix "$DUCKDB_TOOLS" --no-audit --no-fund --loglevel=error \
    "@duckdb/node-api@$duckdb_version" >&2
fi

if [ -n "${KEEP:-}" ]; then
  work=$(mkdir -p "$KEEP" && cd "$KEEP" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/pipes"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# date: $(date -u '+%F %T') UTC; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sluice: $sluice; DuckDB: @duckdb/node-api $(node -p "require('$DUCKDB_TOOLS/node_modules/@duckdb/node-api/package.json').version"), node $(node --version)"
echo "# $events events, event rate $rate/s, parallelism 1 / threads = 1, $runs timed run(s) each"

# A copy of an example pipe with the run's events.num and rate.
configure() {
  sed -e "s/'events.num' = '[0-9]*'/'events.num' = '$events'/" \
      -e "s/'first-event.rate' = '[0-9]*'/'first-event.rate' = '$rate'/" \
      -e "s/'next-event.rate' = '[0-9]*'/'next-event.rate' = '$rate'/" "$1"
}
ddl() { configure "$root/examples/nexmark/q0.pipe" | sed '/^CREATE TABLE nexmark_q0/,$d'; }

# (1) The events, once, for DuckDB.
db="$work/nexmark.duckdb"
if [ ! -f "$db" ]; then
  {
    ddl
    cat <<SQL
CREATE TABLE person_out (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
    city VARCHAR, state VARCHAR, \`dateTime\` TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'filesystem', 'path' = '$work/data/person', 'format' = 'csv',
        'sink.rolling-policy.file-size' = '100GB');
CREATE TABLE auction_out (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
    reserve BIGINT, \`dateTime\` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
    category BIGINT, extra VARCHAR)
  WITH ('connector' = 'filesystem', 'path' = '$work/data/auction', 'format' = 'csv',
        'sink.rolling-policy.file-size' = '100GB');
CREATE TABLE bid_out (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
    \`dateTime\` TIMESTAMP(3), extra VARCHAR)
  WITH ('connector' = 'filesystem', 'path' = '$work/data/bid', 'format' = 'csv',
        'sink.rolling-policy.file-size' = '100GB');
INSERT INTO person_out SELECT * FROM person;
INSERT INTO auction_out SELECT * FROM auction;
INSERT INTO bid_out SELECT * FROM bid;
SQL
  } > "$work/pipes/dump.pipe"
  rm -rf "$work/data"
  start=$(date +%s.%N)
  "$sluice" run "$work/pipes/dump.pipe" --parallelism 1 > /dev/null
  echo "# events written as CSV in $(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.1f') s ($(du -sm "$work/data" | cut -f1) MB)"
  start=$(date +%s.%N)
  node "$here/load.mjs" "$db" "$work/data"
  echo "# loaded into DuckDB in $(echo "$(date +%s.%N) - $start" | bc -l | xargs printf '%.1f') s ($(du -m "$db" | cut -f1) MB; not timed)"
  rm -rf "$work/data"
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { sort -g | head -1; }

# One Sluice job RUNS times; appends "name cpu wall rss_mb" per run to $work/sluice.txt.
time_sluice() {
  local name=$1 pipe=$2 wall user sys rss_kb _
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$sluice" run "$pipe" --parallelism 1 > /dev/null
    read -r wall user sys rss_kb < "$work/time"
    echo "$name $(echo "$user + $sys" | bc -l) $wall $((rss_kb / 1024))" >> "$work/sluice.txt"
  done
}
col() { awk -v q="$1" -v c="$2" '$1 == q { print $c }' "$work/sluice.txt"; }

if [ "$check" != only ]; then
  : > "$work/sluice.txt"
  : > "$work/duckdb.txt"
  # (2) DuckDB, each query in a fresh node process.
  for query in $queries; do
    echo "$query $(node --expose-gc "$here/bench.mjs" "$db" "$here/sql/$query.sql" "$runs")" >> "$work/duckdb.txt"
  done
  # (3) Sluice: the generator alone, then the queries.
  { ddl; cat <<'SQL'
CREATE TABLE gen_sink (event_type INT, `dateTime` TIMESTAMP(3)) WITH ('connector' = 'blackhole');
INSERT INTO gen_sink SELECT event_type, `dateTime` FROM datagen;
SQL
  } > "$work/pipes/gen.pipe"
  time_sluice gen "$work/pipes/gen.pipe"
  for query in $queries; do
    configure "$root/examples/nexmark/${query%%_*}.pipe" > "$work/pipes/$query.pipe"
    time_sluice "$query" "$work/pipes/$query.pipe"
  done

  gen_best=$(col gen 2 | best)
  echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# generator only: CPU-s best $(printf '%.2f' "$gen_best") / median $(col gen 2 | median | xargs printf '%.2f'), $(echo "$events / $gen_best / 1000000" | bc -l | xargs printf '%.2f') M events/CPU-s"
  echo "# DuckDB rows/s = $events / best s; Sluice events/CPU-s = $events / best CPU-s; ratio = Sluice CPU-s / DuckDB s (best of each); minus gen = (Sluice CPU-s - generator CPU-s)"
  echo
  echo "| query | DuckDB best / median s | DuckDB rows/s | DuckDB result rows | Sluice CPU-s best / median | Sluice events/CPU-s | ratio raw | ratio minus gen | Sluice peak RSS MB | DuckDB (node) peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for query in $queries; do
    json=$(awk -v q="$query" '$1 == q { $1 = ""; print }' "$work/duckdb.txt")
    read -r d_best d_median d_rows d_rss < <(node -e '
      const r = JSON.parse(process.argv[1]); const w = [...r.wall].sort((a, b) => a - b);
      const m = w.length % 2 ? w[(w.length - 1) / 2] : (w[w.length / 2 - 1] + w[w.length / 2]) / 2;
      console.log(w[0], m, r.rows, r.rss_mb.toFixed(0));' "$json")
    s_best=$(col "$query" 2 | best)
    s_median=$(col "$query" 2 | median)
    s_rss=$(col "$query" 4 | median)
    awk -v q="$query" -v e="$events" -v db="$d_best" -v dm="$d_median" -v dr="$d_rows" \
        -v drss="$d_rss" -v sb="$s_best" -v sm="$s_median" -v srss="$s_rss" -v g="$gen_best" '
      function rate(x) { return x >= 1e6 ? sprintf("%.1f M", x / 1e6) : sprintf("%.0f K", x / 1e3) }
      BEGIN {
        net = sb - g
        minus = net > 0 ? sprintf("%.1fx (net %.2f s)", net / db, net) : sprintf("n/a (net %.2f s)", net)
        printf "| %s | %.3f / %.3f | %s | %d | %.2f / %.2f | %s | %.1fx | %s | %d | %d |\n",
          q, db, dm, rate(e / db), dr, sb, sm, rate(e / sb), sb / db, minus, srss, drss
      }'
  done
  echo
  echo "# per run (query, Sluice CPU-s, wall s, peak RSS MB):"
  sed 's/^/#   /' "$work/sluice.txt"
  echo "# DuckDB per query (cold run s, timed wall s, timed CPU s, rows, node peak RSS MB):"
  sed 's/^/#   /' "$work/duckdb.txt"
fi

# CHECK: each Sluice query with a filesystem sink in place of its blackhole, compared with
# DuckDB's result as multisets.
if [ "$check" != 0 ]; then
  echo
  echo "| query | DuckDB rows | Sluice rows | only in DuckDB | only in Sluice | changelog records | result |"
  echo "|---|---|---|---|---|---|---|"
  for query in $queries; do
    base=${query%%_*}
    case $base in q4 | q9) format=changelog-json ;; *) format=csv ;; esac
    out="$work/check/$query"
    rm -rf "$out"
    configure "$root/examples/nexmark/$base.pipe" |
      sed "s|'connector' = 'blackhole'|'connector' = 'filesystem', 'path' = '$out', 'format' = '$format', 'sink.rolling-policy.file-size' = '100GB'|" \
      > "$work/pipes/check_$query.pipe"
    "$sluice" run "$work/pipes/check_$query.pipe" --parallelism 1 > /dev/null
    mkdir -p "$out"
    node "$here/compare.mjs" "$db" "$here/sql/$query.sql" "$base" "$out" | node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const ok = r.only_duckdb === 0 && r.only_sluice === 0 && r.negative_counts === 0;
      console.log(`| ${process.argv[1]} | ${r.duckdb_rows} | ${r.sluice_rows} | ${r.only_duckdb} | ${r.only_sluice} | ${r.changelog_records ?? ""} | ${ok ? "match" : "MISMATCH"}${r.negative_counts ? ` (${r.negative_counts} negative counts)` : ""} |`);' "$query"
    rm -rf "$out"
  done
fi
