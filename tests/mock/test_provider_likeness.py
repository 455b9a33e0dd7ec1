"""Where gateways depend on a real provider's habits: request ids, the model list, a dead
upstream, and the credential a gateway forwarded (as facts, never the value)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from gatecheck import credential_fingerprint, describe_credential
from gatecheck.mock import MockConfig, create_app
from tests.mock.conftest import ServedApp

USER = [{"role": "user", "content": "hello"}]
ANTHROPIC = {"anthropic-version": "2023-06-01"}


def _chat(text: str = "hello", stream: bool = False) -> dict:
    return {"model": "mock-chat", "messages": [{"role": "user", "content": text}],
            "stream": stream, "max_tokens": 8}


@pytest.mark.parametrize(("path", "body", "headers", "name"), [
    ("/v1/chat/completions", _chat(), {}, "x-request-id"),
    ("/v1/chat/completions", _chat(stream=True), {}, "x-request-id"),
    ("/v1/chat/completions", _chat("x [[mock fault=503]]"), {}, "x-request-id"),
    ("/v1/chat/completions", {"model": "nope", "messages": USER}, {}, "x-request-id"),
    ("/v1/messages", _chat(), ANTHROPIC, "request-id"),
    ("/v1/messages", _chat(stream=True), ANTHROPIC, "request-id"),
    ("/v1/messages", _chat("x [[mock fault=529]]"), ANTHROPIC, "request-id"),
    ("/v1/messages", {"model": "mock-chat"}, ANTHROPIC, "request-id"),
])
def test_every_answer_carries_the_providers_request_id(mock_url, path, body, headers, name):
    with httpx.Client(base_url=mock_url, timeout=5) as client:
        response = client.post(path, json=body, headers=headers)
        seen = response.headers.get(name)
        assert seen is not None
        assert seen.startswith("req_")
        assert len(seen) == 28
        other = "request-id" if name == "x-request-id" else "x-request-id"
        assert other not in response.headers  # each provider sends its own name only
        log = client.get("/_mock/log", params={"limit": 1}).json()["entries"][-1]
    assert log["request_id"] == seen


def test_models_and_errors_outside_the_chat_routes_carry_it_too(mock_url):
    with httpx.Client(base_url=mock_url, timeout=5) as client:
        assert client.get("/v1/models").headers["x-request-id"].startswith("req_")
        assert client.get("/v1/models", headers=ANTHROPIC).headers["request-id"]
        assert client.get("/v1/nope").headers["x-request-id"]
        assert "x-request-id" not in client.get("/_mock/log").headers  # the mock's own route


def test_the_model_list_offers_no_fault_presets_unless_asked(mock_url):
    with httpx.Client(base_url=mock_url, timeout=5) as client:
        listed = [m["id"] for m in client.get("/v1/models").json()["data"]]
        every = [m["id"] for m in client.get("/v1/models?all=true").json()["data"]]
        paged = client.get("/v1/models", headers=ANTHROPIC, params={"limit": 100}).json()
        retrieved = client.get("/v1/models/mock-429")
    assert listed == ["mock-chat", "mock-slow", "mock-long", "mock-tiny-context"]
    assert [m["id"] for m in paged["data"]] == listed
    assert {"mock-429", "mock-hang", "mock-drop", "mock-chaos"} <= set(every)
    assert retrieved.status_code == 200  # still a model of the mock, only not offered


def test_list_all_models_lists_every_preset():
    with ServedApp(create_app(MockConfig(list_all_models=True))) as served:
        body = httpx.get(served.url + "/v1/models", timeout=5).json()
    assert "mock-503" in {m["id"] for m in body["data"]}


@pytest.mark.parametrize(("headers", "expected"), [
    ({"authorization": "Bearer sk-gatecheck-client-key-0001"},
     [{"header": "authorization", "scheme": "Bearer", "empty": False, "placeholder": None,
       "length": 28, "fingerprint": credential_fingerprint("sk-gatecheck-client-key-0001")}]),
    ({"authorization": "Bearer undefined"},
     [{"header": "authorization", "scheme": "Bearer", "empty": False,
       "placeholder": "undefined", "length": 9,
       "fingerprint": credential_fingerprint("undefined")}]),
    ({"x-api-key": ""}, [{"header": "x-api-key", "scheme": None, "empty": True,
                          "placeholder": None, "length": 0,
                          "fingerprint": credential_fingerprint("")}]),
    ({}, []),
])
def test_the_log_fingerprints_the_credential_it_received(mock_url, headers, expected):
    with httpx.Client(base_url=mock_url, timeout=5) as client:
        client.post("/v1/chat/completions", json=_chat(), headers=headers)
        entry = client.get("/_mock/log", params={"limit": 1}).json()["entries"][-1]
    assert entry["credentials"] == expected
    assert "sk-gatecheck-client-key-0001" not in str(entry)  # the value is never shown


def test_a_credential_is_described_without_its_value():
    facts = describe_credential("Authorization", "Bearer null")
    assert facts["placeholder"] == "null"
    assert facts["scheme"] == "Bearer"
    assert describe_credential("x-api-key", "None")["placeholder"] == "None"
    assert describe_credential("authorization", "sk-bare")["scheme"] is None
    assert credential_fingerprint("a") != credential_fingerprint("b")
    assert credential_fingerprint("a").startswith("sha256:")
    assert len(credential_fingerprint("a")) == len("sha256:") + 12


@contextlib.contextmanager
def _served(http: str) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), loop="asyncio", http=http,
                                           lifespan="off", access_log=False,
                                           log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_drop_closes_the_connection_before_any_header(http, path):
    with _served(http) as url, httpx.Client(base_url=url, timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.post(path, json=_chat("x [[mock fault=drop]]"), headers=ANTHROPIC)
        assert client.post(path, json=_chat(), headers=ANTHROPIC).status_code == 200  # alive
        entry = client.get("/_mock/log", params={"limit": 2}).json()["entries"][0]
    assert entry["fault"] == "drop"
    assert entry["status"] == 0


@pytest.mark.anyio
async def test_drop_outside_uvicorn_says_it_cannot():
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.post("/v1/chat/completions", json=_chat("[[mock fault=drop]]"))
    assert response.status_code == 500
    assert "needs uvicorn" in response.json()["error"]["message"]
