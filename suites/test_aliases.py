"""Aliases: routing, the model echo policy, unknown models, /v1/models <-> usable (ALIAS-*)."""

from __future__ import annotations

from gatecheck.checks import aliases, cases, check, errors, expect, inconclusive, models
from gatecheck.checks import anthropic as ac
from gatecheck.checks import openai as oc
from gatecheck.checks.support import (
    PATHS,
    body_for,
    capture_stream,
    directive,
    headers_for,
    response_json,
)

# What the profile's unknown-model policy means for the status a client sees.


def _echo(observed, alias, target, where, exchange):
    aliases.model_echo_follows_policy(observed, requested=alias, resolved=target.aliases[alias],
                                      policy=target.quirks.model_echo, where=where,
                                      exchange=exchange)


@check("ALIAS-1", level="MUST", category="Aliases", feature="aliases",
       title="Every configured alias is accepted on every surface and routes to its target")
def test_alias1_routing(client, target, record_exchange):
    header = target.models.resolved_header
    with cases() as case:
        for alias, resolved in target.aliases.items():
            for surface in target.surfaces:
                response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                          json=body_for(surface, alias, max_tokens=1))
                record_exchange(response.exchange)
                with case(f"{alias} on {surface}"):
                    expect(response.status == 200, f"alias {alias!r} refused on {surface}",
                           expected="200", observed=f"{response.status} {response.text[:160]}",
                           exchange=response.exchange)
                    if header:
                        seen = response.headers.get(header)
                        expect(seen in (resolved, resolved.rsplit("/", 1)[-1]),
                               f"alias {alias!r} routed elsewhere", expected=resolved,
                               observed=f"{header}: {seen!r}", exchange=response.exchange)


def _echoes(client, target, alias, unjudged):
    """(where, model, exchange) of every answer to `alias` that has a model to judge.

    A failed request has none: it goes to `unjudged` (whether an alias routes is ALIAS-1's).
    """
    for surface in ("openai", "anthropic"):
        if not target.has_surface(surface):
            continue
        name = "completion body" if surface == "openai" else "message body"
        response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                  json=body_for(surface, alias, max_tokens=2))
        if response.status != 200:
            unjudged.append(f"{alias} on {surface}: {response.status}")
        else:
            yield name, response_json(response, name).get("model"), response.exchange
        if not target.claims("streaming"):
            continue
        captured = capture_stream(client, surface, body_for(surface, alias, max_tokens=2,
                                                            stream=True))
        if captured.status != 200 or not captured.events:
            unjudged.append(f"{alias} stream on {surface}: {captured.status}")
        elif surface == "openai":
            for n, chunk in enumerate(oc.read_openai_stream(captured.events).chunks):
                yield f"chunk {n}", chunk.get("model"), captured.exchange
        else:
            starts = ac.read_anthropic_stream(captured.events).of_type("message_start")
            for start in starts:
                yield "message_start", (start.get("message") or {}).get("model"), \
                    captured.exchange


@check("ALIAS-2", level="SHOULD", category="Aliases", feature="aliases",
       title="Response model follows one policy in bodies, every chunk and message_start")
def test_alias2_echo(client, target, record_exchange):
    unjudged: list[str] = []
    judged = 0
    with cases() as case:
        for alias in target.aliases:
            for where, model, exchange in _echoes(client, target, alias, unjudged):
                record_exchange(exchange)
                judged += 1
                with case(f"{alias} {where}"):
                    _echo(model, alias, target, where, exchange)
        if not judged:
            inconclusive("no alias request succeeded, so no echoed model to judge "
                         f"({'; '.join(unjudged)}); ALIAS-1 judges the routing")


@check("ALIAS-3", level="MUST", category="Aliases",
       title="An unknown model is a 404 not-found error on every surface")
def test_alias3_unknown_model(client, target, record_exchange):
    wanted = 404  # checklist ALIAS-3: not 400/500/200, whatever the profile says
    with cases() as case:
        for surface in target.surfaces:
            response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                      json=body_for(surface, "gatecheck-no-such-model",
                                                    max_tokens=1))
            record_exchange(response.exchange)
            with case(surface):
                errors.status_in(response, {wanted}, f"unknown model on {surface}",
                                 cause="unknown-model-status")
                error = errors.error_object(response)
                if surface == "openai":
                    expect(error.get("code") == "model_not_found",
                           "404 code is not model_not_found",
                           expected='code "model_not_found"', observed=repr(error.get("code")),
                           exchange=response.exchange, cause="unknown-model-status")
                else:
                    errors.status_matches_type(surface, response, error)


@check("ALIAS-4", level="SHOULD", category="Aliases", feature="models",
       title="Every listed model is usable and every alias is listed")
def test_alias4_listed_usable(client, target, record_exchange):
    listing = client.request("GET", "/v1/models")
    record_exchange(listing.exchange)
    ids = models.model_ids(response_json(listing, "model list"))
    aliases.aliases_are_listed(ids, target.aliases, exchange=listing.exchange)
    surface = "openai" if target.has_surface("openai") else "anthropic"
    statuses = {}
    for model_id in ids[:20]:
        response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                  json=body_for(surface, model_id, max_tokens=1))
        record_exchange(response.exchange)
        statuses[model_id] = response.status
    aliases.listed_models_are_usable(statuses, exchange=listing.exchange)


@check("ALIAS-5", level="SHOULD", category="Aliases", feature="count-tokens",
       surface="anthropic",
       title="404s from count_tokens do not make the model unavailable for messages")
def test_alias5_aux_404(client, target, chat_model, record_exchange):
    for _ in range(6):
        upstream = target.claims("mock-upstream")
        body = body_for("anthropic", chat_model,
                        mock=directive(fault=404) if upstream else None)
        body = {k: v for k, v in body.items() if k != "max_tokens"}
        if not upstream:
            body["model"] = "gatecheck-no-such-model"
        counted = client.request("POST", "/v1/messages/count_tokens", json=body,
                                 headers=headers_for("anthropic"))
        record_exchange(counted.exchange)
    response = client.request("POST", PATHS["anthropic"], headers=headers_for("anthropic"),
                              json=body_for("anthropic", chat_model, max_tokens=1))
    record_exchange(response.exchange)
    expect(response.status == 200, "the model became unavailable after count_tokens 404s",
           expected="200", observed=f"{response.status} {response.text[:160]}",
           exchange=response.exchange)
    response_json(response, "the answer after them")  # a 200 page is not the model's answer


@check("ALIAS-5", level="SHOULD", category="Aliases", feature="mock-upstream",
       title="Upstream 4xx answers (client errors) do not make the model unavailable")
def test_alias5_client_errors_do_not_trip(client, target, record_exchange):
    # Seed: claude-proxy's breaker counted upstream 400/404 as failures, so a few bad client
    # requests cut every client off.
    surface = "openai" if target.has_surface("openai") else "anthropic"
    model = target.models.for_surface(surface) or "gatecheck-model"
    breaker = target.quirks.circuit_breaker
    for _ in range((breaker.failures if breaker and breaker.failures else 5) + 1):
        response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                                  json=body_for(surface, model, mock=directive(fault=400)))
        record_exchange(response.exchange)
    response = client.request("POST", PATHS[surface], headers=headers_for(surface),
                              json=body_for(surface, model, max_tokens=1))
    record_exchange(response.exchange)
    expect(response.status == 200, "the model became unavailable after upstream 400s",
           expected="200", observed=f"{response.status} {response.text[:160]}",
           exchange=response.exchange)
    response_json(response, "the answer after them")  # a 200 page is not the model's answer
