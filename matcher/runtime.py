"""Wiring from one ``Settings`` to the objects the CLI, the API and the batch use.

Heavy parts (the encoder, the loaded index) are created on first use, so commands that only
touch the database start instantly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.embedding.encoders import Encoder, build_encoder
from matcher.errors import NotReadyError
from matcher.features.pairs import PairContext, make_context
from matcher.features.profiles import price_positions
from matcher.features.registry import PRIVATE_FEATURES
from matcher.index import persistence
from matcher.index.catalogs import BUYERS, CATALOGS, PRODUCTS
from matcher.index.manager import IndexManager
from matcher.matching.search import SearchService
from matcher.matching.service import MatchService
from matcher.matching.shortlist import ShortlistService
from matcher.pairing.learning import load_current_pairing
from matcher.pairing.service import PairingService
from matcher.ranking.base import Ranker
from matcher.ranking.learned import load_current
from matcher.ranking.pipeline import RankingPipeline
from matcher.ranking.rule import RuleRanker
from matcher.storage import database
from matcher.storage.database import session_scope
from matcher.storage.repository import count, events_frame
from matcher.storage.tables import ExporterRow
from matcher.suggest.hs import HSSuggester

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._context: tuple[PairContext, pd.Series] | None = None
        self._context_lock = threading.Lock()

    @cached_property
    def engine(self) -> Engine:
        return database.engine_from_settings(self.settings)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return database.session_factory(self.engine)

    @cached_property
    def encoder(self) -> Encoder:
        return build_encoder(self.settings)

    def upgrade_schema(self) -> None:
        database.upgrade(self.engine)

    def exporter_count(self) -> int:
        with session_scope(self.sessions) as session:
            return count(session, ExporterRow)

    @cached_property
    def indexes(self) -> IndexManager:
        return IndexManager(self.settings, self.sessions, self.encoder)

    def stale_indexes(self) -> list[str]:
        return [name for name in CATALOGS if self.indexes.is_stale(name)]

    def build_index(
        self, name: str = "products", progress: Callable[[int], None] | None = None
    ) -> persistence.Manifest:
        return self.indexes.build(name, progress=progress)

    def hs_suggester(self) -> HSSuggester:
        """The HS suggester, fitted (nomenclature and exemplar vectors come from the cache)."""
        return HSSuggester(self.encoder, self.settings.model_cache_dir).fit()

    # -- ranking ------------------------------------------------------------------------------

    def _load_context(self) -> tuple[PairContext, pd.Series]:
        with session_scope(self.sessions) as session:
            products = PRODUCTS.load(session)
            buyers = BUYERS.load(session)
            events = events_frame(session)
        context = make_context(products, buyers, events, self.settings.market_scores_path)
        positions = price_positions(products)
        positions.index = products["product_id"].to_numpy()
        return context, positions

    def pair_context(self) -> PairContext:
        """Profiles, funnel history and market prior, loaded on first use."""
        with self._context_lock:
            if self._context is None:
                self._context = self._load_context()
            return self._context[0]

    def price_positions(self) -> pd.Series:
        self.pair_context()
        assert self._context is not None
        return self._context[1]

    def refresh_context(self) -> None:
        """Reload profiles and history (after ingestion or new funnel events)."""
        loaded = self._load_context()
        with self._context_lock:
            self._context = loaded

    def ranker(self, direction: str) -> Ranker:
        """The learned ranker for a direction once trained (``ranker`` 'auto' or 'ltr'), else
        the rule ranker."""
        if self.settings.ranker != "rule":
            learned = load_current(self.settings.rankers_dir, direction)
            if learned is not None:
                return learned
            if self.settings.ranker == "ltr":
                raise NotReadyError(
                    f"no trained {direction} ranker in {self.settings.rankers_dir}; "
                    "run `tradematch train`"
                )
        return RuleRanker()

    def pipeline(self, direction: str) -> RankingPipeline:
        """Diversity applies to the staff's importer shortlists (five near-identical
        distributors waste four meetings); a buyer who asks for valves wants valve makers,
        so the supplier search ranks by score alone."""
        return RankingPipeline(
            self.ranker(direction),
            diversity=self.settings.diversity_lambda if direction == "importer_fit" else 1.0,
            hidden=frozenset() if direction == "importer_fit" else PRIVATE_FEATURES,
            exposure_cap=self.settings.exposure_cap_per_month,
        )

    def match_service(self) -> MatchService:
        """The supplier search, with the products index loaded (built if missing)."""
        if "products" not in self.indexes.loaded():
            self.indexes.load_available("products")
        return MatchService(
            self.encoder,
            self.indexes,
            self.pipeline("supplier_fit"),
            self.pair_context,
            candidates=self.settings.retrieval_candidates,
            positions=self.price_positions,
        )

    def pairing_service(self) -> PairingService:
        """Service partners and consortia, with the services index loaded (built if missing)."""
        if "services" not in self.indexes.loaded():
            self.indexes.load_available("services")
        ranker = None
        if self.settings.ranker != "rule":
            ranker = load_current_pairing(self.settings.rankers_dir)
        return PairingService(self.encoder, self.indexes, self.sessions, ranker)

    def search_service(self) -> SearchService:
        """Search by meaning across firms, importers and open inquiries (loads their indexes,
        building any that is missing)."""
        for name in ("exporters", "buyers", "needs"):
            if name not in self.indexes.loaded():
                self.indexes.load_available(name)
        return SearchService(self.encoder, self.indexes, self.sessions)

    def shortlist_service(self) -> ShortlistService:
        """Importers for a firm at a center, with the buyers index loaded (built if missing)."""
        if "buyers" not in self.indexes.loaded():
            self.indexes.load_available("buyers")
        return ShortlistService(
            self.encoder,
            self.indexes,
            self.pipeline("importer_fit"),
            self.pair_context,
            self.sessions,
            candidates=self.settings.retrieval_candidates,
        )
