"""One small request per surface through a started gateway: proof that it routes to the mock.

Used by the interop test after each start. It goes
through gatecheck's one client, with the gateway's own credential (by env-var name) and the
routing headers the gateway needs, and reports each surface's status and whether the mock
really received the request (its log grows), so a gateway answering 200 by itself is seen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from gatecheck import GatewayClient, HarnessError, Timeouts
from gatecheck.interop._start import RunningGateway

__all__ = ["SMOKE_MODELS", "SmokeResult", "smoke"]

# The model each gateway is asked for on each surface: LiteLLM's names come from
# interop/litellm/config.yaml; Portkey passes the model through, so it is the mock's own.
SMOKE_MODELS: Mapping[str, Mapping[str, str]] = {
    "litellm": {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"},
    "portkey": {"openai": "mock-chat", "anthropic": "mock-chat"},
}
_PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
_TIMEOUTS = Timeouts(connect=5.0, read=30.0, total=30.0)


@dataclass(frozen=True, slots=True)
class SmokeResult:
    surface: str
    status: int
    reached_mock: bool
    excerpt: str  # the start of the body (redacted by the client's exchange record)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.reached_mock


def smoke(gateway: RunningGateway) -> list[SmokeResult]:
    """Send one two-token request per surface; the status and whether the mock saw it."""
    models = SMOKE_MODELS[gateway.name]
    secret = gateway.env.get(gateway.secret_env[0]) if gateway.secret_env else None
    results = []
    with GatewayClient(gateway.root_url, timeouts=_TIMEOUTS) as client, \
            GatewayClient(gateway.mock_url, timeouts=_TIMEOUTS) as mock:
        for surface, model in models.items():
            headers = dict(gateway.headers.get(surface, {}))
            if secret:
                headers["authorization"] = f"Bearer {secret}"
            if surface == "anthropic":
                headers["anthropic-version"] = "2023-06-01"
            before = _mock_seq(mock)
            body = {"model": model, "max_tokens": 2,
                    "messages": [{"role": "user", "content": "gatecheck interop smoke"}]}
            response = client.request("POST", _PATHS[surface], json=body, headers=headers)
            results.append(SmokeResult(surface, response.status, _mock_seq(mock) > before,
                                       response.exchange.response_body or ""))
    return results


def _mock_seq(mock: GatewayClient) -> int:
    """The sequence number of the mock's newest log entry (0: none yet)."""
    response = mock.request("GET", "/_mock/log", params={"limit": "1"})
    try:
        entries = json.loads(response.content)["entries"]
    except (ValueError, KeyError, TypeError):
        raise HarnessError(f"the mock at {mock.base_url} has no readable /_mock/log") from None
    return int(entries[-1]["seq"]) if entries else 0
