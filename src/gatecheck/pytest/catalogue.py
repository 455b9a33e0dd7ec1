"""The check catalogue: every check the suites declare, read from the suites themselves.

``gatecheck checks`` prints it (also as JSON), ``gatecheck targets`` refuses a deviation
under an id it does not list, ``gatecheck run --check ID`` selects by it. The suite modules
are imported (not run): each ``@check`` registers its CheckInfo in ``gatecheck.checks.CHECKS``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gatecheck import ConfigError, Surface, UsageError
from gatecheck.checks import CHECKS, CheckInfo
from gatecheck.results import CATEGORIES, LEVELS, Level
from gatecheck.targets import Registry

__all__ = ["CheckEntry", "load_catalogue", "validate_registry"]


@dataclass(frozen=True, slots=True)
class CheckEntry:
    """One suite test that is a check: its id, level, category, gates, title and where."""

    id: str
    level: Level
    category: str
    title: str
    surface: Surface | None
    feature: str | None
    test: str  # the test function: what a deviation's `checks` list names
    file: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _import(path: Path) -> str:
    """Import one suite file under a private module name (never run it); returns the name."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"_gatecheck_suite_{digest}_{path.stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise UsageError(f"{path}: not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a suite that does not import is bad input, said in a line
            del sys.modules[name]
            raise UsageError(f"{path}: cannot import: {type(exc).__name__}: {exc}") from None
    return name


def _order(entry: CheckEntry) -> tuple[Any, ...]:
    """Report order: category, then the id naturally (W-2 before W-10), level, test."""
    prefix, _, number = entry.id.rpartition("-")
    digits = "".join(ch for ch in number if ch.isdigit())
    return (CATEGORIES.index(entry.category), prefix, int(digits or 0), number,
            LEVELS.index(entry.level), entry.test)


def load_catalogue(suites: Path) -> list[CheckEntry]:
    """Every check of the suites in ``suites`` (test_*.py), in report order."""
    files = sorted(suites.glob("test_*.py"))
    if not files:
        raise UsageError(f"{suites}: no test_*.py suites here")
    entries = []
    for path in files:
        module = _import(path)
        for name in CHECKS.names():
            info = CHECKS.get(name)
            owner, _, test = name.rpartition(".")
            if owner != module or not isinstance(info, CheckInfo):
                continue
            entries.append(CheckEntry(id=info.id, level=info.level, category=info.category,
                                      title=info.title, surface=info.surface,
                                      feature=info.feature, test=test, file=path.name))
    return sorted(entries, key=_order)


def validate_registry(registry: Registry, catalogue: list[CheckEntry],
                      only: set[str] | None = None) -> None:
    """Refuse, in one line, a deviation under a check id or test the catalogue lacks, or one
    whose checks can never run on its target (a feature or surface it does not claim).

    ``only``: the targets to judge (a run's own; custom suites need not know every target's).
    """
    try:
        registry.check_deviation_ids({e.id for e in catalogue}, {e.test for e in catalogue},
                                     only=only)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (see `gatecheck checks`)") from None
    for index, target in enumerate(registry):
        if only is not None and target.name not in only:
            continue
        for deviation in target.deviations:
            covered = [e for e in catalogue
                       if deviation.matches(e.id, e.surface, e.test)
                       or (e.surface is None and deviation.matches(e.id, deviation.surface,
                                                                   e.test))]
            if covered and all(
                    target.skip_reason(feature=e.feature, surface=e.surface) is not None
                    for e in covered):
                why = target.skip_reason(feature=covered[0].feature, surface=covered[0].surface)
                raise ConfigError(
                    f"{registry.file}: target[{index}].deviations.{deviation.key}: every check "
                    f"it covers is skipped on this target ({why}), so no run can verify it")
