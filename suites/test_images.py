"""Image inputs reach the upstream unmodified and are counted (IMG-*).

The check sends a real PNG (``gatecheck.checks.evidence.PNG_BASE64``) in the form of each
wire: a Chat Completions ``image_url`` data URL, an Anthropic base64 ``image`` block, a
Responses ``input_image``. Gatecheck's mock logs the SHA-256 of the image bytes it received:
they must be the bytes sent, whatever the gateway re-wrapped on the way (a data URL becomes a
base64 source across wires); and the usage must count the image as the upstream did.
"""

from __future__ import annotations

import pytest

from gatecheck.checks import check, evidence, expect, tokens
from gatecheck.checks.evidence import PNG_BASE64
from gatecheck.checks.support import PATHS, body_for, headers_for, nonce, response_json
from gatecheck.protocols.responses.wire import RESPONSES_PATH, message_item, request_body

DATA_URL = f"data:image/png;base64,{PNG_BASE64}"
SENT = [evidence.image_digest(DATA_URL)]


def _logged(mock_log, marker):
    if mock_log is None:  # only the upstream can say what arrived
        pytest.skip("needs gatecheck's mock upstream (its log records the images it got)")
    for entry in reversed(mock_log.entries()):
        if marker in str(entry.get("prompt")):
            return entry
    expect(False, "request not found in the mock's log", expected="a log entry", observed="none")
    return {}


def _judge(client, path, body, surface, marker, mock_log, record_exchange, *, input_key,
           wire=None):
    response = client.request("POST", path, json=body, headers=headers_for(surface),
                              surface=wire or surface)
    record_exchange(response.exchange)
    expect(response.status == 200, "a request with an image part failed", expected="200",
           observed=f"{response.status} {response.text[:200]}", exchange=response.exchange)
    entry = _logged(mock_log, marker)
    evidence.images_arrived(SENT, entry.get("images"), exchange=response.exchange)
    usage = response_json(response, "response").get("usage") or {}
    reported = usage.get(input_key)
    if input_key == "input_tokens" and surface == "anthropic":
        reported = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_read_input_tokens",
                                                   "cache_creation_input_tokens"))
    tokens.usage_matches({"input": reported}, {"input": (entry.get("usage") or {}).get(
        "input_tokens")}, ("input",), "the image counted as the upstream counted it",
        exchange=response.exchange)


@check("IMG-1", level="MUST", category="Completions", surface="openai", feature="images",
       title="A Chat Completions image_url part reaches the upstream unmodified")
def test_img1_openai(client, chat_model, mock_log, record_exchange):
    marker = nonce()
    content = [{"type": "text", "text": f"Describe this image. {marker}"},
               {"type": "image_url", "image_url": {"url": DATA_URL}}]
    body = body_for("openai", chat_model, messages=[{"role": "user", "content": content}])
    _judge(client, PATHS["openai"], body, "openai", marker, mock_log, record_exchange,
           input_key="prompt_tokens")


@check("IMG-2", level="MUST", category="Completions", surface="anthropic", feature="images",
       title="An Anthropic base64 image block reaches the upstream unmodified")
def test_img2_anthropic(client, chat_model, mock_log, record_exchange):
    marker = nonce()
    content = [{"type": "text", "text": f"Describe this image. {marker}"},
               {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                            "data": PNG_BASE64}}]
    body = body_for("anthropic", chat_model, messages=[{"role": "user", "content": content}])
    _judge(client, PATHS["anthropic"], body, "anthropic", marker, mock_log, record_exchange,
           input_key="input_tokens")


@check("IMG-3", level="MUST", category="Completions", surface="openai", feature="images",
       title="A Responses input_image part reaches the upstream unmodified")
def test_img3_responses(client, target, chat_model, mock_log, record_exchange):
    if not target.claims("responses"):
        pytest.skip(f"target {target.name!r} does not claim responses")
    marker = nonce()
    content = [{"type": "input_text", "text": f"Describe this image. {marker}"},
               {"type": "input_image", "image_url": DATA_URL}]
    body = request_body(chat_model, items=[message_item("user", content)])
    _judge(client, "/v1" + RESPONSES_PATH, body, "openai", marker, mock_log, record_exchange,
           input_key="input_tokens", wire="responses")
