#!/usr/bin/env bash
# The kafka connector's throughput on librdkafka's mock cluster (sluice-kafka-mock, loopback),
# beside the same queries over the nexmark connector, and the cost of exactly-once.
#   bash bench/kafka_bench.sh [BUILD_DIR] [EVENTS]
# Fills an 8-partition topic with EVENTS Nexmark events (JSON compressed with zstd: the mock
# keeps only about 5 MB of each partition, which the script checks; as q0.pipe's table
# declares them), then times with /usr/bin/time, parallelism 1:
#   q0 nexmark -> blackhole           the generator alone feeding q0
#   q0 kafka   -> blackhole           the Kafka source and JSON decoding
#   q0 kafka   -> kafka at-least-once the sink too (JSON encoding, produce, flush per checkpoint)
#   q0 kafka   -> kafka exactly-once  spool + one transaction per checkpoint
#   q5 nexmark -> blackhole, q5 kafka -> blackhole
# and prints events per CPU-second of the sluice process (user + sys; the mock broker's own
# CPU, a separate process, is not counted) with wall time and peak memory.
set -euo pipefail
build=${1:-build}
events=${2:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$build/sluice-kafka-mock" --topic events:8 --topic q0out:4 --topic q0out.sluice-epochs:1 \
  --topic q0eo:4 --topic q0eo.sluice-epochs:1 --bootstrap-file "$work/bootstrap" \
  > "$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 50); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $events events, parallelism 1, mock cluster at $bootstrap"

ddl_of() {  # the Nexmark DDL and views of a query file, with EVENTS events
  sed "s/'events.num' = '1000000'/'events.num' = '$events'/" "$1"
}
kafka_source() {  # swaps the nexmark connector of the DDL for the topic `events`
  python3 - "$1" "$bootstrap" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
start = text.index("'connector' = 'nexmark',")
end = text.index("'bid.proportion' = '46'") + len("'bid.proportion' = '46'")
text = text[:start] + ("'connector' = 'kafka', 'topic' = 'events', "
    "'properties.bootstrap.servers' = '%s', 'format' = 'json', "
    "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'"
    % sys.argv[2]) + text[end:]
sys.stdout.write(text)
EOF
}

# Fill: the generator's physical columns as JSON.
q0="$root/examples/nexmark/q0.pipe"
ddl_of "$q0" | sed -n '1,/^-- ----/p' | grep -v '^-- ----' > "$work/ddl.pipe"
python3 - "$work/ddl.pipe" "$bootstrap" > "$work/fill.pipe" <<'EOF'
import sys
ddl = open(sys.argv[1]).read()
table = ddl[ddl.index("CREATE TABLE datagen"):]
table = table[:table.index("`dateTime` AS")].replace("CREATE TABLE datagen", "CREATE TABLE topic")
table = table[:table.rindex(",")] + (") WITH ('connector' = 'kafka', 'topic' = 'events', "
    "'properties.bootstrap.servers' = '%s', 'format' = 'json', "
    "'properties.compression.type' = 'zstd');\n" % sys.argv[2])
print(ddl + "\n" + table + "INSERT INTO topic SELECT event_type, person, auction, bid FROM datagen;")
EOF
/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$work/fill.pipe" > /dev/null
read -r wall user sys rss_kb < "$work/time"
echo "# fill: $events events written in ${wall} s wall"
for partition in $(seq 0 7); do
  low=$(kcat -b "$bootstrap" -Q -t "events:$partition:-2" 2>/dev/null | awk '{print $NF}')
  if [ "$low" != "0" ]; then
    echo "the mock dropped the start of partition $partition (low watermark $low): use fewer events" >&2
    exit 1
  fi
done
echo
printf '%-44s %8s %8s %16s %12s\n' run wall_s cpu_s events_per_cpu_s peak_rss_mb

measure() {  # name, pipe file, extra arguments
  local name=$1 file=$2
  shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$build/sluice" run "$file" "$@" > /dev/null
  read -r wall user sys rss_kb < "$work/time"
  local cpu
  cpu=$(echo "$user + $sys" | bc)
  printf '%-44s %8s %8s %16.0f %12d\n' "$name" "$wall" "$cpu" \
    "$(echo "$events / $cpu" | bc -l)" $((rss_kb / 1024))
}

sink_to() {  # replaces q0's blackhole sink with a Kafka topic and a delivery guarantee
  python3 - "$1" "$bootstrap" "$2" "$3" <<'EOF'
import sys
text = open(sys.argv[1]).read()
text = text.replace("'connector' = 'blackhole'", ("'connector' = 'kafka', 'topic' = '%s', "
    "'properties.bootstrap.servers' = '%s', 'format' = 'json', "
    "'sink.delivery-guarantee' = '%s', 'sink.transactional-id-prefix' = 'bench'")
    % (sys.argv[3], sys.argv[2], sys.argv[4]))
sys.stdout.write(text)
EOF
}

ddl_of "$q0" > "$work/q0_nexmark.pipe"
kafka_source "$work/q0_nexmark.pipe" > "$work/q0_kafka.pipe"
sink_to "$work/q0_kafka.pipe" q0out at-least-once > "$work/q0_kafka_alo.pipe"
sink_to "$work/q0_kafka.pipe" q0eo exactly-once > "$work/q0_kafka_eo.pipe"
q5="$root/examples/nexmark/q5.pipe"
ddl_of "$q5" > "$work/q5_nexmark.pipe"
kafka_source "$work/q5_nexmark.pipe" > "$work/q5_kafka.pipe"

checkpoints=(--checkpoint-dir "$work/checkpoints" --set "execution.checkpointing.interval=1 s")
measure "q0 nexmark -> blackhole" "$work/q0_nexmark.pipe"
measure "q0 kafka -> blackhole" "$work/q0_kafka.pipe"
measure "q0 kafka -> kafka, at-least-once, ckpt 1 s" "$work/q0_kafka_alo.pipe" "${checkpoints[@]}"
measure "q0 kafka -> kafka, exactly-once, ckpt 1 s" "$work/q0_kafka_eo.pipe" "${checkpoints[@]}"
measure "q5 nexmark -> blackhole" "$work/q5_nexmark.pipe"
measure "q5 kafka -> blackhole" "$work/q5_kafka.pipe"
