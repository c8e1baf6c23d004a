"""Writes and reads of entities, keyed by external id.

Upserts are idempotent: each row's ``content_hash`` covers the fields the source provided, so
re-loading an unchanged file writes nothing, and fields a source does not provide are left as
they are (nothing already stored is lost).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import Record
from matcher.storage.tables import (
    Base,
    BuyerRow,
    ExporterRow,
    FunnelEventRow,
    NeedRow,
    PairBlockRow,
    PairingEventRow,
    ProductRow,
    ServiceOfferingRow,
)

ENTITY_TABLES: dict[str, type[Base]] = {
    "exporters": ExporterRow,
    "products": ProductRow,
    "services": ServiceOfferingRow,
    "buyers": BuyerRow,
    "needs": NeedRow,
    "events": FunnelEventRow,
    "pairing_events": PairingEventRow,
}

# Record field holding an external id -> the table whose internal id replaces it.
FOREIGN_KEYS: dict[str, dict[str, type[Base]]] = {
    "products": {"exporter_id": ExporterRow},
    "services": {"exporter_id": ExporterRow},
    "needs": {"buyer_id": BuyerRow},
    "events": {"exporter_id": ExporterRow, "buyer_id": BuyerRow, "need_id": NeedRow},
    "pairing_events": {"manufacturer_id": ExporterRow, "service_id": ServiceOfferingRow},
}

_LOOKUP_CHUNK = 500  # stays under SQLite's bound-parameter limit


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class UnresolvedReference:
    position: int
    field: str
    value: str
    entity: str


def content_hash(values: dict[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass
class RowValues:
    """A record as column values: ``values`` is complete (defaults filled in) and is what a
    new row gets; ``provided`` names the fields the source gave, the only ones an update of an
    existing row touches and the ones the content hash covers."""

    values: dict[str, Any]
    provided: frozenset[str]

    def provided_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k in self.provided}


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def record_values(record: Record) -> RowValues:
    """Column values of a record: dates stay dates, enums become their string values."""
    provided = frozenset(record.model_fields_set) | {"external_id"}
    values = {k: _plain(v) for k, v in record.model_dump().items()}
    return RowValues(values, provided)


def external_to_internal(
    session: Session, table: type[Base], external_ids: Iterable[str]
) -> dict[str, int]:
    ids = sorted(set(external_ids))
    found: dict[str, int] = {}
    ext_col = table.external_id  # type: ignore[attr-defined]
    id_col = table.id  # type: ignore[attr-defined]
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        for ext, internal in session.execute(select(ext_col, id_col).where(ext_col.in_(chunk))):
            found[ext] = internal
    return found


def resolve_references(
    session: Session, kind: str, rows: Sequence[RowValues]
) -> tuple[list[RowValues], list[UnresolvedReference]]:
    """Swap external ids in foreign-key fields for internal ids.

    Rows whose reference is unknown are returned as ``UnresolvedReference`` (by position) and
    left out, so one bad reference never blocks the rest of a file.
    """
    fks = FOREIGN_KEYS.get(kind, {})
    if not fks:
        return list(rows), []
    maps = {
        field: external_to_internal(
            session, target, (r.values[field] for r in rows if r.values.get(field) is not None)
        )
        for field, target in fks.items()
    }
    resolved: list[RowValues] = []
    missing: list[UnresolvedReference] = []
    for position, row in enumerate(rows):
        out = dict(row.values)
        bad = None
        for field, target in fks.items():
            ext = row.values.get(field)
            if ext is None:
                continue
            internal = maps[field].get(ext)
            if internal is None:
                bad = UnresolvedReference(position, field, ext, str(target.__tablename__))
                break
            out[field] = internal
        if bad is None:
            resolved.append(RowValues(out, row.provided))
        else:
            missing.append(bad)
    return resolved, missing


def upsert_rows(session: Session, table: type[Base], rows: Sequence[RowValues]) -> UpsertCounts:
    """Insert new external ids, update changed ones, skip identical ones.

    The content hash covers the provided fields only, so a source that omits a column can
    neither change the hash of nor erase what another source stored there. Duplicated
    external ids in one call must be removed by the caller.
    """
    counts = UpsertCounts()
    if not rows:
        return counts
    ext_col = table.external_id  # type: ignore[attr-defined]
    existing: dict[str, tuple[int, str]] = {}
    keys = [r.values["external_id"] for r in rows]
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        stmt = select(ext_col, table.id, table.content_hash).where(ext_col.in_(chunk))  # type: ignore[attr-defined]
        for ext, internal, digest in session.execute(stmt):
            existing[ext] = (internal, digest)

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        provided = row.provided_values()
        digest = content_hash(provided)
        current = existing.get(row.values["external_id"])
        if current is None:
            inserts.append({**row.values, "content_hash": digest})
        elif current[1] != digest:
            updates.append({**provided, "id": current[0], "content_hash": digest})
        else:
            counts.unchanged += 1
    if inserts:
        session.execute(table.__table__.insert(), inserts)  # type: ignore[attr-defined]
        counts.inserted = len(inserts)
    if inserts and updates:
        session.flush()
    id_col = table.id  # type: ignore[attr-defined]
    for change in updates:
        # One statement per changed row: sources may provide different column sets, and
        # changed rows are rare next to unchanged ones on re-ingest.
        values = {k: v for k, v in change.items() if k != "id"}
        values["updated_at"] = func.now()
        session.execute(update(table).where(id_col == change["id"]).values(**values))
    counts.updated = len(updates)
    return counts


def count(session: Session, table: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


# --- reads for the index builder and the match service -------------------------------------

PRODUCT_CATALOG_COLUMNS = (
    "product_id",
    "product_external_id",
    "product_name",
    "description",
    "hs_code",
    "price_min_usd",
    "price_max_usd",
    "price_unit",
    "moq",
    "moq_unit",
    "product_certifications",
    "language",
    "exporter_id",
    "exporter_external_id",
    "exporter_name_ko",
    "exporter_name_en",
    "exporter_kind",
    "industry",
    "city",
    "export_stage",
    "employees",
    "exporter_certifications",
    "markets",
    "languages",
)


def iter_product_catalog(session: Session, batch_size: int = 5000) -> Iterable[tuple[Any, ...]]:
    """Every product joined with its exporter, in id order, as tuples in
    ``PRODUCT_CATALOG_COLUMNS`` order (streamed, for catalogs of any size)."""
    stmt = (
        select(
            ProductRow.id,
            ProductRow.external_id,
            ProductRow.name,
            ProductRow.description,
            ProductRow.hs_code,
            ProductRow.price_min_usd,
            ProductRow.price_max_usd,
            ProductRow.price_unit,
            ProductRow.moq,
            ProductRow.moq_unit,
            ProductRow.certifications,
            ProductRow.language,
            ExporterRow.id,
            ExporterRow.external_id,
            ExporterRow.name_ko,
            ExporterRow.name_en,
            ExporterRow.kind,
            ExporterRow.industry,
            ExporterRow.city,
            ExporterRow.export_stage,
            ExporterRow.employees,
            ExporterRow.certifications,
            ExporterRow.markets,
            ExporterRow.languages,
        )
        .join(ExporterRow, ProductRow.exporter_id == ExporterRow.id)
        .order_by(ProductRow.id)
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(stmt):
        yield tuple(row)


def catalog_fingerprint(session: Session) -> str:
    """Changes whenever a product or its exporter is added, changed or removed."""
    return table_fingerprint(session, ProductRow, ExporterRow)


def get_buyer(session: Session, external_id: str) -> BuyerRow | None:
    return session.scalar(select(BuyerRow).where(BuyerRow.external_id == external_id))


def needs_without_confirmed_hs(
    session: Session, model: str, batch_size: int = 2000
) -> Iterable[tuple[int, str]]:
    """(id, text) of needs with no confirmed HS code and no suggestion from ``model`` yet."""
    stmt = (
        select(NeedRow.id, NeedRow.text, NeedRow.hs_codes, NeedRow.hs_suggested_by)
        .order_by(NeedRow.id)
        .execution_options(yield_per=batch_size)
    )
    for internal, text, confirmed, suggested_by in session.execute(stmt):
        if not confirmed and suggested_by != model:
            yield internal, text


def set_suggested_hs(
    session: Session, suggestions: Sequence[tuple[int, list[str]]], model: str
) -> None:
    """Store suggestions; the content hash is untouched, since no source provided them."""
    for internal, codes in suggestions:
        session.execute(
            update(NeedRow)
            .where(NeedRow.id == internal)
            .values(suggested_hs_codes=codes, hs_suggested_by=model)
        )


def iter_table(
    session: Session, table: type[Base], columns: Sequence[str], batch_size: int = 5000
) -> Iterable[dict[str, Any]]:
    """Rows of one table as dicts of the given columns, in id order (streamed)."""
    cols = [getattr(table, c) for c in columns]
    stmt = select(*cols).order_by(table.id).execution_options(yield_per=batch_size)  # type: ignore[attr-defined]
    for row in session.execute(stmt):
        yield dict(zip(columns, row, strict=True))


def table_fingerprint(session: Session, *tables: type[Base]) -> str:
    """Changes whenever a row of any of the tables is added, changed or removed.

    It digests every (id, content hash) pair rather than trusting timestamps, which have
    one-second resolution on SQLite; a scan of two narrow columns takes well under a second
    at a million rows. Derived columns (HS suggestions) do not change it.
    """
    digest = hashlib.sha256()
    for table in tables:
        digest.update(table.__tablename__.encode())
        stmt = (
            select(table.id, table.content_hash)  # type: ignore[attr-defined]
            .order_by(table.id)  # type: ignore[attr-defined]
            .execution_options(yield_per=20_000)
        )
        for internal, content in session.execute(stmt):
            digest.update(f"{internal}:{content};".encode())
    return digest.hexdigest()[:16]


EVENT_COLUMNS = ("id", "exporter_id", "buyer_id", "stage", "occurred_at", "center", "need_id")


def events_frame(session: Session) -> pd.DataFrame:
    """Every funnel event (internal ids), for history features and learning to rank."""
    rows = list(iter_table(session, FunnelEventRow, EVENT_COLUMNS, batch_size=20_000))
    return pd.DataFrame.from_records(rows, columns=list(EVENT_COLUMNS))


PAIRING_EVENT_COLUMNS = ("id", "manufacturer_id", "service_id", "market", "stage", "occurred_at")


def pairing_events_frame(session: Session) -> pd.DataFrame:
    """Every pairing event (internal ids): the pairing ranker's labels and track records."""
    rows = list(iter_table(session, PairingEventRow, PAIRING_EVENT_COLUMNS, batch_size=20_000))
    return pd.DataFrame.from_records(rows, columns=list(PAIRING_EVENT_COLUMNS))


def pairing_track_counts(
    session: Session, before: dt.datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """Per service firm: (manufacturer, offering) pairings with an event before ``before``,
    and how many of them reached a funnel step past the first contact by then. One
    aggregate query: the partner service asks this on every request."""
    steps = [stage.value for stage in FunnelStage.progression()]
    per_pair = (
        select(
            PairingEventRow.service_id.label("service_id"),
            func.max(case((PairingEventRow.stage.in_(steps), 1), else_=0)).label("advanced"),
        )
        .where(PairingEventRow.occurred_at < before)
        .group_by(PairingEventRow.manufacturer_id, PairingEventRow.service_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ServiceOfferingRow.exporter_id,
            func.count(),
            func.coalesce(func.sum(per_pair.c.advanced), 0),
        )
        .join(per_pair, per_pair.c.service_id == ServiceOfferingRow.id)
        .group_by(ServiceOfferingRow.exporter_id)
    ).all()
    return (
        {int(firm): int(pairs) for firm, pairs, _ in rows},
        {int(firm): int(advanced) for firm, _, advanced in rows},
    )


def blocked_pairs(
    session: Session, exporter_id: int | Sequence[int] | None = None
) -> set[tuple[int, int]]:
    """Blocked (exporter, buyer) pairs: all, one firm's, or several firms'."""
    stmt = select(PairBlockRow.exporter_id, PairBlockRow.buyer_id)
    if isinstance(exporter_id, int):
        stmt = stmt.where(PairBlockRow.exporter_id == exporter_id)
    elif exporter_id is not None:
        stmt = stmt.where(PairBlockRow.exporter_id.in_(list(exporter_id)))
    return {(int(e), int(b)) for e, b in session.execute(stmt)}


def block_pair(
    session: Session, exporter_id: int, buyer_id: int, reason: str | None, actor: str | None
) -> None:
    """Block a pair (idempotent: blocking it again keeps the first record)."""
    exists = session.execute(
        select(PairBlockRow.id).where(
            PairBlockRow.exporter_id == exporter_id, PairBlockRow.buyer_id == buyer_id
        )
    ).first()
    if exists is None:
        session.add(
            PairBlockRow(exporter_id=exporter_id, buyer_id=buyer_id, reason=reason, actor=actor)
        )


def product_documents_of(
    session: Session, exporter_id: int
) -> list[tuple[str | None, str, str | None]]:
    """(name, description, hs code) of one firm's products."""
    stmt = (
        select(ProductRow.name, ProductRow.description, ProductRow.hs_code)
        .where(ProductRow.exporter_id == exporter_id)
        .order_by(ProductRow.id)
    )
    return [(n, d, h) for n, d, h in session.execute(stmt)]


def product_documents_by_firm(
    session: Session, exporter_ids: Iterable[int]
) -> dict[int, list[tuple[str | None, str, str | None]]]:
    """``product_documents_of`` for many firms in a few reads (chunks of
    ``_LOOKUP_CHUNK``); a firm without products is left out."""
    wanted = sorted(set(exporter_ids))
    out: dict[int, list[tuple[str | None, str, str | None]]] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        stmt = (
            select(
                ProductRow.exporter_id, ProductRow.name, ProductRow.description, ProductRow.hs_code
            )
            .where(ProductRow.exporter_id.in_(wanted[start : start + _LOOKUP_CHUNK]))
            .order_by(ProductRow.exporter_id, ProductRow.id)
        )
        for e, n, d, h in session.execute(stmt):
            out.setdefault(int(e), []).append((n, d, h))
    return out


def get_exporter(session: Session, external_id: str) -> ExporterRow | None:
    return session.execute(
        select(ExporterRow).where(ExporterRow.external_id == external_id)
    ).scalar_one_or_none()


def _rows_by(session: Session, table: type[Base], key: str, ids: Iterable[Any]) -> dict[Any, Any]:
    """Rows of ``table`` whose column ``key`` is one of ``ids``, by that value, read in
    chunks of ``_LOOKUP_CHUNK`` (missing ones left out)."""
    wanted = sorted(set(ids))
    column = getattr(table, key)
    found: dict[Any, Any] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        for row in session.scalars(select(table).where(column.in_(chunk))):
            found[getattr(row, key)] = row
    return found


def rows_by_external_id(session: Session, table: type[Base], ids: Iterable[str]) -> dict[str, Any]:
    """Rows of ``table`` with these external ids, by external id (missing ones left out)."""
    return _rows_by(session, table, "external_id", ids)


def rows_by_id(session: Session, table: type[Base], ids: Iterable[int]) -> dict[int, Any]:
    """Rows of ``table`` with these internal ids, by id."""
    return _rows_by(session, table, "id", ids)
