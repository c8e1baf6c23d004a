"""Pairing from the store: the mini catalog's medical-device maker (MX-E08, targeting India,
no CDSCO registration) and the committed service-firm fixture, through ingest, the services
index and the real encoder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matcher.config import Settings
from matcher.errors import InputValidationError, NotFoundError
from matcher.pairing.complementarity import GapKind
from matcher.pairing.service import PairingService
from matcher.storage.repository import get_exporter

REPO = Path(__file__).resolve().parents[3]
MINI = REPO / "data" / "fixtures" / "mini"
PAIRING = REPO / "data" / "fixtures" / "pairing"


@pytest.fixture(scope="module")
def data_dir(store: tuple[PairingService, dict[str, int]]) -> Path:
    return Path(str(store[0].indexes.settings.data_dir))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[PairingService, dict[str, int]]:
    from matcher.ingest.pipeline import ingest_file
    from matcher.runtime import Runtime

    settings = Settings(data_dir=tmp_path_factory.mktemp("pairing") / "data", _env_file=None)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    for kind, path in (
        ("exporters", MINI / "exporters.csv"),
        ("products", MINI / "products.csv"),
        ("exporters", PAIRING / "exporters.csv"),
        ("services", PAIRING / "services.csv"),
    ):
        report = ingest_file(kind, path, runtime.sessions)
        assert report.errors == [], report.errors
    with runtime.sessions() as session:
        ids = {
            x: get_exporter(session, x).id  # type: ignore[union-attr]
            for x in ("MX-E08", "MX-E01", "PS-01")
        }
    return runtime.pairing_service(), ids


def test_the_medical_device_maker_for_india(store: tuple[PairingService, dict[str, int]]) -> None:
    service, ids = store
    result = service.partners(ids["MX-E08"], "in", top_k=5)
    top = {result.firms[m.offer.firm_id][0]: m for m in result.results}
    assert "PS-01" in top and "PS-02" in top, list(top)
    assert top["PS-01"].closes[0].kind is GapKind.CERTIFICATION
    assert top["PS-01"].closes[0].detail == "CDSCO"
    assert top["PS-02"].closes[0].kind is GapKind.INDUSTRY_COMPLEMENT
    assert "PS-06" not in top and "PS-07" not in top  # Vietnam-only firms
    assert {g.kind for g in result.gaps} >= {GapKind.CERTIFICATION, GapKind.LANGUAGE}


def test_a_catalogue_read_once_ranks_as_fresh_reads_do(
    store: tuple[PairingService, dict[str, int]],
) -> None:
    """The nightly batch reads the offerings and track counts once per run: every
    manufacturer's partners must be what a request reading them fresh gets."""
    service, ids = store
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    catalogue = service.catalogue(now)
    for firm in ("MX-E08", "MX-E01"):
        for market in ("IN", "VN"):
            fresh = service.partners(ids[firm], market, top_k=10, now=now)
            shared = service.partners(ids[firm], market, top_k=10, now=now, catalogue=catalogue)
            assert shared == fresh, (firm, market)
            quiet = service.partners(
                ids[firm], market, top_k=10, now=now, catalogue=catalogue, exclusions=False
            )
            assert quiet.results == fresh.results and quiet.excluded == ()
    assert len(catalogue.offerings) > len(service.partners(ids["MX-E08"], "IN", 50).results)


def test_bad_input_names_the_field(store: tuple[PairingService, dict[str, int]]) -> None:
    service, ids = store
    with pytest.raises(InputValidationError) as caught:
        service.partners(ids["MX-E08"], "India")
    assert caught.value.field == "market"
    with pytest.raises(InputValidationError) as caught:
        service.partners(ids["PS-01"], "IN")
    assert caught.value.field == "exporter_id"
    with pytest.raises(NotFoundError):
        service.partners(10_000_000, "IN")


def test_consortia_from_the_store(store: tuple[PairingService, dict[str, int]]) -> None:
    service, _ = store
    proposal, names = service.consortia("IN")
    members = [m for c in proposal.consortia for m in c.manufacturers]
    assert members and all(names[m][0].startswith("MX-") for m in members)
    used = {f for c in proposal.consortia for f in c.services}
    assert used and all(names[f][0].startswith("PS-") for f in used)
    assert 0.0 < proposal.coverage <= proposal.bound + 1e-9


def test_the_pair_and_consortia_commands(data_dir: Path) -> None:
    from typer.testing import CliRunner

    from matcher.cli.main import app

    cli = CliRunner()
    base = ["--data-dir", str(data_dir)]
    paired = cli.invoke(app, [*base, "pair", "MX-E08", "--market", "IN"], terminal_width=200)
    assert paired.exit_code == 0, paired.output
    assert "CDSCO" in paired.output and "CertLab" in paired.output
    bad = cli.invoke(app, [*base, "pair", "MX-E08", "--market", "India"])
    assert bad.exit_code == 2 and "market" in bad.output
    proposed = cli.invoke(
        app, [*base, "consortia", "--market", "IN", "--mode", "same_industry"], terminal_width=200
    )
    assert proposed.exit_code == 0, proposed.output
    assert "coverage" in proposed.output and "LP bound" in proposed.output


def test_recorded_pairings_feed_track_records_and_a_learned_ranker_reorders(
    store: tuple[PairingService, dict[str, int]], tmp_path: Path
) -> None:
    """Pairings recorded for PS-04 (interpretation) that advanced raise its firm's track
    record; with a learned ranker the admitted partners are reordered by its score, while
    the exclusions and the gaps each result closes stay the table's."""
    import numpy as np
    import pandas as pd

    from matcher.ingest.pipeline import ingest_file
    from matcher.pairing.learning import FEATURES, PairingRanker
    from matcher.pairing.service import PairingService as Service

    service, ids = store
    events = tmp_path / "pairing_events.csv"
    lines = ["manufacturer_id,service_id,market,stage,occurred_at"]
    for stage, day in (("shortlisted", "01"), ("mou", "20")):
        lines.append(f"MX-E01,PSO-04,IN,{stage},2025-03-{day}T09:00:00Z")
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file("pairing_events", events, service.sessions)
    assert report.errors == [] and report.stored == 2

    rule = service.partners(ids["MX-E08"], "IN", top_k=50)
    by_firm = {rule.firms[m.offer.firm_id][0]: m for m in rule.results}
    assert by_firm["PS-04"].offer.pairings == 1 and by_firm["PS-04"].offer.advanced == 1
    assert by_firm["PS-04"].parts["track_record"] > 0.5

    # A ranker that learned "interpretation first" from made-up lists.
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.random((400, len(FEATURES))), columns=list(FEATURES))
    features["industry"] = 0
    features["service_type"] = rng.integers(0, 12, 400)
    labels = (features["service_type"] == 7).astype(int).to_numpy() * 3
    ranker = PairingRanker(n_estimators=30, min_child_samples=5).fit(
        features, labels, np.full(40, 10)
    )
    learned = Service(service.encoder, service.indexes, service.sessions, ranker)
    result = learned.partners(ids["MX-E08"], "IN", top_k=50)
    assert result.results[0].offer.service_type == "interpretation_localisation"
    assert {m.offer.offering_id for m in result.results} == {
        m.offer.offering_id for m in rule.results
    }
    assert {e.offer.offering_id for e in result.excluded} == {
        e.offer.offering_id for e in rule.excluded
    }
    assert all(m.closes and "rule" in m.parts for m in result.results)
    scores = [m.score for m in result.results]
    assert scores == sorted(scores, reverse=True)
