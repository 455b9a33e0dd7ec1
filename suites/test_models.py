"""Models: the OpenAI and Anthropic listings, retrieval and auth (MOD-*)."""

from __future__ import annotations

from gatecheck.checks import auth, cases, check, errors, expect, models, observe
from gatecheck.checks.support import (
    conforms,
    headers_for,
    no_auth,
    require_credentials,
    response_json,
)


def _list(client, headers=None):
    response = client.request("GET", "/v1/models", headers=headers)
    expect(response.status == 200, "GET /v1/models failed", expected="200",
           observed=f"{response.status} {response.text[:160]}", exchange=response.exchange)
    return response, response_json(response, "model list")


@check("MOD-1", level="MUST", category="Models", feature="models",
       title="GET /v1/models is an OpenAI list of models")
def test_mod1_openai_list(client, target, profile, record_exchange):
    response, body = _list(client)
    record_exchange(response.exchange)
    conforms("openai/model-list", body, profile=profile, what="model list",
             exchange=response.exchange)
    observe("models", models.listing(body))
    ids = models.openai_model_list(body, exchange=response.exchange)
    if target.models.listed is not None:
        models.listed_exactly(ids, target.models.listed, exchange=response.exchange)


@check("MOD-2", level="SHOULD", category="Models", feature="model-retrieve",
       title="GET /v1/models/{id} returns the model; an unknown id is a 404 envelope")
def test_mod2_retrieve(client, profile, record_exchange):
    _, body = _list(client)
    with cases() as case:
        for model_id in models.model_ids(body)[:3]:
            one = client.request("GET", f"/v1/models/{model_id}")
            record_exchange(one.exchange)
            with case(model_id):
                expect(one.status == 200, f"GET /v1/models/{model_id} failed", expected="200",
                       observed=f"{one.status} {one.text[:160]}", exchange=one.exchange,
                       cause="models-list")
                model = response_json(one, f"GET /v1/models/{model_id}")
                conforms("openai/model", model, profile=profile, what="model",
                         exchange=one.exchange)
                got = model.get("id") if isinstance(model, dict) else None
                expect(got == model_id, "retrieved model has another id",
                       expected=model_id, observed=repr(got), exchange=one.exchange,
                       cause="models-list")
        missing = client.request("GET", "/v1/models/gatecheck-no-such-model")
        record_exchange(missing.exchange)
        with case("unknown id"):
            errors.status_in(missing, {404}, "unknown model id", cause="unknown-model-status")
            errors.openai_error_envelope(missing)


@check("MOD-3", level="SHOULD", category="Models", feature="models", surface="anthropic",
       title="With anthropic-version, /v1/models is the Anthropic page shape")
def test_mod3_anthropic_list(client, profile, record_exchange):
    response, body = _list(client, headers_for("anthropic"))
    record_exchange(response.exchange)
    observe("models", models.listing(body))
    conforms("anthropic/model-list", body, profile=profile, what="model list",
             exchange=response.exchange)
    models.anthropic_model_list(body, exchange=response.exchange)


@check("MOD-4", level="MUST", category="Models", feature="models",
       title="/v1/models without credentials gets the missing-key status")
def test_mod4_auth(client, target, record_exchange):
    require_credentials(target)
    response = client.request("GET", "/v1/models", auth=no_auth())
    record_exchange(response.exchange)
    auth.credentials_rejected("openai", response, why="models without credentials")


@check("MOD-5", level="SHOULD", category="Models", feature="models",
       title="Model ids are unique and created is in seconds")
def test_mod5_ids_and_seconds(client, record_exchange):
    response, body = _list(client)
    record_exchange(response.exchange)
    models.openai_model_list(body, exchange=response.exchange)
