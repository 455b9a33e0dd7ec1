"""CORS: preflights a browser SDK triggers, actual responses, Vary, caching (CORS-*)."""

from __future__ import annotations

from gatecheck.checks import cases, check, cors, expect
from gatecheck.checks.support import PATHS, body_for, capture_stream, headers_for, no_auth


def _preflight(client, surface, method="POST", path=None):
    return client.request("OPTIONS", path or PATHS[surface], auth=no_auth(),
                          headers=cors.preflight_headers(surface, method))


@check("CORS-1", level="MUST", category="CORS", feature="cors",
       title="Preflight returns an ok status (200-299)")
def test_cors1_preflight_ok(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            response = _preflight(client, surface)
            record_exchange(response.exchange)
            with case(surface):
                cors.preflight_succeeds(response)


@check("CORS-2", level="MUST", category="CORS", feature="cors",
       title="Preflight allows the origin, the method and every SDK header")
def test_cors2_preflight_allows(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            response = _preflight(client, surface)
            record_exchange(response.exchange)
            with case(surface):
                cors.preflight_allows(response, method="POST",
                                      requested=cors.REQUESTED_HEADERS[surface])
        response = _preflight(client, "openai", "GET", "/v1/models")
        record_exchange(response.exchange)
        with case("GET /v1/models"):
            cors.preflight_allows(response, method="GET",
                                  requested=cors.REQUESTED_HEADERS["openai"])


@check("CORS-3", level="MUST", category="CORS", feature="cors",
       title="Preflight is not subject to authentication")
def test_cors3_preflight_unauthenticated(client, target, record_exchange):
    with cases() as case:
        for path in ("/v1/models", *(PATHS[s] for s in target.surfaces)):
            response = _preflight(client, "openai", path=path)
            record_exchange(response.exchange)
            with case(path):
                cors.preflight_succeeds(response)
                cors.response_allows_origin(response, what=f"preflight {path}")


@check("CORS-4", level="MUST", category="CORS", feature="cors",
       title="Actual responses (2xx, 401, 404, streams) carry Access-Control-Allow-Origin")
def test_cors4_actual_responses(client, target, record_exchange):
    origin = {"Origin": cors.ORIGIN}
    with cases() as case:
        for surface in target.surfaces:
            model = target.models.for_surface(surface) or "gatecheck-model"
            body = body_for(surface, model, max_tokens=1)
            ok = client.request("POST", PATHS[surface], json=body,
                                headers=headers_for(surface, origin))
            unauth = client.request("POST", PATHS[surface], json=body, auth=no_auth(),
                                    headers=headers_for(surface, origin))
            missing = client.request("POST", PATHS[surface], headers=headers_for(surface, origin),
                                     json={**body, "model": "gatecheck-no-such-model"})
            for what, response in (("success", ok), ("401", unauth), ("404", missing)):
                record_exchange(response.exchange)
                with case(f"{surface} {what}"):
                    cors.response_allows_origin(response, what=f"{surface} {what}")
            if target.claims("streaming"):
                captured = capture_stream(client, surface, {**body, "stream": True},
                                          headers=origin)
                record_exchange(captured.exchange)
                with case(f"{surface} stream"):
                    cors.response_allows_origin(_Seen(captured), what=f"{surface} stream")


class _Seen:
    def __init__(self, captured):
        self.status, self.headers = captured.status, captured.headers
        self.content, self.exchange = captured.body, captured.exchange


@check("CORS-5", level="MUST", category="CORS", feature="cors",
       title="Allow-Credentials true never pairs with a wildcard origin")
def test_cors5_credentials(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            response = _preflight(client, surface)
            record_exchange(response.exchange)
            with case(surface):
                cors.credentials_not_wildcarded(response)


@check("CORS-6", level="MUST", category="CORS", feature="cors",
       title="Reflected origin / headers come with the matching Vary")
def test_cors6_vary(client, target, record_exchange):
    with cases() as case:
        for surface in target.surfaces:
            response = _preflight(client, surface)
            record_exchange(response.exchange)
            with case(surface):
                cors.vary_covers_reflection(response, requested=cors.REQUESTED_HEADERS[surface])


@check("CORS-7", level="SHOULD", category="CORS", feature="cors",
       title="Expose-Headers lists the request-id and rate-limit headers clients read")
def test_cors7_expose(client, target, chat_model, record_exchange):
    response = client.request("POST", PATHS["openai"], json=body_for("openai", chat_model,
                                                                      max_tokens=1),
                              headers={"Origin": cors.ORIGIN})
    record_exchange(response.exchange)
    names = ["x-request-id", "retry-after"]
    if target.claims("rate-limits"):
        names += ["x-ratelimit-remaining-requests"]
    cors.exposes_headers(response.headers, names, exchange=response.exchange)


@check("CORS-8", level="SHOULD", category="CORS", feature="cors",
       title="Preflight sets Access-Control-Max-Age")
def test_cors8_max_age(client, target, record_exchange):
    response = _preflight(client, next(iter(target.surfaces)))
    record_exchange(response.exchange)
    cors.max_age_set(response)


@check("CORS-9", level="SHOULD", category="CORS", feature="cors",
       title="An unexpected origin never gets a 5xx, and a reflected ACAO comes with Vary")
def test_cors9_other_origin(client, target, record_exchange):
    # The profile declares no origin allow-list, so a gateway that allows every origin passes;
    # what must hold for any gateway: no server error, and caches told the answer varies.
    other = "https://not-allowed.invalid"
    response = client.request("OPTIONS", PATHS[next(iter(target.surfaces))], auth=no_auth(),
                              headers={**cors.preflight_headers("openai"), "Origin": other})
    record_exchange(response.exchange)
    expect(response.status < 500, "an unexpected origin caused a server error",
           expected="2xx or 403", observed=str(response.status), exchange=response.exchange,
           cause="cors-incomplete")
    cors.vary_covers_reflection(response, origin=other)
