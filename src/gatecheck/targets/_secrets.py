"""Hand resolved secret values to the process-wide redactor, so no artefact can show them."""

from __future__ import annotations

import importlib
import logging
from typing import Any

__all__ = ["register_secret"]

_log = logging.getLogger(__name__)

# Values registered before gatecheck._redact could be imported; flushed on the next call
# that finds it, so a secret resolved early is still masked once the redactor exists.
_pending: list[str] = []


def _redactor() -> Any:
    # Imported lazily and by name: the registry must load (and its tests run) even in a
    # checkout where the core's redactor is missing or broken.
    try:
        module = importlib.import_module("gatecheck._redact")
    except ImportError:
        return None
    return module.default_redactor()


def register_secret(value: str) -> None:
    """Register `value` with `gatecheck._redact.default_redactor()` (deferred if absent)."""
    if not value:
        return
    redactor = _redactor()
    if redactor is None:
        _log.debug("gatecheck._redact not importable; secret registration deferred")
        _pending.append(value)
        return
    while _pending:
        redactor.add_secret(_pending.pop())
    redactor.add_secret(value)
