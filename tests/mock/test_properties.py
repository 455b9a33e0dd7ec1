"""Hypothesis: any valid request gets a 200 with exact usage; any invalid one a 400 envelope."""

from __future__ import annotations

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from gatecheck.mock import count_request_tokens
from gatecheck.schemas.strategies import invalid_requests, valid_requests

PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def http(mock_url):
    with httpx.Client(base_url=mock_url, timeout=10) as client:
        yield client


def _usage(surface: str, response: httpx.Response, stream: bool) -> tuple[int, int]:
    if not stream:
        usage = response.json()["usage"]
    elif surface == "openai":
        frames = [f[6:] for f in response.text.split("\n\n") if f.startswith("data: {")]
        usage = next((u for f in frames if (u := orjson.loads(f).get("usage"))), None)
        if usage is None:  # no include_usage: nothing to compare, the stream still ended
            assert response.text.endswith("data: [DONE]\n\n")
            return -1, -1
    else:
        start = next(f for f in response.text.split("\n\n") if f.startswith("event: message_start"))
        usage = orjson.loads(start.split("\ndata: ", 1)[1])["message"]["usage"]
    if surface == "openai":
        return usage["prompt_tokens"], usage.get("completion_tokens", 0)
    return usage["input_tokens"], usage.get("output_tokens", 0)


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_valid_requests_succeed_with_exact_input_tokens(http, surface):
    @SETTINGS
    @given(body=valid_requests(surface))
    def check(body):
        response = http.post(PATHS[surface], json=body)
        assert response.status_code == 200, response.text
        prompt, _ = _usage(surface, response, bool(body.get("stream")))
        assert prompt in (-1, count_request_tokens(surface, body))

    check()


@pytest.mark.parametrize("surface", ["openai", "anthropic"])
def test_invalid_requests_get_a_400_envelope(http, surface):
    @SETTINGS
    @given(case=invalid_requests(surface))
    def check(case):
        response = http.post(
            PATHS[surface], content=case.content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (case.label, response.text)
        body = response.json()
        if surface == "openai":
            assert set(body["error"]) == {"message", "type", "param", "code"}
        else:
            assert body["type"] == "error"
            assert body["error"]["type"] == "invalid_request_error"

    check()
