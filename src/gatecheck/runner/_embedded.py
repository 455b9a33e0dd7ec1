"""Start an embedded target (``base-url = "embedded"``) for a run, via gatecheck.embedded.

``reference`` is the reference proxy over the mock upstream, ``reference-anthropic`` the
same proxy speaking Anthropic format to the mock (so both translation directions and the
Anthropic passthrough are checked end to end); the run mints a chat key through the proxy's
own ``POST /v1/keys`` (as a user would) and exports it, with the admin key, under the env
var names the target's profile gives. ``mock`` is the mock alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from gatecheck._exceptions import HarnessError

if TYPE_CHECKING:
    from gatecheck.targets import TargetConfig

__all__ = ["Started", "start_for"]

_MINT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Started:
    """Where a started embedded target listens, and what the checks need exported."""

    base_url: str  # becomes the target's base-url (ends in /v1)
    mock_url: str | None  # the mock upstream's root, for the mock_log fixture
    env: dict[str, str] = field(default_factory=dict)  # env var name -> secret


@contextmanager
def start_for(target: TargetConfig) -> Iterator[Started]:
    """Start the servers an embedded target needs and stop them on exit."""
    from gatecheck._redact import default_redactor
    from gatecheck.embedded import serve_in_thread, start_embedded

    if target.embedded == "mock":
        from gatecheck.mock import create_app

        with serve_in_thread(create_app()) as mock_url:
            yield Started(base_url=f"{mock_url}/v1", mock_url=mock_url)
        return
    upstream: Literal["openai", "anthropic"] = (
        "anthropic" if target.embedded == "reference-anthropic" else "openai")
    with start_embedded(upstream_format=upstream) as stack:
        env: dict[str, str] = {}
        if target.auth.admin_env:
            env[target.auth.admin_env] = stack.admin_key
        if target.auth.env:
            env[target.auth.env] = _mint_chat_key(stack.proxy_url, stack.admin_key)
        redactor = default_redactor()
        for secret in env.values():
            redactor.add_secret(secret)
        yield Started(base_url=f"{stack.proxy_url}/v1", mock_url=stack.mock_url, env=env)


def _mint_chat_key(proxy_url: str, admin_key: str) -> str:
    from gatecheck._client import GatewayClient
    from gatecheck._exchange import Auth, Timeouts

    timeouts = Timeouts(connect=_MINT_TIMEOUT_S, read=_MINT_TIMEOUT_S, total=_MINT_TIMEOUT_S)
    try:
        with GatewayClient(proxy_url, Auth("bearer", admin_key), timeouts=timeouts) as client:
            response = client.request(
                "POST", "/v1/keys", json={"name": "gatecheck run", "permissions": ["chat"]})
            body = response.json() if response.status in (200, 201) else None
    except (HarnessError, ValueError) as exc:
        raise HarnessError(f"embedded proxy: minting a chat key failed: {exc}") from None
    key = body.get("key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        raise HarnessError(f"embedded proxy: POST /v1/keys answered {response.status}")
    return key
