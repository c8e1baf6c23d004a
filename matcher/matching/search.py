"""Search across firms, importers and open inquiries by meaning, in any of the four
languages: the query is encoded once and looked up in each collection's index.

Staff see importers of their own centers only (the buyers index filters on ``center``);
firms and inquiries are searched whole, inquiries limited to the staff's countries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.centers import BY_CODE
from matcher.domain.enums import CenterCode
from matcher.embedding.encoders import Encoder
from matcher.errors import IndexNotReadyError
from matcher.index.filters import Where
from matcher.index.manager import IndexManager
from matcher.storage.database import session_scope
from matcher.storage.tables import BuyerRow, ExporterRow, NeedRow


@dataclass(frozen=True)
class Hit:
    kind: str  # firm | buyer | need
    external_id: str
    title: str
    detail: str
    score: float


class SearchService:
    def __init__(
        self, encoder: Encoder, indexes: IndexManager, sessions: sessionmaker[Session]
    ) -> None:
        self.encoder = encoder
        self.indexes = indexes
        self.sessions = sessions

    def _ids(self, collection: str, query: object, k: int, where: Where | None) -> dict[int, float]:
        try:
            found = self.indexes.get(collection).search(query, k, where)  # type: ignore[arg-type]
        except IndexNotReadyError:
            return {}
        return {
            int(i): float(s)
            for i, s in zip(found.ids[0].tolist(), found.scores[0].tolist(), strict=True)
            if i >= 0
        }

    def search(self, text: str, centers: frozenset[CenterCode] | None, k: int = 10) -> list[Hit]:
        """Best matches of each kind, best first within a kind. ``centers`` None: all."""
        query = self.encoder.encode_queries([text])
        scope = (
            None if centers is None else Where(values={"center": sorted(c.value for c in centers)})
        )
        firms = self._ids("exporters", query, k, None)
        buyers = self._ids("buyers", query, k, scope) if scope is None or centers else {}
        needs = self._ids("needs", query, 3 * k, None)
        countries = None if centers is None else {BY_CODE[c].country for c in centers}
        hits: list[Hit] = []
        with session_scope(self.sessions) as session:
            for row in session.scalars(select(ExporterRow).where(ExporterRow.id.in_(firms))):
                hits.append(
                    Hit(
                        "firm",
                        row.external_id,
                        row.name_ko or row.name_en or row.external_id,
                        " · ".join(x for x in (row.name_en, row.industry, row.city) if x),
                        firms[row.id],
                    )
                )
            for b in session.scalars(select(BuyerRow).where(BuyerRow.id.in_(buyers))):
                hits.append(
                    Hit(
                        "buyer",
                        b.external_id,
                        b.name,
                        " · ".join(x for x in (b.country, b.city, b.buyer_type) if x),
                        buyers[b.id],
                    )
                )
            kept = 0
            for n in session.scalars(select(NeedRow).where(NeedRow.id.in_(needs))):
                if countries is not None and n.country not in countries:
                    continue
                hits.append(Hit("need", n.external_id, n.text[:120], n.country or "", needs[n.id]))
                kept += 1
        order = {"firm": 0, "buyer": 1, "need": 2}
        hits.sort(key=lambda h: (order[h.kind], -h.score))
        out: list[Hit] = []
        counts: dict[str, int] = {}
        for hit in hits:
            counts[hit.kind] = counts.get(hit.kind, 0) + 1
            if counts[hit.kind] <= k:
                out.append(hit)
        return out
