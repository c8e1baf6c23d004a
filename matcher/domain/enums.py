"""Closed vocabularies of the domain, each defined exactly once.

``FunnelStage`` is the single source of the funnel: its order, its Korean and English labels,
the expected contract probability the province's evaluation report assigns to each stage
(``../shared/docs/domain.md``), and the graded relevance the ranker learns from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class _StageInfo:
    order: int
    label_en: str
    label_ko: str
    contract_probability: float | None
    relevance: int


class FunnelStage(StrEnum):
    """Every recommendation, shortlist and outcome is one funnel event at one of these stages.

    The four middle stages carry the report's expected probability of a contract (10/30/40/70%).
    ``relevance`` is the graded label for learning to rank: how far a pair got.
    """

    RECOMMENDED = "recommended"
    SHORTLISTED = "shortlisted"
    MARKET_INFO_SENT = "market_info_sent"
    MOU = "mou"
    IMPORTER_INFO_SENT = "importer_info_sent"
    CONSULTATION = "consultation"
    CONTRACT = "contract"
    FULFILLED = "fulfilled"
    CLAIM = "claim"
    DECLINED = "declined"

    @property
    def info(self) -> _StageInfo:
        return _STAGE_INFO[self]

    @property
    def order(self) -> int:
        return self.info.order

    @property
    def contract_probability(self) -> float | None:
        """Expected probability of a contract once a pair reached this stage.

        None where the documents give no figure (recommended, shortlisted)."""
        return self.info.contract_probability

    @property
    def relevance(self) -> int:
        return self.info.relevance

    @property
    def label_en(self) -> str:
        return self.info.label_en

    @property
    def label_ko(self) -> str:
        return self.info.label_ko

    @classmethod
    def progression(cls) -> tuple[FunnelStage, ...]:
        """The documented stages in order, from first contact to contract."""
        return (
            cls.MARKET_INFO_SENT,
            cls.MOU,
            cls.IMPORTER_INFO_SENT,
            cls.CONSULTATION,
            cls.CONTRACT,
        )


_STAGE_INFO: dict[FunnelStage, _StageInfo] = {
    FunnelStage.RECOMMENDED: _StageInfo(0, "Recommended", "추천", None, 0),
    FunnelStage.SHORTLISTED: _StageInfo(1, "Shortlisted", "후보 선정", None, 0),
    FunnelStage.MARKET_INFO_SENT: _StageInfo(
        2, "Market information sent", "소비시장 정보 제공", 0.10, 1
    ),
    FunnelStage.MOU: _StageInfo(
        3, "MOU or partner-agency service", "MOU 체결·협력기관 서비스", 0.30, 2
    ),
    FunnelStage.IMPORTER_INFO_SENT: _StageInfo(
        4, "Importer information sent", "수입업체 정보 제공", 0.40, 3
    ),
    FunnelStage.CONSULTATION: _StageInfo(
        5, "Consultation (remote or in person)", "화상·대면 상담", 0.70, 4
    ),
    FunnelStage.CONTRACT: _StageInfo(6, "Contract", "계약", 1.0, 5),
    FunnelStage.FULFILLED: _StageInfo(7, "Fulfilled", "이행 완료", 1.0, 5),
    FunnelStage.CLAIM: _StageInfo(8, "Claim", "클레임", 1.0, 5),
    FunnelStage.DECLINED: _StageInfo(9, "Declined / no response", "거절·무응답", 0.0, 0),
}


class FirmKind(StrEnum):
    MANUFACTURER = "manufacturer"
    SERVICE = "service"


class ExportStage(StrEnum):
    """The documents group exporters as beginner, growth or mature."""

    BEGINNER = "beginner"
    GROWTH = "growth"
    MATURE = "mature"


class BuyerType(StrEnum):
    DISTRIBUTOR = "distributor"
    WHOLESALER = "wholesaler"
    RETAILER = "retailer"
    E_COMMERCE = "e-commerce"
    MANUFACTURER = "manufacturer"
    HOSPITAL = "hospital"
    OTHER = "other"


class PricePositioning(StrEnum):
    PREMIUM = "premium"
    MID = "mid"
    VALUE = "value"


class CreditGrade(StrEnum):
    """Importer credit grade as a K-SURE-style report summarises it (A best)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class NeedStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"
    EXPIRED = "expired"


class Role(StrEnum):
    """Who an API key speaks for (issue 7): partner platforms post inquiries and read public
    supplier profiles; staff work their centers' buyers, shortlists and events; admins all."""

    PARTNER = "partner"
    STAFF = "staff"
    ADMIN = "admin"


class CenterCode(StrEnum):
    """The province's overseas export centers (IATA city codes)."""

    HANOI = "HAN"
    HO_CHI_MINH_CITY = "SGN"
    NEW_DELHI = "DEL"
    MUMBAI = "BOM"


class Industry(StrEnum):
    """Industry taxonomy for firms, following the province's export items (domain.md)."""

    FOOD = "food"
    FEED = "feed"
    COSMETICS = "cosmetics"
    AGRI_MACHINERY = "agri_machinery"
    INDUSTRIAL_MACHINERY = "industrial_machinery"
    CONSTRUCTION_MACHINERY = "construction_machinery"
    AUTO_PARTS = "auto_parts"
    VEHICLES = "vehicles"
    CHEMICALS = "chemicals"
    AGROCHEMICALS = "agrochemicals"
    PHARMACEUTICALS = "pharmaceuticals"
    MEDICAL_DEVICES = "medical_devices"
    METALS = "metals"
    PLASTICS = "plastics"
    PAPER = "paper"
    ELECTRONICS = "electronics"
    SEMICONDUCTOR_EQUIPMENT = "semiconductor_equipment"
    JEWELLERY = "jewellery"
    TEXTILES = "textiles"
    CONSUMER_GOODS = "consumer_goods"
    SERVICES = "services"
    TRADING = "trading"
    OTHER = "other"


class ServiceType(StrEnum):
    """Service firms' offerings: the general kinds plus the policy's named pairings."""

    DESIGN_BRANDING = "design_branding"
    IT_SOFTWARE = "it_software"
    DIGITAL_HEALTH = "digital_health"
    ENGINEERING_PM = "engineering_pm"
    CONTENT_MARKETING = "content_marketing"
    LOGISTICS = "logistics"
    CERTIFICATION_CONSULTING = "certification_consulting"
    INTERPRETATION_LOCALISATION = "interpretation_localisation"
    MARKET_RESEARCH = "market_research"
    SMART_FACTORY = "smart_factory"
    AI_MANUFACTURING = "ai_manufacturing"
    AUTONOMOUS_DRIVING = "autonomous_driving"
    RENTAL_MAINTENANCE = "rental_maintenance"
    MEDICAL_IT_TRAINING = "medical_it_training"
