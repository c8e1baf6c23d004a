"""Search firms, importers and inquiries by meaning, in Korean, Vietnamese, Hindi or English."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.ui.session import StaffDep
from api.ui.templating import render
from matcher.errors import TradeMatchError
from matcher.matching.search import Hit, SearchService

router = APIRouter()
_lock = threading.Lock()


def _service(request: Request) -> SearchService:
    with _lock:
        service: SearchService | None = getattr(request.app.state, "search_service", None)
        if service is None:
            service = request.app.state.runtime.search_service()
            request.app.state.search_service = service
        return service


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    staff: StaffDep,
    q: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    hits: list[Hit] = []
    problem = None
    if q.strip():
        try:
            scope = None if staff.user.is_admin else staff.principal.centers
            hits = _service(request).search(q.strip(), scope)
        except TradeMatchError as exc:
            problem = str(exc)
    return render(
        request,
        "search.html",
        {"staff": staff, "t": staff.t, "q": q, "hits": hits, "problem": problem},
    )
