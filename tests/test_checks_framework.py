"""The check framework: @check (called and bare), the Registry, failures and warnings."""

from __future__ import annotations

import threading
import warnings

import pytest

import gatecheck.checks as checks_pkg
from gatecheck.checks import (
    CHECKS,
    MARK,
    CheckInfo,
    ConformanceFailure,
    ConformanceWarning,
    Registry,
    check,
    collect_warnings,
    expect,
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
