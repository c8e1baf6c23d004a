"""Reciprocity: a match needs both sides.

Every feature belongs to a side (``Feature.side``): the *exporter* side asks whether the firm
would want this importer (channel, stage fit, credit, market), the *buyer* side whether this
importer would want the firm and answer (certificates, registrations, responsiveness,
recorded engagement); features about the product itself count half to each.

Fusion: both rankers are additive in log-odds-like units, so a side's score is the sum of
its features' contributions, and the fused score is the sum of the two sides, which is the
ranker's own score. Adding log-odds multiplies odds, so fusion behaves like a product: a
pair that one side would reject (a large negative side score) cannot be rescued by the
other side's enthusiasm the way an average would allow. Both side scores are returned with
every result so staff can see which side is the weak one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.features.registry import FEATURES

_SHARE = {"exporter": (1.0, 0.0), "buyer": (0.0, 1.0), "both": (0.5, 0.5)}


def side_scores(contributions: pd.DataFrame) -> pd.DataFrame:
    """``exporter_side`` and ``buyer_side`` per candidate; their sum is the fused score."""
    names = list(contributions.columns)
    shares = np.asarray([_SHARE[FEATURES[n].side] for n in names])  # (features, 2)
    both = contributions.to_numpy(dtype=float) @ shares
    return pd.DataFrame(
        {"exporter_side": both[:, 0], "buyer_side": both[:, 1]}, index=contributions.index
    )
