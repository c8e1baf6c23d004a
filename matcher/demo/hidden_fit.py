"""The hidden truth behind the demo funnel: how well an exporter and an importer fit.

Why this is separate from everything else: the ranker later learns from the demo's funnel
events, so the rule that produced them must not be readable from the data. Only this module
knows it; the generator calls it, and tests and benchmarks use ``FitOracle`` to score a ranker
against the truth. Nothing computed here is written to the CSV files.

The fit of a pair is a weighted sum (``HiddenWeights``) of:

- **HS agreement**: how deep (chapter / heading / subheading) the importer's HS interests agree
  with the exporter's products (observable).
- **Price fit**: the importer's price positioning (premium / mid / value, observable) against the
  exporter's *latent* price tier. The written product prices are a noisy function of that tier
  and the product type's price band, so a model can learn it from prices but not read it.
- **Certification coverage** of the importer's required certifications, with a penalty when the
  importer is strict about them (observable).
- **Export stage x importer type**: beginners do better with distributors and wholesalers,
  especially mid-sized, open ones; mature firms with manufacturers, retailers and hospitals
  (observable fields, latent openness).
- **Exporter quality** and **importer openness**: latent standard normals. Observable fields
  are only noisy proxies: ISO 9001 is more likely for a high-quality firm, and the written
  ``responsiveness`` is ``clip(sigmoid(openness + noise))``.
- **Language overlap**, and whether the exporter speaks the importer's first language.
- **Pair noise**: what no data explains.

Latents (quality, openness, price tier, pair noise) are derived from the seed and the
entities' external ids by a counter-based, hash-seeded generator (blake2b keys mixed with
splitmix64), not drawn in sequence. That makes each latent a pure function of (seed, id):
independent of generation order and chunking, recomputable for any pair of a generated data
set (``FitOracle``), and still invisible in the files. The seed is recorded in
``manifest.json``; a ranker must never read it.

The generator turns fit into funnel outcomes with
``p = sigmoid(intercept_k + slope * z)``, ``z`` the fit standardised on a calibration sample,
and calibrates the intercepts so the documented conditional contract probabilities hold on
average.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from matcher.demo.catalog import CERT_BIT, LANG_BIT
from matcher.domain.enums import BuyerType, ExportStage, PricePositioning

MAX_PRODUCTS = 4  # products per manufacturer, and HS prefixes per importer, kept for fit
MAX_PREFIXES = 4

STAGES: tuple[ExportStage, ...] = (ExportStage.BEGINNER, ExportStage.GROWTH, ExportStage.MATURE)
BUYER_TYPES: tuple[BuyerType, ...] = tuple(BuyerType)
POSITIONINGS: tuple[PricePositioning, ...] = (
    PricePositioning.PREMIUM,
    PricePositioning.MID,
    PricePositioning.VALUE,
)

# Export stage (rows) x importer type (columns, in BuyerType order: distributor, wholesaler,
# retailer, e-commerce, manufacturer, hospital, other).
_STAGE_TYPE = np.array(
    [
        [0.8, 0.4, -0.3, 0.1, -0.7, -0.5, -0.3],  # beginner
        [0.4, 0.4, 0.3, 0.5, 0.0, 0.1, -0.1],  # growth
        [0.1, -0.1, 0.5, 0.2, 0.8, 0.6, 0.0],  # mature
    ]
)
_PRICE_TARGET = np.array([0.8, 0.5, 0.2])  # premium, mid, value
_MID_SIZE_USD = (2e5, 3e6)

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_PAIR_MUL = _U64(0xD1B54A32D192ED03)


@dataclass(frozen=True, slots=True)
class HiddenWeights:
    """Weights of the hidden fit components, and how strongly fit drives the funnel."""

    hs: float = 1.2
    price: float = 0.8
    certification: float = 0.9
    stage_type: float = 0.6
    quality: float = 0.5
    openness: float = 0.6
    language: float = 0.4
    noise: float = 0.5
    slope: float = 0.9  # change of each funnel step's log-odds per standard deviation of fit

    DEFAULT: ClassVar[HiddenWeights]
    PERTURBED: ClassVar[HiddenWeights]

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


DEFAULT = HiddenWeights()
# A clearly different truth for robustness tests: price and stage matter more than HS codes
# and certificates, latent quality more than openness.
PERTURBED = HiddenWeights(
    hs=0.5,
    price=1.4,
    certification=0.3,
    stage_type=1.1,
    quality=0.9,
    openness=0.25,
    language=0.9,
    noise=0.8,
    slope=0.9,
)
HiddenWeights.DEFAULT = DEFAULT
HiddenWeights.PERTURBED = PERTURBED

COMPONENTS = (
    "hs",
    "price",
    "certification",
    "stage_type",
    "quality",
    "openness",
    "language",
    "noise",
)


# ---------------------------------------------------------------------------------------------
# Hash-seeded latents
# ---------------------------------------------------------------------------------------------


def id_keys(external_ids: Iterable[str]) -> NDArray[np.uint64]:
    """A 64-bit key per external id (blake2b), the counter of the hash-seeded generator."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "little")
            for i in external_ids
        ),
        dtype=np.uint64,
    )


def _salt(seed: int, stream: str) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
    return _U64(int.from_bytes(digest, "little"))


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser: a bijective scramble of 64-bit words (wraps by design)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _U64(30))) * _MIX1
    z = (z ^ (z >> _U64(27))) * _MIX2
    out: NDArray[np.uint64] = z ^ (z >> _U64(31))
    return out


def _unit(bits: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Uniform in (0, 1) from the top 53 bits."""
    return ((bits >> _U64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def latent_normal(seed: int, stream: str, keys: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Standard normals, one per key, as a pure function of (seed, stream, key)."""
    keys = np.asarray(keys, dtype=np.uint64)
    salt = _salt(seed, stream)
    a = _mix(keys ^ salt)
    b = _mix(a ^ _salt(seed, stream + "/2"))
    u1, u2 = _unit(a), _unit(b)
    out: NDArray[np.float64] = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return out


def exporter_quality(seed: int, keys: NDArray[np.uint64]) -> NDArray[np.float64]:
    return latent_normal(seed, "exporter-quality", keys)


def exporter_price_tier(seed: int, keys: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Where in its products' price bands a firm sits, in (0, 1): 0 cheapest, 1 dearest."""
    z = latent_normal(seed, "exporter-price-tier", keys)
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-1.3 * z))
    return out


def buyer_openness(seed: int, keys: NDArray[np.uint64]) -> NDArray[np.float64]:
    return latent_normal(seed, "buyer-openness", keys)


def pair_noise(
    seed: int, exporter_keys: NDArray[np.uint64], buyer_keys: NDArray[np.uint64]
) -> NDArray[np.float64]:
    combined = _mix(np.asarray(exporter_keys, dtype=np.uint64)) ^ (
        np.asarray(buyer_keys, dtype=np.uint64) * _PAIR_MUL
    )
    return latent_normal(seed, "pair-noise", combined)


# ---------------------------------------------------------------------------------------------
# Compact tables: what the fit needs, as numpy arrays
# ---------------------------------------------------------------------------------------------


@dataclass
class ExporterTable:
    """Per exporter: id key, export stage (-1 unknown), language and certification bitmasks,
    and up to MAX_PRODUCTS product HS codes as integers (-1 where none)."""

    keys: NDArray[np.uint64]
    stage: NDArray[np.int8]
    languages: NDArray[np.uint16]
    certs: NDArray[np.uint64]
    hs: NDArray[np.int32]

    @classmethod
    def empty(cls, n: int) -> ExporterTable:
        return cls(
            keys=np.zeros(n, np.uint64),
            stage=np.full(n, -1, np.int8),
            languages=np.zeros(n, np.uint16),
            certs=np.zeros(n, np.uint64),
            hs=np.full((n, MAX_PRODUCTS), -1, np.int32),
        )


@dataclass
class BuyerTable:
    """Per importer: id key, type and positioning indices (-1 unknown), HS prefixes as integer
    code and length (length 0 where none), required certifications, strictness, languages,
    first language (-1 none) and annual purchases (NaN unknown)."""

    keys: NDArray[np.uint64]
    buyer_type: NDArray[np.int8]
    positioning: NDArray[np.int8]
    prefix_code: NDArray[np.int32]
    prefix_len: NDArray[np.int8]
    required: NDArray[np.uint64]
    strict: NDArray[np.bool_]
    languages: NDArray[np.uint16]
    primary_language: NDArray[np.int8]
    annual_usd: NDArray[np.float64]

    @classmethod
    def empty(cls, n: int) -> BuyerTable:
        return cls(
            keys=np.zeros(n, np.uint64),
            buyer_type=np.full(n, BUYER_TYPES.index(BuyerType.OTHER), np.int8),
            positioning=np.full(n, -1, np.int8),
            prefix_code=np.zeros((n, MAX_PREFIXES), np.int32),
            prefix_len=np.zeros((n, MAX_PREFIXES), np.int8),
            required=np.zeros(n, np.uint64),
            strict=np.zeros(n, np.bool_),
            languages=np.zeros(n, np.uint16),
            primary_language=np.full(n, -1, np.int8),
            annual_usd=np.full(n, np.nan, np.float64),
        )


def cert_mask(certs: Iterable[str]) -> int:
    mask = 0
    for cert in certs:
        bit = CERT_BIT.get(cert)
        if bit is not None:
            mask |= 1 << bit
    return mask


def language_mask(languages: Iterable[str]) -> int:
    mask = 0
    for code in languages:
        bit = LANG_BIT.get(code)
        if bit is not None:
            mask |= 1 << bit
    return mask


def _prefix_parts(
    code: NDArray[np.int32], length: NDArray[np.int8]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Chapter, heading and subheading of prefixes; -2 where the prefix is too short."""
    c = code.astype(np.int64)
    ln = length.astype(np.int64)
    chapter = np.where(ln == 2, c, np.where(ln == 4, c // 100, c // 10000))
    chapter = np.where(ln == 0, -2, chapter)
    heading = np.where(ln == 4, c, np.where(ln == 6, c // 100, -2))
    sub = np.where(ln == 6, c, -2)
    return chapter, heading, sub


def hs_depth(
    product_hs: NDArray[np.int32], prefix_code: NDArray[np.int32], prefix_len: NDArray[np.int8]
) -> NDArray[np.int64]:
    """Deepest HS agreement (0-3) between each row's products and its importer's prefixes.

    ``product_hs`` is (n, P) 6-digit codes (-1 pad); prefixes are (n, K)."""
    p = product_hs.astype(np.int64)[:, :, None]
    valid = p >= 0
    p_ch, p_hd = p // 10000, p // 100
    b_ch, b_hd, b_sub = (x[:, None, :] for x in _prefix_parts(prefix_code, prefix_len))
    ch = valid & (p_ch == b_ch)
    hd = ch & (p_hd == b_hd)
    sub = hd & (p == b_sub)
    depth = ch.astype(np.int64) + hd + sub
    out: NDArray[np.int64] = depth.max(axis=(1, 2)) if depth.size else np.zeros(len(p), np.int64)
    return out


def fit_components(
    seed: int,
    exporters: ExporterTable,
    e_idx: NDArray[np.intp],
    buyers: BuyerTable,
    b_idx: NDArray[np.intp],
) -> dict[str, NDArray[np.float64]]:
    """Each component of the hidden fit for the pairs (exporters[e_idx], buyers[b_idx])."""
    e_idx = np.asarray(e_idx, dtype=np.intp)
    b_idx = np.asarray(b_idx, dtype=np.intp)
    e_keys, b_keys = exporters.keys[e_idx], buyers.keys[b_idx]

    depth = hs_depth(exporters.hs[e_idx], buyers.prefix_code[b_idx], buyers.prefix_len[b_idx])

    tier = exporter_price_tier(seed, e_keys)
    pos = buyers.positioning[b_idx].astype(np.intp)
    target = _PRICE_TARGET[np.clip(pos, 0, 2)]
    price = np.where(pos >= 0, 1.0 - 2.0 * np.abs(tier - target), 0.4)

    required = buyers.required[b_idx]
    n_req = np.bitwise_count(required).astype(np.float64)
    n_hit = np.bitwise_count(required & exporters.certs[e_idx]).astype(np.float64)
    coverage = np.where(n_req > 0, n_hit / np.maximum(n_req, 1.0), 1.0)
    cert = np.where(buyers.strict[b_idx] & (coverage < 1.0), coverage - 0.6, coverage)

    openness = buyer_openness(seed, b_keys)
    stage = exporters.stage[e_idx].astype(np.intp)
    btype = buyers.buyer_type[b_idx].astype(np.intp)
    stage_type = np.where(stage >= 0, _STAGE_TYPE[np.clip(stage, 0, 2), btype], 0.0)
    annual = buyers.annual_usd[b_idx]
    mid_size = (annual >= _MID_SIZE_USD[0]) & (annual <= _MID_SIZE_USD[1])
    beginner_bonus = (stage == 0) & mid_size & (btype <= 1)
    stage_type = stage_type + beginner_bonus * 0.6 / (1.0 + np.exp(-openness))

    e_lang, b_lang = exporters.languages[e_idx], buyers.languages[b_idx]
    common = (e_lang & b_lang) != 0
    primary = buyers.primary_language[b_idx].astype(np.int64)
    speaks = (primary >= 0) & (((e_lang >> np.clip(primary, 0, 15).astype(np.uint16)) & 1) == 1)
    language = 0.5 * common + 0.5 * speaks

    return {
        "hs": depth / 3.0,
        "price": price,
        "certification": cert,
        "stage_type": stage_type,
        "quality": exporter_quality(seed, e_keys),
        "openness": openness,
        "language": language.astype(np.float64),
        "noise": pair_noise(seed, e_keys, b_keys),
    }


def combine(
    components: dict[str, NDArray[np.float64]], weights: HiddenWeights
) -> NDArray[np.float64]:
    total = np.zeros_like(components["hs"], dtype=np.float64)
    for name in COMPONENTS:
        total = total + getattr(weights, name) * components[name]
    return total


def pair_fit(
    seed: int,
    exporters: ExporterTable,
    e_idx: NDArray[np.intp],
    buyers: BuyerTable,
    b_idx: NDArray[np.intp],
    weights: HiddenWeights = DEFAULT,
) -> NDArray[np.float64]:
    """The hidden fit of each pair (higher is better; the scale is arbitrary)."""
    return combine(fit_components(seed, exporters, e_idx, buyers, b_idx), weights)


# ---------------------------------------------------------------------------------------------
# The oracle: the truth for any pair of a generated data set
# ---------------------------------------------------------------------------------------------


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _hs_int(code: str) -> int:
    return int(code) if code.isdigit() else -1


class FitOracle:
    """Scores any (exporter, buyer) pair of a generated demo set with the hidden fit.

    For evaluation only (benchmarks, robustness tests): it reads the seed from
    ``manifest.json``, which no ranker may do.
    """

    def __init__(
        self,
        seed: int,
        exporters: ExporterTable,
        exporter_ids: Sequence[str],
        buyers: BuyerTable,
        buyer_ids: Sequence[str],
        weights: HiddenWeights = DEFAULT,
    ) -> None:
        self.seed = seed
        self.exporters = exporters
        self.buyers = buyers
        self.weights = weights
        self._exporter_row = {ext: i for i, ext in enumerate(exporter_ids)}
        self._buyer_row = {ext: i for i, ext in enumerate(buyer_ids)}

    @classmethod
    def from_dir(cls, out_dir: Path, weights: HiddenWeights | None = None) -> FitOracle:
        """Build from a generated directory; ``weights`` default to those it was made with."""
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        seed = int(manifest["seed"])
        if weights is None:
            weights = HiddenWeights(**manifest["weights"])
        exporters, exporter_ids = read_exporter_table(out_dir)
        buyers, buyer_ids = read_buyer_table(out_dir)
        return cls(seed, exporters, exporter_ids, buyers, buyer_ids, weights)

    def rows(
        self, exporter_ids: Sequence[str], buyer_ids: Sequence[str]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        e = np.fromiter((self._exporter_row[x] for x in exporter_ids), dtype=np.intp)
        b = np.fromiter((self._buyer_row[x] for x in buyer_ids), dtype=np.intp)
        return e, b

    def components(
        self, exporter_ids: Sequence[str], buyer_ids: Sequence[str]
    ) -> dict[str, NDArray[np.float64]]:
        e, b = self.rows(exporter_ids, buyer_ids)
        return fit_components(self.seed, self.exporters, e, self.buyers, b)

    def fit(self, exporter_ids: Sequence[str], buyer_ids: Sequence[str]) -> NDArray[np.float64]:
        return combine(self.components(exporter_ids, buyer_ids), self.weights)


def read_exporter_table(out_dir: Path) -> tuple[ExporterTable, list[str]]:
    """The fit table of every exporter, from ``exporters.csv`` and ``products.csv``."""
    with (out_dir / "exporters.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["external_id"] for r in rows]
    table = ExporterTable.empty(len(ids))
    table.keys[:] = id_keys(ids)
    stage_index = {s.value: i for i, s in enumerate(STAGES)}
    for i, r in enumerate(rows):
        table.stage[i] = stage_index.get(r["export_stage"], -1)
        table.languages[i] = language_mask(_split(r["languages"]))
        table.certs[i] = cert_mask(_split(r["certifications"]))
    row_of = {ext: i for i, ext in enumerate(ids)}
    filled = np.zeros(len(ids), np.int64)
    with (out_dir / "products.csv").open(encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            i = row_of[r["exporter_id"]]
            if filled[i] < MAX_PRODUCTS:
                table.hs[i, filled[i]] = _hs_int(r["hs_code"])
                filled[i] += 1
    return table, ids


def read_buyer_table(out_dir: Path) -> tuple[BuyerTable, list[str]]:
    """The fit table of every importer, from ``buyers.csv``."""
    with (out_dir / "buyers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["external_id"] for r in rows]
    table = BuyerTable.empty(len(ids))
    table.keys[:] = id_keys(ids)
    type_index = {t.value: i for i, t in enumerate(BUYER_TYPES)}
    pos_index = {p.value: i for i, p in enumerate(POSITIONINGS)}
    for i, r in enumerate(rows):
        table.buyer_type[i] = type_index.get(r["buyer_type"], type_index["other"])
        table.positioning[i] = pos_index.get(r["price_positioning"], -1)
        for j, prefix in enumerate(_split(r["hs_codes"])[:MAX_PREFIXES]):
            table.prefix_code[i, j] = int(prefix)
            table.prefix_len[i, j] = len(prefix)
        table.required[i] = cert_mask(_split(r["required_certifications"]))
        table.strict[i] = r["certifications_strict"].lower() == "true"
        languages = _split(r["languages"])
        table.languages[i] = language_mask(languages)
        table.primary_language[i] = LANG_BIT.get(languages[0], -1) if languages else -1
        annual = r["annual_purchase_usd"]
        table.annual_usd[i] = float(annual) if annual else np.nan
    return table, ids
