"""Reads behind the nightly batch's engine (``matcher.batch``): what each query reads, as
content hashes, so an incremental run can tell which queries' inputs changed, and a run's
ranks for the diff against the previous run.

Every read is two or three narrow columns streamed in id order (``yield_per``): at BuyKorea
scale (100k products, 750k funnel events) a full scan of them takes seconds, far less than
ranking one partition, and digesting content hashes needs no trust in timestamps (which
have one-second resolution on SQLite).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.storage.tables import (
    BatchPartitionRow,
    BuyerRow,
    ExporterRow,
    FunnelEventRow,
    NeedRow,
    ProductRow,
    RecommendationRow,
)

_CHUNK = 20_000
_IN_CHUNK = 900  # ids per IN (...) list, under SQLite's variable limit


@dataclass(frozen=True)
class NeedInput:
    """An open inquiry as the supplier search reads it (``suggested_hs_codes`` are derived,
    so the row's content hash does not cover them)."""

    id: int
    external_id: str
    buyer_id: int | None
    content_hash: str
    suggested_hs_codes: tuple[str, ...]


@dataclass(frozen=True)
class ExporterInput:
    id: int
    external_id: str
    kind: str
    markets: tuple[str, ...]
    content_hash: str


def open_needs(session: Session) -> list[NeedInput]:
    stmt = (
        select(
            NeedRow.id,
            NeedRow.external_id,
            NeedRow.buyer_id,
            NeedRow.content_hash,
            NeedRow.suggested_hs_codes,
        )
        .where(NeedRow.status == "open")
        .order_by(NeedRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    return [
        NeedInput(int(i), ext, None if b is None else int(b), h, tuple(s or ()))
        for i, ext, b, h, s in session.execute(stmt)
    ]


def exporters(session: Session) -> list[ExporterInput]:
    stmt = (
        select(
            ExporterRow.id,
            ExporterRow.external_id,
            ExporterRow.kind,
            ExporterRow.markets,
            ExporterRow.content_hash,
        )
        .order_by(ExporterRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    return [
        ExporterInput(int(i), ext, kind, tuple(m or ()), h)
        for i, ext, kind, m, h in session.execute(stmt)
    ]


def product_hashes(session: Session) -> list[tuple[int, int, str]]:
    """``(product id, exporter id, content hash)`` of every product."""
    stmt = (
        select(ProductRow.id, ProductRow.exporter_id, ProductRow.content_hash)
        .order_by(ProductRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    return [(int(i), int(e), h) for i, e, h in session.execute(stmt)]


def product_pairing_fields(
    session: Session,
) -> Iterator[tuple[int, str | None, str | None, str | None, list[str]]]:
    """``(exporter id, name, description, HS code, certifications)`` of every product, in
    product id order: what the service-partner search reads of a firm's products (not
    their prices or quantities)."""
    stmt = (
        select(
            ProductRow.exporter_id,
            ProductRow.name,
            ProductRow.description,
            ProductRow.hs_code,
            ProductRow.certifications,
        )
        .order_by(ProductRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    for e, n, d, h, c in session.execute(stmt):
        yield int(e), n, d, h, sorted(c or [])


def need_texts(session: Session, need_ids: Iterable[int]) -> dict[int, str]:
    """``{need id: text}`` of the given inquiries."""
    out: dict[int, str] = {}
    ids = sorted(set(need_ids))
    for start in range(0, len(ids), _IN_CHUNK):
        stmt = select(NeedRow.id, NeedRow.text).where(
            NeedRow.id.in_(ids[start : start + _IN_CHUNK])
        )
        out.update((int(i), t) for i, t in session.execute(stmt))
    return out


def product_documents(
    session: Session, exporter_ids: Iterable[int]
) -> dict[int, list[tuple[str | None, str, str | None]]]:
    """``{exporter id: [(name, description, HS code), ...]}`` in product id order: what
    ``repository.product_documents_of`` reads for one firm, for many at once."""
    wanted = set(exporter_ids)
    out: dict[int, list[tuple[str | None, str, str | None]]] = {}
    stmt = (
        select(ProductRow.exporter_id, ProductRow.name, ProductRow.description, ProductRow.hs_code)
        .order_by(ProductRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    for e, n, d, h in session.execute(stmt):
        if int(e) in wanted:
            out.setdefault(int(e), []).append((n, d, h))
    return out


def buyers(session: Session) -> dict[int, tuple[str, str]]:
    """``{buyer id: (external id, content hash)}``."""
    stmt = (
        select(BuyerRow.id, BuyerRow.external_id, BuyerRow.content_hash)
        .order_by(BuyerRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    return {int(i): (ext, h) for i, ext, h in session.execute(stmt)}


def run_targets(session: Session, run_id: str) -> dict[str, dict[str, dict[str, float]]]:
    """``{task: {query key: {target id: score}}}`` of one run: what each query recommended,
    with the score each result was shown with."""
    stmt = (
        select(
            RecommendationRow.task,
            RecommendationRow.query_key,
            RecommendationRow.target_id,
            RecommendationRow.score,
        )
        .where(RecommendationRow.run_id == run_id)
        .execution_options(yield_per=_CHUNK)
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for task, key, target, score in session.execute(stmt):
        out.setdefault(task, {}).setdefault(key, {})[target] = float(score)
    return out


def event_digests(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """A digest of each exporter's and each buyer's funnel events (ids and content hashes):
    it changes when an event of theirs is recorded, changed or removed, which moves their
    history features, exposure and responsiveness."""
    by_exporter: dict[int, hashlib._Hash] = {}
    by_buyer: dict[int, hashlib._Hash] = {}
    stmt = (
        select(
            FunnelEventRow.id,
            FunnelEventRow.exporter_id,
            FunnelEventRow.buyer_id,
            FunnelEventRow.content_hash,
        )
        .order_by(FunnelEventRow.id)
        .execution_options(yield_per=_CHUNK)
    )
    for event, exporter, buyer, content in session.execute(stmt):
        token = f"{event}:{content};".encode()
        for digests, key in ((by_exporter, int(exporter)), (by_buyer, int(buyer))):
            digest = digests.get(key)
            if digest is None:
                digest = digests[key] = hashlib.sha256()
            digest.update(token)
    return (
        {k: d.hexdigest()[:16] for k, d in by_exporter.items()},
        {k: d.hexdigest()[:16] for k, d in by_buyer.items()},
    )


def run_ranks(session: Session, run_id: str) -> pd.DataFrame:
    """``task, query_key, target_id, rank, score`` of every recommendation of one run (the
    narrow columns a diff needs; reasons stay in the database)."""
    stmt = select(
        RecommendationRow.task,
        RecommendationRow.query_key,
        RecommendationRow.target_id,
        RecommendationRow.rank,
        RecommendationRow.score,
    ).where(RecommendationRow.run_id == run_id)
    rows = session.execute(stmt.execution_options(yield_per=_CHUNK)).all()
    frame = pd.DataFrame(rows, columns=["task", "query_key", "target_id", "rank", "score"])
    return frame.astype({"rank": "int64", "score": "float64"})


def partition_totals(session: Session, run_id: str) -> dict[str, dict[str, float]]:
    """Per task, the run's finished partitions: how many, and their queries, rows and
    seconds (a resumed run's summary counts what the killed one wrote too)."""
    stmt = (
        select(
            BatchPartitionRow.task,
            func.count(),
            func.sum(BatchPartitionRow.queries),
            func.sum(BatchPartitionRow.rows),
            func.sum(BatchPartitionRow.seconds),
        )
        .where(BatchPartitionRow.run_id == run_id)
        .group_by(BatchPartitionRow.task)
    )
    return {
        task: {
            "partitions": int(n),
            "queries": int(q or 0),
            "rows": int(r or 0),
            "seconds": float(s or 0.0),
        }
        for task, n, q, r, s in session.execute(stmt)
    }
