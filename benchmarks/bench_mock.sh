#!/usr/bin/env bash
# Throughput of the mock upstream vs a bare Starlette echo, on loopback, with wrk.
# Usage: benchmarks/bench_mock.sh [seconds per run (default 10)] [connections (default 32)]
#                                 [rounds (default 2): the cases run interleaved, round by round]
# Needs wrk (apt-get install -y wrk). Every run is bounded by wrk's -d; servers are stopped
# by their PIDs on exit. Compare the ratios in one run: the machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNS="${2:-32}"
ROUNDS="${3:-2}"
PY=.venv/bin/python
HERE=benchmarks/mock
free_port() { "$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
MOCK_PORT=$(free_port)
ECHO_PORT=$(free_port)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() {  # bounded: 10 s
  for _ in $(seq 100); do
    if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; exit 1
}

"$PY" -m gatecheck mock --port "$MOCK_PORT" >/dev/null &
pids+=($!)
"$PY" -m uvicorn --app-dir "$HERE" starlette_echo:app --port "$ECHO_PORT" \
  --loop uvloop --http httptools --no-access-log --log-level warning \
  --no-proxy-headers --no-server-header &
pids+=($!)
wait_port "$MOCK_PORT"
wait_port "$ECHO_PORT"

run() {  # name port script path [connections]
  local rps
  rps=$(wrk -t1 -c"${5:-$CONNS}" -d"${DURATION}s" --latency -s "$HERE/$3" "http://127.0.0.1:$2$4" \
        | tee "/tmp/gatecheck-bench-$1.txt" | awk '/Requests\/sec/ {print $2}')
  local p50 p99
  p50=$(awk '$1=="50%" {print $2}' "/tmp/gatecheck-bench-$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "/tmp/gatecheck-bench-$1.txt")
  printf '%-32s %9s req/s   p50 %-8s p99 %s\n' "$1" "$rps" "$p50" "$p99"
}

# warm-up (first requests build plans and fill caches), not reported
wrk -t1 -c8 -d2s -s "$HERE/nonstream.lua" "http://127.0.0.1:$MOCK_PORT/v1/chat/completions" >/dev/null

echo "wrk -t1 -c$CONNS -d${DURATION}s x $ROUNDS rounds, one uvicorn worker each (uvloop + httptools), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  run starlette-echo "$ECHO_PORT" nonstream.lua /v1/chat/completions
  run mock-openai-nonstream "$MOCK_PORT" nonstream.lua /v1/chat/completions
  run mock-openai-nonstream-uncached "$MOCK_PORT" nonstream_varied.lua /v1/chat/completions
  run mock-anthropic-nonstream "$MOCK_PORT" anthropic_nonstream.lua /v1/messages
  run mock-openai-stream50 "$MOCK_PORT" stream50.lua /v1/chat/completions
  # 50 tokens at ttft 20 ms + itl 10 ms take >= 0.51 s each: 256 connections allow <= 500/s
  run mock-stream50-itl10-c256 "$MOCK_PORT" stream50_itl.lua /v1/chat/completions 256
done
echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
