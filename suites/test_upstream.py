"""The upstream leg: the credential a gateway sends the provider, what a client gets when the
provider fails or cannot be reached, and how long it waits behind an upstream 429
(AUTH-11, AUTH-12, ERR-11, ERR-12, LIM-7).

Every check here reads gatecheck's mock as ground truth (feature ``mock-upstream``): the
mock logs, per request, a fingerprint of the credential it received (never the value) and
every attempt a gateway made. A request the mock never saw cannot show what the gateway
does upstream: that case is inconclusive, not failed.
"""

from __future__ import annotations

import time

import orjson
import pytest

from gatecheck import CREDENTIAL_PLACEHOLDERS, HarnessError, credential_fingerprint
from gatecheck.checks import cases, check, errors, expect, inconclusive, warn
from gatecheck.checks import streaming as st
from gatecheck.checks.support import (
    PATHS,
    auth_for,
    body_for,
    capture_stream,
    directive,
    headers_for,
    nonce,
    takes_credentials,
    upstream_addresses,
)

# ERR-12: how long a client may wait for the answer about a dead upstream. Generous on
# purpose: retrying a refused connection a few times is fine, hanging is not.
UNREACHABLE_BOUND_S = 10.0
# LIM-7: the upstream's Retry-After, small to keep the run short. A gateway that passes the
# 429 on answers at once; one that waits it out and retries once answers after ~N s; the
# check fails past N + LIM7_SLACK_S (LiteLLM's two retries with backoff: ~4.6 s for N = 1).
LIM7_RETRY_AFTER = 1
LIM7_SLACK_S = 1.5


def _attempts(mock_log, marker):
    """The mock's log entries of the requests that carried `marker` (one per attempt)."""
    if mock_log is None:
        inconclusive("the target fronts no mock whose log could show what reached it")
    return [e for e in mock_log.entries() if marker in str(e.get("prompt") or "")]


def _model(target, surface):
    return target.models.for_surface(surface) or "gatecheck-model"


def _json(content):
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


@check("AUTH-11", level="MUST", category="Authentication", feature="mock-upstream",
       title="The client's own key for the gateway never reaches the upstream")
def test_auth11_client_key_not_forwarded(client, target, mock_log, record_exchange):
    # A gateway key sent on to a provider is a credential handed to a third party (RFC 6750
    # 5.2: tokens must not be disclosed to anyone but the resource server they are for).
    if not takes_credentials(target):  # not applicable: nothing left unjudged
        pytest.skip(f"target {target.name!r} takes no credentials of its own: there is no "
                    "gateway key to leak (AUTH-12 judges what it sends upstream instead)")
    secret = target.secret()
    expect(bool(secret), "no client secret to test with", expected="the target's key",
           observed="none")
    mine = credential_fingerprint(secret)
    seen = 0
    with cases() as case:
        for surface in target.surfaces:
            marker = nonce()
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      auth=auth_for(target, surface, secret),
                                      json=body_for(surface, _model(target, surface),
                                                    text=f"Say hi. {marker}", max_tokens=1))
            record_exchange(response.exchange)
            for entry in _attempts(mock_log, marker):
                seen += 1
                forwarded = [c["header"] for c in entry.get("credentials") or ()
                             if c.get("fingerprint") == mine]
                with case(f"{surface} attempt {entry.get('seq')}"):
                    expect(not forwarded, f"the client's gateway key reached the upstream "
                           f"({', '.join(forwarded)})", expected="the gateway's own provider "
                           "credential, or none", observed=f"{mine} (the client's key) in "
                           f"{', '.join(forwarded)}", exchange=response.exchange,
                           cause="forwards-client-key")
        if not seen:
            inconclusive("no request reached the mock, so nothing shows what was forwarded")


@check("AUTH-12", level="SHOULD", category="Authentication", feature="mock-upstream",
       title="No placeholder credential (Bearer undefined, null, an empty key) goes upstream")
def test_auth12_no_placeholder_credential(client, target, mock_log, record_exchange):
    # What a gateway sends when it has no key for the provider: nothing, or a real key.
    # "Bearer undefined" (JavaScript's String(undefined)) or an empty x-api-key only earn an
    # upstream 401, which the client then reads as its own fault.
    seen = 0
    with cases() as case:
        for surface in target.surfaces:
            marker = nonce()
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      json=body_for(surface, _model(target, surface),
                                                    text=f"Say hi. {marker}", max_tokens=1))
            record_exchange(response.exchange)
            for entry in _attempts(mock_log, marker):
                seen += 1
                junk = [f"{c['header']}: {(c.get('scheme') or '') + ' '}"
                        f"{c.get('placeholder') or '(empty)'}".replace("  ", " ")
                        for c in entry.get("credentials") or ()
                        if c.get("empty") or c.get("placeholder")]
                with case(f"{surface} attempt {entry.get('seq')}"):
                    expect(not junk, "a placeholder credential reached the upstream",
                           expected="a real credential or none (placeholders: "
                           f"{', '.join(sorted(CREDENTIAL_PLACEHOLDERS))}, empty)",
                           observed="; ".join(junk), exchange=response.exchange,
                           cause="forwards-client-key")
        if not seen:
            inconclusive("no request reached the mock, so nothing shows what was sent")


# Upstream failures whose answers carry an error object: a 500, a body cut mid-way, a
# connection closed before any byte (non-stream), and streams reset or ended by an error.
_FAILURES = (("upstream 500", False, {"fault": 500}),
             ("upstream reset", False, {"fault": "reset"}),
             ("upstream unreachable", False, {"fault": "drop"}),
             ("stream reset", True, {"fault": "reset", "after": 3, "ttft": 30, "itl": 30}),
             ("stream error event", True, {"fault": "error-event", "after": 3}))


def _error_values(client, surface, model, stream, faults, record_exchange):
    """The error bodies / events a client got for one upstream failure."""
    body = body_for(surface, model, stream=stream, mock=directive(**faults))
    if stream:
        captured = capture_stream(client, surface, body)
        record_exchange(captured.exchange)
        if not st.opened_as_stream(captured.status, captured.headers):
            return [_json(captured.body)], captured.exchange
        return [_json(e.data) for e in captured.events if '"error"' in e.data], captured.exchange
    response = client.request("POST", PATHS[surface], headers=headers_for(surface), json=body)
    record_exchange(response.exchange)
    return ([_json(response.content)] if response.status >= 400 else []), response.exchange


@check("ERR-11", level="MUST", category="Errors", feature="mock-upstream",
       title="Error bodies and error events carry a string type (never null)")
def test_err11_error_type_is_a_string(client, target, record_exchange):
    # OpenAI's Error object requires `type: string` and Anthropic's error types are an enum;
    # a null type is what a re-wrapped upstream failure often gets (LiteLLM, Portkey).
    with cases() as case:
        for surface in target.surfaces:
            for what, stream, faults in _FAILURES:
                if stream and not target.claims("streaming"):
                    continue
                values, exchange = _error_values(client, surface, _model(target, surface),
                                                 stream, faults, record_exchange)
                for n, value in enumerate(values):
                    with case(f"{surface} {what} #{n + 1}"):
                        errors.error_type_is_a_string(value, what=f"{surface} {what}",
                                                      exchange=exchange)


def _timed(client, surface, body):
    started = time.perf_counter()
    try:
        if body.get("stream"):
            answer = capture_stream(client, surface, body)
        else:
            answer = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                    json=body)
    except HarnessError as exc:
        return None, time.perf_counter() - started, exc
    return answer, time.perf_counter() - started, None


@check("ERR-12", level="MUST", category="Errors", feature="mock-upstream",
       title="An unreachable upstream is a prompt 502/503/504 in the envelope, no internals")
def test_err12_unreachable_upstream(client, target, mock_log, record_exchange):
    # ERR-5 (checklist: upstream failures are not collapsed to 500) and RFC 9110 15.6.3 /
    # 15.6.5: a gateway that got no answer says 502 (503/504 for overload or a timeout).
    # fault=drop closes the connection before any byte, which gateways handle like a
    # refused connection (a connection error before the response).
    internals = upstream_addresses(mock_log)
    unjudged: list[str] = []
    with cases() as case:
        for surface in target.surfaces:
            for stream in (False, True) if target.claims("streaming") else (False,):
                marker = nonce()
                body = body_for(surface, _model(target, surface), stream=stream,
                                text=f"Say hi. {marker}", mock=directive(fault="drop"))
                answer, took, failure = _timed(client, surface, body)
                label = f"{surface}{' stream' if stream else ''}"
                if answer is not None:
                    record_exchange(answer.exchange)
                if not _attempts(mock_log, marker):
                    # the gateway answered on its own (a cool-down, a limit): not a verdict
                    # about what it does with a dead upstream
                    unjudged.append(f"{label}: {getattr(answer, 'status', failure)} without "
                                    "calling the upstream")
                    continue
                with case(f"{label} status"):
                    expect(answer is not None and answer.status in (502, 503, 504)
                           and took <= UNREACHABLE_BOUND_S,
                           f"{label}: an unreachable upstream answered "
                           f"{getattr(answer, 'status', 'nothing')} after {took:.1f} s",
                           expected=f"502, 503 or 504 within {UNREACHABLE_BOUND_S:g} s",
                           observed=f"{failure}" if answer is None else
                           f"{answer.status} after {took:.1f} s", cause="unreachable-upstream",
                           exchange=getattr(answer, "exchange", None))
                if answer is None or st.opened_as_stream(answer.status, answer.headers):
                    continue  # no error body to judge (a stream is STR-O10/STR-A7's)
                content = answer.body if stream else answer.content
                shown = _Shown(answer.status, answer.headers, content, answer.exchange)
                with case(f"{label} envelope"):
                    errors.error_envelope(surface, shown)
                with case(f"{label} message"):
                    errors.error_message_is_clean(shown, errors.error_message_text(shown),
                                                  internals=internals)
        if unjudged and not case.tried:
            inconclusive("; ".join(unjudged))


class _Shown:
    """A captured (stream) answer as the body judges read a response."""

    def __init__(self, status, headers, content, exchange):
        self.status, self.headers, self.content, self.exchange = (status, headers, content,
                                                                  exchange)


@check("LIM-7", level="SHOULD", category="Limits", feature="mock-upstream",
       title="An upstream 429 reaches the client within its Retry-After (no silent retries)")
def test_lim7_no_wait_behind_upstream_429(client, target, mock_log, record_exchange):
    # A gateway that waits out the upstream's Retry-After and retries keeps the client
    # waiting several times that long with no way to know why, and the client's SDK then
    # retries the final 429 too (up to 3 x 3 upstream calls for one request).
    bound = LIM7_RETRY_AFTER + LIM7_SLACK_S
    unjudged: list[str] = []
    with cases() as case:
        for surface in target.surfaces:
            marker = nonce()
            body = body_for(surface, _model(target, surface), text=f"Say hi. {marker}",
                            mock=directive(fault=429, retry_after=LIM7_RETRY_AFTER))
            answer, took, failure = _timed(client, surface, body)
            if answer is not None:
                record_exchange(answer.exchange)
            calls = len(_attempts(mock_log, marker))
            if not calls:
                unjudged.append(f"{surface}: {getattr(answer, 'status', failure)} without "
                                "calling the upstream")
                continue
            with case(surface):
                expect(took <= bound, f"the client waited {took:.1f} s for an upstream 429 "
                       f"with Retry-After: {LIM7_RETRY_AFTER} (the upstream was called "
                       f"{calls} times): the gateway retried it behind the client's back",
                       expected=f"the 429 (or an answer) within {bound:g} s",
                       observed=f"{getattr(answer, 'status', failure)} after {took:.1f} s, "
                       f"{calls} upstream calls", exchange=getattr(answer, "exchange", None),
                       cause="retry-amplification")
                if calls > 1:
                    warn(f"{surface}: the upstream's 429 was retried {calls - 1} time(s) "
                         f"within {took:.1f} s (Retry-After: {LIM7_RETRY_AFTER})",
                         exchange=getattr(answer, "exchange", None))
        if unjudged and not case.tried:
            inconclusive("; ".join(unjudged))
