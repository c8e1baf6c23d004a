"""Stored outcomes of POST requests sent with an ``Idempotency-Key``.

A client that did not hear back (a timeout, a dropped connection) sends the same POST again
with the same key; it gets the first outcome back instead of creating a second record. The
first request claims the key before it runs (a unique row), so two concurrent retries cannot
both run: the second is told the first is still in progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from matcher.storage.database import session_scope
from matcher.storage.tables import IdempotencyRow

# A claim this old with no outcome belongs to a request that died; a retry may take it over.
ABANDONED_AFTER = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Stored:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``stored`` to replay, ``running`` (another request holds the
    key), ``mismatch`` (the key was used for a different request), or none: go ahead."""

    stored: Stored | None = None
    running: bool = False
    mismatch: bool = False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def claim(
    sessions: sessionmaker[Session], scope: str, key: str, fingerprint: str, ttl: dt.timedelta
) -> Claim:
    now = _now()
    for _ in range(2):
        try:
            with session_scope(sessions) as session:
                session.add(
                    IdempotencyRow(scope=scope, key=key, fingerprint=fingerprint, created_at=now)
                )
            return Claim()
        except IntegrityError:
            pass
        with session_scope(sessions) as session:
            row = session.scalar(
                select(IdempotencyRow).where(
                    IdempotencyRow.scope == scope, IdempotencyRow.key == key
                )
            )
            if row is None:
                continue  # deleted meanwhile: try to claim again
            expired = row.created_at < now - ttl
            abandoned = row.status is None and row.created_at < now - ABANDONED_AFTER
            if expired or abandoned:
                session.execute(delete(IdempotencyRow).where(IdempotencyRow.id == row.id))
                continue
            if row.fingerprint != fingerprint:
                return Claim(mismatch=True)
            if row.status is None:
                return Claim(running=True)
            return Claim(stored=Stored(row.status, dict(row.headers or {}), row.body or b""))
    return Claim(running=True)


def complete(sessions: sessionmaker[Session], scope: str, key: str, outcome: Stored | None) -> None:
    """Store the outcome to replay, or (``None``) release the key so a retry runs again."""
    with session_scope(sessions) as session:
        where = (IdempotencyRow.scope == scope, IdempotencyRow.key == key)
        if outcome is None:
            session.execute(delete(IdempotencyRow).where(*where))
            return
        values: dict[str, Any] = {
            "status": outcome.status,
            "headers": outcome.headers,
            "body": outcome.body,
        }
        session.execute(update(IdempotencyRow).where(*where).values(**values))


def purge_expired(sessions: sessionmaker[Session], ttl: dt.timedelta) -> int:
    with session_scope(sessions) as session:
        result = session.execute(
            delete(IdempotencyRow).where(IdempotencyRow.created_at < _now() - ttl)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
