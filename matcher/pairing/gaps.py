"""Gap analysis: what a manufacturer lacks for one target market, and which service types
close each gap (``matcher.pairing.complementarity``).

Gaps come from the firm's own profile against the market:

- **certification**: each registration the market requires for the firm's HS codes (the
  regulations table the ranking layer's regulatory-readiness feature reads) that neither the
  firm nor its products hold;
- **language**: the market's business languages nobody at the firm speaks;
- **export_stage**: a beginner firm (no export track record);
- **brand_design**: no web presence, the only brand asset the profile records;
- **logistics**: no logistics partner already serving this market (from recorded pairings);
- **industry_complement**: a policy pairing for the firm's industry (medical devices with
  digital health, machinery with smart factories, ...), which is a complement rather than a
  deficit but is closed by a service firm the same way.

Every gap carries a short reason in English and Korean, so a recommended partner can say which
gap it closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from matcher.domain.enums import ExportStage, Industry
from matcher.features.regulations import RegulationTable
from matcher.features.regulations import default_table as default_regulations
from matcher.pairing.complementarity import (
    Complement,
    ComplementarityTable,
    GapKind,
    market_languages,
)
from matcher.pairing.complementarity import default_table as default_complementarity

_INDUSTRY_KO: Mapping[str, str] = {
    "medical_devices": "의료기기",
    "pharmaceuticals": "의약품",
    "industrial_machinery": "산업기계",
    "agri_machinery": "농기계",
    "construction_machinery": "건설기계",
    "vehicles": "자동차",
    "auto_parts": "자동차 부품",
    "food": "식품",
    "cosmetics": "화장품",
    "semiconductor_equipment": "반도체 장비",
    "electronics": "전자제품",
}


@dataclass(frozen=True)
class ManufacturerProfile:
    """What gap analysis reads about a firm."""

    industry: Industry | str | None
    export_stage: ExportStage | str | None
    certifications: Sequence[str] = ()
    languages: Sequence[str] = ()
    hs_codes: Sequence[str] = ()
    homepage: str | None = None
    logistics_markets: frozenset[str] = frozenset()  # markets a logistics partner serves


@dataclass(frozen=True)
class Gap:
    kind: GapKind
    detail: str  # what exactly is missing: "CDSCO", "hi", "beginner", ...
    en: str
    ko: str
    closes: tuple[Complement, ...] = field(default=())


def _industry(value: Industry | str | None) -> Industry | None:
    try:
        return Industry(value) if value else None
    except ValueError:
        return None


def derive_gaps(
    firm: ManufacturerProfile,
    market: str,
    *,
    regulations: RegulationTable | None = None,
    table: ComplementarityTable | None = None,
    languages: Mapping[str, Iterable[str]] | None = None,
) -> list[Gap]:
    """The firm's gaps for ``market`` (ISO country code), each with the service types that
    close it; gaps no service type closes are left out."""
    regulations = regulations or default_regulations()
    table = table or default_complementarity()
    languages = market_languages() if languages is None else languages
    market = market.strip().upper()
    industry = _industry(firm.industry)
    held = {c.strip().upper() for c in firm.certifications}
    found: list[tuple[GapKind, str, str, str]] = []

    required: dict[str, str] = {}
    for code in firm.hs_codes:
        rule = regulations.required(market, str(code))
        if rule is not None and rule.certification.upper() not in held:
            required.setdefault(rule.certification, rule.requirement_en)
    for cert, requirement in sorted(required.items()):
        found.append(
            (
                GapKind.CERTIFICATION,
                cert,
                f"No {cert} for {market}: {requirement}",
                f"{market} 수출에 필요한 {cert} 미보유",
            )
        )

    spoken = {lang.strip().lower() for lang in firm.languages}
    missing = [lang for lang in languages.get(market, ()) if lang not in spoken]
    if missing:
        names = "/".join(missing)
        found.append(
            (
                GapKind.LANGUAGE,
                names,
                f"Nobody at the firm speaks {names} for {market}",
                f"{market} 현지 언어({names}) 구사 인력 없음",
            )
        )

    if str(firm.export_stage or "") == ExportStage.BEGINNER.value:
        found.append(
            (
                GapKind.EXPORT_STAGE,
                "beginner",
                "A beginner exporter: first market entry",
                "수출 초보 기업: 첫 시장 진출",
            )
        )

    if not (firm.homepage or "").strip():
        found.append(
            (
                GapKind.BRAND_DESIGN,
                "no web presence",
                "No brand or design assets on record (no website)",
                "브랜드·디자인 자산 없음(홈페이지 없음)",
            )
        )

    if market not in firm.logistics_markets:
        found.append(
            (
                GapKind.LOGISTICS,
                market,
                f"No logistics partner for the route to {market}",
                f"{market} 물류 파트너 없음",
            )
        )

    if industry is not None:
        found.append(
            (
                GapKind.INDUSTRY_COMPLEMENT,
                industry.value,
                f"{industry.value.replace('_', ' ').capitalize()} exports pair with "
                "complementary services",
                f"{_INDUSTRY_KO.get(industry.value, industry.value)} 수출과 연계되는 서비스",
            )
        )

    out = []
    for kind, detail, en, ko in found:
        closes = tuple(table.closing(kind, industry))
        if closes:
            out.append(Gap(kind, detail, en, ko, closes))
    return out
