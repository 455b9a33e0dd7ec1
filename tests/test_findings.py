"""Findings: failures grouped by cause into defects, findings.json and its schema.

A gateway with one root defect is one finding, witnessed by every check (and every case of
a check) that showed it; a failure of no known cause is its own finding; severity is the
strongest level among the witnesses; findings.json round-trips through its schema.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from gatecheck.cli import main
from gatecheck.findings import CAUSES, MAX_EVIDENCE, derive_findings, read_findings, write_findings
from gatecheck.results import CaseResult, CheckResult, read_results
from gatecheck.schemas import validator


def _result(check_id, *, outcome="failed", level="MUST", cause=None, cases=(), target="gw",
            test=None, message="it failed", exchange=None):
    return CheckResult(target=target, check_id=check_id, title=f"{check_id} title",
                       test=test or f"suites/test_x.py::test_{check_id.lower()}[{target}]",
                       category="Authentication", level=level, outcome=outcome, cause=cause,
                       cases=tuple(cases), message=message, exchange=exchange)


EXCHANGE = {"method": "POST", "url": "http://127.0.0.1:1/v1/chat/completions", "status": 200,
            "response_body": '{"id":"x"}', "curl": "curl -sS http://127.0.0.1:1/v1/chat"}


def test_one_root_defect_is_one_finding_with_every_witness():
    results = [
        _result("AUTH-3", cause="no-auth", exchange=EXCHANGE),
        _result("AUTH-4", cases=[CaseResult(label=f"{s} wrong key", message="200",
                                            cause="no-auth") for s in ("openai", "anthropic")]),
        _result("MOD-4", level="SHOULD", cause="no-auth"),
        _result("HEALTH-1", outcome="passed"),
    ]
    (finding,) = derive_findings(results)
    assert finding.id == "no-auth"
    assert finding.title == CAUSES["no-auth"].title
    assert finding.recommendation == CAUSES["no-auth"].recommendation
    assert finding.checks == ("AUTH-3", "AUTH-4", "MOD-4")
    assert finding.witnesses == 4  # AUTH-4's two cases count apart
    assert finding.severity == "high"  # a MUST among the witnesses
    assert len(finding.evidence) == MAX_EVIDENCE
    assert finding.more_evidence == 1
    first = finding.evidence[0]
    assert (first.request, first.status, first.curl) == (
        "POST http://127.0.0.1:1/v1/chat/completions", 200, EXCHANGE["curl"])


def test_a_wrong_key_accepted_is_the_same_defect_as_no_credential_needed_on_that_target():
    # A gateway that serves a request with no credential checks no key: the wrong keys it
    # serves (AUTH-4, ERR-3's SDK call) are that one defect. Where a missing key is refused,
    # accepting a wrong one is a defect of its own.
    results = [
        _result("AUTH-3", cause="no-auth", target="open"),
        _result("AUTH-4", cause="wrong-key-accepted", target="open"),
        _result("ERR-3", cause="wrong-key-accepted", target="open"),
        _result("AUTH-4", cause="wrong-key-accepted", target="lax"),
    ]
    found = {(f.target, f.id): f.checks for f in derive_findings(results)}
    assert found == {("open", "no-auth"): ("AUTH-3", "AUTH-4", "ERR-3"),
                     ("lax", "wrong-key-accepted"): ("AUTH-4",)}


def test_cases_of_one_check_split_by_their_causes_and_unknown_failures_stand_alone():
    results = [
        _result("AUTH-4", cases=[CaseResult(label="openai", message="m", cause="no-auth"),
                                 CaseResult(label="malformed", message="400",
                                            cause="auth-status")]),
        _result("W-1", message="choices missing\nmore detail"),
        _result("W-1", message="other", test="suites/test_y.py::test_other[gw]"),
    ]
    findings = {f.id: f for f in derive_findings(results)}
    assert set(findings) == {"no-auth", "auth-status", "W-1/test-w-1", "W-1/test-other"}
    assert findings["W-1/test-w-1"].title == "W-1 title: choices missing"
    assert "no known cause" in findings["W-1/test-w-1"].recommendation


def test_targets_are_kept_apart_and_order_is_severity_then_breadth():
    results = [
        _result("MOD-4", level="SHOULD", cause="no-auth", target="a"),
        _result("AUTH-3", cause="no-auth", target="b"),
        _result("AUTH-4", cause="no-auth", target="b"),
    ]
    found = derive_findings(results)
    assert [(f.target, f.severity, f.checks) for f in found] == [
        ("b", "high", ("AUTH-3", "AUTH-4")), ("a", "medium", ("MOD-4",))]


def test_skips_inconclusive_and_deviations_are_not_defects_but_a_stale_one_is():
    results = [_result("AUTH-3", outcome=o, cause="no-auth")
               for o in ("skipped", "inconclusive", "xfailed", "warned")]
    assert derive_findings(results) == []
    stale = CheckResult(target="gw", check_id="ERR-1", title="t", test="s::t[gw]",
                        category="Errors", level="SHOULD", outcome="failed", stale=True,
                        message="known deviation no longer reproduces")
    (finding,) = derive_findings([stale])
    assert finding.id == "stale-deviation"


def test_a_cool_down_that_failed_nothing_is_information_only():
    note = _result("AUTH-3", outcome="passed", cause="cool-down")
    (finding,) = derive_findings([note])
    assert finding.severity == "info"


def test_findings_json_round_trips_and_is_schema_valid(tmp_path):
    results = [_result("AUTH-3", cause="no-auth", exchange=EXCHANGE), _result("W-1")]
    path = tmp_path / "findings.json"
    write_findings(path, derive_findings(results))
    data = json.loads(path.read_text())
    assert not list(validator("gatecheck/findings").iter_errors(data))
    assert read_findings(path) == derive_findings(results)


def test_a_findings_json_off_its_schema_is_refused(tmp_path):
    path = tmp_path / "findings.json"
    path.write_text('[{"id": "x"}]')
    with pytest.raises(ValueError, match=r"findings\.json"):
        read_findings(path)


@pytest.mark.slow
def test_a_gateway_without_credentials_of_its_own_is_one_info_finding(tmp_path, capsys):
    # auth.scheme = none (the mock as a target, as Portkey's gateway): no auth check fails or
    # is skipped in silence; AUTH-3 says it once, on each surface, as one info finding.
    code = main(["run", "--target", "mock", "--out", str(tmp_path), "--check", "AUTH-3",
                 "--check", "AUTH-4", "--workers", "0"])
    console = capsys.readouterr().out
    assert code == 0, console[-2000:]
    run = tmp_path / "latest"
    results = read_results(run / "results.jsonl")
    auth3 = [r for r in results if r.check_id == "AUTH-3" and "missing" in r.test]
    assert {(r.outcome, r.cause) for r in auth3} == {("passed", "no-credential")}
    assert len(auth3) == 2
    assert {r.outcome for r in results if r.check_id == "AUTH-4"} == {"skipped"}
    found = derive_findings(results)
    assert [(f.id, f.severity, f.witnesses) for f in found] == [("no-credential", "info", 2)]
    assert CAUSES["no-credential"].title in (run / "report.md").read_text()
    assert "Takes no credential of its own" in console


# The mock upstream declared as a gateway with keys of its own: it serves every request,
# with a credential or without, as a gateway that lost its authentication would.
OPEN_GATEWAY = """\
[[target]]
name = "open"
description = "gatecheck's mock declared as a keyed gateway: it checks no credential"
base-url = "embedded"
embedded = "mock"
features = ["streaming", "models"]

[target.auth]
scheme = "bearer"
env = "OPEN_GATEWAY_KEY"

[target.surfaces.openai]
auth = ["bearer", "x-api-key"]

[target.surfaces.anthropic]
auth = ["x-api-key", "bearer"]

[target.models]
default = "mock-chat"

[target.quirks]
model-echo = "requested"
invalid-json-status = 400
"""
# Every authentication check, the SDKs' 401 check and /v1/models without a key, beside
# checks of other things that such a gateway passes.
AUTH_CHECKS = [f"AUTH-{n}" for n in range(1, 13)] + ["MOD-4", "ERR-3"]
OTHER_CHECKS = ["ERR-1", "MOD-1", "STR-1"]


@pytest.mark.slow  # a child `gatecheck run`
def test_a_gateway_without_authentication_is_one_finding_witnessed_by_every_auth_check(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPEN_GATEWAY_KEY", "sk-open-gateway-0123456789abcdef")
    (tmp_path / "targets.toml").write_text(OPEN_GATEWAY)
    checks = [arg for check_id in AUTH_CHECKS + OTHER_CHECKS for arg in ("--check", check_id)]
    code = main(["run", "--target", "open", "--targets-file", str(tmp_path / "targets.toml"),
                 "--out", str(tmp_path / "reports"), "--workers", "0", *checks])
    console = capsys.readouterr().out
    assert code == 1, console[-3000:]
    run = tmp_path / "reports" / "latest"
    results = read_results(run / "results.jsonl")
    failed = {r.check_id for r in results if r.outcome == "failed"}
    # the checks that missing or wrong keys served fail, and nothing else does
    assert failed == {"AUTH-3", "AUTH-4", "AUTH-6", "MOD-4", "ERR-3"}
    assert {r.check_id for r in results if r.outcome == "passed"} >= {
        "AUTH-1", "AUTH-2", "AUTH-8", *OTHER_CHECKS}
    (finding,) = read_findings(run / "findings.json")  # schema-validated as it is read
    assert (finding.id, finding.title, finding.severity) == (
        "no-auth", CAUSES["no-auth"].title, "high")
    assert set(finding.checks) == failed
    # every failed case witnesses it: AUTH-4's three keys, AUTH-6's four rejections, ...
    failed_cases = sum(len(r.cases) or 1 for r in results if r.outcome == "failed")
    assert finding.witnesses == failed_cases
    report = (run / "report.md").read_text()
    assert report.count(CAUSES["no-auth"].title) == 1
    assert f"witnessed by {', '.join(finding.checks)} ({failed_cases} failed cases)" in report
    assert "1 defect, witnessed by" in console


def test_a_cool_down_waited_out_inside_a_failed_check_is_still_its_own_info_finding():
    # ERR-5 waits out the cool-down its first case starts (MockLog.past_cool_down), then
    # fails on a defect of its own: both are reported, each under its own cause.
    seen = {"status": 429, "made_up_answers": 1, "waited_s": 5.0, "lasted_at_least_s": 0.4,
            "lasted_at_most_s": 5.6, "passed_after_wait": True, "retry_after": "5"}
    failed = dataclasses.replace(_result("ERR-5", cause="upstream-auth-as-client"),
                                 observations={"cool-down": seen})
    found = {f.id: f for f in derive_findings([failed])}
    assert set(found) == {"upstream-auth-as-client", "cool-down"}
    assert found["cool-down"].severity == "info"
    assert found["upstream-auth-as-client"].severity == "high"
    assert found["cool-down"].evidence[0].message == (
        "the gateway answered 429 itself, without calling the upstream; gatecheck waited 5.0 s "
        "and sent the request again; the cool-down lasted 0.4 to 5.6 s after the upstream error")


def test_every_cause_a_check_names_is_a_known_cause():
    # A misspelt cause would quietly become a finding of its own, with no recommendation.
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("suites/*.py"), *root.glob("src/gatecheck/checks/*.py"),
             *root.glob("src/gatecheck/pytest/*.py")]
    named = {m for f in files for m in re.findall(r'cause="([a-z0-9-]+)"', f.read_text())}
    named |= {m for f in files for m in re.findall(r'note_behaviour\("([a-z0-9-]+)"',
                                                    f.read_text())}
    assert len(named) > 20
    assert named - set(CAUSES) == set()


def test_a_cause_id_listed_twice_is_refused():
    from gatecheck.findings import _causes

    with pytest.raises(ValueError, match="listed twice: x"):
        _causes(("x", "one", "do a"), ("y", "two", "do b"), ("x", "three", "do c"))
