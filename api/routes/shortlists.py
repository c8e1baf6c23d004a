"""Center shortlists: the importers staff picked for a client firm, edited by several staff
at once. Every change needs the ETag (version) the editor read; a stale one gets 412."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit_trail
from api.auth import STAFF_AND_ADMIN, PrincipalDep, roles
from api.deps import SessionDep
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SortKey, paginate
from api.routes.records import require_if_match
from matcher.domain.enums import CenterCode
from matcher.errors import InputValidationError, NotFoundError
from matcher.storage import audit, shortlists, visibility
from matcher.storage.api_keys import Principal
from matcher.storage.tables import ExporterRow, ShortlistRow

router = APIRouter(tags=["shortlists"])

ShortlistId = Annotated[str, Path(min_length=1, max_length=64, description="Shortlist id")]
IfMatch = Annotated[str | None, Header(description="The ETag you read")]

_SORTS = {
    "created": SortKey(ShortlistRow.id, int),
    "external_id": SortKey(ShortlistRow.external_id),
    "title": SortKey(ShortlistRow.title),
}


class ReasonText(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    en: str = Field(max_length=500)
    ko: str = Field(max_length=500)


class ShortlistItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    buyer_id: str = Field(min_length=1, max_length=64, description="The importer's id")
    note: str | None = Field(default=None, max_length=2000)
    assigned_to: str | None = Field(
        default=None, max_length=120, description="The staff member following it up"
    )
    score: float | None = Field(default=None, description="The recommendation's score when added")
    reasons: list[ReasonText] = Field(
        default_factory=list, max_length=20, description="Why it was recommended"
    )

    def item(self) -> shortlists.Item:
        extra = self.model_dump(include={"score", "reasons"})
        return shortlists.Item(self.buyer_id, self.note, self.assigned_to, extra)


class ShortlistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Default: generated"
    )
    center: CenterCode | None = Field(default=None, description="Default: the key's only center")
    exporter_id: str = Field(min_length=1, max_length=64, description="The client firm's id")
    title: str = Field(min_length=1, max_length=300)
    note: str | None = Field(default=None, max_length=4000)
    items: list[ShortlistItem] = Field(default_factory=list, max_length=500)


class ShortlistPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=300)
    note: str | None = Field(default=None, max_length=4000)
    items: list[ShortlistItem] | None = Field(
        default=None, max_length=500, description="The whole ordered list, replacing it"
    )


class ShortlistOut(BaseModel):
    external_id: str
    center: str
    exporter_id: str
    title: str
    note: str | None
    items: list[ShortlistItem]
    version: int
    created_by: str | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    etag: str


def _out(session: Session, rows: list[ShortlistRow]) -> list[dict[str, Any]]:
    exporters = shortlists.exporter_external_ids(session, rows)
    return [
        {
            "external_id": r.external_id,
            "center": r.center,
            "exporter_id": exporters.get(r.exporter_id, ""),
            "title": r.title,
            "note": r.note,
            "items": [ShortlistItem.model_validate(i).model_dump() for i in r.items or []],
            "version": r.version,
            "created_by": r.created_by,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "etag": f'"{r.version}"',
        }
        for r in rows
    ]


def _visible(session: Session, principal: Principal, external_id: str) -> ShortlistRow:
    row = shortlists.visible(session, principal, external_id)
    if row is None:
        raise NotFoundError("shortlist", external_id)
    return row


def _audit(
    session: Session,
    request: Request,
    principal: Principal,
    action: str,
    row_id: str,
    center: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit_trail.write(
        session, principal, audit.Change(action, "shortlists", row_id, before, after, center)
    )


@router.get("/shortlists", response_model=Page[ShortlistOut], **roles(*STAFF_AND_ADMIN))
def list_shortlists(
    session: SessionDep,
    principal: PrincipalDep,
    center: Annotated[CenterCode | None, Query()] = None,
    exporter_id: Annotated[str | None, Query(max_length=64)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The shortlists of the key's centers, newest last (``sort=-created`` for newest first)."""
    stmt = visibility.scoped(ShortlistRow, visibility.shortlists, principal)
    if center is not None:
        stmt = stmt.where(ShortlistRow.center == center.value)
    if exporter_id is not None:
        stmt = stmt.where(
            ShortlistRow.exporter_id.in_(
                select(ExporterRow.id).where(ExporterRow.external_id == exporter_id)
            )
        )
    rows, next_cursor = paginate(session, stmt, ShortlistRow.id, _SORTS, sort, limit, cursor)
    return {"items": _out(session, list(rows)), "next_cursor": next_cursor, "limit": limit}


@router.post("/shortlists", response_model=ShortlistOut, status_code=201, **roles(*STAFF_AND_ADMIN))
def create_shortlist(
    body: ShortlistCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Start a shortlist for a client firm at one of the key's centers."""
    center = visibility.write_center(principal, body.center.value if body.center else None)
    if center is None:
        raise InputValidationError("center", "name the center the shortlist belongs to")
    row = shortlists.create(
        session,
        center=center,
        exporter_external_id=body.exporter_id,
        title=body.title,
        note=body.note,
        items=[i.item() for i in body.items],
        created_by=principal.name,
        external_id=body.external_id,
    )
    out = _out(session, [row])[0]
    _audit(session, request, principal, "create", row.external_id, center, None, out)
    response.headers["ETag"] = out["etag"]
    response.headers["Location"] = f"{request.url.path}/{row.external_id}"
    return out


@router.get("/shortlists/{shortlist_id}", response_model=ShortlistOut, **roles(*STAFF_AND_ADMIN))
def read_shortlist(
    shortlist_id: ShortlistId, session: SessionDep, principal: PrincipalDep, response: Response
) -> dict[str, Any]:
    out = _out(session, [_visible(session, principal, shortlist_id)])[0]
    response.headers["ETag"] = out["etag"]
    return out


@router.patch(
    "/shortlists/{shortlist_id}",
    response_model=ShortlistOut,
    responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
    **roles(*STAFF_AND_ADMIN),
)
def change_shortlist(
    shortlist_id: ShortlistId,
    body: ShortlistPatch,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change the title, note or the whole ordered list of importers."""
    wanted = require_if_match(if_match)
    row = _visible(session, principal, shortlist_id)
    before = _out(session, [row])[0]
    given = body.model_fields_set
    row = shortlists.update(
        session,
        row,
        wanted,
        title=body.title,
        note=body.note,
        clear_note="note" in given and body.note is None,
        items=None if body.items is None else [i.item() for i in body.items],
    )
    out = _out(session, [row])[0]
    _audit(session, request, principal, "update", row.external_id, row.center, before, out)
    response.headers["ETag"] = out["etag"]
    return out


@router.delete(
    "/shortlists/{shortlist_id}",
    status_code=204,
    responses={412: {"description": "Changed since read"}, 428: {"description": "No If-Match"}},
    **roles(*STAFF_AND_ADMIN),
)
def delete_shortlist(
    shortlist_id: ShortlistId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Response:
    wanted = require_if_match(if_match)
    row = _visible(session, principal, shortlist_id)
    before = _out(session, [row])[0]
    center = row.center
    shortlists.delete(session, row, wanted)
    _audit(session, request, principal, "delete", shortlist_id, center, before, None)
    return Response(status_code=204)
