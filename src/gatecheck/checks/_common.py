"""Shared shapes for the pure check functions: response/event protocols and body parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

import orjson

from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "NOT_JSON",
    "EventLike",
    "ResponseLike",
    "as_object",
    "content_kind",
    "excerpt",
    "exchange_of",
    "header",
    "json_of",
    "media_type",
    "obj",
]


class EventLike(Protocol):
    """The parts of `gatecheck._sse.SseEvent` the stream checks read (canned events in tests)."""

    @property
    def event(self) -> str | None: ...

    @property
    def data(self) -> str: ...

    @property
    def id(self) -> str | None: ...


class ResponseLike(Protocol):
    """The parts of `gatecheck._client.Response` the body checks read (canned ones in tests)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


class _NotJson:
    """Sentinel for a body that is not JSON (``None`` is a valid JSON body: ``null``)."""

    def __repr__(self) -> str:
        return "<not JSON>"


NOT_JSON: Any = _NotJson()


def json_of(content: bytes | str | None) -> Any:
    """The parsed JSON body, or `NOT_JSON` when it does not parse (never raises)."""
    if content is None:
        return NOT_JSON
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return NOT_JSON


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (for reading optional parts)."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value, case-insensitively (httpx.Headers already is; plain dicts in tests)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without parameters, lower-cased ("" when absent)."""
    value = header(headers, "content-type") or ""
    return value.split(";", 1)[0].strip().lower()


def content_kind(response: ResponseLike) -> str:
    """What a body says it is, for a failure: its media type, else that it names none."""
    return media_type(response.headers) or "no Content-Type"


def excerpt(value: Any, limit: int = 300) -> str:
    """A short printable rendering of a body or value for a failure's ``observed`` text."""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def exchange_of(response: object) -> ExchangeLike | None:
    """The redacted exchange a client response carries, if any (canned responses have none)."""
    return getattr(response, "exchange", None)


def as_object(value: Any, message: str, *, expected: str,
              exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """`value` as a JSON object, or a conformance failure saying what was found instead."""
    expect(isinstance(value, dict), message, expected=expected, observed=excerpt(value),
           exchange=exchange)
    return cast(dict[str, Any], value)
