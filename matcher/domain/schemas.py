"""Validated records for every entity: the one gate that ingestion and the API both pass through.

Each model names its fields the way the CSV columns and JSON bodies name them. List fields
accept a JSON list or a ``;``/``,``/``|``-separated string, because spreadsheets hold lists as
text. Foreign keys are *external* ids (``exporter_id`` is the exporter's external id), so
files from different systems can be loaded in any order of runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Annotated, Any, ClassVar, Self

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from matcher.domain import hscodes
from matcher.domain.enums import (
    BuyerType,
    CenterCode,
    CreditGrade,
    ExportStage,
    FirmKind,
    FunnelStage,
    Industry,
    NeedStatus,
    PricePositioning,
    ServiceType,
)

_LIST_SPLIT = re.compile(r"[;,|]")
_CERT_CLEAN = re.compile(r"[^A-Z0-9]+")


def _split_list(value: Any) -> Any:
    """Spreadsheet cells hold lists as 'a;b;c'; JSON bodies hold real lists."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in _LIST_SPLIT.split(value) if part.strip()]
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _country(value: str) -> str:
    """ISO 3166 alpha-2, from alpha-2, alpha-3 or an English name."""
    text = value.strip()
    if not text:
        raise ValueError("is empty")
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        raise ValueError(f"'{value}' is not a known country (use ISO 3166 alpha-2)") from None


def _certification(value: str) -> str:
    """Certifications are compared as upper-case tokens: 'iso 9001' -> 'ISO9001'."""
    token = _CERT_CLEAN.sub("", value.upper())
    if not token:
        raise ValueError(f"'{value}' is not a certification name")
    return token[:40]


def _language(value: str) -> str:
    code = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2}", code):
        raise ValueError(f"'{value}' is not an ISO 639-1 language code")
    return code


def _hs6(value: Any) -> str:
    return hscodes.normalize(value)


def _hs_prefix(value: Any) -> str:
    return hscodes.normalize(value, allow_prefix=True)


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


ExternalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.:\-/]+$"),
]
# Constraints sit on the inner str: on "str | None" they would be applied to None too.
ShortText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None,
    BeforeValidator(_blank_to_none),
]
LongText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None,
    BeforeValidator(_blank_to_none),
]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
]
Country = Annotated[str, AfterValidator(_country)]
OptCountry = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(lambda v: None if v is None else _country(v)),
]
Certification = Annotated[str, AfterValidator(_certification)]
Language = Annotated[str, AfterValidator(_language)]
HS6 = Annotated[str, BeforeValidator(_hs6)]
HSPrefix = Annotated[str, BeforeValidator(_hs_prefix)]

CertList = Annotated[list[Certification], BeforeValidator(_split_list), AfterValidator(_dedupe)]
CountryList = Annotated[list[Country], BeforeValidator(_split_list), AfterValidator(_dedupe)]
LanguageList = Annotated[list[Language], BeforeValidator(_split_list), AfterValidator(_dedupe)]
HSPrefixList = Annotated[list[HSPrefix], BeforeValidator(_split_list), AfterValidator(_dedupe)]
# Bounds sit on the inner type: a bound on "X | None" would be applied to None too.
NonNegFloat = Annotated[Annotated[float, Field(ge=0)] | None, BeforeValidator(_blank_to_none)]
NonNegInt = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_blank_to_none)]
Employees = Annotated[
    Annotated[int, Field(ge=0, le=1_000_000)] | None, BeforeValidator(_blank_to_none)
]
FoundedYear = Annotated[
    Annotated[int, Field(ge=1800, le=2100)] | None, BeforeValidator(_blank_to_none)
]
Share = Annotated[Annotated[float, Field(ge=0, le=1)] | None, BeforeValidator(_blank_to_none)]


# Optional enums and dates: a blank spreadsheet cell means "unknown".
OptExportStage = Annotated[ExportStage | None, BeforeValidator(_blank_to_none)]
OptPricePositioning = Annotated[PricePositioning | None, BeforeValidator(_blank_to_none)]
OptCreditGrade = Annotated[CreditGrade | None, BeforeValidator(_blank_to_none)]
OptCenter = Annotated[CenterCode | None, BeforeValidator(_blank_to_none)]
OptDate = Annotated[dt.date | None, BeforeValidator(_blank_to_none)]


class Record(BaseModel):
    """Base for validated records: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    external_id: ExternalId


class ExporterRecord(Record):
    """A Korean firm: a manufacturer, or a service firm that helps manufacturers go abroad."""

    kind: FirmKind = FirmKind.MANUFACTURER
    name_ko: ShortText = None
    name_en: ShortText = None
    industry: Industry = Industry.OTHER
    industry_detail: ShortText = None
    province: ShortText = None
    city: ShortText = None
    employees: Employees = None
    export_stage: OptExportStage = None
    founded_year: FoundedYear = None
    certifications: CertList = Field(default_factory=list)
    markets: CountryList = Field(default_factory=list)
    languages: LanguageList = Field(default_factory=list)
    description: LongText = None
    homepage: ShortText = None
    notes: LongText = None

    @model_validator(mode="after")
    def _needs_a_name(self) -> Self:
        if not self.name_ko and not self.name_en:
            raise ValueError("name_ko or name_en is required")
        return self


class ProductRecord(Record):
    exporter_id: ExternalId
    name: ShortText = None
    description: RequiredText
    hs_code: Annotated[HS6 | None, BeforeValidator(_blank_to_none)] = None
    price_min_usd: NonNegFloat = None
    price_max_usd: NonNegFloat = None
    price_unit: ShortText = None
    moq: NonNegInt = None
    moq_unit: ShortText = None
    certifications: CertList = Field(default_factory=list)
    language: Annotated[Language | None, BeforeValidator(_blank_to_none)] = None

    @model_validator(mode="after")
    def _price_band_ordered(self) -> Self:
        lo, hi = self.price_min_usd, self.price_max_usd
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"price_min_usd ({lo}) is above price_max_usd ({hi})")
        return self


class ServiceOfferingRecord(Record):
    exporter_id: ExternalId
    service_type: ServiceType
    description: RequiredText
    markets: CountryList = Field(default_factory=list)
    languages: LanguageList = Field(default_factory=list)
    capacity_per_month: NonNegInt = None


class BuyerRecord(Record):
    """A foreign importer. Credit grade, responsiveness, contacts and notes are sensitive."""

    name: RequiredText
    country: Country
    city: ShortText = None
    buyer_type: BuyerType = BuyerType.OTHER
    price_positioning: OptPricePositioning = None
    interests: LongText = None
    hs_codes: HSPrefixList = Field(default_factory=list)
    required_certifications: CertList = Field(default_factory=list)
    certifications_strict: bool = False
    responsiveness: Share = None
    credit_grade: OptCreditGrade = None
    center: OptCenter = None
    languages: LanguageList = Field(default_factory=list)
    annual_purchase_usd: NonNegFloat = None
    opted_out: bool = False
    contact_email: ShortText = None
    notes: LongText = None
    source: ShortText = None


class NeedRecord(Record):
    """A buyer inquiry: free text in any language plus optional structure."""

    buyer_id: Annotated[ExternalId | None, BeforeValidator(_blank_to_none)] = None
    country: OptCountry = None
    text: RequiredText
    language: Annotated[Language | None, BeforeValidator(_blank_to_none)] = None
    hs_codes: HSPrefixList = Field(default_factory=list)
    quantity: NonNegFloat = None
    quantity_unit: ShortText = None
    target_price_usd: NonNegFloat = None
    required_certifications: CertList = Field(default_factory=list)
    deadline: OptDate = None
    status: NeedStatus = NeedStatus.OPEN
    received_on: OptDate = None
    source: ShortText = None
    notes: LongText = None


class _ContentIdentified(Record):
    """A record whose ``external_id`` defaults to a hash of ``_ID_FIELDS`` (prefixed
    ``_ID_PREFIX``), so re-loading the same file never duplicates history."""

    _ID_FIELDS: ClassVar[tuple[str, ...]] = ()
    _ID_PREFIX: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not str(data.get("external_id") or "").strip():
            key = "|".join(str(data.get(k, "")).strip() for k in cls._ID_FIELDS)
            digest = hashlib.sha1(key.encode()).hexdigest()[:20]
            data = {**data, "external_id": cls._ID_PREFIX + digest}
        return data


class FunnelEventRecord(_ContentIdentified):
    """One step of a pair's history. ``external_id`` defaults to a hash of its content, so
    re-loading the same event file never duplicates history."""

    _ID_FIELDS: ClassVar[tuple[str, ...]] = ("exporter_id", "buyer_id", "stage", "occurred_at")
    _ID_PREFIX: ClassVar[str] = "ev-"

    external_id: ExternalId = ""  # filled by _derive_id
    exporter_id: ExternalId
    buyer_id: ExternalId
    stage: FunnelStage
    occurred_at: dt.datetime
    value_usd: NonNegFloat = None
    note: LongText = None
    actor: ShortText = None
    center: OptCenter = None
    # The inquiry the pair answers, where it began with one (a buyer's posted need, the
    # BuyKorea direction); blank for pairs staff started from a firm's side.
    need_id: Annotated[ExternalId | None, BeforeValidator(_blank_to_none)] = None


class PairingEventRecord(_ContentIdentified):
    """One step of a manufacturer-service pairing for a market: the same funnel as a
    firm-importer pair, on (manufacturer, service offering). ``external_id`` defaults to a
    hash of its content, so re-loading a file never duplicates history."""

    _ID_FIELDS: ClassVar[tuple[str, ...]] = (
        "manufacturer_id",
        "service_id",
        "market",
        "stage",
        "occurred_at",
    )
    _ID_PREFIX: ClassVar[str] = "pe-"

    external_id: ExternalId = ""  # filled by _derive_id
    manufacturer_id: ExternalId
    service_id: ExternalId
    market: Country
    stage: FunnelStage
    occurred_at: dt.datetime
    note: LongText = None
    actor: ShortText = None
    center: OptCenter = None


RECORD_TYPES: dict[str, type[Record]] = {
    "exporters": ExporterRecord,
    "products": ProductRecord,
    "services": ServiceOfferingRecord,
    "buyers": BuyerRecord,
    "needs": NeedRecord,
    "events": FunnelEventRecord,
    "pairing_events": PairingEventRecord,
}
