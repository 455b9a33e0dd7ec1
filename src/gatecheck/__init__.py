"""gatecheck: conformance and load harness for OpenAI- and Anthropic-compatible LLM gateways.

The public surface is re-exported here; everything else is private to its module. The client
names are loaded on first use (PEP 562), so ``import gatecheck`` (and with it every CLI
command's startup) does not pay for importing httpx and asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gatecheck._bounds import release_frames
from gatecheck._exceptions import (
    ClientTimeoutError,
    ConfigError,
    ExchangeLike,
    HarnessError,
    OffOriginError,
    ResponseTooLargeError,
    SseDecodeError,
    SseLimitError,
    StreamError,
    TargetUnreachableError,
    UsageError,
)
from gatecheck._redact import (
    CREDENTIAL_PLACEHOLDERS,
    REDACTED,
    Redactor,
    credential_fingerprint,
    default_redactor,
    describe_credential,
    is_secret_name,
    neutralise,
    redact_curl,
)
from gatecheck._sse import SseDecoder, SseEvent
from gatecheck._timing import (
    SURFACES,
    Stamps,
    StreamMeter,
    Surface,
    Usage,
    Wire,
    content_gaps,
    e2e,
    e2e_from_intended,
    is_content_event,
    itl,
    schedule_lag,
    tpot_decode,
    tpot_e2e,
    ttfb,
    ttft,
    ttft_from_intended,
    usage_from,
)

# A measured lazy import (module docstring): httpx and asyncio add about 0.4 s to the 0.2 s
# of `import gatecheck`; type checkers see the names here, __getattr__ loads them.
if TYPE_CHECKING:
    from gatecheck._client import (
        AsyncGatewayClient,
        AsyncStreamResponse,
        Auth,
        Exchange,
        GatewayClient,
        Response,
        StreamResponse,
        Timeouts,
        exchange_of,
    )
    from gatecheck._sdk_http import sdk_http_client

_LAZY = {
    **{name: "gatecheck._client"
       for name in ("AsyncGatewayClient", "AsyncStreamResponse", "Auth", "Exchange",
                    "GatewayClient", "Response", "StreamResponse", "Timeouts", "exchange_of")},
    "sdk_http_client": "gatecheck._sdk_http",  # the official SDKs' bounded HTTP client
}

__version__ = "0.1.0"

__all__ = [
    "CREDENTIAL_PLACEHOLDERS",
    "REDACTED",
    "SURFACES",
    "AsyncGatewayClient",
    "AsyncStreamResponse",
    "Auth",
    "ClientTimeoutError",
    "ConfigError",
    "Exchange",
    "ExchangeLike",
    "GatewayClient",
    "HarnessError",
    "OffOriginError",
    "Redactor",
    "Response",
    "ResponseTooLargeError",
    "SseDecodeError",
    "SseDecoder",
    "SseEvent",
    "SseLimitError",
    "Stamps",
    "StreamError",
    "StreamMeter",
    "StreamResponse",
    "Surface",
    "TargetUnreachableError",
    "Timeouts",
    "Usage",
    "UsageError",
    "Wire",
    "__version__",
    "content_gaps",
    "credential_fingerprint",
    "default_redactor",
    "describe_credential",
    "e2e",
    "e2e_from_intended",
    "exchange_of",
    "is_content_event",
    "is_secret_name",
    "itl",
    "neutralise",
    "redact_curl",
    "release_frames",
    "schedule_lag",
    "sdk_http_client",
    "tpot_decode",
    "tpot_e2e",
    "ttfb",
    "ttft",
    "ttft_from_intended",
    "usage_from",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gatecheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
