"""api resources: inquiry owners, shortlists, audit log, idempotency keys

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

- ``needs.owner_key``: the API key prefix that posted an inquiry, so a partner platform sees
  its own inquiries and nobody else's.
- ``shortlists``: a center's curated list of importers for one client firm, with a
  ``version`` that ETag / If-Match compare so two staff editing one list don't overwrite
  each other.
- ``audit_log``: every write through the API: who, what, when, before and after.
- ``idempotency_keys``: a POST's stored response, replayed when the same key is sent again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_key", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_needs_owner_key", ["owner_key"], unique=False)

    op.create_table(
        "shortlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("center", sa.String(length=8), nullable=False),
        sa.Column("exporter_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["center"], ["centers.code"]),
        sa.ForeignKeyConstraint(["exporter_id"], ["exporters.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shortlists", schema=None) as batch_op:
        batch_op.create_index("ix_shortlists_external_id", ["external_id"], unique=True)
        batch_op.create_index("ix_shortlists_center", ["center"], unique=False)
        batch_op.create_index("ix_shortlists_exporter_id", ["exporter_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_key", sa.String(length=16), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=True),
        sa.Column("actor_role", sa.String(length=10), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=30), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("center", sa.String(length=8), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_resource", ["resource", "resource_id"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("audit_log")
    op.drop_table("shortlists")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_owner_key")
        batch_op.drop_column("owner_key")
