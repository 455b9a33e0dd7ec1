"""The HTTP client gatecheck gives the official SDKs: its own bounds, on httpx2.

The ``openai`` and ``anthropic`` SDKs read bodies with no size cap and follow redirects with
their default client (a 2 GiB body or a gzip bomb took a check's process to gigabytes, and
the SDK checks reached an off-host address). Both SDKs accept an ``http_client``; the
Anthropic SDK only an ``httpx2.Client`` (the OpenAI one takes httpx or httpx2), so this
builds an ``httpx2.Client`` on the same bounds as gatecheck's own client
(gatecheck._transport): the body capped in decoded bytes, the headers capped, a total
deadline on every socket operation, no redirect followed, no request off the target's
origin, and ``trust_env=False``::

    http = sdk_http_client(base_url, timeouts=Timeouts(connect=5, read=15, total=30))
    sdk = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, http_client=http)

Past a cap the SDK raises its connection error with the cause chained (``harness_cause``
finds it): ``openai.APIConnectionError`` from ``ResponseTooLargeError`` for a plain body;
``ResponseTooLargeError`` itself out of a stream's iteration; the SDK's timeout error past
the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpcore2
import httpx2

from gatecheck._bounds import (
    BodyMeter,
    Caps,
    accept_encoding,
    current_deadline,
    header_overflow,
    set_deadline,
)
from gatecheck._exceptions import HarnessError
from gatecheck._exchange import Timeouts
from gatecheck._transport import _Bounds, install_deadlines

__all__ = ["SDK_TIMEOUTS", "SdkTransport", "harness_cause", "sdk_http_client"]

SDK_TIMEOUTS = Timeouts(connect=5.0, read=15.0, total=30.0)


class _MeteredStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, meter: BodyMeter, where: str) -> None:
        self._inner, self._meter, self._where = inner, meter, where

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._meter.feed(chunk)
                yield chunk
        except httpx2.RemoteProtocolError as exc:
            overflow = header_overflow(exc, self._where)
            if overflow is None:
                raise
            raise overflow from exc

    def close(self) -> None:
        self._inner.close()


class SdkTransport(httpx2.BaseTransport):
    """httpx2.HTTPTransport with gatecheck's bounds (gatecheck._transport, for httpx2)."""

    def __init__(self, origin: str, caps: Caps, total: float) -> None:
        self._bounds = _Bounds(origin, caps, total)
        self._inner = httpx2.HTTPTransport(trust_env=False)
        install_deadlines(self._inner, httpcore2)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = self._bounds.before(request)
        where = self._bounds.where(request)
        outer = current_deadline()
        set_deadline(deadline)
        try:
            response = self._inner.handle_request(request)
        except httpx2.RemoteProtocolError as exc:
            overflow = header_overflow(exc, where)
            if overflow is None:
                raise
            raise overflow from exc
        finally:
            set_deadline(outer)
        try:
            meter = self._bounds.after(request, response)
        except BaseException:
            response.close()
            raise
        response.stream = _MeteredStream(response.stream, meter, where)
        return response

    def close(self) -> None:
        self._inner.close()


def sdk_http_client(base_url: str, *, timeouts: Timeouts = SDK_TIMEOUTS,
                    max_response_bytes: int = 8 << 20,
                    headers: Mapping[str, str] | None = None,
                    on_answer: Callable[[int, Any, float, Any], None] | None = None,
                    ) -> httpx2.Client:
    """An ``httpx2.Client`` for an SDK pointed at ``base_url``, bounded like GatewayClient.

    Pass it as ``http_client=`` to ``openai.OpenAI`` or ``anthropic.Anthropic``; the SDK
    closes it when the SDK client is closed. ``timeouts.total`` bounds each request whatever
    timeout the SDK is given. ``on_answer(status, headers, sent_at, request)`` hears of each answer.
    """
    t = timeouts
    connect, read = min(t.connect, t.total), min(t.read, t.total)
    transport = SdkTransport(base_url, Caps(max_body_bytes=max_response_bytes), t.total)
    hooks: dict[str, list[Callable[..., Any]]] = {}
    if on_answer is not None:
        hooks = {"request": [_stamp_sent], "response": [
            lambda response: on_answer(response.status_code, response.headers,
                                       response.request.extensions.get(_SENT, time.time()),
                                       response.request)]}
    return httpx2.Client(
        event_hooks=hooks,
        transport=transport, trust_env=False, follow_redirects=False, max_redirects=0,
        timeout=httpx2.Timeout(connect=connect, read=read, write=read, pool=connect),
        headers={"accept-encoding": accept_encoding(), **(headers or {})},
    )


_SENT = "gatecheck.sent_at"


def _stamp_sent(request: httpx2.Request) -> None:
    request.extensions[_SENT] = time.time()


def harness_cause(error: BaseException) -> HarnessError | None:
    """The HarnessError an SDK error was raised from (its __cause__/__context__ chain), if any:
    a cap or the origin check, rather than the gateway, ended the request."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, HarnessError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
