"""The wire protocols, as facts and pure functions: what each front door looks like.

``openai`` (Chat Completions) and ``anthropic`` (Messages) each hold their protocol's facts
once: paths, version header, the status / error-type tables and the request builders that
the mock, the proxy, the load users and the matrix probes share; ``translate`` converts
between them (for the proxy). The checks keep their own independent tables as the judge
(``gatecheck.checks``): an implementation table never grades itself.
"""

from __future__ import annotations

from typing import Any

from gatecheck import SURFACES, Surface
from gatecheck.protocols import anthropic, openai

__all__ = ["SURFACES", "Surface", "anthropic", "chat_path", "chat_request", "openai",
           "protocol_headers"]


def chat_path(surface: Surface) -> str:
    """The chat route of ``surface``, under the API root (``.../v1``)."""
    return anthropic.MESSAGES_PATH if surface == "anthropic" else openai.CHAT_PATH


def chat_request(surface: Surface, model: str, prompt: str, *, max_tokens: int,
                 stream: bool = False) -> dict[str, Any]:
    """The smallest chat body for ``surface``; an OpenAI stream asks for its usage chunk."""
    if surface == "anthropic":
        return anthropic.messages_request(model, prompt, max_tokens=max_tokens, stream=stream)
    return openai.chat_request(model, prompt, max_tokens=max_tokens, stream=stream,
                               include_usage=stream)


def protocol_headers(surface: Surface) -> dict[str, str]:
    """Headers every real client of ``surface`` sends (``anthropic-version`` on Messages)."""
    return {anthropic.VERSION_HEADER: anthropic.VERSION} if surface == "anthropic" else {}
