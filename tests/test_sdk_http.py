"""The official SDKs on gatecheck's bounded client (gatecheck._sdk_http), against the hostile
gateway: same caps, same redirect policy, same deadline as gatecheck's own client.

Memory is bounded by construction: each test asserts the cap error, raised long before a
2 GiB body or a 1 GiB gzip expansion could be held.
"""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from gatecheck import OffOriginError, ResponseTooLargeError, Timeouts
from gatecheck._bounds import Caps
from gatecheck._sdk_http import SdkTransport, harness_cause, sdk_http_client
from tests.apps.hostile import serve

KEY = "sk-test-canary-0123456789abcdef"
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
FAST = Timeouts(connect=1, read=5, total=1.0)
# The OpenAI SDK lets a non-httpx error through; the Anthropic SDK wraps it (as __cause__).
CAPPED = (ResponseTooLargeError, openai.APIConnectionError)


def openai_sdk(url: str, timeouts: Timeouts = FAST) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0,
                         http_client=sdk_http_client(url + "/v1", timeouts=timeouts))


def anthropic_sdk(url: str, timeouts: Timeouts = FAST) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0,
                               http_client=sdk_http_client(url, timeouts=timeouts))


def test_the_client_is_what_both_sdks_accept_and_is_bounded():
    http = sdk_http_client("http://127.0.0.1:1/v1")
    assert isinstance(http, httpx2.Client)
    assert http.follow_redirects is False
    assert http.trust_env is False
    assert "zstd" not in http.headers["accept-encoding"]
    with anthropic.Anthropic(base_url="http://127.0.0.1:1", api_key=KEY, http_client=http):
        pass  # accepted: the Anthropic SDK refuses any client that is not httpx2's


@pytest.mark.parametrize(("mode", "options", "how"), [
    ("huge-body", {}, "announced by Content-Length"),
    ("huge-body", {"content_length": False}, "read"),
    ("gzip-bomb", {}, "decoded"),
])
def test_openai_sdk_stays_under_the_cap(mode, options, how):
    with serve(mode, max_seconds=20, **options) as server, openai_sdk(server.url) as sdk:
        with pytest.raises(CAPPED) as plain:
            sdk.chat.completions.create(**CHAT)
        with pytest.raises(CAPPED) as streamed:
            list(sdk.chat.completions.create(**CHAT, stream=True))
    for info in (plain, streamed):
        cause = harness_cause(info.value)
        assert isinstance(cause, ResponseTooLargeError), info.value
        assert cause.how in (how, "read")  # a stream has no Content-Length check of its own


def test_anthropic_sdk_stays_under_the_cap():
    with serve("gzip-bomb", max_seconds=20) as server, anthropic_sdk(server.url) as sdk, \
            pytest.raises(anthropic.APIConnectionError) as info:
        sdk.messages.create(max_tokens=5, **CHAT)
    assert isinstance(harness_cause(info.value), ResponseTooLargeError)


def test_huge_headers_stop_the_sdk():
    with serve("huge-headers", max_seconds=20) as server, openai_sdk(server.url) as sdk, \
            pytest.raises(CAPPED) as info:
        sdk.models.list()
    cause = harness_cause(info.value)
    assert isinstance(cause, ResponseTooLargeError)
    assert cause.how == "headers"


def test_sdks_never_follow_a_redirect_off_the_origin():
    with serve("redirect-off-origin", max_seconds=20) as server:
        with openai_sdk(server.url) as sdk, pytest.raises(openai.APIStatusError) as info:
            sdk.chat.completions.create(**CHAT)
        assert info.value.status_code == 307  # the gateway's answer, for the check to judge
        with anthropic_sdk(server.url) as asdk, pytest.raises(anthropic.APIStatusError):
            asdk.messages.create(max_tokens=5, **CHAT)
        http = sdk_http_client(server.url + "/v1")
        with http, pytest.raises(httpx2.TooManyRedirects):
            http.get(server.url + "/v1/models", follow_redirects=True)  # asked: still not
        # A client that does follow, on the same transport: the off-origin hop is refused.
        transport = SdkTransport(server.url, Caps(), 5.0)
        with httpx2.Client(transport=transport, follow_redirects=True) as follower, \
                pytest.raises(OffOriginError):
            follower.get(server.url + "/v1/models")
        assert server.off_origin.requests == 0


def test_an_off_origin_request_is_refused_before_it_is_sent():
    with serve("ok", max_seconds=20) as server, serve("ok", max_seconds=20) as other:
        http = sdk_http_client(server.url + "/v1")
        with http, pytest.raises(OffOriginError):
            http.get(other.url + "/v1/models")
    assert other.requests == 0


@pytest.mark.parametrize("mode", ["stall", "drip", "endless-sse"])
def test_sdk_requests_end_at_the_total_deadline(mode):
    with serve(mode, max_seconds=20, interval=0.2) as server, openai_sdk(server.url) as sdk, \
            pytest.raises(openai.APITimeoutError):
        # The SDK's own 30 s read timeout would restart with every event or byte.
        list(sdk.chat.completions.create(**CHAT, stream=True, timeout=30))


def test_a_good_gateway_still_works_through_the_bounds():
    with serve("ok", max_seconds=20) as server:
        with openai_sdk(server.url) as sdk:
            assert sdk.chat.completions.create(**CHAT).choices[0].message.content == "hello"
            assert len(list(sdk.chat.completions.create(**CHAT, stream=True))) == 3
        with anthropic_sdk(server.url) as asdk:
            assert asdk.messages.create(max_tokens=5, **CHAT).content[0].text == "hello"
