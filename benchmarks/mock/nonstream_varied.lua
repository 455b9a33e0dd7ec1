-- wrk: OpenAI non-stream requests whose bodies all differ (a counter in the prompt), so the
-- mock's plan cache never hits: parse, validate, count, generate and render every time.
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"model":"mock-chat","messages":[{"role":"system","content":"You are terse."},'
    .. '{"role":"user","content":"Say hello number ' .. counter .. '."}]}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
