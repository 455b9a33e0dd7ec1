"""A gateway's own cool-down is recognised, waited out and named, never a check's failure
(issue 16 §3; gatecheck.pytest._cooldown), end to end with pytester over the real mock."""

from __future__ import annotations

import email.utils
import json

import httpcore  # noqa: F401  (imported outside pytester's runs: see tests/test_plugin.py)
import pytest

from gatecheck.embedded import serve_in_thread
from gatecheck.findings import derive_findings
from gatecheck.mock import create_app
from gatecheck.pytest import _cooldown
from gatecheck.pytest._cooldown import Answer, CoolDown, made_up, trigger_of, wait_for
from gatecheck.results import read_results
from tests.apps.cooling_gateway import CoolingGateway
from tests.test_plugin import PLUGIN, keyless_targets_toml

pytest_plugins = ["pytester"]

SUITE = '''
from gatecheck.checks import check, expect

CHAT = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}

@check("W-1", level="MUST", category="Completions", title="provokes an upstream error")
def test_a_provokes(target, client, chat_model):
    # The mock answers 401: the gateway cools the model down.
    client.post("/v1/chat/completions", json={"model": chat_model, "max_tokens": 2,
                "messages": [{"role": "user", "content": "[[mock fault=401]]"}]})

@check("W-2", level="MUST", category="Completions", title="a chat completion")
def test_b_chat(target, client, chat_model):
    r = client.post("/v1/chat/completions", json={"model": chat_model, **CHAT})
    expect(r.status == 200, f"answered {r.status}", expected="200", observed=str(r.status),
           exchange=r.exchange)

@check("W-3", level="MUST", category="Completions", title="fails on an answer of its own")
def test_d_fails_on_its_own(target, client, chat_model):
    client.post("/v1/chat/completions", json={"model": chat_model, **CHAT})  # maybe a 429
    health = client.get("/health")
    expect(False, "the health answer is wrong", expected="-", observed="-",
           exchange=health.exchange)

@check("W-4", level="MUST", category="Completions", title="waits between its own requests")
def test_e_waits_between_requests(target, client, chat_model, mock_log):
    from gatecheck.checks.support import past_cool_down

    body = {"model": chat_model, "max_tokens": 2,
            "messages": [{"role": "user", "content": "[[mock fault=401]]"}]}
    client.post("/v1/chat/completions", json=body)  # the gateway cools the model down
    r = past_cool_down(mock_log, client, "POST", "/v1/chat/completions",
                       json={"model": chat_model, **CHAT})
    expect(r.status == 200, f"answered {r.status}", expected="200", observed=str(r.status),
           exchange=r.exchange)

@check("LIM-1", level="MUST", category="Limits", title="its own limiter", feature="rate-limits")
def test_c_limiter(target, client, chat_model):
    r = client.post("/v1/chat/completions", json={"model": chat_model, **CHAT})
    expect(r.status == 200, f"answered {r.status}", expected="200", observed=str(r.status),
           exchange=r.exchange)
'''


@pytest.fixture(scope="module")
def mock_url():
    with serve_in_thread(create_app()) as url:
        yield url


def run(pytester, mock_url, gateway, *extra, select="not limiter and not own and not waits",
        features='"mock-upstream"'):
    with serve_in_thread(gateway) as url:
        pytester.makefile(".toml", targets=keyless_targets_toml(
            "cooling", "a gateway that cools a model down after upstream errors", url,
            features=features, mock_url=mock_url))

        pytester.makepyfile(test_suite=SUITE)
        pytester.makeconftest(PLUGIN)
        pytester.runpytest("--target", "cooling", "--gatecheck-targets-file", "targets.toml",
                           "--gatecheck-results", "r.jsonl", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-k", select, *extra)
    results = read_results(pytester.path / "r.jsonl")
    return {r.test.split("::")[-1].split("[")[0]: r for r in results}


def test_a_check_that_meets_a_cool_down_waits_it_out_and_passes_naming_it(pytester, mock_url):
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=1.0))
    chat = got["test_b_chat"]
    assert chat.outcome == "passed", chat.message
    assert chat.cause == "cool-down"
    seen = chat.observations["cool-down"]
    assert seen["status"] == 429
    assert seen["waited_s"] == 1
    assert seen["passed_after_wait"]
    # Measured from the mock's log: from the upstream 401 to the last made-up answer, and
    # to the upstream's next call (the rerun, a second later).
    assert 0 <= seen["lasted_at_least_s"] < 1.0 <= seen["lasted_at_most_s"] < 5
    assert "answered 429 itself" in chat.message
    assert "upstream 401" in chat.message
    findings = derive_findings(list(got.values()))
    assert [(f.id, f.severity) for f in findings] == [("cool-down", "info")]


def test_a_cool_down_that_outlasts_the_wait_is_inconclusive(pytester, mock_url, monkeypatch):
    monkeypatch.setattr(_cooldown, "MAX_WAIT_S", 0.3)  # the gateway asks for 60 s
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=60.0))
    chat = got["test_b_chat"]
    assert chat.outcome == "inconclusive"
    assert chat.cause == "cool-down"
    assert "still did after gatecheck waited 0.3 s" in chat.message


def test_a_429_after_an_upstream_call_is_no_cool_down_and_fails(pytester, mock_url):
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=0.0, always_429=True))
    chat = got["test_b_chat"]
    assert chat.outcome == "failed"
    assert chat.cause is None
    assert "cool-down" not in chat.observations


def test_a_check_waits_out_a_cool_down_between_its_own_requests(pytester, mock_url):
    # MockLog.past_cool_down (ERR-5, LIM-3): the second request meets the cool-down the first
    # started, is sent again after Retry-After, and the wait is an info finding.
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=1.0),
              select="waits")
    waits = got["test_e_waits_between_requests"]
    assert waits.outcome == "passed", waits.message
    seen = waits.observations["cool-down"]
    assert seen["waited_s"] == 1
    assert seen["passed_after_wait"]
    assert 1.0 <= seen["lasted_at_most_s"] < 5
    assert [(f.id, f.severity) for f in derive_findings([waits])] == [("cool-down", "info")]


def test_a_failure_that_rests_on_another_answer_is_not_rerun(pytester, mock_url, monkeypatch):
    # Only a failure witnessed by a made-up answer is the cool-down's: this check met one on
    # the way (as ERR-5 does between its cases) but failed on another answer.
    monkeypatch.setattr(_cooldown, "MAX_WAIT_S", 0.3)
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=60.0),
              select="provokes or own")
    own = got["test_d_fails_on_its_own"]
    assert own.outcome == "failed"
    assert own.cause is None


def test_the_gateways_own_limiter_is_judged_as_it_answers(pytester, mock_url):
    # A check of the gateway's rate limiter expects 429s it made up: never waited out.
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=1.0),
              select="provokes or limiter", features='"mock-upstream", "rate-limits"')
    assert got["test_c_limiter"].outcome == "failed"
    assert got["test_c_limiter"].cause is None


def test_no_upstream_ground_truth_means_no_rerun(pytester, mock_url, monkeypatch):
    # The gateway cools down, but its mock cannot be read: the check judged what it saw.
    got = run(pytester, mock_url, CoolingGateway(f"{mock_url}", cooldown=30.0),
              "--gatecheck-base-url", "cooling=http://127.0.0.1:9/v1")
    assert got["test_b_chat"].outcome in ("failed", "inconclusive")
    assert got["test_b_chat"].cause is None


# -- the pieces -------------------------------------------------------------------------


def answer(status, started, ended, retry_after=None):
    return Answer(status, retry_after, started, ended)


def test_an_answer_is_made_up_when_the_mock_saw_nothing_during_it():
    entries = [{"seq": 1, "time": 10.0, "status": 404}, {"seq": 2, "time": 20.5, "status": 200}]
    made = made_up([answer(429, 12.0, 12.1), answer(429, 20.4, 20.6), answer(500, 13, 14),
                    answer(503, 30, 31)], entries)
    assert [(a.status, a.started) for a in made] == [(429, 12.0), (503, 30)]
    assert trigger_of(made, entries) == entries[0]


def test_the_wait_is_the_retry_after_bounded_by_the_cap_and_the_run():
    now = 1000.0
    assert wait_for([answer(429, 0, 0, "2")], None, now) == 2
    date = email.utils.formatdate(now + 4, usegmt=True)
    assert wait_for([answer(429, 0, 0, date)], None, now) == pytest.approx(4, abs=1)
    assert wait_for([answer(429, 0, 0)], None, now) == _cooldown.DEFAULT_WAIT_S
    assert wait_for([answer(429, 0, 0, "3600")], None, now) == _cooldown.MAX_WAIT_S
    assert wait_for([answer(429, 0, 0, "soon")], 3.0, now) == 2.0  # a second kept for the run
    assert wait_for([answer(429, 0, 0, "5")], 0.5, now) == 0


def test_the_cool_down_is_described_with_what_was_measured():
    cool = CoolDown(answers=[answer(429, 11.0, 11.2)], waited_s=5,
                    trigger={"seq": 7, "time": 10.0, "status": 401}, upstream_again=16.5)
    assert cool.bounds_s() == (1.2, 6.5)
    assert cool.describe() == (
        "cool-down: the gateway answered 429 itself 1 time without calling the upstream, "
        "after an upstream 401 (mock log #7); gatecheck waited 5 s and ran the check "
        "again, and it passed; the cool-down lasted 1.2 to 6.5 s")
    assert json.dumps(cool.observation())


@pytest.mark.parametrize(("url", "model"), [
    ("http://127.0.0.1:1/v1/chat/completions", True), ("/v1/messages", True),
    ("/v1/responses", True), ("/v1/embeddings", True), ("/v1/messages?beta=true", True),
    ("/health", False), ("/v1/models", False), ("/v1/messages/count_tokens", False),
    ("/v1/keys", False),
])
def test_only_an_answer_on_a_model_route_can_be_a_cool_down(url, model):
    assert _cooldown.is_model_route(url) is model
    bound = Answer(429, None, 1.0, 2.0, upstream_bound=_cooldown.is_model_route(url))
    assert bool(made_up([bound], [])) is model
