"""Locust users for LLM gateways: chat (non-stream), stream, and open-loop rate users.

Every user speaks the wire ``--gatecheck-surface`` names: Chat Completions, Messages, the
Responses API (streamed: the first ``response.output_text.delta`` is the first token) or
embeddings (never streamed: on that wire every user, the rate user too, sends plain
requests and measures e2e).

A locustfile imports Locust first (gevent patches sockets before anything else is
imported) and subclasses a user here; the classes here are abstract, so importing them
runs nothing::

    import locust  # noqa: F401  (gevent first)
    from gatecheck.load import users

    class StreamUser(users.StreamUser):
        pass

Locust's own response time stops at the headers for a stream, so every request also logs
``ttft``, ``itl`` and ``e2e`` into Locust statistics rows of type ``LLM`` (the web UI's table
shows them) and appends an exact ``Sample``. Those rows are logged straight into their
entries, not fired as request events: an event also counts in Locust's *Aggregated* row,
whose rate the UI shows as the run's requests/s, and one stream would count four times.
Samples travel to the master inside Locust's worker reports; the master (or the single
process) joins them to the mock's own timings (``--gatecheck-mock-url``), serves live exact
figures in a "gatecheck" tab of the web UI, and writes ``samples.jsonl`` and
``summary.json`` to ``--gatecheck-out`` when Locust quits.
"""

from __future__ import annotations

import locust  # first: gevent patches sockets before anything else is imported
from locust import User, constant, task

import os
import time

import gevent

from gatecheck import Auth, ConfigError, Stamps
from gatecheck.load._process import (
    BOOK,
    EARLY_STOP_AFTER,
    LLM,
    STATE,
    TRUTH,
    is_worker,
    next_nonce,
    node,
    pacer_for,
    poll_truth,
    settings_of,
    stopping_phase,
    watch_first,
)
from gatecheck.load._samples import sample_from
from gatecheck.load._transport import Outcome, Prepared, client_for, prepare, send

__all__ = ["BOOK", "STATE", "TRUTH", "ChatUser", "LlmUser", "RateChatUser", "RateUser",
           "StreamUser", "poll_truth"]

ERROR_BACKOFF_S = 0.05  # closed loop: pause after a transport error (no busy loop on refusal)


# -- users ----------------------------------------------------------------------------------

class LlmUser(User):
    """One conversation slot: one keep-alive connection, one request at a time."""

    abstract = True
    stream = True
    open_loop = False  # RateUser: sends on a schedule (read by the run's writer)
    wait_time = constant(0)

    def on_start(self) -> None:
        settings = settings_of(self.environment)
        try:
            auth = (Auth() if settings.auth == "none" else
                    Auth.from_env(settings.auth, settings.auth_env,  # type: ignore[arg-type]
                                  header=settings.auth_header or None))
        except ConfigError as exc:
            raise locust.exception.StopUser(str(exc)) from None
        if not self.host:
            raise locust.exception.StopUser("no host: pass --host http://gateway/v1")
        self.settings = settings
        self.node = node()
        if settings.surface == "embeddings":
            self.stream = False  # never streamed: every scenario sends plain requests (e2e)
        try:
            self.prepared: Prepared = prepare(
                base_url=self.host, surface=settings.surface, stream=self.stream,
                model=settings.model, prompt=settings.full_prompt,
                max_tokens=settings.max_tokens, auth=auth, nonces=bool(settings.mock_url),
                extra_headers=settings.header_values(os.environ),
            )
        except (ValueError, ConfigError) as exc:  # a stream user on embeddings, a header unset
            raise locust.exception.StopUser(str(exc)) from None
        self.marked = bool(settings.mock_url)
        self.http = client_for(self.host, connect_timeout=min(10.0, settings.timeout),
                               network_timeout=settings.timeout)
        self.label = f"{self.prepared.path} ({'stream' if self.stream else 'chat'})"

    def on_stop(self) -> None:
        cut = STATE.in_flight.pop(id(self), None)
        state = getattr(self.environment.runner, "state", None)
        if cut is not None and state in (locust.runners.STATE_CLEANUP,
                                         locust.runners.STATE_STOPPING,
                                         locust.runners.STATE_STOPPED):
            phase = stopping_phase(cut)  # the run's end stopped it mid-request
            STATE.cut[phase] = STATE.cut.get(phase, 0) + 1
        http = getattr(self, "http", None)
        if http is not None:
            http.close()

    @task
    def request(self) -> None:
        self.one()

    def one(self) -> None:
        """One request (subclasses change when it is sent, never how it is measured)."""
        self.exchange()
        if self.last_failed_early:  # no answer at all: no busy loop on a refusing port
            gevent.sleep(ERROR_BACKOFF_S)

    last_failed_early = False

    def exchange(self, intended_ns: int | None = None) -> None:
        """Send one request and record it; in flight meanwhile (for the stop's count)."""
        wall = time.time()
        STATE.requests += 1
        stamps = Stamps(send_ns=0)
        STATE.in_flight[id(self)] = stamps
        nonce = next_nonce() if self.marked else None
        outcome = send(self.http, self.prepared, total_timeout=self.settings.timeout,
                       intended_ns=intended_ns, nonce=nonce, stamps=stamps)
        del STATE.in_flight[id(self)]
        self.last_failed_early = not outcome.ok and outcome.status == 0
        self.record(outcome, wall, nonce)

    def record(self, outcome: Outcome, wall: float, nonce: str | None = None) -> None:
        """Append the exact sample, fire Locust's request event and log the LLM rows."""
        sample = sample_from(
            outcome.stamps, t=wall, kind="stream" if self.stream else "chat", ok=outcome.ok,
            status=outcome.status, error=outcome.error, in_tokens=outcome.in_tokens,
            node=self.node, nonce=nonce,
        )
        BOOK.add(sample)
        if not is_worker(self.environment):
            TRUTH.expect((sample,))
            if len(STATE.first) < EARLY_STOP_AFTER:
                watch_first(self.environment, [sample])
        elapsed = sample.ttfb if self.stream else sample.e2e
        self.environment.events.request.fire(
            request_type="POST", name=self.label,
            response_time=elapsed if elapsed is not None else (sample.e2e or 0.0),
            response_length=sample.out_tokens or 0, response=None, context={},
            exception=None if sample.ok else RuntimeError(sample.error), start_time=wall,
            url=self.prepared.path)
        if not sample.ok:
            return
        # Straight into their own rows, never through the request event: see the docstring.
        stats, tokens = self.environment.stats, sample.out_tokens or 0
        for name, value in (("ttft", sample.ttft), ("itl", sample.itl), ("e2e", sample.e2e),
                            ("ttft from intended", sample.ttft_i),
                            ("e2e from intended", sample.e2e_i), ("schedule lag", sample.lag)):
            if value is not None:
                stats.get(name, LLM).log(value, tokens)


class ChatUser(LlmUser):
    """Non-streamed chat requests: e2e per request, output tokens from the body's usage."""

    abstract = True
    stream = False


class StreamUser(LlmUser):
    """Streamed chat requests: ttfb, ttft, itl and e2e per request."""

    abstract = True
    stream = True


class RateUser(StreamUser):
    """Open loop: sends at the times a seeded schedule fixes, not when the last answer came.

    The users of a process share one ``Pacer``; they are the pool that carries arrivals
    (an in-flight cap), not the source of load. An arrival no user was free for is sent
    late (schedule lag, reported) or, with overload "drop", skipped and counted.
    """

    abstract = True
    open_loop = True

    def one(self) -> None:
        pacer = pacer_for(self.settings)
        arrival = pacer.claim(time.perf_counter_ns())
        for _ in range(1000):  # bounded: a sleep may wake early, never 1000 times
            wait = arrival.due_ns - time.perf_counter_ns()
            if wait <= 0:
                break
            gevent.sleep(wait / 1e9)
        self.exchange(intended_ns=arrival.due_ns)


class RateChatUser(RateUser):
    """Open loop with non-streamed requests."""

    abstract = True
    stream = False
