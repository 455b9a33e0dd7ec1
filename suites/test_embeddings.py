"""Embeddings: ``POST /v1/embeddings`` shape, options and exact usage (EMB-*)."""

from __future__ import annotations

from gatecheck.checks import check, errors, evidence, expect, tokens
from gatecheck.checks.support import conforms, directive, nonce, response_json
from gatecheck.protocols.responses.wire import EMBEDDINGS_PATH, embeddings_body

INPUTS = ["The quick brown fox.", "jumps over the lazy dog"]


def _model(target):
    return target.models.for_embeddings() or next(iter(target.aliases), "text-embedding-3-small")


def _post(client, body, record_exchange):
    response = client.request("POST", "/v1" + EMBEDDINGS_PATH, json=body, surface="embeddings")
    record_exchange(response.exchange)
    expect(response.status == 200, "embeddings request failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    return response, response_json(response, "embeddings")


@check("EMB-1", level="MUST", category="Completions", surface="openai", feature="embeddings",
       title="Embeddings: one vector per input, in order, one length, usage prompt = total")
def test_emb1_shape(client, target, profile, record_exchange):
    response, body = _post(client, embeddings_body(_model(target), INPUTS), record_exchange)
    conforms("openai/embedding-list", body, profile=profile, what="embeddings",
             exchange=response.exchange)
    evidence.embeddings_are_well_formed(body, len(INPUTS), exchange=response.exchange)


@check("EMB-2", level="SHOULD", category="Completions", surface="openai", feature="embeddings",
       title="Embeddings: dimensions is honoured, base64 carries the same float32 values")
def test_emb2_options(client, target, record_exchange):
    request = embeddings_body(_model(target), INPUTS[:1], dimensions=8)
    response, floats = _post(client, request, record_exchange)
    [vector] = evidence.embeddings_are_well_formed(floats, 1, dimensions=8,
                                                   exchange=response.exchange)
    response, packed = _post(client, dict(request, encoding_format="base64"), record_exchange)
    [decoded] = evidence.embeddings_are_well_formed(packed, 1, dimensions=8, base64_format=True,
                                                    exchange=response.exchange)
    close = all(abs(a - b) <= 1e-6 * max(1.0, abs(a)) for a, b in zip(vector, decoded,
                                                                      strict=True))
    expect(close, "the base64 vector is not the float vector of the same request",
           expected=repr(vector[:4]), observed=repr(decoded[:4]), exchange=response.exchange)


@check("EMB-3", level="MUST", category="Tokens", surface="openai", feature="mock-upstream",
       title="Embeddings: usage equals the mock upstream's exact count")
def test_emb3_ground_truth(client, target, mock_log, record_exchange):
    import pytest

    if not target.claims("embeddings"):
        pytest.skip(f"target {target.name!r} does not claim embeddings")
    marker = nonce()
    text = f"{INPUTS[0]} {marker} {directive(tokens=1)}"
    response, body = _post(client, embeddings_body(_model(target), [text, INPUTS[1]]),
                           record_exchange)
    truth = next((e.get("usage") or {} for e in reversed(mock_log.entries())
                  if marker in str(e.get("prompt"))), None) if mock_log else None
    expect(truth is not None, "request not found in the mock's log", expected="a log entry",
           observed="none", exchange=response.exchange)
    usage = body.get("usage") or {}
    tokens.usage_matches(usage, {"prompt_tokens": (truth or {}).get("input_tokens"),
                                 "total_tokens": (truth or {}).get("input_tokens")},
                         ("prompt_tokens", "total_tokens"), "gateway vs upstream",
                         exchange=response.exchange)


@check("EMB-4", level="MUST", category="Errors", surface="openai", feature="embeddings",
       title="Embeddings: a request without input is a 400 in the OpenAI error envelope")
def test_emb4_bad_request(client, target, profile, record_exchange):
    response = client.request("POST", "/v1" + EMBEDDINGS_PATH, json={"model": _model(target)})
    record_exchange(response.exchange)
    errors.status_in(response, (400, 422), "embeddings without input")
    errors.openai_error_envelope(response)
    conforms("openai/error", response.json(), profile=profile, what="error body",
             exchange=response.exchange)
