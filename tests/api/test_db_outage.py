"""The database goes away mid-run and comes back (issue 7).

The service reaches PostgreSQL through a TCP proxy this test controls (the machine's shared
server is never touched). Stopping the proxy kills every pooled connection and refuses new
ones: every request that needs the database must answer 503 problem+json with Retry-After,
never 500, and never hang. Starting it again on the same port must bring the same app
object back to 200, with no restart.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from api.main import create_app
from matcher.config import Settings
from matcher.storage.api_keys import create_key
from matcher.storage.database import session_scope
from tests.conftest import MINI_CATALOG, POSTGRES_URL, _pg_problem
from tests.support.tcp_proxy import TcpProxy

PROBLEM = "application/problem+json"
INQUIRY = {"text": "stainless steel ball valves for a chemical plant", "top_k": 3}
# Requests that read the store on every call (readiness, a firm's or a buyer's record), and
# one that may be served from memory once loaded (matching an inquiry): that one may
# answer 200 during the outage, but never 500.
NEEDS_DATABASE: list[tuple[str, str]] = [
    ("GET", "/v1/ready"),
    ("GET", "/v1/exporters/MX-E01/importers?center=HAN"),
    ("GET", "/v1/buyers/MX-B01/suppliers?top_k=3"),
]
FROM_MEMORY: list[tuple[str, str]] = [("POST", "/v1/inquiries/match")]
# A safety net, not a timing assertion: a request blocked on a dead connection would
# otherwise hang the test run. Refused connections fail in milliseconds.
HANG_GUARD_SECONDS = 60.0


@dataclass(frozen=True)
class Outcome:
    method: str
    path: str
    status: int
    content_type: str
    retry_after: str | None
    body: str
    seconds: float  # reported in failure messages; never asserted


def _call(client: TestClient, method: str, path: str) -> Outcome:
    started = time.monotonic()
    response = client.post(path, json=INQUIRY) if method == "POST" else client.get(path)
    return Outcome(
        method,
        path,
        response.status_code,
        response.headers.get("content-type", ""),
        response.headers.get("retry-after"),
        response.text,
        time.monotonic() - started,
    )


def _assert_unavailable(outcome: Outcome) -> None:
    assert outcome.status == 503, outcome
    assert outcome.content_type == PROBLEM, outcome
    assert outcome.retry_after is not None and outcome.retry_after.isdigit(), outcome


@pytest.fixture(scope="module")
def proxy() -> Iterator[TcpProxy]:
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    target = make_url(POSTGRES_URL)
    with TcpProxy(target=(target.host or "127.0.0.1", target.port or 5432)) as running:
        yield running


@pytest.fixture(scope="module")
def store(proxy: TcpProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A fresh schema in the ``test`` database, reached through the proxy, holding the mini
    catalog with its products and buyers indexes built."""
    from matcher.ingest.pipeline import ingest_file
    from matcher.runtime import Runtime

    schema = f"tm_outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)  # direct, never through the proxy
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(POSTGRES_URL)
        .set(host="127.0.0.1", port=proxy.port)
        .update_query_dict({"options": f"-csearch_path={schema}"})
    )
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("outage") / "data",
        database_url=url.render_as_string(hide_password=False),
        rate_limit_requests=1_000_000,  # the request loop must never meet a 429
        _env_file=None,
    )
    try:
        runtime = Runtime(settings)
        runtime.upgrade_schema()
        for kind in ("exporters", "products", "buyers"):
            report = ingest_file(kind, MINI_CATALOG / f"{kind}.csv", runtime.sessions)
            assert report.errors == [], report.errors
        runtime.build_index("products")
        runtime.build_index("buyers")
        runtime.engine.dispose()
        yield settings
    finally:
        proxy.start()  # in case a failed test left it stopped
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def app(store: Settings) -> Iterator[FastAPI]:
    application = create_app(store)
    # No lifespan (its daemon threads can abort interpreter exit): load the supplier search
    # as it would.
    application.state.match_service = application.state.runtime.match_service()
    yield application
    application.state.runtime.engine.dispose()


@pytest.fixture(scope="module")
def api_key(app: FastAPI) -> str:
    with session_scope(app.state.runtime.sessions) as session:
        key, _ = create_key(session, "outage test", "admin", [])
    return key


def _client(app: FastAPI, key: str) -> TestClient:
    return TestClient(app, headers={"X-API-Key": key})


def _wait_until_all_succeed(client: TestClient, deadline_seconds: float = 30.0) -> None:
    """Recovery is not instantaneous in general (a pool may hold connections that died
    with the proxy): retry until every request succeeds or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    last: list[Outcome] = []
    while time.monotonic() < deadline:
        last = [_call(client, m, p) for m, p in NEEDS_DATABASE + FROM_MEMORY]
        assert all(o.status != 500 for o in last), last
        if all(o.status == 200 for o in last):
            return
        time.sleep(0.2)
    pytest.fail(f"the service did not recover within {deadline_seconds}s: {last}")


def test_requests_are_503_while_the_database_is_down_and_recover_without_a_restart(
    app: FastAPI, api_key: str, proxy: TcpProxy
) -> None:
    client = _client(app, api_key)
    for method, path in NEEDS_DATABASE + FROM_MEMORY:
        outcome = _call(client, method, path)
        assert outcome.status == 200, outcome

    # A client keeps calling while the database dies under it and comes back.
    outcomes: list[Outcome] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_calling() -> None:
        looping = _client(app, api_key)
        try:
            while not done.is_set():
                for method, path in NEEDS_DATABASE + FROM_MEMORY:
                    outcomes.append(_call(looping, method, path))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    def wait_for(predicate: Any, what: str) -> None:
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while not predicate():
            assert not failures, failures
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; seen {outcomes[-8:]}")
            time.sleep(0.05)

    caller = threading.Thread(target=keep_calling, daemon=True)
    caller.start()
    try:
        wait_for(lambda: sum(o.status == 200 for o in outcomes) >= 8, "successes before")
        proxy.stop()  # every pooled connection dies now; new ones are refused
        stopped_at = len(outcomes)
        wait_for(
            lambda: sum(o.status == 503 for o in outcomes[stopped_at:]) >= 8,
            "503s during the outage",
        )

        # Sequentially as well: each request that needs the database is a 503 problem.
        for method, path in NEEDS_DATABASE:
            outcome = _call(client, method, path)
            _assert_unavailable(outcome)
            assert "unavailable" in outcome.body.lower(), outcome
        for method, path in FROM_MEMORY:
            outcome = _call(client, method, path)
            assert outcome.status in (200, 503), outcome
            if outcome.status == 503:
                _assert_unavailable(outcome)
        ready = client.get("/v1/ready").json()
        assert ready["checks"]["database"].startswith("unavailable"), ready
        assert ready["checks"]["indexes"] == "ok", ready

        proxy.start()  # the same port: the service's settings never change
        restarted_at = len(outcomes)
        wait_for(
            lambda: (
                sum(o.status == 200 for o in outcomes[restarted_at:])
                >= 2 * len(NEEDS_DATABASE + FROM_MEMORY)
            ),
            "successes after the database came back",
        )
    finally:
        done.set()
        caller.join(HANG_GUARD_SECONDS)
        proxy.start()
    assert not caller.is_alive(), "a request hung after the database went away"
    assert not failures, failures

    assert all(o.status in (200, 503) for o in outcomes), [
        o for o in outcomes if o.status not in (200, 503)
    ]
    for outcome in outcomes:
        if outcome.status == 503:
            _assert_unavailable(outcome)
    outage = outcomes[stopped_at:restarted_at]
    assert any(o.status == 503 for o in outage)
    # Once the database is back, every request succeeds again on the same app object.
    _wait_until_all_succeed(client)
    assert client.get("/v1/ready").json()["checks"]["database"] == "ok"


def test_a_second_outage_is_survived_too(app: FastAPI, api_key: str, proxy: TcpProxy) -> None:
    """Recovery leaves nothing broken behind: the pool, the cached services and the
    readiness check handle the next outage the same way."""
    client = _client(app, api_key)
    _wait_until_all_succeed(client)
    for _ in range(2):
        proxy.stop()
        try:
            for method, path in NEEDS_DATABASE:
                _assert_unavailable(_call(client, method, path))
        finally:
            proxy.start()
        _wait_until_all_succeed(client)


def test_a_database_that_accepts_but_never_answers_is_503_not_a_hang(
    app: FastAPI, api_key: str, proxy: TcpProxy
) -> None:
    """A hung server completes the TCP handshake and then says nothing; without a connect
    timeout psycopg would wait as long as the kernel keeps the socket, holding the request.
    The engine's connect timeout turns it into a 503."""
    client = _client(app, api_key)
    _wait_until_all_succeed(client)
    outcomes: list[Outcome] = []

    def call_each() -> None:
        for method, path in NEEDS_DATABASE[:2]:
            outcomes.append(_call(client, method, path))

    proxy.hang()
    caller = threading.Thread(target=call_each, daemon=True)
    try:
        caller.start()
        caller.join(HANG_GUARD_SECONDS)
        assert not caller.is_alive(), f"a request hung on a silent database: {outcomes}"
    finally:
        proxy.start()  # resets the queued connections: a hung request would end now
    assert len(outcomes) == 2, outcomes
    for outcome in outcomes:
        _assert_unavailable(outcome)
    _wait_until_all_succeed(client)


def test_the_proxy_cuts_live_connections_and_resumes_on_the_same_port(
    proxy: TcpProxy, tmp_path: Path
) -> None:
    """The tool itself: a connection open when the proxy stops is dead afterwards, a new
    one is refused, and after ``start()`` the same URL connects again."""
    import psycopg

    target = make_url(POSTGRES_URL)
    dsn = (
        f"host=127.0.0.1 port={proxy.port} user={target.username or 'postgres'} "
        f"dbname={target.database or 'test'} connect_timeout=3"
    )
    if target.password:
        dsn += f" password={target.password}"
    port = proxy.port
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        proxy.stop()
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn)
    proxy.start()
    assert proxy.port == port
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 2").fetchone() == (2,)
