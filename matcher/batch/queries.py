"""The batch's queries, and the fingerprints that tell an incremental run which to rank again.

Three tasks, with fixed query keys (the report and the API read them):

- ``inquiry_suppliers``: one query per open inquiry, keyed by its external id;
- ``firm_importers``: one per (client firm, active center), ``"<exporter>@<center>"``. A
  client firm of a center has a funnel event there in the last ``CLIENT_DAYS`` days or a
  shortlist there (the dashboard's definition, read through its query);
- ``service_partners``: one per (manufacturer, market it names), ``"<exporter>@<market>"``.

A query is ranked again when one of these differs from the last committed run:

- its **inputs**: content hashes of what the query itself reads (the inquiry row, its HS
  suggestions and its importer with the importer's funnel events; the firm row, its products,
  its funnel events and blocked pairs);
- its **candidates**, as far as they can change its results: the queries with a first stage
  keep last night's candidates, patched with the changed items that now come within reach;
  only their changed and entering candidates are scored, and a query is re-ranked where one
  of them scores at or above the entry score its last ranking left (``engine._screen``,
  ``screening.reach``, ``worker.probe``); a query one of whose candidates is gone, or that
  has no entry score on record, has its first stage run again and its candidate list
  compared;
- its **results**: each recommended firm or importer (a *target*) has a digest of its own
  row and its funnel events; a query whose previous results include a target whose digest
  moved is re-ranked, so an importer that opted out is never served stale. A supplier's
  products are rows of their own: a query is re-ranked where one it showed changed, or a
  changed one of a shown supplier now beats the one shown (``worker.probe``), so a new price
  is never served stale either;
- its **task**: what every query of a task depends on alike: the ranker version, the
  encoder, the batch settings, the market-prior file; for shortlists the calendar month (the
  exposure cap counts per month); for partners the service offerings and pairing events,
  since every offering is a candidate of every manufacturer.

Not tracked, so refreshed by ``--full`` (run it weekly) rather than nightly: the parts of the
features computed over *everyone* (the market prior learnt from all recorded events, peer
firms' success rates, price positions among all products), and the first stage's pool
statistics (it standardises similarity over the retrieved pool, so an item entering one
query's candidates can push its 200th out). Tracking them would re-rank nearly every query
after any change anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from matcher.config import Settings
from matcher.domain.centers import CENTERS
from matcher.domain.enums import FirmKind
from matcher.embedding.texts import inquiry_query, product_document
from matcher.errors import InputValidationError
from matcher.pairing.learning import PAIRING_RANKER
from matcher.pairing.service import check_market
from matcher.ranking.learned import ranker_name
from matcher.reporting.funnel import CLIENT_DAYS
from matcher.storage import batch_queries, repository
from matcher.storage.batch_runs import TASKS
from matcher.storage.reporting_queries import clients_without_recent_events
from matcher.storage.tables import PairingEventRow, ServiceOfferingRow

INQUIRY_SUPPLIERS, FIRM_IMPORTERS, SERVICE_PARTNERS = TASKS
# Bump when what the batch writes for a query changes meaning, so every query re-ranks once.
FORMAT_VERSION = 2


def digest(*parts: object) -> str:
    """A short, stable content hash (64 bits are plenty to tell versions of one query)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\x1f")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Query:
    """One query of one task. ``subject`` is the internal id the query starts from (the
    inquiry for ``inquiry_suppliers``, the firm otherwise); ``scope`` the center or market."""

    task: str
    key: str
    subject: int
    scope: str | None
    inputs: str  # the input fingerprint


@dataclass
class Inputs:
    """What the driver read for one run: the queries per task, sorted by key, and what the
    candidate fingerprints are digested from."""

    as_of: dt.datetime
    queries: dict[str, list[Query]]
    task_fingerprints: dict[str, str]
    # task -> target external id -> digest of what a result about it shows
    targets: dict[str, dict[str, str]] = field(default_factory=dict)

    def by_key(self, task: str) -> dict[str, Query]:
        return {q.key: q for q in self.queries[task]}

    @staticmethod
    def candidates(ids: Iterable[int]) -> str:
        """The candidate fingerprint of a first stage's ids (their order does not matter:
        the ranker sees a set)."""
        return digest(sorted({int(i) for i in ids}))


def _pointer(settings: Settings, name: str) -> str:
    """Which trained ranker is served (its version directory), or 'rule' where none is."""
    if settings.ranker == "rule":
        return "rule"
    current = settings.rankers_dir / name / "CURRENT"
    return current.read_text(encoding="utf-8").strip() if current.is_file() else "rule"


def _file_digest(path: Path | None) -> str:
    if path is None or not path.is_file():
        return "-"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def task_fingerprints(
    session: Session, settings: Settings, encoder_name: str, as_of: dt.datetime
) -> dict[str, str]:
    common = (
        FORMAT_VERSION,
        encoder_name,
        settings.batch_top_k,
        settings.retrieval_candidates,
        settings.ranker,
    )
    prior = _file_digest(settings.market_scores_path)
    return {
        INQUIRY_SUPPLIERS: digest(*common, _pointer(settings, ranker_name("supplier_fit")), prior),
        FIRM_IMPORTERS: digest(
            *common,
            _pointer(settings, ranker_name("importer_fit")),
            prior,
            settings.diversity_lambda,
            settings.exposure_cap_per_month,
            f"{as_of:%Y-%m}",
        ),
        SERVICE_PARTNERS: digest(
            *common,
            _pointer(settings, PAIRING_RANKER),
            repository.table_fingerprint(session, ServiceOfferingRow),
            repository.table_fingerprint(session, PairingEventRow),
            f"{as_of:%Y-%m}",  # capacity is per month
        ),
    }


def client_firms(session: Session, as_of: dt.datetime) -> dict[str, list[str]]:
    """Each active center's client firms (external ids). The dashboard's query for client
    firms gone quiet returns them all when "quiet" means no event in an empty window."""
    since = as_of - dt.timedelta(days=CLIENT_DAYS)
    out: dict[str, list[str]] = {}
    for center in CENTERS:
        if center.active:
            rows = clients_without_recent_events(session, center.code.value, since, as_of, as_of)
            out[center.code.value] = sorted({external for external, *_ in rows})
    return out


def read_inputs(
    session: Session, settings: Settings, encoder_name: str, as_of: dt.datetime
) -> Inputs:
    """Every query of every task with its input fingerprint, and the candidate hashes."""
    exporters = batch_queries.exporters(session)
    by_external = {e.external_id: e for e in exporters}
    products_of: dict[int, list[str]] = defaultdict(list)
    product_rows = batch_queries.product_hashes(session)
    for _, exporter_id, content in product_rows:
        products_of[exporter_id].append(content)
    # The partner search reads a firm's products' names, texts, codes and certifications,
    # not their prices: a new price re-ranks the firm's importers, not its partners.
    pairing_of: dict[int, list[str]] = defaultdict(list)
    for exporter_id, *fields in batch_queries.product_pairing_fields(session):
        pairing_of[exporter_id].append(digest(*fields))
    exporter_events, buyer_events = batch_queries.event_digests(session)
    buyers = batch_queries.buyers(session)
    blocked: dict[int, list[int]] = defaultdict(list)
    for exporter_id, buyer_id in repository.blocked_pairs(session):
        blocked[exporter_id].append(buyer_id)

    def firm(e: batch_queries.ExporterInput) -> tuple[object, ...]:
        return (
            e.content_hash,
            sorted(products_of.get(e.id, [])),
            exporter_events.get(e.id, "-"),
            sorted(blocked.get(e.id, [])),
        )

    queries: dict[str, list[Query]] = {task: [] for task in TASKS}
    for need in batch_queries.open_needs(session):
        buyer = (
            (buyers.get(need.buyer_id), buyer_events.get(need.buyer_id, "-"))
            if need.buyer_id is not None
            else None
        )
        queries[INQUIRY_SUPPLIERS].append(
            Query(
                INQUIRY_SUPPLIERS,
                need.external_id,
                need.id,
                None,
                digest(need.content_hash, need.suggested_hs_codes, buyer),
            )
        )
    for center, externals in client_firms(session, as_of).items():
        for external in externals:
            e = by_external.get(external)
            if e is not None:
                queries[FIRM_IMPORTERS].append(
                    Query(FIRM_IMPORTERS, f"{external}@{center}", e.id, center, digest(*firm(e)))
                )
    for e in exporters:
        if e.kind != FirmKind.MANUFACTURER.value:
            continue
        for market in sorted({m for m in map(_market, e.markets) if m is not None}):
            queries[SERVICE_PARTNERS].append(
                Query(
                    SERVICE_PARTNERS,
                    f"{e.external_id}@{market}",
                    e.id,
                    market,
                    digest(market, e.content_hash, sorted(pairing_of.get(e.id, []))),
                )
            )
    for task in TASKS:
        queries[task].sort(key=lambda q: q.key)
    return Inputs(
        as_of=as_of,
        queries=queries,
        task_fingerprints=task_fingerprints(session, settings, encoder_name, as_of),
        targets={
            # A supplier's own row and history (every row of it reads them); its products
            # are rows of their own, probed one by one where they are candidates.
            INQUIRY_SUPPLIERS: {
                e.external_id: digest(e.content_hash, exporter_events.get(e.id, "-"))
                for e in exporters
            },
            FIRM_IMPORTERS: {
                external: digest(content, buyer_events.get(b, "-"))
                for b, (external, content) in buyers.items()
            },
            SERVICE_PARTNERS: {},  # offerings are in the task fingerprint
        },
    )


def _market(code: str) -> str | None:
    try:
        return check_market(code)
    except InputValidationError:
        return None  # a malformed market in a profile is no query


@dataclass(frozen=True)
class QueryTexts:
    """What ranking the run's queries encodes as a query, read once per run: each open
    inquiry's text (as ``MatchService.encode`` words it) and each firm's product documents
    (the importer shortlist and the partner search both start from them). The driver has the
    missing ones encoded in batches before any query is screened or ranked, so the workers
    find every query vector in the cache instead of encoding one query at a time; the
    screening reads the same texts to find the queries' vectors."""

    needs: Mapping[int, str]  # need id -> its query text
    documents: Mapping[int, list[str]]  # exporter id -> its product documents

    def all(self) -> list[str]:
        """Every text, sorted and distinct."""
        texts = set(self.needs.values())
        for documents in self.documents.values():
            texts.update(documents)
        return sorted(texts)

    def of(self, task: str, queries: Sequence[Query]) -> list[list[str]]:
        """Per query, the texts its first stage encodes (what ``screen`` searches with): an
        inquiry's text, or a firm's product documents (empty: nothing to search with)."""
        if task == INQUIRY_SUPPLIERS:
            return [[self.needs[q.subject]] if q.subject in self.needs else [] for q in queries]
        if task == FIRM_IMPORTERS:
            return [list(self.documents.get(q.subject, [])) for q in queries]
        raise ValueError(f"{task} has no per-query first stage")


def query_texts(session: Session, inputs: Inputs) -> QueryTexts:
    """The run's query texts (``QueryTexts``), from one read of the open inquiries' texts
    and of the firms' product documents."""
    needs = batch_queries.need_texts(
        session, (q.subject for q in inputs.queries[INQUIRY_SUPPLIERS])
    )
    firms = {q.subject for task in (FIRM_IMPORTERS, SERVICE_PARTNERS) for q in inputs.queries[task]}
    return QueryTexts(
        needs={subject: inquiry_query(text) for subject, text in needs.items()},
        documents={
            firm: [product_document(n, d, h) for n, d, h in documents]
            for firm, documents in batch_queries.product_documents(session, firms).items()
        },
    )


def keys(queries: Sequence[Query]) -> list[str]:
    return [q.key for q in queries]
