"""The results contract: its schemas list exactly the outcomes, levels and severities in code."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from gatecheck.findings import Severity
from gatecheck.results import LEVELS, OUTCOMES, CheckResult, ResultsWriter, read_results
from gatecheck.schemas import schema_dir


def _properties(name: str) -> dict[str, Any]:
    schema = json.loads((schema_dir() / f"{name}.json").read_text(encoding="utf-8"))
    return schema["properties"] if schema["type"] == "object" else schema["items"]["properties"]


def test_the_record_schema_lists_exactly_the_outcomes_and_levels_of_the_contract():
    # A new outcome in results.Outcome that the schema lacks would make read_results refuse
    # every run that has one (and the reverse would let a record the code cannot count in).
    properties = _properties("gatecheck/results-record")
    assert tuple(properties["outcome"]["enum"]) == OUTCOMES
    assert tuple(properties["level"]["enum"]) == LEVELS


def test_the_findings_schema_lists_exactly_the_severities_of_the_code():
    assert tuple(_properties("gatecheck/findings")["severity"]["enum"]) == get_args(Severity)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_record_of_every_outcome_is_read_back(tmp_path, outcome):
    record = CheckResult(target="gw", check_id="W-1", test="suites/test_x.py::test_w1[gw]",
                         title="t", category="Completions", level="MUST", outcome=outcome)
    writer = ResultsWriter(tmp_path / "results.jsonl")
    writer.write(record)
    writer.close()
    assert read_results(tmp_path / "results.jsonl") == [record]
