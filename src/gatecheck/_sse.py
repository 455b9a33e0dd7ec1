"""Incremental server-sent-events reader: raw bytes in, timed events out (WHATWG framing).

The interpretation follows the WHATWG HTML "event stream" parsing rules:

- lines end with CRLF, LF or CR; a CR that ends one chunk and an LF that starts the next are
  one line end;
- one leading UTF-8 BOM is ignored; every other byte must be valid UTF-8 (SseDecodeError);
- ``field: value`` with at most one space removed after the colon; a line without a colon is a
  field with an empty value; ``:`` lines are comments; unknown fields are ignored;
- ``data`` lines are joined with ``\\n``; a blank line dispatches the event, but only when it
  had at least one ``data`` line (a block of only ``event:``/``id:``/``retry:`` is not an event);
- ``id`` without U+0000 sets the *last event id*, which persists across events (as
  ``MessageEvent.lastEventId`` does), so ``SseEvent.id`` is the id in effect for that event;
- ``retry`` counts only when all ASCII digits; ``SseEvent.retry`` is the value set inside that
  event's block (None otherwise) and ``SseDecoder.retry_ms`` keeps the latest one;
- at end of input an unterminated event is dropped and ``SseDecoder.truncated`` says so.

Why not a library: httpx-sse and sseclient work on decoded text lines from httpx's line
iterator, do not bound memory per event, and do not stamp arrival times; this reader sits on
the reference proxy's hot path, so it works on bytes, splits with C-level bytes methods and
decodes each complete line once (a multi-byte character can never straddle a line end, so
characters split across reads are simply kept in the pending tail until their line ends).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from gatecheck._exceptions import SseDecodeError, SseLimitError, StreamError

__all__ = ["SseDecoder", "SseEvent"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event, stamped with the clock reading of the read that completed it."""

    event: str | None
    data: str
    id: str | None
    retry: int | None
    t_ns: int

    @property
    def type(self) -> str:
        """The event type: the ``event`` field, or ``"message"`` when it is absent or empty."""
        return self.event or "message"

    def json(self) -> Any:
        """The data parsed as JSON; raises ValueError (orjson.JSONDecodeError) when it is not."""
        return orjson.loads(self.data)


class SseDecoder:
    """Turns event-stream bytes, fed in chunks of any size, into SseEvents.

    Memory is bounded: the pending line plus the fields of the event being assembled may not
    exceed ``max_event_bytes``, and the whole stream may not exceed ``max_stream_bytes``
    (SseLimitError either way).
    """

    __slots__ = (
        "_bom_pending",
        "_buf",
        "_clock",
        "_closed",
        "_data",
        "_event",
        "_event_bytes",
        "_last_id",
        "_max_event",
        "_max_stream",
        "_retry",
        "_skip_lf",
        "bytes_seen",
        "comments_seen",
        "events_seen",
        "retry_ms",
        "truncated",
    )

    def __init__(
        self,
        *,
        max_event_bytes: int = 1 << 20,
        max_stream_bytes: int = 64 << 20,
        clock: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        if max_event_bytes <= 0 or max_stream_bytes <= 0:
            raise ValueError("SSE limits must be positive")
        self._max_event = max_event_bytes
        self._max_stream = max_stream_bytes
        self._clock = clock
        self._buf = bytearray()  # the pending, not yet terminated line (never holds CR or LF)
        self._bom_pending = True
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF is its partner
        self._closed = False
        self._data: list[str] | None = None  # None: no data line yet in this block
        self._event: str | None = None
        self._retry: int | None = None
        self._event_bytes = 0  # wire bytes of the field lines of the current block
        self._last_id: str | None = None
        self.bytes_seen = 0
        self.events_seen = 0
        self.comments_seen = 0
        self.retry_ms: int | None = None
        self.truncated = False

    def feed(self, chunk: bytes, t_ns: int | None = None) -> list[SseEvent]:
        """Consume one read; return the events it completed, stamped ``t_ns`` (default: now)."""
        if self._closed:
            raise StreamError("SseDecoder.feed() called after close()")
        if not chunk:
            return []
        self.bytes_seen += len(chunk)
        if self.bytes_seen > self._max_stream:
            raise SseLimitError(
                f"event stream exceeded {self._max_stream} bytes (max_stream_bytes)"
            )
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return []
        if self._bom_pending:
            chunk = self._strip_bom(chunk)
            if not chunk:
                return []
        if b"\n" not in chunk and b"\r" not in chunk:
            # No line end: only grow the pending line (amortised O(1) even for 1-byte reads).
            self._buf += chunk
            self._check_event_size(len(self._buf))
            return []
        if self._buf:
            self._buf += chunk
            data = bytes(self._buf)
            self._buf.clear()
        else:
            data = chunk
        if b"\r" in data:
            if data[-1] == 0x0D:
                self._skip_lf = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = data.split(b"\n")
        tail = lines.pop()
        events = self._process(lines, t_ns)
        if tail:
            self._buf += tail
            self._check_event_size(len(tail))
        return events

    def close(self) -> list[SseEvent]:
        """Mark the end of input. An unterminated event is dropped (WHATWG); returns []."""
        if not self._closed:
            self._closed = True
            self.truncated = bool(self._buf) or self._data is not None
            self._buf.clear()
            self._data = None
        return []

    def _strip_bom(self, chunk: bytes) -> bytes:
        # The BOM may itself arrive split across reads: hold up to two bytes until decided.
        if self._buf:
            chunk = bytes(self._buf) + chunk
            self._buf.clear()
        if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
            self._buf += chunk
            return b""
        self._bom_pending = False
        return chunk[3:] if chunk.startswith(_BOM) else chunk

    def _check_event_size(self, pending: int) -> None:
        if self._event_bytes + pending > self._max_event:
            raise SseLimitError(
                f"an event exceeded {self._max_event} bytes (max_event_bytes) "
                f"after {self.bytes_seen} bytes of stream"
            )

    def _process(self, lines: list[bytes], t_ns: int | None) -> list[SseEvent]:
        events: list[SseEvent] = []
        for raw in lines:
            if not raw:
                if self._data is not None:
                    if t_ns is None:
                        t_ns = self._clock()
                    events.append(
                        SseEvent(self._event, "\n".join(self._data), self._last_id, self._retry,
                                 t_ns)
                    )
                    self.events_seen += 1
                self._data = None
                self._event = None
                self._retry = None
                self._event_bytes = 0
                continue
            try:
                line = raw.decode()
            except UnicodeDecodeError as exc:
                raise SseDecodeError(
                    f"invalid UTF-8 in event stream near byte {self.bytes_seen}: {exc.reason}"
                ) from None
            if line[0] == ":":
                self.comments_seen += 1
                continue
            self._event_bytes += len(raw) + 1
            if self._event_bytes > self._max_event:
                self._check_event_size(0)
            # `data:` first: it is nearly every line of an LLM stream.
            if line.startswith("data:"):
                value = line[6:] if line[5:6] == " " else line[5:]
                if self._data is None:
                    self._data = [value]
                else:
                    self._data.append(value)
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "event":
                self._event = value
            elif name == "data":  # "data" without a colon: an empty data line
                if self._data is None:
                    self._data = [value]
                else:
                    self._data.append(value)
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                self._retry = self.retry_ms = int(value)
        return events
