-- wrk: one OpenAI non-stream request (16 generated tokens), with the key from $BENCH_KEY.
-- $BENCH_STOP_AFTER (optional): each thread stops after that many responses (use -t1).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "none")
wrk.body = '{"model":"mock-chat","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}]}'
local threads = {}
function setup(thread) table.insert(threads, thread) end
stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "0")
seen = 0
errors = 0
function response(status, headers, body)
  seen = seen + 1
  if status ~= 200 then errors = errors + 1 end
  if stop_after > 0 and seen >= stop_after then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local errs, n = 0, 0
  for _, t in ipairs(threads) do errs = errs + t:get("errors"); n = n + t:get("seen") end
  io.write(string.format("checked: %d responses, %d not 200\n", n, errs))
end
