"""What the client sends and records: Auth, Timeouts, and the redacted Exchange with its curl.

An Exchange is the evidence of one request: redacted when built (headers through
``Redactor.headers``, bodies and URL through ``Redactor.text``), body excerpts capped at
4 KiB, and a ``curl`` that reproduces the request with secrets replaced by ``$ENV_NAME`` when
the client knew the variable's name (``Auth(env=...)``), else ``[REDACTED]``.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx

from gatecheck._exceptions import ConfigError
from gatecheck._redact import Redactor

__all__ = [
    "EXCERPT_CHARS",
    "Auth",
    "AuthScheme",
    "Exchange",
    "Timeouts",
    "build_exchange",
    "excerpt",
    "secret_env_of",
]

AuthScheme = Literal["bearer", "x-api-key", "header", "none"]
EXCERPT_CHARS = 4096

# Headers curl sets itself, or that would make the reproduction differ (e.g. a stale length).
_CURL_SKIP = frozenset({"host", "content-length", "accept-encoding", "connection"})


@dataclass(frozen=True, slots=True)
class Auth:
    """How a request authenticates. The secret never appears in repr(); ``env`` names the
    environment variable it came from, so a curl can say ``$OPENAI_API_KEY`` instead."""

    scheme: AuthScheme = "none"
    secret: str | None = field(default=None, repr=False)
    header: str | None = None  # header name for scheme "header"
    env: str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in ("bearer", "x-api-key", "header", "none"):
            raise ValueError(f"unknown auth scheme {self.scheme!r}")
        if self.scheme == "header" and not self.header:
            raise ValueError("Auth(scheme='header') needs the header name in `header`")
        if self.scheme != "none" and self.secret is None:
            raise ValueError(f"Auth(scheme={self.scheme!r}) needs a secret")

    @classmethod
    def from_env(cls, scheme: AuthScheme, env: str, *, header: str | None = None) -> Auth:
        """Auth whose secret is read from environment variable ``env`` (ConfigError if unset)."""
        if scheme == "none":
            return cls()
        secret = os.environ.get(env)
        if not secret:
            raise ConfigError(f"environment variable {env} is not set (it holds the API key)")
        return cls(scheme, secret, header, env)

    @property
    def header_name(self) -> str | None:
        """The header this auth sets, or None for scheme "none"."""
        if self.scheme == "bearer":
            return "Authorization"
        if self.scheme == "x-api-key":
            return "x-api-key"
        return self.header if self.scheme == "header" else None

    def apply(self, headers: dict[str, str]) -> None:
        """Add this auth's header to ``headers`` (a no-op for scheme "none")."""
        name = self.header_name
        if name is not None and self.secret is not None:
            headers[name] = f"Bearer {self.secret}" if self.scheme == "bearer" else self.secret


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. ``total`` bounds the whole exchange, body or stream included."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0

    def __post_init__(self) -> None:
        if min(self.connect, self.read, self.total) <= 0:
            raise ValueError("timeouts must be positive")

    def to_httpx(self) -> httpx.Timeout:
        # No single read may outlive the whole exchange.
        connect, read = min(self.connect, self.total), min(self.read, self.total)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


@dataclass(frozen=True, slots=True)
class Exchange:
    """The redacted record of one request and what came back (or what went wrong)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str | None  # excerpt, at most EXCERPT_CHARS characters
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: str | None  # excerpt
    duration_ms: float | None
    error: str | None
    stream: bool
    request_bytes: int = 0  # full sizes, as sent and received
    response_bytes: int = 0
    # Whether the excerpt stops short of the body. Recorded when the excerpt is cut, since
    # sizes cannot tell: redaction changes the length of what is kept.
    request_truncated: bool = False
    response_truncated: bool = False
    secret_env: tuple[tuple[str, str], ...] = ()  # (lower-case header name, env var name)

    def curl(self) -> str:
        """A shell command reproducing the request (``-N`` for streams)."""
        parts = ["curl", "-sS"]
        if self.stream:
            parts.append("-N")
        if self.method != "GET" or self.request_body is not None:
            parts += ["-X", self.method]
        parts.append(shlex.quote(self.url))
        env = dict(self.secret_env)
        for name, value in self.request_headers:
            lower = name.lower()
            if lower in _CURL_SKIP:
                continue
            if lower in env:
                # Double quotes so the shell expands the variable; names are [A-Za-z0-9_-].
                scheme = "Bearer " if value.lower().startswith("bearer ") else ""
                parts += ["-H", f'"{name}: {scheme}${env[lower]}"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body is not None:
            parts += ["--data-raw", shlex.quote(self.request_body)]
            if self.request_truncated:
                parts.append(f"# body cut to {EXCERPT_CHARS} characters of {self.request_bytes}"
                             " bytes")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what results.jsonl stores), curl included."""
        data = asdict(self)
        data["request_headers"] = [list(pair) for pair in self.request_headers]
        data["response_headers"] = [list(pair) for pair in self.response_headers]
        data["secret_env"] = [list(pair) for pair in self.secret_env]
        data["curl"] = self.curl()
        return data


def excerpt(redactor: Redactor, body: bytes | None) -> str | None:
    """The redacted first EXCERPT_CHARS characters of a body (None when there was none)."""
    return _excerpt(redactor, body)[0]


def _excerpt(redactor: Redactor, body: bytes | None) -> tuple[str | None, bool]:
    """The excerpt, and whether it was cut (part of the redacted body left out)."""
    if body is None:
        return None, False
    # Redact a little more than is kept, so a secret cut by the excerpt's end is still caught.
    raw = body[: EXCERPT_CHARS * 4 + 1024]
    text = raw.decode("utf-8", "replace")
    head = text[: EXCERPT_CHARS + 256]
    redacted = redactor.text(head)
    cut = len(raw) < len(body) or len(head) < len(text) or len(redacted) > EXCERPT_CHARS
    return redacted[:EXCERPT_CHARS], cut


def build_exchange(
    redactor: Redactor,
    *,
    method: str,
    url: str,
    request_headers: Iterable[tuple[str, str]],
    request_body: bytes | None,
    status: int | None = None,
    response_headers: Iterable[tuple[str, str]] = (),
    response_body: bytes | None = None,
    response_bytes: int = 0,
    duration_ms: float | None = None,
    error: str | None = None,
    stream: bool = False,
    secret_env: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    """Redact the raw parts of an exchange into an Exchange."""
    request_excerpt, request_cut = _excerpt(redactor, request_body)
    response_excerpt, response_cut = _excerpt(redactor, response_body)
    return Exchange(
        method=method,
        url=redactor.url(url),
        request_headers=redactor.headers(list(request_headers)),
        request_body=request_excerpt,
        status=status,
        response_headers=redactor.headers(list(response_headers)),
        response_body=response_excerpt,
        duration_ms=duration_ms,
        error=redactor.text(error) if error else error,
        stream=stream,
        request_bytes=len(request_body) if request_body else 0,
        response_bytes=response_bytes,
        request_truncated=request_cut,
        response_truncated=response_cut,
        secret_env=secret_env,
    )


def secret_env_of(auth: Auth) -> tuple[tuple[str, str], ...]:
    """The (header, env var) pair that lets a curl name the secret's variable."""
    name = auth.header_name
    return ((name.lower(), auth.env),) if name and auth.env else ()
