-- wrk: one OpenAI stream of 50 tokens with the usage chunk (no latency: the mock's own cost)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"mock-chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Stream please [[mock tokens=50]]"}]}'
