"""Per-key rate limits (issue 7): the 11th request in a window of 10 gets a 429 problem with
Retry-After, on the in-memory and the Redis backend; keys have separate budgets; probes are
exempt; a window frees once it has passed; a Redis that is down never fails a request.

Redis runs at 127.0.0.1:6379 (``TRADEMATCH_TEST_REDIS_URL`` overrides); where it does not
answer, the Redis cases skip with the reason. Every test uses fresh random API keys (the
Redis key is a hash of them) or a namespace of its own, so parallel and earlier runs never
share a counter."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from api import errors
from api.auth import PrincipalDep
from api.main import create_app
from api.ratelimit import (
    DEFAULT_NAMESPACE,
    Decision,
    FallbackRateLimiter,
    MemoryRateLimiter,
    RateLimitBackendError,
    RateLimiter,
    RateLimitMiddleware,
    RedisRateLimiter,
    _headers,
    identify,
)
from matcher.config import Settings
from matcher.storage.api_keys import create_key
from matcher.storage.database import session_scope

PROBLEM = "application/problem+json"
PING = "/v1/test-ping"  # a test-only route: cheap, no index, no auth dependency
WHOAMI = "/v1/test-whoami"  # a test-only route behind the key check
LIMIT = 10


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("TRADEMATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except (redis.RedisError, OSError) as exc:
        pytest.skip(f"Redis at {url} is unreachable ({exc}); the Redis backend is not tested")
    return url


@pytest.fixture
def namespace() -> str:
    return f"tradematch-test:rl:{uuid.uuid4().hex}:"


@pytest.fixture
def redis_client(redis_url: str, namespace: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


def _closed_port_url() -> str:
    """A Redis URL nothing listens on: a port the kernel just handed out and took back."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


# ---------------------------------------------------------------- the limiters themselves


@pytest.fixture(params=["memory", "redis"])
def limiter_and_clock(
    request: pytest.FixtureRequest, namespace: str
) -> tuple[RateLimiter, FakeClock | None]:
    if request.param == "memory":
        clock = FakeClock()
        return MemoryRateLimiter(LIMIT, 1.0, clock=clock), clock
    url = request.getfixturevalue("redis_url")
    request.getfixturevalue("redis_client")  # deletes the namespace's keys afterwards
    return RedisRateLimiter.from_url(url, LIMIT, 1.0, namespace), None


def test_the_11th_hit_in_a_window_of_10_is_refused(
    limiter_and_clock: tuple[RateLimiter, FakeClock | None],
) -> None:
    limiter, _ = limiter_and_clock
    decisions = [limiter.hit("caller-a") for _ in range(LIMIT + 1)]
    assert [d.allowed for d in decisions] == [True] * LIMIT + [False]
    assert [d.remaining for d in decisions] == [*range(LIMIT - 1, -1, -1), 0]
    refused = decisions[-1]
    assert refused.limit == LIMIT and 0 < refused.reset_seconds <= 1.0
    assert refused.retry_after == 1  # whole seconds, at least 1
    # another caller has a budget of its own
    other = limiter.hit("caller-b")
    assert other.allowed and other.remaining == LIMIT - 1 and other.reset_seconds > 0.5


def test_a_window_frees_once_it_has_passed(
    limiter_and_clock: tuple[RateLimiter, FakeClock | None],
) -> None:
    limiter, clock = limiter_and_clock
    for _ in range(LIMIT):
        assert limiter.hit("caller").allowed
    refused = limiter.hit("caller")
    assert not refused.allowed
    if clock is not None:
        clock.now += 0.5
        assert not limiter.hit("caller").allowed  # still the same window
        clock.now += 0.5
    else:  # Redis expires the window on its own clock: wait exactly what it said
        time.sleep(refused.reset_seconds + 0.05)
    again = limiter.hit("caller")
    assert again.allowed and again.remaining == LIMIT - 1


def test_a_fresh_window_announces_the_window_not_a_second_more() -> None:
    """At this clock reading ``(t + 60) - t`` is 60.000000000000114 in floating point: the
    first request of a 60-second window must still announce a reset in 60 seconds."""
    clock = FakeClock()
    clock.now = 964.2413216821577
    assert (clock.now + 60.0) - clock.now > 60.0
    decision = MemoryRateLimiter(LIMIT, 60.0, clock=clock).hit("caller")
    assert decision.reset_whole_seconds == 60
    assert _headers(decision)[2] == (b"ratelimit-reset", b"60")
    clock.now += 0.25
    assert MemoryRateLimiter(LIMIT, 60.0, clock=clock).hit("other").retry_after == 60


def test_memory_forgets_callers_whose_window_has_passed() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(3, 1.0, clock=clock)
    for i in range(100):
        limiter.hit(f"caller-{i}")
    assert len(limiter) == 100
    clock.now += 1.0
    limiter.hit("late")
    assert len(limiter) == 1


def test_redis_keeps_one_expiring_key_per_caller(
    redis_url: str, redis_client: object, namespace: str
) -> None:
    import redis

    assert isinstance(redis_client, redis.Redis)
    limiter = RedisRateLimiter.from_url(redis_url, LIMIT, 60.0, namespace)
    for _ in range(3):
        limiter.hit("caller")
    assert [k.decode() for k in redis_client.scan_iter(f"{namespace}*")] == [f"{namespace}caller"]
    assert int(redis_client.get(f"{namespace}caller") or 0) == 3
    assert 0 < redis_client.pttl(f"{namespace}caller") <= 60_000


def test_an_unreachable_redis_raises_the_backend_error() -> None:
    limiter = RedisRateLimiter.from_url(_closed_port_url(), LIMIT, 1.0)
    with pytest.raises(RateLimitBackendError):
        limiter.hit("caller")


class FlakyPrimary:
    """Stands in for Redis: counts like memory while up, raises while down."""

    blocking = True

    def __init__(self, clock: FakeClock) -> None:
        self.up = True
        self.calls = 0
        self.counter = MemoryRateLimiter(LIMIT, 3600.0, clock=clock)

    def hit(self, identity: str) -> Decision:
        self.calls += 1
        if not self.up:
            raise RateLimitBackendError("ConnectionError: refused")
        return self.counter.hit(identity)


def test_the_fallback_counts_in_memory_while_redis_is_down_and_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    primary = FlakyPrimary(clock)
    fallback = MemoryRateLimiter(LIMIT, 60.0, clock=clock)
    limiter = FallbackRateLimiter(
        primary, fallback, retry_seconds=5.0, warn_every_seconds=60.0, clock=clock
    )
    assert limiter.hit("caller").remaining == LIMIT - 1 and not limiter.failing

    primary.up = False
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        decisions = [limiter.hit("caller") for _ in range(LIMIT + 1)]
    # still limited (in memory), never an exception
    assert [d.allowed for d in decisions] == [True] * LIMIT + [False]
    assert limiter.failing
    # one probe, then Redis is left alone for retry_seconds rather than timing out each time
    assert primary.calls == 2
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1

    clock.now += 5.0  # the next request probes again (still down): no new warning yet
    limiter.hit("caller")
    assert primary.calls == 3
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    clock.now += 60.0  # a minute later a failure warns again
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        limiter.hit("caller")
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 2

    primary.up = True
    clock.now += 5.0
    recovered = limiter.hit("caller")
    assert not limiter.failing and primary.calls == 5
    assert recovered.remaining == LIMIT - 2  # Redis's own count again
    limiter.hit("caller")
    assert primary.calls == 6


def test_callers_are_identified_by_a_hash_of_their_key_or_by_address() -> None:
    key = "tm_abcd1234_secret-part"
    by_header = identify({"headers": [(b"x-api-key", key.encode())], "client": ("10.0.0.1", 1)})
    by_bearer = identify({"headers": [(b"authorization", f"Bearer {key}".encode())]})
    assert by_header == by_bearer and by_header.startswith("key:")
    assert key not in by_header and "secret" not in by_header
    assert identify({"headers": [(b"x-api-key", b"other")]}) != by_header
    both = [(b"authorization", b"Bearer other"), (b"x-api-key", key.encode())]
    assert identify({"headers": both}) == by_header  # X-API-Key wins, as in api/auth.py
    assert identify({"headers": [], "client": ("10.0.0.1", 5)}) == "addr:10.0.0.1"
    assert identify({"headers": []}) == "addr:unknown"


# ---------------------------------------------------------------- the API


def _app(tmp_path: Path, redis_url: str | None) -> FastAPI:
    settings = Settings(
        data_dir=tmp_path / "data",
        rate_limit_requests=LIMIT,
        rate_limit_window_seconds=60.0,
        redis_url=redis_url,
        _env_file=None,
    )
    app = create_app(settings)
    app.state.runtime.upgrade_schema()

    @app.get(PING, include_in_schema=False)
    def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.get(WHOAMI, include_in_schema=False)
    def whoami(principal: PrincipalDep) -> dict[str, str]:
        return {"name": principal.name}

    return app


def _keys(app: FastAPI, n: int) -> list[str]:
    with session_scope(app.state.runtime.sessions) as session:
        return [create_key(session, f"rl-{uuid.uuid4().hex[:8]}", "partner")[0] for _ in range(n)]


def _assert_429(response: Any) -> None:  # the TestClient's response
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 429 and body["type"] == "/problems/rate-limited"
    assert body["title"] and body["detail"]
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.headers["ratelimit-remaining"] == "0"


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "memory" else request.getfixturevalue("redis_url")


def test_the_11th_request_in_a_window_of_10_gets_429_with_retry_after(
    tmp_path: Path, backend: str | None
) -> None:
    app = _app(tmp_path, backend)
    client = TestClient(app)
    first, second = _keys(app, 2)
    statuses = []
    for i in range(LIMIT):
        response = client.get(PING, headers={"X-API-Key": first})
        statuses.append(response.status_code)
        assert response.headers["ratelimit-limit"] == str(LIMIT)
        assert response.headers["ratelimit-remaining"] == str(LIMIT - 1 - i)
        assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    assert statuses == [200] * LIMIT
    _assert_429(client.get(PING, headers={"X-API-Key": first}))
    # every /v1 route is limited, not just the test one
    _assert_429(
        client.post("/v1/hs/suggest", json={"text": "valves"}, headers={"X-API-Key": first})
    )

    # another key has its own budget
    assert client.get(PING, headers={"X-API-Key": second}).status_code == 200
    # probes are exempt, even for a caller over its limit
    for path in ("/v1/health", "/v1/ready"):
        for _ in range(LIMIT + 2):
            response = client.get(path, headers={"X-API-Key": first})
            assert response.status_code != 429, (path, response.text)
            assert "ratelimit-limit" not in response.headers


def test_an_address_sending_made_up_keys_is_locked_out_after_its_budget(
    tmp_path: Path, backend: str | None
) -> None:
    """A fresh made-up key per request would have a fresh budget each time: the 401s are
    counted against the address too, and past the budget its keyed requests get 429."""
    app = _app(tmp_path, backend)
    client = TestClient(app)
    (valid,) = _keys(app, 1)
    assert client.get(WHOAMI, headers={"X-API-Key": valid}).status_code == 200
    statuses = [
        client.get(WHOAMI, headers={"X-API-Key": f"made-up-{uuid.uuid4().hex}"}).status_code
        for _ in range(LIMIT + 1)
    ]
    assert statuses == [401] * (LIMIT + 1)  # the (LIMIT + 1)th spends the budget
    refused = client.get(WHOAMI, headers={"X-API-Key": f"made-up-{uuid.uuid4().hex}"})
    assert refused.status_code == 429 and "unknown or revoked API keys" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The lockout is per address: a valid key from it waits too; probes still pass.
    assert client.get(WHOAMI, headers={"X-API-Key": valid}).status_code == 429
    assert client.get("/v1/health", headers={"X-API-Key": valid}).status_code == 200


def test_a_lockout_for_unknown_keys_ends_with_its_window() -> None:
    clock = FakeClock()
    app = FastAPI()
    errors.install(app)
    app.add_middleware(
        RateLimitMiddleware, limiter=MemoryRateLimiter(LIMIT, 1.0, clock=clock), clock=clock
    )

    @app.get(WHOAMI)
    def whoami(x_api_key: Annotated[str, Header()]) -> dict[str, str]:
        if x_api_key != "tm_valid":
            raise HTTPException(401, "unknown key")
        return {"name": "valid"}

    client = TestClient(app)
    made_up = [client.get(WHOAMI, headers={"X-API-Key": f"tm_{i}"}) for i in range(LIMIT + 1)]
    assert [r.status_code for r in made_up] == [401] * (LIMIT + 1)
    refused = client.get(WHOAMI, headers={"X-API-Key": "tm_valid"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    clock.now += 0.6
    assert client.get(WHOAMI, headers={"X-API-Key": "tm_valid"}).status_code == 429
    clock.now += 0.4  # the address's window (and lockout) ends
    assert client.get(WHOAMI, headers={"X-API-Key": "tm_valid"}).status_code == 200
    # Requests without a key are not locked out: they have the address's own budget.
    assert client.get(WHOAMI).status_code == 422  # (the route requires the header)


def test_redis_stores_no_raw_key(tmp_path: Path, redis_url: str) -> None:
    import redis

    app = _app(tmp_path, redis_url)
    (key,) = _keys(app, 1)
    assert TestClient(app).get(PING, headers={"X-API-Key": key}).status_code == 200
    client = redis.Redis.from_url(redis_url)
    stored = [k.decode() for k in client.scan_iter(f"{DEFAULT_NAMESPACE}*")]
    assert f"{DEFAULT_NAMESPACE}{identify({'headers': [(b'x-api-key', key.encode())]})}" in stored
    assert not any(key in k or key[-20:] in k for k in stored)


def test_anonymous_callers_are_limited_by_address(tmp_path: Path) -> None:
    client = TestClient(_app(tmp_path, None))
    statuses = [client.get(PING).status_code for _ in range(LIMIT + 1)]
    assert statuses[:LIMIT] == [200] * LIMIT and statuses[-1] == 429


def test_requests_are_served_when_redis_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path, _closed_port_url())
    client = TestClient(app)
    (key,) = _keys(app, 1)
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        statuses = [client.get(PING, headers={"X-API-Key": key}).status_code for _ in range(LIMIT)]
        assert statuses == [200] * LIMIT
        # counted in this process meanwhile: still limited
        _assert_429(client.get(PING, headers={"X-API-Key": key}))
    assert app.state.rate_limiter.failing
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a request


def test_the_api_serves_a_caller_again_once_its_window_has_passed() -> None:
    clock = FakeClock()
    app = FastAPI()
    errors.install(app)
    app.add_middleware(RateLimitMiddleware, limiter=MemoryRateLimiter(LIMIT, 1.0, clock=clock))

    @app.get(PING)
    def ping() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app)
    headers = {"X-API-Key": "tm_test_key"}
    assert all(client.get(PING, headers=headers).status_code == 200 for _ in range(LIMIT))
    refused = client.get(PING, headers=headers)
    _assert_429(refused)
    assert refused.headers["retry-after"] == "1"
    clock.now += 0.6
    _assert_429(client.get(PING, headers=headers))
    clock.now += 0.4
    response = client.get(PING, headers=headers)
    assert response.status_code == 200
    assert response.headers["ratelimit-remaining"] == str(LIMIT - 1)
