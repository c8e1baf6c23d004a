"""Single-record reads and writes for the API, through the same validated records and
upsert that ingestion uses (one gate for every write).

A record's representation names its references by *external* id, as files and API bodies
do. ``etag`` is the row's content hash: it changes with every stored change (and only
then), so it serves as the version that ``If-Match`` compares.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from matcher.domain.schemas import RECORD_TYPES, Record
from matcher.errors import ConflictError, NotFoundError, PreconditionFailedError
from matcher.storage.repository import (
    ENTITY_TABLES,
    FOREIGN_KEYS,
    record_values,
    resolve_references,
    upsert_rows,
)
from matcher.storage.tables import Base

ENTITY_NAMES = {
    "exporters": "exporter",
    "products": "product",
    "services": "service offering",
    "buyers": "buyer",
    "needs": "inquiry",
    "events": "funnel event",
    "pairing_events": "pairing event",
}


def get_row(session: Session, kind: str, external_id: str) -> Any:
    """The row of ``kind`` with this external id; ``NotFoundError`` if there is none."""
    table: Any = ENTITY_TABLES[kind]
    row = session.scalar(select(table).where(table.external_id == external_id))
    if row is None:
        raise NotFoundError(ENTITY_NAMES[kind], external_id)
    return row


def _external_ids(session: Session, kind: str, rows: list[Any]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for field, target in FOREIGN_KEYS.get(kind, {}).items():
        ids = {getattr(r, field) for r in rows if getattr(r, field) is not None}
        if not ids:
            out[field] = {}
            continue
        stmt = select(target.id, target.external_id).where(target.id.in_(ids))  # type: ignore[attr-defined]
        out[field] = dict(session.execute(stmt).all())
    return out


def representations(session: Session, kind: str, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as the record fields (references as external ids) plus ``created_at``,
    ``updated_at`` and ``etag``; internal ids are never shown."""
    fields = list(RECORD_TYPES[kind].model_fields)
    refs = _external_ids(session, kind, rows)
    out = []
    for row in rows:
        item: dict[str, Any] = {}
        for name in fields:
            value = getattr(row, name, None)
            if name in refs and value is not None:
                value = refs[name].get(value)
            item[name] = value
        item["created_at"] = row.created_at
        item["updated_at"] = row.updated_at
        item["etag"] = row.content_hash
        out.append(item)
    return out


def representation(session: Session, kind: str, row: Any) -> dict[str, Any]:
    return representations(session, kind, [row])[0]


def _stored(record: Record) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in record.model_dump().items()}


def _write(session: Session, kind: str, record: Record) -> Any:
    values = record_values(record)
    resolved, missing = resolve_references(session, kind, [values])
    if missing:
        bad = missing[0]
        raise NotFoundError(bad.entity.rstrip("s"), f"{bad.field}={bad.value}")
    upsert_rows(session, ENTITY_TABLES[kind], resolved)
    session.flush()
    session.expire_all()
    return get_row(session, kind, record.external_id)


def create(session: Session, kind: str, record: Record) -> Any:
    """Store a new record; ``ConflictError`` if its external id is taken (updates go through
    ``update``, with the version the caller read)."""
    table = ENTITY_TABLES[kind]
    taken = session.scalar(
        select(table.id).where(table.external_id == record.external_id)  # type: ignore[attr-defined]
    )
    if taken is not None:
        raise ConflictError(
            f"{ENTITY_NAMES[kind]} '{record.external_id}' already exists; "
            "update it with PATCH and its ETag"
        )
    return _write(session, kind, record)


def merged_record(session: Session, kind: str, row: Any, changes: dict[str, Any]) -> Record:
    """The stored record with ``changes`` applied, validated as a whole (a change can break a
    rule that spans fields, such as a price band). Raises pydantic's ValidationError."""
    current = representation(session, kind, row)
    fields = RECORD_TYPES[kind].model_fields
    data = {k: v for k, v in current.items() if k in fields and v is not None}
    data.update(changes)
    data["external_id"] = row.external_id
    return RECORD_TYPES[kind].model_validate(data)


def update(session: Session, kind: str, row: Any, record: Record, if_match: str) -> Any:
    """Store ``record`` over ``row`` if the caller's ``if_match`` is still the stored
    version; otherwise ``PreconditionFailedError`` (someone changed it since)."""
    check_version(row.content_hash, if_match)
    _claim_version(session, kind, row)
    return _write(session, kind, record)


def _claim_version(session: Session, kind: str, row: Any) -> None:
    """Lock the row at the version the caller read, or fail: a no-op UPDATE conditioned on
    the content hash. A concurrent edit that committed first changed the hash, so this one
    matches no row (PostgreSQL re-checks the condition after waiting for the lock; SQLite
    lets one writer at a time)."""
    table: Any = ENTITY_TABLES[kind]
    claimed = session.execute(
        sa_update(table)
        .where(table.id == row.id, table.content_hash == row.content_hash)
        .values(content_hash=row.content_hash)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailedError(
            "the record changed while you edited it; GET it again and reapply your change"
        )


def check_version(current: str | int, if_match: str) -> None:
    """Compare an ``If-Match`` header with the stored version (``*`` matches any)."""
    wanted = {t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")}
    if "*" not in wanted and str(current) not in wanted:
        raise PreconditionFailedError(
            "the record changed since you read it; GET it again and reapply your change"
        )


def remove(session: Session, kind: str, row: Any, if_match: str | None) -> None:
    """Delete a record no other record refers to; ``ConflictError`` names what refers to it."""
    if if_match is not None:
        check_version(row.content_hash, if_match)
        _claim_version(session, kind, row)
    table: type[Base] = ENTITY_TABLES[kind]
    for other_kind, fks in FOREIGN_KEYS.items():
        for field, target in fks.items():
            if target is table:
                other = ENTITY_TABLES[other_kind]
                used = session.scalar(
                    select(other.id).where(getattr(other, field) == row.id).limit(1)  # type: ignore[attr-defined]
                )
                if used is not None:
                    raise ConflictError(
                        f"{ENTITY_NAMES[kind]} '{row.external_id}' is referenced by "
                        f"{other_kind} ({field}); it cannot be deleted"
                    )
    session.execute(delete(table).where(table.id == row.id))  # type: ignore[attr-defined]


def validation_error_fields(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic errors as ``{"field", "reason"}`` (for callers outside FastAPI's own body
    validation, e.g. a PATCH validated after merging)."""
    out = []
    for e in exc.errors():
        loc = [p for p in e.get("loc", ()) if p != "__root__"]
        out.append(
            {
                "field": ".".join(str(p) for p in loc) or "body",
                "reason": str(e.get("msg", "")),
                "loc": loc,
            }
        )
    return out


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
