"""The audit log: every write through the API, with who, what, when, before and after.

It is written in the same transaction as the change, so a change is never stored without
its entry (nor an entry without its change).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from matcher.storage.api_keys import Principal
from matcher.storage.tables import AuditRow


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Dates and enums as JSON text, so both backends store the same document."""
    if value is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str, ensure_ascii=False))
    return loaded


@dataclass(frozen=True)
class Change:
    action: str  # create | update | delete
    resource: str
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    center: str | None = None


def record(
    session: Session, actor: Principal, change: Change, request_id: str | None = None
) -> None:
    session.add(
        AuditRow(
            at=dt.datetime.now(dt.UTC),
            actor_key=actor.key_prefix or None,
            actor_name=actor.name,
            actor_role=actor.role.value,
            action=change.action,
            resource=change.resource,
            resource_id=change.resource_id,
            center=change.center,
            request_id=request_id,
            before=_jsonable(change.before),
            after=_jsonable(change.after),
        )
    )


def query(resource: str | None = None, resource_id: str | None = None) -> Select[Any]:
    """Entries filtered by resource and id where given (the caller orders and pages them)."""
    stmt = select(AuditRow)
    if resource:
        stmt = stmt.where(AuditRow.resource == resource)
    if resource_id:
        stmt = stmt.where(AuditRow.resource_id == resource_id)
    return stmt
