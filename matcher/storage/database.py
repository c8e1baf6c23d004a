"""Engine, sessions and schema migrations.

SQLite is the embedded default; PostgreSQL is selected with ``TRADEMATCH_DATABASE_URL``. The
schema is created and evolved only by Alembic (``upgrade``), never by ``create_all``, so a
database made today can be upgraded by any later release.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets API readers continue while ingestion or the batch writes; foreign keys are off
    # by default in SQLite and must be switched on per connection.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that accepts connections but never answers (hung, failing over) would hold a
    # request for as long as the kernel keeps the socket: psycopg waits without limit. With a
    # timeout the request fails fast and the API answers 503. A URL that names its own
    # ``connect_timeout`` keeps it.
    if "connect_timeout" not in parsed.query:
        kwargs["connect_args"] = {
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            **kwargs.get("connect_args", {}),
        }
    return create_engine(url, pool_pre_ping=True, **kwargs)


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.resolved_database_url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
