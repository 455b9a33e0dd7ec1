"""What the suites share besides judging: small request bodies, stream capture, schema checks.

Requests stay small on purpose (max_tokens 1-16, one short prompt): remote gateways bill.
`[[mock ...]]` directives are only added for targets that claim the `mock-directives`
feature; other targets get the plain prompt.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gatecheck import SURFACES, Auth, HarnessError, SseEvent, Stamps, Surface, Wire
from gatecheck.checks._common import NOT_JSON, content_kind, excerpt, json_of
from gatecheck.checks._failures import ExchangeLike, expect, warn
from gatecheck.protocols import anthropic, chat_path, openai, protocol_headers
from gatecheck.schemas import validate

__all__ = [
    "ANTHROPIC_VERSION",
    "PATHS",
    "CapturedStream",
    "auth_as",
    "auth_for",
    "body_for",
    "capture_stream",
    "conforms",
    "directive",
    "headers_for",
    "no_auth",
    "nonce",
    "past_cool_down",
    "require_credentials",
    "response_json",
    "sdk_parsed",
    "takes_credentials",
    "upstream_addresses",
]

ANTHROPIC_VERSION = anthropic.VERSION
PATHS: dict[Surface, str] = {surface: "/v1" + chat_path(surface) for surface in SURFACES}
PROMPT = "Say hello in five words."
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
}
_counter = itertools.count(1)


def nonce() -> str:
    """A short token unique to one request (to find it in the mock's log, which outlives runs).

    Random as well as counted: a counter restarts when the module is imported again (a new
    run against a mock that kept its log), and ``n12x5`` would also match ``n12x56``.
    """
    return f"n{os.getpid()}x{next(_counter)}r{secrets.token_hex(4)}"


def directive(**values: Any) -> str:
    """A `[[mock k=v ...]]` directive; strings are double-quoted."""
    parts = []
    for key, value in values.items():
        if isinstance(value, str) and (not value.isalnum() or " " in value):
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{escaped}"')
        else:
            parts.append(f"{key}={value}")
    return "[[mock " + " ".join(parts) + "]]"


def body_for(surface: Surface, model: str, *, text: str = PROMPT, max_tokens: int = 16,
             stream: bool = False, mock: str | None = None, tools: bool = False,
             **extra: Any) -> dict[str, Any]:
    """A minimal chat request for `surface`; `mock` (a directive) is appended to the prompt."""
    content = f"{text} {mock}" if mock else text
    body = (anthropic.messages_request(model, content, max_tokens=max_tokens, stream=stream)
            if surface == "anthropic" else
            openai.chat_request(model, content, max_tokens=max_tokens, stream=stream))
    if tools and surface == "openai":
        body["tools"] = [{"type": "function", "function": WEATHER_TOOL}]
        body["tool_choice"] = {"type": "function", "function": {"name": "get_weather"}}
    elif tools:
        body["tools"] = [{"name": WEATHER_TOOL["name"], "description": WEATHER_TOOL["description"],
                          "input_schema": WEATHER_TOOL["parameters"]}]
        body["tool_choice"] = {"type": "tool", "name": "get_weather"}
    body.update(extra)
    return body


def headers_for(surface: Surface, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Protocol headers a real client of `surface` sends (anthropic-version on Messages)."""
    headers = protocol_headers(surface)
    headers.update(extra or {})
    return headers


def response_json(response: Any, what: str) -> Any:
    """The JSON body of a finished response, or a failure saying what came back instead
    (an HTML page in front of the API must not pass for one)."""
    body = json_of(response.content)
    expect(body is not NOT_JSON, f"{what}: the body is not JSON: {content_kind(response)}",
           expected="a JSON body", observed=f"{response.status} {excerpt(response.content, 200)}",
           exchange=getattr(response, "exchange", None), cause="not-json")
    return body


def sdk_parsed(value: Any, kind: type[Any], what: str) -> Any:
    """What an official SDK call returned, or a failure when it is not the SDK's model: both
    SDKs hand a body back as text when it is not JSON (an HTML page, say) instead of raising,
    and a check reading ``.choices`` of it would break rather than judge."""
    text = isinstance(value, str)
    expect(isinstance(value, kind),
           f"{what}: the body is not JSON, and the SDK returned it as text" if text
           else f"{what}: the SDK returned a {type(value).__name__}, not a {kind.__name__}",
           expected=f"a {kind.__name__}", observed=excerpt(value, 200),
           cause="not-json" if text else "sdk-breaks")
    return value


def conforms(name: str, instance: Any, *, profile: str, what: str,
             exchange: ExchangeLike | None = None, cause: str | None = None) -> None:
    """The instance validates against schema `name` under the run's profile.

    FAIL-severity violations fail the check; WARN ones (e.g. unknown Anthropic event types)
    are recorded as warnings.
    """

    violations = validate(name, instance, profile=profile)
    failing = [v for v in violations if v.severity == "FAIL"]
    for violation in (v for v in violations if v.severity == "WARN"):
        warn(f"{what}: {violation}", exchange=exchange)
    expect(not failing, f"{what} does not match schema {name} ({profile} profile)",
           expected=f"a valid {name}", observed="; ".join(str(v) for v in failing[:4]),
           exchange=exchange, cause=cause)


@dataclass(slots=True)
class CapturedStream:
    """A whole stream as the checks need it: status, headers, events, timing, evidence."""

    status: int
    headers: Mapping[str, str]
    events: list[SseEvent] = field(default_factory=list)
    stamps: Stamps | None = None
    body: bytes = b""  # for a non-stream answer (an error before the first byte)
    exchange: ExchangeLike | None = None
    error: str | None = None  # how the stream broke, when the transport failed mid-way


def capture_stream(client: Any, surface: Surface, body: Mapping[str, Any], *,
                   headers: Mapping[str, str] | None = None, path: str | None = None,
                   max_events: int = 4096, wire: Wire | None = None) -> CapturedStream:
    """POST a streaming request and read it to the end (bounded by the client's limits).

    ``wire`` is how the events are timed and counted when it is not the surface's own
    (``"responses"`` for ``POST /v1/responses`` on the OpenAI surface).
    """
    with client.stream("POST", path or PATHS[surface], json=dict(body),
                       headers=headers_for(surface, headers),
                       surface=wire or surface) as response:
        captured = CapturedStream(status=response.status, headers=response.headers)
        content_type = str(response.headers.get("content-type", ""))
        try:
            if response.status == 200 and content_type.startswith("text/event-stream"):
                for event in response.events():
                    captured.events.append(event)
                    if len(captured.events) >= max_events:
                        break
            else:
                captured.body = response.read()
        except HarnessError as exc:
            # The gateway broke the stream itself (reset, bad UTF-8, oversize event): keep what
            # arrived; the grammar checks then say what is missing.
            captured.error = f"{type(exc).__name__}: {exc}"
        captured.stamps = response.stamps
    captured.exchange = response.exchange
    return captured


def upstream_addresses(mock_log: Any) -> list[str]:
    """``host:port`` of the mock upstream behind the target (none when it fronts no mock).

    A client-facing error message that names it leaks the gateway's internals (ERR-8).
    """
    from urllib.parse import urlsplit

    url = getattr(mock_log, "base_url", None)
    if not url:
        return []
    parts = urlsplit(url)
    return [parts.netloc] if parts.netloc else []


def takes_credentials(target: Any) -> bool:
    """Whether the target authenticates clients at all (auth.scheme is not "none")."""
    return bool(target.auth.scheme != "none")


def require_credentials(target: Any) -> None:
    """Skip the running check when the target takes no credentials (nothing to reject)."""
    import pytest

    if not takes_credentials(target):
        pytest.skip(f"target {target.name!r} takes no credentials (auth.scheme = none)")


def no_auth() -> Any:
    """Client auth that sends no credentials at all."""

    return Auth()


def auth_as(scheme: Literal["bearer", "x-api-key"], secret: str) -> Any:
    """Client auth that sends `secret` the given way."""

    return Auth(scheme=scheme, secret=secret)


def auth_for(target: Any, surface: Surface, secret: str) -> Any:
    """Client auth that sends `secret` where the target takes keys on `surface`.

    The placement the target declares first for the surface (``surfaces.<s>.auth``), so a
    check that sends a wrong or throwaway key judges what the gateway does with a key it
    reads, not with one in a header it ignores. No placement (``none``): no credentials.
    """
    config = target.surfaces.get(surface)
    scheme = config.preferred_auth if config is not None else "bearer"
    if scheme == "none":
        return Auth()
    if scheme == "header":
        return Auth(scheme="header", secret=secret, header=target.auth.header)
    return Auth(scheme="x-api-key" if scheme == "x-api-key" else "bearer", secret=secret)


def past_cool_down(mock_log: Any, client: Any, method: str, path: str, **kwargs: Any) -> Any:
    """``client.request(method, path, **kwargs)``, waiting out once a 429/503 the gateway
    made up (the ``mock_log`` fixture's ``past_cool_down``): for a check that provokes several
    upstream errors in a row, each of which may start a cool-down of the gateway's."""
    def send() -> Any:
        return client.request(method, path, **kwargs)

    return mock_log.past_cool_down(send) if mock_log is not None else send()
