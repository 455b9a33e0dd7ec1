"""CORS judges: preflight without auth, allow-lists, actual responses, Vary, caching (CORS-*)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gatecheck import Surface
from gatecheck.checks._common import ResponseLike, excerpt, exchange_of, header
from gatecheck.checks._failures import ExchangeLike, expect, warn

__all__ = [
    "ORIGIN",
    "credentials_not_wildcarded",
    "disallowed_origin_not_allowed",
    "exposes_headers",
    "max_age_set",
    "preflight_allows",
    "preflight_headers",
    "preflight_succeeds",
    "response_allows_origin",
    "vary_covers_reflection",
]

ORIGIN = "https://app.example"
# What openai-node and the Anthropic browser SDK make a browser ask for (checklist 2.CORS).
_STAINLESS = ["x-stainless-arch", "x-stainless-lang", "x-stainless-os",
              "x-stainless-package-version", "x-stainless-retry-count", "x-stainless-runtime",
              "x-stainless-runtime-version", "x-stainless-timeout"]
REQUESTED_HEADERS: dict[Surface, list[str]] = {
    "openai": ["authorization", "content-type", *_STAINLESS],
    "anthropic": ["authorization", "content-type", *_STAINLESS, "x-api-key", "anthropic-version",
                  "anthropic-beta", "anthropic-dangerous-direct-browser-access"],
}


def _tokens(value: str | None) -> set[str]:
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


def preflight_headers(surface: Surface, method: str = "POST",
                      origin: str = ORIGIN) -> dict[str, str]:
    """The headers of the preflight a browser SDK triggers (no credentials, ever)."""
    return {"Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ",".join(REQUESTED_HEADERS[surface])}


def preflight_succeeds(response: ResponseLike) -> None:
    """CORS-1 / CORS-3 / AUTH-7: the credential-less preflight gets an ok status (200-299)."""
    # 404 / 405 to OPTIONS: the gateway has no CORS at all; anything else, CORS done partly
    # (a 401 is preflight coupled to authentication)
    expect(200 <= response.status < 300, "preflight not answered with an ok status",
           expected="200-299 without credentials (browsers never send them on preflight)",
           observed=f"{response.status} {excerpt(response.content, 160)}",
           exchange=exchange_of(response),
           cause="no-cors" if response.status in (404, 405) else "cors-incomplete")


def preflight_allows(response: ResponseLike, *, method: str, requested: Iterable[str],
                     origin: str = ORIGIN) -> None:
    """CORS-2: ACAO covers the origin, ACAM the method, ACAH every requested header."""
    headers, exchange = response.headers, exchange_of(response)
    acao = header(headers, "access-control-allow-origin")
    expect(acao in (origin, "*"), "preflight lacks Access-Control-Allow-Origin for the origin",
           expected=f"{origin} or *", observed=repr(acao), exchange=exchange,
           cause="no-cors" if acao is None else "cors-incomplete")
    methods = _tokens(header(headers, "access-control-allow-methods"))
    expect(method.lower() in methods or "*" in methods, "preflight does not allow the method",
           expected=f"Access-Control-Allow-Methods containing {method}",
           observed=repr(header(headers, "access-control-allow-methods")), exchange=exchange,
           cause="cors-incomplete")
    allowed = _tokens(header(headers, "access-control-allow-headers"))
    # `*` never covers Authorization (Fetch standard), so it must be listed by name.
    missing = [h for h in requested
               if h.lower() not in allowed and ("*" not in allowed or h.lower() == "authorization")]
    expect(not missing, "preflight does not allow every requested header",
           expected="Access-Control-Allow-Headers covering " + ",".join(requested),
           observed=f"missing {missing}; got {header(headers, 'access-control-allow-headers')!r}",
           exchange=exchange, cause="cors-incomplete")


def response_allows_origin(response: ResponseLike, *, what: str, origin: str = ORIGIN) -> None:
    """CORS-4: actual responses (success, errors, streams) carry ACAO too."""
    acao = header(response.headers, "access-control-allow-origin")
    expect(acao in (origin, "*"), f"{what} ({response.status}) lacks Access-Control-Allow-Origin",
           expected=f"{origin} or *", observed=repr(acao), exchange=exchange_of(response),
           cause="cors-incomplete")


def credentials_not_wildcarded(response: ResponseLike) -> None:
    """CORS-5: with Allow-Credentials true, the origin is exact, never `*`."""
    headers = response.headers
    if (header(headers, "access-control-allow-credentials") or "").lower() != "true":
        return
    acao = header(headers, "access-control-allow-origin")
    expect(acao not in (None, "*"), "Allow-Credentials: true with a wildcard origin",
           expected="the exact requesting origin", observed=repr(acao),
           exchange=exchange_of(response), cause="cors-incomplete")


def vary_covers_reflection(response: ResponseLike, *, origin: str = ORIGIN,
                           requested: Iterable[str] = ()) -> None:
    """CORS-6: a reflected origin / reflected request headers come with the matching Vary."""
    headers, exchange = response.headers, exchange_of(response)
    vary = _tokens(header(headers, "vary"))
    if "*" in vary:
        return
    if header(headers, "access-control-allow-origin") == origin:
        expect("origin" in vary, "origin reflected without Vary: Origin",
               expected="Vary: Origin", observed=repr(header(headers, "vary")), exchange=exchange,
               cause="cors-incomplete")
    allowed = _tokens(header(headers, "access-control-allow-headers"))
    requested_set = {h.lower() for h in requested}
    if requested_set and allowed == requested_set:
        expect("access-control-request-headers" in vary,
               "request headers reflected without Vary: Access-Control-Request-Headers",
               expected="Vary: Access-Control-Request-Headers",
               observed=repr(header(headers, "vary")), exchange=exchange, cause="cors-incomplete")


def exposes_headers(headers: Mapping[str, str], names: Iterable[str], *,
                    exchange: ExchangeLike | None = None) -> None:
    """CORS-7: Access-Control-Expose-Headers lists the non-safelisted headers clients read."""
    exposed = _tokens(header(headers, "access-control-expose-headers"))
    missing = [n for n in names if n.lower() not in exposed and "*" not in exposed]
    expect(not missing, "Access-Control-Expose-Headers does not list headers clients read",
           expected="exposed: " + ", ".join(names),
           observed=f"missing {missing}; got "
                    f"{header(headers, 'access-control-expose-headers')!r}", exchange=exchange,
                    cause="cors-incomplete")


def max_age_set(response: ResponseLike) -> None:
    """CORS-8: Access-Control-Max-Age set, so browsers do not preflight every call."""
    value = header(response.headers, "access-control-max-age")
    expect(value is not None and value.strip().isdigit() and int(value) >= 60,
           "preflight lacks a useful Access-Control-Max-Age",
           expected="an integer >= 60 (600-7200 typical)", observed=repr(value),
           exchange=exchange_of(response), cause="cors-incomplete")
    if int(value or 0) > 7200:
        warn(f"Access-Control-Max-Age {value} exceeds Chromium's 7200 s cap",
             exchange=exchange_of(response))


def disallowed_origin_not_allowed(response: ResponseLike, origin: str) -> None:
    """CORS-9: a disallowed origin gets no ACAO for it, and never a 5xx."""
    exchange = exchange_of(response)
    expect(response.status < 500, "disallowed origin answered with a server error",
           expected="2xx or 403, without ACAO", observed=str(response.status), exchange=exchange,
           cause="cors-incomplete")
    acao = header(response.headers, "access-control-allow-origin")
    expect(acao != origin, "a disallowed origin is allowed", expected="no ACAO for it",
           observed=repr(acao), exchange=exchange, cause="cors-incomplete")
