"""Circuit breaker states on an injected clock, and the retry policy's waits."""

from __future__ import annotations

import pytest

from gatecheck.proxy.breaker import CircuitBreaker
from gatecheck.proxy.retry import RetryPolicy, parse_retry_after, retryable_status


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fail(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        permit = breaker.try_acquire()
        assert permit is not None
        breaker.failure(permit)


def test_opens_after_threshold_consecutive_failures() -> None:
    changes: list[str] = []
    breaker = CircuitBreaker(threshold=3, cooldown=30, clock=Clock(), on_change=changes.append)
    fail(breaker, 2)
    assert breaker.state == "closed"
    fail(breaker, 1)
    assert breaker.state == "open"
    assert changes == ["open"]
    assert breaker.try_acquire() is None
    assert breaker.retry_after() == 30


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=3, clock=Clock())
    fail(breaker, 2)
    permit = breaker.try_acquire()
    assert permit is not None
    breaker.success(permit)  # e.g. a 400 or 429: the upstream answered
    fail(breaker, 2)
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 2


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=30, clock=clock)
    fail(breaker, 1)
    clock.now = 29.9
    assert breaker.try_acquire() is None
    clock.now = 30.0
    probe = breaker.try_acquire()
    assert probe is not None
    assert probe.probe
    assert breaker.state == "half_open"
    assert [breaker.try_acquire() for _ in range(5)] == [None] * 5
    breaker.success(probe)
    assert breaker.state == "closed"
    assert breaker.try_acquire() is not None


def test_failed_probe_reopens_for_another_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=clock)
    fail(breaker, 1)
    clock.now = 10
    probe = breaker.try_acquire()
    assert probe is not None
    breaker.failure(probe)
    assert breaker.state == "open"
    assert breaker.retry_after() == 10
    assert breaker.times_opened == 2


def test_probe_without_verdict_is_handed_on() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=clock)
    fail(breaker, 1)
    clock.now = 10
    probe = breaker.try_acquire()
    assert probe is not None
    breaker.release(probe)  # the client left
    again = breaker.try_acquire()
    assert again is not None
    assert again.probe
    breaker.failure(probe)  # a late verdict on a finished permit changes nothing
    assert breaker.state == "half_open"


def test_snapshot_shows_state() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    fail(breaker, 1)
    snap = breaker.snapshot()
    assert snap["state"] == "open"
    assert snap["retry_after_s"] == 5
    clock.now = 6
    assert breaker.snapshot()["state"] == "half_open"


@pytest.mark.parametrize(("status", "retry"), [
    (400, False), (401, False), (404, False), (413, False), (422, False),
    (408, True), (409, True), (429, True), (500, True), (503, True), (529, True),
])
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert retryable_status(status) is retry


def test_retry_after_forms() -> None:
    assert parse_retry_after([("Retry-After", "2")]) == 2.0
    assert parse_retry_after([("retry-after-ms", "1500"), ("retry-after", "9")]) == 1.5
    assert parse_retry_after([("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]) == 0.0
    assert parse_retry_after([("retry-after", "soon")]) is None
    assert parse_retry_after([]) is None


def test_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(max_attempts=4, backoff_initial=0.5, backoff_max=1.0, total_budget=10)
    assert policy.delay(1, None, 0.0, rng=lambda: 1.0) == 0.5
    assert policy.delay(2, None, 0.0, rng=lambda: 1.0) == 1.0
    assert policy.delay(3, None, 0.0, rng=lambda: 1.0) == 1.0  # capped
    assert policy.delay(2, None, 0.0, rng=lambda: 0.25) == 0.25
    assert policy.delay(4, None, 0.0) is None  # attempts exhausted


def test_retry_after_is_honoured_up_to_the_cap_and_budget() -> None:
    policy = RetryPolicy(max_attempts=3, retry_after_cap=5, total_budget=6)
    assert policy.delay(1, 2.0, 0.0) == 2.0
    assert policy.delay(1, 7.0, 0.0) is None  # longer than the cap: the client waits instead
    assert policy.delay(2, 2.0, 5.0) is None  # past the total budget


def test_policy_from_config() -> None:
    policy = RetryPolicy.from_config({"max-attempts": 1, "retry-after-cap": 3})
    assert policy.max_attempts == 1
    assert policy.retry_after_cap == 3
    assert policy.backoff_max == 2.0
