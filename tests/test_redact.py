"""The redactor: canary secrets planted everywhere must not survive; ordinary text must."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecheck import REDACTED, Redactor, default_redactor, is_secret_name, neutralise

CANARY = "canary-Secret-9f8e7d6c5b4a"  # registered: matched exactly, wherever it appears
OPENAI_KEY = "sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx"
ANTHROPIC_KEY = "sk-ant-" "api03-ZyXwVu9876543210-TsRqPoNmLkJi"  # split: a fake key
HEX_TOKEN = "3f9a2c4e8b7d6a5f1e0c9b8a7d6e5f4a3b2c1d0e"
B64_TOKEN = "Qm9yZWRPZlRoaXNZZXQ_xK29sLmNvbTpwYXNzd29yZA"
UNREGISTERED = (OPENAI_KEY, ANTHROPIC_KEY, HEX_TOKEN, B64_TOKEN)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([CANARY])


def assert_clean(text: str) -> None:
    for secret in (CANARY, *UNREGISTERED):
        assert secret not in text
        assert secret[-12:] not in text  # no tail of a key survives either


def test_headers_mask_credentials_and_keep_the_scheme(redactor):
    out = dict(redactor.headers([
        ("Authorization", f"Bearer {OPENAI_KEY}"),
        ("Proxy-Authorization", f"Basic {CANARY}"),
        ("x-api-key", ANTHROPIC_KEY),
        ("X-Portkey-Virtual-Key", "vk-abc"),
        ("X-Auth-Token", "t0k3n"),
        ("Cookie", "session=abc"),
        ("Set-Cookie", "id=1; HttpOnly"),
        ("X-Custom", f"prefix {CANARY} suffix"),
        ("x-ratelimit-remaining-tokens", "9000"),
        ("Idempotency-Key", "retry-1"),
        ("content-type", "application/json"),
    ]))
    assert out["Authorization"] == "Bearer [REDACTED]"
    assert out["Proxy-Authorization"] == "Basic [REDACTED]"
    assert out["x-api-key"] == REDACTED
    assert out["X-Portkey-Virtual-Key"] == REDACTED
    assert out["X-Auth-Token"] == REDACTED
    assert out["Cookie"] == REDACTED
    assert out["Set-Cookie"] == REDACTED
    assert out["X-Custom"] == "prefix [REDACTED] suffix"
    assert out["x-ratelimit-remaining-tokens"] == "9000"
    assert out["Idempotency-Key"] == "retry-1"
    assert out["content-type"] == "application/json"


def test_headers_accept_a_mapping(redactor):
    assert redactor.headers({"Authorization": "token123"}) == [("Authorization", REDACTED)]


@pytest.mark.parametrize("secret", UNREGISTERED)
def test_key_shaped_strings_in_text(redactor, secret):
    text = f"upstream said: invalid key {secret}, try again"
    out = redactor.text(text)
    assert_clean(out)
    assert out.startswith("upstream said: invalid key ")
    assert out.endswith(", try again")


def test_key_prefix_is_kept_for_the_reader(redactor):
    assert redactor.text(ANTHROPIC_KEY) == "sk-ant-api03-[REDACTED]"
    assert redactor.text(OPENAI_KEY) == "sk-proj-[REDACTED]"
    assert redactor.text("gsk_abcdefgh12345678") == "gsk_[REDACTED]"


def test_registered_secret_inside_longer_strings(redactor):
    assert redactor.text(f"x{CANARY}y") == f"x{REDACTED}y"
    redactor.add_secret("plainword")
    assert redactor.text("a plainword in prose") == "a [REDACTED] in prose"


def test_encoded_forms_of_a_secret_are_masked():
    secret = 'p@ss/w+rd"quoted"'
    r = Redactor([secret])
    assert r.text("q=p%40ss%2Fw%2Brd%22quoted%22&x=1") == "q=[REDACTED]&x=1"
    assert r.text(json.dumps({"s": secret})) == '{"s": "[REDACTED]"}'


def test_short_secrets_are_not_registered():
    r = Redactor(["abc", "EDAC"])  # "EDAC" is inside the marker: would grow on every pass
    assert r.text("abc") == "abc"
    assert r.text(r.text("x EDAC y")) == r.text("x EDAC y")


def test_bearer_in_text(redactor):
    assert redactor.text("curl -H 'Authorization: Bearer abc.def-123'") == (
        "curl -H 'Authorization: Bearer [REDACTED]'")
    assert redactor.text("send a bearer token please") == "send a bearer token please"
    assert redactor.text("Bearer authentication failed") == "Bearer authentication failed"


def test_query_values_and_userinfo_in_urls(redactor):
    url = (f"https://user:{CANARY}@gw.example/v1/x?api_key={HEX_TOKEN}&key=k1&token=t1"
           "&max_tokens=50&model=gpt-4o")
    out = redactor.url(url)
    assert_clean(out)
    assert out == ("https://user:[REDACTED]@gw.example/v1/x?api_key=[REDACTED]&key=[REDACTED]"
                   "&token=[REDACTED]&max_tokens=50&model=gpt-4o")


def test_query_values_without_userinfo(redactor):
    assert redactor.url("http://gw.test/v1/chat?api_key=q123&x=1") == (
        "http://gw.test/v1/chat?api_key=[REDACTED]&x=1")
    assert redactor.text("see http://h/p?token=abc.") == "see http://h/p?token=[REDACTED]"


@pytest.mark.parametrize("prefix", ["reference=", "--base-url=", "=", "(", '"', "'", "x: ",
                                    "reference='"])
def test_a_query_is_masked_whatever_stands_before_the_url(prefix):
    # `NAME=URL` once read as one pair named NAME: the query inside was never looked at
    for scheme, name in (("http", "key"), ("gopher", "token"), ("https", "api_key")):
        text = f"{prefix}{scheme}://h/v1?{name}=hunter2pass&model=m"
        out = Redactor().text(text)
        assert out == f"{prefix}{scheme}://h/v1?{name}=[REDACTED]&model=m"
        assert Redactor().text(out) == out


def test_json_text_fields(redactor):
    body = json.dumps({"api_key": "short1", "password": "hunter2", "model": "m",
                       "nested": {"client_secret": "s3"}, "max_tokens": 10})
    out = redactor.text(body)
    assert json.loads(out) == {"api_key": REDACTED, "password": REDACTED, "model": "m",
                               "nested": {"client_secret": REDACTED}, "max_tokens": 10}


def test_obj_masks_nested_fields_and_values(redactor):
    value = {
        "model": "gpt-4o",
        "headers": {"Authorization": f"Bearer {CANARY}", "x-api-key": "abc123"},
        "messages": [{"role": "user", "content": f"my key is {OPENAI_KEY}"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7},
        "logprobs": {"content": [{"token": " Hello", "logprob": -0.1}]},
        "auth": {"token": B64_TOKEN, "refresh_token": "r"},
        "tuple": ("x", f"api key {HEX_TOKEN}"),
        3: "non-str key",
    }
    out = redactor.obj(value)
    assert_clean(json.dumps(out, default=str))
    assert out["headers"] == {"Authorization": "Bearer [REDACTED]", "x-api-key": REDACTED}
    assert out["usage"] == {"prompt_tokens": 5, "completion_tokens": 7}
    assert out["logprobs"]["content"][0]["token"] == " Hello"
    assert out["auth"] == {"token": REDACTED, "refresh_token": REDACTED}
    assert out["messages"][0]["content"] == "my key is sk-proj-[REDACTED]"
    assert out[3] == "non-str key"
    assert value["auth"]["token"] == B64_TOKEN  # the input is not modified


def test_curl_lines_are_clean(redactor):
    curl = (f"curl -sS -X POST 'http://127.0.0.1:8/v1/chat?key={CANARY}' "
            f"-H 'x-api-key: {ANTHROPIC_KEY}' -H 'Authorization: Bearer {HEX_TOKEN}' "
            f"--data-raw '{{\"api_key\": \"{B64_TOKEN}\"}}'")
    assert_clean(redactor.text(curl))


ORDINARY = [
    "chatcmpl-9xQ2bZ8kLmN3pR7sT1vW4yA6cE0gHjKl",
    "msg_01XFDUDYJgAACzvnptvVoYEL",
    "req_011CPXyZabc123DEF456ghi789JKLmno",
    "550e8400-e29b-41d4-a716-446655440000",
    "test_streaming_chunks_are_well_formed_and_bounded",
    "claude-3-5-sonnet-20241022-v2-extended-thinking-preview",
    "TestStreamingChunksAreWellFormedAndBounded",
    "The quick brown fox: a sketch. Keys: none. max_tokens=100 tokens=5",
    "data: {\"choices\": [{\"delta\": {\"content\": \"Hello\"}}]}",
    "http://127.0.0.1:8900/v1/chat/completions?stream=true",
    "skeleton sk-learn pk-3 monkey=2 x-ratelimit-limit-tokens: 100",
    "prompt_tokens=12, completion_tokens=30, total_tokens=42",
    "temperature: 0.7, top_p: 1",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_untouched(redactor, text):
    assert redactor.text(text) == text


@pytest.mark.parametrize("text", [
    *ORDINARY,
    f"Authorization: Bearer {OPENAI_KEY} x-api-key: {ANTHROPIC_KEY} {HEX_TOKEN} {B64_TOKEN}",
    f"https://u:{CANARY}@h/?api_key=zz&token={CANARY}",
    json.dumps({"api_key": CANARY, "token": B64_TOKEN}),
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
])
def test_redaction_is_idempotent(redactor, text):
    once = redactor.text(text)
    assert redactor.text(once) == once
    assert_clean(once)


def test_jwt_is_masked(redactor):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
    assert redactor.text(f"token {jwt} end") == "token [REDACTED] end"


@pytest.mark.parametrize(("name", "secret"), [
    ("Authorization", True), ("x-api-key", True), ("api-key", True), ("X-Goog-Api-Key", True),
    ("apikey", True), ("x-auth-token", True), ("access_token", True), ("Cookie", True),
    ("set-cookie", True), ("client_secret", True), ("password", True),
    ("max_tokens", False), ("x-ratelimit-remaining-tokens", False), ("idempotency-key", False),
    ("token_count", False), ("monkey", False), ("content-type", False), ("keys", False),
])
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_default_redactor_is_shared():
    assert default_redactor() is default_redactor()


_pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from([CANARY, *UNREGISTERED, "Bearer ", "Authorization: ", "?api_key=", "&",
                     '"api_key": "', '"', "://u:", "@", " ", "=", ":", "[REDACTED]", "-", "_"]),
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(_pieces, max_size=12).map("".join))
def test_redaction_is_idempotent_on_any_text(text):
    redactor = Redactor([CANARY])
    once = redactor.text(text)
    assert redactor.text(once) == once
    assert CANARY not in once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a key after a scheme is masked once, not left as two markers
        ("Authorization: Bearer sk-" "abcdefghijklmnopqrstuvwxyz123456",
         "Authorization: Bearer [REDACTED]"),
        # environment-variable references name a secret, they are not one (curl lines)
        ('curl -H "x-api-key: $ANTHROPIC_API_KEY"', 'curl -H "x-api-key: $ANTHROPIC_API_KEY"'),
        ("Authorization: Bearer ${GATECHECK_API_KEY}",
         "Authorization: Bearer ${GATECHECK_API_KEY}"),
        # prose that happens to look like a header line
        ("missing-key: the request had no key", "missing-key: the request had no key"),
        ("accepts Authorization: Bearer", "accepts Authorization: Bearer"),
        ("expected key=value, got 'after'", "expected key=value, got 'after'"),
        # a run id beside a gateway whose name ends in "key" (Portkey) is a path, not a key
        ("reports/interop/20261207T010500Z-portkey/perf/20261207T011000Z-portkey-stream-20",
         "reports/interop/20261207T010500Z-portkey/perf/20261207T011000Z-portkey-stream-20"),
        # while a random run after the same word still is one
        ("portkey 20261207T011000Z-a8Fk2mQ9xZ7pL4vR1tY6wN3b",
         "portkey [REDACTED]"),
        # but short credentials with digits, and every query value, are still masked
        ("x-api-key: hunter2", "x-api-key: [REDACTED]"),
        ("http://u:pw12345@127.0.0.1/?key=abc", "http://u:[REDACTED]@127.0.0.1/?key=[REDACTED]"),
    ],
)
def test_text_masks_credentials_not_prose_or_env_names(text, expected):
    redactor = Redactor()
    assert redactor.text(text) == expected
    assert redactor.text(expected) == expected


def test_header_holding_an_env_reference_is_kept():
    assert Redactor().headers([("x-api-key", "$MY_KEY"), ("x-api-key", "k3y-value")]) == [
        ("x-api-key", "$MY_KEY"), ("x-api-key", "[REDACTED]"),
    ]


# -- precision: secrets out, code untouched ---------------------------------------------------

def _locust_assets() -> list:
    import importlib.util
    from pathlib import Path

    # Found, not imported: importing locust monkey-patches the whole process for gevent.
    spec = importlib.util.find_spec("locust")
    assert spec is not None
    assert spec.submodule_search_locations
    dist = Path(spec.submodule_search_locations[0]) / "webui" / "dist"
    files = sorted(dist.glob("assets/*.js")) + sorted(dist.glob("*.html"))
    assert files, f"no Locust web UI assets under {dist}"
    return files


def test_locust_minified_javascript_is_left_byte_identical():
    # The kept Locust report inlines this bundle: one changed identifier blanks the page.
    redactor = Redactor([CANARY, "sk-hostile-0123456789abcdef", "gk-admin-feedc0de12345678"])
    for path in _locust_assets():
        source = path.read_text(encoding="utf-8")
        assert redactor.text(source) == source, path.name


def test_a_secret_planted_in_minified_javascript_is_the_only_change():
    path = next(p for p in _locust_assets() if p.suffix == ".js")
    source = path.read_text(encoding="utf-8")
    at = len(source) // 2
    planted = source[:at] + CANARY + source[at:]
    assert Redactor([CANARY]).text(planted) == source[:at] + REDACTED + source[at:]


@pytest.mark.parametrize("code", [
    "e.unstable_getCurrentPriorityLevel=function(){return f}",
    "xe=t.unstable_getCurrentPriorityLevel,Se=t.unstable_ImmediatePriority",
    "return{$$typeof:a,key:r==null?null:``+r,children:e}",
    "if(r.key===l){if(l=o.type,l===y)",
    "{email:!0,month:!0,number:!0,password:!0,range:!0}",
    "typeof t.UNSAFE_componentWillReceiveProps==`function`",
    "this.key=e.key,this.token=e.token,this.nonce=e.nonce",
    'var u="://"+e+":"+t+"@"+n',
    "url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8KeyTokenAuth9hAAAA)",
    'class="sk-fading-circle sk-circle12" ASIAN_LANGUAGES_SUPPORTED_BY_DEFAULT',
    "x-request-id: 3f9a2c4e8b7d6a5f1e0c9b8a7d6e5f4a3b2c1d0e",
    "commit 3f9a2c4e8b7d6a5f1e0c9b8a7d6e5f4a3b2c1d0e, sha256 " + "ab12" * 16,
])
def test_code_and_evidence_are_not_secrets(code):
    assert Redactor().text(code) == code


GATEWAY_KEY = "gk-" "0a1b2c3d4e5f6a7b8c9d0e1f"
SHAPES = [
    ("openai", f"key sk-{'Ab3' * 16}", "key sk-[REDACTED]"),
    ("openai project", f"{OPENAI_KEY}", "sk-proj-[REDACTED]"),
    ("anthropic", f"{ANTHROPIC_KEY}!", "sk-ant-api03-[REDACTED]!"),
    ("gateway", f"minted {GATEWAY_KEY}", "minted gk-[REDACTED]"),
    ("groq", "gsk_" "abcdefgh12345678", "gsk_[REDACTED]"),
    ("xai", "xai-" "Qw3rTy" * 5, "xai-[REDACTED]"),
    ("hugging face", "hf_" "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "hf_[REDACTED]"),
    ("github", "ghp_" "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "ghp_[REDACTED]"),
    ("aws", "AKIA" "IOSFODNN7EXAMPLE", "AKIA[REDACTED]"),
    ("google", "AIza" "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIza[REDACTED]"),
    ("jwt", "t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
     "t [REDACTED]"),
    ("bearer", "Authorization: Bearer abc.def-123456", "Authorization: Bearer [REDACTED]"),
    ("userinfo", "https://bob:hunter2x@gw.example/v1", "https://bob:[REDACTED]@gw.example/v1"),
    ("query", "GET /v1/models?key=AbC123xyz&model=m", "GET /v1/models?key=[REDACTED]&model=m"),
    ("query api_key", "?api_key=abc&x=1", "?api_key=[REDACTED]&x=1"),
    ("cli flag", "gatecheck --api-key=abc123", "gatecheck --api-key=[REDACTED]"),
    ("json field", '{"api_key": "short1"}', '{"api_key": "[REDACTED]"}'),
    ("header line", "x-api-key: hunter2", "x-api-key: [REDACTED]"),
    ("echoed headers", "you sent authorization: Bearer tok3n-abcdefgh; x-api-key: k3y-value1",
     "you sent authorization: Bearer [REDACTED]; x-api-key: [REDACTED]"),
    ("hex after key", f"Incorrect API key provided: {HEX_TOKEN}.",
     "Incorrect API key provided: [REDACTED]."),
    ("base64 after token", f"token rejected: {B64_TOKEN}", "token rejected: [REDACTED]"),
]


@pytest.mark.parametrize(("text", "expected"), [s[1:] for s in SHAPES],
                         ids=[s[0] for s in SHAPES])
def test_every_secret_shape_is_removed(text, expected):
    redactor = Redactor()
    assert redactor.text(text) == expected
    assert redactor.text(expected) == expected


def test_a_registered_secret_split_by_escape_codes_is_still_removed():
    secret = "sk-live-canary-0123456789"
    hidden = "key sk-live-\x1b[0mcanary-01\x1b]0;title\x0723\u200b456789 end"
    out = Redactor([secret]).text(hidden)
    assert out == "key [REDACTED] end"
    assert Redactor([secret]).text("plain \x1b[31mred\x1b[0m") == "plain \x1b[31mred\x1b[0m"


def test_a_console_line_is_redacted_then_neutralised():
    out = neutralise(Redactor([CANARY]).text(f"\x1b[2J{CANARY}\x07\nnext"))
    assert out == "\\x1b[2J[REDACTED]\\x07\\nnext"
