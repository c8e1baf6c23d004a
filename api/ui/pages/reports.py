"""The monthly report a center sends each client firm, as Excel."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import RuntimeDep
from api.ui.pages.common import not_found, page_center
from api.ui.session import StaffDep
from matcher.reporting.exports import monthly_report_xlsx
from matcher.storage.database import session_scope
from matcher.storage.repository import get_exporter

router = APIRouter()


@router.get("/firms/{firm_id}/report.xlsx", response_model=None)
def monthly_report(
    firm_id: str,
    request: Request,
    staff: StaffDep,
    runtime: RuntimeDep,
    center: Annotated[str | None, Query(max_length=3)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    code = page_center(staff, center)
    today = dt.datetime.now(dt.UTC).date()
    first = dt.date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    with session_scope(runtime.sessions) as session:
        if code is None or get_exporter(session, firm_id) is None:
            return not_found(request, staff)
        body = monthly_report_xlsx(session, firm_id, code, first, staff.lang)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="report-{firm_id}-{first:%Y-%m}.xlsx"'
        },
    )
