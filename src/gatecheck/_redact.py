"""The one redactor every artefact writer calls: headers, text, URLs and JSON-like values.

Redaction removes secrets, not code: a kept Locust HTML report or a body that quotes
JavaScript must come out byte-identical unless it holds a secret. What is masked (replaced by
``[REDACTED]``):

- every registered secret value, wherever it occurs (exact match, also URL-encoded and
  JSON-escaped, and also when control or zero-width characters were put inside it to hide
  it: then those characters are dropped from the text); values shorter than 4 characters
  are not registered: they would mangle text.
  Registered secrets are the real protection: every key gatecheck sends is registered.
- headers whose name is secret-like: Authorization and Proxy-Authorization (the scheme word
  is kept: ``Bearer [REDACTED]``), x-api-key, api-key and any ``*-key`` (except
  Idempotency-Key), any name containing ``token`` (but not ``tokens``: rate-limit headers
  such as ``x-ratelimit-remaining-tokens`` are evidence), ``secret``, ``password``, cookie
  and set-cookie;
- the same names in credential positions of text: a JSON field (``"api_key": "..."``), a
  header line (``x-api-key: ...``, a space after the colon), a query or form parameter
  (``?api_key=``, ``&key=``, ``token=`` after a space or ``?&;``, and in any URL's query
  whatever precedes the URL: ``NAME=http://h?key=``); a field named exactly
  ``token`` only when its value has 16+ characters, because logprobs use ``"token"`` for
  generated text. Minified code (``e.key=t``, ``{key:e}``, ``password:!0``) is none of these;
- key-shaped strings: provider key prefixes (``sk-``, ``sk-ant-``, ``sk-proj-``, ``gk-``,
  ``gsk_``, ``xai-``, ``hf_``, ``ghp_``, ``AKIA``, …) followed by a random-looking run
  (16+ characters with a digit, or 32+ mixing upper and lower case), JWTs,
  ``Bearer <token>``, and passwords in ``scheme://user:pw@host``;
- long random tokens in a credential position: a run of 32+ ``[A-Za-z0-9_-]`` characters that
  is hex with a digit, or has a 16+ character segment mixing letters and digits, and that
  follows a credential word (key, token, secret, password, auth, bearer, credential) within
  6 words on the same line (``invalid api key provided: 3f9a…``). Anywhere else such a run
  is evidence (request ids, hashes, base64 images), not a credential; UUIDs and known id
  prefixes (``chatcmpl-``, ``msg_``, …) never count.

The prefix of a key-shaped string is kept (``sk-ant-[REDACTED]``) so a reader still sees which
kind of key leaked. Redacting is idempotent and linear in the text's length.
Why not a library: detect-secrets and similar scan files for findings; none rewrite text in
place with stable, documented rules. ``neutralise`` is the other half of making target text
safe to print (gatecheck._terminal: escape codes shown, never emitted).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from gatecheck._terminal import HIDING, for_terminal

__all__ = [
    "REDACTED", "Redactor", "default_redactor", "is_secret_name", "neutralise", "redact_curl",
]

REDACTED = "[REDACTED]"
_MIN_SECRET_LEN = 4

# A name is secret-like when, lower-cased with `-`/`.` read as `_`, it is or ends in `key`
# (api_key, x_api_key, apikey), or contains token (not tokens), secret, password, cookie,
# authorization or credential.
_SECRET_NAME = re.compile(
    r"(?:^|_|api)key$|token(?!s|iz|_?count|_?type|_?usage|_?limit|_?budget)|secret"
    r"|passw(?:or)?d|cookie|authorization|credential"
)
# Keys that name things rather than unlock them.
_NOT_SECRET_SUFFIXES = ("idempotency_key", "cache_key", "partition_key", "sort_key")
_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})

# Scheme words kept in front of a masked credential.
_SCHEME = re.compile(r"^(Bearer|Basic|Digest|Token|Bot)\s+", re.IGNORECASE)

# `"name": "value"` / `'name': 'value'` (JSON-ish).
_QUOTED_PAIR = re.compile(
    r"""(["'])([A-Za-z][\w.-]{0,63})\1(\s*[:=]\s*)(["'])((?:(?!\4)[^\\]|\\.)*)\4"""
)
# `name=value` (a query, form or CLI parameter) and `Name: value` (a header line). The name
# starts the text or follows whitespace, a quote, `?&;` or `-` (`--api-key=`): never `.`, `{`,
# `(` or `,`, which is how code reads (`e.key=t`, `{key:e}`, `(password:!0)`). The header
# form needs a space after the colon; the value never starts with `=` (`key===e`).
_PLAIN_PAIR = re.compile(
    r"(?<![^\s\"'?&;-])([A-Za-z][\w-]{0,63})(=(?!=)|:[ \t]+)"
    # the value swallows a marker an earlier pass left inside it (`sk-[REDACTED]`), so it is
    # masked once, not left as `[REDACTED][REDACTED]`
    r"((?:Bearer|Basic)[ \t]+)?(\$\{\w+\}|[^\s\"'&#,;<>(){}\[\]=][^\s\"'&#,;<>(){}\[\]]*"
    r"(?:\[REDACTED\])?|\[REDACTED\])",
    re.IGNORECASE,
)
# A URL's query (with its `?`), wherever the URL stands: `_PLAIN_PAIR` reads
# `reference=http://h/v1?key=...` or `--base-url=http://...` as one pair named by what comes
# before the URL and never looks inside, so the query's own pairs are found here first. The
# host and path are bounded, which keeps the scan linear on text full of `://`.
_URL_QUERY = re.compile(r"://[^\s\"'<>?#]{0,2048}(\?[^\s\"'<>#]+)")
# `$NAME` / `${NAME}`: a reference to an environment variable (how curl lines name secrets),
# never the secret itself.
_ENV_REF = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
# RFC 3986 userinfo characters only, so code that builds a URL (`"://"+e+":"+t+"@"`) is no URL.
_USERINFO = re.compile(r"(://[\w.~%!$&'()*+,;=-]*:)([\w.~%!$&'()*+,;=-]+)@")
_BEARER = re.compile(r"\b(Bearer[ \t]+)([A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
_KEY_PREFIXED = re.compile(
    r"(?<![A-Za-z0-9_-])("
    r"sk-ant-(?:api\d+-|admin\d+-)?|sk-proj-|sk-svcacct-|sk-or-v\d+-|sk-or-|sk-|pk-|rk-|gk-|"
    r"sk_live_|sk_test_|rk_live_|rk_test_|pk_live_|pk_test_|"
    r"gsk_|xai-|pplx-|hf_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abpors]-|r8_|fw_|"
    r"AIza|AKIA|ASIA"
    r")([A-Za-z0-9_-]{8,})(?![A-Za-z0-9_-])(?!\[REDACTED\])"  # whole run, not yet masked
)
# Lower-case substrings that every match of _KEY_PREFIXED / a secret name contains.
_KEY_HINTS = ("sk-", "pk-", "rk-", "gk-", "sk_", "rk_", "pk_", "gsk_", "xai-", "pplx-", "hf_",
              "ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xox", "r8_", "fw_", "aiza",
              "akia", "asia")
_NAME_HINTS = ("key", "token", "secret", "passw", "cookie", "authoriz", "credential")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
# What makes a position a credential position for a bare token run.
_CREDENTIAL_WORD = re.compile(r"key|token|secret|passw|auth|bearer|credential", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9_-]+")
_WINDOW = 6  # words
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SEPARATORS = re.compile(r"[-_]")
# A UTC stamp in ISO 8601 basic format: what begins every gatecheck run id (20261207T011000Z).
_STAMP = re.compile(r"\d{8}T\d{6}Z")
_ID_PREFIXES = (
    "chatcmpl-", "cmpl-", "msg_", "msgbatch_", "req_", "toolu_", "srvtoolu_", "call_",
    "resp_", "run_", "file-", "batch_", "asst_", "thread_", "gen-", "fp_", "rs_", "fc_",
)


def is_secret_name(name: str) -> bool:
    """Whether a header, field or parameter with this name holds a credential."""
    norm = name.lower().replace("-", "_").replace(".", "_")
    return not norm.endswith(_NOT_SECRET_SUFFIXES) and _SECRET_NAME.search(norm) is not None


def _masks_field(name: str, value: str) -> bool:
    """For JSON fields: whether this field's string value is a credential to mask."""
    if value == REDACTED or not value:
        return False
    if name.lower() == "token":  # logprobs entries: {"token": " Hello", "logprob": -0.1}
        return len(value) >= 16
    return is_secret_name(name)


def _mask_keeping_scheme(value: str) -> str:
    scheme = _SCHEME.match(value)
    return scheme.group(0) + REDACTED if scheme else REDACTED


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _looks_random(run: str) -> bool:
    """Whether a 32+ character token run could be a credential rather than an id or a name."""
    if _UUID.fullmatch(run) or run.startswith(_ID_PREFIXES):
        return False
    if _HEX.fullmatch(run):
        return _has_digit(run) and not run.isdigit()
    # Random base64url keeps long segments mixing letters and digits; identifiers and model
    # names are words (joined by `-`/`_`, or CamelCase) with few digits in a long segment.
    return any(len(segment) >= 16 and _has_digit(segment) and not segment.isdigit()
               and not _STAMP.fullmatch(segment) for segment in _SEPARATORS.split(run))


class Redactor:
    """Masks secrets in everything gatecheck writes. Thread-safe; secrets can be added later."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in secrets:
            self.add_secret(value)

    def add_secret(self, value: str) -> None:
        """Mask this value from now on, also URL-encoded or JSON-escaped (as it appears in a
        query string or an escaped body). Ignored when shorter than 4 characters."""
        # A value inside the marker itself would make redaction grow on every pass.
        if len(value) < _MIN_SECRET_LEN or value in REDACTED or value in self._secrets:
            return
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        with self._lock:
            self._secrets.update(forms)
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest match first
            self._pattern = re.compile("|".join(map(re.escape, ordered)))

    def headers(
        self, headers: Mapping[str, str] | Iterable[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """Header pairs with credential values masked and every other value text-redacted."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        out: list[tuple[str, str]] = []
        for name, value in items:
            lower = name.lower()
            if lower in _AUTH_HEADERS:
                out.append((name, _mask_keeping_scheme(value)))
            elif value and is_secret_name(lower) and not _ENV_REF.fullmatch(value):
                out.append((name, REDACTED))
            else:
                out.append((name, self.text(value)))
        return out

    def text(self, text: str) -> str:
        """Free text (bodies, messages, curl lines) with secrets and key-shaped strings masked."""
        if not text:
            return text
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(REDACTED, text)
            if HIDING.search(text):
                joined = HIDING.sub("", text)
                if pattern.search(joined):  # a secret split by escape codes: drop them
                    text = pattern.sub(REDACTED, joined)
        # Shapes first, then names: masking a shape can only shorten what the name rules see,
        # which keeps a second pass from finding anything new (idempotence).
        # Cheap substring checks skip the regex passes that cannot match (C-speed scans).
        low = text.lower()
        if any(hint in low for hint in _KEY_HINTS):
            text = _KEY_PREFIXED.sub(_key_prefixed, text)
        if "eyj" in low:
            text = _JWT.sub(REDACTED, text)
        if "bearer" in low:
            text = _BEARER.sub(_bearer, text)
        if "://" in text and "@" in text:
            text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
        if any(hint in low for hint in _NAME_HINTS):
            if "://" in text and "?" in text:
                text = _URL_QUERY.sub(_url_query, text)
            text = _QUOTED_PAIR.sub(_quoted_pair, text)
            text = _PLAIN_PAIR.sub(_plain_pair, text)
        # Last: its masks replace one word by one word, so no rule sees anything new on a
        # second pass (the window is counted in words, not characters, for the same reason).
        if len(text) >= 32 and _CREDENTIAL_WORD.search(text):
            text = _mask_token_runs(text)
        return text

    def url(self, url: str) -> str:
        """A URL with userinfo passwords, secret-named query values and keys masked."""
        return self.text(url)

    def obj(self, value: Any) -> Any:
        """A copy of a JSON-like value with secret-named fields masked and strings redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                name = key if isinstance(key, str) else str(key)
                new_key = self.text(key) if isinstance(key, str) else key
                if isinstance(item, str) and _masks_field(name, item):
                    lower = name.lower()
                    out[new_key] = (_mask_keeping_scheme(item)
                                    if lower in ("authorization", "proxy_authorization",
                                                 "proxy-authorization") else REDACTED)
                else:
                    out[new_key] = self.obj(item)
            return out
        if isinstance(value, list):
            return [self.obj(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.obj(item) for item in value)
        return value


def _key_prefixed(m: re.Match[str]) -> str:
    body = m.group(2)
    # Keys are long random runs: 16+ characters with a digit, or 32+ mixing upper and lower
    # case. CSS classes and constants (`sk-circle12`, `ASIAN_LANGUAGES_SUPPORTED`) are not.
    if len(body) >= 16 and (_has_digit(body) or (len(body) >= 32 and not body.isupper()
                                                  and not body.islower())):
        return m.group(1) + REDACTED
    return m.group(0)


def _bearer(m: re.Match[str]) -> str:
    token = m.group(2)
    # "Bearer authentication" is prose; credentials are long or contain digits or symbols.
    if len(token) < 20 and token.isalpha():
        return m.group(0)
    return m.group(1) + REDACTED


def _quoted_pair(m: re.Match[str]) -> str:
    name, value = m.group(2), m.group(5)
    if not _masks_field(name, value):
        return m.group(0)
    masked = _mask_keeping_scheme(value) if name.lower() in _AUTH_HEADERS else REDACTED
    q, vq = m.group(1), m.group(4)
    return f"{q}{name}{q}{m.group(3)}{vq}{masked}{vq}"


def _plain_pair(m: re.Match[str]) -> str:
    name, value = m.group(1), m.group(4)
    if value == REDACTED or not is_secret_name(name) or _ENV_REF.fullmatch(value):
        return m.group(0)
    start = m.start()
    in_prose = m.group(2) != "=" or start == 0 or m.string[start - 1].isspace()
    if in_prose and not m.group(3) and value.isalpha() and len(value) < 20:
        # `name: word` or ` name=word` in prose ("missing-key: the ...", "accepts
        # Authorization: Bearer", "expected key=value"): a credential there is long or has
        # digits or symbols. In a query (`?key=abc`) every value is masked.
        return m.group(0)
    return f"{name}{m.group(2)}{m.group(3) or ''}{REDACTED}"


def _url_query(m: re.Match[str]) -> str:
    query = m.group(1)
    masked = _PLAIN_PAIR.sub(_plain_pair, query)  # its `?` keeps the first pair out of prose
    return m.group(0) if masked == query else m.group(0)[: m.start(1) - m.start()] + masked


def _mask_token_runs(text: str) -> str:
    """Mask random-looking runs that follow a credential word within _WINDOW words (same line).

    Each candidate reads back only as far as its window needs (doubling from 256
    characters), so the cost stays linear in the text, however long its lines.
    """
    out: list[str] = []
    at = 0
    for m in _TOKEN_RUN.finditer(text):
        if not _looks_random(m.group(0)):
            continue
        start = m.start()
        line_start = text.rfind("\n", 0, start) + 1
        reach = 256
        while True:
            lo = max(line_start, start - reach)
            words = _WORD.findall(text, lo, start)
            if len(words) > _WINDOW or lo == line_start:
                break
            reach *= 2
        # With more than _WINDOW words, the first (perhaps cut by the slice) is left out.
        if any(_CREDENTIAL_WORD.search(word) for word in words[-_WINDOW:]):
            out += [text[at:start], REDACTED]
            at = m.end()
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)


# What a gateway sends when its credential variable is unset: JavaScript's String(undefined)
# and String(null), Python's str(None), Go's nil. Compared case-insensitively.
CREDENTIAL_PLACEHOLDERS = frozenset({"undefined", "null", "none", "nil"})
_FINGERPRINT_HEX = 12  # 48 bits: enough to tell keys apart, far too little to recover one


def credential_fingerprint(value: str) -> str:
    """A one-way fingerprint of a credential: ``sha256:`` and the digest's first 12 hex digits.

    What the mock logs for the credential it received, so a check can tell which key a
    gateway forwarded (its own, the client's, a placeholder) without any key being stored or
    shown. The scheme word of an Authorization value is not part of it (``Bearer X`` and an
    ``x-api-key: X`` fingerprint alike).
    """
    digest = hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
    return "sha256:" + digest[:_FINGERPRINT_HEX]


def describe_credential(name: str, value: str) -> dict[str, Any]:
    """The facts about one credential header that are safe to show (never the value).

    ``{"header", "scheme", "fingerprint", "length", "empty", "placeholder"}``: the scheme word
    of an Authorization value (``Bearer``) or None, the token's fingerprint and length, whether
    it is empty, and which placeholder it is (``undefined``, ``null``, ...) if it is one.
    """
    scheme: str | None = None
    token = value.strip()
    if name.lower() in ("authorization", "proxy-authorization"):
        word, _, rest = token.partition(" ")
        scheme, token = (word, rest.strip()) if rest or word.lower() == "bearer" else (None, word)
    placeholder = token if token.lower() in CREDENTIAL_PLACEHOLDERS else None
    return {"header": name.lower(), "scheme": scheme, "fingerprint": credential_fingerprint(token),
            "length": len(token), "empty": not token, "placeholder": placeholder}


_default: Redactor | None = None
_default_lock = threading.Lock()


def default_redactor() -> Redactor:
    """The process-wide redactor; registries add the secrets they resolve from env to it."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Redactor()
    return _default


# A curl names secrets as -H "header: $ENV_NAME" (double-quoted so the shell expands
# them); the header patterns would mask the name too, and a curl that says "[REDACTED]" no
# longer runs. Those arguments, which hold a name and never a value, are set aside around
# the pass.
_ENV_HEADER = re.compile(r'"[A-Za-z0-9-]+: (?:Bearer )?\$[A-Z_][A-Z0-9_]{0,127}"')


def redact_curl(text: str, redactor: Redactor | None = None) -> str:
    """``Redactor.text`` that keeps curl's ``-H "name: $ENV"`` arguments readable."""
    redactor = redactor or default_redactor()
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"GATECHECKENVREF{len(kept) - 1}X"

    clean = redactor.text(_ENV_HEADER.sub(keep, text))
    for index, original in enumerate(kept):
        clean = clean.replace(f"GATECHECKENVREF{index}X", original)
    return clean


def neutralise(text: str) -> str:
    """One console line: every character a terminal could act on shown escaped (``\x1b[2J``),
    newlines included; printable text, any script, kept (gatecheck._terminal.for_terminal)."""
    return for_terminal(text, newlines=False)
