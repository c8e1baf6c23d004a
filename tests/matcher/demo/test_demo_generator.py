"""The generated demo data: deterministic, valid through ingestion, realistic, and with funnel
outcomes that follow the documented probabilities and the hidden fit."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from matcher.demo.generator import (
    COLUMNS,
    FILE_KINDS,
    REFERENCE_DATE,
    DemoManifest,
    DemoTables,
    generate_demo,
    generate_with_tables,
)
from matcher.demo.hidden_fit import PERTURBED, FitOracle, read_buyer_table, read_exporter_table
from matcher.demo.load import load_demo
from matcher.domain.centers import center_for
from matcher.domain.enums import FunnelStage, ServiceType
from matcher.domain.schemas import RECORD_TYPES
from matcher.storage import repository
from matcher.storage.database import make_engine, session_factory, session_scope, upgrade

pytestmark = pytest.mark.slow

SAMPLE_EXPORTERS = 3000  # ~7,500 contacted pairs: enough for the funnel statistics
HIDDEN = re.compile(r"fit|latent|quality|openness|tier|noise|truth", re.IGNORECASE)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoManifest, DemoTables]:
    out = tmp_path_factory.mktemp("demo-sample")
    return generate_with_tables(out, exporters=SAMPLE_EXPORTERS, seed=5)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate_demo(tmp_path_factory.mktemp("demo-small"), exporters=300, seed=11)


@pytest.fixture(scope="module")
def pair_stages(sample: tuple[DemoManifest, DemoTables]) -> dict[tuple[str, str], dict[str, str]]:
    """Per (exporter, buyer) pair: stage -> timestamp."""
    manifest, _ = sample
    pairs: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for row in _rows(manifest.files["events"]):
        pairs[(row["exporter_id"], row["buyer_id"])][row["stage"]] = row["occurred_at"]
    return pairs


def test_same_seed_gives_identical_files_and_another_seed_different_ones(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", exporters=150, seed=3)
    b = generate_demo(tmp_path / "b", exporters=150, seed=3)
    c = generate_demo(tmp_path / "c", exporters=150, seed=4)
    for kind in FILE_KINDS:
        assert a.files[kind].read_bytes() == b.files[kind].read_bytes(), kind
        assert a.files[kind].read_bytes() != c.files[kind].read_bytes(), kind
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def test_generated_set_loads_with_zero_rejections_and_matches_the_manifest(
    small: DemoManifest, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    upgrade(engine)
    sessions = session_factory(engine)
    seen: list[int] = []
    reports = load_demo(small.out_dir, sessions, progress=seen.append)
    assert [r.kind for r in reports] == list(FILE_KINDS)
    assert all(r.rejected == 0 and not r.errors and not r.warnings for r in reports)
    assert sum(seen) == sum(small.counts.values())
    with session_scope(sessions) as session:
        for kind in FILE_KINDS:
            stored = repository.count(session, repository.ENTITY_TABLES[kind])
            assert stored == small.counts[kind], kind
    engine.dispose()


def test_manifest_records_counts_and_sizes(small: DemoManifest) -> None:
    assert DemoManifest.read(small.out_dir) == small
    assert not list(small.out_dir.glob(".*.part"))
    for kind in FILE_KINDS:
        assert small.counts[kind] == len(_rows(small.files[kind]))
    assert small.counts["exporters"] == 300
    assert small.counts["buyers"] == 150 and small.counts["needs"] == 300  # one per firm
    exporters = _rows(small.files["exporters"])
    services = sum(r["kind"] == "service" for r in exporters)
    assert 0.08 < services / 300 < 0.22
    per_firm = Counter(r["exporter_id"] for r in _rows(small.files["products"]))
    manufacturers = {r["external_id"] for r in exporters if r["kind"] == "manufacturer"}
    assert set(per_firm) == manufacturers
    assert set(per_firm.values()) <= {1, 2, 3, 4}
    assert 1.9 < np.mean(list(per_firm.values())) < 2.5


def test_progress_reports_every_row(tmp_path: Path) -> None:
    seen: Counter[str] = Counter()

    def progress(kind: str, rows: int) -> None:
        seen[kind] += rows

    manifest = generate_demo(tmp_path, exporters=120, seed=2, progress=progress)
    assert dict(seen) == manifest.counts


def test_csv_headers_are_record_fields_and_nothing_hidden(small: DemoManifest) -> None:
    for kind in FILE_KINDS:
        with small.files[kind].open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == list(COLUMNS[kind])
        assert set(header) <= set(RECORD_TYPES[kind].model_fields), kind
        assert not [c for c in header if HIDDEN.search(c)], kind


def test_conditional_contract_probabilities_match_the_documented_ones(
    pair_stages: dict[tuple[str, str], dict[str, str]],
) -> None:
    # Pairs shortlisted a year before the reference date have finished their funnel, so the
    # cut at the reference date does not censor them.
    done = [s for s in pair_stages.values() if s["shortlisted"] < "2025-11-01"]
    assert len(done) > 5000
    for stage in FunnelStage.progression()[:4]:
        reached = [s for s in done if stage.value in s]
        rate = sum("contract" in s for s in reached) / len(reached)
        assert rate == pytest.approx(stage.contract_probability, abs=0.06), (stage, len(reached))


def test_hidden_fit_predicts_how_far_pairs_get(
    sample: tuple[DemoManifest, DemoTables],
    pair_stages: dict[tuple[str, str], dict[str, str]],
) -> None:
    manifest, _ = sample
    oracle = FitOracle.from_dir(manifest.out_dir)
    pairs = list(pair_stages)
    fit = oracle.fit([e for e, _ in pairs], [b for _, b in pairs])
    consulted = np.array(["consultation" in pair_stages[p] for p in pairs])
    above = fit > np.median(fit)
    assert consulted[above].mean() > 2.0 * consulted[~above].mean()
    # The perturbed truth ranks pairs differently.
    perturbed = FitOracle.from_dir(manifest.out_dir, weights=PERTURBED)
    alt = perturbed.fit([e for e, _ in pairs], [b for _, b in pairs])
    assert np.corrcoef(fit, alt)[0, 1] < 0.9


def test_oracle_reads_the_same_fit_tables_the_generator_used(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    manifest, tables = sample
    exporters, _ = read_exporter_table(manifest.out_dir)
    buyers, _ = read_buyer_table(manifest.out_dir)
    for name in ("keys", "stage", "languages", "certs", "hs"):
        assert np.array_equal(getattr(exporters, name), getattr(tables.exporters, name)), name
    for name in (
        "keys",
        "buyer_type",
        "positioning",
        "prefix_code",
        "prefix_len",
        "required",
        "strict",
        "languages",
        "primary_language",
        "annual_usd",
    ):
        assert np.array_equal(getattr(buyers, name), getattr(tables.buyers, name)), name


def test_firms_look_like_the_province(sample: tuple[DemoManifest, DemoTables]) -> None:
    manifest, _ = sample
    firms = _rows(manifest.files["exporters"])
    stages = Counter(r["export_stage"] for r in firms)
    assert stages["beginner"] / len(firms) == pytest.approx(0.50, abs=0.05)
    assert stages["growth"] / len(firms) == pytest.approx(0.35, abs=0.05)
    assert stages["mature"] / len(firms) == pytest.approx(0.15, abs=0.04)
    employees = np.array([int(r["employees"]) for r in firms])
    assert 6 <= np.median(employees) <= 10
    assert (employees <= 5).mean() > 0.25 and (employees > 100).mean() < 0.03
    assert {r["province"] for r in firms} == {"Jeollabuk-do"}
    assert {"Jeonju", "Iksan", "Gunsan", "Wanju", "Jeongeup"} <= {r["city"] for r in firms}
    assert all("ko" in r["languages"].split(";") for r in firms)
    assert all(r["name_ko"] and r["name_en"] for r in firms)


def test_buyers_follow_the_center_regions_and_rules(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    manifest, _ = sample
    buyers = _rows(manifest.files["buyers"])
    countries = Counter(r["country"] for r in buyers)
    assert countries["VN"] / len(buyers) == pytest.approx(0.40, abs=0.05)
    assert countries["IN"] / len(buyers) == pytest.approx(0.40, abs=0.05)
    for r in buyers:
        expected = center_for(r["country"], r["city"])
        assert r["center"] == (expected.value if expected else "")
        if "HALAL" in r["required_certifications"].split(";"):
            assert r["country"] in {"MY", "ID", "AE"}
        assert 0.0 <= float(r["responsiveness"]) <= 1.0
    opted = sum(r["opted_out"] == "true" for r in buyers) / len(buyers)
    assert 0.0 < opted < 0.05
    india_food = [
        r for r in buyers if r["country"] == "IN" and "FSSAI" in r["required_certifications"]
    ]
    assert india_food


def test_events_follow_the_funnel_in_time(
    sample: tuple[DemoManifest, DemoTables],
    pair_stages: dict[tuple[str, str], dict[str, str]],
) -> None:
    manifest, _ = sample
    order = {s.value: s.order for s in FunnelStage}
    cutoff = REFERENCE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    for stages in pair_stages.values():
        assert "shortlisted" in stages
        progressed = sorted(
            (order[s], t) for s, t in stages.items() if s not in ("declined", "fulfilled", "claim")
        )
        times = [t for _, t in progressed]
        assert times == sorted(times)
        assert [o for o, _ in progressed] == list(range(1, 1 + len(progressed)))
        assert max(stages.values()) < cutoff
        assert not ("declined" in stages and "contract" in stages)
    events = _rows(manifest.files["events"])
    contracts = [r for r in events if r["stage"] == "contract"]
    assert contracts and all(float(r["value_usd"]) > 0 for r in contracts)
    assert all(r["actor"] for r in events)
    n_manufacturers = sum(
        1 for r in _rows(manifest.files["exporters"]) if r["kind"] == "manufacturer"
    )
    by_staff = {(r["exporter_id"], r["buyer_id"]) for r in events if not r["need_id"]}
    assert len(by_staff) == pytest.approx(3 * n_manufacturers, rel=0.1)


def test_inquiry_pairs_answer_their_importers_inquiry_with_its_product(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    """Suppliers answer a known importer's inquiry: the events name it, the importer is the
    inquiry's, the pair starts after it was received, the supplier makes the product (shares
    the HS chapter of the codes the inquiry states) and no staff pair is repeated."""
    manifest, _ = sample
    needs = {r["external_id"]: r for r in _rows(manifest.files["needs"])}
    events = _rows(manifest.files["events"])
    chapters: dict[str, set[str]] = {}
    for p in _rows(manifest.files["products"]):
        chapters.setdefault(p["exporter_id"], set()).add(p["hs_code"][:2])
    answered: dict[tuple[str, str], str] = {}
    first_event: dict[tuple[str, str], str] = {}
    for r in events:
        pair = (r["exporter_id"], r["buyer_id"])
        first_event[pair] = min(first_event.get(pair, r["occurred_at"]), r["occurred_at"])
        if r["need_id"]:
            assert answered.setdefault(pair, r["need_id"]) == r["need_id"]
    staff = {(r["exporter_id"], r["buyer_id"]) for r in events if not r["need_id"]}
    assert len(answered) > 0.2 * len(needs)
    assert not staff & set(answered)
    shared, stated = 0, 0
    for (exporter, buyer), need_id in answered.items():
        need = needs[need_id]
        assert need["buyer_id"] == buyer
        assert first_event[(exporter, buyer)][:10] > need["received_on"]
        codes = [c for c in need["hs_codes"].split(";") if c]
        if codes:
            stated += 1
            shared += bool({c[:2] for c in codes} & chapters[exporter])
    assert stated and shared / stated > 0.8


def test_texts_exist_in_korean_english_and_vietnamese(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    manifest, _ = sample
    products = _rows(manifest.files["products"])
    shares = Counter(r["language"] for r in products)
    assert shares["en"] / len(products) == pytest.approx(0.45, abs=0.04)
    assert shares["ko"] / len(products) == pytest.approx(0.40, abs=0.04)
    assert shares["vi"] / len(products) == pytest.approx(0.15, abs=0.03)
    hangul = re.compile(r"[\uac00-\ud7a3]")
    vietnamese = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
    for r in products:
        if r["language"] == "ko":
            assert hangul.search(r["description"]), r
        if r["language"] == "vi":
            assert vietnamese.search(r["description"].lower()), r
    needs = _rows(manifest.files["needs"])
    assert {r["language"] for r in needs} == {"ko", "en", "vi"}
    interests = [r["interests"] for r in _rows(manifest.files["buyers"])]
    assert any(hangul.search(t) for t in interests)
    assert any(vietnamese.search(t.lower()) for t in interests)


def test_valves_and_pipe_fittings_have_english_descriptions(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    manifest, _ = sample
    products = [r for r in _rows(manifest.files["products"]) if r["language"] == "en"]
    valves = [r for r in products if r["hs_code"].startswith("8481")]
    fittings = [r for r in products if r["hs_code"].startswith("7307")]
    assert len(valves) > 20 and len(fittings) > 10
    assert any(
        "stainless steel" in r["description"] and "ball valve" in r["description"] for r in valves
    )
    assert all("valve" in r["description"].lower() for r in valves)
    assert all(
        re.search(r"fitting|flange|elbow|tee|ferrule", r["description"], re.I) for r in fittings
    )
    assert len({r["description"] for r in valves}) > 0.8 * len(valves)


def test_perturbed_weights_are_recorded_and_used(tmp_path: Path) -> None:
    manifest = generate_demo(tmp_path, exporters=120, seed=2, weights=PERTURBED)
    assert DemoManifest.read(tmp_path).weights == PERTURBED
    assert FitOracle.from_dir(tmp_path).weights == PERTURBED
    assert manifest.calibration.slope == PERTURBED.slope


def test_pairing_events_pair_manufacturers_with_offerings_and_follow_the_hidden_value(
    sample: tuple[DemoManifest, DemoTables],
) -> None:
    """Pairings join a manufacturer and a service offering for VN or IN, run the funnel in
    time, and get further the higher their hidden value (which no output file states)."""
    from matcher.demo import pairing_outcomes

    manifest, _ = sample
    firms = {r["external_id"]: r for r in _rows(manifest.files["exporters"])}
    offers = {r["external_id"]: r for r in _rows(manifest.files["services"])}
    events = _rows(manifest.files["pairing_events"])
    assert events
    order = {s.value: s.order for s in FunnelStage}
    pairs: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in events:
        assert firms[r["manufacturer_id"]]["kind"] == "manufacturer"
        assert r["service_id"] in offers and r["market"] in {"VN", "IN"}
        assert r["center"] == {"VN": "HAN", "IN": "DEL"}[r["market"]] and r["actor"]
        pairs.setdefault((r["manufacturer_id"], r["service_id"], r["market"]), {})[r["stage"]] = r[
            "occurred_at"
        ]
    for stages in pairs.values():
        assert "shortlisted" in stages
        steps = sorted((order[s], t) for s, t in stages.items() if s != "declined")
        assert [t for _, t in steps] == sorted(t for _, t in steps)
    # how far each pairing got against its hidden value: higher value, further
    keys = list(pairs)
    reached = np.asarray(
        [sum(s in pairs[k] for s in ("mou", "consultation", "contract")) for k in keys]
    )
    f = {
        k: pairing_outcomes.Firm(
            k,
            pairing_outcomes.industry_of(v["industry"]),
            v["export_stage"],
            set(v["certifications"].split(";")) - {""},
            set(v["languages"].split(";")) - {""},
            bool(v["homepage"]),
        )
        for k, v in firms.items()
        if v["kind"] == "manufacturer"
    }
    o = {
        k: pairing_outcomes.Offering(
            k,
            v["exporter_id"],
            ServiceType(v["service_type"]),
            set(v["markets"].split(";")) - {""},
            set(v["languages"].split(";")) - {""},
        )
        for k, v in offers.items()
    }
    value = pairing_outcomes.hidden_values(manifest.seed, [(f[m], o[s], mk) for m, s, mk in keys])
    high = value > np.median(value)
    assert reached[high].mean() > reached[~high].mean() + 0.3


def test_other_proportions_give_the_sizes_asked_for(tmp_path: Path) -> None:
    """The batch benchmark's store: more importers than exporters, a set number of
    inquiries, and more products per manufacturer than the default mix."""
    manifest = generate_demo(
        tmp_path / "scaled",
        exporters=200,
        seed=3,
        buyers=450,
        needs=120,
        products_per_manufacturer=(5, 7),
    )
    assert manifest.counts["buyers"] == 450
    assert manifest.counts["needs"] == 120
    per_firm = Counter(row["exporter_id"] for row in _rows(manifest.files["products"]))
    makers = [row for row in _rows(manifest.files["exporters"]) if row["kind"] == "manufacturer"]
    assert makers and {per_firm[row["external_id"]] for row in makers} <= {5, 6, 7}
    assert set(Counter(per_firm.values())) == {5, 6, 7}
    # Every file still loads through ingestion (ids referenced across files exist).
    engine = make_engine(f"sqlite:///{tmp_path / 'scaled.db'}")
    upgrade(engine)
    reports = load_demo(manifest.out_dir, session_factory(engine))
    assert all(r.rejected == 0 and not r.errors for r in reports)
    engine.dispose()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("buyers", 0),
        ("needs", 0),
        ("products_per_manufacturer", (0, 3)),
        ("products_per_manufacturer", (5, 4)),
        ("products_per_manufacturer", (1, 101)),
    ],
)
def test_impossible_proportions_are_refused(tmp_path: Path, option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        generate_demo(tmp_path, exporters=10, seed=1, **{option: value})  # type: ignore[arg-type]
