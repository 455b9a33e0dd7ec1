"""gatecheck's reference proxy: a conformant OpenAI + Anthropic gateway over either format.

``create_app(config)`` gives the ASGI app (in-process tests, embedding); ``gatecheck proxy``
serves it (``command``); ``gatecheck.embedded.start_embedded`` runs it over the mock.

Front doors, each also without ``/v1``: ``POST /v1/chat/completions``, ``POST /v1/messages``,
``POST /v1/messages/count_tokens``, ``POST /v1/responses`` and ``POST /v1/embeddings``
(``responses``: passed through, or translated to Chat Completions / Messages),
``GET /v1/models[/{id}]``, ``GET /health``, ``/health/live``, ``/health/ready``,
``POST|GET /v1/keys``, ``DELETE /v1/keys/{id}``, ``GET /v1/usage``, ``GET /metrics``.
Module map: ``config`` (proxy.toml + ``config.schema.json``), ``keystore`` and ``auth``,
``errors`` (both envelopes), ``cors`` (outermost), ``app`` (routing, context, responses),
``forward``, ``responses`` and ``streams`` (model routes), ``upstream`` (aiohttp),
``admin``, ``server`` (assembly). Part 2: ``ratelimit`` (windows, memory and Redis
backends) and ``limiter`` (429s and headers), ``dispatch`` (failover, ``breaker``,
``retry``, concurrency gate, timeouts), ``metrics``, ``shutdown`` (SIGTERM drain),
``supervisor`` and ``worker`` (several processes sharing keys and limits).

Resilience policies: a key's limits (``rate_limits`` at creation, else the config's
``[rate-limits]``) are checked after auth on chat/messages; over a limit is 429 with
Retry-After and the surface's rate-limit headers, which every answer of a limited key
carries. Upstream retries: connect errors and 408/409/429/5xx/529 only, before any byte
reached the client, backoff with full jitter, Retry-After honoured up to a cap. A breaker
per provider opens after N consecutive 5xx/529/timeouts/connection failures (one per client
request), answers 503 with Retry-After for its cool-down, then lets one probe through; an
alias's later providers are tried when one fails or is open. The embedded default (over
the mock, whose faults are injected per request) retries nothing and opens its breaker
only after 50 failures in a row, so one check's injected 5xx cannot fail the next check.

Documented policies (what a check may rely on):

- Model echo: bodies, every OpenAI chunk and Anthropic ``message_start`` carry the name the
  client sent; the upstream model is in ``x-gatecheck-resolved-model`` (no provider prefix).
- ``anthropic-version``: not required; when absent the proxy sends its configured default
  (``2023-06-01``) upstream, otherwise the client's value. ``anthropic-beta`` is forwarded.
- Errors: the caller's surface decides the envelope. Upstream 4xx keep their status (and,
  in the caller's own format, type/param/code); 429 keeps Retry-After and rate-limit
  headers; upstream 401/403 (the proxy's provider key) -> 502; 503/529 -> 529 on Anthropic,
  503 on OpenAI; other 5xx -> 502; timeouts -> 504. After a 200, one error event ends the
  stream. Routes other than the two surfaces answer in the Anthropic envelope when the
  request carries ``anthropic-version``, else in the OpenAI one.
- Usage is the upstream's, never estimated. ``count_tokens`` over an OpenAI upstream sends
  the translated request with ``max_tokens: 1`` and reports its ``prompt_tokens`` (see
  ``Forwarder.count_tokens``). A key's usage counts chat/messages requests; its input
  tokens include Anthropic cache reads and writes.
- Keys: ``gk-`` + 256 random bits, stored as SHA-256 digests (see ``keystore``); the admin
  key comes from ``GATECHECK_ADMIN_KEY`` (the config's ``admin-key-env``).
"""

from __future__ import annotations

from gatecheck.proxy.config import (
    ProviderConfig,
    ProxyConfig,
    default_config,
    load_config,
    parse_config,
)
from gatecheck.proxy.keystore import KeyStore
from gatecheck.proxy.server import ProxyApp, create_app

__all__ = [
    "KeyStore",
    "ProviderConfig",
    "ProxyApp",
    "ProxyConfig",
    "create_app",
    "default_config",
    "load_config",
    "parse_config",
]
