#!/usr/bin/env bash
# Records examples/repl_session.txt: drives `sluice repl` in a tmux pane and saves what the
# screen showed. Usage: examples/record_repl_session.sh [path/to/sluice]
# Needs tmux (apt-get install tmux); the tests drive the REPL through a pty of their own.
set -euo pipefail
command -v tmux >/dev/null || { echo "record_repl_session: needs tmux" >&2; exit 1; }
sluice=$(realpath "${1:-build/sluice}")
out=$(dirname "$0")/repl_session.txt
pane=sluice-repl-recording
export SLUICE_HISTORY=$(mktemp)
tmux kill-session -t "$pane" 2>/dev/null || true
tmux new-session -d -s "$pane" -x 110 -y 200 "$sluice repl; sleep 30"

# Types a line (tmux would take a trailing ';' as its own separator: escape it).
type_line() {
  tmux send-keys -t "$pane" -l "${1//;/\\;}"
  tmux send-keys -t "$pane" Enter
}
# Waits until the pane shows `sluice> ` as its last prompt line (the REPL is idle).
wait_prompt() {
  for _ in $(seq 600); do
    if tmux capture-pane -p -t "$pane" | grep -v '^$' | tail -1 | grep -q '^sluice> *$'; then
      return
    fi
    sleep 0.1
  done
  echo "record_repl_session: the REPL did not come back to its prompt" >&2
  exit 1
}

wait_prompt
type_line '\help'
wait_prompt
type_line "CREATE TABLE bids ("
type_line "  auction BIGINT,"
type_line "  price BIGINT,"
type_line "  ts TIMESTAMP(3),"
type_line "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND"
type_line ") WITH ('connector' = 'datagen', 'rows-per-second' = '1000', 'seed' = '1',"
type_line "        'fields.auction.min' = '1', 'fields.auction.max' = '3',"
type_line "        'fields.price.min' = '1', 'fields.price.max' = '100');"
wait_prompt
type_line "SHOW TABLES;"
wait_prompt
type_line "DESCRIBE bids;"
wait_prompt
type_line "SELECT auction, price, ts FROM bids LIMIT 5;"
wait_prompt
type_line "SELECT auction, prize FROM bids;"
wait_prompt
type_line "SELECT window_start, auction, COUNT(*) AS bids, MAX(price) AS top"
type_line "FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND))"
type_line "GROUP BY window_start, window_end, auction;"
sleep 3.5
tmux send-keys -t "$pane" C-c
wait_prompt
type_line "CREATE TABLE totals (auction BIGINT, price BIGINT) WITH ('connector' = 'values');"
wait_prompt
type_line "INSERT INTO totals VALUES (1, 10), (2, 20), (1, 30);"
wait_prompt
type_line "SELECT auction, SUM(price) AS total FROM totals GROUP BY auction;"
wait_prompt
type_line "SET 'sql-client.execution.result-mode' = 'changelog';"
wait_prompt
type_line "SELECT auction, SUM(price) AS total FROM totals GROUP BY auction;"
wait_prompt
type_line "RESET 'sql-client.execution.result-mode';"
wait_prompt
type_line '\timing on'
wait_prompt
type_line "SELECT 1 + 1;"
wait_prompt
type_line "CREATE TABLE expensive (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');"
wait_prompt
type_line "INSERT INTO expensive SELECT auction, price FROM bids WHERE price > 90;"
wait_prompt
sleep 1
type_line "SHOW JOBS;"
wait_prompt
type_line "STOP JOB 'expensive';"
wait_prompt
type_line '\q'
sleep 0.5
tmux capture-pane -p -S - -t "$pane" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$out"
tmux kill-session -t "$pane"
rm -f "$SLUICE_HISTORY"
echo "wrote $out"
