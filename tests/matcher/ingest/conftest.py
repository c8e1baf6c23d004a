"""Fixtures for the source-adapter tests: a real migrated SQLite database, because an adapter
is only done when the pipeline has validated and stored what it produces.

Names are specific to these tests so they never shadow the shared fixtures of
``tests/conftest.py`` (``sessions``, ``sqlite_sessions``) for other modules in this folder.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.storage.database import make_engine, session_factory, upgrade

SessionsFactory = Callable[[str], sessionmaker[Session]]
WriteCsv = Callable[[str, Sequence[str], Sequence[Sequence[str]]], Path]


@pytest.fixture
def make_source_sessions(tmp_path: Path) -> Iterator[SessionsFactory]:
    """``make_source_sessions("name")`` -> sessions on a fresh, migrated SQLite file."""
    engines: list[Engine] = []

    def make(name: str) -> sessionmaker[Session]:
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        engines.append(engine)
        return session_factory(engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def source_sessions(make_source_sessions: SessionsFactory) -> sessionmaker[Session]:
    return make_source_sessions("sources")


@pytest.fixture
def write_source_csv(tmp_path: Path) -> WriteCsv:
    """Write a CSV the way the published files are written (UTF-8, minimal quoting)."""

    def write(name: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write
