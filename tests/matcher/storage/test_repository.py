"""Storage behaviour on both backends: schema, idempotent upserts, references, no data loss."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import (
    BuyerRecord,
    ExporterRecord,
    FunnelEventRecord,
    NeedRecord,
    ProductRecord,
)
from matcher.storage import repository
from matcher.storage.database import session_scope, upgrade
from matcher.storage.tables import (
    BuyerRow,
    CenterRow,
    ExporterRow,
    FunnelEventRow,
    NeedRow,
    ProductRow,
)


def _upsert(sessions: sessionmaker[Session], kind: str, records: list) -> repository.UpsertCounts:
    with session_scope(sessions) as session:
        rows = [repository.record_values(r) for r in records]
        resolved, missing = repository.resolve_references(session, kind, rows)
        assert missing == []
        return repository.upsert_rows(session, repository.ENTITY_TABLES[kind], resolved)


def _exporter(ext: str = "E1", **kw: object) -> ExporterRecord:
    base: dict[str, object] = {
        "external_id": ext,
        "name_ko": "세진정밀(주)",
        "name_en": "Sejin Precision",
        "industry": "industrial_machinery",
        "certifications": "ISO 9001;API-6D",
        "markets": "VN;India",
    }
    base.update(kw)
    return ExporterRecord.model_validate(base)


def test_schema_has_every_table_and_the_four_centers(engine: Engine, sessions) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "exporters",
        "products",
        "service_offerings",
        "buyers",
        "needs",
        "funnel_events",
        "centers",
        "alembic_version",
    } <= tables
    with session_scope(sessions) as session:
        codes = {c.code: c.active for c in session.scalars(select(CenterRow))}
    assert codes == {"HAN": True, "SGN": False, "DEL": True, "BOM": False}


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)  # second run: nothing to do, no error
    assert inspect(engine).has_table("exporters")


def test_upsert_inserts_then_skips_identical_then_updates_changed(sessions) -> None:
    first = _upsert(sessions, "exporters", [_exporter("E1"), _exporter("E2")])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = _upsert(sessions, "exporters", [_exporter("E1"), _exporter("E2")])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = _upsert(sessions, "exporters", [_exporter("E1", employees=12), _exporter("E2")])
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 1)
    with session_scope(sessions) as session:
        row = session.scalar(select(ExporterRow).where(ExporterRow.external_id == "E1"))
        assert row is not None
        assert row.employees == 12
        assert row.certifications == ["ISO9001", "API6D"]
        assert row.markets == ["VN", "IN"]
        assert repository.count(session, ExporterRow) == 2


def test_update_leaves_fields_the_source_did_not_provide(sessions) -> None:
    _upsert(sessions, "exporters", [_exporter("E1", employees=40, homepage="sejin.example")])
    # A second source knows only the English name: nothing else may be erased.
    partial = ExporterRecord.model_validate({"external_id": "E1", "name_en": "Sejin Precision Co."})
    counts = _upsert(sessions, "exporters", [partial])
    assert counts.updated == 1
    with session_scope(sessions) as session:
        row = session.scalar(select(ExporterRow).where(ExporterRow.external_id == "E1"))
        assert row is not None
        assert row.name_en == "Sejin Precision Co."
        assert row.name_ko == "세진정밀(주)"
        assert row.employees == 40
        assert row.homepage == "sejin.example"


def test_references_resolve_by_external_id_and_unknown_ones_are_reported(sessions) -> None:
    _upsert(sessions, "exporters", [_exporter("E1")])
    products = [
        ProductRecord.model_validate(
            {
                "external_id": "P1",
                "exporter_id": "E1",
                "description": "ball valve",
                "hs_code": "8481.80",
            }
        ),
        ProductRecord.model_validate(
            {"external_id": "P2", "exporter_id": "NOPE", "description": "gate valve"}
        ),
    ]
    with session_scope(sessions) as session:
        rows = [repository.record_values(p) for p in products]
        resolved, missing = repository.resolve_references(session, "products", rows)
        counts = repository.upsert_rows(session, ProductRow, resolved)
    assert counts.inserted == 1
    assert [(m.position, m.field, m.value) for m in missing] == [(1, "exporter_id", "NOPE")]
    with session_scope(sessions) as session:
        product = session.scalar(select(ProductRow))
        exporter = session.scalar(select(ExporterRow))
        assert product is not None and exporter is not None
        assert product.exporter_id == exporter.id
        assert product.hs_code == "848180"


def test_buyers_needs_and_events_round_trip(sessions) -> None:
    _upsert(sessions, "exporters", [_exporter("E1")])
    buyer = BuyerRecord.model_validate(
        {
            "external_id": "B1",
            "name": "Công ty TNHH Minh Anh",
            "country": "Viet Nam",
            "city": "Hanoi",
            "buyer_type": "distributor",
            "hs_codes": "8481;730723",
            "required_certifications": "ISO9001",
            "credit_grade": "B",
            "center": "HAN",
            "responsiveness": "0.7",
        }
    )
    _upsert(sessions, "buyers", [buyer])
    need = NeedRecord.model_validate(
        {
            "external_id": "N1",
            "buyer_id": "B1",
            "text": "Tìm nhà cung cấp van bi inox",
            "deadline": "2026-12-31",
        }
    )
    _upsert(sessions, "needs", [need])
    when = "2025-03-04T10:00:00+07:00"
    event = FunnelEventRecord.model_validate(
        {
            "exporter_id": "E1",
            "buyer_id": "B1",
            "stage": "consultation",
            "occurred_at": when,
            "value_usd": "0",
            "center": "HAN",
        }
    )
    assert event.external_id.startswith("ev-")
    assert _upsert(sessions, "events", [event]).inserted == 1
    # The derived id makes the same event idempotent.
    same = FunnelEventRecord.model_validate(
        {
            "exporter_id": "E1",
            "buyer_id": "B1",
            "stage": "consultation",
            "occurred_at": when,
            "value_usd": "0",
            "center": "HAN",
        }
    )
    assert _upsert(sessions, "events", [same]).unchanged == 1
    with session_scope(sessions) as session:
        b = session.scalar(select(BuyerRow))
        n = session.scalar(select(NeedRow))
        e = session.scalar(select(FunnelEventRow))
        assert b is not None and n is not None and e is not None
        assert (b.country, b.hs_codes, b.center, b.credit_grade) == (
            "VN",
            ["8481", "730723"],
            "HAN",
            "B",
        )
        assert n.buyer_id == b.id and n.deadline == dt.date(2026, 12, 31) and n.status == "open"
        assert e.stage == FunnelStage.CONSULTATION
        assert e.occurred_at.replace(tzinfo=e.occurred_at.tzinfo or dt.UTC) == dt.datetime(
            2025, 3, 4, 3, 0, tzinfo=dt.UTC
        )


@pytest.mark.parametrize("n", [1, 1201])  # more than one lookup chunk
def test_many_rows_upsert_in_one_call(sessions, n: int) -> None:
    records = [_exporter(f"E{i}") for i in range(n)]
    assert _upsert(sessions, "exporters", records).inserted == n
    assert _upsert(sessions, "exporters", records).unchanged == n


def test_catalog_fingerprint_changes_when_a_product_changes(sessions) -> None:
    _upsert(sessions, "exporters", [_exporter("E1")])
    p = {"external_id": "P1", "exporter_id": "E1", "description": "ball valve"}
    _upsert(sessions, "products", [ProductRecord.model_validate(p)])
    with session_scope(sessions) as session:
        before = repository.catalog_fingerprint(session)
    _upsert(sessions, "products", [ProductRecord.model_validate({**p, "description": "gate"})])
    with session_scope(sessions) as session:
        after = repository.catalog_fingerprint(session)
        rows = list(repository.iter_product_catalog(session))
    assert before != after
    assert rows[0][repository.PRODUCT_CATALOG_COLUMNS.index("description")] == "gate"


def test_migrations_match_the_orm_models(engine: Engine) -> None:
    """A model change without a migration would make fresh databases differ from upgraded
    ones; autogenerate must find nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from matcher.storage.tables import Base

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_pairing_track_counts_per_service_firm(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One aggregate query: pairings per service firm with an event before the time, and
    those that reached a step past the first contact."""
    from matcher.ingest.pipeline import ingest_file
    from matcher.storage.repository import external_to_internal, pairing_track_counts

    fixtures = Path(__file__).resolve().parents[3] / "data" / "fixtures"
    for kind, path in (
        ("exporters", fixtures / "mini" / "exporters.csv"),
        ("exporters", fixtures / "pairing" / "exporters.csv"),
        ("services", fixtures / "pairing" / "services.csv"),
    ):
        assert ingest_file(kind, path, sessions).errors == []
    events = tmp_path / "pairing_events.csv"
    events.write_text(
        "manufacturer_id,service_id,market,stage,occurred_at\n"
        "MX-E01,PSO-04,IN,shortlisted,2025-03-01T09:00:00Z\n"
        "MX-E01,PSO-04,IN,mou,2025-03-20T09:00:00Z\n"
        "MX-E08,PSO-04,IN,shortlisted,2025-04-01T09:00:00Z\n"
        "MX-E08,PSO-04,IN,declined,2025-05-01T09:00:00Z\n"
        "MX-E08,PSO-01,IN,shortlisted,2025-04-01T09:00:00Z\n"
        "MX-E08,PSO-01,IN,consultation,2025-06-01T09:00:00Z\n",
        encoding="utf-8",
    )
    assert ingest_file("pairing_events", events, sessions).errors == []
    with session_scope(sessions) as session:
        firms = external_to_internal(session, ExporterRow, ["PS-01", "PS-04"])
        now = pairing_track_counts(session, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        before = pairing_track_counts(session, dt.datetime(2025, 4, 15, tzinfo=dt.UTC))
    assert now == ({firms["PS-04"]: 2, firms["PS-01"]: 1}, {firms["PS-04"]: 1, firms["PS-01"]: 1})
    assert before == (
        {firms["PS-04"]: 2, firms["PS-01"]: 1},
        {firms["PS-04"]: 1, firms["PS-01"]: 0},
    )
