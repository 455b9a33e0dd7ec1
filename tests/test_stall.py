"""The stall watch (gatecheck.pytest._stall): a target found to have stopped answering.

On canned exchanges with a stand-in probe, and the real probe against the hostile test
gateway (tests/apps/hostile.py) that stalls or answers. The whole run against a stalling
gateway is tests/test_hostile_run.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gatecheck.pytest._stall import PROBE_TIMEOUT_S, STALLS_IN_A_ROW, StallWatch, probe, stalled
from gatecheck.targets import load_targets
from tests.apps.hostile import serve
from tests.test_hostile_run import TARGETS


@dataclass
class Seen:
    status: int | None = None
    error: str | None = None
    response_bytes: int = 0
    method: str = "POST"
    url: str = "http://127.0.0.1:1/v1/chat/completions"


STALL = Seen(error="read timeout (30s) before the response headers after 0 bytes (POST ...)")
ANSWER = Seen(status=200, response_bytes=120)


@dataclass
class Target:
    name: str = "gw"


class Probe:
    def __init__(self, answer: str | None):
        self.answer, self.calls = answer, 0

    def __call__(self, target: object) -> str | None:
        self.calls += 1
        return self.answer


@pytest.mark.parametrize(("seen", "expected"), [
    (STALL, True),
    (Seen(error="total deadline of 60s passed before the response headers (GET ...)"), True),
    (ANSWER, False),
    (Seen(status=504, response_bytes=0), False),  # an answer, even an empty one
    # dripped bytes then a timeout: it answered, slowly (the drip checks judge that)
    (Seen(error="read timeout (30s) reading the body after 12 bytes", response_bytes=12), False),
    (Seen(error="cannot connect to POST http://127.0.0.1:1/v1: refused"), False),
    (Seen(error="connection failed after 0 bytes: reset"), False),
])
def test_only_a_timeout_before_any_answer_is_a_stall(seen, expected):
    assert stalled(seen) is expected


def test_stalls_in_a_row_make_it_ask_once_and_a_silent_target_is_left():
    silent = Probe("GET http://127.0.0.1:1/v1/models got none within 10 s either")
    watch = StallWatch(probe=silent)
    for _ in range(STALLS_IN_A_ROW - 1):
        watch.saw("gw", STALL)
    assert watch.verdict(Target()) is None
    assert silent.calls == 0
    watch.saw("gw", STALL)
    why = watch.verdict(Target())
    assert why is not None
    assert silent.calls == 1
    assert why.startswith(f"not run: target 'gw' stopped answering: {STALLS_IN_A_ROW} "
                          f"requests in a row got no answer (the last: POST ")
    assert "got none within 10 s either" in why
    # Left for good: every later check says the same without asking again.
    watch.saw("gw", ANSWER)
    assert watch.verdict(Target()) == why
    assert silent.calls == 1


def test_a_target_that_still_answers_the_probe_starts_the_count_again():
    answers = Probe(None)
    watch = StallWatch(probe=answers)
    for _ in range(STALLS_IN_A_ROW):
        watch.saw("gw", STALL)
    assert watch.verdict(Target()) is None
    assert answers.calls == 1
    watch.saw("gw", STALL)  # one more: not yet in a row again
    assert watch.verdict(Target()) is None
    assert answers.calls == 1


def test_an_answer_between_stalls_breaks_the_row_and_targets_count_apart():
    silent = Probe("none")
    watch = StallWatch(probe=silent)
    for _ in range(3):
        watch.saw("gw", STALL)
        watch.saw("gw", ANSWER)
        watch.saw("other", STALL)
    assert watch.verdict(Target("gw")) is None
    assert watch.verdict(Target("other")) is not None
    assert silent.calls == 1


@pytest.mark.slow  # waits out the probe's timeout once
@pytest.mark.parametrize(("mode", "answers"), [("stall", False), ("ok", True),
                                               ("html", True)])
def test_the_probe_asks_the_api_and_any_answer_counts(mode, answers, tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    with serve(mode, max_seconds=PROBE_TIMEOUT_S + 5) as server:
        registry = load_targets(str(path)).with_base_urls({"hostile": f"{server.url}/v1"})
        (target,) = registry.select(["hostile"])
        why = probe(target)
        paths = [hit.path for hit in server.hits]
    assert (why is None) is answers, why
    assert paths == ["/v1/models"]
    if not answers:
        assert why == f"GET {server.url}/v1/models got none within {PROBE_TIMEOUT_S:g} s either"
