"""The nightly batch's report on a hand-made store with two runs, on SQLite and PostgreSQL:
the page and its plots exist, the CSVs equal the database, the diff and coverage follow the
documented definitions, the summary states the counts, and names from the data are escaped."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.batch.diff import diff_runs
from matcher.batch.report import CSVS, PLOTS, write_report
from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import BuyerRecord, ExporterRecord, FunnelEventRecord, NeedRecord
from matcher.storage import batch_runs, records
from matcher.storage.batch_runs import Recommendation
from matcher.storage.database import session_scope
from matcher.storage.tables import RecommendationRow

TODAY = dt.date(2025, 6, 15)
PNG = b"\x89PNG\r\n\x1a\n"
EVIL = "<script>alert('x')</script>"

# (task, query, [(target, score, probability)]) best first; rank = position + 1.
Rows = list[tuple[str, str, list[tuple[str, float, float | None]]]]
RUN1: Rows = [
    ("inquiry_suppliers", "N1", [("E1", 0.9, None), ("E3", 0.5, None)]),
    ("inquiry_suppliers", "N2", [("E2", 0.7, None)]),
    ("firm_importers", "E1@HAN", [("B1", 0.8, 0.6), ("B2", 0.6, 0.3)]),
    ("service_partners", "M1@VN", [("SV1", 0.4, None)]),
]
RUN2: Rows = [
    # N1's two suppliers swap places: two moved.
    ("inquiry_suppliers", "N1", [("E3", 0.95, None), ("E1", 0.85, None)]),
    # N2 has no result any more: one dropped. N3 is new and strong (probability 0.8).
    ("inquiry_suppliers", "N3", [("E2", 0.6, 0.8)]),
    # B1, B2 unchanged; B9 new and strong (0.9).
    ("firm_importers", "E1@HAN", [("B1", 0.8, 0.6), ("B2", 0.6, 0.3), ("B9", 0.9, 0.9)]),
    # New but weak (probability 0.2).
    ("firm_importers", "E2@DEL", [("B3", 0.7, 0.2)]),
    # SV2 new; no probability, and 0.5 is above the task's 90th percentile (0.49): strong.
    ("service_partners", "M1@VN", [("SV2", 0.5, None), ("SV1", 0.4, None)]),
]


def _at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, tzinfo=dt.UTC)


def _recommendations(rows: Rows) -> dict[str, list[Recommendation]]:
    out: dict[str, list[Recommendation]] = {}
    for task, query, results in rows:
        for rank, (target, score, probability) in enumerate(results, start=1):
            reasons = [{"en": f"fits {target}", "ko": f"{target} 적합"}]
            out.setdefault(task, []).append(
                Recommendation(task, query, rank, target, score, probability, reasons)
            )
    return out


def store_run(
    sessions: sessionmaker[Session],
    run_id: str,
    previous: str | None,
    rows: Rows,
    summary: dict[str, Any] | None = None,
) -> None:
    """A committed run written as the engine writes one: start, partitions, commit."""
    by_task = _recommendations(rows)
    with session_scope(sessions) as s:
        kind = "full" if previous is None else "incremental"
        batch_runs.start_run(s, run_id, kind, {}, len(by_task), previous)
    for number, (task, results) in enumerate(sorted(by_task.items())):
        queries = len({r.query_key for r in results})
        batch_runs.write_partition(sessions, run_id, task, number, queries, results, 0.1)
    with session_scope(sessions) as s:
        batch_runs.commit_run(s, run_id, summary or {})


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as s:
        firms = {
            "E1": (EVIL, "Evil Co"),
            "E2": (None, "Dollar $5 $6 Co"),  # "$...$" would be math text in a plot label
            "E3": ("기업3", "Firm 3"),
            "M1": ("제조1", "Maker 1"),
        }
        for ext, (ko, en) in firms.items():
            records.create(s, "exporters", ExporterRecord(external_id=ext, name_ko=ko, name_en=en))
        for ext, country, center in (
            ("B1", "VN", "HAN"),
            ("B2", "VN", "HAN"),
            ("B3", "IN", "DEL"),
            ("B4", "VN", "SGN"),  # Ho Chi Minh City is a planned center
        ):
            records.create(
                s,
                "buyers",
                BuyerRecord(external_id=ext, name=f"Buyer {ext}", country=country, center=center),
            )
        for ext, buyer, country, status in (
            ("N1", "B1", None, "open"),  # Hanoi through its buyer
            ("N2", "B3", None, "open"),  # New Delhi
            ("N3", None, "VN", "open"),  # no buyer: Hanoi by country
            ("N4", "B2", None, "closed"),  # not counted
        ):
            records.create(
                s,
                "needs",
                NeedRecord(
                    external_id=ext,
                    buyer_id=buyer,
                    country=country,
                    text=f"inquiry {ext}",
                    status=status,
                ),
            )
        S = FunnelStage
        for exporter, buyer, stage, when, center in (
            ("E1", "B1", S.MARKET_INFO_SENT, _at(2025, 6, 2), "HAN"),
            ("E1", "B1", S.CONSULTATION, _at(2025, 6, 10), "HAN"),
            ("E1", "B2", S.MARKET_INFO_SENT, _at(2025, 5, 3), "HAN"),
            ("E3", "B2", S.MARKET_INFO_SENT, _at(2025, 1, 10), "HAN"),
            ("E2", "B3", S.MARKET_INFO_SENT, _at(2025, 6, 1), "DEL"),
            # A client of a planned center, which the batch does not serve: no coverage row.
            ("E3", "B4", S.MARKET_INFO_SENT, _at(2025, 6, 3), "SGN"),
            # More than a year before TODAY: M1 is no client of Hanoi.
            ("M1", "B1", S.MARKET_INFO_SENT, _at(2024, 1, 1), "HAN"),
        ):
            records.create(
                s,
                "events",
                FunnelEventRecord(
                    exporter_id=exporter,
                    buyer_id=buyer,
                    stage=stage,
                    occurred_at=when,
                    center=center,
                ),
            )
    store_run(sessions, "r1", None, RUN1)
    # The engine's summary says how many queries it ranked again (the rest carried over).
    again = {"inquiry_suppliers": 2, "firm_importers": 1, "service_partners": 1}
    summary = {"queries": {task: {"recomputed": n} for task, n in again.items()}}
    store_run(sessions, "r2", "r1", RUN2, summary)
    return sessions


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _report(store: sessionmaker[Session], out: Path, run_id: str, **kw: Any) -> Path:
    with session_scope(store) as s:
        return write_report(s, run_id, out, TODAY, kw.get("diff"))


def test_the_page_has_every_plot_as_a_png(store: sessionmaker[Session], tmp_path: Path) -> None:
    page = _report(store, tmp_path / "reports", "r2")
    assert page == tmp_path / "reports" / "2025-06-15" / "index.html"
    html = page.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sorted(sources) == sorted(PLOTS.values())
    for name in PLOTS.values():
        data = (page.parent / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, name
    for name in CSVS.values():
        assert f'href="{name}"' in html
        assert (page.parent / name).is_file()


def test_the_recommendations_csv_equals_the_database(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    page = _report(store, tmp_path, "r2")
    rows = _csv(page.parent / CSVS["recommendations"])
    with session_scope(store) as s:
        stored = s.scalars(
            select(RecommendationRow)
            .where(RecommendationRow.run_id == "r2")
            .order_by(RecommendationRow.task, RecommendationRow.query_key, RecommendationRow.rank)
        ).all()
        expected = [
            (r.task, r.query_key, r.rank, r.target_id, r.score, r.probability) for r in stored
        ]
    got = [
        (
            r["task"],
            r["query_key"],
            int(r["rank"]),
            r["target_id"],
            float(r["score"]),
            float(r["probability"]) if r["probability"] else None,
        )
        for r in rows
    ]
    assert got == expected
    assert rows[0]["reasons_en"].startswith("fits ") and "적합" in rows[0]["reasons_ko"]


def test_the_diff_csv_lists_new_dropped_and_moved(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    page = _report(store, tmp_path, "r2")
    got = {
        (r["change"], r["task"], r["query_key"], r["target_id"], r["previous_rank"], r["rank"])
        for r in _csv(page.parent / CSVS["diff"])
    }
    assert got == {
        ("new", "inquiry_suppliers", "N3", "E2", "", "1"),
        ("new", "firm_importers", "E1@HAN", "B9", "", "3"),
        ("new", "firm_importers", "E2@DEL", "B3", "", "1"),
        ("new", "service_partners", "M1@VN", "SV2", "", "1"),
        ("dropped", "inquiry_suppliers", "N2", "E2", "1", ""),
        ("moved", "inquiry_suppliers", "N1", "E3", "2", "1"),
        ("moved", "inquiry_suppliers", "N1", "E1", "1", "2"),
        ("moved", "service_partners", "M1@VN", "SV1", "1", "2"),
    }


def test_a_diff_passed_in_is_used_as_given(store: sessionmaker[Session], tmp_path: Path) -> None:
    with session_scope(store) as s:
        diff = diff_runs(s, "r1", "r2")
    page = _report(store, tmp_path / "given", "r2", diff=diff)
    computed = _report(store, tmp_path / "computed", "r2")
    for name in CSVS.values():
        assert (page.parent / name).read_bytes() == (computed.parent / name).read_bytes()


def test_coverage_per_center_follows_its_definition(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    page = _report(store, tmp_path, "r2")
    by_center = {r["center"]: r for r in _csv(page.parent / CSVS["coverage"])}
    assert set(by_center) == {"HAN", "DEL"}  # SGN is planned: no firm queries, no inquiries
    han, dl = by_center["HAN"], by_center["DEL"]
    # Hanoi's clients E1 and E3 (M1's event is older than a year); only E1 got importers.
    assert (han["client_firms"], han["client_firms_with_importers"]) == ("2", "1")
    assert float(han["firm_coverage"]) == pytest.approx(0.5)
    # N1 (its buyer) and N3 (no buyer, Vietnam) are Hanoi's; both got suppliers.
    assert (han["open_inquiries"], han["open_inquiries_with_suppliers"]) == ("2", "2")
    assert (dl["client_firms"], dl["client_firms_with_importers"]) == ("1", "1")
    assert (dl["open_inquiries"], dl["open_inquiries_with_suppliers"]) == ("1", "0")
    assert float(dl["inquiry_coverage"]) == 0.0


def test_funnel_trend_and_firms_csvs(store: sessionmaker[Session], tmp_path: Path) -> None:
    page = _report(store, tmp_path, "r2")
    trend = _csv(page.parent / CSVS["funnel"])
    han = {r["month"]: r for r in trend if r["center"] == "HAN"}
    assert len(han) == 12 and min(han) == "2024-07" and max(han) == "2025-06"
    assert float(han["2025-06"]["conversion"]) == pytest.approx(1.0)  # 1 consultation / 1 info
    assert float(han["2025-05"]["conversion"]) == 0.0
    assert han["2025-04"]["conversion"] == ""  # nothing sent: no ratio
    firms = {r["firm_id"]: r for r in _csv(page.parent / CSVS["firms"])}
    assert {k: (v["new_high_fit_matches"], v["new_matches"]) for k, v in firms.items()} == {
        "E1": ("1", "1"),  # B9 at probability 0.9
        "E2": ("1", "2"),  # N3 strong (0.8), E2@DEL weak (0.2)
        "M1": ("1", "1"),  # SV2 above the 90th percentile, no probability
    }


def test_the_summary_states_the_counts(store: sessionmaker[Session], tmp_path: Path) -> None:
    html = _report(store, tmp_path, "r2").read_text(encoding="utf-8")
    summary = html[html.index('id="summary"') : html.index('id="tasks"')]
    assert "2 open inquiries, 2 firm–center pairs and 1 manufacturer–market pairs" in summary
    assert "4 new matches, 1 dropped and 3 moved; 3 of the new matches are strong" in summary
    assert "미결 문의 2건, 기업–센터 2쌍, 제조기업–시장 1쌍" in summary
    assert "새 매칭 4건, 제외 1건, 순위 변동 3건" in summary
    assert "Hanoi Export Center 50% of client firms (1 of 2)" in summary
    assert "하노이 수출지원센터 고객기업 50%(2곳 중 1곳)" in summary
    assert "Hanoi Export Center 100% in 2025-06" in summary
    assert "changed: 2 inquiries, 1 firm–center pairs and 1 manufacturer–market pairs" in summary
    assert "문의 2건, 기업–센터 1쌍, 제조기업–시장 1쌍이며" in summary


def test_a_first_run_has_every_match_new(store: sessionmaker[Session], tmp_path: Path) -> None:
    page = _report(store, tmp_path, "r1")
    diff = _csv(page.parent / CSVS["diff"])
    assert len(diff) == 6 and {r["change"] for r in diff} == {"new"}
    assert "This is the first run, so all 6 matches are new" in page.read_text(encoding="utf-8")


def test_names_from_the_data_are_escaped(store: sessionmaker[Session], tmp_path: Path) -> None:
    html = _report(store, tmp_path, "r2").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_an_unknown_run_is_not_found(store: sessionmaker[Session], tmp_path: Path) -> None:
    from matcher.errors import NotFoundError

    with pytest.raises(NotFoundError):
        _report(store, tmp_path, "nope")
