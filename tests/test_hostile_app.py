"""The hostile test gateway itself: each mode misbehaves as it says, and stays bounded.

Read with plain sockets and httpx (never gatecheck's client, which tests/test_bounds.py
tests against this server), every read with a timeout.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import httpx
import pytest

from gatecheck import SseDecoder
from tests.apps import _hostile_bodies as bodies
from tests.apps.hostile import MODES, HostileServer, Options, gzip_bomb, serve

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-hostile-canary-0123456789abcdef"
ADMIN = "gk-admin-canary-feedc0de1234"
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def raw_exchange(url: str, request: bytes, *, limit: int = 1 << 20, wait: float = 5.0) -> bytes:
    """Send raw bytes; read until the server closes, `limit` bytes, or `wait` seconds."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    out = bytearray()
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        deadline = time.monotonic() + wait
        while len(out) < limit and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            out += chunk
    return bytes(out)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n".encode()


def test_every_mode_is_known_and_loopback_only():
    assert {"huge-body", "gzip-bomb", "echo-credentials", "stall", "huge-headers"} <= set(MODES)
    with pytest.raises(ValueError, match="loopback"):
        HostileServer("ok", host="0.0.0.0")
    with pytest.raises(ValueError, match="unknown mode"):
        HostileServer("friendly")


def test_ok_mode_is_a_minimal_gateway():
    with serve("ok", max_seconds=10) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/v1/models").json()["data"][0]["id"] == "hostile-model"
        reply = client.post("/v1/chat/completions", json=CHAT).json()
        assert reply["choices"][0]["message"]["content"] == "hello"
        stream = client.post("/v1/messages", json={**CHAT, "stream": True})
        assert stream.headers["content-type"] == "text/event-stream"
        assert b"event: message_stop" in stream.content
    assert server.requests == 4


def test_echo_credentials_in_bodies_headers_and_events():
    headers = {"authorization": f"Bearer {KEY}", "x-api-key": ADMIN}
    with serve("echo-credentials", max_seconds=10) as server, \
            httpx.Client(base_url=server.url, headers=headers) as client:
        plain = client.post("/v1/chat/completions", json=CHAT)
        stream = client.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert plain.status_code == 401
    assert KEY in plain.text
    assert ADMIN in plain.text
    assert plain.headers["x-echo-authorization"] == f"Bearer {KEY}"
    assert plain.headers["x-echo-x-api-key"] == ADMIN
    events = SseDecoder().feed(stream.content)
    assert any(KEY in e.data for e in events)
    assert any(e.event == "error" and ADMIN in e.data for e in events)


def test_huge_body_is_announced_and_generated_lazily():
    with serve("huge-body", max_seconds=10) as server:
        head = raw_exchange(server.url, get("/v1/models"), limit=1 << 20)
    assert b"content-length: 2147483648\r\n" in head
    assert b'"content":"aaaa' in head  # streaming out, not built in memory first
    with serve("huge-body", max_seconds=10, size=300_000) as server, httpx.Client() as client:
        body = client.get(server.url + "/v1/x").content
    assert len(body) == 300_000
    assert json.loads(body)["choices"][0]["message"]["content"].startswith("aaa")


def test_gzip_bomb_is_valid_gzip_of_the_announced_size():
    wire, _ = gzip_bomb(1 << 30)
    assert wire < (1 << 20) + 65536  # ~1 MiB on the wire for 1 GiB of spaces
    with serve("gzip-bomb", max_seconds=10, bomb_size=32 << 20) as server:
        raw = raw_exchange(server.url, get("/v1/models"), limit=1 << 20)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"content-encoding: gzip" in head
    assert f"content-length: {len(body)}".encode() in head
    inflated = zlib.decompress(body, zlib.MAX_WBITS | 16)  # checks the CRC and size trailer
    assert len(inflated) == 32 << 20
    assert inflated.strip() == b""


def test_redirects_off_origin_and_in_a_loop():
    with serve("redirect-off-origin", max_seconds=10) as server, httpx.Client() as client:
        response = client.post(server.url + "/v1/chat/completions?x=1", json=CHAT)
        assert response.status_code == 307
        assert response.headers["location"] == server.off_origin.url + "/v1/chat/completions?x=1"
        assert server.off_origin.requests == 0
    with serve("redirect-loop", max_seconds=10) as server, httpx.Client() as client:
        first = client.get(server.url + "/v1/models").headers["location"]
        second = client.get(server.url + first).headers["location"]
    assert first != second
    assert first.startswith("/v1/models?hop=")


@pytest.mark.parametrize("mode", ["stall", "health-hang"])
def test_stall_sends_nothing_and_ends_at_max_seconds(mode):
    path = "/health" if mode == "health-hang" else "/v1/models"
    with serve(mode, max_seconds=1.0) as server:
        start = time.monotonic()
        out = raw_exchange(server.url, get(path), wait=5)
    assert out == b""
    assert time.monotonic() - start < 4  # the server dropped it, the read did not time out


def test_drip_sends_one_byte_at_a_time():
    with serve("drip", max_seconds=1.0, interval=0.2) as server:
        out = raw_exchange(server.url, get("/v1/models"), wait=5)
    assert b"HTTP/1.1 200".startswith(out)
    assert 3 <= len(out) <= 8  # about one byte per 0.2 s until the server's 1 s limit


def test_endless_sse_is_bounded_in_time():
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
    with serve("endless-sse", max_seconds=1.0, interval=0.2) as server:
        out = raw_exchange(server.url, request, limit=50 << 20, wait=5)
    assert out.count(b"chat.completion.chunk") > 10
    assert b"0\r\n\r\n" not in out  # never finished: cut by the server's time limit


def test_health_modes():
    with serve("health-huge", max_seconds=10, size=200_000) as server, httpx.Client() as c:
        assert len(c.get(server.url + "/health").content) == 200_000
        assert c.get(server.url + "/v1/models").status_code == 200
    with serve("health-malformed", max_seconds=10) as server:
        assert raw_exchange(server.url, get("/health")) == bodies.MALFORMED


def test_escapes_and_script_in_error_bodies_and_events():
    with serve("escapes", max_seconds=10) as server, httpx.Client(base_url=server.url) as c:
        error = c.post("/v1/chat/completions", json=CHAT)
        stream = c.post("/v1/messages", json={**CHAT, "stream": True})
    assert error.status_code == 400
    for raw in (b"\x1b[2J", b"\x1b]0;", b"\x07", b"\xc2\x9b", b"\x08", b"\r", b"<script>"):
        assert raw in error.content
    assert b"overall PASS" in error.content
    assert b"\\u001b[2J" in stream.content  # JSON-escaped inside events: raw once parsed


def test_html_for_every_route():
    with serve("html", max_seconds=10) as server, httpx.Client(base_url=server.url) as c:
        for path in ("/health", "/v1/models"):
            response = c.get(path)
            assert response.headers["content-type"].startswith("text/html")
            assert response.text.startswith("<!doctype html>")


def test_unparseable_sse_yields_no_event():
    with serve("unparseable-sse", max_seconds=10) as server, httpx.Client() as c:
        response = c.post(server.url + "/v1/chat/completions", json={**CHAT, "stream": True})
    assert response.headers["content-type"] == "text/event-stream"
    decoder = SseDecoder()
    assert decoder.feed(response.content) == []
    assert decoder.close() == []


def test_huge_headers_are_written_in_full():
    with serve("huge-headers", max_seconds=10, header_bytes=1 << 20) as server:
        out = raw_exchange(server.url, get("/v1/models"), limit=4 << 20)
    head = out.split(b"\r\n\r\n", 1)[0]
    assert len(head) > 1 << 20
    assert Options().header_bytes == 64 << 20  # the default is 64 MiB


def test_not_found_first():
    with serve("not-found-first", max_seconds=10, not_found=2) as server, \
            httpx.Client(base_url=server.url) as c:
        statuses = [c.get("/v1/models").status_code for _ in range(3)]
    assert statuses == [404, 404, 200]


def test_command_line_prints_its_url_and_a_summary():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.apps.hostile", "--mode", "redirect-off-origin",
         "--port", "0", "--max-seconds", "5"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url, off = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert off.startswith("http://127.0.0.1:")
        assert off != url
        with httpx.Client() as client:
            assert client.get(url + "/v1/models").status_code == 307
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert json.loads(out.strip().splitlines()[-1]) == {"requests": 1, "off_origin_requests": 0}
