from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import STAFF_AND_ADMIN, PrincipalDep, roles
from api.deps import MatchServiceDep, SessionDep
from api.presenters import match_response
from api.schemas import MatchResponse
from matcher.errors import NotFoundError
from matcher.matching.service import request_for_buyer
from matcher.storage.repository import get_buyer

router = APIRouter(tags=["matching"])


@router.get("/buyers/{buyer_id}/suppliers", response_model=MatchResponse, **roles(*STAFF_AND_ADMIN))
def suppliers_for_buyer(
    buyer_id: Annotated[str, Path(min_length=1, max_length=64, description="Buyer external id")],
    session: SessionDep,
    principal: PrincipalDep,
    service: MatchServiceDep,
    top_k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> MatchResponse:
    """Korean suppliers for an importer's stated interests, HS codes and required
    certifications."""
    buyer = get_buyer(session, buyer_id)
    if buyer is None or not principal.can_see_center(buyer.center):
        raise NotFoundError("buyer", buyer_id)
    request = request_for_buyer(buyer, top_k)
    return match_response(request, service.match(request))
