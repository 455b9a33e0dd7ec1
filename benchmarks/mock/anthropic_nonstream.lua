-- wrk: one Anthropic non-stream request, 16 generated tokens
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.body = '{"model":"mock-chat","max_tokens":64,"messages":[{"role":"user","content":"Say hello."}]}'
