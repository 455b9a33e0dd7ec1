"""Schema-driven generation: valid requests must succeed and validate; invalid ones must get a
4xx in the surface's envelope, never a 5xx or a hang (Hypothesis, bounded and derandomized).

Every failure is shrunk by Hypothesis to a minimal request; the failing exchange (and its
curl) is attached to the result and printed as a Hypothesis note. A check reports the
failing examples' own messages: when Hypothesis finds several distinct failures (an
ExceptionGroup) each is a case of the check, and a failure that did not come back when
Hypothesis replayed it (FlakyFailure: the gateway answered differently the second time, e.g.
out of a cool-down) is reported as what was seen, saying so, never as Hypothesis's wrapper.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis.errors import FlakyFailure

from gatecheck import HarnessError, TargetUnreachableError
from gatecheck.checks import ConformanceFailure, cases, check, errors, expect, warn
from gatecheck.checks import anthropic as ac
from gatecheck.checks import openai as oc
from gatecheck.checks.support import PATHS, capture_stream, conforms, headers_for, response_json
from gatecheck.schemas.strategies import invalid_requests, valid_requests

# Bounded, reproducible, no example database: the same 25 requests on every run. No explain
# phase: after a failure it replays the shrunk example again and again under a line tracer to
# say which parts of it mattered, which against a gateway answering with 8 MiB bodies took this
# module from 5 s to 2 minutes and the process from 150 MB to 680 MB (benchmarks/README.md).
GENERATED = settings(max_examples=25, derandomize=True, database=None, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow],
                     phases=[p for p in Phase if p is not Phase.explain])
# The strategies draw for this model name; each check swaps in the target's usable model.
MODEL = "gatecheck-generated"


def _post(client, surface, content):
    return client.request("POST", PATHS[surface], content=content,
                          headers=headers_for(surface, {"content-type": "application/json"}))


def _send(client, surface, content, record_exchange):
    try:
        try:
            response = _post(client, surface, content)
        except TargetUnreachableError as exc:
            lost = getattr(exc, "exchange", None)
            if lost is None or lost.response_bytes or lost.status is not None:
                raise
            # Closed before a byte of the answer: a server may close a kept-alive connection
            # at any time (RFC 9112 9.6), and a request that meets the close is lost, which
            # says nothing of how it would have been answered. Sent once more on a new one.
            with client.fresh() as again:
                response = _post(again, surface, content)
            warn("the gateway closed a kept-alive connection without `Connection: close` "
                 "(a request sent on it got no answer; sent again on a new connection)",
                 exchange=lost)
    except HarnessError as exc:  # a timeout or a dropped connection: a hang or a crash
        exchange = getattr(exc, "exchange", None)
        if exchange is not None:
            note(f"reproduce with: {exchange.curl()}")
        expect(False, "request got no answer (hang or dropped connection)",
               expected="an HTTP answer", observed=f"{type(exc).__name__}: {exc}",
               exchange=exchange)
        raise  # unreachable: expect(False) raised
    record_exchange(response.exchange)
    note(f"reproduce with: {response.exchange.curl()}")
    return response


def _valid(client, surface, model, body, profile, record_exchange):
    import orjson

    body = {**body, "model": model}
    if body.get("stream"):
        captured = capture_stream(client, surface, body)
        record_exchange(captured.exchange)
        note(f"reproduce with: {captured.exchange.curl()}")
        expect(captured.status == 200 and bool(captured.events), "valid stream request failed",
               expected="200 text/event-stream",
               observed=f"{captured.status} {captured.body[:200]!r}", exchange=captured.exchange)
        if surface == "openai":
            stream = oc.read_openai_stream(captured.events)
            oc.chunks_are_well_formed(stream, strict=profile == "strict",
                                      exchange=captured.exchange)
            oc.stream_ends_with_done(stream, exchange=captured.exchange)
        else:
            ac.event_order_is_valid(ac.read_anthropic_stream(captured.events),
                                    exchange=captured.exchange)
        return
    response = _send(client, surface, orjson.dumps(body), record_exchange)
    expect(response.status == 200, "valid request refused", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    name = "openai/chat-completion" if surface == "openai" else "anthropic/message"
    conforms(name, response_json(response, "response"), profile=profile, what="response",
             exchange=response.exchange)


def _invalid(client, surface, model, case, record_exchange):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        body = {**body, "model": model}
    import orjson

    content = case.raw if case.raw is not None else orjson.dumps(body)
    note(f"flaw: {case.label}")
    response = _send(client, surface, content, record_exchange)
    expect(400 <= response.status < 500, f"invalid request ({case.label}) not a 4xx",
           expected="400 (422 tolerated)", observed=f"{response.status} {response.text[:200]}",
           exchange=response.exchange,
           cause="bad-request-5xx" if response.status >= 500 else
           "bad-request-accepted" if response.status < 300 else None)
    errors.error_envelope(surface, response)


def _failures_in(error: BaseException) -> list[ConformanceFailure]:
    """The conformance failures inside what Hypothesis raised, one per distinct message."""
    if isinstance(error, ConformanceFailure):
        return [error]
    found: dict[str, ConformanceFailure] = {}
    for sub in getattr(error, "exceptions", ()):
        for failure in _failures_in(sub):
            found.setdefault(failure.message, failure)
    return list(found.values())


def _run(generated):
    """Run a @given test; report the failing examples themselves, never Hypothesis's wrappers."""
    try:
        generated()
        return
    except (FlakyFailure, BaseExceptionGroup) as group:
        failures = _failures_in(group)
        if not failures:
            raise
        once = " (seen once: it did not fail again when replayed)" \
            if isinstance(group, FlakyFailure) else ""
    with cases() as case:
        for n, failure in enumerate(failures, 1):
            with case(f"example {n}"):
                raise ConformanceFailure(failure.message + once, expected=failure.expected,
                                         observed=failure.observed, exchange=failure.exchange,
                                         cause=failure.cause)


@check("W-1", level="MUST", category="Completions", surface="openai",
       title="Generated valid chat requests succeed and validate")
def test_generated_valid_openai(client, chat_model, profile, record_exchange):
    @GENERATED
    @given(body=valid_requests("openai", model=MODEL))
    def generated(body):
        _valid(client, "openai", chat_model, body, profile, record_exchange)

    _run(generated)


@check("W-5", level="MUST", category="Completions", surface="anthropic",
       title="Generated valid messages requests succeed and validate")
def test_generated_valid_anthropic(client, chat_model, profile, record_exchange):
    @GENERATED
    @given(body=valid_requests("anthropic", model=MODEL))
    def generated(body):
        _valid(client, "anthropic", chat_model, body, profile, record_exchange)

    _run(generated)


@check("ERR-6", level="MUST", category="Errors", surface="openai",
       title="Generated invalid chat requests get a 4xx OpenAI envelope, never 5xx")
def test_generated_invalid_openai(client, chat_model, record_exchange):
    @GENERATED
    @given(case=invalid_requests("openai", model=MODEL))
    def generated(case):
        _invalid(client, "openai", chat_model, case, record_exchange)

    _run(generated)


@check("ERR-6", level="MUST", category="Errors", surface="anthropic",
       title="Generated invalid messages requests get a 4xx Anthropic envelope, never 5xx")
def test_generated_invalid_anthropic(client, chat_model, record_exchange):
    @GENERATED
    @given(case=invalid_requests("anthropic", model=MODEL))
    def generated(case):
        _invalid(client, "anthropic", chat_model, case, record_exchange)

    _run(generated)


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
