"""Shared fixtures.

``db_url`` runs a test once on SQLite and once on PostgreSQL. Each PostgreSQL test gets its
own schema in the ``test`` database (dropped afterwards), so runs never see each other's
rows. Where PostgreSQL is unreachable the PostgreSQL half skips with the reason; CI and this
machine provide it at 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.storage.database import make_engine, session_factory, upgrade

POSTGRES_URL = os.environ.get(
    "TRADEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "real"


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable ({type(exc).__name__}: {exc})"
    return None


_PG_PROBLEM: str | bool | None = False  # False = not probed yet


def _pg_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_reachable()
    return _PG_PROBLEM if isinstance(_PG_PROBLEM, str) else None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    schema = f"tm_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """SQLite only, for tests about logic rather than the backend."""
    eng = make_engine(f"sqlite:///{tmp_path / 'logic.db'}")
    upgrade(eng)
    yield session_factory(eng)
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


MINI_CATALOG = REPO_ROOT / "data" / "fixtures" / "mini"


@pytest.fixture(scope="session")
def mini_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a store loaded with the committed mini catalog and an index built from
    it with the default encoder (built once per test session)."""
    from matcher.ingest.pipeline import ingest_file
    from matcher.runtime import Runtime

    data_dir = tmp_path_factory.mktemp("mini") / "data"
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    for kind in ("exporters", "products", "buyers"):
        report = ingest_file(kind, MINI_CATALOG / f"{kind}.csv", runtime.sessions)
        assert report.errors == [], report.errors
    runtime.build_index()
    runtime.engine.dispose()
    return settings


@pytest.fixture(scope="session")
def mini_service(mini_settings: Settings):  # type: ignore[no-untyped-def]
    from matcher.runtime import Runtime

    return Runtime(mini_settings).match_service()
