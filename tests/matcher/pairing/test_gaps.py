"""Gap analysis on fixed profiles: each gap is derived from the profile and the market, and
names the service types that close it."""

from __future__ import annotations

from matcher.domain.enums import ServiceType
from matcher.pairing.complementarity import GapKind
from matcher.pairing.gaps import ManufacturerProfile, derive_gaps

MEDICAL = ManufacturerProfile(
    industry="medical_devices",
    export_stage="growth",
    certifications=["ISO13485", "CE"],
    languages=["ko", "en"],
    hs_codes=["901819"],
    homepage="https://example.kr",
)


def _by_kind(gaps: list) -> dict:  # type: ignore[type-arg]
    return {g.kind: g for g in gaps}


def test_a_medical_device_maker_for_india_without_cdsco() -> None:
    gaps = _by_kind(derive_gaps(MEDICAL, "IN"))
    cert = gaps[GapKind.CERTIFICATION]
    assert cert.detail == "CDSCO" and "CDSCO" in cert.en and "CDSCO" in cert.ko
    assert cert.closes[0].service_type is ServiceType.CERTIFICATION_CONSULTING
    assert gaps[GapKind.LANGUAGE].detail == "hi"  # speaks English, not Hindi
    complement = {c.service_type for c in gaps[GapKind.INDUSTRY_COMPLEMENT].closes}
    assert ServiceType.DIGITAL_HEALTH in complement
    assert GapKind.EXPORT_STAGE not in gaps  # a growth-stage firm
    assert GapKind.BRAND_DESIGN not in gaps  # has a website


def test_holding_the_registration_closes_the_certification_gap() -> None:
    ready = ManufacturerProfile(**{**MEDICAL.__dict__, "certifications": ["CDSCO"]})
    assert GapKind.CERTIFICATION not in _by_kind(derive_gaps(ready, "IN"))


def test_a_beginner_cosmetics_firm_for_vietnam() -> None:
    firm = ManufacturerProfile(
        industry="cosmetics",
        export_stage="beginner",
        languages=["ko"],
        hs_codes=["330499"],
    )
    gaps = _by_kind(derive_gaps(firm, "vn"))
    assert gaps[GapKind.CERTIFICATION].detail == "VNCOSMETICNOTIFICATION"
    assert gaps[GapKind.LANGUAGE].detail == "vi"
    assert gaps[GapKind.EXPORT_STAGE].closes[0].service_type is ServiceType.MARKET_RESEARCH
    assert gaps[GapKind.BRAND_DESIGN].closes[0].service_type is ServiceType.DESIGN_BRANDING
    assert {c.service_type for c in gaps[GapKind.INDUSTRY_COMPLEMENT].closes} == {
        ServiceType.CONTENT_MARKETING
    }


def test_a_logistics_partner_on_the_route_closes_the_logistics_gap() -> None:
    served = ManufacturerProfile(**{**MEDICAL.__dict__, "logistics_markets": frozenset({"IN"})})
    assert GapKind.LOGISTICS not in _by_kind(derive_gaps(served, "IN"))
    assert GapKind.LOGISTICS in _by_kind(derive_gaps(served, "VN"))
