"""Turn library results into API bodies (kept out of the route functions)."""

from __future__ import annotations

from api.schemas import (
    ExclusionOut,
    ExplanationOut,
    ImporterMatchOut,
    ImporterOut,
    MatchResponse,
    ProductOut,
    QueryEcho,
    ReasonOut,
    ShortlistResponse,
    SupplierMatchOut,
    SupplierOut,
)
from matcher.matching.service import MatchRequest, MatchResult
from matcher.matching.shortlist import ShortlistResult
from matcher.ranking.constraints import Exclusion
from matcher.ranking.pipeline import Reason


def _reasons(reasons: tuple[Reason, ...]) -> list[ReasonOut]:
    return [
        ReasonOut(
            feature=r.feature, positive=r.positive, contribution=r.contribution, en=r.en, ko=r.ko
        )
        for r in reasons
    ]


def _excluded(
    excluded: tuple[Exclusion, ...], ids: dict[str, dict[int, str]]
) -> list[ExclusionOut]:
    return [
        ExclusionOut(
            exporter_id=ids.get("exporter", {}).get(x.exporter_id),
            buyer_id=None if x.buyer_id is None else ids.get("buyer", {}).get(x.buyer_id),
            code=x.code,
            reason_en=x.reason_en,
            reason_ko=x.reason_ko,
        )
        for x in excluded
    ]


def match_response(request: MatchRequest, result: MatchResult) -> MatchResponse:
    exporter_ids = result.external_ids
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
                reasons=_reasons(r.reasons),
                exporter_side=r.exporter_side,
                buyer_side=r.buyer_side,
                probability=r.probability,
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
        excluded=_excluded(result.excluded, {"exporter": exporter_ids}),
        ranker=result.ranker,
        model=result.model,
        index_version=result.index_version,
        candidates=result.candidates,
        timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
    )


def shortlist_response(
    exporter_id: str, center: str | None, result: ShortlistResult
) -> ShortlistResponse:
    buyer_ids = result.external_ids
    return ShortlistResponse(
        exporter_id=exporter_id,
        center=center,
        results=[
            ImporterMatchOut(
                rank=r.rank,
                score=r.score,
                importer=ImporterOut(
                    id=str(r.buyer["external_id"]),
                    name=str(r.buyer["name"]),
                    country=str(r.buyer["country"]),
                    city=r.buyer["city"],
                    buyer_type=str(r.buyer["buyer_type"]),
                    price_positioning=r.buyer["price_positioning"],
                    center=r.buyer["center"],
                    hs_codes=list(r.buyer["hs_codes"] or []),
                    languages=list(r.buyer["languages"] or []),
                ),
                reasons=_reasons(r.reasons),
                exporter_side=r.exporter_side,
                buyer_side=r.buyer_side,
                probability=r.probability,
                features=r.features,
                contributions=r.contributions,
            )
            for r in result.results
        ],
        excluded=_excluded(result.excluded, {"buyer": buyer_ids}),
        ranker=result.ranker,
        candidates=result.candidates,
        timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
    )
