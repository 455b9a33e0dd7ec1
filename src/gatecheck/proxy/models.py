"""Model names: aliases and direct models -> (provider, upstream model), and /v1/models.

Echo policy (ALIAS-2): responses carry the name the client asked for; the
upstream model goes in the ``x-gatecheck-resolved-model`` header, without the provider
prefix, so internal routing names never leak. ``/v1/models`` lists exactly the names that
``resolve`` accepts (ALIAS-4), in the OpenAI shape or, when ``anthropic-version`` is sent,
the Anthropic shape (MOD-1..3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from gatecheck.proxy.config import ProviderConfig, ProxyConfig
from gatecheck.proxy.errors import ProxyError

__all__ = ["ModelTable", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    provider: ProviderConfig
    model: str  # the upstream's name for it


class ModelTable:
    """Resolves client model names; built once from the config."""

    def __init__(self, config: ProxyConfig) -> None:
        self._targets: dict[str, tuple[Target, ...]] = {}
        for provider in config.providers:
            for model in provider.models:
                self._targets[model] = (Target(provider, model),)
        for alias, refs in config.aliases.items():
            targets = []
            for ref in refs:
                name, _, model = ref.partition("/")
                targets.append(Target(config.provider(name), model))
            self._targets[alias] = tuple(targets)
        self.names = sorted(self._targets)
        self.created = int(time.time())

    def resolve(self, name: str) -> Target:
        """The first target of ``name``, or 404."""
        return self.resolve_all(name)[0]

    def resolve_all(self, name: str) -> tuple[Target, ...]:
        """Every target of ``name`` in failover order (dispatch.Dispatcher), or 404."""
        targets = self._targets.get(name)
        if not targets:
            raise ProxyError(
                "model_not_found",
                f"The model `{name}` does not exist or you do not have access to it.",
                param="model",
            )
        return targets

    def openai_entry(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": self.created, "owned_by": "gatecheck"}

    def anthropic_entry(self, name: str) -> dict[str, Any]:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created))
        # lifecycle: required by the current SDK type (ModelInfo); a served model is active
        return {"type": "model", "id": name, "display_name": name, "created_at": created,
                "lifecycle": "active"}

    def openai_list(self) -> dict[str, Any]:
        return {"object": "list", "data": [self.openai_entry(n) for n in self.names]}

    def anthropic_list(self, query: dict[str, str]) -> dict[str, Any]:
        """Anthropic's paginated list: ``limit`` (1-1000, default 20), after_id/before_id."""
        names = self.names
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise ProxyError("invalid_request", "limit must be an integer", param="limit") from None
        if not 1 <= limit <= 1000:
            raise ProxyError("invalid_request", "limit must be between 1 and 1000", param="limit")
        if "after_id" in query and query["after_id"] in names:
            names = names[names.index(query["after_id"]) + 1 :]
            page = names[:limit]
        elif "before_id" in query and query["before_id"] in names:
            names = names[: names.index(query["before_id"])]
            page = names[-limit:]
        else:
            page = names[:limit]
        return {
            "data": [self.anthropic_entry(n) for n in page],
            "has_more": len(names) > len(page),
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }

    def entry(self, name: str, anthropic: bool) -> dict[str, Any]:
        if name not in self._targets:
            message = f"The model `{name}` does not exist."
            raise ProxyError("model_not_found", message, param="model")
        return self.anthropic_entry(name) if anthropic else self.openai_entry(name)
