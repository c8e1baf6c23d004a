"""Turn library results into API bodies (kept out of the route functions)."""

from __future__ import annotations

from api.schemas import (
    ExplanationOut,
    MatchResponse,
    ProductOut,
    QueryEcho,
    SupplierMatchOut,
    SupplierOut,
)
from matcher.matching.service import MatchRequest, MatchResult


def match_response(request: MatchRequest, result: MatchResult) -> MatchResponse:
    return MatchResponse(
        query=QueryEcho(
            text=request.text,
            hs_codes=list(request.hs_codes),
            required_certifications=list(request.required_certifications),
        ),
        results=[
            SupplierMatchOut(
                rank=r.rank,
                score=r.score,
                supplier=SupplierOut(**r.supplier),
                product=ProductOut(**r.product),
                explanations=[
                    ExplanationOut(
                        feature=e.feature,
                        value=e.value,
                        contribution=e.contribution,
                        reason_en=e.reason_en,
                        reason_ko=e.reason_ko,
                    )
                    for e in r.explanations
                ],
                matching_products=r.matching_products,
            )
            for r in result.results
        ],
        ranker=result.ranker,
        model=result.model,
        index_version=result.index_version,
        candidates=result.candidates,
        timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
    )
