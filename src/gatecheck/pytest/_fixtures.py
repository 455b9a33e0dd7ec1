"""The fixtures gatecheck's pytest plugin gives to suites (re-exported by the plugin module).

``client`` is rooted at the target's root URL (base-url without ``/v1``), so suites request
``/v1/chat/completions``; the SDK fixtures take the base-url itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest

from gatecheck import Auth, GatewayClient, HarnessError, Timeouts, sdk_http_client
from gatecheck.checks import Inconclusive, inconclusive, info_of, observe
from gatecheck.protocols import surface_of_path
from gatecheck.pytest._cooldown import (
    LOG_LIMIT,
    MADE_UP_STATUSES,
    Answer,
    cool_down_in,
    first_call_after,
    is_model_route,
    retry_after,
)
from gatecheck.pytest._records import ItemData
from gatecheck.pytest._state import RunState
from gatecheck.targets import TargetConfig

__all__ = [
    "ITEM",
    "STATE",
    "TARGET_PARAM",
    "MockLog",
    "admin_client",
    "anthropic_sdk",
    "chat_model",
    "client",
    "mock_log",
    "openai_sdk",
    "profile",
    "record_exchange",
    "target",
    "target_name",
]

STATE = pytest.StashKey[RunState]()
ITEM = pytest.StashKey[ItemData]()
TARGET_PARAM = "gatecheck_target_name"  # the parameter every check is parametrized with
# Per SDK request; retries are off so a check never waits longer. The SDKs' HTTP client
# (gatecheck._sdk_http) adds gatecheck's caps: body size, headers, origin, a 30 s total.
SDK_TIMEOUT_S = 15.0


def target_name(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    name = callspec.params.get(TARGET_PARAM) if callspec is not None else None
    return name if isinstance(name, str) else None


def _state(request: pytest.FixtureRequest) -> RunState:
    state = request.config.stash.get(STATE, None)
    if state is None:
        pytest.skip("gatecheck fixture: name a target with --target NAME")
    return state


@pytest.fixture
def target(request: pytest.FixtureRequest) -> TargetConfig:
    """The TargetConfig this check runs against (embedded URLs already filled in)."""
    state = _state(request)
    name = target_name(request.node)
    if name is None:
        pytest.skip("not a gatecheck check (no @check mark)")
    return state.targets[name]


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> str:
    """The validation profile: "sdk-compat" or "strict"."""
    return _state(request).profile


def _surface(request: pytest.FixtureRequest, target: TargetConfig) -> Any:
    info = info_of(request.node)
    if info is not None and info.surface is not None:
        return info.surface
    return "openai" if target.has_surface("openai") else next(iter(target.surfaces))


@pytest.fixture
def chat_model(request: pytest.FixtureRequest, target: TargetConfig) -> str:
    """A usable model name for the check's surface (the profile's models, else an alias)."""
    surface = _surface(request, target)
    model = target.models.for_surface(surface)
    if model is None and target.aliases:
        model = next(iter(target.aliases))
    if model is None:
        pytest.skip(f"target {target.name!r} names no model for the {surface} surface")
    return model


@pytest.fixture
def client(request: pytest.FixtureRequest, target: TargetConfig) -> Iterator[Any]:
    """A GatewayClient at the target's root URL with its auth for the check's surface.

    One per check, never shared: httpx keeps cookies, and a session cookie set during one
    check must not authenticate the "no credentials" request of the next.
    """
    surface = _surface(request, target)
    scheme = target.surfaces[surface].preferred_auth
    secret = target.secret(surface=surface)
    auth = Auth(scheme=scheme, secret=secret, header=target.auth.header,
                env=target.secret_env(surface)) if scheme != "none" and secret else Auth()
    with GatewayClient(target.root_url, auth, surface=surface,
                       route_headers=route_headers(target),
                       on_exchange=_answers_of(request, target)) as gateway:
        yield gateway


def _answers_of(request: pytest.FixtureRequest,
                target: TargetConfig) -> Callable[[Any], None] | None:
    """Note each answer of the check's client in its ItemData (for _cooldown), and each
    exchange with the run's stall watch (_stall)."""
    data = request.node.stash.get(ITEM, None)
    if data is None:
        return None
    keyless = target.auth.scheme == "none"
    stalls = _state(request).stalls

    def note(exchange: Any) -> None:
        stalls.saw(target.name, exchange)
        if exchange.status is None:
            return
        ended = time.time()
        started = ended - (exchange.duration_ms or 0.0) / 1000
        # secret_env: the request carried the target's own key (not a wrong or no key)
        bound = is_model_route(exchange.url) and (keyless or bool(exchange.secret_env))
        data.answers.append(Answer(exchange.status, retry_after(exchange.response_headers),
                                   started, ended, exchange, upstream_bound=bound))

    return note


def _sdk_answers(request: pytest.FixtureRequest,
                 target: TargetConfig) -> Callable[[int, Any, float, Any], None] | None:
    """The same for an SDK's HTTP client: status, headers, when it was sent, the request."""
    data = request.node.stash.get(ITEM, None)
    if data is None:
        return None
    keys = {k for k in (target.secret(surface="openai"), target.secret(surface="anthropic")) if k}

    def note(status: int, headers: Any, started: float, sent: Any) -> None:
        credential = " ".join(sent.headers.get(name, "") for name in ("authorization",
                                                                       "x-api-key"))
        own = not keys or any(key in credential for key in keys)
        data.answers.append(Answer(status, headers.get("retry-after"), started, time.time(),
                                   upstream_bound=is_model_route(str(sent.url)) and own))

    return note


def route_headers(target: TargetConfig) -> Callable[[str], dict[str, str]]:
    """The target's static headers for the surface each request path belongs to (a gateway
    that routes by header, as Portkey's x-portkey-provider, gets the one for that route)."""
    by_surface = {surface: target.extra_headers(surface) for surface in ("openai", "anthropic")}
    return lambda path: by_surface[surface_of_path(path)]


@pytest.fixture
def admin_client(target: TargetConfig) -> Iterator[Any]:
    """A GatewayClient carrying the target's admin key (auth.admin-env), else skipped."""
    secret = target.admin_secret()
    if not secret:
        env = target.auth.admin_env
        pytest.skip(f"set ${env} to run admin checks on target {target.name!r}" if env
                    else f"target {target.name!r} has no admin key")
    auth = Auth(scheme="bearer", secret=secret, env=target.auth.admin_env)
    with GatewayClient(target.root_url, auth, route_headers=route_headers(target)) as gateway:
        yield gateway


def _sdk_headers(target: TargetConfig, surface: Any) -> dict[str, str]:
    """The target's static headers for ``surface``, and its key when that surface takes it
    in a custom header."""
    headers = target.extra_headers(surface)
    secret = target.secret(surface=surface)
    placement = target.surfaces[surface].preferred_auth if surface in target.surfaces else None
    if placement == "header" and target.auth.header and secret:
        headers[target.auth.header] = secret
    return headers


@pytest.fixture
def openai_sdk(request: pytest.FixtureRequest, target: TargetConfig) -> Iterator[Any]:
    """The official OpenAI SDK pointed at the target (no retries, short timeouts)."""
    base = target.api_base_url("openai")
    key = target.secret(surface="openai") or "gatecheck-no-key"
    sdk = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=SDK_TIMEOUT_S,
                        default_headers=_sdk_headers(target, "openai"),
                        http_client=sdk_http_client(base, on_answer=_sdk_answers(request, target)))
    yield sdk
    sdk.close()


@pytest.fixture
def anthropic_sdk(request: pytest.FixtureRequest, target: TargetConfig) -> Iterator[Any]:
    """The official Anthropic SDK pointed at the target (no retries, short timeouts)."""
    secret = target.secret(surface="anthropic")
    surface = target.surfaces.get("anthropic")
    bearer = surface is not None and surface.preferred_auth == "bearer"
    # The Anthropic SDK appends /v1/messages itself: it takes the root, not the base-url.
    base = target.api_base_url("anthropic" if surface is not None else "openai")
    root = base.removesuffix("/v1")
    sdk = anthropic.Anthropic(
        base_url=root, max_retries=0, timeout=SDK_TIMEOUT_S,
        http_client=sdk_http_client(root, on_answer=_sdk_answers(request, target)),
        api_key=None if bearer else (secret or "gatecheck-no-key"),
        auth_token=secret if bearer else None,
        default_headers=_sdk_headers(target, "anthropic"),
    )
    yield sdk
    sdk.close()


class MockLog:
    """Reads the mock upstream's log (``GET /_mock/log``): ground truth for accounting.

    A mock that cannot be read leaves its check inconclusive: the ground truth is missing,
    which says nothing about the gateway.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The log, oldest first (the newest ``limit`` entries when given)."""
        params = None if limit is None else {"limit": str(limit)}
        try:
            with GatewayClient(self.base_url, timeouts=Timeouts(total=5.0)) as client:
                response = client.request("GET", "/_mock/log", params=params)
            body = response.json() if response.status == 200 else None
        except (HarnessError, ValueError) as exc:
            inconclusive(f"the mock at {self.base_url} could not be read: {exc}")
        entries = body.get("entries", body) if isinstance(body, dict) else body
        if not isinstance(entries, list):
            inconclusive(f"the mock at {self.base_url} answered GET /_mock/log with "
                         f"{response.status}, not its log")
        return entries

    def recent(self) -> list[dict[str, Any]] | None:
        """The newest LOG_LIMIT entries, or None when the mock cannot be read."""
        try:
            return self.entries(limit=LOG_LIMIT)
        except Inconclusive:
            return None

    def past_cool_down(self, send: Callable[[], Any]) -> Any:
        """``send()`` a request; when the gateway answered 429/503 itself (no request reached
        the mock while it waited), wait its Retry-After (bounded) and send once more.

        For a check that provokes several upstream errors in a row (ERR-5): a gateway that
        cools a model down after the first (LiteLLM) would answer the next itself. The wait
        is observed as "cool-down" (the report shows it; see ``_cooldown``).
        """
        started = time.time()
        response = send()
        ended = time.time()
        if response.status not in MADE_UP_STATUSES:
            return response
        answer = Answer(response.status, retry_after(response.exchange.response_headers),
                        started, ended, response.exchange)
        # The check's own budget (--check-budget) bounds the wait, as it bounds the check.
        cool = cool_down_in([answer], self.recent() or [], None)
        if cool is None:
            return response
        time.sleep(cool.waited_s)
        again_from = time.time()
        response = send()
        if response.status in MADE_UP_STATUSES:
            cool.rerun = [Answer(response.status, None, again_from, time.time())]
        cool.upstream_again = first_call_after(self.recent() or [], again_from)
        observe("cool-down", cool.observation())
        return response


@pytest.fixture
def mock_log(request: pytest.FixtureRequest, target: TargetConfig) -> MockLog | None:
    """A MockLog when the target fronts gatecheck's mock upstream, else None.

    A target that claims ``mock-upstream`` but whose mock nobody can find leaves the check
    inconclusive: the ground truth is missing, which says nothing about the gateway.
    """
    state = _state(request)
    url = state.mock_urls.get(target.name)
    if url is None and target.claims("mock-upstream"):
        inconclusive(f"target {target.name!r} claims mock-upstream, but where its mock "
                     f"listens is unknown (mock-url, or $GATECHECK_"
                     f"{target.name.upper().replace('-', '_')}_MOCK_URL)")
    return MockLog(url) if url else None


@pytest.fixture
def record_exchange(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """Attach an exchange to this check's result (the last one is shown in the report)."""
    data = request.node.stash.get(ITEM, None)

    def record(exchange: Any) -> None:
        if data is not None and exchange is not None:
            data.exchanges.append(exchange)

    return record
