"""The center dashboard on a hand-made store, on SQLite and PostgreSQL: stage counts equal
the raw grouped SQL, conversions and expected contracts follow the documented rules, month
boundaries are UTC and half-open, and the actor / firm / trend / inactive views."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import BuyerRecord, ExporterRecord, FunnelEventRecord
from matcher.reporting.funnel import (
    UNASSIGNED,
    add_months,
    center_dashboard,
    expected_contracts,
    month_bounds,
    stage_figures,
)
from matcher.storage import records, shortlists
from matcher.storage.database import session_scope
from matcher.storage.tables import UTCDateTime

S = FunnelStage
MAY = dt.date(2024, 5, 17)  # any day of the month shown
TODAY = dt.date(2024, 6, 10)


def _at(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=dt.UTC)


# (exporter, buyer, stage, when, actor, center)
EVENTS: list[tuple[str, str, FunnelStage, dt.datetime, str | None, str]] = [
    # E1-B1 goes market info -> MOU -> consultation in May (furthest: 70%).
    ("E1", "B1", S.MARKET_INFO_SENT, _at(2024, 5, 2), "kim", "HAN"),
    ("E1", "B1", S.MOU, _at(2024, 5, 10), "kim", "HAN"),
    ("E1", "B1", S.CONSULTATION, _at(2024, 5, 20), "kim", "HAN"),
    # E1-B2: market info -> importer info (40%).
    ("E1", "B2", S.MARKET_INFO_SENT, _at(2024, 5, 3), "lee", "HAN"),
    ("E1", "B2", S.IMPORTER_INFO_SENT, _at(2024, 5, 15), "lee", "HAN"),
    # E2-B1: the last second of May counts in May (10%) ...
    ("E2", "B1", S.MARKET_INFO_SENT, _at(2024, 5, 31, 23, 59, 59), "lee", "HAN"),
    # ... midnight on June 1 does not.
    ("E2", "B3", S.MOU, _at(2024, 6, 1, 0, 0, 0), "lee", "HAN"),
    # E3-B2: a contract with no staff member recorded (100%).
    ("E3", "B2", S.CONTRACT, _at(2024, 5, 5), None, "HAN"),
    # Outside the progression: counted by the raw SQL, not by the funnel stages.
    ("E1", "B3", S.RECOMMENDED, _at(2024, 5, 6), "kim", "HAN"),
    # Another center's event in May.
    ("E1", "B4", S.MARKET_INFO_SENT, _at(2024, 5, 8), "park", "DEL"),
    # E6: a client (event within the year) silent since September; in the trend.
    ("E6", "B1", S.MARKET_INFO_SENT, _at(2023, 9, 1), "kim", "HAN"),
    # E4: last heard of more than a year ago (a client only through its shortlist).
    ("E4", "B1", S.MARKET_INFO_SENT, _at(2023, 3, 1), "kim", "HAN"),
    # Just outside the 12-month trend (it starts June 2023).
    ("E4", "B2", S.MARKET_INFO_SENT, _at(2023, 5, 31, 23, 59, 59), "kim", "HAN"),
    # E10: last heard of more than a year ago, no shortlist: no longer a client.
    ("E10", "B1", S.MARKET_INFO_SENT, _at(2023, 1, 15), "kim", "HAN"),
    # E7 works with New Delhi only.
    ("E7", "B4", S.MOU, _at(2024, 6, 5), "park", "DEL"),
    # Exactly 30 days before today, 00:00 UTC: still active.
    ("E8", "B1", S.RECOMMENDED, _at(2024, 5, 11, 0, 0, 0), "kim", "HAN"),
    # One second earlier: inactive.
    ("E9", "B1", S.RECOMMENDED, _at(2024, 5, 10, 23, 59, 59), "kim", "HAN"),
    # Dated after today: ignored by the inactive list.
    ("E6", "B2", S.RECOMMENDED, _at(2024, 7, 1), "kim", "HAN"),
]


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as s:
        for n in range(1, 11):
            records.create(
                s,
                "exporters",
                ExporterRecord(external_id=f"E{n}", name_ko=f"기업{n}", name_en=f"Firm {n}"),
            )
        for ext, center in (("B1", "HAN"), ("B2", "HAN"), ("B3", "HAN"), ("B4", "DEL")):
            country = "VN" if center == "HAN" else "IN"
            records.create(
                s,
                "buyers",
                BuyerRecord(external_id=ext, name=f"Buyer {ext}", country=country, center=center),
            )
        for exporter, buyer, stage, when, actor, center in EVENTS:
            records.create(
                s,
                "events",
                FunnelEventRecord(
                    exporter_id=exporter,
                    buyer_id=buyer,
                    stage=stage,
                    occurred_at=when,
                    actor=actor,
                    center=center,
                ),
            )
        # E5: taken on by Hanoi (a shortlist) but never contacted; E4: no event within the
        # year, but a shortlist keeps it a client (twice: listed once). E1 has one too.
        for exporter in ("E5", "E4", "E4", "E1"):
            shortlists.create(
                s,
                center="HAN",
                exporter_external_id=exporter,
                title="first picks",
                note=None,
                items=[],
                created_by="kim",
            )
    return sessions


def _raw_counts(
    session: Session, center: str, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    stmt = text(
        "SELECT stage, count(*) FROM funnel_events WHERE center = :c "
        "AND occurred_at >= :start AND occurred_at < :end GROUP BY stage"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
    rows = session.execute(stmt, {"c": center, "start": start, "end": end}).all()
    return {str(stage): int(n) for stage, n in rows}


def test_stage_counts_equal_the_raw_grouped_sql(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        for center, month in (("HAN", MAY), ("HAN", dt.date(2024, 6, 1)), ("DEL", MAY)):
            board = center_dashboard(s, center, month, TODAY)
            raw = _raw_counts(s, center, board.start, board.end)
            assert {f.stage.value: f.events for f in board.stages} == {
                stage.value: raw.get(stage.value, 0) for stage in FunnelStage.progression()
            }
        assert raw == {"market_info_sent": 1}  # DEL in May


def test_conversion_and_expected_contracts(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        board = center_dashboard(s, "HAN", MAY, TODAY)
    assert board.month == dt.date(2024, 5, 1)
    assert [f.stage for f in board.stages] == list(FunnelStage.progression())
    assert [f.events for f in board.stages] == [3, 1, 1, 1, 1]
    conversions = [f.conversion for f in board.stages]
    assert conversions[0] is None
    assert conversions[1:] == pytest.approx([1 / 3, 1.0, 1.0, 1.0])
    assert [f.expected_contracts for f in board.stages] == pytest.approx([0.3, 0.3, 0.4, 0.7, 1.0])
    # Per pair, furthest stage: E1-B1 70% + E1-B2 40% + E2-B1 10% + E3-B2 100%, not the
    # 2.7 the per-stage products add up to (E1-B1 would count three times).
    assert board.expected_contracts == pytest.approx(2.2)
    assert board.active_pairs == 4
    assert board.pairs_by_furthest == {
        S.MARKET_INFO_SENT: 1,
        S.MOU: 0,
        S.IMPORTER_INFO_SENT: 1,
        S.CONSULTATION: 1,
        S.CONTRACT: 1,
    }


def test_conversion_is_none_after_a_zero_stage() -> None:
    figures = stage_figures({S.MARKET_INFO_SENT: 0, S.MOU: 2, S.IMPORTER_INFO_SENT: 1})
    assert [f.conversion for f in figures] == [None, None, 0.5, 0.0, None]
    assert expected_contracts({S.MOU: 2, S.CONTRACT: 1}) == pytest.approx(1.6)


def test_month_boundaries_are_utc_and_half_open(store: sessionmaker[Session]) -> None:
    start, end = month_bounds(dt.date(2024, 2, 29))
    assert (start, end) == (_at(2024, 2, 1, 0), _at(2024, 3, 1, 0))
    assert month_bounds(dt.date(2023, 12, 5))[1] == _at(2024, 1, 1, 0)
    assert add_months(dt.date(2024, 1, 1), -13) == dt.date(2022, 12, 1)
    with session_scope(store) as s:
        may = center_dashboard(s, "HAN", MAY, TODAY)
        june = center_dashboard(s, "HAN", dt.date(2024, 6, 30), TODAY)
    firms_in_may = {f.exporter_id: f.counts for f in may.by_firm}
    assert firms_in_may["E2"][S.MARKET_INFO_SENT] == 1  # 23:59:59 on May 31
    assert firms_in_may["E2"][S.MOU] == 0  # 00:00 on June 1 is June's
    assert [f.events for f in june.stages] == [0, 1, 0, 0, 0]


def test_by_actor_and_by_firm(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        board = center_dashboard(s, "HAN", MAY, TODAY)
    actors = [(a.actor, a.total) for a in board.by_actor]
    assert actors == [("kim", 3), ("lee", 3), (UNASSIGNED, 1)]  # the DEL staff is not here
    kim = board.by_actor[0].counts
    assert (kim[S.MARKET_INFO_SENT], kim[S.MOU], kim[S.CONSULTATION]) == (1, 1, 1)
    assert board.by_actor[2].counts[S.CONTRACT] == 1
    # Most active first; E3 and E2 tie at one event and E3 got further (a contract).
    assert [(f.exporter_id, f.total) for f in board.by_firm] == [("E1", 5), ("E3", 1), ("E2", 1)]
    e1 = board.by_firm[0]
    assert (e1.name_ko, e1.name_en) == ("기업1", "Firm 1")
    assert e1.counts == {
        S.MARKET_INFO_SENT: 2,
        S.MOU: 1,
        S.IMPORTER_INFO_SENT: 1,
        S.CONSULTATION: 1,
        S.CONTRACT: 0,
    }


def test_trend_is_twelve_months_oldest_first(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        board = center_dashboard(s, "HAN", MAY, TODAY)
    months = [m.month for m in board.trend]
    assert len(months) == 12
    assert months[0] == dt.date(2023, 6, 1)
    assert months[-1] == dt.date(2024, 5, 1)
    assert months == sorted(months)
    by_month = {m.month: m for m in board.trend}
    assert by_month[dt.date(2024, 5, 1)].counts == {f.stage: f.events for f in board.stages}
    assert by_month[dt.date(2023, 9, 1)].counts[S.MARKET_INFO_SENT] == 1
    # May 31 2023 23:59:59 is before the trend's first month; nothing else happened.
    others = [
        m.total for m in board.trend if m.month not in (dt.date(2023, 9, 1), MAY.replace(day=1))
    ]
    assert others == [0] * 10


def test_inactive_client_firms(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        board = center_dashboard(s, "HAN", MAY, TODAY)
    inactive = [(f.exporter_id, f.last_event_at) for f in board.inactive_firms]
    # E5 (shortlisted, never contacted) first; then the longest silent (E4's last event is
    # older than a year; its shortlist keeps it a client). Not E1/E2/E8 (active within 30
    # days; E8 exactly on the boundary), E7 (New Delhi's), E10 (no longer a client).
    assert inactive == [
        ("E5", None),
        ("E4", _at(2023, 5, 31, 23, 59, 59)),
        ("E6", _at(2023, 9, 1)),
        ("E3", _at(2024, 5, 5)),
        ("E9", _at(2024, 5, 10, 23, 59, 59)),
    ]
    assert board.inactive_firms[2].last_event_on == dt.date(2023, 9, 1)
    assert board.inactive_firms[2].name_ko == "기업6"
    with session_scope(store) as s:
        delhi = center_dashboard(s, "DEL", MAY, TODAY)
    # E7's June event is recent; E1's last with New Delhi (May 8) is 33 days old.
    assert [(f.exporter_id, f.last_event_at) for f in delhi.inactive_firms] == [
        ("E1", _at(2024, 5, 8))
    ]


def test_an_empty_center_has_zeroes_not_errors(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s:
        board = center_dashboard(s, "SGN", MAY, TODAY)
    assert [f.events for f in board.stages] == [0] * 5
    assert all(f.conversion is None for f in board.stages)
    assert board.expected_contracts == 0
    assert board.by_actor == board.by_firm == board.inactive_firms == ()
    assert [m.total for m in board.trend] == [0] * 12
