"""No vacuous passes (issue 12): a stream with no event, or an HTML page where the API's JSON
belongs, fails with its real cause; what an SDK or Hypothesis raises on such answers is
recorded as the target's failure, and a target that went away stays inconclusive.
"""

from __future__ import annotations

import httpx
import openai
import pytest
from openai._streaming import ServerSentEvent
from openai.types.chat import ChatCompletion

from gatecheck import ClientTimeoutError
from gatecheck.checks import ConformanceFailure, auth, expect, streaming
from gatecheck.checks import anthropic as ac
from gatecheck.checks import openai as oc
from gatecheck.checks.support import response_json, sdk_parsed
from gatecheck.pytest._records import _failure
from tests._canned import Canned, ev, oai_chunks, oai_events

HTML = Canned(200, httpx.Headers({"content-type": "text/html; charset=utf-8"}),
              b"<!doctype html><html><body>Sign in</body></html>")
SSE = Canned(200, httpx.Headers({"content-type": "text/event-stream"}), b"data: {}\n\n")


def failure(call) -> ConformanceFailure:
    with pytest.raises(ConformanceFailure) as raised:
        call()
    return raised.value


def test_a_stream_with_no_event_fails_naming_it_or_how_it_broke():
    streaming.stream_has_events([ev("[DONE]")])
    empty = failure(lambda: streaming.stream_has_events([]))
    assert empty.message == "the stream carried no server-sent event"
    assert "no data: field" in empty.observed
    assert empty.cause == "stream-grammar"
    broken = failure(lambda: streaming.stream_has_events([], error="StreamError: reset"))
    assert broken.observed == "no event before the stream broke: StreamError: reset"


def test_an_openai_stream_needs_a_chunk_or_an_error():
    oc.stream_carries_chunks(oc.read_openai_stream(oai_events(oai_chunks())))
    oc.stream_carries_chunks(oc.read_openai_stream([ev({"error": {"message": "upstream"}})]))
    found = failure(lambda: oc.stream_carries_chunks(
        oc.read_openai_stream([ev("hello"), ev("[DONE]")])))
    assert found.message == "no event of the stream is a completion chunk"
    assert found.observed == "1 data payloads that are not JSON objects, e.g. 'hello', then [DONE]"


def test_an_anthropic_stream_needs_a_typed_event():
    ac.stream_carries_events(ac.read_anthropic_stream(
        [ev({"type": "message_start", "message": {}}, event="message_start")]))
    found = failure(lambda: ac.stream_carries_events(
        ac.read_anthropic_stream([ev("not json", event="message_start"), ev({"no": "type"})])))
    assert found.message == "no event of the stream is a Messages stream event"
    assert found.observed.startswith("2 events without one, e.g. 'not json'")


def test_an_html_page_is_not_a_json_body():
    assert response_json(Canned.json(200, {"id": "x"}), "completion") == {"id": "x"}
    found = failure(lambda: response_json(HTML, "chat completion"))
    assert found.message == "chat completion: the body is not JSON: text/html"
    assert found.observed.startswith("200 <!doctype html>")
    assert found.cause == "not-json"
    bare = Canned(200, httpx.Headers(), b"hello")
    assert failure(lambda: response_json(bare, "x")).message == (
        "x: the body is not JSON: no Content-Type")


def test_valid_credentials_are_accepted_only_with_the_apis_answer():
    auth.credentials_accepted(Canned.json(200, {"id": "x"}), "Bearer")
    auth.credentials_accepted(SSE, "Bearer", stream=True)
    page = failure(lambda: auth.credentials_accepted(HTML, "Bearer"))
    assert page.message == ("valid credentials (Bearer) got a 200 that is not the API's "
                            "answer: the body is not JSON: text/html")
    assert page.cause == "not-json"
    assert "Sign in" in page.observed
    stream_for_json = failure(lambda: auth.credentials_accepted(SSE, "Bearer"))
    assert "the body is not JSON: text/event-stream" in stream_for_json.message
    json_for_stream = failure(lambda: auth.credentials_accepted(
        Canned.json(200, {"id": "x"}), "Bearer", stream=True))
    assert "the body is not a stream: application/json" in json_for_stream.message
    with pytest.raises(ConformanceFailure, match="were not accepted"):
        auth.credentials_accepted(Canned.json(401, {}), "Bearer")


def test_an_sdk_that_hands_back_text_fails_the_check():
    completion = ChatCompletion.model_validate({
        "id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": []})
    assert sdk_parsed(completion, ChatCompletion, "create") is completion
    text = failure(lambda: sdk_parsed("<html>hi</html>", ChatCompletion, "create"))
    assert text.message == "create: the body is not JSON, and the SDK returned it as text"
    assert text.cause == "not-json"
    other = failure(lambda: sdk_parsed(42, ChatCompletion, "create"))
    assert other.message == "create: the SDK returned a int, not a ChatCompletion"
    assert other.cause == "sdk-breaks"


# -- how an exception a check raised is recorded -------------------------------------------
def recorded(raiser):
    return _failure(pytest.CallInfo.from_call(raiser, when="call"))


def _group():
    one = ConformanceFailure("valid request refused", expected="200", observed="500")
    two = ConformanceFailure("response: the body is not JSON: text/html", expected="JSON",
                             observed="<html>", cause="not-json")
    raise ExceptionGroup("Hypothesis found 2 distinct failures.", [one, two])


def test_several_failures_hypothesis_found_are_one_failed_result_with_each_case():
    outcome, found = recorded(_group)
    assert outcome == "failed"
    assert found["message"] == "valid request refused"
    assert [c.message for c in found["cases"]] == [
        "valid request refused", "response: the body is not JSON: text/html"]
    assert found["cases"][1].cause == "not-json"
    assert found["cases"][0].label == "failure 1"


def test_an_sdk_that_breaks_on_the_answer_fails_and_says_where():
    def parse_html_as_an_event():
        ServerSentEvent(data="<html>").json()

    outcome, found = recorded(parse_html_as_an_event)
    assert outcome == "failed"
    assert found["cause"] == "sdk-breaks"
    assert found["message"].startswith(
        "an official SDK failed on the target's answer: JSONDecodeError: ")
    assert found["message"].endswith("(in openai._streaming.json)")


def _sdk_error(error: type[Exception], cause: BaseException | None) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    try:
        if cause is not None:
            raise cause
    except BaseException as exc:
        raise error(request=request) from exc
    raise error(request=request)


def test_sdk_timeouts_are_the_targets_fault_and_a_refused_connection_is_inconclusive():
    outcome, found = recorded(lambda: _sdk_error(openai.APITimeoutError, None))
    assert outcome == "failed"
    assert found["message"] == ("the target's answer could not be used: APITimeoutError: "
                                "Request timed out.")
    stalled = ClientTimeoutError("read timeout (15s) before the response headers")
    outcome, found = recorded(lambda: _sdk_error(openai.APIConnectionError, stalled))
    assert outcome == "failed"
    assert found["message"].endswith("ClientTimeoutError: read timeout (15s) before the "
                                     "response headers")
    refused = ConnectionRefusedError(111, "Connection refused")
    outcome, found = recorded(lambda: _sdk_error(openai.APIConnectionError, refused))
    assert outcome == "inconclusive"
    assert found["message"] == "error while checking: APIConnectionError: Connection error."


def test_a_bug_in_a_check_stays_inconclusive():
    def broken_check():
        expect(True, "never", expected="-", observed="-")
        raise KeyError("choices")

    assert recorded(broken_check) == (
        "inconclusive", {"message": "error while checking: KeyError: 'choices'",
                         "exchange": None})
