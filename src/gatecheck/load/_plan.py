"""A load run's plan: every input checked, and every default applied, before anything starts.

``LoadPlan.from_options`` is what ``gatecheck load`` and ``gatecheck calibrate`` call with
their parsed command line (``gatecheck.load.run_load`` then runs the plan), as
``gatecheck run`` calls ``gatecheck.pytest.runner.RunPlan``: bad input, an unknown target,
a missing secret or a busy web port fail here with one line, with nothing started and
nothing written.
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecheck import UsageError, Wire
from gatecheck.load._calibration import CALIBRATION_FILE, read_floor
from gatecheck.load._capacity import CLIENT_SLO, DEFAULT_SLO, Slo, parse_slos
from gatecheck.load._launch import SCENARIOS
from gatecheck.load._options import (
    LoadSettings,
    feature_of,
    option_values,
    parse_duration,
    parse_processes,
    surface_of,
)
from gatecheck.options import parse_base_urls, resolve_target_names
from gatecheck.targets import TargetConfig, load_targets

__all__ = ["EMBEDDED_DIRECTIVE", "LoadPlan", "check_web_port"]

EMBEDDED_DIRECTIVE = "ttft=200 itl=20 tokens=50"  # a realistic stream from the mock
DEFAULT_DURATION = {"capacity": "5m"}  # the capacity search's time cap; others: 60s
DEFAULT_CAPACITY_USERS = 256  # the most users the capacity search tries


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """One load run against one target, checked."""

    target: TargetConfig
    scenario: str
    users: int
    spawn_rate: float
    duration_s: float | None  # None: the web UI, started and stopped by hand
    settings: LoadSettings  # what Locust gets (auth, out and the mock URL filled at start)
    out: Path = Path("reports")
    processes: int | None = None
    web: bool = False
    web_port: int = 8089
    label: str = ""  # the run directory's name part (default: the target's)
    slos: tuple[Slo, ...] = ()  # capacity only

    @classmethod
    def from_options(cls, given: Mapping[str, Any],
                     environ: Mapping[str, str] = os.environ) -> LoadPlan:
        """A plan from a parsed command line (``vars(args)`` of ``gatecheck load``)."""
        scenario = str(given.get("scenario") or "stream")
        if scenario not in SCENARIOS:
            raise UsageError(f"unknown scenario {scenario!r} "
                             f"(expected one of {', '.join(SCENARIOS)})")
        values = option_values(given, environ)
        duration: float | None = parse_duration(str(given.get("duration")
                                                    or DEFAULT_DURATION.get(scenario, "60s")))
        if given.get("web") and given.get("duration") is None:
            duration = None  # the web UI without a duration: a person starts and stops it
        warmup = values["warmup"] or 0.0
        if duration is not None and warmup >= duration:
            raise UsageError(f"--warmup {warmup:g}s: must be shorter than --duration")
        if values["rate"] is not None and scenario != "rate":
            raise UsageError("--rate applies to --scenario rate only")
        if values["slo"] and scenario != "capacity":
            raise UsageError("--slo applies to --scenario capacity only")
        rate = values["rate"] or 10.0
        users = _users(given.get("users"), scenario, rate)
        spawn = given.get("spawn_rate")
        spawn = float(users) if spawn is None else float(spawn)
        if not (math.isfinite(spawn) and spawn > 0):
            raise UsageError(f"--spawn-rate {given.get('spawn_rate')}: expected a positive "
                             "number")
        web_port = 8089 if given.get("web_port") is None else int(given["web_port"])
        if not 1 <= web_port <= 65535:
            raise UsageError(f"--web-port {web_port}: expected a port from 1 to 65535")
        processes = parse_processes(given.get("processes"))
        target = _select(given, environ)
        wire: Wire = values["surface"] or "openai"
        surface, feature = surface_of(wire), feature_of(wire)
        if not target.has_surface(surface):
            raise UsageError(f"target {target.name!r} does not claim the {surface} surface")
        if feature is not None and not target.claims(feature):
            raise UsageError(f"target {target.name!r} does not claim feature {feature!r} "
                             f"(the {wire} wire)")
        model = values["model"] or target.models.for_surface(surface)
        if not model:
            raise UsageError(f"target {target.name!r} names no model for {surface}; "
                             "pass --model")
        directive = values["directive"]
        if directive is None:
            directive = EMBEDDED_DIRECTIVE if target.is_embedded else ""
        mock_url = values["mock_url"] or target.resolved_mock_url(environ) or ""
        if mock_url and not mock_url.startswith(("http://", "https://")):
            raise UsageError(f"--mock-url {mock_url!r}: expected http(s)://host:port")
        calibration = _calibration(values["calibration"])
        settings = LoadSettings(**{
            **{k: v for k, v in values.items() if v is not None},
            "surface": wire, "model": model, "directive": directive, "warmup": warmup,
            "mock_url": mock_url.rstrip("/"), "calibration": calibration, "label": target.name,
            "slo": values["slo"] or ""})
        settings.check()
        has_mock = bool(mock_url) or target.needs_start  # started here: its mock is known
        slos: tuple[Slo, ...] = ()
        if scenario == "capacity":
            slos = parse_slos(settings.slo or (DEFAULT_SLO if has_mock else CLIENT_SLO))
            if any(s.needs_mock for s in slos) and not has_mock:
                raise UsageError("an overhead SLO needs the mock's timings: pass --mock-url "
                                 "(the gatecheck mock behind the target), or an SLO on client "
                                 "figures, e.g. --slo 'ttft.p99<500ms'")
            settings = dataclasses.replace(settings, slo=",".join(s.text for s in slos))
        if given.get("web"):
            check_web_port(web_port)
        return cls(target=target, scenario=scenario, users=users, spawn_rate=spawn,
                   duration_s=duration, settings=settings, out=Path(str(given.get("out")
                                                                        or "reports")),
                   processes=processes, web=bool(given.get("web")), web_port=web_port,
                   label=str(given.get("label") or target.name), slos=slos)


def _users(value: object, scenario: str, rate: float) -> int:
    if value is None:
        if scenario == "rate":
            return min(1000, max(10, math.ceil(rate * 4)))
        return DEFAULT_CAPACITY_USERS if scenario == "capacity" else 10
    users = int(str(value))
    if users < 1:
        raise UsageError(f"--users {users}: expected a whole number of at least 1")
    return users


def _select(given: Mapping[str, Any], environ: Mapping[str, str]) -> TargetConfig:
    names = resolve_target_names(given.get("gatecheck_target"), environ)
    registry = load_targets(given.get("gatecheck_targets_file"))
    registry = registry.with_base_urls(parse_base_urls(given.get("gatecheck_base_url")))
    selected = registry.select(names)
    if len(selected) != 1:
        raise UsageError(f"load runs against one target; {len(selected)} selected "
                         f"({', '.join(t.name for t in selected)})")
    target = selected[0]
    if not target.needs_start and target.missing_secret is not None:
        raise UsageError(f"set ${target.missing_secret} to run target {target.name!r}")
    return target


def _calibration(explicit: str | None) -> str:
    """The calibration file to read the floor from: the given one (it must be usable), else
    .gatecheck/calibration.json when there is one, else none."""
    if explicit:
        path = Path(explicit)
        if read_floor(path) is None:
            raise UsageError(f"--calibration {explicit}: no such file (gatecheck calibrate "
                             "writes one)")
        return str(path.resolve())
    if read_floor(CALIBRATION_FILE) is not None:
        return str(CALIBRATION_FILE.resolve())
    return ""


def check_web_port(port: int, host: str = "127.0.0.1") -> None:
    """Refuse a web UI port that cannot be bound, in one line, before anything starts.

    Locust would otherwise die in its child process with a gevent traceback. The socket is
    closed again at once; SO_REUSEADDR as gevent's server sets it, so a port left in
    TIME_WAIT by an earlier run is not mistaken for a busy one.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--web-port {port}: cannot listen on {host}:{port} "
                             f"({exc.strerror or exc}); pick another port") from None

