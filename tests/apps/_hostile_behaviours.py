"""What each route of the hostile gateway (tests/apps/hostile.py) does: one coroutine per
behaviour, writing raw bytes to the connection. Each returns whether the connection stays
open for another request. Bodies come from tests/apps/_hostile_bodies.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.apps import _hostile_bodies as bodies
from tests.apps._hostile_bodies import gzip_bomb

if TYPE_CHECKING:
    from tests.apps.hostile import HostileServer

_BLOCK = 256 << 10  # body writes


@dataclass
class Request:
    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def wants_stream(self) -> bool:
        try:
            payload = json.loads(self.body or b"{}")
        except ValueError:
            return False
        return isinstance(payload, dict) and payload.get("stream") is True

    @property
    def anthropic(self) -> bool:
        return self.path.rstrip("/").endswith(("/messages", "/complete"))


@dataclass
class Options:
    size: int = 2 << 30  # huge-body bytes; gzip-bomb expands to min(size, 1 GiB)
    bomb_size: int = 1 << 30
    header_bytes: int = 64 << 20
    interval: float = 1.0  # drip: seconds per byte; endless-sse: per event (/20)
    content_length: bool = True  # huge-body: announce the size (else: read until close)
    not_found: int = 1_000_000  # not-found-first: how many requests answer 404
    max_seconds: float = 600.0
    off_origin_url: str = ""


Handler = Callable[["HostileServer", Request, asyncio.StreamReader, asyncio.StreamWriter],
                   Awaitable[bool]]


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write and wait for the buffer to drain; a client that left ends the connection."""
    if writer.is_closing():
        raise ConnectionResetError("client gone")
    writer.write(data)
    await writer.drain()


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {bodies.REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(writer: asyncio.StreamWriter, status: int, body: bytes,
                content_type: str = "application/json",
                extra: list[tuple[str, str]] | None = None) -> bool:
    headers = [("content-type", content_type), ("content-length", str(len(body))), *(extra or [])]
    await _write(writer, _head(status, headers) + body)
    return True


async def _send_stream(writer: asyncio.StreamWriter, events: AsyncIterator[bytes],
                       extra: list[tuple[str, str]] | None = None) -> bool:
    """A chunked text/event-stream; the connection stays usable afterwards."""
    await _write(writer, _head(200, [("content-type", "text/event-stream"),
                                     ("transfer-encoding", "chunked"), *(extra or [])]))
    async for event in events:
        await _write(writer, b"%x\r\n%s\r\n" % (len(event), event))
    await _write(writer, b"0\r\n\r\n")
    return True


async def _iterate(items: list[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def _ok(server: HostileServer, request: Request, _r: asyncio.StreamReader,
              writer: asyncio.StreamWriter) -> bool:
    status, body, stream = bodies.ok_answer(request.method, request.path, request.anthropic,
                                            request.wants_stream)
    if stream is not None:
        return await _send_stream(writer, _iterate(stream))
    return await _send(writer, status, body)


async def _echo(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    # Every request header back: in response headers, in error bodies, inside SSE events.
    dump = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
    extra = [(f"x-echo-{name}", value) for name, value in request.headers.items()
             if name not in ("content-length", "transfer-encoding", "connection", "host")]
    if request.path.startswith("/health"):  # health answers, with the echo in its headers
        return await _send(writer, 200, b'{"status":"ok"}', extra=extra)
    if request.wants_stream:
        return await _send_stream(writer, _iterate(bodies.echo_events(dump, request.anthropic)),
                                  extra=extra)
    return await _send(writer, 401, bodies.error_json(f"invalid credentials: you sent {dump}"),
                       extra=extra)


async def _huge_body(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    size = server.options.size
    framing = ("content-length", str(size)) if server.options.content_length \
        else ("connection", "close")
    await _write(writer, _head(200, [("content-type", "application/json"), framing]))
    for block in bodies.huge_json(size, _BLOCK):
        await _write(writer, block)
    return server.options.content_length


async def _gzip_bomb(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    length, blocks = gzip_bomb(server.options.bomb_size)
    await _write(writer, _head(200, [("content-type", "application/json"),
                                     ("content-encoding", "gzip"),
                                     ("content-length", str(length))]))
    for block in blocks():
        await _write(writer, block)
    return True


async def _redirect_off(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
    target = server.options.off_origin_url or "http://127.0.0.1:9"
    return await _send(writer, 307, b"", extra=[("location", target + request.target)])


async def _redirect_loop(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> bool:
    # A different URL every hop (a growing query), so only a hop limit stops a follower.
    hop = server.requests
    return await _send(writer, 307, b"", extra=[("location", f"{request.path}?hop={hop}")])


async def _no_headers(server: HostileServer, request: Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:
    # Say nothing until the client leaves (EOF) or max_seconds ends the connection.
    while await reader.read(4096):
        pass
    return False


async def _drip(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    body = bodies.error_json("slow")
    whole = _head(200, [("content-type", "application/json"),
                        ("content-length", str(len(body)))]) + body
    for i in range(len(whole)):
        await _write(writer, whole[i:i + 1])
        await asyncio.sleep(server.options.interval)
    return True


async def _endless_sse(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> bool:
    async def events() -> AsyncIterator[bytes]:
        event = bodies.content_event("a", request.anthropic)
        while True:  # bounded by max_seconds (the connection's timeout)
            yield event
            await asyncio.sleep(server.options.interval / 20)

    return await _send_stream(writer, events())


async def _malformed(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
    await _write(writer, bodies.MALFORMED)
    return False


async def _escapes(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> bool:
    if request.wants_stream:
        return await _send_stream(writer, _iterate(bodies.escape_events(request.anthropic)))
    return await _send(writer, 400, bodies.ESCAPES_BODY)


async def _html(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> bool:
    return await _send(writer, 200, bodies.HTML, content_type="text/html; charset=utf-8")


async def _unparseable_sse(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> bool:
    return await _send_stream(writer, _iterate(bodies.UNPARSEABLE_SSE))


async def _huge_headers(server: HostileServer, request: Request, _r: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
    await _write(writer, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    line = b"x-pad-%08d: " + b"a" * 1000 + b"\r\n"
    lines = server.options.header_bytes // len(line % 0)
    for first in range(0, lines, 64):  # 64 header lines (~64 KiB) per write
        await _write(writer, b"".join(line % i for i in range(first, min(first + 64, lines))))
    body = bodies.error_json("headers done")
    await _write(writer, b"content-length: %d\r\n\r\n%s" % (len(body), body))
    return True


async def _not_found_first(server: HostileServer, request: Request, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> bool:
    if server.requests <= server.options.not_found:
        return await _send(writer, 404, bodies.error_json(f"no route {request.path}"))
    return await _ok(server, request, reader, writer)


BEHAVIOURS: dict[str, Handler] = {
    "ok": _ok, "echo": _echo, "huge-body": _huge_body, "gzip-bomb": _gzip_bomb,
    "redirect-off": _redirect_off, "redirect-loop": _redirect_loop, "no-headers": _no_headers,
    "drip": _drip, "endless-sse": _endless_sse, "malformed": _malformed, "escapes": _escapes,
    "html": _html, "unparseable-sse": _unparseable_sse, "huge-headers": _huge_headers,
    "not-found-first": _not_found_first,
}


