from __future__ import annotations

from fastapi import APIRouter

from api.auth import EVERYONE, roles
from api.deps import MatchServiceDep
from api.presenters import match_response
from api.schemas import InquiryMatchRequest, MatchResponse
from matcher.index.products import CatalogFilter
from matcher.matching.service import MatchRequest

router = APIRouter(tags=["matching"])


@router.post("/inquiries/match", response_model=MatchResponse, **roles(*EVERYONE))
def match_inquiry(body: InquiryMatchRequest, service: MatchServiceDep) -> MatchResponse:
    """Rank Korean suppliers for a buyer inquiry written in any language.

    Each result is a supplier with the product that matched best, its score, and the
    contribution of every feature with a reason in English and Korean.
    """
    f = body.filters
    request = MatchRequest(
        text=body.text,
        hs_codes=tuple(body.hs_codes),
        required_certifications=tuple(body.required_certifications),
        quantity=body.quantity,
        target_price_usd=body.target_price_usd,
        filters=CatalogFilter(
            hs_prefixes=tuple(f.hs_prefixes),
            cities=tuple(f.cities),
            export_stages=tuple(f.export_stages),
            industries=tuple(f.industries),
            certifications=tuple(f.certifications),
            max_moq=f.max_moq,
        ),
        top_k=body.top_k,
    )
    return match_response(request, service.match(request))
