"""Scoring features: one registry, each feature named, typed and documented.

A feature maps (query, candidate products) to one value per candidate in [0, 1], or NaN
where it does not apply (no HS code asked for, no certification required). Each feature also
phrases itself as a short reason in English and Korean, so every score can be explained.
Features compute over whole candidate frames with numpy/pandas; they never touch storage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.domain import hscodes

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class QueryContext:
    """The query side of a match: what the buyer asked for."""

    text: str
    hs_codes: tuple[str, ...] = ()
    required_certifications: tuple[str, ...] = ()
    quantity: float | None = None
    target_price_usd: float | None = None


@dataclass(frozen=True)
class Reason:
    en: str
    ko: str


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    compute: Callable[[QueryContext, pd.DataFrame], FloatArray]
    explain: Callable[[QueryContext, pd.Series, float], Reason]
    requires: tuple[str, ...] = field(default_factory=tuple)  # candidate columns it reads


FEATURES: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    if feature.name in FEATURES:
        raise ValueError(f"feature '{feature.name}' registered twice")
    FEATURES[feature.name] = feature
    return feature


def compute(
    context: QueryContext, candidates: pd.DataFrame, names: tuple[str, ...]
) -> pd.DataFrame:
    """A (candidates x features) frame, columns in ``names`` order."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown feature(s): {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    data = {name: FEATURES[name].compute(context, candidates) for name in names}
    return pd.DataFrame(data, index=candidates.index, dtype=float)


# --- semantic similarity -------------------------------------------------------------------


def _similarity(_: QueryContext, c: pd.DataFrame) -> FloatArray:
    values: FloatArray = np.clip(c["similarity"].to_numpy(dtype=float), 0.0, 1.0)
    return values


def _explain_similarity(_: QueryContext, row: pd.Series, value: float) -> Reason:
    return Reason(
        en=f"Product description is close to the inquiry (similarity {value:.2f})",
        ko=f"문의 내용과 제품 설명이 유사함 (유사도 {value:.2f})",
    )


register(
    Feature(
        name="semantic_similarity",
        description="Cosine similarity between the encoded inquiry and the product document "
        "(name, description and the HS description of its code).",
        compute=_similarity,
        explain=_explain_similarity,
        requires=("similarity",),
    )
)


# --- HS agreement at 2/4/6 digits ----------------------------------------------------------

_LEVEL_NAMES = {3: ("subheading", "6단위"), 2: ("heading", "4단위"), 1: ("chapter", "2단위")}


def _hs_agreement(q: QueryContext, c: pd.DataFrame) -> FloatArray:
    if not q.hs_codes:
        return np.full(len(c), np.nan)
    levels = [
        hscodes.best_agreement(q.hs_codes, code)[0] if isinstance(code, str) and code else 0
        for code in c["hs_code"]
    ]
    return np.asarray(levels, dtype=float) / 3.0


def _explain_hs(q: QueryContext, row: pd.Series, value: float) -> Reason:
    code = row.get("hs_code") or "?"
    level = round(value * 3)
    if level == 0:
        wanted = ", ".join(q.hs_codes)
        return Reason(
            en=f"HS {code} is outside the requested HS {wanted}",
            ko=f"요청 품목(HS {wanted})과 다른 품목(HS {code})",
        )
    _, matched = hscodes.best_agreement(q.hs_codes, str(code))
    depth = {3: 6, 2: 4, 1: 2}[level]
    shared = str(code)[:depth]
    name_en, name_ko = _LEVEL_NAMES[level]
    return Reason(
        en=f"HS {shared} matches the requested HS {matched} at {name_en} level",
        ko=f"요청 품목(HS {matched})과 HS {shared} {name_ko} 일치",
    )


register(
    Feature(
        name="hs_agreement",
        description="Deepest HS level shared with any requested code: 1 = same 6-digit "
        "subheading, 2/3 = same heading, 1/3 = same chapter, 0 = none; NaN without a request.",
        compute=_hs_agreement,
        explain=_explain_hs,
        requires=("hs_code",),
    )
)


# --- certification coverage ----------------------------------------------------------------


def _cert_coverage(q: QueryContext, c: pd.DataFrame) -> FloatArray:
    if not q.required_certifications:
        return np.full(len(c), np.nan)
    needed = set(q.required_certifications)
    return np.asarray(
        [len(needed & set(held)) / len(needed) for held in c["certifications"]], dtype=float
    )


def _explain_certs(q: QueryContext, row: pd.Series, value: float) -> Reason:
    needed = list(q.required_certifications)
    held = set(row.get("certifications") or [])
    have = [x for x in needed if x in held]
    lack = [x for x in needed if x not in held]
    if not lack:
        joined = ", ".join(have)
        return Reason(
            en=f"Holds every required certification ({joined})",
            ko=f"요구 인증을 모두 보유 ({joined})",
        )
    missing = ", ".join(lack)
    return Reason(
        en=f"Holds {len(have)} of {len(needed)} required certifications; lacks {missing}",
        ko=f"요구 인증 {len(needed)}개 중 {len(have)}개 보유, 미보유: {missing}",
    )


register(
    Feature(
        name="certification_coverage",
        description="Share of the buyer's required certifications that the product or its "
        "maker holds; NaN when none are required.",
        compute=_cert_coverage,
        explain=_explain_certs,
        requires=("certifications",),
    )
)


def explain(name: str, context: QueryContext, row: pd.Series, value: float) -> Reason | None:
    """The reason for one feature value, or None where the feature does not apply."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return FEATURES[name].explain(context, row, float(value))


def describe() -> list[dict[str, Any]]:
    """The registry as data (for docs, the API and model cards)."""
    return [{"name": f.name, "description": f.description} for f in FEATURES.values()]
