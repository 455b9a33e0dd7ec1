"""What the gateway client hands back: a finished Response, or an open (async) stream.

All three are views on the exchange's StreamState (gatecheck._client_base): status, headers,
stamps and the lazily built, redacted Exchange come from there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson

from gatecheck._client_base import StreamState, read_all, read_all_async
from gatecheck._exchange import Exchange
from gatecheck._sse import SseEvent
from gatecheck._timing import Stamps, StreamMeter, Usage

__all__ = ["AsyncStreamResponse", "Response", "StreamResponse"]


class Response:
    """A finished, non-streamed exchange."""

    __slots__ = ("_state", "content", "headers", "stamps", "status", "usage")

    def __init__(self, state: StreamState, content: bytes) -> None:
        self._state = state
        self.status: int = state.status or 0
        self.headers: httpx.Headers = state.response_headers
        self.content = content
        self.stamps: Stamps = state.stamps
        self.usage: Usage | None = state.usage_of(content)

    @property
    def exchange(self) -> Exchange:
        """The redacted record of this request (built on first use)."""
        return self._state.exchange()

    @property
    def text(self) -> str:
        """The body as text (UTF-8; undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return orjson.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response [{self.status}] {len(self.content)} bytes>"


class _StreamBase:
    __slots__ = ("_state",)

    def __init__(self, state: StreamState) -> None:
        self._state = state

    @property
    def status(self) -> int:
        return self._state.status or 0

    @property
    def headers(self) -> httpx.Headers:
        return self._state.response_headers

    @property
    def meter(self) -> StreamMeter | None:
        return self._state.meter

    @property
    def stamps(self) -> Stamps:
        return self._state.stamps

    @property
    def raw(self) -> bytes:
        """The bytes read so far (a capped copy, for evidence)."""
        return bytes(self._state.raw)

    @property
    def exchange(self) -> Exchange:
        """The record so far; complete once the stream is read or closed."""
        return self._state.exchange()

    @property
    def decoder_truncated(self) -> bool:
        """Whether the stream ended in the middle of an event (it was dropped)."""
        return self._state.decoder.truncated


class StreamResponse(_StreamBase):
    """An open streamed exchange, from ``GatewayClient.stream``."""

    __slots__ = ("_chunks",)

    def __init__(self, state: StreamState, chunks: Iterator[bytes]) -> None:
        super().__init__(state)
        self._chunks = chunks

    def events(self) -> Iterator[SseEvent]:
        """The body's events as they arrive (each stamped; fed to the meter if any)."""
        state = self._state
        if state.ended:
            return
        for chunk in self._chunks:
            yield from state.on_chunk(chunk)
        state.on_end()

    def read(self) -> bytes:
        """The rest of the body (capped), for non-SSE and error bodies."""
        return read_all(self._state, self._chunks)


class AsyncStreamResponse(_StreamBase):
    """An open streamed exchange, from ``AsyncGatewayClient.stream``."""

    __slots__ = ("_chunks",)

    def __init__(self, state: StreamState, chunks: AsyncIterator[bytes]) -> None:
        super().__init__(state)
        self._chunks = chunks

    async def events(self) -> AsyncIterator[SseEvent]:
        """The body's events as they arrive (each stamped; fed to the meter if any)."""
        state = self._state
        if state.ended:
            return
        async for chunk in self._chunks:
            for event in state.on_chunk(chunk):
                yield event
        state.on_end()

    async def read(self) -> bytes:
        """The rest of the body (capped), for non-SSE and error bodies."""
        return await read_all_async(self._state, self._chunks)
