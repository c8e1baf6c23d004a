"""Wiring from one ``Settings`` to the objects the CLI, the API and the batch use.

Heavy parts (the encoder, the loaded index) are created on first use, so commands that only
touch the database start instantly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.embedding.encoders import Encoder, build_encoder
from matcher.index import persistence
from matcher.index.catalogs import CATALOGS
from matcher.index.manager import IndexManager
from matcher.matching.service import MatchService
from matcher.ranking.rule import RuleRanker
from matcher.storage import database
from matcher.storage.database import session_scope
from matcher.storage.repository import count
from matcher.storage.tables import ExporterRow
from matcher.suggest.hs import HSSuggester

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

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

    def match_service(self) -> MatchService:
        """The supplier search, with the products index loaded (built if missing)."""
        if "products" not in self.indexes.loaded():
            self.indexes.load_available("products")
        return MatchService(
            self.encoder, self.indexes, RuleRanker(), candidates=self.settings.retrieval_candidates
        )
