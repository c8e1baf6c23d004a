"""Demo pairing outcomes: which service offerings the centers paired with which manufacturers
for a market, and how far each pairing got.

Why: the pairing recommender must learn from recorded pairings, and its evaluation needs
outcomes it cannot read off its own inputs. The outcomes here follow a *hidden*
complementarity function. It overlaps the recommender's table
(``matcher/pairing/data/complementarity.csv``) where the policy is explicit, but its strengths
differ, it pairs some industries and services the table does not, and it adds what no table
holds: the service firm's latent quality and per-pair noise. Nothing outside this module and
the generator reads it (the circularity test checks the learning path).

How: the generated firm and offering files are read back (they are small next to the event
history), about half of the manufacturers get 2-6 offerings proposed for one target market
(half picked as staff would, by a noisy view of the hidden affinity, half at random), and each
pairing walks shortlisted -> MOU -> consultation -> contract with
``p_k = sigmoid(intercept_k + slope * z)``, ``z`` the standardised hidden value. Same seed,
same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.demo.hidden_fit import id_keys, latent_normal
from matcher.domain.enums import FunnelStage, Industry, ServiceType

CONSUMER = frozenset(
    {
        Industry.FOOD,
        Industry.COSMETICS,
        Industry.CONSUMER_GOODS,
        Industry.JEWELLERY,
        Industry.TEXTILES,
    }
)

# Hidden (industry, service type) affinity; None = any industry. Deliberately not the table.
_AFFINITY: dict[tuple[Industry | None, ServiceType], float] = {
    (Industry.MEDICAL_DEVICES, ServiceType.DIGITAL_HEALTH): 1.2,
    (Industry.PHARMACEUTICALS, ServiceType.DIGITAL_HEALTH): 0.6,
    (Industry.INDUSTRIAL_MACHINERY, ServiceType.SMART_FACTORY): 1.0,
    (Industry.AGRI_MACHINERY, ServiceType.SMART_FACTORY): 0.5,
    (Industry.CONSTRUCTION_MACHINERY, ServiceType.SMART_FACTORY): 0.6,
    (Industry.SEMICONDUCTOR_EQUIPMENT, ServiceType.SMART_FACTORY): 0.8,
    (Industry.AUTO_PARTS, ServiceType.AI_MANUFACTURING): 1.0,
    (Industry.METALS, ServiceType.AI_MANUFACTURING): 0.5,
    (Industry.PLASTICS, ServiceType.AI_MANUFACTURING): 0.4,
    (Industry.VEHICLES, ServiceType.AUTONOMOUS_DRIVING): 1.1,
    (Industry.FOOD, ServiceType.CONTENT_MARKETING): 0.9,
    (Industry.COSMETICS, ServiceType.CONTENT_MARKETING): 1.1,
    (Industry.CONSUMER_GOODS, ServiceType.CONTENT_MARKETING): 0.5,
    (Industry.ELECTRONICS, ServiceType.IT_SOFTWARE): 0.7,
    (Industry.MEDICAL_DEVICES, ServiceType.IT_SOFTWARE): 0.4,
    (Industry.CONSTRUCTION_MACHINERY, ServiceType.ENGINEERING_PM): 0.7,
    (Industry.CHEMICALS, ServiceType.ENGINEERING_PM): 0.5,
    (None, ServiceType.LOGISTICS): 0.35,
}
# Registrations a market demands of an industry (the generator's own rules, not the table's).
_MARKET_CERTS: dict[tuple[str, Industry], str] = {
    ("VN", Industry.FOOD): "VNFOODREGISTRATION",
    ("VN", Industry.COSMETICS): "VNCOSMETICNOTIFICATION",
    ("IN", Industry.FOOD): "FSSAI",
    ("IN", Industry.FEED): "FSSAI",
    ("IN", Industry.COSMETICS): "CDSCO",
    ("IN", Industry.MEDICAL_DEVICES): "CDSCO",
    ("IN", Industry.PHARMACEUTICALS): "CDSCO",
    ("IN", Industry.INDUSTRIAL_MACHINERY): "BIS",
    ("IN", Industry.ELECTRONICS): "BIS",
    ("IN", Industry.AUTO_PARTS): "BIS",
}
_LANGUAGE = {"VN": "vi", "IN": "hi"}
_CENTER = {"VN": "HAN", "IN": "DEL"}
_STEPS = (FunnelStage.MOU, FunnelStage.CONSULTATION, FunnelStage.CONTRACT)
_INTERCEPTS = np.array([0.3, -0.2, -0.5])
_SLOPE = 1.2
_SHARE_PAIRED = 0.5  # of manufacturers
MAX_PAIRED_FIRMS = 5_000  # enough to learn from; keeps large demos fast
_FIRST_DAY = np.datetime64("2021-01-01")
_LAST_DAY = np.datetime64("2026-10-31")
REFERENCE = np.datetime64("2026-11-01T00:00:00")

COLUMNS = (
    "external_id",
    "manufacturer_id",
    "service_id",
    "market",
    "stage",
    "occurred_at",
    "note",
    "actor",
    "center",
)


@dataclass
class Firm:
    external_id: str
    industry: Industry | None
    stage: str
    certifications: set[str]
    languages: set[str]
    homepage: bool


@dataclass
class Offering:
    external_id: str
    firm: str
    service_type: ServiceType
    markets: set[str]
    languages: set[str]


def _split(cell: str) -> set[str]:
    return {p.strip() for p in cell.split(";") if p.strip()}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def industry_of(value: str) -> Industry | None:
    try:
        return Industry(value)
    except ValueError:
        return None


def affinity(industry: Industry | None, service: ServiceType) -> float:
    """The hidden structural affinity of an industry and a service type."""
    return _AFFINITY.get((industry, service), 0.0) + _AFFINITY.get((None, service), 0.0)


def _structural_value(firm: Firm, offer: Offering, market: str) -> float:
    """The hidden value of a pairing before the service firm's quality and the noise."""
    value = affinity(firm.industry, offer.service_type)
    kind = offer.service_type
    needed = _MARKET_CERTS.get((market, firm.industry)) if firm.industry else None
    if kind is ServiceType.CERTIFICATION_CONSULTING:
        value += 1.2 if needed and needed not in firm.certifications else -0.3
    if kind is ServiceType.INTERPRETATION_LOCALISATION:
        lang = _LANGUAGE.get(market, "")
        value += 0.9 if lang not in firm.languages and lang in offer.languages else -0.2
    if kind is ServiceType.MARKET_RESEARCH:
        value += {"beginner": 0.8, "growth": 0.3}.get(firm.stage, -0.2)
    if kind is ServiceType.DESIGN_BRANDING:
        value += (0.4 if not firm.homepage else 0.0) + (0.7 if firm.industry in CONSUMER else 0.0)
    value += 0.5 if market in offer.markets else -1.0
    return value


def hidden_values(seed: int, pairs: list[tuple[Firm, Offering, str]]) -> NDArray[np.float64]:
    """How much each pairing is worth in its market (arbitrary scale; higher is better)."""
    structural = np.asarray([_structural_value(f, o, m) for f, o, m in pairs], dtype=float)
    quality = latent_normal(seed, "service-quality", id_keys([o.firm for _, o, _ in pairs]))
    noise = latent_normal(
        seed, "pairing-noise", id_keys([f"{f.external_id}|{o.external_id}" for f, o, _ in pairs])
    )
    out: NDArray[np.float64] = structural + 0.5 * quality + 0.5 * noise
    return out


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def write_pairing_events(
    out_dir: Path,
    seed: int,
    write: Callable[[list[list[Any]]], None],
    staff: dict[str, tuple[str, ...]],
) -> None:
    """Pairings and their histories from the generated ``exporters.csv`` and
    ``services.csv`` in ``out_dir``, handed to ``write`` as rows of ``COLUMNS``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x9A1]))
    firms = [
        Firm(
            r["external_id"],
            industry_of(r["industry"]),
            r["export_stage"],
            _split(r["certifications"]),
            _split(r["languages"]),
            bool(r["homepage"].strip()),
        )
        for r in _read(out_dir / "exporters.csv")
        if r["kind"] == "manufacturer"
    ]
    offers = [
        Offering(
            r["external_id"],
            r["exporter_id"],
            ServiceType(r["service_type"]),
            _split(r["markets"]),
            _split(r["languages"]),
        )
        for r in _read(out_dir / "services.csv")
    ]
    if not firms or not offers:
        return
    paired = [f for f in firms if rng.random() < _SHARE_PAIRED][:MAX_PAIRED_FIRMS]
    kinds = list(ServiceType)
    industries: list[Industry | None] = [*Industry, None]
    table = np.asarray([[affinity(i, k) for k in kinds] for i in industries])
    offer_kind = np.asarray([kinds.index(o.service_type) for o in offers])
    serves = {m: np.asarray([m in o.markets for o in offers], dtype=float) for m in _CENTER}
    pairs: list[tuple[Firm, Offering, str]] = []
    firm_day: list[int] = []  # the day staff took up each firm's market entry
    span = int((_LAST_DAY - _FIRST_DAY).astype(int))
    for firm in paired:
        market = "IN" if rng.random() < 0.5 else "VN"
        # Staff's view: the hidden structure, blurred, among offerings serving the market.
        belief = table[industries.index(firm.industry), offer_kind] + serves[market]
        weights = np.exp(2.0 * belief)
        weights /= weights.sum()
        n = 2 + int(rng.poisson(2.0))
        chosen: dict[str, Offering] = {}
        for _ in range(n):
            o = offers[rng.choice(len(offers), p=weights)] if rng.random() < 0.5 else None
            o = o or offers[int(rng.integers(len(offers)))]
            chosen.setdefault(o.external_id, o)
        pairs.extend((firm, o, market) for o in chosen.values())
        firm_day.extend([int(rng.integers(0, span + 1))] * len(chosen))
    if not pairs:
        return
    values = hidden_values(seed, pairs)
    z = (values - values.mean()) / (values.std() or 1.0)
    p_step = _sigmoid(_INTERCEPTS[None, :] + _SLOPE * z[:, None])
    advanced = np.cumprod(rng.random(p_step.shape) < p_step, axis=1).sum(axis=1)
    # Offerings for one firm are proposed within a month of each other.
    offset = np.asarray(firm_day) + rng.integers(0, 31, len(pairs))
    start = _FIRST_DAY + np.minimum(offset, span).astype("timedelta64[D]")
    gaps = rng.integers(7, 61, (len(pairs), len(_STEPS) + 1))
    declined = rng.random(len(pairs)) < 0.5
    hours = rng.integers(3600, 11 * 3600, (len(pairs), len(_STEPS) + 2))
    rows: list[list[Any]] = []
    seq = 0
    for i, (firm, offer, market) in enumerate(pairs):
        center = _CENTER[market]
        who = staff[center][int(rng.integers(len(staff[center])))]
        k = int(advanced[i])
        stages = [FunnelStage.SHORTLISTED, *_STEPS[:k]]
        if k < len(_STEPS) and declined[i]:
            stages.append(FunnelStage.DECLINED)
        day = start[i]
        for j, stage in enumerate(stages):
            if j:
                day = day + np.timedelta64(int(gaps[i, j - 1]), "D")
            moment = day.astype("datetime64[s]") + np.timedelta64(int(hours[i, j]), "s")
            if moment >= REFERENCE:
                break
            seq += 1
            rows.append(
                [
                    f"PEV-{seq:09d}",
                    firm.external_id,
                    offer.external_id,
                    market,
                    stage.value,
                    f"{np.datetime_as_string(moment, unit='s')}Z",
                    "",
                    who,
                    center,
                ]
            )
    write(rows)
