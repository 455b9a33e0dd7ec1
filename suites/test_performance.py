"""Performance: a handful of timed requests per surface, for the report (PERF-1).

Not a load test (``gatecheck load`` is one): a few sequential requests, non-streamed, then
streamed when the target claims streaming, each read to its end and timed with gatecheck's
one timing model (e2e from send to the body's or stream's end, ttft from send to the first
event carrying generated text). The check judges that every one of them succeeded; the
report shows their latency and time to first token (p50 / p90 / max) the way hand-written
gateway reports do, but measured.
"""

from __future__ import annotations

from gatecheck import e2e, ttfb, ttft
from gatecheck.checks import cases, check, expect, observe
from gatecheck.checks.support import PATHS, body_for, capture_stream, headers_for

REQUESTS = 5  # of each kind: enough for a p50 / p90 / max, too few to load anyone's gateway
MAX_TOKENS = 16


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _timed(client, target, surface, chat_model, record_exchange) -> None:
    rows: list[dict] = []
    streams = REQUESTS if target.claims("streaming") else 0
    body = body_for(surface, chat_model, max_tokens=MAX_TOKENS)
    with cases() as case:
        for index in range(1, REQUESTS + 1):
            response = client.request("POST", PATHS[surface], json=body,
                                      headers=headers_for(surface))
            record_exchange(response.exchange)
            rows.append({"stream": False, "status": response.status,
                         "ttfb_ms": _ms(ttfb(response.stamps)),
                         "e2e_ms": _ms(e2e(response.stamps))})
            observe("timings", {"surface": surface, "requests": rows})
            with case(f"request {index}"):
                expect(response.status == 200, "a plain chat request failed", expected="200",
                       observed=f"{response.status} {response.text[:160]}",
                       exchange=response.exchange)
        for index in range(1, streams + 1):
            captured = capture_stream(client, surface, {**body, "stream": True})
            record_exchange(captured.exchange)
            first = ttft(captured.stamps) if captured.stamps is not None else None
            rows.append({"stream": True, "status": captured.status, "ttft_ms": _ms(first),
                         "e2e_ms": _ms(e2e(captured.stamps)) if captured.stamps else None})
            observe("timings", {"surface": surface, "requests": rows})
            with case(f"stream {index}"):
                expect(captured.status == 200 and first is not None,
                       "a streamed chat request carried no generated text",
                       expected="200 and a content event",
                       observed=f"{captured.status}, {len(captured.events)} events"
                                + (f", {captured.error}" if captured.error else ""),
                       exchange=captured.exchange)


@check("PERF-1", level="SHOULD", category="Performance", surface="openai",
       title="A handful of sequential chat requests all succeed (timed for the report)")
def test_perf1_timed_openai(client, target, chat_model, record_exchange):
    _timed(client, target, "openai", chat_model, record_exchange)


@check("PERF-1", level="SHOULD", category="Performance", surface="anthropic",
       title="A handful of sequential chat requests all succeed (timed for the report)")
def test_perf1_timed_anthropic(client, target, chat_model, record_exchange):
    _timed(client, target, "anthropic", chat_model, record_exchange)
