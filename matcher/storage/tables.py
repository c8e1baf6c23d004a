"""SQLAlchemy 2 ORM tables. The schema itself is owned by Alembic migrations.

Every ingestible table carries ``external_id`` (the key upserts use) and ``content_hash`` (so
re-ingesting an unchanged row writes nothing). Lists (certifications, markets, HS codes) are
JSON arrays, which SQLite and PostgreSQL both store natively.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no timezone type and would keep a local wall time while dropping its offset;
    converting to UTC on the way in makes both backends agree. Naive input is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {list[str]: JSON, dict[str, Any]: JSON}


class _Stamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class _Ingestible(_Stamped):
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))


class CenterRow(Base):
    __tablename__ = "centers"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(120))
    opened_year: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ExporterRow(_Ingestible, Base):
    __tablename__ = "exporters"

    kind: Mapped[str] = mapped_column(String(20), index=True)
    name_ko: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    industry: Mapped[str] = mapped_column(String(40), index=True)
    industry_detail: Mapped[str | None] = mapped_column(String(300))
    province: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(300))
    employees: Mapped[int | None] = mapped_column(Integer)
    export_stage: Mapped[str | None] = mapped_column(String(20))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    certifications: Mapped[list[str]] = mapped_column(default=list)
    markets: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)
    homepage: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)


class ProductRow(_Ingestible, Base):
    __tablename__ = "products"

    exporter_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    hs_code: Mapped[str | None] = mapped_column(String(6), index=True)
    price_min_usd: Mapped[float | None] = mapped_column(Float)
    price_max_usd: Mapped[float | None] = mapped_column(Float)
    price_unit: Mapped[str | None] = mapped_column(String(300))
    moq: Mapped[int | None] = mapped_column(Integer)
    moq_unit: Mapped[str | None] = mapped_column(String(300))
    certifications: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(2))


class ServiceOfferingRow(_Ingestible, Base):
    __tablename__ = "service_offerings"

    exporter_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text)
    markets: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)


class BuyerRow(_Ingestible, Base):
    __tablename__ = "buyers"

    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(300))
    buyer_type: Mapped[str] = mapped_column(String(20))
    price_positioning: Mapped[str | None] = mapped_column(String(10))
    interests: Mapped[str | None] = mapped_column(Text)
    hs_codes: Mapped[list[str]] = mapped_column(default=list)
    required_certifications: Mapped[list[str]] = mapped_column(default=list)
    certifications_strict: Mapped[bool] = mapped_column(Boolean, default=False)
    responsiveness: Mapped[float | None] = mapped_column(Float)
    credit_grade: Mapped[str | None] = mapped_column(String(2))
    center: Mapped[str | None] = mapped_column(ForeignKey("centers.code"), index=True)
    languages: Mapped[list[str]] = mapped_column(default=list)
    annual_purchase_usd: Mapped[float | None] = mapped_column(Float)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(300))


class NeedRow(_Ingestible, Base):
    __tablename__ = "needs"

    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id"), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    hs_codes: Mapped[list[str]] = mapped_column(default=list)
    quantity: Mapped[float | None] = mapped_column(Float)
    quantity_unit: Mapped[str | None] = mapped_column(String(300))
    target_price_usd: Mapped[float | None] = mapped_column(Float)
    required_certifications: Mapped[list[str]] = mapped_column(default=list)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), index=True)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    # Machine suggestions, kept apart from the confirmed ``hs_codes`` until a person or a
    # source confirms them.
    suggested_hs_codes: Mapped[list[str]] = mapped_column(default=list)
    hs_suggested_by: Mapped[str | None] = mapped_column(String(120))
    # The API key prefix that posted it (a partner sees only its own inquiries).
    owner_key: Mapped[str | None] = mapped_column(String(16), index=True)


class FunnelEventRow(_Ingestible, Base):
    __tablename__ = "funnel_events"
    __table_args__ = (
        Index("ix_funnel_events_pair", "exporter_id", "buyer_id"),
        # The dashboard counts a center's events by month.
        Index("ix_funnel_events_center_time", "center", "occurred_at"),
    )

    exporter_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    stage: Mapped[str] = mapped_column(String(30), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    value_usd: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(300))
    center: Mapped[str | None] = mapped_column(ForeignKey("centers.code"), index=True)
    # The inquiry the pair answers (supplier-fit learning groups pairs by it); None for
    # pairs staff started from a firm's side.
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)


class PairingEventRow(_Ingestible, Base):
    """A step of a manufacturer-service pairing for a market (the pairing ranker's labels)."""

    __tablename__ = "pairing_events"
    __table_args__ = (Index("ix_pairing_events_pair", "manufacturer_id", "service_id"),)

    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service_offerings.id"), index=True)
    market: Mapped[str] = mapped_column(String(2), index=True)
    stage: Mapped[str] = mapped_column(String(30), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(300))
    center: Mapped[str | None] = mapped_column(ForeignKey("centers.code"), index=True)


class ApiKeyRow(_Stamped, Base):
    """An API key: only its SHA-256 is stored; ``prefix`` finds it without the secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))
    centers: Mapped[list[str]] = mapped_column(default=list)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class PairBlockRow(Base):
    """A firm-importer pair a center has blocked; the ranking layer excludes it with a reason."""

    __tablename__ = "pair_blocks"
    __table_args__ = (UniqueConstraint("exporter_id", "buyer_id", name="uq_pair_blocks_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exporter_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class ShortlistRow(_Stamped, Base):
    """A center's curated importers for one client firm. ``items`` is an ordered JSON list of
    ``{"buyer_id": <external id>, "note": ...}``; ``version`` grows on every change and is
    the ETag, so concurrent edits are refused rather than lost."""

    __tablename__ = "shortlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    center: Mapped[str] = mapped_column(ForeignKey("centers.code"), index=True)
    exporter_id: Mapped[int] = mapped_column(ForeignKey("exporters.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(120))

    # SQLAlchemy bumps ``version`` on every UPDATE and adds "AND version = <read>" to it, so
    # of two concurrent edits from the same version the second changes no row and fails
    # (StaleDataError) even when both passed the If-Match check.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AuditRow(Base):
    """One write through the API: who (key prefix, name, role), what, when, before/after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resource", "resource", "resource_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor_key: Mapped[str | None] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(120))
    actor_role: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    resource: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[str] = mapped_column(String(64))
    center: Mapped[str | None] = mapped_column(String(8))
    request_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IdempotencyRow(Base):
    """A POST's outcome under an ``Idempotency-Key``: ``status`` is None while the first
    request is still running, so a concurrent retry is told to wait instead of repeating."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class StaffUserRow(_Stamped, Base):
    """A center staff member (or an admin) who logs in to the web UI."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    centers: Mapped[list[str]] = mapped_column(default=list)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UISessionRow(Base):
    """A logged-in browser: the cookie's token is stored as SHA-256, beside its CSRF token."""

    __tablename__ = "ui_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BatchRunRow(Base):
    """One nightly batch run: ``running`` until every partition is written, then
    ``committed`` (and current) or ``failed``. ``inputs`` fingerprints what it read, so the
    next incremental run knows what changed."""

    __tablename__ = "batch_runs"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # full | incremental
    status: Mapped[str] = mapped_column(String(12), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    previous_run_id: Mapped[str | None] = mapped_column(String(40))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    partitions_total: Mapped[int] = mapped_column(Integer, default=0)
    partitions_done: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BatchPartitionRow(Base):
    """A finished partition of a run: its checkpoint, written with its rows."""

    __tablename__ = "batch_partitions"
    __table_args__ = (
        UniqueConstraint("run_id", "task", "partition_no", name="uq_batch_partition"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.run_id"))
    task: Mapped[str] = mapped_column(String(24))
    partition_no: Mapped[int] = mapped_column(Integer)
    queries: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RecommendationRow(Base):
    """One ranked result of one query in one run. ``task``: inquiry_suppliers (query: a
    need), firm_importers (query: "<exporter>@<center>"), service_partners (query:
    "<manufacturer>@<market>"); ``target_id`` is the supplier, importer or service offering
    (external ids)."""

    __tablename__ = "recommendations"
    __table_args__ = (Index("ix_recommendations_query", "run_id", "task", "query_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.run_id"))
    task: Mapped[str] = mapped_column(String(24))
    query_key: Mapped[str] = mapped_column(String(96))
    rank: Mapped[int] = mapped_column(Integer)
    target_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class BatchCurrentRow(Base):
    """The run the API serves (one row, id 1): switched in one UPDATE when a run commits."""

    __tablename__ = "batch_current"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.run_id"))
    switched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class BatchLockRow(Base):
    """The run lock (one row, id 1): who holds it and its last heartbeat, so a lock left by
    a killed run is recognised as stale."""

    __tablename__ = "batch_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(String(40))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
