"""Per-process state of a conformance run: the selected targets, where they are, and whether
they answered the start-of-session probe.

The controller (the only process when xdist is off) starts embedded servers and probes the
targets; it hands the outcome to xdist workers through environment variables, which the
workers inherit because xdist spawns them after ``pytest_sessionstart``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from gatecheck import (
    ClientTimeoutError,
    GatewayClient,
    HarnessError,
    TargetUnreachableError,
    Timeouts,
    default_redactor,
)
from gatecheck.artefacts import default_run_id
from gatecheck.embedded import mock_url_env, start_targets
from gatecheck.options import (
    BASE_URL,
    CHECK_BUDGET,
    DEFAULT_CHECK_BUDGET_S,
    DEFAULT_MAX_TIME_S,
    MAX_TIME,
    base_url_env,
    parse_base_urls,
    resolve_seconds,
    resolve_target_names,
)
from gatecheck.pytest._budget import ENV_DEADLINE, RunClock
from gatecheck.pytest._stall import StallWatch
from gatecheck.targets import TargetConfig, load_targets

__all__ = ["ENV_UNREACHABLE", "PROFILES", "RunState"]

PROFILES = ("sdk-compat", "strict")
ENV_UNREACHABLE = "GATECHECK_UNREACHABLE"  # JSON {target: message}, set by the controller
PROBE_TIMEOUT_S = 3.0
PROBE_MAX_BYTES = 64 << 10  # the probe needs an answer, not its body


@dataclass
class RunState:
    """What every process of a run agrees on, plus the controller's started servers."""

    run_id: str
    profile: str
    targets: dict[str, TargetConfig]
    unreachable: dict[str, str] = field(default_factory=dict)
    clock: RunClock = field(default_factory=lambda: RunClock(None, None))
    mock_urls: dict[str, str] = field(default_factory=dict)
    stalls: StallWatch = field(default_factory=StallWatch)  # this process's, never exported
    stack: ExitStack = field(default_factory=ExitStack)
    _restore: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunState:
        """Select the targets named on the command line (else $GATECHECK_TARGET, else the
        default); bad input is a pytest.UsageError."""
        opt = config.option
        try:
            registry = load_targets(opt.gatecheck_targets_file)
            registry = registry.with_base_urls(parse_base_urls(opt.gatecheck_base_url,
                                                                BASE_URL.namespaced_flag))
            selected = registry.select(resolve_target_names(opt.gatecheck_target, os.environ))
            clock = RunClock(
                given_deadline=opt.gatecheck_deadline,
                max_time=resolve_seconds(MAX_TIME, opt.gatecheck_max_time, os.environ,
                                         DEFAULT_MAX_TIME_S),
                check_budget=resolve_seconds(CHECK_BUDGET, opt.gatecheck_check_budget,
                                             os.environ, DEFAULT_CHECK_BUDGET_S))
        except HarnessError as exc:
            # Plain pytest prints this as is: it passes the redactor here, as the CLI's do.
            raise pytest.UsageError(default_redactor().text(str(exc))) from None
        state = cls(
            run_id=opt.gatecheck_run_id or default_run_id([t.name for t in selected]),
            profile=opt.gatecheck_profile,
            targets={t.name: t for t in selected},
            clock=clock,
        )
        state._read_environment(os.environ)
        for target in selected:  # register every secret with the redactor before any output
            target.secret()
            target.admin_secret()
        return state

    def _read_environment(self, environ: Mapping[str, str]) -> None:
        """Pick up what the controller exported (a no-op in the controller itself): the
        mock of each target (the run's override, else the target's own mock-url)."""
        for name, target in self.targets.items():
            url = environ.get(mock_url_env(name)) or target.resolved_mock_url(environ)
            if url:
                self.mock_urls[name] = url.rstrip("/")
        raw = environ.get(ENV_UNREACHABLE)
        if raw:
            self.unreachable.update(json.loads(raw))
        deadline = environ.get(ENV_DEADLINE)
        if deadline is not None:  # a worker runs to its controller's deadline
            self.clock.deadline = float(deadline) if deadline else None

    # -- controller only ---------------------------------------------------------------

    def start(self) -> None:
        """Start the run's clock and embedded servers, probe every target, and export all
        three for xdist workers."""
        self.clock.deadline = None  # this process's own, not one left in the environment
        self.clock.start()
        self._export(ENV_DEADLINE, "" if self.clock.deadline is None else repr(self.clock.deadline))
        for key, value in start_targets(self.targets.values(), self.stack).items():
            self._export(key, value)
        self._read_environment(os.environ)
        for name, target in list(self.targets.items()):
            url = os.environ.get(base_url_env(name))
            if target.needs_start and url:
                self.targets[name] = target.with_base_url(url)
        self.unreachable.update(probe_all(self.targets.values()))
        self._export(ENV_UNREACHABLE, json.dumps(self.unreachable))

    def _export(self, key: str, value: str) -> None:
        # Exported so xdist workers (spawned later) inherit it; undone in close() because
        # an in-process run (gatecheck run, pytester) must leave the environment as it was.
        self._restore.setdefault(key, os.environ.get(key))
        os.environ[key] = value

    def close(self) -> None:
        """Stop what start() started and restore the environment."""
        try:
            self.stack.close()
        finally:
            for key, value in self._restore.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._restore.clear()


def probe_all(targets: Iterable[TargetConfig]) -> dict[str, str]:
    """One quick GET per reachable-looking target; {name: why} for those that did not answer.

    Any HTTP answer counts as reachable (even a 401 or 404): the checks judge statuses; the
    probe only spares each check a connect timeout against a dead address.
    """
    todo = [t for t in targets if not t.needs_start and t.missing_secret is None]
    if not todo:
        return {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
        outcomes = list(pool.map(_probe, todo))
    return {t.name: why for t, why in zip(todo, outcomes, strict=True) if why is not None}


def _probe(target: TargetConfig) -> str | None:
    health = target.quirks.health
    path = health.poll_path if health is not None else "/"
    timeouts = Timeouts(connect=PROBE_TIMEOUT_S, read=PROBE_TIMEOUT_S, total=PROBE_TIMEOUT_S)
    try:
        with GatewayClient(target.root_url, timeouts=timeouts,
                           max_response_bytes=PROBE_MAX_BYTES) as client:
            client.request("GET", path)
    except (TargetUnreachableError, ClientTimeoutError) as exc:
        return (f"target {target.name!r} unreachable at {target.root_url}: "
                f"{type(exc).__name__}: {exc or 'no answer'}")
    except HarnessError:
        # It answered (too much, or off its origin, or not HTTP we can read): it is
        # reachable, and each check judges what it sends.
        return None
    return None
