"""A center's funnel dashboard for one month: the process KPIs the province's evaluation
report asks for (``../shared/docs/domain.md``) instead of counting only year-end contracts.

All counts come from grouped SQL (``matcher.storage.reporting_queries``); months are
calendar months in UTC, half-open ``[first day 00:00, next first day 00:00)``, so an event at
23:59:59 UTC on the last day belongs to that month and one at 00:00 the next day does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from matcher.domain.enums import FunnelStage
from matcher.storage import reporting_queries as q

UNASSIGNED = "unassigned"
TREND_MONTHS = 12
INACTIVE_DAYS = 30  # a client firm with no event at the center for this long needs a call
CLIENT_DAYS = 365  # how far back an event still makes a firm a client of the center

PROGRESSION: tuple[FunnelStage, ...] = FunnelStage.progression()
_PROGRESSION_VALUES: tuple[str, ...] = tuple(s.value for s in PROGRESSION)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, if negative) ``first``'s."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` in UTC of the calendar month containing ``day``."""
    first = month_start(day)
    return _midnight(first), _midnight(add_months(first, 1))


def _counts(values: Mapping[str, int]) -> dict[FunnelStage, int]:
    """Counts keyed by the progression stages, zero where nothing happened."""
    return {stage: values.get(stage.value, 0) for stage in PROGRESSION}


def expected_contracts(pairs_by_furthest: Mapping[FunnelStage, int]) -> float:
    """Expected contracts of a set of pairs: each (exporter, buyer) pair counts once, with the
    contract probability of the furthest progression stage it reached.

    Why not the sum of events × probability over the stages: a pair that went from market
    information (10%) through an MOU (30%) to a consultation (70%) in one month is one
    prospective contract with a 70% chance, not 1.1 contracts; summing the stages counts it
    three times. The report's probabilities are "given a pair reached this stage", so the
    furthest stage is the pair's best estimate. A later decline is not subtracted: it is a
    stage outside the documented progression, which has no probability to apply.
    """
    return sum(n * (stage.contract_probability or 0.0) for stage, n in pairs_by_furthest.items())


@dataclass(frozen=True)
class StageFigures:
    """One progression stage in the month."""

    stage: FunnelStage
    events: int
    # events here ÷ events at the previous stage; None for the first stage or after a zero.
    conversion: float | None
    # events × the stage's contract probability (double-counts pairs across stages; the
    # dashboard's total uses the per-pair rule instead, see ``expected_contracts``).
    expected_contracts: float


@dataclass(frozen=True)
class ActorActivity:
    """One staff member's events per progression stage (``actor`` "unassigned" where none
    was recorded)."""

    actor: str
    counts: Mapping[FunnelStage, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class FirmActivity:
    """One client firm's events per progression stage at the center."""

    exporter_id: str  # external id
    name_ko: str | None
    name_en: str | None
    counts: Mapping[FunnelStage, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class MonthCounts:
    month: dt.date  # the first day of the month
    counts: Mapping[FunnelStage, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class InactiveFirm:
    exporter_id: str  # external id
    name_ko: str | None
    name_en: str | None
    last_event_at: dt.datetime | None  # latest event at the center (UTC); None: never

    @property
    def last_event_on(self) -> dt.date | None:
        return None if self.last_event_at is None else self.last_event_at.date()


@dataclass(frozen=True)
class Dashboard:
    """One center's month: the funnel stages, the expected contracts, who did the work,
    which firms it went to, the last year's trend and the client firms gone quiet."""

    center: str
    month: dt.date  # the first day of the month shown
    start: dt.datetime  # the month as a UTC range [start, end)
    end: dt.datetime
    today: dt.date
    stages: tuple[StageFigures, ...]
    # Per-pair rule (see ``expected_contracts``), not the sum of the stages' figures.
    expected_contracts: float
    # Pairs with a progression event in the month, by the furthest stage they reached.
    pairs_by_furthest: Mapping[FunnelStage, int]
    by_actor: tuple[ActorActivity, ...]
    by_firm: tuple[FirmActivity, ...]
    trend: tuple[MonthCounts, ...]  # TREND_MONTHS months, oldest first, ending with ``month``
    inactive_firms: tuple[InactiveFirm, ...]

    @property
    def active_pairs(self) -> int:
        return sum(self.pairs_by_furthest.values())


def stage_figures(counts: Mapping[FunnelStage, int]) -> tuple[StageFigures, ...]:
    """Conversion and per-stage expected contracts from the events per progression stage."""
    out: list[StageFigures] = []
    previous: int | None = None
    for stage in PROGRESSION:
        events = counts.get(stage, 0)
        conversion = events / previous if previous else None
        out.append(
            StageFigures(stage, events, conversion, events * (stage.contract_probability or 0.0))
        )
        previous = events
    return tuple(out)


def pairs_by_furthest(
    session: Session,
    center: str,
    start: dt.datetime,
    end: dt.datetime,
    exporter_id: int | None = None,
) -> dict[FunnelStage, int]:
    """Pairs active in ``[start, end)`` by the furthest progression stage they reached."""
    found = q.pairs_by_furthest_stage(session, center, start, end, _PROGRESSION_VALUES, exporter_id)
    return _counts(found)


def _by_actor(
    session: Session, center: str, start: dt.datetime, end: dt.datetime
) -> tuple[ActorActivity, ...]:
    grouped: dict[str, dict[str, int]] = {}
    for actor, stage, n in q.stage_counts_by_actor(
        session, center, start, end, _PROGRESSION_VALUES
    ):
        per_stage = grouped.setdefault(actor or UNASSIGNED, {})
        per_stage[stage] = per_stage.get(stage, 0) + n
    rows = [ActorActivity(actor, _counts(c)) for actor, c in grouped.items()]
    return tuple(sorted(rows, key=lambda r: (-r.total, r.actor)))


def _by_firm(
    session: Session, center: str, start: dt.datetime, end: dt.datetime
) -> tuple[FirmActivity, ...]:
    names: dict[str, tuple[str | None, str | None]] = {}
    grouped: dict[str, dict[str, int]] = {}
    rows = q.stage_counts_by_exporter(session, center, start, end, _PROGRESSION_VALUES)
    for ext, ko, en, stage, n in rows:
        names[ext] = (ko, en)
        grouped.setdefault(ext, {})[stage] = n
    firms = [FirmActivity(ext, *names[ext], _counts(c)) for ext, c in grouped.items()]
    # Most active first; among equals, the firm that got further, then by id for stability.
    return tuple(
        sorted(
            firms,
            key=lambda f: (
                -f.total,
                tuple(-f.counts[s] for s in reversed(PROGRESSION)),
                f.exporter_id,
            ),
        )
    )


def _trend(session: Session, center: str, month: dt.date) -> tuple[MonthCounts, ...]:
    firsts = [add_months(month, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    windows = [month_bounds(first) for first in firsts]
    found = q.stage_counts_by_window(session, center, windows, _PROGRESSION_VALUES)
    return tuple(
        MonthCounts(first, {s: found.get((i, s.value), 0) for s in PROGRESSION})
        for i, first in enumerate(firsts)
    )


def inactive_firms(session: Session, center: str, today: dt.date) -> tuple[InactiveFirm, ...]:
    """The center's client firms with no event at the center from 00:00 UTC ``INACTIVE_DAYS``
    days before ``today`` through the end of ``today``, those silent longest (or never
    heard of) first.

    A *client firm* of a center is an exporter with an event at the center from 00:00 UTC
    ``CLIENT_DAYS`` days before ``today`` through the end of ``today``, or with a shortlist
    at the center (any age): the first catches firms the center works with, the second
    firms it took on but has not yet contacted (exactly the ones a reminder is for). Events
    dated after today are ignored.
    """
    until = _midnight(today + dt.timedelta(days=1))
    rows = q.clients_without_recent_events(
        session,
        center,
        clients_since=_midnight(today - dt.timedelta(days=CLIENT_DAYS)),
        active_since=_midnight(today - dt.timedelta(days=INACTIVE_DAYS)),
        until=until,
    )
    firms = [InactiveFirm(ext, ko, en, at) for ext, ko, en, at in rows]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return tuple(sorted(firms, key=lambda f: (f.last_event_at or oldest, f.exporter_id)))


def center_dashboard(session: Session, center: str, month: dt.date, today: dt.date) -> Dashboard:
    """Everything a center's dashboard shows for the month containing ``month``.

    ``today`` is passed in (not read from the clock) so the inactive-firm list is
    reproducible and testable.
    """
    first = month_start(month)
    start, end = month_bounds(first)
    counts = _counts(q.stage_counts(session, center, start, end))
    pairs = pairs_by_furthest(session, center, start, end)
    return Dashboard(
        center=center,
        month=first,
        start=start,
        end=end,
        today=today,
        stages=stage_figures(counts),
        expected_contracts=expected_contracts(pairs),
        pairs_by_furthest=pairs,
        by_actor=_by_actor(session, center, start, end),
        by_firm=_by_firm(session, center, start, end),
        trend=_trend(session, center, first),
        inactive_firms=inactive_firms(session, center, today),
    )
