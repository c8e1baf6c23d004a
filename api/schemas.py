"""Request and response bodies of the public API.

Input fields reuse the domain's validated types (HS codes, certifications, enums), so the API
and file ingestion accept and reject exactly the same values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher.domain.enums import ExportStage, Industry
from matcher.domain.schemas import CertList, HSPrefixList, RequiredText


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MatchFilters(_In):
    hs_prefixes: HSPrefixList = Field(default_factory=list, description="2/4/6-digit HS codes")
    cities: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    export_stages: list[ExportStage] = Field(default_factory=list)
    industries: list[Industry] = Field(default_factory=list)
    certifications: CertList = Field(
        default_factory=list, description="The supplier must hold every one of these"
    )
    max_moq: int | None = Field(default=None, ge=0)


class InquiryMatchRequest(_In):
    text: RequiredText = Field(
        description="What the buyer seeks, in any language",
        examples=["stainless steel ball valves for a chemical plant"],
    )
    hs_codes: HSPrefixList = Field(default_factory=list)
    required_certifications: CertList = Field(default_factory=list)
    quantity: float | None = Field(default=None, ge=0)
    target_price_usd: float | None = Field(default=None, ge=0)
    filters: MatchFilters = Field(default_factory=MatchFilters)
    top_k: int = Field(default=10, ge=1, le=100)


class SupplierOut(BaseModel):
    """A supplier's public profile: nothing here is sensitive."""

    id: str
    name_ko: str | None
    name_en: str | None
    kind: str
    industry: str
    city: str | None
    export_stage: str | None
    employees: int | None
    certifications: list[str]
    markets: list[str]
    languages: list[str]


class ProductOut(BaseModel):
    id: str
    name: str | None
    description: str
    hs_code: str | None
    hs_description: str
    price_min_usd: float | None
    price_max_usd: float | None
    price_unit: str | None
    moq: int | None
    moq_unit: str | None
    certifications: list[str]
    language: str | None


class ExplanationOut(BaseModel):
    feature: str
    value: float | None = Field(description="Feature value in [0, 1]; null where it does not apply")
    contribution: float = Field(description="What this feature added to the score")
    reason_en: str | None
    reason_ko: str | None


class ReasonOut(BaseModel):
    feature: str
    positive: bool = Field(description="Whether this feature raised (true) or lowered the score")
    contribution: float
    en: str
    ko: str


class ExclusionOut(BaseModel):
    """A candidate the constraints removed, and why."""

    exporter_id: str | None = None
    buyer_id: str | None = None
    code: str = Field(description="blocked | opted_out | certification_missing | exposure_cap")
    reason_en: str
    reason_ko: str


class SupplierMatchOut(BaseModel):
    rank: int
    score: float
    supplier: SupplierOut
    product: ProductOut
    reasons: list[ReasonOut] = Field(
        description="The strongest reasons, in English and Korean, signed as their contributions"
    )
    exporter_side: float = Field(description="Would the firm want this buyer (score units)")
    buyer_side: float = Field(description="Would this buyer want the firm and answer")
    probability: float | None = Field(description="Calibrated P(consultation); learned ranker only")
    explanations: list[ExplanationOut]
    matching_products: int = Field(description="This supplier's products among the candidates")


class QueryEcho(BaseModel):
    text: str
    hs_codes: list[str]
    required_certifications: list[str]


class MatchResponse(BaseModel):
    query: QueryEcho
    results: list[SupplierMatchOut]
    excluded: list[ExclusionOut] = Field(default_factory=list)
    ranker: str
    model: str
    index_version: str
    candidates: int
    timings_ms: dict[str, float]


class IndexStatus(BaseModel):
    products: int = Field(description="Items in the index (products, buyers, ...)")
    model: str
    version: str
    built_at: str
    kind: str = Field(default="", description="Index type: flat, hnsw, ivf_flat, ivf_sq8")


class HealthResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"status": "ok"}})

    status: str
    version: str
    index: IndexStatus | None = Field(description="The products index")
    indexes: dict[str, IndexStatus] = Field(default_factory=dict)
    index_problems: list[str] = Field(default_factory=list)


class HSSuggestRequest(_In):
    text: RequiredText = Field(
        description="Product or inquiry text in Korean, Vietnamese, Hindi or English",
        examples=["스테인리스 볼밸브 DN50"],
    )
    top_k: int = Field(default=5, ge=1, le=20)


class HSSuggestionOut(BaseModel):
    code: str = Field(description="6-digit HS subheading")
    heading: str
    chapter: str
    description: str
    score: float = Field(description="Relative confidence (cosine-based), for ranking")


class HSSuggestResponse(BaseModel):
    suggestions: list[HSSuggestionOut]
    model: str
    suggested: bool = Field(
        default=True, description="Always true: suggestions are not confirmed codes"
    )


class ImporterOut(BaseModel):
    id: str
    name: str
    country: str
    city: str | None
    buyer_type: str
    price_positioning: str | None
    center: str | None
    hs_codes: list[str]
    languages: list[str]


class ImporterMatchOut(BaseModel):
    rank: int
    score: float
    importer: ImporterOut
    reasons: list[ReasonOut]
    exporter_side: float
    buyer_side: float
    probability: float | None
    features: dict[str, float | None]
    contributions: dict[str, float]


class ShortlistResponse(BaseModel):
    exporter_id: str
    center: str | None
    results: list[ImporterMatchOut]
    excluded: list[ExclusionOut]
    ranker: str
    candidates: int
    timings_ms: dict[str, float]


class GapOut(BaseModel):
    kind: str = Field(
        description="certification | language | export_stage | brand_design | logistics | "
        "industry_complement"
    )
    detail: str = Field(description="What exactly is missing, e.g. CDSCO, hi, beginner")
    en: str
    ko: str
    service_types: list[str] = Field(description="Service types that close it, strongest first")


class ClosedGapOut(BaseModel):
    kind: str
    detail: str
    strength: float
    en: str
    ko: str


class ReadyResponse(BaseModel):
    status: str = Field(description="'ready'")
    checks: dict[str, str] = Field(description="Each check and its state ('ok')")
    indexes: list[str] = Field(description="The loaded index collections")


class ServiceFirmOut(BaseModel):
    external_id: str
    name: str


class ServicePartnerOut(BaseModel):
    rank: int
    service_firm: ServiceFirmOut
    service_type: str
    score: float = Field(
        description="The rule scorer's score in [0, 1], or the learned pairing ranker's "
        "(unbounded, higher is better) once one is trained"
    )
    closes: list[ClosedGapOut] = Field(description="The firm's gaps this partner closes")
    reasons_en: list[str]
    reasons_ko: list[str]
    parts: dict[str, float] = Field(
        description="Score terms: gaps, relevance, market, track_record; with the learned "
        "ranker also rule (the rule scorer's score)"
    )


class ServiceExclusionOut(BaseModel):
    service_firm: ServiceFirmOut
    code: str
    reason_en: str
    reason_ko: str


class ServicePartnersResponse(BaseModel):
    exporter_id: str
    market: str
    gaps: list[GapOut]
    results: list[ServicePartnerOut]
    excluded: list[ServiceExclusionOut]


class ConsortiumRequest(_In):
    market: Annotated[str, Field(min_length=2, max_length=2, description="ISO country code")]
    exporter_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=200,
        description="Manufacturers' external ids; empty: up to 30 of the store's manufacturers",
    )
    industry: Industry | None = None
    mode: Literal["cross_industry", "same_industry"] = "cross_industry"
    max_consortia: int = Field(default=3, ge=1, le=20, description="Consortia per service firm")


class CoveredGapOut(BaseModel):
    manufacturer: str
    kind: str
    detail: str
    closed_by: str


class ConsortiumOut(BaseModel):
    manufacturers: list[ServiceFirmOut]
    services: list[ServiceFirmOut]
    covered: list[CoveredGapOut]
    open_gaps: list[dict[str, str]]
    short: bool = Field(description="Fewer than 2 service firms (capacity ran out)")


class ConsortiumResponse(BaseModel):
    market: str
    mode: str
    coverage: float = Field(description="Weighted share of the members' gaps covered")
    bound: float = Field(description="LP-relaxation upper bound on the same share")
    seconds: float
    status: str
    consortia: list[ConsortiumOut]
    load: dict[str, int] = Field(description="Service firm -> manufacturers it serves")
    capacity: dict[str, int]
