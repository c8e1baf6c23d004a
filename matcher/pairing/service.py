"""Pairing from the store: a manufacturer's gaps for a market, the service firms that close
them, and consortium proposals over many manufacturers.

profile + products (store) -> gaps -> service offerings (store) with the relevance of each to
the firm's products (the ``services`` vector index) -> rank (``partners``) or assign
(``consortia``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import FirmKind
from matcher.embedding.encoders import Encoder
from matcher.embedding.texts import product_document
from matcher.errors import InputValidationError, NotFoundError
from matcher.index.catalogs import SERVICES
from matcher.index.manager import IndexManager
from matcher.pairing.consortia import Member, Proposal, propose_consortia
from matcher.pairing.gaps import Gap, ManufacturerProfile, derive_gaps
from matcher.pairing.learning import PairingRanker, pairing_features, track_record
from matcher.pairing.partners import (
    PartnerExclusion,
    PartnerMatch,
    ServiceOffer,
    offers_from_frame,
    with_similarity,
)
from matcher.pairing.partners import recommend_partners as rank_partners
from matcher.storage import repository
from matcher.storage.database import session_scope
from matcher.storage.tables import ExporterRow, ProductRow

MAX_RELEVANCE_CANDIDATES = 2000  # offerings scored for relevance; the rest count as least


@dataclass(frozen=True)
class PartnerResult:
    gaps: tuple[Gap, ...]
    results: tuple[PartnerMatch, ...]
    excluded: tuple[PartnerExclusion, ...]
    firms: dict[int, tuple[str, str]]  # service firm internal id -> (external id, name)


@dataclass(frozen=True)
class OfferCatalogue:
    """Every service offering with its firm's id and name, and the pairing track counts up
    to ``at``: what ``partners`` reads besides the manufacturer itself. The nightly batch
    takes one per run and ranks every manufacturer against it (its task fingerprint covers
    the offerings and the pairing events), instead of reading them again per manufacturer;
    a request reads them fresh."""

    offerings: pd.DataFrame
    names: dict[int, tuple[str, str]]
    track: tuple[dict[int, int], dict[int, int]]
    at: dt.datetime
    offers: tuple[ServiceOffer, ...] = ()  # ``offerings`` as offers, relevance unknown


def check_market(market: str) -> str:
    code = (market or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InputValidationError("market", f"'{market}' is not a 2-letter country code")
    return code


def _name(row: ExporterRow) -> str:
    return row.name_en or row.name_ko or row.external_id


class PairingService:
    """``ranker``: the learned pairing ranker once trained on recorded pairings; without one
    the rule scorer (``partners``) ranks. Either way the exclusions and the gaps each result
    closes come from the complementarity table."""

    def __init__(
        self,
        encoder: Encoder,
        indexes: IndexManager,
        sessions: sessionmaker[Session],
        ranker: PairingRanker | None = None,
    ) -> None:
        self.encoder = encoder
        self.indexes = indexes
        self.sessions = sessions
        self.ranker = ranker

    def _profile(self, session: Session, firm: ExporterRow) -> ManufacturerProfile:
        products = session.execute(
            select(ProductRow.hs_code, ProductRow.certifications).where(
                ProductRow.exporter_id == firm.id
            )
        ).all()
        certs = set(firm.certifications or [])
        for _, product_certs in products:
            certs |= set(product_certs or [])
        return ManufacturerProfile(
            industry=firm.industry,
            export_stage=firm.export_stage,
            certifications=sorted(certs),
            languages=list(firm.languages or []),
            hs_codes=[h for h, _ in products if h],
            homepage=firm.homepage,
        )

    def _firm(self, session: Session, exporter_id: int) -> ExporterRow:
        firm = session.get(ExporterRow, exporter_id)
        if firm is None:
            raise NotFoundError("exporter", exporter_id)
        if firm.kind != FirmKind.MANUFACTURER.value:
            raise InputValidationError(
                "exporter_id",
                f"{firm.external_id} is a service firm; pairing starts from a manufacturer",
            )
        return firm

    def _offers(
        self, session: Session, firm_ids: Sequence[int]
    ) -> tuple[pd.DataFrame, dict[int, tuple[str, str]]]:
        offerings = SERVICES.load(session)
        offerings = offerings[~offerings["exporter_id"].isin(list(firm_ids))]
        owners = session.execute(
            select(ExporterRow).where(
                ExporterRow.id.in_(offerings["exporter_id"].unique().tolist())
            )
        ).scalars()
        names = {int(r.id): (r.external_id, _name(r)) for r in owners}
        return offerings.reset_index(drop=True), names

    @staticmethod
    def _without(
        catalogue: OfferCatalogue, firm_id: int
    ) -> tuple[pd.DataFrame, dict[int, tuple[str, str]], tuple[dict[int, int], dict[int, int]]]:
        """The catalogue less the firm's own offerings (as ``_offers`` leaves them out)."""
        own = (catalogue.offerings["exporter_id"] == firm_id).to_numpy()
        offerings = (
            catalogue.offerings[~own].reset_index(drop=True) if own.any() else catalogue.offerings
        )
        names = {k: v for k, v in catalogue.names.items() if k != firm_id}
        return offerings, names, catalogue.track

    def _relevance(self, documents: list[str], offerings: pd.DataFrame) -> np.ndarray:
        """Best cosine of each offering to the firm's products (NaN if not retrieved)."""
        out = np.full(len(offerings), np.nan)
        if not documents or offerings.empty or "services" not in self.indexes.loaded():
            return out
        collection = self.indexes.get("services")
        k = min(len(collection), MAX_RELEVANCE_CANDIDATES)
        found = collection.search(self.encoder.encode_queries(documents), k)
        best: dict[int, float] = {}
        for ids, scores in zip(found.ids, found.scores, strict=True):
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True):
                if i >= 0 and s > best.get(i, -np.inf):
                    best[i] = s
        position = {int(i): p for p, i in enumerate(offerings["id"].to_numpy())}
        for i, s in best.items():
            if i in position:
                out[position[i]] = s
        if np.isfinite(out).any():
            out[~np.isfinite(out)] = np.nanmin(out)  # not retrieved: least relevant
        return out

    def catalogue(self, now: dt.datetime) -> OfferCatalogue:
        """The offerings and track counts as of ``now``, for many ``partners`` calls."""
        with session_scope(self.sessions) as session:
            offerings, names = self._offers(session, [])
            track = repository.pairing_track_counts(session, now)
        offers = tuple(offers_from_frame(offerings, None, track))
        return OfferCatalogue(offerings, names, track, now, offers)

    def partners(
        self,
        exporter_id: int,
        market: str,
        top_k: int = 10,
        now: dt.datetime | None = None,
        catalogue: OfferCatalogue | None = None,
        exclusions: bool = True,
    ) -> PartnerResult:
        """``now``: the moment track records are counted up to (default: now); the nightly
        batch passes its run's moment so a resumed run ranks as the original would, and a
        ``catalogue`` taken at that moment (its ``at`` wins over ``now``) and no
        ``exclusions`` (it stores the ranking only)."""
        market = check_market(market)
        with session_scope(self.sessions) as session:
            firm = self._firm(session, exporter_id)
            profile = self._profile(session, firm)
            documents = [
                product_document(n, d, h)
                for n, d, h in repository.product_documents_of(session, firm.id)
            ]
            if catalogue is None:
                offerings, names = self._offers(session, [firm.id])
                track = repository.pairing_track_counts(session, now or dt.datetime.now(dt.UTC))
            else:
                offerings, names, track = self._without(catalogue, firm.id)
        gaps = derive_gaps(profile, market)
        relevance = self._relevance(documents, offerings)
        if catalogue is None:
            offers = offers_from_frame(offerings, relevance, track)
        else:  # the catalogue's offers, built once, with this firm's relevance
            similarity = dict(zip(offerings["id"].tolist(), relevance.tolist(), strict=True))
            offers = [
                with_similarity(o, similarity[o.offering_id])
                for o in catalogue.offers
                if o.offering_id in similarity
            ]
        if self.ranker is None:
            ranked, excluded = rank_partners(gaps, market, offers, top_k, exclusions=exclusions)
        else:
            ranked, excluded = rank_partners(
                gaps, market, offers, len(offers), exclusions=exclusions
            )
            ranked = self._learned_order(profile, gaps, market, offers, ranked)[:top_k]
        return PartnerResult(tuple(gaps), tuple(ranked), tuple(excluded), names)

    def _learned_order(
        self,
        profile: ManufacturerProfile,
        gaps: Sequence[Gap],
        market: str,
        offers: Sequence[ServiceOffer],
        ranked: Sequence[PartnerMatch],
    ) -> list[PartnerMatch]:
        """The rule scorer's admitted partners (one offering per firm, the one it chose),
        reordered by the learned ranker, scored with every offering present as in training
        (relevance is a percentile among them)."""
        assert self.ranker is not None
        relevance = np.asarray([o.similarity for o in offers], dtype=float)
        track = np.asarray([track_record(o.pairings, o.advanced) for o in offers], dtype=float)
        features = pairing_features(profile, gaps, market, offers, relevance, track)
        learned = dict(
            zip([o.offering_id for o in offers], self.ranker.score(features).tolist(), strict=True)
        )
        out = [
            replace(
                m, score=round(learned[m.offer.offering_id], 4), parts={**m.parts, "rule": m.score}
            )
            for m in ranked
        ]
        return sorted(out, key=lambda m: (-m.score, m.offer.firm_id))

    def consortia(
        self,
        market: str,
        exporter_ids: Sequence[int] | None = None,
        *,
        industry: str | None = None,
        mode: str = "cross_industry",
        max_consortia: int = 3,
        limit: int = 30,
    ) -> tuple[Proposal, dict[int, tuple[str, str]]]:
        """Consortia for the given manufacturers (or up to ``limit`` of the market's
        manufacturers, optionally of one industry)."""
        market = check_market(market)
        with session_scope(self.sessions) as session:
            if exporter_ids:
                firms = [self._firm(session, i) for i in exporter_ids]
            else:
                stmt = select(ExporterRow).where(ExporterRow.kind == FirmKind.MANUFACTURER.value)
                if industry:
                    stmt = stmt.where(ExporterRow.industry == industry)
                firms = list(session.execute(stmt.order_by(ExporterRow.id).limit(limit)).scalars())
            if not firms:
                raise InputValidationError("exporter_ids", "no manufacturers to propose for")
            members = [
                Member(f.id, f.industry, tuple(derive_gaps(self._profile(session, f), market)))
                for f in firms
            ]
            names = {int(f.id): (f.external_id, _name(f)) for f in firms}
            offerings, owners = self._offers(session, [f.id for f in firms])
        offers = offers_from_frame(offerings)
        proposal = propose_consortia(
            members, offers, market, mode=mode, max_consortia=max_consortia
        )
        return proposal, {**names, **owners}
