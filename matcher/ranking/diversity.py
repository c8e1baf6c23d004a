"""MMR-style diversity: a shortlist of five near-identical distributors wastes four meetings.

Maximal marginal relevance picks, one at a time, the candidate that maximises
``lam x relevance - (1 - lam) x max similarity to those already picked``, relevance being the
ranker's score rescaled to [0, 1] over the pool. Similarity between two candidates is
profile similarity, not text similarity, because that is what makes two importers
interchangeable for a firm: the same type in the same country (half) and the Jaccard overlap
of their HS headings (half).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def profile_similarity(
    kinds: Sequence[str], headings: Sequence[frozenset[str]]
) -> npt.NDArray[np.float64]:
    """Pairwise similarity (n x n) from a kind label and a set of HS headings per item."""
    n = len(kinds)
    sim = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            union = headings[i] | headings[j]
            jac = len(headings[i] & headings[j]) / len(union) if union else 0.0
            value = 0.5 * (kinds[i] == kinds[j]) + 0.5 * jac
            sim[i, j] = sim[j, i] = value
    return sim


def mmr(
    scores: npt.NDArray[np.float64],
    similarity: npt.NDArray[np.float64],
    k: int,
    lam: float,
) -> list[int]:
    """Indices of ``k`` picks, in pick order. ``lam`` = 1 is plain ranking."""
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    spread = float(scores.max() - scores.min())
    relevance = (scores - scores.min()) / spread if spread > 0 else np.ones(n)
    picked: list[int] = []
    closest = np.zeros(n)
    available = np.ones(n, bool)
    for _ in range(min(k, n)):
        value = lam * relevance - (1.0 - lam) * closest
        value[~available] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        closest = np.maximum(closest, similarity[best])
    return picked
