"""CPU cost per request of the mock's ASGI app, called in-process (no sockets, no uvicorn).

Complements bench_mock.sh (wrk over loopback): this measures only the app's own work, in
process CPU time, so other processes on a shared machine barely move the figures. A bare
Starlette echo app called the same way is the baseline.

    .venv/bin/python benchmarks/bench_mock_app.py [seconds per case, default 2]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent / "mock"))

from starlette_echo import app as echo_app

from gatecheck.mock import create_app

OPENAI = {
    "model": "mock-chat",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say hello."},
    ],
}
ANTHROPIC = {
    "model": "mock-chat",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Say hello."}],
}
STREAM50 = {
    "model": "mock-chat",
    "stream": True,
    "stream_options": {"include_usage": True},
    "messages": [{"role": "user", "content": "Stream please [[mock tokens=50]]"}],
}


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
    }


async def _call(app: Any, path: str, body: bytes) -> int:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # the disconnect watcher waits here; cancelled at the end
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    size = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal size
        size += len(message.get("body", b""))

    await app(_scope(path), receive, send)
    return size


async def _case(app: Any, path: str, bodies: list[bytes], seconds: float) -> tuple[float, int]:
    """(CPU microseconds per request, requests) over about ``seconds`` of CPU time."""
    done, cpu0 = 0, time.process_time()
    while time.process_time() - cpu0 < seconds:
        for _ in range(200):
            await _call(app, path, bodies[done % len(bodies)])
            done += 1
    return (time.process_time() - cpu0) / done * 1e6, done


async def main(seconds: float) -> None:
    mock = create_app()
    fixed = [orjson.dumps(OPENAI)]
    varied = [
        orjson.dumps(
            {
                **OPENAI,
                "messages": [
                    OPENAI["messages"][0],
                    {"role": "user", "content": f"Say hello number {i}."},
                ],
            }
        )
        for i in range(200_000)
    ]
    prompt = STREAM50["messages"][0]["content"]  # type: ignore[index]
    marked = [orjson.dumps({**STREAM50, "messages": [
        {"role": "user", "content": f"{prompt} [[nonce:{i:016x}]]"}]}) for i in range(200_000)]
    cases = [
        ("starlette echo (baseline)", echo_app, "/v1/chat/completions", fixed),
        ("openai non-stream", mock, "/v1/chat/completions", fixed),
        ("openai non-stream, every body new", mock, "/v1/chat/completions", varied),
        ("anthropic non-stream", mock, "/v1/messages", [orjson.dumps(ANTHROPIC)]),
        ("openai stream, 50 tokens", mock, "/v1/chat/completions", [orjson.dumps(STREAM50)]),
        # A load run's marked requests: a nonce per request (the plan cache still hits), each
        # answer timed and kept in the timing log (the ground truth of the overhead).
        ("openai stream, 50 tokens, marked", mock, "/v1/chat/completions", marked),
    ]
    print(f"{'case':38} {'CPU us/req':>10} {'req/CPU-s':>10}")
    for name, app, path, bodies in cases:
        await _case(app, path, bodies, min(0.3, seconds))  # warm-up
        per, _ = await _case(app, path, bodies, seconds)
        print(f"{name:38} {per:10.1f} {1e6 / per:10.0f}")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0))
