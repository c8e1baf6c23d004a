"""Scoring features: one registry, each feature named, typed and documented.

A feature maps a *pair frame* to one value per row in [0, 1] (higher is a better fit, always),
or NaN where it does not apply (no HS code asked for, no certificate required, no history).
A pair frame has one row per (Korean firm, importer or inquiry) pair, whichever direction the
search runs, with these columns (``matcher.features.pairs`` builds it):

- ``similarity``: cosine of the encoded query and the candidate's document;
- firm side ``e_*``: ``e_hs`` (its product codes), ``e_certs``, ``e_languages``, ``e_stage``,
  ``e_industry``, ``e_price_position`` (0 cheapest .. 1 dearest among products of the same HS
  heading), ``e_price_min``/``e_price_max``, ``e_moq``;
- importer side ``b_*``: ``b_hs`` (interests, or the codes an inquiry asks for),
  ``b_required``, ``b_strict``, ``b_country``, ``b_positioning``, ``b_type``,
  ``b_annual_usd``, ``b_responsiveness``, ``b_credit``, ``b_languages``, ``b_center``;
- query ``q_*``: ``q_quantity``, ``q_target_price``, ``q_center``;
- precomputed: ``market_prior`` and history ``h_pair``/``h_buyer``/``h_exporter``/``h_item``
  (``matcher.features.history``, point in time).

Each feature has a **side** for reciprocity (``matcher.ranking.reciprocity``): ``exporter``
(would the firm want this importer), ``buyer`` (would this importer want the firm and answer),
or ``both``. Each also phrases itself as a short reason in English and Korean, positive or
negative according to the sign of its contribution to a score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.domain import hscodes
from matcher.features.regulations import default_table

FloatArray = npt.NDArray[np.float64]
Side = Literal["exporter", "buyer", "both"]


@dataclass(frozen=True)
class Reason:
    en: str
    ko: str


# (row, value, positive): a row is a pair-frame row (a pandas Series or any mapping).
Explain = Callable[[Any, float, bool], Reason]


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    side: Side
    compute: Callable[[pd.DataFrame], FloatArray]
    explain: Explain  # (row, value, positive) -> reason
    requires: tuple[str, ...]  # pair-frame columns it reads


# Features computed from what centers record privately about an importer (K-SURE-style credit
# grade, how often it answers, how its earlier contacts went). They rank importers in staff
# shortlists; the public supplier search never shows them (nor does it need to: they are the
# same for every supplier an importer is shown).
PRIVATE_FEATURES = frozenset({"credit_grade", "responsiveness", "buyer_engagement"})


FEATURES: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    if feature.name in FEATURES:
        raise ValueError(f"feature '{feature.name}' registered twice")
    FEATURES[feature.name] = feature
    return feature


def compute(pairs: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """A (pairs x features) frame, columns in ``names`` order."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown feature(s): {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    view = pairs if isinstance(pairs, Columns) else Columns(pairs)
    data = {name: values(view, name) for name in names}
    return pd.DataFrame(data, index=pairs.index, dtype=float)


def values(columns: Columns, name: str) -> FloatArray:
    """One feature's values, computed once per ``Columns`` (the exclusions and the ranker
    read some of the same features)."""
    memo = columns.features
    if name not in memo:
        memo[name] = FEATURES[name].compute(columns)  # type: ignore[arg-type]
    return memo[name]


class Columns:
    """A pair frame read column by column, each column converted to numpy once: features
    read the same columns many times, and a pandas column access costs more than the
    arithmetic on 200 rows. Built from a DataFrame, or directly from arrays (the live
    ranking path never builds the DataFrame at all)."""

    def __init__(self, frame: pd.DataFrame | None = None, **arrays: Any) -> None:
        self.frame = frame
        self._raw: dict[str, Any] = dict(arrays)
        if frame is not None:
            self.columns = [str(c) for c in frame.columns]
            self.index = frame.index
            self._n = len(frame)
        else:
            self.columns = list(self._raw)
            self._n = len(next(iter(self._raw.values()))) if self._raw else 0
            self.index = pd.RangeIndex(self._n)
        self._objects: dict[str, np.ndarray] = {}
        self._numbers: dict[str, FloatArray] = {}
        self.features: dict[str, FloatArray] = {}  # ``values`` memo

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> Columns:
        return cls(None, **arrays)

    def __len__(self) -> int:
        return self._n

    def _source(self, name: str) -> np.ndarray:
        if name in self._raw:
            return np.asarray(self._raw[name])
        assert self.frame is not None
        return self.frame[name].to_numpy()

    def objects(self, name: str) -> np.ndarray:
        if name not in self._objects:
            values = self._source(name)
            if values.dtype != object:
                values = values.astype(object)
            self._objects[name] = values
        return self._objects[name]

    def numbers(self, name: str) -> FloatArray:
        if name not in self._numbers:
            values = self._source(name)
            if values.dtype.kind in "fiub":
                self._numbers[name] = values.astype(float)
            else:
                self._numbers[name] = np.asarray(
                    pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float
                )
        return self._numbers[name]

    def set(self, name: str, values: Any) -> None:
        """Replace or add a column (the supplier search puts product-level values in)."""
        self._raw[name] = values
        self._objects.pop(name, None)
        self._numbers.pop(name, None)
        self.features.clear()
        if name not in self.columns:
            self.columns.append(name)

    def to_frame(self) -> pd.DataFrame:
        if self.frame is not None and not self._raw:
            return self.frame
        data = {c: self._source(c) for c in self.columns}
        return pd.DataFrame(data, index=self.index)


def explain(name: str, row: Any, value: float, contribution: float) -> Reason | None:
    """The reason for one feature value, phrased for the sign of its contribution, or None
    where the feature does not apply."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return FEATURES[name].explain(row, float(value), contribution >= 0)


def describe() -> list[dict[str, Any]]:
    """The registry as data (for docs, the API and model cards)."""
    return [
        {"name": f.name, "side": f.side, "description": f.description} for f in FEATURES.values()
    ]


class RowView(Mapping[str, Any]):
    """One row of a ``Columns`` view, read lazily (explanations read a handful of fields)."""

    def __init__(self, columns: Columns, position: int) -> None:
        self._columns = columns
        self._position = position

    def __getitem__(self, name: str) -> Any:
        if name not in self._columns.columns:
            raise KeyError(name)
        return self._columns.objects(name)[self._position]

    def __iter__(self) -> Iterator[str]:
        return iter(str(c) for c in self._columns.columns)

    def __len__(self) -> int:
        return len(self._columns.columns)


def _col(pairs: pd.DataFrame, name: str) -> list[Any]:
    if name not in pairs.columns:
        return [None] * len(pairs)
    if isinstance(pairs, Columns):
        return list(pairs.objects(name))
    return list(pairs[name].to_numpy())


def _num(pairs: pd.DataFrame, name: str) -> FloatArray:
    if name not in pairs.columns:
        return np.full(len(pairs), np.nan)
    if isinstance(pairs, Columns):
        return pairs.numbers(name).copy()
    out: FloatArray = pd.to_numeric(pairs[name], errors="coerce").to_numpy(dtype=float)
    return out


def _items(value: Any) -> list[str]:
    if type(value) is list:
        return value  # pair frames hold list[str] (``pairs.LIST_COLUMNS``): no copy, no check
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [str(v) for v in value]


def _present(value: Any) -> bool:
    return (
        value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""
    )


def _labels(value: str | None, table: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    return table.get(str(value), (str(value), str(value)))


# --- semantic similarity -------------------------------------------------------------------


def _similarity(p: pd.DataFrame) -> FloatArray:
    return np.clip(_num(p, "similarity"), 0.0, 1.0)


def _explain_similarity(_: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en=f"Products are close to what the buyer is looking for (similarity {v:.2f})",
            ko=f"바이어 관심 품목과 제품 설명이 유사함 (유사도 {v:.2f})",
        )
    return Reason(
        en=f"Products are only loosely related to the buyer's interests (similarity {v:.2f})",
        ko=f"바이어 관심 품목과의 유사도가 낮음 (유사도 {v:.2f})",
    )


register(
    Feature(
        "semantic_similarity",
        "Cosine similarity of the encoded query and the candidate's document (multilingual).",
        "both",
        _similarity,
        _explain_similarity,
        ("similarity",),
    )
)


def _relative(p: pd.DataFrame) -> FloatArray:
    return np.clip(_num(p, "similarity_pct"), 0.0, 1.0)


def _explain_relative(_: Any, v: float, positive: bool) -> Reason:
    share = round((1.0 - v) * 100)
    if positive:
        return Reason(
            en=f"Among the closest matches to the request (top {max(share, 1)}%)",
            ko=f"요청과 가장 가까운 후보군 (상위 {max(share, 1)}%)",
        )
    return Reason(
        en=f"Further from the request than most candidates (bottom {100 - share}%)",
        ko=f"다른 후보보다 요청과의 관련성이 낮음 (하위 {100 - share}%)",
    )


register(
    Feature(
        "relative_similarity",
        "Percentile of the similarity among the same query's candidates (0 lowest, 1 "
        "highest): comparable across queries where raw cosines are not.",
        "both",
        _relative,
        _explain_relative,
        ("similarity_pct",),
    )
)


# --- HS agreement at 2/4/6 digits ----------------------------------------------------------

_LEVEL_NAMES = {3: ("subheading", "6단위"), 2: ("heading", "4단위"), 1: ("chapter", "2단위")}


def _best_pair(offered: list[str], wanted: list[str]) -> tuple[int, str | None, str | None]:
    best, best_o, best_w = 0, None, None
    for code in offered:
        level, matched = hscodes.best_agreement(wanted, code)
        if level > best:
            best, best_o, best_w = level, code, matched
    return best, best_o, best_w


def _hs_agreement(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (offered, wanted) in enumerate(zip(_col(p, "e_hs"), _col(p, "b_hs"), strict=True)):
        o, w = _items(offered), _items(wanted)
        if o and w:
            out[i] = hscodes.deepest_agreement(tuple(o), tuple(w)) / 3.0
    return out


def _explain_hs(row: Any, v: float, positive: bool) -> Reason:
    offered, wanted = _items(row.get("e_hs")), _items(row.get("b_hs"))
    level, code, matched = _best_pair(offered, wanted)
    asked = ", ".join(wanted[:3])
    if level == 0:
        have = ", ".join(offered[:3])
        return Reason(
            en=f"HS {have} is outside the buyer's HS interests ({asked})",
            ko=f"바이어 관심 품목(HS {asked})과 다른 품목(HS {have})",
        )
    depth = {3: 6, 2: 4, 1: 2}[level]
    shared = str(code)[:depth]
    name_en, name_ko = _LEVEL_NAMES[level]
    if positive:
        return Reason(
            en=f"HS {shared} matches the buyer's interest (HS {matched}) at {name_en} level",
            ko=f"바이어 관심 품목(HS {matched})과 HS {shared} {name_ko} 일치",
        )
    return Reason(
        en=f"HS {shared} matches the buyer's interest (HS {matched}) only at {name_en} level",
        ko=f"바이어 관심 품목(HS {matched})과 {name_ko}까지만 일치 (HS {shared})",
    )


register(
    Feature(
        "hs_agreement",
        "Deepest HS level shared by any of the firm's products and any of the importer's "
        "codes: 1 = same 6-digit subheading, 2/3 = heading, 1/3 = chapter, 0 = none.",
        "both",
        _hs_agreement,
        _explain_hs,
        ("e_hs", "b_hs"),
    )
)


# --- certification coverage ----------------------------------------------------------------


def _cert_coverage(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (held, needed) in enumerate(zip(_col(p, "e_certs"), _col(p, "b_required"), strict=True)):
        need = set(_items(needed))
        if need:
            out[i] = len(need & set(_items(held))) / len(need)
    return out


def _explain_certs(row: Any, v: float, positive: bool) -> Reason:
    needed = _items(row.get("b_required"))
    held = set(_items(row.get("e_certs")))
    have = [x for x in needed if x in held]
    lack = [x for x in needed if x not in held]
    if not lack:
        joined = ", ".join(have)
        return Reason(
            en=f"Holds every certificate the buyer requires ({joined})",
            ko=f"바이어 요구 인증을 모두 보유 ({joined})",
        )
    missing = ", ".join(lack)
    if positive:
        return Reason(
            en=f"Holds {len(have)} of the buyer's {len(needed)} required certificates",
            ko=f"바이어 요구 인증 {len(needed)}개 중 {len(have)}개 보유",
        )
    return Reason(
        en=f"Lacks the buyer's required certificate(s): {missing}",
        ko=f"바이어 요구 인증 미보유: {missing}",
    )


register(
    Feature(
        "certification_coverage",
        "Share of the importer's required certificates the firm or product holds; NaN when "
        "none are required.",
        "buyer",
        _cert_coverage,
        _explain_certs,
        ("e_certs", "b_required"),
    )
)


# --- regulatory readiness ------------------------------------------------------------------


def _regulations_for(row_hs: list[str], country: Any) -> list[Any]:
    if not _present(country) or not row_hs:
        return []
    return list(_regulations_cached(tuple(row_hs), str(country)))


@lru_cache(maxsize=65_536)
def _regulations_cached(row_hs: tuple[str, ...], country: str) -> tuple[Any, ...]:
    table = default_table()
    found = {}
    for code in row_hs:
        rule = table.required(country, code)
        if rule is not None:
            found[rule.certification] = rule
    return tuple(found.values())


def _regulatory(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (codes, country, held) in enumerate(
        zip(_col(p, "e_hs"), _col(p, "b_country"), _col(p, "e_certs"), strict=True)
    ):
        rules = _regulations_for(_items(codes), country)
        if rules:
            have = set(_items(held))
            out[i] = sum(r.certification in have for r in rules) / len(rules)
    return out


def _explain_regulatory(row: Any, v: float, positive: bool) -> Reason:
    rules = _regulations_for(_items(row.get("e_hs")), row.get("b_country"))
    have = set(_items(row.get("e_certs")))
    country = row.get("b_country")
    ready = [r for r in rules if r.certification in have]
    missing = [r for r in rules if r.certification not in have]
    if positive and not missing:
        names = ", ".join(r.certification for r in ready)
        return Reason(
            en=f"Already registered for import into {country} ({names})",
            ko=f"{country} 수입 규제 요건 충족 ({names})",
        )
    rule = missing[0] if missing else rules[0]
    return Reason(
        en=f"Needs {rule.requirement_en} ({rule.certification}) before shipping to {country}",
        ko=f"{country} 수출 전 필요: {rule.requirement_ko}",
    )


register(
    Feature(
        "regulatory_readiness",
        "Share of the destination's import registrations for the firm's HS codes (India "
        "BIS/CDSCO/FSSAI, Vietnam cosmetics notification and food registration, halal where "
        "required) that the firm already holds; from data/regulations.csv. NaN when none apply.",
        "buyer",
        _regulatory,
        _explain_regulatory,
        ("e_hs", "b_country", "e_certs"),
    )
)


# --- price positioning ---------------------------------------------------------------------

# Where in its category's price band a buyer of each positioning buys (0 cheapest, 1 dearest).
PRICE_TARGETS = {"premium": 0.85, "mid": 0.5, "value": 0.15}
_POSITIONING = {
    "premium": ("premium", "프리미엄"),
    "mid": ("mid-market", "중가"),
    "value": ("value", "저가"),
}


def _price_fit(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    position = _num(p, "e_price_position")
    target_price = _num(p, "q_target_price")
    low, high = _num(p, "e_price_min"), _num(p, "e_price_max")
    for i, positioning in enumerate(_col(p, "b_positioning")):
        if not math.isnan(target_price[i]) and not math.isnan(low[i]):
            top = high[i] if not math.isnan(high[i]) else low[i]
            # Inside the range is a fit; outside, the fit falls with the relative gap.
            gap = max(low[i] - target_price[i], target_price[i] - top, 0.0)
            out[i] = max(0.0, 1.0 - gap / max(target_price[i], 1e-9))
        elif positioning in PRICE_TARGETS and not math.isnan(position[i]):
            out[i] = 1.0 - abs(position[i] - PRICE_TARGETS[positioning])
    return out


def _explain_price(row: Any, v: float, positive: bool) -> Reason:
    target = row.get("q_target_price")
    if _present(target) and not (isinstance(target, float) and math.isnan(target)):
        if positive:
            return Reason(
                en=f"Price range fits the target price (USD {float(target):,.2f})",
                ko=f"희망 단가(USD {float(target):,.2f})에 맞는 가격대",
            )
        return Reason(
            en=f"Price range is far from the target price (USD {float(target):,.2f})",
            ko=f"희망 단가(USD {float(target):,.2f})와 가격 차이가 큼",
        )
    en, ko = _labels(row.get("b_positioning"), _POSITIONING)
    if positive:
        return Reason(
            en=f"Price level suits a {en} buyer",
            ko=f"{ko} 바이어에 맞는 가격대",
        )
    return Reason(
        en=f"Price level does not suit a {en} buyer",
        ko=f"{ko} 바이어와 가격대가 맞지 않음",
    )


register(
    Feature(
        "price_fit",
        "With a target price: 1 inside the firm's price range, falling with the relative gap. "
        "Otherwise the importer's premium|mid|value positioning against where the firm's "
        "prices sit among products of the same HS heading: 1 - |position - target|.",
        "both",
        _price_fit,
        _explain_price,
        ("e_price_position", "b_positioning", "q_target_price", "e_price_min", "e_price_max"),
    )
)


# --- MOQ against quantity and capacity -----------------------------------------------------


def _moq_fit(p: pd.DataFrame) -> FloatArray:
    moq, quantity = _num(p, "e_moq"), _num(p, "q_quantity")
    annual, price = _num(p, "b_annual_usd"), _num(p, "e_price_min")
    out = np.full(len(p), np.nan)
    by_quantity = ~np.isnan(quantity) & ~np.isnan(moq) & (moq > 0)
    out[by_quantity] = np.minimum(1.0, quantity[by_quantity] / moq[by_quantity])
    # Without a quantity: can a month of the importer's purchasing cover one minimum order?
    order_value = moq * price
    by_capacity = ~by_quantity & ~np.isnan(annual) & ~np.isnan(order_value) & (order_value > 0)
    out[by_capacity] = np.minimum(1.0, annual[by_capacity] / 12.0 / order_value[by_capacity])
    return out


def _explain_moq(row: Any, v: float, positive: bool) -> Reason:
    moq = row.get("e_moq")
    moq_text = f"{float(moq):,.0f}" if _present(moq) else "?"
    if positive:
        return Reason(
            en=f"The minimum order ({moq_text}) fits the buyer's volume",
            ko=f"최소 주문 수량({moq_text})이 바이어 구매 규모에 맞음",
        )
    return Reason(
        en=f"The minimum order ({moq_text}) is large for this buyer's volume",
        ko=f"최소 주문 수량({moq_text})이 바이어 구매 규모에 비해 큼",
    )


register(
    Feature(
        "moq_fit",
        "Quantity asked / the firm's MOQ (capped at 1); without a quantity, a month of the "
        "importer's annual purchases / the value of one minimum order. NaN when unknown.",
        "both",
        _moq_fit,
        _explain_moq,
        ("e_moq", "q_quantity", "b_annual_usd", "e_price_min"),
    )
)


# --- buyer type and channel against product kind -------------------------------------------

# How well each importer type reaches the buyers of each kind of product (0-1). Consumer goods
# move through retail, e-commerce and distributors; capital goods go to manufacturers
# (end users) or specialist distributors; medical products to hospitals. Reviewed by the
# centers' staff; kept here, next to the feature, so the table and its reason stay together.
_CONSUMER = {"food", "cosmetics", "consumer_goods", "jewellery", "textiles"}
_INDUSTRIAL = {
    "industrial_machinery",
    "agri_machinery",
    "construction_machinery",
    "auto_parts",
    "vehicles",
    "chemicals",
    "agrochemicals",
    "metals",
    "plastics",
    "paper",
    "electronics",
    "semiconductor_equipment",
    "feed",
}
_MEDICAL = {"medical_devices", "pharmaceuticals"}
CHANNEL_FIT: dict[str, dict[str, float]] = {
    "consumer": {
        "distributor": 0.9,
        "wholesaler": 0.7,
        "retailer": 0.9,
        "e-commerce": 0.9,
        "manufacturer": 0.2,
        "hospital": 0.1,
        "other": 0.4,
    },
    "industrial": {
        "distributor": 0.8,
        "wholesaler": 0.6,
        "retailer": 0.2,
        "e-commerce": 0.3,
        "manufacturer": 0.9,
        "hospital": 0.1,
        "other": 0.4,
    },
    "medical": {
        "distributor": 0.9,
        "wholesaler": 0.5,
        "retailer": 0.4,
        "e-commerce": 0.3,
        "manufacturer": 0.4,
        "hospital": 0.9,
        "other": 0.4,
    },
}
_TYPES = {
    "distributor": ("distributor", "유통업체(디스트리뷰터)"),
    "wholesaler": ("wholesaler", "도매업체"),
    "retailer": ("retailer", "소매업체"),
    "e-commerce": ("e-commerce seller", "온라인 판매업체"),
    "manufacturer": ("manufacturer (end user)", "제조업체(실수요자)"),
    "hospital": ("hospital", "병원"),
    "other": ("importer", "수입업체"),
}


def product_kind(industry: Any) -> str | None:
    text = str(industry)
    if text in _CONSUMER:
        return "consumer"
    if text in _INDUSTRIAL:
        return "industrial"
    if text in _MEDICAL:
        return "medical"
    return None


def _channel_fit(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (industry, btype) in enumerate(
        zip(_col(p, "e_industry"), _col(p, "b_type"), strict=True)
    ):
        kind = product_kind(industry)
        if kind is not None and _present(btype):
            out[i] = CHANNEL_FIT[kind].get(str(btype), 0.4)
    return out


def _explain_channel(row: Any, v: float, positive: bool) -> Reason:
    en, ko = _labels(row.get("b_type"), _TYPES)
    kind = product_kind(row.get("e_industry")) or "other"
    kind_en = {"consumer": "consumer", "industrial": "industrial", "medical": "medical"}.get(
        kind, ""
    )
    kind_ko = {"consumer": "소비재", "industrial": "산업재", "medical": "의료"}.get(kind, "")
    if positive:
        return Reason(
            en=f"A {en} is a good channel for {kind_en} products",
            ko=f"{ko}는 {kind_ko} 제품에 적합한 유통 채널",
        )
    return Reason(
        en=f"A {en} is a weak channel for {kind_en} products",
        ko=f"{ko}는 {kind_ko} 제품에 적합하지 않은 유통 채널",
    )


register(
    Feature(
        "channel_fit",
        "How well the importer's type (distributor, retailer, e-commerce, manufacturer, "
        "hospital...) reaches buyers of the firm's kind of product (consumer, industrial, "
        "medical); the table CHANNEL_FIT.",
        "exporter",
        _channel_fit,
        _explain_channel,
        ("e_industry", "b_type"),
    )
)


# --- export stage against buyer type -------------------------------------------------------

# Beginners need partners who import, clear customs and hold stock for them (distributors,
# wholesalers); mature firms can serve end users (manufacturers, hospitals, retail chains)
# directly. From the documents: "the firm's export stage decides which partner fits".
STAGE_FIT: dict[str, dict[str, float]] = {
    "beginner": {
        "distributor": 0.9,
        "wholesaler": 0.7,
        "retailer": 0.3,
        "e-commerce": 0.5,
        "manufacturer": 0.2,
        "hospital": 0.2,
        "other": 0.4,
    },
    "growth": {
        "distributor": 0.7,
        "wholesaler": 0.6,
        "retailer": 0.6,
        "e-commerce": 0.7,
        "manufacturer": 0.5,
        "hospital": 0.5,
        "other": 0.4,
    },
    "mature": {
        "distributor": 0.5,
        "wholesaler": 0.4,
        "retailer": 0.7,
        "e-commerce": 0.5,
        "manufacturer": 0.9,
        "hospital": 0.8,
        "other": 0.4,
    },
}
MID_SIZE_USD = (2e5, 3e6)
_STAGES = {
    "beginner": ("beginner", "수출 초보"),
    "growth": ("growing", "수출 성장"),
    "mature": ("mature", "수출 성숙"),
}


def _stage_fit(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    annual = _num(p, "b_annual_usd")
    for i, (stage, btype) in enumerate(zip(_col(p, "e_stage"), _col(p, "b_type"), strict=True)):
        if str(stage) in STAGE_FIT and _present(btype):
            value = STAGE_FIT[str(stage)].get(str(btype), 0.4)
            mid = MID_SIZE_USD[0] <= annual[i] <= MID_SIZE_USD[1]
            if stage == "beginner" and btype in ("distributor", "wholesaler") and mid:
                value = min(1.0, value + 0.1)  # mid-size importers give beginners attention
            out[i] = value
    return out


def _explain_stage(row: Any, v: float, positive: bool) -> Reason:
    s_en, s_ko = _labels(row.get("e_stage"), _STAGES)
    t_en, t_ko = _labels(row.get("b_type"), _TYPES)
    if positive:
        return Reason(
            en=f"A {t_en} suits a {s_en} exporter",
            ko=f"{s_ko} 기업에 적합한 {t_ko}",
        )
    return Reason(
        en=f"A {t_en} is a hard first partner for a {s_en} exporter",
        ko=f"{s_ko} 기업에게는 어려운 상대인 {t_ko}",
    )


register(
    Feature(
        "stage_fit",
        "The firm's export stage against the importer's type (STAGE_FIT): beginners do better "
        "with distributors and wholesalers, mid-sized ones especially; mature firms with end "
        "users.",
        "exporter",
        _stage_fit,
        _explain_stage,
        ("e_stage", "b_type", "b_annual_usd"),
    )
)


# --- responsiveness and credit -------------------------------------------------------------


def _responsiveness(p: pd.DataFrame) -> FloatArray:
    return np.clip(_num(p, "b_responsiveness"), 0.0, 1.0)


def _explain_responsiveness(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en=f"The buyer answers reliably (responsiveness {v:.2f})",
            ko=f"바이어 응답률이 높음 (응답성 {v:.2f})",
        )
    return Reason(
        en=f"The buyer often does not answer (responsiveness {v:.2f})",
        ko=f"바이어 응답률이 낮음 (응답성 {v:.2f})",
    )


register(
    Feature(
        "responsiveness",
        "The importer's recorded responsiveness (share of emails and calls answered), 0-1.",
        "buyer",
        _responsiveness,
        _explain_responsiveness,
        ("b_responsiveness",),
    )
)

CREDIT_SCORES = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.0}


def _credit(p: pd.DataFrame) -> FloatArray:
    return np.asarray([CREDIT_SCORES.get(str(g), np.nan) for g in _col(p, "b_credit")], float)


def _explain_credit(row: Any, v: float, positive: bool) -> Reason:
    grade = row.get("b_credit")
    if positive:
        return Reason(en=f"Good credit grade ({grade})", ko=f"신용등급 양호 ({grade})")
    return Reason(en=f"Weak credit grade ({grade})", ko=f"신용등급 낮음 ({grade})")


register(
    Feature(
        "credit_grade",
        "The importer's K-SURE-style credit grade, A = 1 .. E = 0; NaN when unknown.",
        "exporter",
        _credit,
        _explain_credit,
        ("b_credit",),
    )
)


# --- market prior --------------------------------------------------------------------------


def _market(p: pd.DataFrame) -> FloatArray:
    return np.clip(_num(p, "market_prior"), 0.0, 1.0)


def _explain_market(row: Any, v: float, positive: bool) -> Reason:
    country = row.get("b_country")
    if positive:
        return Reason(
            en=f"{country} is a promising market for these products",
            ko=f"{country}은(는) 해당 품목의 유망 시장",
        )
    return Reason(
        en=f"{country} is a less promising market for these products",
        ko=f"{country}은(는) 해당 품목의 유망도가 낮은 시장",
    )


register(
    Feature(
        "market_prior",
        "How promising the importer's country is for the firm's HS codes: KOTRA's "
        "promising-market score (percentile across countries, for the firm's export stage) "
        "where published, else the recorded success rate of the HS chapter x country "
        "relative to the average (0.5 = average).",
        "exporter",
        _market,
        _explain_market,
        ("market_prior",),
    )
)


# --- history -------------------------------------------------------------------------------


def _history(column: str) -> Callable[[pd.DataFrame], FloatArray]:
    def compute_history(p: pd.DataFrame) -> FloatArray:
        return np.clip(_num(p, column), 0.0, 1.0)

    return compute_history


def _explain_engagement(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en="The buyer has moved past first contact with other Korean firms",
            ko="다른 한국 기업과의 상담 진행 이력이 좋은 바이어",
        )
    return Reason(
        en="The buyer's past contacts with Korean firms rarely progressed",
        ko="다른 한국 기업과의 상담이 잘 진행되지 않은 바이어",
    )


def _explain_track(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en="The firm has a good record of following through with importers",
            ko="바이어 상담을 끝까지 진행해 온 기업",
        )
    return Reason(
        en="The firm's past importer contacts rarely progressed",
        ko="과거 바이어 상담 진행 실적이 낮은 기업",
    )


def _explain_item(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en="Firms with similar products progressed with this buyer",
            ko="유사 품목 기업이 이 바이어와 상담을 진행한 이력",
        )
    return Reason(
        en="Firms with similar products did not progress with this buyer",
        ko="유사 품목 기업과 이 바이어의 상담이 진행되지 않음",
    )


def _explain_pair(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en="This firm and buyer have already progressed together",
            ko="이 기업과 바이어의 기존 상담 진행 이력",
        )
    return Reason(
        en="An earlier contact between this firm and buyer stalled",
        ko="이 기업과 바이어의 이전 상담이 중단됨",
    )


register(
    Feature(
        "buyer_engagement",
        "How far the importer's earlier pairs with any firm progressed (share of funnel "
        "steps, smoothed towards the average; point in time).",
        "buyer",
        _history("h_buyer"),
        _explain_engagement,
        ("h_buyer",),
    )
)
register(
    Feature(
        "exporter_track_record",
        "How far the firm's earlier pairs with any importer progressed (smoothed; point in time).",
        "buyer",
        _history("h_exporter"),
        _explain_track,
        ("h_exporter",),
    )
)
register(
    Feature(
        "item_to_item",
        "How far the importer's earlier pairs with firms sharing an HS heading with this firm "
        "progressed (item-to-item: similar products that succeeded with this buyer); NaN "
        "without such peers.",
        "buyer",
        _history("h_item"),
        _explain_item,
        ("h_item",),
    )
)
register(
    Feature(
        "pair_history",
        "How far this exact pair progressed in earlier engagements; NaN if never engaged.",
        "both",
        _history("h_pair"),
        _explain_pair,
        ("h_pair",),
    )
)


# --- language and center coverage ----------------------------------------------------------


def _language(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (mine, theirs) in enumerate(
        zip(_col(p, "e_languages"), _col(p, "b_languages"), strict=True)
    ):
        a, b = _items(mine), _items(theirs)
        if a and b:
            # Sharing any language helps; speaking the buyer's first language helps more.
            out[i] = 0.5 * bool(set(a) & set(b)) + 0.5 * (b[0] in a)
    return out


def _explain_language(row: Any, v: float, positive: bool) -> Reason:
    theirs = _items(row.get("b_languages"))
    first = theirs[0] if theirs else "?"
    if positive:
        return Reason(
            en=f"The firm can talk with the buyer directly (buyer's language: {first})",
            ko=f"바이어와 직접 소통 가능 (바이어 언어: {first})",
        )
    return Reason(
        en=f"No common working language; plan for interpretation ({first})",
        ko=f"공통 언어 없음, 통역 필요 ({first})",
    )


register(
    Feature(
        "language_fit",
        "0.5 if the firm and the importer share a language, plus 0.5 if the firm speaks the "
        "importer's first language.",
        "both",
        _language,
        _explain_language,
        ("e_languages", "b_languages"),
    )
)


def _center(p: pd.DataFrame) -> FloatArray:
    out = np.full(len(p), np.nan)
    for i, (center, wanted) in enumerate(
        zip(_col(p, "b_center"), _col(p, "q_center"), strict=True)
    ):
        if _present(wanted):
            out[i] = 1.0 if center == wanted else 0.0
        else:
            out[i] = 1.0 if _present(center) else 0.0
    return out


def _explain_center(row: Any, v: float, positive: bool) -> Reason:
    center = row.get("b_center")
    if positive:
        return Reason(
            en=f"Covered by the {center} export center, which can follow up in person",
            ko=f"{center} 수출지원센터 관할 바이어로 현지 후속 지원 가능",
        )
    return Reason(
        en="Outside the export centers' coverage; follow-up is remote only",
        ko="수출지원센터 관할 밖 바이어로 원격 지원만 가능",
    )


register(
    Feature(
        "center_coverage",
        "1 if the importer belongs to the center the shortlist is for (or, without one, to "
        "any center), so staff can follow up locally; else 0.",
        "exporter",
        _center,
        _explain_center,
        ("b_center", "q_center"),
    )
)


# --- quality signals -----------------------------------------------------------------------


def _quality(p: pd.DataFrame) -> FloatArray:
    return np.asarray([1.0 if "ISO9001" in _items(c) else 0.0 for c in _col(p, "e_certs")])


def _explain_quality(row: Any, v: float, positive: bool) -> Reason:
    if positive:
        return Reason(
            en="Certified quality system (ISO 9001)", ko="품질경영시스템 인증(ISO 9001) 보유"
        )
    return Reason(
        en="No certified quality system (ISO 9001)", ko="품질경영시스템 인증(ISO 9001) 없음"
    )


register(
    Feature(
        "quality_certified",
        "1 if the firm holds ISO 9001, the quality-management certificate importers ask for "
        "first; else 0.",
        "buyer",
        _quality,
        _explain_quality,
        ("e_certs",),
    )
)
