-- wrk: one OpenAI stream of 50 tokens at ttft 20 ms, itl 10 ms (about 0.51 s each): the cost
-- of the latency model with many streams open at once
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"mock-chat","stream":true,"messages":[{"role":"user","content":"Stream please [[mock tokens=50 ttft=20 itl=10]]"}]}'
