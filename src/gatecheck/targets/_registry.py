"""The loaded registry: look targets up by name and select them the way users name them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from gatecheck import ConfigError, UsageError
from gatecheck.config import did_you_mean, format_path, url_problem
from gatecheck.options import base_url_env
from gatecheck.targets._model import TargetConfig

__all__ = ["GROUPS", "Registry"]

# Group names a user may give instead of target names.
GROUPS = ("all", "embedded", "remote")


@dataclass(frozen=True, slots=True)
class Registry:
    """Every target of one targets.toml, in file order."""

    targets: tuple[TargetConfig, ...]
    file: str = "targets.toml"

    def __iter__(self) -> Iterator[TargetConfig]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __contains__(self, name: object) -> bool:
        return any(t.name == name for t in self.targets)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def get(self, name: str) -> TargetConfig:
        """The target called `name`; a UsageError listing the known names otherwise."""
        for target in self.targets:
            if target.name == name:
                return target
        hint = did_you_mean(name, self.names)
        known = ", ".join(self.names)
        raise UsageError(f"unknown target {name!r}{hint} (known in {self.file}: {known})")

    def select(self, names: Sequence[str]) -> list[TargetConfig]:
        """The named targets in the order given, without repeats.

        'all' is every target, 'embedded' the ones gatecheck starts itself, 'remote' the
        others; a name may also be one of these groups' members. Unknown names fail before
        anything is contacted.
        """
        chosen: dict[str, TargetConfig] = {}
        for name in names:
            if name == "all":
                group: Iterable[TargetConfig] = self.targets
            elif name == "embedded":
                group = (t for t in self.targets if t.is_embedded)
            elif name == "remote":
                group = (t for t in self.targets if t.is_remote)
            else:
                group = (self.get(name),)
            for target in group:
                chosen.setdefault(target.name, target)
        if not chosen:
            raise UsageError(f"no targets selected from {self.file}")
        return list(chosen.values())

    def with_base_urls(self, urls: Mapping[str, str]) -> Registry:
        """A copy with base-urls replaced (the command line's --base-url NAME=URL)."""
        for name in urls:
            self.get(name)  # an unknown name is a UsageError naming the known ones
        return Registry(
            tuple(t.with_base_url(urls[t.name]) if t.name in urls else t for t in self.targets),
            file=self.file,
        )

    def with_env_overrides(self, environ: Mapping[str, str]) -> Registry:
        """A copy with each GATECHECK_<NAME>_BASE_URL applied (env beats the file)."""
        urls = {}
        for target in self.targets:
            value = environ.get(base_url_env(target.name), "").strip()
            if value:
                problem = url_problem(value)
                if problem is not None:  # the rule of targets.toml's base-url; never quoted
                    raise UsageError(f"${base_url_env(target.name)}: {problem}")
                urls[target.name] = value
        return self.with_base_urls(urls) if urls else self

    def check_deviation_ids(
        self, known: Iterable[str], checks: Iterable[str] | None = None,
        only: set[str] | None = None,
    ) -> None:
        """Fail if a deviation names a check id (or test function) the suites lack.

        The catalogue (gatecheck.pytest.catalogue) calls it with the suites' ids: the
        registry alone cannot know them, and a typo would otherwise silently never match.
        ``only``: the names of the targets to judge.
        """
        known_ids = sorted(set(known))
        known_checks = sorted(set(checks)) if checks is not None else None
        for index, target in enumerate(self.targets):
            if only is not None and target.name not in only:
                continue
            for dev in target.deviations:
                where = f"{self.file}: {format_path(['target', index, 'deviations', dev.key])}"
                if dev.check_id not in known_ids:
                    hint = did_you_mean(dev.check_id, known_ids)
                    raise ConfigError(f"{where}: unknown check id{hint}")
                for name in dev.checks:
                    if known_checks is not None and name not in known_checks:
                        hint = did_you_mean(name, known_checks)
                        raise ConfigError(f"{where}.checks: unknown check {name!r}{hint}")
