"""Target-selection options, each declared once with its environment variable (nox _options.py).

Precedence: command line > GATECHECK_* environment > targets.toml > defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatecheck._exceptions import UsageError

__all__ = [
    "BASE_URL",
    "DEFAULT_TARGETS",
    "OPTIONS",
    "TARGET",
    "TARGETS_FILE",
    "Option",
    "add_target_options",
    "base_url_env",
    "parse_base_urls",
    "resolve_target_names",
]

DEFAULT_TARGETS = ("reference",)


@dataclass(frozen=True, slots=True)
class Option:
    """One option: its flag, its environment variable, and its help."""

    flag: str
    env: str
    dest: str
    help: str
    metavar: str
    append: bool = False

    def add_to(self, add: Callable[..., Any]) -> None:
        """Declare it on argparse (`parser.add_argument`) or pytest (`group.addoption`)."""
        add(
            self.flag,
            dest=self.dest,
            action="append" if self.append else "store",
            default=None,
            metavar=self.metavar,
            help=f"{self.help} [env: {self.env}]",
        )


TARGET = Option(
    flag="--target",
    env="GATECHECK_TARGET",
    dest="gatecheck_target",
    metavar="NAME",
    append=True,
    help=(
        "target from targets.toml to check (repeatable; 'all', 'embedded' or 'remote' for "
        "groups; env: comma-separated; default: reference). Remote targets are contacted "
        "only when named"
    ),
)
TARGETS_FILE = Option(
    flag="--targets-file",
    env="GATECHECK_TARGETS_FILE",
    dest="gatecheck_targets_file",
    metavar="PATH",
    help="the target registry (default: ./targets.toml, else the one shipped with gatecheck)",
)
BASE_URL = Option(
    flag="--base-url",
    env="GATECHECK_<NAME>_BASE_URL",
    dest="gatecheck_base_url",
    metavar="NAME=URL",
    append=True,
    help="point target NAME at another URL, e.g. a self-hosted gateway (repeatable)",
)
OPTIONS = (TARGET, TARGETS_FILE, BASE_URL)


def add_target_options(add: Callable[..., Any]) -> None:
    """Declare every target option with `add` (argparse add_argument or pytest addoption)."""
    for option in OPTIONS:
        option.add_to(add)


def base_url_env(name: str) -> str:
    """The env var that overrides target `name`'s base-url: GATECHECK_<NAME>_BASE_URL."""
    return f"GATECHECK_{name.upper().replace('-', '_')}_BASE_URL"


def resolve_target_names(cli: Sequence[str] | None, environ: Mapping[str, str]) -> list[str]:
    """The selected names: the command line's, else $GATECHECK_TARGET's, else the default."""
    if cli:
        raw: Sequence[str] = cli
    elif environ.get(TARGET.env, "").strip():
        raw = [environ[TARGET.env]]
    else:
        raw = DEFAULT_TARGETS
    names = [part.strip() for item in raw for part in item.split(",")]
    return [name for name in names if name]


def parse_base_urls(values: Sequence[str] | None) -> dict[str, str]:
    """NAME=URL pairs from --base-url; a malformed pair is a UsageError."""
    out: dict[str, str] = {}
    for value in values or ():
        name, sep, url = value.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise UsageError(f"{BASE_URL.flag} {value!r}: expected NAME=http(s)://host[:port]/v1")
        out[name.strip()] = url.strip().rstrip("/")
    return out
