"""Graceful shutdown: drain on SIGTERM, then end the streams still open with an error event.

On SIGTERM uvicorn stops accepting connections and waits for open ones; ``Drain`` (started
by ``begin_soon`` from the signal handler, see ``command``) adds what a gateway needs:

- health answers 503 ``{"status": "shutting_down"}`` at once (HEALTH-1/2: a balancer stops
  routing here), and a new model request on a kept-alive connection gets a 503 envelope;
- streams in flight may finish for ``grace`` seconds;
- after that each one still open gets one error event in its surface's format and its
  end, so a client sees why it stopped instead of a cut connection (STR-O10, STR-A7).
  The relay then sees its client "leave" and closes the upstream stream: once a response
  is complete the server answers the relay's pending ``receive`` with ``http.disconnect``
  (uvicorn and httpx's ASGITransport both wake it).

All of it is an ASGI layer around the app: it watches which responses are streams, so it
needs nothing from the relay. uvicorn's own bound (``timeout_graceful_shutdown``) must be
longer than ``grace`` (``command`` sets grace + 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from gatecheck.proxy.cors import ASGIApp, Message, Receive, Scope, Send, request_id
from gatecheck.proxy.errors import ProxyError, Surface, error_body, error_event

__all__ = ["Drain"]

_HEALTH = frozenset({"/health", "/health/live", "/health/ready"})
_SURFACE: dict[str, Surface] = {"/chat/completions": "openai", "/messages": "anthropic"}
_MESSAGE = "The gateway is shutting down; retry on another instance."


def _route(path: str) -> str:
    if path.startswith("/v1/") or path == "/v1":
        path = path[3:] or "/"
    return path.rstrip("/") or "/"


class _Stream:
    """One response in flight on a model route, as the drain layer sees it."""

    __slots__ = ("ended", "send", "streaming", "surface")

    def __init__(self, send: Send, surface: Surface) -> None:
        self.send = send
        self.surface = surface
        self.streaming = False  # its response.start said text/event-stream
        self.ended = False  # the drain layer ended it: drop the app's further sends

    async def cut(self) -> None:
        if self.ended or not self.streaming:
            return
        self.ended = True
        err = ProxyError("unavailable", _MESSAGE)
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.send({"type": "http.response.body", "body": error_event(err, self.surface),
                             "more_body": True})
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})


class Drain:
    """Shutdown state of one app; ``layer`` wraps the app, ``begin`` starts draining."""

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.draining = False
        self.streams: set[_Stream] = set()
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """Start draining (idempotent); call from the event loop's thread."""
        if self.draining:
            return
        self.draining = True
        self._task = asyncio.get_running_loop().create_task(self._cut_after_grace())

    def begin_soon(self) -> None:
        """``begin`` from a signal handler: hand it to the running loop (if any)."""
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to drain
            asyncio.get_running_loop().call_soon_threadsafe(self.begin)

    async def _cut_after_grace(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace
        while self.streams and loop.time() < deadline:
            await asyncio.sleep(min(0.05, max(deadline - loop.time(), 0)))
        for stream in list(self.streams):
            await stream.cut()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def layer(self, app: ASGIApp) -> ASGIApp:
        async def drained(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            route = _route(scope["path"])
            surface = _SURFACE.get(route)
            if self.draining and (route in _HEALTH or surface is not None):
                await _refuse(scope, send, surface, route in _HEALTH)
                return
            if surface is None:
                await app(scope, receive, send)
                return
            stream = _Stream(send, surface)

            async def send_watched(message: Message) -> None:
                if stream.ended:
                    return
                if message["type"] == "http.response.start":
                    stream.streaming = any(
                        k == b"content-type" and v.startswith(b"text/event-stream")
                        for k, v in message.get("headers", ())
                    )
                await send(message)

            self.streams.add(stream)
            try:
                await app(scope, receive, send_watched)
            finally:
                self.streams.discard(stream)

        return drained


async def _refuse(scope: Scope, send: Send, surface: Surface | None, health: bool) -> None:
    rid = request_id(scope)
    if health:
        body = orjson.dumps({"status": "shutting_down"})
    else:
        body = error_body(ProxyError("unavailable", _MESSAGE), surface or "openai", rid)
    headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
               (b"x-request-id", rid.encode()), (b"request-id", rid.encode()),
               (b"content-length", str(len(body)).encode()), (b"retry-after", b"1")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
