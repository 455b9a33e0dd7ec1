"""Start an embedded target (``base-url = "embedded"``) for a run, via gatecheck.embedded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gatecheck._exceptions import HarnessError

if TYPE_CHECKING:
    from gatecheck.targets import TargetConfig

__all__ = ["Started", "start_for"]


@dataclass(frozen=True, slots=True)
class Started:
    """Where a started embedded target listens, and what the checks need exported."""

    base_url: str  # becomes the target's base-url (ends in /v1)
    mock_url: str | None  # the mock upstream's root, for the mock_log fixture
    env: dict[str, str] = field(default_factory=dict)  # e.g. the minted chat key


@contextmanager
def start_for(target: TargetConfig) -> Iterator[Started]:
    """Start the servers an embedded target needs and stop them on exit."""
    try:
        from gatecheck.embedded import start_embedded
    except ImportError as exc:
        raise HarnessError(f"target {target.name!r} is embedded but {exc}") from None
    with start_embedded(kind=target.embedded or "reference") as emb:
        yield Started(base_url=emb.base_url, mock_url=emb.mock_url, env=dict(emb.env))
