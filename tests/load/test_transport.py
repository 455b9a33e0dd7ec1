"""The users' transport on canned HTTP answers (run in a child: gevent patches a process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("transport_cases.py")


@pytest.fixture(scope="module")
def cases() -> dict[str, dict]:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          timeout=60, check=True)
    return {c["case"]: c for c in map(json.loads, done.stdout.splitlines())}


def test_streams_always_ask_for_usage_and_chat_does_not_stream(cases):
    assert cases["close_delimited"]["body"]["stream_options"] == {"include_usage": True}
    assert "stream" not in cases["chat_json"]["body"]


def test_a_close_delimited_stream_ends_cleanly(cases):
    case = cases["close_delimited"]
    assert case["ok"] is True
    assert case["tokens"] == 7  # from usage, although only 3 content events came
    assert case["content"] == 3


def test_a_cut_stream_is_an_error_with_what_arrived(cases):
    assert cases["reset"]["ok"] is False
    assert cases["reset"]["content"] == 1
    assert cases["no_done"]["ok"] is False
    assert "[DONE]" in cases["no_done"]["error"]


def test_an_error_event_fails_the_request(cases):
    assert cases["error_event"]["ok"] is False
    assert "upstream died" in cases["error_event"]["error"]


def test_a_non_200_status_fails_with_an_excerpt(cases):
    case = cases["status_429"]
    assert (case["ok"], case["status"]) == (False, 429)
    assert case["error"].startswith("status 429: ")
    assert "slow down" in case["error"]


def test_a_chat_body_gives_usage_tokens(cases):
    assert cases["chat_json"]["ok"] is True
    assert cases["chat_json"]["tokens"] == 9


def test_a_responses_stream_is_timed_on_its_text_deltas_and_ends_on_its_terminal_event(cases):
    case = cases["responses_stream"]
    assert (case["ok"], case["path"]) == (True, "/v1/responses")
    assert case["content"] == 3  # output_text.delta only: not created, not output_item.added
    assert (case["tokens"], case["in_tokens"]) == (7, 3)  # from response.completed's usage
    assert case["body"] == {"model": "m", "input": "p", "max_output_tokens": 16, "stream": True}


def test_a_failed_or_cut_responses_stream_is_an_error(cases):
    assert cases["responses_failed"]["ok"] is False
    assert "upstream died" in cases["responses_failed"]["error"]
    assert cases["responses_cut"]["ok"] is False
    assert "terminal response event" in cases["responses_cut"]["error"]


def test_responses_and_embeddings_bodies_give_usage_tokens(cases):
    assert (cases["responses_json"]["tokens"], cases["responses_json"]["in_tokens"]) == (9, 3)
    embeddings = cases["embeddings_json"]
    assert (embeddings["ok"], embeddings["path"], embeddings["in_tokens"]) == (
        True, "/v1/embeddings", 4)
    assert embeddings["tokens"] is None  # an embedding generates no tokens
    assert embeddings["body"] == {"model": "m", "input": "p"}


def test_megabytes_of_response_headers_fail_the_request_at_the_cap(cases):
    case = cases["huge_headers"]
    assert case["ok"] is False
    assert "response headers past 256 lines or 64 KiB" in case["error"]


def test_a_nonce_goes_at_the_end_of_the_prompt_as_the_mock_reads_it(cases):
    from gatecheck.mock._timings import split_nonce

    prompt = cases["nonce"]["body"]["messages"][0]["content"]
    assert prompt == "p [[nonce:0123abcd]]"
    plain = cases["chat_json"]["body"]
    raw = json.dumps(cases["nonce"]["body"], separators=(",", ":")).encode()
    nonce, rest = split_nonce(raw)
    assert nonce == "0123abcd"
    assert json.loads(rest) == plain  # without its marker, the body every request shares
