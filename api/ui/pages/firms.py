"""The client firm page: profile, products, and the recommended importers for the chosen
center with score and reasons, filtered; one click shortlists an importer, one more the
whole filtered list."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from api import audit_trail
from api.deps import RuntimeDep, get_shortlist_service
from api.ui.pages.common import not_found, page_center
from api.ui.session import PostingStaffDep, Staff, StaffDep
from api.ui.templating import render
from matcher.domain.enums import BuyerType, PricePositioning
from matcher.errors import NotFoundError, TradeMatchError
from matcher.matching.shortlist import ImporterMatch, ShortlistRequest
from matcher.storage import audit, shortlists
from matcher.storage.database import session_scope
from matcher.storage.repository import get_exporter
from matcher.storage.tables import FunnelEventRow, ProductRow

router = APIRouter()
SHOW_CHOICES = (10, 20, 50)


def _certification_met(match: ImporterMatch) -> bool:
    """No certificate required (NaN), or all of them held."""
    value = match.features.get("certification_coverage")
    return value is None or (isinstance(value, float) and math.isnan(value)) or value >= 1.0


def _row(match: ImporterMatch, contacted: bool, listed: bool) -> dict[str, Any]:
    buyer = match.buyer
    return {
        "id": buyer["external_id"],
        "name": buyer["name"],
        "city": buyer.get("city") or "",
        "buyer_type": buyer.get("buyer_type") or "",
        "price": buyer.get("price_positioning") or "",
        "score": round(match.score, 3),
        "reasons": [{"en": r.en, "ko": r.ko} for r in match.reasons[:3]],
        "contacted": contacted,
        "listed": listed,
        "certified": _certification_met(match),
    }


def _firm_title(firm: Any) -> str:
    return str(firm.name_ko or firm.name_en or firm.external_id)


@router.get("/firms/{firm_id}", response_class=HTMLResponse)
def firm_page(
    firm_id: str,
    request: Request,
    staff: StaffDep,
    runtime: RuntimeDep,
    center: Annotated[str | None, Query(max_length=3)] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    buyer_type: Annotated[str | None, Query(max_length=20)] = None,
    price: Annotated[str | None, Query(max_length=10)] = None,
    certified: Annotated[bool, Query()] = False,
    fresh: Annotated[bool, Query(description="not yet contacted")] = False,
    show: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    code = page_center(staff, center)
    with session_scope(runtime.sessions) as session:
        firm = get_exporter(session, firm_id)
        if firm is None or code is None:
            return not_found(request, staff)
        products = list(
            session.scalars(select(ProductRow).where(ProductRow.exporter_id == firm.id))
        )
        contacted = set(
            session.scalars(
                select(FunnelEventRow.buyer_id).where(FunnelEventRow.exporter_id == firm.id)
            )
        )
        working = shortlists.working_shortlist_if_any(session, firm.id, code)
        listed = shortlists.listed_buyers(working)
        working_id = working.external_id if working else None
    problem = None
    rows: list[dict[str, Any]] = []
    try:
        result = get_shortlist_service(request).shortlist(ShortlistRequest(firm.id, code, 100))
        internal_ids = {v: k for k, v in result.external_ids.items()}
        for match in result.results:
            external = match.buyer["external_id"]
            row = _row(match, internal_ids.get(external) in contacted, external in listed)
            if city and city.strip().lower() not in row["city"].lower():
                continue
            if buyer_type and row["buyer_type"] != buyer_type:
                continue
            if price and row["price"] != price:
                continue
            if certified and not row["certified"]:
                continue
            if fresh and row["contacted"]:
                continue
            rows.append(row)
    except TradeMatchError as exc:
        problem = str(exc)
    return render(
        request,
        "firm.html",
        {
            "staff": staff,
            "t": staff.t,
            "firm": firm,
            "products": products,
            "center": code,
            "rows": rows[:show],
            "matched": len(rows),
            "problem": problem,
            "working_id": working_id,
            "filters": {
                "city": city or "",
                "buyer_type": buyer_type or "",
                "price": price or "",
                "certified": certified,
                "fresh": fresh,
                "show": show,
            },
            "buyer_types": [b.value for b in BuyerType],
            "prices": [p.value for p in PricePositioning],
            "show_choices": SHOW_CHOICES,
        },
    )


def _add(
    runtime: RuntimeDep, staff: Staff, firm_id: str, center: str, entries: list[dict[str, Any]]
) -> tuple[str, int]:
    with session_scope(runtime.sessions) as session:
        firm = get_exporter(session, firm_id)
        if firm is None:
            raise NotFoundError("exporter", firm_id)
        row = shortlists.working_shortlist(
            session, firm_id, center, f"{_firm_title(firm)} · {center}", staff.user.display_name
        )
        before = list(row.items or [])
        added = shortlists.append(session, row, entries)
        if added:
            audit_trail.write(
                session,
                staff.principal,
                audit.Change(
                    "update",
                    "shortlists",
                    row.external_id,
                    {"items": before},
                    {"items": list(row.items)},
                    center,
                ),
            )
        return row.external_id, added


@router.post("/firms/{firm_id}/shortlist", response_model=None)
def shortlist_one(
    firm_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    buyer_id: Annotated[str, Form(max_length=64)],
    center: Annotated[str, Form(max_length=3)],
    score: Annotated[float | None, Form()] = None,
    reason_en: Annotated[list[str] | None, Form()] = None,
    reason_ko: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """One click: add this importer (with the reasons shown) to the firm's shortlist."""
    code = page_center(staff, center)
    if code is None:
        return not_found(request, staff)
    entry = {
        "buyer_id": buyer_id,
        "score": score,
        "reasons": [
            {"en": en[:500], "ko": ko[:500]}
            for en, ko in zip((reason_en or [])[:5], (reason_ko or [])[:5], strict=False)
        ],
    }
    shortlist_id, added = _add(runtime, staff, firm_id, code, [entry])
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"shortlist": shortlist_id, "added": added})
    return RedirectResponse(request.headers.get("referer") or f"/ui/firms/{firm_id}", 303)


@router.post("/firms/{firm_id}/shortlist/all")
def shortlist_shown(
    firm_id: str,
    request: Request,
    staff: PostingStaffDep,
    runtime: RuntimeDep,
    center: Annotated[str, Form(max_length=3)],
    buyer_id: Annotated[list[str], Form()],
    score: Annotated[list[float] | None, Form()] = None,
) -> Response:
    """One click: add every importer the filtered list shows, in its order."""
    code = page_center(staff, center)
    if code is None:
        return not_found(request, staff)
    scores = score or []
    entries = [
        {"buyer_id": b, "score": scores[i] if i < len(scores) else None}
        for i, b in enumerate(buyer_id[:100])
    ]
    shortlist_id, _ = _add(runtime, staff, firm_id, code, entries)
    return RedirectResponse(f"/ui/shortlists/{shortlist_id}", 303)
