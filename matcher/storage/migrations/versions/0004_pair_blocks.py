"""pair blocks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

A center can block a firm-importer pair (a dispute, a claim, the importer's request). Blocked
pairs are a hard exclusion of the ranking layer, returned with their reason, never silently
dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_blocks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("exporter_id", sa.Integer(), sa.ForeignKey("exporters.id"), nullable=False),
        sa.Column("buyer_id", sa.Integer(), sa.ForeignKey("buyers.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("exporter_id", "buyer_id", name="uq_pair_blocks_pair"),
    )
    op.create_index("ix_pair_blocks_exporter_id", "pair_blocks", ["exporter_id"])
    op.create_index("ix_pair_blocks_buyer_id", "pair_blocks", ["buyer_id"])


def downgrade() -> None:
    op.drop_index("ix_pair_blocks_buyer_id", table_name="pair_blocks")
    op.drop_index("ix_pair_blocks_exporter_id", table_name="pair_blocks")
    op.drop_table("pair_blocks")
