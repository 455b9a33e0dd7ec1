"""gatecheck's pytest plugin: runs the ``@check`` tests of ``suites/`` against named targets.

It is loaded only where gatecheck's suites are collected (``suites/conftest.py`` names it in
``pytest_plugins``; ``gatecheck run`` passes ``-p gatecheck.pytest.plugin``; for suites of
your own, ``pytest -p gatecheck.pytest.plugin``), never into every pytest run of the
environment, and its options are namespaced (``--gatecheck-target``, ``--gatecheck-base-url``,
``--gatecheck-profile``; ``--target`` is kept as a short alias) so they cannot collide with
pytest-base-url, pytest-profiling and the like.

``pytest suites --target reference`` parametrizes every check per selected target
(``test_x[reference]``; no ``--target``: ``$GATECHECK_TARGET``, else ``reference``), skips
checks for features or surfaces a target does not claim, turns the target's known
deviations into strict expected failures, makes every check of an unreachable target (or
one whose secret is unset) inconclusive at once, and writes one results.jsonl record per
check x target (``--gatecheck-results FILE``).

Fixture URLs: ``client`` is rooted at the target's root URL (base-url without ``/v1``), so
suites request ``/v1/chat/completions``; the SDK fixtures take the base-url itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import allure
import pytest

from gatecheck import HarnessError, UsageError, default_redactor, release_frames
from gatecheck.artefacts import redact_tree
from gatecheck.checks import (
    MARK,
    CheckInfo,
    ConformanceFailure,
    Inconclusive,
    collect_observations,
    collect_warnings,
    inconclusive,
    info_of,
    observe,
)
from gatecheck.options import CHECK_BUDGET, MAX_TIME, PROFILE, add_target_options, resolve_profile
from gatecheck.pytest import newhooks
from gatecheck.pytest._budget import CheckBudget
from gatecheck.pytest._cooldown import (
    MADE_UP_STATUSES,
    Answer,
    cool_down_in,
    first_call_after,
    made_up,
)
from gatecheck.pytest._deviations import DeviationLedger
from gatecheck.pytest._fixtures import (
    ITEM,
    STATE,
    TARGET_PARAM,
    MockLog,
    admin_client,
    anthropic_sdk,
    chat_model,
    client,
    mock_log,
    openai_sdk,
    profile,
    record_exchange,
    target,
    target_name,
)
from gatecheck.pytest._records import (
    ItemData,
    attach_result,
    detach_result,
    exchange_dict,
    merge_phase,
    phase_result,
)
from gatecheck.pytest._state import RunState
from gatecheck.results import (
    CheckFinished,
    CheckResult,
    ResultsWriter,
    RunEvent,
    RunFinished,
    RunStarted,
)

# pytest finds a plugin's fixtures among the module's attributes: these are re-exported.
__all__ = [
    "admin_client",
    "anthropic_sdk",
    "chat_model",
    "client",
    "mock_log",
    "openai_sdk",
    "profile",
    "record_exchange",
    "target",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(newhooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gatecheck", "gatecheck conformance checks")
    add_target_options(group.addoption, namespaced=True)
    for option in (PROFILE, MAX_TIME, CHECK_BUDGET):
        option.add_to(group.addoption, namespaced=True)
    group.addoption("--gatecheck-results", dest="gatecheck_results", metavar="FILE",
                    help="write one JSON line per check x target to FILE (results.jsonl)")
    group.addoption("--gatecheck-run-id", dest="gatecheck_run_id", metavar="ID",
                    help="run id recorded in results (default: <UTC time>-<targets>)")
    group.addoption("--gatecheck-check", dest="gatecheck_check", metavar="ID", action="append",
                    default=[], help="only the checks with this id (repeatable; see "
                                     "`gatecheck checks`)")
    group.addoption("--gatecheck-deadline", dest="gatecheck_deadline", metavar="EPOCH",
                    type=float, default=None,
                    help="the run's deadline as epoch seconds (set by `gatecheck run`, whose "
                         "clock started before the suites; default: now + max-time)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}(info): a gatecheck conformance check (@check)")
    try:
        config.option.gatecheck_profile = resolve_profile(config.option.gatecheck_profile,
                                                          os.environ)
    except UsageError as exc:
        raise pytest.UsageError(default_redactor().text(str(exc))) from None
    state = RunState.from_config(config)
    config.stash[STATE] = state
    config.pluginmanager.register(GatecheckSession(config, state), "gatecheck-session")
    config.pluginmanager.register(CheckBudget(state.clock), "gatecheck-budget")


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class GatecheckSession:
    """The hooks of a run against targets (registered in pytest_configure)."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state
        self.writer: ResultsWriter | None = None
        self.pending: dict[str, CheckResult] = {}
        self.counts: dict[str, int] = {}
        self.deviations = DeviationLedger(state.targets)

    # -- session -----------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # tryfirst: before xdist's sessionstart spawns the workers, so they inherit the
        # URLs and probe results this exports.
        if _is_worker(self.config):
            return
        try:
            self.state.start()
        except HarnessError as exc:
            self.state.close()
            pytest.exit(f"gatecheck: {default_redactor().text(str(exc))}",
                        returncode=pytest.ExitCode.INTERNAL_ERROR)
        path = self.config.option.gatecheck_results
        if path:
            self.writer = ResultsWriter(Path(path))
            self.config.pluginmanager.register(self.writer, "gatecheck-results")
        targets = {name: None if t.needs_start else t.base_url
                   for name, t in self.state.targets.items()}
        self._emit(RunStarted(run_id=self.state.run_id, profile=self.state.profile,
                              targets=targets, unreachable=dict(self.state.unreachable)))

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        lines = [f"gatecheck: run {self.state.run_id}, profile {self.state.profile}"]
        for name, selected in self.state.targets.items():
            where = "embedded (starting)" if selected.needs_start else selected.base_url
            lines.append(f"gatecheck: target {name} -> {where}")
        clock = self.state.clock
        bounds = [f"run deadline {clock.max_time:g} s" if clock.max_time else "no run deadline",
                  f"check budget {clock.check_budget:g} s" if clock.check_budget
                  else "no check budget"]
        if not config.pluginmanager.hasplugin("timeout"):
            bounds[1] = "no check budget (pytest-timeout is not loaded)"
        lines.append(f"gatecheck: {', '.join(bounds)}")
        return lines

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if _is_worker(self.config):
            return
        for result in list(self.pending.values()):  # a worker died mid-check
            self._write(dataclasses.replace(result, outcome="inconclusive",
                                            message="the test process crashed"))
        self.pending.clear()
        self._emit(RunFinished(counts=dict(self.counts)))
        if self.writer is not None:
            self.writer.close()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for _name, why in sorted(self.state.unreachable.items()):
            terminalreporter.write_line(f"gatecheck: {why}; its checks are inconclusive",
                                        yellow=True)
        if self.writer is not None:
            terminalreporter.write_line(
                f"gatecheck: {self.writer.count} results in {self.writer.path}")
        for unverified in self.deviations.unverified():
            terminalreporter.write_line(unverified.line(), yellow=True)

    def _emit(self, event: RunEvent) -> None:
        self.config.hook.pytest_gatecheck_event(config=self.config, event=event)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        try:
            if not _is_worker(config):
                _redact_artefacts(config)
        finally:
            self.state.close()

    # -- collection ----------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if metafunc.definition.get_closest_marker(MARK) is None:
            return
        names = list(self.state.targets)
        # The test does not ask for the parameter: add it to its closure (as pytest-repeat
        # does) so every check runs once per target with the target name as its id.
        metafunc.fixturenames.append(TARGET_PARAM)
        metafunc.parametrize(TARGET_PARAM, names, ids=names)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        wanted = {c.upper() for c in self.config.option.gatecheck_check}
        if wanted:
            infos = {id(item): info_of(item) for item in items}
            chosen = [i for i in items if getattr(infos[id(i)], "id", None) in wanted]
            dropped = [i for i in items if i not in chosen]
            if dropped:
                self.config.hook.pytest_deselected(items=dropped)
                items[:] = chosen
        for item in items:
            info, name = info_of(item), target_name(item)
            # An unreachable target's checks are inconclusive, never "expected".
            if info is None or name is None or name in self.state.unreachable:
                continue
            function = getattr(item, "originalname", item.name)  # the test name, no params
            deviation = self.state.targets[name].deviation(info.id, info.surface, function)
            if deviation is not None:
                item.add_marker(pytest.mark.xfail(
                    strict=True, reason=f"target {name!r}: {deviation.reason}"))

    # -- running -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        info, name = info_of(item), target_name(item)
        if info is None or name is None:
            return
        item.stash[ITEM] = ItemData(start=time.time())
        # junit.xml writes these as <properties>, so CI tools can filter by id and level.
        item.user_properties.extend([("gatecheck.check_id", info.id),
                                     ("gatecheck.level", info.level),
                                     ("gatecheck.category", info.category),
                                     ("gatecheck.target", name)])
        if getattr(self.config.option, "allure_report_dir", None):
            _allure_labels(info, name)
        selected = self.state.targets[name]
        reason = selected.skip_reason(feature=info.feature, surface=info.surface)
        if reason is not None:
            pytest.skip(reason)
        if name in self.state.unreachable:
            # At once, instead of letting every check wait out a connect timeout.
            inconclusive(self.state.unreachable[name])
        if selected.missing_secret is not None:
            inconclusive(f"set ${selected.missing_secret} to run target {name!r}")
        overdue = self.state.clock.overdue()
        if overdue is not None:
            inconclusive(overdue)
        stopped = self.state.stalls.verdict(selected)
        if stopped is not None:
            inconclusive(stopped)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        info, data = info_of(item), item.stash.get(ITEM, None)
        if info is None or data is None:
            return (yield)
        with collect_warnings() as collected, collect_observations() as observed:
            try:
                try:
                    return (yield)
                except Exception as exc:
                    if not self._rerun_after_cool_down(item, info, data, exc, collected,
                                                       observed):
                        raise
                    return None
            except ConformanceFailure as failure:
                failure.check_id, failure.level, failure.title = info.id, info.level, info.title
                failure.target = target_name(item)
                if failure.exchange is not None:
                    data.exchanges.append(failure.exchange)
                raise
            finally:
                data.warnings.extend(collected)
                data.observations.update(observed)
                if getattr(self.config.option, "allure_report_dir", None):
                    _allure_attach(data)

    def _rerun_after_cool_down(self, item: pytest.Item, info: CheckInfo, data: ItemData,
                               exc: Exception, collected: list[Any],
                               observed: dict[str, Any]) -> bool:
        """Whether the check failed only because the gateway was in a cool-down of its own
        making, and passed when run again after it (see ``_cooldown``); inconclusive when
        the gateway still makes its answers up; False when this is not a cool-down."""
        name = target_name(item)
        url = self.state.mock_urls.get(name) if name is not None else None
        if url is None or info.feature == "rate-limits" or isinstance(exc, Inconclusive):
            return False
        suspects = _witnesses(exc, data.answers)
        if not suspects:
            return False
        log = MockLog(url)
        entries = log.recent()  # None: no ground truth, the failure stands as judged
        cool = cool_down_in(suspects, entries, self.state.clock.left()) if entries else None
        if cool is None:
            return False
        data.cool_down = cool
        time.sleep(cool.waited_s)
        collected.clear()  # the rerun's own warnings, observations and answers
        observed.clear()
        rerun_from = time.time()
        del data.answers[:]
        try:
            item.runtest()
        except Exception as rerun_exc:
            again = made_up(_witnesses(rerun_exc, data.answers), log.recent() or [])
            if not again:
                data.cool_down = None  # a failure of its own once the cool-down ended
                raise
            cool.rerun = again
            inconclusive(cool.describe())
        cool.upstream_again = first_call_after(log.recent() or [], rerun_from)
        observe("cool-down", cool.observation())
        return True

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        # tryfirst makes this the outermost wrapper: it sees the report after the xfail
        # handling has rewritten it.
        report = yield
        info, name = info_of(item), target_name(item)
        if info is None or name is None:
            return report
        data = item.stash.get(ITEM, None) or ItemData()
        result = phase_result(item, report, call, info, name, data)
        if result is not None:
            attach_result(report, result)  # xdist ships user_properties to the controller
        if call.excinfo is not None:
            # The report holds the failure as text by now; the traceback's frames would keep
            # up to a body cap of decoded bytes alive per failed check for the whole run.
            release_frames(call.excinfo.value)
        if report.when == "teardown" and ITEM in item.stash:
            del item.stash[ITEM]  # items live as long as the session: their records need not
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # tryfirst: take the result out before junitxml reads the user properties.
        if _is_worker(self.config):
            return
        result = detach_result(report)
        if result is not None:
            self.pending[report.nodeid] = merge_phase(self.pending.get(report.nodeid), result)
        if report.when == "teardown" and report.nodeid in self.pending:
            self._write(self.pending.pop(report.nodeid))

    def _write(self, result: CheckResult) -> None:
        selected = self.state.targets.get(result.target)
        result = dataclasses.replace(
            result, run_id=self.state.run_id, profile=self.state.profile,
            target_url=None if selected is None or selected.needs_start else selected.base_url)
        # The one redaction on the way out: every listener (results.jsonl first) sees this.
        result = self.deviations.note(result).redacted()
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        self._emit(CheckFinished(result=result))


def _witnesses(exc: BaseException, answers: list[Answer]) -> list[Answer]:
    """The 429/503 answers a failure rests on: those whose exchange a failed case shows; when
    no case shows one (an SDK's exception), every 429/503 the check got."""
    shown = {id(e) for e in _failure_exchanges(exc)}
    suspects = [a for a in answers if a.status in MADE_UP_STATUSES]
    if not shown:
        return suspects
    return [a for a in suspects if a.exchange is not None and id(a.exchange) in shown]


def _failure_exchanges(exc: BaseException) -> list[Any]:
    found: list[Any] = []
    if isinstance(exc, ConformanceFailure):
        found += [f.exchange for f in (exc, *exc.cases) if f.exchange is not None]
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found += _failure_exchanges(inner)
    return found


def _redact_artefacts(config: pytest.Config) -> None:
    """Redact what junitxml and allure wrote (they hold failure text and exchanges).

    Here rather than in ``gatecheck run`` only: this process knows the secrets it minted
    (the embedded target's chat key) and they die with it.
    """
    for option in ("xmlpath", "allure_report_dir"):
        value = getattr(config.option, option, None)
        if value and Path(value).exists():
            redact_tree(Path(value), skip=())


def _allure_labels(info: CheckInfo, target: str) -> None:
    dynamic: Any = allure.dynamic  # allure's API is untyped
    severity = {"MUST": allure.severity_level.CRITICAL, "SHOULD": allure.severity_level.NORMAL}
    dynamic.epic(info.category)
    dynamic.story(info.id)
    dynamic.parent_suite(target)
    dynamic.tag(info.level)
    dynamic.severity(severity.get(info.level, allure.severity_level.MINOR))


def _allure_attach(data: ItemData) -> None:
    for number, exchange in enumerate(data.exchanges, 1):
        as_dict = exchange_dict(exchange) or {}
        allure.attach(json.dumps(as_dict, indent=2, default=str), name=f"exchange {number}",
                      attachment_type=allure.attachment_type.JSON)
        allure.attach(str(as_dict.get("curl", "")), name=f"curl {number}",
                      attachment_type=allure.attachment_type.TEXT)
