"""Stream-level judges common to both surfaces: stream status/type and incremental delivery."""

from __future__ import annotations

from collections.abc import Mapping, Sized

from gatecheck import Stamps, e2e, itl, ttft
from gatecheck.checks._common import excerpt, header, json_of, media_type
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "delivery_is_incremental",
    "failed_before_first_byte",
    "opened_as_stream",
    "stream_has_events",
    "stream_is_not_buffered",
    "stream_opened",
]


def opened_as_stream(status: int, headers: Mapping[str, str]) -> bool:
    """Whether the answer is a 200 event stream (else the gateway answered in one piece)."""
    return status == 200 and media_type(headers) == "text/event-stream"


def failed_before_first_byte(status: int, headers: Mapping[str, str], body: bytes, *,
                             exchange: ExchangeLike | None = None) -> None:
    """STR-O10 / STR-A7: an upstream failure the gateway met before its own first byte.

    A gateway that had not started its stream when the upstream failed may answer as STR-1
    requires of every error known before the first byte: a plain non-2xx JSON error. What
    it may not do is answer 200 (a success that is none) or a body without an error in it.
    Its status and envelope are other checks' business (ERR-11, ERR-12).
    """
    expect(status >= 400, f"the failed stream was answered {status} "
           f"{header(headers, 'content-type')!r}, neither a stream nor an error",
           expected="a 200 event stream ending in an error event, or a non-2xx JSON error",
           observed=f"{status} {excerpt(body, 160)}", exchange=exchange,
           cause="stream-cut-silently")
    value = json_of(body)
    error = value.get("error") if isinstance(value, dict) else None
    expect(isinstance(error, dict | str) or (isinstance(value, dict) and "message" in value),
           f"the failed stream was answered {status} without an error in the body",
           expected='{"error": {...}} (either surface\'s envelope)',
           observed=excerpt(body, 200), exchange=exchange, cause="stream-cut-silently")

# A paced stream whose content spread is below this share of the pacing is one burst. Low on
# purpose: a buffering gateway delivers within a few ms, while a busy test machine may batch
# a few reads; only the first must fail.
_BURST_SHARE = 0.1


def stream_opened(status: int, headers: Mapping[str, str], body: bytes = b"", *,
                  exchange: ExchangeLike | None = None) -> None:
    """STR-1: `stream: true` answers 200 with Content-Type text/event-stream."""
    expect(status == 200 and media_type(headers) == "text/event-stream",
           "stream request not answered 200 text/event-stream",
           expected="200, Content-Type: text/event-stream",
           observed=f"{status}, Content-Type: {header(headers, 'content-type')!r} "
                    f"{excerpt(body, 160)}", exchange=exchange)


def stream_has_events(events: Sized, *, error: str | None = None,
                      exchange: ExchangeLike | None = None) -> None:
    """STR-1: the stream that answers a chat request carries at least one server-sent event.

    A body served as text/event-stream from which no event parses (no ``data:`` field, only
    comments, lines that are not SSE) is no stream: no check of it may pass.
    """
    expect(len(events) > 0, "the stream carried no server-sent event",
           expected="at least one event with a data: field",
           observed=f"no event before the stream broke: {error}" if error
           else "0 events: no data: field in the body (comments or lines that are not SSE)",
           exchange=exchange, cause="stream-grammar")


def stream_is_not_buffered(headers: Mapping[str, str], *,
                           exchange: ExchangeLike | None = None) -> None:
    """HDR-7: a stream carries no Content-Length (it would mean a buffered body)."""
    expect(header(headers, "content-length") is None,
           "stream response carries Content-Length (buffered, not streamed)",
           expected="no Content-Length on text/event-stream",
           observed=f"Content-Length: {header(headers, 'content-length')}", exchange=exchange)


def delivery_is_incremental(stamps: Stamps, *, expected_spread_ms: float | None = None,
                            exchange: ExchangeLike | None = None) -> None:
    """STR-4: content events arrive spread over the generation, not in one burst at the end.

    With a paced upstream (the mock's `ttft`/`itl`), `expected_spread_ms` is the time the
    upstream takes between its first and last token: a buffering gateway delivers them all
    within a few ms. Without pacing, a burst is content that starts after 80 % of the
    exchange and spans under 10 % of it.
    """
    content = stamps.content_ns
    expect(len(content) >= 3, "too few content events to be a stream",
           expected=">= 3 content events", observed=f"{len(content)} content events",
           exchange=exchange)
    # One formula per name (gatecheck._timing): the spread is itl x (content events - 1).
    spread_ms = (itl(stamps) or 0.0) * (len(content) - 1)
    if expected_spread_ms is not None:
        floor = expected_spread_ms * _BURST_SHARE
        expect(spread_ms >= floor, "content arrived in one burst (the gateway buffers the stream)",
               expected=f"first-to-last content >= {floor:.0f} ms (upstream paced over "
                        f"{expected_spread_ms:.0f} ms)",
               observed=f"{len(content)} content events within {spread_ms:.1f} ms",
               exchange=exchange)
        return
    total_ms = max(e2e(stamps) or (content[-1] - stamps.send_ns) / 1e6, 1e-3)
    first_ms = ttft(stamps) or 0.0
    burst = first_ms > 0.8 * total_ms and spread_ms < 0.1 * total_ms
    expect(not burst, "content arrived in one burst at the end of the exchange",
           expected="content spread over the generation",
           observed=f"first content at {first_ms:.0f} ms of {total_ms:.0f} ms, "
                    f"all {len(content)} events within {spread_ms:.1f} ms", exchange=exchange)
