"""Graceful shutdown: health 503 while draining, streams finish within the grace period,
then end with an error event; SIGTERM on a real `gatecheck proxy` process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from gatecheck.embedded import serve_in_thread
from gatecheck.mock import create_app as create_mock
from gatecheck.proxy import create_app, default_config

ADMIN = "gk-admin-shutdown-0123456789abcdef012345"
AUTH = {"authorization": f"Bearer {ADMIN}"}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_mock()) as url:
        yield url


def body(text: str, stream: bool = True) -> dict[str, object]:
    return {"model": "gpt-4o-mini", "stream": stream,
            "messages": [{"role": "user", "content": text}]}


def data_lines(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


@pytest.mark.anyio
async def test_draining_app_refuses_health_and_new_requests(mock_url: str) -> None:
    app = create_app(default_config(mock_url), admin_key=ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://p") as c:
        assert (await c.get("/health/ready")).status_code == 200
        app.drain.begin()
        for path in ("/health", "/health/live", "/health/ready", "/v1/health/ready"):
            r = await c.get(path)
            assert r.status_code == 503
            assert r.json() == {"status": "shutting_down"}
        r = await c.post("/v1/chat/completions", json=body("hi", False), headers=AUTH)
        assert r.status_code == 503
        assert r.json()["error"]["type"] == "service_unavailable_error"
        r = await c.post("/v1/messages", headers={"x-api-key": ADMIN},
                         json={"model": "mock-chat", "max_tokens": 4,
                               "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 503
        assert r.json()["type"] == "error"
        assert (await c.get("/v1/models", headers=AUTH)).status_code == 200  # not a model call
    await app.aclose()


@pytest.mark.anyio
async def test_stream_past_the_grace_period_ends_with_an_error_event(mock_url: str) -> None:
    app = create_app(default_config(mock_url), admin_key=ADMIN)
    app.drain.grace = 0.3
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://p",
                                 timeout=20) as c:
        long = asyncio.ensure_future(
            c.post("/v1/chat/completions", json=body("[[mock tokens=200 itl=50]]"), headers=AUTH))
        await asyncio.sleep(0.3)
        t0 = time.monotonic()
        app.drain.begin()
        r = await long
        elapsed = time.monotonic() - t0
    await app.aclose()
    assert r.status_code == 200
    events = data_lines(r.text)
    assert "[DONE]" not in events
    last = orjson.loads(events[-1])
    assert last["error"]["type"] == "service_unavailable_error"
    assert "shutting down" in last["error"]["message"]
    contents = [e for e in events[:-1] if '"content"' in e]
    assert len(contents) > 3  # it kept streaming during the grace period
    assert elapsed < 5  # cut at the bound, not after the whole 10 s reply (generous)


def _start_proxy(mock_url: str, grace: float) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "GATECHECK_ADMIN_KEY": ADMIN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatecheck", "proxy", "--upstream", mock_url, "--port", "0",
         "--in-memory", "--quiet", "--grace", str(grace)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded: the proxy prints it once started
    if "listening on" not in line:
        proc.kill()
        pytest.fail(f"proxy did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


@pytest.mark.parametrize(("directive", "grace", "finishes"), [
    ("[[mock tokens=12 itl=100]]", 5.0, True),
    ("[[mock tokens=400 itl=50]]", 1.0, False),
])
def test_sigterm_with_a_stream_in_flight(mock_url: str, directive: str, grace: float,
                                         finishes: bool) -> None:
    proc, url = _start_proxy(mock_url, grace)
    try:
        with httpx.Client(base_url=url, timeout=15) as c, \
                c.stream("POST", "/v1/chat/completions", json=body(directive),
                         headers=AUTH) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            first = next(lines)
            assert first.startswith("data: ")
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            rest = "\n".join(lines)
            elapsed = time.monotonic() - t0
        events = data_lines(first + "\n" + rest)
        if finishes:
            assert events[-1] == "[DONE]"
        else:
            assert "[DONE]" not in events
            assert "shutting down" in orjson.loads(events[-1])["error"]["message"]
            assert elapsed < grace + 3  # generous
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
