"""The run's deadline and each check's time budget (issue 12), end to end with pytester.

Checks that sleep stand in for a target that stalls: a check past its budget, or running when
the run's deadline passes, is stopped and inconclusive; checks not started by the deadline
are inconclusive at once, naming it; nothing is silently missing, with or without xdist.
"""

from __future__ import annotations

import json
import time

import pytest

from gatecheck.cli import main
from gatecheck.embedded import serve_in_thread
from gatecheck.pytest import runner
from gatecheck.pytest._budget import RunClock
from tests.apps.fake_target import app
from tests.test_plugin import PLUGIN, targets_toml

pytest_plugins = ["pytester"]

SLOW_SUITE = '''
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from gatecheck.checks import check, expect

@check("W-1", level="MUST", category="Completions", title="stalls")
def test_a_stalls(target):
    time.sleep(60)

@check("W-2", level="MUST", category="Completions", title="stalls under Hypothesis")
@settings(max_examples=5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers())
def test_b_stalls_in_hypothesis(target, n):
    time.sleep(60)

@check("W-3", level="MUST", category="Completions", title="quick")
def test_c_quick(target):
    expect(True, "never", expected="-", observed="-")

@check("W-4", level="MUST", category="Completions", title="quick too")
def test_d_quick(target):
    expect(True, "never", expected="-", observed="-")
'''

BASE = ("--target", "fake", "--gatecheck-targets-file", "targets.toml",
        "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider")


@pytest.fixture(scope="module")
def fake_url():
    with serve_in_thread(app) as url:  # answers the start-of-run probe; the checks only sleep
        yield url


@pytest.fixture
def slow_suite(pytester, fake_url, monkeypatch):
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "fk-time-test-0123456789")
    pytester.makefile(".toml", targets=targets_toml(fake_url))
    pytester.makepyfile(test_suite=SLOW_SUITE)
    pytester.makeconftest(PLUGIN)
    return pytester


def outcomes(path) -> dict[str, tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["test"].split("::")[-1].split("[")[0]: (r["outcome"], r["message"] or "")
            for r in rows}


def test_a_check_past_its_budget_is_inconclusive_and_hypothesis_does_not_retry_it(slow_suite):
    result = slow_suite.runpytest(*BASE, "--gatecheck-check-budget", "0.5",
                                  "--gatecheck-max-time", "0")
    result.assert_outcomes(passed=2, skipped=2)
    got = outcomes(slow_suite.path / "r.jsonl")
    budget = "gatecheck's time budget of 0.5 s for this check ran out (--check-budget)"
    assert got["test_a_stalls"] == ("inconclusive", budget)
    # A failure would have made Hypothesis shrink it, sleeping again with no clock.
    assert got["test_b_stalls_in_hypothesis"] == ("inconclusive", budget)
    assert got["test_c_quick"][0] == got["test_d_quick"][0] == "passed"
    assert "check budget 0.5 s" in result.stdout.str()


def test_the_deadline_stops_the_running_check_and_the_rest_are_inconclusive(slow_suite):
    result = slow_suite.runpytest(*BASE, "--gatecheck-max-time", "2",
                                  "--gatecheck-check-budget", "0")
    result.assert_outcomes(skipped=4)
    got = outcomes(slow_suite.path / "r.jsonl")
    stopped = ("inconclusive", "the run's deadline (--max-time 2 s) passed while this check ran")
    not_run = ("inconclusive", "not run: the run's deadline passed (--max-time 2 s); raise "
                               "--max-time to run every check")
    # Stopped at the deadline, or (on a machine slow to collect) never started before it.
    assert got["test_a_stalls"] in (stopped, not_run)
    for name in ("test_b_stalls_in_hypothesis", "test_c_quick", "test_d_quick"):
        assert got[name] == not_run


def test_a_running_check_gets_the_budget_or_what_is_left_of_the_run():
    clock = RunClock(max_time=100, check_budget=60)
    clock.start(now=time.time())
    assert clock.overdue() is None
    assert clock.limit(60) == (60, "gatecheck's time budget of 60 s for this check ran out "
                                   "(--check-budget)")
    clock.start(now=time.time() - 90)  # 10 s left
    seconds, why = clock.limit(60)
    assert 0 < seconds <= 10
    assert why == "the run's deadline (--max-time 100 s) passed while this check ran"
    clock.start(now=time.time() - 101)
    assert clock.overdue() is not None
    assert "--max-time 100 s" in clock.overdue()
    assert RunClock(max_time=None, check_budget=None).overdue() is None


QUICK_FIRST_SUITE = '''
import time

from gatecheck.checks import check, expect

@check("W-1", level="MUST", category="Completions", title="quick")
def test_a_quick(target):
    expect(True, "never", expected="-", observed="-")

@check("W-2", level="MUST", category="Completions", title="quick too")
def test_b_quick(target):
    expect(True, "never", expected="-", observed="-")

@check("W-3", level="MUST", category="Completions", title="stalls")
def test_c_stalls(target):
    time.sleep(60)

@check("W-4", level="MUST", category="Completions", title="stalls too")
def test_d_stalls(target):
    time.sleep(60)
'''
# Before gatecheck's plugin configures a worker (tryfirst): a clock of the worker's own would
# start after the wait, and give the quick checks time to pass.
WORKERS_START_LATE = '''
import time

import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker
        time.sleep(2.0)
'''


@pytest.mark.slow  # xdist workers start in a child
def test_the_deadline_holds_across_xdist_workers(slow_suite):
    # Each worker starts 2 s late, so the controller's 1.5 s deadline has always passed by
    # then, whatever the order or the machine's speed: a worker that kept a deadline of its
    # own from its start would run the quick checks and pass them.
    slow_suite.makeconftest(PLUGIN + WORKERS_START_LATE)
    slow_suite.makepyfile(test_suite=QUICK_FIRST_SUITE)  # each worker's first check is quick
    result = slow_suite.runpytest_subprocess(*BASE, "-n", "2", "--gatecheck-max-time", "1.5",
                                             "--gatecheck-check-budget", "60",
                                             "-p", "no:randomly")
    result.assert_outcomes(skipped=4)
    got = outcomes(slow_suite.path / "r.jsonl")
    assert len(got) == 4  # nothing silently missing
    # Workers run to the controller's deadline, not to one of their own from their start
    # (their quick checks would pass then): whether a worker was still starting or in a
    # stalling check when it passed, every check names it.
    assert {outcome for outcome, _ in got.values()} == {"inconclusive"}
    assert all("--max-time 1.5 s" in m for _, m in got.values())


def test_the_environment_sets_the_bounds_and_bad_ones_are_usage_errors(slow_suite,
                                                                        monkeypatch):
    monkeypatch.setenv("GATECHECK_CHECK_BUDGET", "0.5")
    result = slow_suite.runpytest(*BASE, "-k", "test_a", "--gatecheck-max-time", "0")
    result.assert_outcomes(skipped=1)
    assert outcomes(slow_suite.path / "r.jsonl")["test_a_stalls"][0] == "inconclusive"
    monkeypatch.setenv("GATECHECK_MAX_TIME", "soon")
    result = slow_suite.runpytest(*BASE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*GATECHECK_MAX_TIME 'soon': expected seconds, from 0 (none) to 86400*"])


STUCK_SUITE = '''
import signal, time

from gatecheck.checks import check

@check("W-1", level="MUST", category="Completions", title="stuck where no alarm reaches")
def test_stuck(target):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(120)
'''


@pytest.mark.slow  # a child pytest run
def test_gatecheck_run_stops_suites_that_overrun_the_deadline_and_still_reports(
        tmp_path, fake_url, monkeypatch, capsys):
    monkeypatch.setattr(runner, "GRACE_S", 1.0)
    monkeypatch.setenv("FAKE_GATEWAY_KEY", "fk-time-test-0123456789")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "targets.toml").write_text(targets_toml(fake_url))
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "test_x.py").write_text(STUCK_SUITE)
    status = main(["run", "--target", "fake", "--workers", "0", "--max-time", "3"])
    assert status == 3  # nothing failed, nothing ran to a verdict: never a pass
    captured = capsys.readouterr()
    assert "overran the run's deadline (--max-time 3 s)" in captured.err
    assert (tmp_path / "reports" / "latest" / "report.md").is_file()
    assert (tmp_path / "reports" / "latest" / "findings.json").is_file()
