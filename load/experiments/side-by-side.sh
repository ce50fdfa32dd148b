#!/bin/bash
# Side-by-side A/B: every configuration runs at once, each a one-worker Samovar pinned to CPU 1,
# and each round starts one wrk per server on CPU 0 at the same moment, so the machine's noise
# (other tenants, frequency) hits all of them alike. Prints each round's req/s and, per
# configuration, the median over rounds of its req/s ÷ the first configuration's in the same
# round. Three or more servers share one core and its caches: a change that only improves cache
# locality shows smaller here than alone; a larger working set shows larger. (docs/performance.md,
# "Where the access line's cost is".)
#
#   load/experiments/side-by-side.sh ROUNDS SECONDS SPEC... [-- WRK ARGS]
#   SPEC is DIR|ENV|LOG: a checkout to run (src/main.ts), space-separated VAR=value pairs, and
#   where its stdout goes (default /dev/null; a file is emptied before every round).
#
#   load/experiments/side-by-side.sh 8 4 ".|SAMOVAR_LOG_ACCESS=off" ".|" -- \
#     -s load/lib/wrk-report.lua -- 10 GET /          # pipelined ×10, access log on vs off
#
# Needs wrk, taskset and the checkout's node_modules. Stops what it started by PID.
set -u
rounds=$1
secs=$2
shift 2
specs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
[ $# -gt 0 ] && shift
wrk_args=("$@")
node_bin="$(cd "$(dirname "$0")/../.." && pwd)/node_modules/.bin/node"
out=$(mktemp -d)
pids=()
ports=()
logs=()
stop() { kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$out"; }
trap stop EXIT
i=0
for spec in "${specs[@]}"; do
  IFS='|' read -r dir env log <<< "$spec"
  port=$((18480 + i))
  log=${log:-/dev/null}
  # shellcheck disable=SC2086 # ENV is a list of VAR=value words
  (cd "$dir" && exec env SAMOVAR_PORT=$port SAMOVAR_HOST=127.0.0.1 SAMOVAR_WORKERS=1 SAMOVAR_METRICS_PORT=0 $env \
    taskset -c 1 "$node_bin" src/main.ts >> "$log" 2>/dev/null) &
  pids+=($!)
  ports+=($port)
  logs+=("$log")
  i=$((i + 1))
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.2; done
done
echo "configurations: ${specs[*]}"
for round in $(seq 0 "$rounds"); do
  for log in "${logs[@]}"; do [ "$log" != /dev/null ] && : > "$log"; done
  wrk_pids=()
  for port in "${ports[@]}"; do
    (taskset -c 0 wrk -t1 -c"${CONNECTIONS:-50}" -d"${secs}s" "http://127.0.0.1:$port/" "${wrk_args[@]}" 2> /dev/null |
      awk '/Requests\/sec/ { print $2 }' > "$out/$port") &
    wrk_pids+=($!)
  done
  wait "${wrk_pids[@]}"
  [ "$round" -eq 0 ] && continue # warm-up
  line="round $round:"
  for port in "${ports[@]}"; do line+=" $(cat "$out/$port")"; done
  echo "$line" | tee -a "$out/rounds"
done
"$node_bin" -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
  .map((l) => l.split(":")[1].trim().split(/\s+/).map(Number));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
for (let j = 1; j < rows[0].length; j++)
  console.log(`configuration ${j + 1} ÷ 1: median ${median(rows.map((r) => r[j] / r[0])).toFixed(3)} (${rows.map((r) => (r[j] / r[0]).toFixed(3)).join(" ")})`);
' "$out/rounds"
