"""A shortlist: reorder, annotate, assign to a colleague, record what happened in one click,
export to Excel or CSV. Every change names the version the page showed; if a colleague
changed the list meanwhile, nothing is overwritten and the page says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import audit_trail
from api.deps import RuntimeDep
from api.ui.pages.common import not_found
from api.ui.session import PostingStaffDep, Staff, StaffDep
from api.ui.templating import render
from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import FunnelEventRecord
from matcher.errors import InputValidationError, PreconditionFailedError
from matcher.reporting.exports import shortlist_csv, shortlist_rows, shortlist_xlsx
from matcher.storage import audit, records, shortlists
from matcher.storage.database import session_scope
from matcher.storage.staff_users import colleagues
from matcher.storage.tables import ExporterRow

router = APIRouter()


@router.get("/shortlists/{shortlist_id}", response_class=HTMLResponse)
def shortlist_page(
    shortlist_id: str,
    request: Request,
    staff: StaffDep,
    runtime: RuntimeDep,
    notice: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    with session_scope(runtime.sessions) as session:
        row = shortlists.visible(session, staff.principal, shortlist_id)
        if row is None:
            return not_found(request, staff)
        firm = session.get(ExporterRow, row.exporter_id)
        rows = shortlist_rows(session, row, staff.lang)
        team = colleagues(session, [row.center])
        version, center = row.version, row.center
    return render(
        request,
        "shortlist.html",
        {
            "staff": staff,
            "t": staff.t,
            "shortlist": row,
            "firm": firm,
            "rows": rows,
            "team": team,
            "version": version,
            "center": center,
            "notice": notice,
            "stages": (*FunnelStage.progression(), FunnelStage.DECLINED),
            "stage_label": (lambda s: s.label_ko) if staff.lang == "ko" else (lambda s: s.label_en),
        },
    )


def _back(shortlist_id: str, notice: str | None = None) -> RedirectResponse:
    suffix = f"?notice={notice}" if notice else ""
    return RedirectResponse(f"/ui/shortlists/{shortlist_id}{suffix}", status_code=303)


def _edited(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    shortlist_id: str,
    version: int,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> Response:
    """Apply ``edit(items) -> items`` at the version the page showed and go back to the list
    with a notice: "saved", or "stale" when a colleague changed it meanwhile (nothing is
    overwritten). Another center's list is 404."""
    with session_scope(runtime.sessions) as session:
        row = shortlists.visible(session, staff.principal, shortlist_id)
        if row is None:
            return not_found(request, staff)
        before = [dict(i) for i in row.items or []]
        try:
            items = edit([dict(i) for i in before])
            shortlists.update(
                session, row, f'"{version}"', items=[shortlists.Item.from_stored(i) for i in items]
            )
        except PreconditionFailedError:
            return _back(shortlist_id, "stale")
        audit_trail.write(
            session,
            staff.principal,
            audit.Change(
                "update",
                "shortlists",
                shortlist_id,
                {"items": before},
                {"items": row.items},
                row.center,
            ),
        )
    return _back(shortlist_id, "saved")


@router.post("/shortlists/{shortlist_id}/move")
def move(
    shortlist_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    buyer_id: Annotated[str, Form(max_length=64)],
    direction: Annotated[str, Form(pattern="^(up|down)$")],
    version: Annotated[int, Form()],
) -> Response:
    def edit(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        at = next((i for i, x in enumerate(items) if x["buyer_id"] == buyer_id), None)
        if at is None:
            return items
        to = at - 1 if direction == "up" else at + 1
        if 0 <= to < len(items):
            items[at], items[to] = items[to], items[at]
        return items

    return _edited(request, runtime, staff, shortlist_id, version, edit)


@router.post("/shortlists/{shortlist_id}/item")
def annotate(
    shortlist_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    buyer_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
    assigned_to: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    def edit(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            if item["buyer_id"] == buyer_id:
                item["note"] = note.strip() or None
                item["assigned_to"] = assigned_to.strip() or None
        return items

    return _edited(request, runtime, staff, shortlist_id, version, edit)


@router.post("/shortlists/{shortlist_id}/remove")
def remove(
    shortlist_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    buyer_id: Annotated[str, Form(max_length=64)],
    version: Annotated[int, Form()],
) -> Response:
    return _edited(
        request,
        runtime,
        staff,
        shortlist_id,
        version,
        lambda items: [i for i in items if i["buyer_id"] != buyer_id],
    )


@router.post("/shortlists/{shortlist_id}/event")
def record_event(
    shortlist_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    buyer_id: Annotated[str, Form(max_length=64)],
    stage: Annotated[FunnelStage, Form()],
    value_usd: Annotated[str, Form(max_length=30)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """One click records what happened with this importer: it feeds the dashboard and the
    ranker's labels."""
    with session_scope(runtime.sessions) as session:
        row = shortlists.visible(session, staff.principal, shortlist_id)
        if row is None or buyer_id not in shortlists.listed_buyers(row):
            return not_found(request, staff)
        firm = session.get(ExporterRow, row.exporter_id)
        assert firm is not None
        try:
            record = FunnelEventRecord(
                exporter_id=firm.external_id,
                buyer_id=buyer_id,
                stage=stage,
                occurred_at=dt.datetime.now(dt.UTC),
                value_usd=value_usd.strip() or None,
                note=note.strip() or None,
                actor=staff.user.display_name,
                center=row.center,
            )
        except ValidationError:
            raise InputValidationError("value_usd", "enter an amount in USD, e.g. 12000") from None
        stored = records.create(session, "events", record)
        audit_trail.write(
            session,
            staff.principal,
            audit.Change(
                "create",
                "events",
                stored.external_id,
                None,
                records.representation(session, "events", stored),
                row.center,
            ),
        )
    return _back(shortlist_id, "recorded")


def _download(body: bytes | str, filename: str, media: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/shortlists/{shortlist_id}/export.xlsx")
def export_xlsx(
    shortlist_id: str, request: Request, staff: StaffDep, runtime: RuntimeDep
) -> Response:
    with session_scope(runtime.sessions) as session:
        row = shortlists.visible(session, staff.principal, shortlist_id)
        if row is None:
            return not_found(request, staff)
        body = shortlist_xlsx(
            row.title,
            shortlist_rows(session, row, staff.lang),
            staff.lang,
        )
    return _download(
        body,
        f"shortlist-{shortlist_id}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@router.get("/shortlists/{shortlist_id}/export.csv")
def export_csv(
    shortlist_id: str, request: Request, staff: StaffDep, runtime: RuntimeDep
) -> Response:
    with session_scope(runtime.sessions) as session:
        row = shortlists.visible(session, staff.principal, shortlist_id)
        if row is None:
            return not_found(request, staff)
        body = shortlist_csv(shortlist_rows(session, row, staff.lang), staff.lang)
    return _download(body, f"shortlist-{shortlist_id}.csv", "text/csv; charset=utf-8")
