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

Locust's own response time stops at the headers for a stream, so every request also fires
``ttft``, ``itl`` and ``e2e`` as request events of type ``LLM`` (the web UI shows them) and
appends an exact ``Sample``. Samples travel to the master inside Locust's worker reports;
the master (or the single process) writes ``samples.jsonl`` and ``summary.json`` to
``--gatecheck-out`` when Locust quits.
"""

from __future__ import annotations

import locust  # first: gevent patches sockets before anything else is imported
from locust import User, constant, events, task

import os
import socket
import time
from pathlib import Path
from typing import Any

import gevent

from gatecheck import Auth, ConfigError, default_redactor
from gatecheck.load._health import HealthMonitor
from gatecheck.load._options import LoadSettings, add_locust_arguments
from gatecheck.load._pacer import Pacer
from gatecheck.load._samples import SampleBook, sample_from
from gatecheck.load._summary import summarize
from gatecheck.load._transport import Outcome, Prepared, client_for, prepare, send
from gatecheck.load._writer import write_run

__all__ = ["ChatUser", "LlmUser", "RateChatUser", "RateUser", "StreamUser"]

LLM = "LLM"  # request_type of the metric events
ERROR_BACKOFF_S = 0.05  # closed loop: pause after a transport error (no busy loop on refusal)
SCHEDULE_LEAD_S = 0.2  # open loop: the schedule starts this long after test_start

BOOK = SampleBook()  # this process's samples (the master's: everyone's)
MONITOR: HealthMonitor | None = None


class _RunState:
    """Per-process facts of the current test (reset at every test_start)."""

    started: float = 0.0  # epoch seconds
    requests: int = 0  # requests this process began sending (some may be cut by the stop)
    pacer: Pacer | None = None
    schedule: tuple[int, int, float] | None = None  # (index, processes, start epoch)


STATE = _RunState()


def node() -> str:
    """host:pid of this load process (not cached: --processes forks after the import)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def settings_of(environment: Any) -> LoadSettings:
    options = getattr(environment, "parsed_options", None)
    return LoadSettings() if options is None else LoadSettings.from_options(options)


def _is_worker(environment: Any) -> bool:
    return isinstance(environment.runner, locust.runners.WorkerRunner)


def _is_master(environment: Any) -> bool:
    return isinstance(environment.runner, locust.runners.MasterRunner)


# -- Locust event hooks ---------------------------------------------------------------------

def _add_arguments(parser: Any) -> None:
    add_locust_arguments(parser.add_argument)


def _on_init(environment: Any, **_: Any) -> None:
    # Locust starts its -t timer with gevent.spawn_later right after this event; gevent's
    # loop clock is only refreshed when the loop runs, and it has not run during Locust's
    # imports: on a busy machine it is seconds stale and the timer fires at once.
    gevent.get_hub().loop.update_now()
    if _is_master(environment):
        environment.events.worker_report.add_listener(_on_worker_report)
        environment.events.test_stopping.add_listener(_flush_workers)
        environment.runner.register_message("gatecheck_final", _on_final)
    if _is_worker(environment):
        environment.events.report_to_master.add_listener(_on_report_to_master)
        environment.runner.register_message("gatecheck_schedule", _on_schedule)
        environment.runner.register_message("gatecheck_flush", _on_flush)
    web_ui = getattr(environment, "web_ui", None)
    if web_ui is not None:
        web_ui.app.add_url_rule("/gatecheck/summary", "gatecheck_summary",
                                lambda: _live_summary(environment))


def _live_summary(environment: Any) -> Any:
    """The web UI's /gatecheck/summary: exact figures of the samples so far (JSON)."""
    from flask import jsonify

    run = {"scenario": "live", "host": environment.host, "samples_so_far": len(BOOK.samples)}
    summary = summarize(BOOK.samples, run=run, health=BOOK.health)
    return jsonify(default_redactor().obj(summary))


def _on_test_start(environment: Any, **_: Any) -> None:
    global MONITOR
    gevent.get_hub().loop.update_now()  # see _on_init
    BOOK.clear()
    STATE.started = time.time()
    STATE.requests = 0
    STATE.pacer = None
    if _is_master(environment):
        # One schedule for every worker: each takes arrivals i with i % n == its index.
        runner = environment.runner
        ids = [c.id for c in runner.clients.all]
        start = time.time() + SCHEDULE_LEAD_S
        for index, client_id in enumerate(ids):
            runner.send_message("gatecheck_schedule", [index, len(ids), start], client_id)
        return
    if not _is_worker(environment):
        STATE.schedule = (0, 1, STATE.started + SCHEDULE_LEAD_S)
    if MONITOR is None:
        MONITOR = HealthMonitor()
    MONITOR.start()


def _on_schedule(environment: Any, msg: Any, **_: Any) -> None:
    index, processes, start = msg.data
    STATE.schedule = (int(index), int(processes), float(start))
    STATE.pacer = None


def _on_test_stop(environment: Any, **_: Any) -> None:
    if MONITOR is None:
        return
    MONITOR.stop()
    if not _is_worker(environment):  # a worker ships its readings with its next report
        cpu, lag = MONITOR.drain()
        BOOK.add_health(node(), cpu, lag)


# The end of a distributed run. Locust's master gives workers 0.5 s for their last report
# before it stops listening, which a loaded machine misses; so when the master starts
# stopping, it asks every worker to stop its users and report now, and waits (bounded) for
# each one's "final" marker, which arrives after that worker's last samples.
FLUSH_TIMEOUT_S = 15.0
_FINAL: set[str] = set()


def _flush_workers(environment: Any, **_: Any) -> None:
    runner = environment.runner
    waiting = {c.id for c in runner.clients.all if c.state != locust.runners.STATE_MISSING}
    _FINAL.clear()
    for client_id in waiting:
        runner.send_message("gatecheck_flush", None, client_id)
    deadline = time.monotonic() + FLUSH_TIMEOUT_S
    while not waiting <= _FINAL and time.monotonic() < deadline:
        gevent.sleep(0.05)


def _on_flush(environment: Any, msg: Any, **_: Any) -> None:
    runner = environment.runner
    runner.stop()  # no sample after this point; fires test_stop (the monitor stops)
    # Locust's own report (statistics, and our rows via report_to_master), then the marker:
    # one connection, so the master handles them in this order.
    runner._send_stats()
    runner.send_message("gatecheck_final", runner.client_id)


def _on_final(environment: Any, msg: Any, **_: Any) -> None:
    _FINAL.add(str(msg.data))


def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    cpu, lag = MONITOR.drain() if MONITOR is not None else ([], [])
    data["gatecheck"] = {"rows": BOOK.drain(), "node": node(), "cpu": cpu, "lag": lag,
                         "dropped": dropped(), "started": STATE.requests}


def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    payload = data.get("gatecheck")
    if payload:
        BOOK.receive(payload["rows"])
        BOOK.add_health(payload["node"], payload["cpu"], payload["lag"])
        BOOK.dropped[payload["node"]] = int(payload.get("dropped", 0))
        BOOK.started[payload["node"]] = int(payload.get("started", 0))


def _on_quitting(environment: Any, **_: Any) -> None:
    if _is_worker(environment):
        return
    if MONITOR is not None:
        cpu, lag = MONITOR.drain()
        BOOK.add_health(node(), cpu, lag)
    if not _is_master(environment):
        BOOK.dropped[node()] = dropped()
        BOOK.started[node()] = STATE.requests
    settings = settings_of(environment)
    if settings.out:
        write_run(Path(settings.out), BOOK, environment, settings, started=STATE.started)


def _on_reset_stats(**_: Any) -> None:
    # The web UI's "reset stats": the exact samples restart with Locust's own statistics.
    BOOK.samples.clear()


for _hook, _listener in (
    (events.init_command_line_parser, _add_arguments),
    (events.init, _on_init),
    (events.test_start, _on_test_start),
    (events.test_stop, _on_test_stop),
    (events.quitting, _on_quitting),
    (events.reset_stats, _on_reset_stats),
):
    _hook.add_listener(_listener)  # type: ignore[no-untyped-call]


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
                max_tokens=settings.max_tokens, auth=auth,
            )
        except ValueError as exc:  # e.g. a stream user on the embeddings surface
            raise locust.exception.StopUser(str(exc)) from None
        self.http = client_for(self.host, connect_timeout=min(10.0, settings.timeout),
                               network_timeout=settings.timeout)
        self.label = f"{self.prepared.path} ({'stream' if self.stream else 'chat'})"

    def on_stop(self) -> None:
        http = getattr(self, "http", None)
        if http is not None:
            http.close()

    @task
    def request(self) -> None:
        self.one()

    def one(self) -> None:
        """One request (subclasses change when it is sent, never how it is measured)."""
        wall = time.time()
        STATE.requests += 1
        outcome = send(self.http, self.prepared, total_timeout=self.settings.timeout)
        self.record(outcome, wall)
        if not outcome.ok and outcome.status == 0:
            gevent.sleep(ERROR_BACKOFF_S)

    def record(self, outcome: Outcome, wall: float) -> None:
        """Append the exact sample and fire Locust's events for it."""
        sample = sample_from(
            outcome.stamps, t=wall, kind="stream" if self.stream else "chat", ok=outcome.ok,
            status=outcome.status, error=outcome.error, in_tokens=outcome.in_tokens, node=self.node,
        )
        BOOK.add(sample)
        fire = self.environment.events.request.fire
        elapsed = sample.ttfb if self.stream else sample.e2e
        fire(request_type="POST", name=self.label,
             response_time=elapsed if elapsed is not None else (sample.e2e or 0.0),
             response_length=sample.out_tokens or 0, response=None, context={},
             exception=None if sample.ok else RuntimeError(sample.error), start_time=wall,
             url=self.prepared.path)
        if not sample.ok:
            return
        tokens = sample.out_tokens or 0
        for name, value in (("ttft", sample.ttft), ("itl", sample.itl), ("e2e", sample.e2e),
                            ("ttft from intended", sample.ttft_i),
                            ("e2e from intended", sample.e2e_i), ("schedule lag", sample.lag)):
            if value is not None:
                fire(request_type=LLM, name=name, response_time=value, response_length=tokens,
                     response=None, context={}, exception=None, start_time=wall)


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
        pacer = _pacer(self.settings)
        arrival = pacer.claim(time.perf_counter_ns())
        for _ in range(1000):  # bounded: a sleep may wake early, never 1000 times
            wait = arrival.due_ns - time.perf_counter_ns()
            if wait <= 0:
                break
            gevent.sleep(wait / 1e9)
        wall = time.time()
        STATE.requests += 1
        outcome = send(self.http, self.prepared, total_timeout=self.settings.timeout,
                       intended_ns=arrival.due_ns)
        self.record(outcome, wall)


class RateChatUser(RateUser):
    """Open loop with non-streamed requests."""

    abstract = True
    stream = False


def _pacer(settings: LoadSettings) -> Pacer:
    if STATE.pacer is None:
        index, processes, start = STATE.schedule or (0, 1, time.time())
        start_ns = time.perf_counter_ns() + int((start - time.time()) * 1e9)
        STATE.pacer = Pacer(
            settings.rate, settings.arrival, start_ns=start_ns, seed=settings.seed,
            process_index=index, processes=processes,
            max_lag_ns=int(settings.max_lag_ms * 1e6) if settings.overload == "drop" else None,
        )
    return STATE.pacer


def dropped() -> int:
    """Arrivals this process skipped (overload "drop")."""
    return STATE.pacer.dropped if STATE.pacer is not None else 0
