"""Writes through the API and the staff UI go into the audit log with the request id of
the request that made them (one place, so no write path forgets it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.observability import current_request_id
from matcher.storage import audit
from matcher.storage.api_keys import Principal


def write(session: Session, actor: Principal, change: audit.Change) -> None:
    """Record ``change`` by ``actor`` in the caller's transaction."""
    audit.record(session, actor, change, current_request_id())
