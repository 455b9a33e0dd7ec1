"""A gateway's own cool-down, told apart from the check that runs into it (issue 16 §3).

Gateways keep state across requests. LiteLLM's router puts a deployment into a cool-down after
upstream failures (its ``cooldown_time``, 5 s by default in 1.106) and answers ``429`` itself
until it ends, without calling the upstream. A check that runs in that window fails for a
reason that is not its own: the check before it provoked the upstream error.

gatecheck can tell, because it runs the upstream: an answer of 429 or 503 during which the
mock's log shows no request was made up by the gateway. When a check fails and one of its
answers was made up, the check waits (the answer's ``Retry-After``, bounded; else a default a
little past LiteLLM's) and runs once more:

- it passes: the check passes, and its result names the cause ``cool-down`` with what was
  measured (an info finding of the gateway's own behaviour, never a failure);
- the gateway still makes the answers up: inconclusive, naming the cool-down;
- it fails otherwise: that failure stands (the cool-down hid it, it did not cause it).

Checks of the gateway's own rate limiter (feature ``rate-limits``) expect made-up 429s and
are never rerun. Under xdist another worker's request can fall in an answer's window; the
answer then counts as the upstream's, and the failure stands: the test errs towards
reporting.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LOG_LIMIT", "MADE_UP_STATUSES", "Answer", "CoolDown", "cool_down_in",
           "first_call_after", "is_model_route", "made_up", "retry_after", "trigger_of",
           "wait_for"]

MADE_UP_STATUSES = frozenset({429, 503})
DEFAULT_WAIT_S = 6.0  # no Retry-After: past LiteLLM's default cooldown_time (5 s)
MAX_WAIT_S = 30.0  # a Retry-After is the gateway's to choose, the wait is gatecheck's
LOG_LIMIT = 500  # the newest mock log entries read (a check makes far fewer requests)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer a check got from the gateway: status, Retry-After, when (epoch s)."""

    status: int
    retry_after: str | None
    started: float
    ended: float
    exchange: Any = None  # the Exchange, when gatecheck's own client made the request
    # A request the gateway forwards when all is well: a model route, with the target's own
    # credential. Only such an answer can be a cool-down; a 429 for a bad key or on a health
    # path is the gateway's verdict on that request, whatever the mock saw.
    upstream_bound: bool = True


_MODEL_ROUTE = re.compile(r"/(?:chat/completions|completions|messages|responses|embeddings)/?$")


def is_model_route(url: str) -> bool:
    """Whether ``url`` (or a path) is a route a gateway forwards to a model."""
    return bool(_MODEL_ROUTE.search(urlsplit(url).path))


@dataclass(slots=True)
class CoolDown:
    """What a check that ran into a cool-down saw, and what waiting it out showed."""

    answers: list[Answer]  # the made-up ones
    waited_s: float
    trigger: dict[str, Any] | None = None  # the last upstream error before them (mock log)
    upstream_again: float | None = None  # first upstream call of the rerun (epoch s)
    rerun: list[Answer] = field(default_factory=list)  # made-up answers of the rerun too

    @property
    def status(self) -> int:
        return self.answers[0].status

    def bounds_s(self) -> tuple[float | None, float | None]:
        """How long the cool-down lasted, from the upstream error that set it off: at least
        until the last made-up answer, at most until the upstream was called again."""
        if self.trigger is None or not isinstance(self.trigger.get("time"), (int, float)):
            return None, None
        start = float(self.trigger["time"])
        last = max(a.ended for a in [*self.answers, *self.rerun])
        upper = None if self.upstream_again is None else self.upstream_again - start
        return round(last - start, 2), None if upper is None else round(upper, 2)

    def describe(self) -> str:
        n = len(self.answers)
        said = (f"answered {self.status} itself {n} time{'s' if n != 1 else ''} "
                f"without calling the upstream")
        if self.trigger is not None:
            said += (f", after an upstream {self.trigger.get('status')} "
                     f"(mock log #{self.trigger.get('seq')})")
        lower, upper = self.bounds_s()
        if self.rerun:
            return (f"the gateway {said}, and still did after gatecheck waited "
                    f"{self.waited_s:g} s: a cool-down of its own, not this check's verdict")
        length = ""
        if lower is not None and upper is not None:
            length = f"; the cool-down lasted {lower:g} to {upper:g} s"
        elif lower is not None:
            length = f"; the cool-down lasted at least {lower:g} s"
        return (f"cool-down: the gateway {said}; gatecheck waited {self.waited_s:g} s and ran "
                f"the check again, and it passed{length}")

    def observation(self) -> dict[str, Any]:
        lower, upper = self.bounds_s()
        return {"status": self.status, "made_up_answers": len(self.answers),
                "waited_s": self.waited_s, "lasted_at_least_s": lower,
                "lasted_at_most_s": upper, "passed_after_wait": not self.rerun,
                "retry_after": self.answers[0].retry_after}


def made_up(answers: Iterable[Answer], entries: Sequence[dict[str, Any]]) -> list[Answer]:
    """The answers of 429/503 during which the mock received no request at all.

    The mock stamps each entry with when its request arrived, on the same host's clock: a
    request the gateway made for an answer arrived after the client sent it and before the
    answer came back, so the window needs no slack; a slack would take the error answer just
    before (the one that started the cool-down) for an upstream call of this one.
    """
    times = [float(e["time"]) for e in entries if isinstance(e.get("time"), (int, float))]
    return [a for a in answers if a.status in MADE_UP_STATUSES and a.upstream_bound
            and not any(a.started <= t <= a.ended for t in times)]


def cool_down_in(answers: Sequence[Answer], entries: Sequence[dict[str, Any]],
                 left: float | None) -> CoolDown | None:
    """The cool-down ``answers`` show against the mock's log (those it made up, the upstream
    error before them, how long to wait), else None."""
    fake = made_up(answers, entries)
    if not fake:
        return None
    return CoolDown(answers=fake, waited_s=wait_for(fake, left), trigger=trigger_of(fake, entries))


def trigger_of(answers: Sequence[Answer],
               entries: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The last upstream error the mock sent before the first made-up answer."""
    first = min(a.started for a in answers)
    errors = [e for e in entries if isinstance(e.get("time"), (int, float))
              and e["time"] < first and isinstance(e.get("status"), int) and e["status"] >= 400]
    return max(errors, key=lambda e: e["time"]) if errors else None


def first_call_after(entries: Sequence[dict[str, Any]], since: float) -> float | None:
    times = [float(e["time"]) for e in entries
             if isinstance(e.get("time"), (int, float)) and e["time"] >= since]
    return min(times) if times else None


def wait_for(answers: Sequence[Answer], left: float | None, now: float | None = None) -> float:
    """How long to wait before the rerun: the longest Retry-After (seconds or an HTTP date),
    else DEFAULT_WAIT_S, never more than MAX_WAIT_S or the time left to the run."""
    now = time.time() if now is None else now
    asked = [s for s in (_seconds(a.retry_after, now) for a in answers) if s is not None]
    wait = min(max(asked) if asked else DEFAULT_WAIT_S, MAX_WAIT_S)
    if left is not None:
        wait = min(wait, max(left - 1.0, 0.0))
    return round(max(wait, 0.0), 3)


def _seconds(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0) if text.replace(".", "", 1).isdigit() else max(
            email.utils.parsedate_to_datetime(text).timestamp() - now, 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def retry_after(headers: Iterable[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "retry-after"), None)
