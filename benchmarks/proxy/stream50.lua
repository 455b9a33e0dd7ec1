-- wrk: one OpenAI stream of 50 tokens with the usage chunk, no latency (pure cost); each
-- response is checked to be a 200 that reached data: [DONE].
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "none")
wrk.body = '{"model":"mock-chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Stream please [[mock tokens=50]]"}]}'
local threads = {}
function setup(thread) table.insert(threads, thread) end
seen = 0
errors = 0
function response(status, headers, body)
  seen = seen + 1
  if status ~= 200 or not string.find(body, "data: [DONE]", 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local errs, n = 0, 0
  for _, t in ipairs(threads) do errs = errs + t:get("errors"); n = n + t:get("seen") end
  io.write(string.format("checked: %d responses, %d not 200 or unfinished\n", n, errs))
end
