"""Judges that decide what a real gateway's answer shows: a stream that failed before its
first byte, how credentials were rejected, the credential placement a target declares."""

from __future__ import annotations

import json
from pathlib import Path

import httpcore  # noqa: F401  (imported outside pytester's runs: see tests/test_plugin.py)
import httpx
import orjson
import pytest

from gatecheck.checks import ConformanceFailure, auth
from gatecheck.checks import streaming as st
from gatecheck.checks.support import auth_for, upstream_addresses
from gatecheck.targets import load_targets
from tests._canned import Canned
from tests.apps.closing_gateway import closing_gateway
from tests.test_plugin import keyless_targets_toml

pytest_plugins = ["pytester"]

JSON = httpx.Headers({"content-type": "application/json"})
SSE = httpx.Headers({"content-type": "text/event-stream"})
LITELLM_RESET = {"error": {"message": "litellm.InternalServerError: upstream reset",
                           "type": None, "param": None, "code": "500"}}


def test_a_stream_that_failed_before_its_first_byte_may_be_a_json_error_str_o10():
    assert st.opened_as_stream(200, SSE)
    assert not st.opened_as_stream(500, JSON)
    st.failed_before_first_byte(500, JSON, orjson.dumps(LITELLM_RESET))  # STR-1's form
    st.failed_before_first_byte(502, JSON, b'{"type":"error","error":{"type":"api_error"}}')


@pytest.mark.parametrize(("status", "body"), [
    (200, b'{"id": "chatcmpl-1", "choices": []}'),  # a success that is none
    (500, b"<html>Internal Server Error</html>"),  # no error in the body
    (502, b'{"ok": false}'),
])
def test_what_a_failed_stream_may_not_be_answered_str_o10(status, body):
    with pytest.raises(ConformanceFailure) as failure:
        st.failed_before_first_byte(status, JSON, body)
    assert failure.value.cause == "stream-cut-silently"


@pytest.mark.parametrize(("status", "why", "expected", "cause"), [
    (200, "no credentials", 401, "no-auth"),
    (200, "models without credentials", 401, "no-auth"),  # MOD-4
    (200, "wrong key", 401, "wrong-key-accepted"),
    (400, "wrong key", 401, "auth-status"),  # LiteLLM without a database: no_db_connection
    (500, "no credentials", 401, "auth-retryable"),
    (401, "chat key on an admin route", 403, "permission-status"),
])
def test_a_rejection_names_what_it_shows_auth_3_4_5(status, why, expected, cause):
    with pytest.raises(ConformanceFailure) as failure:
        auth.credentials_rejected("openai", Canned.json(status, {}), why=why,
                                  expected_status=expected, check_envelope=False)
    assert failure.value.cause == cause


def test_keys_go_where_the_target_takes_them():
    targets = load_targets()
    openai = auth_for(targets.get("reference"), "openai", "k-1")
    assert (openai.scheme, openai.secret) == ("bearer", "k-1")
    assert auth_for(targets.get("litellm"), "anthropic", "k-2").scheme == "x-api-key"
    assert auth_for(targets.get("portkey"), "openai", "k-3").scheme == "none"
    cloud = auth_for(targets.get("portkey-cloud"), "openai", "k-4")
    assert (cloud.scheme, cloud.header) == ("header", "x-portkey-api-key")


def test_the_upstream_address_comes_from_the_mock_the_target_fronts():
    class Log:
        base_url = "http://127.0.0.1:41234"

    assert upstream_addresses(Log()) == ["127.0.0.1:41234"]
    assert upstream_addresses(None) == []


def test_a_kept_alive_connection_closed_under_a_request_is_no_gateway_failure_err_6(
        pytester):
    # The gateway answers each invalid request 400 in the envelope, but closes every
    # connection at its second request: the lost request is sent again on a new connection
    # and the answer judged; the close is a warning, not "request got no answer".
    suites = Path(__file__).resolve().parents[1] / "suites"
    with closing_gateway() as url:
        pytester.makefile(".toml", targets=keyless_targets_toml(
            "closing", "closes kept-alive connections without a word", url))

        result = pytester.inline_run(
            str(suites / "test_generated.py"), "-k", "invalid_openai", "--target", "closing",
            "--gatecheck-targets-file", "targets.toml", "--gatecheck-results", "r.jsonl",
            "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assertoutcome(passed=1)
    record = json.loads((pytester.path / "r.jsonl").read_text().splitlines()[0])
    assert record["outcome"] == "warned"
    assert "closed a kept-alive connection" in record["message"]
