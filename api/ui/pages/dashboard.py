"""The center dashboard: this month's funnel, per staff member and per firm, 12-month trends,
and the client firms with no activity in 30 days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import RuntimeDep
from api.ui.pages.common import not_found, page_center
from api.ui.session import StaffDep
from api.ui.templating import render
from matcher.domain.enums import FunnelStage
from matcher.reporting.funnel import center_dashboard
from matcher.storage.database import session_scope

router = APIRouter()


def _month(value: str | None, today: dt.date) -> dt.date:
    if value:
        try:
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            pass
    return today.replace(day=1)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    staff: StaffDep,
    runtime: RuntimeDep,
    center: Annotated[str | None, Query(max_length=3)] = None,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    code = page_center(staff, center)
    if code is None:
        return not_found(request, staff)
    today = dt.datetime.now(dt.UTC).date()
    shown = _month(month, today)
    with session_scope(runtime.sessions) as session:
        board = center_dashboard(session, code, shown, today)
    label = "label_ko" if staff.lang == "ko" else "label_en"
    progression = FunnelStage.progression()
    return render(
        request,
        "dashboard.html",
        {
            "staff": staff,
            "t": staff.t,
            "center": code,
            "board": board,
            "stage_label": lambda stage: getattr(stage, label),
            "months": [m.month.strftime("%Y-%m") for m in board.trend],
            "chart_labels": [getattr(row.stage, label) for row in board.stages],
            "chart_values": [row.events for row in board.stages],
            "trend_series": {
                getattr(stage, label): [m.counts.get(stage, 0) for m in board.trend]
                for stage in progression
            },
            "month": shown.strftime("%Y-%m"),
        },
    )
