"""Options shared by several front ends, each declared once with its environment variable.

One :class:`Option` feeds ``gatecheck``'s argparse commands (``--target``), the pytest plugin
and Locust (both namespaced: ``--gatecheck-target``, so they never collide with another
plugin's ``--base-url`` or ``--profile``), after nox ``_options.py``. Precedence: command line
> ``GATECHECK_*`` environment > targets.toml > defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatecheck._exceptions import UsageError
from gatecheck._exchange import Timeouts
from gatecheck._redact import default_redactor
from gatecheck.config import show_url, url_problem

__all__ = [
    "BASE_URL",
    "CHECK_BUDGET",
    "DEFAULT_CHECK_BUDGET_S",
    "DEFAULT_MAX_TIME_S",
    "DEFAULT_TARGETS",
    "MAX_TIME",
    "PROFILE",
    "PROFILES",
    "TARGET",
    "TARGETS_FILE",
    "TARGET_OPTIONS",
    "Option",
    "add_target_options",
    "base_url_env",
    "parse_base_urls",
    "resolve_profile",
    "resolve_seconds",
    "resolve_target_names",
]

DEFAULT_TARGETS = ("reference",)
PROFILES = ("sdk-compat", "strict")


@dataclass(frozen=True, slots=True)
class Option:
    """One option: its name, its environment variable, its help, its type and its default.

    ``kind`` is the value's type as Locust's web UI edits it (str, int or float: the UI
    converts what is typed to the type of the default); ``parse`` reads the command line's
    text when it is richer than that (a duration "30s" for seconds). ``default`` None means
    the value is resolved later (the environment, targets.toml, the scenario).
    """

    name: str  # "target": --target on gatecheck's commands, --gatecheck-target elsewhere
    env: str
    help: str
    metavar: str | None = None
    append: bool = False
    choices: tuple[str, ...] | None = None
    # Other flags a namespaced front end also accepts, where no well-known plugin uses them.
    aliases: tuple[str, ...] = ()
    kind: type = str
    default: Any = None
    parse: Callable[[str], Any] | None = None

    @property
    def dest(self) -> str:
        return "gatecheck_" + self.name.replace("-", "_")

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def namespaced_flag(self) -> str:
        return f"--gatecheck-{self.name}"

    def add_to(self, add: Callable[..., Any], *, namespaced: bool = False) -> None:
        """Declare it on argparse (``add_argument``) or pytest (``addoption``).

        ``namespaced``: as ``--gatecheck-NAME`` (pytest, Locust) plus its aliases. The
        value stays None when the flag is not given: :meth:`resolve` applies the
        environment and the default, so "not given" can still fall back to targets.toml.
        """
        flags = (self.namespaced_flag, *self.aliases) if namespaced else (self.flag,)
        extra: dict[str, Any] = {"choices": self.choices} if self.choices else {}
        if (not self.append and self.kind is not str) or self.parse is not None:
            extra["type"] = self.parse or self.kind
        text = f"{self.help}{self._default_note()} [env: {self.env}]"
        add(*flags, dest=self.dest, action="append" if self.append else "store", default=None,
            metavar=self.metavar, help=text.replace("%", "%%"), **extra)  # argparse formats it

    def add_to_locust(self, add: Callable[..., Any]) -> None:
        """Declare it on Locust's parser: ``--gatecheck-NAME``, typed, shown in the web UI.

        Locust's parser reads the environment variable itself (configargparse) and its web
        UI edits the value with the default's type, so both get the plain ``kind``.
        """
        extra: dict[str, Any] = {"choices": list(self.choices)} if self.choices else {}
        default = self.kind() if self.default is None else self.default
        add(self.namespaced_flag, type=self.kind, default=default, env_var=self.env,
            help=self.help.replace("%", "%%"), include_in_web_ui=True, **extra)

    def resolve(self, given: Any, environ: Mapping[str, str]) -> Any:
        """The command line's value, else the environment's (parsed), else the default."""
        value = self.given_or_env(given, environ)
        return self.default if value is None else value

    def given_or_env(self, given: Any, environ: Mapping[str, str]) -> Any:
        """The command line's value, else the environment's (parsed), else None."""
        if given is not None:
            return given
        raw = environ.get(self.env, "").strip()
        if not raw:
            return None
        try:
            value = (self.parse or self.kind)(raw)
        except (ValueError, UsageError) as exc:
            raise UsageError(f"{self.env}={default_redactor().text(raw)!r}: {exc}") from None
        if self.choices and value not in self.choices:
            raise UsageError(f"{self.env}={value!r}: expected one of {', '.join(self.choices)}")
        return value

    def _default_note(self) -> str:
        return "" if self.default in (None, "") else f" (default {self.default:g})" if isinstance(
            self.default, float) else f" (default {self.default})"


TARGET = Option(
    name="target", env="GATECHECK_TARGET", metavar="NAME", append=True, aliases=("--target",),
    help="target from targets.toml to check (repeatable; 'all', 'embedded' or 'remote' for "
         "groups; env: comma-separated; default: reference). Remote targets are contacted "
         "only when named",
)
TARGETS_FILE = Option(
    name="targets-file", env="GATECHECK_TARGETS_FILE", metavar="PATH",
    help="the target registry (default: ./targets.toml, else the one shipped with gatecheck)",
)
BASE_URL = Option(
    name="base-url", env="GATECHECK_<NAME>_BASE_URL", metavar="NAME=URL", append=True,
    help="point target NAME at another URL, e.g. a self-hosted gateway (repeatable)",
)
PROFILE = Option(
    name="profile", env="GATECHECK_PROFILE", choices=PROFILES,
    help="sdk-compat: fail what breaks official SDKs; strict: fail everything the specs "
         "require (default sdk-compat)",
)
TARGET_OPTIONS = (TARGET, TARGETS_FILE, BASE_URL)

# Time bounds (issue 12): a target may stall every request, so a run has a deadline and each
# check a budget. A gateway that stalls every API request is found out by the stall watch
# (gatecheck.pytest._stall) in a check or two; the deadline bounds what that cannot see (a
# gateway that drips, or stalls only some routes) to ten minutes with its report (the checks
# still to run when it passes are inconclusive, naming it), while a whole run against a real
# gateway fits (LiteLLM over the paced mock: 139 s on this 2-core machine). A check's
# default is two requests that each use their client's whole total deadline
# (Timeouts().total): far above what a check of a healthy gateway, even a slow one, takes
# (tenths of a second against the reference proxy), and enough for a stalled one to show two
# timeouts.
DEFAULT_MAX_TIME_S = 600.0
DEFAULT_CHECK_BUDGET_S = 2 * Timeouts().total
MAX_TIME = Option(
    name="max-time", env="GATECHECK_MAX_TIME", metavar="SECONDS",
    help=f"the run's deadline: checks not started by then are inconclusive, the one running "
         f"is stopped, and the reports are written (default {DEFAULT_MAX_TIME_S:g}; 0: none)",
)
CHECK_BUDGET = Option(
    name="check-budget", env="GATECHECK_CHECK_BUDGET", metavar="SECONDS",
    help=f"each check's time budget; a check that overruns it is inconclusive (default "
         f"{DEFAULT_CHECK_BUDGET_S:g}; 0: none)",
)


def add_target_options(add: Callable[..., Any], *, namespaced: bool = False) -> None:
    """Declare --target, --targets-file and --base-url with ``add`` (see Option.add_to)."""
    for option in TARGET_OPTIONS:
        option.add_to(add, namespaced=namespaced)


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


def resolve_profile(cli: str | None, environ: Mapping[str, str]) -> str:
    """The validation profile: the command line's, else $GATECHECK_PROFILE, else sdk-compat."""
    value = cli or environ.get(PROFILE.env, "").strip() or PROFILES[0]
    if value not in PROFILES:  # the environment escapes argparse's `choices`
        raise UsageError(f"{PROFILE.env}={value!r}: expected one of {', '.join(PROFILES)}")
    return value


def resolve_seconds(option: Option, cli: str | float | None, environ: Mapping[str, str],
                    default: float) -> float | None:
    """Seconds from the command line, else the option's variable, else ``default``; None
    for 0 (no bound). Anything but a number from 0 to a day is a UsageError."""
    raw = cli if cli is not None else environ.get(option.env, "").strip() or None
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:  # NaN fails this too
        where = option.flag if cli is not None else option.env
        raise UsageError(f"{where} {raw!r}: expected seconds, from 0 (none) to 86400")
    return value or None


def parse_base_urls(values: Sequence[str] | None, flag: str = BASE_URL.flag) -> dict[str, str]:
    """NAME=URL pairs from --base-url; a malformed pair, or a URL targets.toml would refuse
    as a base-url (gatecheck.config.url_problem), is a UsageError naming ``flag`` (the
    pytest plugin's is --gatecheck-base-url)."""
    out: dict[str, str] = {}
    for value in values or ():
        name, sep, url = value.partition("=")
        url = url.strip().rstrip("/")
        problem = url_problem(url) if sep and name.strip() else "no target NAME= before the URL"
        if problem is not None:
            # Masked: a password or a key pasted into the URL must not reach the terminal.
            shown = f"{default_redactor().text(name)}={show_url(url)}" if sep else show_url(value)
            raise UsageError(f"{flag} {shown!r}: {problem}; "
                             "expected NAME=http(s)://host[:port]/v1")
        out[name.strip()] = url
    return out
