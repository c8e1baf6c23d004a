"""suggested HS codes on needs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Inquiries without an HS code get machine suggestions at ingestion. They are stored apart
from the confirmed ``hs_codes``, with the model that made them, so a suggestion is never
mistaken for a buyer's own code.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("needs") as batch_op:
        batch_op.add_column(
            sa.Column("suggested_hs_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("hs_suggested_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("needs") as batch_op:
        batch_op.drop_column("hs_suggested_by")
        batch_op.drop_column("suggested_hs_codes")
