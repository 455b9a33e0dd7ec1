"""One load process's run: its state, Locust's event hooks, worker reports, the mock's timings.

Imported by ``gatecheck.load.users`` (which the locustfiles import): registering the hooks
is a side effect of the import, as Locust's own plugins do. Every process that runs users
keeps its samples in ``BOOK``; workers ship them to the master inside Locust's worker
reports, and the process that holds them all (the master, or the only process) joins them
to the mock's timings (``TRUTH``), watches the first requests for a run that cannot measure
anything, and writes samples.jsonl and summary.json when Locust quits.
"""

from __future__ import annotations

import locust  # first: gevent patches sockets before anything else is imported
from locust import events

import functools
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent

from gatecheck import Stamps
from gatecheck.load import _webui
from gatecheck.load._health import HealthMonitor
from gatecheck.load._options import LoadSettings, add_locust_arguments
from gatecheck.load._pacer import Pacer
from gatecheck.load._samples import Sample, SampleBook
from gatecheck.load._transport import client_for, route
from gatecheck.load._truth import GroundTruth
from gatecheck.load._writer import write_run

__all__ = ["BOOK", "EARLY_STOP_AFTER", "LLM", "STATE", "TRUTH", "dropped", "is_worker",
           "next_nonce", "node", "pacer_for", "poll_truth", "settings_of", "stopping_phase",
           "watch_first"]

LLM = "LLM"  # request_type of the metric rows
SCHEDULE_LEAD_S = 0.2  # open loop: the schedule starts this long after test_start
TRUTH_POLL_S = 1.0  # how often the mock's timings are read
FINAL_ROWS_S = 2.0  # at the end, how long samples without their row wait for it
# A run stops itself when its first EARLY_STOP_AFTER finished requests all got the same one
# of these: nothing it could measure, and a wrong base URL would otherwise send thousands.
EARLY_STOP_AFTER = 20
EARLY_STOP_STATUSES = {401: "the target refused the credentials: check the key and its env var",
                       403: "the target refused the credentials: check the key and its env var",
                       404: "the route does not exist there: is the base URL missing /v1?",
                       405: "the route does not take POST there: is the base URL right?"}

BOOK = SampleBook()  # this process's samples (the master's: everyone's)
TRUTH = GroundTruth()  # the mock's timings, joined to BOOK's samples (book-owning process)
MONITOR: HealthMonitor | None = None
_TRUTH_CLIENT: Any = None  # the connection GET /_mock/timings is read over (one per process)


class _RunState:
    """Per-process facts of the current test (reset at every test_start)."""

    started: float = 0.0  # epoch seconds
    requests: int = 0  # requests this process began sending (some may be cut by the stop)
    pacer: Pacer | None = None
    schedule: tuple[int, int, float] | None = None  # (index, processes, start epoch)
    in_flight: dict[int, Stamps] = {}  # user id -> the stamps of its request in flight
    cut: dict[str, int] = {}  # requests the run's stop cut, by how far they had got
    first: list[Sample] = []  # the first finished requests (for the early stop)
    stopped: str | None = None  # why the run stopped itself, if it did
    nonce_prefix: str = ""
    nonces: int = 0


STATE = _RunState()


def node() -> str:
    """host:pid of this load process (not cached: --processes forks after the import)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def settings_of(environment: Any) -> LoadSettings:
    options = getattr(environment, "parsed_options", None)
    return LoadSettings() if options is None else LoadSettings.from_options(options)


def next_nonce() -> str:
    """A nonce unique in the run: this process's random prefix and a counter."""
    STATE.nonces += 1
    return f"{STATE.nonce_prefix}{STATE.nonces:010x}"


def is_worker(environment: Any) -> bool:
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
        environment.events.worker_report.add_listener(
            functools.partial(_on_worker_report, environment=environment))
        environment.events.test_stopping.add_listener(_flush_workers)
        environment.runner.register_message("gatecheck_final", _on_final)
    if is_worker(environment):
        environment.events.report_to_master.add_listener(_on_report_to_master)
        environment.runner.register_message("gatecheck_schedule", _on_schedule)
        environment.runner.register_message("gatecheck_flush", _on_flush)
    if getattr(environment, "web_ui", None) is not None:
        _webui.extend(environment, BOOK)
    if not is_worker(environment):
        gevent.spawn(_truth_loop, environment)


def _truth_loop(environment: Any) -> None:
    """Read the mock's new timings about once a second (bounded by the process's life)."""
    while True:
        gevent.sleep(TRUTH_POLL_S)
        if getattr(environment.runner, "state", None) in (locust.runners.STATE_RUNNING,
                                                          locust.runners.STATE_SPAWNING):
            poll_truth(environment)


def poll_truth(environment: Any) -> int:
    """One read of the mock's timings into the book's samples (0 without a mock URL)."""
    global _TRUTH_CLIENT
    url = settings_of(environment).mock_url
    if not url:
        return 0
    if _TRUTH_CLIENT is None:
        _TRUTH_CLIENT = client_for(url, connect_timeout=5.0, network_timeout=10.0)
    client = _TRUTH_CLIENT
    prefix = urlsplit(url).path.rstrip("/")

    def fetch(path: str) -> bytes:
        response = client.get(prefix + path)
        try:
            body: bytes = response.read()
            if response.status_code != 200:
                raise ConnectionError(f"GET {path.split('?')[0]}: status {response.status_code}")
            return body
        finally:
            response.release()

    return TRUTH.poll(fetch)


def _on_test_start(environment: Any, **_: Any) -> None:
    global MONITOR
    gevent.get_hub().loop.update_now()  # see _on_init
    BOOK.clear()
    TRUTH.clear()
    STATE.started = time.time()
    STATE.requests = 0
    STATE.pacer = None
    STATE.in_flight, STATE.cut, STATE.first, STATE.stopped = {}, {}, [], None
    STATE.nonce_prefix = os.urandom(3).hex()
    if _is_master(environment):
        # One schedule for every worker: each takes arrivals i with i % n == its index.
        runner = environment.runner
        ids = [c.id for c in runner.clients.all]
        start = time.time() + SCHEDULE_LEAD_S
        for index, client_id in enumerate(ids):
            runner.send_message("gatecheck_schedule", [index, len(ids), start], client_id)
        return
    if not is_worker(environment):
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
    if not is_worker(environment):  # a worker ships its readings with its next report
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
                         "dropped": dropped(), "started": STATE.requests, "cut": STATE.cut}


def _on_worker_report(client_id: str, data: dict[str, Any], environment: Any = None) -> None:
    payload = data.get("gatecheck")
    if payload:
        arrived = BOOK.receive(payload["rows"])
        TRUTH.expect(arrived)
        BOOK.add_health(payload["node"], payload["cpu"], payload["lag"])
        BOOK.dropped[payload["node"]] = int(payload.get("dropped", 0))
        BOOK.started[payload["node"]] = int(payload.get("started", 0))
        BOOK.cut[payload["node"]] = dict(payload.get("cut") or {})
        if environment is not None:
            watch_first(environment, arrived)


def watch_first(environment: Any, arrived: list[Sample]) -> None:
    """Stop the run when its first finished requests all got one status that ends it."""
    if STATE.stopped is not None or len(STATE.first) >= EARLY_STOP_AFTER:
        return
    STATE.first.extend(arrived[: EARLY_STOP_AFTER - len(STATE.first)])
    if len(STATE.first) < EARLY_STOP_AFTER:
        return
    statuses = {s.status for s in STATE.first}
    status = statuses.pop() if len(statuses) == 1 else None
    if status not in EARLY_STOP_STATUSES or any(s.ok for s in STATE.first):
        return
    url = (environment.host or "").rstrip("/") + route(settings_of(environment).surface)
    STATE.stopped = (f"stopped after the first {EARLY_STOP_AFTER} requests: every one "
                     f"answered {status} to POST {url}; {EARLY_STOP_STATUSES[status]}")
    gevent.spawn(environment.runner.quit)


def _on_quitting(environment: Any, **_: Any) -> None:
    if is_worker(environment):
        return
    if MONITOR is not None:
        cpu, lag = MONITOR.drain()
        BOOK.add_health(node(), cpu, lag)
    if not _is_master(environment):
        BOOK.dropped[node()] = dropped()
        BOOK.started[node()] = STATE.requests
        BOOK.cut[node()] = dict(STATE.cut)
    _last_rows(environment)
    settings = settings_of(environment)
    if settings.out:
        write_run(Path(settings.out), BOOK, environment, settings, started=STATE.started,
                  truth=TRUTH, stopped=STATE.stopped)


def _last_rows(environment: Any) -> None:
    """Read the mock's last rows. A request's row is logged as its last byte leaves the
    mock, which a loaded machine can run a moment after the client read that byte: samples
    still without a row get a few more reads (bounded: FINAL_ROWS_S)."""
    poll_truth(environment)
    deadline = time.monotonic() + FINAL_ROWS_S
    while TRUTH.waiting and time.monotonic() < deadline and settings_of(environment).mock_url:
        gevent.sleep(0.1)
        poll_truth(environment)


def _on_reset_stats(**_: Any) -> None:
    # The web UI's "reset stats": the exact samples restart with Locust's own statistics.
    BOOK.samples.clear()
    TRUTH.clear()


def stopping_phase(stamps: Stamps) -> str:
    if stamps.headers_ns is None:
        return "waiting_for_headers"
    return "waiting_for_content" if not stamps.content_ns else "mid_stream"


for _hook, _listener in (
    (events.init_command_line_parser, _add_arguments),
    (events.init, _on_init),
    (events.test_start, _on_test_start),
    (events.test_stop, _on_test_stop),
    (events.quitting, _on_quitting),
    (events.reset_stats, _on_reset_stats),
):
    _hook.add_listener(_listener)  # type: ignore[no-untyped-call]


def pacer_for(settings: LoadSettings) -> Pacer:
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
