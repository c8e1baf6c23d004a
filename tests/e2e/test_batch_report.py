"""The nightly batch's report in a real browser: two runs over a small seeded store, the
report written as the batch writes it, opened from disk (file://) in chromium, every plot
loaded, and a full-page screenshot saved as the acceptance picture.

The report and the screenshot stay under ``test-output/screenshots/<test>/`` (the report in
its ``reports/<date>/`` folder, as under ``data/reports/``), so both can be attached."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from matcher.batch.report import PLOTS, write_report
from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import BuyerRecord, ExporterRecord, FunnelEventRecord, NeedRecord
from matcher.storage import batch_runs, records
from matcher.storage.batch_runs import Recommendation
from matcher.storage.database import make_engine, session_factory, session_scope, upgrade

pytest.importorskip("playwright", reason="playwright is not installed: run `make install-dev`")

if TYPE_CHECKING:
    from playwright.sync_api import Page

TODAY = dt.date(2025, 6, 15)
FIRMS = (
    ("한빛식품", "Hanbit Foods"),
    ("대성기계", "Daesung Machinery"),
    ("미래화장품", "Mirae Cosmetics"),
    ("청정농기계", "Cheongjeong Agri-Machinery"),
    ("서해수산", "Seohae Seafood"),
    ("동방의료기", "Dongbang Medical"),
    ("우리부품", "Woori Parts"),
    ("가온전자", "Gaon Electronics"),
    ("늘봄제약", "Neulbom Pharma"),
    ("태백금속", "Taebaek Metals"),
    ("소담식품", "Sodam Foods"),
    ("한결플라스틱", "Hangyeol Plastics"),
)
CENTERS = (("HAN", "VN"), ("DEL", "IN"))
PROGRESSION = FunnelStage.progression()


def _seed_store(sessions: sessionmaker[Session], rng: random.Random) -> None:
    with session_scope(sessions) as s:
        for n, (ko, en) in enumerate(FIRMS, start=1):
            records.create(
                s, "exporters", ExporterRecord(external_id=f"E{n}", name_ko=ko, name_en=en)
            )
        for n in range(1, 21):
            center, country = CENTERS[n % 2]
            records.create(
                s,
                "buyers",
                BuyerRecord(
                    external_id=f"B{n}", name=f"Importer {n}", country=country, center=center
                ),
            )
        for n in range(1, 31):
            records.create(
                s,
                "needs",
                NeedRecord(
                    external_id=f"N{n}",
                    buyer_id=f"B{rng.randint(1, 20)}",
                    text=f"inquiry {n}",
                    status="open" if n <= 26 else "closed",
                ),
            )
        # A year of funnel events: each pair walks the progression a random way, later
        # stages rarer, so the conversion trend moves month to month.
        for _ in range(260):
            firm, buyer = rng.randint(1, len(FIRMS)), rng.randint(1, 20)
            center = CENTERS[buyer % 2][0]
            depth = min(int(rng.expovariate(0.8)), len(PROGRESSION) - 1)
            when = dt.datetime(2024, 7, 1, 9, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randint(0, 349), hours=rng.randint(0, 8)
            )
            for step in range(depth + 1):
                records.create(
                    s,
                    "events",
                    FunnelEventRecord(
                        exporter_id=f"E{firm}",
                        buyer_id=f"B{buyer}",
                        stage=PROGRESSION[step],
                        occurred_at=min(
                            when + dt.timedelta(days=9 * step),
                            dt.datetime(2025, 6, 14, tzinfo=dt.UTC),
                        ),
                        center=center,
                    ),
                )


def _run_rows(drift: float) -> dict[str, list[Recommendation]]:
    """One run's recommendations. Each query draws from its own seeded generator, so two
    runs agree except where ``drift`` (the share of results redrawn) says otherwise: the
    second run has new, dropped and moved matches against the first."""
    out: dict[str, list[Recommendation]] = {}

    def add(task: str, query: str, targets: list[str], spare: list[str], probability: bool) -> None:
        base, redraw = random.Random(query), random.Random(f"{query}/{drift}")
        scored: dict[str, float] = {}
        for target in targets:
            score = base.betavariate(4, 3)
            if redraw.random() < drift:
                score = redraw.betavariate(5, 2)
                if redraw.random() < 0.5:  # another target takes the place
                    target = redraw.choice(spare)
            scored[target] = max(score, scored.get(target, 0.0))
        ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
        for rank, (target, score) in enumerate(ranked, start=1):
            out.setdefault(task, []).append(
                Recommendation(
                    task,
                    query,
                    rank,
                    target,
                    round(score, 4),
                    round(min(score * 0.9, 0.99), 4) if probability else None,
                    [{"en": "similar products", "ko": "유사 제품"}],
                )
            )

    for n in range(1, 25):  # two of the 26 open inquiries get nothing
        picks = random.Random(f"N{n}").sample(range(1, len(FIRMS) + 1), 5)
        spare = [f"E{k}" for k in range(1, len(FIRMS) + 1) if k not in picks]
        add("inquiry_suppliers", f"N{n}", [f"E{k}" for k in picks], spare, False)
    for firm in range(1, len(FIRMS) + 1):
        for center, _ in CENTERS:
            if (firm + len(center) + ord(center[0])) % 5 == 0:
                continue  # some client firms get no importer at a center
            buyers = [f"B{k}" for k in range(1, 21)]
            add("firm_importers", f"E{firm}@{center}", buyers[:8], buyers[8:], True)
    for firm in range(1, 7):
        services = [f"SV{k}" for k in range(1, 9)]
        add("service_partners", f"E{firm}@VN", services[:4], services[4:], False)
    return out


def _store_run(
    sessions: sessionmaker[Session],
    run_id: str,
    previous: str | None,
    rows: dict[str, list[Recommendation]],
) -> None:
    with session_scope(sessions) as s:
        kind = "full" if previous is None else "incremental"
        batch_runs.start_run(s, run_id, kind, {}, len(rows), previous)
    for number, (task, results) in enumerate(sorted(rows.items())):
        queries = len({r.query_key for r in results})
        batch_runs.write_partition(sessions, run_id, task, number, queries, results, 0.5)
    with session_scope(sessions) as s:
        batch_runs.commit_run(s, run_id, {"rows": sum(len(r) for r in rows.values())})


@pytest.fixture
def report(tmp_path: Path, screenshot_dir: Path) -> Path:
    engine = make_engine(f"sqlite:///{tmp_path / 'report.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        _seed_store(sessions, random.Random(9))
        _store_run(sessions, "20250614-0200-full", None, _run_rows(0.0))
        _store_run(
            sessions,
            "20250615-0200-incr",
            "20250614-0200-full",
            _run_rows(0.15),
        )
        with session_scope(sessions) as s:
            return write_report(
                s, "20250615-0200-incr", screenshot_dir / "reports", TODAY, diff=None
            )
    finally:
        engine.dispose()


def test_the_report_renders_with_its_plots(page: Page, report: Path, screenshot_dir: Path) -> None:
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert "Nightly recommendation report" in page.title()
    images = page.locator("img")
    assert images.count() == len(PLOTS)
    for i in range(images.count()):
        image = images.nth(i)
        # A broken image has no natural size: this fails for a missing or unreadable PNG.
        loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, image.get_attribute("src")
    summary = page.locator("#summary").inner_text()
    assert "새 매칭" in summary and "new matches" in summary
    shot = screenshot_dir / "batch-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
