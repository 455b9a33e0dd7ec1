"""Hand resolved secret values to the process-wide redactor, so no artefact can show them."""

from __future__ import annotations

from gatecheck._redact import default_redactor

__all__ = ["register_secret"]


def register_secret(value: str) -> None:
    """Mask `value` in everything written from now on (logs, exchanges, reports)."""
    if value:
        default_redactor().add_secret(value)
