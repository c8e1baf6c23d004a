"""Reads behind the nightly batch's report (``matcher.batch.report``).

A run can hold hundreds of thousands of recommendations, so they are streamed in a fixed
order (``yield_per``) rather than loaded at once; everything else is a keyed read. The
domain meaning (which center owns an inquiry, what a strong match is) stays in the report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from matcher.storage.batch_runs import Recommendation
from matcher.storage.tables import (
    BuyerRow,
    ExporterRow,
    NeedRow,
    RecommendationRow,
)

_STREAM_CHUNK = 5000


def run_recommendations(
    session: Session, run_id: str, with_reasons: bool = True
) -> Iterator[Recommendation]:
    """Every recommendation of a run, by task, query and rank, streamed in chunks so a large
    run never sits in memory at once. Read through Core (plain rows, no ORM loading), and
    without the reasons' JSON where the caller does not need it: decoding it is most of the
    cost of a pass over a few hundred thousand rows."""
    t = RecommendationRow.__table__.c
    reasons = t.reasons if with_reasons else null().label("reasons")
    stmt = (
        select(t.task, t.query_key, t.rank, t.target_id, t.score, t.probability, reasons)
        .where(t.run_id == run_id)
        .order_by(t.task, t.query_key, t.rank, t.target_id)
        .execution_options(yield_per=_STREAM_CHUNK)
    )
    for task, query_key, rank, target_id, score, probability, found in session.connection().execute(
        stmt
    ):
        yield Recommendation(
            task, query_key, int(rank), target_id, float(score), probability, found or []
        )


def open_inquiries(
    session: Session, status: str
) -> list[tuple[str, str | None, str | None, str | None]]:
    """``(need external id, its buyer's center, its buyer's country, the need's country)``
    of the inquiries with ``status``; buyer fields None where the inquiry names no buyer."""
    stmt = (
        select(NeedRow.external_id, BuyerRow.center, BuyerRow.country, NeedRow.country)
        .outerjoin(BuyerRow, BuyerRow.id == NeedRow.buyer_id)
        .where(NeedRow.status == status)
    )
    return [
        (ext, center, b_country, n_country)
        for ext, center, b_country, n_country in session.execute(stmt).all()
    ]


def exporter_names(
    session: Session, external_ids: Sequence[str]
) -> dict[str, tuple[str | None, str | None]]:
    """``{external id: (name_ko, name_en)}`` for these exporters (unknown ids left out)."""
    wanted = sorted(set(external_ids))
    out: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        stmt = select(ExporterRow.external_id, ExporterRow.name_ko, ExporterRow.name_en).where(
            ExporterRow.external_id.in_(chunk)
        )
        for ext, ko, en in session.execute(stmt).all():
            out[ext] = (ko, en)
    return out
