"""gatecheck's reference proxy: a conformant OpenAI + Anthropic gateway over either format.

``create_app(config)`` gives the ASGI app (for in-process tests and embedding);
``gatecheck proxy`` serves it (see ``command``). Configuration: ``load_config`` /
``default_config`` (the embedded default of CONTRACT.md).
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
