"""Sending an answer over ASGI: the normal paths, the latency model, and every fault.

An abort ("reset", the end of "silence") returns from the ASGI callable with the response
unfinished: uvicorn then closes the connection mid-body (it logs one line saying so), which
is what a client sees when an upstream dies. ASGI gives no handle to send a TCP RST.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from gatecheck.mock._directives import Directive
from gatecheck.mock._errors import context_length_error, context_window
from gatecheck.mock._plan import Plan, Surface
from gatecheck.mock._timings import Stopwatch

__all__ = ["JSON", "SSE", "Conn", "deliver"]

Message = dict[str, Any]
JSON = [(b"content-type", b"application/json")]
SSE = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
_BLOCK = b"x" * (1 << 20)
_SHORT_SLEEP = 0.25  # seconds; longer waits end early when the client goes
_AFTER = 2  # events sent before reset / malformed / bad-utf8 / error-event, unless after=N


class Conn:
    """One exchange's ``send`` plus a lazily started watch for the client going away.

    ``stopwatch`` (a load run's marked request) is stamped as each write returns. ``extra``
    headers go out with every answer of the exchange (the request-id header a real provider
    sends on successes, errors and streams alike).
    """

    __slots__ = ("_gone", "_watch", "arrived", "extra", "receive", "send", "stopwatch")

    def __init__(
        self, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]],
        extra: list[tuple[bytes, bytes]] | None = None,
    ):
        self.receive, self.send = receive, send
        self.extra = extra or []
        self._gone: asyncio.Event | None = None
        self._watch: asyncio.Task[None] | None = None
        self.stopwatch: Stopwatch | None = None
        # When the request arrived (epoch s), for the request log: entries are added once the
        # answer has left, and a gateway may send its next request before that.
        self.arrived = time.time()

    async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        await self.send({"type": "http.response.start", "status": status,
                         "headers": [*headers, *self.extra]})
        if self.stopwatch is not None:
            self.stopwatch.status = status
            self.stopwatch.wrote(0)

    def drop(self) -> bool:
        """Close the connection before any response byte; False when the server cannot.

        ASGI has no message for "close without answering" (a server answers 500 for an app
        that returns without starting a response), so this reaches for uvicorn's transport:
        ``send`` is its request cycle's bound method. What the client then sees is what a
        dead upstream gives it: a connection error before any header ("server disconnected
        without sending a response"), which gateways handle on the same path as a refused
        connection.
        """
        cycle = getattr(self.send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if cycle is None or transport is None or not hasattr(cycle, "disconnected"):
            return False
        transport.abort()
        cycle.disconnected = True  # uvicorn then neither writes nor sends its own 500
        return True

    async def write(self, data: bytes, more: bool = True, content: int = 0) -> None:
        """Send body bytes holding ``content`` content events (for the stopwatch)."""
        await self.send({"type": "http.response.body", "body": data, "more_body": more})
        if self.stopwatch is not None:
            self.stopwatch.wrote(content, end=not more)

    async def respond(
        self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = JSON
    ) -> None:
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, *self.extra, (b"content-length", b"%d" % len(body))],
            }
        )
        await self.send({"type": "http.response.body", "body": body})
        if self.stopwatch is not None:
            self.stopwatch.status = status
            self.stopwatch.wrote(0, end=True)

    async def sleep(self, seconds: float) -> bool:
        """Wait; False as soon as the client disconnects (then stop sending)."""
        if seconds <= 0:
            return self._gone is None or not self._gone.is_set()
        if self._gone is None:
            self._gone = asyncio.Event()
            self._watch = asyncio.create_task(self._wait_disconnect(self._gone))
        if seconds < _SHORT_SLEEP:
            # a plain sleep: wait_for's task per call would double the cost of token delays
            await asyncio.sleep(seconds)
            return not self._gone.is_set()
        try:
            await asyncio.wait_for(self._gone.wait(), seconds)
        except TimeoutError:
            return True
        return False

    async def _wait_disconnect(self, gone: asyncio.Event) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        gone.set()

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch


async def _stream(
    conn: Conn, events: list[tuple[bytes, bool]], delays: list[float], end: bool = True
) -> bool:
    """Send events, sleeping before content events; coalesce what has no delay between.

    Content event k is due at an absolute deadline, start + delays[0] + ... + delays[k]:
    sleeping until the deadline rather than for the bare delay keeps each wake-up's
    overshoot (about 1 ms with uvloop) from adding up over a stream, so the measured itl is
    the configured one and ttft is off by one wake-up at most.
    """
    loop = asyncio.get_running_loop()
    due = loop.time()
    buf: list[bytes] = []
    k = 0
    held = 0  # content events in buf
    for data, content in events:
        if content:
            delay = delays[k] if k < len(delays) else 0.0
            k += 1
            if delay > 0:
                due += delay
                if buf:
                    await conn.write(b"".join(buf), content=held)
                    buf, held = [], 0
                if not await conn.sleep(due - loop.time()):
                    return False
            held += 1
        buf.append(data)
    if buf or end:
        await conn.write(b"".join(buf), more=not end, content=held)
    return True


async def deliver(
    conn: Conn,
    surface: Surface,
    plan: Plan,
    fault: Directive | None,
    rid: str,
    created: int,
    jitter_seed: int,
    max_hold: float,
) -> int:
    """Answer ``plan`` (with ``fault`` if any); returns the HTTP status sent."""
    name = fault.fault if fault is not None else None
    if name is not None and name.isdigit():
        status = int(name)
        headers = list(JSON)
        if status == 429:
            headers.append(
                (
                    b"retry-after",
                    b"%g" % (fault.retry_after if fault and fault.retry_after is not None else 1),
                )
            )
        await conn.respond(status, surface.error_body(status), headers)
        return status
    if name == "context-length":  # drawn from --fault (a directive's is decided in the plan)
        window = context_window(name, fault.context if fault else None, plan.input_tokens)
        await conn.respond(400, context_length_error(surface.name, plan.input_tokens, window or 0))
        return 400
    b = fault or plan.behaviour
    n_content = plan.data["n_content"]
    delays = plan.latency.delays(n_content, jitter_seed)
    if delays and max(delays) > max_hold:  # no single delay outlasts the hold bound
        delays = [min(d, max_hold) for d in delays]
    hold = min(max_hold, b.hold_ms / 1000 if b.hold_ms is not None else max_hold)
    after = b.after

    if name == "drop":
        if conn.drop():
            return 0
        # not under uvicorn: say so rather than pass an answer off as a dead upstream
        await conn.respond(500, surface.error_body(500, "mock: fault=drop needs uvicorn"))
        return 500
    if name == "hang":
        if await conn.sleep(hold):
            await conn.respond(504, surface.error_body(504))
            return 504
        return 0
    if name == "silence":
        await conn.start(200, SSE if plan.stream else JSON)
        await conn.sleep(hold)
        return 200  # returning unfinished: uvicorn closes the connection
    if name == "oversize":
        return await _oversize(
            conn, surface, plan, rid, created, b.bytes if b.bytes is not None else 16 << 20
        )

    if not plan.stream:
        if not await conn.sleep(sum(delays)):
            return 0
        body = surface.body(plan, rid, created)
        if name in ("reset", "cut"):
            # reset: promise the whole body, send half, abort; cut: chunked, half, clean end
            headers = [*JSON, (b"content-length", b"%d" % len(body))] if name == "reset" else JSON
            await conn.start(200, headers)
            await conn.write(body[: len(body) // 2], more=name == "reset")
            return 200
        if name == "malformed":
            body = b'{"id": "broken", "choices": [<html>Bad Gateway</html>'
        elif name == "bad-utf8":
            body = body.replace(b'"content":"', b'"content":"\xff\xfe', 1).replace(
                b'"text":"', b'"text":"\xff\xfe', 1
            )
        elif name == "error-event":
            body = surface.error_body(b.status or (529 if surface.name == "anthropic" else 500))
        elif name == "drip":
            return await _drip(
                conn, [(body, False)], [*JSON, (b"content-length", b"%d" % len(body))], b
            )
        await conn.respond(200, body)
        return 200

    events = surface.events(plan, rid, created)
    if name == "drip":
        return await _drip(conn, events, SSE, b)
    await conn.start(200, SSE)
    if name == "fake-stream":
        if await conn.sleep(sum(delays)):
            await conn.write(b"".join(e for e, _ in events), more=False,
                             content=sum(1 for _, c in events if c))
        return 200
    if name == "reset":
        await _stream(conn, events[: after if after is not None else _AFTER], delays, end=False)
        return 200
    if name == "cut":
        await _stream(conn, events[: after if after is not None else len(events) - 1], delays)
        return 200
    if name in ("malformed", "bad-utf8", "error-event"):
        at = after if after is not None else _AFTER
        if name == "malformed":
            extra = surface.malformed_event()
        elif name == "bad-utf8":
            extra = surface.bad_utf8_event()
        else:
            status = b.status or (529 if surface.name == "anthropic" else 500)
            extra = surface.error_event(status, plan, rid, at)
        # an error event ends the stream; a broken event is followed by the rest
        tail = [] if name == "error-event" else events[at:]
        await _stream(conn, [*events[:at], (extra, False), *tail], delays)
        return 200
    await _stream(conn, events, delays)
    return 200


async def _drip(
    conn: Conn, events: list[tuple[bytes, bool]], headers: list[tuple[bytes, bytes]], b: Directive
) -> int:
    """Trickle the whole answer ``drip_bytes`` at a time every ``drip_ms``."""
    data = b"".join(e for e, _ in events)
    step = max(1, b.drip_bytes or 4)
    pause = (b.drip_ms if b.drip_ms is not None else 10.0) / 1000
    await conn.start(200, headers)
    for i in range(0, len(data), step):
        if i and not await conn.sleep(pause):
            return 200
        await conn.write(data[i : i + step])
    await conn.write(b"", more=False)
    return 200


async def _oversize(
    conn: Conn, surface: Surface, plan: Plan, rid: str, created: int, size: int
) -> int:
    """A body (or one stream event) of about ``size`` bytes of ``x``: one token, however long."""
    if plan.stream:
        events = surface.events(plan, rid, created)
        flags = [c for _, c in events]
        first = flags.index(True) if True in flags else len(events) - 1
        last = len(flags) - 1 - flags[::-1].index(True) if True in flags else first - 1
        head, tail = surface.giant_event(plan, rid, created)
        await conn.start(200, SSE)
        await conn.write(b"".join(e for e, _ in events[:first]))
        await _fill(conn, head, tail, size)
        await conn.write(b"".join(e for e, _ in events[last + 1 :]), more=False)
        return 200
    head, tail = surface.giant_body(plan, rid, created)
    size = max(size, len(head) + len(tail))
    await conn.start(200, [*JSON, (b"content-length", b"%d" % size)])
    await _fill(conn, head, tail, size)
    await conn.write(b"", more=False)
    return 200


async def _fill(conn: Conn, head: bytes, tail: bytes, size: int) -> None:
    filler = max(0, size - len(head) - len(tail))
    await conn.write(head)
    for _ in range(filler >> 20):
        await conn.write(_BLOCK)
    await conn.write(_BLOCK[: filler & ((1 << 20) - 1)] + tail)
