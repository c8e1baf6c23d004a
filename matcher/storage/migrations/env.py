"""Alembic environment: runs migrations on the engine the caller passes in.

``matcher.storage.database.upgrade`` puts the engine in ``config.attributes``; there is no
alembic.ini, because the one Settings object decides the database URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from matcher.storage.tables import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("Run migrations through matcher.storage.database.upgrade(engine).")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
