"""The client core against the hostile gateway: every bound holds, sync and async.

Bounds are asserted by the error they raise (a cap error long before a 2 GiB body or a
1 GiB gzip expansion could be held), never by timings or memory readings.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib

import httpcore
import httpx
import pytest

from gatecheck import (
    AsyncGatewayClient,
    ClientTimeoutError,
    GatewayClient,
    OffOriginError,
    Redactor,
    ResponseTooLargeError,
    StreamError,
    Timeouts,
    exchange_of,
)
from gatecheck._bounds import BodyMeter, Caps, DeadlineBackend, accept_encoding, release_frames
from gatecheck._transport import BoundedTransport
from tests.apps.hostile import gzip_bomb, serve

CAP = 1 << 20
STEP = 1 << 20  # BodyMeter's decoding step: the most it can overshoot the cap by


def client(url: str, **kwargs) -> GatewayClient:
    kwargs.setdefault("redactor", Redactor())
    kwargs.setdefault("max_response_bytes", CAP)
    return GatewayClient(url, **kwargs)


def async_client(url: str, **kwargs) -> AsyncGatewayClient:
    kwargs.setdefault("redactor", Redactor())
    kwargs.setdefault("max_response_bytes", CAP)
    return AsyncGatewayClient(url, **kwargs)


# -- the body meter -------------------------------------------------------------------------

def feed_all(meter: BodyMeter, data: bytes, size: int = 65536) -> None:
    for i in range(0, len(data), size):
        meter.feed(data[i:i + size])


def test_meter_stops_a_gzip_bomb_at_the_cap():
    _, blocks = gzip_bomb(1 << 30)
    meter = BodyMeter("gzip", CAP, "GET /x")
    with pytest.raises(ResponseTooLargeError, match="decoded") as info:
        feed_all(meter, b"".join(blocks()))
    assert meter.decoded <= CAP + STEP  # never inflated more than one step past the cap
    assert meter.raw <= 64 << 10  # the first 64 KiB read of the ~1 MiB bomb was enough
    assert info.value.how == "decoded"


@pytest.mark.parametrize(("encoding", "encode"), [
    ("deflate", lambda b: zlib.compress(b)),
    ("deflate", lambda b: zlib.compress(b, wbits=-15)),  # raw deflate, as many servers send
    ("br", lambda b: pytest.importorskip("brotli").compress(b)),
    ("gzip, br", lambda b: pytest.importorskip("brotli").compress(gzip.compress(b))),
])
def test_meter_counts_decoded_bytes_of_every_coding(encoding, encode):
    body = b"x" * (CAP * 3)
    meter = BodyMeter(encoding, CAP, "GET /x")
    with pytest.raises(ResponseTooLargeError):
        feed_all(meter, encode(body))
    small = BodyMeter(encoding, CAP, "GET /x")
    feed_all(small, encode(b"y" * 1000))
    assert small.decoded == 1000


def test_meter_counts_raw_bytes_of_unknown_codings_and_refuses_zstd():
    meter = BodyMeter("identity, x-custom", 10, "GET /x")
    meter.feed(b"0123456789")
    with pytest.raises(ResponseTooLargeError, match="read"):
        meter.feed(b"!")
    with pytest.raises(StreamError, match="zstd"):
        BodyMeter("zstd", CAP, "GET /x")
    assert "zstd" not in accept_encoding()


# -- gatecheck's client against the hostile gateway ----------------------------------------

@pytest.mark.parametrize(("mode", "options", "how"), [
    ("huge-body", {}, "announced by Content-Length"),
    ("huge-body", {"content_length": False}, "read"),  # 2 GiB until the server closes
    ("gzip-bomb", {}, "decoded"),  # ~1 MiB on the wire, 1 GiB decoded
])
def test_huge_and_bomb_bodies_stop_at_the_cap(mode, options, how):
    cap = 2 * CAP  # above the bomb's wire size: only its decoded size passes the cap
    with serve(mode, max_seconds=20, **options) as server, \
            client(server.url, max_response_bytes=cap) as gateway, \
            pytest.raises(ResponseTooLargeError, match=f"max_response_bytes={cap}") as info:
        gateway.post("/v1/chat/completions", json={"model": "m"})
    assert info.value.how == how
    exchange = exchange_of(info.value)
    assert exchange is not None
    assert exchange.status == 200
    assert exchange.error is not None


def test_a_2_gib_stream_stops_at_the_cap_too():
    with serve("huge-body", max_seconds=20, content_length=False) as server, \
            client(server.url) as gateway, \
            pytest.raises(ResponseTooLargeError), gateway.stream(
                "POST", "/v1/chat/completions", json={"stream": True}) as response:
        response.read()


def test_async_gzip_bomb_stops_at_the_cap():
    async def main() -> None:
        async with async_client(server.url, max_response_bytes=2 * CAP) as gateway:
            await gateway.get("/v1/models")

    with serve("gzip-bomb", max_seconds=20) as server, pytest.raises(
            ResponseTooLargeError, match="decoded"):
        asyncio.run(main())


def test_huge_headers_are_refused():
    with serve("huge-headers", max_seconds=20) as server, client(server.url) as gateway, \
            pytest.raises(ResponseTooLargeError, match="headers") as info:
        gateway.get("/v1/models")
    assert exchange_of(info.value) is not None

    async def main() -> None:
        async with async_client(server.url) as agw:
            await agw.get("/v1/models")

    with serve("huge-headers", max_seconds=20) as server, pytest.raises(
            ResponseTooLargeError, match="headers"):
        asyncio.run(main())


def test_header_count_cap():
    many = [(f"x-h{i}", "v") for i in range(300)]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, headers=many))
    with GatewayClient("http://gw.test", transport=transport, redactor=Redactor()) as gateway, \
            pytest.raises(ResponseTooLargeError, match="300 headers"):
        gateway.get("/x")


def test_redirects_are_not_followed_and_never_leave_the_origin():
    with serve("redirect-off-origin", max_seconds=20) as server, client(server.url) as gateway:
        response = gateway.post("/v1/chat/completions", json={"model": "m"})
        assert response.status == 307  # the answer, for the check to judge
        with pytest.raises(OffOriginError, match="not the target's origin"):
            gateway.get(server.off_origin.url + "/v1/models")
        assert server.off_origin.requests == 0
    with serve("redirect-loop", max_seconds=20) as server, client(server.url) as gateway:
        assert gateway.get("/v1/models").status == 307
        assert server.requests == 1


@pytest.mark.parametrize("mode", ["stall", "drip", "endless-sse"])
def test_stalls_end_at_the_total_deadline(mode):
    timeouts = Timeouts(connect=1, read=5, total=0.6)
    with serve(mode, max_seconds=20, interval=0.2) as server, \
            client(server.url, timeouts=timeouts) as gateway:
        assert gateway.get("/health").status == 200  # health fine, and the connection kept
        with pytest.raises(ClientTimeoutError, match="deadline"):
            gateway.post("/v1/chat/completions", json={"stream": True})


def test_async_stall_ends_at_the_total_deadline():
    async def main() -> None:
        async with async_client(server.url, timeouts=Timeouts(read=5, total=0.6)) as gateway:
            await gateway.get("/v1/models")

    with serve("drip", max_seconds=20, interval=0.2) as server, pytest.raises(
            ClientTimeoutError, match="deadline"):
        asyncio.run(main())


def test_the_transport_caps_every_socket_operation():
    transport = BoundedTransport(origin="http://127.0.0.1:1")
    pool = transport._inner._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, DeadlineBackend)
    assert Caps().max_headers == 256
    with pytest.raises(ValueError, match="positive"):
        Caps(max_body_bytes=0)
    assert httpcore.ReadTimeout  # the errors DeadlineBackend raises


def test_release_frames_frees_what_a_kept_failure_holds():
    import weakref

    class Body:  # stands for a decoded body in an SDK generator's frame
        pass

    def deep() -> None:
        body = Body()
        ref.append(weakref.ref(body))
        try:
            raise ValueError("inner")
        except ValueError as inner:
            raise ResponseTooLargeError("cap") from inner

    ref: list[weakref.ref[Body]] = []
    try:
        deep()
    except ResponseTooLargeError as exc:
        kept = exc
    assert ref[0]() is not None  # the traceback keeps the frame, and the frame the body
    release_frames(kept)
    assert ref[0]() is None
