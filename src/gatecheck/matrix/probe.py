"""Small bounded probes of one provider model: a plain and a streamed request, classified.

A probe asks for a few tokens (``max_tokens`` 16 by default) and records what a person
reading report 004's table wants to know: the HTTP status, how long it took (``e2e`` and,
for streams, ``ttft`` from the shared timing model), an error class, and a short redacted
sample of the reply (or of the error message). Error classes, in the order they are judged:

    unreachable    no connection (refused, DNS, TLS)
    timeout        the client's connect/read/total deadline passed
    auth           401 or 403
    not_found      404 (the model or route does not exist for this key)
    rate_limited   429
    upstream_error any other non-2xx, or an error event inside a 200 stream
    malformed      a 2xx whose body is not the protocol's shape (bad JSON, no choices,
                   a stream without its terminator, a connection dropped mid-body, a body
                   over the size cap)
    ok             a 2xx in the right shape (an empty reply still counts: reasoning models
                   can spend a tiny budget before any visible text)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from gatecheck import (
    ClientTimeoutError,
    GatewayClient,
    Redactor,
    ResponseTooLargeError,
    StreamError,
    Surface,
    TargetUnreachableError,
    Timeouts,
    default_redactor,
    e2e,
    ttft,
)
from gatecheck.protocols import chat_path, chat_request, protocol_headers

__all__ = [
    "ERROR_CLASSES",
    "ErrorClass",
    "Mode",
    "ProbeResult",
    "ProbeSettings",
    "classify_status",
    "probe",
    "probe_models",
]

ErrorClass = Literal[
    "ok", "auth", "not_found", "rate_limited", "upstream_error", "unreachable", "timeout",
    "malformed",
]
ERROR_CLASSES: tuple[ErrorClass, ...] = (
    "ok", "auth", "not_found", "rate_limited", "upstream_error", "unreachable", "timeout",
    "malformed",
)

Mode = Literal["plain", "stream"]
MODES: tuple[Mode, ...] = ("plain", "stream")


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """What every probe sends and how long it may take (bounded: a night must end)."""

    prompt: str = "Reply with one short friendly greeting."
    max_tokens: int = 16
    timeouts: Timeouts = field(default_factory=lambda: Timeouts(connect=5.0, read=20.0,
                                                                total=30.0))
    sample_chars: int = 80
    max_response_bytes: int = 1 << 20
    workers: int = 4  # probes in flight at once, per target


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe's outcome; text fields are redacted and short."""

    target: str
    provider: str
    model: str
    surface: Surface
    mode: Mode
    error_class: ErrorClass
    http_status: int | None = None
    latency_ms: float | None = None  # e2e: send -> end of body / stream
    ttft_ms: float | None = None  # streams only
    sample: str = ""  # the reply's first words, or the error message's
    detail: str = ""  # one line on why it is not ok ("" when ok)

    @property
    def ok(self) -> bool:
        return self.error_class == "ok"


def classify_status(status: int) -> ErrorClass:
    """The error class of an HTTP status (2xx is judged on the body, so it is "ok" here)."""
    if 200 <= status < 300:
        return "ok"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    return "upstream_error"


@dataclass(frozen=True, slots=True)
class _Probe:
    """What probe() needs to know about the model; the registry's MatrixModelConfig fits."""

    provider: str
    model: str
    surface: Surface = "openai"
    extra_body: Mapping[str, Any] = field(default_factory=dict)


def _body(entry: _Probe, settings: ProbeSettings, stream: bool) -> dict[str, Any]:
    body = chat_request(entry.surface, entry.model, settings.prompt,
                        max_tokens=settings.max_tokens, stream=stream)
    body.update(entry.extra_body)
    return body


def _path(surface: Surface) -> str:
    return "/v1" + chat_path(surface)


def _short(text: str, redactor: Redactor, limit: int) -> str:
    one_line = " ".join(redactor.text(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _error_message(content: bytes) -> str:
    """The human part of an error body (OpenAI, Anthropic or FastAPI shape), else the text."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")
    if isinstance(data, dict):
        error = data.get("error", data.get("detail"))
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return content.decode("utf-8", "replace")


def _reply_text(surface: Surface, data: Any) -> str | None:
    """The reply's text from a non-stream body; None when the shape is wrong."""
    if not isinstance(data, dict):
        return None
    if surface == "anthropic":
        blocks = data.get("content")
        if not isinstance(blocks, list):
            return None
        return "".join(str(b.get("text", "")) for b in blocks if isinstance(b, dict))
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    if not isinstance(message, dict):
        return None
    text = message.get("content") or message.get("reasoning_content") or ""
    return text if isinstance(text, str) else ""


def _delta_text(surface: Surface, data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    if surface == "anthropic":
        delta = data.get("delta")
        return str(delta.get("text", "")) if isinstance(delta, dict) else ""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta")
    if not isinstance(delta, dict):
        return ""
    text = delta.get("content") or delta.get("reasoning_content") or ""
    return text if isinstance(text, str) else ""


def _stream_error(surface: Surface, event_type: str, data: Any) -> str | None:
    """The message of an error event (or error body) inside a 2xx, else None."""
    if isinstance(data, dict) and (event_type == "error" or data.get("type") == "error"
                                   or data.get("error") is not None):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message", error))
        return str(error if error is not None else data)
    return None


def _plain(client: GatewayClient, entry: _Probe, settings: ProbeSettings,
           base: dict[str, Any], redactor: Redactor) -> ProbeResult:
    response = client.request("POST", _path(entry.surface), headers=protocol_headers(entry.surface),
                              json=_body(entry, settings, stream=False), surface=entry.surface)
    latency = e2e(response.stamps)
    kind = classify_status(response.status)
    if kind != "ok":
        message = _short(_error_message(response.content), redactor, settings.sample_chars)
        return ProbeResult(**base, error_class=kind, http_status=response.status,
                           latency_ms=latency, sample=message,
                           detail=f"HTTP {response.status}: {message}")
    try:
        data = response.json()
    except ValueError:
        data = None
    error = _stream_error(entry.surface, "", data)  # an error envelope sent with a 2xx
    if error is not None:
        message = _short(error, redactor, settings.sample_chars)
        return ProbeResult(**base, error_class="upstream_error", http_status=response.status,
                           latency_ms=latency, sample=message,
                           detail=f"HTTP {response.status} with an error body: {message}")
    text = _reply_text(entry.surface, data)
    if text is None:
        excerpt = _short(response.text, redactor, settings.sample_chars)
        return ProbeResult(**base, error_class="malformed", http_status=response.status,
                           latency_ms=latency, sample=excerpt,
                           detail="2xx body is not a chat completion")
    return ProbeResult(**base, error_class="ok", http_status=response.status, latency_ms=latency,
                       sample=_short(text, redactor, settings.sample_chars))


def _stream(client: GatewayClient, entry: _Probe, settings: ProbeSettings,
            base: dict[str, Any], redactor: Redactor) -> ProbeResult:
    surface = entry.surface
    with client.stream("POST", _path(surface), headers=protocol_headers(surface),
                       json=_body(entry, settings, stream=True), surface=surface) as stream:
        kind = classify_status(stream.status)
        if kind != "ok":
            message = _short(_error_message(stream.read()), redactor, settings.sample_chars)
            return ProbeResult(**base, error_class=kind, http_status=stream.status,
                               latency_ms=e2e(stream.stamps), sample=message,
                               detail=f"HTTP {stream.status}: {message}")
        parts: list[str] = []
        ended = False
        problem: tuple[ErrorClass, str] | None = None
        for event in stream.events():
            if event.data.strip() == "[DONE]" or event.type == "message_stop":
                ended = True
                continue
            try:
                data = event.json()
            except ValueError:
                problem = ("malformed", f"event is not JSON: {event.data[:60]!r}")
                break
            error = _stream_error(surface, event.type, data)
            if error is not None:
                problem = ("upstream_error", f"error event: {error}")
                break
            if surface == "anthropic" and isinstance(data, dict) and data.get(
                    "type") == "message_stop":
                ended = True
            parts.append(_delta_text(surface, data))
        if problem is None and not ended:
            terminator = "message_stop" if surface == "anthropic" else "data: [DONE]"
            problem = ("malformed", f"stream ended without {terminator}")
    latency, first = e2e(stream.stamps), ttft(stream.stamps)
    sample = _short("".join(parts), redactor, settings.sample_chars)
    if problem is not None:
        kind, why = problem
        return ProbeResult(**base, error_class=kind, http_status=stream.status,
                           latency_ms=latency, ttft_ms=first, sample=sample,
                           detail=_short(why, redactor, 160))
    return ProbeResult(**base, error_class="ok", http_status=stream.status, latency_ms=latency,
                       ttft_ms=first, sample=sample)


def probe(client: GatewayClient, target: str, entry: Any, mode: Mode,
          settings: ProbeSettings | None = None, redactor: Redactor | None = None) -> ProbeResult:
    """Probe one model (anything with provider/model/surface/extra_body) once, in `mode`."""
    settings = settings or ProbeSettings()
    redactor = redactor or default_redactor()
    spec = _Probe(entry.provider, entry.model, getattr(entry, "surface", "openai"),
                  dict(getattr(entry, "extra_body", {}) or {}))
    base: dict[str, Any] = {"target": target, "provider": spec.provider, "model": spec.model,
                            "surface": spec.surface, "mode": mode}
    run = _stream if mode == "stream" else _plain
    try:
        return run(client, spec, settings, base, redactor)
    except TargetUnreachableError as exc:
        status = getattr(getattr(exc, "exchange", None), "status", None)
        if status is not None:
            # The answer had begun (headers came) when the connection dropped: the target
            # was reached and sent a truncated reply.
            return ProbeResult(**base, error_class="malformed", http_status=status,
                               detail=_short(f"connection dropped mid-body: {exc}", redactor,
                                             160))
        return ProbeResult(**base, error_class="unreachable", detail=_short(str(exc), redactor,
                                                                            160))
    except ClientTimeoutError as exc:
        return ProbeResult(**base, error_class="timeout", detail=_short(str(exc), redactor, 160))
    except (ResponseTooLargeError, StreamError) as exc:
        return ProbeResult(**base, error_class="malformed",
                           detail=_short(str(exc), redactor, 160))


def probe_models(client: GatewayClient, target: str, entries: Iterable[Any],
                 settings: ProbeSettings | None = None, redactor: Redactor | None = None,
                 on_result: Callable[[ProbeResult], None] | None = None) -> list[ProbeResult]:
    """Probe every entry in both modes, a few at a time; results in registry order."""
    import concurrent.futures

    settings = settings or ProbeSettings()
    jobs = [(entry, mode) for entry in entries for mode in MODES]
    if not jobs:
        return []
    # Threads, not asyncio: the sync client is what the suites use, and a handful of
    # concurrent probes is all a night needs (every probe is bounded by settings.timeouts).
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
        futures = [pool.submit(probe, client, target, entry, mode, settings, redactor)
                   for entry, mode in jobs]
        results = []
        for future in futures:
            result = future.result()
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results
