r"""Per-key rate limits: ``429`` with ``Retry-After`` once a caller spends its budget.

Why: partner platforms call the API from batch jobs, and one runaway loop must not starve
the others (matching is CPU-bound on a small machine). Each caller gets
``Settings.rate_limit_requests`` per ``Settings.rate_limit_window_seconds``.

**Who is a caller.** The API key presented (``X-API-Key`` or ``Authorization: Bearer``),
identified by its SHA-256 so the raw key never reaches Redis or memory dumps; without a key,
the client address (behind a proxy, run uvicorn with ``--proxy-headers`` so that address is
the real client's). The limit runs before authentication, so it also shields the key lookup.

**Unknown keys.** An unknown key would get a budget of its own, so a caller sending a fresh
made-up key with every request would never be limited. Each ``401`` a request with a key
gets is therefore also counted against the client address (``unknown-key:<address>``, the
same budget and window); once an address spends it, every request it sends with a key is
answered ``429`` with ``Retry-After`` until that window ends, valid keys included (the
limiter cannot tell them apart before authentication, and this is the key-guessing
lockout). Each worker process learns of the lockout at its next ``401`` from that address,
so with N workers an address gets at most N more ``401``\ s than the budget.

**Which window.** A fixed window anchored at each caller's first request (not at clock
boundaries): the first request starts a window of ``window_seconds``, every request in it
counts, and the window's end is exact, so ``Retry-After`` is the true wait. In Redis that is
one atomic ``INCR`` plus ``PEXPIRE``-if-new (a Lua script): one round trip, one small key per
caller, expiring by itself, with the Redis server's clock shared by every worker. A sliding
window would smooth bursts at a window's end (at most twice the budget across two windows),
but costs a sorted set per caller and a sweep per request; for a coarse "no runaway loops"
budget the fixed window is enough, and anchoring it per caller avoids the aligned-window
problem of every client's budget resetting at the same instant.

**Backends.** In memory (one process; every uvicorn worker counts separately) when
``Settings.redis_url`` is unset; Redis (shared by every worker) when it is set. If Redis
stops answering, requests are never failed for it: they are counted in memory in that
process meanwhile, a warning is logged (at most once a minute), and Redis is tried again
every few seconds, so the shared budget comes back by itself.

``/v1/health``, ``/v1/ready`` and ``/metrics`` are exempt: probes and scrapers must always get
through. Responses that are let through carry ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds), so well-behaved clients can pace themselves.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from matcher.config import Settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "tradematch:rl:"
EXEMPT_PATHS = frozenset({"/v1/health", "/v1/ready", "/metrics"})
REDIS_TIMEOUT_SECONDS = 0.2
REDIS_RETRY_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Decision:
    """One request's verdict: whether it may proceed and the caller's budget after it."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float  # until the caller's current window ends

    @property
    def reset_whole_seconds(self) -> int:
        """Whole seconds until the window ends, as ``RateLimit-Reset`` gives them. Rounded to
        the millisecond before the ceiling: a window's end less the moment it started is not
        always exactly the window in floating point (``(t + 60) - t`` can be
        60.000000000000114), and a fresh 60-second window must not announce 61."""
        return math.ceil(round(self.reset_seconds, 3))

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window frees (at least 1, as ``Retry-After`` needs)."""
        return max(1, self.reset_whole_seconds)


class RateLimiter(Protocol):
    """Counts one request for a caller and says whether it is within the budget."""

    # True when ``hit`` may wait on the network: the middleware then calls it off the event
    # loop, so a slow Redis delays one request rather than every request of the worker.
    blocking: bool

    def hit(self, identity: str) -> Decision: ...


class RateLimitBackendError(Exception):
    """The shared counter could not be reached; the caller falls back to memory."""


def _decision(count: int, limit: int, reset_seconds: float) -> Decision:
    return Decision(count <= limit, limit, max(0, limit - count), max(0.0, reset_seconds))


class MemoryRateLimiter:
    """Fixed windows anchored at each caller's first request, in this process's memory.

    Thread-safe (sync routes and the Redis fallback call it from worker threads). Expired
    windows are swept at most once per window, so memory is bounded by the callers of the
    last window, not by every caller ever seen.
    """

    blocking = False

    def __init__(self, limit: int, window_seconds: float, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}  # identity -> [window start, count]
        self._last_sweep = clock()

    def hit(self, identity: str) -> Decision:
        now = self.clock()
        with self._lock:
            if now - self._last_sweep >= self.window_seconds:
                self._sweep(now)
            window = self._windows.get(identity)
            if window is None or now >= window[0] + self.window_seconds:
                window = self._windows[identity] = [now, 0]
            window[1] += 1
            count, ends = int(window[1]), window[0] + self.window_seconds
        return _decision(count, self.limit, ends - now)

    def _sweep(self, now: float) -> None:
        expired = [
            k for k, (start, _) in self._windows.items() if now >= start + self.window_seconds
        ]
        for key in expired:
            del self._windows[key]
        self._last_sweep = now

    def __len__(self) -> int:
        """Callers with a live (or not yet swept) window; for tests and diagnostics."""
        return len(self._windows)


# INCR, and start the window's expiry when the key is new (or lost its TTL somehow), in one
# atomic step: concurrent workers can never both start a window or leave a key immortal.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimiter:
    """The same windows in Redis, shared by every worker: one key per caller under
    ``namespace``, expiring with its window. Raises ``RateLimitBackendError`` when Redis
    does not answer (``FallbackRateLimiter`` turns that into counting in memory)."""

    blocking = True

    def __init__(
        self,
        client: redis.Redis,
        limit: int,
        window_seconds: float,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.client = client
        self.limit = limit
        self.window_seconds = window_seconds
        self.namespace = namespace
        self._window_ms = max(1, round(window_seconds * 1000))
        self._script = client.register_script(_HIT_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, limit: int, window_seconds: float, namespace: str = DEFAULT_NAMESPACE
    ) -> RedisRateLimiter:
        """A client with short timeouts and no retries: a Redis that does not answer within
        a fraction of a second is treated as down rather than holding requests."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, limit, window_seconds, namespace)

    def key(self, identity: str) -> str:
        return f"{self.namespace}{identity}"

    def hit(self, identity: str) -> Decision:
        import redis

        try:
            count, ttl_ms = self._script(keys=[self.key(identity)], args=[self._window_ms])
        except (redis.RedisError, OSError) as exc:
            raise RateLimitBackendError(f"{type(exc).__name__}: {exc}") from exc
        return _decision(int(count), self.limit, int(ttl_ms) / 1000)


class FallbackRateLimiter:
    """``primary`` (Redis) while it answers; ``fallback`` (memory) while it does not.

    After a failure the primary is skipped for ``retry_seconds`` (requests are not each
    made to wait for a timeout), then one request probes it again; the first success
    switches back. Warnings are logged at most once per ``warn_every_seconds``.
    """

    blocking = True

    def __init__(
        self,
        primary: RateLimiter,
        fallback: RateLimiter,
        retry_seconds: float = REDIS_RETRY_SECONDS,
        warn_every_seconds: float = WARN_EVERY_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_seconds = retry_seconds
        self.warn_every_seconds = warn_every_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._failing = False
        self._retry_at = 0.0
        self._next_warning = -math.inf

    @property
    def failing(self) -> bool:
        """Whether requests are being counted by the fallback right now."""
        return self._failing

    def hit(self, identity: str) -> Decision:
        now = self.clock()
        with self._lock:
            use_primary = not self._failing or now >= self._retry_at
            if use_primary and self._failing:
                self._retry_at = now + self.retry_seconds  # this request is the one probe
        if use_primary:
            try:
                decision = self.primary.hit(identity)
            except RateLimitBackendError as exc:
                self._failed(now, exc)
            else:
                if self._failing:
                    with self._lock:
                        self._failing = False
                    log.info("rate limiter: Redis answers again; counting there")
                return decision
        return self.fallback.hit(identity)

    def _failed(self, now: float, exc: RateLimitBackendError) -> None:
        with self._lock:
            self._failing = True
            self._retry_at = now + self.retry_seconds
            warn = now >= self._next_warning
            if warn:
                self._next_warning = now + self.warn_every_seconds
        if warn:
            log.warning(
                "rate limiter: Redis unreachable (%s); counting in this process's memory "
                "until it answers again",
                exc,
            )


def build_limiter(settings: Settings, namespace: str = DEFAULT_NAMESPACE) -> RateLimiter:
    """The limiter ``settings`` asks for: Redis with a memory fallback, or memory alone."""
    limit, window = settings.rate_limit_requests, settings.rate_limit_window_seconds
    memory = MemoryRateLimiter(limit, window)
    if not settings.redis_url:
        return memory
    return FallbackRateLimiter(
        RedisRateLimiter.from_url(settings.redis_url, limit, window, namespace), memory
    )


def identify(scope: Scope) -> str:
    """The caller's identity: a hash of the API key presented, else the client address."""
    key: bytes | None = None
    for name, value in scope.get("headers") or ():
        if name == b"x-api-key" and value:
            key = value
            break
        if name == b"authorization" and value[:7].lower() == b"bearer " and value[7:].strip():
            key = key or value[7:].strip()
    if key is not None:
        return "key:" + hashlib.sha256(key).hexdigest()[:32]
    return f"addr:{address(scope)}"


def address(scope: Scope) -> str:
    """The client address a request came from."""
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    detail: str,
    retry_after: int,
    headers: list[tuple[bytes, bytes]],
) -> None:
    """Answer ``429`` (problem+json) with ``Retry-After`` and any budget ``headers``."""
    response = problem(
        429,
        detail,
        kind="rate-limited",
        headers={"Retry-After": str(retry_after), **{k.decode(): v.decode() for k, v in headers}},
        instance=str(scope.get("path", "")),
    )
    await response(scope, receive, send)


def _headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_whole_seconds).encode()),
    ]


class RateLimitMiddleware:
    """Pure ASGI (no ``BaseHTTPMiddleware``: it would buffer streaming responses and cost a
    task per request): counts each non-exempt HTTP request, answers over-limit ones with a
    ``429`` problem and adds the budget headers to the rest."""

    # Addresses locked out for unknown keys kept in this process at most (expired ones are
    # dropped first; beyond that the oldest lockouts go, which only ends them early).
    MAX_LOCKOUTS = 10_000

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        exempt: Iterable[str] = EXEMPT_PATHS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt = frozenset(exempt)
        self.clock = clock
        self._locked: dict[str, float] = {}  # address -> when its unknown-key lockout ends

    async def _hit(self, identity: str) -> Decision:
        if self.limiter.blocking:
            return await anyio.to_thread.run_sync(self.limiter.hit, identity)
        return self.limiter.hit(identity)

    def _lock_out(self, where: str, decision: Decision) -> None:
        now = self.clock()
        if len(self._locked) >= self.MAX_LOCKOUTS:
            self._locked = {a: t for a, t in self._locked.items() if t > now}
            while len(self._locked) >= self.MAX_LOCKOUTS:
                del self._locked[next(iter(self._locked))]
        self._locked[where] = now + decision.reset_seconds

    def _lockout_left(self, where: str) -> float:
        """Seconds left of ``where``'s unknown-key lockout (0: none; an ended one is dropped)."""
        ends = self._locked.get(where)
        if ends is None:
            return 0.0
        left = ends - self.clock()
        if left <= 0:
            del self._locked[where]
        return max(left, 0.0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        identity = identify(scope)
        keyed, where = identity.startswith("key:"), address(scope)
        wait = self._lockout_left(where) if keyed else 0.0
        if wait > 0:
            retry = max(1, math.ceil(wait))
            detail = "Too many requests with unknown or revoked API keys from this address"
            await _refuse(scope, receive, send, f"{detail}; retry after {retry} s.", retry, [])
            return
        decision = await self._hit(identity)
        extra = _headers(decision)
        if not decision.allowed:
            detail = f"More than {decision.limit} requests in the rate-limit window"
            retry = decision.retry_after
            await _refuse(scope, receive, send, f"{detail}; retry after {retry} s.", retry, extra)
            return

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
                if keyed and message.get("status") == 401:
                    failed = await self._hit(f"unknown-key:{where}")
                    if not failed.allowed:
                        self._lock_out(where, failed)
            await send(message)

        await self.app(scope, receive, send_with_budget)


def install(app: FastAPI, settings: Settings, namespace: str = DEFAULT_NAMESPACE) -> None:
    """Add the rate-limit middleware; the limiter is also kept on ``app.state.rate_limiter``
    for diagnostics."""
    limiter = build_limiter(settings, namespace)
    app.state.rate_limiter = limiter
    app.add_middleware(RateLimitMiddleware, limiter=limiter)
