from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import STAFF_AND_ADMIN, PrincipalDep, roles
from api.deps import SessionDep, ShortlistServiceDep
from api.presenters import shortlist_response
from api.schemas import ShortlistResponse
from matcher.domain.enums import CenterCode
from matcher.errors import NotFoundError
from matcher.matching.shortlist import ShortlistRequest
from matcher.storage import visibility
from matcher.storage.repository import get_exporter

router = APIRouter(tags=["recommendations"])


@router.get(
    "/exporters/{exporter_id}/importers",
    response_model=ShortlistResponse,
    **roles(*STAFF_AND_ADMIN),
)
def importers_for_exporter(
    exporter_id: Annotated[
        str, Path(min_length=1, max_length=64, description="Korean firm's external id")
    ],
    session: SessionDep,
    principal: PrincipalDep,
    service: ShortlistServiceDep,
    center: Annotated[
        CenterCode | None,
        Query(description="Only this export center's importers (staff: one of the key's)"),
    ] = None,
    top_k: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ShortlistResponse:
    """A center's shortlist of importers for one firm: ranked, explained in English and
    Korean, diversified, with every excluded importer and the reason."""
    firm = get_exporter(session, exporter_id)
    if firm is None:
        raise NotFoundError("exporter", exporter_id)
    code = visibility.firm_center(principal, exporter_id, center.value if center else None)
    result = service.shortlist(ShortlistRequest(firm.id, code, top_k))
    return shortlist_response(exporter_id, code, result)
