"""Micro-benchmark of the stream translators on a realistic 50-token reply, both directions.

OpenAI chunks -> Anthropic events and Anthropic events -> OpenAI chunks, as parsed JSON (the
proxy parses each SSE event once and serialises each output once; those costs are the SSE
reader's and orjson's, not measured here). Prints upstream events/s per direction. Bounded:
each case runs for about --seconds of wall time.

    .venv/bin/python benchmarks/bench_translate.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from gatecheck.protocols.translate import AnthropicToOpenAIStream, OpenAIToAnthropicStream


def openai_chunks(tokens: int = 50) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        usage = {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13}
        return {**base, "choices": [choice], "usage": usage}  # continuous usage, as asked

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": f" word{i}"}) for i in range(tokens)]
    out.append(chunk({}, "stop"))
    out.append({**base, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": tokens}})
    return out


def anthropic_events(tokens: int = 50) -> list[tuple[str, dict[str, Any]]]:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m",
               "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 12, "output_tokens": 1}}
    out: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
    ]
    out += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": f" word{i}"}})
            for i in range(tokens)]
    out += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                               "usage": {"output_tokens": tokens}}),
            ("message_stop", {"type": "message_stop"})]
    return out


def bench(run: Callable[[], int], seconds: float) -> float:
    events = rounds = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and rounds < 1_000_000:
        events += run()
        rounds += 1
    return events / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall time per case")
    args = parser.parse_args()
    chunks, events = openai_chunks(), anthropic_events()

    def o2a() -> int:
        stream = OpenAIToAnthropicStream(model="m", message_id="msg_1")
        for chunk in chunks:
            stream.feed(chunk)
        stream.finish(complete=True)
        return len(chunks)

    def a2o() -> int:
        stream = AnthropicToOpenAIStream(
            model="m", include_usage=True, completion_id="c", created=1
        )
        for name, data in events:
            stream.feed(name, data)
        stream.finish(complete=True)
        return len(events)

    for label, run in (("OpenAI -> Anthropic", o2a), ("Anthropic -> OpenAI", a2o)):
        print(f"{label}: {bench(run, args.seconds):>12,.0f} upstream events/s")


if __name__ == "__main__":
    main()
