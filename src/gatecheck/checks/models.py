"""Model-list judges: OpenAI and Anthropic listings, retrieval, id uniqueness (MOD-*)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatecheck.checks._common import as_object, excerpt
from gatecheck.checks._failures import ExchangeLike, expect

__all__ = [
    "LISTING_KEPT", "anthropic_model_list", "listed_exactly", "listing", "model_ids",
    "openai_model", "openai_model_list",
]

_MAX_SECONDS = 10**11  # larger `created` values are milliseconds


def openai_model(item: Any, *, exchange: ExchangeLike | None = None) -> dict[str, Any]:
    """MOD-1 / MOD-2 / MOD-5: {"id": str, "object": "model", "created": int s, "owned_by": str}."""
    model = as_object(item, "model entry is not an object",
                      expected='{"id", "object": "model", "created", "owned_by"}',
                      exchange=exchange)
    created = model.get("created")
    expect(isinstance(model.get("id"), str) and bool(model.get("id"))
           and model.get("object") == "model" and isinstance(model.get("owned_by"), str),
           "model entry lacks id / object \"model\" / owned_by",
           expected='{"id": str, "object": "model", "owned_by": str}', observed=excerpt(model),
           exchange=exchange)
    expect(isinstance(created, int) and not isinstance(created, bool)
           and 0 <= created < _MAX_SECONDS, "model `created` is not Unix seconds",
           expected="integer seconds >= 0 (not milliseconds)", observed=repr(created),
           exchange=exchange)
    return model


def openai_model_list(body: Any, *, exchange: ExchangeLike | None = None) -> list[str]:
    """MOD-1 / MOD-5: {"object": "list", "data": [Model...]} with unique ids; returns the ids."""
    listing = as_object(body, "model list is not an object",
                        expected='{"object": "list", "data": [...]}', exchange=exchange)
    data = listing.get("data")
    expect(listing.get("object") == "list" and isinstance(data, list),
           "model list lacks object \"list\" / data []",
           expected='{"object": "list", "data": [...]}', observed=excerpt(listing),
           exchange=exchange)
    ids = [openai_model(item, exchange=exchange)["id"] for item in data or []]
    expect(len(ids) == len(set(ids)), "model ids are not unique", expected="unique ids",
           observed=", ".join(sorted(i for i in set(ids) if ids.count(i) > 1)), exchange=exchange)
    return ids


def anthropic_model_list(body: Any, *, exchange: ExchangeLike | None = None) -> list[str]:
    """MOD-3: {"data": [{type "model", id, display_name, created_at RFC 3339}], has_more,
    first_id, last_id}; returns the ids."""
    listing = as_object(body, "model list is not an object",
                        expected='{"data": [...], "has_more", "first_id", "last_id"}',
                        exchange=exchange)
    data = listing.get("data")
    expect(isinstance(data, list) and isinstance(listing.get("has_more"), bool)
           and "first_id" in listing and "last_id" in listing,
           "Anthropic model list lacks data / has_more / first_id / last_id",
           expected='{"data": [...], "has_more": bool, "first_id", "last_id"}',
           observed=excerpt(listing), exchange=exchange)
    ids: list[str] = []
    for item in data or []:
        model = as_object(item, "model entry is not an object", expected="a ModelInfo",
                          exchange=exchange)
        created = model.get("created_at")
        valid_time = isinstance(created, str)
        if valid_time:
            try:
                datetime.fromisoformat(str(created).replace("Z", "+00:00"))
            except ValueError:
                valid_time = False
        expect(model.get("type") == "model" and isinstance(model.get("id"), str)
               and isinstance(model.get("display_name"), str) and valid_time,
               "ModelInfo lacks type \"model\" / id / display_name / RFC 3339 created_at",
               expected='{"type": "model", "id", "display_name", "created_at": RFC 3339}',
               observed=excerpt(model), exchange=exchange)
        ids.append(model["id"])
    expect(len(ids) == len(set(ids)), "model ids are not unique", expected="unique ids",
           observed=", ".join(ids), exchange=exchange)
    if ids:
        expect(listing.get("first_id") == ids[0] and listing.get("last_id") == ids[-1],
               "first_id / last_id do not name the first and last entries",
               expected=f"first_id={ids[0]!r} last_id={ids[-1]!r}",
               observed=f"first_id={listing.get('first_id')!r} "
                        f"last_id={listing.get('last_id')!r}", exchange=exchange)
    return ids


def model_ids(body: Any) -> list[str]:
    """The ids a listing names, leniently (its shape is MOD-1's business)."""
    data = body.get("data") if isinstance(body, dict) else None
    return [m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]


LISTING_KEPT = 500  # ids an observation keeps; a hostile listing can name a million


def listing(body: Any) -> dict[str, Any]:
    """The ids a listing names, for the report: the first LISTING_KEPT and how many in all."""
    ids = model_ids(body)
    return {"ids": ids[:LISTING_KEPT], "count": len(ids)}


def listed_exactly(ids: list[str], expected: tuple[str, ...], *,
                   exchange: ExchangeLike | None = None) -> None:
    """The profile's `models.listed`: /v1/models lists exactly these ids (order ignored)."""
    expect(sorted(ids) == sorted(expected), "/v1/models does not list exactly the expected ids",
           expected=", ".join(sorted(expected)), observed=", ".join(sorted(ids)),
           exchange=exchange)
