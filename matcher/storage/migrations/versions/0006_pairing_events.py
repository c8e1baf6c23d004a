"""pairing events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Manufacturer-service pairings run the same funnel as firm-importer pairs; their steps are the
labels the pairing ranker learns from and the service firms' track records.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_events",
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("market", sa.String(length=2), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.ForeignKeyConstraint(["manufacturer_id"], ["exporters.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["service_offerings.id"]),
        sa.ForeignKeyConstraint(["center"], ["centers.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pairing_events", schema=None) as batch_op:
        for column in ("manufacturer_id", "service_id", "market", "stage", "occurred_at", "center"):
            batch_op.create_index(f"ix_pairing_events_{column}", [column], unique=False)
        batch_op.create_index("ix_pairing_events_external_id", ["external_id"], unique=True)
        batch_op.create_index(
            "ix_pairing_events_pair", ["manufacturer_id", "service_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("pairing_events")
