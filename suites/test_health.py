"""Health: an endpoint at all, liveness without auth, readiness, no secrets, never rate
limited (HEALTH-*)."""

from __future__ import annotations

from gatecheck.checks import cases, check, expect, health, warn
from gatecheck.checks.support import conforms, no_auth

POLLS = 20  # a short burst, well above any sane per-second limit on chat routes
# Where gateways put liveness and readiness (LiteLLM, Kubernetes conventions, Envoy, Kong,
# gatecheck's proxy). Probed once each, without credentials, as a load balancer would.
USUAL_PATHS = ("/health/liveliness", "/health/liveness", "/health/live", "/health",
               "/healthz", "/livez", "/health/readiness", "/health/ready", "/readyz",
               "/ready", "/ping", "/status")
# Only gatecheck's own proxy promises gatecheck's health bodies; any other gateway's liveness
# is judged by its status alone (LiteLLM answers the JSON string "I'm alive!").
GATECHECK_PROXIES = ("reference", "reference-anthropic")


def _health(target):
    expect(target.quirks.health is not None, "target profile names no health path",
           expected="quirks.health.path", observed="none", cause="no-health")
    return target.quirks.health


def _get(client, target, path):
    kwargs = {} if _health(target).requires_auth else {"auth": no_auth()}
    return client.request("GET", path, **kwargs)


@check("HEALTH-1", level="SHOULD", category="Health", feature="health",
       title="Liveness answers 200 (without credentials unless documented otherwise)")
def test_health1_liveness(client, target, profile, record_exchange):
    info = _health(target)
    response = _get(client, target, info.liveness_path or info.path)
    record_exchange(response.exchange)
    # A liveness answer is its status: a load balancer reads nothing else.
    health.health_is_up(response, what=info.liveness_path or info.path, want_json=False)
    if target.embedded in GATECHECK_PROXIES:  # gatecheck's health schemas bind only its proxy
        schema = "gatecheck/health-live" if info.liveness_path else "gatecheck/health"
        conforms(schema, response.json(), profile=profile, what="health body",
                 exchange=response.exchange)


@check("HEALTH-2", level="SHOULD", category="Health", feature="readiness",
       title="Readiness answers 200 with a JSON body on a healthy target")
def test_health2_readiness(client, target, record_exchange):
    info = _health(target)
    expect(info.readiness_path is not None, "profile names no readiness path",
           expected="quirks.health.readiness-path", observed="none", cause="no-health")
    response = _get(client, target, info.readiness_path)
    record_exchange(response.exchange)
    health.health_is_up(response, what=info.readiness_path)


@check("HEALTH-3", level="SHOULD", category="Health", feature="health",
       title="Health output contains no keys or credentials")
def test_health3_no_secrets(client, target, record_exchange):
    info = _health(target)
    secrets = [s for s in (target.secret(), target.admin_secret()) if s]
    with cases() as case:
        for path in dict.fromkeys(p for p in (info.path, info.liveness_path,
                                              info.readiness_path)
                                  if p and p not in info.never_poll):
            response = _get(client, target, path)
            record_exchange(response.exchange)
            with case(path):
                health.health_has_no_secrets(response, secrets)


@check("HEALTH-4", level="SHOULD", category="Health", feature="health",
       title="A burst of liveness polls is never rate limited")
def test_health4_not_rate_limited(client, target, record_exchange):
    info = _health(target)
    statuses = []
    for _ in range(POLLS):
        response = _get(client, target, info.poll_path)
        statuses.append(response.status)
    record_exchange(response.exchange)
    health.health_not_rate_limited(statuses)


@check("HEALTH-5", level="SHOULD", category="Health",
       title="The gateway has a health endpoint (declared, or at a usual path)")
def test_health5_endpoint_exists(client, target, record_exchange):
    info = target.quirks.health
    declared = [p for p in ((info.liveness_path, info.path) if info else ()) if p]
    never = set(info.never_poll) if info else set()
    probes = [p for p in dict.fromkeys([*declared, *USUAL_PATHS]) if p not in never]
    seen = []
    for path in probes:
        response = client.request("GET", path, auth=no_auth())
        record_exchange(response.exchange)
        if response.status == 200:
            if path not in declared:
                warn(f"health endpoint at {path} is not in the profile: claim the `health` "
                     f"feature with quirks.health.path = {path!r} to have it checked",
                     exchange=response.exchange)
            return
        seen.append(f"{path} {response.status}")
    if info is not None and info.requires_auth and declared:
        response = client.request("GET", declared[0])  # with the target's credentials
        record_exchange(response.exchange)
        if response.status == 200:
            return
        seen.append(f"{declared[0]} (with credentials) {response.status}")
    if "/" not in never:
        # The root is what remains (Portkey: "AI Gateway says hey!"): a probe can poll it,
        # so this is no missing endpoint, only no dedicated one.
        response = client.request("GET", "/", auth=no_auth())
        record_exchange(response.exchange)
        if response.status == 200:
            warn(f"no dedicated health path ({'; '.join(seen)}); only the root answers 200 "
                 f"({response.text[:60]!r}): a load balancer can poll GET /, which says "
                 f"nothing of the API behind it", exchange=response.exchange)
            return
        seen.append(f"/ {response.status}")
    expect(False, "no health endpoint: nothing a load balancer or orchestrator can poll "
           "answers 200", expected="200 from a liveness path (e.g. /health, /healthz, "
           "/health/liveliness)", observed="; ".join(seen), cause="no-health")
