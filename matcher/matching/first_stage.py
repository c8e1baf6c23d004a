"""The first stage's score: one definition for the live searches (supplier match, importer
shortlist) and the offline recall@200 that measures them."""

from __future__ import annotations

import numpy as np


def first_stage_score(
    similarity: np.ndarray, levels: np.ndarray, responsiveness_z: np.ndarray
) -> np.ndarray:
    """Standardised similarity + shared HS level (heading 2, chapter 1) + standardised
    responsiveness: one first stage for the live shortlist and the offline recall@200."""
    z = (similarity - similarity.mean()) / (similarity.std() or 1.0)
    out: np.ndarray = z + levels + responsiveness_z
    return out


def responsiveness_z(values: np.ndarray) -> np.ndarray:
    """Standardised responsiveness, unknown values at the mean."""
    known = np.isfinite(values)
    r = np.where(known, values, np.nanmean(values) if known.any() else 0.0)
    out: np.ndarray = (r - r.mean()) / (r.std() or 1.0)
    return out
