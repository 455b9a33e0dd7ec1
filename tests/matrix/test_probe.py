"""Probe error classification against the mock's faults (served on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gatecheck import GatewayClient, Timeouts
from gatecheck.embedded import serve_in_thread
from gatecheck.matrix.probe import ProbeSettings, classify_status, probe, probe_models
from gatecheck.mock import create_app

FAST = ProbeSettings(timeouts=Timeouts(connect=2.0, read=2.0, total=3.0))


@dataclass(frozen=True)
class Entry:
    provider: str
    model: str
    surface: str = "openai"


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as url:
        yield url


@pytest.fixture
def client(mock_url: str) -> Iterator[GatewayClient]:
    with GatewayClient(mock_url, timeouts=FAST.timeouts) as c:
        yield c


@pytest.mark.parametrize(("status", "expected"), [
    (200, "ok"), (204, "ok"), (401, "auth"), (403, "auth"), (404, "not_found"),
    (429, "rate_limited"), (400, "upstream_error"), (500, "upstream_error"),
    (529, "upstream_error"),
])
def test_status_classes(status: int, expected: str) -> None:
    assert classify_status(status) == expected


@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_a_healthy_model_is_ok_with_a_sample_and_latency(client: GatewayClient, mode) -> None:
    settings = ProbeSettings(prompt='hi [[mock text="Hello from the mock!"]]',
                             timeouts=FAST.timeouts)
    result = probe(client, "mock", Entry("Mock", "mock-chat"), mode, settings)
    assert result.error_class == "ok", result.detail
    assert result.http_status == 200
    assert result.sample == "Hello from the mock!"
    assert result.latency_ms is not None
    assert result.latency_ms > 0
    assert (result.ttft_ms is not None) == (mode == "stream")
    assert result.detail == ""


def test_anthropic_surface_is_probed_on_messages(client: GatewayClient) -> None:
    settings = ProbeSettings(prompt='[[mock text="Bonjour"]]', timeouts=FAST.timeouts)
    for mode in ("plain", "stream"):
        result = probe(client, "mock", Entry("Mock", "mock-chat", "anthropic"), mode, settings)
        assert (result.error_class, result.sample) == ("ok", "Bonjour"), result.detail


@pytest.mark.parametrize(("model", "plain", "stream"), [
    ("mock-404", "not_found", "not_found"),
    ("mock-401", "auth", "auth"),
    ("mock-403", "auth", "auth"),
    ("mock-429", "rate_limited", "rate_limited"),
    ("mock-500", "upstream_error", "upstream_error"),
    ("mock-529", "upstream_error", "upstream_error"),
    ("mock-malformed", "malformed", "malformed"),
    ("mock-cut", "malformed", "malformed"),
    ("mock-error-event", "upstream_error", "upstream_error"),
    ("mock-bad-utf8", "malformed", "malformed"),
    ("mock-reset", "malformed", "malformed"),
    ("mock-oversize", "malformed", "malformed"),
    ("mock-unknown-model-name", "not_found", "not_found"),
])
def test_faults_are_classified(client: GatewayClient, model: str, plain: str,
                               stream: str) -> None:
    results = probe_models(client, "mock", [Entry("Mock", model)], FAST)
    got = {r.mode: r.error_class for r in results}
    assert got == {"plain": plain, "stream": stream}, [r.detail for r in results]
    for result in results:
        assert result.detail  # every failure says why, in one line
        assert "\n" not in result.detail


def test_error_messages_become_the_sample(client: GatewayClient) -> None:
    result = probe(client, "mock", Entry("Mock", "mock-404"), "plain", FAST)
    assert result.http_status == 404
    assert result.sample
    assert "{" not in result.sample


def test_a_hanging_model_times_out(mock_url: str) -> None:
    settings = ProbeSettings(timeouts=Timeouts(connect=1.0, read=0.3, total=0.5))
    with GatewayClient(mock_url, timeouts=settings.timeouts) as client:
        results = probe_models(client, "mock", [Entry("Mock", "mock-hang")], settings)
    assert [r.error_class for r in results] == ["timeout", "timeout"]
    assert all(r.http_status is None for r in results)


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with GatewayClient(f"http://127.0.0.1:{port}", timeouts=FAST.timeouts) as client:
        results = probe_models(client, "gone", [Entry("Gone", "m")], FAST)
    assert [r.error_class for r in results] == ["unreachable", "unreachable"]
    assert all(r.latency_ms is None for r in results)


def test_results_keep_registry_order_and_both_modes(client: GatewayClient) -> None:
    entries = [Entry("A", "mock-404"), Entry("B", "mock-chat"), Entry("C", "mock-429")]
    results = probe_models(client, "mock", entries, FAST)
    assert [(r.provider, r.mode) for r in results] == [
        ("A", "plain"), ("A", "stream"), ("B", "plain"), ("B", "stream"),
        ("C", "plain"), ("C", "stream")]
