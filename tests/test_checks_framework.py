"""The check framework: @check (called and bare), the Registry, failures, cases and warnings."""

from __future__ import annotations

import threading
import warnings

import pytest

import gatecheck.checks as checks_pkg
from gatecheck import ClientTimeoutError, HarnessError
from gatecheck.checks import (
    CHECKS,
    MARK,
    CheckInfo,
    ConformanceFailure,
    ConformanceWarning,
    Inconclusive,
    Registry,
    cases,
    check,
    collect_warnings,
    expect,
    inconclusive,
    warn,
)


def test_called_check_records_info_and_adds_the_mark():
    @check("STR-O7", level="MUST", category="Streaming", title="usage chunk",
           feature="stream-usage")
    def test_usage():
        pass

    info = CheckInfo("STR-O7", "MUST", "Streaming", "usage chunk", "stream-usage", None)
    marks = [m for m in test_usage.pytestmark if m.name == MARK]
    assert [m.args for m in marks] == [(info,)]
    assert CHECKS.get(f"{__name__}.{test_usage.__qualname__}") == info


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"level": "MUSTN'T", "category": "Health", "title": "t"}, ValueError, "level"),
        ({"level": "MUST", "category": "Healthy", "title": "t"}, ValueError, "category 'Healthy'"),
        ({"level": "MUST", "category": "Health"}, TypeError, "'title'"),
    ],
)
def test_bad_declarations_fail_at_import_time(kwargs, error, match):
    with pytest.raises(error, match=match):
        check("HEALTH-1", **kwargs)


def test_registry_keeps_declaration_order():
    registry: Registry[int] = Registry()
    registry.register("b", 2)
    registry.register("a", 1)
    assert registry.names() == ["b", "a"]
    assert list(registry) == [2, 1]
    assert len(registry) == 2
    assert "b" in registry
    with pytest.raises(KeyError):
        registry.get("c")


def test_expect_raises_an_assertion_error_with_what_was_expected_and_seen():
    expect(True, "fine", expected="x", observed="x")
    with pytest.raises(ConformanceFailure) as caught:
        expect(False, "status was wrong", expected="401", observed="500")
    failure = caught.value
    assert isinstance(failure, AssertionError)
    assert (failure.message, failure.expected, failure.observed) == ("status was wrong", "401",
                                                                     "500")
    assert failure.check_id is None  # the plugin fills it in
    assert str(failure).splitlines() == ["status was wrong", "  expected: 401",
                                         "  observed: 500"]


def _accepted(cause):
    def act(label):
        expect(False, f"{label} accepted", expected="401", observed="200", cause=cause)
    return act


def _raises(exc):
    def act(label):
        raise exc
    return act


def _passes(label):
    pass


def _check(plan, ran):
    """One check trying a case per (label, action); ``ran`` gets the labels that ran."""
    with cases() as case:
        for label, act in plan:
            with case(label):
                ran.append(label)
                act(label)


def test_a_check_records_every_failing_case_with_its_own_cause():
    ran = []
    plan = [("missing key", _accepted("no-auth")), ("right key", _passes),
            ("wrong key", _accepted("wrong-key-accepted"))]
    with pytest.raises(ConformanceFailure) as caught:
        _check(plan, ran)
    failure = caught.value
    assert ran == ["missing key", "right key", "wrong key"]  # the first failure stopped none
    assert [(f.case, f.cause, f.message) for f in failure.cases] == [
        ("missing key", "no-auth", "missing key accepted"),
        ("wrong key", "wrong-key-accepted", "wrong key accepted")]
    assert failure.message.startswith("2 of 3 cases failed (missing key, wrong key); first: ")
    assert failure.cause == "no-auth"


def test_one_failing_case_is_raised_as_it_is():
    with pytest.raises(ConformanceFailure) as caught:
        _check([("openai", _accepted("no-auth")), ("anthropic", _passes)], [])
    assert (caught.value.message, caught.value.case, caught.value.cases) == (
        "openai accepted", "openai", ())


def test_an_error_in_one_case_neither_hides_the_failures_nor_stops_the_rest():
    ran = []
    plan = [("openai", _accepted("no-auth")),
            ("anthropic", _raises(ClientTimeoutError("read timed out after 5 s"))),
            ("responses", _accepted("no-auth"))]
    with pytest.raises(ConformanceFailure) as caught:
        _check(plan, ran)
    assert ran == ["openai", "anthropic", "responses"]
    failure = caught.value
    assert [f.case for f in failure.cases] == ["openai", "responses"]
    assert failure.message == (
        "2 of 3 cases failed (openai, responses); 1 of 3 cases ended without a verdict "
        "(anthropic: ClientTimeoutError: read timed out after 5 s); first: openai accepted")


def test_errors_alone_are_raised_as_they_are_naming_every_unjudged_case():
    # The plugin judges the error itself (a target's hang is its failure, a harness fault
    # is inconclusive), so it is not wrapped; its notes name the cases.
    ran = []
    plan = [("openai", _raises(HarnessError("openai: the mock could not be read"))),
            ("anthropic", _passes),
            ("responses", _raises(HarnessError("responses: the mock could not be read")))]
    with pytest.raises(HarnessError) as caught:
        _check(plan, ran)
    assert ran == ["openai", "anthropic", "responses"]
    assert str(caught.value) == "openai: the mock could not be read"
    assert caught.value.__notes__ == [
        "in case 'openai'",
        "2 of 3 cases ended without a verdict (openai: HarnessError: openai: the mock could "
        "not be read; responses: HarnessError: responses: the mock could not be read)"]


def test_inconclusive_cases_alone_make_the_check_inconclusive_naming_them():
    def unjudged(label):
        inconclusive("no request reached the mock")

    ran = []
    with pytest.raises(Inconclusive) as caught:
        _check([("openai", unjudged), ("anthropic", unjudged), ("responses", _passes)], ran)
    assert ran == ["openai", "anthropic", "responses"]
    assert caught.value.reason == ("2 of 3 cases ended without a verdict (openai, anthropic: "
                                   "no request reached the mock)")


def test_the_run_clock_stops_the_cases_but_the_failures_so_far_stand():
    # What the check budget raises (pytest/_budget.py) when a check's time runs out.
    out_of_time = Inconclusive("the check's time budget ran out", final=True)
    ran = []
    plan = [("openai", _accepted("no-auth")), ("anthropic", _raises(out_of_time)),
            ("responses", _accepted("no-auth"))]
    with pytest.raises(ConformanceFailure) as caught:
        _check(plan, ran)
    assert ran == ["openai", "anthropic"]
    assert [f.case for f in caught.value.cases] == ["openai"]
    assert caught.value.message == (
        "1 of 2 cases failed (openai); then the check stopped: the check's time budget ran "
        "out; first: openai accepted")
    with pytest.raises(Inconclusive, match="budget ran out"):
        _check([("openai", _raises(out_of_time)), ("anthropic", _passes)], ran)


def test_warn_outside_a_check_is_an_ordinary_warning():
    with pytest.warns(ConformanceWarning, match="unknown event type"):
        warn("unknown event type 'x'")


def test_warn_inside_a_check_is_collected_not_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with collect_warnings() as outer:
            warn("first")
            with collect_warnings() as inner:
                warn("nested")
            thread = threading.Thread(target=warn, args=("from a thread",))
            thread.start()
            thread.join(timeout=5)
    assert [w.message for w in outer] == ["first", "from a thread"]
    assert [w.message for w in inner] == ["nested"]


def test_public_names_exist():
    assert [name for name in checks_pkg.__all__ if not hasattr(checks_pkg, name)] == []
