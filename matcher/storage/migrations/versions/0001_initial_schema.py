"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23

All entities of the domain model, plus the four export centers as reference rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centers",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_ko", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("opened_year", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "exporters",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name_ko", sa.String(length=300), nullable=True),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("industry", sa.String(length=40), nullable=False),
        sa.Column("industry_detail", sa.String(length=300), nullable=True),
        sa.Column("province", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=300), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("export_stage", sa.String(length=20), nullable=True),
        sa.Column("founded_year", sa.Integer(), nullable=True),
        sa.Column("certifications", sa.JSON(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("homepage", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exporters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exporters_external_id"), ["external_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_exporters_industry"), ["industry"], unique=False)
        batch_op.create_index(batch_op.f("ix_exporters_kind"), ["kind"], unique=False)

    op.create_table(
        "buyers",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=300), nullable=True),
        sa.Column("buyer_type", sa.String(length=20), nullable=False),
        sa.Column("price_positioning", sa.String(length=10), nullable=True),
        sa.Column("interests", sa.Text(), nullable=True),
        sa.Column("hs_codes", sa.JSON(), nullable=False),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("certifications_strict", sa.Boolean(), nullable=False),
        sa.Column("responsiveness", sa.Float(), nullable=True),
        sa.Column("credit_grade", sa.String(length=2), nullable=True),
        sa.Column("center", sa.String(length=8), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("annual_purchase_usd", sa.Float(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("contact_email", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["center"],
            ["centers.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buyers_center"), ["center"], unique=False)
        batch_op.create_index(batch_op.f("ix_buyers_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_buyers_external_id"), ["external_id"], unique=True)

    op.create_table(
        "products",
        sa.Column("exporter_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("hs_code", sa.String(length=6), nullable=True),
        sa.Column("price_min_usd", sa.Float(), nullable=True),
        sa.Column("price_max_usd", sa.Float(), nullable=True),
        sa.Column("price_unit", sa.String(length=300), nullable=True),
        sa.Column("moq", sa.Integer(), nullable=True),
        sa.Column("moq_unit", sa.String(length=300), nullable=True),
        sa.Column("certifications", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["exporter_id"],
            ["exporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_exporter_id"), ["exporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_external_id"), ["external_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_products_hs_code"), ["hs_code"], unique=False)

    op.create_table(
        "service_offerings",
        sa.Column("exporter_id", sa.Integer(), nullable=False),
        sa.Column("service_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("capacity_per_month", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["exporter_id"],
            ["exporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service_offerings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_offerings_exporter_id"), ["exporter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_offerings_external_id"), ["external_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_service_offerings_service_type"), ["service_type"], unique=False
        )

    op.create_table(
        "funnel_events",
        sa.Column("exporter_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value_usd", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=True),
        sa.Column("center", sa.String(length=8), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["buyers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["center"],
            ["centers.code"],
        ),
        sa.ForeignKeyConstraint(
            ["exporter_id"],
            ["exporters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("funnel_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funnel_events_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_funnel_events_center"), ["center"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_funnel_events_exporter_id"), ["exporter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_funnel_events_external_id"), ["external_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_funnel_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index("ix_funnel_events_pair", ["exporter_id", "buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_funnel_events_stage"), ["stage"], unique=False)

    op.create_table(
        "needs",
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("hs_codes", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("quantity_unit", sa.String(length=300), nullable=True),
        sa.Column("target_price_usd", sa.Float(), nullable=True),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["buyers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_external_id"), ["external_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_needs_status"), ["status"], unique=False)

    centers = sa.table(
        "centers",
        sa.column("code", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_ko", sa.String),
        sa.column("country", sa.String),
        sa.column("city", sa.String),
        sa.column("opened_year", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    # Frozen copy of matcher.domain.centers at this revision: migrations never import live code.
    op.bulk_insert(
        centers,
        [
            {
                "code": "HAN",
                "name_en": "Hanoi Export Center",
                "name_ko": "하노이 수출지원센터",
                "country": "VN",
                "city": "Hanoi",
                "opened_year": 2019,
                "active": True,
            },
            {
                "code": "SGN",
                "name_en": "Ho Chi Minh City Export Center",
                "name_ko": "호치민 수출지원센터",
                "country": "VN",
                "city": "Ho Chi Minh City",
                "opened_year": None,
                "active": False,
            },
            {
                "code": "DEL",
                "name_en": "New Delhi Export Center",
                "name_ko": "뉴델리 수출지원센터",
                "country": "IN",
                "city": "New Delhi",
                "opened_year": 2020,
                "active": True,
            },
            {
                "code": "BOM",
                "name_en": "Mumbai Export Center",
                "name_ko": "뭄바이 수출지원센터",
                "country": "IN",
                "city": "Mumbai",
                "opened_year": None,
                "active": False,
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_status"))
        batch_op.drop_index(batch_op.f("ix_needs_external_id"))
        batch_op.drop_index(batch_op.f("ix_needs_country"))
        batch_op.drop_index(batch_op.f("ix_needs_buyer_id"))

    op.drop_table("needs")
    with op.batch_alter_table("funnel_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funnel_events_stage"))
        batch_op.drop_index("ix_funnel_events_pair")
        batch_op.drop_index(batch_op.f("ix_funnel_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_funnel_events_external_id"))
        batch_op.drop_index(batch_op.f("ix_funnel_events_exporter_id"))
        batch_op.drop_index(batch_op.f("ix_funnel_events_center"))
        batch_op.drop_index(batch_op.f("ix_funnel_events_buyer_id"))

    op.drop_table("funnel_events")
    with op.batch_alter_table("service_offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_offerings_service_type"))
        batch_op.drop_index(batch_op.f("ix_service_offerings_external_id"))
        batch_op.drop_index(batch_op.f("ix_service_offerings_exporter_id"))

    op.drop_table("service_offerings")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_hs_code"))
        batch_op.drop_index(batch_op.f("ix_products_external_id"))
        batch_op.drop_index(batch_op.f("ix_products_exporter_id"))

    op.drop_table("products")
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buyers_external_id"))
        batch_op.drop_index(batch_op.f("ix_buyers_country"))
        batch_op.drop_index(batch_op.f("ix_buyers_center"))

    op.drop_table("buyers")
    with op.batch_alter_table("exporters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exporters_kind"))
        batch_op.drop_index(batch_op.f("ix_exporters_industry"))
        batch_op.drop_index(batch_op.f("ix_exporters_external_id"))

    op.drop_table("exporters")
    op.drop_table("centers")
