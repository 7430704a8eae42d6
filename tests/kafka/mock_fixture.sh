#!/bin/sh
# The shared mock cluster of the CTest fixture `kafka_mock` (CMakeLists.txt):
#   mock_fixture.sh start DIR MOCK_BINARY   starts sluice-kafka-mock in the background; writes
#                                           DIR/pid, DIR/bootstrap (the bootstrap servers), DIR/log
#   mock_fixture.sh stop DIR                stops it (SIGTERM, then SIGKILL after 10 s)
#   mock_fixture.sh kcat DIR                a test of the fixture: kcat writes and reads back
# Exit 77: skipped (kcat not installed).
set -u
command=$1
dir=$2

# Whether DIR/pid names a live sluice-kafka-mock (never signal a recycled pid).
running() {
  [ -s "$dir/pid" ] || return 1
  pid=$(cat "$dir/pid")
  grep -q sluice-kafka-mock "/proc/$pid/cmdline" 2>/dev/null
}

case $command in
start)
  binary=$3
  mkdir -p "$dir"
  if running; then
    echo "a mock cluster of this build is still running (pid $pid): stopping it first"
    "$0" stop "$dir"
  fi
  rm -f "$dir/pid" "$dir/bootstrap" "$dir/log"
  # No inherited stdout/stderr: ctest waits for those to close.
  "$binary" --brokers 1 --topic fixture:2 --bootstrap-file "$dir/bootstrap" \
    </dev/null >"$dir/log" 2>&1 &
  child=$!
  echo $child >"$dir/pid"
  tries=0
  while [ ! -s "$dir/bootstrap" ]; do
    # Alive as our child: before its exec the pid's cmdline is still this shell's, so `running`
    # would call a slow start a failed one (a child that died stays a zombie: it fails when the
    # 10 s run out, with its log).
    if ! kill -0 "$child" 2>/dev/null || [ $tries -ge 100 ]; then
      echo "sluice-kafka-mock did not start:"
      cat "$dir/log"
      "$0" stop "$dir"
      exit 1
    fi
    tries=$((tries + 1))
    sleep 0.1
  done
  echo "mock cluster pid $(cat "$dir/pid"), bootstrap.servers=$(cat "$dir/bootstrap")"
  ;;
stop)
  if running; then
    kill -TERM "$pid"
    tries=0
    while running && [ $tries -lt 100 ]; do
      tries=$((tries + 1))
      sleep 0.1
    done
    if running; then
      echo "sluice-kafka-mock (pid $pid) ignored SIGTERM: killing it"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$dir/pid" "$dir/bootstrap"
  ;;
kcat)
  command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps)"; exit 77; }
  bootstrap=$(cat "$dir/bootstrap") || exit 1
  kcat -L -b "$bootstrap" -t fixture -m 10 | grep -q "topic \"fixture\" with 2 partitions" || {
    echo "kcat -L does not show topic fixture with 2 partitions"
    exit 1
  }
  topic="kcat-$$"
  printf 'a\nb\nc\n' | kcat -P -b "$bootstrap" -t "$topic" -p 0 -m 10 || exit 1
  got=$(kcat -C -b "$bootstrap" -t "$topic" -p 0 -o beginning -e -q -m 10 -f '%s@%o ')
  [ "$got" = "a@0 b@1 c@2 " ] || { echo "read back '$got', wanted 'a@0 b@1 c@2 '"; exit 1; }
  ;;
*)
  echo "usage: $0 start DIR MOCK_BINARY | stop DIR | kcat DIR"
  exit 2
  ;;
esac
