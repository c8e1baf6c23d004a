"""funnel events name the inquiry they answer

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

A pair that began with a buyer's inquiry (the BuyKorea direction) records which one, so
supplier-fit learning can group pairs by the inquiry a supplier search actually answers,
rather than by the importer. Existing events keep NULL: nothing stored changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("funnel_events") as batch:
        batch.add_column(sa.Column("need_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_funnel_events_need_id_needs", "needs", ["need_id"], ["id"])
        batch.create_index("ix_funnel_events_need_id", ["need_id"])


def downgrade() -> None:
    with op.batch_alter_table("funnel_events") as batch:
        batch.drop_index("ix_funnel_events_need_id")
        batch.drop_constraint("fk_funnel_events_need_id_needs", type_="foreignkey")
        batch.drop_column("need_id")
