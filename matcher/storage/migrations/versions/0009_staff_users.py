"""staff users and web sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

Center staff log in to the web UI with a user name and password (scrypt-hashed). A login
starts a server-side session: the cookie holds a random token whose SHA-256 is stored, with
the session's CSRF token, so logging out (or disabling a user) ends it at once.

Also an index on funnel_events (center, occurred_at): the center dashboard counts a
center's events month by month.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("centers", sa.JSON(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.create_index("ix_staff_users_username", ["username"], unique=True)

    op.create_table(
        "ui_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ui_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_ui_sessions_token_hash", ["token_hash"], unique=True)
        batch_op.create_index("ix_ui_sessions_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("funnel_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_funnel_events_center_time", ["center", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("funnel_events", schema=None) as batch_op:
        batch_op.drop_index("ix_funnel_events_center_time")
    op.drop_table("ui_sessions")
    op.drop_table("staff_users")
