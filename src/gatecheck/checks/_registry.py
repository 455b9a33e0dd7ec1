"""The check registry and the ``@check`` decorator that declares a conformance check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from gatecheck import Surface
from gatecheck.results import CATEGORIES, LEVELS, Level

__all__ = [
    "CATEGORIES", "CHECKS", "LEVELS", "MARK", "CheckInfo", "Level", "Registry", "check", "info_of",
]

MARK = "gatecheck_check"  # the pytest mark the plugin looks for

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """What a check is: its checklist id, level, report row and one-line title."""

    id: str
    level: Level
    category: str
    title: str
    feature: str | None = None  # a feature the target must claim, else the check is skipped
    surface: Surface | None = None  # a surface the target must claim, else skipped

    def __post_init__(self) -> None:
        # Caught at import time of a suite, so a typo never reaches a report.
        if self.level not in LEVELS:
            raise ValueError(f"check {self.id}: level {self.level!r} is not one of {LEVELS}")
        if self.category not in CATEGORIES:
            raise ValueError(
                f"check {self.id}: category {self.category!r} is not one of {CATEGORIES}"
            )


class Registry(Generic[T]):
    """Named items in declaration order (after schemathesis ``core/registries.py``)."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        return self._items[name]

    def names(self) -> list[str]:
        return list(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items


# Every declared check, keyed by "module.qualname" of its test: read by the catalogue
# (gatecheck.pytest.catalogue: `gatecheck checks`, deviation ids in targets.toml).
CHECKS: Registry[CheckInfo] = Registry()


def _name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def check(
    id: str, /, *, level: Level, category: str, title: str,
    feature: str | None = None, surface: Surface | None = None,
) -> Callable[[F], F]:
    """Declare a check: ``@check("STR-O7", level="MUST", category="Streaming", title=...)``
    on a test in ``suites/`` records its CheckInfo in CHECKS and adds the
    ``gatecheck_check`` mark the plugin reads."""
    info = CheckInfo(id, level, category, title, feature, surface)

    def decorate(func: F) -> F:
        CHECKS.register(_name(func), info)
        marked: F = getattr(pytest.mark, MARK).with_args(info)(func)
        return marked

    return decorate


def info_of(item: pytest.Item) -> CheckInfo | None:
    """The CheckInfo of a collected test, or None for a test that is not a check."""
    marker = item.get_closest_marker(MARK)
    if marker is None or not marker.args or not isinstance(marker.args[0], CheckInfo):
        return None
    return marker.args[0]
