"""The exceptions gatecheck raises, in one tree.

    HarnessError                 something is wrong with the harness, its input or its reach
    ├── UsageError               bad command-line input (one clear line, exit 2)
    ├── ConfigError              a bad targets.toml or proxy.toml (names the file and field)
    ├── TargetUnreachableError   the target did not answer at the transport level
    ├── ClientTimeoutError       a connect, read or total deadline passed
    ├── ResponseTooLargeError    a body (decoded) or the headers grew past the client's caps
    ├── OffOriginError           a request (e.g. a redirect) pointed off the target's origin
    └── StreamError              an event stream could not be read
        ├── SseLimitError        an event or the whole stream grew past its bound
        └── SseDecodeError       the bytes were not valid UTF-8 event-stream text

Conformance failures are not HarnessErrors: a target that answers wrongly is a finding, not
a fault of the harness. They subclass AssertionError (see gatecheck.checks).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ClientTimeoutError",
    "ConfigError",
    "ExchangeLike",
    "HarnessError",
    "OffOriginError",
    "ResponseTooLargeError",
    "SseDecodeError",
    "SseLimitError",
    "StreamError",
    "TargetUnreachableError",
    "UsageError",
]


@runtime_checkable
class ExchangeLike(Protocol):
    """What errors and check results keep of a request (``gatecheck.Exchange``, redacted)."""

    def curl(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class HarnessError(Exception):
    """Base of every error that is the harness's to report (not the target's)."""

    #: The redacted exchange that failed, when the error came from a request.
    exchange: ExchangeLike | None = None


class UsageError(HarnessError):
    """Bad input to a gatecheck command."""


class ConfigError(HarnessError):
    """A configuration file that cannot be used; the message names the file and field."""


class TargetUnreachableError(HarnessError):
    """The target refused, reset or never accepted the connection."""


class ClientTimeoutError(HarnessError):
    """A connect, read or total deadline passed before the exchange finished."""


class ResponseTooLargeError(HarnessError):
    """A response body (counted decoded) or its headers grew past the client's caps."""

    def __init__(self, message: str, *, size: int | None = None, how: str = "read") -> None:
        super().__init__(message)
        self.size = size  # bytes seen when the cap was hit (None: not known)
        self.how = how  # "read", "decoded", "announced by Content-Length" or "headers"


class OffOriginError(HarnessError):
    """A request to another origin than the target's was refused before it was sent."""


class StreamError(HarnessError):
    """An event stream could not be read as server-sent events."""


class SseLimitError(StreamError):
    """An event or the whole stream exceeded its configured size bound."""


class SseDecodeError(StreamError):
    """Event-stream bytes that are not valid UTF-8."""
