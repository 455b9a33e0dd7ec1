"""Which async HTTP client should the reference proxy use upstream? httpx vs aiohttp.

Usage: start the mock (``.venv/bin/gatecheck mock --port 18911``), then
``.venv/bin/python benchmarks/bench_upstream_client.py [URL]``. Sends the same small
non-stream request sequentially (1 in flight) and 32 at a time, a few seconds per case,
with each client's own keep-alive pool, on uvloop. Loopback only; bounded in count.

Measured 2026-11-21 on the shared 2-core dev box (other helpers running, mock on the same
cores), requests/s:

| client | 1 in flight | 32 in flight |
| --- | ---: | ---: |
| httpx 0.28 AsyncClient | 1,503 | 490 |
| aiohttp 3.14 ClientSession | 4,196 | 3,882 |

httpx's pool falls over under concurrency; the proxy uses aiohttp. Through the proxy
(aiohttp upstream, one uvicorn worker, ``wrk -t1 -c32 -d5s``, same request with a key):
3,290 req/s at 32 connections and p50 345 us at 1 connection against the mock's own 39 us
(earlier httpx version: 592 req/s and 4.1 ms).
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import httpx
import orjson
import uvloop

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18911/v1/chat/completions"
BODY = orjson.dumps({"model": "mock-chat", "messages": [{"role": "user", "content": "Hi."}]})
HEADERS = {"content-type": "application/json"}


async def with_httpx(rounds: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one() -> None:
            response = await client.post(URL, content=BODY, headers=HEADERS)
            response.raise_for_status()

        await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the pool
        start = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        return rounds * concurrency / (time.perf_counter() - start)


async def with_aiohttp(rounds: int, concurrency: int) -> float:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=64), timeout=timeout
    ) as session:

        async def one() -> None:
            async with session.post(URL, data=BODY, headers=HEADERS) as response:
                response.raise_for_status()
                await response.read()

        await asyncio.gather(*(one() for _ in range(concurrency)))
        start = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(one() for _ in range(concurrency)))
        return rounds * concurrency / (time.perf_counter() - start)


def main() -> None:
    for name, bench in (("httpx", with_httpx), ("aiohttp", with_aiohttp)):
        for concurrency, rounds in ((1, 2000), (32, 200)):
            rate = uvloop.run(bench(rounds, concurrency))
            print(f"{name:8} {concurrency:3} in flight: {rate:8.0f} req/s")


if __name__ == "__main__":
    main()
