"""notes on exporters and needs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Source values an adapter cannot place (an unrecognisable country, a typo'd founding year)
are kept as notes instead of being dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exporters") as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
    with op.batch_alter_table("needs") as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("needs") as batch_op:
        batch_op.drop_column("notes")
    with op.batch_alter_table("exporters") as batch_op:
        batch_op.drop_column("notes")
