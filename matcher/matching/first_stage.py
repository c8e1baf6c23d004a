"""The first stage's score: one definition for the live searches (supplier match, importer
shortlist), the nightly batch's re-selection of a carried pool, and the offline recall@200
that measures them."""

from __future__ import annotations

import numpy as np

Spread = tuple[float, float]  # (mean, standard deviation) of a pool's values


def similarity_spread(similarity: np.ndarray) -> Spread:
    """The mean and standard deviation the first stage standardises a pool's similarities
    with (the nightly batch keeps them, to re-select a pool it patched as the search's
    whole pool would have)."""
    if len(similarity) == 0:
        return (0.0, 1.0)
    return (float(similarity.mean()), float(similarity.std() or 1.0))


def first_stage_score(
    similarity: np.ndarray,
    levels: np.ndarray,
    responsiveness_z: np.ndarray,
    spread: Spread | None = None,
) -> np.ndarray:
    """Standardised similarity + shared HS level (heading 2, chapter 1) + standardised
    responsiveness: one first stage for the live shortlist and the offline recall@200.
    ``spread``: standardise with these instead of the given pool's own (a pool that is a
    patched part of the one the search saw)."""
    mean, std = similarity_spread(similarity) if spread is None else spread
    z = (similarity - mean) / (std or 1.0)
    out: np.ndarray = z + levels + responsiveness_z
    return out


def responsiveness_spread(values: np.ndarray) -> Spread:
    """The mean and standard deviation ``responsiveness_z`` standardises a pool with
    (unknown values count at the mean)."""
    known = np.isfinite(values)
    r = np.where(known, values, np.nanmean(values) if known.any() else 0.0)
    return (float(r.mean()) if len(r) else 0.0, float(r.std() or 1.0) if len(r) else 1.0)


def responsiveness_z(values: np.ndarray, spread: Spread | None = None) -> np.ndarray:
    """Standardised responsiveness, unknown values at the mean (``spread``: the pool's the
    search saw, where this is a patched part of it)."""
    mean, std = responsiveness_spread(values) if spread is None else spread
    r = np.where(np.isfinite(values), values, mean)
    out: np.ndarray = (r - mean) / (std or 1.0)
    return out
