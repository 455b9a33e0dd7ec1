"""Routing, auth, the log, latency and fault selection: the app's own behaviour."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from gatecheck import SseDecoder
from gatecheck.mock import MockConfig, create_app, parse_fault_spec
from tests.mock.conftest import ServedApp

USER = [{"role": "user", "content": "hello"}]


@contextlib.contextmanager
def _asgi_client(config: MockConfig) -> Iterator[httpx.Client]:
    """A client of a fresh mock with ``config``, served on its own port."""
    with (
        ServedApp(create_app(config)) as served,
        httpx.Client(base_url=served.url, timeout=5) as client,
    ):
        yield client


@pytest.mark.anyio
async def test_in_process_asgi_use():
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.post(
            "/v1/chat/completions", json={"model": "mock-chat", "messages": USER}
        )
    assert response.json()["object"] == "chat.completion"


def test_auth_accepts_bearer_or_x_api_key_and_rejects_others(keyed_url):
    with openai.OpenAI(base_url=keyed_url + "/v1", api_key="sk-mock-right", max_retries=0) as ok:
        assert ok.chat.completions.create(model="mock-chat", messages=USER).choices
    with openai.OpenAI(base_url=keyed_url + "/v1", api_key="sk-wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            bad.models.list()
        assert info.value.body["code"] == "invalid_api_key"
    with anthropic.Anthropic(base_url=keyed_url, api_key="sk-mock-right", max_retries=0) as ok_a:
        assert ok_a.messages.create(model="mock-chat", max_tokens=5, messages=USER).content
    with (
        anthropic.Anthropic(base_url=keyed_url, api_key="sk-wrong", max_retries=0) as bad_a,
        pytest.raises(anthropic.AuthenticationError),
    ):
        bad_a.messages.create(model="mock-chat", max_tokens=5, messages=USER)
    response = httpx.get(keyed_url + "/v1/models", timeout=5)
    assert response.status_code == 401


def test_unknown_route_404_and_wrong_method_405(mock_url):
    response = httpx.get(mock_url + "/v1/nothing", timeout=5)
    assert response.status_code == 404
    # OpenAI's own answer to an unknown URL: no code (it is not a missing model)
    assert response.json() == {"error": {"message": "Invalid URL (GET /v1/nothing)",
                                         "type": "invalid_request_error", "param": None,
                                         "code": None}}
    response = httpx.post(mock_url + "/v1/nope", headers={"anthropic-version": "2023-06-01"},
                          timeout=5)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "not_found_error"
    assert error["message"] == "Not Found (POST /v1/nope)"


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/mock-chat", "/_mock/log"])
def test_head_answers_like_get_without_a_body(mock_url, path):
    get = httpx.get(mock_url + path, timeout=5)
    head = httpx.head(mock_url + path, timeout=5)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path != "/_mock/log":  # the log grows between the two calls
        assert head.headers["content-length"] == get.headers["content-length"]


def test_allow_lists_head_on_get_routes(mock_url):
    r = httpx.post(mock_url + "/v1/models", timeout=5)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    r = httpx.head(mock_url + "/v1/chat/completions", timeout=5)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    response = httpx.get(mock_url + "/v1/chat/completions", timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    response = httpx.get(
        mock_url + "/v1/messages", headers={"anthropic-version": "2023-06-01"}, timeout=5
    )
    assert response.json()["type"] == "error"


def test_bad_directive_is_a_400_that_names_the_key(mock_url):
    body = {"model": "mock-chat", "messages": [{"role": "user", "content": "[[mock tokenz=3]]"}]}
    response = httpx.post(mock_url + "/v1/chat/completions", json=body, timeout=5)
    assert response.status_code == 400
    assert "tokenz" in response.json()["error"]["message"]


def test_log_records_requests_with_redacted_headers_and_usage():
    with _asgi_client(MockConfig()) as client:
        body = {
            "model": "mock-chat",
            "stream": True,
            "messages": [{"role": "user", "content": "[[mock tokens=4]]"}],
        }
        client.post(
            "/v1/chat/completions",
            json=body,
            headers={"authorization": "Bearer sk-live-secret-1234"},
        )
        client.post(
            "/v1/messages", json={"model": "mock-chat", "messages": USER}
        )  # 400: no max_tokens
        log = client.get("/_mock/log").json()
        first, second = log["entries"]
        assert log["total"] == 2
        assert first["path"] == "/v1/chat/completions"
        assert first["surface"] == "openai"
        assert first["stream"] is True
        assert first["directive"] == {"tokens": 4}
        assert first["usage"]["output_tokens"] == 4
        assert first["prompt"] == "[[mock tokens=4]]"
        assert "sk-live-secret-1234" not in str(first["headers"])
        assert second["status"] == 400
        assert second["usage"] is None
        assert client.get("/_mock/log", params={"since": 1}).json()["entries"] == [second]
        client.post("/_mock/reset")
        assert client.get("/_mock/log").json() == {"entries": [], "total": 0, "dropped": 0}


def test_a_log_entry_is_stamped_when_its_request_arrived():
    # A gateway's next request may leave before the mock logs the last answer; the cool-down
    # test (gatecheck.pytest._cooldown) reads which requests arrived during an answer.
    with _asgi_client(MockConfig()) as client:
        before = time.time()
        client.post("/v1/chat/completions", json={
            "model": "mock-chat", "messages": [{"role": "user", "content": "[[mock ttft=300]]"}]})
        after = time.time()
        entry = client.get("/_mock/log").json()["entries"][0]
        assert before <= entry["time"] < before + 0.25 < after


def test_log_counts_cache_control_marks_and_keeps_anthropic_beta():
    mark = {"type": "ephemeral"}
    body = {"model": "mock-chat", "max_tokens": 4,
            "system": [{"type": "text", "text": "s", "cache_control": mark}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}, "cache_control": mark}],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "a", "cache_control": mark},
                {"type": "text", "text": "b"}]}]}
    with _asgi_client(MockConfig()) as client:
        client.post("/v1/messages", json=body, headers={"anthropic-beta": "x-1,y-2"})
        client.post("/v1/chat/completions", json={"model": "mock-chat", "messages": USER})
        marked, plain = client.get("/_mock/log").json()["entries"]
    assert marked["cache_control"] == 3
    assert marked["headers"]["anthropic-beta"] == "x-1,y-2"
    assert plain["cache_control"] == 0


def test_oversized_request_bodies_get_413_in_the_envelope():
    with _asgi_client(MockConfig(max_request_bytes=1000)) as client:
        big = {"model": "mock-chat", "messages": [{"role": "user", "content": "x" * 5000}]}
        response = client.post("/v1/chat/completions", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        response = client.post("/v1/messages", json={**big, "max_tokens": 5})
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "request_too_large"
        log = client.get("/_mock/log", params={"limit": 1}).json()
    assert [e["status"] for e in log["entries"]] == [413]
    assert log["total"] == 2


def test_log_is_a_bounded_ring():
    with _asgi_client(MockConfig(log_size=3)) as client:
        for _ in range(5):
            client.get("/v1/models")
            client.post("/v1/chat/completions", json={"model": "mock-chat", "messages": USER})
        log = client.get("/_mock/log").json()
    assert [e["seq"] for e in log["entries"]] == [3, 4, 5]
    assert log["dropped"] == 2


def test_global_fault_flags_apply_to_every_request():
    config = MockConfig(faults=(parse_fault_spec("503"),))
    with _asgi_client(config) as client:
        statuses = {
            client.post(
                "/v1/chat/completions", json={"model": "mock-chat", "messages": USER}
            ).status_code
            for _ in range(5)
        }
    assert statuses == {503}


def test_fault_rate_and_chaos_fault_some_requests_reproducibly():
    def run(config: MockConfig, model: str) -> list[int]:
        with _asgi_client(config) as client:
            for _ in range(40):
                with contextlib.suppress(httpx.HTTPError):  # chaos includes resets
                    client.post("/v1/chat/completions", json={"model": model, "messages": USER})
            return [e["status"] for e in client.get("/_mock/log").json()["entries"]]

    rated = MockConfig(seed=7, faults=(parse_fault_spec("429,retry_after=1"),), fault_rate=0.5)
    first = run(rated, "mock-chat")
    assert set(first) == {200, 429}
    assert run(rated, "mock-chat") == first
    chaos = run(MockConfig(seed=3), "mock-chaos")
    assert 200 in chaos
    assert len(set(chaos)) > 1


def _content_times(url: str, body: dict) -> tuple[float, list[float]]:
    decoder = SseDecoder()
    with httpx.Client(timeout=10) as client:
        start = time.perf_counter_ns()
        with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
            events = [e for chunk in response.iter_raw() for e in decoder.feed(chunk)]
    content = [
        e.t_ns
        for e in events
        if e.data != "[DONE]" and e.json()["choices"][0]["delta"].get("content")
    ]
    return start / 1e9, [t / 1e9 for t in content]


def test_latency_ttft_itl_and_stall_are_lower_bounds(mock_url):
    text = "[[mock ttft=200 itl=20 tokens=5 stall_after=2 stall_ms=300]]"
    body = {"model": "mock-chat", "stream": True, "messages": [{"role": "user", "content": text}]}
    start, times = _content_times(mock_url, body)
    assert len(times) == 5
    # Only send -> arrival bounds are guaranteed (a late arrival can shrink a gap).
    for k, arrived in enumerate(times):
        assert arrived - start >= 0.2 + k * 0.02 + (0.3 if k >= 2 else 0.0)
    started = time.perf_counter()
    body["stream"] = False
    httpx.post(mock_url + "/v1/chat/completions", json=body, timeout=10)
    assert time.perf_counter() - started >= 0.2 + 0.3 + 4 * 0.02


def test_slow_preset_and_global_flags_set_latency(mock_url):
    with _asgi_client(MockConfig(tokens=3)) as client:
        reply = client.post(
            "/v1/chat/completions", json={"model": "mock-chat", "messages": USER}
        ).json()
    assert reply["usage"]["completion_tokens"] == 3
    body = {
        "model": "mock-slow",
        "stream": True,
        "messages": [{"role": "user", "content": "[[mock tokens=2]]"}],
    }
    start, times = _content_times(mock_url, body)
    assert times[0] - start >= 0.5
    assert times[1] - start >= 0.55
