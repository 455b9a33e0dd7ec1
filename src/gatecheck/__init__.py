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
from gatecheck._redact import REDACTED, Redactor, default_redactor, is_secret_name
from gatecheck._sse import SseDecoder, SseEvent
from gatecheck._timing import (
    Stamps,
    StreamMeter,
    Surface,
    Usage,
    e2e,
    e2e_from_intended,
    is_content_event,
    itl,
    schedule_lag,
    tpot_e2e,
    ttfb,
    ttft,
    ttft_from_intended,
)

__version__ = "0.1.0"

__all__ = [
    "REDACTED",
    "ClientTimeoutError",
    "ConfigError",
    "HarnessError",
    "Redactor",
    "ResponseTooLargeError",
    "SseDecodeError",
    "SseDecoder",
    "SseEvent",
    "SseLimitError",
    "Stamps",
    "StreamError",
    "StreamMeter",
    "Surface",
    "TargetUnreachableError",
    "Usage",
    "UsageError",
    "__version__",
    "default_redactor",
    "e2e",
    "e2e_from_intended",
    "is_content_event",
    "is_secret_name",
    "itl",
    "schedule_lag",
    "tpot_e2e",
    "ttfb",
    "ttft",
    "ttft_from_intended",
]
