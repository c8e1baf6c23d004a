"""Turn library results into API bodies (kept out of the route functions)."""

from __future__ import annotations

from api.schemas import (
    ClosedGapOut,
    ConsortiumOut,
    ConsortiumResponse,
    CoveredGapOut,
    ExclusionOut,
    ExplanationOut,
    GapOut,
    ImporterMatchOut,
    ImporterOut,
    MatchResponse,
    ProductOut,
    QueryEcho,
    ReasonOut,
    ServiceExclusionOut,
    ServiceFirmOut,
    ServicePartnerOut,
    ServicePartnersResponse,
    ShortlistResponse,
    SupplierMatchOut,
    SupplierOut,
)
from matcher.matching.service import MatchRequest, MatchResult
from matcher.matching.shortlist import ShortlistResult
from matcher.pairing.consortia import Proposal
from matcher.pairing.service import PartnerResult
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


def _firm(names: dict[int, tuple[str, str]], firm_id: int) -> ServiceFirmOut:
    external, name = names.get(firm_id, (str(firm_id), str(firm_id)))
    return ServiceFirmOut(external_id=external, name=name)


def partners_response(
    exporter_id: str, market: str, result: PartnerResult
) -> ServicePartnersResponse:
    return ServicePartnersResponse(
        exporter_id=exporter_id,
        market=market,
        gaps=[
            GapOut(
                kind=g.kind.value,
                detail=g.detail,
                en=g.en,
                ko=g.ko,
                service_types=[c.service_type.value for c in g.closes],
            )
            for g in result.gaps
        ],
        results=[
            ServicePartnerOut(
                rank=i + 1,
                service_firm=_firm(result.firms, m.offer.firm_id),
                service_type=str(m.offer.service_type),
                score=round(m.score, 4),
                closes=[
                    ClosedGapOut(
                        kind=c.kind.value, detail=c.detail, strength=c.strength, en=c.en, ko=c.ko
                    )
                    for c in m.closes
                ],
                reasons_en=list(m.reasons_en),
                reasons_ko=list(m.reasons_ko),
                parts={k: round(v, 4) for k, v in m.parts.items()},
            )
            for i, m in enumerate(result.results)
        ],
        excluded=[
            ServiceExclusionOut(
                service_firm=_firm(result.firms, e.offer.firm_id),
                code=e.code,
                reason_en=e.en,
                reason_ko=e.ko,
            )
            for e in result.excluded
        ],
    )


def consortium_response(
    market: str, mode: str, proposal: Proposal, names: dict[int, tuple[str, str]]
) -> ConsortiumResponse:
    def ext(firm_id: int) -> str:
        return names.get(firm_id, (str(firm_id), ""))[0]

    return ConsortiumResponse(
        market=market,
        mode=mode,
        coverage=round(proposal.coverage, 4),
        bound=round(proposal.bound, 4),
        seconds=round(proposal.seconds, 3),
        status=proposal.status,
        consortia=[
            ConsortiumOut(
                manufacturers=[_firm(names, m) for m in c.manufacturers],
                services=[_firm(names, s) for s in c.services],
                covered=[
                    CoveredGapOut(manufacturer=ext(m), kind=k, detail=d, closed_by=ext(by))
                    for m, k, d, by in c.covered
                ],
                open_gaps=[
                    {"manufacturer": ext(m), "kind": k, "detail": d} for m, k, d in c.open_gaps
                ],
                short=c.short,
            )
            for c in proposal.consortia
        ],
        load={ext(f): n for f, n in proposal.load.items()},
        capacity={ext(f): n for f, n in proposal.capacity.items()},
    )
