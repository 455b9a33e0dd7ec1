"""Every fault, observed from the client side: SDK exceptions or raw bytes and SSE events."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import orjson
import pytest

from gatecheck import SseDecodeError, SseDecoder, SseLimitError

STATUSES = [400, 401, 403, 404, 413, 429, 500, 502, 503, 529]
ANTHROPIC_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
    502: "api_error", 503: "api_error", 529: "overloaded_error",
}  # fmt: skip
OPENAI_CLASSES = {
    400: openai.BadRequestError, 401: openai.AuthenticationError, 403: openai.PermissionDeniedError,
    404: openai.NotFoundError, 429: openai.RateLimitError, 500: openai.InternalServerError,
    503: openai.InternalServerError, 529: openai.InternalServerError,
}  # fmt: skip
ANTHROPIC_CLASSES = {
    401: anthropic.AuthenticationError, 413: anthropic.ContentTooLargeError,
    429: anthropic.RateLimitError, 529: anthropic.OverloadedError,
}  # fmt: skip


@pytest.fixture(scope="module")
def oai(mock_url):
    with openai.OpenAI(base_url=mock_url + "/v1", api_key="k", max_retries=0, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def ant(mock_url):
    with anthropic.Anthropic(base_url=mock_url, api_key="k", max_retries=0, timeout=5) as client:
        yield client


def _openai_body(directive: str, stream: bool = True) -> dict:
    return {
        "model": "mock-chat",
        "stream": stream,
        "messages": [{"role": "user", "content": directive}],
    }


def _anthropic_body(directive: str, stream: bool = True) -> dict:
    return {"model": "mock-chat", "max_tokens": 64, "stream": stream,
            "messages": [{"role": "user", "content": directive}]}  # fmt: skip


def _responses_body(directive: str, stream: bool = True) -> dict:
    return {"model": "mock-chat", "stream": stream, "input": directive}


_BODIES = {"openai": ("/v1/chat/completions", _openai_body),
           "anthropic": ("/v1/messages", _anthropic_body),
           "responses": ("/v1/responses", _responses_body)}


@contextlib.contextmanager
def _post(
    url: str, surface: str, directive: str, stream: bool = True, timeout: float = 5.0
) -> Iterator[httpx.Response]:
    path, build = _BODIES[surface]
    body = build(directive, stream)
    with httpx.Client(timeout=timeout) as client, client.stream("POST", url + path, json=body) as r:
        yield r


def _events(url: str, surface: str, directive: str, decoder: SseDecoder | None = None) -> list:
    """Every event until the end or a transport error (then the error is the last item)."""
    decoder = decoder or SseDecoder()
    out: list = []
    with _post(url, surface, directive) as response:
        assert response.status_code == 200
        try:
            for chunk in response.iter_raw():
                out.extend(decoder.feed(chunk))
        except httpx.HTTPError as exc:
            out.append(exc)
    return out


@pytest.mark.parametrize("status", STATUSES)
def test_status_faults_use_the_openai_envelope_and_sdk_class(oai, status):
    with pytest.raises(openai.APIStatusError) as info:
        oai.chat.completions.create(**_openai_body(f"[[mock fault={status}]]", stream=False))
    assert info.value.status_code == status
    assert isinstance(info.value, OPENAI_CLASSES.get(status, openai.APIStatusError))
    assert set(info.value.body) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("status", STATUSES)
def test_status_faults_use_the_anthropic_envelope_and_sdk_class(ant, status):
    with pytest.raises(anthropic.APIStatusError) as info:
        ant.messages.create(**_anthropic_body(f"[[mock fault={status}]]", stream=True))
    assert info.value.status_code == status
    assert isinstance(info.value, ANTHROPIC_CLASSES.get(status, anthropic.APIStatusError))
    assert info.value.body["type"] == "error"
    assert info.value.body["error"]["type"] == ANTHROPIC_TYPES[status]


def test_429_sends_retry_after_and_presets_fault_by_model(mock_url):
    with _post(mock_url, "openai", "[[mock fault=429 retry_after=7]]", stream=False) as response:
        assert response.status_code == 429
        assert response.headers["retry-after"] == "7"
    body = _openai_body("hi", stream=False) | {"model": "mock-503"}
    response = httpx.post(mock_url + "/v1/chat/completions", json=body, timeout=5)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "service_unavailable_error"


def test_hang_never_answers_until_the_client_gives_up(mock_url):
    with (
        pytest.raises(httpx.ReadTimeout),
        _post(mock_url, "openai", "[[mock fault=hang]]", timeout=1.0),
    ):
        pass


def test_hang_ends_with_a_504_after_hold(mock_url):
    with _post(mock_url, "anthropic", "[[mock fault=hang hold_ms=200]]") as response:
        assert response.status_code == 504
        response.read()
        assert response.json()["error"]["type"] == "timeout_error"


def test_silence_sends_headers_then_nothing(mock_url):
    with _post(mock_url, "openai", "[[mock fault=silence hold_ms=2500]]", timeout=1.0) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        with pytest.raises(httpx.ReadTimeout):
            response.read()
    with (
        _post(mock_url, "openai", "[[mock fault=silence hold_ms=100]]") as response,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        response.read()


@pytest.mark.parametrize("surface", ["openai", "anthropic", "responses"])
def test_reset_drops_the_connection_mid_stream(mock_url, surface):
    events = _events(mock_url, surface, "[[mock fault=reset after=3]]")
    assert len(events) == 4
    assert isinstance(events[-1], httpx.RemoteProtocolError)


def test_reset_non_stream_delivers_half_the_promised_body(mock_url):
    with _post(mock_url, "openai", "[[mock fault=reset]]", stream=False) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_cut_ends_cleanly_without_done_or_message_stop(mock_url):
    openai_events = _events(mock_url, "openai", "[[mock fault=cut]]")
    assert openai_events[-1].json()["choices"][0]["finish_reason"] == "stop"
    assert all(e.data != "[DONE]" for e in openai_events)
    anthropic_events = _events(mock_url, "anthropic", "[[mock fault=cut]]")
    assert anthropic_events[-1].type == "message_delta"
    cut_early = _events(mock_url, "anthropic", "[[mock fault=cut after=2]]")
    assert [e.type for e in cut_early] == ["message_start", "content_block_start"]


def test_cut_ends_a_responses_stream_before_its_terminal_event(mock_url):
    events = _events(mock_url, "responses", "[[mock fault=cut]]")
    types = [e.json()["type"] for e in events]
    assert types[0] == "response.created"
    assert not {"response.completed", "response.incomplete", "response.failed"} & set(types)
    numbers = [e.json()["sequence_number"] for e in events]
    assert numbers == list(range(len(numbers)))  # what did arrive is still in order


def test_timing_directives_pace_a_responses_stream(mock_url):
    started = time.monotonic()
    events = _events(mock_url, "responses", "[[mock ttft=300 itl=0 tokens=3]]")
    first_delta = next(i for i, e in enumerate(events)
                       if e.json()["type"] == "response.output_text.delta")
    assert time.monotonic() - started >= 0.3  # no text before the first token's time
    deltas = [e for e in events if e.json()["type"] == "response.output_text.delta"]
    assert len(deltas) == 3
    assert first_delta > 0


def test_cut_non_stream_is_truncated_json(mock_url):
    with _post(mock_url, "anthropic", "[[mock fault=cut]]", stream=False) as response:
        body = response.read()
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)


@pytest.mark.parametrize("surface", ["openai", "anthropic", "responses"])
def test_malformed_frame_breaks_json_parsing(mock_url, surface):
    events = _events(mock_url, surface, "[[mock fault=malformed after=2]]")
    with pytest.raises(ValueError):
        events[2].json()
    assert all(not isinstance(e, Exception) for e in events)
    assert len(events) > 3  # the rest of the stream follows the broken frame


def test_malformed_breaks_the_openai_sdk(mock_url):
    with openai.OpenAI(base_url=mock_url + "/v1", api_key="k", max_retries=0, timeout=5) as client:
        stream = client.chat.completions.create(**_openai_body("[[mock fault=malformed]]"))
        with pytest.raises(ValueError):
            list(stream)


@pytest.mark.parametrize("surface", ["openai", "anthropic", "responses"])
def test_bad_utf8_is_rejected_by_the_sse_reader(mock_url, surface):
    with pytest.raises(SseDecodeError):
        _events(mock_url, surface, "[[mock fault=bad-utf8]]")
    with (
        _post(mock_url, surface, "[[mock fault=bad_utf8]]", stream=False) as response,
        pytest.raises(UnicodeDecodeError),
    ):
        response.read().decode()


def test_error_event_after_200_raises_in_both_sdks(mock_url):
    with openai.OpenAI(base_url=mock_url + "/v1", api_key="k", max_retries=0, timeout=5) as client:
        stream = client.chat.completions.create(**_openai_body("[[mock fault=error-event]]"))
        with pytest.raises(openai.APIError):
            list(stream)
    with anthropic.Anthropic(base_url=mock_url, api_key="k", max_retries=0, timeout=5) as client:
        stream = client.messages.create(**_anthropic_body("[[mock fault=error-event]]"))
        with pytest.raises(anthropic.APIStatusError) as info:
            list(stream)
        assert info.value.body["error"]["type"] == "overloaded_error"
    events = _events(mock_url, "anthropic", "[[mock fault=error-event status=429 after=1]]")
    assert [e.type for e in events] == ["message_start", "error"]
    assert events[-1].json()["error"]["type"] == "rate_limit_error"


def _arrivals(url: str, directive: str) -> tuple[int, list[int]]:
    """(number of raw reads, index of the read each event completed in)."""
    decoder, reads, where = SseDecoder(), 0, []
    with _post(url, "openai", directive) as response:
        for chunk in response.iter_raw():
            reads += 1
            where.extend(reads for _ in decoder.feed(chunk))
    return reads, where


def test_fake_stream_arrives_in_one_burst_after_the_generation_time(mock_url):
    started = time.perf_counter()
    _, where = _arrivals(mock_url, "[[mock fault=fake-stream ttft=150 itl=30 tokens=5]]")
    assert time.perf_counter() - started >= 0.27
    assert len(set(where)) == 1
    _, real = _arrivals(mock_url, "[[mock ttft=10 itl=60 tokens=4]]")
    assert len(set(real)) > 1  # a real stream spreads over reads


def test_drip_trickles_the_body(mock_url):
    with _post(
        mock_url, "openai", "[[mock fault=drip drip_bytes=64 drip_ms=15]]", stream=False
    ) as response:
        chunks = list(response.iter_raw())
    assert len(chunks) > 2
    assert orjson.loads(b"".join(chunks))["object"] == "chat.completion"


def test_oversize_body_and_event(mock_url):
    with _post(
        mock_url, "openai", "[[mock fault=oversize bytes=3000000]]", stream=False
    ) as response:
        body = response.read()
    assert len(body) == 3_000_000
    assert orjson.loads(body)["choices"][0]["message"]["content"].startswith("xxx")
    with pytest.raises(SseLimitError):
        _events(
            mock_url,
            "anthropic",
            "[[mock fault=oversize bytes=2000000]]",
            SseDecoder(max_event_bytes=1 << 20),
        )


def test_context_window_overflow_answers_as_each_real_api(oai, ant):
    prompt = " ".join(["word"] * 100)
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(**_openai_body(prompt, stream=False) | {
            "model": "mock-tiny-context"})
    body = info.value.body
    assert (body["type"], body["param"], body["code"]) == (
        "invalid_request_error", "messages", "context_length_exceeded")
    assert "maximum context length is 64 tokens" in body["message"]
    with pytest.raises(anthropic.BadRequestError) as ainfo:
        ant.messages.create(**_anthropic_body(prompt + " [[mock context=20]]", stream=True))
    assert ainfo.value.body["error"]["type"] == "invalid_request_error"
    assert ainfo.value.body["error"]["message"].endswith("tokens > 20 maximum")
    assert ainfo.value.body["error"]["message"].startswith("prompt is too long: ")
    # a prompt that fits is answered; counting tokens never fails on length
    assert oai.chat.completions.create(**_openai_body("hi", stream=False) | {
        "model": "mock-tiny-context"}).choices
    counted = ant.messages.count_tokens(model="mock-tiny-context",
                                        messages=[{"role": "user", "content": prompt}])
    assert counted.input_tokens > 64


def test_context_length_fault_overflows_any_prompt(oai, ant, mock_url):
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(**_openai_body("hi [[mock fault=context_length]]",
                                                   stream=True))
    assert info.value.body["code"] == "context_length_exceeded"
    with pytest.raises(anthropic.BadRequestError) as ainfo:
        ant.messages.create(**_anthropic_body("hi [[mock fault=context-length]]", stream=False))
    tokens = ainfo.value.body["error"]["message"].split()[4]
    assert ainfo.value.body["error"]["message"] == (
        f"prompt is too long: {tokens} tokens > {int(tokens) - 1} maximum")


def test_context_length_drawn_from_the_fault_flag():
    import asyncio

    from gatecheck.mock import MockConfig, create_app, parse_fault_spec

    app = create_app(MockConfig(faults=(parse_fault_spec("context-length,context=3"),)))

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                     base_url="http://mock") as client:
            return await client.post("/v1/messages", json=_anthropic_body("a b c d e f g h"))

    response = asyncio.run(post())
    assert response.status_code == 400
    assert response.json()["error"]["message"].endswith("tokens > 3 maximum")
