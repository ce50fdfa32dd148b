#!/bin/bash
# Rounds with pauses between them against one one-worker Samovar pinned to CPU 1 (wrk on CPU 0):
# each round's req/s and p99, to see what a pause does to the round after it (docs/performance.md,
# "Two lab runs after it": POST /echo's p99 and the young generation).
#
#   load/experiments/pause-rounds.sh ROUNDS SECONDS PAUSE DIR [NODE FLAG...] -- WRK SCRIPT ARGS
#
#   B=$(head -c 1024 /dev/zero | tr '\0' x)
#   load/experiments/pause-rounds.sh 3 6 6 . -- 1 POST /echo "$B" application/octet-stream
#   load/experiments/pause-rounds.sh 3 6 6 . --min-semi-space-size=16 -- 1 POST /echo "$B" application/octet-stream
#
# DIR is a checkout (its src/main.ts runs, the access log on, to a file emptied before each round);
# NODE FLAGs go to the primary's node, whose workers inherit them. Stops what it started by PID.
set -u
rounds=$1
secs=$2
pause=$3
dir=$4
shift 4
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
[ $# -gt 0 ] && shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
log=$(mktemp)
port=18490
(cd "$dir" && exec env SAMOVAR_PORT=$port SAMOVAR_HOST=127.0.0.1 SAMOVAR_WORKERS=1 SAMOVAR_METRICS_PORT=0 \
  SAMOVAR_CONNECTIONS_MAX_REQUESTS_PER_CONNECTION=1000000000 \
  taskset -c 1 "$root/node_modules/.bin/node" "${flags[@]}" src/main.ts > "$log" 2> /dev/null) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.2; done
wrk=(taskset -c 0 wrk -t1 -c"${CONNECTIONS:-50}" --timeout 10s -s "$root/load/lib/wrk-report.lua")
"${wrk[@]}" -d1s "http://127.0.0.1:$port/" -- "$@" > /dev/null 2>&1 # warm-up
line="${flags[*]:-(no flags)}:"
for round in $(seq "$rounds"); do
  : > "$log"
  out=$("${wrk[@]}" -d"${secs}s" "http://127.0.0.1:$port/" -- "$@" 2>&1)
  requests=$(echo "$out" | grep -o '"requests":[0-9]*' | cut -d: -f2)
  p99=$(echo "$out" | grep -o '"p99Us":[0-9]*' | cut -d: -f2)
  line="$line round $round $((requests / secs)) req/s p99 $((p99 / 1000)).$(((p99 % 1000) / 100)) ms;"
  [ "$round" -lt "$rounds" ] && sleep "$pause"
done
echo "$line"
