"""Micro-benchmark of the gateway client's own overhead (no network: httpx.MockTransport).

Measures, per second: plain JSON requests; the same with the redacted Exchange built (what a
failing check or an on_exchange hook pays); and 50-token OpenAI streams read through
SseDecoder + StreamMeter. Bounded: about --seconds of wall time per case.

    .venv/bin/python benchmarks/bench_client.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import httpx
from bench_sse import openai_stream

from gatecheck import Auth, GatewayClient, Redactor

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi. " * 40}],
        "max_tokens": 64}
REPLY = {"id": "chatcmpl-1", "object": "chat.completion", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "hi " * 50},
     "finish_reason": "stop"}], "usage": {"prompt_tokens": 80, "completion_tokens": 50}}


def rate(fn: Callable[[], object], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and count < 1_000_000:
        fn()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall time per case")
    args = parser.parse_args()
    stream = openai_stream()
    sse_chunks = [stream[i:i + 300] for i in range(0, len(stream), 300)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/stream"):
            return httpx.Response(200, headers={"content-type": "text/event-stream"},
                                  content=iter(sse_chunks))
        return httpx.Response(200, json=REPLY)

    auth = Auth("bearer", "sk-bench-0123456789abcdef", env="BENCH_KEY")
    with GatewayClient("http://gw.bench/v1", auth, transport=httpx.MockTransport(handler),
                       redactor=Redactor(), surface="openai") as client:
        def plain() -> object:
            return client.post("/chat/completions", json=BODY)

        def recorded() -> object:
            return client.post("/chat/completions", json=BODY).exchange

        def streamed() -> object:
            with client.stream("POST", "/stream", json=BODY) as response:
                return sum(1 for _ in response.events())

        print(f"plain requests:      {rate(plain, args.seconds):>9,.0f} /s")
        print(f"requests + exchange: {rate(recorded, args.seconds):>9,.0f} /s")
        print(f"50-token streams:    {rate(streamed, args.seconds):>9,.0f} /s")


if __name__ == "__main__":
    main()
