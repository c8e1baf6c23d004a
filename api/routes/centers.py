"""The province's export centers (reference data) and the audit log of API writes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.auth import EVERYONE, PrincipalDep, roles
from api.deps import SessionDep
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SortKey, paginate
from matcher.domain.centers import BY_CODE, CENTERS, Center
from matcher.domain.enums import CenterCode, Role
from matcher.storage import audit
from matcher.storage.tables import AuditRow

router = APIRouter()


class CenterOut(BaseModel):
    code: str
    name_en: str
    name_ko: str
    country: str
    city: str
    opened_year: int | None
    active: bool


def _center(c: Center) -> CenterOut:
    return CenterOut(
        code=c.code.value,
        name_en=c.name_en,
        name_ko=c.name_ko,
        country=c.country,
        city=c.city,
        opened_year=c.opened_year,
        active=c.active,
    )


@router.get("/centers", response_model=list[CenterOut], tags=["centers"], **roles(*EVERYONE))
def list_centers() -> list[CenterOut]:
    """Open centers and the planned ones (``active`` false)."""
    return [_center(c) for c in CENTERS]


@router.get("/centers/{code}", response_model=CenterOut, tags=["centers"], **roles(*EVERYONE))
def read_center(code: Annotated[CenterCode, Path(description="IATA city code")]) -> CenterOut:
    return _center(BY_CODE[code])


class AuditEntryOut(BaseModel):
    at: dt.datetime
    actor_key: str | None
    actor_name: str | None
    actor_role: str | None
    action: str
    resource: str
    resource_id: str
    center: str | None
    request_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/audit", response_model=Page[AuditEntryOut], tags=["operations"], **roles(Role.ADMIN))
def audit_log(
    session: SessionDep,
    _: PrincipalDep,
    resource: Annotated[str | None, Query(max_length=30)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Every write through the API, newest first: who, what, when, before and after."""
    rows, next_cursor = paginate(
        session,
        audit.query(resource, resource_id),
        AuditRow.id,
        {"created": SortKey(AuditRow.id, int)},
        "-created",
        limit,
        cursor,
    )
    items = [AuditEntryOut.model_validate(r, from_attributes=True).model_dump() for r in rows]
    return {"items": items, "next_cursor": next_cursor, "limit": limit}
