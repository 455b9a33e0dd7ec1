"""gatecheck: conformance and load harness for OpenAI- and Anthropic-compatible LLM gateways.

The public surface is re-exported here; everything else is private to its module.
"""

from __future__ import annotations

from gatecheck._exceptions import (
    ClientTimeoutError,
    ConfigError,
    HarnessError,
    ResponseTooLargeError,
    SseDecodeError,
    SseLimitError,
    StreamError,
    TargetUnreachableError,
    UsageError,
)
from gatecheck._sse import SseDecoder, SseEvent

__version__ = "0.1.0"

__all__ = [
    "ClientTimeoutError",
    "ConfigError",
    "HarnessError",
    "ResponseTooLargeError",
    "SseDecodeError",
    "SseDecoder",
    "SseEvent",
    "SseLimitError",
    "StreamError",
    "TargetUnreachableError",
    "UsageError",
    "__version__",
]
