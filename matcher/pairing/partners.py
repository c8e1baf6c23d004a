"""Partner recommendation: service firms for one manufacturer and one market, ranked by the
gaps they close, not by how much they resemble the manufacturer.

Score of a service offering (the rule scorer used until recorded pairing outcomes exist; each
term is in [0, 1] and the weights are ``PARTNER_WEIGHTS``):

- **gaps closed**: the strengths (``complementarity.csv``) of the firm's gaps this offering
  closes, summed with diminishing returns (1 - prod(1 - strength)). An offering closes a gap
  only where it can: the offering must serve the market (or state no market restriction),
  and an interpreter must speak a missing language;
- **relevance**: how close the offering's description is to the firm's products in meaning
  (cosine, as a percentile among the candidates, since e5 cosines drift between queries);
- **market**: 1 if the offering names the market, 0.5 if it names none, else 0;
- **track record**: the service firm's smoothed share of recorded pairings that advanced.

A service firm with no capacity left this month, or one that closes none of the firm's gaps
for the market, is excluded with its reason; every result says which gap it closes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.domain.enums import ServiceType
from matcher.pairing.complementarity import GapKind
from matcher.pairing.gaps import Gap

PARTNER_WEIGHTS: Mapping[str, float] = {
    "gaps": 0.55,
    "relevance": 0.2,
    "market": 0.15,
    "track_record": 0.1,
}
TRACK_PRIOR_PAIRS = 5.0  # track record shrinks toward 0.5 with this many pseudo-pairings


@dataclass(frozen=True)
class ServiceOffer:
    """One offering of a service firm, as the recommender sees it."""

    offering_id: int
    firm_id: int
    service_type: ServiceType | str
    markets: Sequence[str] = ()
    languages: Sequence[str] = ()
    capacity_left: int | None = None  # pairings it can still take this month; None unknown
    similarity: float = float("nan")  # cosine of its description to the firm's products
    pairings: int = 0  # recorded pairings with any manufacturer
    advanced: int = 0  # of those, how many advanced past the first contact


@dataclass(frozen=True)
class ClosedGap:
    kind: GapKind
    detail: str
    strength: float
    en: str
    ko: str


@dataclass(frozen=True)
class PartnerMatch:
    offer: ServiceOffer
    score: float
    closes: tuple[ClosedGap, ...]
    parts: dict[str, float]
    reasons_en: tuple[str, ...]
    reasons_ko: tuple[str, ...]


@dataclass(frozen=True)
class PartnerExclusion:
    offer: ServiceOffer
    code: str
    en: str
    ko: str


def offers_from_frame(
    offerings: pd.DataFrame,
    relevance: np.ndarray | None = None,
    track: tuple[dict[int, int], dict[int, int]] = ({}, {}),
) -> list[ServiceOffer]:
    """Offers from a ``SERVICES`` catalog frame: ``relevance`` is each row's cosine to the
    firm's products (NaN where unknown), ``track`` per service firm (pairings, advanced).
    Offerings of a service type this release does not know are left out."""
    pairs, advanced = track
    if relevance is None:
        relevance = np.full(len(offerings), np.nan)
    out = []
    columns = [
        offerings[c].to_numpy(dtype=object)
        for c in ("id", "exporter_id", "service_type", "markets", "languages")
    ]
    capacities = pd.to_numeric(offerings["capacity_per_month"], errors="coerce").to_numpy(
        dtype=float
    )
    for (oid, firm, kind, markets, langs), capacity, sim in zip(
        zip(*columns, strict=True), capacities, relevance, strict=True
    ):
        try:
            service = ServiceType(str(kind))
        except ValueError:
            continue  # a type this release does not know cannot close a known gap
        out.append(
            ServiceOffer(
                offering_id=int(oid),
                firm_id=int(firm),
                service_type=service,
                markets=[str(m) for m in (markets or [])],
                languages=[str(lang) for lang in (langs or [])],
                capacity_left=None if np.isnan(capacity) else int(capacity),
                similarity=float(sim),
                pairings=pairs.get(int(firm), 0),
                advanced=advanced.get(int(firm), 0),
            )
        )
    return out


def _serves(offer: ServiceOffer, market: str) -> float:
    markets = {m.strip().upper() for m in offer.markets}
    if not markets:
        return 0.5
    return 1.0 if market in markets else 0.0


def _speaks(offer: ServiceOffer, gap: Gap) -> bool:
    """An interpreter must speak a missing language; any other offering closes its gap."""
    if gap.kind is GapKind.LANGUAGE:
        spoken = {lang.strip().lower() for lang in offer.languages}
        return any(lang in spoken for lang in gap.detail.split("/"))
    return True


def closed_gaps(offer: ServiceOffer, gaps: Sequence[Gap], market: str) -> list[ClosedGap]:
    """The gaps ``offer`` closes, strongest first. Consortia go abroad together: an offering
    that names only other markets closes nothing here."""
    if _serves(offer, market) == 0.0:
        return []
    kind = ServiceType(offer.service_type)
    out = []
    for gap in gaps:
        strength = max((c.strength for c in gap.closes if c.service_type is kind), default=0.0)
        if strength > 0 and _speaks(offer, gap):
            out.append(ClosedGap(gap.kind, gap.detail, strength, gap.en, gap.ko))
    return sorted(out, key=lambda g: -g.strength)


def with_similarity(offer: ServiceOffer, similarity: float) -> ServiceOffer:
    """``offer`` with another similarity: ``dataclasses.replace`` without re-running
    ``__init__``, for copying a whole catalogue's offers once per firm."""
    copy = object.__new__(ServiceOffer)
    copy.__dict__.update(offer.__dict__)
    copy.__dict__["similarity"] = similarity
    return copy


def _percentiles(values: np.ndarray) -> np.ndarray:
    known = np.isfinite(values)
    out = np.full(len(values), 0.5)
    if known.sum() > 1:
        order = values[known].argsort().argsort()
        out[known] = order / (known.sum() - 1)
    return out


def recommend_partners(
    gaps: Sequence[Gap],
    market: str,
    offers: Sequence[ServiceOffer],
    top_k: int = 10,
    *,
    exclusions: bool = True,
) -> tuple[list[PartnerMatch], list[PartnerExclusion]]:
    """Service firms ranked for a manufacturer with ``gaps`` in ``market`` (one result per
    firm: its best offering), and the firms left out with why (``exclusions=False``: none
    listed, for callers that show only the ranking, such as the nightly batch: most of a
    large catalogue is left out, and saying why costs more than ranking the rest)."""
    market = market.strip().upper()
    relevance = _percentiles(np.asarray([o.similarity for o in offers], dtype=float))
    excluded: list[PartnerExclusion] = []
    best: dict[int, PartnerMatch] = {}
    # Service types that close some gap: an offering of another type closes none, which is
    # known without looking at it further (most of a large catalogue, for one firm's gaps).
    useful = {c.service_type for gap in gaps for c in gap.closes if c.strength > 0}
    for offer, rel in zip(offers, relevance, strict=True):
        if not exclusions and ServiceType(offer.service_type) not in useful:
            continue
        if offer.capacity_left is not None and offer.capacity_left <= 0:
            if not exclusions:
                continue
            excluded.append(
                PartnerExclusion(
                    offer,
                    "no_capacity",
                    "No capacity left this month",
                    "이번 달 수용 가능 건수 소진",
                )
            )
            continue
        closes = (
            closed_gaps(offer, gaps, market) if ServiceType(offer.service_type) in useful else []
        )
        if not closes:  # similar is not enough: a partner must add something the firm lacks
            if not exclusions:
                continue
            excluded.append(
                PartnerExclusion(
                    offer,
                    "closes_no_gap",
                    "Closes none of the firm's gaps for this market",
                    "이 시장에서 기업의 부족 요소를 보완하지 않음",
                )
            )
            continue
        coverage = 1.0 - math.prod(1.0 - c.strength for c in closes)
        track = (offer.advanced + 0.5 * TRACK_PRIOR_PAIRS) / (offer.pairings + TRACK_PRIOR_PAIRS)
        parts = {
            "gaps": coverage,
            "relevance": float(rel),
            "market": _serves(offer, market),
            "track_record": track,
        }
        score = sum(PARTNER_WEIGHTS[k] * v for k, v in parts.items())
        en = [f"Closes: {c.en}" for c in closes[:2]]
        ko = [f"해소: {c.ko}" for c in closes[:2]]
        if parts["market"] == 1.0:
            en.append(f"Already serves {market}")
            ko.append(f"{market} 시장 서비스 경험")
        match = PartnerMatch(offer, score, tuple(closes), parts, tuple(en), tuple(ko))
        if offer.firm_id not in best or score > best[offer.firm_id].score:
            best[offer.firm_id] = match
    ranked = sorted(best.values(), key=lambda m: (-m.score, m.offer.firm_id))
    return ranked[:top_k], excluded
