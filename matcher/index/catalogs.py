"""The five searchable collections: what each reads from the store, the text it embeds, the
fields it filters on, and the columns it keeps for serving.

- ``products``: a buyer inquiry finds Korean products (and through them, suppliers);
- ``exporters``: firm profiles, for "firms like this one" and pairing;
- ``services``: service firms' offerings, for manufacturing-service pairing;
- ``buyers``: importers, for a center's shortlist of importers for a firm;
- ``needs``: open inquiries, for "which buyers are asking for what this firm makes".

The metadata kept in an index is what filters and features read at query time, so a search
needs no database round trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from matcher.domain import hscodes
from matcher.embedding.texts import present, product_document
from matcher.index.collection import CollectionSchema
from matcher.index.filters import FilterField
from matcher.storage import repository
from matcher.storage.tables import (
    BuyerRow,
    ExporterRow,
    NeedRow,
    ServiceOfferingRow,
)

LIST_COLUMNS = (
    "product_certifications",
    "exporter_certifications",
    "markets",
    "languages",
    "certifications",
    "hs_codes",
    "required_certifications",
    "suggested_hs_codes",
)


@dataclass(frozen=True)
class Catalog:
    """How one collection is assembled from the store.

    ``queries`` yields texts of the kind that will search this collection (buyer inquiries
    for products, product texts for buyers...). Builds encode a sample of them as queries to
    calibrate the index: with e5, a real query sits further from the documents it matches
    than documents sit from each other, and calibrating on perturbed documents instead
    under-provisions the search (measured: nprobe 48 gave recall 0.83 on real queries).
    """

    schema: CollectionSchema
    load: Callable[[Session], pd.DataFrame]  # one row per item, column "id" = int id
    text: Callable[[pd.DataFrame], list[str]]  # the document text per row
    fingerprint: Callable[[Session], str]
    queries: Callable[[Session], list[str]]


def _lists(frame: pd.DataFrame) -> pd.DataFrame:
    for column in LIST_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].map(
                lambda v: [str(x) for x in (v if v is not None else [])]
            )
    return frame


def _sample(texts: list[str], limit: int = 1000) -> list[str]:
    unique = sorted({t for t in texts if t and t.strip()})
    step = max(1, len(unique) // limit)
    return unique[::step][:limit]


def _buyer_side_queries(session: Session) -> list[str]:
    """Inquiries and buyer interests: what searches products and exporters."""
    needs = [str(r["text"]) for r in repository.iter_table(session, NeedRow, ("text",))]
    buyers = [
        str(r["interests"])
        for r in repository.iter_table(session, BuyerRow, ("interests",))
        if r["interests"]
    ]
    return _sample(needs + buyers)


def _supplier_side_queries(session: Session) -> list[str]:
    """Product descriptions: what searches buyers, needs and service offerings."""
    return _sample(
        [
            str(row[repository.PRODUCT_CATALOG_COLUMNS.index("description")])
            for row in repository.iter_product_catalog(session)
        ]
    )


# --- products ------------------------------------------------------------------------------


def _load_products(session: Session) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        list(repository.iter_product_catalog(session)),
        columns=list(repository.PRODUCT_CATALOG_COLUMNS),
    )
    frame = _lists(frame)
    # What a supplier can show for this product: its own certificates and the firm's.
    frame["certifications"] = [
        sorted(set(p) | set(e))
        for p, e in zip(
            frame["product_certifications"], frame["exporter_certifications"], strict=True
        )
    ]
    frame["id"] = frame["product_id"]
    return frame


def _product_texts(frame: pd.DataFrame) -> list[str]:
    return [
        product_document(n, d, h)
        for n, d, h in zip(
            frame["product_name"], frame["description"], frame["hs_code"], strict=True
        )
    ]


PRODUCTS = Catalog(
    CollectionSchema(
        "products",
        (
            FilterField("hs", "hs_code", "hs"),
            FilterField("certifications", "certifications", "multi"),
            FilterField("city", "city", "single"),
            FilterField("export_stage", "export_stage", "single"),
            FilterField("industry", "industry", "single"),
            FilterField("markets", "markets", "multi"),
            FilterField("kind", "exporter_kind", "single"),
        ),
        numeric=("moq", "price_min_usd", "price_max_usd"),
    ),
    _load_products,
    _product_texts,
    repository.catalog_fingerprint,
    _buyer_side_queries,
)


# --- exporters -----------------------------------------------------------------------------

_EXPORTER_COLUMNS = (
    "id",
    "external_id",
    "kind",
    "name_ko",
    "name_en",
    "industry",
    "city",
    "export_stage",
    "employees",
    "certifications",
    "markets",
    "languages",
    "description",
)


def _load_exporters(session: Session) -> pd.DataFrame:
    rows = list(repository.iter_table(session, ExporterRow, _EXPORTER_COLUMNS))
    return _lists(pd.DataFrame.from_records(rows, columns=list(_EXPORTER_COLUMNS)))


def _exporter_texts(frame: pd.DataFrame) -> list[str]:
    out = []
    for name_en, name_ko, industry, description in zip(
        frame["name_en"], frame["name_ko"], frame["industry"], frame["description"], strict=True
    ):
        names = " / ".join(present(n) for n in (name_en, name_ko) if present(n))
        parts = (names, present(industry).replace("_", " "), present(description))
        out.append(" | ".join(p for p in parts if p))
    return out


EXPORTERS = Catalog(
    CollectionSchema(
        "exporters",
        (
            FilterField("kind", "kind", "single"),
            FilterField("industry", "industry", "single"),
            FilterField("city", "city", "single"),
            FilterField("export_stage", "export_stage", "single"),
            FilterField("certifications", "certifications", "multi"),
            FilterField("markets", "markets", "multi"),
            FilterField("languages", "languages", "multi"),
        ),
        numeric=("employees",),
    ),
    _load_exporters,
    _exporter_texts,
    lambda s: repository.table_fingerprint(s, ExporterRow),
    _buyer_side_queries,
)


# --- service offerings ---------------------------------------------------------------------

_SERVICE_COLUMNS = (
    "id",
    "external_id",
    "exporter_id",
    "service_type",
    "description",
    "markets",
    "languages",
    "capacity_per_month",
)


def _load_services(session: Session) -> pd.DataFrame:
    rows = list(repository.iter_table(session, ServiceOfferingRow, _SERVICE_COLUMNS))
    return _lists(pd.DataFrame.from_records(rows, columns=list(_SERVICE_COLUMNS)))


def _service_texts(frame: pd.DataFrame) -> list[str]:
    return [
        f"{present(t).replace('_', ' ')} | {present(d)}"
        for t, d in zip(frame["service_type"], frame["description"], strict=True)
    ]


SERVICES = Catalog(
    CollectionSchema(
        "services",
        (
            FilterField("service_type", "service_type", "single"),
            FilterField("markets", "markets", "multi"),
            FilterField("languages", "languages", "multi"),
        ),
        numeric=("capacity_per_month",),
    ),
    _load_services,
    _service_texts,
    lambda s: repository.table_fingerprint(s, ServiceOfferingRow),
    _supplier_side_queries,
)


# --- buyers --------------------------------------------------------------------------------

_BUYER_COLUMNS = (
    "id",
    "external_id",
    "name",
    "country",
    "city",
    "buyer_type",
    "price_positioning",
    "interests",
    "hs_codes",
    "required_certifications",
    "center",
    "languages",
    "opted_out",
    "certifications_strict",
    "responsiveness",
    "credit_grade",
    "annual_purchase_usd",
)


def _load_buyers(session: Session) -> pd.DataFrame:
    rows = list(repository.iter_table(session, BuyerRow, _BUYER_COLUMNS))
    return _lists(pd.DataFrame.from_records(rows, columns=list(_BUYER_COLUMNS)))


def _buyer_texts(frame: pd.DataFrame) -> list[str]:
    out = []
    for interests, codes, name in zip(
        frame["interests"], frame["hs_codes"], frame["name"], strict=True
    ):
        described = "; ".join(hscodes.describe(c) for c in codes if hscodes.describe(c))
        out.append(" | ".join(p for p in (present(interests), described) if p) or present(name))
    return out


BUYERS = Catalog(
    CollectionSchema(
        "buyers",
        (
            FilterField("country", "country", "single"),
            FilterField("center", "center", "single"),
            FilterField("city", "city", "single"),
            FilterField("hs", "hs_codes", "hs"),
            FilterField("certifications", "required_certifications", "multi"),
            FilterField("buyer_type", "buyer_type", "single"),
            FilterField("price_positioning", "price_positioning", "single"),
        ),
    ),
    _load_buyers,
    _buyer_texts,
    lambda s: repository.table_fingerprint(s, BuyerRow),
    _supplier_side_queries,
)


# --- open needs ----------------------------------------------------------------------------

_NEED_COLUMNS = (
    "id",
    "external_id",
    "buyer_id",
    "country",
    "text",
    "hs_codes",
    "suggested_hs_codes",
    "required_certifications",
    "status",
    "quantity",
    "target_price_usd",
)


def confirmed_or_suggested_hs(needs: pd.DataFrame) -> list[list[str]]:
    """Each inquiry's confirmed HS codes where it has any, else the machine suggestions: the
    codes a supplier search goes by (the open-needs index and supplier-fit learning)."""
    return [
        list(c) if c else list(s or [])
        for c, s in zip(needs["hs_codes"], needs["suggested_hs_codes"], strict=True)
    ]


def _load_needs(session: Session) -> pd.DataFrame:
    rows = [
        r for r in repository.iter_table(session, NeedRow, _NEED_COLUMNS) if r["status"] == "open"
    ]
    frame = _lists(pd.DataFrame.from_records(rows, columns=list(_NEED_COLUMNS)))
    # Confirmed codes when there are any, else the suggestions (flagged in "hs_suggested").
    frame["hs_any"] = confirmed_or_suggested_hs(frame)
    frame["hs_suggested"] = [
        not c and bool(s)
        for c, s in zip(frame["hs_codes"], frame["suggested_hs_codes"], strict=True)
    ]
    return frame


def _needs_fingerprint(session: Session) -> str:
    suggested = repository.iter_table(session, NeedRow, ("id", "status", "hs_suggested_by"))
    extra = "|".join(f"{r['id']}:{r['status']}:{r['hs_suggested_by']}" for r in suggested)
    digest = hashlib.sha256(extra.encode()).hexdigest()[:8]
    return repository.table_fingerprint(session, NeedRow) + digest


NEEDS = Catalog(
    CollectionSchema(
        "needs",
        (
            FilterField("country", "country", "single"),
            FilterField("hs", "hs_any", "hs"),
            FilterField("certifications", "required_certifications", "multi"),
        ),
        numeric=("quantity", "target_price_usd"),
    ),
    _load_needs,
    lambda frame: [str(t) for t in frame["text"]],
    _needs_fingerprint,
    _supplier_side_queries,
)

CATALOGS: dict[str, Catalog] = {
    c.schema.name: c for c in (PRODUCTS, EXPORTERS, SERVICES, BUYERS, NEEDS)
}
