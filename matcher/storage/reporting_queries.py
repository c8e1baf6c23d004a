"""Aggregate reads behind the staff dashboard and the exports (``matcher.reporting``).

Every figure is a grouped count in the database: the demo store holds ~750k funnel events,
and a dashboard must not pull them into Python. Time windows are half-open UTC ranges
``[start, end)`` compared with the stored ``occurred_at`` directly, with no backend date
functions, so SQLite and PostgreSQL bucket identically. Stages are passed in as their stored
strings; the domain meaning (order, probabilities) stays in ``matcher.reporting``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from matcher.storage.tables import BuyerRow, ExporterRow, FunnelEventRow, ShortlistRow

Window = tuple[dt.datetime, dt.datetime]

_EV = FunnelEventRow


def _in_window(
    center: str,
    start: dt.datetime,
    end: dt.datetime,
    stages: Sequence[str] | None = None,
    exporter_id: int | None = None,
) -> list[ColumnElement[bool]]:
    conditions = [_EV.center == center, _EV.occurred_at >= start, _EV.occurred_at < end]
    if stages is not None:
        conditions.append(_EV.stage.in_(list(stages)))
    if exporter_id is not None:
        conditions.append(_EV.exporter_id == exporter_id)
    return conditions


def stage_counts(
    session: Session,
    center: str,
    start: dt.datetime,
    end: dt.datetime,
    exporter_id: int | None = None,
) -> dict[str, int]:
    """Events per stage of one center in ``[start, end)`` (optionally of one firm)."""
    stmt = (
        select(_EV.stage, func.count())
        .where(*_in_window(center, start, end, exporter_id=exporter_id))
        .group_by(_EV.stage)
    )
    return {stage: int(n) for stage, n in session.execute(stmt).all()}


def stage_counts_by_actor(
    session: Session, center: str, start: dt.datetime, end: dt.datetime, stages: Sequence[str]
) -> list[tuple[str | None, str, int]]:
    """``(actor, stage, events)`` for the given stages; actor None where none was recorded."""
    stmt = (
        select(_EV.actor, _EV.stage, func.count())
        .where(*_in_window(center, start, end, stages))
        .group_by(_EV.actor, _EV.stage)
    )
    return [(actor, stage, int(n)) for actor, stage, n in session.execute(stmt).all()]


def stage_counts_by_exporter(
    session: Session, center: str, start: dt.datetime, end: dt.datetime, stages: Sequence[str]
) -> list[tuple[str, str | None, str | None, str, int]]:
    """``(exporter external id, name_ko, name_en, stage, events)`` for the given stages.

    Grouped by the internal id first and joined to the names afterwards, so the grouping
    stays on the indexed integer column."""
    counts = (
        select(_EV.exporter_id, _EV.stage, func.count().label("n"))
        .where(*_in_window(center, start, end, stages))
        .group_by(_EV.exporter_id, _EV.stage)
        .subquery()
    )
    stmt = select(
        ExporterRow.external_id,
        ExporterRow.name_ko,
        ExporterRow.name_en,
        counts.c.stage,
        counts.c.n,
    ).join(counts, counts.c.exporter_id == ExporterRow.id)
    return [(ext, ko, en, stage, int(n)) for ext, ko, en, stage, n in session.execute(stmt).all()]


def stage_counts_by_window(
    session: Session, center: str, windows: Sequence[Window], stages: Sequence[str]
) -> dict[tuple[int, str], int]:
    """``{(window index, stage): events}`` over consecutive windows, in one query.

    The bucket is a CASE over the windows, computed in a subquery and grouped outside it:
    PostgreSQL refuses to group by an expression whose bound parameters are rendered twice
    under different names, and a subquery column sidesteps that on both backends."""
    if not windows:
        return {}
    bucket = case(
        *[
            (and_(_EV.occurred_at >= start, _EV.occurred_at < end), index)
            for index, (start, end) in enumerate(windows)
        ],
        else_=-1,
    ).label("bucket")
    inner = (
        select(bucket, _EV.stage.label("stage"))
        .where(*_in_window(center, windows[0][0], windows[-1][1], stages))
        .subquery()
    )
    stmt = select(inner.c.bucket, inner.c.stage, func.count()).group_by(
        inner.c.bucket, inner.c.stage
    )
    return {(int(b), stage): int(n) for b, stage, n in session.execute(stmt).all() if int(b) >= 0}


def pairs_by_furthest_stage(
    session: Session,
    center: str,
    start: dt.datetime,
    end: dt.datetime,
    stages: Sequence[str],
    exporter_id: int | None = None,
) -> dict[str, int]:
    """How many (exporter, buyer) pairs had each of ``stages`` (given in funnel order) as the
    furthest they reached in ``[start, end)``. A pair with no event at these stages in the
    window is not counted."""
    rank = case({stage: index for index, stage in enumerate(stages)}, value=_EV.stage)
    per_pair = (
        select(func.max(rank).label("furthest"))
        .where(*_in_window(center, start, end, stages, exporter_id))
        .group_by(_EV.exporter_id, _EV.buyer_id)
        .subquery()
    )
    stmt = select(per_pair.c.furthest, func.count()).group_by(per_pair.c.furthest)
    return {stages[int(i)]: int(n) for i, n in session.execute(stmt).all()}


def clients_without_recent_events(
    session: Session,
    center: str,
    clients_since: dt.datetime,
    active_since: dt.datetime,
    until: dt.datetime,
) -> list[tuple[str, str | None, str | None, dt.datetime | None]]:
    """``(external id, name_ko, name_en, last event at)`` of the center's client firms with no
    event at the center in ``[active_since, until)``.

    A client firm has an event at the center in ``[clients_since, until)`` or a shortlist at
    the center. The last event is the latest at the center before ``until`` (None: never).

    Two reads rather than one join over the center's whole history: a firm with an event in
    the window has its last event in the window too, so only shortlist-only firms (few) need
    their older history, looked up by firm."""
    in_window = (
        _EV.center == center,
        _EV.occurred_at >= clients_since,
        _EV.occurred_at < until,
    )
    last_at = func.max(_EV.occurred_at)
    recent = (
        select(_EV.exporter_id, last_at.label("last_at"))
        .where(*in_window)
        .group_by(_EV.exporter_id)
        .having(last_at < active_since)
        .subquery()
    )
    names = (ExporterRow.external_id, ExporterRow.name_ko, ExporterRow.name_en)
    found = list(
        session.execute(
            select(*names, recent.c.last_at).join(recent, recent.c.exporter_id == ExporterRow.id)
        ).all()
    )
    older = (
        select(func.max(_EV.occurred_at))
        .where(_EV.exporter_id == ExporterRow.id, _EV.center == center, _EV.occurred_at < until)
        .scalar_subquery()
    )
    shortlisted_only = select(*names, older).where(
        ExporterRow.id.in_(select(ShortlistRow.exporter_id).where(ShortlistRow.center == center)),
        ExporterRow.id.not_in(select(_EV.exporter_id).where(*in_window)),
    )
    found.extend(session.execute(shortlisted_only).all())
    return [(ext, ko, en, at) for ext, ko, en, at in found]


def buyers_by_external_id(session: Session, external_ids: Sequence[str]) -> dict[str, BuyerRow]:
    if not external_ids:
        return {}
    stmt = select(BuyerRow).where(BuyerRow.external_id.in_(sorted(set(external_ids))))
    return {row.external_id: row for row in session.scalars(stmt)}


def pair_stage_history(
    session: Session, exporter_id: int, buyer_ids: Sequence[int]
) -> list[tuple[int, str, dt.datetime]]:
    """``(buyer id, stage, latest occurred_at)`` of one firm's events with these buyers, at
    any center (a pair's history is the pair's, whoever recorded it)."""
    if not buyer_ids:
        return []
    stmt = (
        select(_EV.buyer_id, _EV.stage, func.max(_EV.occurred_at))
        .where(_EV.exporter_id == exporter_id, _EV.buyer_id.in_(sorted(set(buyer_ids))))
        .group_by(_EV.buyer_id, _EV.stage)
    )
    return [(b, stage, at) for b, stage, at in session.execute(stmt).all()]


def firm_events(
    session: Session, exporter_id: int, center: str, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """One firm's events at one center in ``[start, end)`` with the importer's name and
    place, oldest first (the activity sheet of a monthly report)."""
    stmt = (
        select(
            _EV.occurred_at,
            BuyerRow.external_id.label("buyer_external_id"),
            BuyerRow.name.label("buyer_name"),
            BuyerRow.country,
            BuyerRow.city,
            _EV.stage,
            _EV.value_usd,
            _EV.note,
            _EV.actor,
        )
        .join(BuyerRow, BuyerRow.id == _EV.buyer_id)
        .where(*_in_window(center, start, end, exporter_id=exporter_id))
        .order_by(_EV.occurred_at, _EV.id)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]
