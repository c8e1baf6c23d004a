"""Seeded, realistic demo data: exporters, products, services, importers, inquiries, funnel.

Why: the matcher needs data that looks like the province's (small Jeollabuk-do firms, Vietnamese
and Indian importers, the documented funnel) to be demonstrated, tested and benchmarked before
real files arrive, and the ranker needs funnel events whose outcomes depend on a hidden fit
(``hidden_fit``) it can learn but not read.

How: rows are streamed to CSV files in chunks, so 1k to 1M exporters run in bounded memory.
Only compact numpy arrays survive a chunk (per exporter: stage, language and certification
bitmasks, product HS codes; per importer: type, positioning, HS prefixes, requirements,
center); funnel pairs are drawn and simulated chunk by chunk from them. All randomness comes
from child generators of ``numpy.random.default_rng``'s seed sequence, and the latents from a
hash of the seed and each id, so the same seed gives byte-identical files. The wall clock is
never read: the funnel is cut at the fixed ``REFERENCE_DATE``.

The funnel: each contacted pair is shortlisted, then advances through
``FunnelStage.progression()`` with ``p_k = sigmoid(intercept_k + slope * z)`` where ``z`` is the
pair's standardised hidden fit. The intercepts are calibrated once, on a sample of pairs drawn
like the real ones, so that among pairs reaching a stage the advance rate matches the ratio of
the documented contract probabilities (10/30/40/70% give 1/3, 3/4, 4/7, 7/10). By the chain
rule P(contract | reached stage) then equals the documented figure on average.

Pairs start two ways: staff pick importers for a firm (about 60% by the HS of its products,
the rest broadly among their centers' importers), and suppliers answer an importer's posted
inquiry (manufacturers of the inquired product's HS heading). Inquiry pairs' events carry the
inquiry's id: they are what a supplier search for that inquiry should have found.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple, TextIO, TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.demo import catalog, names, pairing_outcomes
from matcher.demo.catalog import CERT_BIT, CERTIFICATIONS, LANG_BIT, PRODUCT_TYPES, Term
from matcher.demo.hidden_fit import (
    BUYER_TYPES,
    DEFAULT,
    MAX_PREFIXES,
    MAX_PRODUCTS,
    POSITIONINGS,
    STAGES,
    BuyerTable,
    ExporterTable,
    HiddenWeights,
    buyer_openness,
    exporter_price_tier,
    exporter_quality,
    id_keys,
    pair_fit,
)
from matcher.domain.centers import center_for
from matcher.domain.enums import (
    BuyerType,
    CenterCode,
    FirmKind,
    FunnelStage,
    Industry,
    NeedStatus,
    ServiceType,
)
from matcher.domain.schemas import RECORD_TYPES

FILE_KINDS: tuple[str, ...] = (
    "exporters",
    "products",
    "services",
    "buyers",
    "needs",
    "events",
    "pairing_events",
)
# The columns each file carries: record field names, in record order. Written out explicitly
# (not taken from the records) so that a field added to a record later never shifts the rows;
# ``_check_columns`` fails loudly if one of these disappears from its record.
COLUMNS: dict[str, tuple[str, ...]] = {
    "exporters": (
        "external_id",
        "kind",
        "name_ko",
        "name_en",
        "industry",
        "industry_detail",
        "province",
        "city",
        "employees",
        "export_stage",
        "founded_year",
        "certifications",
        "markets",
        "languages",
        "description",
        "homepage",
    ),
    "products": (
        "external_id",
        "exporter_id",
        "name",
        "description",
        "hs_code",
        "price_min_usd",
        "price_max_usd",
        "price_unit",
        "moq",
        "moq_unit",
        "certifications",
        "language",
    ),
    "services": (
        "external_id",
        "exporter_id",
        "service_type",
        "description",
        "markets",
        "languages",
        "capacity_per_month",
    ),
    "buyers": (
        "external_id",
        "name",
        "country",
        "city",
        "buyer_type",
        "price_positioning",
        "interests",
        "hs_codes",
        "required_certifications",
        "certifications_strict",
        "responsiveness",
        "credit_grade",
        "center",
        "languages",
        "annual_purchase_usd",
        "opted_out",
        "contact_email",
        "notes",
        "source",
    ),
    "needs": (
        "external_id",
        "buyer_id",
        "country",
        "text",
        "language",
        "hs_codes",
        "quantity",
        "quantity_unit",
        "target_price_usd",
        "required_certifications",
        "deadline",
        "status",
        "received_on",
        "source",
    ),
    "events": (
        "external_id",
        "exporter_id",
        "buyer_id",
        "stage",
        "occurred_at",
        "value_usd",
        "note",
        "actor",
        "center",
        "need_id",
    ),
    "pairing_events": pairing_outcomes.COLUMNS,
}


def _check_columns() -> None:
    for kind, columns in COLUMNS.items():
        missing = [c for c in columns if c not in RECORD_TYPES[kind].model_fields]
        if missing:
            raise ValueError(f"{kind}: columns {missing} are not fields of the record")


REFERENCE_DATE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
# The moment to read a demo store as of where a run must be reproducible (the batch's tests
# and bench): its history ends at the reference date, and which firms are a center's clients
# (an event in the last year), whose exposure counts this month and which inquiries are
# open all follow the moment a run reads it as of, so read as of the wall clock the store
# changes from one day to the next.
DEMO_AS_OF = REFERENCE_DATE + dt.timedelta(hours=6)
FIRST_PAIR_DAY = dt.date(2019, 1, 1)  # Hanoi center opened in 2019
FIRST_PAIR_DAY_INDIA = dt.date(2020, 1, 1)  # New Delhi in 2020
LAST_PAIR_DAY = dt.date(2026, 10, 31)
NEEDS_FROM = dt.date(2023, 1, 1)

CHUNK = 20_000
SERVICE_SHARE = 0.15
PAIRS_PER_MANUFACTURER = 3.0
CALIBRATION_PAIRS = 40_000
# Bumped whenever the same seed would give different files: stores generated from an older
# generator (e.g. the evaluation's cached demo stores) are then regenerated, not reused.
GENERATOR_VERSION = 5
INQUIRY_ANSWERS = 3.0  # mean suppliers answering one inquiry (at least one)
SHORTLIST_ADVANCE = 0.7  # shortlisted -> market information sent (undocumented; a design choice)

ProgressFn = Callable[[str, int], None]
_T = TypeVar("_T")

_EPOCH = dt.date(1970, 1, 1)
_REF_SECONDS = int(REFERENCE_DATE.timestamp())
_STAGES = FunnelStage.progression()


def step_targets() -> tuple[float, ...]:
    """Average advance probability of each funnel step, from the documented probabilities."""
    probs = [stage.contract_probability for stage in _STAGES]
    ratios = [float(a) / float(b) for a, b in pairwise(probs) if a and b]
    return (SHORTLIST_ADVANCE, *ratios)


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """How fit was turned into funnel probabilities (aggregates only; no per-pair truth)."""

    fit_mean: float
    fit_std: float
    slope: float
    intercepts: tuple[float, ...]
    targets: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fit_mean": self.fit_mean,
            "fit_std": self.fit_std,
            "slope": self.slope,
            "intercepts": list(self.intercepts),
            "targets": list(self.targets),
        }


@dataclass(frozen=True)
class DemoManifest:
    """What was generated: file paths and row counts, and how (seed, weights, calibration)."""

    out_dir: Path
    seed: int
    exporters: int
    files: dict[str, Path]
    counts: dict[str, int]
    weights: HiddenWeights
    calibration: Calibration
    reference_date: str = REFERENCE_DATE.isoformat()

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "exporters": self.exporters,
            "reference_date": self.reference_date,
            "files": {k: p.name for k, p in self.files.items()},
            "counts": dict(self.counts),
            "weights": self.weights.as_dict(),
            "calibration": self.calibration.as_dict(),
        }

    def write(self) -> Path:
        path = self.out_dir / "manifest.json"
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, out_dir: Path) -> DemoManifest:
        data = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        cal = data["calibration"]
        return cls(
            out_dir=out_dir,
            seed=int(data["seed"]),
            exporters=int(data["exporters"]),
            files={k: out_dir / v for k, v in data["files"].items()},
            counts={k: int(v) for k, v in data["counts"].items()},
            weights=HiddenWeights(**data["weights"]),
            calibration=Calibration(
                fit_mean=float(cal["fit_mean"]),
                fit_std=float(cal["fit_std"]),
                slope=float(cal["slope"]),
                intercepts=tuple(float(x) for x in cal["intercepts"]),
                targets=tuple(float(x) for x in cal["targets"]),
            ),
            reference_date=str(data["reference_date"]),
        )


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _probs(weights: Sequence[float]) -> NDArray[np.float64]:
    arr = np.asarray(weights, dtype=np.float64)
    out: NDArray[np.float64] = arr / arr.sum()
    return out


def _choice_rows(rng: np.random.Generator, cdf: NDArray[np.float64]) -> NDArray[np.intp]:
    """One draw per row from per-row cumulative distributions (n, K)."""
    u = rng.random((cdf.shape[0],))
    idx: NDArray[np.intp] = np.minimum((u[:, None] > cdf).sum(axis=1), cdf.shape[1] - 1)
    return idx


def _pick(options: Sequence[_T], u: float) -> _T:
    return options[min(int(u * len(options)), len(options) - 1)]


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _money(x: float) -> str:
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _date_str(day: int) -> str:
    return (_EPOCH + dt.timedelta(days=int(day))).isoformat()


def _mask_to_list(mask: int, vocabulary: Sequence[str]) -> list[str]:
    return [v for i, v in enumerate(vocabulary) if mask >> i & 1]


def _bits(draws: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """Rows of booleans (n, C) as uint64 bitmasks."""
    weights = np.left_shift(np.uint64(1), np.arange(draws.shape[1], dtype=np.uint64))
    out: NDArray[np.uint64] = (draws.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return out


class _Writer:
    """A CSV file with the record's columns as header, counting the rows written. Rows go to
    a hidden ``.part`` file that ``publish`` renames, so an interrupted run never leaves a
    half-written file where a loader would take it for a complete one."""

    def __init__(self, path: Path, kind: str, stack: ExitStack) -> None:
        self.kind = kind
        self.path = path
        self.part = path.with_name(f".{path.name}.part")
        handle: TextIO = stack.enter_context(self.part.open("w", encoding="utf-8", newline=""))
        self._writer = csv.writer(handle, lineterminator="\n")
        self._writer.writerow(COLUMNS[kind])
        self.rows = 0

    def write(self, rows: list[list[Any]], progress: ProgressFn | None) -> None:
        self._writer.writerows(rows)
        self.rows += len(rows)
        if progress is not None and rows:
            progress(self.kind, len(rows))

    def publish(self) -> None:
        self.part.replace(self.path)


# ---------------------------------------------------------------------------------------------
# Static tables derived once from the catalogue
# ---------------------------------------------------------------------------------------------

MAN_INDUSTRIES: tuple[Industry, ...] = tuple(catalog.MANUFACTURER_INDUSTRIES)
_MAN_P = _probs(list(catalog.MANUFACTURER_INDUSTRIES.values()))
SERVICE_TYPES: tuple[ServiceType, ...] = tuple(catalog.SERVICE_WEIGHTS)
_SVC_P = _probs(list(catalog.SERVICE_WEIGHTS.values()))
_TYPES_OF: dict[Industry, tuple[int, ...]] = {
    ind: tuple(i for i, p in enumerate(PRODUCT_TYPES) if p.industry == ind)
    for ind in MAN_INDUSTRIES
}
_MARKETS: tuple[str, ...] = tuple(catalog.EXPORT_MARKETS)
_MARKET_LOGP = np.log(_probs([w for _, w in catalog.EXPORT_MARKETS.values()]))
_CERTS = len(CERTIFICATIONS)
_STAFF_KEYS: tuple[str, ...] = ("HAN", "SGN", "DEL", "BOM", "")
_CENTER_CODES: tuple[CenterCode, ...] = (
    CenterCode.HANOI,
    CenterCode.HO_CHI_MINH_CITY,
    CenterCode.NEW_DELHI,
    CenterCode.MUMBAI,
)


def _city_cdf() -> NDArray[np.float64]:
    """Per industry group (manufacturing industries, then services), a CDF over KO_CITIES."""
    groups = [*MAN_INDUSTRIES, Industry.SERVICES]
    rows = []
    for ind in groups:
        affinity = names.CITY_AFFINITY.get(ind, {})
        w = [base * affinity.get(city, 1.0) for city, _, base in names.KO_CITIES]
        rows.append(np.cumsum(_probs(w)))
    return np.asarray(rows)


_CITY_CDF = _city_cdf()


def _type_cdf(type_ids: Sequence[int]) -> NDArray[np.float64]:
    return np.cumsum(_probs([PRODUCT_TYPES[i].weight for i in type_ids]))


def _industry_cert_mask(industry: Industry) -> NDArray[np.bool_]:
    """Quality-system certificates typical of an industry (market registrations excluded)."""
    row = np.zeros(_CERTS, np.bool_)
    for i in _TYPES_OF.get(industry, ()):
        for cert in PRODUCT_TYPES[i].certifications:
            if cert not in catalog.MARKET_CERTS:
                row[CERT_BIT[cert]] = True
    return row


_IND_CERTS = np.asarray([_industry_cert_mask(ind) for ind in MAN_INDUSTRIES])

# Market registrations a firm holds because it serves that market: (market, industries,
# certificate, probability).
_EXPORTER_MARKET_CERTS: tuple[tuple[str, frozenset[Industry], str, float], ...] = (
    ("VN", frozenset({Industry.FOOD}), "VNFOODREGISTRATION", 0.6),
    ("VN", frozenset({Industry.COSMETICS}), "VNCOSMETICNOTIFICATION", 0.7),
    ("IN", frozenset({Industry.FOOD, Industry.FEED}), "FSSAI", 0.6),
    (
        "IN",
        frozenset({Industry.COSMETICS, Industry.MEDICAL_DEVICES, Industry.PHARMACEUTICALS}),
        "CDSCO",
        0.6,
    ),
    (
        "IN",
        frozenset(
            {
                Industry.INDUSTRIAL_MACHINERY,
                Industry.AGRI_MACHINERY,
                Industry.CONSTRUCTION_MACHINERY,
                Industry.ELECTRONICS,
                Industry.METALS,
                Industry.AUTO_PARTS,
                Industry.PLASTICS,
            }
        ),
        "BIS",
        0.5,
    ),
    ("MY", frozenset({Industry.FOOD, Industry.COSMETICS}), "HALAL", 0.6),
    ("ID", frozenset({Industry.FOOD, Industry.COSMETICS}), "HALAL", 0.6),
)

# What importers require: (countries or None for any, industries, certificate, probability).
# India: BIS for machinery and electronics, FSSAI for food, CDSCO for cosmetics, medicines and
# medical devices; Vietnam: cosmetic notification and food registration; HALAL only in
# Malaysia, Indonesia and the Gulf (Vietnam is not a halal market).
_BUYER_CERT_RULES: tuple[tuple[frozenset[str] | None, frozenset[Industry], str, float], ...] = (
    (frozenset({"IN"}), frozenset({Industry.FOOD, Industry.FEED}), "FSSAI", 0.85),
    (frozenset({"IN"}), frozenset({Industry.COSMETICS, Industry.MEDICAL_DEVICES}), "CDSCO", 0.8),
    (frozenset({"IN"}), frozenset({Industry.PHARMACEUTICALS}), "CDSCO", 0.7),
    (
        frozenset({"IN"}),
        frozenset(
            {
                Industry.INDUSTRIAL_MACHINERY,
                Industry.AGRI_MACHINERY,
                Industry.CONSTRUCTION_MACHINERY,
                Industry.ELECTRONICS,
            }
        ),
        "BIS",
        0.55,
    ),
    (
        frozenset({"IN"}),
        frozenset({Industry.METALS, Industry.AUTO_PARTS, Industry.PLASTICS}),
        "BIS",
        0.3,
    ),
    (frozenset({"VN"}), frozenset({Industry.COSMETICS}), "VNCOSMETICNOTIFICATION", 0.85),
    (frozenset({"VN"}), frozenset({Industry.FOOD}), "VNFOODREGISTRATION", 0.8),
    (frozenset({"MY", "ID"}), frozenset({Industry.FOOD, Industry.COSMETICS}), "HALAL", 0.85),
    (frozenset({"AE"}), frozenset({Industry.FOOD}), "HALAL", 0.7),
    (None, frozenset({Industry.FOOD}), "HACCP", 0.3),
    (None, frozenset({Industry.COSMETICS}), "ISO22716", 0.2),
    (None, frozenset({Industry.MEDICAL_DEVICES}), "ISO13485", 0.6),
    (None, frozenset({Industry.PHARMACEUTICALS}), "GMP", 0.5),
    (
        None,
        frozenset({Industry.INDUSTRIAL_MACHINERY, Industry.METALS, Industry.CHEMICALS}),
        "ISO9001",
        0.3,
    ),
    (frozenset({"IN", "VN"}), frozenset({Industry.INDUSTRIAL_MACHINERY}), "API6D", 0.2),
    (None, frozenset({Industry.METALS}), "ASME", 0.2),
    (None, frozenset({Industry.AUTO_PARTS}), "IATF16949", 0.35),
    (None, frozenset({Industry.ELECTRONICS}), "CE", 0.2),
    (None, frozenset({Industry.AGROCHEMICALS}), "GLP", 0.15),
)

# Importer regions: the four center areas, then "other".
_REGION_P = _probs([w for _, w, _ in names.BUYER_REGIONS] + [0.20])
_OTHER_P = _probs([w for _, w, _ in names.OTHER_COUNTRIES])
_FOCUS: dict[str, tuple[tuple[Industry, ...], NDArray[np.float64]]] = {
    group: (tuple(dist), np.cumsum(_probs(list(dist.values()))))
    for group, dist in catalog.BUYER_FOCUS.items()
}

# Importer types per channel group, in BUYER_TYPES order
# (distributor, wholesaler, retailer, e-commerce, manufacturer, hospital, other).
_TYPE_P: dict[str, NDArray[np.float64]] = {
    "consumer": np.cumsum(_probs([0.38, 0.20, 0.17, 0.15, 0.03, 0.0, 0.07])),
    "industrial": np.cumsum(_probs([0.40, 0.12, 0.02, 0.03, 0.33, 0.0, 0.10])),
    "medical": np.cumsum(_probs([0.45, 0.10, 0.03, 0.02, 0.02, 0.33, 0.05])),
    "agri": np.cumsum(_probs([0.50, 0.28, 0.04, 0.02, 0.10, 0.0, 0.06])),
}
_BT_INDEX = {t: i for i, t in enumerate(BUYER_TYPES)}
_POSITION_P: dict[int, NDArray[np.float64]] = {
    _BT_INDEX[BuyerType.RETAILER]: np.cumsum([0.40, 0.45, 0.15]),
    _BT_INDEX[BuyerType.E_COMMERCE]: np.cumsum([0.40, 0.40, 0.20]),
    _BT_INDEX[BuyerType.WHOLESALER]: np.cumsum([0.10, 0.45, 0.45]),
}
_POSITION_DEFAULT = np.cumsum([0.25, 0.50, 0.25])
_CREDIT_CUTS = np.array([-1.2816, -0.6745, 0.1257, 1.0364])  # E | D | C | B | A (10/15/30/30/15%)
_CREDIT = ("E", "D", "C", "B", "A")


# ---------------------------------------------------------------------------------------------
# Generation state
# ---------------------------------------------------------------------------------------------


@dataclass
class DemoTables:
    """The compact arrays that survive the row chunks (what pairing and the fit need)."""

    exporters: ExporterTable
    is_manufacturer: NDArray[np.bool_]
    n_products: NDArray[np.int8]
    buyers: BuyerTable
    buyer_center: NDArray[np.int8]  # index into _CENTER_CODES, -1 none
    buyer_country_in: NDArray[np.bool_]
    buyer_types: NDArray[np.int16]  # (n, 4) catalogue product types of interest, -1 pad
    buyer_opted_out: NDArray[np.bool_]


@dataclass
class _Ctx:
    seed: int
    weights: HiddenWeights
    progress: ProgressFn | None
    streams: dict[str, np.random.Generator]
    tables: DemoTables
    n_exporters: int
    n_buyers: int
    n_needs: int
    # (low, high): products per manufacturer drawn uniformly in [low, high]; None: the
    # default mix (1-4, mean ~2.2).
    products_per_manufacturer: tuple[int, int] | None = None
    # Cities are few: keep the distinct (country, city) pairs and an index per buyer.
    city_names: list[tuple[str, str]] = field(default_factory=list)
    city_index: dict[tuple[str, str], int] = field(default_factory=dict)
    buyer_city_id: NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, np.int16))
    product_seq: int = 0
    service_seq: int = 0
    event_seq: int = 0
    # Per inquiry: its importer (-1 free-standing), product type and day received.
    need_buyer: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    need_type: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    need_day: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # Keys (exporter * n_buyers + buyer) of the pairs staff started, so an inquiry's
    # responders are new pairs.
    staff_pairs: list[NDArray[np.int64]] = field(default_factory=list)


def exporter_id(i: int) -> str:
    return f"EXP-{i + 1:07d}"


def buyer_id(i: int) -> str:
    return f"BUY-{i + 1:07d}"


def need_id(i: int) -> str:
    return f"NEED-{i + 1:07d}"


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


# ---------------------------------------------------------------------------------------------
# Exporters, products, services
# ---------------------------------------------------------------------------------------------

_MARKET_COL = {m: i for i, m in enumerate(_MARKETS)}
_MAX_MARKETS = 6


@dataclass
class _Firms:
    """The drawn attributes of one chunk of exporters (arrays of the chunk's length)."""

    ids: list[str]
    keys: NDArray[np.uint64]
    is_service: NDArray[np.bool_]
    industry: NDArray[np.intp]  # index into MAN_INDUSTRIES (ignored for service firms)
    service: NDArray[np.intp]  # primary offering, index into SERVICE_TYPES
    city: NDArray[np.intp]
    employees: NDArray[np.int64]
    stage: NDArray[np.int8]
    founded: NDArray[np.int64]
    has_market: NDArray[np.bool_]
    certs: NDArray[np.uint64]
    languages: NDArray[np.uint16]

    def __len__(self) -> int:
        return len(self.ids)


def _draw_firms(ctx: _Ctx, start: int, stop: int) -> _Firms:
    """Kind, industry, city, size, export stage, markets, certificates and languages."""
    rng = ctx.streams["firms"]
    n = stop - start
    ids = [exporter_id(i) for i in range(start, stop)]
    keys = id_keys(ids)
    is_service = rng.random(n) < SERVICE_SHARE
    industry = rng.choice(len(MAN_INDUSTRIES), size=n, p=_MAN_P)
    service = rng.choice(len(SERVICE_TYPES), size=n, p=_SVC_P)
    city = _choice_rows(rng, _CITY_CDF[np.where(is_service, len(MAN_INDUSTRIES), industry)])

    # Size drives stage: many 1-5 person firms, median ~8, few above 100; stages ~50/35/15%
    # (the thresholds are the 50% and 85% quantiles of the stage score).
    z_size = rng.standard_normal(n)
    employees = np.maximum(1, np.rint(np.exp(np.log(8.0) + 1.1 * z_size - 0.25 * is_service)))
    stage_score = 0.9 * z_size + rng.standard_normal(n)
    stage = (stage_score > 0.0).astype(np.int8) + (stage_score > 1.3944).astype(np.int8)
    age = np.exp(np.log(np.array([6.0, 12.0, 22.0]))[stage] + 0.5 * rng.standard_normal(n))
    founded = 2026 - np.clip(np.rint(age), 1, 60).astype(np.int64)

    has_market = _draw_markets(rng, stage)
    certs = _draw_certs(
        rng, exporter_quality(ctx.seed, keys), is_service, industry, stage, has_market
    )
    interpreters = is_service & (
        service == SERVICE_TYPES.index(ServiceType.INTERPRETATION_LOCALISATION)
    )
    languages = _draw_languages(rng, stage, has_market, interpreters)
    return _Firms(
        ids=ids,
        keys=keys,
        is_service=is_service,
        industry=industry,
        service=service,
        city=city,
        employees=employees.astype(np.int64),
        stage=stage,
        founded=founded,
        has_market=has_market,
        certs=certs,
        languages=languages,
    )


def _draw_markets(rng: np.random.Generator, stage: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Markets already served: none or one for beginners, more with stage (Gumbel top-k
    sampling without replacement, weighted by how common each destination is)."""
    n = len(stage)
    n_markets = np.where(
        stage == 0,
        rng.integers(0, 2, n),
        np.where(stage == 1, rng.integers(1, 4, n), rng.integers(2, _MAX_MARKETS + 1, n)),
    )
    gumbel = _MARKET_LOGP[None, :] - np.log(-np.log(rng.random((n, len(_MARKETS)))))
    order = np.argsort(-gumbel, axis=1)[:, :_MAX_MARKETS]
    has_market = np.zeros((n, len(_MARKETS)), np.bool_)
    rows = np.arange(n)
    for k in range(_MAX_MARKETS):
        has_market[rows, order[:, k]] |= k < n_markets
    return has_market


def _draw_certs(
    rng: np.random.Generator,
    quality: NDArray[np.float64],
    is_service: NDArray[np.bool_],
    industry: NDArray[np.intp],
    stage: NDArray[np.int8],
    has_market: NDArray[np.bool_],
) -> NDArray[np.uint64]:
    """The industry's quality systems (likelier with stage), ISO 9001 as a noisy proxy of the
    latent quality, and market registrations where the firm already sells."""
    n = len(stage)
    base = np.array([0.22, 0.42, 0.62])[stage]
    cert_p = np.where(is_service[:, None], 0.0, _IND_CERTS[industry] * base[:, None])
    iso_shift = np.array([-0.7, 0.5, 1.5])[stage] - 1.6 * is_service
    cert_p[:, CERT_BIT["ISO9001"]] = _sigmoid(0.9 * quality + iso_shift)
    for market, industries, cert, p in _EXPORTER_MARKET_CERTS:
        in_ind = np.isin(industry, [MAN_INDUSTRIES.index(i) for i in industries]) & ~is_service
        col = CERT_BIT[cert]
        serves = has_market[:, _MARKET_COL[market]]
        cert_p[:, col] = np.maximum(cert_p[:, col], p * (serves & in_ind))
    # Some food and cosmetics makers hold HALAL before they sell to a halal market.
    halal_ready = np.isin(industry, [MAN_INDUSTRIES.index(i) for i in catalog.CONSUMER]) & (
        ~is_service
    )
    col = CERT_BIT["HALAL"]
    cert_p[:, col] = np.maximum(cert_p[:, col], 0.1 * halal_ready)
    return _bits(rng.random((n, _CERTS)) < cert_p)


def _draw_languages(
    rng: np.random.Generator,
    stage: NDArray[np.int8],
    has_market: NDArray[np.bool_],
    interpreters: NDArray[np.bool_],
) -> NDArray[np.uint16]:
    """Korean always; English with stage; Vietnamese, Hindi, Chinese and Japanese rare, likelier
    where the firm sells; interpretation firms speak Vietnamese or Hindi."""
    n = len(stage)
    serves = {m: has_market[:, _MARKET_COL[m]] for m in ("VN", "IN", "CN", "JP")}
    p = np.zeros((n, len(catalog.LANGUAGES)))
    p[:, LANG_BIT["ko"]] = 1.0
    p[:, LANG_BIT["en"]] = np.where(interpreters, 0.95, np.array([0.35, 0.6, 0.9])[stage])
    p[:, LANG_BIT["vi"]] = np.where(interpreters, 0.65, 0.03 + 0.2 * serves["VN"])
    p[:, LANG_BIT["hi"]] = np.where(interpreters, 0.4, 0.01 + 0.06 * serves["IN"])
    p[:, LANG_BIT["zh"]] = 0.03 + 0.2 * serves["CN"]
    p[:, LANG_BIT["ja"]] = 0.02 + 0.2 * serves["JP"]
    return _bits(rng.random((n, len(catalog.LANGUAGES))) < p).astype(np.uint16)


def _product_rows(
    ctx: _Ctx, start: int, firms: _Firms
) -> tuple[list[list[Any]], dict[int, list[int]]]:
    """1-4 products per manufacturer (mean ~2.2) from its industry's catalogue types, with
    descriptions ~45% English, ~40% Korean, ~15% Vietnamese and prices placed in the type's
    band by the firm's latent price tier. Records each firm's HS codes in the fit table."""
    rng = ctx.streams["products"]
    n = len(firms)
    mix = ctx.products_per_manufacturer
    drawn = (
        rng.choice([1, 2, 3, 4], size=n, p=[0.30, 0.33, 0.24, 0.13])
        if mix is None
        else rng.integers(mix[0], mix[1] + 1, size=n)
    )
    n_prod = np.where(firms.is_service, 0, drawn)
    ctx.tables.n_products[start : start + n] = n_prod
    owner = np.repeat(np.arange(n), n_prod)
    n_rows = len(owner)
    p_type = np.zeros(n_rows, np.int64)
    u_type = rng.random(n_rows)
    for ind_i, ind in enumerate(MAN_INDUSTRIES):
        sel = firms.industry[owner] == ind_i
        if sel.any():
            type_ids = np.asarray(_TYPES_OF[ind])
            cdf = _type_cdf(_TYPES_OF[ind])
            p_type[sel] = type_ids[np.minimum(np.searchsorted(cdf, u_type[sel]), len(cdf) - 1)]
    p_lang = rng.choice(3, size=n_rows, p=[0.40, 0.45, 0.15])  # TEXT_LANGUAGES: ko, en, vi
    slot_u = rng.random((n_rows, 10))
    tier = exporter_price_tier(ctx.seed, firms.keys)
    tier_noisy = np.clip(tier[owner] + 0.08 * rng.standard_normal(n_rows), 0.0, 1.0)
    lo_spread = rng.uniform(0.80, 0.95, n_rows)
    hi_spread = rng.uniform(1.05, 1.30, n_rows)
    has_price = rng.random(n_rows) < 0.92
    moq_mult = rng.choice([0.5, 1.0, 1.0, 2.0, 5.0], size=n_rows)
    cert_keep = rng.random(n_rows) < 0.85

    rows: list[list[Any]] = []
    types_of: dict[int, list[int]] = {}
    hs_table = ctx.tables.exporters.hs
    for r in range(n_rows):
        i = int(owner[r])
        ptype = PRODUCT_TYPES[int(p_type[r])]
        lang = catalog.TEXT_LANGUAGES[int(p_lang[r])]
        description, hs = _describe(ptype, lang, slot_u[r])
        lo, hi = ptype.price_usd
        centre = float(np.exp(np.log(lo) + tier_noisy[r] * (np.log(hi) - np.log(lo))))
        p_certs = int(firms.certs[i]) & cert_mask_for(ptype) if cert_keep[r] else 0
        ctx.product_seq += 1
        rows.append(
            [
                f"PRD-{ctx.product_seq:08d}",
                firms.ids[i],
                _cap(ptype.name.say(lang)),
                description,
                hs,
                _money(centre * lo_spread[r]) if has_price[r] else "",
                _money(centre * hi_spread[r]) if has_price[r] else "",
                ptype.price_unit if has_price[r] else "",
                max(1, round(ptype.moq * moq_mult[r])),
                ptype.moq_unit,
                ";".join(_mask_to_list(p_certs, CERTIFICATIONS)),
                lang,
            ]
        )
        made = types_of.setdefault(i, [])
        if len(made) < MAX_PRODUCTS:
            hs_table[start + i, len(made)] = int(hs)
        made.append(int(p_type[r]))
    return rows, types_of


def _describe(ptype: catalog.ProductType, lang: str, u: NDArray[np.float64]) -> tuple[str, str]:
    """A product description from one of the type's templates, and the HS code that goes
    with the chosen slot options. ``u`` holds uniforms: template, slots, code."""
    values: dict[str, str] = {}
    hs = ptype.hs_codes[0]
    for s, slot in enumerate(ptype.slot_names()):
        options = ptype.slots[slot]
        k = min(int(u[s + 1] * len(options)), len(options) - 1)
        values[slot] = options[k].say(lang)
        if slot == ptype.hs_slot:
            hs = ptype.hs_codes[k]
    if ptype.hs_slot is None and len(ptype.hs_codes) > 1:
        hs = _pick(ptype.hs_codes, float(u[-1]))
    return _cap(_pick(ptype.templates(lang), float(u[0])).format(**values)), hs


class _Offers(NamedTuple):
    """A service firm's offerings, and the markets and languages they cover together."""

    services: list[ServiceType]
    markets: list[str]
    languages: list[str]


def _service_rows(ctx: _Ctx, firms: _Firms) -> tuple[list[list[Any]], dict[int, _Offers]]:
    """1-3 offerings per service firm, its primary one first, described in Korean or
    English, with markets, languages (interpreters speak vi/hi) and monthly capacity.
    Returns the rows and, per service firm, its offerings with their markets and languages."""
    rng = ctx.streams["services"]
    svc_index = np.flatnonzero(firms.is_service)
    m = len(svc_index)
    n_offer = rng.choice([1, 2, 3], size=m, p=[0.45, 0.35, 0.20])
    gumbel = np.log(_SVC_P)[None, :] - np.log(-np.log(rng.random((m, len(SERVICE_TYPES)))))
    svc_u = rng.random((m, 3, 7))
    rows: list[list[Any]] = []
    offers_of: dict[int, _Offers] = {}
    for s_i, i in enumerate(svc_index):
        primary = int(firms.service[i])
        others = [int(x) for x in np.argsort(-gumbel[s_i]) if int(x) != primary]
        chosen = [SERVICE_TYPES[c] for c in (primary, *others[: int(n_offer[s_i]) - 1])]
        offers = offers_of[int(i)] = _Offers(chosen, [], [])
        for o, stype in enumerate(chosen):
            u = svc_u[s_i, o]
            lang = "ko" if u[0] < 0.5 else "en"
            market = _pick(("VN", "VN", "IN", "IN", "ASEAN"), float(u[1]))
            sector = catalog.INDUSTRY_TERMS[_pick(catalog.SERVICE_SECTORS[stype], float(u[2]))]
            if stype is ServiceType.INTERPRETATION_LOCALISATION:
                spoken = ["ko", "en", "vi"] if market != "IN" else ["ko", "en", "hi"]
                if u[3] < 0.25:
                    spoken = ["ko", "en", "vi", "hi"]
            else:
                spoken = ["ko", "en"] if u[3] < 0.7 else ["ko"]
            ko_tpls, en_tpls = catalog.SERVICE_TEMPLATES[stype]
            text = _pick(ko_tpls if lang == "ko" else en_tpls, float(u[4])).format(
                sector=sector.say(lang),
                market=catalog.MARKET_TERMS[market].say(lang),
                certs=catalog.MARKET_CERT_TEXT[market],
                langname=catalog.LANGUAGE_NAMES["hi" if market == "IN" else "vi"].say(lang),
            )
            markets = {"VN": ["VN"], "IN": ["IN"], "ASEAN": ["VN", "TH", "ID", "MY"]}[market]
            if u[5] < 0.3 and market != "ASEAN":
                markets = ["VN", "IN"]
            offers.markets.extend(m for m in markets if m not in offers.markets)
            offers.languages.extend(c for c in spoken if c not in offers.languages)
            ctx.service_seq += 1
            rows.append(
                [
                    f"SVC-{ctx.service_seq:08d}",
                    firms.ids[i],
                    stype.value,
                    _cap(text),
                    ";".join(markets),
                    ";".join(spoken),
                    int(2 + u[6] * 38),
                ]
            )
    return rows, offers_of


def _exporter_rows(
    ctx: _Ctx,
    firms: _Firms,
    types_of: dict[int, list[int]],
    offers_of: dict[int, _Offers],
) -> list[list[Any]]:
    """Firm rows: bilingual names from syllables, a Korean or English description of what
    the firm makes (or offers) and where it sells."""
    rng = ctx.streams["firms"]
    n = len(firms)
    syllables = rng.integers(0, len(names.KO_SYLLABLES), (n, 3))
    three = rng.random(n) < 0.08
    suffix_u = rng.random(n)
    form = rng.choice(len(names.LEGAL_FORMS), size=n, p=_probs([f[3] for f in names.LEGAL_FORMS]))
    # Only farm-related firms can be an "agricultural company corporation"; others get (주).
    farm = np.isin(firms.industry, [MAN_INDUSTRIES.index(i) for i in names.FARM_INDUSTRIES])
    form = np.where((form == names.AGRI_CORP_FORM) & (firms.is_service | ~farm), 0, form)
    desc_en = rng.random(n) < 0.45
    homepage = rng.random(n) < 0.45
    rows: list[list[Any]] = []
    for i in range(n):
        service = bool(firms.is_service[i])
        ind = Industry.SERVICES if service else MAN_INDUSTRIES[int(firms.industry[i])]
        if service:
            suffixes = names.SERVICE_SUFFIXES[SERVICE_TYPES[int(firms.service[i])]]
        else:
            suffixes = names.FIRM_SUFFIXES[ind]
        suf_ko, suf_en = _pick(suffixes, float(suffix_u[i]))
        parts = syllables[i, : 3 if three[i] else 2]
        base_ko = "".join(names.KO_SYLLABLES[int(s)][0] for s in parts)
        base_en = "".join(names.KO_SYLLABLES[int(s)][1] for s in parts).capitalize()
        pre_ko, post_ko, post_en, _ = names.LEGAL_FORMS[int(form[i])]
        city_en, city_ko, _ = names.KO_CITIES[int(firms.city[i])]
        served = [m for k, m in enumerate(_MARKETS) if firms.has_market[i, k]]
        staff = int(firms.employees[i])
        languages = _mask_to_list(int(firms.languages[i]), catalog.LANGUAGES)
        if service:
            offers, served, languages = offers_of[i]
            detail = catalog.SERVICE_LABELS[offers[0]].en
            if desc_en[i]:
                what = ", ".join(catalog.SERVICE_LABELS[o].en for o in offers)
                description = (
                    f"{city_en}-based {what} firm helping manufacturers go abroad; {staff} staff."
                )
            else:
                what = ", ".join(catalog.SERVICE_LABELS[o].ko for o in offers)
                description = (
                    f"{city_ko} 소재 {what} 전문기업. 제조기업 해외진출 지원. 직원 {staff}명."
                )
        else:
            types = list(dict.fromkeys(types_of.get(i, [])))
            detail = PRODUCT_TYPES[types[0]].name.en if types else catalog.INDUSTRY_TERMS[ind].en
            if desc_en[i]:
                made = ", ".join(PRODUCT_TYPES[p].name.en for p in types)
                where = ", ".join(catalog.EXPORT_MARKETS[m][0].en for m in served)
                tail = f"exports to {where}" if served else "preparing its first exports"
                description = f"{city_en}-based maker of {made}; {staff} employees; {tail}."
            else:
                made = ", ".join(PRODUCT_TYPES[p].name.ko for p in types)
                where = ", ".join(catalog.EXPORT_MARKETS[m][0].ko for m in served)
                tail = f"수출국: {where}" if served else "수출 준비 중"
                sector = catalog.INDUSTRY_TERMS[ind].ko
                description = (
                    f"{city_ko} 소재 {sector} 제조기업. 주요 제품: {made}. 직원 {staff}명, {tail}."
                )
        rows.append(
            [
                firms.ids[i],
                (FirmKind.SERVICE if service else FirmKind.MANUFACTURER).value,
                f"{pre_ko}{base_ko}{suf_ko}{post_ko}",
                f"{base_en} {suf_en}{post_en}",
                ind.value,
                detail,
                names.PROVINCE,
                city_en,
                staff,
                STAGES[int(firms.stage[i])].value,
                int(firms.founded[i]),
                ";".join(_mask_to_list(int(firms.certs[i]), CERTIFICATIONS)),
                ";".join(served),
                ";".join(languages),
                description,
                f"https://www.{names.slug(base_en + suf_en)}.co.kr" if homepage[i] else "",
            ]
        )
    return rows


def _exporter_chunk(ctx: _Ctx, start: int, stop: int, out: dict[str, _Writer]) -> None:
    """Draw one chunk of firms, write their rows, and keep what pairing and the fit need."""
    firms = _draw_firms(ctx, start, stop)
    t = ctx.tables
    t.exporters.keys[start:stop] = firms.keys
    t.exporters.stage[start:stop] = firms.stage
    t.exporters.certs[start:stop] = firms.certs
    t.exporters.languages[start:stop] = firms.languages
    t.is_manufacturer[start:stop] = ~firms.is_service
    product_rows, types_of = _product_rows(ctx, start, firms)
    service_rows, offers_of = _service_rows(ctx, firms)
    # A service firm speaks what its offerings are delivered in.
    for i, offers in offers_of.items():
        t.exporters.languages[start + i] = sum(1 << LANG_BIT[c] for c in offers.languages)
    out["exporters"].write(_exporter_rows(ctx, firms, types_of, offers_of), ctx.progress)
    out["products"].write(product_rows, ctx.progress)
    out["services"].write(service_rows, ctx.progress)


_ALLOWED_CACHE: dict[str, int] = {}


def cert_mask_for(ptype: catalog.ProductType) -> int:
    """Certificates that make sense on one product: its type's, plus the market registrations
    of its industry."""
    cached = _ALLOWED_CACHE.get(ptype.key)
    if cached is None:
        mask = 0
        for cert in ptype.certifications:
            mask |= 1 << CERT_BIT[cert]
        for _, industries, cert, _ in _EXPORTER_MARKET_CERTS:
            if ptype.industry in industries:
                mask |= 1 << CERT_BIT[cert]
        _ALLOWED_CACHE[ptype.key] = cached = mask
    return cached


# ---------------------------------------------------------------------------------------------
# Importers
# ---------------------------------------------------------------------------------------------


def _city_id(ctx: _Ctx, country: str, city: str) -> int:
    key = (country, city)
    got = ctx.city_index.get(key)
    if got is None:
        got = len(ctx.city_names)
        ctx.city_index[key] = got
        ctx.city_names.append(key)
    return got


def _weighted(forms: Sequence[tuple[str, float]], u: float) -> str:
    cdf = np.cumsum(_probs([w for _, w in forms]))
    return forms[min(int(np.searchsorted(cdf, u)), len(forms) - 1)][0]


def _buyer_name(u: NDArray[np.float64], country: str) -> tuple[str, str]:
    """A company name in the country's conventions, and its distinctive words (for e-mail).
    ``u`` holds four uniforms."""
    if country == "VN":
        core = f"{_pick(names.VN_WORDS_1, float(u[0]))} {_pick(names.VN_WORDS_2, float(u[1]))}"
        ascii_core = names.ascii_fold(core)
        return _weighted(names.VN_FORMS, float(u[2])).format(v=core, a=ascii_core), ascii_core
    if country == "IN":
        second = _pick(names.IN_WORDS_2, float(u[1]))
        core = f"{_pick(names.IN_WORDS_1, float(u[0]))} {second}".strip()
        return _weighted(names.IN_FORMS, float(u[2])).format(a=core), core
    words, forms = names.OTHER_WORDS[country]
    core = _pick(words, float(u[0]))
    second = _pick(words, float(u[3]))
    if u[1] < 0.5 and second != core:
        core = f"{core} {second}"
    return _pick(forms, float(u[2])).format(a=core), core


def _place(region: int, other_country: int, u: float) -> tuple[str, str]:
    """Country and city of an importer in one of the regions (the last is "other")."""
    if region < len(names.BUYER_REGIONS):
        country, _, cities = names.BUYER_REGIONS[region]
    else:
        country, _, cities = names.OTHER_COUNTRIES[other_country]
    cdf = np.cumsum(_probs([w for _, w in cities]))
    return country, cities[min(int(np.searchsorted(cdf, u)), len(cities) - 1)][0]


def _focus(country: str, u: float) -> Industry:
    """The industry an importer in ``country`` mostly buys from (catalog.BUYER_FOCUS)."""
    focus_list, focus_cdf = _FOCUS[country if country in ("VN", "IN") else "OTHER"]
    return focus_list[min(int(np.searchsorted(focus_cdf, u)), len(focus_list) - 1)]


def _interest_types(
    country: str, focus: Industry, n_types: int, extra: bool, u: NDArray[np.float64]
) -> list[int]:
    """1-3 catalogue types of the focus industry, sometimes one more from another industry the
    country buys. ``u`` holds five uniforms."""
    type_ids = _TYPES_OF[focus]
    cdf = _type_cdf(type_ids)
    chosen = [
        type_ids[min(int(np.searchsorted(cdf, u[k])), len(type_ids) - 1)] for k in range(n_types)
    ]
    if extra:
        other = _TYPES_OF[_focus(country, float(u[3]))]
        chosen.append(_pick(other, float(u[4])))
    return list(dict.fromkeys(chosen))[:MAX_PREFIXES]


def _hs_prefixes(
    type_ids: Sequence[int], code_u: NDArray[np.float64], depth_u: NDArray[np.float64]
) -> list[str]:
    """An HS interest per type, at subheading (45%), heading (35%) or chapter (20%) depth."""
    prefixes = []
    for k, p in enumerate(type_ids):
        code = _pick(PRODUCT_TYPES[p].hs_codes, float(code_u[k]))
        d = depth_u[k]
        prefixes.append(code if d < 0.45 else code[:4] if d < 0.80 else code[:2])
    return list(dict.fromkeys(prefixes))


def _buyer_languages(country: str, u: NDArray[np.float64]) -> list[str]:
    """The importer's languages, its first language first (Vietnamese in Vietnam, English in
    India); a few speak Korean."""
    if country == "VN":
        langs = ["vi"] + (["en"] if u[0] < 0.55 else []) + (["ko"] if u[1] < 0.08 else [])
    elif country == "IN":
        langs = ["en"] + (["hi"] if u[0] < 0.6 else []) + (["ko"] if u[1] < 0.03 else [])
    elif country == "PH":
        langs = ["en"] + (["ko"] if u[1] < 0.05 else [])
    else:
        langs = [names.LOCAL_LANGUAGE[country]] + (["en"] if u[0] < 0.8 else [])
        langs += ["ko"] if u[1] < 0.05 else []
    return langs


def _required_certs(country: str, focus: Industry, u: NDArray[np.float64]) -> list[str]:
    """Certificates the importer requires, by country and product (_BUYER_CERT_RULES)."""
    required = [
        cert
        for (countries, industries, cert, p), draw in zip(_BUYER_CERT_RULES, u, strict=True)
        if (countries is None or country in countries) and focus in industries and draw < p
    ]
    return list(dict.fromkeys(required))


_ANNUAL_SCALE = {BuyerType.MANUFACTURER: 2.0, BuyerType.HOSPITAL: 1.5, BuyerType.E_COMMERCE: 0.6}


def _buyer_chunk(ctx: _Ctx, start: int, stop: int, out: _Writer) -> None:
    """Importers: ~40% Vietnam, ~40% India, ~20% other ASEAN and Gulf, owned by the center of
    their city. ``responsiveness`` is a noisy proxy of the latent openness; credit grade
    follows purchases and (weakly) openness."""
    rng = ctx.streams["buyers"]
    t = ctx.tables
    bt = t.buyers
    n = stop - start
    ids = [buyer_id(i) for i in range(start, stop)]
    keys = id_keys(ids)
    bt.keys[start:stop] = keys
    openness = buyer_openness(ctx.seed, keys)

    region = rng.choice(len(_REGION_P), size=n, p=_REGION_P)
    other_country = rng.choice(len(names.OTHER_COUNTRIES), size=n, p=_OTHER_P)
    n_types = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2])
    extra = rng.random(n) < 0.15
    place_u = rng.random((n, 2))
    type_u = rng.random((n, 5))
    depth_u = rng.random((n, MAX_PREFIXES + 1))
    code_u = rng.random((n, MAX_PREFIXES + 1))
    pos_u = rng.random(n)
    pos_blank = rng.random(n) < 0.05
    annual_z = rng.standard_normal(n)
    responsiveness = np.clip(
        _sigmoid(0.9 * openness + 0.6 * rng.standard_normal(n) + 0.3), 0.0, 1.0
    )
    credit_score = (0.5 * annual_z + 0.3 * openness + 0.8 * rng.standard_normal(n)) / 0.99
    credit_grade = np.searchsorted(_CREDIT_CUTS, credit_score)
    credit_blank = rng.random(n) < 0.08
    lang_u = rng.random((n, 2))
    text_u = rng.random((n, 6))
    cert_u = rng.random((n, len(_BUYER_CERT_RULES)))
    strict_u = rng.random(n)
    opted = rng.random(n) < 0.02
    contact_u = rng.random((n, 2))
    name_u = rng.random((n, 4))

    rows: list[list[Any]] = []
    for i in range(n):
        g = start + i
        country, city = _place(int(region[i]), int(other_country[i]), float(place_u[i, 0]))
        center = center_for(country, city)
        focus = _focus(country, float(place_u[i, 1]))
        types = _interest_types(country, focus, int(n_types[i]), bool(extra[i]), type_u[i])
        prefixes = _hs_prefixes(types, code_u[i], depth_u[i])
        btype = int(min(np.searchsorted(_TYPE_P[catalog.channel_group(focus)], text_u[i, 0]), 6))
        pos_cdf = _POSITION_P.get(btype, _POSITION_DEFAULT)
        position = -1 if pos_blank[i] else int(min(np.searchsorted(pos_cdf, pos_u[i]), 2))
        annual = float(np.exp(np.log(1.2e6) + 1.1 * annual_z[i]))
        annual = max(20_000.0, round(annual * _ANNUAL_SCALE.get(BUYER_TYPES[btype], 1.0), -3))
        langs = _buyer_languages(country, lang_u[i])
        required = _required_certs(country, focus, cert_u[i])
        strict = bool(required) and strict_u[i] < (0.45 if country == "IN" else 0.3)
        # Interests: Vietnamese or English in Vietnam, English elsewhere, some Korean.
        tl = text_u[i, 1]
        tlang = (
            ("vi" if tl < 0.55 else "en" if tl < 0.93 else "ko")
            if country == "VN"
            else ("en" if tl < 0.93 else "ko")
        )
        interests = _interests_text(
            tlang, types, focus, BUYER_TYPES[btype], position, city, text_u[i, 2:6]
        )
        name, core = _buyer_name(name_u[i], country)
        email = ""
        if contact_u[i, 0] < 0.6:
            role = _pick(("info", "import", "sales", "purchasing"), float(contact_u[i, 0] / 0.6))
            domain = names.slug(core)[:24]
            email = f"{role}@{domain}.{names.EMAIL_TLD[country]}"
        notes = _pick(names.NOTES, float(contact_u[i, 1] / 0.25)) if contact_u[i, 1] < 0.25 else ""

        bt.buyer_type[g] = btype
        bt.positioning[g] = position
        for k, prefix in enumerate(prefixes):
            bt.prefix_code[g, k] = int(prefix)
            bt.prefix_len[g, k] = len(prefix)
        bt.required[g] = sum(1 << CERT_BIT[c] for c in required)
        bt.strict[g] = strict
        bt.languages[g] = sum(1 << LANG_BIT[c] for c in langs)
        bt.primary_language[g] = LANG_BIT[langs[0]]
        bt.annual_usd[g] = annual
        t.buyer_center[g] = _CENTER_CODES.index(center) if center is not None else -1
        t.buyer_country_in[g] = country == "IN"
        t.buyer_opted_out[g] = opted[i]
        t.buyer_types[g, : len(types)] = types
        ctx.buyer_city_id[g] = _city_id(ctx, country, city)

        rows.append(
            [
                ids[i],
                name,
                country,
                city,
                BUYER_TYPES[btype].value,
                POSITIONINGS[position].value if position >= 0 else "",
                interests,
                ";".join(prefixes),
                ";".join(required),
                "true" if strict else "false",
                f"{responsiveness[i]:.2f}",
                "" if credit_blank[i] else _CREDIT[int(credit_grade[i])],
                center.value if center is not None else "",
                ";".join(langs),
                f"{annual:.0f}",
                "true" if opted[i] else "false",
                email,
                notes,
                "demo",
            ]
        )
    out.write(rows, ctx.progress)


def _interests_text(
    lang: str,
    type_ids: Sequence[int],
    focus: Industry,
    btype: BuyerType,
    position: int,
    city: str,
    u: NDArray[np.float64],
) -> str:
    products = ", ".join(PRODUCT_TYPES[p].name.say(lang) for p in type_ids)
    channel = _pick(catalog.CHANNELS[catalog.channel_group(focus)], float(u[0])).say(lang)
    who = catalog.BUYER_TYPE_TERMS[btype.value].say(lang)
    segment = (
        catalog.POSITIONING_TERMS[POSITIONINGS[position].value].say(lang) if position >= 0 else ""
    )
    if lang == "vi":
        text = _pick(
            (
                f"{who} {products} Hàn Quốc cho {channel} tại {city}",
                f"Nhập khẩu {products} từ Hàn Quốc, bán cho {channel}",
            ),
            float(u[1]),
        )
        return _cap(text + (f"; {segment}" if segment and u[2] < 0.6 else ""))
    if lang == "ko":
        text = f"{city} 소재 {who}, 한국산 {products} 수입 ({channel})"
        return text + (f", {segment}" if segment and u[2] < 0.6 else "")
    text = _pick(
        (
            f"{who} of Korean {products} for {channel} in {city}",
            f"Imports {products} from Korea and Japan; sells to {channel}",
            f"{who} in {city} looking for Korean {products}",
        ),
        float(u[1]),
    )
    return _cap(text + (f"; {segment}" if segment and u[2] < 0.6 else ""))


# ---------------------------------------------------------------------------------------------
# Needs (buyer inquiries)
# ---------------------------------------------------------------------------------------------

_NEED_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (with quantity, without quantity)
    "en": (
        (
            "Looking for Korean {product}, {qty} per month",
            "Seeking a reliable Korean supplier of {product} ({spec}) for {channel} in {city}. "
            "Quantity: {qty}.",
            "Importer in {city} wants to buy {product}{price}; first order {qty}. Please send "
            "catalogue and FOB price.",
        ),
        (
            "Looking for Korean {product} suppliers for {channel}",
            "We need {product} ({spec}) for {channel} in {city}{price}",
        ),
    ),
    "vi": (
        (
            "Cần tìm nhà cung cấp {product} từ Hàn Quốc, {qty} mỗi tháng",
            "Công ty chúng tôi tại {city} muốn nhập khẩu {product} ({spec}) cho {channel}. Số "
            "lượng: {qty}.",
        ),
        ("Tìm đối tác Hàn Quốc cung cấp {product} cho {channel}{price}",),
    ),
    "ko": (
        (
            "한국산 {product} 공급업체를 찾습니다. 월 {qty} 규모",
            "{city} 바이어, {channel}용 {product} 수입 희망 ({qty})",
        ),
        ("{city} 소재 바이어가 {product}({spec}) 공급업체를 찾고 있습니다",),
    ),
}
_CONTAINER_QTY = Term("20피트 컨테이너 1대", "one container (20ft)", "1 container 20 feet")


def _need_quantity(
    ptype: catalog.ProductType, lang: str, u: NDArray[np.float64]
) -> tuple[float | None, str, str]:
    """Quantity, its English unit and its phrase in ``lang``: food often by the container,
    the rest in multiples of the product's MOQ. ``u`` holds two uniforms."""
    if u[0] >= 0.7:
        return None, "", ""
    if ptype.moq_unit == "carton" and u[1] < 0.5:
        return 1.0, "container (20ft)", _CONTAINER_QTY.say(lang)
    quantity = float(ptype.moq * _pick((1, 2, 5, 10), float(u[1])))
    unit = catalog.UNITS[ptype.moq_unit]
    return quantity, unit.en, f"{quantity:.0f} {unit.say(lang)}"


def _need_price(
    ptype: catalog.ProductType, lang: str, u: NDArray[np.float64]
) -> tuple[float | None, str]:
    """Target price and its phrase: within the type's band, or (15%) far below it, as the
    importers who push below cost do. ``u`` holds three uniforms."""
    if u[0] >= 0.45:
        return None, ""
    lo, hi = ptype.price_usd
    price = lo * 0.55 if u[2] < 0.15 else float(np.exp(np.log(lo) + u[1] * np.log(hi / lo)))
    if lang == "vi":
        unit_word = catalog.UNITS[ptype.price_unit].vi
        return price, f", giá mục tiêu khoảng {_money(price)} USD/{unit_word}"
    if lang == "en":
        return price, f" at around USD {_money(price)} per {ptype.price_unit}"
    return price, ""


def _need_status(has_deadline: bool, deadline: int, u: float) -> NeedStatus:
    """Mostly open; inquiries whose deadline passed before the reference date are closed."""
    if has_deadline and deadline < _day(REFERENCE_DATE.date()):
        return (
            NeedStatus.EXPIRED
            if u < 0.5
            else NeedStatus.CLOSED
            if u < 0.75
            else (NeedStatus.MATCHED)
        )
    return NeedStatus.OPEN if u < 0.8 else NeedStatus.MATCHED if u < 0.9 else NeedStatus.CLOSED


def _needs(ctx: _Ctx, out: _Writer) -> None:
    """Inquiries, ~70% from a generated importer (its country, city, interests and
    requirements), the rest free-standing; text in Vietnamese, English or Korean."""
    rng = ctx.streams["needs"]
    t = ctx.tables
    eligible = np.flatnonzero(~t.buyer_opted_out)
    if len(eligible) == 0:
        eligible = np.arange(ctx.n_buyers)
    for start, stop in _chunks(ctx.n_needs):
        n = stop - start
        linked = rng.random(n) < 0.7
        buyer_pick = eligible[rng.integers(0, len(eligible), n)]
        region = rng.choice(len(_REGION_P), size=n, p=_REGION_P)
        other_country = rng.choice(len(names.OTHER_COUNTRIES), size=n, p=_OTHER_P)
        u = rng.random((n, 20))
        received = rng.integers(_day(NEEDS_FROM), _day(LAST_PAIR_DAY) + 1, n)
        deadline = received + rng.integers(30, 181, n)
        rows: list[list[Any]] = []
        for i in range(n):
            if linked[i]:
                b = int(buyer_pick[i])
                country, city = ctx.city_names[int(ctx.buyer_city_id[b])]
                ptype_id = _pick([int(x) for x in t.buyer_types[b] if x >= 0], float(u[i, 0]))
                bid = buyer_id(b)
                wanted = _mask_to_list(int(t.buyers.required[b]), CERTIFICATIONS)
            else:
                country, city = _place(int(region[i]), int(other_country[i]), float(u[i, 1]))
                focus = _focus(country, float(u[i, 0]))
                ptype_id = _pick(_TYPES_OF[focus], float(u[i, 2]))
                bid = ""
                wanted = _required_certs(country, focus, np.zeros(len(_BUYER_CERT_RULES)))[:1]
            ptype = PRODUCT_TYPES[ptype_id]
            ctx.need_buyer[start + i] = int(buyer_pick[i]) if linked[i] else -1
            ctx.need_type[start + i] = ptype_id
            ctx.need_day[start + i] = int(received[i])
            if country == "VN":
                lang = "vi" if u[i, 3] < 0.55 else "en" if u[i, 3] < 0.9 else "ko"
            else:
                lang = "en" if u[i, 3] < 0.88 else "ko"
            quantity, unit_en, qty_text = _need_quantity(ptype, lang, u[i, 4:6])
            price, price_text = _need_price(ptype, lang, u[i, 6:9])
            first_slot = ptype.slot_names()[0]
            with_qty, without_qty = _NEED_TEMPLATES[lang]
            text = _pick(with_qty if qty_text else without_qty, float(u[i, 11])).format(
                product=ptype.name.say(lang),
                qty=qty_text,
                spec=_pick(ptype.slots[first_slot], float(u[i, 9])).say(lang),
                channel=_pick(
                    catalog.CHANNELS[catalog.channel_group(ptype.industry)], float(u[i, 10])
                ).say(lang),
                city=city,
                price=price_text,
            )
            hs_codes = ""
            if u[i, 12] < 0.6:
                code = _pick(ptype.hs_codes, float(u[i, 13]))
                hs_codes = code if u[i, 14] < 0.5 else code[:4]
            required = ";".join(wanted[:2]) if u[i, 15] < 0.4 else ""
            has_deadline = bool(u[i, 16] < 0.55)
            status = _need_status(has_deadline, int(deadline[i]), float(u[i, 17]))
            rows.append(
                [
                    need_id(start + i),
                    bid,
                    country,
                    _cap(text),
                    lang,
                    hs_codes,
                    f"{quantity:.0f}" if quantity is not None else "",
                    unit_en,
                    _money(price) if price is not None else "",
                    required,
                    _date_str(int(deadline[i])) if has_deadline else "",
                    status.value,
                    _date_str(int(received[i])),
                    "demo",
                ]
            )
        out.write(rows, ctx.progress)


# ---------------------------------------------------------------------------------------------
# Pairs and funnel events
# ---------------------------------------------------------------------------------------------


@dataclass
class _PairIndex:
    """Importers by HS chapter and heading of their interests, for product-fit pairing."""

    ch_keys: NDArray[np.int64]
    ch_buyers: NDArray[np.int64]
    hd_keys: NDArray[np.int64]
    hd_buyers: NDArray[np.int64]
    center_pool: NDArray[np.int64]
    all_pool: NDArray[np.int64]


def _pair_index(ctx: _Ctx) -> _PairIndex:
    """Staff prefer importers their centers own: others enter the HS index at 35%."""
    rng = ctx.streams["pair-index"]
    t = ctx.tables
    bt = t.buyers
    n = len(bt.keys)
    eligible = ~t.buyer_opted_out
    at_center = t.buyer_center >= 0
    keep = eligible & (at_center | (rng.random(n) < 0.35))
    code = bt.prefix_code.astype(np.int64)
    ln = bt.prefix_len.astype(np.int64)
    chapter = np.where(ln == 2, code, np.where(ln == 4, code // 100, code // 10000))
    heading = np.where(ln == 6, code // 100, code)
    buyers = np.broadcast_to(np.arange(n)[:, None], code.shape)
    ch_sel = (ln > 0) & keep[:, None]
    hd_sel = (ln >= 4) & keep[:, None]

    def index(
        keys: NDArray[np.int64], sel: NDArray[np.bool_]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        k, b = keys[sel], buyers[sel]
        order = np.lexsort((b, k))
        return k[order], b[order].astype(np.int64)

    ch_keys, ch_buyers = index(chapter, ch_sel)
    hd_keys, hd_buyers = index(heading, hd_sel)
    center_pool = np.flatnonzero(eligible & at_center)
    all_pool = np.flatnonzero(eligible)
    if len(all_pool) == 0:
        all_pool = np.arange(n)
    if len(center_pool) == 0:
        center_pool = all_pool
    return _PairIndex(ch_keys, ch_buyers, hd_keys, hd_buyers, center_pool, all_pool)


def _select_buyers(
    rng: np.random.Generator, ctx: _Ctx, index: _PairIndex, e: NDArray[np.int64]
) -> NDArray[np.int64]:
    """A buyer per exporter in ``e``: ~60% by product fit (an importer interested in the HS
    heading or chapter of one of the firm's products), ~40% broadly, mostly center importers."""
    t = ctx.tables
    p = len(e)
    by_fit = rng.random(p) < 0.6
    use_heading = rng.random(p) < 0.6
    u = rng.random(p)
    center_first = rng.random(p) < 0.85
    u_broad = rng.random(p)
    n_prod = np.clip(t.n_products[e].astype(np.int64), 1, MAX_PRODUCTS)
    slot = np.minimum((rng.random(p) * n_prod).astype(np.int64), n_prod - 1)
    code = t.exporters.hs[e, slot].astype(np.int64)
    b = np.full(p, -1, np.int64)

    def pick(
        keys: NDArray[np.int64],
        pool: NDArray[np.int64],
        query: NDArray[np.int64],
        want: NDArray[np.bool_],
    ) -> None:
        lo = np.searchsorted(keys, query, "left")
        hi = np.searchsorted(keys, query, "right")
        ok = want & (hi > lo) & (b < 0)
        pos = lo + np.minimum((u * (hi - lo)).astype(np.int64), np.maximum(hi - lo - 1, 0))
        b[ok] = pool[pos[ok]] if len(pool) else -1

    valid = code >= 0
    pick(index.hd_keys, index.hd_buyers, code // 100, by_fit & use_heading & valid)
    pick(index.ch_keys, index.ch_buyers, code // 10000, by_fit & valid)
    rest = b < 0
    from_center = rest & center_first
    b[from_center] = index.center_pool[
        (u_broad[from_center] * len(index.center_pool)).astype(np.int64)
    ]
    from_all = rest & ~center_first
    b[from_all] = index.all_pool[(u_broad[from_all] * len(index.all_pool)).astype(np.int64)]
    return b


def _dedupe_pairs(
    e: NDArray[np.int64], b: NDArray[np.int64], n_buyers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    key = e * n_buyers + b
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    return e[keep], b[keep]


def _solve_intercept(
    z: NDArray[np.float64], w: NDArray[np.float64], slope: float, target: float
) -> float:
    """The intercept at which the reach-weighted mean of sigmoid(a + slope z) equals target."""
    lo, hi = -20.0, 20.0
    total = float(w.sum())
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        rate = float((w * _sigmoid(mid + slope * z)).sum()) / total
        if rate < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _calibrate(ctx: _Ctx, index: _PairIndex) -> Calibration:
    """Standardise fit and solve the step intercepts on a sample of pairs drawn like the real
    ones, weighting each step by the probability of reaching it (exact, not simulated)."""
    rng = ctx.streams["calibration"]
    t = ctx.tables
    manufacturers = np.flatnonzero(t.is_manufacturer)
    if len(manufacturers) == 0:
        raise ValueError("the demo needs at least one manufacturer")
    e = manufacturers[rng.integers(0, len(manufacturers), CALIBRATION_PAIRS)].astype(np.int64)
    b = _select_buyers(rng, ctx, index, e)
    fit = pair_fit(ctx.seed, t.exporters, e, t.buyers, b, ctx.weights)
    mean, std = float(fit.mean()), float(fit.std()) or 1.0
    z = (fit - mean) / std
    slope = ctx.weights.slope
    targets = step_targets()
    w = np.ones_like(z)
    intercepts = []
    for target in targets:
        a = _solve_intercept(z, w, slope, target)
        intercepts.append(a)
        w = w * _sigmoid(a + slope * z)
    return Calibration(mean, std, slope, tuple(intercepts), targets)


_NOTES: dict[FunnelStage, tuple[Term, ...]] = {
    FunnelStage.SHORTLISTED: (
        Term("바이어 상담 후보로 선정", "Shortlisted for buyer screening", ""),
        Term("월례 화상상담회 후보", "Candidate for the monthly video consultation day", ""),
    ),
    FunnelStage.MARKET_INFO_SENT: (
        Term("현지 소비시장 보고서 전달", "Local market report sent", ""),
        Term("현지 가격대 조사 결과 공유", "Local price-band survey shared", ""),
    ),
    FunnelStage.MOU: (
        Term("MOU 체결", "MOU signed", ""),
        Term("K-SURE 신용조사 의뢰", "Credit check requested via K-SURE", ""),
    ),
    FunnelStage.IMPORTER_INFO_SENT: (
        Term("바이어 정보 제공", "Importer profile sent to the exporter", ""),
        Term("샘플 발송 및 바이어 정보 제공", "Samples shipped; importer details shared", ""),
    ),
    FunnelStage.CONSULTATION: (
        Term("화상 상담 진행", "Video consultation held", ""),
        Term("센터 쇼룸 대면 상담", "Face-to-face meeting at the center showroom", ""),
    ),
    FunnelStage.CONTRACT: (Term("수출 계약 체결", "Export contract signed", ""),),
    FunnelStage.FULFILLED: (Term("선적 완료", "Shipment completed", ""),),
    FunnelStage.CLAIM: (Term("품질 클레임 접수", "Quality claim received", ""),),
    FunnelStage.DECLINED: (
        Term("바이어 무응답", "No response from the importer", ""),
        Term("단가 협상 결렬", "Price negotiation failed", ""),
        Term("바이어 관심 없음", "Importer not interested", ""),
    ),
}

# Columns of the per-pair time matrix: 0 shortlisted, 1-5 the progression, then these.
_COL_FULFILLED, _COL_CLAIM, _COL_DECLINED = 6, 7, 8
_N_COLS = 9


@dataclass
class _Funnel:
    """Simulated histories of a batch of pairs (row i is pair i)."""

    n_advanced: NDArray[np.int64]  # steps taken after shortlisting, 0-5
    seconds: NDArray[np.int64]  # (p, _N_COLS) epoch seconds of every possible event
    stamps: NDArray[np.str_]  # the same as ISO 8601 strings
    fulfilled: NDArray[np.bool_]
    claim: NDArray[np.bool_]
    declined: NDArray[np.bool_]
    value_usd: NDArray[np.float64]


def _simulate(
    ctx: _Ctx,
    calibration: Calibration,
    e: NDArray[np.int64],
    b: NDArray[np.int64],
    start_day: NDArray[np.int64] | None = None,
) -> _Funnel:
    """Walk each pair down the funnel with fit-dependent step probabilities, and date every
    step: start uniform over the centers' years (or on ``start_day``), each next step 7-60
    days later."""
    rng = ctx.streams["events"]
    t = ctx.tables
    p = len(e)
    fit = pair_fit(ctx.seed, t.exporters, e, t.buyers, b, ctx.weights)
    z = (fit - calibration.fit_mean) / calibration.fit_std
    intercepts = np.asarray(calibration.intercepts)
    step_p = _sigmoid(intercepts[None, :] + calibration.slope * z[:, None])
    n_advanced = np.cumprod(rng.random((p, len(intercepts))) < step_p, axis=1).sum(axis=1)

    last_day = _day(LAST_PAIR_DAY)
    first_day = np.where(t.buyer_country_in[b], _day(FIRST_PAIR_DAY_INDIA), _day(FIRST_PAIR_DAY))
    drawn = first_day + (rng.random(p) * (last_day - first_day + 1)).astype(np.int64)
    start_day = drawn if start_day is None else start_day
    gaps = rng.integers(7, 61, (p, _N_COLS))
    gaps[:, 0] = 0
    gaps[:, _COL_FULFILLED] = rng.integers(30, 121, p)
    gaps[:, _COL_CLAIM] = rng.integers(20, 91, p)
    days = start_day[:, None] + np.cumsum(gaps, axis=1)
    # Declined comes 7-60 days after the last step reached.
    days[:, _COL_DECLINED] = days[np.arange(p), n_advanced] + gaps[:, _COL_DECLINED]
    seconds = days * 86400 + rng.integers(3600, 11 * 3600, (p, _N_COLS))  # office hours, UTC
    annual = np.nan_to_num(t.buyers.annual_usd[b], nan=1.2e6)
    value = np.exp(np.log(35_000.0) + 0.9 * rng.standard_normal(p)) * (annual / 1.2e6) ** 0.3
    return _Funnel(
        n_advanced=n_advanced,
        seconds=seconds,
        stamps=np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC"),
        fulfilled=rng.random(p) < 0.8,
        claim=rng.random(p) < 0.05,
        declined=rng.random(p) < 0.6,
        value_usd=np.round(value, -2),
    )


def _events(ctx: _Ctx, index: _PairIndex, calibration: Calibration, out: _Writer) -> None:
    """About three contacted importers per manufacturer, each pair's history written as
    funnel events up to the reference date, by a staff member of the importer's center."""
    rng = ctx.streams["pairs"]
    t = ctx.tables
    for start, stop in _chunks(ctx.n_exporters):
        man = np.flatnonzero(t.is_manufacturer[start:stop]) + start
        e = np.repeat(man, rng.poisson(PAIRS_PER_MANUFACTURER, len(man))).astype(np.int64)
        if len(e) == 0:
            continue
        e, b = _dedupe_pairs(e, _select_buyers(rng, ctx, index, e), ctx.n_buyers)
        ctx.staff_pairs.append(e * ctx.n_buyers + b)
        funnel = _simulate(ctx, calibration, e, b)
        out.write(_event_rows(ctx, rng, e, b, funnel), ctx.progress)


def _exporters_by_heading(ctx: _Ctx) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(heading, manufacturer) postings of every product, sorted by heading."""
    t = ctx.tables
    hs = t.exporters.hs.astype(np.int64)
    firms = np.broadcast_to(np.arange(len(hs))[:, None], hs.shape)
    sel = (hs >= 0) & t.is_manufacturer[:, None]
    keys, owners = hs[sel] // 100, firms[sel].astype(np.int64)
    order = np.lexsort((owners, keys))
    return keys[order], owners[order]


def _inquiry_pairs(ctx: _Ctx, calibration: Calibration, out: _Writer) -> None:
    """Suppliers answering importers' inquiries (the BuyKorea direction): each inquiry from
    a known importer is forwarded to manufacturers of its product (HS heading of the product
    type) and 1-5 of them answer, a few days after it was received. The pairs then run the
    same fit-driven funnel as the staff's, and their events name the inquiry."""
    rng = ctx.streams["inquiries"]
    keys, owners = _exporters_by_heading(ctx)
    staff = np.concatenate(ctx.staff_pairs) if ctx.staff_pairs else np.zeros(0, np.int64)
    linked = np.flatnonzero(ctx.need_buyer >= 0)
    e_parts: list[NDArray[np.int64]] = []
    n_parts: list[NDArray[np.int64]] = []
    answers = 1 + rng.poisson(INQUIRY_ANSWERS - 1, len(linked))
    code_u = rng.random(len(linked))
    for k, need in enumerate(linked):
        codes = PRODUCT_TYPES[int(ctx.need_type[need])].hs_codes
        heading = int(_pick(codes, float(code_u[k]))[:4])
        lo, hi = np.searchsorted(keys, heading, "left"), np.searchsorted(keys, heading, "right")
        makers = np.unique(owners[lo:hi])
        if len(makers) == 0:
            continue
        chosen = rng.choice(makers, min(int(answers[k]), len(makers)), replace=False)
        e_parts.append(chosen.astype(np.int64))
        n_parts.append(np.full(len(chosen), need, np.int64))
    if not e_parts:
        return
    e, needs = np.concatenate(e_parts), np.concatenate(n_parts)
    b = ctx.need_buyer[needs]
    key = e * ctx.n_buyers + b
    _, first = np.unique(key, return_index=True)  # one inquiry per pair: the first
    fresh = np.zeros(len(e), np.bool_)
    fresh[first] = True
    fresh &= ~np.isin(key, staff)
    e, b, needs = e[fresh], b[fresh], needs[fresh]
    start_day = ctx.need_day[needs] + rng.integers(1, 15, len(e))
    funnel = _simulate(ctx, calibration, e, b, start_day=start_day)
    out.write(_event_rows(ctx, rng, e, b, funnel, needs), ctx.progress)


def _event_rows(
    ctx: _Ctx,
    rng: np.random.Generator,
    e: NDArray[np.int64],
    b: NDArray[np.int64],
    funnel: _Funnel,
    needs: NDArray[np.int64] | None = None,
) -> list[list[Any]]:
    """Each pair's history up to the reference date, recorded by the importer's center."""
    t = ctx.tables
    staff = [names.STAFF[k] for k in _STAFF_KEYS]
    center_codes = [c.value for c in _CENTER_CODES] + [""]
    p = len(e)
    note_on = rng.random((p, _N_COLS)) < 0.5
    note_u = rng.random((p, _N_COLS))
    note_ko = rng.random(p) < 0.5
    staff_u = rng.random(p)
    rows: list[list[Any]] = []
    for i in range(p):
        c = int(t.buyer_center[b[i]])
        who, ccode = _pick(staff[c], float(staff_u[i])), center_codes[c]
        eid, bid = exporter_id(int(e[i])), buyer_id(int(b[i]))
        nid = need_id(int(needs[i])) if needs is not None else ""
        k = int(funnel.n_advanced[i])
        steps = [(0, FunnelStage.SHORTLISTED)] + [(j + 1, _STAGES[j]) for j in range(k)]
        if k == len(_STAGES):
            if funnel.fulfilled[i]:
                steps.append((_COL_FULFILLED, FunnelStage.FULFILLED))
                if funnel.claim[i]:
                    steps.append((_COL_CLAIM, FunnelStage.CLAIM))
        elif funnel.declined[i]:
            steps.append((_COL_DECLINED, FunnelStage.DECLINED))
        for col, stage in steps:
            if funnel.seconds[i, col] >= _REF_SECONDS:
                break  # not yet happened on the reference date
            note = ""
            if note_on[i, col]:
                term = _pick(_NOTES[stage], float(note_u[i, col]))
                note = term.ko if note_ko[i] else term.en
            ctx.event_seq += 1
            rows.append(
                [
                    f"EVT-{ctx.event_seq:09d}",
                    eid,
                    bid,
                    stage.value,
                    str(funnel.stamps[i, col]),
                    f"{funnel.value_usd[i]:.0f}" if stage is FunnelStage.CONTRACT else "",
                    note,
                    who,
                    ccode,
                    nid,
                ]
            )
    return rows


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

_STREAMS = (
    "firms",
    "products",
    "services",
    "buyers",
    "needs",
    "pair-index",
    "calibration",
    "pairs",
    "events",
    "inquiries",
)


def sizes(exporters: int, *, buyers: int | None = None, needs: int | None = None) -> dict[str, int]:
    """Entity counts for N exporters (products, services and events follow from draws):
    by default half as many importers and as many inquiries as exporters; ``buyers`` and
    ``needs`` override the ratios (the batch benchmark asks for other proportions)."""
    return {
        "exporters": exporters,
        "buyers": max(100, exporters // 2) if buyers is None else buyers,
        "needs": max(50, exporters) if needs is None else needs,
    }


def generate_demo(
    out_dir: Path,
    *,
    exporters: int,
    seed: int,
    weights: HiddenWeights | None = None,
    progress: ProgressFn | None = None,
    buyers: int | None = None,
    needs: int | None = None,
    products_per_manufacturer: tuple[int, int] | None = None,
) -> DemoManifest:
    """Write the six demo CSV files and ``manifest.json`` to ``out_dir``; same seed and
    sizes, same bytes.

    ``progress(file_kind, rows)`` is called after each chunk of rows is written. ``buyers``,
    ``needs`` and ``products_per_manufacturer`` (an inclusive uniform range) change the
    proportions (see ``sizes``); left out, they keep the default demo's.
    """
    manifest, _ = generate_with_tables(
        out_dir,
        exporters=exporters,
        seed=seed,
        weights=weights,
        progress=progress,
        buyers=buyers,
        needs=needs,
        products_per_manufacturer=products_per_manufacturer,
    )
    return manifest


def generate_with_tables(
    out_dir: Path,
    *,
    exporters: int,
    seed: int,
    weights: HiddenWeights | None = None,
    progress: ProgressFn | None = None,
    buyers: int | None = None,
    needs: int | None = None,
    products_per_manufacturer: tuple[int, int] | None = None,
) -> tuple[DemoManifest, DemoTables]:
    """``generate_demo``, also returning the compact tables (for tests of the hidden fit)."""
    if exporters < 1:
        raise ValueError("exporters must be at least 1")
    if buyers is not None and buyers < 1:
        raise ValueError("buyers must be at least 1")
    if needs is not None and needs < 1:
        raise ValueError("needs must be at least 1")
    if products_per_manufacturer is not None:
        low, high = products_per_manufacturer
        if not 1 <= low <= high <= 100:
            raise ValueError(
                "products_per_manufacturer must be a range (low, high) with 1 <= low <= high "
                f"<= 100, not {products_per_manufacturer!r}"
            )
    catalog.validate_catalog()
    _check_columns()
    weights = weights or DEFAULT
    counts = sizes(exporters, buyers=buyers, needs=needs)
    n_buyers, n_needs = counts["buyers"], counts["needs"]
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    streams = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, children, strict=True)}
    tables = DemoTables(
        exporters=ExporterTable.empty(exporters),
        is_manufacturer=np.zeros(exporters, np.bool_),
        n_products=np.zeros(exporters, np.int8),
        buyers=BuyerTable.empty(n_buyers),
        buyer_center=np.full(n_buyers, -1, np.int8),
        buyer_country_in=np.zeros(n_buyers, np.bool_),
        buyer_types=np.full((n_buyers, 4), -1, np.int16),
        buyer_opted_out=np.zeros(n_buyers, np.bool_),
    )
    ctx = _Ctx(
        seed=seed,
        weights=weights,
        progress=progress,
        streams=streams,
        tables=tables,
        n_exporters=exporters,
        n_buyers=n_buyers,
        n_needs=n_needs,
        buyer_city_id=np.zeros(n_buyers, np.int16),
        need_buyer=np.full(n_needs, -1, np.int64),
        need_type=np.zeros(n_needs, np.int64),
        need_day=np.zeros(n_needs, np.int64),
        products_per_manufacturer=products_per_manufacturer,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    # A manifest left from an earlier run must not describe files that are being replaced.
    (out_dir / "manifest.json").unlink(missing_ok=True)
    paths = {kind: out_dir / f"{kind}.csv" for kind in FILE_KINDS}
    firm_kinds = [k for k in FILE_KINDS if k != "pairing_events"]
    with ExitStack() as stack:
        writers = {kind: _Writer(paths[kind], kind, stack) for kind in firm_kinds}
        for start, stop in _chunks(exporters):
            _exporter_chunk(ctx, start, stop, writers)
        for start, stop in _chunks(n_buyers):
            _buyer_chunk(ctx, start, stop, writers["buyers"])
        _needs(ctx, writers["needs"])
        index = _pair_index(ctx)
        calibration = _calibrate(ctx, index)
        _events(ctx, index, calibration, writers["events"])
        _inquiry_pairs(ctx, calibration, writers["events"])
        row_counts = {kind: w.rows for kind, w in writers.items()}
    for writer in writers.values():
        writer.publish()
    # Pairings read the published firm and offering files back (see pairing_outcomes).
    with ExitStack() as stack:
        pairing = _Writer(paths["pairing_events"], "pairing_events", stack)
        pairing_outcomes.write_pairing_events(
            out_dir, seed, lambda rows: pairing.write(rows, progress), names.STAFF
        )
    pairing.publish()
    row_counts["pairing_events"] = pairing.rows
    manifest = DemoManifest(
        out_dir=out_dir,
        seed=seed,
        exporters=exporters,
        files=paths,
        counts=row_counts,
        weights=weights,
        calibration=calibration,
    )
    manifest.write()
    return manifest, tables
