"""gatecheck's own wire facts (gatecheck.protocols) against the judge's tables (gatecheck.checks).

The mock, the proxy and the translators take status/type facts from one module per
protocol; the checks keep their own tables, transcribed from the checklist's Appendix B, so
an implementation table never grades itself. This file says where the two agree and where
they differ on purpose, each difference with its reason.
"""

from __future__ import annotations

import orjson
import pytest

from gatecheck.checks.errors import ANTHROPIC_ERROR_TYPES, ANTHROPIC_STATUS_TYPES
from gatecheck.mock._errors import error_for_status
from gatecheck.protocols import (
    anthropic,
    chat_path,
    chat_request,
    openai,
    protocol_headers,
    surface_of_path,
)
from gatecheck.proxy.errors import KINDS, ProxyError

# Statuses the implementation names a type for although the judge does not ask: the judge
# checks the statuses Appendix B requires; these come from Anthropic's error docs and are
# used when translating an upstream's error, never graded.
NOT_JUDGED = {
    402: "billing_error: an OpenAI 429 insufficient_quota, translated (retrying cannot help)",
    408: "timeout_error: a request timeout from an upstream, translated",
    504: "timeout_error: the gateway's own upstream timeout",
}


def test_every_status_the_judge_checks_gets_the_judge_s_type():
    for status, wanted in ANTHROPIC_STATUS_TYPES.items():
        assert anthropic.ERROR_TYPES[status] == wanted, status


def test_the_implementation_knows_more_statuses_only_where_said_why():
    extra = set(anthropic.ERROR_TYPES) - set(ANTHROPIC_STATUS_TYPES)
    assert extra == set(NOT_JUDGED)
    assert set(anthropic.ERROR_TYPES.values()) <= ANTHROPIC_ERROR_TYPES  # every type is valid


@pytest.mark.parametrize("status", sorted({*ANTHROPIC_STATUS_TYPES, 405, 502, 503}))
def test_the_mock_and_the_proxy_send_the_type_the_judge_expects(status):
    body = orjson.loads(error_for_status("anthropic", status))
    wanted = ANTHROPIC_STATUS_TYPES.get(status, "api_error" if status >= 500
                                        else "invalid_request_error")
    assert body["error"]["type"] == wanted
    for kind, (kind_status, _, _) in KINDS.items():
        if kind_status == status:
            error = ProxyError(kind, "x").anthropic_error()["error"]
            assert error["type"] == wanted, kind


def test_openai_types_differ_on_purpose_and_the_sdks_read_only_the_status():
    # The judge has no OpenAI status -> type table: openai-python picks its exception from
    # the status alone (checklist ERR-3). The mock imitates what OpenAI sends (429 carries
    # type "requests"); the proxy names its own kinds (429 "rate_limit_error"), as gateways
    # commonly do. Both carry the same code, which clients do read.
    assert openai.ERRORS[429] == ("requests", "rate_limit_exceeded")
    assert KINDS["rate_limit"] == (429, "rate_limit_error", "rate_limit_exceeded")
    mock = orjson.loads(error_for_status("openai", 429))["error"]
    assert (mock["type"], mock["code"]) == openai.ERRORS[429]


def test_one_request_builder_and_one_set_of_paths_per_protocol():
    assert chat_path("openai") == "/chat/completions"
    assert chat_path("anthropic") == "/messages"
    assert protocol_headers("anthropic") == {"anthropic-version": "2023-06-01"}
    assert protocol_headers("openai") == {}
    streamed = chat_request("openai", "m", "hi", max_tokens=3, stream=True)
    assert streamed["stream_options"] == {"include_usage": True}  # usage is never guessed
    assert "stream_options" not in chat_request("anthropic", "m", "hi", max_tokens=3,
                                                stream=True)


def test_the_responses_producers_and_the_judge_name_the_same_events():
    from gatecheck.checks import responses as judge
    from gatecheck.protocols.responses import wire

    produced = {k: v for k, v in vars(type(wire.EVENT)).items() if k.isupper()}
    judged = {k: v for k, v in vars(type(judge.EVENT)).items() if k.isupper()}
    assert {k: produced[k] for k in judged} == judged  # every name the judge reads, alike
    # events only the producers name: reasoning done / summaries and refusal.done, which the
    # judge reads through their generic part (output_index, item_id), never by name
    assert set(produced) - set(judged) == {"REASONING_DONE", "REFUSAL_DONE", "SUMMARY_DELTA",
                                           "SUMMARY_DONE"}
    assert wire.TERMINAL_EVENTS == judge.TERMINAL_EVENTS
    assert wire.LIFECYCLE_EVENTS == judge.LIFECYCLE_EVENTS


def test_every_response_gatecheck_builds_has_the_keys_open_responses_requires():
    from gatecheck.checks import responses as judge
    from gatecheck.protocols.responses import echo, response_object

    body = response_object(id="resp_1", created_at=1, model="m", echoed=echo({}),
                           status="completed", output=[], usage=None)
    assert set(judge.OPEN_RESPONSES_REQUIRED) <= set(body)
    assert body["status"] in judge.STATUSES


@pytest.mark.parametrize(("path", "surface"), [
    ("/v1/messages", "anthropic"), ("/v1/messages/count_tokens", "anthropic"),
    ("/messages?beta=true", "anthropic"), ("/v1/messages/", "anthropic"),
    ("/v1/chat/completions", "openai"), ("/v1/responses", "openai"), ("/v1/models", "openai"),
    ("/v1/messagesX", "openai"), ("/health", "openai"),
])
def test_a_request_path_names_its_front_door(path, surface):
    assert surface_of_path(path) == surface
