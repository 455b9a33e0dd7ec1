#!/usr/bin/env bash
# The reference proxy against its own upstream (the mock), both driven by wrk in one run.
# Usage: benchmarks/bench_proxy.sh [seconds per run (default 10)] [rounds (default 2)]
#        BENCH_RSS=0 skips the RSS runs (10k then 100k requests through the proxy).
#        BENCH_REDIS=1 adds a second proxy whose rate limits live in Redis (a redis-server
#        started here on a free loopback port, in a temp dir); BENCH_WORKERS=N runs that
#        proxy as N worker processes (gatecheck proxy --workers N, shared SQLite + Redis).
# Needs wrk (apt-get install -y wrk). Loopback only; every wrk run is bounded by -d; the
# servers are stopped by their PIDs on exit. The proxy runs the embedded default (one
# uvicorn worker, uvloop + httptools, in-memory key store, the default rate limits, so
# the limiter and its headers are part of every request) with the access log off (--quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
ROUNDS="${2:-2}"
PY=.venv/bin/python
HERE=benchmarks/proxy
free_port() { "$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
MOCK_PORT=$(free_port)
PROXY_PORT=$(free_port)
export GATECHECK_ADMIN_KEY="gk-bench-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
export BENCH_KEY="$GATECHECK_ADMIN_KEY"
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
"$PY" -m gatecheck proxy --upstream "http://127.0.0.1:$MOCK_PORT" --port "$PROXY_PORT" \
  --in-memory --quiet >/dev/null 2>&1 &
PROXY_PID=$!
pids+=($PROXY_PID)
wait_port "$MOCK_PORT"
wait_port "$PROXY_PORT"

if [ "${BENCH_REDIS:-0}" = 1 ]; then
  TMP=$(mktemp -d)
  REDIS_PORT=$(free_port)
  REDIS_PROXY_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --save "" --appendonly no >/dev/null &
  pids+=($!)
  cat > "$TMP/proxy.toml" <<TOML
[[provider]]
name = "mock"
format = "openai"
base-url = "http://127.0.0.1:$MOCK_PORT"
models = ["mock-chat"]
[rate-limits]
requests-per-minute = 1000000
tokens-per-minute = 1000000000
backend = "redis"
redis-url = "redis://127.0.0.1:$REDIS_PORT/0"
TOML
  wait_port "$REDIS_PORT"
  if [ "${BENCH_WORKERS:-1}" -gt 1 ]; then
    STORE=(--workers "$BENCH_WORKERS" --state-dir "$TMP/state")
  else
    STORE=(--in-memory)
  fi
  "$PY" -m gatecheck proxy --config "$TMP/proxy.toml" --port "$REDIS_PROXY_PORT" \
    "${STORE[@]}" --quiet >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$REDIS_PROXY_PORT"
  wrk -t1 -c8 -d2s -s "$HERE/nonstream.lua" "http://127.0.0.1:$REDIS_PROXY_PORT/v1/chat/completions" >/dev/null
fi

run() {  # name port script connections
  local out="/tmp/gatecheck-bench-proxy-$1.txt"
  wrk -t1 -c"$4" -d"${DURATION}s" --latency -s "$HERE/$3" "http://127.0.0.1:$2/v1/chat/completions" > "$out"
  printf '%-28s %9s req/s   p50 %-8s p99 %-8s %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$out")" "$(awk '$1=="50%" {print $2}' "$out")" \
    "$(awk '$1=="99%" {print $2}' "$out")" "$(grep -h 'checked' "$out" | tr -d '\n')"
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$PROXY_PID/status"; }

# warm-up (plans cached in the mock, pools filled in the proxy), not reported
wrk -t1 -c8 -d2s -s "$HERE/nonstream.lua" "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" >/dev/null

echo "wrk -t1 -d${DURATION}s x $ROUNDS rounds, one uvicorn worker each, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "-- round $round"
  run mock-nonstream-c1 "$MOCK_PORT" nonstream.lua 1
  run proxy-nonstream-c1 "$PROXY_PORT" nonstream.lua 1
  run mock-nonstream-c32 "$MOCK_PORT" nonstream.lua 32
  run proxy-nonstream-c32 "$PROXY_PORT" nonstream.lua 32
  run mock-stream50-c32 "$MOCK_PORT" stream50.lua 32
  run proxy-stream50-c32 "$PROXY_PORT" stream50.lua 32
  if [ "${BENCH_REDIS:-0}" = 1 ]; then
    run "proxy-redis-w${BENCH_WORKERS:-1}-nonstream-c1" "$REDIS_PROXY_PORT" nonstream.lua 1
    run "proxy-redis-w${BENCH_WORKERS:-1}-nonstream-c32" "$REDIS_PROXY_PORT" nonstream.lua 32
  fi
done

if [ "${BENCH_RSS:-1}" != 0 ]; then
  # A fresh proxy: RSS after 10k, then after 100k requests (32 connections, bounded by -d).
  kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
  "$PY" -m gatecheck proxy --upstream "http://127.0.0.1:$MOCK_PORT" --port "$PROXY_PORT" \
    --in-memory --quiet >/dev/null 2>&1 &
  PROXY_PID=$!
  pids+=($PROXY_PID)
  wait_port "$PROXY_PORT"
  echo "proxy RSS at start: $(rss_kib) KiB"
  BENCH_STOP_AFTER=10000 wrk -t1 -c32 -d120s -s "$HERE/nonstream.lua" "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" > /tmp/gatecheck-bench-proxy-rss10k.txt
  R10=$(rss_kib)
  BENCH_STOP_AFTER=90000 wrk -t1 -c32 -d300s -s "$HERE/nonstream.lua" "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" > /tmp/gatecheck-bench-proxy-rss100k.txt
  R100=$(rss_kib)
  echo "proxy RSS after 10k requests: $R10 KiB; after 100k: $R100 KiB; ratio $("$PY" -c "print(round($R100/$R10, 3))")"
  grep -h "checked" /tmp/gatecheck-bench-proxy-rss10k.txt /tmp/gatecheck-bench-proxy-rss100k.txt
fi
echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
