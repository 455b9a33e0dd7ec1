"""The offline demo: report 004's providers, each a mock-backed provider of the reference proxy.

``gatecheck matrix`` with no target starts the embedded stack with one OpenAI-format
provider per row of report 004 (all pointing at the loopback mock) and an alias per
``@provider/model`` id onto the mock's ``mock-chat``, except HuggingFace, whose alias goes
to the mock's ``mock-404`` preset: the same 404 report 004 saw. A new user gets a realistic
matrix with no network and no keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

from gatecheck import Auth, default_redactor
from gatecheck.embedded import start_embedded
from gatecheck.proxy import ProxyConfig, parse_config
from gatecheck.targets import MatrixModelConfig

__all__ = ["DEMO_MODELS", "DEMO_TARGET", "DemoStack", "demo_proxy_config", "start_demo"]

DEMO_TARGET = "demo"
# (provider, model id, mock model that answers it): report 004's table, in its order.
DEMO_MODELS: tuple[tuple[str, str, str], ...] = (
    ("DeepInfra", "@deepinfra/zai-org/GLM-4.5-Air", "mock-chat"),
    ("DeepInfra", "@deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct", "mock-chat"),
    ("OpenRouter", "@openrouter/openai/gpt-3.5-turbo", "mock-chat"),
    ("X.AI", "@xai/grok-3", "mock-chat"),
    ("Cerebras", "@cerebras/llama3.1-8b", "mock-chat"),
    ("Novita", "@novita/meta-llama/llama-3.1-8b-instruct", "mock-chat"),
    ("Nebius", "@nebius/meta-llama/Meta-Llama-3.1-8B-Instruct", "mock-chat"),
    ("HuggingFace", "@huggingface/meta-llama/Meta-Llama-3.1-8B-Instruct", "mock-404"),
)


def _slug(model: str) -> str:
    return model.removeprefix("@").split("/", 1)[0]


def demo_proxy_config(mock_url: str) -> ProxyConfig:
    """The reference proxy's config for the demo: a provider per slug, an alias per model."""

    slugs = list(dict.fromkeys(_slug(model) for _, model, _ in DEMO_MODELS))
    return parse_config(
        {
            "provider": [{"name": slug, "format": "openai", "base-url": mock_url}
                         for slug in slugs],
            "aliases": {model: f"{_slug(model)}/{mock_model}"
                        for _, model, mock_model in DEMO_MODELS},
        },
        source="<matrix demo>",
    )


def demo_entries() -> tuple[MatrixModelConfig, ...]:
    return tuple(MatrixModelConfig(provider=provider, model=model, extra_body=MappingProxyType({}),
                                   note="offline demo: the mock behind the reference proxy")
                 for provider, model, _ in DEMO_MODELS)


@dataclass(frozen=True, slots=True)
class DemoStack:
    root_url: str  # the proxy, without /v1
    auth: Auth
    entries: tuple[MatrixModelConfig, ...]


@contextmanager
def start_demo() -> Iterator[DemoStack]:
    """Start the mock and the demo-configured proxy on loopback; stop both on exit."""

    with start_embedded(proxy_config=demo_proxy_config) as stack:
        default_redactor().add_secret(stack.admin_key)
        # The admin key may chat too (proxy/auth.py); the demo has no other key to show.
        auth = Auth(scheme="bearer", secret=stack.admin_key, env="GATECHECK_ADMIN_KEY")
        yield DemoStack(stack.proxy_url, auth, demo_entries())
