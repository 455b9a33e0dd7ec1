-- wrk: one OpenAI non-stream request, 16 generated tokens (the mock's default)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"mock-chat","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}]}'
