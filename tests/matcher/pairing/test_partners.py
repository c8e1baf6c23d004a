"""Partner recommendation on a fixed fixture: a medical-device maker heading to India without
a CDSCO registration, and twelve service firms. Relevance comes from the real encoder."""

from __future__ import annotations

import pytest

from matcher.config import Settings
from matcher.domain.enums import ServiceType
from matcher.embedding.encoders import build_encoder
from matcher.pairing.complementarity import GapKind
from matcher.pairing.gaps import ManufacturerProfile, derive_gaps
from matcher.pairing.partners import ServiceOffer, recommend_partners

FIRM = ManufacturerProfile(
    industry="medical_devices",
    export_stage="growth",
    certifications=["ISO13485", "CE"],
    languages=["ko", "en"],
    hs_codes=["901819", "901890"],
    homepage="https://example.kr",
)
PRODUCTS = (
    "Portable ultrasound scanner with wireless probe for point-of-care diagnosis. "
    "Patient monitor with SpO2, ECG and NIBP for clinics."
)
# (firm, service type, markets, languages, capacity, description)
FIXTURE = [
    (
        1,
        "certification_consulting",
        ["IN"],
        ["ko", "en"],
        3,
        "CDSCO medical device registration and BIS certification consulting for India",
    ),
    (
        2,
        "digital_health",
        ["IN", "VN"],
        ["ko", "en"],
        2,
        "Telemedicine platform and remote patient monitoring integration for device makers",
    ),
    (
        3,
        "logistics",
        ["IN"],
        ["ko", "en", "hi"],
        10,
        "Freight forwarding and customs clearance Busan to Nhava Sheva and Delhi",
    ),
    (
        4,
        "interpretation_localisation",
        ["IN"],
        ["ko", "en", "hi"],
        5,
        "Hindi and English interpretation for business meetings and trade fairs",
    ),
    (
        5,
        "design_branding",
        [],
        ["ko"],
        4,
        "Product design and packaging for medical equipment and consumer electronics",
    ),
    (
        6,
        "it_software",
        ["VN"],
        ["ko", "vi"],
        4,
        "Hospital information systems and medical imaging PACS software",
    ),
    (
        7,
        "content_marketing",
        ["VN"],
        ["ko", "vi"],
        6,
        "SNS marketing and influencer campaigns for K-beauty and food brands in Vietnam",
    ),
    (
        8,
        "smart_factory",
        ["IN"],
        ["ko", "en"],
        2,
        "Smart factory MES and automation for machinery plants",
    ),
    (
        9,
        "certification_consulting",
        ["VN"],
        ["ko", "vi"],
        3,
        "Vietnam cosmetics notification and food registration dossiers",
    ),
    (
        10,
        "market_research",
        ["IN"],
        ["ko", "en"],
        5,
        "Indian hospital market research and distributor lists",
    ),
    (
        11,
        "digital_health",
        ["IN"],
        ["ko", "en"],
        0,
        "AI ultrasound image analysis software for point-of-care devices",
    ),
    (12, "engineering_pm", ["IN"], ["ko", "en"], 2, "EPC project management for industrial plants"),
]


@pytest.fixture(scope="module")
def offers(tmp_path_factory: pytest.TempPathFactory) -> list[ServiceOffer]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("partners"), _env_file=None)  # type: ignore[call-arg]
    encoder = build_encoder(settings)
    query = encoder.encode_queries([PRODUCTS])[0]
    docs = encoder.encode_documents([row[5] for row in FIXTURE])
    sims = docs @ query
    return [
        ServiceOffer(
            offering_id=100 + firm,
            firm_id=firm,
            service_type=ServiceType(kind),
            markets=markets,
            languages=langs,
            capacity_left=capacity,
            similarity=float(sim),
        )
        for (firm, kind, markets, langs, capacity, _), sim in zip(FIXTURE, sims, strict=True)
    ]


def test_the_india_medical_device_maker_gets_its_gaps_closed(offers: list[ServiceOffer]) -> None:
    gaps = derive_gaps(FIRM, "IN")
    ranked, excluded = recommend_partners(gaps, "IN", offers, top_k=5)
    top = {m.offer.firm_id: m for m in ranked}
    consultant, health = top.get(1), top.get(2)
    assert consultant is not None and health is not None, [m.offer.firm_id for m in ranked]
    assert consultant.closes[0].kind is GapKind.CERTIFICATION
    assert consultant.closes[0].detail == "CDSCO"
    assert any("CDSCO" in r for r in consultant.reasons_en)
    assert any("CDSCO" in r for r in consultant.reasons_ko)
    assert health.closes[0].kind is GapKind.INDUSTRY_COMPLEMENT
    for match in ranked:  # every result says which gap it closes
        assert match.closes and match.reasons_en and match.reasons_ko
    # The Vietnam-only consultant cannot close an Indian registration.
    assert 9 not in top
    # A digital-health firm with no capacity left is excluded, with its reason.
    assert [e.offer.firm_id for e in excluded if e.code == "no_capacity"] == [11]
    # Offerings that add nothing for India are left out, saying so: the smart-factory and
    # EPC firms (no gap of a medical-device maker) and the Vietnam-only consultant.
    assert {e.offer.firm_id for e in excluded if e.code == "closes_no_gap"} >= {8, 9, 12}


def test_an_interpreter_must_speak_the_missing_language(offers: list[ServiceOffer]) -> None:
    gaps = derive_gaps(FIRM, "IN")
    ranked, _ = recommend_partners(gaps, "IN", offers, top_k=12)
    interpreter = next(m for m in ranked if m.offer.firm_id == 4)
    assert [c.kind for c in interpreter.closes] == [GapKind.LANGUAGE]
    english_only = ServiceOffer(99, 99, ServiceType.INTERPRETATION_LOCALISATION, ["IN"], ["en"])
    ranked, excluded = recommend_partners(gaps, "IN", [english_only])
    assert not ranked and excluded[0].code == "closes_no_gap"


def test_results_are_one_per_firm_and_capacity_unknown_is_allowed() -> None:
    gaps = derive_gaps(FIRM, "IN")
    twice = [
        ServiceOffer(1, 7, ServiceType.LOGISTICS, []),  # names no market: scores lower
        ServiceOffer(2, 7, ServiceType.CERTIFICATION_CONSULTING, ["IN"]),
    ]
    ranked, excluded = recommend_partners(gaps, "IN", twice)
    assert len(ranked) == 1 and not excluded
    assert ranked[0].offer.offering_id == 2  # the firm's better-scoring offer
