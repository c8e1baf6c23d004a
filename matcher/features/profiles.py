"""Per-firm and per-importer profiles: the side columns of a pair frame.

Built from the frames the catalogs load (``matcher.index.catalogs``), never from storage
directly. A firm's profile folds its products together: every HS code it makes, every
certificate it or its products hold, its cheapest price and smallest MOQ, and where its prices
sit among products of the same HS heading (the price position, 0 cheapest .. 1 dearest),
which is how a premium or value buyer's fit is judged without anyone writing a price tier
down.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EXPORTER_COLUMNS = (
    "e_hs",
    "e_certs",
    "e_languages",
    "e_stage",
    "e_industry",
    "e_price_position",
    "e_price_min",
    "e_price_max",
    "e_moq",
)
BUYER_COLUMNS = (
    "b_hs",
    "b_required",
    "b_strict",
    "b_country",
    "b_positioning",
    "b_type",
    "b_annual_usd",
    "b_responsiveness",
    "b_credit",
    "b_languages",
    "b_center",
    "b_opted_out",
)


def price_positions(products: pd.DataFrame) -> pd.Series:
    """Each product's price percentile among products of the same HS heading (NaN where the
    price or the code is unknown, or the heading has a single priced product)."""
    price = pd.to_numeric(products["price_min_usd"], errors="coerce")
    heading = products["hs_code"].fillna("").astype(str).str[:4]
    frame = pd.DataFrame({"price": price, "heading": heading})
    frame.loc[frame["heading"].str.len() < 4, "price"] = np.nan
    grouped = frame.groupby("heading")["price"]
    ranks = grouped.rank(method="average")
    counts = grouped.transform("count")
    position = (ranks - 1) / (counts - 1)
    return position.where(counts > 1)


def exporter_profiles(products: pd.DataFrame) -> pd.DataFrame:
    """One row per firm (index ``exporter_id``) from the products catalog frame."""
    frame = products.assign(_position=price_positions(products))
    grouped = frame.groupby("exporter_id", sort=True)
    first = grouped.first()
    certs = grouped["certifications"].agg(lambda s: sorted({c for cs in s for c in cs}))
    hs = grouped["hs_code"].agg(lambda s: list(dict.fromkeys(c for c in s if c)))
    out = pd.DataFrame(
        {
            "e_hs": hs,
            "e_certs": certs,
            "e_languages": first["languages"],
            "e_stage": first["export_stage"],
            "e_industry": first["industry"],
            "e_price_position": grouped["_position"].mean(),
            "e_price_min": grouped["price_min_usd"].min(),
            "e_price_max": grouped["price_max_usd"].max(),
            "e_moq": grouped["moq"].min(),
        }
    )
    out.index.name = "exporter_id"
    return out


def buyer_profiles(buyers: pd.DataFrame) -> pd.DataFrame:
    """One row per importer (index ``id``) from the buyers catalog frame."""

    def column(name: str, default: object = None) -> pd.Series:
        if name in buyers.columns:
            return buyers[name]
        return pd.Series([default] * len(buyers), index=buyers.index)

    out = pd.DataFrame(
        {
            "b_hs": column("hs_codes").map(lambda v: list(v) if v is not None else []),
            "b_required": column("required_certifications").map(
                lambda v: list(v) if v is not None else []
            ),
            "b_strict": column("certifications_strict", False).fillna(False).astype(bool),
            "b_country": column("country"),
            "b_positioning": column("price_positioning"),
            "b_type": column("buyer_type"),
            "b_annual_usd": pd.to_numeric(column("annual_purchase_usd"), errors="coerce"),
            "b_responsiveness": pd.to_numeric(column("responsiveness"), errors="coerce"),
            "b_credit": column("credit_grade"),
            "b_languages": column("languages").map(lambda v: list(v) if v is not None else []),
            "b_center": column("center"),
            "b_opted_out": column("opted_out", False).fillna(False).astype(bool),
        }
    )
    out.index = buyers["id"].to_numpy()
    out.index.name = "buyer_id"
    return out
