"""The gateway client: auth, recorded and redacted exchanges, streams, and every bound.

Unit tests run on httpx.MockTransport handlers; time and size bounds run against a real
uvicorn server on loopback (tests/apps/slow_target.py), sync and async.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from gatecheck import (
    AsyncGatewayClient,
    Auth,
    ClientTimeoutError,
    ConfigError,
    Exchange,
    GatewayClient,
    Redactor,
    ResponseTooLargeError,
    SseDecodeError,
    StreamError,
    TargetUnreachableError,
    Timeouts,
    e2e,
    exchange_of,
    itl,
    ttfb,
    ttft,
)
from tests.apps import slow_target
from tests.apps.closing_gateway import closing_gateway

SECRET = "sk-live-canary-0123456789abcdef"


def echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"headers": dict(request.headers),
                                     "body": request.content.decode(),
                                     "usage": {"prompt_tokens": 4, "completion_tokens": 6}})


def mock_client(handler=echo, **kwargs) -> GatewayClient:
    kwargs.setdefault("redactor", Redactor())
    return GatewayClient("http://gw.test/v1", transport=httpx.MockTransport(handler), **kwargs)


# -- auth ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("auth", "header", "value"), [
    (Auth("bearer", SECRET), "authorization", f"Bearer {SECRET}"),
    (Auth("x-api-key", SECRET), "x-api-key", SECRET),
    (Auth("header", SECRET, header="api-key"), "api-key", SECRET),
])
def test_auth_schemes(auth, header, value):
    with mock_client(auth=auth) as client:
        sent = client.get("/x").json()["headers"]
    assert sent[header] == value


def test_no_auth_sends_no_credentials():
    with mock_client() as client:
        sent = client.get("/x").json()["headers"]
    assert not {"authorization", "x-api-key"} & set(sent)


def test_per_request_auth_override():
    with mock_client(auth=Auth("bearer", SECRET)) as client:
        assert "authorization" not in client.get("/x", auth=Auth()).json()["headers"]
        assert "authorization" not in client.get("/x", auth=None).json()["headers"]
        other = client.get("/x", auth=Auth("x-api-key", "other-key-1")).json()["headers"]
        assert other["x-api-key"] == "other-key-1"
        assert "authorization" not in other
        assert client.get("/x").json()["headers"]["authorization"] == f"Bearer {SECRET}"


def test_explicit_headers_win_over_auth():
    with mock_client(auth=Auth("bearer", SECRET)) as client:
        sent = client.get("/x", headers={"Authorization": "Bearer wrong"}).json()["headers"]
    assert sent["authorization"] == "Bearer wrong"


def test_auth_validation_and_repr(monkeypatch):
    with pytest.raises(ValueError, match="needs a secret"):
        Auth("bearer")
    with pytest.raises(ValueError, match="header name"):
        Auth("header", "s")
    with pytest.raises(ValueError, match="unknown auth scheme"):
        Auth("basic", "s")  # type: ignore[arg-type]
    assert SECRET not in repr(Auth("bearer", SECRET))
    monkeypatch.setenv("GC_TEST_KEY", SECRET)
    assert Auth.from_env("bearer", "GC_TEST_KEY") == Auth("bearer", SECRET, env="GC_TEST_KEY")
    monkeypatch.delenv("GC_TEST_KEY")
    with pytest.raises(ConfigError, match="GC_TEST_KEY"):
        Auth.from_env("bearer", "GC_TEST_KEY")


def test_timeouts_validation():
    with pytest.raises(ValueError):
        Timeouts(read=0)
    assert Timeouts(connect=9, read=9, total=2).to_httpx().read == 2


# -- exchanges -------------------------------------------------------------------------------

def test_exchange_is_recorded_and_redacted():
    def leaky(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": f"bad key {SECRET}"},
                              headers={"set-cookie": "sid=abc"})

    with mock_client(leaky, auth=Auth("bearer", SECRET)) as client:
        response = client.post("/chat/completions?api_key=q123", json={"api_key": SECRET})
    assert response.status == 401  # a status is an answer, not an error
    exchange = response.exchange
    dumped = json.dumps(exchange.to_dict())
    assert SECRET not in dumped
    assert "q123" not in dumped
    assert ("authorization", "Bearer [REDACTED]") in exchange.request_headers
    assert ("set-cookie", "[REDACTED]") in exchange.response_headers
    assert exchange.status == 401
    assert exchange.method == "POST"
    assert exchange.response_body is not None
    assert "[REDACTED]" in exchange.response_body
    assert exchange.duration_ms is not None
    assert exchange.duration_ms >= 0


def test_curl_names_the_env_var_and_reproduces_the_request():
    auth = Auth("bearer", SECRET, env="OPENAI_API_KEY")
    with mock_client(auth=auth) as client:
        curl = client.post("/chat/completions", json={"model": "m"}).exchange.curl()
    assert SECRET not in curl
    assert '-H "authorization: Bearer $OPENAI_API_KEY"' in curl
    assert "-X POST http://gw.test/v1/chat/completions" in curl
    assert """--data-raw '{"model":"m"}'""" in curl
    assert " -N" not in curl


def test_curl_says_body_cut_only_when_the_excerpt_was_cut():
    """A redacted (shorter) but whole body is not 'cut'; a body past the excerpt is."""
    with mock_client() as client:
        short = client.post("/chat/completions", json={"key": SECRET, "model": "m"}).exchange
        long = client.post("/chat/completions", json={"text": "x" * 5000}).exchange
    assert short.request_body is not None
    assert SECRET not in short.request_body
    assert len(short.request_body.encode()) < short.request_bytes  # redaction shortened it
    assert not short.request_truncated
    assert "# body cut" not in short.curl()
    assert long.request_truncated
    assert long.curl().endswith(f"# body cut to 4096 characters of {long.request_bytes} bytes")
    assert long.to_dict()["request_truncated"] is True


def test_curl_keeps_an_explicit_header_that_replaced_the_auth():
    auth = Auth("bearer", SECRET, env="OPENAI_API_KEY")
    with mock_client(auth=auth) as client:
        curl = client.get("/m", headers={"Authorization": "Bearer sk-wrong-000"}).exchange.curl()
    assert "$OPENAI_API_KEY" not in curl
    assert "-H 'authorization: Bearer [REDACTED]'" in curl


def test_curl_without_env_name_says_redacted():
    with mock_client(auth=Auth("x-api-key", SECRET)) as client:
        curl = client.get("/models").exchange.curl()
    assert "-H 'x-api-key: [REDACTED]'" in curl
    assert "-X" not in curl


def test_on_exchange_hook_sees_every_request():
    seen: list[Exchange] = []
    with mock_client(on_exchange=seen.append) as client:
        client.get("/a")
        with client.stream("GET", "/b") as response:
            response.read()
    assert [e.url for e in seen] == ["http://gw.test/v1/a", "http://gw.test/v1/b"]
    assert [e.stream for e in seen] == [False, True]


def test_on_exchange_hook_sees_failures_once():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    seen: list[Exchange] = []
    with mock_client(refuse, on_exchange=seen.append) as client, pytest.raises(
            TargetUnreachableError):
        client.get("/a")
    too_big = sse_handler(b"x" * 100)
    with mock_client(too_big, on_exchange=seen.append, max_response_bytes=10) as client, \
            pytest.raises(ResponseTooLargeError):
        client.get("/b")
    assert [(e.url.rsplit("/", 1)[1], e.error is not None) for e in seen] == [
        ("a", True), ("b", True)]


def test_response_stamps_and_usage():
    with mock_client(surface="openai") as client:
        response = client.post("/chat/completions", json={})
    s = response.stamps
    assert s.headers_ns is not None
    assert s.end_ns is not None
    assert s.send_ns <= s.headers_ns <= s.end_ns
    assert response.usage is not None
    assert response.usage.output_tokens == 6
    assert s.output_tokens == 6
    assert ttfb(s) is not None
    assert e2e(s) is not None
    assert ttft(s) is None  # a plain body has no content events


def test_anthropic_usage_from_body():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"usage": {"input_tokens": 2, "output_tokens": 9}})

    with mock_client(handler) as client:
        response = client.post("/messages", json={}, surface="anthropic")
    assert response.usage is not None
    assert response.usage.output_tokens == 9


# -- streams (MockTransport) -------------------------------------------------------------------

def sse_handler(*pieces: bytes, status: int = 200):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": "text/event-stream"},
                              content=iter(pieces))
    return handler


def test_stream_events_feed_the_meter():
    handler = sse_handler(*slow_target.SSE_PIECES)
    with mock_client(handler) as client, client.stream(
            "POST", "/chat/completions", json={"stream": True}, surface="openai") as response:
        events = list(response.events())
        assert response.status == 200
        assert response.meter is not None
        assert response.meter.content_events == 2
        assert response.meter.usage.output_tokens == 2
        assert response.stamps.end_ns is not None
        assert response.raw == b"".join(slow_target.SSE_PIECES)
    assert [e.data for e in events][-1] == "[DONE]"
    assert json.loads(events[1].data)["choices"][0]["delta"]["content"] == "hé"
    assert response.exchange.stream
    assert " -N " in response.exchange.curl()


def test_stream_read_for_error_bodies():
    handler = sse_handler(b'{"error": ', b'{"type": "overloaded"}}', status=529)
    with mock_client(handler) as client, client.stream("POST", "/messages", json={}) as response:
        assert response.status == 529
        assert json.loads(response.read()) == {"error": {"type": "overloaded"}}


def test_stream_invalid_utf8_raises_with_exchange():
    with mock_client(sse_handler(b"data: \xff\n\n")) as client, pytest.raises(
            SseDecodeError) as info, client.stream("GET", "/s") as response:
        list(response.events())
    exchange = exchange_of(info.value)
    assert exchange is not None
    assert exchange.error is not None


def test_stream_size_cap():
    handler = sse_handler(*[b"data: " + b"x" * 1000 + b"\n\n"] * 20)
    with mock_client(handler, max_response_bytes=5000) as client, pytest.raises(
            ResponseTooLargeError) as info, client.stream("GET", "/s") as response:
        list(response.events())
    assert "max_response_bytes=5000" in str(info.value)
    assert exchange_of(info.value) is not None


# -- transport failures (MockTransport) --------------------------------------------------------

@pytest.mark.parametrize(("exc", "expected"), [
    (httpx.ConnectError("refused"), TargetUnreachableError),
    (httpx.ConnectTimeout("slow"), ClientTimeoutError),
    (httpx.ReadTimeout("slow"), ClientTimeoutError),
    (httpx.RemoteProtocolError("reset"), TargetUnreachableError),
    (httpx.DecodingError("bad gzip"), StreamError),
])
def test_transport_errors_are_mapped(exc, expected):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with mock_client(handler, auth=Auth("bearer", SECRET)) as client, pytest.raises(
            expected) as info:
        client.get("/x")
    exchange = exchange_of(info.value)
    assert exchange is not None
    assert exchange.status is None
    assert exchange.error == str(info.value)
    assert SECRET not in json.dumps(exchange.to_dict())


# -- a real server on loopback -----------------------------------------------------------------

class Served:
    """slow_target served by uvicorn in a daemon thread on a free loopback port."""

    def __init__(self) -> None:
        # IPPROTO_TCP so asyncio sets TCP_NODELAY (small writes leave at once, no Nagle stall).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(slow_target.app, loop="asyncio", http="h11", lifespan="off",
                                access_log=False, log_level="critical",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start in 10 s"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with Served() as served:
        yield served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_for(url: str, **timeouts: float) -> GatewayClient:
    return GatewayClient(url, timeouts=Timeouts(**timeouts), redactor=Redactor())


def test_connection_refused_is_unreachable_and_fast():
    start = time.monotonic()
    with client_for(f"http://127.0.0.1:{free_port()}", connect=10, total=20) as client, \
            pytest.raises(TargetUnreachableError, match="cannot connect") as info:
        client.get("/v1/models")
    assert time.monotonic() - start < 5  # refused at once, not after the 10 s connect timeout
    assert exchange_of(info.value) is not None


def test_real_request_roundtrip(server):
    with client_for(server.url) as client:
        response = client.post("/json", json={"a": 1}, headers={"x-trace": "t1"})
    assert response.status == 200
    assert response.json()["body"] == '{"a":1}'
    assert response.json()["headers"]["x-trace"] == "t1"


def test_headers_then_silence_hits_the_read_timeout(server):
    start = time.monotonic()
    with client_for(server.url, read=0.3, total=10) as client, pytest.raises(
            ClientTimeoutError, match="read timeout"):
        client.get("/silence")
    assert time.monotonic() - start < 5


def test_slow_drip_past_total_deadline(server):
    start = time.monotonic()
    with client_for(server.url, read=5, total=0.5) as client, pytest.raises(
            ClientTimeoutError) as info:
        client.get("/drip?n=100&every=0.05")
    assert time.monotonic() - start < 4  # not the 5 s the drip would take
    exchange = exchange_of(info.value)
    assert exchange is not None
    assert exchange.status == 200
    assert exchange.response_bytes > 0


def test_total_deadline_interrupts_a_blocked_read(server):
    # The read timeout alone would wait 5 s; the deadline caps the read at ~0.4 s.
    start = time.monotonic()
    with client_for(server.url, read=5, total=0.4) as client, pytest.raises(
            ClientTimeoutError, match=r"deadline|read timeout"), client.stream(
            "GET", "/silence?s=5") as response:
        list(response.events())
    assert time.monotonic() - start < 3


def test_total_deadline_bounds_the_wait_for_headers(server):
    with client_for(server.url, read=5, total=0.4) as client:
        client.get("/json")  # a pooled connection, so the next request reuses it
        start = time.monotonic()
        with pytest.raises(ClientTimeoutError, match=r"deadline.*before the response headers"):
            client.get("/late?s=3")
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize("content_length", ["1", "0"])
def test_oversized_body(server, content_length):
    with GatewayClient(server.url, max_response_bytes=300_000, redactor=Redactor()) as client, \
            pytest.raises(ResponseTooLargeError, match="max_response_bytes=300000") as info:
        client.get(f"/big?size=1000000&cl={content_length}")
    exchange = exchange_of(info.value)
    assert exchange is not None
    assert exchange.status == 200
    assert exchange.response_bytes <= 300_000 + 65_536 * 2


def test_events_split_across_tcp_writes(server):
    with client_for(server.url) as client, client.stream(
            "GET", "/sse-split", surface="openai") as response:
        events = list(response.events())
    assert [e.data for e in events][-1] == "[DONE]"
    assert len(events) == 5
    assert response.meter is not None
    assert response.meter.content_events == 2
    assert response.meter.usage.output_tokens == 2
    stamps = [e.t_ns for e in events]
    assert stamps == sorted(stamps)
    s = response.stamps
    assert s.headers_ns is not None
    assert s.end_ns is not None
    assert s.send_ns <= s.headers_ns <= s.content_ns[0] <= s.end_ns
    assert itl(s) is not None


# -- the async twin, against the same server --------------------------------------------------

def run(coro):
    return asyncio.run(coro)


def async_client(url: str, **timeouts: float) -> AsyncGatewayClient:
    return AsyncGatewayClient(url, timeouts=Timeouts(**timeouts), redactor=Redactor())


def test_async_connection_refused():
    async def main() -> None:
        async with async_client(f"http://127.0.0.1:{free_port()}", connect=10) as client:
            await client.get("/v1/models")

    with pytest.raises(TargetUnreachableError):
        run(main())


def test_async_roundtrip_and_auth(server):
    async def main() -> dict:
        async with AsyncGatewayClient(server.url, Auth("x-api-key", SECRET),
                                      redactor=Redactor()) as client:
            response = await client.post("/json", json={"b": 2})
            assert SECRET not in json.dumps(response.exchange.to_dict())
            return response.json()

    payload = run(main())
    assert payload["headers"]["x-api-key"] == SECRET
    assert payload["body"] == '{"b":2}'


def test_async_read_timeout(server):
    async def main() -> None:
        async with async_client(server.url, read=0.3, total=10) as client:
            await client.get("/silence")

    with pytest.raises(ClientTimeoutError, match="read timeout"):
        run(main())


def test_async_total_deadline(server):
    async def main() -> None:
        async with async_client(server.url, read=5, total=0.4) as client, client.stream(
                "GET", "/silence?s=5") as response:
            async for _ in response.events():
                pass

    start = time.monotonic()
    with pytest.raises(ClientTimeoutError, match="deadline"):
        run(main())
    assert time.monotonic() - start < 3


def test_async_total_deadline_before_headers(server):
    async def main() -> None:
        async with async_client(server.url, read=5, total=0.4) as client:
            await client.get("/late?s=3")

    with pytest.raises(ClientTimeoutError, match=r"deadline.*before the response headers"):
        run(main())


def test_async_slow_drip(server):
    async def main() -> None:
        async with async_client(server.url, read=5, total=0.5) as client:
            await client.get("/drip?n=100&every=0.05")

    with pytest.raises(ClientTimeoutError, match="deadline"):
        run(main())


def test_async_oversized_body(server):
    async def main() -> None:
        async with AsyncGatewayClient(server.url, max_response_bytes=300_000,
                                      redactor=Redactor()) as client:
            await client.get("/big?size=1000000&cl=0")

    with pytest.raises(ResponseTooLargeError):
        run(main())


def test_async_events_split_across_tcp_writes(server):
    async def main():
        async with async_client(server.url) as client, client.stream(
                "GET", "/sse-split", surface="openai") as response:
            events = [event async for event in response.events()]
        return events, response

    events, response = run(main())
    assert len(events) == 5
    assert response.meter.content_events == 2
    assert response.stamps.end_ns is not None


# -- leaving early ----------------------------------------------------------------------------

def test_leaving_a_stream_early_closes_it_cleanly(server):
    with client_for(server.url) as client:
        with client.stream("GET", "/sse-split", surface="openai") as response:
            for _ in response.events():
                break
        assert response.stamps.end_ns is None  # not read to its end: no e2e
        assert client.get("/json").status == 200  # the client is still usable

    async def main() -> None:
        async with async_client(server.url) as client:
            async with client.stream("GET", "/sse-split") as response:
                async for _ in response.events():
                    break
            assert (await client.get("/json")).status == 200

    run(main())


def test_a_fresh_client_sends_on_a_new_connection_where_a_kept_alive_one_was_closed():
    # The server closes each connection at its second request, unanswered: on the reused
    # connection the request is lost; a fresh client (its own pool) gets the answer.
    with closing_gateway() as url, GatewayClient(url) as client:
        assert client.request("POST", "/v1/chat/completions", json={}).status == 400
        with pytest.raises(TargetUnreachableError) as lost:
            client.request("POST", "/v1/chat/completions", json={})
        assert lost.value.exchange.response_bytes == 0
        with client.fresh() as again:
            assert again.request("POST", "/v1/chat/completions", json={}).status == 400
            assert again.headers == client.headers
