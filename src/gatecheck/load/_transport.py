"""One LLM request over geventhttpclient, timed by the core SSE reader and stream meter.

geventhttpclient is the transport under Locust's FastHttpUser (the fastest Locust client);
the users call its ``HTTPClient`` directly, one keep-alive connection per user, to skip the
session layer's per-request URL building and event plumbing, and because that layer
cannot hand out a stream's bytes as they arrive: its ``read(n)`` waits for ``n`` bytes.
Bytes go to ``gatecheck._sse.SseDecoder`` stamped with the time their read returned, and
the events to ``gatecheck._timing.StreamMeter``: one SSE parser and one set of formulas
for the whole harness.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from geventhttpclient import HTTPClient
from geventhttpclient.header import Headers

from gatecheck import Auth, SseDecoder, Stamps, StreamMeter, Wire, usage_from
from gatecheck.protocols import chat_path, chat_request, protocol_headers
from gatecheck.protocols.responses.wire import (
    EMBEDDINGS_PATH,
    EVENT,
    RESPONSES_PATH,
    embeddings_body,
    responses_request,
)

__all__ = ["MAX_HEADER_BYTES", "NONCE_SLOT", "Outcome", "Prepared", "prepare", "route", "send"]

_RESPONSES_FAILURE = (EVENT.ERROR, EVENT.FAILED)
MAX_ERROR_EXCERPT = 200
MAX_BODY_BYTES = 8 << 20
# The response head's bounds (gatecheck's client keeps the same): a gateway that answers
# megabytes of headers gets a failed request, not a pass and a process full of them.
MAX_HEADER_BYTES = 64 << 10
MAX_HEADERS = 256
_READ_BLOCK = 64 << 10
# Where a request's nonce goes in its prompt (the mock's ground truth, mock._timings).
NONCE_SLOT = "[[nonce:{}]]"
_SLOT_MARK = "\x00gatecheck-nonce\x00"


class HeadersTooLargeError(ValueError):
    """The response head passed MAX_HEADERS or MAX_HEADER_BYTES."""


class _CappedHeaders(Headers):
    """geventhttpclient's header map, refusing a head past the caps as it is parsed."""

    _bytes = 0
    _count = 0

    def add(self, field: str, value: str | list[str] | tuple[str, ...]) -> None:
        self._count += 1
        self._bytes += len(field) + (len(value) if isinstance(value, str) else 0)
        if self._count > MAX_HEADERS or self._bytes > MAX_HEADER_BYTES:
            raise HeadersTooLargeError(f"response headers past {MAX_HEADERS} lines or "
                                       f"{MAX_HEADER_BYTES // 1024} KiB")
        super().add(field, value)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request built once per user and sent many times (the body is pre-serialised).

    With ``nonce_tail`` the body is cut where each request's nonce goes: ``body`` is the
    part before it, ``nonce_tail`` the part after (see :meth:`body_for`).
    """

    surface: Wire
    stream: bool
    path: str
    body: bytes
    headers: dict[str, str]
    nonce_tail: bytes | None = None

    def body_for(self, nonce: str | None) -> bytes:
        if self.nonce_tail is None or nonce is None:
            return self.body if self.nonce_tail is None else self.body + self.nonce_tail
        return b"".join((self.body, b" ", NONCE_SLOT.format(nonce).encode(), self.nonce_tail))


@dataclass(slots=True)
class Outcome:
    """What one exchange measured: stamps for the core formulas, usage, and the verdict."""

    stamps: Stamps
    ok: bool
    status: int = 0
    error: str | None = None
    in_tokens: int | None = None


def route(surface: Wire) -> str:
    """The path a load run posts to on ``surface``, under the API root (``.../v1``)."""
    if surface == "responses":
        return RESPONSES_PATH
    return EMBEDDINGS_PATH if surface == "embeddings" else chat_path(surface)


def prepare(
    *, base_url: str, surface: Wire, stream: bool, model: str, prompt: str, max_tokens: int,
    auth: Auth, nonces: bool = False, extra_headers: dict[str, str] | None = None,
) -> Prepared:
    """The path, body and headers of a request on ``surface``.

    OpenAI streams always ask for ``stream_options.include_usage``: without it a gateway
    sends no usage and output tokens would be unknown (never counted from chunks). A
    Responses stream reports usage in its terminal event; embeddings are never streamed.
    ``nonces``: leave room at the end of the prompt for each request's nonce;
    ``extra_headers``: a target's own (a gateway's provider header), sent before the auth.
    """
    prefix = urlsplit(base_url).path.rstrip("/")
    prompt += _SLOT_MARK if nonces else ""
    headers = {"content-type": "application/json",
               "accept": "text/event-stream" if stream else "application/json"}
    body: dict[str, Any]
    if surface == "embeddings" and stream:
        raise ValueError("embeddings are not streamed: use a non-stream (chat) user")
    path = prefix + route(surface)
    if surface == "responses":
        body = responses_request(model, prompt, max_output_tokens=max_tokens, stream=stream)
    elif surface == "embeddings":
        body = embeddings_body(model, prompt)
    else:
        body = chat_request(surface, model, prompt, max_tokens=max_tokens, stream=stream)
        headers.update(protocol_headers(surface))
    headers.update(extra_headers or {})
    auth.apply(headers)
    raw = orjson.dumps(body)
    if not nonces:
        return Prepared(surface, stream, path, raw, headers)
    # The mark is serialised as JSON escapes, which no prompt text produces by accident.
    head, mark, tail = raw.partition(orjson.dumps(_SLOT_MARK)[1:-1])
    if not mark:
        raise ValueError("the request body has no room for a nonce")
    return Prepared(surface, stream, path, head, headers, nonce_tail=tail)


def client_for(base_url: str, *, connect_timeout: float, network_timeout: float,
               insecure: bool = False) -> HTTPClient:
    """One keep-alive connection to the target (per user: users never share a socket)."""
    return HTTPClient.from_url(base_url, concurrency=1, connection_timeout=connect_timeout,
                               network_timeout=network_timeout, insecure=insecure,
                               headers_type=_CappedHeaders)


def _read_some(response: Any) -> bytes:
    # geventhttpclient's public read(n) blocks until n bytes (or the end) arrive; a stream
    # needs whatever the next recv() returns. This mirrors its read() with one recv only.
    buffer = response._body_buffer
    if not buffer and not response.message_complete:
        sock = response._sock
        if sock is None:  # released before the end: nothing more will ever arrive
            raise ConnectionError("connection released mid-body")
        data = sock.recv(_READ_BLOCK)
        response.feed(data)  # b"" tells the parser the peer closed: the end of a body
        if not data and not response.message_complete:  # that had no length or chunks
            raise ConnectionError("connection closed mid-body")
    out = bytes(buffer)
    del buffer[:]
    return out


def _excerpt(data: bytes) -> str:
    text = data[:MAX_ERROR_EXCERPT].decode("utf-8", "replace")
    return " ".join(text.split())


def send(client: HTTPClient, req: Prepared, *, total_timeout: float,
         intended_ns: int | None = None, nonce: str | None = None,
         stamps: Stamps | None = None) -> Outcome:
    """Send ``req`` and read the whole answer; never raises for the target's faults.

    ``stamps``: the caller's (filled as the exchange goes, so a run that stops mid-request
    can still say how far it got); by default a new one.
    """
    body = req.body_for(nonce)
    send_ns = time.perf_counter_ns()
    if stamps is None:
        stamps = Stamps(send_ns=send_ns, intended_ns=intended_ns)
    else:
        stamps.send_ns, stamps.intended_ns = send_ns, intended_ns
    deadline = send_ns + int(total_timeout * 1e9)
    response = None
    try:
        response = client.request("POST", req.path, body=body, headers=req.headers)
        stamps.headers_ns = time.perf_counter_ns()
        status = response.status_code
        if status != 200 or not req.stream:
            return _whole(response, req, stamps, status, deadline)
        return _stream(response, req, stamps, deadline)
    except Exception as exc:  # the target's fault (refused, reset, timeout, bad stream)
        stamps.end_ns = time.perf_counter_ns()
        return Outcome(stamps, ok=False, status=0 if response is None else response.status_code,
                       error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_EXCERPT])
    finally:
        if response is not None:
            response.release()  # closes the socket unless the body was read to the end


def _whole(response: Any, req: Prepared, stamps: Stamps, status: int, deadline: int) -> Outcome:
    chunks: list[bytes] = []
    size = 0
    while not response.message_complete or response._body_buffer:
        chunk = _read_some(response)
        if not chunk and response.message_complete:
            break
        size += len(chunk)
        chunks.append(chunk)
        if size > MAX_BODY_BYTES or time.perf_counter_ns() > deadline:
            raise TimeoutError("body too large or too slow")
    stamps.end_ns = time.perf_counter_ns()
    body = b"".join(chunks)
    if status != 200:
        return Outcome(stamps, ok=False, status=status,
                       error=f"status {status}: {_excerpt(body)}")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Outcome(stamps, ok=False, status=status, error="body is not JSON")
    raw_usage = payload.get("usage") if isinstance(payload, dict) else None
    usage = usage_from(req.surface, raw_usage)
    stamps.output_tokens = usage.output_tokens
    return Outcome(stamps, ok=True, status=status, in_tokens=usage.input_tokens)


def _stream(response: Any, req: Prepared, stamps: Stamps, deadline: int) -> Outcome:
    meter = StreamMeter(req.surface, stamps.send_ns)
    meter.stamps = stamps  # the meter fills our stamps (intended_ns kept)
    decoder = SseDecoder()
    error: str | None = None
    while True:
        chunk = _read_some(response)
        t_ns = time.perf_counter_ns()
        if chunk:
            for event in decoder.feed(chunk, t_ns):
                meter.on_event(event)
                if error is None and _is_error_event(req.surface, event.event, event.data):
                    error = f"error event: {_excerpt(event.data.encode())}"
        elif response.message_complete:
            break
        if t_ns > deadline:
            raise TimeoutError("stream outlived the total timeout")
    for event in decoder.close():
        meter.on_event(event)
    meter.on_end(time.perf_counter_ns())
    if error is None and not meter.finished:
        error = "stream ended without [DONE] / message_stop / its terminal response event"
    return Outcome(stamps, ok=error is None, status=200, error=error,
                   in_tokens=meter.usage.input_tokens)


def _is_error_event(surface: Wire, name: str | None, data: str) -> bool:
    if surface == "anthropic":
        return name == "error"
    if surface == "responses":  # the `error` event, or the response.failed that ends it
        return name in _RESPONSES_FAILURE or data.startswith(
            ('{"type":"error"', '{"type":"response.failed"'))
    return data.startswith('{"error"')
