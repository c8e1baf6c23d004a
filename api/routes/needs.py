"""Matches for a stored inquiry: a partner reads its own inquiries' suppliers, staff their
centers'."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import EVERYONE, PrincipalDep, roles
from api.deps import MatchServiceDep, SessionDep
from api.presenters import match_response
from api.schemas import MatchResponse
from matcher.errors import NotFoundError
from matcher.matching.service import request_for_need
from matcher.storage import visibility
from matcher.storage.tables import NeedRow

router = APIRouter(tags=["inquiries"])


@router.get("/needs/{need_id}/matches", response_model=MatchResponse, **roles(*EVERYONE))
def matches_for_need(
    need_id: Annotated[str, Path(min_length=1, max_length=64, description="Inquiry id")],
    session: SessionDep,
    principal: PrincipalDep,
    service: MatchServiceDep,
    top_k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> MatchResponse:
    """Ranked, explained Korean suppliers for a stored inquiry (its confirmed HS codes, else
    the suggested ones)."""
    need = visibility.find(session, NeedRow, visibility.needs, principal, need_id)
    if need is None:
        raise NotFoundError("inquiry", need_id)
    request = request_for_need(need, top_k)
    return match_response(request, service.match(request))
