"""The mock's ground truth for load runs: when each answer's headers and content left it.

A load user marks a request with a nonce inside its prompt, ``[[nonce:4f2a09c1d3e5b7a8]]``:
like a directive, text in the prompt survives any gateway in between, where a header may
not. The mock takes the marker out of the body *before* its plan cache (so every request
of a run still hits the one cached plan) and, for a marked request, stamps the moments its
answer left (``perf_counter_ns``, its own clock: only its own differences are kept, so no
clock is shared with the client). ``GET /_mock/timings?since=SEQ`` hands the rows out in
batches (a load generator polls it about once a second), ``?nonce=X`` one row.

Each row's durations are measured from the moment the request's body was in the mock's
app, with the formulas of ``gatecheck._timing`` (ttfb, ttft, itl, e2e): what the mock
itself took, which a client subtracts from what it measured to get what sat in between.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import orjson

__all__ = ["FIELDS", "NONCE_MARK", "Stopwatch", "TimingLog", "split_nonce"]

NONCE_MARK = b"[[nonce:"
_NONCE_MAX = 64
_NONCE_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_NS_PER_MS = 1_000_000.0
FIELDS = ("seq", "nonce", "status", "ttfb", "ttft", "itl", "e2e", "content_events")


def split_nonce(raw: bytes) -> tuple[str | None, bytes]:
    """(the nonce, the body without its marker); (None, raw) when there is none.

    One ``bytes.find`` for a body without a marker: this is on the mock's hot path. The
    space before the marker goes with it, so the body left is the same for every request.
    """
    start = raw.find(NONCE_MARK)
    if start < 0:
        return None, raw
    begin = start + len(NONCE_MARK)
    end = raw.find(b"]]", begin, begin + _NONCE_MAX + 1)
    nonce = raw[begin:end]
    if end < 0 or not nonce or not _NONCE_CHARS.issuperset(nonce):
        return None, raw  # not a marker of ours: left in the prompt, as text
    if start and raw[start - 1:start] == b" ":
        start -= 1
    return nonce.decode("ascii"), raw[:start] + raw[end + 2:]


class Stopwatch:
    """The stamps of one marked answer; ``_faults`` sets them as bytes leave."""

    __slots__ = ("content", "end_ns", "first_ns", "headers_ns", "last_ns", "nonce", "start_ns",
                 "status")

    def __init__(self, nonce: str, start_ns: int) -> None:
        self.nonce = nonce
        self.start_ns = start_ns
        self.headers_ns: int | None = None
        self.first_ns: int | None = None  # the write holding the first content event
        self.last_ns: int | None = None  # the write holding the last one
        self.end_ns: int | None = None
        self.content = 0  # content events sent
        self.status = 0  # the HTTP status sent (0: none)

    def wrote(self, content_events: int, *, end: bool = False) -> None:
        """A write has returned; it held ``content_events`` content events."""
        now = time.perf_counter_ns()
        if self.headers_ns is None:
            self.headers_ns = now
        if content_events:
            if self.first_ns is None:
                self.first_ns = now
            self.last_ns = now
            self.content += content_events
        if end:
            self.end_ns = now

    def row(self, seq: int) -> tuple[Any, ...]:
        def ms(stamp: int | None) -> float | None:
            return None if stamp is None else round((stamp - self.start_ns) / _NS_PER_MS, 3)

        itl = None
        if self.content >= 2 and self.first_ns is not None and self.last_ns is not None:
            itl = round((self.last_ns - self.first_ns) / (self.content - 1) / _NS_PER_MS, 4)
        return (seq, self.nonce, self.status, ms(self.headers_ns), ms(self.first_ns), itl,
                ms(self.end_ns), self.content)


class TimingLog:
    """The last ``size`` rows, numbered from 1, with a lookup by nonce."""

    def __init__(self, size: int) -> None:
        self._rows: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._by_nonce: dict[str, tuple[Any, ...]] = {}
        self.total = 0

    def add(self, watch: Stopwatch) -> None:
        if len(self._rows) == self._rows.maxlen:
            self._by_nonce.pop(self._rows[0][1], None)
        self.total += 1
        row = watch.row(self.total)
        self._rows.append(row)
        self._by_nonce[watch.nonce] = row

    def reset(self) -> None:
        self._rows.clear()
        self._by_nonce.clear()
        self.total = 0

    def render(self, *, since: int = 0, limit: int = 10_000, nonce: str | None = None) -> bytes:
        """``{"fields", "rows", "next", "total", "dropped"}``: rows after ``since`` (or one)."""
        if nonce is not None:
            found = self._by_nonce.get(nonce)
            rows: list[tuple[Any, ...]] = [found] if found is not None else []
        else:
            first = self._rows[0][0] if self._rows else self.total + 1
            skip = max(0, since + 1 - first)
            rows = [self._rows[i] for i in range(skip, min(len(self._rows), skip + limit))]
        return orjson.dumps({
            "fields": FIELDS, "rows": rows, "next": rows[-1][0] if rows else since,
            "total": self.total, "dropped": self.total - len(self._rows),
        })
