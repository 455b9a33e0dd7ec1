"""Micro-benchmark of gatecheck's SSE reader on a realistic 50-token OpenAI stream.

Feeds the same stream whole, in 7-byte reads and in 1-byte reads (the worst case a slow or
hostile gateway can produce) and prints events/s and MB/s for each. Bounded: each case runs
for about --seconds of wall time.

    .venv/bin/python benchmarks/bench_sse.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import time

from gatecheck import SseDecoder


def openai_stream(tokens: int = 50) -> bytes:
    """A chat.completion.chunk stream as an OpenAI-compatible gateway sends it."""
    base = {"id": "chatcmpl-9xQ2bZ8kLmN3pR7sT1vW4yA6cE0gH", "object": "chat.completion.chunk",
            "created": 1732180000, "model": "gpt-4o-mini-2024-07-18",
            "system_fingerprint": "fp_0ba0d124f1"}
    frames = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "logprobs": None, "finish_reason": None}]}]
    frames += [{**base, "choices": [{"index": 0, "delta": {"content": f" word{i}"},
                                     "logprobs": None, "finish_reason": None}]}
               for i in range(tokens)]
    frames.append({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None,
                                        "finish_reason": "stop"}]})
    frames.append({**base, "choices": [], "usage": {"prompt_tokens": 12,
                                                    "completion_tokens": tokens,
                                                    "total_tokens": 12 + tokens}})
    body = "".join(f"data: {json.dumps(f, separators=(',', ':'))}\n\n" for f in frames)
    return (body + "data: [DONE]\n\n").encode()


def bench(stream: bytes, size: int | None, seconds: float) -> tuple[float, float]:
    chunks = [stream] if size is None else [stream[i:i + size]
                                           for i in range(0, len(stream), size)]
    events = rounds = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline and rounds < 1_000_000:
        decoder = SseDecoder()
        for chunk in chunks:
            events += len(decoder.feed(chunk))
        rounds += 1
    elapsed = time.perf_counter() - start
    return events / elapsed, rounds * len(stream) / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall time per case")
    args = parser.parse_args()
    stream = openai_stream()
    count = stream.count(b"\n\n")
    print(f"stream: {len(stream)} bytes, {count} events")
    for label, size in (("whole", None), ("7-byte", 7), ("1-byte", 1)):
        rate, mbps = bench(stream, size, args.seconds)
        print(f"{label:>7} reads: {rate:>12,.0f} events/s {mbps:>8.1f} MB/s")


if __name__ == "__main__":
    main()
