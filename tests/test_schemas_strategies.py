"""gatecheck.schemas.strategies: valid requests validate, invalid ones fail as labelled."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatecheck.schemas import validate
from gatecheck.schemas.strategies import (
    INVALID_LABELS,
    InvalidRequest,
    invalid_requests,
    valid_requests,
)

REQUEST_SCHEMA = {"openai": "openai/chat-completion-request",
                  "anthropic": "anthropic/messages-request"}
BOUNDED = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_valid_requests_validate_and_stay_small(surface: Any) -> None:
    @BOUNDED
    @given(valid_requests(surface, model="gpt-4o-mini"))
    def check(body: dict[str, Any]) -> None:
        assert validate(REQUEST_SCHEMA[surface], body, profile="strict") == []
        assert body["model"] == "gpt-4o-mini"
        assert 1 <= len(body["messages"]) <= 4
        assert body["messages"][-1]["role"] == "user"
        limit = body.get("max_tokens", body.get("max_completion_tokens"))
        assert 1 <= limit <= 16
        if "stream_options" in body:
            assert body["stream"] is True
        assert b"[[" not in orjson.dumps(body)  # never a mock directive by accident
        assert len(orjson.dumps(body)) < 2048

    check()


ALL_LABELS = [(surface, label) for surface in ("openai", "anthropic")
              for label in INVALID_LABELS[surface]]  # type: ignore[index]


@pytest.mark.parametrize(("surface", "label"), ALL_LABELS)
def test_invalid_requests_fail_the_schema_as_labelled(surface: Any, label: str) -> None:
    @settings(BOUNDED, max_examples=8)
    @given(invalid_requests(surface, labels=[label]))
    def check(case: InvalidRequest) -> None:
        assert case.label == label
        if label == "malformed JSON":
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(case.content)
            return
        assert orjson.loads(case.content) == case.body
        failures = [v for v in validate(REQUEST_SCHEMA[surface], case.body)
                    if v.severity == "FAIL"]
        assert failures, f"{case.label}: {case.body!r} passes the schema"

    check()


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_the_mixed_strategy_draws_labelled_cases(surface: Any) -> None:
    @settings(BOUNDED, max_examples=30)
    @given(invalid_requests(surface))
    def check(case: InvalidRequest) -> None:
        assert case.label in INVALID_LABELS[surface]

    check()


@pytest.mark.parametrize(("surface", "label", "path"), [
    ("openai", "missing model", "$"),
    ("openai", "empty messages", "$.messages"),
    ("openai", "temperature out of range", "$.temperature"),
    ("openai", "bad stream_options", "$.stream_options"),
    ("anthropic", "missing max_tokens", "$"),
    ("anthropic", "unknown role", "$.messages["),
    ("openai", "unknown role", "$.messages["),
    ("anthropic", "stop_sequences not a list", "$.stop_sequences"),
])
def test_the_label_names_the_flaw(surface: Any, label: str, path: str) -> None:
    @settings(BOUNDED, max_examples=15)
    @given(invalid_requests(surface, labels=[label]))
    def check(case: InvalidRequest) -> None:
        paths = {v.path for v in validate(REQUEST_SCHEMA[surface], case.body)}
        assert any(p.startswith(path) for p in paths), paths

    check()


def test_each_mutation_breaks_only_its_rule() -> None:
    # "missing model" keeps everything else valid: the one violation is the missing key
    @settings(BOUNDED, max_examples=15)
    @given(invalid_requests("anthropic", labels=["missing model"]))
    def check(case: InvalidRequest) -> None:
        assert [str(v) for v in validate("anthropic/messages-request", case.body)] == [
            "FAIL $: 'model' is a required property"]

    check()


def test_unknown_labels_are_a_usage_error() -> None:
    from gatecheck import UsageError

    with pytest.raises(UsageError, match="known: missing model"):
        invalid_requests("openai", labels=["missing max_tokens"])


def test_strategies_are_deterministic_under_derandomize() -> None:
    drawn: list[list[Any]] = []
    for _ in range(2):
        values: list[Any] = []

        @settings(BOUNDED, max_examples=10)
        @given(st.data())
        def collect(data: st.DataObject) -> None:
            values.append(data.draw(valid_requests("openai")))  # noqa: B023

        collect()
        drawn.append(values)
    assert drawn[0] == drawn[1]
