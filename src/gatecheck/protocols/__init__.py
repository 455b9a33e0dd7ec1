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
           "protocol_headers", "surface_of_path"]


def chat_path(surface: Surface) -> str:
    """The chat route of ``surface``, under the API root (``.../v1``)."""
    return anthropic.MESSAGES_PATH if surface == "anthropic" else openai.CHAT_PATH


def surface_of_path(path: str) -> Surface:
    """The front door a request path belongs to: Anthropic's Messages routes, else OpenAI's.

    ``path`` is under the root (``/v1/messages``) or the API root (``/messages``), with or
    without a query.
    """
    route = path.split("?", 1)[0].rstrip("/")
    route = route.removeprefix("/v1") if route.startswith("/v1/") else route
    is_messages = route == anthropic.MESSAGES_PATH or route.startswith(
        anthropic.MESSAGES_PATH + "/")
    return "anthropic" if is_messages else "openai"


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
